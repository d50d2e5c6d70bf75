/* Value statistics with AVX-512 (F, BW, DQ, VL): F16, BF16 and F32, sixteen
 * float lanes per step; the same algorithm as the AVX2 kernels of
 * stats_x86.c (read its comment), with mask registers for the lane tests:
 * per lane, zero and -- for types wider than fp16 -- fp16 underflow and
 * overflow counted in 32-bit vector counters; a step whose lanes are not all
 * finite takes a branch that counts the non-finite and the Inf lanes and
 * leaves them out of min, max and the sums (double, two accumulators in
 * turn).  Same counts, min and max as slm_stats_add_ref (tests/test_stats_fast.c
 * runs both kernels). */
#include "stats_fast.h"

#include <math.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#define FAST512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma,f16c")))

enum { BLOCK512 = 1 << 16 }; /* steps between flushes of the 32-bit counters */

typedef struct acc512 {
    __m512i nonfin, inf, zero, under, over;
    __m512 vmin, vmax;
    __m512d sum0, sum1, sq0, sq1;
} acc512;

FAST512 static void init512(acc512 *a)
{
    a->nonfin = a->inf = a->zero = a->under = a->over = _mm512_setzero_si512();
    a->vmin = _mm512_set1_ps(INFINITY);
    a->vmax = _mm512_set1_ps(-INFINITY);
    a->sum0 = a->sum1 = a->sq0 = a->sq1 = _mm512_setzero_pd();
}

FAST512 static inline __m512i inc(__m512i c, __mmask16 m)
{
    return _mm512_mask_add_epi32(c, m, c, _mm512_set1_epi32(1));
}

FAST512 static inline void step512(acc512 *a, __m512 x, int wide)
{
    const __m512 inf = _mm512_set1_ps(INFINITY);
    __m512 ax = _mm512_abs_ps(x);
    __mmask16 fin = _mm512_cmp_ps_mask(ax, inf, _CMP_LT_OQ);
    a->zero = inc(a->zero, _mm512_cmp_ps_mask(ax, _mm512_setzero_ps(), _CMP_EQ_OQ));
    if (wide) {
        __mmask16 under = _mm512_cmp_ps_mask(ax, _mm512_set1_ps(0x1p-25f), _CMP_LE_OQ) &
                          _mm512_cmp_ps_mask(ax, _mm512_setzero_ps(), _CMP_GT_OQ);
        a->under = inc(a->under, under);
        a->over = inc(a->over, fin & _mm512_cmp_ps_mask(ax, _mm512_set1_ps(65520.0f), _CMP_GE_OQ));
    }
    if (__builtin_expect(fin != 0xffff, 0)) {
        a->nonfin = inc(a->nonfin, (__mmask16)~fin);
        a->inf = inc(a->inf, _mm512_cmp_ps_mask(ax, inf, _CMP_EQ_OQ));
        a->vmin = _mm512_mask_min_ps(a->vmin, fin, a->vmin, x);
        a->vmax = _mm512_mask_max_ps(a->vmax, fin, a->vmax, x);
        x = _mm512_maskz_mov_ps(fin, x);
    } else {
        a->vmin = _mm512_min_ps(a->vmin, x);
        a->vmax = _mm512_max_ps(a->vmax, x);
    }
    __m512d lo = _mm512_cvtps_pd(_mm512_castps512_ps256(x)), hi = _mm512_cvtps_pd(_mm512_extractf32x8_ps(x, 1));
    a->sum0 = _mm512_add_pd(a->sum0, lo);
    a->sum1 = _mm512_add_pd(a->sum1, hi);
    a->sq0 = _mm512_fmadd_pd(lo, lo, a->sq0);
    a->sq1 = _mm512_fmadd_pd(hi, hi, a->sq1);
}

/* Counters of A and B into S (A's and B's reset); N: the lanes stepped. */
FAST512 static void flush512(acc512 *a, acc512 *b, slm_stats *s, uint64_t n)
{
    uint64_t nonfin = (uint64_t)_mm512_reduce_add_epi32(_mm512_add_epi32(a->nonfin, b->nonfin));
    uint64_t inf = (uint64_t)_mm512_reduce_add_epi32(_mm512_add_epi32(a->inf, b->inf));
    s->n += n;
    s->inf += inf;
    s->nan += nonfin - inf;
    s->zero += (uint64_t)_mm512_reduce_add_epi32(_mm512_add_epi32(a->zero, b->zero));
    s->f16_under += (uint64_t)_mm512_reduce_add_epi32(_mm512_add_epi32(a->under, b->under));
    s->f16_over += (uint64_t)_mm512_reduce_add_epi32(_mm512_add_epi32(a->over, b->over));
    a->nonfin = a->inf = a->zero = a->under = a->over = _mm512_setzero_si512();
    b->nonfin = b->inf = b->zero = b->under = b->over = _mm512_setzero_si512();
}

/* Sixteen elements at Q as floats: KIND 0 F16, 1 BF16, 2 F32. */
FAST512 static inline __m512 load16(const uint8_t *q, int kind)
{
    if (kind == 0)
        return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)q));
    if (kind == 1)
        return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)q)), 16));
    return _mm512_loadu_ps((const float *)q);
}

FAST512 static void floats512(slm_stats *s, int kind, const uint8_t *p, uint64_t count)
{
    const size_t esz = kind == 2 ? 4 : 2, bytes = 16 * esz;
    const int wide = kind != 0;
    acc512 a, b;
    init512(&a);
    init512(&b);
    uint64_t steps = count / 16, done = 0;
    while (done < steps) {
        uint64_t end = done + (steps - done < BLOCK512 ? steps - done : BLOCK512), k = done;
        for (; k + 1 < end; k += 2) {
            step512(&a, load16(p + bytes * k, kind), wide);
            step512(&b, load16(p + bytes * (k + 1), kind), wide);
        }
        if (k < end)
            step512(&a, load16(p + bytes * k, kind), wide);
        flush512(&a, &b, s, 16 * (end - done));
        done = end;
    }
    double lo = _mm512_reduce_min_ps(_mm512_min_ps(a.vmin, b.vmin));
    double hi = _mm512_reduce_max_ps(_mm512_max_ps(a.vmax, b.vmax));
    slm_stats_put_minmax(s, lo, hi, p, count, esz);
    s->sum += _mm512_reduce_add_pd(_mm512_add_pd(_mm512_add_pd(a.sum0, a.sum1), _mm512_add_pd(b.sum0, b.sum1)));
    s->sumsq += _mm512_reduce_add_pd(_mm512_add_pd(_mm512_add_pd(a.sq0, a.sq1), _mm512_add_pd(b.sq0, b.sq1)));
    static const slm_dtype T[] = {SLM_DT_F16, SLM_DT_BF16, SLM_DT_F32};
    slm_stats_put_tail(s, T[kind], p + bytes * steps, count - 16 * steps);
}

bool slm_stats_avx512(slm_stats *s, slm_dtype t, const uint8_t *p, uint64_t count)
{
    switch (t) {
    case SLM_DT_F16: floats512(s, 0, p, count); return true;
    case SLM_DT_BF16: floats512(s, 1, p, count); return true;
    case SLM_DT_F32: floats512(s, 2, p, count); return true;
    default: return false;
    }
}

#else

bool slm_stats_avx512(slm_stats *s, slm_dtype t, const uint8_t *p, uint64_t count)
{
    (void)s, (void)t, (void)p, (void)count;
    return false;
}

#endif

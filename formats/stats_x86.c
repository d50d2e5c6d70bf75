/* Value statistics with AVX2 (+F16C, FMA): the fast path of slm_stats_add
 * (stats_fast.h).  The definition is slm_stats_add_ref (tensor.c); these
 * kernels give the same counts and the same min and max, and sum and sumsq
 * up to the order of the additions (tests/test_stats_fast.c compares them on
 * NaN payloads, subnormals, infinities and values at fp16's limits).  The
 * dispatch (AVX-512 where the CPU has it: stats_avx512.c) and the helpers
 * the kernels share are here too.
 *
 * Eight float lanes per step (F16 through vcvtph2ps, BF16 by a 16-bit shift,
 * F32 as is), two accumulators in turn; four double lanes for F64.  Per
 * lane: zero and, for types wider than fp16, fp16 underflow (0 < |v| <=
 * 2^-25) and overflow (|v| >= 65520) as masks subtracted from integer
 * counters; a step whose lanes are not all finite takes a branch that counts
 * the non-finite and the Inf ones (NaN is the difference) and masks them out.
 * min/max over finite values; sum and sumsq of the finite values in double.
 * The definition keeps the first of equal values, which matters only for
 * the sign of a zero min or max: that zero is the first zero of the data,
 * found afterwards. */
#include "stats_fast.h"

#include <math.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <immintrin.h>

#define FAST __attribute__((target("avx2,fma,f16c")))

/* Counter lanes are 32-bit: they are flushed every BLOCK steps, long before
 * they could wrap (and often enough that the tests cross block boundaries). */
enum { BLOCK = 1 << 16 };

typedef struct acc {
    __m256i nonfin, inf, zero, under, over; /* per lane, how often it matched (a mask is -1) */
    __m256 vmin, vmax;
    __m256d sum0, sum1, sq0, sq1;
} acc;

FAST static void acc_init(acc *a)
{
    a->nonfin = a->inf = a->zero = a->under = a->over = _mm256_setzero_si256();
    a->vmin = _mm256_set1_ps(INFINITY);
    a->vmax = _mm256_set1_ps(-INFINITY);
    a->sum0 = a->sum1 = a->sq0 = a->sq1 = _mm256_setzero_pd();
}

FAST static inline __m256i count(__m256i c, __m256 mask)
{
    return _mm256_sub_epi32(c, _mm256_castps_si256(mask));
}

/* One step of eight floats; WIDE: count fp16 under/overflow too.  All lanes
 * finite is the common case: NaN and Inf cost a branch to the masked path. */
FAST static inline void step(acc *a, __m256 x, int wide)
{
    const __m256 inf = _mm256_set1_ps(INFINITY);
    __m256 ax = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x);
    __m256 fin = _mm256_cmp_ps(ax, inf, _CMP_LT_OQ);
    a->zero = count(a->zero, _mm256_cmp_ps(ax, _mm256_setzero_ps(), _CMP_EQ_OQ));
    if (wide) {
        __m256 under = _mm256_and_ps(_mm256_cmp_ps(ax, _mm256_set1_ps(0x1p-25f), _CMP_LE_OQ),
                                     _mm256_cmp_ps(ax, _mm256_setzero_ps(), _CMP_GT_OQ));
        a->under = count(a->under, under);
        a->over = count(a->over, _mm256_and_ps(fin, _mm256_cmp_ps(ax, _mm256_set1_ps(65520.0f), _CMP_GE_OQ)));
    }
    if (__builtin_expect(_mm256_movemask_ps(fin) != 0xff, 0)) {
        a->nonfin = count(a->nonfin, _mm256_xor_ps(fin, _mm256_castsi256_ps(_mm256_set1_epi32(-1))));
        a->inf = count(a->inf, _mm256_cmp_ps(ax, inf, _CMP_EQ_OQ));
        a->vmin = _mm256_min_ps(a->vmin, _mm256_blendv_ps(inf, x, fin));
        a->vmax = _mm256_max_ps(a->vmax, _mm256_blendv_ps(_mm256_set1_ps(-INFINITY), x, fin));
        x = _mm256_and_ps(x, fin);
    } else {
        a->vmin = _mm256_min_ps(a->vmin, x);
        a->vmax = _mm256_max_ps(a->vmax, x);
    }
    __m256d lo = _mm256_cvtps_pd(_mm256_castps256_ps128(x)), hi = _mm256_cvtps_pd(_mm256_extractf128_ps(x, 1));
    a->sum0 = _mm256_add_pd(a->sum0, lo);
    a->sum1 = _mm256_add_pd(a->sum1, hi);
    a->sq0 = _mm256_fmadd_pd(lo, lo, a->sq0);
    a->sq1 = _mm256_fmadd_pd(hi, hi, a->sq1);
}

FAST static uint64_t hsum_count(__m256i c)
{
    uint32_t v[8];
    _mm256_storeu_si256((__m256i *)v, c);
    uint64_t s = 0;
    for (int i = 0; i < 8; i++)
        s += v[i];
    return s;
}

/* The counts of A into S, A's counters reset; N: the lanes stepped. */
FAST static void flush_counts(acc *a, slm_stats *s, uint64_t n)
{
    uint64_t nonfin = hsum_count(a->nonfin), inf = hsum_count(a->inf);
    s->n += n;
    s->inf += inf;
    s->nan += nonfin - inf;
    s->zero += hsum_count(a->zero);
    s->f16_under += hsum_count(a->under);
    s->f16_over += hsum_count(a->over);
    a->nonfin = a->inf = a->zero = a->under = a->over = _mm256_setzero_si256();
}

/* B's values and counts into A (two accumulators halve the dependency
 * chains of the additions). */
FAST static void acc_merge(acc *a, const acc *b)
{
    a->nonfin = _mm256_add_epi32(a->nonfin, b->nonfin);
    a->inf = _mm256_add_epi32(a->inf, b->inf);
    a->zero = _mm256_add_epi32(a->zero, b->zero);
    a->under = _mm256_add_epi32(a->under, b->under);
    a->over = _mm256_add_epi32(a->over, b->over);
    a->vmin = _mm256_min_ps(a->vmin, b->vmin);
    a->vmax = _mm256_max_ps(a->vmax, b->vmax);
    a->sum0 = _mm256_add_pd(a->sum0, b->sum0);
    a->sum1 = _mm256_add_pd(a->sum1, b->sum1);
    a->sq0 = _mm256_add_pd(a->sq0, b->sq0);
    a->sq1 = _mm256_add_pd(a->sq1, b->sq1);
}

/* Min, max and sums of A into S, for the span P[0..N) of ESZ-byte elements. */
FAST static void flush_values(const acc *a, slm_stats *s, const uint8_t *p, uint64_t n, size_t esz)
{
    float mn[8], mx[8];
    double ps[4], q[4];
    _mm256_storeu_ps(mn, a->vmin);
    _mm256_storeu_ps(mx, a->vmax);
    double lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < 8; i++) {
        lo = mn[i] < lo ? mn[i] : lo;
        hi = mx[i] > hi ? mx[i] : hi;
    }
    slm_stats_put_minmax(s, lo, hi, p, n, esz);
    _mm256_storeu_pd(ps, _mm256_add_pd(a->sum0, a->sum1));
    _mm256_storeu_pd(q, _mm256_add_pd(a->sq0, a->sq1));
    s->sum += (ps[0] + ps[1]) + (ps[2] + ps[3]);
    s->sumsq += (q[0] + q[1]) + (q[2] + q[3]);
}

/* KIND: 0 F16, 1 BF16, 2 F32. */
FAST static void add_floats(slm_stats *s, int kind, const uint8_t *p, uint64_t count)
{
    const size_t esz = kind == 2 ? 4 : 2;
    const int wide = kind != 0; /* no fp16 value under- or overflows fp16 */
    acc a, b;
    acc_init(&a);
    acc_init(&b);
    uint64_t steps = count / 8, done = 0;
    while (done < steps) { /* blocks of at most BLOCK steps per accumulator: no counter wraps */
        uint64_t end = done + (steps - done < BLOCK ? steps - done : BLOCK);
        uint64_t k = done;
        for (; k + 1 < end; k += 2) { /* two steps, one per accumulator */
            __m256 x0, x1;
            if (kind == 0) {
                __m256i h = _mm256_loadu_si256((const __m256i *)(p + 16 * k));
                x0 = _mm256_cvtph_ps(_mm256_castsi256_si128(h));
                x1 = _mm256_cvtph_ps(_mm256_extracti128_si256(h, 1));
            } else if (kind == 1) {
                __m256i h = _mm256_loadu_si256((const __m256i *)(p + 16 * k));
                x0 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm256_castsi256_si128(h)), 16));
                x1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm256_extracti128_si256(h, 1)), 16));
            } else {
                x0 = _mm256_loadu_ps((const float *)(p + 32 * k));
                x1 = _mm256_loadu_ps((const float *)(p + 32 * k + 32));
            }
            step(&a, x0, wide);
            step(&b, x1, wide);
        }
        for (; k < end; k++) {
            __m256 x;
            if (kind == 0)
                x = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(p + 16 * k)));
            else if (kind == 1)
                x = _mm256_castsi256_ps(
                    _mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(p + 16 * k))), 16));
            else
                x = _mm256_loadu_ps((const float *)(p + 32 * k));
            step(&a, x, wide);
        }
        acc_merge(&a, &b);
        acc_init(&b);
        flush_counts(&a, s, 8 * (end - done));
        done = end;
    }
    static const slm_dtype T[] = {SLM_DT_F16, SLM_DT_BF16, SLM_DT_F32};
    flush_values(&a, s, p, count, esz);
    slm_stats_put_tail(s, T[kind], p + esz * 8 * steps, count - 8 * steps);
}

FAST static uint64_t hsum_count64(__m256i c)
{
    uint64_t v[4];
    _mm256_storeu_si256((__m256i *)v, c);
    return v[0] + v[1] + v[2] + v[3];
}

FAST static inline __m256i count64(__m256i c, __m256d mask)
{
    return _mm256_sub_epi64(c, _mm256_castpd_si256(mask));
}

FAST static void add_f64(slm_stats *s, const uint8_t *p, uint64_t count)
{
    const __m256d inf = _mm256_set1_pd(INFINITY), zero = _mm256_setzero_pd();
    __m256i cfin = _mm256_setzero_si256(), cinf = cfin, czero = cfin, cunder = cfin, cover = cfin;
    __m256d vmin = inf, vmax = _mm256_set1_pd(-INFINITY), sum = zero, sq = zero;
    uint64_t steps = count / 4;
    for (uint64_t k = 0; k < steps; k++) {
        __m256d x = _mm256_loadu_pd((const double *)(p + 32 * k));
        __m256d ax = _mm256_andnot_pd(_mm256_set1_pd(-0.0), x);
        __m256d fin = _mm256_cmp_pd(ax, inf, _CMP_LT_OQ);
        cfin = count64(cfin, fin);
        cinf = count64(cinf, _mm256_cmp_pd(ax, inf, _CMP_EQ_OQ));
        czero = count64(czero, _mm256_cmp_pd(ax, zero, _CMP_EQ_OQ));
        cunder = count64(cunder, _mm256_and_pd(_mm256_cmp_pd(ax, _mm256_set1_pd(0x1p-25), _CMP_LE_OQ),
                                               _mm256_cmp_pd(ax, zero, _CMP_GT_OQ)));
        cover = count64(cover, _mm256_and_pd(fin, _mm256_cmp_pd(ax, _mm256_set1_pd(65520.0), _CMP_GE_OQ)));
        vmin = _mm256_min_pd(vmin, _mm256_blendv_pd(inf, x, fin));
        vmax = _mm256_max_pd(vmax, _mm256_blendv_pd(_mm256_set1_pd(-INFINITY), x, fin));
        __m256d xf = _mm256_and_pd(x, fin);
        sum = _mm256_add_pd(sum, xf);
        sq = _mm256_fmadd_pd(xf, xf, sq);
    }
    uint64_t n = 4 * steps, fin = hsum_count64(cfin), ninf = hsum_count64(cinf);
    s->n += n;
    s->inf += ninf;
    s->nan += n - fin - ninf;
    s->zero += hsum_count64(czero);
    s->f16_under += hsum_count64(cunder);
    s->f16_over += hsum_count64(cover);
    double mn[4], mx[4], ps[4], pq[4];
    _mm256_storeu_pd(mn, vmin);
    _mm256_storeu_pd(mx, vmax);
    _mm256_storeu_pd(ps, sum);
    _mm256_storeu_pd(pq, sq);
    double lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < 4; i++) {
        lo = mn[i] < lo ? mn[i] : lo;
        hi = mx[i] > hi ? mx[i] : hi;
    }
    slm_stats_put_minmax(s, lo, hi, p, count, 8);
    s->sum += (ps[0] + ps[1]) + (ps[2] + ps[3]);
    s->sumsq += (pq[0] + pq[1]) + (pq[2] + pq[3]);
    slm_stats_put_tail(s, SLM_DT_F64, p + 8 * n, count - n);
}

int slm_stats_isa(void)
{
    static int isa = -1; /* racy but idempotent: every thread computes the same */
    if (isa < 0) {
        unsigned a, b, c, d;
        __builtin_cpu_init();
        int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __get_cpuid(1, &a, &b, &c, &d) &&
                   (c & bit_F16C);
        int avx512 = avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                     __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
        isa = avx512 ? SLM_ISA_AVX512 : avx2 ? SLM_ISA_AVX2 : SLM_ISA_NONE;
    }
    return isa;
}

bool slm_stats_add_isa(slm_stats *s, slm_dtype t, const uint8_t *data, uint64_t first, uint64_t count, int isa)
{
    if (count < 64 || isa == SLM_ISA_NONE || isa > slm_stats_isa())
        return false;
    if (isa == SLM_ISA_AVX512 && slm_stats_avx512(s, t, data + (size_t)(slm_dtype_info_of(t)->bits / 8) * first, count))
        return true;
    switch (t) {
    case SLM_DT_F16: add_floats(s, 0, data + 2 * first, count); return true;
    case SLM_DT_BF16: add_floats(s, 1, data + 2 * first, count); return true;
    case SLM_DT_F32: add_floats(s, 2, data + 4 * first, count); return true;
    case SLM_DT_F64: add_f64(s, data + 8 * first, count); return true;
    default: return false;
    }
}

bool slm_stats_add_fast(slm_stats *s, slm_dtype t, const uint8_t *data, uint64_t first, uint64_t count)
{
    return slm_stats_add_isa(s, t, data, first, count, slm_stats_isa());
}

#else

int slm_stats_isa(void) { return SLM_ISA_NONE; }

bool slm_stats_add_isa(slm_stats *s, slm_dtype t, const uint8_t *data, uint64_t first, uint64_t count, int isa)
{
    (void)s, (void)t, (void)data, (void)first, (void)count, (void)isa;
    return false;
}

bool slm_stats_add_fast(slm_stats *s, slm_dtype t, const uint8_t *data, uint64_t first, uint64_t count)
{
    (void)s, (void)t, (void)data, (void)first, (void)count;
    return false;
}

#endif

/* ---- shared by the kernels (any architecture) ------------------------------- */

static double first_zero(const uint8_t *p, uint64_t n, size_t esz)
{
    for (uint64_t i = 0; i < n; i++) {
        uint64_t u = 0;
        memcpy(&u, p + esz * i, esz); /* little-endian: the sign is the top bit of ESZ bytes */
        uint64_t sign = 1ull << (8 * esz - 1);
        if ((u & (sign - 1)) == 0)
            return u ? -0.0 : 0.0;
    }
    return 0.0;
}

void slm_stats_put_minmax(slm_stats *s, double lo, double hi, const uint8_t *p, uint64_t n, size_t esz)
{
    if (lo < s->min)
        s->min = lo == 0 ? first_zero(p, n, esz) : lo;
    if (hi > s->max)
        s->max = hi == 0 ? first_zero(p, n, esz) : hi;
}

void slm_stats_put_tail(slm_stats *s, slm_dtype t, const uint8_t *p, uint64_t n)
{
    if (!n)
        return;
    slm_stats tail;
    slm_stats_init(&tail);
    slm_stats_add_ref(&tail, t, p, 0, n);
    slm_stats_merge(s, &tail); /* keeps S's min/max on a tie: the definition keeps the first */
}

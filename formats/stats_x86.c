/* Value statistics with AVX2 (+F16C, FMA): the fast path of slm_stats_add
 * (stats_fast.h).  The definition is slm_stats_add_ref (tensor.c); these
 * kernels give the same counts and the same min and max, and sum and sumsq
 * up to the order of the additions (tests/test_values.c compares them on
 * NaN payloads, subnormals, infinities and values at fp16's limits).
 *
 * Eight float lanes per step (F16 through vcvtph2ps, BF16 by a 16-bit shift,
 * F32 as is), four double lanes for F64.  Per lane: finite, Inf, zero and,
 * for types wider than fp16, fp16 underflow (0 < |v| <= 2^-25) and overflow
 * (|v| >= 65520) as masks subtracted from integer counters; NaN is what is
 * neither finite nor Inf.  min/max over finite values (the others replaced by
 * +-Inf); sum and sumsq of the finite values in double.  The definition
 * keeps the first of equal values, which matters only for the sign of a zero
 * min or max: that zero is the first zero of the data, found afterwards. */
#include "stats_fast.h"

#include <math.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <immintrin.h>

#define FAST __attribute__((target("avx2,fma,f16c")))

/* Counter lanes are 32-bit: a block of at most BLOCK steps cannot wrap them. */
enum { BLOCK = 1 << 30 };

typedef struct acc {
    __m256i fin, inf, zero, under, over; /* per lane, how often it matched (a mask is -1) */
    __m256 vmin, vmax;
    __m256d sum0, sum1, sq0, sq1;
} acc;

FAST static void acc_init(acc *a)
{
    a->fin = a->inf = a->zero = a->under = a->over = _mm256_setzero_si256();
    a->vmin = _mm256_set1_ps(INFINITY);
    a->vmax = _mm256_set1_ps(-INFINITY);
    a->sum0 = a->sum1 = a->sq0 = a->sq1 = _mm256_setzero_pd();
}

FAST static inline __m256i count(__m256i c, __m256 mask)
{
    return _mm256_sub_epi32(c, _mm256_castps_si256(mask));
}

/* One step of eight floats; WIDE: count fp16 under/overflow too. */
FAST static inline void step(acc *a, __m256 x, int wide)
{
    const __m256 inf = _mm256_set1_ps(INFINITY);
    __m256 ax = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x);
    __m256 fin = _mm256_cmp_ps(ax, inf, _CMP_LT_OQ);
    a->fin = count(a->fin, fin);
    a->inf = count(a->inf, _mm256_cmp_ps(ax, inf, _CMP_EQ_OQ));
    a->zero = count(a->zero, _mm256_cmp_ps(ax, _mm256_setzero_ps(), _CMP_EQ_OQ));
    if (wide) {
        __m256 under = _mm256_and_ps(_mm256_cmp_ps(ax, _mm256_set1_ps(0x1p-25f), _CMP_LE_OQ),
                                     _mm256_cmp_ps(ax, _mm256_setzero_ps(), _CMP_GT_OQ));
        a->under = count(a->under, under);
        a->over = count(a->over, _mm256_and_ps(fin, _mm256_cmp_ps(ax, _mm256_set1_ps(65520.0f), _CMP_GE_OQ)));
    }
    a->vmin = _mm256_min_ps(a->vmin, _mm256_blendv_ps(inf, x, fin));
    a->vmax = _mm256_max_ps(a->vmax, _mm256_blendv_ps(_mm256_set1_ps(-INFINITY), x, fin));
    __m256 xf = _mm256_and_ps(x, fin);
    __m256d lo = _mm256_cvtps_pd(_mm256_castps256_ps128(xf)), hi = _mm256_cvtps_pd(_mm256_extractf128_ps(xf, 1));
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
    uint64_t fin = hsum_count(a->fin), inf = hsum_count(a->inf);
    s->n += n;
    s->inf += inf;
    s->nan += n - fin - inf;
    s->zero += hsum_count(a->zero);
    s->f16_under += hsum_count(a->under);
    s->f16_over += hsum_count(a->over);
    a->fin = a->inf = a->zero = a->under = a->over = _mm256_setzero_si256();
}

/* Min, max and sums of A into S.  FIRST_ZERO(ctx): -0.0 or +0.0, the first
 * zero of the data (called only when there is one and it decides). */
FAST static void flush_values(const acc *a, slm_stats *s, double (*first_zero)(const void *), const void *ctx)
{
    float mn[8], mx[8];
    double p[4], q[4];
    _mm256_storeu_ps(mn, a->vmin);
    _mm256_storeu_ps(mx, a->vmax);
    double lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < 8; i++) {
        lo = mn[i] < lo ? mn[i] : lo;
        hi = mx[i] > hi ? mx[i] : hi;
    }
    if (lo < s->min)
        s->min = lo == 0 ? first_zero(ctx) : lo;
    if (hi > s->max)
        s->max = hi == 0 ? first_zero(ctx) : hi;
    _mm256_storeu_pd(p, _mm256_add_pd(a->sum0, a->sum1));
    _mm256_storeu_pd(q, _mm256_add_pd(a->sq0, a->sq1));
    s->sum += (p[0] + p[1]) + (p[2] + p[3]);
    s->sumsq += (q[0] + q[1]) + (q[2] + q[3]);
}

typedef struct span {
    const uint8_t *p;
    uint64_t n;
} span;

static double first_zero16(const void *ctx)
{
    const span *x = ctx;
    for (uint64_t i = 0; i < x->n; i++) {
        uint16_t h;
        memcpy(&h, x->p + 2 * i, 2);
        if ((h & 0x7fff) == 0)
            return h ? -0.0 : 0.0;
    }
    return 0.0;
}

static double first_zero32(const void *ctx)
{
    const span *x = ctx;
    for (uint64_t i = 0; i < x->n; i++) {
        uint32_t u;
        memcpy(&u, x->p + 4 * i, 4);
        if ((u & 0x7fffffffu) == 0)
            return u ? -0.0 : 0.0;
    }
    return 0.0;
}

static double first_zero64(const void *ctx)
{
    const span *x = ctx;
    for (uint64_t i = 0; i < x->n; i++) {
        uint64_t u;
        memcpy(&u, x->p + 8 * i, 8);
        if ((u & 0x7fffffffffffffffull) == 0)
            return u ? -0.0 : 0.0;
    }
    return 0.0;
}

/* KIND: 0 F16, 1 BF16, 2 F32. */
FAST static void add_floats(slm_stats *s, int kind, const uint8_t *p, uint64_t count)
{
    const size_t esz = kind == 2 ? 4 : 2;
    const int wide = kind != 0; /* no fp16 value under- or overflows fp16 */
    acc a;
    acc_init(&a);
    uint64_t steps = count / 8, done = 0;
    while (done < steps) {
        uint64_t end = done + (steps - done < BLOCK ? steps - done : BLOCK);
        uint64_t k = done;
        if (kind == 0)
            for (; k + 1 < end; k += 2) { /* two steps per load: 32 bytes */
                __m256i h = _mm256_loadu_si256((const __m256i *)(p + 16 * k));
                step(&a, _mm256_cvtph_ps(_mm256_castsi256_si128(h)), 0);
                step(&a, _mm256_cvtph_ps(_mm256_extracti128_si256(h, 1)), 0);
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
        flush_counts(&a, s, 8 * (end - done));
        done = end;
    }
    span sp = {p, count};
    flush_values(&a, s, kind == 2 ? first_zero32 : first_zero16, &sp);
    /* the tail, by the definition: its min/max ties resolve against S's */
    slm_stats tail;
    slm_stats_init(&tail);
    static const slm_dtype T[] = {SLM_DT_F16, SLM_DT_BF16, SLM_DT_F32};
    uint64_t rest = count - 8 * steps;
    if (rest) {
        double mn = s->min, mx = s->max;
        slm_stats_add_ref(&tail, T[kind], p + esz * 8 * steps, 0, rest);
        slm_stats_merge(s, &tail);
        /* merge keeps S's value on a tie, as the definition keeps the first */
        if (tail.min == mn)
            s->min = mn;
        if (tail.max == mx)
            s->max = mx;
    }
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
    span sp = {p, count};
    if (lo < s->min)
        s->min = lo == 0 ? first_zero64(&sp) : lo;
    if (hi > s->max)
        s->max = hi == 0 ? first_zero64(&sp) : hi;
    s->sum += (ps[0] + ps[1]) + (ps[2] + ps[3]);
    s->sumsq += (pq[0] + pq[1]) + (pq[2] + pq[3]);
    uint64_t rest = count - n;
    if (rest) {
        double omn = s->min, omx = s->max;
        slm_stats tail;
        slm_stats_init(&tail);
        slm_stats_add_ref(&tail, SLM_DT_F64, p + 8 * n, 0, rest);
        slm_stats_merge(s, &tail);
        if (tail.min == omn)
            s->min = omn;
        if (tail.max == omx)
            s->max = omx;
    }
}

static int have_avx2(void)
{
    static int have = -1; /* racy but idempotent: every thread computes the same */
    if (have < 0) {
        unsigned a, b, c, d;
        __builtin_cpu_init();
        have = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __get_cpuid(1, &a, &b, &c, &d) &&
               (c & bit_F16C);
    }
    return have;
}

bool slm_stats_add_fast(slm_stats *s, slm_dtype t, const uint8_t *data, uint64_t first, uint64_t count)
{
    if (count < 64 || !have_avx2())
        return false;
    switch (t) {
    case SLM_DT_F16: add_floats(s, 0, data + 2 * first, count); return true;
    case SLM_DT_BF16: add_floats(s, 1, data + 2 * first, count); return true;
    case SLM_DT_F32: add_floats(s, 2, data + 4 * first, count); return true;
    case SLM_DT_F64: add_f64(s, data + 8 * first, count); return true;
    default: return false;
    }
}

#else

bool slm_stats_add_fast(slm_stats *s, slm_dtype t, const uint8_t *data, uint64_t first, uint64_t count)
{
    (void)s, (void)t, (void)data, (void)first, (void)count;
    return false;
}

#endif

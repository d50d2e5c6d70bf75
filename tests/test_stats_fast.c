/* The SIMD value scan (formats/stats_x86.c) against its definition,
 * slm_stats_add_ref: the same counts (NaN, Inf, zero, fp16 under- and
 * overflow), the same min and max to the bit (the sign of a zero too), sums
 * up to rounding -- on adversarial inputs built from a seeded generator:
 * NaN payloads of both signs, subnormals, infinities, values at and around
 * fp16's limits (65504, 65520, 2^-24, 2^-25), zeros of both signs in either
 * order, and lengths that leave tails of every size. */
#include "test.h"
#include "../formats/stats_fast.h"

#include <stdint.h>

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Special values, as doubles (NaN payloads are written per type below). */
static const double SPECIAL[] = {
    0.0, -0.0, INFINITY, -INFINITY, 65504.0, -65504.0, 65519.0, 65520.0, -65520.0, 65536.0, 1e6, -3e38,
    0x1p-24, -0x1p-24, 0x1p-25, -0x1p-25, 0x1.0000000000001p-25, 0x1.000002p-25, 0x1.fffffep-26, 0x1p-149,
    -0x1p-149, 0x1p-126, 0x1.fffffcp-127, 0x1p-14, 0x1.ff8p-15, 1.0, -1.0, 0.5, 3.14159, 1e-30, 1e300, -1e-310,
};
enum { NSPECIAL = sizeof SPECIAL / sizeof SPECIAL[0] };

/* One element of type T, at I of BUF: a special value, a NaN with a random
 * payload, or a random normal value; MODE 1: non-negative values and zeros
 * only (min ties at zero), 2: non-positive only (max ties at zero). */
static void put(slm_dtype t, uint8_t *buf, size_t i, int mode)
{
    uint64_t r = next();
    double v;
    int pick = (int)(r % 8);
    if (pick == 0 && mode == 0) { /* a NaN, any payload, either sign */
        uint64_t pay = next();
        if (t == SLM_DT_F16 || t == SLM_DT_BF16) {
            uint16_t h = t == SLM_DT_F16 ? (uint16_t)(0x7c00 | ((pay & 0x3ff) | 1)) : (uint16_t)(0x7f80 | ((pay & 0x7f) | 1));
            h |= (uint16_t)((pay >> 20 & 1) << 15);
            memcpy(buf + 2 * i, &h, 2);
        } else if (t == SLM_DT_F32) {
            uint32_t u = 0x7f800000u | (uint32_t)((pay & 0x7fffff) | 1) | (uint32_t)(pay >> 40 & 1) << 31;
            memcpy(buf + 4 * i, &u, 4);
        } else {
            uint64_t u = 0x7ff0000000000000ull | ((pay & 0xfffffffffffffull) | 1) | (pay >> 63) << 63;
            memcpy(buf + 8 * i, &u, 8);
        }
        return;
    }
    if (pick <= 3)
        v = SPECIAL[next() % NSPECIAL];
    else
        v = ldexp((double)(next() % 2048) - 1024, (int)(next() % 60) - 40);
    if (mode == 1)
        v = isnan(v) ? 0.0 : fabs(v) == INFINITY ? 2.0 : (next() % 3 == 0 ? (next() & 1 ? -0.0 : 0.0) : fabs(v));
    if (mode == 2)
        v = isnan(v) ? 0.0 : fabs(v) == INFINITY ? -2.0 : (next() % 3 == 0 ? (next() & 1 ? -0.0 : 0.0) : -fabs(v));
    if (t == SLM_DT_F16) {
        uint16_t h = slm_f32_to_f16((float)v);
        memcpy(buf + 2 * i, &h, 2);
    } else if (t == SLM_DT_BF16) {
        float f = (float)v;
        uint32_t u;
        memcpy(&u, &f, 4);
        uint16_t h = (uint16_t)(u >> 16);
        memcpy(buf + 2 * i, &h, 2);
    } else if (t == SLM_DT_F32) {
        float f = (float)v;
        memcpy(buf + 4 * i, &f, 4);
    } else
        memcpy(buf + 8 * i, &v, 8);
}

static bool same_bits(double a, double b) { return memcmp(&a, &b, sizeof a) == 0; }

static void compare(const char *what, const slm_stats *f, const slm_stats *r)
{
    CHECK_MSG(f->n == r->n && f->nan == r->nan && f->inf == r->inf && f->zero == r->zero &&
                  f->f16_over == r->f16_over && f->f16_under == r->f16_under,
              "%s: counts n %llu/%llu nan %llu/%llu inf %llu/%llu zero %llu/%llu over %llu/%llu under %llu/%llu", what,
              (unsigned long long)f->n, (unsigned long long)r->n, (unsigned long long)f->nan,
              (unsigned long long)r->nan, (unsigned long long)f->inf, (unsigned long long)r->inf,
              (unsigned long long)f->zero, (unsigned long long)r->zero, (unsigned long long)f->f16_over,
              (unsigned long long)r->f16_over, (unsigned long long)f->f16_under, (unsigned long long)r->f16_under);
    CHECK_MSG(same_bits(f->min, r->min) && same_bits(f->max, r->max), "%s: min %a/%a max %a/%a", what, f->min, r->min,
              f->max, r->max);
    double tol = 1e-9 * fmax(1.0, sqrt(r->sumsq * (double)r->n));
    CHECK_MSG(f->sum == r->sum || fabs(f->sum - r->sum) <= tol, "%s: sum %.17g, expected %.17g", what, f->sum, r->sum);
    CHECK_MSG(f->sumsq == r->sumsq || fabs(f->sumsq - r->sumsq) <= 1e-12 * fmax(1.0, r->sumsq), "%s: sumsq %.17g, expected %.17g", what,
              f->sumsq, r->sumsq);
}

/* The kernels of ISA, or (short arrays, other types) slm_stats_add. */
static int isa = SLM_ISA_AVX2;
static void add(slm_stats *s, slm_dtype t, const uint8_t *buf, uint64_t first, uint64_t n)
{
    if (!slm_stats_add_isa(s, t, buf, first, n, isa))
        slm_stats_add(s, t, buf, first, n);
}

static void case_of(slm_dtype t, size_t n, int mode, uint8_t *buf)
{
    size_t esz = slm_dtype_info_of(t)->bits / 8;
    for (size_t i = 0; i < n; i++)
        put(t, buf, i, mode);
    slm_stats f, r;
    slm_stats_init(&f);
    slm_stats_init(&r);
    add(&f, t, buf, 0, n);
    slm_stats_add_ref(&r, t, buf, 0, n);
    char what[96];
    snprintf(what, sizeof what, "%s n=%zu mode %d isa %d", slm_dtype_name(t), n, mode, isa);
    compare(what, &f, &r);
    /* in two pieces, the second from an odd element: ties across calls */
    size_t cut = n / 3 | 1;
    if (cut < n) {
        slm_stats_init(&f);
        add(&f, t, buf, 0, cut);
        add(&f, t, buf, cut, n - cut);
        snprintf(what, sizeof what, "%s n=%zu mode %d isa %d in two pieces", slm_dtype_name(t), n, mode, isa);
        compare(what, &f, &r);
    }
    (void)esz;
}

/* The kernels of ISA run at all on this machine (else the comparisons
 * compare the definition with itself): on x86-64 with AVX2 at least. */
static void fast_path_taken(int level)
{
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (level == SLM_ISA_AVX2)
        CHECK_MSG(!__builtin_cpu_supports("avx2") || slm_stats_isa() >= SLM_ISA_AVX2, "AVX2 not detected");
    if (level == SLM_ISA_AVX512)
        CHECK_MSG(!__builtin_cpu_supports("avx512bw") || slm_stats_isa() == SLM_ISA_AVX512, "AVX-512 not detected");
    if (slm_stats_isa() < level)
        return;
    static uint8_t buf[8 * 256];
    memset(buf, 0, sizeof buf);
    static const slm_dtype T[] = {SLM_DT_F16, SLM_DT_BF16, SLM_DT_F32, SLM_DT_F64};
    for (size_t k = 0; k < 4; k++) {
        slm_stats s;
        slm_stats_init(&s);
        CHECK_MSG(slm_stats_add_isa(&s, T[k], buf, 0, 256, level), "no kernel of level %d for %s", level,
                  slm_dtype_name(T[k]));
        CHECK_EQ_U64(s.zero, 256);
    }
#else
    (void)level;
#endif
}

/* Hand-picked: the first zero decides the sign of a zero min/max, and a
 * zero min found in the vector part beats a later one in the tail. */
static void zero_signs(void)
{
    float v[67];
    for (int i = 0; i < 67; i++)
        v[i] = 1.0f + (float)i;
    v[5] = -0.0f;
    v[40] = 0.0f;
    v[66] = -0.0f;
    slm_stats f, r;
    slm_stats_init(&f);
    slm_stats_init(&r);
    slm_stats_add(&f, SLM_DT_F32, (const uint8_t *)v, 0, 67);
    slm_stats_add_ref(&r, SLM_DT_F32, (const uint8_t *)v, 0, 67);
    compare("f32 -0 first", &f, &r);
    CHECK(signbit(f.min));
    v[5] = 0.0f;
    slm_stats_init(&f);
    slm_stats_init(&r);
    slm_stats_add(&f, SLM_DT_F32, (const uint8_t *)v, 0, 67);
    slm_stats_add_ref(&r, SLM_DT_F32, (const uint8_t *)v, 0, 67);
    compare("f32 +0 first", &f, &r);
    CHECK(!signbit(f.min) && f.min == 0);
}

int main(void)
{
    static const slm_dtype T[] = {SLM_DT_F16, SLM_DT_BF16, SLM_DT_F32, SLM_DT_F64};
    static const size_t N[] = {0, 1, 7, 63, 64, 65, 71, 72, 127, 128, 129, 200, 1000, 4097, 65543};
    enum { BIG = 1100003 }; /* > 2 blocks of the kernels' counters (stats_x86.c BLOCK) */
    uint8_t *buf = malloc(8 * (size_t)BIG);
    if (!buf)
        return 1;
    zero_signs();
    for (isa = SLM_ISA_AVX2; isa <= SLM_ISA_AVX512; isa++) {
        fast_path_taken(isa);
        if (slm_stats_isa() < isa)
            continue;
        for (size_t k = 0; k < sizeof T / sizeof T[0]; k++)
            for (size_t j = 0; j < sizeof N / sizeof N[0]; j++)
                for (int mode = 0; mode < 3; mode++)
                    for (int rep = 0; rep < 4; rep++)
                        case_of(T[k], N[j], mode, buf);
        for (size_t k = 0; k < sizeof T / sizeof T[0]; k++)
            case_of(T[k], BIG, 0, buf);
    }
    free(buf);
    return test_done("test_stats_fast");
}

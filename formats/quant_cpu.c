/* Quantized weights: the fast kernels' dispatch (slm/quant.h).  The level
 * (scalar, SSE2, AVX2, AVX-512) is chosen once at run time; each level's
 * kernels live in quant_x86_*.c and are held to the reference (quant.c) by
 * tests/test_quant.c. */
#include "quant_internal.h"
#include "slm/ggml_quants.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const level_names[] = {"scalar", "sse2", "avx2", "avx512"};

#ifdef SLM_X86
/* AVX-512F usable: CPUID leaf 7 has it and the OS saves its state (XCR0:
 * SSE and AVX bits 1-2, opmask and both halves of the zmm registers bits
 * 5-7), read with XGETBV once CPUID leaf 1 says OSXSAVE. */
static bool avx512_usable(void)
{
    unsigned a, b, c, d, lo, hi;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 27)) || __get_cpuid_max(0, NULL) < 7)
        return false;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    (void)hi;
    if ((lo & 0xe6u) != 0xe6u)
        return false;
    __cpuid_count(7, 0, a, b, c, d);
    return (b & (1u << 16)) != 0;
}
#endif

static kernel_level detect(void)
{
    kernel_level best = KER_SCALAR;
#ifdef SLM_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("sse2"))
        best = KER_SSE2;
    unsigned a, b, c, d; /* F16C from CPUID leaf 1 (clang 14 lacks __builtin_cpu_supports("f16c")) */
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __get_cpuid(1, &a, &b, &c, &d) &&
        (c & bit_F16C)) {
        best = KER_AVX2;
        if (avx512_usable())
            best = KER_AVX512;
    }
#endif
    const char *force = getenv("SLM_QUANT_KERNEL");
    for (int i = KER_SCALAR; force && i <= KER_AVX512; i++)
        if (strcmp(force, level_names[i]) == 0 && (kernel_level)i < best)
            best = (kernel_level)i;
    return best;
}

#ifdef SLM_X86
/* Seconds for N rounds of 8 independent FMAs of W and X (best of 5). */
__attribute__((target(T256), noinline)) static double fma_seconds(float w, float x, int n)
{
    double best = 1e9;
    for (int trial = 0; trial < 5; trial++) {
        __m256 vw = _mm256_set1_ps(w), vx = _mm256_set1_ps(x), a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0,
               a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (int i = 0; i < n; i++) {
            __asm__ volatile("" : "+x"(vw)); /* a new W every round: nothing hoisted */
            a0 = _mm256_fmadd_ps(vw, vx, a0), a1 = _mm256_fmadd_ps(vw, vx, a1);
            a2 = _mm256_fmadd_ps(vw, vx, a2), a3 = _mm256_fmadd_ps(vw, vx, a3);
            a4 = _mm256_fmadd_ps(vw, vx, a4), a5 = _mm256_fmadd_ps(vw, vx, a5);
            a6 = _mm256_fmadd_ps(vw, vx, a6), a7 = _mm256_fmadd_ps(vw, vx, a7);
        }
        __m256 sum = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
                                   _mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(a6, a7)));
        __asm__ volatile("" : : "x"(sum));
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double t = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
        if (t < best)
            best = t;
    }
    return best;
}
#endif

/* FMAs with a subnormal input at least half as fast as with normal ones:
 * on Zen 4 alike; where a CPU takes a microcode assist for them (over 100
 * cycles an FMA) the difference is 50-fold, so the test cannot be fooled
 * by a busy machine the other way. */
static bool subnormals_fast(void)
{
    const char *force = getenv("SLM_QUANT_SUBNORMAL");
    if (force && strcmp(force, "slow") == 0)
        return false;
#ifdef SLM_X86
    if (slm_qi_level() < KER_AVX2)
        return false;
    double normal = fma_seconds(1.5f, 0.75f, 4000), sub = fma_seconds(0x1p-140f, 0x1p100f, 4000);
    return sub < 2 * normal;
#else
    return false;
#endif
}

bool slm_qi_subnormals_fast(void)
{
    static _Atomic int cached = -1; /* every thread computes the same */
    int v = atomic_load_explicit(&cached, memory_order_relaxed);
    if (v < 0) {
        v = subnormals_fast();
        atomic_store_explicit(&cached, v, memory_order_relaxed);
    }
    return v != 0;
}

kernel_level slm_qi_level(void)
{
    static _Atomic int cached = -1; /* every thread computes the same */
    int v = atomic_load_explicit(&cached, memory_order_relaxed);
    if (v < 0) {
        v = (int)detect();
        atomic_store_explicit(&cached, v, memory_order_relaxed);
    }
    return (kernel_level)v;
}

const char *slm_q_kernel(void)
{
    return level_names[slm_qi_level()];
}

/* The rows the SIMD kernels take: a nibble or byte stream per row, blocks
 * of a multiple of 16 elements, no g_idx. */
bool slm_qi_streamable(const slm_qweight *q)
{
    return q->layout != SLM_QL_DQL_BLOCKED && q->layout != SLM_QL_GGML && !q->g_idx && q->block_size % 16 == 0;
}

/* Scales and zero points of row R as floats (NB of each). */
void slm_qi_row_params(const slm_qweight *q, const qgeom *g, uint64_t r, float *s, float *z)
{
    for (uint64_t b = 0; b < g->nb; b++) {
        s[b] = slm_qi_scale_at(q, g, r, b);
        z[b] = slm_qi_zp_at(q, g, r, b);
    }
}

bool slm_qi_rowbuf_get(rowbuf *rb, uint64_t nb)
{
    rb->heap = NULL;
    if (nb <= 512) {
        rb->s = rb->small;
        rb->z = rb->small + 512;
        return true;
    }
    if (nb > SIZE_MAX / (2 * sizeof(float)))
        return false;
    rb->heap = malloc(2 * nb * sizeof(float));
    rb->s = rb->heap;
    rb->z = rb->heap ? rb->heap + nb : NULL;
    return rb->heap != NULL;
}

bool slm_qi_xlanes_make(slm_qi_xlanes *p, const slm_qweight *q, const float *x, uint64_t m)
{
    uint64_t n;
    p->x = NULL;
    if (!slm_mul_u64(slm_qweight_blocks(q), q->block_size, &p->used) || p->used > UINT64_MAX - 31)
        return false;
    p->kq = (p->used + 31) & ~(uint64_t)31;
    if (!slm_mul_u64(p->kq, 16 * ((m + 15) / 16), &n) || !(p->x = slm_qi_zalloc64(n)))
        return false;
    for (uint64_t i = 0; i < m; i++) {
        float *dst = p->x + (i / 16) * p->kq * 16 + i % 16;
        for (uint64_t k = 0; k < p->kq; k++) {
            uint64_t e = slm_qi_lane_elem(q->bits, k);
            if (e < q->K)
                dst[16 * k] = x[i * q->K + e];
        }
    }
    return true;
}

/* P(u): the bit class U's field is masked at (step_avx2, chunk_avx512). */
static unsigned raw_bit(unsigned bits, unsigned u)
{
    if (bits == 4)
        return 4 * (u < 5 ? u : u - 4);
    return u < 3 ? 8 * u : 0;
}

/* For a row of K activations X: FACTOR[u], the scale of class u, and *UP =
 * 2^c (slm_qi_xrows). */
static void raw_factors(unsigned bits, bool raw, const float *x, uint64_t k, double factor[8], double *up)
{
    float mx = 0;
    for (uint64_t i = 0; i < k; i++)
        if (isfinite(x[i]) && fabsf(x[i]) > mx)
            mx = fabsf(x[i]);
    /* |x| < 2^(e+1), so |x| 2^(149-P-c) < 2^128; e >= -100 loses nothing
     * (products of the smallest floats stay normal) */
    int e = mx > 0 ? ilogbf(mx) : 0, c = 22 + (e < -100 ? -100 : e);
    for (unsigned u = 0; u < 32 / bits; u++)
        factor[u] = ldexp(1.0, (raw ? 149 : 0) - (int)raw_bit(bits, u) - c); /* up to 2^227: a double */
    *up = ldexp(1.0, c);
}

void slm_qi_xrows_free(slm_qi_xrows *p)
{
    free(p->x);
    free(p->bsum);
    free(p->up);
}

bool slm_qi_xrows_make(slm_qi_xrows *p, const slm_qweight *q, const float *x, uint64_t m, unsigned lanes, bool raw)
{
    uint64_t E = 32 / q->bits, CE = lanes * E, n1, n2;
    p->x = p->bsum = NULL;
    p->up = NULL;
    p->nbk = slm_qweight_blocks(q);
    p->nbp = p->nbk + 16; /* vector reads of the block sums never leave the row */
    if (!slm_mul_u64(p->nbk, q->block_size, &p->used))
        return false;
    p->nch = p->used / CE + (p->used % CE != 0);
    if (!slm_mul_u64(p->nch, CE, &p->kq) || !slm_mul_u64(p->kq, m, &n1) || !slm_mul_u64(p->nbp, m, &n2))
        return false;
    p->x = slm_qi_zalloc64(n1);
    p->bsum = slm_qi_zalloc64(n2);
    p->up = malloc((m ? m : 1) * sizeof *p->up);
    if (!p->x || !p->bsum || !p->up) {
        slm_qi_xrows_free(p);
        return false;
    }
    /* log2 E, log2 lanes, log2 block_size */
    unsigned le = q->bits == 4 ? 3 : 2, ll = lanes == 16 ? 4 : 3, lbs = (unsigned)__builtin_ctzll(q->block_size);
    for (uint64_t i = 0; i < m; i++) {
        float *dst = p->x + i * p->kq, *bsum = p->bsum + i * p->nbp;
        const float *src = x + i * q->K;
        double factor[8];
        raw_factors(q->bits, raw, src, q->K, factor, &p->up[i]);
        for (uint64_t k = 0; k < q->K; k++) {
            uint64_t e = k & (CE - 1), u = e & (E - 1);
            dst[k - e + (u << ll) + (e >> le)] = (float)(src[k] * factor[u]);
            bsum[k >> lbs] += src[k];
        }
    }
    return true;
}

float *slm_qi_zalloc64(uint64_t n)
{
    if (n > (SIZE_MAX - 64) / sizeof(float))
        return NULL;
    size_t bytes = ((size_t)n * sizeof(float) + 63) & ~(size_t)63;
    float *p = aligned_alloc(64, bytes ? bytes : 64);
    if (p)
        memset(p, 0, bytes);
    return p;
}

void slm_q_dequant_row(const slm_qweight *q, uint64_t r, float *out)
{
    qgeom g;
    if (q->layout == SLM_QL_GGML) {
        if (!slm_qi_geom(q, &g) && r < q->N)
            slm_ggml_dequant(q->ggml_type, q->q->data + r * g.row_bytes, q->K, out);
        return;
    }
    kernel_level lv = slm_qi_level();
    if (lv == KER_SCALAR || !slm_qi_streamable(q) || slm_qi_geom(q, &g) || r >= q->N) {
        slm_q_dequant_row_ref(q, r, out);
        return;
    }
#ifdef SLM_X86
    rowbuf rb;
    if (!slm_qi_rowbuf_get(&rb, g.nb)) {
        slm_q_dequant_row_ref(q, r, out);
        return;
    }
    slm_qi_row_params(q, &g, r, rb.s, rb.z);
    const uint8_t *row = q->q->data + r * g.row_bytes;
    if (lv == KER_AVX512)
        slm_qi_deq_row_avx512(q, row, rb.s, rb.z, out);
    else if (lv == KER_AVX2)
        slm_qi_deq_row_avx2(q, row, rb.s, rb.z, out);
    else
        slm_qi_deq_row_sse2(q, row, rb.s, rb.z, out);
    free(rb.heap);
#endif
}

/* Generic fast path: each row dequantized once (fast), float dot products. */
static void matmul_rows(const slm_qweight *q, const float *x, uint64_t m, float *y)
{
    float *w = malloc((q->K ? q->K : 1) * sizeof *w);
    if (!w)
        return;
    for (uint64_t r = 0; r < q->N; r++) {
        slm_q_dequant_row(q, r, w);
        for (uint64_t i = 0; i < m; i++) {
            const float *xi = x + i * q->K;
            float acc[8] = {0};
            uint64_t k = 0;
            for (; k + 8 <= q->K; k += 8)
                for (int j = 0; j < 8; j++)
                    acc[j] += xi[k + j] * w[k + j];
            float t = 0;
            for (; k < q->K; k++)
                t += xi[k] * w[k];
            y[i * q->N + r] = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])) + t;
        }
    }
    free(w);
}

void slm_q_matmul(const slm_qweight *q, const float *x, uint64_t m, float *y)
{
    qgeom g;
    if (slm_qi_geom(q, &g))
        return;
#ifdef SLM_X86
    bool pow2 = !(q->block_size & (q->block_size - 1)); /* the SIMD kernels shift, never divide */
    if (slm_qi_level() == KER_AVX512 && slm_qi_streamable(q) && pow2 && slm_qi_matmul_avx512(q, &g, x, m, y))
        return;
    if (slm_qi_level() >= KER_AVX2 && slm_qi_streamable(q) && pow2 && slm_qi_matmul_avx2(q, &g, x, m, y))
        return;
#endif
    matmul_rows(q, x, m, y);
}


void slm_q_load_row(slm_dtype t, const uint8_t *data, uint64_t first, uint64_t stride, uint64_t n, float *out)
{
#ifdef SLM_X86
    if (t == SLM_DT_F16 && stride == 1 && slm_qi_level() >= KER_AVX2) {
        slm_qi_f16_row_avx2(data + 2 * first, n, out);
        return;
    }
#endif
    if (t == SLM_DT_F32 && stride == 1) {
        memcpy(out, data + 4 * first, n * 4);
        return;
    }
    for (uint64_t i = 0; i < n; i++) {
        uint64_t j = first + i * stride;
        uint16_t h;
        switch (t) {
        case SLM_DT_F16: memcpy(&h, data + 2 * j, 2); out[i] = slm_f16_to_f32(h); break;
        case SLM_DT_BF16: memcpy(&h, data + 2 * j, 2); out[i] = slm_bf16_to_f32(h); break;
        case SLM_DT_F32: memcpy(&out[i], data + 4 * j, 4); break;
        default: out[i] = (float)slm_dtype_get_f64(t, data, j);
        }
    }
}

double slm_q_dot(const float *a, const float *b, uint64_t n)
{
#ifdef SLM_X86
    if (slm_qi_level() >= KER_AVX2)
        return slm_qi_dot_avx2(a, b, n);
#endif
    double t = 0;
    for (uint64_t i = 0; i < n; i++)
        t += (double)a[i] * b[i];
    return t;
}


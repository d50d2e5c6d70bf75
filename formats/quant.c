/* Quantized weights: reference kernels, fast kernels, error metrics
 * (slm/quant.h).
 *
 * W is N rows (output features) by K columns (input features); Y = X W^T.
 * Every layout below is read for row r, element k (0 <= k < K), block
 * b = k / bs (or g_idx[k] when MatMulNBits has g_idx), nb = ceil(K / bs).
 *
 * com.microsoft MatMulNBits (bits = 4 or 8):
 *
 *   B      uint8 [N][nb][bs*bits/8]   row r's blocks back to back; the last
 *                                     block is padded when K % bs != 0
 *   4 bits: byte j of a row holds elements 2j and 2j+1, low nibble first
 *
 *       byte j:   7 6 5 4 | 3 2 1 0
 *                 e[2j+1] | e[2j]            e in 0..15
 *
 *   8 bits: byte j holds element j (0..255)
 *   scales         [N * nb]   float, float16 or bfloat16, index r*nb + b
 *   zero_points    absent: 2^(bits-1) (8 or 128)
 *                  uint8 packed [N][ceil(nb*bits/8)]: block b of row r in
 *                  byte r*stride + b*bits/8, 4 bits: low nibble = even b
 *                  typed (the scales' type) [N * nb]: any value
 *   w[r][k] = (e - zp) * scale
 *
 * ONNX DequantizeLinear, blocked (opset 21), x INT4/UINT4/INT8/UINT8:
 *
 *   x      [N][K] (axis 1), or [K][N] when transposed (axis 0): flat
 *          element i at byte i/2, low nibble for even i (4 bits; INT4 is
 *          two's complement -8..7)
 *   scales [N][nb] or [nb][N]    zero_points: x's type, scales' shape, 0 when absent
 *   w = (x - zp) * scale, rounded to the scales' type (the op's output type)
 *
 * MLC q4f16_1 / q4f32_1 (group quantization, bs = 32):
 *
 *   q_weight uint32 [N][kw]  kw = ceil(K/32)*4: word j of a row holds
 *                            elements 8j..8j+7, element 8j in bits 0..3;
 *                            read as little-endian bytes this is the
 *                            MatMulNBits nibble stream above
 *
 *       word j:  31..28  27..24  ...  7..4    3..0
 *                e[8j+7] e[8j+6]  ... e[8j+1] e[8j]
 *
 *   q_scale  [N][ng], ng*32 >= K, float16 (q4f16) or float32 (q4f32)
 *   w = (e - 7) * scale
 *
 * Dequantized values are floats computed as ((float)e - zp) * scale with
 * one rounding (exact for integer zero points: (e - zp) * scale needs at
 * most 8 + 24 bits), then rounded to fp16/bf16 for DequantizeLinear with
 * such scales.  The fast kernels perform the same IEEE operations, so they
 * agree bit for bit. */
#include "slm/quant.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#define SLM_X86 1
#include <cpuid.h>
#include <immintrin.h>
#endif

/* ---- geometry ------------------------------------------------------------ */

typedef struct qgeom {
    uint64_t nb;         /* blocks along K (scale index stride per row) */
    uint64_t row_bytes;  /* MatMulNBits / MLC: bytes of one packed row */
    uint64_t zp_stride;  /* packed zero points: bytes per row */
    bool zp_packed;      /* zero points are uint8-packed */
} qgeom;

static bool float_type(slm_dtype t)
{
    return t == SLM_DT_F32 || t == SLM_DT_F16 || t == SLM_DT_BF16;
}

static const char *geom(const slm_qweight *q, qgeom *g)
{
    memset(g, 0, sizeof *g);
    if (!q->q || !q->scales)
        return "packed values or scales missing";
    if (!q->q->data || !q->scales->data)
        return "packed values or scales not readable";
    if (q->K == 0 || q->N == 0)
        return "K or N is 0";
    if (q->block_size == 0 || q->block_size > (1u << 20))
        return "block size out of range";
    if (!float_type(q->scales->dtype))
        return "scales are not float, float16 or bfloat16";
    uint64_t nb = q->K / q->block_size + (q->K % q->block_size != 0), need;
    g->nb = nb;
    if (q->g_idx && q->layout != SLM_QL_MATMULNBITS)
        return "g_idx with a layout other than MatMulNBits";
    switch (q->layout) {
    case SLM_QL_MATMULNBITS:
        if (q->bits != 4 && q->bits != 8)
            return "MatMulNBits bits other than 4 and 8";
        if (q->block_size < 16 || (q->block_size & (q->block_size - 1)))
            return "MatMulNBits block_size not a power of 2 >= 16";
        if (q->q->dtype != SLM_DT_U8)
            return "MatMulNBits B is not uint8";
        if (!slm_mul_u64(nb, q->block_size * q->bits / 8, &g->row_bytes) ||
            !slm_mul_u64(g->row_bytes, q->N, &need) || q->q->nbytes < need)
            return "MatMulNBits B smaller than N * ceil(K/block_size) * block_size*bits/8 bytes";
        if (!slm_mul_u64(q->N, nb, &need) || q->scales->nelem != need)
            return "MatMulNBits scales do not hold N * ceil(K/block_size) values";
        if (q->zero_points) {
            if (q->zero_points->dtype == SLM_DT_U8) {
                g->zp_packed = true;
                g->zp_stride = (nb * q->bits + 7) / 8;
                if (!slm_mul_u64(g->zp_stride, q->N, &need) || q->zero_points->nbytes < need)
                    return "MatMulNBits packed zero_points smaller than N * ceil(ceil(K/block_size)*bits/8) bytes";
            } else if (q->zero_points->dtype != q->scales->dtype || q->zero_points->nelem != q->scales->nelem)
                return "MatMulNBits typed zero_points differ from the scales in type or count";
            if (!q->zero_points->data)
                return "zero points not readable";
        }
        if (q->g_idx) {
            if (q->g_idx->dtype != SLM_DT_I32 || q->g_idx->nelem != q->K || !q->g_idx->data)
                return "MatMulNBits g_idx is not K int32 values";
        }
        return NULL;
    case SLM_QL_DQL_BLOCKED: {
        slm_dtype t = q->q->dtype;
        if (t != SLM_DT_I4 && t != SLM_DT_U4 && t != SLM_DT_I8 && t != SLM_DT_U8)
            return "DequantizeLinear x is not int4, uint4, int8 or uint8";
        if ((t == SLM_DT_I4 || t == SLM_DT_U4) != (q->bits == 4) || (q->bits != 4 && q->bits != 8))
            return "DequantizeLinear bits disagree with x's type";
        if (!slm_mul_u64(q->N, q->K, &need) || q->q->nelem != need ||
            !slm_dtype_nbytes(t, need, false, &need) || q->q->nbytes < need)
            return "DequantizeLinear x does not hold N * K values";
        if (!slm_mul_u64(q->N, nb, &need) || q->scales->nelem != need)
            return "DequantizeLinear scales do not hold N * ceil(K/block_size) values";
        if (q->zero_points && (q->zero_points->dtype != t || q->zero_points->nelem != need || !q->zero_points->data))
            return "DequantizeLinear zero_points differ from x in type or from the scales in count";
        return NULL;
    }
    case SLM_QL_MLC_GROUP:
        if (q->bits != 4)
            return "MLC group quantization with bits other than 4";
        if (q->q->dtype != SLM_DT_U32 || q->q->nelem % q->N)
            return "MLC q_weight is not uint32 [N, K/8]";
        g->row_bytes = q->q->nelem / q->N * 4;
        if (g->row_bytes * 2 < q->K || q->q->nbytes < q->q->nelem * 4)
            return "MLC q_weight rows hold fewer than K values";
        if (q->scales->nelem % q->N)
            return "MLC q_scale is not [N, groups]";
        g->nb = q->scales->nelem / q->N;
        if (g->nb < nb)
            return "MLC q_scale has fewer than ceil(K/group_size) groups a row";
        uint64_t bits_needed;
        if (!slm_mul_u64(g->nb, q->block_size * q->bits, &bits_needed) || g->row_bytes > UINT64_MAX / 8 ||
            g->row_bytes * 8 < bits_needed)
            return "MLC q_weight rows shorter than their groups";
        if (q->zero_points)
            return "MLC group quantization with zero points";
        return NULL;
    }
    return "unknown layout";
}

const char *slm_qweight_check(const slm_qweight *q)
{
    qgeom g;
    return geom(q, &g);
}

uint64_t slm_qweight_blocks(const slm_qweight *q)
{
    return q->block_size ? q->K / q->block_size + (q->K % q->block_size != 0) : 0;
}

slm_dtype slm_qweight_compute_dtype(const slm_qweight *q)
{
    if (!q->scales)
        return SLM_DT_F32;
    if (q->layout == SLM_QL_DQL_BLOCKED)
        return q->scales->dtype;
    return q->scales->dtype == SLM_DT_F16 ? SLM_DT_F16 : SLM_DT_F32;
}

/* ---- scalar element access ----------------------------------------------- */

static float load_float(slm_dtype t, const uint8_t *p, uint64_t i)
{
    uint16_t h;
    float f;
    switch (t) {
    case SLM_DT_F16: memcpy(&h, p + 2 * i, 2); return slm_f16_to_f32(h);
    case SLM_DT_BF16: memcpy(&h, p + 2 * i, 2); return slm_bf16_to_f32(h);
    default: memcpy(&f, p + 4 * i, 4); return f;
    }
}

static unsigned nibble(const uint8_t *p, uint64_t i)
{
    return (p[i / 2] >> (4 * (i & 1))) & 15u;
}

/* Flat element I of a DequantizeLinear integer tensor. */
static int dql_int(slm_dtype t, const uint8_t *p, uint64_t i)
{
    switch (t) {
    case SLM_DT_U4: return (int)nibble(p, i);
    case SLM_DT_I4: { int v = (int)nibble(p, i); return v >= 8 ? v - 16 : v; }
    case SLM_DT_U8: return p[i];
    default: return (int8_t)p[i];
    }
}

static uint64_t block_of(const slm_qweight *q, uint64_t k)
{
    if (q->g_idx) {
        int32_t v;
        memcpy(&v, q->g_idx->data + 4 * k, 4);
        return (uint64_t)(uint32_t)v; /* checked by the caller against nb */
    }
    return k / q->block_size;
}

/* Scale and zero point of block B of row R. */
static float scale_at(const slm_qweight *q, const qgeom *g, uint64_t r, uint64_t b)
{
    uint64_t i = q->layout == SLM_QL_DQL_BLOCKED && q->transposed ? b * q->N + r : r * g->nb + b;
    return load_float(q->scales->dtype, q->scales->data, i);
}

static float zp_at(const slm_qweight *q, const qgeom *g, uint64_t r, uint64_t b)
{
    const slm_tensor *z = q->zero_points;
    switch (q->layout) {
    case SLM_QL_MLC_GROUP: return 7.0f;
    case SLM_QL_DQL_BLOCKED:
        if (!z)
            return 0.0f;
        return (float)dql_int(z->dtype, z->data, q->transposed ? b * q->N + r : r * g->nb + b);
    case SLM_QL_MATMULNBITS:
        if (!z)
            return (float)(1u << (q->bits - 1));
        if (!g->zp_packed)
            return load_float(z->dtype, z->data, r * g->nb + b);
        if (q->bits == 8)
            return (float)z->data[r * g->zp_stride + b];
        return (float)nibble(z->data + r * g->zp_stride, b);
    }
    return 0.0f;
}

/* The stored integer of element K of row R. */
static int qint_at(const slm_qweight *q, const qgeom *g, uint64_t r, uint64_t k)
{
    switch (q->layout) {
    case SLM_QL_DQL_BLOCKED:
        return dql_int(q->q->dtype, q->q->data, q->transposed ? k * q->N + r : r * q->K + k);
    default: {
        const uint8_t *row = q->q->data + r * g->row_bytes;
        return q->bits == 8 ? row[k] : (int)nibble(row, k);
    }
    }
}

static float round_to(slm_dtype t, float v)
{
    if (t == SLM_DT_F16)
        return slm_f16_to_f32(slm_f32_to_f16(v));
    if (t == SLM_DT_BF16) {
        uint32_t x;
        memcpy(&x, &v, 4);
        if ((x & 0x7f800000u) == 0x7f800000u) /* Inf or NaN: keep, quiet */
            x = (x & 0x7fffffu) ? (x | 0x400000u) & 0xffff0000u : x;
        else
            x = (x + 0x7fffu + ((x >> 16) & 1)) & 0xffff0000u;
        memcpy(&v, &x, 4);
    }
    return v;
}

static float deq_elem(const slm_qweight *q, const qgeom *g, uint64_t r, uint64_t k)
{
    uint64_t b = block_of(q, k);
    if (b >= g->nb)
        return NAN;
    float w = ((float)qint_at(q, g, r, k) - zp_at(q, g, r, b)) * scale_at(q, g, r, b);
    return q->layout == SLM_QL_DQL_BLOCKED ? round_to(q->scales->dtype, w) : w;
}

/* ---- reference kernels --------------------------------------------------- */

void slm_q_dequant_row_ref(const slm_qweight *q, uint64_t r, float *out)
{
    qgeom g;
    if (geom(q, &g) || r >= q->N)
        return;
    for (uint64_t k = 0; k < q->K; k++)
        out[k] = deq_elem(q, &g, r, k);
}

void slm_q_matmul_ref(const slm_qweight *q, const float *x, uint64_t m, double *y)
{
    qgeom g;
    if (geom(q, &g))
        return;
    for (uint64_t i = 0; i < m * q->N; i++)
        y[i] = 0;
    for (uint64_t r = 0; r < q->N; r++)
        for (uint64_t k = 0; k < q->K; k++) {
            double w = deq_elem(q, &g, r, k);
            for (uint64_t i = 0; i < m; i++)
                y[i * q->N + r] += (double)x[i * q->K + k] * w;
        }
}

/* ---- fast kernels -------------------------------------------------------- */

typedef enum { KER_SCALAR, KER_SSE2, KER_AVX2, KER_AVX512 } kernel_level;
static const char *const level_names[] = {"scalar", "sse2", "avx2", "avx512"};

#ifdef SLM_X86
/* The target of the AVX-512 kernels: AVX-512F (16-lane permutes, masks,
 * ternary logic) beside the AVX2 level they fall back on. */
#define T512 "avx512f,avx2,fma,f16c"

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

static kernel_level level(void)
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
    return level_names[level()];
}

/* The rows the SIMD kernels take: a nibble or byte stream per row, blocks
 * of a multiple of 16 elements, no g_idx. */
static bool streamable(const slm_qweight *q)
{
    return q->layout != SLM_QL_DQL_BLOCKED && !q->g_idx && q->block_size % 16 == 0;
}

/* Scales and zero points of row R as floats (NB of each). */
static void row_params(const slm_qweight *q, const qgeom *g, uint64_t r, float *s, float *z)
{
    for (uint64_t b = 0; b < g->nb; b++) {
        s[b] = scale_at(q, g, r, b);
        z[b] = zp_at(q, g, r, b);
    }
}

#ifdef SLM_X86
/* 16 elements from 8 bytes of nibbles, in order, as two vectors of 4 ints. */
__attribute__((target("sse2"))) static void deq16_4_sse2(const uint8_t *p, __m128 zp, __m128 s, float *out)
{
    __m128i b = _mm_loadl_epi64((const __m128i *)(const void *)p), m = _mm_set1_epi8(15), zero = _mm_setzero_si128();
    __m128i lo = _mm_and_si128(b, m), hi = _mm_and_si128(_mm_srli_epi16(b, 4), m);
    __m128i e = _mm_unpacklo_epi8(lo, hi);
    __m128i e0 = _mm_unpacklo_epi8(e, zero), e1 = _mm_unpackhi_epi8(e, zero);
    __m128i v[4] = {_mm_unpacklo_epi16(e0, zero), _mm_unpackhi_epi16(e0, zero), _mm_unpacklo_epi16(e1, zero),
                    _mm_unpackhi_epi16(e1, zero)};
    for (int i = 0; i < 4; i++)
        _mm_storeu_ps(out + 4 * i, _mm_mul_ps(_mm_sub_ps(_mm_cvtepi32_ps(v[i]), zp), s));
}

__attribute__((target("sse2"))) static void deq16_8_sse2(const uint8_t *p, __m128 zp, __m128 s, float *out)
{
    __m128i e = _mm_loadu_si128((const __m128i *)(const void *)p), zero = _mm_setzero_si128();
    __m128i e0 = _mm_unpacklo_epi8(e, zero), e1 = _mm_unpackhi_epi8(e, zero);
    __m128i v[4] = {_mm_unpacklo_epi16(e0, zero), _mm_unpackhi_epi16(e0, zero), _mm_unpacklo_epi16(e1, zero),
                    _mm_unpackhi_epi16(e1, zero)};
    for (int i = 0; i < 4; i++)
        _mm_storeu_ps(out + 4 * i, _mm_mul_ps(_mm_sub_ps(_mm_cvtepi32_ps(v[i]), zp), s));
}

__attribute__((target("avx2,fma,f16c"))) static void deq16_4_avx2(const uint8_t *p, __m256 zp, __m256 s, float *out)
{
    __m128i b = _mm_loadl_epi64((const __m128i *)(const void *)p), m = _mm_set1_epi8(15);
    __m128i e = _mm_unpacklo_epi8(_mm_and_si128(b, m), _mm_and_si128(_mm_srli_epi16(b, 4), m));
    __m256 f0 = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(e));
    __m256 f1 = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(e, 8)));
    _mm256_storeu_ps(out, _mm256_mul_ps(_mm256_sub_ps(f0, zp), s));
    _mm256_storeu_ps(out + 8, _mm256_mul_ps(_mm256_sub_ps(f1, zp), s));
}

__attribute__((target("avx2,fma,f16c"))) static void deq16_8_avx2(const uint8_t *p, __m256 zp, __m256 s, float *out)
{
    __m128i e = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m256 f0 = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(e));
    __m256 f1 = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(e, 8)));
    _mm256_storeu_ps(out, _mm256_mul_ps(_mm256_sub_ps(f0, zp), s));
    _mm256_storeu_ps(out + 8, _mm256_mul_ps(_mm256_sub_ps(f1, zp), s));
}

__attribute__((target("sse2"))) static void deq_row_sse2(const slm_qweight *q, const uint8_t *row, const float *s,
                                                        const float *z, float *out)
{
    uint64_t k = 0, bs = q->block_size;
    for (uint64_t b = 0; k + 16 <= q->K; b++) {
        __m128 vz = _mm_set1_ps(z[b]), vs = _mm_set1_ps(s[b]);
        for (uint64_t j = 0; j < bs && k + 16 <= q->K; j += 16, k += 16) {
            if (q->bits == 4)
                deq16_4_sse2(row + k / 2, vz, vs, out + k);
            else
                deq16_8_sse2(row + k, vz, vs, out + k);
        }
    }
    for (; k < q->K; k++) {
        unsigned e = q->bits == 4 ? nibble(row, k) : row[k];
        out[k] = ((float)e - z[k / bs]) * s[k / bs];
    }
}

__attribute__((target("avx2,fma,f16c"))) static void deq_row_avx2(const slm_qweight *q, const uint8_t *row,
                                                                   const float *s, const float *z, float *out)
{
    uint64_t k = 0, bs = q->block_size;
    for (uint64_t b = 0; k + 16 <= q->K; b++) {
        __m256 vz = _mm256_set1_ps(z[b]), vs = _mm256_set1_ps(s[b]);
        for (uint64_t j = 0; j < bs && k + 16 <= q->K; j += 16, k += 16) {
            if (q->bits == 4)
                deq16_4_avx2(row + k / 2, vz, vs, out + k);
            else
                deq16_8_avx2(row + k, vz, vs, out + k);
        }
    }
    for (; k < q->K; k++) {
        unsigned e = q->bits == 4 ? nibble(row, k) : row[k];
        out[k] = ((float)e - z[k / bs]) * s[k / bs];
    }
}

/* The 16 dequantized values of a 4-bit block, ((float)e - zp) * s for
 * e = 0..15: vpermps turns a nibble into its value in one step. */
__attribute__((target(T512), always_inline)) static inline __m512 table16(float s, float z)
{
    const __m512 iota = _mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    return _mm512_mul_ps(_mm512_sub_ps(iota, _mm512_set1_ps(z)), _mm512_set1_ps(s));
}

/* 32 elements of a 4-bit row from the 16 bytes at P, dequantized through
 * the tables T0 (bytes 0..7) and T1 (bytes 8..15; the same table unless
 * the 16 elements begin a block of their own); HSEL is half_select():
 *
 *   bytes    p[0]      p[1]      ...  p[15]
 *   LO lane  0: e0     1: e2     ...  15: e30     (low nibbles)
 *   HI lane  0: e1     1: e3     ...  15: e31     (high nibbles)
 *
 * Index bit 4 picks T1 (vpermt2ps), bits 0..3 the nibble. */
__attribute__((target(T512), always_inline)) static inline void deq32_4_avx512(const uint8_t *p, __m512 t0, __m512 t1,
                                                                             __m512i hsel, __m512 *lo, __m512 *hi)
{
    __m512i v = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(const void *)p));
    __m512i il = _mm512_ternarylogic_epi32(v, _mm512_set1_epi32(15), hsel, 0xEA); /* (v & 15) | hsel */
    __m512i ih = _mm512_or_si512(_mm512_srli_epi32(v, 4), hsel);
    *lo = _mm512_permutex2var_ps(t0, il, t1);
    *hi = _mm512_permutex2var_ps(t0, ih, t1);
}

__attribute__((target(T512), always_inline)) static inline __m512i half_select(void)
{
    return _mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 16, 16, 16, 16, 16, 16, 16, 16);
}

/* Row R dequantized in order, bit for bit as the reference: the same
 * ((float)e - zp) * s per element, through tables (4 bits) or directly. */
__attribute__((target(T512))) static void deq_row_avx512(const slm_qweight *q, const uint8_t *row, const float *s,
                                                        const float *z, float *out)
{
    uint64_t k = 0, bs = q->block_size;
    if (q->bits == 4) {
        const __m512i ia = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
        const __m512i ib = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
        __m512i hsel = half_select();
        for (; k + 32 <= q->K; k += 32) {
            uint64_t b0 = k / bs, b1 = (k + 16) / bs;
            __m512 t0 = table16(s[b0], z[b0]), t1 = b1 == b0 ? t0 : table16(s[b1], z[b1]), lo, hi;
            deq32_4_avx512(row + k / 2, t0, t1, hsel, &lo, &hi);
            _mm512_storeu_ps(out + k, _mm512_permutex2var_ps(lo, ia, hi));
            _mm512_storeu_ps(out + k + 16, _mm512_permutex2var_ps(lo, ib, hi));
        }
    } else
        for (; k + 16 <= q->K; k += 16) {
            __m512 e = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(const void *)(row + k))));
            _mm512_storeu_ps(out + k, _mm512_mul_ps(_mm512_sub_ps(e, _mm512_set1_ps(z[k / bs])), _mm512_set1_ps(s[k / bs])));
        }
    for (; k < q->K; k++) {
        unsigned e = q->bits == 4 ? nibble(row, k) : row[k];
        out[k] = ((float)e - z[k / bs]) * s[k / bs];
    }
}
#endif

/* Row parameters without a heap allocation for the usual sizes. */
typedef struct rowbuf {
    float small[2 * 512];
    float *s, *z;
    float *heap;
} rowbuf;

static bool rowbuf_get(rowbuf *rb, uint64_t nb)
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

void slm_q_dequant_row(const slm_qweight *q, uint64_t r, float *out)
{
    qgeom g;
    kernel_level lv = level();
    if (lv == KER_SCALAR || !streamable(q) || geom(q, &g) || r >= q->N) {
        slm_q_dequant_row_ref(q, r, out);
        return;
    }
#ifdef SLM_X86
    rowbuf rb;
    if (!rowbuf_get(&rb, g.nb)) {
        slm_q_dequant_row_ref(q, r, out);
        return;
    }
    row_params(q, &g, r, rb.s, rb.z);
    const uint8_t *row = q->q->data + r * g.row_bytes;
    if (lv == KER_AVX512)
        deq_row_avx512(q, row, rb.s, rb.z, out);
    else if (lv == KER_AVX2)
        deq_row_avx2(q, row, rb.s, rb.z, out);
    else
        deq_row_sse2(q, row, rb.s, rb.z, out);
    free(rb.heap);
#endif
}

/* ---- fast matmul ----------------------------------------------------------
 * Y[i][r] = sum_b s_b * (sum_{k in b} e_k x_ik - zp_b * sum_{k in b} x_ik):
 * the integers e_k meet the activations directly, the zero point meets the
 * block sums of X once.  X is copied once per call into a padded buffer
 * whose every 16-element chunk is reordered [x0 x2 .. x14 x1 x3 .. x15], so
 * that the low nibbles of 8 bytes multiply the first half and the high
 * nibbles the second.  Float accumulation. */

typedef struct xprep {
    float *x;       /* m rows of nb*bs floats (padded with zeros), chunks reordered for 4 bits */
    float *bsum;    /* m rows of nb block sums */
    uint64_t kp;    /* padded row length */
} xprep;

static bool xprep_make(xprep *p, const slm_qweight *q, const qgeom *g, const float *x, uint64_t m)
{
    uint64_t kp, n1, n2;
    p->x = p->bsum = NULL;
    if (!slm_mul_u64(g->nb, q->block_size, &kp) || !slm_mul_u64(kp, m, &n1) || !slm_mul_u64(g->nb, m, &n2) ||
        n1 > SIZE_MAX / sizeof(float) || n2 > SIZE_MAX / sizeof(float))
        return false;
    p->kp = kp;
    p->x = calloc(n1 ? n1 : 1, sizeof(float));
    p->bsum = calloc(n2 ? n2 : 1, sizeof(float));
    if (!p->x || !p->bsum) {
        free(p->x);
        free(p->bsum);
        return false;
    }
    for (uint64_t i = 0; i < m; i++) {
        float *dst = p->x + i * kp, *bsum = p->bsum + i * g->nb;
        const float *src = x + i * q->K;
        for (uint64_t k = 0, b = 0, kb = 0; k < q->K; k++) {
            uint64_t c = k & ~(uint64_t)15, j = k & 15;
            dst[q->bits == 4 ? c + (j & 1) * 8 + j / 2 : k] = src[k];
            bsum[b] += src[k];
            if (++kb == q->block_size) /* no division per element */
                kb = 0, b++;
        }
    }
    return true;
}

static void xprep_free(xprep *p)
{
    free(p->x);
    free(p->bsum);
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

#ifdef SLM_X86
__attribute__((target("avx2,fma,f16c"))) static inline float hsum256(__m256 v)
{
    __m128 a = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    a = _mm_add_ps(a, _mm_movehl_ps(a, a));
    a = _mm_add_ss(a, _mm_movehdup_ps(a));
    return _mm_cvtss_f32(a);
}

/* Integer values of 16 elements as two float vectors: for 4 bits in the
 * reordered chunk order (even elements, then odd), for 8 bits in order. */
#define LOAD16(bits, p, f0, f1)                                                                    \
    do {                                                                                           \
        if ((bits) == 4) {                                                                         \
            __m256i v_ = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(const void *)(p))); \
            f0 = _mm256_cvtepi32_ps(_mm256_and_si256(v_, _mm256_set1_epi32(15)));                  \
            f1 = _mm256_cvtepi32_ps(_mm256_srli_epi32(v_, 4));                                      \
        } else {                                                                                   \
            __m128i e_ = _mm_loadu_si128((const __m128i *)(const void *)(p));                      \
            f0 = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(e_));                                     \
            f1 = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(e_, 8)));                  \
        }                                                                                          \
    } while (0)

/* One block of row R against MT rows of X (1 or 4), added to TOT and CORR.
 * Low and high nibbles feed separate accumulators: short FMA chains. */
__attribute__((target("avx2,fma,f16c"), always_inline)) static inline void
block_avx2(const slm_qweight *q, const qgeom *g, const xprep *xp, uint64_t i0, int mt, const uint8_t *row,
           const float *s, const float *z, uint64_t b, __m256 *tot, float *corr)
{
    __m256 b0[4], b1[4];
    uint64_t bs = q->block_size;
    for (int t = 0; t < mt; t++)
        b0[t] = b1[t] = _mm256_setzero_ps();
    const uint8_t *p = row + b * (bs * q->bits / 8);
    const float *xb = xp->x + b * bs;
    for (uint64_t j = 0; j < bs; j += 16) {
        __m256 f0, f1;
        LOAD16(q->bits, p + j * q->bits / 8, f0, f1);
        for (int t = 0; t < mt; t++) {
            const float *xr = xb + (i0 + (uint64_t)t) * xp->kp + j;
            b0[t] = _mm256_fmadd_ps(f0, _mm256_loadu_ps(xr), b0[t]);
            b1[t] = _mm256_fmadd_ps(f1, _mm256_loadu_ps(xr + 8), b1[t]);
        }
    }
    __m256 vs = _mm256_set1_ps(s[b]);
    for (int t = 0; t < mt; t++) {
        tot[t] = _mm256_fmadd_ps(vs, _mm256_add_ps(b0[t], b1[t]), tot[t]);
        corr[t] += s[b] * z[b] * xp->bsum[(i0 + (uint64_t)t) * g->nb + b];
    }
}

/* MT rows of X (1 or 4) against row R of W.  With one row of X, even and
 * odd blocks go to separate totals (two independent chains). */
__attribute__((target("avx2,fma,f16c"), always_inline)) static inline void
dot_rows_avx2(const slm_qweight *q, const qgeom *g, const xprep *xp, uint64_t i0, int mt, const uint8_t *row,
              const float *s, const float *z, float *out)
{
    __m256 ta[4], tb[4];
    float ca[4] = {0, 0, 0, 0}, cb[4] = {0, 0, 0, 0};
    for (int t = 0; t < mt; t++)
        ta[t] = tb[t] = _mm256_setzero_ps();
    uint64_t b = 0, nbk = slm_qweight_blocks(q); /* an MLC row may have groups past K: not read */
    if (mt == 1)
        for (; b + 2 <= nbk; b += 2) {
            block_avx2(q, g, xp, i0, 1, row, s, z, b, ta, ca);
            block_avx2(q, g, xp, i0, 1, row, s, z, b + 1, tb, cb);
        }
    for (; b < nbk; b++)
        block_avx2(q, g, xp, i0, mt, row, s, z, b, ta, ca);
    for (int t = 0; t < mt; t++)
        out[t] = hsum256(_mm256_add_ps(ta[t], tb[t])) - (ca[t] + cb[t]);
}

__attribute__((target("avx2,fma,f16c"))) static void row_params_avx2(const slm_qweight *q, const qgeom *g,
                                                                      uint64_t r, float *s, float *z)
{
    /* the common cases without the per-element decoder */
    if (q->scales->dtype == SLM_DT_F16 && q->layout != SLM_QL_DQL_BLOCKED && (!q->zero_points || g->zp_packed)) {
        const uint8_t *src = q->scales->data + 2 * r * g->nb;
        uint64_t b = 0;
        for (; b + 8 <= g->nb; b += 8)
            _mm256_storeu_ps(s + b, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)(src + 2 * b))));
        for (; b < g->nb; b++)
            s[b] = scale_at(q, g, r, b);
        for (b = 0; b < g->nb; b++)
            z[b] = zp_at(q, g, r, b);
        return;
    }
    if (q->scales->dtype == SLM_DT_F32 && !q->zero_points && q->layout != SLM_QL_DQL_BLOCKED) {
        memcpy(s, q->scales->data + 4 * r * g->nb, 4 * g->nb);
        float zz = q->layout == SLM_QL_MLC_GROUP ? 7.0f : (float)(1u << (q->bits - 1));
        for (uint64_t b = 0; b < g->nb; b++)
            z[b] = zz;
        return;
    }
    row_params(q, g, r, s, z);
}

__attribute__((target("avx2,fma,f16c"))) static void matmul_avx2(const slm_qweight *q, const qgeom *g,
                                                                  const xprep *xp, uint64_t m, float *y, float *s,
                                                                  float *z)
{
    for (uint64_t r = 0; r < q->N; r++) {
        row_params_avx2(q, g, r, s, z);
        const uint8_t *row = q->q->data + r * g->row_bytes;
        uint64_t i = 0;
        float o[4];
        for (; i + 4 <= m; i += 4) {
            dot_rows_avx2(q, g, xp, i, 4, row, s, z, o);
            for (int t = 0; t < 4; t++)
                y[(i + (uint64_t)t) * q->N + r] = o[t];
        }
        for (; i < m; i++) {
            dot_rows_avx2(q, g, xp, i, 1, row, s, z, o);
            y[i * q->N + r] = o[0];
        }
    }
}
#endif

#ifdef SLM_X86
/* ---- AVX-512 matmul -------------------------------------------------------
 * Two kernels over the packed bytes (MatMulNBits and MLC rows, block_size a
 * power of 2), float accumulation:
 *
 * Rows (M < LANES_MIN; the GEMV).  A 64-byte chunk of a weight row is 16
 * dword lanes; lane j holds elements E j .. E j + E-1 of the chunk (E = 8
 * nibbles or 4 bytes, CE = 16 E elements a chunk), and "class" u is element
 * E j + u of every lane: 16 integers that become floats without a table
 * and meet the 16 activations stored for that class.  X is copied once per
 * call, each chunk of CE elements as E vectors:
 *
 *   4 bits, dword j:  31..28   27..24   ...  7..4     3..0
 *                     e(8j+7)  e(8j+6)  ...  e(8j+1)  e(8j)
 *   x chunk:  [x(0) x(8) .. x(120)] [x(1) x(9) .. x(121)] .. [x(7) .. x(127)]
 *
 *   classes 0, 1, 4, 5: vpermps of the dword (shifted right by 4u) into
 *   [0 1 .. 15] (the permute reads the low 4 bits);  classes 2, 3, 6, 7
 *   (and every byte for 8 bits): the field masked in place at bit P and
 *   ORed with the exponent of 2^(23-P) is the float 2^(23-P) + e exactly;
 *   subtracting 2^(23-P) leaves e.  Two methods keep the shuffle and the
 *   add/logic ports both busy.
 *
 * Block b_j = (c CE + E j) / bs of lane j: one vector of 16 scales per
 * chunk multiplies the chunk's integer sums.  An implicit zero point (one
 * constant) is subtracted from the integers as they become floats; zero
 * points of their own meet the block sums of X once per row:
 *   Y[i][r] = sum_b s_b (sum_{k in b} e_k x_ik) - sum_b s_b zp_b (sum_{k in b} x_ik).
 *
 * Lanes (M >= LANES_MIN; the GEMM).  The 16 lanes of a vector are 16 rows
 * of X.  For 16 rows of W and KC columns at a time the weights are
 * dequantized (the tables of deq_row_avx512, bit for bit) into a buffer
 * that stays in L1; then every column k broadcasts W[n][k] and multiplies
 * X^T[k] into 16 accumulators, one per row of W:
 *
 *   wb[n][k]: 16 x KC floats        xt[k][i]: kq x 16 floats, k in the
 *   acc[n] += wb[n][k] * xt[k]      LO/HI order of deq32_4_avx512 (4 bits)
 *
 * 16 FMAs per vector of X loaded, FMA-bound; the dequantization is one
 * table per block and about 4 operations per 32 weights (for 512 FMAs). */

enum { LANES_MIN = 10, LANES_KC = 64 }; /* LANES_MIN: measured, K = 4096 (rows wins below 10 rows of X) */

static float ld_f32(const uint8_t *p, uint64_t i)
{
    float v;
    memcpy(&v, p + 4 * i, 4);
    return v;
}

/* Scales and zero points of one row, nb floats each (native byte order,
 * any alignment): views of the tensors when they hold fp32, else decoded. */
typedef struct rowv {
    const uint8_t *s, *z;
} rowv;

/* ZC: nb copies of the implicit zero point (no zero_points tensor); SB, ZB:
 * room for nb decoded scales and zero points. */
__attribute__((target(T512))) static rowv row_view(const slm_qweight *q, const qgeom *g, uint64_t r, float *sb,
                                                  float *zb, const float *zc)
{
    rowv v = {q->scales->data + 4 * r * g->nb, (const uint8_t *)zc};
    uint64_t b = 0, nb = g->nb;
    if (q->scales->dtype == SLM_DT_F16) {
        const uint8_t *src = q->scales->data + 2 * r * nb;
        for (; b + 16 <= nb; b += 16)
            _mm512_storeu_ps(sb + b, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(const void *)(src + 2 * b))));
    }
    if (q->scales->dtype != SLM_DT_F32) {
        for (; b < nb; b++)
            sb[b] = scale_at(q, g, r, b);
        v.s = (const uint8_t *)sb;
    }
    const slm_tensor *zt = q->zero_points;
    if (!zt)
        return v;
    b = 0;
    if (!g->zp_packed && zt->dtype == SLM_DT_F32) {
        v.z = zt->data + 4 * r * nb;
        return v;
    }
    if (g->zp_packed) {
        const uint8_t *src = zt->data + r * g->zp_stride;
        if (q->bits == 4) { /* two zero points a byte, low nibble first */
            const __m512i ia = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
            const __m512i ib = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
            for (; b + 32 <= nb; b += 32) {
                __m512i e = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(const void *)(src + b / 2)));
                __m512 lo = _mm512_cvtepi32_ps(_mm512_and_si512(e, _mm512_set1_epi32(15)));
                __m512 hi = _mm512_cvtepi32_ps(_mm512_srli_epi32(e, 4));
                _mm512_storeu_ps(zb + b, _mm512_permutex2var_ps(lo, ia, hi));
                _mm512_storeu_ps(zb + b + 16, _mm512_permutex2var_ps(lo, ib, hi));
            }
        } else
            for (; b + 16 <= nb; b += 16)
                _mm512_storeu_ps(zb + b, _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(
                                              _mm_loadu_si128((const __m128i *)(const void *)(src + b)))));
    }
    for (; b < nb; b++)
        zb[b] = zp_at(q, g, r, b);
    v.z = (const uint8_t *)zb;
    return v;
}

/* The buffers of row_view for ROWS rows: the implicit zero point nb times,
 * then rows x nb scales, then rows x nb zero points. */
static float *row_view_buffers(const slm_qweight *q, const qgeom *g, uint64_t rows)
{
    uint64_t n;
    float *p;
    if (!slm_mul_u64(g->nb, 2 * rows + 1, &n) || n > SIZE_MAX / sizeof(float) || !(p = malloc(n * sizeof(float))))
        return NULL;
    float zz = q->layout == SLM_QL_MLC_GROUP ? 7.0f : (float)(1u << (q->bits - 1));
    for (uint64_t b = 0; b < g->nb; b++)
        p[b] = zz;
    return p;
}

/* N zeroed floats, 64-byte aligned (the kernels' vector loads then never
 * cross a cache line), or NULL. */
static float *zalloc64(uint64_t n)
{
    if (n > (SIZE_MAX - 64) / sizeof(float))
        return NULL;
    size_t bytes = ((size_t)n * sizeof(float) + 63) & ~(size_t)63;
    float *p = aligned_alloc(64, bytes ? bytes : 64);
    if (p)
        memset(p, 0, bytes);
    return p;
}

typedef struct xrows {
    float *x;       /* m rows of kq floats: chunks of CE in class order, zero padded */
    float *bsum;    /* m rows of nbk block sums */
    uint64_t kq, nbk, nch, used; /* used = nbk * block_size elements of a row are read */
} xrows;

static void xrows_free(xrows *p)
{
    free(p->x);
    free(p->bsum);
}

static bool xrows_make(xrows *p, const slm_qweight *q, const float *x, uint64_t m)
{
    uint64_t E = 32 / q->bits, CE = 16 * E, n1, n2;
    p->x = p->bsum = NULL;
    p->nbk = slm_qweight_blocks(q);
    if (!slm_mul_u64(p->nbk, q->block_size, &p->used))
        return false;
    p->nch = p->used / CE + (p->used % CE != 0);
    if (!slm_mul_u64(p->nch, CE, &p->kq) || !slm_mul_u64(p->kq, m, &n1) || !slm_mul_u64(p->nbk, m, &n2) ||
        n1 > SIZE_MAX / sizeof(float) || n2 > SIZE_MAX / sizeof(float))
        return false;
    p->x = zalloc64(n1);
    p->bsum = calloc(n2 ? n2 : 1, sizeof(float));
    if (!p->x || !p->bsum) {
        xrows_free(p);
        return false;
    }
    unsigned le = q->bits == 4 ? 3 : 2, lbs = (unsigned)__builtin_ctzll(q->block_size); /* log2 E, log2 bs */
    for (uint64_t i = 0; i < m; i++) {
        float *dst = p->x + i * p->kq, *bsum = p->bsum + i * p->nbk;
        const float *src = x + i * q->K;
        for (uint64_t k = 0; k < q->K; k++) {
            uint64_t e = k & (CE - 1);
            dst[k - e + ((e & (E - 1)) << 4) + (e >> le)] = src[k];
            bsum[k >> lbs] += src[k];
        }
    }
    return true;
}

/* The constants of chunk_avx512, made once per call (kept in registers).
 * Z is subtracted from every integer on the way (the implicit zero point
 * when it is one constant; 0 otherwise): ((float)e - z) is exact. */
typedef struct consts512 {
    __m512 iota;                /* [0 .. 15] - z */
    __m512 f0, f8, f12;         /* 2^23, 2^15, 2^11: their bits are ORed with a field at bit 0, 8, 12 */
    __m512 s0, s8, s12;         /* the same plus z: subtracted */
    __m512i m0, m8, m12;        /* field masks at bits 0 (8 bits), 8 and 12 (4 or 8 bits wide) */
} consts512;

__attribute__((target(T512), always_inline)) static inline consts512 consts512_make(unsigned bits, float z)
{
    consts512 c;
    __m512 vz = _mm512_set1_ps(z);
    c.iota = _mm512_sub_ps(_mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), vz);
    c.f0 = _mm512_set1_ps(8388608.0f);
    c.f8 = _mm512_set1_ps(32768.0f);
    c.f12 = _mm512_set1_ps(2048.0f);
    c.s0 = _mm512_add_ps(c.f0, vz);
    c.s8 = _mm512_add_ps(c.f8, vz);
    c.s12 = _mm512_add_ps(c.f12, vz);
    c.m0 = _mm512_set1_epi32(0xff);
    c.m8 = _mm512_set1_epi32(bits == 4 ? 0xf00 : 0xff00);
    c.m12 = _mm512_set1_epi32(0xf000);
    return c;
}

/* The field MASK of every lane, at bit P (P + width <= 23), minus z, as a
 * float: ORed with the bits of F = 2^(23-P) (only exponent bits) it is the
 * float F + field exactly; minus FZ = F + z, the field minus z (exact: z is
 * an integer below 2^8). */
__attribute__((target(T512), always_inline)) static inline __m512 field_f32(__m512i d, __m512i mask, __m512 f,
                                                                          __m512 fz)
{
    return _mm512_sub_ps(_mm512_castsi512_ps(_mm512_ternarylogic_epi32(d, mask, _mm512_castps_si512(f), 0xEA)), fz);
}

/* One chunk (dword lanes D) against MT rows of X, XC[t] the chunk's CE
 * activations of row t: A[t] sums the even classes, B[t] the odd ones. */
#define CLASS_FMA(u, W)                                                                                      \
    do {                                                                                                     \
        __m512 w_ = (W);                                                                                     \
        for (int t = 0; t < mt; t++) {                                                                       \
            __m512 *acc_ = (u) % 2 ? &b[t] : &a[t], x_ = _mm512_loadu_ps(xc[t] + 16 * (u));                 \
            *acc_ = (u) < 2 ? _mm512_mul_ps(w_, x_) : _mm512_fmadd_ps(w_, x_, *acc_);                        \
        }                                                                                                    \
    } while (0)

__attribute__((target(T512), always_inline)) static inline void chunk_avx512(__m512i d, unsigned bits, int mt,
                                                                           const float *const *xc, __m512 *a,
                                                                           __m512 *b, const consts512 *c)
{
    __m512i h = _mm512_srli_epi32(d, 16);
    if (bits == 4) {
        CLASS_FMA(0, _mm512_permutexvar_ps(d, c->iota));
        CLASS_FMA(1, _mm512_permutexvar_ps(_mm512_srli_epi32(d, 4), c->iota));
        CLASS_FMA(2, field_f32(d, c->m8, c->f8, c->s8));
        CLASS_FMA(3, field_f32(d, c->m12, c->f12, c->s12));
        CLASS_FMA(4, _mm512_permutexvar_ps(h, c->iota));
        CLASS_FMA(5, _mm512_permutexvar_ps(_mm512_srli_epi32(d, 20), c->iota));
        CLASS_FMA(6, field_f32(h, c->m8, c->f8, c->s8));
        CLASS_FMA(7, field_f32(h, c->m12, c->f12, c->s12));
    } else {
        CLASS_FMA(0, field_f32(d, c->m0, c->f0, c->s0));
        CLASS_FMA(1, field_f32(d, c->m8, c->f8, c->s8));
        CLASS_FMA(2, field_f32(h, c->m0, c->f0, c->s0));
        CLASS_FMA(3, field_f32(h, c->m8, c->f8, c->s8));
    }
}
#undef CLASS_FMA

/* sum_b s_b z_b bsum_b over N blocks. */
__attribute__((target(T512))) static float zero_point_sum(rowv v, const float *bsum, uint64_t n)
{
    __m512 acc = _mm512_setzero_ps();
    for (uint64_t b = 0; b < n; b += 16) {
        __mmask16 k = n - b >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - b)) - 1);
        acc = _mm512_fmadd_ps(_mm512_mul_ps(_mm512_maskz_loadu_ps(k, v.s + 4 * b), _mm512_maskz_loadu_ps(k, v.z + 4 * b)),
                              _mm512_maskz_loadu_ps(k, bsum + b), acc);
    }
    return _mm512_reduce_add_ps(acc);
}

/* Chunk C of a row (dwords D) against MT rows of X (XC[t]: row t's
 * activations of chunk 0), scaled into TOT.  LBS = log2(block_size); SK:
 * the scales of the last chunk (a mask of its blocks), or 0xffff. */
__attribute__((target(T512), always_inline)) static inline void
chunk_scaled(__m512i d, uint64_t c, unsigned bits, int mt, const float *const *x0, unsigned lbs, rowv v,
             __m512i sidx, __mmask16 sk, const consts512 *cs, __m512 *tot)
{
    const unsigned lce = bits == 4 ? 7 : 6; /* log2(CE) */
    const float *xc[4];
    __m512 a[4], b[4], sv;
    for (int t = 0; t < mt; t++)
        xc[t] = x0[t] + (c << lce);
    chunk_avx512(d, bits, mt, xc, a, b, cs);
    const uint8_t *sp = v.s + 4 * (c << (lce - (lbs < lce ? lbs : lce))); /* the chunk's first scale */
    if (lbs >= lce) /* one block */
        sv = _mm512_set1_ps(ld_f32(v.s, (c << lce) >> lbs));
    else if (sk != 0xffff) /* the last chunk: its blocks, no further */
        sv = _mm512_permutexvar_ps(sidx, _mm512_maskz_loadu_ps(sk, sp));
    else if (lbs + 3 == lce) /* 8 blocks (not the last chunk: all 8 exist) */
        sv = _mm512_permutexvar_ps(sidx, _mm512_castps256_ps512(_mm256_loadu_ps((const float *)(const void *)sp)));
    else if (lbs + 2 == lce) /* 4 blocks */
        sv = _mm512_permutexvar_ps(sidx, _mm512_castps128_ps512(_mm_loadu_ps((const float *)(const void *)sp)));
    else /* 2 blocks */
        sv = _mm512_permutexvar_ps(
            sidx, _mm512_castps128_ps512(_mm_castsi128_ps(_mm_loadl_epi64((const __m128i *)(const void *)sp))));
    for (int t = 0; t < mt; t++)
        tot[t] = _mm512_fmadd_ps(_mm512_add_ps(a[t], b[t]), sv, tot[t]);
}

/* MT rows of X (I0..) against every row of W.  B: row_view_buffers(q, g, 1). */
__attribute__((target(T512), always_inline)) static inline void rows_avx512(const slm_qweight *q, const qgeom *g,
                                                                          const xrows *xr, uint64_t i0, int mt,
                                                                          unsigned bits, float *y, float *B)
{
    const uint64_t E = 32 / bits, CE = 16 * E, bs = q->block_size, tail = xr->used % CE;
    const uint64_t per = bs < CE ? CE / bs : 1, last_n = xr->nbk - (xr->nch - 1) * per; /* blocks a chunk, in the last */
    const __mmask16 sk_last = (__mmask16)((1u << (last_n < per ? last_n : per)) - 1);
    const unsigned lbs = (unsigned)__builtin_ctzll(bs);
    const bool zfold = !q->zero_points; /* one implicit zero point, subtracted from the integers */
    const consts512 cs = consts512_make(bits, zfold ? B[0] : 0.0f);
    __m512i sidx = _mm512_setzero_si512();
    if (bs < CE)
        sidx = _mm512_srli_epi32(_mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                                    _mm512_set1_epi32((int)E)),
                                 lbs);
    const float *x0[4];
    for (int t = 0; t < mt; t++)
        x0[t] = xr->x + (i0 + (uint64_t)t) * xr->kq;
    const bool view = q->scales->dtype == SLM_DT_F32 && zfold; /* the row's scales as they are */
    for (uint64_t r = 0; r < q->N; r++) {
        rowv v = {q->scales->data + 4 * r * g->nb, (const uint8_t *)B};
        if (!view)
            v = row_view(q, g, r, B + g->nb, B + 2 * g->nb, B);
        const uint8_t *row = q->q->data + r * g->row_bytes;
        __m512 tot[4];
        for (int t = 0; t < mt; t++)
            tot[t] = _mm512_setzero_ps();
        uint64_t c = 0;
        for (; c + 1 < xr->nch; c++) {
            /* two rows ahead (4 KiB at K = 4096): without it, rows from DRAM ran at half
             * speed in some builds of this loop (the hardware prefetcher alone fell behind) */
            _mm_prefetch((const char *)(uintptr_t)((uintptr_t)row + 64 * c + 4096), _MM_HINT_T0);
            chunk_scaled(_mm512_loadu_si512((const void *)(row + 64 * c)), c, bits, mt, x0, lbs, v, sidx, 0xffff, &cs,
                         tot);
        }
        /* the last chunk: the row may end inside it */
        uint8_t bounce[64];
        const uint8_t *p = row + 64 * c;
        if (tail) {
            memset(bounce, 0, sizeof bounce);
            memcpy(bounce, p, tail * bits / 8);
            p = bounce;
        }
        chunk_scaled(_mm512_loadu_si512((const void *)p), c, bits, mt, x0, lbs, v, sidx, sk_last, &cs, tot);
        for (int t = 0; t < mt; t++)
            y[(i0 + (uint64_t)t) * q->N + r] =
                _mm512_reduce_add_ps(tot[t]) -
                (zfold ? 0.0f : zero_point_sum(v, xr->bsum + (i0 + (uint64_t)t) * xr->nbk, xr->nbk));
    }
}

/* The rows kernel for 1..4 rows of X and 4 or 8 bits, each its own copy. */
#define ROWS_CASE(mt)                                                                                        \
    case mt:                                                                                                 \
        if (q->bits == 4)                                                                                    \
            rows_avx512(q, g, xr, i, mt, 4, y, B);                                                           \
        else                                                                                                 \
            rows_avx512(q, g, xr, i, mt, 8, y, B);                                                           \
        break;

__attribute__((target(T512))) static void matmul_rows_avx512(const slm_qweight *q, const qgeom *g, const xrows *xr,
                                                            uint64_t m, float *y, float *B)
{
    for (uint64_t i = 0; i < m; i += 4)
        switch (m - i < 4 ? m - i : 4) {
            ROWS_CASE(4)
            ROWS_CASE(3)
            ROWS_CASE(2)
            ROWS_CASE(1)
        default: break;
        }
}
#undef ROWS_CASE

/* X^T for the lanes kernel: panels of 16 rows, kq (a multiple of 32) x 16. */
typedef struct xlanes {
    float *x;
    uint64_t kq, used;
} xlanes;

/* The element at position K of the lanes order. */
static uint64_t lane_elem(unsigned bits, uint64_t k)
{
    uint64_t p = k & 31;
    return bits != 4 ? k : (k - p) + (p < 16 ? 2 * p : 2 * (p - 16) + 1);
}

static bool xlanes_make(xlanes *p, const slm_qweight *q, const float *x, uint64_t m)
{
    uint64_t n;
    p->x = NULL;
    if (!slm_mul_u64(slm_qweight_blocks(q), q->block_size, &p->used) || p->used > UINT64_MAX - 31)
        return false;
    p->kq = (p->used + 31) & ~(uint64_t)31;
    if (!slm_mul_u64(p->kq, 16 * ((m + 15) / 16), &n) || !(p->x = zalloc64(n)))
        return false;
    for (uint64_t i = 0; i < m; i++) {
        float *dst = p->x + (i / 16) * p->kq * 16 + i % 16;
        for (uint64_t k = 0; k < p->kq; k++) {
            uint64_t e = lane_elem(q->bits, k);
            if (e < q->K)
                dst[16 * k] = x[i * q->K + e];
        }
    }
    return true;
}

/* KN (a multiple of 32; 16 for 8 bits) weights of a row from position K0 (lanes order)
 * into OUT, dequantized bit for bit; positions past the row's USED
 * elements get 0 or any finite value (their activations are 0). */
__attribute__((target(T512), always_inline)) static inline void deq_span_avx512(const slm_qweight *q, const uint8_t *row,
                                                                              uint64_t used, rowv v, uint64_t k0,
                                                                              uint64_t kn, float *out)
{
    unsigned lbs = (unsigned)__builtin_ctzll(q->block_size); /* a power of 2: no division per chunk */
    if (q->bits == 4) {
        __m512i hsel = half_select();
        for (uint64_t k = k0; k < k0 + kn; k += 32) {
            const uint8_t *p = row + k / 2;
            uint8_t bounce[16];
            uint64_t b0 = k >> lbs, b1 = (k + 16) >> lbs;
            if (k + 32 > used) { /* 16 elements left (block_size 16) */
                memset(bounce, 0, sizeof bounce);
                memcpy(bounce, p, 8);
                p = bounce;
                b1 = b0;
            }
            __m512 t0 = table16(ld_f32(v.s, b0), ld_f32(v.z, b0)), lo, hi;
            if (b1 == b0) { /* one table: vpermps reads the low nibble, or the high one shifted down */
                __m512i e = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(const void *)p));
                lo = _mm512_permutexvar_ps(e, t0);
                hi = _mm512_permutexvar_ps(_mm512_srli_epi32(e, 4), t0);
            } else
                deq32_4_avx512(p, t0, table16(ld_f32(v.s, b1), ld_f32(v.z, b1)), hsel, &lo, &hi);
            _mm512_storeu_ps(out + k - k0, lo);
            _mm512_storeu_ps(out + k - k0 + 16, hi);
        }
        return;
    }
    for (uint64_t k = k0; k < k0 + kn; k += 16) {
        __m512 w = _mm512_setzero_ps();
        if (k < used) {
            __m512 e = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(const void *)(row + k))));
            w = _mm512_mul_ps(_mm512_sub_ps(e, _mm512_set1_ps(ld_f32(v.z, k >> lbs))), _mm512_set1_ps(ld_f32(v.s, k >> lbs)));
        }
        _mm512_storeu_ps(out + k - k0, w);
    }
}

#define X16(F) F(0) F(1) F(2) F(3) F(4) F(5) F(6) F(7) F(8) F(9) F(10) F(11) F(12) F(13) F(14) F(15)

/* Zeroes the weights of positions past K in the KN columns of WB from K0
 * (padding: 0, never (e - zp) * s, which could be Inf times a 0 of X). */
static void zero_padding(const slm_qweight *q, uint64_t k0, uint64_t kn, float *wb)
{
    for (uint64_t k = (q->K & ~(uint64_t)31) > k0 ? q->K & ~(uint64_t)31 : k0; k < k0 + kn; k++)
        if (lane_elem(q->bits, k) >= q->K)
            for (uint64_t j = 0; j < 16; j++)
                wb[j * LANES_KC + k - k0] = 0;
}

/* Rows I0 .. I0+MP-1 of X (one panel of XL, MP <= 16) against W.  B:
 * row_view_buffers(q, g, 16).  The weights of the next KC columns are
 * dequantized into the other buffer a piece at a time between the FMAs of
 * these (the FMA ports stay busy while the others dequantize). */
__attribute__((target(T512))) static void lanes_avx512(const slm_qweight *q, const qgeom *g, const xlanes *xl,
                                                      uint64_t i0, uint64_t mp, float *y, float *B)
{
    _Alignas(64) float wb[2][16 * LANES_KC];
    float out[16][16];
    rowv v[16];
    const uint8_t *rows[16];
    const float *xt = xl->x + i0 * xl->kq; /* i0 is a multiple of 16 */
    const uint64_t unit = q->bits == 4 ? 32 : 16; /* columns of one piece of dequantization */
    for (uint64_t n0 = 0; n0 < q->N; n0 += 16) {
        uint64_t nr = q->N - n0 < 16 ? q->N - n0 : 16;
        for (uint64_t j = 0; j < nr; j++) {
            v[j] = row_view(q, g, n0 + j, B + (1 + j) * g->nb, B + (17 + j) * g->nb, B);
            rows[j] = q->q->data + (n0 + j) * g->row_bytes;
        }
        if (nr < 16) /* rows past N: zero weights, never written */
            memset(wb, 0, sizeof wb);
        uint64_t kn = xl->kq < LANES_KC ? xl->kq : LANES_KC;
        for (uint64_t j = 0; j < nr; j++)
            deq_span_avx512(q, rows[j], xl->used, v[j], 0, kn, wb[0] + j * LANES_KC);
        zero_padding(q, 0, kn, wb[0]);
#define ZERO(j) __m512 a##j = _mm512_setzero_ps();
        X16(ZERO)
        for (uint64_t k0 = 0, ci = 0; k0 < xl->kq; k0 += LANES_KC, ci++) {
            kn = xl->kq - k0 < LANES_KC ? xl->kq - k0 : LANES_KC;
            const float *cur = wb[ci & 1];
            float *nxt = wb[(ci + 1) & 1];
            uint64_t k1 = k0 + LANES_KC, kn1 = k1 >= xl->kq ? 0 : xl->kq - k1 < LANES_KC ? xl->kq - k1 : LANES_KC;
            uint64_t per_row = kn1 / unit, units = nr * per_row, done = 0, jr = 0, pc = 0;
            uint64_t every = units && kn >= units ? kn / units : 1, wait = every;
            for (uint64_t k = 0; k < kn; k++) {
                __m512 xv = _mm512_loadu_ps(xt + 16 * (k0 + k));
                const float *w = cur + k;
#define FMA(j) a##j = _mm512_fmadd_ps(_mm512_set1_ps(w[(j) * LANES_KC]), xv, a##j);
                X16(FMA)
                if (done < units && --wait == 0) { /* one piece of the next columns */
                    wait = every;
                    deq_span_avx512(q, rows[jr], xl->used, v[jr], k1 + pc * unit, unit, nxt + jr * LANES_KC + pc * unit);
                    done++;
                    if (++pc == per_row)
                        pc = 0, jr++;
                }
            }
            for (; done < units; done++) {
                deq_span_avx512(q, rows[jr], xl->used, v[jr], k1 + pc * unit, unit, nxt + jr * LANES_KC + pc * unit);
                if (++pc == per_row)
                    pc = 0, jr++;
            }
            if (kn1)
                zero_padding(q, k1, kn1, nxt);
        }
#define STORE(j) _mm512_storeu_ps(out[j], a##j);
        X16(STORE)
        for (uint64_t j = 0; j < nr; j++)
            for (uint64_t l = 0; l < mp; l++)
                y[(i0 + l) * q->N + n0 + j] = out[j][l];
    }
}
#undef ZERO
#undef FMA
#undef STORE

/* Rows [0, L) of X go to the lanes kernel, the rest (fewer than
 * LANES_MIN) to the rows kernel.  False when memory runs out. */
static bool matmul_avx512(const slm_qweight *q, const qgeom *g, const float *x, uint64_t m, float *y)
{
    uint64_t rest = m % 16 < LANES_MIN ? m % 16 : 0, lanes = m - rest;
    bool ok = true;
    if (lanes) {
        xlanes xl;
        float *B = row_view_buffers(q, g, 16);
        ok = B && xlanes_make(&xl, q, x, lanes);
        if (ok) {
            for (uint64_t i = 0; i < lanes; i += 16)
                lanes_avx512(q, g, &xl, i, lanes - i < 16 ? lanes - i : 16, y, B);
            free(xl.x);
        }
        free(B);
    }
    if (ok && rest) {
        xrows xr;
        float *B = row_view_buffers(q, g, 1);
        ok = B && xrows_make(&xr, q, x + lanes * q->K, rest);
        if (ok) {
            matmul_rows_avx512(q, g, &xr, rest, y + lanes * q->N, B);
            xrows_free(&xr);
        }
        free(B);
    }
    return ok;
}
#endif

void slm_q_matmul(const slm_qweight *q, const float *x, uint64_t m, float *y)
{
    qgeom g;
    if (geom(q, &g))
        return;
#ifdef SLM_X86
    if (level() == KER_AVX512 && streamable(q) && !(q->block_size & (q->block_size - 1)) && matmul_avx512(q, &g, x, m, y))
        return;
    if (level() >= KER_AVX2 && streamable(q)) {
        xprep xp;
        rowbuf rb;
        if (rowbuf_get(&rb, g.nb) && xprep_make(&xp, q, &g, x, m)) {
            matmul_avx2(q, &g, &xp, m, y, rb.s, rb.z);
            xprep_free(&xp);
            free(rb.heap);
            return;
        }
        free(rb.heap);
    }
#endif
    matmul_rows(q, x, m, y);
}

/* ---- rows of reference tensors ------------------------------------------- */

#ifdef SLM_X86
__attribute__((target("avx2,fma,f16c"))) static void f16_row_avx2(const uint8_t *p, uint64_t n, float *out)
{
    uint64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(out + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)(p + 2 * i))));
    for (; i < n; i++) {
        uint16_t h;
        memcpy(&h, p + 2 * i, 2);
        out[i] = slm_f16_to_f32(h);
    }
}

__attribute__((target("avx2,fma,f16c"))) static double dot_avx2(const float *a, const float *b, uint64_t n)
{
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
    uint64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
        s2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), s2);
        s3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), s3);
    }
    for (; i + 8 <= n; i += 8)
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    __m256 s = _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3));
    float l[8];
    _mm256_storeu_ps(l, s);
    double t = 0;
    for (int j = 0; j < 8; j++)
        t += l[j];
    for (; i < n; i++)
        t += (double)a[i] * b[i];
    return t;
}
#endif

void slm_q_load_row(slm_dtype t, const uint8_t *data, uint64_t first, uint64_t stride, uint64_t n, float *out)
{
#ifdef SLM_X86
    if (t == SLM_DT_F16 && stride == 1 && level() >= KER_AVX2) {
        f16_row_avx2(data + 2 * first, n, out);
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
    if (level() >= KER_AVX2)
        return dot_avx2(a, b, n);
#endif
    double t = 0;
    for (uint64_t i = 0; i < n; i++)
        t += (double)a[i] * b[i];
    return t;
}

/* ---- metrics ------------------------------------------------------------- */

void slm_qerr_init(slm_qerr *a)
{
    memset(a, 0, sizeof *a);
}

static inline void qerr_one(slm_qerr *a, double d, double r)
{
    if (!isfinite(d) || !isfinite(r)) {
        a->nonfinite++;
        return;
    }
    double e = d - r, ae = fabs(e);
    a->n++;
    if (ae > a->max_abs)
        a->max_abs = ae;
    a->sum_abs += ae;
    a->sum_e2 += e * e;
    a->sum_r2 += r * r;
    a->sum_d2 += d * d;
    a->sum_dr += d * r;
}

#ifdef SLM_X86
/* qerr_one over 8 pairs at a time: the same sums in double, 4 lanes and two
 * sets of them (the order of additions differs from the scalar loop's;
 * the sums agree to rounding).  Pairs with a NaN or Inf are counted and
 * left out by masks.  Returns the pairs done (a multiple of 8). */
__attribute__((target("avx2,fma,f16c"))) static uint64_t qerr_avx2(slm_qerr *a, const float *d, const float *r,
                                                                   uint64_t n)
{
    const __m256i expo = _mm256_set1_epi32(0x7f800000);
    const __m256d sign = _mm256_set1_pd(-0.0);
    __m256d mx = _mm256_setzero_pd(), sa[2], se[2], sr[2], sd[2], sx[2];
    for (int h = 0; h < 2; h++)
        sa[h] = se[h] = sr[h] = sd[h] = sx[h] = _mm256_setzero_pd();
    uint64_t i = 0, bad = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 vd = _mm256_loadu_ps(d + i), vr = _mm256_loadu_ps(r + i);
        /* finite: the exponent bits of neither are all ones */
        __m256i fd = _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_castps_si256(vd), expo), expo);
        __m256i fr = _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_castps_si256(vr), expo), expo);
        __m256 ok = _mm256_castsi256_ps(_mm256_andnot_si256(_mm256_or_si256(fd, fr), _mm256_set1_epi32(-1)));
        bad += 8 - (uint64_t)__builtin_popcount((unsigned)_mm256_movemask_ps(ok));
        vd = _mm256_and_ps(vd, ok);
        vr = _mm256_and_ps(vr, ok);
        for (int h = 0; h < 2; h++) {
            __m256d dd = _mm256_cvtps_pd(h ? _mm256_extractf128_ps(vd, 1) : _mm256_castps256_ps128(vd));
            __m256d rr = _mm256_cvtps_pd(h ? _mm256_extractf128_ps(vr, 1) : _mm256_castps256_ps128(vr));
            __m256d e = _mm256_sub_pd(dd, rr), ae = _mm256_andnot_pd(sign, e);
            mx = _mm256_max_pd(mx, ae);
            sa[h] = _mm256_add_pd(sa[h], ae);
            se[h] = _mm256_fmadd_pd(e, e, se[h]);
            sr[h] = _mm256_fmadd_pd(rr, rr, sr[h]);
            sd[h] = _mm256_fmadd_pd(dd, dd, sd[h]);
            sx[h] = _mm256_fmadd_pd(dd, rr, sx[h]);
        }
    }
    double v[4][5], m[4];
    _mm256_storeu_pd(m, mx);
    __m256d t[5] = {_mm256_add_pd(sa[0], sa[1]), _mm256_add_pd(se[0], se[1]), _mm256_add_pd(sr[0], sr[1]),
                    _mm256_add_pd(sd[0], sd[1]), _mm256_add_pd(sx[0], sx[1])};
    for (int j = 0; j < 5; j++) {
        double l[4];
        _mm256_storeu_pd(l, t[j]);
        for (int k = 0; k < 4; k++)
            v[k][j] = l[k];
    }
    for (int k = 0; k < 4; k++) {
        if (m[k] > a->max_abs)
            a->max_abs = m[k];
        a->sum_abs += v[k][0];
        a->sum_e2 += v[k][1];
        a->sum_r2 += v[k][2];
        a->sum_d2 += v[k][3];
        a->sum_dr += v[k][4];
    }
    a->nonfinite += bad;
    a->n += i - bad;
    return i;
}
#endif

void slm_qerr_add_f32(slm_qerr *a, const float *d, const float *r, uint64_t n)
{
    uint64_t i = 0;
#ifdef SLM_X86
    if (level() >= KER_AVX2)
        i = qerr_avx2(a, d, r, n);
#endif
    for (; i < n; i++)
        qerr_one(a, d[i], r[i]);
}

void slm_qerr_add_f64(slm_qerr *a, const double *d, const double *r, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++)
        qerr_one(a, d[i], r[i]);
}

void slm_qerr_merge(slm_qerr *into, const slm_qerr *from)
{
    into->n += from->n;
    into->nonfinite += from->nonfinite;
    if (from->max_abs > into->max_abs)
        into->max_abs = from->max_abs;
    into->sum_abs += from->sum_abs;
    into->sum_e2 += from->sum_e2;
    into->sum_r2 += from->sum_r2;
    into->sum_d2 += from->sum_d2;
    into->sum_dr += from->sum_dr;
}

slm_qmetrics slm_qerr_metrics(const slm_qerr *a)
{
    slm_qmetrics m;
    double n = (double)a->n;
    m.n = a->n;
    m.nonfinite = a->nonfinite;
    m.max_abs_err = a->max_abs;
    m.mean_abs_err = a->n ? a->sum_abs / n : NAN;
    m.rmse = a->n ? sqrt(a->sum_e2 / n) : NAN;
    m.ref_rms = a->n ? sqrt(a->sum_r2 / n) : NAN;
    m.rel_rmse = a->sum_r2 > 0 ? sqrt(a->sum_e2 / a->sum_r2) : NAN;
    m.cosine = a->sum_d2 > 0 && a->sum_r2 > 0 ? a->sum_dr / sqrt(a->sum_d2 * a->sum_r2) : NAN;
    m.sqnr_db = a->sum_e2 > 0 ? 10.0 * log10(a->sum_r2 / a->sum_e2) : a->n ? INFINITY : NAN;
    return m;
}

/* ---- activations ----------------------------------------------------------- */

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void slm_q_random_normal(uint64_t seed, float *out, uint64_t n)
{
    uint64_t s = seed;
    for (uint64_t i = 0; i < n; i += 2) {
        /* u1 in (0, 1], u2 in [0, 1): 53-bit uniforms */
        double u1 = ((double)(splitmix64(&s) >> 11) + 1.0) * 0x1p-53, u2 = (double)(splitmix64(&s) >> 11) * 0x1p-53;
        double rad = sqrt(-2.0 * log(u1)), th = 6.283185307179586 * u2;
        out[i] = (float)(rad * cos(th));
        if (i + 1 < n)
            out[i + 1] = (float)(rad * sin(th));
    }
}

/* ---- value checks -------------------------------------------------------- */

void slm_qweight_scan(const slm_qweight *q, slm_qscan *sc)
{
    memset(sc, 0, sizeof *sc);
    qgeom g;
    if (geom(q, &g))
        return;
    bool f16 = slm_qweight_compute_dtype(q) == SLM_DT_F16;
    double qmin = 0, qmax = (double)((1u << q->bits) - 1);
    if (q->layout == SLM_QL_DQL_BLOCKED && (q->q->dtype == SLM_DT_I4 || q->q->dtype == SLM_DT_I8)) {
        qmin = -(double)(1u << (q->bits - 1));
        qmax = (double)(1u << (q->bits - 1)) - 1;
    }
    for (uint64_t r = 0; r < q->N; r++)
        for (uint64_t b = 0; b < g.nb; b++) {
            double s = scale_at(q, &g, r, b), z = zp_at(q, &g, r, b);
            sc->scales++;
            if (!isfinite(s))
                sc->scale_nonfinite++;
            else if (s == 0)
                sc->scale_zero++;
            else if (fabs(s) < (q->scales->dtype == SLM_DT_F16 ? 0x1p-14 : 0x1p-126))
                sc->scale_subnormal++;
            if (!isfinite(z))
                sc->zp_nonfinite++;
            else if (f16 && isfinite(s) && fmax(fabs((qmin - z) * s), fabs((qmax - z) * s)) > SLM_F16_MAX)
                sc->f16_overflow++;
        }
    if (q->g_idx)
        for (uint64_t k = 0; k < q->K; k++)
            if (block_of(q, k) >= g.nb)
                sc->g_idx_bad++;
}

#ifdef SLM_X86
/* Adds to N the finite REF[k] outside [LO, HI] for k from K0, 4 at a time
 * in double (the scalar loop's comparisons); returns where it stopped. */
__attribute__((target("avx2,fma,f16c"))) static uint64_t outside_avx2(const float *ref, uint64_t k0, uint64_t k1,
                                                                      double lo, double hi, uint64_t *n)
{
    const __m256d vlo = _mm256_set1_pd(lo), vhi = _mm256_set1_pd(hi), inf = _mm256_set1_pd(INFINITY);
    const __m256d sign = _mm256_set1_pd(-0.0);
    uint64_t k = k0, c = 0;
    for (; k + 4 <= k1; k += 4) {
        __m256d v = _mm256_cvtps_pd(_mm_loadu_ps(ref + k));
        __m256d out = _mm256_or_pd(_mm256_cmp_pd(v, vlo, _CMP_LT_OQ), _mm256_cmp_pd(v, vhi, _CMP_GT_OQ));
        out = _mm256_and_pd(out, _mm256_cmp_pd(_mm256_andnot_pd(sign, v), inf, _CMP_LT_OQ)); /* finite */
        c += (uint64_t)__builtin_popcount((unsigned)_mm256_movemask_pd(out));
    }
    *n += c;
    return k;
}
#endif

uint64_t slm_q_clipped_row(const slm_qweight *q, uint64_t r, const float *ref)
{
    qgeom g;
    if (geom(q, &g) || r >= q->N)
        return 0;
    double qmin = 0, qmax = (double)((1u << q->bits) - 1);
    if (q->layout == SLM_QL_DQL_BLOCKED && (q->q->dtype == SLM_DT_I4 || q->q->dtype == SLM_DT_I8)) {
        qmin = -(double)(1u << (q->bits - 1));
        qmax = (double)(1u << (q->bits - 1)) - 1;
    }
    uint64_t n = 0;
    if (!q->g_idx) { /* block by block: no division per element */
        for (uint64_t b = 0, k0 = 0; k0 < q->K; b++, k0 += q->block_size) {
            double s = scale_at(q, &g, r, b), z = zp_at(q, &g, r, b), a = (qmin - z) * s, c = (qmax - z) * s;
            double lo = fmin(a, c) - fabs(s) / 2, hi = fmax(a, c) + fabs(s) / 2;
            uint64_t k = k0, k1 = q->K - k0 < q->block_size ? q->K : k0 + q->block_size;
#ifdef SLM_X86
            if (level() >= KER_AVX2)
                k = outside_avx2(ref, k0, k1, lo, hi, &n);
#endif
            for (; k < k1; k++) {
                double v = ref[k];
                n += (v < lo || v > hi) && isfinite(v); /* NaN compares false */
            }
        }
        return n;
    }
    uint64_t cur = UINT64_MAX;
    double lo = 0, hi = 0;
    for (uint64_t k = 0; k < q->K; k++) {
        uint64_t b = block_of(q, k);
        if (b >= g.nb || !isfinite(ref[k]))
            continue;
        if (b != cur) {
            double s = scale_at(q, &g, r, b), z = zp_at(q, &g, r, b), a = (qmin - z) * s, c = (qmax - z) * s;
            lo = fmin(a, c) - fabs(s) / 2;
            hi = fmax(a, c) + fabs(s) / 2;
            cur = b;
        }
        if (ref[k] < lo || ref[k] > hi)
            n++;
    }
    return n;
}

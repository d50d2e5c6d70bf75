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
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#define SLM_X86 1
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

typedef enum { KER_SCALAR, KER_SSE2, KER_AVX2 } kernel_level;

static kernel_level detect(void)
{
    kernel_level best = KER_SCALAR;
#ifdef SLM_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("sse2"))
        best = KER_SSE2;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c"))
        best = KER_AVX2;
#endif
    const char *force = getenv("SLM_QUANT_KERNEL");
    if (force) {
        kernel_level want = strcmp(force, "scalar") == 0 ? KER_SCALAR : strcmp(force, "sse2") == 0 ? KER_SSE2 : best;
        if (want < best)
            best = want;
    }
    return best;
}

static kernel_level level(void)
{
    static int cached = -1; /* benign race: every thread computes the same */
    if (cached < 0)
        cached = (int)detect();
    return (kernel_level)cached;
}

const char *slm_q_kernel(void)
{
    static const char *names[] = {"scalar", "sse2", "avx2"};
    return names[level()];
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
    if (lv == KER_AVX2)
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
        float *dst = p->x + i * kp;
        const float *src = x + i * q->K;
        for (uint64_t k = 0; k < q->K; k++) {
            uint64_t c = k & ~(uint64_t)15, j = k & 15;
            dst[q->bits == 4 ? c + (j & 1) * 8 + j / 2 : k] = src[k];
            p->bsum[i * g->nb + k / q->block_size] += src[k];
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
    uint64_t b = 0;
    if (mt == 1)
        for (; b + 2 <= g->nb; b += 2) {
            block_avx2(q, g, xp, i0, 1, row, s, z, b, ta, ca);
            block_avx2(q, g, xp, i0, 1, row, s, z, b + 1, tb, cb);
        }
    for (; b < g->nb; b++)
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

void slm_q_matmul(const slm_qweight *q, const float *x, uint64_t m, float *y)
{
    qgeom g;
    if (geom(q, &g))
        return;
#ifdef SLM_X86
    if (level() == KER_AVX2 && streamable(q)) {
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
    if (t == SLM_DT_F16 && stride == 1 && level() == KER_AVX2) {
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
    if (level() == KER_AVX2)
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

void slm_qerr_add_f32(slm_qerr *a, const float *d, const float *r, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++)
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
    uint64_t n = 0, cur = UINT64_MAX;
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

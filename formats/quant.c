/* Quantized weights: the layouts and their scalar reference kernels (the
 * definition), and the value checks (slm/quant.h).  The fast kernels are
 * quant_cpu.c (dispatch) and quant_x86_*.c (one file per instruction set);
 * the error metrics quant_metrics.c.
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
#include "quant_internal.h"
#include "slm/ggml_quants.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- geometry ------------------------------------------------------------ */

static bool float_type(slm_dtype t)
{
    return t == SLM_DT_F32 || t == SLM_DT_F16 || t == SLM_DT_BF16;
}

/* ggml blocks: whole blocks a row, the rows inside the tensor. */
static const char *ggml_geom(const slm_qweight *q, qgeom *g)
{
    const slm_ggml_type *t = slm_ggml_type_get(q->ggml_type);
    uint64_t need;
    if (!q->q || !q->q->data)
        return "packed values missing or not readable";
    if (!t || !t->block)
        return "not a ggml type";
    if (!slm_ggml_decodes(q->ggml_type))
        return "a ggml type slminspect does not decode";
    if (q->K == 0 || q->N == 0 || q->K % t->block || q->block_size != t->block)
        return "K is 0 or not a multiple of the ggml type's block";
    g->nb = q->K / t->block;
    if (!slm_mul_u64(g->nb, t->bytes, &g->row_bytes) || !slm_mul_u64(g->row_bytes, q->N, &need) ||
        q->q->nbytes < need)
        return "ggml tensor smaller than N rows of K / block blocks";
    return NULL;
}

const char *slm_qi_geom(const slm_qweight *q, qgeom *g)
{
    memset(g, 0, sizeof *g);
    if (q->layout == SLM_QL_GGML)
        return ggml_geom(q, g);
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
    case SLM_QL_GGML: /* handled above */
        break;
    }
    return "unknown layout";
}

const char *slm_qweight_check(const slm_qweight *q)
{
    qgeom g;
    return slm_qi_geom(q, &g);
}

uint64_t slm_qweight_blocks(const slm_qweight *q)
{
    return q->block_size ? q->K / q->block_size + (q->K % q->block_size != 0) : 0;
}

slm_dtype slm_qweight_compute_dtype(const slm_qweight *q)
{
    if (!q->scales || q->layout == SLM_QL_GGML) /* ggml dequantizes to float */
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

uint64_t slm_qi_block_of(const slm_qweight *q, uint64_t k)
{
    if (q->g_idx) {
        int32_t v;
        memcpy(&v, q->g_idx->data + 4 * k, 4);
        return (uint64_t)(uint32_t)v; /* checked by the caller against nb */
    }
    return k / q->block_size;
}

/* Scale and zero point of block B of row R. */
float slm_qi_scale_at(const slm_qweight *q, const qgeom *g, uint64_t r, uint64_t b)
{
    uint64_t i = q->layout == SLM_QL_DQL_BLOCKED && q->transposed ? b * q->N + r : r * g->nb + b;
    return load_float(q->scales->dtype, q->scales->data, i);
}

float slm_qi_zp_at(const slm_qweight *q, const qgeom *g, uint64_t r, uint64_t b)
{
    const slm_tensor *z = q->zero_points;
    switch (q->layout) {
    case SLM_QL_GGML: return 0.0f; /* in the blocks: not read through here */
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
    uint64_t b = slm_qi_block_of(q, k);
    if (b >= g->nb)
        return NAN;
    float w = ((float)qint_at(q, g, r, k) - slm_qi_zp_at(q, g, r, b)) * slm_qi_scale_at(q, g, r, b);
    return q->layout == SLM_QL_DQL_BLOCKED ? round_to(q->scales->dtype, w) : w;
}

/* ---- reference kernels --------------------------------------------------- */

void slm_q_dequant_row_ref(const slm_qweight *q, uint64_t r, float *out)
{
    qgeom g;
    if (slm_qi_geom(q, &g) || r >= q->N)
        return;
    if (q->layout == SLM_QL_GGML) {
        slm_ggml_dequant_ref(q->ggml_type, q->q->data + r * g.row_bytes, q->K, out);
        return;
    }
    for (uint64_t k = 0; k < q->K; k++)
        out[k] = deq_elem(q, &g, r, k);
}

void slm_q_matmul_ref(const slm_qweight *q, const float *x, uint64_t m, double *y)
{
    qgeom g;
    if (slm_qi_geom(q, &g))
        return;
    for (uint64_t i = 0; i < m * q->N; i++)
        y[i] = 0;
    if (q->layout == SLM_QL_GGML) { /* row by row through the reference dequantizer */
        float *w = malloc(q->K * sizeof *w);
        for (uint64_t r = 0; w && r < q->N; r++) {
            slm_q_dequant_row_ref(q, r, w);
            for (uint64_t k = 0; k < q->K; k++)
                for (uint64_t i = 0; i < m; i++)
                    y[i * q->N + r] += (double)x[i * q->K + k] * w[k];
        }
        free(w);
        return;
    }
    for (uint64_t r = 0; r < q->N; r++)
        for (uint64_t k = 0; k < q->K; k++) {
            double w = deq_elem(q, &g, r, k);
            for (uint64_t i = 0; i < m; i++)
                y[i * q->N + r] += (double)x[i * q->K + k] * w;
        }
}


/* ---- value checks -------------------------------------------------------- */

/* ggml blocks: each block's (super-block) scale d, for NaN/Inf only: a
 * K type's super-block scale multiplies 6- or 8-bit sub-scales and is
 * routinely an fp16 subnormal for weights of ordinary size (ggml's own
 * quantizer writes it so), and a zero d is a block of zeros. */
static void ggml_scan(const slm_qweight *q, const qgeom *g, slm_qscan *sc)
{
    const slm_ggml_type *t = slm_ggml_type_get(q->ggml_type);
    float d;
    for (uint64_t r = 0; r < q->N; r++)
        for (uint64_t b = 0; b < g->nb; b++) {
            if (!slm_ggml_block_scale(q->ggml_type, q->q->data + r * g->row_bytes + b * t->bytes, &d))
                return;
            sc->scales++;
            if (!isfinite(d))
                sc->scale_nonfinite++;
        }
}

void slm_qweight_scan(const slm_qweight *q, slm_qscan *sc)
{
    memset(sc, 0, sizeof *sc);
    qgeom g;
    if (slm_qi_geom(q, &g))
        return;
    if (q->layout == SLM_QL_GGML) {
        ggml_scan(q, &g, sc);
        return;
    }
    bool f16 = slm_qweight_compute_dtype(q) == SLM_DT_F16;
    double qmin = 0, qmax = (double)((1u << q->bits) - 1);
    if (q->layout == SLM_QL_DQL_BLOCKED && (q->q->dtype == SLM_DT_I4 || q->q->dtype == SLM_DT_I8)) {
        qmin = -(double)(1u << (q->bits - 1));
        qmax = (double)(1u << (q->bits - 1)) - 1;
    }
    for (uint64_t r = 0; r < q->N; r++)
        for (uint64_t b = 0; b < g.nb; b++) {
            double s = slm_qi_scale_at(q, &g, r, b), z = slm_qi_zp_at(q, &g, r, b);
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
            if (slm_qi_block_of(q, k) >= g.nb)
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
    if (q->layout == SLM_QL_GGML || slm_qi_geom(q, &g) || r >= q->N) /* ggml grids: not measured */
        return 0;
    double qmin = 0, qmax = (double)((1u << q->bits) - 1);
    if (q->layout == SLM_QL_DQL_BLOCKED && (q->q->dtype == SLM_DT_I4 || q->q->dtype == SLM_DT_I8)) {
        qmin = -(double)(1u << (q->bits - 1));
        qmax = (double)(1u << (q->bits - 1)) - 1;
    }
    uint64_t n = 0;
    if (!q->g_idx) { /* block by block: no division per element */
        for (uint64_t b = 0, k0 = 0; k0 < q->K; b++, k0 += q->block_size) {
            double s = slm_qi_scale_at(q, &g, r, b), z = slm_qi_zp_at(q, &g, r, b), a = (qmin - z) * s, c = (qmax - z) * s;
            double lo = fmin(a, c) - fabs(s) / 2, hi = fmax(a, c) + fabs(s) / 2;
            uint64_t k = k0, k1 = q->K - k0 < q->block_size ? q->K : k0 + q->block_size;
#ifdef SLM_X86
            if (slm_qi_level() >= KER_AVX2)
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
        uint64_t b = slm_qi_block_of(q, k);
        if (b >= g.nb || !isfinite(ref[k]))
            continue;
        if (b != cur) {
            double s = slm_qi_scale_at(q, &g, r, b), z = slm_qi_zp_at(q, &g, r, b), a = (qmin - z) * s, c = (qmax - z) * s;
            lo = fmin(a, c) - fabs(s) / 2;
            hi = fmax(a, c) + fabs(s) / 2;
            cur = b;
        }
        if (ref[k] < lo || ref[k] > hi)
            n++;
    }
    return n;
}

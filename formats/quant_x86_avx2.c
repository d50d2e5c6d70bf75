/* Quantized weights: the SSE2 and AVX2 row kernels (x86): dequantization
 * bit for bit as the reference (quant.c), the row parameters, fp16 rows and
 * dot products; the AVX2 matmul is in quant_x86_avx2_gemv.c and
 * quant_x86_avx2_gemm.c.  Reached through quant_cpu.c only. */
#include "quant_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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

__attribute__((target(T256))) static void deq16_4_avx2(const uint8_t *p, __m256 zp, __m256 s, float *out)
{
    __m128i b = _mm_loadl_epi64((const __m128i *)(const void *)p), m = _mm_set1_epi8(15);
    __m128i e = _mm_unpacklo_epi8(_mm_and_si128(b, m), _mm_and_si128(_mm_srli_epi16(b, 4), m));
    __m256 f0 = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(e));
    __m256 f1 = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(e, 8)));
    _mm256_storeu_ps(out, _mm256_mul_ps(_mm256_sub_ps(f0, zp), s));
    _mm256_storeu_ps(out + 8, _mm256_mul_ps(_mm256_sub_ps(f1, zp), s));
}

__attribute__((target(T256))) static void deq16_8_avx2(const uint8_t *p, __m256 zp, __m256 s, float *out)
{
    __m128i e = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m256 f0 = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(e));
    __m256 f1 = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(e, 8)));
    _mm256_storeu_ps(out, _mm256_mul_ps(_mm256_sub_ps(f0, zp), s));
    _mm256_storeu_ps(out + 8, _mm256_mul_ps(_mm256_sub_ps(f1, zp), s));
}

__attribute__((target("sse2"))) void slm_qi_deq_row_sse2(const slm_qweight *q, const uint8_t *row, const float *s,
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

__attribute__((target(T256))) void slm_qi_deq_row_avx2(const slm_qweight *q, const uint8_t *row, const float *s,
                                                      const float *z, float *out)
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

/* Scales and zero points of row R as floats (nb of each), the common
 * cases without the per-element decoder. */
__attribute__((target(T256))) void slm_qi_row_params_avx2(const slm_qweight *q, const qgeom *g, uint64_t r, float *s,
                                                         float *z)
{
    if (q->scales->dtype == SLM_DT_F16 && q->layout != SLM_QL_DQL_BLOCKED && (!q->zero_points || g->zp_packed)) {
        const uint8_t *src = q->scales->data + 2 * r * g->nb;
        uint64_t b = 0;
        for (; b + 8 <= g->nb; b += 8)
            _mm256_storeu_ps(s + b, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)(src + 2 * b))));
        for (; b < g->nb; b++)
            s[b] = slm_qi_scale_at(q, g, r, b);
        for (b = 0; b < g->nb; b++)
            z[b] = slm_qi_zp_at(q, g, r, b);
        return;
    }
    if (q->scales->dtype == SLM_DT_F32 && !q->zero_points && q->layout != SLM_QL_DQL_BLOCKED) {
        memcpy(s, q->scales->data + 4 * r * g->nb, 4 * g->nb);
        float zz = q->layout == SLM_QL_MLC_GROUP ? 7.0f : (float)(1u << (q->bits - 1));
        for (uint64_t b = 0; b < g->nb; b++)
            z[b] = zz;
        return;
    }
    slm_qi_row_params(q, g, r, s, z);
}

__attribute__((target(T256))) void slm_qi_f16_row_avx2(const uint8_t *p, uint64_t n, float *out)
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

__attribute__((target(T256))) double slm_qi_dot_avx2(const float *a, const float *b, uint64_t n)
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

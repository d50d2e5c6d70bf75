/* Quantized weights: the SSE2 and AVX2 kernels (x86).  Dequantization bit
 * for bit as the reference (quant.c); the matmul in float within the bound
 * of slm/quant.h.  Reached through quant_cpu.c only. */
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

__attribute__((target("avx2,fma,f16c"))) void slm_qi_deq_row_avx2(const slm_qweight *q, const uint8_t *row,
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

bool slm_qi_matmul_avx2(const slm_qweight *q, const qgeom *g, const float *x, uint64_t m, float *y)
{
    xprep xp;
    rowbuf rb;
    bool ok = slm_qi_rowbuf_get(&rb, g->nb) && xprep_make(&xp, q, g, x, m);
    if (ok) {
        matmul_avx2(q, g, &xp, m, y, rb.s, rb.z);
        xprep_free(&xp);
    }
    free(rb.heap);
    return ok;
}

__attribute__((target("avx2,fma,f16c"))) void slm_qi_f16_row_avx2(const uint8_t *p, uint64_t n, float *out)
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

__attribute__((target("avx2,fma,f16c"))) double slm_qi_dot_avx2(const float *a, const float *b, uint64_t n)
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

/* Quantized weights: the AVX2 GEMM kernel (x86, AVX2 + FMA + F16C, no
 * AVX-512: GitHub's hosted runners and other AVX2-only machines).  The
 * "lanes" strategy of quant_x86_avx512.c in 8-lane vectors and 16
 * registers; float accumulation within the bound of slm/quant.h.  Rows of
 * X past the last panel of 16 that are fewer than LANES_MIN go to the GEMV
 * kernel (quant_x86_avx2_gemv.c).  Reached through quant_cpu.c only
 * (block_size a power of 2).
 *
 * The 8 lanes of a vector are 8 rows of X, two vectors 16 rows.  For NR
 * rows of W and KC columns at a time the weights are dequantized
 * (((float)e - zp) * s, bit for bit as the reference) into a buffer that
 * stays in L1; then every column k broadcasts W[n][k] into 2 FMAs against
 * X^T[k]: 2 NR = 12 accumulators, 2 vectors of X and the broadcast fill the
 * 16 registers:
 *
 *   wb[n][k]: NR x KC floats        xt[k][i]: kq x 16 floats, k in the
 *   acc[n] += wb[n][k] * xt[k]      order of deq_span_avx2 (4 bits: the low
 *                                   nibbles of 16 bytes, then the high ones)
 *
 * 12 FMAs per 8 loads, FMA-bound; the dequantization costs about 25
 * operations per 32 weights of a row (for 64 FMAs).  Dequantizing the next
 * columns between the FMAs, as the AVX-512 kernel does, measured slower
 * here (the 16 registers do not hold both), as did NR = 4 or 5. */
#include "quant_internal.h"

#include <stdlib.h>
#include <string.h>

#ifdef SLM_X86
/* LANES_MIN: measured at K = 4096 (9 rows of X: GEMV 6.4 ms, lanes 6.6;
 * 10 rows: 7.0 and 6.7); KC 64 and 128 alike, 256 slower; PAD: floats
 * past nb in the parameter buffers */
enum { LANES_MIN = 10, NR = 6, KC = 128, PAD = 8 };

/* A row's parameters: its scales (fp32, any alignment) and zero points,
 * or ZC for every block when Z is NULL. */
typedef struct rowp {
    const uint8_t *s;
    const float *z;
    float zc;
} rowp;
#define ZP(v, b) ((v).z ? (v).z[b] : (v).zc)

/* ((float)e - z) * s for the 8 bytes at the bottom of V: the reference's
 * operations, so bit for bit. */
__attribute__((target(T256), always_inline)) static inline __m256 deq8(__m128i v, float s, float z)
{
    __m256 e = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(v));
    return _mm256_mul_ps(_mm256_sub_ps(e, _mm256_set1_ps(z)), _mm256_set1_ps(s));
}

/* KN columns (a multiple of 32; 16 for 8 bits) of a row from position K0
 * (lanes order) into OUT, dequantized bit for bit; positions past the
 * row's USED elements get any finite value or NaN (zero_padding clears
 * them).  V: the row's parameters.  For 4 bits, 16 bytes give 32
 * positions: the low nibbles of bytes 0..7 (elements 0, 2, .. 14), of
 * bytes 8..15 (16 .. 30), the high nibbles of bytes 0..7 (1 .. 15), of
 * bytes 8..15 (17 .. 31): each 8 within one block (block_size >= 16). */
__attribute__((target(T256), always_inline)) static inline void deq_span_avx2(const slm_qweight *q, const uint8_t *row,
                                                                            uint64_t used, rowp v, uint64_t k0,
                                                                            uint64_t kn, float *out)
{
    unsigned lbs = (unsigned)__builtin_ctzll(q->block_size); /* a power of 2: no division per unit */
    if (q->bits == 4) {
        const __m128i m0f = _mm_set1_epi8(0x0f);
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
            __m128i e = _mm_loadu_si128((const __m128i *)(const void *)p);
            __m128i lo = _mm_and_si128(e, m0f), hi = _mm_and_si128(_mm_srli_epi16(e, 4), m0f);
            float *o = out + (k - k0);
            float s0 = slm_qi_ld_f32(v.s, b0), z0 = ZP(v, b0), s1 = slm_qi_ld_f32(v.s, b1), z1 = ZP(v, b1);
            _mm256_storeu_ps(o, deq8(lo, s0, z0));
            _mm256_storeu_ps(o + 8, deq8(_mm_unpackhi_epi64(lo, lo), s1, z1));
            _mm256_storeu_ps(o + 16, deq8(hi, s0, z0));
            _mm256_storeu_ps(o + 24, deq8(_mm_unpackhi_epi64(hi, hi), s1, z1));
        }
        return;
    }
    for (uint64_t k = k0; k < k0 + kn; k += 16) {
        float *o = out + (k - k0);
        if (k >= used) {
            _mm256_storeu_ps(o, _mm256_setzero_ps());
            _mm256_storeu_ps(o + 8, _mm256_setzero_ps());
            continue;
        }
        __m128i e = _mm_loadu_si128((const __m128i *)(const void *)(row + k));
        float s0 = slm_qi_ld_f32(v.s, k >> lbs), z0 = ZP(v, k >> lbs);
        _mm256_storeu_ps(o, deq8(e, s0, z0));
        _mm256_storeu_ps(o + 8, deq8(_mm_unpackhi_epi64(e, e), s0, z0));
    }
}

/* Zeroes the weights of positions past K in the KN columns of WB from K0
 * (padding: 0, never (e - zp) * s, which could be Inf times a 0 of X). */
static void zero_padding(const slm_qweight *q, uint64_t k0, uint64_t kn, float *wb)
{
    for (uint64_t k = (q->K & ~(uint64_t)31) > k0 ? q->K & ~(uint64_t)31 : k0; k < k0 + kn; k++)
        if (slm_qi_lane_elem(q->bits, k) >= q->K)
            for (uint64_t j = 0; j < NR; j++)
                wb[j * KC + k - k0] = 0;
}

#define XNR(F) F(0) F(1) F(2) F(3) F(4) F(5)

/* ACC (2 NR vectors: rows j of W against X rows 0..7, 8..15) += the KN
 * columns of WB against XT, the accumulators in registers throughout. */
__attribute__((target(T256), always_inline)) static inline void panel_fma(__m256 *acc, const float *wb,
                                                                        const float *xt, uint64_t kn)
{
#define LOAD(j) __m256 a##j##0 = acc[2 * (j)], a##j##1 = acc[2 * (j) + 1];
    XNR(LOAD)
    for (uint64_t k = 0; k < kn; k++) {
        __m256 x0 = _mm256_load_ps(xt + 16 * k), x1 = _mm256_load_ps(xt + 16 * k + 8), w;
#define FMA(j)                                                                                               \
    w = _mm256_broadcast_ss(wb + (j) * KC + k);                                                              \
    a##j##0 = _mm256_fmadd_ps(w, x0, a##j##0);                                                               \
    a##j##1 = _mm256_fmadd_ps(w, x1, a##j##1);
        XNR(FMA)
    }
#define STORE(j) acc[2 * (j)] = a##j##0, acc[2 * (j) + 1] = a##j##1;
    XNR(STORE)
#undef LOAD
#undef FMA
#undef STORE
}

/* Rows I0 .. I0+MP-1 of X (one panel of XL, MP <= 16) against W.  P: room
 * for NR rows of parameters, nb + PAD scales then nb + PAD zero points
 * (unused when the scales are fp32 and the zero point implicit: views). */
__attribute__((target(T256))) static void lanes_avx2(const slm_qweight *q, const qgeom *g, const slm_qi_xlanes *xl,
                                                    uint64_t i0, uint64_t mp, float *y, float *P)
{
    _Alignas(32) float wb[NR * KC];
    _Alignas(32) float out[2 * NR][8];
    const uint8_t *rows[NR];
    const float *xt = xl->x + i0 * xl->kq; /* i0 is a multiple of 16 */
    const uint64_t stride = 2 * (g->nb + PAD);
    const bool view = q->scales->dtype == SLM_DT_F32 && !q->zero_points;
    const float zc = q->layout == SLM_QL_MLC_GROUP ? 7.0f : (float)(1u << (q->bits - 1));
    rowp v[NR];
    for (uint64_t n0 = 0; n0 < q->N; n0 += NR) {
        uint64_t nr = q->N - n0 < NR ? q->N - n0 : NR;
        for (uint64_t j = 0; j < nr; j++) {
            float *s = P + j * stride, *z = s + g->nb + PAD;
            v[j] = (rowp){q->scales->data + 4 * (n0 + j) * g->nb, NULL, zc};
            if (!view) {
                slm_qi_row_params_avx2(q, g, n0 + j, s, z);
                v[j] = (rowp){(const uint8_t *)s, z, 0};
            }
            rows[j] = q->q->data + (n0 + j) * g->row_bytes;
        }
        if (nr < NR) /* rows past N: zero weights, never written */
            memset(wb, 0, sizeof wb);
        __m256 acc[2 * NR];
        for (int j = 0; j < 2 * NR; j++)
            acc[j] = _mm256_setzero_ps();
        for (uint64_t k0 = 0; k0 < xl->kq; k0 += KC) {
            uint64_t kn = xl->kq - k0 < KC ? xl->kq - k0 : KC;
            for (uint64_t j = 0; j < nr; j++)
                deq_span_avx2(q, rows[j], xl->used, v[j], k0, kn, wb + j * KC);
            if (k0 + kn > (q->K & ~(uint64_t)31))
                zero_padding(q, k0, kn, wb);
            panel_fma(acc, wb, xt + 16 * k0, kn);
        }
        for (int j = 0; j < 2 * NR; j++)
            _mm256_store_ps(out[j], acc[j]);
        for (uint64_t j = 0; j < nr; j++)
            for (uint64_t l = 0; l < mp; l++)
                y[(i0 + l) * q->N + n0 + j] = out[2 * j + l / 8][l % 8];
    }
}

/* Rows [0, L) of X go to the lanes kernel, the rest (fewer than
 * LANES_MIN) to the GEMV kernel, first: false when memory runs out (Y
 * then not, or not all, written). */
bool slm_qi_matmul_avx2(const slm_qweight *q, const qgeom *g, const float *x, uint64_t m, float *y)
{
    uint64_t rest = m % 16 < LANES_MIN ? m % 16 : 0, lanes = m - rest, n;
    if (rest && !slm_qi_rows_avx2(q, g, x + lanes * q->K, rest, y + lanes * q->N))
        return false;
    if (!lanes)
        return true;
    slm_qi_xlanes xl;
    float *P = slm_mul_u64(g->nb + PAD, 2 * NR, &n) ? slm_qi_zalloc64(n) : NULL;
    bool ok = P && slm_qi_xlanes_make(&xl, q, x, lanes);
    if (ok) {
        for (uint64_t i = 0; i < lanes; i += 16)
            lanes_avx2(q, g, &xl, i, lanes - i < 16 ? lanes - i : 16, y, P);
        free(xl.x);
    }
    free(P);
    return ok;
}
#endif

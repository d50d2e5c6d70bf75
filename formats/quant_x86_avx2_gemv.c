/* Quantized weights: the AVX2 GEMV kernel (x86, AVX2 + FMA + F16C, no
 * AVX-512: GitHub's hosted runners and other AVX2-only machines), for the
 * rows of X that quant_x86_avx2_gemm.c leaves to it (fewer than 10 a
 * panel of 16).  The "rows" strategy of quant_x86_avx512.c in 8-lane
 * vectors; float accumulation within the bound of slm/quant.h.
 *
 * A 32-byte step of a weight row is 8 dword lanes; lane j holds elements
 * E j .. E j + E-1 of the step (E = 8 nibbles or 4 bytes, CE = 8 E
 * elements a step), and "class" u is element E j + u of every lane: 8
 * integers that meet the 8 activations stored for that class.  X is copied
 * once per call, each step's CE elements as E vectors [x(u) x(E+u) ..
 * x(7E+u)] times 2^(149 - P(u) - c), c = 22 + the exponent of the row's
 * largest |x|.
 *
 * No conversion instruction: a class's field is masked (or shifted) to
 * bit P(u) of the dword and the dword used as a float as it is.  Every
 * integer below 2^24 read as a float is that integer times 2^-149 exactly
 * (the subnormals and the first binade share the spacing 2^-149), so the
 * masked field is e 2^P 2^-149, and an FMA with x 2^(149-P-c) adds e x 2^-c
 * exactly rounded, as a vcvtdq2ps and an FMA would:
 *
 *   4 bits, dword j:  31..28   27..24  ..  19..16   15..12  ..  3..0
 *                     e(8j+7)  e(8j+6) ..  e(8j+4)  e(8j+3) ..  e(8j)
 *   class u < 5: d & (15 << 4u), P = 4u;  5 <= u < 8: (d >> 16) & (15 << 4(u-4)),
 *   P = 4(u-4);  8 bits: u < 3: d & (255 << 8u), P = 8u;  u = 3: d >> 24, P = 0.
 *
 * One operation and an FMA per 8 weights (vcvtdq2ps was a third, and the
 * bound on Zen 4).  c keeps every product e x 2^-c below 2^-13 and the
 * scaled activations below 2^128; a product below 2^-126 (an activation
 * some 2^100 times smaller than the row's largest) is rounded to the
 * spacing 2^-149: an error below 2^-128 of the largest |x| in real terms.
 * Zen 4 takes subnormal FMA inputs at full speed (measured; a vmulps by
 * one was slower, so the first class of a step is an FMA into zero); where
 * a CPU does not (slm_qi_subnormals_fast, measured once), vcvtdq2ps
 * converts the same fields and x is stored times 2^(-P-c) instead.  One
 * vector of 8 scales per step multiplies the step's integer sums; the
 * result is scaled back by 2^c; the zero points (implicit or not) meet the
 * block sums of X once per row:
 *   Y[i][r] = sum_b s_b (sum_{k in b} e_k x_ik) - sum_b s_b zp_b (sum_{k in b} x_ik).
 * The weights stream from memory once per call: software prefetch ahead,
 * to L1 and, further, to L2. */
#include "quant_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef SLM_X86
/* PAD: floats past nb; PREFETCH, PREFETCH_L2: bytes ahead in the weights,
 * to L1 and to L2 (measured from DRAM on Zen 4: the L2 prefetch 16-64 KiB
 * ahead alike, 12% faster than the L1 one alone; without either, twice
 * as slow) */
enum { PAD = 8, PREFETCH = 2048, PREFETCH_L2 = 32768 };

/* The masks of step_avx2, made once per call (kept in registers): the
 * field at bit P, 15 << P (4 bits: P = 0, 4, .. 16) or 255 << P (8 bits:
 * P = 0, 8, 16). */
typedef struct consts256 {
    __m256i m[5];
} consts256;

__attribute__((target(T256), always_inline)) static inline consts256 consts256_make(unsigned bits)
{
    consts256 c;
    for (unsigned u = 0; u < 5; u++)
        c.m[u] = _mm256_set1_epi32((int)(((1u << bits) - 1) << (bits * u % 32)));
    return c;
}

/* Class U's field F (a dword vector whose lanes are e 2^P as integers),
 * read as floats (RAW) or converted, against MT rows of X (XC[t]: row t's
 * activations of the step): even classes into A[t], odd ones into B[t]. */
#define CLASS_FMA(u, F)                                                                                      \
    do {                                                                                                     \
        __m256 w_ = raw ? _mm256_castsi256_ps(F) : _mm256_cvtepi32_ps(F);                                    \
        for (int t = 0; t < mt; t++) {                                                                       \
            __m256 *acc_ = (u) % 2 ? &b[t] : &a[t], x_ = _mm256_load_ps(xc[t] + 8 * (u));                   \
            *acc_ = _mm256_fmadd_ps(w_, x_, (u) < 2 ? _mm256_setzero_ps() : *acc_);                          \
        }                                                                                                    \
    } while (0)

/* One step (dwords D): each class's field masked at bit P(u) and read as a
 * float (the table at the top of the file). */
__attribute__((target(T256), always_inline)) static inline void step_avx2(__m256i d, unsigned bits, bool raw, int mt,
                                                                        const float *const *xc, __m256 *a, __m256 *b,
                                                                        const consts256 *c)
{
    if (bits == 4) {
        __m256i h = _mm256_srli_epi32(d, 16);
        CLASS_FMA(0, _mm256_and_si256(d, c->m[0]));
        CLASS_FMA(1, _mm256_and_si256(d, c->m[1]));
        CLASS_FMA(2, _mm256_and_si256(d, c->m[2]));
        CLASS_FMA(3, _mm256_and_si256(d, c->m[3]));
        CLASS_FMA(4, _mm256_and_si256(d, c->m[4]));
        CLASS_FMA(5, _mm256_and_si256(h, c->m[1]));
        CLASS_FMA(6, _mm256_and_si256(h, c->m[2]));
        CLASS_FMA(7, _mm256_and_si256(h, c->m[3]));
    } else {
        CLASS_FMA(0, _mm256_and_si256(d, c->m[0]));
        CLASS_FMA(1, _mm256_and_si256(d, c->m[1]));
        CLASS_FMA(2, _mm256_and_si256(d, c->m[2]));
        CLASS_FMA(3, _mm256_srli_epi32(d, 24));
    }
}
#undef CLASS_FMA

/* Step C of a row (dwords D) against MT rows of X (X0[t]: row t's
 * activations of step 0), scaled into TOT.  SP: the step's first scale
 * (as many as the step has blocks are read); LBS = log2(block_size);
 * SIDX: the block of each lane within the step (block_size < CE). */
__attribute__((target(T256), always_inline)) static inline void step_scaled(__m256i d, uint64_t c, unsigned bits, bool raw,
                                                                          int mt, const float *const *x0, unsigned lbs,
                                                                          const uint8_t *sp, __m256i sidx,
                                                                          const consts256 *cs, __m256 *tot)
{
    const unsigned lce = bits == 4 ? 6 : 5; /* log2(CE) */
    const float *xc[4];
    __m256 a[4], b[4], sv;
    for (int t = 0; t < mt; t++)
        xc[t] = x0[t] + (c << lce);
    step_avx2(d, bits, raw, mt, xc, a, b, cs);
    if (lbs >= lce) /* one block */
        sv = _mm256_set1_ps(slm_qi_ld_f32(sp, 0));
    else if (lbs + 2 == lce) /* 4 blocks */
        sv = _mm256_permutevar8x32_ps(_mm256_castps128_ps256(_mm_loadu_ps((const float *)(const void *)sp)), sidx);
    else /* 2 blocks */
        sv = _mm256_permutevar8x32_ps(
            _mm256_castps128_ps256(_mm_castsi128_ps(_mm_loadl_epi64((const __m128i *)(const void *)sp))), sidx);
    for (int t = 0; t < mt; t++)
        tot[t] = _mm256_fmadd_ps(_mm256_add_ps(a[t], b[t]), sv, tot[t]);
}

/* sum_b s_b z_b bsum_b over N blocks; Z NULL: z_b = ZC for every block.
 * S and Z are read to N only. */
__attribute__((target(T256))) static float zero_point_sum(const uint8_t *s, const float *z, float zc,
                                                         const float *bsum, uint64_t n)
{
    __m256 a0 = _mm256_setzero_ps(), a1 = a0;
    uint64_t b = 0;
#define TERM(b) _mm256_fmadd_ps(z ? _mm256_mul_ps(_mm256_loadu_ps((const float *)(const void *)(s + 4 * (b))),      \
                                                  _mm256_loadu_ps(z + (b)))                                        \
                                  : _mm256_loadu_ps((const float *)(const void *)(s + 4 * (b))),                   \
                                _mm256_loadu_ps(bsum + (b)), _mm256_setzero_ps())
    for (; b + 16 <= n; b += 16) { /* short chains: the next row waits for this latency */
        a0 = _mm256_add_ps(a0, _mm256_add_ps(TERM(b), TERM(b + 8)));
        if (b + 32 <= n)
            a1 = _mm256_add_ps(a1, _mm256_add_ps(TERM(b + 16), TERM(b + 24))), b += 16;
    }
    for (; b + 8 <= n; b += 8)
        a0 = _mm256_add_ps(a0, TERM(b));
#undef TERM
    float t = slm_qi_hsum256(_mm256_add_ps(a0, a1)) * (z ? 1.0f : zc);
    for (; b < n; b++)
        t += slm_qi_ld_f32(s, b) * (z ? z[b] : zc) * bsum[b];
    return t;
}

/* Step C of a row at ROW (SP: the row's scales) into TOT: the macro keeps
 * the calls below short. */
#define STEP(c, p, tot) step_scaled(_mm256_loadu_si256((const __m256i *)(const void *)(p)), c, bits, raw, mt, x0, lbs, \
                                    sp + 4 * (((c) << lce) >> lbs), sidx, &cs, tot)

/* MT rows of X (I0..) against every row of W, the fields RAW or
 * converted.  S, Z: room for nb floats each (scales and zero points that
 * are not fp32 views). */
__attribute__((target(T256), always_inline)) static inline void rows_avx2(const slm_qweight *q, const qgeom *g,
                                                                        const slm_qi_xrows *xr, uint64_t i0, int mt,
                                                                        unsigned bits, bool raw, float *y, float *s,
                                                                        float *z)
{
    const uint64_t E = 32 / bits, CE = 8 * E;
    const unsigned lbs = (unsigned)__builtin_ctzll(q->block_size), lce = bits == 4 ? 6 : 5;
    const uint64_t per = lbs < lce ? CE >> lbs : 1; /* blocks a step */
    const uint64_t whole = xr->used % CE ? xr->nch - 1 : xr->nch; /* steps read in place */
    const bool view = q->scales->dtype == SLM_DT_F32 && !q->zero_points; /* the row's scales as they are */
    const float zc = q->layout == SLM_QL_MLC_GROUP ? 7.0f : (float)(1u << (bits - 1));
    const consts256 cs = consts256_make(bits);
    __m256i sidx = _mm256_srli_epi32(_mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
                                                        _mm256_set1_epi32((int)E)),
                                     lbs);
    const float *x0[4];
    for (int t = 0; t < mt; t++)
        x0[t] = xr->x + (i0 + (uint64_t)t) * xr->kq;
    for (uint64_t r = 0; r < q->N; r++) {
        const uint8_t *sp = q->scales->data + 4 * r * g->nb;
        if (!view) {
            slm_qi_row_params_avx2(q, g, r, s, z);
            sp = (const uint8_t *)s;
        }
        const uint8_t *row = q->q->data + r * g->row_bytes;
        __m256 tot[4], tot2[4]; /* one row of X: odd steps into tot2, two FMA chains, not one */
        for (int t = 0; t < mt; t++)
            tot[t] = tot2[t] = _mm256_setzero_ps();
        uint64_t c = 0;
        for (; c + 2 <= whole; c += 2) {
            /* the hardware prefetcher alone falls behind (twice as slow from DRAM) */
            _mm_prefetch((const char *)(uintptr_t)((uintptr_t)row + 32 * c + PREFETCH), _MM_HINT_T0);
            _mm_prefetch((const char *)(uintptr_t)((uintptr_t)row + 32 * c + PREFETCH_L2), _MM_HINT_T1);
            STEP(c, row + 32 * c, tot);
            STEP(c + 1, row + 32 * c + 32, mt == 1 ? tot2 : tot);
        }
        if (c < whole)
            STEP(c, row + 32 * c, tot), c++;
        if (c < xr->nch) {
            /* the last step, when the row ends inside it: its blocks past the
             * row's (an MLC row's groups past K, or none at all) scale by 0,
             * never a NaN that would meet the padding's 0 */
            uint8_t bounce[32] = {0};
            float sl[4] = {0, 0, 0, 0};
            for (uint64_t b = (c << lce) >> lbs, j = 0; j < per && b < xr->nbk; b++, j++)
                sl[j] = slm_qi_ld_f32(sp, b);
            memcpy(bounce, row + 32 * c, (xr->used - (c << lce)) * bits / 8);
            step_scaled(_mm256_loadu_si256((const __m256i *)(const void *)bounce), c, bits, raw, mt, x0, lbs,
                        (const uint8_t *)sl, sidx, &cs, tot);
        }
        for (int t = 0; t < mt; t++)
            y[(i0 + (uint64_t)t) * q->N + r] =
                (float)(slm_qi_hsum256(_mm256_add_ps(tot[t], tot2[t])) * xr->up[i0 + (uint64_t)t]) -
                zero_point_sum(sp, view ? NULL : z, zc, xr->bsum + (i0 + (uint64_t)t) * xr->nbp, xr->nbk);
    }
}
#undef STEP

/* The rows kernel for 1..4 rows of X, 4 or 8 bits and raw or converted
 * fields, each its own copy. */
#define ROWS_CASE(mt)                                                                                        \
    case mt:                                                                                                 \
        if (q->bits == 4 && raw)                                                                             \
            rows_avx2(q, g, xr, i, mt, 4, true, y, s, z);                                                    \
        else if (q->bits == 4)                                                                               \
            rows_avx2(q, g, xr, i, mt, 4, false, y, s, z);                                                   \
        else if (raw)                                                                                        \
            rows_avx2(q, g, xr, i, mt, 8, true, y, s, z);                                                    \
        else                                                                                                 \
            rows_avx2(q, g, xr, i, mt, 8, false, y, s, z);                                                   \
        break;

__attribute__((target(T256))) static void matmul_rows_avx2(const slm_qweight *q, const qgeom *g, const slm_qi_xrows *xr,
                                                          uint64_t m, bool raw, float *y, float *s, float *z)
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

/* Y[M, N] = X W^T for M rows of X (any M; meant for a few).  False
 * (nothing written) when memory runs out. */
bool slm_qi_rows_avx2(const slm_qweight *q, const qgeom *g, const float *x, uint64_t m, float *y)
{
    slm_qi_xrows xr;
    uint64_t n;
    float *P = slm_mul_u64(g->nb + PAD, 2, &n) ? slm_qi_zalloc64(n) : NULL;
    bool raw = slm_qi_subnormals_fast(), ok = P && slm_qi_xrows_make(&xr, q, x, m, 8, raw);
    if (ok) {
        matmul_rows_avx2(q, g, &xr, m, raw, y, P, P + g->nb + PAD);
        slm_qi_xrows_free(&xr);
    }
    free(P);
    return ok;
}
#endif

/* Quantized weights: the AVX-512 kernels (x86, AVX-512F).  Dequantization
 * bit for bit as the reference (quant.c); the matmul in float within the
 * bound of slm/quant.h.  Reached through quant_cpu.c only. */
#include "quant_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef SLM_X86
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
__attribute__((target(T512))) void slm_qi_deq_row_avx512(const slm_qweight *q, const uint8_t *row, const float *s,
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

/* ---- AVX-512 matmul -------------------------------------------------------
 * Two kernels over the packed bytes (MatMulNBits and MLC rows, block_size a
 * power of 2), float accumulation:
 *
 * Rows (M < LANES_MIN; the GEMV).  A 64-byte chunk of a weight row is 16
 * dword lanes; lane j holds elements E j .. E j + E-1 of the chunk (E = 8
 * nibbles or 4 bytes, CE = 16 E elements a chunk), and "class" u is element
 * E j + u of every lane: 16 integers that become floats without a table
 * and meet the 16 activations stored for that class.  X is copied once per
 * call, each chunk of CE elements as E vectors, times 2^(149 - P(u) - c)
 * (slm_qi_xrows):
 *
 *   4 bits, dword j:  31..28   27..24   ...  7..4     3..0
 *                     e(8j+7)  e(8j+6)  ...  e(8j+1)  e(8j)
 *   x chunk:  [x(0) x(8) .. x(120)] [x(1) x(9) .. x(121)] .. [x(7) .. x(127)]
 *
 *   each class's field masked at bit P(u) (the dword, or it shifted right
 *   by 16) and read as a float as it is: e 2^P 2^-149 exactly, as
 *   quant_x86_avx2_gemv.c explains; one AND and an FMA per 16 weights
 *   (vpermps of the dword into [0 .. 15], or the field ORed with an
 *   exponent and 2^k subtracted, were measured slower on Zen 4).
 *
 * Block b_j = (c CE + E j) / bs of lane j: one vector of 16 scales per
 * chunk multiplies the chunk's integer sums, the result is scaled back by
 * 2^c, and the zero points (implicit or not) meet the block sums of X once
 * per row:
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
/* Bytes ahead in the weights the rows kernel prefetches, to L1 and to L2. */
enum { PREFETCH = 2048, PREFETCH_L2 = 32768 };

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
            sb[b] = slm_qi_scale_at(q, g, r, b);
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
        zb[b] = slm_qi_zp_at(q, g, r, b);
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

/* The masks of chunk_avx512, made once per call (kept in registers): the
 * field at bit P, 15 << P (4 bits: P = 0, 4, .. 16) or 255 << P (8 bits:
 * P = 0, 8, 16). */
typedef struct consts512 {
    __m512i m[5];
} consts512;

__attribute__((target(T512), always_inline)) static inline consts512 consts512_make(unsigned bits)
{
    consts512 c;
    for (unsigned u = 0; u < 5; u++)
        c.m[u] = _mm512_set1_epi32((int)(((1u << bits) - 1) << (bits * u % 32)));
    return c;
}

/* One chunk (dword lanes D) against MT rows of X, XC[t] the chunk's CE
 * activations of row t: A[t] sums the even classes, B[t] the odd ones.
 * Class U's field F is a dword vector whose lanes are e 2^P(u), read as
 * floats (RAW) or converted. */
#define CLASS_FMA(u, F)                                                                                      \
    do {                                                                                                     \
        __m512 w_ = raw ? _mm512_castsi512_ps(F) : _mm512_cvtepi32_ps(F);                                    \
        for (int t = 0; t < mt; t++) {                                                                       \
            __m512 *acc_ = (u) % 2 ? &b[t] : &a[t], x_ = _mm512_loadu_ps(xc[t] + 16 * (u));                 \
            *acc_ = _mm512_fmadd_ps(w_, x_, (u) < 2 ? _mm512_setzero_ps() : *acc_);                          \
        }                                                                                                    \
    } while (0)

__attribute__((target(T512), always_inline)) static inline void chunk_avx512(__m512i d, unsigned bits, bool raw, int mt,
                                                                           const float *const *xc, __m512 *a,
                                                                           __m512 *b, const consts512 *c)
{
    if (bits == 4) {
        __m512i h = _mm512_srli_epi32(d, 16);
        CLASS_FMA(0, _mm512_and_si512(d, c->m[0]));
        CLASS_FMA(1, _mm512_and_si512(d, c->m[1]));
        CLASS_FMA(2, _mm512_and_si512(d, c->m[2]));
        CLASS_FMA(3, _mm512_and_si512(d, c->m[3]));
        CLASS_FMA(4, _mm512_and_si512(d, c->m[4]));
        CLASS_FMA(5, _mm512_and_si512(h, c->m[1]));
        CLASS_FMA(6, _mm512_and_si512(h, c->m[2]));
        CLASS_FMA(7, _mm512_and_si512(h, c->m[3]));
    } else {
        CLASS_FMA(0, _mm512_and_si512(d, c->m[0]));
        CLASS_FMA(1, _mm512_and_si512(d, c->m[1]));
        CLASS_FMA(2, _mm512_and_si512(d, c->m[2]));
        CLASS_FMA(3, _mm512_srli_epi32(d, 24));
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
chunk_scaled(__m512i d, uint64_t c, unsigned bits, bool raw, int mt, const float *const *x0, unsigned lbs, rowv v,
             __m512i sidx, __mmask16 sk, const consts512 *cs, __m512 *tot)
{
    const unsigned lce = bits == 4 ? 7 : 6; /* log2(CE) */
    const float *xc[4];
    __m512 a[4], b[4], sv;
    for (int t = 0; t < mt; t++)
        xc[t] = x0[t] + (c << lce);
    chunk_avx512(d, bits, raw, mt, xc, a, b, cs);
    const uint8_t *sp = v.s + 4 * (c << (lce - (lbs < lce ? lbs : lce))); /* the chunk's first scale */
    if (lbs >= lce) /* one block */
        sv = _mm512_set1_ps(slm_qi_ld_f32(v.s, (c << lce) >> lbs));
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

/* MT rows of X (I0..) against every row of W, the fields RAW or converted.
 * B: row_view_buffers(q, g, 1). */
__attribute__((target(T512), always_inline)) static inline void rows_avx512(const slm_qweight *q, const qgeom *g,
                                                                          const slm_qi_xrows *xr, uint64_t i0, int mt,
                                                                          unsigned bits, bool raw, float *y, float *B)
{
    const uint64_t E = 32 / bits, CE = 16 * E, bs = q->block_size, tail = xr->used % CE;
    const uint64_t per = bs < CE ? CE / bs : 1, last_n = xr->nbk - (xr->nch - 1) * per; /* blocks a chunk, in the last */
    const __mmask16 sk_last = (__mmask16)((1u << (last_n < per ? last_n : per)) - 1);
    const unsigned lbs = (unsigned)__builtin_ctzll(bs);
    const consts512 cs = consts512_make(bits);
    __m512i sidx = _mm512_setzero_si512();
    if (bs < CE)
        sidx = _mm512_srli_epi32(_mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                                    _mm512_set1_epi32((int)E)),
                                 lbs);
    const float *x0[4];
    for (int t = 0; t < mt; t++)
        x0[t] = xr->x + (i0 + (uint64_t)t) * xr->kq;
    const bool view = q->scales->dtype == SLM_DT_F32 && !q->zero_points; /* the row's scales as they are */
    for (uint64_t r = 0; r < q->N; r++) {
        rowv v = {q->scales->data + 4 * r * g->nb, (const uint8_t *)B};
        if (!view)
            v = row_view(q, g, r, B + g->nb, B + 2 * g->nb, B);
        const uint8_t *row = q->q->data + r * g->row_bytes;
        __m512 tot[4], tot2[4]; /* one row of X: odd chunks into tot2, two FMA chains, not one */
        for (int t = 0; t < mt; t++)
            tot[t] = tot2[t] = _mm512_setzero_ps();
        uint64_t c = 0;
#define CHUNK(c, tot) chunk_scaled(_mm512_loadu_si512((const void *)(row + 64 * (c))), c, bits, raw, mt, x0, lbs, v, sidx, \
                                 0xffff, &cs, tot)
        for (; c + 2 < xr->nch; c += 2) {
            /* to L1 and, further, to L2: without them, rows from DRAM ran at half speed
             * (the hardware prefetcher alone falls behind) */
            _mm_prefetch((const char *)(uintptr_t)((uintptr_t)row + 64 * c + PREFETCH), _MM_HINT_T0);
            _mm_prefetch((const char *)(uintptr_t)((uintptr_t)row + 64 * c + 64 + PREFETCH), _MM_HINT_T0);
            _mm_prefetch((const char *)(uintptr_t)((uintptr_t)row + 64 * c + PREFETCH_L2), _MM_HINT_T1);
            _mm_prefetch((const char *)(uintptr_t)((uintptr_t)row + 64 * c + 64 + PREFETCH_L2), _MM_HINT_T1);
            CHUNK(c, tot);
            CHUNK(c + 1, mt == 1 ? tot2 : tot);
        }
        if (c + 1 < xr->nch)
            CHUNK(c, tot), c++;
#undef CHUNK
        /* the last chunk: the row may end inside it */
        uint8_t bounce[64];
        const uint8_t *p = row + 64 * c;
        if (tail) {
            memset(bounce, 0, sizeof bounce);
            memcpy(bounce, p, tail * bits / 8);
            p = bounce;
        }
        chunk_scaled(_mm512_loadu_si512((const void *)p), c, bits, raw, mt, x0, lbs, v, sidx, sk_last, &cs, tot);
        for (int t = 0; t < mt; t++)
            y[(i0 + (uint64_t)t) * q->N + r] =
                (float)(_mm512_reduce_add_ps(_mm512_add_ps(tot[t], tot2[t])) * xr->up[i0 + (uint64_t)t]) -
                zero_point_sum(v, xr->bsum + (i0 + (uint64_t)t) * xr->nbp, xr->nbk);
    }
}

/* The rows kernel for 1..4 rows of X, 4 or 8 bits and raw or converted
 * fields, each its own copy. */
#define ROWS_CASE(mt)                                                                                        \
    case mt:                                                                                                 \
        if (q->bits == 4 && raw)                                                                             \
            rows_avx512(q, g, xr, i, mt, 4, true, y, B);                                                     \
        else if (q->bits == 4)                                                                               \
            rows_avx512(q, g, xr, i, mt, 4, false, y, B);                                                    \
        else if (raw)                                                                                        \
            rows_avx512(q, g, xr, i, mt, 8, true, y, B);                                                     \
        else                                                                                                 \
            rows_avx512(q, g, xr, i, mt, 8, false, y, B);                                                    \
        break;

__attribute__((target(T512))) static void matmul_rows_avx512(const slm_qweight *q, const qgeom *g, const slm_qi_xrows *xr,
                                                            uint64_t m, bool raw, float *y, float *B)
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
            __m512 t0 = table16(slm_qi_ld_f32(v.s, b0), slm_qi_ld_f32(v.z, b0)), lo, hi;
            if (b1 == b0) { /* one table: vpermps reads the low nibble, or the high one shifted down */
                __m512i e = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(const void *)p));
                lo = _mm512_permutexvar_ps(e, t0);
                hi = _mm512_permutexvar_ps(_mm512_srli_epi32(e, 4), t0);
            } else
                deq32_4_avx512(p, t0, table16(slm_qi_ld_f32(v.s, b1), slm_qi_ld_f32(v.z, b1)), hsel, &lo, &hi);
            _mm512_storeu_ps(out + k - k0, lo);
            _mm512_storeu_ps(out + k - k0 + 16, hi);
        }
        return;
    }
    for (uint64_t k = k0; k < k0 + kn; k += 16) {
        __m512 w = _mm512_setzero_ps();
        if (k < used) {
            __m512 e = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(const void *)(row + k))));
            w = _mm512_mul_ps(_mm512_sub_ps(e, _mm512_set1_ps(slm_qi_ld_f32(v.z, k >> lbs))), _mm512_set1_ps(slm_qi_ld_f32(v.s, k >> lbs)));
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
        if (slm_qi_lane_elem(q->bits, k) >= q->K)
            for (uint64_t j = 0; j < 16; j++)
                wb[j * LANES_KC + k - k0] = 0;
}

/* Rows I0 .. I0+MP-1 of X (one panel of XL, MP <= 16) against W.  B:
 * row_view_buffers(q, g, 16).  The weights of the next KC columns are
 * dequantized into the other buffer a piece at a time between the FMAs of
 * these (the FMA ports stay busy while the others dequantize). */
__attribute__((target(T512))) static void lanes_avx512(const slm_qweight *q, const qgeom *g, const slm_qi_xlanes *xl,
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
bool slm_qi_matmul_avx512(const slm_qweight *q, const qgeom *g, const float *x, uint64_t m, float *y)
{
    uint64_t rest = m % 16 < LANES_MIN ? m % 16 : 0, lanes = m - rest;
    bool ok = true;
    if (lanes) {
        slm_qi_xlanes xl;
        float *B = row_view_buffers(q, g, 16);
        ok = B && slm_qi_xlanes_make(&xl, q, x, lanes);
        if (ok) {
            for (uint64_t i = 0; i < lanes; i += 16)
                lanes_avx512(q, g, &xl, i, lanes - i < 16 ? lanes - i : 16, y, B);
            free(xl.x);
        }
        free(B);
    }
    if (ok && rest) {
        slm_qi_xrows xr;
        float *B = row_view_buffers(q, g, 1);
        bool raw = slm_qi_subnormals_fast();
        ok = B && slm_qi_xrows_make(&xr, q, x + lanes * q->K, rest, 16, raw);
        if (ok) {
            matmul_rows_avx512(q, g, &xr, rest, raw, y + lanes * q->N, B);
            slm_qi_xrows_free(&xr);
        }
        free(B);
    }
    return ok;
}
#endif

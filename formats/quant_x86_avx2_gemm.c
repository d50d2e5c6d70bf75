/* Quantized weights: the AVX2 matmul kernels (x86, AVX2 + FMA + F16C, no
 * AVX-512: GitHub's hosted runners and other AVX2-only machines).  The
 * strategy of quant_x86_avx512.c in 8-lane vectors and 16 registers; float
 * accumulation within the bound of slm/quant.h.  Reached through
 * quant_cpu.c only (block_size a power of 2).
 *
 * Rows (M % 16 < LANES_MIN; the GEMV).  A 32-byte step of a weight row is 8
 * dword lanes; lane j holds elements E j .. E j + E-1 of the step (E = 8
 * nibbles or 4 bytes, CE = 8 E elements a step), and "class" u is element
 * E j + u of every lane: 8 integers that meet the 8 activations stored for
 * that class.  X is copied once per call, each step's CE elements as E
 * vectors [x(u) x(E+u) .. x(7E+u)], u = 0 .. E-1.  For 4 bits the nibbles
 * are first split into bytes, LO = d & 0x0f0f0f0f (classes 0 2 4 6 in bytes
 * 0..3) and HI = (d >> 4) & 0x0f0f0f0f (classes 1 3 5 7); a byte becomes
 * its dword by one AND (byte 0), vpshufb (bytes 1, 2) or shift (byte 3),
 * then one vcvtdq2ps: 2 operations and an FMA per 8 weights, the integers
 * exact.  One vector of 8 scales per step multiplies the step's integer
 * sums; the zero points (implicit or not) meet the block sums of X once
 * per row:
 *   Y[i][r] = sum_b s_b (sum_{k in b} e_k x_ik) - sum_b s_b zp_b (sum_{k in b} x_ik).
 * The weights stream from memory once per call: software prefetch ahead.
 *
 * Lanes (M >= LANES_MIN; the GEMM).  The 8 lanes of a vector are 8 rows of
 * X, two vectors 16 rows.  For NR rows of W and KC columns at a time the
 * weights are dequantized (((float)e - zp) * s, bit for bit as the
 * reference) into a buffer that stays in L1; then every column k
 * broadcasts W[n][k] into 2 FMAs against X^T[k]: 2 NR = 12 accumulators,
 * 2 vectors of X and the broadcast fill the 16 registers:
 *
 *   wb[n][k]: NR x KC floats        xt[k][i]: kq x 16 floats, k in the
 *   acc[n] += wb[n][k] * xt[k]      order of deq_span_avx2 (4 bits: the low
 *                                   nibbles of 16 bytes, then the high ones)
 *
 * 12 FMAs per 8 loads, FMA-bound; the dequantization costs about 25
 * operations per 32 weights of a row (for 64 FMAs). */
#include "quant_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef SLM_X86
/* LANES_MIN: measured, K = 4096 (9 rows: rows 6.4 ms, lanes 6.6; 10: 7.0 and 6.7); PAD: floats past nb; PREFETCH: bytes ahead in the weights
 * (measured: 1-3 KiB alike, 4 KiB and more slower; to L2 only, twice as slow from DRAM) */
enum { LANES_MIN = 10, NR = 6, KC = 128, PAD = 8, PREFETCH = 2048 };

/* N zeroed floats, 64-byte aligned, or NULL. */
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

__attribute__((target(T256), always_inline)) static inline float hsum256(__m256 v)
{
    __m128 a = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    a = _mm_add_ps(a, _mm_movehl_ps(a, a));
    a = _mm_add_ss(a, _mm_movehdup_ps(a));
    return _mm_cvtss_f32(a);
}

/* ---- rows ---------------------------------------------------------------- */

typedef struct xrows {
    float *x;                    /* m rows of kq floats: steps of CE in class order, zero padded */
    float *bsum;                 /* m rows of nbp block sums (zero past nbk) */
    uint64_t kq, nbk, nbp, nch, used; /* used = nbk * block_size elements of a row are read */
} xrows;

static void xrows_free(xrows *p)
{
    free(p->x);
    free(p->bsum);
}

/* False when memory runs out, or when an activation is so small (below
 * 2^-100, not 0) that times 2^-P it could lose bits as a subnormal. */
static bool xrows_make(xrows *p, const slm_qweight *q, const float *x, uint64_t m)
{
    uint64_t E = 32 / q->bits, CE = 8 * E, n1, n2;
    p->x = p->bsum = NULL;
    for (uint64_t i = 0; i < m * q->K; i++)
        if (x[i] != 0 && fabsf(x[i]) < 0x1p-100f)
            return false;
    p->nbk = slm_qweight_blocks(q);
    p->nbp = p->nbk + PAD;
    if (!slm_mul_u64(p->nbk, q->block_size, &p->used))
        return false;
    p->nch = p->used / CE + (p->used % CE != 0);
    if (!slm_mul_u64(p->nch, CE, &p->kq) || !slm_mul_u64(p->kq, m, &n1) || !slm_mul_u64(p->nbp, m, &n2))
        return false;
    p->x = zalloc64(n1);
    p->bsum = zalloc64(n2);
    if (!p->x || !p->bsum) {
        xrows_free(p);
        return false;
    }
    unsigned le = q->bits == 4 ? 3 : 2, lbs = (unsigned)__builtin_ctzll(q->block_size); /* log2 E, log2 bs */
    float pscale[8]; /* 2^-P of class u's field (step_avx2), exact */
    for (unsigned u = 0; u < E; u++)
        pscale[u] = u == E - 1 ? 1.0f : ldexpf(1.0f, -(int)(q->bits * (u % 4)));
    for (uint64_t i = 0; i < m; i++) {
        float *dst = p->x + i * p->kq, *bsum = p->bsum + i * p->nbp;
        const float *src = x + i * q->K;
        for (uint64_t k = 0; k < q->K; k++) {
            uint64_t e = k & (CE - 1), u = e & (E - 1);
            dst[k - e + (u << 3) + (e >> le)] = src[k] * pscale[u];
            bsum[k >> lbs] += src[k];
        }
    }
    return true;
}

/* The masks of step_avx2, made once per call (kept in registers): field u
 * of a dword in place, 15 << 4u (4 bits) or 255 << 8u (8 bits). */
typedef struct consts256 {
    __m256i m[4];
} consts256;

__attribute__((target(T256), always_inline)) static inline consts256 consts256_make(unsigned bits)
{
    consts256 c;
    for (unsigned u = 0; u < 4; u++)
        c.m[u] = _mm256_set1_epi32((int)(((1u << bits) - 1) << (bits * u)));
    return c;
}

/* Class U's weights W (floats) against MT rows of X (XC[t]: row t's
 * activations of the step): even classes into A[t], odd ones into B[t]. */
#define CLASS_FMA(u, W)                                                                                      \
    do {                                                                                                     \
        __m256 w_ = (W);                                                                                     \
        for (int t = 0; t < mt; t++) {                                                                       \
            __m256 *acc_ = (u) % 2 ? &b[t] : &a[t], x_ = _mm256_load_ps(xc[t] + 8 * (u));                   \
            *acc_ = (u) < 2 ? _mm256_mul_ps(w_, x_) : _mm256_fmadd_ps(w_, x_, *acc_);                        \
        }                                                                                                    \
    } while (0)

/* Field u masked in place (of D, or of D >> 16 for the upper four
 * nibbles) and converted: vcvtdq2ps makes it e 2^P exactly, P its bit, and
 * the activations are stored times 2^-P (xrows_make).  Two operations per
 * 8 weights besides the FMA, and no vpshufb: on Zen 4 shuffles share the
 * FMA ports, and the masked-and-converted form measured fastest (OR-ing
 * the exponent of 2^k into fields, as the AVX-512 kernel does, costs a
 * subtraction more). */
__attribute__((target(T256), always_inline)) static inline void step_avx2(__m256i d, unsigned bits, int mt,
                                                                        const float *const *xc, __m256 *a, __m256 *b,
                                                                        const consts256 *c)
{
    if (bits == 4) {
        __m256i h = _mm256_srli_epi32(d, 16);
        CLASS_FMA(0, _mm256_cvtepi32_ps(_mm256_and_si256(d, c->m[0])));
        CLASS_FMA(1, _mm256_cvtepi32_ps(_mm256_and_si256(d, c->m[1])));
        CLASS_FMA(2, _mm256_cvtepi32_ps(_mm256_and_si256(d, c->m[2])));
        CLASS_FMA(3, _mm256_cvtepi32_ps(_mm256_and_si256(d, c->m[3])));
        CLASS_FMA(4, _mm256_cvtepi32_ps(_mm256_and_si256(h, c->m[0])));
        CLASS_FMA(5, _mm256_cvtepi32_ps(_mm256_and_si256(h, c->m[1])));
        CLASS_FMA(6, _mm256_cvtepi32_ps(_mm256_and_si256(h, c->m[2])));
        CLASS_FMA(7, _mm256_cvtepi32_ps(_mm256_srli_epi32(h, 12)));
    } else {
        CLASS_FMA(0, _mm256_cvtepi32_ps(_mm256_and_si256(d, c->m[0])));
        CLASS_FMA(1, _mm256_cvtepi32_ps(_mm256_and_si256(d, c->m[1])));
        CLASS_FMA(2, _mm256_cvtepi32_ps(_mm256_and_si256(d, c->m[2])));
        CLASS_FMA(3, _mm256_cvtepi32_ps(_mm256_srli_epi32(d, 24)));
    }
}
#undef CLASS_FMA

static float ld_f32(const uint8_t *p, uint64_t i)
{
    float v;
    memcpy(&v, p + 4 * i, 4);
    return v;
}

/* Step C of a row (dwords D) against MT rows of X (X0[t]: row t's
 * activations of step 0), scaled into TOT.  SP: the step's first scale
 * (as many as the step has blocks are read); LBS = log2(block_size);
 * SIDX: the block of each lane within the step (block_size < CE). */
__attribute__((target(T256), always_inline)) static inline void step_scaled(__m256i d, uint64_t c, unsigned bits,
                                                                          int mt, const float *const *x0, unsigned lbs,
                                                                          const uint8_t *sp, __m256i sidx,
                                                                          const consts256 *cs, __m256 *tot)
{
    const unsigned lce = bits == 4 ? 6 : 5; /* log2(CE) */
    const float *xc[4];
    __m256 a[4], b[4], sv;
    for (int t = 0; t < mt; t++)
        xc[t] = x0[t] + (c << lce);
    step_avx2(d, bits, mt, xc, a, b, cs);
    if (lbs >= lce) /* one block */
        sv = _mm256_set1_ps(ld_f32(sp, 0));
    else if (lbs + 2 == lce) /* 4 blocks */
        sv = _mm256_permutevar8x32_ps(_mm256_castps128_ps256(_mm_loadu_ps((const float *)(const void *)sp)), sidx);
    else /* 2 blocks */
        sv = _mm256_permutevar8x32_ps(
            _mm256_castps128_ps256(_mm_castsi128_ps(_mm_loadl_epi64((const __m128i *)(const void *)sp))), sidx);
    for (int t = 0; t < mt; t++)
        tot[t] = _mm256_fmadd_ps(_mm256_add_ps(a[t], b[t]), sv, tot[t]);
}

/* sum_b s_b (ONE + z_b) bsum_b over N blocks; Z NULL: z_b = ZC for every
 * block.  S and Z are read to N only. */
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
    float t = hsum256(_mm256_add_ps(a0, a1)) * (z ? 1.0f : zc);
    for (; b < n; b++)
        t += ld_f32(s, b) * (z ? z[b] : zc) * bsum[b];
    return t;
}

/* Step C of a row at ROW (SP: the row's scales) into TOT: the macro keeps
 * the calls below short. */
#define STEP(c, p) step_scaled(_mm256_loadu_si256((const __m256i *)(const void *)(p)), c, bits, mt, x0, lbs, \
                               sp + 4 * (((c) << lce) >> lbs), sidx, &cs, tot)

/* MT rows of X (I0..) against every row of W.  S, Z: room for nb floats
 * each (scales and zero points that are not fp32 views). */
__attribute__((target(T256), always_inline)) static inline void rows_avx2(const slm_qweight *q, const qgeom *g,
                                                                        const xrows *xr, uint64_t i0, int mt,
                                                                        unsigned bits, float *y, float *s, float *z)
{
    const uint64_t E = 32 / bits, CE = 8 * E, tail = xr->used % CE;
    const unsigned lbs = (unsigned)__builtin_ctzll(q->block_size), lce = bits == 4 ? 6 : 5;
    const uint64_t per = lbs < lce ? CE >> lbs : 1; /* blocks a step */
    const bool view = q->scales->dtype == SLM_DT_F32 && !q->zero_points; /* the row's scales as they are */
    const float zc = q->layout == SLM_QL_MLC_GROUP ? 7.0f : (float)(1u << (bits - 1));
    /* 4 bits: a weight's float is 1 + e/16, its sums 16 times too small, plus the 1s */
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
        __m256 tot[4];
        for (int t = 0; t < mt; t++)
            tot[t] = _mm256_setzero_ps();
        uint64_t c = 0;
        for (; c + 2 < xr->nch; c += 2) {
            /* the hardware prefetcher alone falls behind: 1.2-1.4 ms from DRAM without this */
            _mm_prefetch((const char *)(uintptr_t)((uintptr_t)row + 32 * c + PREFETCH), _MM_HINT_T0);
            STEP(c, row + 32 * c);
            STEP(c + 1, row + 32 * c + 32);
        }
        for (; c + 1 < xr->nch; c++)
            STEP(c, row + 32 * c);
        /* the last step: the row may end inside it; its blocks past the row's
         * (an MLC row's groups past K, or none at all) scale by 0, never a NaN
         * that would meet the padding's 0 */
        uint8_t bounce[32];
        float sl[4] = {0, 0, 0, 0};
        const uint8_t *p = row + 32 * c, *sc = sp + 4 * ((c << lce) >> lbs);
        if (((c << lce) >> lbs) + per > xr->nbk) { /* not when the row ends with the step (no stall on sl) */
            for (uint64_t b = (c << lce) >> lbs, j = 0; j < per && b < xr->nbk; b++, j++)
                sl[j] = ld_f32(sp, b);
            sc = (const uint8_t *)sl;
        }
        if (tail) {
            memset(bounce, 0, sizeof bounce);
            memcpy(bounce, p, tail * bits / 8);
            p = bounce;
        }
        step_scaled(_mm256_loadu_si256((const __m256i *)(const void *)p), c, bits, mt, x0, lbs, sc, sidx, &cs, tot);
        for (int t = 0; t < mt; t++)
            y[(i0 + (uint64_t)t) * q->N + r] =
                hsum256(tot[t]) - zero_point_sum(sp, view ? NULL : z, zc, xr->bsum + (i0 + (uint64_t)t) * xr->nbp, xr->nbk);
    }
}
#undef STEP

/* The rows kernel for 1..4 rows of X and 4 or 8 bits, each its own copy. */
#define ROWS_CASE(mt)                                                                                        \
    case mt:                                                                                                 \
        if (q->bits == 4)                                                                                    \
            rows_avx2(q, g, xr, i, mt, 4, y, s, z);                                                          \
        else                                                                                                 \
            rows_avx2(q, g, xr, i, mt, 8, y, s, z);                                                          \
        break;

__attribute__((target(T256))) static void matmul_rows_avx2(const slm_qweight *q, const qgeom *g, const xrows *xr,
                                                          uint64_t m, float *y, float *s, float *z)
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

/* ---- lanes --------------------------------------------------------------- */

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
            float s0 = ld_f32(v.s, b0), z0 = ZP(v, b0), s1 = ld_f32(v.s, b1), z1 = ZP(v, b1);
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
        float s0 = ld_f32(v.s, k >> lbs), z0 = ZP(v, k >> lbs);
        _mm256_storeu_ps(o, deq8(e, s0, z0));
        _mm256_storeu_ps(o + 8, deq8(_mm_unpackhi_epi64(e, e), s0, z0));
    }
}

/* Zeroes the weights of positions past K in the KN columns of WB from K0
 * (padding: 0, never (e - zp) * s, which could be Inf times a 0 of X). */
static void zero_padding(const slm_qweight *q, uint64_t k0, uint64_t kn, float *wb)
{
    for (uint64_t k = (q->K & ~(uint64_t)31) > k0 ? q->K & ~(uint64_t)31 : k0; k < k0 + kn; k++)
        if (lane_elem(q->bits, k) >= q->K)
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
__attribute__((target(T256))) static void lanes_avx2(const slm_qweight *q, const qgeom *g, const xlanes *xl,
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
 * LANES_MIN) to the rows kernel, whose copy of X is made first: false
 * (nothing written) when memory runs out or it refuses X (xrows_make). */
bool slm_qi_matmul_avx2(const slm_qweight *q, const qgeom *g, const float *x, uint64_t m, float *y)
{
    uint64_t rest = m % 16 < LANES_MIN ? m % 16 : 0, lanes = m - rest, n;
    xrows xr = {0};
    float *Pr = NULL, *Pl = NULL;
    if (rest && (!slm_mul_u64(g->nb + PAD, 2, &n) || !(Pr = zalloc64(n)) || !xrows_make(&xr, q, x + lanes * q->K, rest))) {
        free(Pr);
        return false;
    }
    bool ok = true;
    if (lanes) {
        xlanes xl;
        Pl = slm_mul_u64(g->nb + PAD, 2 * NR, &n) ? zalloc64(n) : NULL;
        ok = Pl && xlanes_make(&xl, q, x, lanes);
        if (ok) {
            for (uint64_t i = 0; i < lanes; i += 16)
                lanes_avx2(q, g, &xl, i, lanes - i < 16 ? lanes - i : 16, y, Pl);
            free(xl.x);
        }
        free(Pl);
    }
    if (ok && rest)
        matmul_rows_avx2(q, g, &xr, rest, y + lanes * q->N, Pr, Pr + g->nb + PAD);
    xrows_free(&xr);
    free(Pr);
    return ok;
}
#endif

/* ggml's block types: the fast x86 dequantizers (AVX2, AVX-512F) for the
 * types real files mostly hold: Q4_0, Q8_0, Q4_K, Q6_K.  Each performs the
 * reference's float operations (ggml_quants.c) on the same operands, one
 * rounding per product or difference and no fused multiply-add, so it
 * agrees with it, and with ggml, bit for bit (tests/test_ggml_quants.c).
 *
 * Every other decoded type has an AVX2 kernel too (the IQ4/MXFP4 grids
 * through pshufb), so that none is slower than ggml's own.
 *
 * AVX2: integers widened to 8 dword lanes and converted.  AVX-512: the 16
 * possible values of a 4-bit block (or sub-block) are computed once into a
 * table with the reference's operations, and vpermps turns each nibble into
 * its value; Q8_0 and Q6_K widen 16 lanes at a time. */
#include "ggml_quants_internal.h"
#include "quant_internal.h"

#ifdef SLM_X86

#define T2 "avx2,fma,f16c"

/* ---- AVX2 ---------------------------------------------------------------------- */

/* 8 signed bytes at the low half of V times D. */
__attribute__((target(T2), always_inline)) static inline __m256 i8x8_mul(__m128i v, __m256 d)
{
    return _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(v)), d);
}

/* 16 signed bytes times D into Y[0..15]. */
__attribute__((target(T2), always_inline)) static inline void i8x16_store(__m128i v, __m256 d, float *y)
{
    _mm256_storeu_ps(y, i8x8_mul(v, d));
    _mm256_storeu_ps(y + 8, i8x8_mul(_mm_srli_si128(v, 8), d));
}

/* 16 unsigned bytes times D minus M into Y[0..15]. */
__attribute__((target(T2), always_inline)) static inline void u8x16_affine(__m128i v, __m256 d, __m256 m, float *y)
{
    __m256 a = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(v)), b = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(v, 8)));
    _mm256_storeu_ps(y, _mm256_sub_ps(_mm256_mul_ps(d, a), m));
    _mm256_storeu_ps(y + 8, _mm256_sub_ps(_mm256_mul_ps(d, b), m));
}

__attribute__((target(T2))) static void q4_0_avx2(const uint8_t *src, uint64_t nb, float *y)
{
    const __m128i m4 = _mm_set1_epi8(15), eight = _mm_set1_epi8(8);
    for (uint64_t i = 0; i < nb; i++, y += 32) {
        const blk_q4_0 *b = (const blk_q4_0 *)(const void *)(src + i * sizeof(blk_q4_0));
        __m256 d = _mm256_set1_ps(slm_gq_half(b->d));
        __m128i raw = _mm_loadu_si128((const __m128i *)(const void *)b->qs);
        i8x16_store(_mm_sub_epi8(_mm_and_si128(raw, m4), eight), d, y);
        i8x16_store(_mm_sub_epi8(_mm_and_si128(_mm_srli_epi16(raw, 4), m4), eight), d, y + 16);
    }
}

__attribute__((target(T2))) static void q8_0_avx2(const uint8_t *src, uint64_t nb, float *y)
{
    for (uint64_t i = 0; i < nb; i++, y += 32) {
        const blk_q8_0 *b = (const blk_q8_0 *)(const void *)(src + i * sizeof(blk_q8_0));
        __m256 d = _mm256_set1_ps(slm_gq_half(b->d));
        i8x16_store(_mm_loadu_si128((const __m128i *)(const void *)b->qs), d, y);
        i8x16_store(_mm_loadu_si128((const __m128i *)(const void *)(b->qs + 16)), d, y + 16);
    }
}

__attribute__((target(T2))) static void q4_k_avx2(const uint8_t *src, uint64_t nb, float *y)
{
    const __m256i m4 = _mm256_set1_epi8(15);
    for (uint64_t i = 0; i < nb; i++) {
        const blk_q4_k *b = (const blk_q4_k *)(const void *)(src + i * sizeof(blk_q4_k));
        float d = slm_gq_half(b->d), dmin = slm_gq_half(b->dmin);
        for (int c = 0; c < 4; c++, y += 64) {
            uint8_t sc, m;
            slm_gq_k4_scale_min(b->scales, 2 * c, &sc, &m);
            __m256 d1 = _mm256_set1_ps(d * (float)sc), m1 = _mm256_set1_ps(dmin * (float)m);
            slm_gq_k4_scale_min(b->scales, 2 * c + 1, &sc, &m);
            __m256 d2 = _mm256_set1_ps(d * (float)sc), m2 = _mm256_set1_ps(dmin * (float)m);
            __m256i raw = _mm256_loadu_si256((const __m256i *)(const void *)(b->qs + 32 * c));
            __m256i lo = _mm256_and_si256(raw, m4), hi = _mm256_and_si256(_mm256_srli_epi16(raw, 4), m4);
            u8x16_affine(_mm256_castsi256_si128(lo), d1, m1, y);
            u8x16_affine(_mm256_extracti128_si256(lo, 1), d1, m1, y + 16);
            u8x16_affine(_mm256_castsi256_si128(hi), d2, m2, y + 32);
            u8x16_affine(_mm256_extracti128_si256(hi, 1), d2, m2, y + 48);
        }
    }
}

/* Q6_K: the four 6-bit quarters of 32 positions l, already minus 32. */
__attribute__((target(T2), always_inline)) static inline void q6_quarters(const uint8_t *ql, const uint8_t *qh, __m256i q[4])
{
    const __m256i m4 = _mm256_set1_epi8(15), m2 = _mm256_set1_epi8(3), off = _mm256_set1_epi8(32);
    __m256i a = _mm256_loadu_si256((const __m256i *)(const void *)ql);
    __m256i b = _mm256_loadu_si256((const __m256i *)(const void *)(ql + 32));
    __m256i h = _mm256_loadu_si256((const __m256i *)(const void *)qh);
    __m256i h0 = _mm256_slli_epi16(_mm256_and_si256(h, m2), 4);
    __m256i h1 = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 2), m2), 4);
    __m256i h2 = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 4), m2), 4);
    __m256i h3 = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 6), m2), 4);
    q[0] = _mm256_sub_epi8(_mm256_or_si256(_mm256_and_si256(a, m4), h0), off);
    q[1] = _mm256_sub_epi8(_mm256_or_si256(_mm256_and_si256(b, m4), h1), off);
    q[2] = _mm256_sub_epi8(_mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(a, 4), m4), h2), off);
    q[3] = _mm256_sub_epi8(_mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(b, 4), m4), h3), off);
}

__attribute__((target(T2))) static void q6_k_avx2(const uint8_t *src, uint64_t nb, float *y)
{
    for (uint64_t i = 0; i < nb; i++) {
        const blk_q6_k *b = (const blk_q6_k *)(const void *)(src + i * sizeof(blk_q6_k));
        float d = slm_gq_half(b->d);
        for (int h = 0; h < 2; h++, y += 128) {
            __m256i q[4];
            q6_quarters(b->ql + 64 * h, b->qh + 32 * h, q);
            const int8_t *sc = b->scales + 8 * h;
            for (int k = 0; k < 4; k++) {
                i8x16_store(_mm256_castsi256_si128(q[k]), _mm256_set1_ps(d * (float)sc[2 * k]), y + 32 * k);
                i8x16_store(_mm256_extracti128_si256(q[k], 1), _mm256_set1_ps(d * (float)sc[2 * k + 1]), y + 32 * k + 16);
            }
        }
    }
}

/* ---- AVX2: the other decoded types ------------------------------------------------ */

/* 16 unsigned bytes times D plus M into Y[0..15] (ggml's q d + m). */
__attribute__((target(T2), always_inline)) static inline void u8x16_madd(__m128i v, __m256 d, __m256 m, float *y)
{
    __m256 a = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(v)), b = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(v, 8)));
    _mm256_storeu_ps(y, _mm256_add_ps(_mm256_mul_ps(a, d), m));
    _mm256_storeu_ps(y + 8, _mm256_add_ps(_mm256_mul_ps(b, d), m));
}

/* The 32 elements of a 32-element nibble block in order: low nibbles of
 * the 16 bytes (elements 0..15) in the low lane, high nibbles above. */
__attribute__((target(T2), always_inline)) static inline __m256i nibbles32(const uint8_t *qs)
{
    __m128i raw = _mm_loadu_si128((const __m128i *)(const void *)qs), m4 = _mm_set1_epi8(15);
    return _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(raw, 4), m4), _mm_and_si128(raw, m4));
}

/* Bit e of QH as 0x10 in byte e (the 5th bit of element e). */
__attribute__((target(T2), always_inline)) static inline __m256i bit5(uint32_t qh)
{
    const __m256i pick = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3,
                                          3, 3, 3, 3, 3, 3);
    const __m256i bit = _mm256_set1_epi64x((long long)0x8040201008040201ull);
    __m256i v = _mm256_shuffle_epi8(_mm256_set1_epi32((int)qh), pick);
    return _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(v, bit), bit), _mm256_set1_epi8(0x10));
}

__attribute__((target(T2))) static void q4_1_avx2(const uint8_t *src, uint64_t nb, float *y)
{
    for (uint64_t i = 0; i < nb; i++, y += 32) {
        const blk_q4_1 *b = (const blk_q4_1 *)(const void *)(src + i * sizeof(blk_q4_1));
        __m256 d = _mm256_set1_ps(slm_gq_half(b->d)), m = _mm256_set1_ps(slm_gq_half(b->m));
        __m256i q = nibbles32(b->qs);
        u8x16_madd(_mm256_castsi256_si128(q), d, m, y);
        u8x16_madd(_mm256_extracti128_si256(q, 1), d, m, y + 16);
    }
}

__attribute__((target(T2))) static void q5_0_avx2(const uint8_t *src, uint64_t nb, float *y)
{
    for (uint64_t i = 0; i < nb; i++, y += 32) {
        const blk_q5_0 *b = (const blk_q5_0 *)(const void *)(src + i * sizeof(blk_q5_0));
        uint32_t qh;
        memcpy(&qh, b->qh, 4); /* little-endian host: x86 */
        __m256 d = _mm256_set1_ps(slm_gq_half(b->d));
        __m256i q = _mm256_sub_epi8(_mm256_or_si256(nibbles32(b->qs), bit5(qh)), _mm256_set1_epi8(16));
        i8x16_store(_mm256_castsi256_si128(q), d, y);
        i8x16_store(_mm256_extracti128_si256(q, 1), d, y + 16);
    }
}

__attribute__((target(T2))) static void q5_1_avx2(const uint8_t *src, uint64_t nb, float *y)
{
    for (uint64_t i = 0; i < nb; i++, y += 32) {
        const blk_q5_1 *b = (const blk_q5_1 *)(const void *)(src + i * sizeof(blk_q5_1));
        uint32_t qh;
        memcpy(&qh, b->qh, 4);
        __m256 d = _mm256_set1_ps(slm_gq_half(b->d)), m = _mm256_set1_ps(slm_gq_half(b->m));
        __m256i q = _mm256_or_si256(nibbles32(b->qs), bit5(qh));
        u8x16_madd(_mm256_castsi256_si128(q), d, m, y);
        u8x16_madd(_mm256_extracti128_si256(q, 1), d, m, y + 16);
    }
}

__attribute__((target(T2))) static void q5_k_avx2(const uint8_t *src, uint64_t nb, float *y)
{
    const __m256i m4 = _mm256_set1_epi8(15), sixteen = _mm256_set1_epi8(16);
    for (uint64_t i = 0; i < nb; i++) {
        const blk_q5_k *b = (const blk_q5_k *)(const void *)(src + i * sizeof(blk_q5_k));
        float d = slm_gq_half(b->d), dmin = slm_gq_half(b->dmin);
        __m256i qh = _mm256_loadu_si256((const __m256i *)(const void *)b->qh);
        for (int c = 0; c < 4; c++, y += 64) {
            uint8_t sc, m;
            slm_gq_k4_scale_min(b->scales, 2 * c, &sc, &m);
            __m256 d1 = _mm256_set1_ps(d * (float)sc), m1 = _mm256_set1_ps(dmin * (float)m);
            slm_gq_k4_scale_min(b->scales, 2 * c + 1, &sc, &m);
            __m256 d2 = _mm256_set1_ps(d * (float)sc), m2 = _mm256_set1_ps(dmin * (float)m);
            __m256i u1 = _mm256_set1_epi8((char)(1 << (2 * c))), u2 = _mm256_set1_epi8((char)(2 << (2 * c)));
            __m256i raw = _mm256_loadu_si256((const __m256i *)(const void *)(b->qs + 32 * c));
            __m256i lo = _mm256_or_si256(_mm256_and_si256(raw, m4),
                                         _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(qh, u1), u1), sixteen));
            __m256i hi = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(raw, 4), m4),
                                         _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(qh, u2), u2), sixteen));
            u8x16_affine(_mm256_castsi256_si128(lo), d1, m1, y);
            u8x16_affine(_mm256_extracti128_si256(lo, 1), d1, m1, y + 16);
            u8x16_affine(_mm256_castsi256_si128(hi), d2, m2, y + 32);
            u8x16_affine(_mm256_extracti128_si256(hi, 1), d2, m2, y + 48);
        }
    }
}

__attribute__((target(T2))) static void q2_k_avx2(const uint8_t *src, uint64_t nb, float *y)
{
    const __m256i m3 = _mm256_set1_epi8(3);
    for (uint64_t i = 0; i < nb; i++) {
        const blk_q2_k *b = (const blk_q2_k *)(const void *)(src + i * sizeof(blk_q2_k));
        float d = slm_gq_half(b->d), dmin = slm_gq_half(b->dmin);
        for (int h = 0; h < 2; h++) {
            __m256i q = _mm256_loadu_si256((const __m256i *)(const void *)(b->qs + 32 * h));
            for (int j = 0; j < 4; j++, y += 32) { /* bytes 0..15: sub-block 2j, 16..31: 2j+1, in order */
                __m256i v = _mm256_and_si256(_mm256_srli_epi16(q, 2 * j), m3);
                uint8_t s0 = b->scales[8 * h + 2 * j], s1 = b->scales[8 * h + 2 * j + 1];
                u8x16_affine(_mm256_castsi256_si128(v), _mm256_set1_ps(d * (float)(s0 & 15)),
                             _mm256_set1_ps(dmin * (float)(s0 >> 4)), y);
                u8x16_affine(_mm256_extracti128_si256(v, 1), _mm256_set1_ps(d * (float)(s1 & 15)),
                             _mm256_set1_ps(dmin * (float)(s1 >> 4)), y + 16);
            }
        }
    }
}

__attribute__((target(T2))) static void q3_k_avx2(const uint8_t *src, uint64_t nb, float *y)
{
    const __m256i m3 = _mm256_set1_epi8(3), four = _mm256_set1_epi8(4);
    for (uint64_t i = 0; i < nb; i++) {
        const blk_q3_k *b = (const blk_q3_k *)(const void *)(src + i * sizeof(blk_q3_k));
        float d = slm_gq_half(b->d);
        int sc[16];
        slm_gq_q3_k_scales(b->scales, sc);
        __m256i hm = _mm256_loadu_si256((const __m256i *)(const void *)b->hmask);
        for (int h = 0; h < 2; h++) {
            __m256i q = _mm256_loadu_si256((const __m256i *)(const void *)(b->qs + 32 * h));
            for (int j = 0; j < 4; j++, y += 32) {
                __m256i bit = _mm256_set1_epi8((char)(1 << (4 * h + j)));
                __m256i set = _mm256_cmpeq_epi8(_mm256_and_si256(hm, bit), bit); /* the 3rd bit: clear means - 4 */
                __m256i v = _mm256_sub_epi8(_mm256_and_si256(_mm256_srli_epi16(q, 2 * j), m3), _mm256_andnot_si256(set, four));
                i8x16_store(_mm256_castsi256_si128(v), _mm256_set1_ps(d * (float)sc[8 * h + 2 * j]), y);
                i8x16_store(_mm256_extracti128_si256(v, 1), _mm256_set1_ps(d * (float)sc[8 * h + 2 * j + 1]), y + 16);
            }
        }
    }
}

/* 16 bytes of nibble codes through the int8 table TAB (pshufb), times D. */
__attribute__((target(T2), always_inline)) static inline void lut16(const uint8_t *qs, __m128i tab, __m256 d, float *y)
{
    __m128i raw = _mm_loadu_si128((const __m128i *)(const void *)qs), m4 = _mm_set1_epi8(15);
    i8x16_store(_mm_shuffle_epi8(tab, _mm_and_si128(raw, m4)), d, y);
    i8x16_store(_mm_shuffle_epi8(tab, _mm_and_si128(_mm_srli_epi16(raw, 4), m4)), d, y + 16);
}

__attribute__((target(T2))) static void iq4_nl_avx2(const uint8_t *src, uint64_t nb, float *y)
{
    const __m128i tab = _mm_loadu_si128((const __m128i *)(const void *)slm_gq_kvalues_iq4nl);
    for (uint64_t i = 0; i < nb; i++, y += 32) {
        const blk_iq4_nl *b = (const blk_iq4_nl *)(const void *)(src + i * sizeof(blk_iq4_nl));
        lut16(b->qs, tab, _mm256_set1_ps(slm_gq_half(b->d)), y);
    }
}

__attribute__((target(T2))) static void mxfp4_avx2(const uint8_t *src, uint64_t nb, float *y)
{
    const __m128i tab = _mm_loadu_si128((const __m128i *)(const void *)slm_gq_kvalues_mxfp4);
    for (uint64_t i = 0; i < nb; i++, y += 32) {
        const blk_mxfp4 *b = (const blk_mxfp4 *)(const void *)(src + i * sizeof(blk_mxfp4));
        lut16(b->qs, tab, _mm256_set1_ps(slm_gq_e8m0_half(b->e)), y);
    }
}

__attribute__((target(T2))) static void iq4_xs_avx2(const uint8_t *src, uint64_t nb, float *y)
{
    const __m128i tab = _mm_loadu_si128((const __m128i *)(const void *)slm_gq_kvalues_iq4nl);
    for (uint64_t i = 0; i < nb; i++) {
        const blk_iq4_xs *b = (const blk_iq4_xs *)(const void *)(src + i * sizeof(blk_iq4_xs));
        float d = slm_gq_half(b->d);
        unsigned sh = (unsigned)b->scales_h[0] | (unsigned)b->scales_h[1] << 8;
        for (int s = 0; s < 8; s++, y += 32) {
            int ls = (int)(((b->scales_l[s / 2] >> (4 * (s % 2))) & 15) | ((sh >> (2 * s)) & 3) << 4);
            lut16(b->qs + 16 * s, tab, _mm256_set1_ps(d * (float)(ls - 32)), y);
        }
    }
}

__attribute__((target(T2))) static void bf16_avx2(const uint8_t *src, uint64_t n, float *y)
{
    uint64_t i = 0;
    for (; i + 32 <= n; i += 32) /* 4 vectors an iteration: the loop is short, its overhead not */
        for (int k = 0; k < 4; k++) {
            __m256i v = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(const void *)(src + 2 * i + 16 * k)));
            _mm256_storeu_ps(y + i + 8 * k, _mm256_castsi256_ps(_mm256_slli_epi32(v, 16)));
        }
    for (; i + 8 <= n; i += 8) {
        __m256i v = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(const void *)(src + 2 * i)));
        _mm256_storeu_ps(y + i, _mm256_castsi256_ps(_mm256_slli_epi32(v, 16)));
    }
    for (; i < n; i++)
        y[i] = slm_bf16_to_f32((uint16_t)(src[2 * i] | src[2 * i + 1] << 8));
}

/* ---- AVX-512 --------------------------------------------------------------------- */

#define T5 T512

/* Table indices: the low (high) nibbles of 16 bytes as 16 dwords. */
__attribute__((target(T5), always_inline)) static inline __m512i nib_idx_lo(__m128i raw)
{
    return _mm512_cvtepu8_epi32(_mm_and_si128(raw, _mm_set1_epi8(15)));
}

__attribute__((target(T5), always_inline)) static inline __m512i nib_idx_hi(__m128i raw)
{
    return _mm512_cvtepu8_epi32(_mm_and_si128(_mm_srli_epi16(raw, 4), _mm_set1_epi8(15)));
}

static const float IOTA16[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

__attribute__((target(T5))) static void q4_0_avx512(const uint8_t *src, uint64_t nb, float *y)
{
    const __m512 qm8 = _mm512_sub_ps(_mm512_loadu_ps(IOTA16), _mm512_set1_ps(8)); /* (float)(q - 8), exact */
    for (uint64_t i = 0; i < nb; i++, y += 32) {
        const blk_q4_0 *b = (const blk_q4_0 *)(const void *)(src + i * sizeof(blk_q4_0));
        __m512 t = _mm512_mul_ps(qm8, _mm512_set1_ps(slm_gq_half(b->d)));
        __m128i raw = _mm_loadu_si128((const __m128i *)(const void *)b->qs);
        _mm512_storeu_ps(y, _mm512_permutexvar_ps(nib_idx_lo(raw), t));
        _mm512_storeu_ps(y + 16, _mm512_permutexvar_ps(nib_idx_hi(raw), t));
    }
}

__attribute__((target(T5))) static void q8_0_avx512(const uint8_t *src, uint64_t nb, float *y)
{
    for (uint64_t i = 0; i < nb; i++, y += 32) {
        const blk_q8_0 *b = (const blk_q8_0 *)(const void *)(src + i * sizeof(blk_q8_0));
        __m512 d = _mm512_set1_ps(slm_gq_half(b->d));
        __m128i a = _mm_loadu_si128((const __m128i *)(const void *)b->qs);
        __m128i c = _mm_loadu_si128((const __m128i *)(const void *)(b->qs + 16));
        _mm512_storeu_ps(y, _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(a)), d));
        _mm512_storeu_ps(y + 16, _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(c)), d));
    }
}

__attribute__((target(T5))) static void q4_k_avx512(const uint8_t *src, uint64_t nb, float *y)
{
    const __m512 iota = _mm512_loadu_ps(IOTA16);
    for (uint64_t i = 0; i < nb; i++) {
        const blk_q4_k *b = (const blk_q4_k *)(const void *)(src + i * sizeof(blk_q4_k));
        float d = slm_gq_half(b->d), dmin = slm_gq_half(b->dmin);
        for (int c = 0; c < 4; c++, y += 64) {
            uint8_t sc, m;
            slm_gq_k4_scale_min(b->scales, 2 * c, &sc, &m);
            __m512 t1 = _mm512_sub_ps(_mm512_mul_ps(_mm512_set1_ps(d * (float)sc), iota), _mm512_set1_ps(dmin * (float)m));
            slm_gq_k4_scale_min(b->scales, 2 * c + 1, &sc, &m);
            __m512 t2 = _mm512_sub_ps(_mm512_mul_ps(_mm512_set1_ps(d * (float)sc), iota), _mm512_set1_ps(dmin * (float)m));
            const uint8_t *q = b->qs + 32 * c;
            __m128i r0 = _mm_loadu_si128((const __m128i *)(const void *)q);
            __m128i r1 = _mm_loadu_si128((const __m128i *)(const void *)(q + 16));
            _mm512_storeu_ps(y, _mm512_permutexvar_ps(nib_idx_lo(r0), t1));
            _mm512_storeu_ps(y + 16, _mm512_permutexvar_ps(nib_idx_lo(r1), t1));
            _mm512_storeu_ps(y + 32, _mm512_permutexvar_ps(nib_idx_hi(r0), t2));
            _mm512_storeu_ps(y + 48, _mm512_permutexvar_ps(nib_idx_hi(r1), t2));
        }
    }
}

__attribute__((target(T5))) static void q6_k_avx512(const uint8_t *src, uint64_t nb, float *y)
{
    for (uint64_t i = 0; i < nb; i++) {
        const blk_q6_k *b = (const blk_q6_k *)(const void *)(src + i * sizeof(blk_q6_k));
        float d = slm_gq_half(b->d);
        for (int h = 0; h < 2; h++, y += 128) {
            __m256i q[4];
            q6_quarters(b->ql + 64 * h, b->qh + 32 * h, q);
            const int8_t *sc = b->scales + 8 * h;
            for (int k = 0; k < 4; k++) {
                __m512 v0 = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm256_castsi256_si128(q[k])));
                __m512 v1 = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm256_extracti128_si256(q[k], 1)));
                _mm512_storeu_ps(y + 32 * k, _mm512_mul_ps(_mm512_set1_ps(d * (float)sc[2 * k]), v0));
                _mm512_storeu_ps(y + 32 * k + 16, _mm512_mul_ps(_mm512_set1_ps(d * (float)sc[2 * k + 1]), v1));
            }
        }
    }
}

__attribute__((target(T5))) static void bf16_avx512(const uint8_t *src, uint64_t n, float *y)
{
    uint64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m512i a = _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(const void *)(src + 2 * i)));
        __m512i b = _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(const void *)(src + 2 * i + 32)));
        _mm512_storeu_ps(y + i, _mm512_castsi512_ps(_mm512_slli_epi32(a, 16)));
        _mm512_storeu_ps(y + i + 16, _mm512_castsi512_ps(_mm512_slli_epi32(b, 16)));
    }
    bf16_avx2(src + 2 * i, n - i, y + i);
}

/* F16C quiets signalling NaNs, as ggml's conversion does; the tail goes
 * through the reference, which does the same. */
static void f16_avx2(const uint8_t *src, uint64_t n, float *y)
{
    uint64_t n8 = n & ~(uint64_t)7;
    slm_qi_f16_row_avx2(src, n8, y);
    slm_ggml_dequant_ref(SLM_GGML_F16, src + 2 * n8, n - n8, y + n8);
}

__attribute__((target(T5))) static void f16_avx512(const uint8_t *src, uint64_t n, float *y)
{
    uint64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        _mm512_storeu_ps(y + i, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(const void *)(src + 2 * i))));
        _mm512_storeu_ps(y + i + 16, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(const void *)(src + 2 * i + 32))));
    }
    f16_avx2(src + 2 * i, n - i, y + i);
}

/* ---- dispatch --------------------------------------------------------------------- */

bool slm_gq_dequant_x86(uint32_t id, int level, const uint8_t *src, uint64_t n, float *out)
{
    bool w = level >= KER_AVX512;
    switch (id) {
    case SLM_GGML_F16: (w ? f16_avx512 : f16_avx2)(src, n, out); return true;
    case SLM_GGML_Q4_0: (w ? q4_0_avx512 : q4_0_avx2)(src, n / 32, out); return true;
    case SLM_GGML_Q8_0: (w ? q8_0_avx512 : q8_0_avx2)(src, n / 32, out); return true;
    case SLM_GGML_Q4_K: (w ? q4_k_avx512 : q4_k_avx2)(src, n / QK_K, out); return true;
    case SLM_GGML_Q6_K: (w ? q6_k_avx512 : q6_k_avx2)(src, n / QK_K, out); return true;
    case SLM_GGML_BF16: (w ? bf16_avx512 : bf16_avx2)(src, n, out); return true;
    case SLM_GGML_Q4_1: q4_1_avx2(src, n / 32, out); return true;
    case SLM_GGML_Q5_0: q5_0_avx2(src, n / 32, out); return true;
    case SLM_GGML_Q5_1: q5_1_avx2(src, n / 32, out); return true;
    case SLM_GGML_Q5_K: q5_k_avx2(src, n / QK_K, out); return true;
    case SLM_GGML_Q2_K: q2_k_avx2(src, n / QK_K, out); return true;
    case SLM_GGML_Q3_K: q3_k_avx2(src, n / QK_K, out); return true;
    case SLM_GGML_IQ4_NL: iq4_nl_avx2(src, n / 32, out); return true;
    case SLM_GGML_IQ4_XS: iq4_xs_avx2(src, n / QK_K, out); return true;
    case SLM_GGML_MXFP4: mxfp4_avx2(src, n / 32, out); return true;
    default: return false;
    }
}

#endif

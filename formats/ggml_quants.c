/* ggml's block types: layouts and the scalar reference dequantizers
 * (slm/ggml_quants.h).  Facts from ggml d99724f2 src/ggml-common.h (blocks)
 * and src/ggml-quants.c (dequantize_row_*); the code is this project's own.
 *
 * Every block is little-endian bytes; "half" is an IEEE fp16 (2 bytes),
 * read with memcpy, so blocks need no alignment.  Within a block, element
 * i of the output is written as y[i]; "lo(b)"/"hi(b)" are a byte's low and
 * high nibbles.  Each value is computed with ggml's operations in ggml's
 * order (float products, no fused multiply-add), so the result is bit for
 * bit ggml's.
 *
 *   Q4_0  (32, 18 B)  d:half | qs[16]          y[j] = (lo(qs[j]) - 8) d,  y[j+16] = (hi(qs[j]) - 8) d
 *   Q4_1  (32, 20 B)  d:half m:half | qs[16]   y[j] = lo(qs[j]) d + m,    y[j+16] = hi(qs[j]) d + m
 *   Q5_0  (32, 22 B)  d:half | qh:u32 | qs[16] 5th bit of y[j] is bit j of qh, of y[j+16] bit j+16;
 *                                              y = (q5 - 16) d
 *   Q5_1  (32, 24 B)  d:half m:half | qh | qs  as Q5_0 without the offset: y = q5 d + m
 *   Q8_0  (32, 34 B)  d:half | qs:i8[32]       y[j] = qs[j] d
 *   IQ4_NL (32, 18 B) d:half | qs[16]          y[j] = KV[lo(qs[j])] d, y[j+16] = KV[hi(qs[j])] d
 *   MXFP4 (32, 17 B)  e:E8M0 | qs[16]          y[j] = FP4[lo(qs[j])] 2^(e-128), y[j+16] = FP4[hi] ...
 *
 *   The 256-element ("K") types: a super-block of 16 or 8 sub-blocks.
 *
 *   Q2_K (84 B)   scales[16] | qs[64] | d:half dmin:half
 *      sub-block s (16 elements): scale lo(scales[s]), min hi(scales[s]);
 *      half h (128 elements) uses qs[32h .. 32h+31]; within it, shift 2j
 *      (j = 0..3) gives elements 32j .. 32j+31: qs[l] for the first 16,
 *      qs[l+16] for the next 16.  y = (d sc) q2 - (dmin m)
 *
 *        qs byte:  7 6 | 5 4 | 3 2 | 1 0
 *                  j=3   j=2   j=1   j=0     (2-bit fields)
 *
 *   Q3_K (110 B)  hmask[32] | qs[64] | scales[12] | d:half
 *      as Q2_K for the low 2 bits; the 3rd bit of element 32j + l (+128h)
 *      is bit 4h + j of hmask[l] (l = 0..31): clear means q - 4.  16 scales
 *      of 6 bits: low 4 bits lo/hi of scales[0..7] (s < 8: lo(scales[s]),
 *      else hi(scales[s-8])), high 2 bits field s/4 of scales[8 + s%4];
 *      signed: sc - 32.  y = (d (sc - 32)) (q2 - (bit ? 0 : 4))
 *
 *   Q4_K (144 B)  d:half dmin:half | scales[12] | qs[128]
 *      8 sub-blocks of 32; 6-bit scale and min each, packed as
 *        s < 4:  sc = scales[s] & 63,  m = scales[s+4] & 63
 *        s >= 4: sc = lo(scales[s+4]) | (scales[s-4] >> 6) << 4,
 *                m  = hi(scales[s+4]) | (scales[s] >> 6) << 4
 *      chunk c (64 elements) uses qs[32c .. 32c+31]: low nibbles are
 *      sub-block 2c, high nibbles sub-block 2c+1.  y = (d sc) q - (dmin m)
 *
 *   Q5_K (176 B)  d dmin | scales[12] | qh[32] | qs[128]
 *      as Q4_K plus a 5th bit: element l of sub-block s has bit s of qh[l].
 *
 *   Q6_K (210 B)  ql[128] | qh[64] | scales:i8[16] | d:half
 *      half h (128 elements) uses ql[64h ..], qh[32h ..], scales[8h ..];
 *      for l = 0..31:  y[l]    = lo(ql[l])    | bits 1:0 of qh[l]
 *                      y[l+32] = lo(ql[l+32]) | bits 3:2
 *                      y[l+64] = hi(ql[l])    | bits 5:4
 *                      y[l+96] = hi(ql[l+32]) | bits 7:6
 *      (the qh bits as bits 5:4 of a 6-bit q), sub-block of 16 each;
 *      y = (d sc) (q - 32)
 *
 *   IQ4_XS (136 B) d:half | scales_h:u16 | scales_l[4] | qs[128]
 *      8 sub-blocks of 32: ls = (scales_l[s/2] >> 4(s%2)) & 15 |
 *      ((scales_h >> 2s) & 3) << 4; each as an IQ4_NL block of scale
 *      d (ls - 32).
 *
 * KV = the IQ4_NL non-linear grid, FP4 = the E2M1 values doubled (ggml's
 * kvalues_mxfp4), so that the E8M0 scale is halved: 2^(e-128). */
#include "ggml_quants_internal.h"
#include "quant_internal.h"

#include <math.h>
#include <string.h>

#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#endif

const int8_t slm_gq_kvalues_iq4nl[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};
const int8_t slm_gq_kvalues_mxfp4[16] = {0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12};

static_assert(sizeof(blk_q4_0) == 18, "Q4_0 block");
static_assert(sizeof(blk_q4_1) == 20, "Q4_1 block");
static_assert(sizeof(blk_q5_0) == 22, "Q5_0 block");
static_assert(sizeof(blk_q5_1) == 24, "Q5_1 block");
static_assert(sizeof(blk_q8_0) == 34, "Q8_0 block");
static_assert(sizeof(blk_iq4_nl) == 18, "IQ4_NL block");
static_assert(sizeof(blk_mxfp4) == 17, "MXFP4 block");
static_assert(sizeof(blk_q2_k) == 84, "Q2_K block");
static_assert(sizeof(blk_q3_k) == 110, "Q3_K block");
static_assert(sizeof(blk_q4_k) == 144, "Q4_K block");
static_assert(sizeof(blk_q5_k) == 176, "Q5_K block");
static_assert(sizeof(blk_q6_k) == 210, "Q6_K block");
static_assert(sizeof(blk_iq4_xs) == 136, "IQ4_XS block");

float slm_gq_e8m0_half(uint8_t e)
{
    uint32_t bits = e < 2 ? 0x00200000u << e : (uint32_t)(e - 1) << 23; /* 2^(e-128), subnormal below e = 2 */
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

/* ---- 32-element blocks ------------------------------------------------------ */

static void q4_0(const uint8_t *p, float *y)
{
    const blk_q4_0 *b = (const blk_q4_0 *)(const void *)p;
    float d = slm_gq_half(b->d);
    for (int j = 0; j < 16; j++) {
        y[j] = (float)((b->qs[j] & 15) - 8) * d;
        y[j + 16] = (float)((b->qs[j] >> 4) - 8) * d;
    }
}

static void q4_1(const uint8_t *p, float *y)
{
    const blk_q4_1 *b = (const blk_q4_1 *)(const void *)p;
    float d = slm_gq_half(b->d), m = slm_gq_half(b->m);
    for (int j = 0; j < 16; j++) {
        y[j] = (float)(b->qs[j] & 15) * d + m;
        y[j + 16] = (float)(b->qs[j] >> 4) * d + m;
    }
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void q5_0(const uint8_t *p, float *y)
{
    const blk_q5_0 *b = (const blk_q5_0 *)(const void *)p;
    float d = slm_gq_half(b->d);
    uint32_t qh = le32(b->qh);
    for (int j = 0; j < 16; j++) {
        int lo = (int)((b->qs[j] & 15) | ((qh >> j) & 1) << 4), hi = (int)((b->qs[j] >> 4) | ((qh >> (j + 16)) & 1) << 4);
        y[j] = (float)(lo - 16) * d;
        y[j + 16] = (float)(hi - 16) * d;
    }
}

static void q5_1(const uint8_t *p, float *y)
{
    const blk_q5_1 *b = (const blk_q5_1 *)(const void *)p;
    float d = slm_gq_half(b->d), m = slm_gq_half(b->m);
    uint32_t qh = le32(b->qh);
    for (int j = 0; j < 16; j++) {
        int lo = (int)((b->qs[j] & 15) | ((qh >> j) & 1) << 4), hi = (int)((b->qs[j] >> 4) | ((qh >> (j + 16)) & 1) << 4);
        y[j] = (float)lo * d + m;
        y[j + 16] = (float)hi * d + m;
    }
}

static void q8_0(const uint8_t *p, float *y)
{
    const blk_q8_0 *b = (const blk_q8_0 *)(const void *)p;
    float d = slm_gq_half(b->d);
    for (int j = 0; j < 32; j++)
        y[j] = (float)b->qs[j] * d;
}

static void iq4_nl(const uint8_t *p, float *y)
{
    const blk_iq4_nl *b = (const blk_iq4_nl *)(const void *)p;
    float d = slm_gq_half(b->d);
    for (int j = 0; j < 16; j++) {
        y[j] = d * (float)slm_gq_kvalues_iq4nl[b->qs[j] & 15];
        y[j + 16] = d * (float)slm_gq_kvalues_iq4nl[b->qs[j] >> 4];
    }
}

static void mxfp4(const uint8_t *p, float *y)
{
    const blk_mxfp4 *b = (const blk_mxfp4 *)(const void *)p;
    float d = slm_gq_e8m0_half(b->e);
    for (int j = 0; j < 16; j++) {
        y[j] = (float)slm_gq_kvalues_mxfp4[b->qs[j] & 15] * d;
        y[j + 16] = (float)slm_gq_kvalues_mxfp4[b->qs[j] >> 4] * d;
    }
}

/* ---- 256-element blocks ----------------------------------------------------- */

static void q2_k(const uint8_t *p, float *y)
{
    const blk_q2_k *b = (const blk_q2_k *)(const void *)p;
    float d = slm_gq_half(b->d), dmin = slm_gq_half(b->dmin);
    for (int h = 0; h < 2; h++) {
        const uint8_t *q = b->qs + 32 * h;
        for (int j = 0; j < 4; j++)
            for (int half = 0; half < 2; half++) {
                uint8_t sc = b->scales[8 * h + 2 * j + half];
                float dl = d * (float)(sc & 15), ml = dmin * (float)(sc >> 4);
                for (int l = 0; l < 16; l++)
                    *y++ = dl * (float)((q[l + 16 * half] >> (2 * j)) & 3) - ml;
            }
    }
}

/* The 16 signed 6-bit scales of a Q3_K block (see the layout above). */
void slm_gq_q3_k_scales(const uint8_t s[12], int sc[16])
{
    for (int i = 0; i < 16; i++) {
        int lo = i < 8 ? s[i] & 15 : s[i - 8] >> 4, hi = (s[8 + i % 4] >> (2 * (i / 4))) & 3;
        sc[i] = (lo | hi << 4) - 32;
    }
}

static void q3_k(const uint8_t *p, float *y)
{
    const blk_q3_k *b = (const blk_q3_k *)(const void *)p;
    float d = slm_gq_half(b->d);
    int sc[16];
    slm_gq_q3_k_scales(b->scales, sc);
    for (int h = 0; h < 2; h++) {
        const uint8_t *q = b->qs + 32 * h;
        for (int j = 0; j < 4; j++) {
            uint8_t bit = (uint8_t)(1u << (4 * h + j));
            for (int half = 0; half < 2; half++) {
                float dl = d * (float)sc[8 * h + 2 * j + half];
                for (int l = 16 * half; l < 16 * half + 16; l++)
                    *y++ = dl * (float)(((q[l] >> (2 * j)) & 3) - ((b->hmask[l] & bit) ? 0 : 4));
            }
        }
    }
}

void slm_gq_k4_scale_min(const uint8_t s[12], int i, uint8_t *sc, uint8_t *m)
{
    if (i < 4) {
        *sc = s[i] & 63;
        *m = s[i + 4] & 63;
    } else {
        *sc = (uint8_t)((s[i + 4] & 15) | (s[i - 4] >> 6) << 4);
        *m = (uint8_t)((s[i + 4] >> 4) | (s[i] >> 6) << 4);
    }
}

static void q4_k(const uint8_t *p, float *y)
{
    const blk_q4_k *b = (const blk_q4_k *)(const void *)p;
    float d = slm_gq_half(b->d), dmin = slm_gq_half(b->dmin);
    for (int c = 0; c < 4; c++) {
        const uint8_t *q = b->qs + 32 * c;
        uint8_t sc, m;
        slm_gq_k4_scale_min(b->scales, 2 * c, &sc, &m);
        float d1 = d * (float)sc, m1 = dmin * (float)m;
        slm_gq_k4_scale_min(b->scales, 2 * c + 1, &sc, &m);
        float d2 = d * (float)sc, m2 = dmin * (float)m;
        for (int l = 0; l < 32; l++)
            *y++ = d1 * (float)(q[l] & 15) - m1;
        for (int l = 0; l < 32; l++)
            *y++ = d2 * (float)(q[l] >> 4) - m2;
    }
}

static void q5_k(const uint8_t *p, float *y)
{
    const blk_q5_k *b = (const blk_q5_k *)(const void *)p;
    float d = slm_gq_half(b->d), dmin = slm_gq_half(b->dmin);
    for (int c = 0; c < 4; c++) {
        const uint8_t *q = b->qs + 32 * c;
        uint8_t sc, m, u1 = (uint8_t)(1u << (2 * c)), u2 = (uint8_t)(2u << (2 * c));
        slm_gq_k4_scale_min(b->scales, 2 * c, &sc, &m);
        float d1 = d * (float)sc, m1 = dmin * (float)m;
        slm_gq_k4_scale_min(b->scales, 2 * c + 1, &sc, &m);
        float d2 = d * (float)sc, m2 = dmin * (float)m;
        for (int l = 0; l < 32; l++)
            *y++ = d1 * (float)((q[l] & 15) + ((b->qh[l] & u1) ? 16 : 0)) - m1;
        for (int l = 0; l < 32; l++)
            *y++ = d2 * (float)((q[l] >> 4) + ((b->qh[l] & u2) ? 16 : 0)) - m2;
    }
}

static void q6_k(const uint8_t *p, float *y)
{
    const blk_q6_k *b = (const blk_q6_k *)(const void *)p;
    float d = slm_gq_half(b->d);
    for (int h = 0; h < 2; h++) {
        const uint8_t *ql = b->ql + 64 * h, *qh = b->qh + 32 * h;
        const int8_t *sc = b->scales + 8 * h;
        for (int l = 0; l < 32; l++) {
            int is = l / 16;
            int q1 = ((ql[l] & 15) | ((qh[l] >> 0) & 3) << 4) - 32, q2 = ((ql[l + 32] & 15) | ((qh[l] >> 2) & 3) << 4) - 32;
            int q3 = ((ql[l] >> 4) | ((qh[l] >> 4) & 3) << 4) - 32, q4 = ((ql[l + 32] >> 4) | ((qh[l] >> 6) & 3) << 4) - 32;
            y[l] = d * (float)sc[is] * (float)q1;
            y[l + 32] = d * (float)sc[is + 2] * (float)q2;
            y[l + 64] = d * (float)sc[is + 4] * (float)q3;
            y[l + 96] = d * (float)sc[is + 6] * (float)q4;
        }
        y += 128;
    }
}

static void iq4_xs(const uint8_t *p, float *y)
{
    const blk_iq4_xs *b = (const blk_iq4_xs *)(const void *)p;
    float d = slm_gq_half(b->d);
    unsigned sh = (unsigned)b->scales_h[0] | (unsigned)b->scales_h[1] << 8;
    for (int s = 0; s < 8; s++) {
        int ls = (int)(((b->scales_l[s / 2] >> (4 * (s % 2))) & 15) | ((sh >> (2 * s)) & 3) << 4);
        float dl = d * (float)(ls - 32);
        const uint8_t *q = b->qs + 16 * s;
        for (int j = 0; j < 16; j++) {
            y[j] = dl * (float)slm_gq_kvalues_iq4nl[q[j] & 15];
            y[j + 16] = dl * (float)slm_gq_kvalues_iq4nl[q[j] >> 4];
        }
        y += 32;
    }
}

/* ---- by type ---------------------------------------------------------------- */

typedef void (*block_fn)(const uint8_t *p, float *y);

static block_fn block_of(uint32_t id)
{
    switch (id) {
    case SLM_GGML_Q4_0: return q4_0;
    case SLM_GGML_Q4_1: return q4_1;
    case SLM_GGML_Q5_0: return q5_0;
    case SLM_GGML_Q5_1: return q5_1;
    case SLM_GGML_Q8_0: return q8_0;
    case SLM_GGML_IQ4_NL: return iq4_nl;
    case SLM_GGML_MXFP4: return mxfp4;
    case SLM_GGML_Q2_K: return q2_k;
    case SLM_GGML_Q3_K: return q3_k;
    case SLM_GGML_Q4_K: return q4_k;
    case SLM_GGML_Q5_K: return q5_k;
    case SLM_GGML_Q6_K: return q6_k;
    case SLM_GGML_IQ4_XS: return iq4_xs;
    default: return NULL;
    }
}

bool slm_ggml_decodes(uint32_t id)
{
    return id == SLM_GGML_F32 || id == SLM_GGML_F16 || id == SLM_GGML_BF16 || block_of(id) != NULL;
}

bool slm_ggml_is_quantized(uint32_t id)
{
    const slm_ggml_type *t = slm_ggml_type_get(id);
    return id == SLM_GGML_F16 || id == SLM_GGML_BF16 || (t && t->block > 1);
}

void slm_ggml_dequant_ref(uint32_t id, const uint8_t *src, uint64_t n, float *out)
{
    const slm_ggml_type *t = slm_ggml_type_get(id);
    block_fn fn = block_of(id);
    uint16_t h;
    switch (id) {
    case SLM_GGML_F32: memcpy(out, src, n * 4); return;
    case SLM_GGML_F16: /* a signalling NaN comes out quiet, as from ggml's conversion (and F16C's) */
        for (uint64_t i = 0; i < n; i++) {
            memcpy(&h, src + 2 * i, 2);
            out[i] = slm_f16_to_f32((h & 0x7c00) == 0x7c00 && (h & 0x3ff) ? (uint16_t)(h | 0x200) : h);
        }
        return;
    case SLM_GGML_BF16:
        for (uint64_t i = 0; i < n; i++) {
            memcpy(&h, src + 2 * i, 2);
            out[i] = slm_bf16_to_f32(h);
        }
        return;
    }
    if (!fn || !t || !t->block) {
        for (uint64_t i = 0; i < n; i++)
            out[i] = NAN;
        return;
    }
    for (uint64_t i = 0; i + t->block <= n; i += t->block)
        fn(src + i / t->block * t->bytes, out + i);
}

bool slm_ggml_block_scale(uint32_t id, const uint8_t *b, float *d)
{
    switch (id) {
    case SLM_GGML_Q4_0: case SLM_GGML_Q4_1: case SLM_GGML_Q5_0: case SLM_GGML_Q5_1: case SLM_GGML_Q8_0:
    case SLM_GGML_IQ4_NL: case SLM_GGML_IQ4_XS: case SLM_GGML_Q4_K: case SLM_GGML_Q5_K:
        *d = slm_gq_half(b); /* d first */
        return true;
    case SLM_GGML_Q2_K: *d = slm_gq_half(((const blk_q2_k *)(const void *)b)->d); return true;
    case SLM_GGML_Q3_K: *d = slm_gq_half(((const blk_q3_k *)(const void *)b)->d); return true;
    case SLM_GGML_Q6_K: *d = slm_gq_half(((const blk_q6_k *)(const void *)b)->d); return true;
    case SLM_GGML_MXFP4: *d = b[0] == 255 ? NAN : 2 * slm_gq_e8m0_half(b[0]); return true;
    default: return false;
    }
}

/* ---- the fast kernels ------------------------------------------------------- */

static bool has_fast(uint32_t id)
{
    return slm_ggml_decodes(id) && id != SLM_GGML_F32;
}

void slm_ggml_dequant(uint32_t id, const uint8_t *src, uint64_t n, float *out)
{
#ifdef SLM_X86
    kernel_level lv = slm_qi_level();
    const slm_ggml_type *t = slm_ggml_type_get(id);
    if (lv >= KER_AVX2 && t && t->block && n % t->block == 0 && slm_gq_dequant_x86(id, (int)lv, src, n, out))
        return;
#endif
    slm_ggml_dequant_ref(id, src, n, out);
}

const char *slm_ggml_kernel(uint32_t id)
{
    kernel_level lv = slm_qi_level();
    if (!has_fast(id) || lv < KER_AVX2)
        return "scalar";
    bool w = id == SLM_GGML_Q4_0 || id == SLM_GGML_Q8_0 || id == SLM_GGML_Q4_K || id == SLM_GGML_Q6_K ||
             id == SLM_GGML_F16 || id == SLM_GGML_BF16;
    return w && lv == KER_AVX512 ? "avx512" : "avx2";
}

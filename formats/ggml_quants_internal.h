/* ggml's blocks as structs (ggml d99724f2 src/ggml-common.h; layouts drawn
 * in ggml_quants.c), shared by the reference (ggml_quants.c) and the fast
 * kernels (ggml_quants_x86.c).  Every field is bytes: a block has alignment
 * 1 and reads the same on any host; halves go through slm_gq_half. */
#ifndef SLM_GGML_QUANTS_INTERNAL_H
#define SLM_GGML_QUANTS_INTERNAL_H

#include <assert.h>
#include <string.h>

#include "slm/dtype.h"
#include "slm/ggml_quants.h"

#define QK_K 256

typedef struct { uint8_t d[2]; uint8_t qs[16]; } blk_q4_0;
typedef struct { uint8_t d[2], m[2]; uint8_t qs[16]; } blk_q4_1;
typedef struct { uint8_t d[2]; uint8_t qh[4]; uint8_t qs[16]; } blk_q5_0;
typedef struct { uint8_t d[2], m[2]; uint8_t qh[4]; uint8_t qs[16]; } blk_q5_1;
typedef struct { uint8_t d[2]; int8_t qs[32]; } blk_q8_0;
typedef struct { uint8_t d[2]; uint8_t qs[16]; } blk_iq4_nl;
typedef struct { uint8_t e; uint8_t qs[16]; } blk_mxfp4;
typedef struct { uint8_t scales[QK_K / 16]; uint8_t qs[QK_K / 4]; uint8_t d[2], dmin[2]; } blk_q2_k;
typedef struct { uint8_t hmask[QK_K / 8]; uint8_t qs[QK_K / 4]; uint8_t scales[12]; uint8_t d[2]; } blk_q3_k;
typedef struct { uint8_t d[2], dmin[2]; uint8_t scales[12]; uint8_t qs[QK_K / 2]; } blk_q4_k;
typedef struct { uint8_t d[2], dmin[2]; uint8_t scales[12]; uint8_t qh[QK_K / 8]; uint8_t qs[QK_K / 2]; } blk_q5_k;
typedef struct { uint8_t ql[QK_K / 2]; uint8_t qh[QK_K / 4]; int8_t scales[QK_K / 16]; uint8_t d[2]; } blk_q6_k;
typedef struct { uint8_t d[2]; uint8_t scales_h[2]; uint8_t scales_l[QK_K / 64]; uint8_t qs[QK_K / 2]; } blk_iq4_xs;

static inline float slm_gq_half(const uint8_t h[2])
{
    return slm_f16_to_f32((uint16_t)(h[0] | h[1] << 8));
}

extern const int8_t slm_gq_kvalues_iq4nl[16];
extern const int8_t slm_gq_kvalues_mxfp4[16];
/* MXFP4's shared exponent halved, as ggml_e8m0_to_fp32_half: 2^(e-128). */
float slm_gq_e8m0_half(uint8_t e);
/* Scale and min I (0..7) of a Q4_K/Q5_K block's 12 scale bytes. */
void slm_gq_k4_scale_min(const uint8_t s[12], int i, uint8_t *sc, uint8_t *m);
/* The 16 signed scales of a Q3_K block. */
void slm_gq_q3_k_scales(const uint8_t s[12], int sc[16]);

/* ggml_quants_x86.c: the fast kernel for ID at LEVEL (2 AVX2, 3 AVX-512),
 * N elements (whole blocks); false when it has none (nothing written). */
bool slm_gq_dequant_x86(uint32_t id, int level, const uint8_t *src, uint64_t n, float *out);

#endif

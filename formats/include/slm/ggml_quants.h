/* ggml's quantized types (the tensors of a GGUF file) as floats: one scalar
 * reference dequantizer per type, bit for bit what ggml's own
 * dequantize_row_* (ggml_get_type_traits(t)->to_float, ggml d99724f2)
 * gives, and fast kernels for the types real files mostly hold (Q4_0, Q8_0,
 * Q4_K, Q6_K) held to the reference by tests/test_ggml_quants.c.
 *
 * The block layouts are drawn in formats/ggml_quants.c; the type ids and
 * block sizes are slm/ggml_types.h. */
#ifndef SLM_GGML_QUANTS_H
#define SLM_GGML_QUANTS_H

#include <stdbool.h>
#include <stdint.h>

#include "slm/ggml_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Whether slminspect decodes type ID: F32, F16, BF16, Q4_0, Q4_1, Q5_0,
 * Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_NL, IQ4_XS, MXFP4.  Other
 * types are named, never measured (QT-010). */
bool slm_ggml_decodes(uint32_t id);
/* Whether ID is lossy: a block type, or F16/BF16 (against an fp32 reference). */
bool slm_ggml_is_quantized(uint32_t id);
/* N elements (a multiple of the type's block size) of type ID from the
 * bytes at SRC (no alignment needed), as floats.  Types that do not decode
 * give NaN.  The _ref kernel is the definition, one block at a time in
 * ggml's order of operations; the other picks the fast kernel (AVX-512,
 * AVX2 or the reference, at run time) and agrees with it bit for bit. */
void slm_ggml_dequant_ref(uint32_t id, const uint8_t *src, uint64_t n, float *out);
void slm_ggml_dequant(uint32_t id, const uint8_t *src, uint64_t n, float *out);
/* The scale d of the block at BLOCK (a K type's super-block scale; MXFP4's
 * 2^(e-127), NaN for e = 255): false for types without one (F16, BF16, F32)
 * or not decoded. */
bool slm_ggml_block_scale(uint32_t id, const uint8_t *block, float *d);
/* Which kernel slm_ggml_dequant runs for ID here: "avx512", "avx2" or
 * "scalar" (SLM_QUANT_KERNEL limits it, as for slm_q_kernel). */
const char *slm_ggml_kernel(uint32_t id);

#ifdef __cplusplus
}
#endif
#endif

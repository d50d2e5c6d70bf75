/* llama.cpp's tensor names and the Hugging Face names they came from, per
 * architecture, with what convert_hf_to_gguf.py did to the values on the
 * way.  Facts from llama.cpp's gguf-py (constants.py MODEL_TENSORS,
 * tensor_mapping.py) and convert_hf_to_gguf.py (LlamaModel.permute, Gemma's
 * norm + 1); used by quant to pair a GGUF with its checkpoint and by diff. */
#ifndef SLM_LLAMA_NAMES_H
#define SLM_LLAMA_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum slm_llama_xform {
    SLM_LX_NONE = 0,
    /* rows regrouped per head from HF's [head][2][d/2] (rotate-half) order
     * to [head][d/2][2] (LlamaModel.permute): attn_q with the head count,
     * attn_k with the KV head count; weights and biases */
    SLM_LX_PERMUTE_Q,
    SLM_LX_PERMUTE_K,
    /* the GGUF holds the HF value + 1 (Gemma's RMSNorm weights) */
    SLM_LX_NORM_PLUS_ONE,
} slm_llama_xform;

/* "permuted rows (llama Q)"... for reports. */
const char *slm_llama_xform_name(slm_llama_xform x);

/* Whether llama.cpp's converter is known for ARCH here: llama, qwen2,
 * qwen3, gemma, gemma2, gemma3, phi3, mistral. */
bool slm_llama_arch_known(const char *arch);

/* The Hugging Face name of GGUF tensor NAME in a model of architecture
 * ARCH (general.architecture), written to OUT (N bytes), and the
 * transformation the converter applied (X may be NULL).  False when NAME
 * is not one of the architecture's tensors or OUT is too small. */
bool slm_llama_to_hf(const char *arch, const char *name, char *out, size_t n, slm_llama_xform *x);
/* The reverse: the GGUF name of HF tensor NAME. */
bool slm_llama_from_hf(const char *arch, const char *name, char *out, size_t n, slm_llama_xform *x);

/* The row of the HF tensor that GGUF row R of a permuted tensor of ROWS
 * rows came from (HEADS: the head count it was permuted with).  R itself
 * when ROWS is not a multiple of 2 HEADS. */
uint64_t slm_llama_hf_row(uint64_t r, uint64_t rows, uint64_t heads);

#ifdef __cplusplus
}
#endif
#endif

/* The ggml tensor types a GGUF file names, as one table (ggml d99724f2,
 * include/ggml.h enum ggml_type and src/ggml.c type_traits).
 *
 * A type stores its elements in blocks: BLOCK elements in BYTES bytes (1 and
 * the element size for the plain types).  Ids that ggml once used and has
 * removed (4, 5: Q4_2, Q4_3; 31-33: Q4_0_4_4..Q4_0_8_8; 36-38:
 * IQ4_NL_4_4..IQ4_NL_8_8) have a row with REMOVED set and BLOCK 0, as ggml
 * gives them a block size of 0 and rejects them. */
#ifndef SLM_GGML_TYPES_H
#define SLM_GGML_TYPES_H

#include <stdbool.h>
#include <stdint.h>

#include "slm/dtype.h"

#ifdef __cplusplus
extern "C" {
#endif

enum {
    SLM_GGML_F32 = 0, SLM_GGML_F16 = 1, SLM_GGML_Q4_0 = 2, SLM_GGML_Q4_1 = 3,
    SLM_GGML_Q5_0 = 6, SLM_GGML_Q5_1 = 7, SLM_GGML_Q8_0 = 8, SLM_GGML_Q8_1 = 9,
    SLM_GGML_Q2_K = 10, SLM_GGML_Q3_K = 11, SLM_GGML_Q4_K = 12, SLM_GGML_Q5_K = 13,
    SLM_GGML_Q6_K = 14, SLM_GGML_Q8_K = 15, SLM_GGML_IQ2_XXS = 16, SLM_GGML_IQ2_XS = 17,
    SLM_GGML_IQ3_XXS = 18, SLM_GGML_IQ1_S = 19, SLM_GGML_IQ4_NL = 20, SLM_GGML_IQ3_S = 21,
    SLM_GGML_IQ2_S = 22, SLM_GGML_IQ4_XS = 23, SLM_GGML_I8 = 24, SLM_GGML_I16 = 25,
    SLM_GGML_I32 = 26, SLM_GGML_I64 = 27, SLM_GGML_F64 = 28, SLM_GGML_IQ1_M = 29,
    SLM_GGML_BF16 = 30, SLM_GGML_TQ1_0 = 34, SLM_GGML_TQ2_0 = 35, SLM_GGML_MXFP4 = 39,
    SLM_GGML_NVFP4 = 40, SLM_GGML_Q1_0 = 41, SLM_GGML_Q2_0 = 42,
    SLM_GGML_TYPE_COUNT = 43 /* ggml's GGML_TYPE_COUNT: ids at or above it are invalid */
};

typedef struct slm_ggml_type {
    uint32_t id;
    const char *name;   /* gguf-py's GGMLQuantizationType name: "Q4_K", "F16" */
    uint32_t block;     /* elements per block; 0 for a removed id */
    uint32_t bytes;     /* bytes per block */
    slm_dtype dtype;    /* the plain element type (F32, F16, BF16, F64, I8..I64), else SLM_DT_INVALID */
    bool removed;       /* an id ggml no longer reads */
} slm_ggml_type;

/* The row of ID, or NULL when ID >= SLM_GGML_TYPE_COUNT. */
const slm_ggml_type *slm_ggml_type_get(uint32_t id);
/* The id named NAME ("Q4_K", case-insensitive), or -1. */
int slm_ggml_type_find(const char *name);
/* Bytes of NELEM elements of type ID: false when the type has no block size,
 * NELEM is not a multiple of it, or the size overflows. */
bool slm_ggml_nbytes(uint32_t id, uint64_t nelem, uint64_t *nbytes);

#ifdef __cplusplus
}
#endif
#endif

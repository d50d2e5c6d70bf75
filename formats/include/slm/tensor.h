/* A format-neutral view of one tensor, and value statistics over it. */
#ifndef SLM_TENSOR_H
#define SLM_TENSOR_H

#include "slm/core.h"
#include "slm/dtype.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct slm_tensor {
    const char *name;       /* owned by the container it came from */
    slm_dtype dtype;
    size_t ndim;
    const uint64_t *shape;
    uint64_t nelem, nbytes;
    const uint8_t *data;    /* view into a mapped file; NULL when not readable */
    const char *file;       /* display path of the file that holds the bytes */
    uint64_t offset;        /* byte offset of the bytes in FILE */
    const char *type_name;  /* the format's own type where DTYPE cannot say it (GGUF "Q4_K", DTYPE
                               SLM_DT_INVALID), else NULL: slm_tensor_type_name */
} slm_tensor;

/* TYPE_NAME, or DTYPE's name. */
const char *slm_tensor_type_name(const slm_tensor *t);
/* Same dtype and, for format-specific types (GGUF Q4_K...), the same type. */
bool slm_tensor_same_type(const slm_tensor *a, const slm_tensor *b);

/* Same number of dimensions, same extent in each. */
bool slm_tensor_same_shape(const slm_tensor *a, const slm_tensor *b);

/* Value statistics.  min, max, sum and sumsq are over finite values. */
typedef struct slm_stats {
    uint64_t n, nan, inf, zero;
    uint64_t f16_over;   /* finite values that round to Inf in fp16 (|v| >= 65520) */
    uint64_t f16_under;  /* non-zero values that round to zero in fp16 (|v| <= 2^-25) */
    double min, max, sum, sumsq;
} slm_stats;

void slm_stats_init(slm_stats *s);
/* Adds elements [FIRST, FIRST+COUNT) of an array of type T at DATA.  Types
 * whose values do not decode (slm_dtype_info.decodes) add nothing. */
void slm_stats_add(slm_stats *s, slm_dtype t, const uint8_t *data, uint64_t first, uint64_t count);
/* The definition: one value at a time, in order, scalar.  slm_stats_add
 * gives the same counts, min and max with SIMD kernels (F16 via F16C, BF16,
 * F32, F64: formats/stats_x86.c for AVX2, formats/stats_avx512.c), sum and
 * sumsq up to the order of the additions; tests/test_stats_fast.c compares
 * them. */
void slm_stats_add_ref(slm_stats *s, slm_dtype t, const uint8_t *data, uint64_t first, uint64_t count);
void slm_stats_merge(slm_stats *into, const slm_stats *from);

/* "1.91 M" style counts and "3.64 MiB" style sizes for people. */
const char *slm_fmt_count(char *buf, size_t n, uint64_t v);
const char *slm_fmt_bytes(char *buf, size_t n, uint64_t v);
/* "[2048, 256]" */
const char *slm_fmt_shape(char *buf, size_t n, const uint64_t *shape, size_t ndim);

#ifdef __cplusplus
}
#endif
#endif

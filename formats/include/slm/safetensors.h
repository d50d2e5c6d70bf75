/* safetensors files (spec/safetensors.md).
 *
 *   file   = N:u64le  header:N bytes  data
 *   header = UTF-8 JSON object, then trailing whitespace (writers pad with
 *            spaces to a multiple of 8):
 *            { "__metadata__"?: {str: str}, name: {"dtype": str,
 *              "shape": [u64...], "data_offsets": [begin, end]} ... }
 *   data   = the tensors' bytes; sorted by data_offsets they tile it exactly.
 *
 * Validity follows the reference implementation (huggingface/safetensors,
 * SafeTensors::read_metadata) to the letter; stricter checks are warnings. */
#ifndef SLM_SAFETENSORS_H
#define SLM_SAFETENSORS_H

#include "slm/core.h"
#include "slm/dtype.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SLM_ST_MAX_HEADER 100000000u /* the reference's MAX_HEADER_SIZE (ST-002) */

typedef struct slm_st_tensor {
    char *name;
    slm_dtype dtype;
    size_t ndim;
    uint64_t *shape;
    uint64_t nelem;      /* product of shape, when it does not overflow */
    uint64_t nbytes;     /* the size dtype and shape call for (when valid) */
    uint64_t begin, end; /* data_offsets: relative to the data buffer */
    uint64_t entry_off;  /* byte offset of the tensor's header entry in the file */
} slm_st_tensor;

typedef struct slm_st {
    slm_map map;         /* the file, when opened by path */
    const uint8_t *data; /* whole file */
    uint64_t size;
    char *file;          /* display name used in findings */
    uint64_t header_len; /* N */
    uint64_t data_start; /* 8 + N */
    slm_st_tensor *t;    /* sorted by data_offsets, as the reference orders them */
    size_t n;
    const struct slm_st_tensor **by_name; /* t sorted by name (slm_st_find) */
    char **meta_key, **meta_val; /* __metadata__, in header order, last value kept */
    size_t nmeta;
    bool header_ok;      /* header parsed and every entry well-formed */
    bool valid;          /* the reference would load the file */
} slm_st;

/* Opens and checks PATH.  Returns 0 when the file could be read (whatever
 * its findings), else an errno value.  DISPLAY names the file in findings
 * (PATH when NULL). */
int slm_st_open(slm_st *st, const char *path, const char *display, slm_diag *d);
/* Checks a file held in memory (DATA must outlive ST). */
void slm_st_parse(slm_st *st, const uint8_t *data, uint64_t size, const char *display, slm_diag *d);
void slm_st_close(slm_st *st);

/* The tensor's bytes in the file (a view), or NULL unless the file is valid. */
const uint8_t *slm_st_tensor_data(const slm_st *st, const slm_st_tensor *t);
const slm_st_tensor *slm_st_find(const slm_st *st, const char *name);

#ifdef __cplusplus
}
#endif
#endif

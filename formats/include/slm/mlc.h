/* MLC-LLM / WebLLM weight folders (spec/mlc.md).
 *
 *   ndarray-cache.json (tensor-cache.json since web-llm 0.2.80):
 *   { "metadata": { "ParamSize": n, "ParamBytes": bytes, "BitsPerParam": x },
 *     "records": [ { "dataPath": "params_shard_0.bin", "format": "raw-shard",
 *                    "nbytes": bytes, "md5sum": hex,
 *                    "records": [ { "name": str, "shape": [u64...],
 *                                   "dtype": "float16"|"uint32"|...,
 *                                   "format": "raw"|"f32-to-bf16",
 *                                   "nbytes": bytes, "byteOffset": bytes }, ... ] },
 *                  ... ] }
 *   mlc-chat-config.json: model_type, quantization, model_config {...},
 *   context_window_size, prefill_chunk_size, tensor_parallel_shards,
 *   conv_template, tokenizer_files, sampling defaults.
 *
 * As tvm's TensorCacheMetadata (relax_vm) and tvmjs fetchTensorCache read
 * them: a shard's bytes must be nbytes long, each record must lie inside its
 * shard and hold exactly shape x dtype bytes. */
#ifndef SLM_MLC_H
#define SLM_MLC_H

#include "slm/core.h"
#include "slm/dtype.h"
#include "slm/json.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct slm_mlc_record {
    char *name;
    char *dtype_name;    /* as written */
    slm_dtype dtype;     /* SLM_DT_INVALID when unknown */
    size_t ndim;
    uint64_t *shape;
    uint64_t nelem;      /* product of shape (when it does not overflow) */
    uint64_t nbytes;     /* as written */
    uint64_t offset;     /* byteOffset in its shard */
    size_t shard;        /* index into slm_mlc.s */
    size_t index;        /* position inside its shard's records */
    uint64_t json_off;   /* the record's offset in the cache file */
    bool ok;             /* well-formed: name, shape, dtype, sizes */
} slm_mlc_record;

typedef struct slm_mlc_shard {
    char *data_path;     /* as written */
    char *path;          /* joined with the folder; NULL when it escapes */
    uint64_t nbytes;
    bool has_md5;
    char md5[33];
    uint64_t json_off;
    slm_map map;         /* after slm_mlc_load_shards */
    bool present;        /* file opened */
    bool size_ok;        /* present and map.size == nbytes */
    bool ok;             /* the entry itself is well-formed */
} slm_mlc_shard;

/* mlc-chat-config.json, the fields slminspect checks (-1 / NULL when absent). */
typedef struct slm_mlc_config {
    char *file;
    slm_map map;
    slm_json j;
    bool parsed;         /* j holds a JSON object */
    const cJSON *root;
    const char *model_type, *quantization, *conv_template;
    int64_t context_window_size, prefill_chunk_size, sliding_window_size;
    int64_t tensor_parallel_shards, vocab_size;
    const cJSON *model_config;   /* object or NULL */
    const cJSON *tokenizer_files; /* array or NULL */
} slm_mlc_config;

typedef struct slm_mlc {
    slm_map map;
    char *file;          /* display name of the cache JSON */
    char *dir;           /* the folder shard names are relative to */
    slm_mlc_shard *s;
    size_t ns;
    slm_mlc_record *r;   /* every record, shard by shard, in file order */
    size_t nr;
    bool has_param_size, has_param_bytes;
    uint64_t param_size;
    double param_bytes;
    bool ok;             /* the cache parsed into records */
    slm_mlc_config cfg;  /* mlc-chat-config.json beside it (cfg.file NULL when absent) */
    char **owned;        /* strings views of this cache borrow (slm_model's q[].op) */
    size_t nowned;
} slm_mlc;

/* Is NAME a tensor-cache file name (ndarray-cache.json, tensor-cache.json)? */
bool slm_mlc_is_cache_name(const char *name);
/* Finds the cache JSON in DIR (tensor-cache.json preferred); malloc'd path or NULL. */
char *slm_mlc_find_cache(const char *dir);

/* Reads the cache at PATH (a cache JSON or a folder holding one), opens its
 * shards, checks them and reads mlc-chat-config.json beside it.  Returns 0
 * when the cache could be read, else an errno value. */
int slm_mlc_open(slm_mlc *x, const char *path, slm_diag *d);
/* Parses a cache held in memory; shard names are relative to DIR. */
void slm_mlc_parse(slm_mlc *x, const uint8_t *data, uint64_t size, const char *display, const char *dir,
                   slm_diag *d);
/* Opens every shard and checks sizes, placement and tiling. */
void slm_mlc_load_shards(slm_mlc *x, slm_diag *d);
/* Compares each shard's md5 with its md5sum (MLC-015).  Returns the number
 * of shards hashed. */
size_t slm_mlc_check_md5(slm_mlc *x, slm_diag *d);
void slm_mlc_close(slm_mlc *x);

/* The bytes of record R (a view), or NULL when its shard is not usable. */
const uint8_t *slm_mlc_record_data(const slm_mlc *x, const slm_mlc_record *r);
const slm_mlc_record *slm_mlc_find(const slm_mlc *x, const char *name);

/* mlc-chat-config.json: reads PATH (display name DISPLAY). */
int slm_mlc_config_open(slm_mlc_config *c, const char *path, slm_diag *d);
void slm_mlc_config_parse(slm_mlc_config *c, const uint8_t *data, uint64_t size, const char *display,
                          slm_diag *d);
void slm_mlc_config_close(slm_mlc_config *c);
/* An integer of model_config (or of the top level when absent there); -1. */
int64_t slm_mlc_config_int(const slm_mlc_config *c, const char *key);

/* MLC quantization names ("q4f16_1", "q0f32", ...): bits of weights (0 for
 * none), the dtype of scales / unquantized tensors.  false when unknown. */
bool slm_mlc_quant_info(const char *q, unsigned *bits, slm_dtype *model_dtype);

/* Hex MD5 of N bytes at P into OUT (33 bytes). */
void slm_md5_hex(const uint8_t *p, uint64_t n, char out[33]);

#ifdef __cplusplus
}
#endif
#endif

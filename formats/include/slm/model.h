/* Artifacts: what a path holds, and the tensor set of one model.
 *
 * slm_sniff names a file's kind from its name and first bytes.
 * slm_model_open opens a weight artifact -- a safetensors file, a sharded
 * checkpoint (its index or its folder), or any other format whose module
 * registers here -- and lists its tensors as format-neutral views. */
#ifndef SLM_MODEL_H
#define SLM_MODEL_H

#include "slm/core.h"
#include "slm/hfindex.h"
#include "slm/quant.h"
#include "slm/safetensors.h"
#include "slm/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum slm_kind {
    SLM_KIND_UNKNOWN = 0,
    SLM_KIND_SAFETENSORS,  /* *.safetensors */
    SLM_KIND_HF_INDEX,     /* *.index.json */
    SLM_KIND_HF_CONFIG,    /* config.json (transformers) */
    SLM_KIND_ONNX,         /* *.onnx */
    SLM_KIND_ONNX_DATA,    /* external data of an ONNX model */
    SLM_KIND_MLC_CACHE,    /* ndarray-cache.json / tensor-cache.json */
    SLM_KIND_MLC_CONFIG,   /* mlc-chat-config.json */
    SLM_KIND_MLC_SHARD,    /* params_shard_*.bin */
    SLM_KIND_WASM,         /* WebAssembly model library */
    SLM_KIND_JSON,         /* other JSON (tokenizer, generation config...) */
    SLM_KIND_DIR,          /* a folder */
    SLM_KIND_GGUF,         /* *.gguf (llama.cpp / ggml) */
    SLM_KIND__COUNT
} slm_kind;

const char *slm_kind_name(slm_kind k);
/* The kind of PATH: a folder, or a file by its name and first bytes. */
slm_kind slm_sniff(const char *path);

struct slm_onnx;
struct slm_mlc;
struct slm_gguf;
struct slm_format;

typedef struct slm_model {
    char *path;            /* as given */
    char *dir;             /* the folder that holds it */
    slm_kind kind;         /* the weight format */
    const struct slm_format *format; /* its row in the table of formats (slm/format.h) */
    slm_st *st;            /* safetensors files not behind an index */
    size_t nst;
    slm_hfindex *index;    /* a sharded checkpoint */
    struct slm_onnx *onnx; /* an ONNX model (formats/onnx.c) */
    struct slm_mlc *mlc;   /* an MLC weight folder (formats/mlc.c) */
    struct slm_gguf *gguf; /* a GGUF file (formats/gguf.c) */
    slm_tensor *t;         /* every tensor, in a stable order */
    size_t n;
    slm_qweight *q;        /* quantized weights among them (views into t) */
    size_t nq;
    char *config;          /* config.json beside the weights, or NULL */
    size_t *by_name;       /* t's indices by name (slm_model_find), once opened */
} slm_model;

/* Opens the weight artifact at PATH (a file or a folder).  Returns 0 when
 * something was opened (findings go to D), ENOENT/EACCES/... when PATH cannot
 * be read, ENOTSUP when it holds no weights slminspect knows; on failure M
 * holds nothing to close. */
int slm_model_open(slm_model *m, const char *path, slm_diag *d);
void slm_model_close(slm_model *m);
/* Totals over the model's tensors. */
uint64_t slm_model_params(const slm_model *m);
uint64_t slm_model_bytes(const slm_model *m);
/* The first tensor named NAME (in t's order), or NULL.  Binary search once
 * the model is open. */
const slm_tensor *slm_model_find(const slm_model *m, const char *name);

/* Calls FN for each regular file in DIR (not recursive), in name order.
 * Returns the number of files, or -1 when DIR cannot be read. */
int slm_dir_each(const char *dir, void (*fn)(const char *path, const char *name, void *arg), void *arg);

#ifdef __cplusplus
}
#endif
#endif

/* The rule engine: runs every rule on a path (a file or a model folder).
 * Format rules come from the parsing core; this layer adds checks that need
 * tensor values (--stats), several files, or a deployment target. */
#ifndef SLM_VERIFY_H
#define SLM_VERIFY_H

#include "slm/slm.h"

/* Progress of long work: DONE of TOTAL units (bytes) of WHAT. */
typedef void (*slm_progress_fn)(void *arg, uint64_t done, uint64_t total, const char *what);

typedef struct slm_verify_opts {
    bool stats;              /* read tensor values: NaN/Inf, fp16 range */
    bool fp16;               /* tensors are headed for fp16 deployment */
    const char *target;      /* deployment profile, NULL for none */
    const char *runtime;     /* the runtime the artifacts will meet ("@mlc-ai/web-llm@0.2.79"), or NULL */
    const char *device;      /* onnxruntime-web execution provider: "webgpu", "wasm", or NULL (config.json's) */
    bool hash;               /* check content hashes (MLC md5sum) */
    unsigned jobs;           /* threads for the value checks (--stats) of one path; 0: one per CPU */
    slm_progress_fn progress;
    void *progress_arg;
    /* Called for each file the rules read, with its kind (may be NULL). */
    void (*checked)(void *arg, const char *path, slm_kind kind);
    void *checked_arg;
} slm_verify_opts;

/* Runs every rule on PATH.  Returns 0, or an errno value when PATH cannot be
 * read at all (findings about files it refers to go to D). */
int slm_verify_path(const char *path, const slm_verify_opts *o, slm_diag *d);

/* Is NAME a deployment profile --target accepts? */
bool slm_verify_target_known(const char *name);

/* Per-kind checkers (verify_mlc.c, verify_webllm.c). */
int slm_verify_mlc(const char *path, const slm_verify_opts *o, slm_diag *d);
int slm_verify_mlc_config(const char *path, const slm_verify_opts *o, slm_diag *d);
int slm_verify_wasm(const char *path, const slm_verify_opts *o, slm_diag *d);
int slm_verify_hf_config(const char *path, const slm_verify_opts *o, slm_diag *d);
int slm_verify_gguf(const char *path, const slm_verify_opts *o, slm_diag *d); /* verify_gguf.c */
/* --target: the folder PATH as o->target's runtime reads it (verify_target.c). */
int slm_verify_target(const char *path, const slm_verify_opts *o, slm_diag *d);
/* Cross-checks of an opened MLC model: config vs weights, library beside it. */
void slm_verify_cross_mlc(const slm_model *m, const slm_verify_opts *o, slm_diag *d);

/* ONNX model O judged by onnxruntime too (verify_ort.c, spec/onnx.md "Two judges"). */
void slm_verify_ort(const slm_onnx *o, const slm_verify_opts *opts, slm_diag *d);
/* The onnxruntime release (slm/ort.h index) that judges under OPTS for the
 * artifact at NEAR: --runtime, a package.json / import map / HTML page beside
 * it, --target transformers.js, else the newest; *PROFILE: a runtime profile
 * is in force; NAME gets the runtime's package name. */
int slm_verify_ort_release(const slm_verify_opts *o, const char *near, bool *profile, char *name, size_t n);
/* O on onnxruntime-web REL's WebGPU provider (verify_webgpu.c), its nodes and
 * its subgraphs' nodes; and whether node N of O runs on wasm there (it runs, and
 * REL has no WebGPU kernel of it at O's opset). */
void slm_verify_webgpu(const slm_onnx *o, int rel, slm_diag *d);
bool slm_webgpu_falls_back(int rel, const slm_onnx *o, const slm_onnx_node *n);
/* Transformers.js: config.json's transformers.js_config.device for a model
 * file (its folder or the one above), malloc'd, or NULL; the external-data
 * contract of folder DIR's onnx/ models that SELECTABLE names (verify_tjs.c). */
char *slm_tjs_device(const char *model_file);
void slm_verify_tjs_external(const char *dir, bool (*selectable)(const char *name), slm_diag *d);

/* Value checks on one tensor (ST-201..ST-203); returns its statistics. */
void slm_verify_values(const slm_tensor *t, bool fp16, slm_diag *d, slm_stats *out);
/* Those checks on every float tensor of M, on o->jobs threads (largest
 * first); the findings in tensor order, the same for any thread count. */
void slm_verify_model_values(const slm_model *m, const slm_verify_opts *o, bool fp16, slm_diag *d);
/* The findings of those checks from statistics S computed beforehand. */
void slm_verify_values_report(const slm_tensor *t, bool fp16, const slm_stats *s, slm_diag *d);

#endif

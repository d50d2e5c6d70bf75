/* The inspectors: one per artifact kind.  Each builds a JSON description of
 * its artifact (what --json prints) and renders it as text. */
#ifndef SLM_INSPECT_H
#define SLM_INSPECT_H

#include "cli.h"

typedef struct inspect_opts {
    bool tensors; /* list every tensor */
    bool stats;   /* read values */
    const char *target, *runtime; /* --target, --runtime: the onnxruntime release (inspect_ort.c) */
} inspect_opts;

typedef struct inspector {
    slm_kind kind;
    /* NULL with *ERR set (errno) when PATH cannot be read. */
    cJSON *(*build)(const char *path, const inspect_opts *o, slm_diag *d, int *err);
    void (*print)(const cJSON *doc, const inspect_opts *o);
} inspector;

/* Appends a description of each artifact at PATH (a file, or every artifact
 * in a folder) to ARTS.  Returns 0 or an errno value. */
int inspect_path(const char *path, const inspect_opts *o, slm_diag *d, cJSON *arts);
/* Prints one artifact's description (by its "kind"). */
void inspect_print(const cJSON *doc, const inspect_opts *o);

cJSON *inspect_weights(const char *path, const inspect_opts *o, slm_diag *d, int *err);
void inspect_print_weights(const cJSON *doc, const inspect_opts *o);
cJSON *inspect_tensor_json(const slm_tensor *t, bool with_stats);
/* ONNX models (inspect_onnx.c). */
cJSON *inspect_onnx(const char *path, const inspect_opts *o, slm_diag *d, int *err);
void inspect_print_onnx(const cJSON *doc, const inspect_opts *o);

/* What onnxruntime makes of an ONNX model (inspect_ort.c): doc's "onnxruntime";
 * and the findings in D judged by the runtime in force, as verify does. */
void inspect_ort(const slm_onnx *o, const inspect_opts *io, cJSON *doc, slm_diag *d);
void inspect_print_ort(const cJSON *doc);

/* MLC weight folders (inspect_mlc.c). */
cJSON *inspect_mlc(const char *path, const inspect_opts *o, slm_diag *d, int *err);
void inspect_print_mlc(const cJSON *doc, const inspect_opts *o);

/* WebAssembly model libraries (inspect_wasm.c). */
cJSON *inspect_wasm(const char *path, const inspect_opts *o, slm_diag *d, int *err);
void inspect_print_wasm(const cJSON *doc, const inspect_opts *o);

/* GGUF files (inspect_gguf.c). */
cJSON *inspect_gguf(const char *path, const inspect_opts *o, slm_diag *d, int *err);
void inspect_print_gguf(const cJSON *doc, const inspect_opts *o);

/* config.json beside weights: the facts a person wants in one line. */
cJSON *inspect_config_json(const char *path);
void inspect_print_config_line(const cJSON *cfg);

/* "1,910,784" */
const char *inspect_commas(char *buf, size_t n, double v);

#endif

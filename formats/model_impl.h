/* Inside formats/: what the format modules share with model.c. */
#ifndef SLM_MODEL_IMPL_H
#define SLM_MODEL_IMPL_H

#include "slm/format.h"

/* Appends T to m->t (CAP: its capacity).  False when out of memory. */
bool slm_model_push_tensor(slm_model *m, size_t *cap, const slm_tensor *t);
void slm_model_push_q(slm_model *m, size_t *cap, const slm_qweight *q);
/* A GGUF model's lossy 2-D tensors as m->q (formats/gguf_quant.c), once m->t is complete. */
void slm_gguf_push_qweights(slm_model *m);

/* The format modules' entry points (the rows of formats/format.c). */
int slm_model_open_st_files(slm_model *m, char **paths, size_t n, slm_diag *d);
int slm_model_open_safetensors(slm_model *m, const char *path, slm_diag *d);
void slm_model_close_safetensors(slm_model *m);
int slm_model_open_index(slm_model *m, const char *path, slm_diag *d);
void slm_model_close_index(slm_model *m);
int slm_model_open_onnx(slm_model *m, const char *path, slm_diag *d);
void slm_model_close_onnx(slm_model *m);
int slm_model_open_mlc(slm_model *m, const char *path, slm_diag *d);
void slm_model_close_mlc(slm_model *m);
int slm_model_open_gguf(slm_model *m, const char *path, slm_diag *d);
void slm_model_close_gguf(slm_model *m);
bool slm_gguf_by_name(const char *base);
bool slm_gguf_by_content(const uint8_t *head, size_t n, uint64_t size);

#endif

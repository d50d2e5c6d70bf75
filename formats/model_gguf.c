/* GGUF files as models (slm/format.h): every tensor of the file as a view,
 * with its ggml type's name where slm_dtype has no such type. */
#include "model_impl.h"
#include "slm/gguf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int slm_model_open_gguf(slm_model *m, const char *path, slm_diag *d)
{
    m->kind = SLM_KIND_GGUF;
    m->gguf = calloc(1, sizeof *m->gguf);
    if (!m->gguf)
        return ENOMEM;
    int e = slm_gguf_open(m->gguf, path, path, d);
    if (e)
        return e;
    const slm_gguf *g = m->gguf;
    size_t cap = 0;
    for (size_t i = 0; i < g->nt; i++) {
        const slm_gguf_tensor *gt = &g->t[i];
        if (!gt->ok)
            continue;
        const slm_ggml_type *ty = slm_ggml_type_get(gt->type);
        slm_tensor t = {gt->name, ty->dtype, gt->n_dims, gt->shape, gt->nelem, gt->nbytes, gt->data, g->file,
                        gt->offset, ty->dtype == SLM_DT_INVALID ? ty->name : NULL};
        if (!slm_model_push_tensor(m, &cap, &t))
            return ENOMEM;
    }
    slm_gguf_push_qweights(m); /* formats/gguf_quant.c: the lossy tensors, for quant */
    return 0;
}

void slm_model_close_gguf(slm_model *m)
{
    if (m->gguf)
        slm_gguf_close(m->gguf);
    free(m->gguf);
    m->gguf = NULL;
}

static bool ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

bool slm_gguf_by_name(const char *base) { return ends_with(base, ".gguf"); }

/* The magic: 'GGUF' in the first four bytes (both byte orders write it so). */
bool slm_gguf_by_content(const uint8_t *head, size_t n, uint64_t size)
{
    (void)size;
    return n >= 4 && memcmp(head, "GGUF", 4) == 0;
}

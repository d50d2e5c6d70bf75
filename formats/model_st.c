/* safetensors files and sharded checkpoints as models (slm/format.h). */
#include "model_impl.h"

#include <errno.h>
#include <stdlib.h>

static void add_st_tensor(slm_model *m, size_t *cap, const slm_st *st, const slm_st_tensor *s)
{
    slm_tensor t = {s->name, s->dtype, s->ndim, s->shape, s->nelem, s->nbytes,
                    slm_st_tensor_data(st, s), st->file, st->data_start + s->begin, NULL};
    slm_model_push_tensor(m, cap, &t);
}

int slm_model_open_index(slm_model *m, const char *path, slm_diag *d)
{
    m->kind = SLM_KIND_HF_INDEX;
    m->index = calloc(1, sizeof *m->index);
    if (!m->index)
        return ENOMEM;
    int e = slm_hfindex_open(m->index, path, path, d);
    if (e)
        return e;
    slm_hfindex_load_shards(m->index, d);
    size_t cap = 0;
    const slm_hfindex *x = m->index;
    for (size_t k = 0; k < x->n; k++) {
        const slm_hfindex_entry *en = &x->e[k];
        const slm_st_tensor *t;
        if (x->shard_ok && x->shard_ok[en->shard] && (t = slm_st_find(&x->st[en->shard], en->tensor)))
            add_st_tensor(m, &cap, &x->st[en->shard], t);
    }
    return 0;
}

int slm_model_open_st_files(slm_model *m, char **paths, size_t n, slm_diag *d)
{
    m->kind = SLM_KIND_SAFETENSORS;
    m->st = calloc(n ? n : 1, sizeof *m->st);
    if (!m->st)
        return ENOMEM;
    size_t cap = 0;
    for (size_t i = 0; i < n; i++) {
        int e = slm_st_open(&m->st[m->nst], paths[i], paths[i], d);
        if (e)
            return e;
        const slm_st *st = &m->st[m->nst++];
        for (size_t k = 0; k < st->n; k++)
            add_st_tensor(m, &cap, st, &st->t[k]);
    }
    return 0;
}

int slm_model_open_safetensors(slm_model *m, const char *path, slm_diag *d)
{
    char *one = (char *)path;
    return slm_model_open_st_files(m, &one, 1, d);
}

void slm_model_close_safetensors(slm_model *m)
{
    for (size_t i = 0; i < m->nst; i++)
        slm_st_close(&m->st[i]);
    free(m->st);
    m->st = NULL;
    m->nst = 0;
}

void slm_model_close_index(slm_model *m)
{
    if (m->index)
        slm_hfindex_close(m->index);
    free(m->index);
    m->index = NULL;
}

/* MLC weight folders as models: the tensor cache's records, and q_weight +
 * q_scale pairs as quantized weights (slm/format.h). */
#include "model_impl.h"
#include "slm/mlc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static bool ends_with_n(const char *s, size_t n, const char *suf)
{
    size_t b = strlen(suf);
    return n >= b && memcmp(s + n - b, suf, b) == 0;
}

/* K of a group-quantized weight: q_weight holds ceil(K/32)*4 words a row.
 * The padded width is exact unless K is not a multiple of 32; then K is the
 * config dimension that needs that many groups (intermediate_size for
 * down_proj, else hidden_size, else the only one that fits). */
static uint64_t mlc_k(const slm_mlc *x, const char *op, uint64_t groups, uint64_t kpad)
{
    static const char *const dims[] = {"intermediate_size", "hidden_size", "head_dim", "vocab_size"};
    bool down = strstr(op, "down_proj") || strstr(op, "fc2") || strstr(op, "c_proj");
    uint64_t found = 0;
    int nfound = 0;
    for (size_t i = 0; i < sizeof dims / sizeof dims[0]; i++) {
        int64_t v = x->cfg.parsed ? slm_mlc_config_int(&x->cfg, dims[i]) : -1;
        if (v <= 0 || (uint64_t)v > kpad || ((uint64_t)v + 31) / 32 != groups)
            continue;
        if ((i == 0 && down) || (i == 1 && !down))
            return (uint64_t)v;
        if ((uint64_t)v != found) {
            found = (uint64_t)v;
            nfound++;
        }
    }
    return nfound == 1 ? found : kpad;
}

int slm_model_open_mlc(slm_model *m, const char *path, slm_diag *d)
{
    m->kind = SLM_KIND_MLC_CACHE;
    m->mlc = calloc(1, sizeof *m->mlc);
    if (!m->mlc)
        return ENOMEM;
    slm_mlc *x = m->mlc;
    int e = slm_mlc_open(x, path, d);
    if (e)
        return e;
    m->t = calloc(x->nr ? x->nr : 1, sizeof *m->t);
    m->q = calloc(x->nr ? x->nr : 1, sizeof *m->q);
    x->owned = calloc(x->nr ? x->nr : 1, sizeof *x->owned);
    if (!m->t || !m->q || !x->owned)
        return ENOMEM;
    for (size_t i = 0; i < x->nr; i++) {
        const slm_mlc_record *r = &x->r[i];
        if (!r->ok)
            continue;
        slm_tensor t = {r->name, r->dtype, r->ndim, r->shape, r->nelem, r->nbytes, slm_mlc_record_data(x, r),
                        x->s[r->shard].path ? x->s[r->shard].path : x->file, r->offset, NULL};
        m->t[m->n++] = t;
    }
    /* q_weight uint32 [N, K/8] + q_scale [N, ceil(K/32)] -> one quantized weight */
    for (size_t i = 0; i < m->n; i++) {
        const slm_tensor *qw = &m->t[i];
        size_t len = strlen(qw->name);
        if (!ends_with_n(qw->name, len, ".q_weight") || qw->dtype != SLM_DT_U32 || qw->ndim != 2)
            continue;
        char *op = slm_strndup(qw->name, len - 9);
        char *sn = op ? slm_strdupf("%s.q_scale", op) : NULL;
        const slm_tensor *sc = sn ? slm_model_find(m, sn) : NULL;
        free(sn);
        uint64_t kpad;
        if (!sc || sc->ndim != 2 || sc->shape[0] != qw->shape[0] || !slm_mul_u64(qw->shape[1], 8, &kpad) ||
            sc->shape[1] * 32 != kpad) {
            free(op);
            continue;
        }
        x->owned[x->nowned++] = op;
        slm_qweight q = {qw->name, op, SLM_QL_MLC_GROUP, 4, 32, mlc_k(x, op, sc->shape[1], kpad), qw->shape[0],
                         true, qw, sc, NULL, NULL, NULL, -1, false, 0};
        char *bn = slm_strdupf("%s.bias", op);
        q.bias = bn ? slm_model_find(m, bn) : NULL;
        free(bn);
        m->q[m->nq++] = q;
    }
    return 0;
}

void slm_model_close_mlc(slm_model *m)
{
    if (m->mlc)
        slm_mlc_close(m->mlc);
    free(m->mlc);
    m->mlc = NULL;
}

/* Artifacts and tensor sets (slm/model.h). */
#include "slm/model.h"
#include "slm/onnx.h"
#include "slm/mlc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *KIND_NAMES[SLM_KIND__COUNT] = {
    "unknown", "safetensors", "hf-index", "hf-config", "onnx", "onnx-data",
    "mlc-cache", "mlc-config", "mlc-shard", "wasm", "json", "folder",
};

const char *slm_kind_name(slm_kind k)
{
    return (unsigned)k < SLM_KIND__COUNT ? KIND_NAMES[k] : "unknown";
}

static bool ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

slm_kind slm_sniff(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return SLM_KIND_UNKNOWN;
    if (S_ISDIR(st.st_mode))
        return SLM_KIND_DIR;
    const char *b = base_name(path);
    if (ends_with(b, ".safetensors"))
        return SLM_KIND_SAFETENSORS;
    if (ends_with(b, ".index.json"))
        return SLM_KIND_HF_INDEX;
    if (strcmp(b, "ndarray-cache.json") == 0 || strcmp(b, "tensor-cache.json") == 0)
        return SLM_KIND_MLC_CACHE;
    if (strcmp(b, "mlc-chat-config.json") == 0)
        return SLM_KIND_MLC_CONFIG;
    if (strcmp(b, "config.json") == 0)
        return SLM_KIND_HF_CONFIG;
    if (ends_with(b, ".onnx"))
        return SLM_KIND_ONNX;
    if (ends_with(b, ".onnx_data") || ends_with(b, ".onnx.data"))
        return SLM_KIND_ONNX_DATA;
    if (ends_with(b, ".wasm"))
        return SLM_KIND_WASM;
    if (strncmp(b, "params_shard_", 13) == 0 && ends_with(b, ".bin"))
        return SLM_KIND_MLC_SHARD;
    if (ends_with(b, ".json"))
        return SLM_KIND_JSON;
    /* By content: the wasm magic, or a safetensors length prefix and '{'. */
    uint8_t h[16];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return SLM_KIND_UNKNOWN;
    ssize_t r = read(fd, h, sizeof h);
    close(fd);
    if (r >= 8 && memcmp(h, "\0asm", 4) == 0)
        return SLM_KIND_WASM;
    if (r >= 9) {
        uint64_t n = 0;
        for (int i = 7; i >= 0; i--)
            n = n << 8 | h[i];
        size_t i = 8;
        while (i < (size_t)r && (h[i] == ' ' || h[i] == '\n' || h[i] == '\r' || h[i] == '\t'))
            i++;
        if (n <= SLM_ST_MAX_HEADER && n + 8 <= (uint64_t)st.st_size && i < (size_t)r && h[i] == '{')
            return SLM_KIND_SAFETENSORS;
    }
    return SLM_KIND_UNKNOWN;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int slm_dir_each(const char *dir, void (*fn)(const char *path, const char *name, void *arg), void *arg)
{
    DIR *dd = opendir(dir);
    if (!dd)
        return -1;
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(dd))) {
        if (de->d_name[0] == '.' && (!de->d_name[1] || (de->d_name[1] == '.' && !de->d_name[2])))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            char **v = realloc(names, cap * sizeof *v);
            if (!v)
                break;
            names = v;
        }
        names[n++] = strdup(de->d_name);
    }
    closedir(dd);
    if (n) /* qsort of a NULL array is undefined even when empty */
        qsort(names, n, sizeof *names, name_cmp);
    int count = 0;
    for (size_t i = 0; i < n; i++) {
        char *p = slm_strdupf("%s/%s", dir, names[i]);
        struct stat st;
        if (p && stat(p, &st) == 0 && S_ISREG(st.st_mode)) {
            fn(p, names[i], arg);
            count++;
        }
        free(p);
        free(names[i]);
    }
    free(names);
    return count;
}

/* ---- tensor list --------------------------------------------------------- */

static bool push_tensor(slm_model *m, size_t *cap, const slm_tensor *t)
{
    if (m->n == *cap) {
        size_t c = *cap ? *cap * 2 : 64;
        slm_tensor *v = realloc(m->t, c * sizeof *v);
        if (!v)
            return false;
        m->t = v;
        *cap = c;
    }
    m->t[m->n++] = *t;
    return true;
}

static void add_st_tensor(slm_model *m, size_t *cap, const slm_st *st, const slm_st_tensor *s)
{
    slm_tensor t = {s->name, s->dtype, s->ndim, s->shape, s->nelem, s->nbytes,
                    slm_st_tensor_data(st, s), st->file, st->data_start + s->begin};
    push_tensor(m, cap, &t);
}

/* ---- opening ------------------------------------------------------------- */

struct scan_dir {
    char *index;       /* the preferred *.safetensors.index.json */
    char **st;         /* *.safetensors files */
    size_t nst;
};

static void scan_one(const char *path, const char *name, void *arg)
{
    struct scan_dir *s = arg;
    if (ends_with(name, ".safetensors.index.json")) {
        if (!s->index || strcmp(name, "model.safetensors.index.json") == 0) {
            free(s->index);
            s->index = strdup(path);
        }
    } else if (ends_with(name, ".safetensors")) {
        char **v = realloc(s->st, (s->nst + 1) * sizeof *v);
        if (v) {
            s->st = v;
            s->st[s->nst++] = strdup(path);
        }
    }
}

static int open_index(slm_model *m, const char *path, slm_diag *d)
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

static int open_safetensors(slm_model *m, char **paths, size_t n, slm_diag *d)
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

/* ---- ONNX ---------------------------------------------------------------- */

static const slm_tensor *find_view(const slm_model *m, const char *name)
{
    return name && name[0] ? slm_model_find(m, name) : NULL;
}

static const char *onnx_in(const slm_onnx_node *n, size_t i)
{
    return i < n->nin ? n->in[i] : NULL;
}

static void push_q(slm_model *m, size_t *cap, const slm_qweight *q)
{
    if (m->nq == *cap) {
        size_t c = *cap ? *cap * 2 : 16;
        slm_qweight *v = realloc(m->q, c * sizeof *v);
        if (!v)
            return;
        m->q = v;
        *cap = c;
    }
    m->q[m->nq++] = *q;
}

/* MatMulNBits nodes and blocked 4-bit DequantizeLinear weights of the main
 * graph, as slm_qweight views into m->t. */
static void onnx_qweights(slm_model *m, const slm_onnx *o)
{
    size_t cap = 0;
    for (size_t i = 0; i < o->graph.nnode; i++) {
        const slm_onnx_node *n = &o->graph.node[i];
        const char *op = n->op_type ? n->op_type : "", *dom = n->domain ? n->domain : "";
        if (strcmp(op, "MatMulNBits") == 0 && strcmp(dom, "com.microsoft") == 0) {
            const slm_onnx_attr *aK = slm_onnx_attr_find(n, "K"), *aN = slm_onnx_attr_find(n, "N"),
                                *ab = slm_onnx_attr_find(n, "bits"), *abs = slm_onnx_attr_find(n, "block_size"),
                                *acc = slm_onnx_attr_find(n, "accuracy_level");
            slm_qweight q = {0};
            q.q = find_view(m, onnx_in(n, 1));
            q.scales = find_view(m, onnx_in(n, 2));
            if (!aK || !aN || !abs || aK->i <= 0 || aN->i <= 0 || abs->i <= 0 || !q.q || !q.scales)
                continue;
            q.name = q.q->name;
            q.op = n->name ? n->name : "";
            q.layout = SLM_QL_MATMULNBITS;
            q.bits = ab ? (unsigned)ab->i : 4;
            q.block_size = (uint64_t)abs->i;
            q.K = (uint64_t)aK->i;
            q.N = (uint64_t)aN->i;
            q.zero_points = find_view(m, onnx_in(n, 3));
            q.g_idx = find_view(m, onnx_in(n, 4));
            q.bias = find_view(m, onnx_in(n, 5));
            q.symmetric = q.zero_points == NULL;
            q.accuracy_level = acc ? acc->i : -1;
            push_q(m, &cap, &q);
        } else if (strcmp(op, "DequantizeLinear") == 0 && (!dom[0] || strcmp(dom, "ai.onnx") == 0)) {
            const slm_onnx_attr *abs = slm_onnx_attr_find(n, "block_size"), *aax = slm_onnx_attr_find(n, "axis");
            slm_qweight q = {0};
            q.q = find_view(m, onnx_in(n, 0));
            q.scales = find_view(m, onnx_in(n, 1));
            if (!abs || abs->i <= 0 || !q.q || !q.scales || q.q->ndim != 2 ||
                (q.q->dtype != SLM_DT_I4 && q.q->dtype != SLM_DT_U4))
                continue;
            int64_t axis = aax ? aax->i : 1;
            if (axis < 0)
                axis += 2;
            if (axis != 0 && axis != 1)
                continue;
            q.name = q.q->name;
            q.op = n->name ? n->name : "";
            q.layout = SLM_QL_DQL_BLOCKED;
            q.bits = 4;
            q.block_size = (uint64_t)abs->i;
            q.transposed = axis == 0;
            q.K = q.q->shape[axis];
            q.N = q.q->shape[1 - axis];
            q.zero_points = find_view(m, onnx_in(n, 2));
            q.symmetric = q.zero_points == NULL;
            q.accuracy_level = -1;
            push_q(m, &cap, &q);
        }
    }
}

static int open_onnx(slm_model *m, const char *path, slm_diag *d)
{
    m->kind = SLM_KIND_ONNX;
    m->onnx = calloc(1, sizeof *m->onnx);
    if (!m->onnx)
        return ENOMEM;
    int e = slm_onnx_open(m->onnx, path, path, d);
    if (e)
        return e;
    const slm_onnx_graph *g = &m->onnx->graph;
    size_t cap = 0;
    for (size_t i = 0; i < g->ninit; i++) {
        slm_tensor t = slm_onnx_tensor_view(&g->init[i]);
        push_tensor(m, &cap, &t);
    }
    onnx_qweights(m, m->onnx);
    return 0;
}

/* ---- MLC weight folders ------------------------------------------------ */

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

static int open_mlc(slm_model *m, const char *path, slm_diag *d)
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
                        x->s[r->shard].path ? x->s[r->shard].path : x->file, r->offset};
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
                         true, qw, sc, NULL, NULL, NULL, -1, false};
        char *bn = slm_strdupf("%s.bias", op);
        q.bias = bn ? slm_model_find(m, bn) : NULL;
        free(bn);
        m->q[m->nq++] = q;
    }
    return 0;
}

static char *config_beside(const char *dir)
{
    char *p = slm_strdupf("%s/config.json", dir);
    if (p && access(p, R_OK) != 0) {
        free(p);
        p = NULL;
    }
    return p;
}

static void index_names(slm_model *m);

int slm_model_open(slm_model *m, const char *path, slm_diag *d)
{
    memset(m, 0, sizeof *m);
    m->path = strdup(path);
    slm_kind k = slm_sniff(path);
    int e = ENOTSUP;
    if (k == SLM_KIND_UNKNOWN && access(path, R_OK) != 0)
        e = errno ? errno : ENOENT;
    else if (k == SLM_KIND_DIR) {
        m->dir = strdup(path);
        struct scan_dir s = {0};
        char *cache = NULL;
        if (slm_dir_each(path, scan_one, &s) < 0)
            e = errno ? errno : EACCES;
        else if (!s.index && !s.nst && (cache = slm_mlc_find_cache(path)))
            e = open_mlc(m, cache, d);
        else if (s.index)
            e = open_index(m, s.index, d);
        else if (s.nst)
            e = open_safetensors(m, s.st, s.nst, d);
        free(cache);
        free(s.index);
        for (size_t i = 0; i < s.nst; i++)
            free(s.st[i]);
        free(s.st);
    } else {
        const char *slash = strrchr(path, '/');
        m->dir = slash ? slm_strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
        if (k == SLM_KIND_HF_INDEX)
            e = open_index(m, path, d);
        else if (k == SLM_KIND_ONNX)
            e = open_onnx(m, path, d);
        else if (k == SLM_KIND_SAFETENSORS) {
            char *one = (char *)path;
            e = open_safetensors(m, &one, 1, d);
        } else if (k == SLM_KIND_MLC_CACHE)
            e = open_mlc(m, path, d);
    }
    if (e == 0) {
        m->config = config_beside(m->dir);
        index_names(m);
    } else
        slm_model_close(m); /* nothing to close for the caller */
    return e;
}

void slm_model_close(slm_model *m)
{
    for (size_t i = 0; i < m->nst; i++)
        slm_st_close(&m->st[i]);
    free(m->st);
    if (m->index)
        slm_hfindex_close(m->index);
    free(m->index);
    if (m->onnx)
        slm_onnx_close(m->onnx);
    free(m->onnx);
    if (m->mlc)
        slm_mlc_close(m->mlc);
    free(m->mlc);
    free(m->t);
    free(m->q);
    free(m->path);
    free(m->dir);
    free(m->config);
    free(m->by_name);
    memset(m, 0, sizeof *m);
}

uint64_t slm_model_params(const slm_model *m)
{
    uint64_t s = 0;
    for (size_t i = 0; i < m->n; i++)
        s += m->t[i].nelem;
    return s;
}

uint64_t slm_model_bytes(const slm_model *m)
{
    uint64_t s = 0;
    for (size_t i = 0; i < m->n; i++)
        s += m->t[i].nbytes;
    return s;
}

const slm_tensor *slm_model_find(const slm_model *m, const char *name)
{
    if (!m->by_name) { /* while opening */
        for (size_t i = 0; i < m->n; i++)
            if (strcmp(m->t[i].name, name) == 0)
                return &m->t[i];
        return NULL;
    }
    size_t lo = 0, hi = m->n; /* the first index whose name is >= NAME */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(m->t[m->by_name[mid]].name, name) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < m->n && strcmp(m->t[m->by_name[lo]].name, name) == 0 ? &m->t[m->by_name[lo]] : NULL;
}

/* By name, then by position: equal names keep t's order. */
static int by_name_cmp(const void *x, const void *y, void *arg)
{
    const slm_tensor *t = arg;
    size_t a = *(const size_t *)x, b = *(const size_t *)y;
    int c = strcmp(t[a].name, t[b].name);
    return c ? c : (a > b) - (a < b);
}

static void index_names(slm_model *m)
{
    size_t *v = malloc((m->n ? m->n : 1) * sizeof *v);
    if (!v)
        return; /* slm_model_find searches linearly */
    for (size_t i = 0; i < m->n; i++)
        v[i] = i;
    qsort_r(v, m->n, sizeof *v, by_name_cmp, m->t);
    m->by_name = v;
}

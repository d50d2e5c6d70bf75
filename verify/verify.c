/* The rule engine (verify.h). */
#include "verify.h"
#include "parallel.h"

#include <stdatomic.h>

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- value checks -------------------------------------------------------- */

void slm_verify_values(const slm_tensor *t, bool fp16, slm_diag *d, slm_stats *out)
{
    slm_stats s;
    slm_stats_init(&s);
    if (t->data && slm_dtype_info_of(t->dtype)->decodes)
        slm_stats_add(&s, t->dtype, t->data, 0, t->nelem);
    slm_verify_values_report(t, fp16, &s, d);
    if (out)
        *out = s;
}

void slm_verify_values_report(const slm_tensor *t, bool fp16, const slm_stats *sp, slm_diag *d)
{
    const slm_stats s = *sp;
    char buf[120], *path = slm_jptr("", t->name);
    const char *nm = slm_printable(buf, sizeof buf, t->name, strlen(t->name));
    if (s.nan || s.inf)
        slm_report(d, SLM_R_ST_201, t->file, (int64_t)t->offset, path,
                   "tensor '%s' has %llu NaN and %llu Inf of %llu values", nm, (unsigned long long)s.nan,
                   (unsigned long long)s.inf, (unsigned long long)s.n);
    bool wider = t->dtype == SLM_DT_F32 || t->dtype == SLM_DT_F64 || t->dtype == SLM_DT_BF16;
    if (fp16 && wider && s.f16_over)
        slm_report(d, SLM_R_ST_202, t->file, (int64_t)t->offset, path,
                   "tensor '%s': %llu values beyond fp16's range (min %g, max %g; fp16 holds +-65504)", nm,
                   (unsigned long long)s.f16_over, s.min, s.max);
    if (fp16 && wider && s.f16_under)
        slm_report(d, SLM_R_ST_203, t->file, (int64_t)t->offset, path,
                   "tensor '%s': %llu non-zero values become zero in fp16", nm, (unsigned long long)s.f16_under);
    free(path);
}

/* Does a value check apply to type T?  ST-201..203 are about floating-point
 * values: integers (and booleans) hold no NaN, Inf or fp16-range problem, so
 * their values are not read. */
static bool values_checked(slm_dtype t)
{
    return slm_dtype_info_of(t)->decodes && slm_dtype_info_of(t)->kind == SLM_KIND_FLOAT;
}

/* --stats: every tensor's values, on o->jobs threads, findings in tensor order. */
typedef struct value_scan {
    const slm_model *m;
    slm_stats *st;
    const slm_verify_opts *o;
    atomic_uint_fast64_t done;
    uint64_t total;
} value_scan;

static void scan_one(void *arg, unsigned worker, size_t i)
{
    value_scan *v = arg;
    const slm_tensor *t = &v->m->t[i];
    slm_stats_init(&v->st[i]);
    if (t->data && values_checked(t->dtype))
        slm_stats_add(&v->st[i], t->dtype, t->data, 0, t->nelem);
    uint64_t done = atomic_fetch_add(&v->done, t->nbytes) + t->nbytes;
    if (worker == 0 && v->o->progress) /* the caller's thread: progress is not thread-safe */
        v->o->progress(v->o->progress_arg, done, v->total, "checking values");
}

void slm_verify_model_values(const slm_model *m, const slm_verify_opts *o, bool fp16, slm_diag *d)
{
    value_scan v = {m, calloc(m->n ? m->n : 1, sizeof *v.st), o, 0, slm_model_bytes(m)};
    if (!v.st) { /* no memory for the statistics: one at a time */
        for (size_t i = 0; i < m->n; i++)
            if (values_checked(m->t[i].dtype))
                slm_verify_values(&m->t[i], fp16, d, NULL);
        return;
    }
    atomic_init(&v.done, 0);
    uint64_t *size = malloc((m->n ? m->n : 1) * sizeof *size);
    size_t *order = NULL;
    if (size) {
        for (size_t i = 0; i < m->n; i++)
            size[i] = m->t[i].nbytes;
        order = slm_order_largest_first(size, m->n);
    }
    slm_parallel(m->n, order, slm_parallel_threads(o->jobs, m->n), scan_one, &v);
    for (size_t i = 0; i < m->n; i++)
        if (values_checked(m->t[i].dtype))
            slm_verify_values_report(&m->t[i], fp16, &v.st[i], d);
    if (o->progress)
        o->progress(o->progress_arg, v.total, v.total, "checking values");
    free(order);
    free(size);
    free(v.st);
}

/* Is the model's config asking for fp16 (config.json "dtype"/"torch_dtype")? */
static bool config_fp16(const char *config)
{
    slm_map m;
    bool r = false;
    if (!config || slm_map_open(&m, config) != 0)
        return false;
    slm_json j;
    if (slm_json_parse(&j, (const char *)m.data, (size_t)m.size, 0) == 0) {
        const cJSON *dt = slm_json_get(j.root, "dtype");
        if (!dt)
            dt = slm_json_get(j.root, "torch_dtype");
        r = cJSON_IsString(dt) && strcmp(dt->valuestring, "float16") == 0;
    }
    slm_json_free(&j);
    slm_map_close(&m);
    return r;
}

static void checked(const slm_verify_opts *o, const char *path, slm_kind k)
{
    if (o->checked)
        o->checked(o->checked_arg, path, k);
}

static int check_weights(const char *path, const slm_verify_opts *o, slm_diag *d)
{
    slm_model m;
    int e = slm_model_open(&m, path, d);
    if (m.index) {
        checked(o, m.index->file, SLM_KIND_HF_INDEX);
        for (size_t i = 0; i < m.index->nshards; i++)
            if (m.index->shard_ok && m.index->shard_ok[i])
                checked(o, m.index->st[i].file, SLM_KIND_SAFETENSORS);
    }
    for (size_t i = 0; i < m.nst; i++)
        checked(o, m.st[i].file, SLM_KIND_SAFETENSORS);
    if (e == 0 && m.onnx)
        slm_verify_ort(m.onnx, o, d);
    if (e == 0 && o->stats)
        slm_verify_model_values(&m, o, o->fp16 || config_fp16(m.config), d);
    slm_model_close(&m);
    return e == ENOTSUP ? 0 : e;
}

/* ---- per-kind checkers --------------------------------------------------- */

/* Each returns 0, or an errno value when PATH itself cannot be read. */
typedef int (*checker)(const char *path, const slm_verify_opts *o, slm_diag *d);

static const checker CHECKERS[SLM_KIND__COUNT] = {
    [SLM_KIND_SAFETENSORS] = check_weights,
    [SLM_KIND_HF_INDEX] = check_weights,
    [SLM_KIND_ONNX] = check_weights,
    [SLM_KIND_MLC_CACHE] = slm_verify_mlc, [SLM_KIND_MLC_CONFIG] = slm_verify_mlc_config, [SLM_KIND_WASM] = slm_verify_wasm,
    [SLM_KIND_HF_CONFIG] = slm_verify_hf_config,
    [SLM_KIND_GGUF] = slm_verify_gguf,
};

/* ---- folders ------------------------------------------------------------- */

struct dir_walk {
    const slm_verify_opts *o;
    slm_diag *d;
    bool has_weights; /* safetensors and indexes are checked as one model */
    slm_diag pointers; /* the weight files that are pointer files (IO-002), reported once */
};

static void visit(const char *path, const char *name, void *arg)
{
    struct dir_walk *w = arg;
    (void)name;
    slm_kind k = slm_sniff(path);
    if (k == SLM_KIND_SAFETENSORS || k == SLM_KIND_HF_INDEX) {
        /* a pointer is reported here, once, even where no index names it */
        if (!slm_pointer_check_path(path, &w->pointers))
            w->has_weights = true;
        return;
    }
    if (!CHECKERS[k]) { /* not read by a rule, but a pointer in its place says the checkout is incomplete */
        slm_pointer_check_path(path, w->d);
        return;
    }
    int e = CHECKERS[k](path, w->o, w->d);
    if (CHECKERS[k] && !e && k != SLM_KIND_SAFETENSORS && k != SLM_KIND_HF_INDEX)
        checked(w->o, path, k);
    if (e)
        slm_report(w->d, SLM_R_IO_001, path, -1, NULL, "cannot read: %s", strerror(e));
}

static int verify_dir(const char *path, const slm_verify_opts *o, slm_diag *d, int depth)
{
    struct dir_walk w = {o, d, false, {0}};
    slm_diag_init(&w.pointers);
    if (slm_dir_each(path, visit, &w) < 0) {
        slm_diag_free(&w.pointers);
        return errno ? errno : EACCES;
    }
    slm_diag wd; /* the weights' findings, less the pointers reported already */
    slm_diag_init(&wd);
    int e = w.has_weights ? check_weights(path, o, &wd) : 0;
    size_t kept = 0;
    for (size_t i = 0; i < wd.n; i++) {
        slm_finding *x = &wd.v[i];
        bool again = false;
        for (size_t k = 0; x->rule == SLM_R_IO_002 && k < w.pointers.n && !again; k++)
            again = x->file && strcmp(x->file, w.pointers.v[k].file) == 0;
        if (again) {
            wd.count[x->severity]--;
            free(x->file);
            free(x->path);
            free(x->message);
        } else
            wd.v[kept++] = *x;
    }
    wd.n = kept;
    slm_diag_move(d, &wd);
    slm_diag_move(d, &w.pointers);
    slm_diag_free(&w.pointers);
    if (e)
        slm_report(d, SLM_R_IO_001, path, -1, NULL, "cannot read the weights: %s", strerror(e));
    /* Entries that cannot be read (dangling links...) and, at DEPTH > 0, one
     * level of sub-folders: onnx/ in a Transformers.js folder. */
    DIR *dd = opendir(path);
    struct dirent *de;
    while (dd && (de = readdir(dd))) {
        if (de->d_name[0] == '.')
            continue;
        char *sub = slm_strdupf("%s/%s", path, de->d_name);
        struct stat st;
        if (sub && stat(sub, &st) != 0 && !slm_pointer_check_path(sub, d))
            slm_report(d, SLM_R_IO_001, sub, -1, NULL, "cannot read: %s", strerror(errno));
        else if (sub && depth > 0 && S_ISDIR(st.st_mode))
            verify_dir(sub, o, d, depth - 1);
        free(sub);
    }
    if (dd)
        closedir(dd);
    return 0;
}

int slm_verify_path(const char *path, const slm_verify_opts *o, slm_diag *d)
{
    if (access(path, R_OK) != 0)
        return errno ? errno : ENOENT;
    slm_kind k = slm_sniff(path);
    if (k == SLM_KIND_DIR)
        return verify_dir(path, o, d, 1) || slm_verify_target(path, o, d);
    if (!CHECKERS[k])
        return ENOTSUP;
    int e = CHECKERS[k](path, o, d);
    if (!e && k != SLM_KIND_SAFETENSORS && k != SLM_KIND_HF_INDEX)
        checked(o, path, k);
    return e;
}

/* slminspect quant: the quantization error of every quantized weight
 * against the checkpoint it came from.  The text and HTML views are
 * rendered from the --json document. */
#include "cli.h"
#include "parallel.h"
#include "qcompare.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>


static void help(void)
{
    printf("usage: slminspect quant QUANTIZED... --ref REFERENCE [options]\n\n"
           "Measures what quantization cost: pairs every quantized weight of QUANTIZED (an ONNX\n"
           "model with MatMulNBits or blocked DequantizeLinear weights, an MLC weight folder, or a\n"
           "GGUF file: ggml's block types, BF16, F16)\n"
           "with its tensor in REFERENCE (a safetensors file, a sharded checkpoint or its folder),\n"
           "dequantizes it row by row and reports, per tensor, e = dequantized - reference over\n"
           "its K*N elements (float64): max_abs_err, mean_abs_err, rmse, ref_rms,\n"
           "rel_rmse = sqrt(sum e^2 / sum ref^2), cosine, sqnr_db = 10 log10(sum ref^2 / sum e^2),\n"
           "and the same metrics on Y = X W^T for %d rows of seeded random activations (this\n"
           "program's own generator: the values are not numpy's).  Worst tensors first; per-layer\n"
           "and per-kind (attention, mlp, embedding) summaries.\n\n"
           "Pairing: --map, then by name, then fused weights split into their parts (c_attn ->\n"
           "q/k/v by the config's head counts, gate_up_proj -> gate/up), then by shape ([N, K] or\n"
           "[K, N]) and content (the best-correlated candidate).  Unpaired weights are listed.\n"
           "A GGUF pairs through llama.cpp's name map for its architecture (blk.N.attn_q.weight ->\n"
           "model.layers.N.self_attn.q_proj.weight), llama's Q/K row permutation undone.\n\n"
           "Several QUANTIZED artifacts of one checkpoint (any mix of GGUF, ONNX and MLC): one\n"
           "table with a column per artifact (each tensor's SQNR) and each artifact's verdict;\n"
           "--html draws one series per artifact.\n\n"
           "Options:\n"
           "  --ref PATH           the reference checkpoint (required)\n"
           "  --map FILE           JSON {\"quantized name\": \"reference name\" | [\"part\", ...]}\n"
           "  --min-sqnr DB        gate: every tensor and the whole model at least DB (QT-101)\n"
           "  --max-rel-rmse X     gate: relative RMSE at most X (QT-102)\n"
           "  --min-cosine C       gate: cosine at least C (QT-103)\n"
           "  --seed N             activations' seed (default 1)\n"
           "  --json               print the report as JSON (same as --format json)\n"
           "  --format FORMAT      text (default), json, or sarif (SARIF 2.1.0: the findings)\n"
           "  --html FILE          write a self-contained HTML report (charts, table) to FILE\n"
           "  --strict             warnings fail too (same as --fail-on warning)\n"
           "  --fail-on SEVERITY   error (default), warning or info\n"
           "  --all                list every finding (text folds repeated ones and counts infos)\n"
           "  -q, --quiet          print nothing; the exit status tells\n\n"
           "Exit status: 0 clean, 1 findings at or above the failing severity (a gate missed),\n"
           "2 usage error or unreadable input.\n",
           SLM_QMM_ROWS);
}

/* ---- tensor names -> layer and kind ------------------------------------------ */

static long layer_of(const char *name)
{
    static const char *const keys[] = {"layers.", "layer.", "h.", "blocks.", "block."};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const char *p = name;
        while ((p = strstr(p, keys[i]))) {
            bool start = p == name || p[-1] == '.' || p[-1] == '/' || p[-1] == '_';
            p += strlen(keys[i]);
            if (start && *p >= '0' && *p <= '9')
                return strtol(p, NULL, 10);
        }
    }
    return -1;
}

static const char *kind_of(const char *name)
{
    static const struct {
        const char *frag, *kind;
    } K[] = {{"embed", "embedding"}, {"wte", "embedding"},   {"lm_head", "embedding"}, {"attn", "attention"},
             {"attention", "attention"}, {"q_proj", "attention"}, {"k_proj", "attention"},
             {"v_proj", "attention"}, {"o_proj", "attention"}, {"mlp", "mlp"}, {"ffn", "mlp"},
             {"gate_proj", "mlp"}, {"up_proj", "mlp"}, {"down_proj", "mlp"}, {"fc1", "mlp"}, {"fc2", "mlp"}};
    for (size_t i = 0; i < sizeof K / sizeof K[0]; i++)
        if (strstr(name, K[i].frag))
            return K[i].kind;
    return "other";
}

/* ---- JSON ------------------------------------------------------------------ */

static cJSON *metrics_json(const slm_qmetrics *m)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "n", (double)m->n);
    out_add_metric(o, "max_abs_err", m->max_abs_err);
    out_add_metric(o, "mean_abs_err", m->mean_abs_err);
    out_add_metric(o, "rmse", m->rmse);
    out_add_metric(o, "ref_rms", m->ref_rms);
    out_add_metric(o, "rel_rmse", m->rel_rmse);
    out_add_metric(o, "cosine", m->cosine);
    out_add_metric(o, "sqnr_db", m->sqnr_db);
    if (m->nonfinite)
        cJSON_AddNumberToObject(o, "nonfinite", (double)m->nonfinite);
    return o;
}

/* Summaries of groups of tensors (by layer, by kind). */
typedef struct group {
    char key[48];
    long layer;
    size_t n;
    slm_qerr w, mm;
    double worst_sqnr;
    const char *worst;
} group;

static group *group_get(group **v, size_t *n, const char *key, long layer)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*v)[i].key, key) == 0)
            return &(*v)[i];
    group *g = realloc(*v, (*n + 1) * sizeof *g);
    if (!g)
        return NULL;
    *v = g;
    g = &g[(*n)++];
    memset(g, 0, sizeof *g);
    snprintf(g->key, sizeof g->key, "%s", key);
    g->layer = layer;
    g->worst_sqnr = INFINITY;
    slm_qerr_init(&g->w);
    slm_qerr_init(&g->mm);
    return g;
}

static void group_add(group *g, const slm_qresult *r, const char *name)
{
    if (!g)
        return;
    g->n++;
    slm_qerr_merge(&g->w, &r->wacc);
    slm_qerr_merge(&g->mm, &r->mmacc);
    if (!(r->w.sqnr_db >= g->worst_sqnr)) {
        g->worst_sqnr = r->w.sqnr_db;
        g->worst = name;
    }
}

static cJSON *group_json(const group *g, const char *keyname)
{
    cJSON *o = cJSON_CreateObject();
    if (g->layer >= 0 || strcmp(keyname, "layer") == 0)
        cJSON_AddNumberToObject(o, "layer", (double)g->layer);
    else
        cJSON_AddStringToObject(o, keyname, g->key);
    cJSON_AddNumberToObject(o, "tensors", (double)g->n);
    slm_qmetrics w = slm_qerr_metrics(&g->w), mm = slm_qerr_metrics(&g->mm);
    cJSON *m = metrics_json(&w);
    cJSON_AddItemToObject(m, "matmul", metrics_json(&mm));
    cJSON_AddItemToObject(o, "metrics", m);
    cJSON_AddStringToObject(o, "worst", g->worst ? g->worst : "");
    out_add_metric(o, "worst_sqnr_db", g->worst_sqnr);
    return o;
}

static int by_sqnr(const void *a, const void *b)
{
    const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
    double p = out_jnum(x, "sqnr_db"), q = out_jnum(y, "sqnr_db");
    if (isnan(p))
        p = -INFINITY;
    if (isnan(q))
        q = -INFINITY;
    if (p != q)
        return p < q ? -1 : 1;
    int c = strcmp(cJSON_GetObjectItem(x, "name")->valuestring, cJSON_GetObjectItem(y, "name")->valuestring);
    return c ? c : strcmp(cJSON_GetObjectItem(x, "ref")->valuestring, cJSON_GetObjectItem(y, "ref")->valuestring);
}

static int group_layer_cmp(const void *a, const void *b)
{
    const group *x = a, *y = b;
    return x->layer != y->layer ? (x->layer < y->layer ? -1 : 1) : strcmp(x->key, y->key);
}

/* ---- gates ------------------------------------------------------------------ */

typedef struct gates {
    double min_sqnr, max_rel, min_cos; /* NaN when not set */
} gates;

static void gate(const gates *g, const slm_qmetrics *m, const char *file, const char *path, const char *what,
                 slm_diag *d)
{
    if (!isnan(g->min_sqnr) && !(m->sqnr_db >= g->min_sqnr))
        slm_report(d, SLM_R_QT_101, file, -1, path, "%s: SQNR %.3f dB, expected at least %g dB", what, m->sqnr_db,
                   g->min_sqnr);
    if (!isnan(g->max_rel) && !(m->rel_rmse <= g->max_rel))
        slm_report(d, SLM_R_QT_102, file, -1, path, "%s: relative RMSE %.6g, expected at most %g", what, m->rel_rmse,
                   g->max_rel);
    if (!isnan(g->min_cos) && !(m->cosine >= g->min_cos))
        slm_report(d, SLM_R_QT_103, file, -1, path, "%s: cosine %.6f, expected at least %g", what, m->cosine,
                   g->min_cos);
}

/* ---- text ------------------------------------------------------------------- */

static void print_text(const cJSON *doc)
{
    const cJSON *ts = cJSON_GetObjectItem(doc, "tensors"), *s = cJSON_GetObjectItem(doc, "summary"), *t;
    printf("%s\n  vs %s\n\n", cJSON_GetObjectItem(doc, "quantized")->valuestring,
           cJSON_GetObjectItem(doc, "reference")->valuestring);
    printf("  %8s %9s %9s %10s  %s\n", "SQNR dB", "rel RMSE", "cosine", "max |e|", "tensor -> reference (pairing)");
    cJSON_ArrayForEach(t, ts) {
        const cJSON *rows = cJSON_GetObjectItem(t, "rows");
        char part[64] = "";
        if (rows)
            snprintf(part, sizeof part, "[%.0f:%.0f]", cJSON_GetArrayItem(rows, 0)->valuedouble,
                     cJSON_GetArrayItem(rows, 1)->valuedouble);
        printf("  %8.3f %9.5f %9.6f %10.4g  %s%s -> %s (%s)\n", out_jnum(t, "sqnr_db"), out_jnum(t, "rel_rmse"),
               out_jnum(t, "cosine"), out_jnum(t, "max_abs_err"), cJSON_GetObjectItem(t, "name")->valuestring, part,
               cJSON_GetObjectItem(t, "ref")->valuestring, cJSON_GetObjectItem(t, "pairing")->valuestring);
    }
    const cJSON *g;
    printf("\n  by layer:\n");
    cJSON_ArrayForEach(g, cJSON_GetObjectItem(s, "by_layer")) {
        const cJSON *m = cJSON_GetObjectItem(g, "metrics");
        double l = out_jnum(g, "layer");
        char ln[32];
        snprintf(ln, sizeof ln, l >= 0 ? "layer %.0f" : "no layer", l);
        printf("    %-10s %3.0f tensors  SQNR %7.3f dB  rel RMSE %.5f  matmul SQNR %7.3f dB  worst %s\n",
               ln, out_jnum(g, "tensors"), out_jnum(m, "sqnr_db"), out_jnum(m, "rel_rmse"),
               out_jnum(cJSON_GetObjectItem(m, "matmul"), "sqnr_db"), cJSON_GetObjectItem(g, "worst")->valuestring);
    }
    printf("  by kind:\n");
    cJSON_ArrayForEach(g, cJSON_GetObjectItem(s, "by_kind")) {
        const cJSON *m = cJSON_GetObjectItem(g, "metrics");
        printf("    %-10s %3.0f tensors  SQNR %7.3f dB  rel RMSE %.5f  matmul SQNR %7.3f dB  worst %s\n",
               cJSON_GetObjectItem(g, "kind")->valuestring, out_jnum(g, "tensors"), out_jnum(m, "sqnr_db"),
               out_jnum(m, "rel_rmse"), out_jnum(cJSON_GetObjectItem(m, "matmul"), "sqnr_db"),
               cJSON_GetObjectItem(g, "worst")->valuestring);
    }
    const cJSON *o = cJSON_GetObjectItem(s, "overall");
    if (!(out_jnum(s, "paired") > 0)) /* no metric to print, rather than nan */
        printf("  overall: no tensor paired\n");
    else
        printf("  overall: %.0f tensors, SQNR %.3f dB, rel RMSE %.5f, cosine %.6f; matmul SQNR %.3f dB\n",
               out_jnum(s, "paired"), out_jnum(o, "sqnr_db"), out_jnum(o, "rel_rmse"), out_jnum(o, "cosine"),
               out_jnum(cJSON_GetObjectItem(o, "matmul"), "sqnr_db"));
    const cJSON *u = cJSON_GetObjectItem(s, "unpaired_quantized");
    if (cJSON_GetArraySize(u)) {
        printf("  unpaired quantized weights:");
        cJSON_ArrayForEach(g, u) printf(" %s", g->valuestring);
        printf("\n");
    }
    if (out_jnum(s, "lossless") > 0)
        printf("  stored losslessly (F16 of an F16 reference), not listed: %.0f\n", out_jnum(s, "lossless"));
    u = cJSON_GetObjectItem(s, "unpaired_reference");
    if (cJSON_GetArraySize(u))
        printf("  reference matrices not quantized: %d\n", cJSON_GetArraySize(u));
}

/* ---- the command ------------------------------------------------------------- */

static int read_map(const char *path, slm_json *j, slm_map *mp)
{
    int e = slm_map_open(mp, path);
    if (e)
        return e;
    if (slm_json_parse(j, (const char *)mp->data, mp->size, SLM_JSON_DEPTH_DEFAULT) != 0 || !cJSON_IsObject(j->root))
        return EINVAL;
    return 0;
}

static bool parse_double(const char *s, double *v)
{
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    return *s && !*end && !errno && isfinite(*v);
}

void quant_opts_init(quant_opts *o)
{
    memset(o, 0, sizeof *o);
    o->min_sqnr = o->max_rel_rmse = o->min_cosine = NAN;
    o->seed = 1;
}

int quant_parse_opt(quant_opts *o, int key, const char *arg, const char *cmd)
{
    double v;
    switch (key) {
    case 'r': o->ref = arg; return 0;
    case 'm': o->map = arg; return 0;
    case 's': {
        char *end;
        errno = 0;
        o->seed = strtoull(arg, &end, 10);
        if (!*arg || *end || errno)
            return usage_error(cmd, "--seed takes an unsigned integer, not '%s'", arg);
        return 0;
    }
    case 'S':
    case 'R':
    case 'C':
        if (!parse_double(arg, &v))
            return usage_error(cmd, "a gate takes a finite number, not '%s'", arg);
        *(key == 'S' ? &o->min_sqnr : key == 'R' ? &o->max_rel_rmse : &o->min_cosine) = v;
        return 0;
    }
    return -1;
}

/* ---- the comparisons, one thread per CPU ----------------------------------------
 * Every pair's slm_qcompare, the largest first, on as many threads as there are
 * CPUs (the caller's among them).  Each pair's result depends on the pair alone, so
 * the report is the same whichever thread ran it; progress goes through a lock. */

typedef struct cmp_worker {
    struct cmp_pool *P;
    uint64_t done, reported; /* this thread's bytes so far; how many of them P->done has */
} cmp_worker;

typedef struct cmp_pool {
    const slm_model *qm;
    const slm_qpairing *pr;
    unsigned long long seed;
    slm_qresult *res;
    cmp_worker *w;
    uint64_t done, total;
    progress *pgp;
    pthread_mutex_t mu;
} cmp_pool;

static void cmp_progress(void *arg, uint64_t done, uint64_t total, const char *what)
{
    cmp_worker *w = arg;
    pthread_mutex_lock(&w->P->mu);
    w->P->done += done - w->reported;
    w->reported = done;
    progress_cb(w->P->pgp, w->P->done, total, what);
    pthread_mutex_unlock(&w->P->mu);
}

static void cmp_one(void *arg, unsigned worker, size_t i)
{
    cmp_pool *P = arg;
    cmp_worker *w = &P->w[worker];
    const slm_qpair *p = &P->pr->p[i];
    const slm_qweight *q = &P->qm->q[p->qi];
    slm_qcompare(q, p, P->seed + q->K, &P->res[i], cmp_progress, w, &w->done, P->total);
}

/* The results of every pair of PR (pr->n of them), or NULL when memory runs out. */
static slm_qresult *compare_all(const slm_model *qm, const slm_qpairing *pr, unsigned long long seed,
                                uint64_t total, progress *pgp)
{
    unsigned nt = slm_parallel_threads(0, pr->n);
    cmp_pool P = {qm, pr, seed, calloc(pr->n + 1, sizeof(slm_qresult)), calloc(nt, sizeof(cmp_worker)), 0, total,
                  pgp, PTHREAD_MUTEX_INITIALIZER};
    uint64_t *bytes = calloc(pr->n + 1, sizeof *bytes);
    size_t *order = NULL;
    if (P.res && P.w && bytes) {
        for (size_t i = 0; i < pr->n; i++)
            bytes[i] = slm_qcompare_bytes(&qm->q[pr->p[i].qi], &pr->p[i]);
        order = slm_order_largest_first(bytes, pr->n);
    }
    if (order) {
        for (unsigned i = 0; i < nt; i++)
            P.w[i].P = &P;
        slm_parallel(pr->n, order, nt, cmp_one, &P);
    } else {
        free(P.res);
        P.res = NULL;
    }
    free(order);
    free(bytes);
    free(P.w);
    pthread_mutex_destroy(&P.mu);
    return P.res;
}

int quant_run(const quant_opts *qo, slm_diag *d, cJSON **docp, progress *pgp)
{
    const char *qpath = qo->quantized, *ref = qo->ref, *mapf = qo->map;
    const gates gt = {qo->min_sqnr, qo->max_rel_rmse, qo->min_cosine};
    unsigned long long seed = qo->seed;
    slm_diag od;
    slm_diag_init(&od); /* the formats' findings on opening: only errors matter here ('verify' lists the rest) */
    slm_model qm, rm;
    slm_json mj;
    slm_map mmap_ = {0};
    memset(&mj, 0, sizeof mj);
    int rc = EXIT_USAGE, e;
    *docp = NULL;
    memset(&rm, 0, sizeof rm);
    if ((e = slm_model_open(&qm, qpath, &od)) != 0) {
        fprintf(stderr, "slminspect quant: %s: %s\n", qpath,
                e == ENOTSUP ? "not a model slminspect reads" : strerror(e));
        goto out_q;
    }
    if (qm.nq == 0) {
        fprintf(stderr, "slminspect quant: %s: no quantized weights (MatMulNBits, blocked DequantizeLinear, MLC q4)\n",
                qpath);
        goto out_q;
    }
    if ((e = slm_model_open(&rm, ref, &od)) != 0) {
        fprintf(stderr, "slminspect quant: %s: %s\n", ref, e == ENOTSUP ? "not a model slminspect reads" : strerror(e));
        goto out_r;
    }
    if (mapf && (e = read_map(mapf, &mj, &mmap_)) != 0) {
        fprintf(stderr, "slminspect quant: --map %s: %s\n", mapf,
                e == EINVAL ? (mj.err[0] ? mj.err : "not a JSON object") : strerror(e));
        goto out_r;
    }
    for (size_t i = 0; i < od.n; i++)
        if (od.v[i].severity == SLM_ERROR)
            slm_report(d, od.v[i].rule, od.v[i].file, od.v[i].offset, od.v[i].path, "%s", od.v[i].message);
    const char *qfile = qpath;
    for (size_t i = 0; i < qm.nq; i++)
        slm_qcheck_weight(&qm.q[i], qfile, d);
    slm_qpairing pr;
    if (slm_qpair_models(&qm, &rm, mapf ? mj.root : NULL, qfile, &pr, d) != 0) {
        fprintf(stderr, "slminspect quant: out of memory\n");
        goto out_r;
    }
    uint64_t total = 0;
    for (size_t i = 0; i < pr.n; i++)
        total += slm_qcompare_bytes(&qm.q[pr.p[i].qi], &pr.p[i]);
    slm_qresult *res = compare_all(&qm, &pr, seed, total, pgp);
    if (!res) {
        fprintf(stderr, "slminspect quant: out of memory\n");
        slm_qpairing_free(&pr);
        goto out_r;
    }
    cJSON *doc = out_doc("quant"), *arr = cJSON_CreateArray();
    cJSON_AddStringToObject(doc, "quantized", qpath);
    cJSON_AddStringToObject(doc, "reference", ref);
    cJSON_AddStringToObject(doc, "kernel", slm_q_kernel());
    cJSON_AddNumberToObject(doc, "seed", (double)seed);
    cJSON_AddNumberToObject(doc, "activation_rows", SLM_QMM_ROWS);
    cJSON **items = calloc(pr.n + 1, sizeof *items);
    group *layers = NULL, *kinds = NULL;
    size_t nl = 0, nk = 0;
    slm_qerr all_w, all_mm;
    slm_qerr_init(&all_w);
    slm_qerr_init(&all_mm);
    for (size_t i = 0; i < pr.n && items; i++) {
        const slm_qpair *p = &pr.p[i];
        const slm_qweight *q = &qm.q[p->qi];
        slm_qresult r = res[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", q->name);
        cJSON_AddStringToObject(o, "ref", p->ref->name);
        cJSON_AddStringToObject(o, "pairing", slm_qpair_how_name(p->how));
        if (p->how == SLM_QP_CONTENT) {
            out_add_metric(o, "pairing_cosine", p->score);
            out_add_metric(o, "pairing_next_best", p->runner_up);
        }
        cJSON_AddStringToObject(o, "op", q->op ? q->op : "");
        cJSON_AddStringToObject(o, "format", slm_qweight_format(q));
        cJSON_AddNumberToObject(o, "bits", q->bits);
        cJSON_AddNumberToObject(o, "block_size", (double)q->block_size);
        cJSON_AddNumberToObject(o, "K", (double)q->K);
        cJSON_AddNumberToObject(o, "N", (double)p->rows);
        if (p->rows != q->N) {
            cJSON *rows = cJSON_CreateArray();
            cJSON_AddItemToArray(rows, cJSON_CreateNumber((double)p->row0));
            cJSON_AddItemToArray(rows, cJSON_CreateNumber((double)(p->row0 + p->rows)));
            cJSON_AddItemToObject(o, "rows", rows);
        }
        if (q->scales)
            cJSON_AddStringToObject(o, "scales_dtype", slm_dtype_name(q->scales->dtype));
        else
            cJSON_AddNullToObject(o, "scales_dtype"); /* ggml: the scales are inside the blocks */
        if (q->layout == SLM_QL_GGML) {
            const slm_ggml_type *ty = slm_ggml_type_get(q->ggml_type);
            cJSON_AddStringToObject(o, "ggml_type", ty->name);
            cJSON_AddNumberToObject(o, "bits_per_weight", 8.0 * ty->bytes / ty->block);
            cJSON_AddStringToObject(o, "ref_transform", slm_llama_xform_name(p->xform));
        }
        cJSON_AddBoolToObject(o, "zero_points", q->zero_points != NULL);
        cJSON_AddBoolToObject(o, "ref_transposed", p->ref_transposed);
        long layer = layer_of(p->ref->name);
        const char *kind = kind_of(p->ref->name);
        cJSON_AddNumberToObject(o, "layer", (double)layer);
        cJSON_AddStringToObject(o, "kind", kind);
        cJSON_AddNumberToObject(o, "n", (double)r.w.n);
        out_add_metric(o, "max_abs_err", r.w.max_abs_err);
        out_add_metric(o, "mean_abs_err", r.w.mean_abs_err);
        out_add_metric(o, "rmse", r.w.rmse);
        out_add_metric(o, "ref_rms", r.w.ref_rms);
        out_add_metric(o, "rel_rmse", r.w.rel_rmse);
        out_add_metric(o, "cosine", r.w.cosine);
        out_add_metric(o, "sqnr_db", r.w.sqnr_db);
        cJSON_AddItemToObject(o, "matmul", metrics_json(&r.mm));
        if (q->layout == SLM_QL_GGML)
            cJSON_AddNullToObject(o, "clipped"); /* ggml's grids: not measured */
        else
            cJSON_AddNumberToObject(o, "clipped", (double)r.clipped);
        cJSON_AddNumberToObject(o, "nonfinite", (double)r.w.nonfinite);
        cJSON *h = cJSON_CreateObject(), *hc = cJSON_CreateArray();
        cJSON_AddNumberToObject(h, "log2_abs_err_from", SLM_QHIST_LO);
        for (int b = 0; b < SLM_QHIST_BINS; b++)
            cJSON_AddItemToArray(hc, cJSON_CreateNumber((double)r.hist[b]));
        cJSON_AddItemToObject(h, "counts", hc);
        cJSON_AddItemToObject(o, "histogram", h);
        items[i] = o;

        char what[512];
        snprintf(what, sizeof what, "'%s' vs '%s'", q->name, p->ref->name);
        gate(&gt, &r.w, qfile, p->ref->name, what, d);
        if (r.clipped)
            slm_report(d, SLM_R_QT_005, qfile, -1, p->ref->name,
                       "%s: %llu of %llu reference values lie beyond the grid by more than half a step", what,
                       (unsigned long long)r.clipped, (unsigned long long)r.w.n);
        if (r.ref_nonfinite)
            slm_report(d, SLM_R_QT_007, p->ref->file, (int64_t)p->ref->offset, p->ref->name,
                       "'%s': %llu NaN or Inf values, expected finite values", p->ref->name,
                       (unsigned long long)r.ref_nonfinite);
        char lk[32];
        snprintf(lk, sizeof lk, "%ld", layer);
        group_add(group_get(&layers, &nl, lk, layer), &r, cJSON_GetObjectItem(o, "ref")->valuestring);
        group_add(group_get(&kinds, &nk, kind, -1), &r, cJSON_GetObjectItem(o, "ref")->valuestring);
        slm_qerr_merge(&all_w, &r.wacc);
        slm_qerr_merge(&all_mm, &r.mmacc);
    }
    progress_end(pgp);
    free(res);
    if (items) {
        qsort(items, pr.n, sizeof *items, by_sqnr);
        for (size_t i = 0; i < pr.n; i++)
            cJSON_AddItemToArray(arr, items[i]);
    }
    free(items);
    cJSON_AddItemToObject(doc, "tensors", arr);

    cJSON *s = cJSON_CreateObject();
    cJSON_AddNumberToObject(s, "quantized_weights", (double)qm.nq);
    cJSON_AddNumberToObject(s, "paired", (double)pr.n);
    cJSON_AddNumberToObject(s, "weights_paired", (double)(qm.nq - pr.nq_unpaired));
    cJSON_AddNumberToObject(s, "lossless", (double)pr.lossless); /* GGUF F16 of an F16 reference */
    slm_qmetrics ow = slm_qerr_metrics(&all_w), om = slm_qerr_metrics(&all_mm);
    cJSON *ov = metrics_json(&ow);
    cJSON_AddItemToObject(ov, "matmul", metrics_json(&om));
    cJSON_AddItemToObject(s, "overall", ov);
    if (pr.n)
        gate(&gt, &ow, qfile, "/summary/overall", "the whole model", d);
    if (nl) /* qsort of a NULL array is undefined even when empty */
        qsort(layers, nl, sizeof *layers, group_layer_cmp);
    cJSON *bl = cJSON_CreateArray(), *bk = cJSON_CreateArray();
    for (size_t i = 0; i < nl; i++)
        cJSON_AddItemToArray(bl, group_json(&layers[i], "layer"));
    for (size_t i = 0; i < nk; i++)
        cJSON_AddItemToArray(bk, group_json(&kinds[i], "kind"));
    cJSON_AddItemToObject(s, "by_layer", bl);
    cJSON_AddItemToObject(s, "by_kind", bk);
    cJSON *uq = cJSON_CreateArray(), *ur = cJSON_CreateArray();
    for (size_t i = 0; i < pr.nq_unpaired; i++)
        cJSON_AddItemToArray(uq, cJSON_CreateString(qm.q[pr.q_unpaired[i]].name));
    for (size_t i = 0; i < pr.nref_unpaired; i++)
        cJSON_AddItemToArray(ur, cJSON_CreateString(rm.t[pr.ref_unpaired[i]].name));
    cJSON_AddItemToObject(s, "unpaired_quantized", uq);
    cJSON_AddItemToObject(s, "unpaired_reference", ur);
    cJSON_AddItemToObject(doc, "summary", s);
    free(layers);
    free(kinds);

    slm_diag_sort(d);
    slm_report_add(doc, d);
    *docp = doc;
    rc = 0;
    slm_qpairing_free(&pr);
out_r:
    slm_model_close(&rm);
out_q:
    for (size_t i = 0; rc && i < od.n; i++) /* an input that is a pointer file says so */
        if (od.v[i].rule == SLM_R_IO_002)
            slm_report(d, SLM_R_IO_002, od.v[i].file, od.v[i].offset, od.v[i].path, "%s", od.v[i].message);
    slm_model_close(&qm);
    slm_json_free(&mj);
    slm_map_close(&mmap_);
    slm_diag_free(&od);
    return rc;
}

int cmd_quant(int argc, char **argv)
{
    enum { O_HTML = 256 };
    static const struct option opts[] = {OUT_LONG_OPTIONS, QUANT_LONG_OPTIONS, {"html", required_argument, 0, O_HTML},
                                         {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    out_opts oo;
    out_opts_init(&oo);
    int c, r;
    const char *html = NULL;
    quant_opts qo;
    quant_opts_init(&qo);
    optind = 1;
    while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
        if (c == O_HTML)
            html = optarg;
        else if (c == 'h') {
            help();
            return 0;
        } else if ((r = quant_parse_opt(&qo, c, optarg, "quant")) < 0 && (r = out_parse_opt(&oo, c, optarg, "quant")) < 0)
            return usage_error("quant", "unknown option");
        else if (r > 0)
            return r;
    }
    const bool quiet = oo.quiet;
    const int fmt = oo.format, fail_at = oo.fail_at;
    if (optind >= argc)
        return usage_error("quant", "no QUANTIZED path given");
    if (!qo.ref)
        return usage_error("quant", "--ref REFERENCE is required");
    if (optind + 1 < argc) /* several artifacts side by side */
        return quant_compare(&qo, argv + optind, argc - optind, &oo, html);
    qo.quantized = argv[optind];

    slm_diag d;
    slm_diag_init(&d);
    progress pg;
    progress_init(&pg, fmt == OUT_TEXT && !quiet);
    cJSON *doc;
    int rc = quant_run(&qo, &d, &doc, &pg);
    if (rc) {
        if (fmt == OUT_SARIF) {
            cJSON *log = out_sarif(&d);
            out_sarif_unsuccessful(log, "an input could not be read (see standard error)");
            out_print_json(log);
        } else if (!quiet && slm_diag_count_at_least(&d, SLM_ERROR)) { /* why: a pointer file, ... */
            slm_diag_sort(&d);
            out_findings_text(stderr, &d);
        }
        slm_diag_free(&d);
        return rc;
    }
    rc = out_exit_code(&d, (slm_severity)fail_at);
    if (html && quant_html_write(doc, html) != 0) {
        fprintf(stderr, "slminspect quant: --html %s: %s\n", html, strerror(errno));
        rc = EXIT_USAGE;
    }
    if (fmt == OUT_JSON) {
        out_print_json(doc);
        doc = NULL;
    } else if (fmt == OUT_SARIF) {
        out_print_json(out_sarif(&d));
    } else if (!quiet) {
        print_text(doc);
        if (d.n) {
            printf("\n");
            out_findings_text(stdout, &d);
        }
        const cJSON *s = cJSON_GetObjectItem(doc, "summary");
        printf("\n%zu error(s), %zu warning(s), %zu info(s); %.0f of %.0f quantized weights paired (%d pairs)\n",
               d.count[SLM_ERROR], d.count[SLM_WARNING], d.count[SLM_INFO],
               out_jnum(s, "weights_paired"), out_jnum(s, "quantized_weights"),
               cJSON_GetArraySize(cJSON_GetObjectItem(doc, "tensors")));
    }
    cJSON_Delete(doc);
    slm_diag_free(&d);
    return rc;
}

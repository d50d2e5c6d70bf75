/* verify: WebLLM deployments -- model libraries against their weights and
 * chat config, and against the runtime that will load them (the table of
 * published @mlc-ai/web-llm releases, spec/webllm_runtimes.tsv). */
#include "verify.h"

#include <ctype.h>
#include <stdio.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

bool slm_verify_target_known(const char *name)
{
    static const char *const T[] = {"webllm", "transformers.js", "hf", "auto"};
    for (size_t i = 0; i < sizeof T / sizeof T[0]; i++)
        if (strcmp(name, T[i]) == 0)
            return true;
    return false;
}

static void checked(const slm_verify_opts *o, const char *path, slm_kind k)
{
    if (o->checked)
        o->checked(o->checked_arg, path, k);
}

/* ---- the runtime table ----------------------------------------------------- */

static const char RUNTIMES[] =
#include "webllm_runtimes.inc"
    ;

typedef struct runtime {
    char version[16];
    unsigned minor, patch;
    char model_version[32];
    char abi[24];
    char provides[256];
    char requires[1024];
    char cache_file[32];
} runtime;

static runtime *TABLE;
static size_t NTABLE;

static void field(const char **p, char *out, size_t n)
{
    size_t l = strcspn(*p, "\t\n");
    snprintf(out, n, "%.*s", (int)l, *p);
    *p += l + ((*p)[l] == '\t');
}

static bool parse_version(const char *s, unsigned *minor, unsigned *patch)
{
    unsigned major;
    int used = 0;
    return sscanf(s, "%u.%u.%u%n", &major, minor, patch, &used) == 3 && major == 0 && s[used] == 0;
}

static void load_table(void)
{
    if (TABLE)
        return;
    size_t cap = 0;
    for (const char *p = RUNTIMES; *p;) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        runtime r;
        memset(&r, 0, sizeof r);
        const char *q = p;
        if (*p != '#' && strncmp(p, "version\t", 8) != 0) {
            field(&q, r.version, sizeof r.version);
            field(&q, r.model_version, sizeof r.model_version);
            field(&q, r.abi, sizeof r.abi);
            field(&q, r.provides, sizeof r.provides);
            field(&q, r.requires, sizeof r.requires);
            field(&q, r.cache_file, sizeof r.cache_file);
            if (parse_version(r.version, &r.minor, &r.patch)) {
                if (NTABLE == cap) {
                    cap = cap ? cap * 2 : 64;
                    runtime *v = realloc(TABLE, cap * sizeof *v);
                    if (!v)
                        return;
                    TABLE = v;
                }
                TABLE[NTABLE++] = r;
            }
        }
        p += len + (eol != NULL);
    }
}

/* Is NAME in the comma-separated LIST? */
static bool in_list(const char *list, const char *name, size_t n)
{
    for (const char *p = list; *p;) {
        size_t l = strcspn(p, ",");
        if (l == n && memcmp(p, name, n) == 0)
            return true;
        p += l + (p[l] == ',');
    }
    return false;
}

/* Would runtime R load library W?  It must provide each env.TVM*Wasm*
 * import of W, and W must export each TVM* function R calls. */
static bool loads(const runtime *r, const slm_wasm *w, char *why, size_t n)
{
    for (size_t i = 0; i < w->nimp; i++) {
        slm_wasm_name f = w->imp[i].field;
        if (!slm_wasm_name_is(w->imp[i].module, "env") || f.n < 7 || memcmp(f.p, "TVM", 3) != 0 ||
            !memmem(f.p, f.n, "Wasm", 4))
            continue;
        if (!in_list(r->provides, f.p, f.n)) {
            snprintf(why, n, "the library imports env.%.*s, which %s does not provide", (int)f.n, f.p, r->version);
            return false;
        }
    }
    for (const char *p = r->requires; *p && *p != '-';) {
        size_t l = strcspn(p, ",");
        char name[96];
        snprintf(name, sizeof name, "%.*s", (int)l, p);
        if (!slm_wasm_exports(w, name)) {
            snprintf(why, n, "%s calls %s, which the library does not export", r->version, name);
            return false;
        }
        p += l + (p[l] == ',');
    }
    return true;
}

/* "0.2.0-0.2.79, 0.2.81" style list of the table rows where OK[i]. */
static void ranges(const bool *ok, char *out, size_t n)
{
    size_t o = 0;
    out[0] = 0;
    for (size_t i = 0; i < NTABLE; i++) {
        if (!ok[i])
            continue;
        size_t j = i;
        while (j + 1 < NTABLE && ok[j + 1])
            j++;
        o += (size_t)snprintf(out + o, o < n ? n - o : 0, "%s%s%s%s", o ? ", " : "", TABLE[i].version,
                              j > i ? " to " : "", j > i ? TABLE[j].version : "");
        if (o >= n)
            break;
        i = j;
    }
    if (!out[0])
        snprintf(out, n, "none of the %zu published versions", NTABLE);
}

/* The runtime spec: --runtime, else a package.json / import map / HTML page
 * in DIR naming @mlc-ai/web-llm.  Malloc'd; *FROM names its source. */
static char *scan_file_for_runtime(const char *path)
{
    slm_map m;
    char *found = NULL;
    if (slm_map_open(&m, path) != 0)
        return NULL;
    static const char key[] = "@mlc-ai/web-llm";
    const char *t = (const char *)m.data;
    size_t n = (size_t)m.size;
    for (const char *p = t; p && (size_t)(p - t) < n && !found;) {
        p = memmem(p, n - (size_t)(p - t), key, sizeof key - 1);
        if (!p)
            break;
        p += sizeof key - 1;
        const char *end = t + n;
        if (p < end && *p == '@') { /* import map / CDN URL: @mlc-ai/web-llm@0.2.79 */
            const char *v = ++p;
            while (p < end && (isalnum((unsigned char)*p) || *p == '.' || *p == '^' || *p == '~' || *p == '-'))
                p++;
            if (p > v)
                found = slm_strndup(v, (size_t)(p - v));
        } else if (p < end && *p == '"') { /* package.json: "@mlc-ai/web-llm": "^0.2.79" */
            p++;
            while (p < end && (*p == ' ' || *p == ':' || *p == '\t'))
                p++;
            if (p < end && *p == '"') {
                const char *v = ++p;
                while (p < end && *p != '"' && p - v < 32)
                    p++;
                if (p < end && *p == '"' && p > v && (isdigit((unsigned char)*v) || strchr("^~>=", *v)))
                    found = slm_strndup(v, (size_t)(p - v));
                else
                    p = v; /* a URL: its own @mlc-ai/web-llm@X is found next */
            }
        }
    }
    slm_map_close(&m);
    return found;
}

struct rt_scan {
    char *spec, *from;
};

static void rt_visit(const char *path, const char *name, void *arg)
{
    struct rt_scan *s = arg;
    size_t l = strlen(name);
    if (s->spec || !(strcmp(name, "package.json") == 0 || (l > 5 && strcmp(name + l - 5, ".html") == 0) ||
                     strstr(name, "importmap")))
        return;
    s->spec = scan_file_for_runtime(path);
    if (s->spec)
        s->from = strdup(path);
}

static char *runtime_spec(const char *dir, const slm_verify_opts *o, char **from)
{
    *from = NULL;
    if (o->runtime)
        return strdup(o->runtime);
    struct rt_scan s = {NULL, NULL};
    slm_dir_each(dir, rt_visit, &s);
    *from = s.from;
    return s.spec;
}

static char *dir_of(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? slm_strndup(path, s == path ? 1 : (size_t)(s - path)) : strdup(".");
}

/* Checks library W (at PATH) against the runtime named for DIR. */
static void check_runtime(const char *path, const char *dir, const slm_wasm *w, const slm_verify_opts *o,
                          slm_diag *d)
{
    char *from, *spec = runtime_spec(dir, o, &from);
    if (!spec)
        return;
    load_table();
    const char *v = spec;
    if (strncmp(v, "@mlc-ai/web-llm@", 16) == 0)
        v += 16;
    bool range = *v == '^' || *v == '~';
    if (range)
        v++;
    else if (strncmp(v, ">=", 2) == 0) {
        range = true;
        v += 2;
    }
    unsigned minor, patch;
    char src[600];
    snprintf(src, sizeof src, "%s%s", from ? " (from " : "", from ? from : "");
    if (from)
        strncat(src, ")", sizeof src - strlen(src) - 1);
    bool *ok = calloc(NTABLE ? NTABLE : 1, sizeof *ok), *in = calloc(NTABLE ? NTABLE : 1, sizeof *in);
    char why[300] = "", good[600];
    if (!ok || !in || !parse_version(v, &minor, &patch)) {
        slm_report(d, SLM_R_WEBLLM_010, path, -1, NULL, "runtime '%s'%s is not a version slminspect can read", spec, src);
        goto out;
    }
    size_t nin = 0, nin_ok = 0, exact = SIZE_MAX;
    for (size_t i = 0; i < NTABLE; i++) {
        char w1[300];
        ok[i] = loads(&TABLE[i], w, w1, sizeof w1);
        bool match = range ? (TABLE[i].minor == minor && TABLE[i].patch >= patch) || (TABLE[i].minor > minor && *spec == '>')
                           : TABLE[i].minor == minor && TABLE[i].patch == patch;
        if (match) {
            in[i] = true;
            nin++;
            nin_ok += ok[i];
            if (!ok[i] && !why[0])
                snprintf(why, sizeof why, "%s", w1);
            if (!range)
                exact = i;
        }
    }
    ranges(ok, good, sizeof good);
    if (!nin) {
        slm_report(d, SLM_R_WEBLLM_010, path, -1, NULL,
                   "runtime @mlc-ai/web-llm@%s%s is not in the table of %zu published versions; versions that load "
                   "this %s library: %s", v, src, NTABLE, slm_wasm_abi_name(w->abi), good);
    } else if (nin_ok == 0) {
        slm_report(d, SLM_R_WEBLLM_009, path, -1, NULL,
                   "@mlc-ai/web-llm@%s%s cannot load this %s library: %s; versions that load it: %s",
                   exact != SIZE_MAX ? TABLE[exact].version : spec, src, slm_wasm_abi_name(w->abi), why, good);
    } else if (nin_ok < nin) {
        slm_report(d, SLM_R_WEBLLM_012, path, -1, NULL,
                   "runtime range '%s'%s admits versions that cannot load this %s library (%s); versions that load "
                   "it: %s", spec, src, slm_wasm_abi_name(w->abi), why, good);
    }
out:
    free(ok);
    free(in);
    free(spec);
    free(from);
}

/* The runtime rows SPEC names (for the tensor-cache name check). */
static const runtime *runtime_row(const char *dir, const slm_verify_opts *o)
{
    char *from, *spec = runtime_spec(dir, o, &from);
    const runtime *r = NULL;
    unsigned minor, patch;
    if (spec) {
        load_table();
        const char *v = spec;
        if (strncmp(v, "@mlc-ai/web-llm@", 16) == 0)
            v += 16;
        v += strspn(v, "^~>=");
        if (parse_version(v, &minor, &patch))
            for (size_t i = 0; i < NTABLE && !r; i++)
                if (TABLE[i].minor == minor && TABLE[i].patch == patch)
                    r = &TABLE[i];
    }
    free(spec);
    free(from);
    return r;
}

int slm_verify_wasm(const char *path, const slm_verify_opts *o, slm_diag *d)
{
    slm_wasm w;
    int e = slm_wasm_open(&w, path, d);
    if (e == 0 && w.valid && w.abi != SLM_WASM_ABI_NONE) {
        char *dir = dir_of(path);
        check_runtime(path, dir, &w, o, d);
        free(dir);
    }
    slm_wasm_close(&w);
    return e;
}

/* ---- library against weights and chat config ------------------------------- */

static void fmt_param_shape(char *buf, size_t n, const slm_wasm_param *p)
{
    size_t o = (size_t)snprintf(buf, n, "[");
    for (size_t k = 0; k < p->ndim && o < n; k++) {
        if (p->sym[k])
            o += (size_t)snprintf(buf + o, n - o, "%s%s", k ? ", " : "", p->sym[k]);
        else
            o += (size_t)snprintf(buf + o, n - o, "%s%lld", k ? ", " : "", (long long)p->shape[k]);
    }
    if (o < n)
        snprintf(buf + o, n - o, "]");
}

/* The quantization token of a library file name ("...-q4f16_1-ctx4k..."). */
static char *name_quant(const char *base)
{
    for (const char *p = base; *p;) {
        size_t l = strcspn(p, "-.");
        char tok[40];
        unsigned bits;
        slm_dtype dt;
        if (l < sizeof tok) {
            memcpy(tok, p, l);
            tok[l] = 0;
            if (slm_mlc_quant_info(tok, &bits, &dt))
                return strdup(tok);
        }
        p += l + (p[l] != 0);
    }
    return NULL;
}

/* ---- the model a parameter list describes (WEBLLM-013) ------------------- */

/* Layer count (1 + the largest N of "layers.N." or "h.N.") and hidden size
 * (the most common length of the 1-D norm weights) of a list of names. */
typedef struct arch {
    long layers;
    uint64_t val[16];
    size_t cnt[16], nval;
} arch;

static void arch_note(arch *a, const char *name, size_t ndim, uint64_t dim0)
{
    static const char *const L[] = {"layers.", "h.", "blocks."};
    for (size_t k = 0; k < sizeof L / sizeof L[0]; k++) {
        const char *p = strstr(name, L[k]);
        if (p && (p == name || p[-1] == '.') && isdigit((unsigned char)p[strlen(L[k])])) {
            long n = strtol(p + strlen(L[k]), NULL, 10);
            if (n >= 0 && n < 1000000 && n + 1 > a->layers)
                a->layers = n + 1;
            break;
        }
    }
    size_t l = strlen(name);
    if (ndim != 1 || l < 7 || strcmp(name + l - 7, ".weight") != 0 || !(strstr(name, "norm") || strstr(name, "ln_")))
        return;
    for (size_t i = 0; i < a->nval; i++)
        if (a->val[i] == dim0) {
            a->cnt[i]++;
            return;
        }
    if (a->nval < 16) {
        a->val[a->nval] = dim0;
        a->cnt[a->nval++] = 1;
    }
}

static uint64_t arch_hidden(const arch *a)
{
    size_t best = 0;
    for (size_t i = 1; i < a->nval; i++)
        if (a->cnt[i] > a->cnt[best])
            best = i;
    return a->nval ? a->val[best] : 0;
}

/* The library's parameter list against the cache's records: another model
 * when the layer count or the hidden size differs.  EVIDENCE: error-level
 * mismatches were found (so the exit status does not change). */
static void wrong_model(const slm_mlc *x, const char *lib, const slm_wasm_meta *m, bool evidence, slm_diag *d)
{
    arch la = {0}, wa = {0};
    for (size_t i = 0; i < m->nparams; i++) {
        const slm_wasm_param *p = &m->params[i];
        arch_note(&la, p->name, p->ndim, p->ndim == 1 && p->shape[0] > 0 ? (uint64_t)p->shape[0] : 0);
    }
    for (size_t i = 0; i < x->nr; i++)
        if (x->r[i].ok && x->r[i].name)
            arch_note(&wa, x->r[i].name, x->r[i].ndim, x->r[i].ndim == 1 ? x->r[i].shape[0] : 0);
    uint64_t lh = arch_hidden(&la), wh = arch_hidden(&wa);
    if (!evidence || ((la.layers == wa.layers || !la.layers || !wa.layers) && (lh == wh || !lh || !wh)))
        return;
    slm_report(d, SLM_R_WEBLLM_013, lib, (int64_t)m->off, NULL,
               "the library's parameter list describes a model with hidden size %llu and %ld layers, the weights "
               "in %s have hidden size %llu and %ld layers: the library was built for another model",
               (unsigned long long)lh, la.layers, x->file, (unsigned long long)wh, wa.layers);
}

static void cross_library(const slm_mlc *x, const char *lib, const slm_wasm *w, slm_diag *d)
{
    const slm_wasm_meta *m = &w->meta;
    const slm_mlc_config *c = &x->cfg;
    char a[160], b[160], nm[160];
    if (m->found && m->params_ok) {
        size_t before = d->count[SLM_ERROR];
        bool *used = calloc(x->nr ? x->nr : 1, sizeof *used);
        for (size_t i = 0; i < m->nparams; i++) {
            const slm_wasm_param *p = &m->params[i];
            const slm_mlc_record *r = slm_mlc_find(x, p->name);
            slm_printable(nm, sizeof nm, p->name, strlen(p->name));
            if (!r) {
                slm_report(d, SLM_R_WEBLLM_001, lib, (int64_t)m->off, NULL,
                           "the library needs parameter '%s' %s; %s has no record of that name", nm,
                           (fmt_param_shape(a, sizeof a, p), a), x->file);
                continue;
            }
            if (used)
                used[r - x->r] = true;
            if (!r->ok)
                continue;
            bool same = r->ndim == p->ndim;
            for (size_t k = 0; same && k < p->ndim; k++) {
                int64_t want = p->shape[k];
                if (p->sym[k])
                    want = c->parsed ? slm_mlc_config_int(c, p->sym[k]) : -1;
                same = want < 0 || (uint64_t)want == r->shape[k];
            }
            if (!same)
                slm_report(d, SLM_R_WEBLLM_003, x->file, (int64_t)r->json_off, NULL,
                           "tensor '%s' is %s, the library %s expects %s", nm, slm_fmt_shape(b, sizeof b, r->shape, r->ndim),
                           lib, (fmt_param_shape(a, sizeof a, p), a));
            if (r->dtype_name && strcmp(r->dtype_name, p->dtype) != 0)
                slm_report(d, SLM_R_WEBLLM_004, x->file, (int64_t)r->json_off, NULL,
                           "tensor '%s' is %s, the library %s expects %s", nm, r->dtype_name, lib, p->dtype);
        }
        for (size_t i = 0; used && i < x->nr; i++)
            if (!used[i] && x->r[i].name)
                slm_report(d, SLM_R_WEBLLM_002, x->file, (int64_t)x->r[i].json_off, NULL,
                           "tensor '%s' is not a parameter of the library %s",
                           slm_printable(nm, sizeof nm, x->r[i].name, strlen(x->r[i].name)), lib);
        free(used);
        wrong_model(x, lib, m, d->count[SLM_ERROR] > before, d);
    }
    if (!c->parsed)
        return;
    if (m->found && m->model_type && c->model_type && strcmp(m->model_type, c->model_type) != 0)
        slm_report(d, SLM_R_WEBLLM_005, c->file, -1, "/model_type", "config says model_type '%s', the library %s is '%s'",
                   c->model_type, lib, m->model_type);
    if (m->found && m->quantization && c->quantization && strcmp(m->quantization, c->quantization) != 0)
        slm_report(d, SLM_R_WEBLLM_006, c->file, -1, "/quantization",
                   "config says quantization '%s', the library %s was compiled for '%s'", c->quantization, lib,
                   m->quantization);
    static const char *const K[] = {"context_window_size", "prefill_chunk_size"};
    const int64_t cv[] = {c->context_window_size, c->prefill_chunk_size};
    const int64_t lv[] = {m->context_window_size, m->prefill_chunk_size};
    for (int i = 0; i < 2 && m->found; i++)
        if (cv[i] > 0 && lv[i] > 0 && cv[i] > lv[i]) {
            char p[64];
            snprintf(p, sizeof p, "/%s", K[i]);
            slm_report(d, SLM_R_WEBLLM_007, c->file, -1, p, "config %s %lld exceeds the library's %lld (%s)", K[i],
                       (long long)cv[i], (long long)lv[i], lib);
        }
    const char *base = strrchr(lib, '/');
    char *q = name_quant(base ? base + 1 : lib);
    if (q && c->quantization && strcmp(q, c->quantization) != 0)
        slm_report(d, SLM_R_WEBLLM_008, lib, -1, NULL, "the file name says %s, mlc-chat-config.json says %s", q,
                   c->quantization);
    free(q);
}

struct lib_scan {
    char **paths;
    size_t n;
};

static void lib_visit(const char *path, const char *name, void *arg)
{
    struct lib_scan *s = arg;
    size_t l = strlen(name);
    if (l < 5 || strcmp(name + l - 5, ".wasm") != 0)
        return;
    char **v = realloc(s->paths, (s->n + 1) * sizeof *v);
    if (v) {
        s->paths = v;
        s->paths[s->n++] = strdup(path);
    }
}

void slm_verify_cross_mlc(const slm_model *m, const slm_verify_opts *o, slm_diag *d)
{
    const slm_mlc *x = m->mlc;
    if (!x || !x->ok)
        return;
    struct lib_scan s = {NULL, 0};
    slm_dir_each(x->dir, lib_visit, &s);
    for (size_t i = 0; i < s.n; i++) {
        slm_wasm w;
        slm_diag scratch; /* the library's own findings come from its own check */
        slm_diag_init(&scratch);
        if (slm_wasm_open(&w, s.paths[i], &scratch) == 0 && w.valid)
            cross_library(x, s.paths[i], &w, d);
        slm_wasm_close(&w);
        slm_diag_free(&scratch);
        free(s.paths[i]);
    }
    free(s.paths);
    const runtime *r = runtime_row(x->dir, o);
    if (r && strcmp(r->cache_file, "-") != 0) {
        char *want = slm_strdupf("%s/%s", x->dir, r->cache_file);
        struct stat st;
        if (want && stat(want, &st) != 0)
            slm_report(d, SLM_R_WEBLLM_011, x->file, -1, NULL,
                       "@mlc-ai/web-llm@%s fetches %s beside the shards; the folder has only %s", r->version,
                       r->cache_file, strrchr(x->file, '/') ? strrchr(x->file, '/') + 1 : x->file);
        free(want);
    }
    (void)checked;
}

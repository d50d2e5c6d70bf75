/* verify: ONNX models judged by onnxruntime as well as by onnx.checker
 * (spec/onnx.md "Two judges").
 *
 * The runtime: --runtime onnxruntime@X, onnxruntime-node@X, onnxruntime-web@X,
 * or @huggingface/transformers@X (the onnxruntime-web that release pins,
 * spec/transformersjs_runtimes.tsv); without --runtime, the one a
 * package.json, import map or HTML page names beside the model (or up to two
 * folders above); under --target transformers.js without either, the newest
 * Transformers.js's.  Without a runtime profile, verify
 * is the strict union: onnxruntime's newest release of the table judges too,
 * and checker errors that it loads stay errors that say so.  Under a profile,
 * what that release loads is never an error: checker-only faults and
 * slminspect's stricter MatMulNBits rules become ONNX-320 warnings naming both
 * verdicts. */
#include "verify.h"

#include "slm/ort.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Transformers.js major.minor -> the onnxruntime-web version it pins. */
static const struct { const char *tjs, *ortweb; } TJS[] = {
#include "transformersjs_runtimes.inc"
};

static bool prefixed(const char *s, const char *p, const char **rest)
{
    size_t n = strlen(p);
    if (strncmp(s, p, n) != 0)
        return false;
    *rest = s + n;
    return true;
}

static const char *tjs_ortweb(const char *v)
{
    unsigned maj, min;
    while (*v == '^' || *v == '~' || *v == '=' || *v == 'v')
        v++;
    if (sscanf(v, "%u.%u", &maj, &min) != 2)
        return NULL;
    const char *best = NULL;
    for (size_t i = 0; i < sizeof TJS / sizeof TJS[0]; i++) {
        unsigned a, b;
        if (sscanf(TJS[i].tjs, "%u.%u", &a, &b) == 2 && (a < maj || (a == maj && b <= min)))
            best = TJS[i].ortweb;
    }
    return best;
}

/* ---- the runtime named beside the artifacts ------------------------------ */

/* The version of package KEY that TEXT pins: "KEY": "^3.5.0" (package.json) or
 * KEY@3.5.0 (an import map or a CDN URL).  Malloc'd, or NULL. */
static char *pinned(const char *t, size_t n, const char *key)
{
    size_t kl = strlen(key);
    for (const char *p = t, *end = t + n; p < end;) {
        p = memmem(p, (size_t)(end - p), key, kl);
        if (!p)
            return NULL;
        p += kl;
        if (p < end && *p == '@') {
            const char *v = ++p;
            while (p < end && p - v < 40 && (isalnum((unsigned char)*p) || strchr(".^~-", *p)))
                p++;
            if (p > v && isdigit((unsigned char)*v))
                return slm_strndup(v, (size_t)(p - v));
        } else if (p < end && *p == '"') {
            p++;
            while (p < end && (*p == ' ' || *p == ':' || *p == '\t'))
                p++;
            if (p < end && *p == '"') {
                const char *v = ++p;
                while (p < end && *p != '"' && p - v < 40)
                    p++;
                if (p < end && *p == '"' && p > v && (isdigit((unsigned char)*v) || strchr("^~>=", *v)))
                    return slm_strndup(v, (size_t)(p - v));
                p = v; /* a URL: its own KEY@X is found next */
            }
        }
    }
    return NULL;
}

struct ort_scan {
    char *spec; /* "@huggingface/transformers@^3.5.0", "onnxruntime-web@1.22.0", ... */
    int rank;   /* which key found it: Transformers.js's pin wins */
};

static void scan_visit(const char *path, const char *name, void *arg)
{
    static const char *const KEYS[] = {"@huggingface/transformers", "onnxruntime-web", "onnxruntime-node"};
    struct ort_scan *s = arg;
    size_t l = strlen(name);
    if (!(strcmp(name, "package.json") == 0 || (l > 5 && strcmp(name + l - 5, ".html") == 0) ||
          strstr(name, "importmap")))
        return;
    slm_map m;
    if (slm_map_open(&m, path) != 0)
        return;
    for (int k = 0; k < s->rank && k < 3; k++) {
        char *v = pinned((const char *)m.data, (size_t)m.size, KEYS[k]);
        if (v) {
            free(s->spec);
            s->spec = slm_strdupf("%s@%s", KEYS[k], v);
            s->rank = k;
            free(v);
            break;
        }
    }
    slm_map_close(&m);
}

/* The onnxruntime a package.json, import map or HTML page names in the folder
 * of NEAR or the two above it (a Transformers.js app's public/models/...). */
static char *scan_runtime(const char *near)
{
    struct ort_scan s = {NULL, 3};
    char *dir = near ? slm_strdupf("%s", near) : NULL;
    for (int up = 0; dir && up < 3 && !s.spec; up++) {
        char *slash = strrchr(dir, '/');
        if (!slash)
            break;
        *slash = 0;
        slm_dir_each(dir[0] ? dir : "/", scan_visit, &s);
    }
    free(dir);
    return s.spec;
}

/* The release that judges, and whether a runtime profile is in force. */
int slm_verify_ort_release(const slm_verify_opts *o, const char *near, bool *profile, char *name, size_t n)
{
    int newest = slm_ort_release_count() - 1;
    char *scanned = o->runtime ? NULL : scan_runtime(near);
    const char *v = NULL, *rt = o->runtime ? o->runtime : scanned;
    *profile = false;
    if (rt && (prefixed(rt, "onnxruntime@", &v) || prefixed(rt, "onnxruntime-node@", &v) ||
               prefixed(rt, "onnxruntime-web@", &v))) {
        *profile = true;
        snprintf(name, n, "%.*s", (int)(v - rt - 1), rt);
    } else if (rt && (prefixed(rt, "@huggingface/transformers@", &v) || prefixed(rt, "transformers.js@", &v))) {
        *profile = true;
        v = tjs_ortweb(v);
        snprintf(name, n, "onnxruntime-web");
    } else if (!rt && o->target && strcmp(o->target, "transformers.js") == 0) {
        *profile = true;
        v = TJS[sizeof TJS / sizeof TJS[0] - 1].ortweb;
        snprintf(name, n, "onnxruntime-web");
    }
    int rel = v ? slm_ort_release_find(v) : newest;
    free(scanned);
    return rel < 0 ? newest : rel; /* not a version: the newest release judges */
}

typedef struct node_at {
    int64_t off;
    const slm_onnx_node *found;
} node_at;

static bool node_at_off(void *arg, const slm_onnx_graph *g, const slm_onnx_node *n, int depth)
{
    node_at *a = arg;
    (void)g, (void)depth;
    if ((int64_t)n->off != a->off)
        return true;
    a->found = n;
    return false;
}

/* The node (of the model or a subgraph) a finding at OFF is about. */
static bool at_node(const slm_onnx_graph *g, int64_t off, const slm_onnx_node **node)
{
    node_at a = {off, NULL};
    slm_onnx_each_node(g, node_at_off, &a);
    *node = a.found;
    return a.found != NULL;
}

/* Did the runtime's own checks find anything at OFF? */
static bool runtime_objects(const slm_diag *rd, int64_t off)
{
    for (size_t i = 0; i < rd->n; i++)
        if (rd->v[i].offset == off && rd->v[i].severity == SLM_ERROR)
            return true;
    return false;
}

/* Finding I of D becomes rule R (its severity), its message MSG (malloc'd). */
static void retag(slm_diag *d, size_t i, slm_rule_id r, char *msg)
{
    slm_finding *f = &d->v[i];
    if (!msg)
        return;
    d->count[f->severity]--;
    d->per_rule[f->rule]--;
    f->rule = r;
    f->severity = slm_rule_get(r)->severity;
    d->count[f->severity]++;
    d->per_rule[r]++;
    free(f->message);
    f->message = msg;
}

void slm_verify_ort(const slm_onnx *o, const slm_verify_opts *opts, slm_diag *d)
{
    bool profile;
    char rt[40] = "onnxruntime";
    char *path = o->dir ? slm_strdupf("%s/x", o->dir) : NULL;
    int rel = slm_verify_ort_release(opts, path, &profile, rt, sizeof rt);
    free(path);
    const char *ver = slm_ort_release_name(rel);
    slm_diag rd;
    slm_diag_init(&rd);
    slm_ort_check(o, rel, &rd);
    for (size_t i = 0; i < d->n; i++) {
        slm_finding *f = &d->v[i];
        if (!f->file || strcmp(f->file, o->file) != 0)
            continue;
        const slm_onnx_node *n = NULL;
        bool checker_only = false;
        if ((f->rule == SLM_R_ONNX_071 || f->rule == SLM_R_ONNX_073 || f->rule == SLM_R_ONNX_074 ||
             f->rule == SLM_R_ONNX_075 || f->rule == SLM_R_ONNX_076) &&
            at_node(&o->graph, f->offset, &n))
            checker_only = slm_ort_registers(rel, n->domain ? n->domain : "", n->op_type) &&
                           !runtime_objects(&rd, f->offset);
        else if (f->rule == SLM_R_ONNX_013 && at_node(&o->graph, f->offset, &n))
            checker_only = slm_ort_domain(n->domain ? n->domain : "");
        else if (profile && (f->rule == SLM_R_ONNX_090 || f->rule == SLM_R_ONNX_091 || f->rule == SLM_R_ONNX_092)) {
            retag(d, i, SLM_R_ONNX_320,
                  slm_strdupf("slminspect's %s (%s); %s %s judges MatMulNBits by its own kernel (ONNX-310)",
                              slm_rule_get(f->rule)->id, f->message, rt, ver));
            continue;
        }
        if (!checker_only)
            continue;
        if (profile)
            retag(d, i, SLM_R_ONNX_320,
                  slm_strdupf("onnx.checker rejects it (%s: %s); %s %s loads it", slm_rule_get(f->rule)->id,
                              f->message, rt, ver));
        else {
            char *m = slm_strdupf("%s (onnx.checker's rule; onnxruntime %s loads it)", f->message, ver);
            if (m) {
                free(f->message);
                f->message = m;
            }
        }
    }
    slm_diag_move(d, &rd);
    slm_diag_free(&rd);
    /* The execution provider: --device, else config.json's transformers.js_config.device. */
    char *cfg_dev = opts->device ? NULL : slm_tjs_device(o->file);
    const char *dev = opts->device ? opts->device : cfg_dev;
    if (dev && strcmp(dev, "webgpu") == 0)
        slm_verify_webgpu(o, rel, d);
    free(cfg_dev);
}

/* onnxruntime's judgement of ONNX nodes (slm/ort.h, spec/onnx.md).
 *
 * Two steps, as onnxruntime takes them when a session is created: the node
 * against the release's schema registry (onnx's check_node: operator known,
 * input and output counts, required, undeclared and mistyped attributes), then
 * the kernel's constructor (attribute values against each other and against
 * the initializers).  The registry is spec/ort_ops.tsv (formats/ort_ops.inc),
 * probed from each release's own checker by spec/gen_ort_ops.py. */
#include "slm/ort.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ort_op_schema {
    int rel;
    const char *domain, *op;
    int since, min_in, max_in, min_out, max_out;
    int unchecked;  /* undeclared attributes pass */
    int known;      /* the attribute list is complete */
    int attr0, nattr;
};
struct ort_op_attr {
    const char *name;
    int type, required;
};
#include "ort_ops.inc"

#define NRELEASES ((int)(sizeof ORT_RELEASES / sizeof ORT_RELEASES[0]))
#define NOPS (sizeof ORT_OPS / sizeof ORT_OPS[0])

int slm_ort_release_count(void)
{
    return NRELEASES;
}

const char *slm_ort_release_name(int rel)
{
    return rel >= 0 && rel < NRELEASES ? ORT_RELEASES[rel] : "?";
}

static bool major_minor(const char *v, unsigned *maj, unsigned *min)
{
    int used = 0;
    if (sscanf(v, "%u.%u%n", maj, min, &used) != 2)
        return false;
    return v[used] == 0 || v[used] == '.' || v[used] == '-';
}

int slm_ort_release_find(const char *v)
{
    unsigned maj, min, rmaj, rmin;
    while (*v == '^' || *v == '~' || *v == '=' || *v == 'v')
        v++;
    if (!major_minor(v, &maj, &min) || maj < 1)
        return -1;
    if (maj > 1)
        return NRELEASES - 1;
    int best = 0; /* older than the table: judged as its oldest */
    for (int i = 0; i < NRELEASES; i++)
        if (major_minor(ORT_RELEASES[i], &rmaj, &rmin) && rmin <= min)
            best = i;
    return best;
}

const char *slm_onnx_rule_judge(slm_rule_id r)
{
    const char *id = slm_rule_get(r)->id;
    if (strncmp(id, "ONNX-", 5) != 0)
        return NULL;
    int n = atoi(id + 5);
    if (n == 1 || n == 2 || n == 70)
        return "protobuf";
    if (n >= 60 && n <= 66)
        return "onnxruntime"; /* its external-data loader */
    if (n == 320)
        return "onnx.checker, onnxruntime";
    if (n >= 300)
        return "onnxruntime";
    if (n >= 90)
        return "slminspect";
    return "onnx.checker";
}

bool slm_ort_domain(const char *dom)
{
    return strcmp(dom, "com.microsoft") == 0;
}

static int op_cmp(const struct ort_op_schema *e, const char *dom, const char *op)
{
    int r = strcmp(e->domain, dom);
    return r ? r : strcmp(e->op, op);
}

/* The row of (DOM, OP) in release REL, or NULL. */
static const struct ort_op_schema *find(int rel, const char *dom, const char *op)
{
    size_t lo = 0, hi = NOPS;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (op_cmp(&ORT_OPS[mid], dom, op) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i < NOPS && op_cmp(&ORT_OPS[i], dom, op) == 0; i++)
        if (ORT_OPS[i].rel == rel)
            return &ORT_OPS[i];
    return NULL;
}

bool slm_ort_registers(int rel, const char *dom, const char *op)
{
    return find(rel, dom ? dom : "", op ? op : "") != NULL;
}

/* ---- context ----------------------------------------------------------- */

typedef struct ort {
    const slm_onnx *o;
    int rel;
    slm_diag *d;
    const char *file, *who; /* "onnxruntime 1.30.0" */
} ort;

static const char *nm(char *buf, size_t n, const char *s)
{
    return s ? slm_printable(buf, n, s, strlen(s)) : "";
}

static const char *const ATTR_TYPE_NAME[] = {"UNDEFINED", "FLOAT", "INT", "STRING", "TENSOR", "GRAPH", "FLOATS",
                                             "INTS", "STRINGS", "TENSORS", "GRAPHS", "SPARSE_TENSOR",
                                             "SPARSE_TENSORS", "TYPE_PROTO", "TYPE_PROTOS"};

static const char *attr_type_name(int t)
{
    return t >= 0 && t <= 14 ? ATTR_TYPE_NAME[t] : "?";
}

static void range(char *out, size_t n, int lo, int hi)
{
    if (hi == 2147483647)
        snprintf(out, n, "%d or more", lo);
    else
        snprintf(out, n, lo == hi ? "%d" : "%d to %d", lo, hi);
}

/* ---- the schema step --------------------------------------------------- */

static void check_schema(ort *c, const slm_onnx_node *n, const struct ort_op_schema *s)
{
    char b[120], ob[80], ab[80], r[48];
    const char *node = nm(b, sizeof b, n->name), *opn = nm(ob, sizeof ob, n->op_type);
    int64_t at = (int64_t)n->off;
    if (n->nin < (size_t)s->min_in || n->nin > (size_t)s->max_in) {
        range(r, sizeof r, s->min_in, s->max_in);
        slm_report(c->d, SLM_R_ONNX_302, c->file, at, NULL, "%s: node '%s': %s takes %s input(s); the node has %zu",
                   c->who, node, opn, r, n->nin);
    } else if (n->nout < (size_t)s->min_out || n->nout > (size_t)s->max_out) {
        range(r, sizeof r, s->min_out, s->max_out);
        slm_report(c->d, SLM_R_ONNX_302, c->file, at, NULL, "%s: node '%s': %s takes %s output(s); the node has %zu",
                   c->who, node, opn, r, n->nout);
    }
    const struct ort_op_attr *decl = ORT_ATTRS + s->attr0;
    for (size_t i = 0; i < n->na; i++) {
        const slm_onnx_attr *a = &n->a[i];
        if (!a->name || !a->name[0])
            continue;
        const struct ort_op_attr *dc = NULL;
        for (int k = 0; k < s->nattr && !dc; k++)
            if (strcmp(decl[k].name, a->name) == 0)
                dc = &decl[k];
        const char *an = nm(ab, sizeof ab, a->name);
        if (!dc) {
            if (!s->unchecked && s->known && strncmp(a->name, "__", 2) != 0)
                slm_report(c->d, SLM_R_ONNX_304, c->file, (int64_t)a->off, NULL,
                           "%s: node '%s': %s has no attribute '%s' (\"Unrecognized attribute\")", c->who, node, opn,
                           an);
            continue;
        }
        if (a->type != dc->type)
            slm_report(c->d, SLM_R_ONNX_305, c->file, (int64_t)a->off, NULL,
                       "%s: node '%s': attribute '%s' of %s is %s, expected %s", c->who, node, an, opn,
                       attr_type_name(a->type), attr_type_name(dc->type));
    }
    for (int k = 0; k < s->nattr; k++)
        if (decl[k].required && !slm_onnx_attr_find(n, decl[k].name))
            slm_report(c->d, SLM_R_ONNX_303, c->file, at, NULL, "%s: node '%s': %s requires attribute '%s'", c->who,
                       node, opn, decl[k].name);
}

/* ---- kernel constraints (ort_kernels.c) -------------------------------- */

void slm_ort_check_kernel(const slm_onnx *o, const slm_onnx_graph *g, const slm_onnx_node *n, int rel,
                          const char *who, slm_diag *d);

/* The opset version a node's domain resolves to: the last import of that
 * domain; onnxruntime adds the domains it registers when the model does not
 * import them (their newest version). */
static int64_t default_opset_at(const slm_onnx *o, int64_t *at)
{
    int64_t v = -1;
    for (size_t i = 0; i < o->nopset; i++)
        if (!o->opset[i].domain[0] || strcmp(o->opset[i].domain, "ai.onnx") == 0) {
            v = o->opset[i].version;
            *at = (int64_t)o->opset[i].off;
        }
    return v;
}

static int64_t default_opset(const slm_onnx *o)
{
    int64_t at;
    return default_opset_at(o, &at);
}

int64_t slm_ort_opset_of(const slm_onnx *o, const char *dom)
{
    int64_t v = slm_onnx_opset_of(o, dom);
    return v < 0 ? 1 : v;
}

/* One node of the model or of a subgraph (onnxruntime resolves If, Loop and
 * Scan bodies with the graph that holds them, and refuses what they hold). */
static bool check_node(void *arg, const slm_onnx_graph *g, const slm_onnx_node *n, int depth)
{
    ort *c = arg;
    char b[120], ob[80];
    (void)depth;
    const char *dom = n->domain ? n->domain : "", *op = n->op_type ? n->op_type : "";
    if (!op[0])
        return true;
    const struct ort_op_schema *s = find(c->rel, dom, op);
    if (slm_ort_domain(dom) && !s) {
        bool later = false;
        for (int r = c->rel + 1; r < NRELEASES && !later; r++)
            later = find(r, dom, op) != NULL;
        slm_report(c->d, SLM_R_ONNX_301, c->file, (int64_t)n->off, NULL,
                   "%s: node '%s': %s:%s is not a registered operator%s", c->who, nm(b, sizeof b, n->name), dom,
                   nm(ob, sizeof ob, op), later ? " (a later release registers it)" : "");
        return true;
    }
    if (!s)
        return true;
    if (!dom[0] && slm_onnx_schema_exists("", op, default_opset(c->o)))
        return true; /* onnx's own operator at the model's opset: the checker's rules judge it */
    check_schema(c, n, s);
    slm_ort_check_kernel(c->o, g, n, c->rel, c->who, c->d);
    return true;
}

void slm_ort_check(const slm_onnx *o, int rel, slm_diag *d)
{
    if (rel < 0 || rel >= NRELEASES || !o->has_graph)
        return;
    char who[40];
    snprintf(who, sizeof who, "onnxruntime %s", ORT_RELEASES[rel]);
    ort c = {o, rel, d, o->file, who};
    /* A default-domain opset newer than any onnx release (onnxruntime's
     * ValidateOpsetForDomain): the release cannot know it either. */
    int64_t at = -1, v = default_opset_at(o, &at), maxv = slm_onnx_max_opset_for_ir(SLM_ONNX_MAX_IR);
    if (maxv > 0 && v > maxv)
        slm_report(d, SLM_R_ONNX_301, o->file, at, NULL,
                   "%s: default-domain opset %lld is newer than any onnx release (%lld): onnxruntime refuses it", who,
                   (long long)v, (long long)maxv);
    slm_onnx_each_node(&o->graph, check_node, &c);
}

/* ONNX models: the checker's rules (spec/onnx.md).
 *
 * The graph rules follow onnx's checker (onnx/checker.cc: check_model,
 * check_graph, check_node, check_attribute, check_tensor,
 * check_sparse_tensor, check_model_local_functions) step by step; payload
 * sizes and external data follow onnxruntime's loader, which rejects what the
 * checker lets through.  Unlike the checker, which stops at the first
 * failure, every finding is reported.  Operator schemas come from onnx's
 * registry (spec/onnx_ops.tsv, compiled in as onnx_ops.inc); the quantized
 * operators get the shape rules of their runtime besides. */
#include "slm/onnx.h"

#include "onnx_type.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- name scopes: a string set per graph, chained to the outer graphs ---- */

typedef struct scope {
    const char **slot;
    size_t cap, n;
    const struct scope *parent;
} scope;

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h;
}

static bool scope_has_here(const scope *s, const char *name)
{
    if (!s->cap)
        return false;
    for (size_t i = hash_str(name) & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
        if (!s->slot[i])
            return false;
        if (strcmp(s->slot[i], name) == 0)
            return true;
    }
}

static bool scope_has(const scope *s, const char *name)
{
    for (; s; s = s->parent)
        if (scope_has_here(s, name))
            return true;
    return false;
}

/* Adds NAME (which must outlive S); false when it was there already. */
static bool scope_add(scope *s, const char *name)
{
    if (scope_has_here(s, name))
        return false;
    if ((s->n + 1) * 2 > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        const char **v = calloc(cap, sizeof *v);
        if (!v)
            return true;
        for (size_t k = 0; k < s->cap; k++)
            if (s->slot[k]) {
                size_t i = hash_str(s->slot[k]) & (cap - 1);
                while (v[i])
                    i = (i + 1) & (cap - 1);
                v[i] = s->slot[k];
            }
        free(s->slot);
        s->slot = v;
        s->cap = cap;
    }
    size_t i = hash_str(name) & (s->cap - 1);
    while (s->slot[i])
        i = (i + 1) & (s->cap - 1);
    s->slot[i] = name;
    s->n++;
    return true;
}

static void scope_free(scope *s)
{
    free(s->slot);
}

/* ---- context ------------------------------------------------------------- */

typedef struct chk {
    const slm_onnx *o;
    slm_diag *d;
    const char *file;
    int64_t ir;
    const slm_onnx_opset *opset; /* the imports in force (model's or function's) */
    size_t nopset;
} chk;

static const char *nm(char *buf, size_t n, const char *s)
{
    return s ? slm_printable(buf, n, s, strlen(s)) : "";
}

static const char *S(const char *s)
{
    return s ? s : "";
}

/* ---- tensors ------------------------------------------------------------- */

/* The typed field a data type keeps its values in (checker's check_tensor). */
static int typed_field_of(int32_t dt)
{
    switch (dt) {
    case 1: case 14: return 4;                    /* FLOAT, COMPLEX64: float_data */
    case 11: case 15: return 10;                  /* DOUBLE, COMPLEX128: double_data */
    case 7: return 7;                             /* INT64: int64_data */
    case 12: case 13: return 11;                  /* UINT32, UINT64: uint64_data */
    case 8: return 6;                             /* STRING: string_data */
    case 2: case 3: case 4: case 5: case 6: case 9: case 10: case 16: case 17: case 18: case 19: case 20:
    case 21: case 22: case 23: case 24: case 25: case 26:
        return 5;                                 /* int32_data */
    default: return 0;
    }
}

static const char *field_name(int f)
{
    switch (f) {
    case 4: return "float_data";
    case 5: return "int32_data";
    case 6: return "string_data";
    case 7: return "int64_data";
    case 9: return "raw_data";
    case 10: return "double_data";
    case 11: return "uint64_data";
    default: return "?";
    }
}

static int popcount32(uint32_t v)
{
    int n = 0;
    for (; v; v &= v - 1)
        n++;
    return n;
}

/* Values the typed field holds for NELEM elements (onnxruntime's unpacking). */
static uint64_t typed_expected(slm_dtype t, uint64_t n)
{
    switch (t) {
    case SLM_DT_C64: case SLM_DT_C128: return n * 2;
    case SLM_DT_U4: case SLM_DT_I4: case SLM_DT_F4: return (n + 1) / 2;
    case SLM_DT_U2: case SLM_DT_I2: return (n + 3) / 4;
    default: return n;
    }
}

static void check_tensor(chk *c, const slm_onnx_tensor *t, const char *what)
{
    char b[120];
    const char *name = nm(b, sizeof b, t->name);
    int64_t at = (int64_t)t->off;
    if (t->data_type == 0) {
        slm_report(c->d, SLM_R_ONNX_040, c->file, at, NULL, "%s '%s': data_type is missing or UNDEFINED", what, name);
        return;
    }
    if (t->dtype == SLM_DT_INVALID) {
        slm_report(c->d, SLM_R_ONNX_040, c->file, at, NULL, "%s '%s': data_type %d is not a known TensorProto.DataType",
                   what, name, (int)t->data_type);
        return;
    }
    int nfields = popcount32(t->fields);
    if (t->data_location == 1) {
        if (nfields || !t->location)
            slm_report(c->d, SLM_R_ONNX_060, c->file, at, NULL, "%s '%s' is stored externally but %s", what, name,
                       nfields ? "also holds an embedded payload" : "has no location entry");
        if (nfields || !t->location)
            return;
        if (t->ext_bad_int)
            slm_report(c->d, SLM_R_ONNX_065, c->file, at, NULL,
                       "%s '%s': external_data offset or length is not a non-negative decimal integer", what, name);
        if (t->n_ext_unknown)
            slm_report(c->d, SLM_R_ONNX_066, c->file, at, NULL, "%s '%s': %zu external_data entries with unknown keys",
                       what, name, t->n_ext_unknown);
        if (t->ext_index < 0)
            return;
        const slm_onnx_ext *e = &c->o->ext[t->ext_index];
        char lb[200];
        const char *loc = nm(lb, sizeof lb, t->location);
        if (e->escapes) {
            slm_report(c->d, SLM_R_ONNX_061, c->file, at, NULL,
                       "%s '%s': location '%s' leaves the model's folder (absolute, '..' or a symlink out)", what, name, loc);
            return;
        }
        if (e->err) {
            slm_report(c->d, SLM_R_ONNX_062, c->file, at, NULL, "%s '%s': cannot open '%s': %s", what, name, loc,
                       strerror(e->err));
            return;
        }
        if (!t->dims_ok || t->ext_bad_int)
            return;
        uint64_t off = t->has_offset ? t->ext_offset : 0, len = t->has_length ? t->ext_length : t->nbytes, end;
        if (!slm_add_u64(off, len, &end) || end > e->map.size)
            slm_report(c->d, SLM_R_ONNX_063, c->file, at, NULL,
                       "%s '%s': bytes %llu..%llu of '%s', which has %llu bytes", what, name, (unsigned long long)off,
                       (unsigned long long)(off + len), loc, (unsigned long long)e->map.size);
        else if (t->has_length && t->ext_length != t->nbytes)
            slm_report(c->d, SLM_R_ONNX_064, c->file, at, NULL,
                       "%s '%s': length %llu, but %s x %llu elements take %llu bytes", what, name,
                       (unsigned long long)t->ext_length, slm_dtype_name(t->dtype), (unsigned long long)t->nelem,
                       (unsigned long long)t->nbytes);
        return;
    }
    if (!t->dims_ok) {
        slm_report(c->d, SLM_R_ONNX_041, c->file, at, NULL, "%s '%s': dims are negative or their product overflows",
                   what, name);
        return;
    }
    if (t->nelem == 0 && nfields) {
        slm_report(c->d, SLM_R_ONNX_042, c->file, at, NULL, "%s '%s' has 0 elements but holds data", what, name);
        return;
    }
    if (t->nelem && nfields != 1) {
        slm_report(c->d, SLM_R_ONNX_042, c->file, at, NULL, "%s '%s' has %llu elements and %d payload fields; expected 1",
                   what, name, (unsigned long long)t->nelem, nfields);
        return;
    }
    if (!t->nelem)
        return;
    if (t->fields & (1u << 9)) {
        if (t->dtype == SLM_DT_STRING)
            slm_report(c->d, SLM_R_ONNX_044, c->file, at, NULL, "STRING %s '%s' keeps its values in raw_data", what, name);
        else if (t->raw_len != t->nbytes)
            slm_report(c->d, SLM_R_ONNX_045, c->file, (int64_t)t->raw_off, NULL,
                       "%s '%s': raw_data has %llu bytes; %s %s takes %llu", what, name,
                       (unsigned long long)t->raw_len, slm_dtype_name(t->dtype),
                       slm_fmt_shape(b, sizeof b, t->shape, t->ndim), (unsigned long long)t->nbytes);
        return;
    }
    int want = typed_field_of(t->data_type);
    if (!(t->fields & (1u << want))) {
        int have = 0;
        for (int f = 4; f <= 11; f++)
            if (t->fields & (1u << f))
                have = f;
        slm_report(c->d, SLM_R_ONNX_043, c->file, at, NULL, "%s '%s': %s values belong in %s, found in %s", what, name,
                   slm_dtype_name(t->dtype), field_name(want), field_name(have));
        return;
    }
    uint64_t exp = typed_expected(t->dtype, t->nelem);
    if (t->typed_count != exp)
        slm_report(c->d, SLM_R_ONNX_046, c->file, at, NULL, "%s '%s': %s holds %llu values, expected %llu", what, name,
                   field_name(want), (unsigned long long)t->typed_count, (unsigned long long)exp);
}

static int64_t get_i64le(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return (int64_t)v;
}

/* The index values of a sparse tensor, fed one at a time: [nnz] linear
 * indices or [nnz, rank] coordinates, each in range, in strictly increasing
 * order (checker.cc check_sparse_tensor_indices_1/2). */
typedef struct sp_state {
    chk *c;
    const slm_onnx_sparse *s;
    const char *name;
    int64_t at;
    bool two_d;
    uint64_t dense;      /* the dense element count */
    uint64_t i;          /* index tuple being read */
    size_t j;            /* its coordinate being read (2-D) */
    uint64_t lin, prev;  /* its linear index; the previous one */
    bool has_prev, bad;
} sp_state;

static bool sp_feed(void *arg, int64_t x)
{
    sp_state *st = arg;
    const slm_onnx_sparse *s = st->s;
    if (!st->two_d) {
        if (x < 0 || (uint64_t)x >= st->dense) {
            slm_report(st->c->d, SLM_R_ONNX_050, st->c->file, st->at, NULL,
                       "sparse tensor '%s': index %lld out of range [0, %llu)", st->name, (long long)x,
                       (unsigned long long)st->dense);
            return !(st->bad = true);
        }
        st->lin = (uint64_t)x;
    } else {
        if (x < 0 || x >= s->dims[st->j]) {
            slm_report(st->c->d, SLM_R_ONNX_050, st->c->file, st->at, NULL,
                       "sparse tensor '%s': index [%llu,%zu] = %lld out of range", st->name,
                       (unsigned long long)st->i, st->j, (long long)x);
            return !(st->bad = true);
        }
        st->lin = st->lin * (uint64_t)s->dims[st->j] + (uint64_t)x;
        if (++st->j < s->ndim)
            return true;
        st->j = 0;
    }
    if (st->has_prev && st->lin <= st->prev) {
        slm_report(st->c->d, SLM_R_ONNX_050, st->c->file, st->at, NULL,
                   "sparse tensor '%s': index %llu not in sorted order", st->name, (unsigned long long)st->i);
        return !(st->bad = true);
    }
    st->prev = st->lin;
    st->has_prev = true;
    st->lin = 0;
    st->i++;
    return true;
}

static void check_sparse(chk *c, const slm_onnx_sparse *s)
{
    char b[120];
    const slm_onnx_tensor *v = &s->values, *ix = &s->indices;
    const char *name = nm(b, sizeof b, v->name);
    int64_t at = (int64_t)s->off;
    check_tensor(c, v, "sparse values");
    if (s->has_indices)
        check_tensor(c, ix, "sparse indices");
    if (v->ndim != 1) {
        slm_report(c->d, SLM_R_ONNX_050, c->file, at, NULL, "sparse tensor '%s': values have rank %zu, expected 1", name,
                   v->ndim);
        return;
    }
    if (s->ndim == 0) {
        slm_report(c->d, SLM_R_ONNX_050, c->file, at, NULL, "sparse tensor '%s': dims are empty", name);
        return;
    }
    for (size_t i = 0; i < s->ndim; i++)
        if (s->dims[i] <= 0) {
            slm_report(c->d, SLM_R_ONNX_050, c->file, at, NULL, "sparse tensor '%s': dims[%zu] = %lld is not positive",
                       name, i, (long long)s->dims[i]);
            return;
        }
    int64_t nnz = v->dims[0];
    if (!s->has_indices) {
        if (nnz != 0)
            slm_report(c->d, SLM_R_ONNX_050, c->file, at, NULL, "sparse tensor '%s' has %lld values and no indices", name,
                       (long long)nnz);
        return;
    }
    if (ix->data_type != 7) {
        slm_report(c->d, SLM_R_ONNX_050, c->file, at, NULL, "sparse tensor '%s': indices are not INT64", name);
        return;
    }
    if (ix->ndim != 1 && ix->ndim != 2) {
        slm_report(c->d, SLM_R_ONNX_050, c->file, at, NULL, "sparse tensor '%s': indices have rank %zu, expected 1 or 2",
                   name, ix->ndim);
        return;
    }
    if (ix->dims[0] != nnz || (ix->ndim == 2 && ix->dims[1] != (int64_t)s->ndim)) {
        slm_report(c->d, SLM_R_ONNX_050, c->file, at, NULL,
                   "sparse tensor '%s': indices shape does not match %lld values of rank %zu", name, (long long)nnz,
                   s->ndim);
        return;
    }
    /* Index values, from raw_data or int64_data: in range, strictly increasing. */
    sp_state st = {c, s, name, at, ix->ndim == 2, 1, 0, 0, 0, 0, false, false};
    for (size_t i = 0; i < s->ndim; i++)
        if (!slm_mul_u64(st.dense, (uint64_t)s->dims[i], &st.dense))
            return;
    if (ix->fields == 1u << 9 && ix->raw_len == ix->nbytes) {
        const uint8_t *p = c->o->data + ix->raw_off;
        for (uint64_t i = 0; i < ix->nelem && sp_feed(&st, get_i64le(p + 8 * i)); i++)
            ;
    } else if (ix->fields == 1u << 7 && ix->typed_count == ix->nelem)
        slm_onnx_sparse_int64_indices(c->o, s, sp_feed, &st);
}

/* ---- graphs and nodes ---------------------------------------------------- */

static void check_graph(chk *c, const slm_onnx_graph *g, const scope *parent, bool main);

/* AttributeType of each value field (field number -> type). */
static const struct { int field, type; } ATTR_FIELDS[] = {
    {2, 1}, {3, 2}, {4, 3}, {5, 4}, {6, 5}, {14, 13}, {22, 11},
    {7, 6}, {8, 7}, {9, 8}, {10, 9}, {11, 10}, {23, 12}, {15, 14},
};

static void check_attr(chk *c, const slm_onnx_node *n, const slm_onnx_attr *a, const scope *sc, bool main)
{
    char b[120], nb[120];
    const char *name = nm(b, sizeof b, a->name), *node = nm(nb, sizeof nb, n->name);
    int64_t at = (int64_t)a->off;
    if (!a->name || !a->name[0])
        slm_report(c->d, SLM_R_ONNX_032, c->file, at, NULL, "node '%s' has an attribute without a name", node);
    bool has_type = a->fields & (1u << 20);
    if (c->ir >= 2 && !has_type)
        slm_report(c->d, SLM_R_ONNX_033, c->file, at, NULL, "node '%s', attribute '%s': type is missing", node, name);
    int used = 0;
    bool mismatch = false;
    for (size_t i = 0; i < sizeof ATTR_FIELDS / sizeof ATTR_FIELDS[0]; i++)
        if (a->fields & (1u << ATTR_FIELDS[i].field)) {
            used++;
            if (has_type && a->type != ATTR_FIELDS[i].type)
                mismatch = true;
        }
    if (mismatch)
        slm_report(c->d, SLM_R_ONNX_033, c->file, at, NULL,
                   "node '%s', attribute '%s': type %d does not match the field that holds its value", node, name, a->type);
    if (used > 1)
        slm_report(c->d, SLM_R_ONNX_034, c->file, at, NULL, "node '%s', attribute '%s' holds %d value fields", node, name,
                   used);
    if (!main && a->has_ref && used)
        slm_report(c->d, SLM_R_ONNX_035, c->file, at, NULL,
                   "node '%s', attribute '%s' refers to a parent attribute and also holds a value", node, name);
    for (size_t i = 0; i < a->nt; i++)
        check_tensor(c, &a->t[i], "attribute tensor");
    for (size_t i = 0; i < a->ng; i++)
        check_graph(c, a->g[i], sc, false);
}

static bool domain_imported(const chk *c, const char *domain)
{
    bool dflt = !domain || !domain[0];
    for (size_t i = 0; i < c->nopset; i++)
        if (strcmp(c->opset[i].domain, S(domain)) == 0 || (dflt && strcmp(c->opset[i].domain, "ai.onnx") == 0))
            return true;
    return false;
}

/* ---- operator schemas (spec/onnx_ops.tsv) -------------------------------- */

struct onnx_op_schema {
    const char *domain, *op;
    int since, deprecated, min_in, max_in, min_out, max_out;
    const char *ins, *outs;                 /* formal parameters: S single, O optional, V variadic */
    const char *in_counts, *out_counts;     /* allowed counts when not all of min..max are; "" */
    int unchecked;                          /* undeclared attributes allowed */
    int attr0, nattr;                       /* its attributes in OP_ATTRS */
};
struct onnx_op_attr {
    const char *name;
    int type, required;
};
#include "onnx_ops.inc"

static const char *const ATTR_TYPE_NAME[] = {"UNDEFINED", "FLOAT", "INT", "STRING", "TENSOR", "GRAPH", "FLOATS",
                                             "INTS", "STRINGS", "TENSORS", "GRAPHS", "SPARSE_TENSOR",
                                             "SPARSE_TENSORS", "TYPE_PROTO", "TYPE_PROTOS"};

static const char *attr_type_name(int t)
{
    return t >= 0 && t <= 14 ? ATTR_TYPE_NAME[t] : "?";
}

static int op_cmp(const struct onnx_op_schema *e, const char *dom, const char *op)
{
    int r = strcmp(e->domain, dom);
    return r ? r : strcmp(e->op, op);
}

/* The schema of (DOM, OP) in force at opset V: the one with the highest
 * since_version <= V (OpSchemaRegistry::Schema).  *FIRST: the lowest
 * since_version of the operator, 0 when the domain has no such operator. */
static const struct onnx_op_schema *schema_find(const char *dom, const char *op, int64_t v, int *first)
{
    size_t lo = 0, hi = sizeof OPS / sizeof OPS[0];
    while (lo < hi) { /* the first row of (dom, op) */
        size_t mid = lo + (hi - lo) / 2;
        if (op_cmp(&OPS[mid], dom, op) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *first = 0;
    const struct onnx_op_schema *best = NULL;
    for (size_t i = lo; i < sizeof OPS / sizeof OPS[0] && op_cmp(&OPS[i], dom, op) == 0; i++) {
        if (!*first)
            *first = OPS[i].since;
        if (OPS[i].since <= v)
            best = &OPS[i];
    }
    return best;
}

bool slm_onnx_schema_exists(const char *dom, const char *op, int64_t v)
{
    int first;
    return v >= INT32_MIN && v <= INT32_MAX && schema_find(dom, op, v, &first) != NULL;
}

/* The opset version the checker resolves for a node's domain: the last
 * import of that exact domain, "" falling back to "ai.onnx". */
static bool domain_version(const chk *c, const char *dom, int64_t *v)
{
    for (int pass = 0; pass < 2; pass++) {
        const char *want = pass ? "ai.onnx" : dom;
        bool found = false;
        for (size_t i = 0; i < c->nopset; i++)
            if (strcmp(c->opset[i].domain, want) == 0) {
                *v = c->opset[i].version;
                found = true;
            }
        if (found)
            return true;
        if (dom[0])
            return false;
    }
    return false;
}

/* A comma-separated list of counts ("" = any) holds K. */
static bool count_allowed(const char *list, size_t k)
{
    if (!list[0])
        return true;
    while (*list) {
        char *end;
        unsigned long v = strtoul(list, &end, 10);
        if (v == k)
            return true;
        list = *end == ',' ? end + 1 : end + strlen(end);
    }
    return false;
}

/* Removed experimental operators: the checker warns and skips them. */
static bool is_experimental(const char *op)
{
    static const char *const X[] = {"ATen",         "Affine",          "ConstantFill", "Crop",
                                    "DynamicSlice", "GRUUnit",         "GivenTensorFill", "ImageScaler",
                                    "ParametricSoftplus", "Scale", "ScaledTanh"};
    for (size_t i = 0; i < sizeof X / sizeof X[0]; i++)
        if (strcmp(op, X[i]) == 0)
            return true;
    return false;
}

/* onnx's check_node after the generic checks: the schema lookup, then
 * OpSchema::Verify (counts, formal parameters, attributes). */
static void check_schema(chk *c, const slm_onnx_node *n)
{
    char b[120], ob[80], ab[80];
    const char *op = n->op_type, *dom = S(n->domain);
    if (!op || !op[0] || (!n->nin && !n->nout)) /* ONNX-030, ONNX-031 */
        return;
    bool dflt = !dom[0] || strcmp(dom, "ai.onnx") == 0;
    if (dflt && is_experimental(op))
        return;
    int64_t v;
    if (!domain_version(c, dom, &v) || v < INT32_MIN || v > INT32_MAX) /* ONNX-013, ONNX-014 */
        return;
    const char *node = nm(b, sizeof b, n->name), *opn = nm(ob, sizeof ob, op);
    int64_t at = (int64_t)n->off;
    int first;
    const struct onnx_op_schema *s = schema_find(dom, op, v, &first);
    if (!s) {
        bool builtin = dflt || strcmp(dom, "ai.onnx.ml") == 0 || strcmp(dom, "ai.onnx.training") == 0;
        if (!builtin)
            return; /* custom domains (com.microsoft, ...): the checker has no schemas */
        if (first)
            slm_report(c->d, SLM_R_ONNX_071, c->file, at, NULL,
                       "node '%s': %s exists from opset %d of domain '%s'; the model imports %lld", node, opn, first,
                       dom, (long long)v);
        else if (strcmp(dom, "ai.onnx") == 0 && schema_find("", op, v, &first))
            slm_report(c->d, SLM_R_ONNX_071, c->file, at, NULL,
                       "node '%s': no operator %s in domain 'ai.onnx' (onnx's registry keeps the default domain's "
                       "operators under \"\": leave NodeProto.domain empty)", node, opn);
        else
            slm_report(c->d, SLM_R_ONNX_071, c->file, at, NULL, "node '%s': no operator %s in domain '%s' (opset %lld)",
                       node, opn, dom, (long long)v);
        return;
    }
    if (s->deprecated) {
        slm_report(c->d, SLM_R_ONNX_072, c->file, at, NULL,
                   "node '%s': %s is deprecated from opset %d of domain '%s'; the model imports %lld", node, opn,
                   s->since, dom, (long long)v);
        return;
    }
    /* Counts, then each actual against its formal parameter. */
    static const char *const IO[] = {"input", "output"};
    for (int k = 0; k < 2; k++) {
        size_t cnt = k ? n->nout : n->nin;
        char **names = k ? n->out : n->in;
        int lo = k ? s->min_out : s->min_in, hi = k ? s->max_out : s->max_in;
        const char *formal = k ? s->outs : s->ins, *allowed = k ? s->out_counts : s->in_counts;
        if (cnt < (size_t)lo || cnt > (size_t)hi || !count_allowed(allowed, cnt)) {
            char range[48];
            if (allowed[0])
                snprintf(range, sizeof range, "%s", allowed);
            else if (hi == INT32_MAX)
                snprintf(range, sizeof range, "%d or more", lo);
            else
                snprintf(range, sizeof range, lo == hi ? "%d" : "%d to %d", lo, hi);
            slm_report(c->d, SLM_R_ONNX_073, c->file, at, NULL, "node '%s': %s-%d takes %s %s(s); the node has %zu", node,
                       opn, s->since, range, IO[k], cnt);
            continue;
        }
        size_t nf = strlen(formal);
        for (size_t i = 0; i < cnt; i++) {
            if (i >= nf)
                break; /* past a variadic last parameter (or the count check above) */
            if (!names[i][0] && formal[i] == 'S') {
                slm_report(c->d, SLM_R_ONNX_073, c->file, at, NULL,
                           "node '%s': %s %zu of %s-%d is required but its name is empty", node, IO[k], i, opn,
                           s->since);
                break;
            }
        }
    }
    /* Attributes: declared, of the declared type, holding the value that type names. */
    const struct onnx_op_attr *decl = OP_ATTRS + s->attr0;
    for (size_t i = 0; i < n->na; i++) {
        const slm_onnx_attr *a = &n->a[i];
        if (!a->name || !a->name[0]) /* ONNX-032 */
            continue;
        const struct onnx_op_attr *d = NULL;
        for (int k = 0; k < s->nattr && !d; k++)
            if (strcmp(decl[k].name, a->name) == 0)
                d = &decl[k];
        const char *an = nm(ab, sizeof ab, a->name);
        if (!d) {
            if (!s->unchecked && strncmp(a->name, "__", 2) != 0)
                slm_report(c->d, SLM_R_ONNX_075, c->file, (int64_t)a->off, NULL,
                           "node '%s': %s-%d has no attribute '%s'", node, opn, s->since, an);
            continue;
        }
        if (a->type != d->type) {
            slm_report(c->d, SLM_R_ONNX_076, c->file, (int64_t)a->off, NULL,
                       "node '%s': attribute '%s' of %s-%d is %s, expected %s", node, an, opn, s->since,
                       attr_type_name(a->type), attr_type_name(d->type));
            continue;
        }
        if (a->ref_nonempty)
            continue;
        int field = d->type == 4 ? 5 : d->type == 5 ? 6 : d->type == 11 ? 22 : d->type == 13 ? 14 : 0;
        if (field && !(a->fields & (1u << field)))
            slm_report(c->d, SLM_R_ONNX_076, c->file, (int64_t)a->off, NULL,
                       "node '%s': attribute '%s' of %s-%d is typed %s but holds no value", node, an, opn, s->since,
                       attr_type_name(d->type));
    }
    for (int k = 0; k < s->nattr; k++)
        if (decl[k].required && !slm_onnx_attr_find(n, decl[k].name))
            slm_report(c->d, SLM_R_ONNX_074, c->file, at, NULL, "node '%s': %s-%d requires attribute '%s'", node, opn,
                       s->since, decl[k].name);
}

static void check_node(chk *c, const slm_onnx_node *n, const scope *sc, bool main)
{
    char b[120], ob[80];
    const char *node = nm(b, sizeof b, n->name);
    int64_t at = (int64_t)n->off;
    if (!n->op_type || !n->op_type[0])
        slm_report(c->d, SLM_R_ONNX_030, c->file, at, NULL, "node '%s' has no op_type", node);
    if (!n->nin && !n->nout)
        slm_report(c->d, SLM_R_ONNX_031, c->file, at, NULL, "node '%s' (%s) has no inputs and no outputs", node,
                   nm(ob, sizeof ob, n->op_type));
    if (!domain_imported(c, n->domain))
        slm_report(c->d, SLM_R_ONNX_013, c->file, at, NULL, "node '%s' (%s) uses domain '%s', which is not imported",
                   node, nm(ob, sizeof ob, n->op_type), S(n->domain));
    for (size_t i = 0; i < n->na; i++) {
        for (size_t k = 0; k < i; k++)
            if (n->a[i].name && n->a[k].name && strcmp(n->a[i].name, n->a[k].name) == 0) {
                slm_report(c->d, SLM_R_ONNX_032, c->file, (int64_t)n->a[i].off, NULL,
                           "node '%s': attribute '%s' appears more than once", node, nm(ob, sizeof ob, n->a[i].name));
                break;
            }
        check_attr(c, n, &n->a[i], sc, main);
    }
    check_schema(c, n);
}

/* Node inputs defined, outputs new (SSA); reports and adds to SC. */
static void check_nodes(chk *c, const slm_onnx_node *v, size_t nn, scope *sc, bool main, bool function)
{
    char b[120], ib[120];
    for (size_t i = 0; i < nn; i++) {
        const slm_onnx_node *n = &v[i];
        for (size_t k = 0; k < n->nin; k++)
            if (n->in[k][0] && !(function ? scope_has_here(sc, n->in[k]) : scope_has(sc, n->in[k])))
                slm_report(c->d, SLM_R_ONNX_026, c->file, (int64_t)n->off, NULL,
                           "node '%s' (%s) reads '%s', which no input, initializer or earlier node defines",
                           nm(b, sizeof b, n->name), S(n->op_type), nm(ib, sizeof ib, n->in[k]));
        check_node(c, n, sc, main);
        for (size_t k = 0; k < n->nout; k++) {
            if (!n->out[k][0])
                continue;
            if (scope_has(sc, n->out[k]))
                slm_report(c->d, SLM_R_ONNX_027, c->file, (int64_t)n->off, NULL,
                           "node '%s' (%s) defines '%s' again", nm(b, sizeof b, n->name), S(n->op_type),
                           nm(ib, sizeof ib, n->out[k]));
            else
                scope_add(sc, n->out[k]);
        }
    }
}

/* What checker.cc check_value_info requires of a main-graph input or output
 * and TYPE lacks, or NULL.  Only the top level is checked: the element type
 * of a sequence or optional may itself be partial. */
static const char *main_type_missing(const slm_onnx_type *t)
{
    if (!t)
        return "value needs a type";
    switch (t->kind) {
    case SLM_ONNX_TYPE_TENSOR:
    case SLM_ONNX_TYPE_SPARSE:
        if (!t->has_elem_type)
            return "tensor needs an elem_type";
        return t->has_shape ? NULL : "tensor needs a shape";
    case SLM_ONNX_TYPE_SEQUENCE:
        return t->inner ? NULL : "sequence needs an elem_type";
    case SLM_ONNX_TYPE_OPTIONAL:
        return t->inner ? NULL : "optional needs an elem_type";
    case SLM_ONNX_TYPE_MAP:
        if (!t->has_elem_type)
            return "map needs a key_type";
        return t->inner ? NULL : "map needs a value_type";
    case SLM_ONNX_TYPE_OPAQUE:
        return NULL;
    default:
        return "type needs a value case (tensor_type, sequence_type, map_type, optional_type, sparse_tensor_type or opaque_type)";
    }
}

/* ONNX-029: what onnxruntime's loader refuses in a value's type, wherever it
 * reads one (graph inputs and outputs, value_info of the graph's values). */
static void check_ort_type(chk *c, const slm_onnx_value *v, const char *what)
{
    char b[120], ts[160];
    const char *why = slm_onnx_type_ort_problem(v->type, true);
    if (!why)
        return;
    slm_onnx_type_str(ts, sizeof ts, v->type);
    slm_report(c->d, SLM_R_ONNX_029, c->file, (int64_t)v->off, NULL,
               "%s '%s' has type %s, with %s: onnxruntime refuses the model", what, nm(b, sizeof b, v->name), ts, why);
}

static void check_value(chk *c, const slm_onnx_value *v, const char *what, bool main)
{
    char b[120];
    if (!v->name || !v->name[0]) {
        slm_report(c->d, SLM_R_ONNX_021, c->file, (int64_t)v->off, NULL, "%s without a name", what);
        return;
    }
    const char *missing = main ? main_type_missing(v->type) : NULL; /* the checker relaxes subgraphs */
    if (missing) {
        char ts[160];
        slm_onnx_type_str(ts, sizeof ts, v->type);
        slm_report(c->d, SLM_R_ONNX_021, c->file, (int64_t)v->off, NULL,
                   "%s '%s' has type %s: a main-graph %s", what, nm(b, sizeof b, v->name), ts, missing);
        return;
    }
    check_ort_type(c, v, what);
}

static void check_graph(chk *c, const slm_onnx_graph *g, const scope *parent, bool main)
{
    char b[120];
    int64_t at = (int64_t)g->off;
    if (!g->name || !g->name[0])
        slm_report(c->d, SLM_R_ONNX_020, c->file, at, NULL, "a graph at depth %d has no name", g->depth);
    for (size_t i = 0; i < g->nin; i++)
        check_value(c, &g->in[i], "graph input", main);
    for (size_t i = 0; i < g->nout; i++)
        check_value(c, &g->out[i], "graph output", main);
    scope sc = {NULL, 0, 0, parent}, inits = {NULL, 0, 0, NULL};
    for (size_t i = 0; i < g->nin; i++)
        if (!scope_add(&sc, S(g->in[i].name)))
            slm_report(c->d, SLM_R_ONNX_022, c->file, (int64_t)g->in[i].off, NULL, "graph input '%s' is listed twice",
                       nm(b, sizeof b, g->in[i].name));
    for (size_t i = 0; i < g->ninit; i++) {
        const slm_onnx_tensor *t = &g->init[i];
        if (!t->name || !t->name[0]) {
            slm_report(c->d, SLM_R_ONNX_023, c->file, (int64_t)t->off, NULL, "initializer #%zu has no name", i);
            check_tensor(c, t, "initializer");
            continue;
        }
        if (!scope_add(&inits, t->name))
            slm_report(c->d, SLM_R_ONNX_024, c->file, (int64_t)t->off, NULL, "initializer '%s' is defined twice",
                       nm(b, sizeof b, t->name));
        check_tensor(c, t, "initializer");
        if (c->ir <= 3) {
            if (!scope_has_here(&sc, t->name))
                slm_report(c->d, SLM_R_ONNX_025, c->file, (int64_t)t->off, NULL,
                           "initializer '%s' is not a graph input (IR version %lld)", nm(b, sizeof b, t->name),
                           (long long)c->ir);
        } else {
            if (main && scope_has_here(&sc, t->name))
                slm_report(c->d, SLM_R_ONNX_105, c->file, (int64_t)t->off, NULL,
                           "initializer '%s' is also a graph input", nm(b, sizeof b, t->name));
            scope_add(&sc, t->name);
        }
    }
    for (size_t i = 0; i < g->nsparse; i++) {
        const slm_onnx_sparse *s = &g->sparse[i];
        const char *name = s->values.name;
        if (!name || !name[0]) {
            slm_report(c->d, SLM_R_ONNX_023, c->file, (int64_t)s->off, NULL, "sparse initializer #%zu has no name", i);
            continue;
        }
        if (!scope_add(&inits, name))
            slm_report(c->d, SLM_R_ONNX_024, c->file, (int64_t)s->off, NULL,
                       "sparse initializer '%s' reuses an initializer's name", nm(b, sizeof b, name));
        check_sparse(c, s);
        scope_add(&sc, name);
    }
    check_nodes(c, g->node, g->nnode, &sc, main, false);
    for (size_t i = 0; i < g->nvi; i++) /* onnxruntime types the values its nodes use */
        if (g->vi[i].name && scope_has_here(&sc, g->vi[i].name))
            check_ort_type(c, &g->vi[i], "value_info");
    for (size_t i = 0; i < g->nout; i++)
        if (g->out[i].name && g->out[i].name[0] && !scope_has_here(&sc, g->out[i].name))
            slm_report(c->d, SLM_R_ONNX_028, c->file, (int64_t)g->out[i].off, NULL,
                       "graph output '%s' is not defined in its graph", nm(b, sizeof b, g->out[i].name));
    scope_free(&sc);
    scope_free(&inits);
}

/* ---- functions ----------------------------------------------------------- */

static void check_functions(chk *c)
{
    const slm_onnx *o = c->o;
    char b[120];
    for (size_t i = 0; i < o->nfunc; i++) {
        const slm_onnx_function *f = &o->func[i];
        const char *name = nm(b, sizeof b, f->name);
        int64_t at = (int64_t)f->off;
        if (!f->name || !f->name[0])
            slm_report(c->d, SLM_R_ONNX_080, c->file, at, NULL, "local function #%zu has no name", i);
        for (size_t k = 0; k < i; k++)
            if (strcmp(S(o->func[k].name), S(f->name)) == 0 && strcmp(S(o->func[k].domain), S(f->domain)) == 0 &&
                strcmp(S(o->func[k].overload), S(f->overload)) == 0) {
                slm_report(c->d, SLM_R_ONNX_080, c->file, at, NULL, "local function '%s' (domain '%s') is defined twice",
                           name, S(f->domain));
                break;
            }
        for (size_t k = 0; k < f->nout; k++)
            for (size_t j = 0; j < k; j++)
                if (strcmp(f->out[k], f->out[j]) == 0)
                    slm_report(c->d, SLM_R_ONNX_080, c->file, at, NULL, "function '%s' lists output '%s' twice", name,
                               f->out[k]);
        for (size_t k = 0; k < f->nattr; k++)
            for (size_t j = 0; j < k; j++)
                if (strcmp(f->attr[k], f->attr[j]) == 0)
                    slm_report(c->d, SLM_R_ONNX_080, c->file, at, NULL, "function '%s' lists attribute '%s' twice", name,
                               f->attr[k]);
        chk fc = *c;
        fc.opset = f->opset;
        fc.nopset = f->nopset;
        scope sc = {NULL, 0, 0, NULL};
        for (size_t k = 0; k < f->nin; k++)
            if (!scope_add(&sc, f->in[k]))
                slm_report(c->d, SLM_R_ONNX_080, c->file, at, NULL, "function '%s' lists input '%s' twice", name,
                           f->in[k]);
        check_nodes(&fc, f->node, f->nnode, &sc, false, true);
        scope_free(&sc);
    }
}

/* ---- quantized operators ------------------------------------------------- */

static const slm_onnx_tensor *init_find(const slm_onnx_graph *g, const char *name)
{
    if (!name || !name[0])
        return NULL;
    for (size_t i = g->ninit; i-- > 0;)
        if (g->init[i].name && strcmp(g->init[i].name, name) == 0)
            return &g->init[i];
    return NULL;
}

static const char *in_at(const slm_onnx_node *n, size_t i)
{
    return i < n->nin && n->in[i][0] ? n->in[i] : NULL;
}

static bool is_pow2(int64_t v)
{
    return v > 0 && (v & (v - 1)) == 0;
}

static bool shape_is(const slm_onnx_tensor *t, size_t nd, const uint64_t *want)
{
    if (t->ndim != nd)
        return false;
    for (size_t i = 0; i < nd; i++)
        if (t->shape[i] != want[i])
            return false;
    return true;
}

static void check_matmulnbits(chk *c, const slm_onnx_graph *g, const slm_onnx_node *n)
{
    char b[120], sb[80];
    const char *node = nm(b, sizeof b, n->name);
    int64_t at = (int64_t)n->off;
    const slm_onnx_attr *aK = slm_onnx_attr_find(n, "K"), *aN = slm_onnx_attr_find(n, "N"),
                        *ab = slm_onnx_attr_find(n, "bits"), *abs = slm_onnx_attr_find(n, "block_size");
    int64_t K = aK ? aK->i : 0, N = aN ? aN->i : 0, bits = ab ? ab->i : 4, bs = abs ? abs->i : 0;
    if (!aK || !aN || !abs || K <= 0 || N <= 0 || bits < 2 || bits > 8 || !is_pow2(bs) || bs < 16) {
        slm_report(c->d, SLM_R_ONNX_090, c->file, at, NULL,
                   "MatMulNBits '%s': K=%lld N=%lld bits=%lld block_size=%lld (K, N > 0 required; bits 2..8; block_size "
                   "a power of two >= 16)",
                   node, (long long)K, (long long)N, (long long)bits, (long long)bs);
        return;
    }
    uint64_t kb = ((uint64_t)K + (uint64_t)bs - 1) / (uint64_t)bs, blob = (uint64_t)bs * (uint64_t)bits / 8;
    if (K % bs)
        slm_report(c->d, SLM_R_ONNX_203, c->file, at, NULL,
                   "MatMulNBits '%s': K=%lld is not a multiple of block_size %lld; the last block holds %lld values",
                   node, (long long)K, (long long)bs, (long long)(K % bs));
    const slm_onnx_tensor *B = init_find(g, in_at(n, 1)), *sc = init_find(g, in_at(n, 2)),
                          *zp = init_find(g, in_at(n, 3));
    uint64_t wB[3] = {(uint64_t)N, kb, blob};
    if (B && (B->dtype != SLM_DT_U8 || !shape_is(B, 3, wB)))
        slm_report(c->d, SLM_R_ONNX_091, c->file, (int64_t)B->off, NULL,
                   "MatMulNBits '%s': B is %s %s, expected U8 [%lld, %llu, %llu]", node, slm_dtype_name(B->dtype),
                   slm_fmt_shape(sb, sizeof sb, B->shape, B->ndim), (long long)N, (unsigned long long)kb,
                   (unsigned long long)blob);
    uint64_t nsc = (uint64_t)N * kb;
    if (sc) {
        bool fl = sc->dtype == SLM_DT_F32 || sc->dtype == SLM_DT_F16 || sc->dtype == SLM_DT_BF16;
        if (!fl || sc->nelem != nsc || sc->ndim < 1 || sc->ndim > 2)
            slm_report(c->d, SLM_R_ONNX_092, c->file, (int64_t)sc->off, NULL,
                       "MatMulNBits '%s': scales are %s %s, expected %llu floats ([N * ceil(K/block_size)])", node,
                       slm_dtype_name(sc->dtype), slm_fmt_shape(sb, sizeof sb, sc->shape, sc->ndim),
                       (unsigned long long)nsc);
    }
    if (zp && sc) {
        uint64_t packed = (uint64_t)N * ((kb * (uint64_t)bits + 7) / 8);
        bool ok = zp->dtype == SLM_DT_U8 ? zp->nelem == packed : zp->dtype == sc->dtype && zp->nelem == nsc;
        if (!ok)
            slm_report(c->d, SLM_R_ONNX_092, c->file, (int64_t)zp->off, NULL,
                       "MatMulNBits '%s': zero_points are %s %s, expected U8 with %llu bytes or %s with %llu values",
                       node, slm_dtype_name(zp->dtype), slm_fmt_shape(sb, sizeof sb, zp->shape, zp->ndim),
                       (unsigned long long)packed, slm_dtype_name(sc->dtype), (unsigned long long)nsc);
    }
    const slm_onnx_tensor *gi = init_find(g, in_at(n, 4)), *bias = init_find(g, in_at(n, 5));
    if (gi && (gi->dtype != SLM_DT_I32 || gi->nelem != (uint64_t)K))
        slm_report(c->d, SLM_R_ONNX_091, c->file, (int64_t)gi->off, NULL,
                   "MatMulNBits '%s': g_idx is %s with %llu values, expected I32 [%lld]", node,
                   slm_dtype_name(gi->dtype), (unsigned long long)gi->nelem, (long long)K);
    if (bias && bias->nelem != (uint64_t)N)
        slm_report(c->d, SLM_R_ONNX_091, c->file, (int64_t)bias->off, NULL,
                   "MatMulNBits '%s': bias has %llu values, expected N = %lld", node, (unsigned long long)bias->nelem,
                   (long long)N);
}

static void check_dql(chk *c, const slm_onnx_graph *g, const slm_onnx_node *n)
{
    char b[120];
    const slm_onnx_attr *abs = slm_onnx_attr_find(n, "block_size"), *aax = slm_onnx_attr_find(n, "axis");
    int64_t bs = abs ? abs->i : 0, axis = aax ? aax->i : 1;
    const slm_onnx_tensor *x = init_find(g, in_at(n, 0)), *sc = init_find(g, in_at(n, 1)),
                          *zp = init_find(g, in_at(n, 2));
    if (!x || bs <= 0 || !sc)
        return;
    const char *node = nm(b, sizeof b, n->name);
    int64_t r = (int64_t)x->ndim;
    if (axis < 0)
        axis += r;
    bool ok = axis >= 0 && axis < r && sc->ndim == x->ndim;
    for (int64_t i = 0; ok && i < r; i++) {
        uint64_t want = i == axis ? (x->shape[i] + (uint64_t)bs - 1) / (uint64_t)bs : x->shape[i];
        ok = sc->shape[i] == want;
    }
    if (ok && zp)
        ok = zp->dtype == x->dtype && zp->ndim == sc->ndim && zp->nelem == sc->nelem;
    if (!ok)
        slm_report(c->d, SLM_R_ONNX_093, c->file, (int64_t)n->off, NULL,
                   "DequantizeLinear '%s': block_size %lld on axis %lld of x %s: scale (and zero_point) must have x's "
                   "shape with that axis ceil(dim/block_size)",
                   node, (long long)bs, (long long)axis, slm_dtype_name(x->dtype));
}

static bool is_8bit_int(slm_dtype t)
{
    return t == SLM_DT_I8 || t == SLM_DT_U8;
}

static void check_int_matmul(chk *c, const slm_onnx_graph *g, const slm_onnx_node *n, bool qlinear)
{
    char b[120];
    size_t ia = 0, ib = qlinear ? 3 : 1, izb = qlinear ? 5 : 3;
    const slm_onnx_tensor *A = init_find(g, in_at(n, ia)), *B = init_find(g, in_at(n, ib)),
                          *zb = init_find(g, in_at(n, izb));
    const char *bad = NULL;
    if (A && !is_8bit_int(A->dtype))
        bad = "A";
    else if (B && !is_8bit_int(B->dtype))
        bad = "B";
    else if (B && zb && zb->dtype != B->dtype)
        bad = "B's zero point";
    if (bad)
        slm_report(c->d, SLM_R_ONNX_094, c->file, (int64_t)n->off, NULL, "%s '%s': %s is not of 8-bit integer type matching its operand",
                   qlinear ? "QLinearMatMul" : "MatMulInteger", nm(b, sizeof b, n->name), bad);
}

static void check_quant(chk *c, const slm_onnx_graph *g)
{
    for (size_t i = 0; i < g->nnode; i++) {
        const slm_onnx_node *n = &g->node[i];
        const char *op = S(n->op_type), *dom = S(n->domain);
        bool dflt = !dom[0] || strcmp(dom, "ai.onnx") == 0;
        if (strcmp(op, "MatMulNBits") == 0 && strcmp(dom, "com.microsoft") == 0)
            check_matmulnbits(c, g, n);
        else if (strcmp(op, "DequantizeLinear") == 0 && (dflt || strcmp(dom, "com.microsoft") == 0))
            check_dql(c, g, n);
        else if (strcmp(op, "MatMulInteger") == 0 && dflt)
            check_int_matmul(c, g, n, false);
        else if (strcmp(op, "QLinearMatMul") == 0 && dflt)
            check_int_matmul(c, g, n, true);
    }
}

/* ---- external data overlaps ---------------------------------------------- */

typedef struct range {
    int ext;
    uint64_t off, end;
    const slm_onnx_tensor *t;
} range;

static int range_cmp(const void *a, const void *b)
{
    const range *x = a, *y = b;
    if (x->ext != y->ext)
        return x->ext < y->ext ? -1 : 1;
    return x->off < y->off ? -1 : x->off > y->off;
}

static void check_overlaps(chk *c, const slm_onnx_graph *g)
{
    range *r = malloc((g->ninit ? g->ninit : 1) * sizeof *r);
    size_t n = 0;
    if (!r)
        return;
    for (size_t i = 0; i < g->ninit; i++) {
        const slm_onnx_tensor *t = &g->init[i];
        if (t->data && t->ext_index >= 0 && t->nbytes)
            r[n++] = (range){t->ext_index, t->data_off, t->data_off + t->nbytes, t};
    }
    qsort(r, n, sizeof *r, range_cmp);
    char b1[120], b2[120];
    for (size_t i = 1; i < n; i++)
        if (r[i].ext == r[i - 1].ext && r[i].off < r[i - 1].end)
            slm_report(c->d, SLM_R_ONNX_103, c->file, (int64_t)r[i].t->off, NULL,
                       "initializers '%s' and '%s' share bytes %llu..%llu of '%s'", nm(b1, sizeof b1, r[i - 1].t->name),
                       nm(b2, sizeof b2, r[i].t->name), (unsigned long long)r[i].off,
                       (unsigned long long)(r[i - 1].end < r[i].end ? r[i - 1].end : r[i].end),
                       c->o->ext[r[i].ext].location);
    free(r);
}

/* ---- the model ----------------------------------------------------------- */

void slm_onnx_check(const slm_onnx *o, slm_diag *d)
{
    chk c = {o, d, o->file, o->ir_version, o->opset, o->nopset};
    if (!o->has_ir || o->ir_version == 0)
        slm_report(d, SLM_R_ONNX_010, o->file, 0, NULL, "ir_version is missing or 0");
    else if (o->ir_version > SLM_ONNX_MAX_IR || o->ir_version < 0)
        slm_report(d, SLM_R_ONNX_011, o->file, 0, NULL, "ir_version %lld; released ONNX versions go up to %d",
                   (long long)o->ir_version, SLM_ONNX_MAX_IR);
    for (size_t i = 0; i < o->nmeta; i++)
        for (size_t k = 0; k < i; k++)
            if (strcmp(o->meta_key[i], o->meta_key[k]) == 0) {
                slm_report(d, SLM_R_ONNX_016, o->file, -1, NULL, "metadata_props key '%s' appears more than once",
                           o->meta_key[i]);
                break;
            }
    for (size_t i = 0; i < o->nopset; i++) {
        const slm_onnx_opset *p = &o->opset[i];
        bool dflt = !p->domain[0] || strcmp(p->domain, "ai.onnx") == 0;
        if (p->version < INT32_MIN || p->version > INT32_MAX)
            slm_report(d, SLM_R_ONNX_014, o->file, (int64_t)p->off, NULL, "opset version %lld of domain '%s' does not fit an int",
                       (long long)p->version, p->domain);
        for (size_t k = 0; k < i; k++)
            if (strcmp(o->opset[k].domain, p->domain) == 0) {
                slm_report(d, SLM_R_ONNX_101, o->file, (int64_t)p->off, NULL,
                           "domain '%s' is imported twice (versions %lld and %lld); the last one wins", p->domain,
                           (long long)o->opset[k].version, (long long)p->version);
                break;
            }
        int64_t maxv = slm_onnx_max_opset_for_ir(o->ir_version);
        if (dflt && maxv > 0 && p->version > maxv)
            slm_report(d, SLM_R_ONNX_102, o->file, (int64_t)p->off, NULL,
                       "default-domain opset %lld needs IR version >= the one released with it; IR %lld allows up to %lld",
                       (long long)p->version, (long long)o->ir_version, (long long)maxv);
    }
    if (o->ir_version >= 3 && !o->nopset)
        slm_report(d, SLM_R_ONNX_012, o->file, 0, NULL, "IR version %lld needs opset_import; it is empty",
                   (long long)o->ir_version);
    else if (o->has_ir && o->ir_version > 0 && o->ir_version < 3 && o->nopset)
        slm_report(d, SLM_R_ONNX_012, o->file, 0, NULL, "IR version %lld cannot import opsets", (long long)o->ir_version);
    static const slm_onnx_opset V1 = {(char *)"", 1, 0};
    if (o->ir_version < 3 && !o->nopset) {
        c.opset = &V1;
        c.nopset = 1;
    }
    if (!o->has_graph) {
        slm_report(d, SLM_R_ONNX_015, o->file, -1, NULL, "ModelProto.graph is missing");
        return;
    }
    check_graph(&c, &o->graph, NULL, true);
    check_functions(&c);
    check_quant(&c, &o->graph);
    check_overlaps(&c, &o->graph);
    /* Deployment. */
    if (o->size > 1932735283ull) /* 1.8 GiB */
        slm_report(d, SLM_R_ONNX_201, o->file, -1, NULL,
                   "the model file is %llu bytes; protobuf stops at 2 GiB", (unsigned long long)o->size);
    if (o->next)
        slm_report(d, SLM_R_ONNX_202, o->file, -1, NULL,
                   "%llu bytes of weights live in %zu external file(s) (first: '%s') that a browser runtime must fetch "
                   "and hand over itself",
                   (unsigned long long)o->external_bytes, o->next, o->ext[0].location);
}

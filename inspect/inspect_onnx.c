/* slminspect inspect on an ONNX model: versions, producer, graph inputs and
 * outputs, operator histogram, initializers by dtype and by location, the
 * quantized weights.  The text view is rendered from the JSON. */
#include "inspect.h"

#include <stdlib.h>
#include <string.h>

static const char *S(const char *s)
{
    return s ? s : "";
}

static cJSON *values_json(const slm_onnx_value *v, size_t n)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "name", S(v[i].name));
        char ts[256];
        slm_onnx_type_str(ts, sizeof ts, v[i].type);
        cJSON_AddStringToObject(e, "type", ts);
        if (v[i].is_tensor) {
            slm_dtype t = slm_dtype_from_onnx(v[i].elem_type);
            cJSON_AddStringToObject(e, "dtype", t ? slm_dtype_name(t) : "?");
            cJSON *sh = cJSON_AddArrayToObject(e, "shape");
            for (size_t k = 0; k < v[i].ndim; k++)
                cJSON_AddItemToArray(sh, v[i].dim[k] >= 0 ? cJSON_CreateNumber((double)v[i].dim[k])
                                                          : cJSON_CreateString(v[i].dim_param[k] ? v[i].dim_param[k] : "?"));
        }
        cJSON_AddItemToArray(a, e);
    }
    return a;
}

typedef struct opcount {
    const char *op, *domain;
    size_t n, inside; /* nodes, and how many of them are in subgraphs */
} opcount;

typedef struct ophist {
    opcount *v;
    size_t n, cap;
    bool failed;
} ophist;

static int opcount_cmp(const void *a, const void *b)
{
    const opcount *x = a, *y = b;
    if (x->n != y->n)
        return x->n > y->n ? -1 : 1;
    int c = strcmp(x->op, y->op);
    return c ? c : strcmp(x->domain, y->domain);
}

/* Counts a node of the model or of a subgraph (If, Loop, Scan attributes). */
static bool ophist_add(void *arg, const slm_onnx_graph *g, const slm_onnx_node *nd, int depth)
{
    ophist *h = arg;
    const char *op = S(nd->op_type), *dom = S(nd->domain);
    (void)g;
    size_t k = 0;
    while (k < h->n && !(strcmp(h->v[k].op, op) == 0 && strcmp(h->v[k].domain, dom) == 0))
        k++;
    if (k == h->n) {
        if (h->n == h->cap) {
            size_t cap = h->cap ? 2 * h->cap : 16;
            opcount *nv = realloc(h->v, cap * sizeof *nv);
            if (!nv) {
                h->failed = true;
                return false;
            }
            h->v = nv;
            h->cap = cap;
        }
        h->v[h->n++] = (opcount){op, dom, 0, 0};
    }
    h->v[k].n++;
    h->v[k].inside += depth > 0;
    return true;
}

/* Initializers of the subgraphs under G (not G's own): count and bytes. */
static void subgraph_inits(const slm_onnx_graph *g, bool inside, uint64_t *count, uint64_t *bytes, uint64_t *ext)
{
    if (inside) {
        *count += g->ninit;
        for (size_t i = 0; i < g->ninit; i++) {
            *bytes += g->init[i].nbytes;
            if (g->init[i].data_location == 1)
                *ext += g->init[i].nbytes;
        }
    }
    for (size_t i = 0; i < g->nnode; i++)
        for (size_t a = 0; a < g->node[i].na; a++)
            for (size_t j = 0; j < g->node[i].a[a].ng; j++)
                subgraph_inits(g->node[i].a[a].g[j], true, count, bytes, ext);
}

static const char *layout_name(slm_qlayout l)
{
    return l == SLM_QL_MATMULNBITS ? "MatMulNBits" : l == SLM_QL_DQL_BLOCKED ? "DequantizeLinear" : "MLC";
}

cJSON *inspect_onnx(const char *path, const inspect_opts *io, slm_diag *d, int *err)
{
    slm_model m;
    *err = slm_model_open(&m, path, d);
    if (*err || !m.onnx) {
        slm_model_close(&m);
        return NULL;
    }
    const slm_onnx *o = m.onnx;
    const slm_onnx_graph *g = &o->graph;
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "path", path);
    cJSON_AddStringToObject(doc, "kind", slm_kind_name(SLM_KIND_ONNX));
    cJSON_AddNumberToObject(doc, "file_bytes", (double)o->size);
    cJSON_AddBoolToObject(doc, "parsed", o->wire_ok);
    if (o->has_ir)
        cJSON_AddNumberToObject(doc, "ir_version", (double)o->ir_version);
    cJSON *ops = cJSON_AddArrayToObject(doc, "opset_import");
    for (size_t i = 0; i < o->nopset; i++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "domain", o->opset[i].domain);
        cJSON_AddNumberToObject(e, "version", (double)o->opset[i].version);
        cJSON_AddItemToArray(ops, e);
    }
    cJSON_AddStringToObject(doc, "producer_name", S(o->producer_name));
    cJSON_AddStringToObject(doc, "producer_version", S(o->producer_version));
    cJSON_AddNumberToObject(doc, "model_version", (double)o->model_version);
    cJSON *gr = cJSON_AddObjectToObject(doc, "graph");
    cJSON_AddStringToObject(gr, "name", S(g->name));
    cJSON_AddNumberToObject(gr, "nodes", (double)g->nnode);
    /* Operator histogram: the main graph and every subgraph. */
    ophist h = {0};
    slm_onnx_each_node(g, ophist_add, &h);
    size_t inside = 0;
    for (size_t k = 0; k < h.n; k++)
        inside += h.v[k].inside;
    if (h.n)
        qsort(h.v, h.n, sizeof *h.v, opcount_cmp);
    cJSON_AddNumberToObject(gr, "subgraph_nodes", (double)inside);
    cJSON_AddNumberToObject(gr, "functions", (double)o->nfunc);
    cJSON_AddItemToObject(gr, "inputs", values_json(g->in, g->nin));
    cJSON_AddItemToObject(gr, "outputs", values_json(g->out, g->nout));
    cJSON *hist = cJSON_AddArrayToObject(doc, "operators");
    for (size_t k = 0; k < h.n; k++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "op_type", h.v[k].op);
        cJSON_AddStringToObject(e, "domain", h.v[k].domain);
        cJSON_AddNumberToObject(e, "count", (double)(h.v[k].n - h.v[k].inside));
        cJSON_AddNumberToObject(e, "in_subgraphs", (double)h.v[k].inside);
        cJSON_AddNumberToObject(e, "total", (double)h.v[k].n);
        cJSON_AddItemToArray(hist, e);
    }
    free(h.v);
    /* Initializers. */
    cJSON *in = cJSON_AddObjectToObject(doc, "initializers");
    cJSON_AddNumberToObject(in, "count", (double)g->ninit);
    cJSON_AddNumberToObject(in, "sparse", (double)g->nsparse);
    cJSON_AddNumberToObject(in, "parameters", (double)slm_model_params(&m));
    /* Totals that add up: main graph + subgraphs = embedded + external. */
    uint64_t main_bytes = 0, main_ext = 0, sub_count = 0, sub_bytes = 0, sub_ext = 0;
    for (size_t i = 0; i < g->ninit; i++) {
        main_bytes += g->init[i].nbytes;
        if (g->init[i].data_location == 1)
            main_ext += g->init[i].nbytes;
    }
    subgraph_inits(g, false, &sub_count, &sub_bytes, &sub_ext);
    cJSON_AddNumberToObject(in, "bytes", (double)main_bytes);
    cJSON_AddNumberToObject(in, "subgraph_count", (double)sub_count);
    cJSON_AddNumberToObject(in, "subgraph_bytes", (double)sub_bytes);
    cJSON_AddNumberToObject(in, "total_bytes", (double)(main_bytes + sub_bytes));
    cJSON_AddNumberToObject(in, "embedded_bytes", (double)(main_bytes + sub_bytes - main_ext - sub_ext));
    cJSON_AddNumberToObject(in, "external_bytes", (double)(main_ext + sub_ext));
    cJSON *bd = cJSON_AddArrayToObject(in, "by_dtype");
    for (int t = 1; t < SLM_DT__COUNT; t++) {
        uint64_t n = 0, p = 0, b = 0, ext = 0;
        for (size_t i = 0; i < g->ninit; i++)
            if (g->init[i].dtype == (slm_dtype)t) {
                n++;
                p += g->init[i].nelem;
                b += g->init[i].nbytes;
                if (g->init[i].data_location == 1)
                    ext += g->init[i].nbytes;
            }
        if (!n)
            continue;
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "dtype", slm_dtype_name((slm_dtype)t));
        cJSON_AddNumberToObject(e, "tensors", (double)n);
        cJSON_AddNumberToObject(e, "parameters", (double)p);
        cJSON_AddNumberToObject(e, "bytes", (double)b);
        cJSON_AddNumberToObject(e, "external_bytes", (double)ext);
        cJSON_AddItemToArray(bd, e);
    }
    cJSON *xf = cJSON_AddArrayToObject(in, "external_files");
    for (size_t i = 0; i < o->next; i++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "location", o->ext[i].location);
        cJSON_AddNumberToObject(e, "bytes", (double)o->ext[i].map.size);
        cJSON_AddBoolToObject(e, "readable", o->ext[i].err == 0);
        cJSON_AddItemToArray(xf, e);
    }
    /* Quantized weights. */
    cJSON *q = cJSON_AddObjectToObject(doc, "quantization");
    size_t nmnb = 0, ndql = 0;
    uint64_t qparams = 0;
    cJSON *ws = cJSON_CreateArray();
    for (size_t i = 0; i < m.nq; i++) {
        const slm_qweight *w = &m.q[i];
        if (w->layout == SLM_QL_MATMULNBITS)
            nmnb++;
        else
            ndql++;
        qparams += w->K * w->N;
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "name", w->name);
        cJSON_AddStringToObject(e, "node", w->op);
        cJSON_AddStringToObject(e, "layout", layout_name(w->layout));
        cJSON_AddNumberToObject(e, "bits", w->bits);
        cJSON_AddNumberToObject(e, "block_size", (double)w->block_size);
        cJSON_AddNumberToObject(e, "K", (double)w->K);
        cJSON_AddNumberToObject(e, "N", (double)w->N);
        cJSON_AddBoolToObject(e, "symmetric", w->symmetric);
        cJSON_AddStringToObject(e, "scale_dtype", slm_dtype_name(w->scales->dtype));
        if (w->accuracy_level >= 0)
            cJSON_AddNumberToObject(e, "accuracy_level", (double)w->accuracy_level);
        cJSON_AddBoolToObject(e, "g_idx", w->g_idx != NULL);
        cJSON_AddBoolToObject(e, "bias", w->bias != NULL);
        cJSON_AddItemToArray(ws, e);
    }
    cJSON_AddNumberToObject(q, "matmulnbits", (double)nmnb);
    cJSON_AddNumberToObject(q, "dequantizelinear_blocked", (double)ndql);
    cJSON_AddNumberToObject(q, "quantized_parameters", (double)qparams);
    /* Distinct settings: layout, bits, block size, symmetric, scale dtype. */
    cJSON *set = cJSON_AddArrayToObject(q, "settings");
    const cJSON *w;
    cJSON_ArrayForEach(w, ws)
    {
        const char *keys[] = {"layout", "bits", "block_size", "symmetric", "scale_dtype"};
        cJSON *hit = NULL, *s;
        cJSON_ArrayForEach(s, set)
        {
            bool same = true;
            for (size_t k = 0; k < 5; k++)
                same = same && cJSON_Compare(cJSON_GetObjectItemCaseSensitive(s, keys[k]),
                                             cJSON_GetObjectItemCaseSensitive(w, keys[k]), true);
            if (same)
                hit = s;
        }
        if (!hit) {
            hit = cJSON_CreateObject();
            for (size_t k = 0; k < 5; k++)
                cJSON_AddItemToObject(hit, keys[k], cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(w, keys[k]), 1));
            cJSON_AddNumberToObject(hit, "weights", 0);
            cJSON_AddItemToArray(set, hit);
        }
        cJSON *cnt = cJSON_GetObjectItemCaseSensitive(hit, "weights");
        cJSON_SetNumberValue(cnt, cnt->valuedouble + 1);
    }
    cJSON_AddItemToObject(q, "weights", ws);
    inspect_ort(o, io, doc, d);
    if (io->tensors) {
        cJSON *ts = cJSON_AddArrayToObject(doc, "tensors");
        for (size_t i = 0; i < m.n; i++)
            cJSON_AddItemToArray(ts, inspect_tensor_json(&m.t[i], io->stats));
    }
    slm_model_close(&m);
    return doc;
}

/* ---- text ---------------------------------------------------------------- */

static double num(const cJSON *o, const char *k)
{
    return out_jnum_or(o, k, 0);
}


static const cJSON *obj(const cJSON *o, const char *k)
{
    return cJSON_GetObjectItemCaseSensitive(o, k);
}

static void print_values(const char *label, const cJSON *a)
{
    const cJSON *e;
    bool first = true;
    cJSON_ArrayForEach(e, a)
    {
        printf("  %-11s %s %s\n", first ? label : "", out_jtext(e, "name"), out_jtext(e, "type"));
        first = false;
    }
}

void inspect_print_onnx(const cJSON *doc, const inspect_opts *io)
{
    char a[32], b[32], c[32], d[32];
    const cJSON *e;
    printf("%s\n", out_jtext(doc, "path"));
    printf("  format      ONNX, IR version %.0f, %s bytes\n", num(doc, "ir_version"),
           inspect_commas(a, sizeof a, num(doc, "file_bytes")));
    printf("  opsets      ");
    bool first = true;
    cJSON_ArrayForEach(e, obj(doc, "opset_import"))
    {
        printf("%s%s %.0f", first ? "" : ", ", out_jtext(e, "domain")[0] ? out_jtext(e, "domain") : "ai.onnx",
               num(e, "version"));
        first = false;
    }
    printf("\n  producer    %s %s\n", out_jtext(doc, "producer_name"), out_jtext(doc, "producer_version"));
    const cJSON *g = obj(doc, "graph");
    printf("  graph       '%s': %.0f nodes", out_jtext(g, "name"), num(g, "nodes"));
    if (num(g, "subgraph_nodes"))
        printf(" (+%.0f in subgraphs, counted in the operators)", num(g, "subgraph_nodes"));
    if (num(g, "functions"))
        printf(", %.0f local functions", num(g, "functions"));
    printf("\n");
    print_values("inputs", obj(g, "inputs"));
    print_values("outputs", obj(g, "outputs"));
    printf("  operators   ");
    int col = 0;
    cJSON_ArrayForEach(e, obj(doc, "operators"))
    {
        char item[96];
        char inside[40] = "";
        if (num(e, "in_subgraphs"))
            snprintf(inside, sizeof inside, " (%.0f in subgraphs)", num(e, "in_subgraphs"));
        snprintf(item, sizeof item, "%s%s%s %.0f%s", out_jtext(e, "domain")[0] ? out_jtext(e, "domain") : "",
                 out_jtext(e, "domain")[0] ? "." : "", out_jtext(e, "op_type"), num(e, "total"), inside);
        if (col && col + (int)strlen(item) > 64) {
            printf(",\n              ");
            col = 0;
        } else if (col) {
            printf(", ");
            col += 2;
        }
        printf("%s", item);
        col += (int)strlen(item);
    }
    const cJSON *in = obj(doc, "initializers");
    printf("\n  initializers %.0f, %s parameters, %s", num(in, "count"), inspect_commas(a, sizeof a, num(in, "parameters")),
           slm_fmt_bytes(b, sizeof b, (uint64_t)num(in, "bytes")));
    if (num(in, "subgraph_count"))
        printf(" + %.0f in subgraphs, %s = %s", num(in, "subgraph_count"),
               slm_fmt_bytes(a, sizeof a, (uint64_t)num(in, "subgraph_bytes")),
               slm_fmt_bytes(b, sizeof b, (uint64_t)num(in, "total_bytes")));
    printf(" (embedded %s, external %s)\n", slm_fmt_bytes(c, sizeof c, (uint64_t)num(in, "embedded_bytes")),
           slm_fmt_bytes(d, sizeof d, (uint64_t)num(in, "external_bytes")));
    first = true;
    cJSON_ArrayForEach(e, obj(in, "by_dtype"))
    {
        printf("  %-11s %-7s %6.0f tensors  %10s params  %10s\n", first ? "by dtype" : "", out_jtext(e, "dtype"),
               num(e, "tensors"), slm_fmt_count(a, sizeof a, (uint64_t)num(e, "parameters")),
               slm_fmt_bytes(b, sizeof b, (uint64_t)num(e, "bytes")));
        first = false;
    }
    cJSON_ArrayForEach(e, obj(in, "external_files"))
        printf("  external    %s (%s%s)\n", out_jtext(e, "location"),
               slm_fmt_bytes(a, sizeof a, (uint64_t)num(e, "bytes")),
               cJSON_IsTrue(obj(e, "readable")) ? "" : ", unreadable");
    const cJSON *q = obj(doc, "quantization");
    if (num(q, "matmulnbits") || num(q, "dequantizelinear_blocked")) {
        printf("  quantized   %.0f MatMulNBits, %.0f blocked DequantizeLinear; %s weights\n", num(q, "matmulnbits"),
               num(q, "dequantizelinear_blocked"), slm_fmt_count(a, sizeof a, (uint64_t)num(q, "quantized_parameters")));
        cJSON_ArrayForEach(e, obj(q, "settings"))
            printf("              %.0f x %s: %.0f-bit, block %.0f, %s, %s scales\n", num(e, "weights"),
                   out_jtext(e, "layout"), num(e, "bits"), num(e, "block_size"),
                   cJSON_IsTrue(obj(e, "symmetric")) ? "symmetric" : "with zero points", out_jtext(e, "scale_dtype"));
    }
    inspect_print_ort(doc);
    if (io->tensors) {
        printf("  tensors\n");
        cJSON_ArrayForEach(e, obj(doc, "tensors"))
            printf("    %s %s %s\n", out_jtext(e, "name"), out_jtext(e, "dtype"),
                   slm_fmt_bytes(a, sizeof a, (uint64_t)num(e, "bytes")));
    }
}

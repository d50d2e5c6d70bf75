/* slminspect diff: two artifacts compared -- tensors (paired, hashed, values
 * compared), facts (format, storage, metadata, config, ONNX graph).  The
 * text view is rendered from the --json document; --diffable prints a
 * stable listing for ordinary diff tools. */
#include "cli.h"
#include "diff.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static void help(void)
{
    printf("usage: slminspect diff [options] A B\n"
           "       slminspect diff --diffable PATH\n\n"
           "Compares two artifacts -- safetensors files or checkpoint folders, ONNX models\n"
           "(embedded or external data), MLC weight folders, and one format against another --\n"
           "and prints what differs, the differences that matter first.\n\n"
           "When one side has quantized weights (MatMulNBits, blocked DequantizeLinear, MLC\n"
           "q4f16_1/q4f32_1) and the other none, each is paired with its original as\n"
           "'slminspect quant' pairs them (by name, a fused weight's parts, content) and\n"
           "reported as quantized with its format and error (SQNR, rel RMSE).  Then tensors\n"
           "are paired by name, then by name behind a module prefix (m.model.x and\n"
           "model.x), then as parts of a fused tensor (c_attn.bias and q/k/v_proj.bias),\n"
           "then by identical bytes (a rename), then by shape (or the transposed\n"
           "shape) and correlated values (an exporter's val_89).  For each pair: re-typed,\n"
           "re-shaped, transposed, renamed; content identical (XXH3-128 of the bytes, so no\n"
           "byte compare) or changed, with the numeric difference e = B - A over every\n"
           "element in float64: max_abs_err, rel_rmse = sqrt(sum e^2 / sum A^2), cosine.\n"
           "A tensor left on one side whose bytes equal a paired tensor of its side is\n"
           "shared (the other side keeps one for both).  Tensors only in A are removed,\n"
           "only in B added.  A GGUF against its checkpoint pairs first by llama.cpp's\n"
           "names (blk.0.attn_q.weight <-> model.layers.0.self_attn.q_proj.weight); llama's\n"
           "Q/K row permutation and Gemma's norm + 1 are undone before the values are\n"
           "compared (ggml's types dequantized) and named as transformations, as is a tied\n"
           "lm_head the converter drops.  Facts compared key by key:\n"
           "/format, /storage (shards, embedded or external data), /metadata (safetensors\n"
           "__metadata__, index totals, ONNX producer and metadata_props), /config (config.json\n"
           "or mlc-chat-config.json, every leaf), /graph (ONNX IR, opsets, operator counts,\n"
           "inputs, outputs).  A model against itself prints nothing.\n\n"
           "Options:\n"
           "  --json               the comparison as JSON (spec/schema/diff.schema.json)\n"
           "  --format FORMAT      text (default) or json\n"
           "  --diffable           a stable listing without offsets or file names: with one\n"
           "                       PATH, its facts and tensors (name, dtype, shape, XXH3-128),\n"
           "                       one per line, sorted; with A and B, the lines of A's listing\n"
           "                       missing from B's ('- ') and of B's missing from A's ('+ ')\n"
           "  --all                list every tensor and fact that differs (text: the first 20\n"
           "                       of each), identical tensors too, and every finding\n"
           "  --top N              tensors in the \"largest value changes\" list (default 10)\n"
           "  --fail-on SEVERITY   findings on opening A or B (error, the default, warning or\n"
           "                       info) that make the exit status 1 too\n"
           "  --strict             same as --fail-on warning\n"
           "  -q, --quiet          print nothing; the exit status tells\n\n"
           "Exit status: 0 no differences, 1 differences (or findings at the failing\n"
           "severity), 2 usage error or unreadable input.\n");
}

/* ---- the document --------------------------------------------------------------- */

static cJSON *shape_json(const slm_tensor *t)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < t->ndim; i++)
        cJSON_AddItemToArray(a, cJSON_CreateNumber((double)t->shape[i]));
    return a;
}

/* Both sides' value of a tensor property: {"a": .., "b": ..}. */
static void add_ab(cJSON *o, const char *key, cJSON *a, cJSON *b)
{
    cJSON *x = cJSON_CreateObject();
    cJSON_AddItemToObject(x, "a", a ? a : cJSON_CreateNull());
    cJSON_AddItemToObject(x, "b", b ? b : cJSON_CreateNull());
    cJSON_AddItemToObject(o, key, x);
}

static const char *content_of(const slm_tdiff *t)
{
    if (t->quantized)
        return "quantized";
    if (t->shared_with)
        return "shared";
    if (!t->a || !t->b)
        return "none";
    if (t->identical)
        return "identical";
    if (!t->compared)
        return "unknown";
    return t->differing == 0 ? "equal" : "changed";
}

typedef struct counts {
    size_t paired, how[SLM_TP__COUNT], identical, equal, changed, unknown, renamed, retyped, reshaped, transposed, added, removed;
    size_t quantized, shared;
    double q_ref2, q_err2; /* sums over the quantized pairs: reference^2, e^2 */
} counts;

/* The quantized weight of T: its format, the rows paired, the error. */
static cJSON *quant_json(const slm_tdiff *t, counts *c)
{
    const slm_tquant *q = &t->q;
    const slm_qweight *w = q->w;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "side", q->side == 'a' ? "a" : "b");
    cJSON_AddStringToObject(o, "weight", w->name);
    cJSON_AddStringToObject(o, "node", w->op ? w->op : "");
    cJSON_AddStringToObject(o, "format", slm_qweight_format(w));
    cJSON_AddNumberToObject(o, "bits", w->bits);
    cJSON_AddNumberToObject(o, "block_size", (double)w->block_size);
    cJSON_AddBoolToObject(o, "symmetric", w->symmetric);
    cJSON_AddStringToObject(o, "scale_dtype", w->scales ? slm_dtype_name(w->scales->dtype) : "?");
    cJSON_AddNumberToObject(o, "K", (double)w->K);
    cJSON_AddNumberToObject(o, "N", (double)w->N);
    cJSON_AddBoolToObject(o, "paired", q->paired);
    if (!q->paired)
        return o;
    cJSON_AddStringToObject(o, "pairing", slm_qpair_how_name(q->how));
    cJSON *rows = cJSON_AddArrayToObject(o, "rows");
    cJSON_AddItemToArray(rows, cJSON_CreateNumber((double)q->row0));
    cJSON_AddItemToArray(rows, cJSON_CreateNumber((double)(q->row0 + q->rows)));
    cJSON_AddBoolToObject(o, "original_transposed", q->ref_transposed);
    if (q->xform != SLM_LX_NONE) /* llama.cpp's converter: undone before comparing */
        cJSON_AddStringToObject(o, "transform", slm_llama_xform_name(q->xform));
    out_add_metric(o, "sqnr_db", q->m.sqnr_db);
    out_add_metric(o, "rel_rmse", q->m.rel_rmse);
    out_add_metric(o, "cosine", q->m.cosine);
    out_add_metric(o, "max_abs_err", q->m.max_abs_err);
    out_add_metric(o, "mean_abs_err", q->m.mean_abs_err);
    double n = (double)q->m.n;
    if (isfinite(q->m.ref_rms) && isfinite(q->m.rmse)) {
        c->q_ref2 += q->m.ref_rms * q->m.ref_rms * n;
        c->q_err2 += q->m.rmse * q->m.rmse * n;
    }
    return o;
}

static cJSON *tensor_json(const slm_tdiff *t, counts *c)
{
    const slm_tensor *a = t->a, *b = t->b;
    cJSON *o = cJSON_CreateObject();
    char ha[33], hb[33];
    cJSON_AddItemToObject(o, "a", a ? cJSON_CreateString(a->name) : cJSON_CreateNull());
    cJSON_AddItemToObject(o, "b", b ? cJSON_CreateString(b->name) : cJSON_CreateNull());
    const char *content = content_of(t);
    cJSON_AddStringToObject(o, "content", content);
    cJSON *ch = cJSON_CreateArray();
    if (t->quantized)
        cJSON_AddItemToObject(o, "quantization", quant_json(t, c));
    if (t->quantized && a && b) {
        cJSON_AddItemToArray(ch, cJSON_CreateString("quantized"));
        c->quantized++;
    } else if (t->shared_with) {
        cJSON_AddItemToArray(ch, cJSON_CreateString("shared"));
        cJSON_AddStringToObject(o, "shared_with", t->shared_with->name);
        cJSON_AddStringToObject(o, "shared_side", t->shared_side == 'a' ? "a" : "b");
        c->shared++;
    } else if (!a || !b) {
        if (t->quantized)
            cJSON_AddItemToArray(ch, cJSON_CreateString("quantized"));
        cJSON_AddItemToArray(ch, cJSON_CreateString(a ? "removed" : "added"));
        (*(a ? &c->removed : &c->added))++;
    } else {
        c->paired++;
        c->how[t->how]++;
        bool fused = t->how == SLM_TP_FUSED;
        bool renamed = strcmp(a->name, b->name) != 0 && !fused, retyped = !slm_tensor_same_type(a, b),
             reshaped = !slm_tensor_same_shape(a, b) && !t->transposed && !fused;
        if (fused) {
            /* a part and its rows of the fused tensor on the other side */
            const slm_tensor *part = a->nelem < b->nelem ? a : b;
            cJSON_AddItemToArray(ch, cJSON_CreateString("fused"));
            cJSON *r = cJSON_AddArrayToObject(o, "fused_rows");
            cJSON_AddItemToArray(r, cJSON_CreateNumber((double)t->fused_row0));
            cJSON_AddItemToArray(r, cJSON_CreateNumber((double)(t->fused_row0 + (part->ndim ? part->shape[0] : 0))));
        }
        if (renamed)
            cJSON_AddItemToArray(ch, cJSON_CreateString("renamed")), c->renamed++;
        if (retyped)
            cJSON_AddItemToArray(ch, cJSON_CreateString("retyped")), c->retyped++;
        if (reshaped)
            cJSON_AddItemToArray(ch, cJSON_CreateString("reshaped")), c->reshaped++;
        if (t->transposed)
            cJSON_AddItemToArray(ch, cJSON_CreateString("transposed")), c->transposed++;
        if (strcmp(content, "changed") == 0 || strcmp(content, "unknown") == 0)
            cJSON_AddItemToArray(ch, cJSON_CreateString(content));
        if (strcmp(content, "identical") == 0)
            c->identical++;
        else if (strcmp(content, "equal") == 0)
            c->equal++;
        else if (strcmp(content, "changed") == 0)
            c->changed++;
        else
            c->unknown++;
        cJSON_AddStringToObject(o, "pairing", slm_tpair_how_name(t->how));
        if (t->how == SLM_TP_CONTENT)
            out_add_metric(o, "pairing_correlation", t->score);
        if (t->xform != SLM_LX_NONE) /* llama.cpp's converter: undone before comparing, not a difference */
            cJSON_AddStringToObject(o, "transform", slm_llama_xform_name(t->xform));
    }
    if (t->note)
        cJSON_AddStringToObject(o, "transform", t->note);
    cJSON_AddItemToObject(o, "changes", ch);
    add_ab(o, "dtype", a ? cJSON_CreateString(slm_tensor_type_name(a)) : NULL,
           b ? cJSON_CreateString(slm_tensor_type_name(b)) : NULL);
    add_ab(o, "shape", a ? shape_json(a) : NULL, b ? shape_json(b) : NULL);
    if (t->hashed_a)
        slm_xxh128_fmt(t->ha, ha);
    if (t->hashed_b)
        slm_xxh128_fmt(t->hb, hb);
    add_ab(o, "xxh3_128", t->hashed_a ? cJSON_CreateString(ha) : NULL, t->hashed_b ? cJSON_CreateString(hb) : NULL);
    if (t->compared) {
        cJSON *v = cJSON_CreateObject();
        cJSON_AddNumberToObject(v, "n", (double)t->a->nelem);
        cJSON_AddNumberToObject(v, "differing", (double)t->differing);
        cJSON_AddItemToObject(o, "values", v);
    }
    if (t->compared && t->floats) {
        cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "values");
        cJSON_AddNumberToObject(v, "nonfinite", (double)t->m.nonfinite);
        out_add_metric(v, "max_abs_err", t->m.max_abs_err);
        out_add_metric(v, "mean_abs_err", t->m.mean_abs_err);
        out_add_metric(v, "rmse", t->m.rmse);
        out_add_metric(v, "ref_rms", t->m.ref_rms);
        out_add_metric(v, "rel_rmse", t->m.rel_rmse);
        out_add_metric(v, "cosine", t->m.cosine);
        out_add_metric(v, "sqnr_db", t->m.sqnr_db);
    }
    return o;
}

static cJSON *side_json(const char *path, const slm_model *m)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "path", path);
    cJSON_AddStringToObject(o, "format", slm_kind_name(m->kind));
    cJSON_AddNumberToObject(o, "tensors", (double)m->n);
    cJSON_AddNumberToObject(o, "parameters", (double)slm_model_params(m));
    cJSON_AddNumberToObject(o, "bytes", (double)slm_model_bytes(m));
    return o;
}

static cJSON *fact_value(const slm_fact *f)
{
    return f ? cJSON_Parse(f->value) : cJSON_CreateNull();
}

/* Facts that differ: {"key", "a", "b"} (null on the side that lacks it). */
static cJSON *facts_json(const slm_facts *fa, const slm_facts *fb, size_t *changed, size_t *added, size_t *removed)
{
    cJSON *arr = cJSON_CreateArray();
    size_t i = 0, j = 0;
    while (i < fa->n || j < fb->n) {
        int c = i == fa->n ? 1 : j == fb->n ? -1 : strcmp(fa->v[i].key, fb->v[j].key);
        const slm_fact *x = c <= 0 ? &fa->v[i] : NULL, *y = c >= 0 ? &fb->v[j] : NULL;
        i += c <= 0;
        j += c >= 0;
        if (x && y && strcmp(x->value, y->value) == 0)
            continue;
        (*(x && y ? changed : x ? removed : added))++;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "key", x ? x->key : y->key);
        cJSON_AddStringToObject(o, "in", x && y ? "both" : x ? "a" : "b");
        cJSON_AddItemToObject(o, "a", fact_value(x));
        cJSON_AddItemToObject(o, "b", fact_value(y));
        cJSON_AddItemToArray(arr, o);
    }
    return arr;
}

/* Listed order: removed, added, then pairs by A's name. */
static int tdiff_cmp(const void *x, const void *y)
{
    const slm_tdiff *a = x, *b = y;
    int ga = !a->b ? 0 : !a->a ? 1 : 2, gb = !b->b ? 0 : !b->a ? 1 : 2;
    if (ga != gb)
        return ga - gb;
    const char *na = a->a ? a->a->name : a->b->name, *nb = b->a ? b->a->name : b->b->name;
    return strcmp(na, nb);
}

/* Tensors of M that no entry of TD takes, by what they are: FLOATS float
 * tensors, the rest constants (integer, bool, ...); bytes of each. */
static cJSON *one_side_json(const slm_tdiffs *td, bool side_a)
{
    size_t nf = 0, nc = 0;
    uint64_t bf = 0, bc = 0;
    for (size_t i = 0; i < td->n; i++) {
        const slm_tdiff *t = &td->v[i];
        const slm_tensor *x = side_a ? t->a : t->b, *y = side_a ? t->b : t->a;
        if (!x || y || t->shared_with)
            continue;
        bool fl = slm_dtype_info_of(x->dtype)->kind == SLM_KIND_FLOAT && !t->quantized;
        (*(fl ? &nf : &nc))++;
        *(fl ? &bf : &bc) += x->nbytes;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "float_tensors", (double)nf);
    cJSON_AddNumberToObject(o, "float_bytes", (double)bf);
    cJSON_AddNumberToObject(o, "other_tensors", (double)nc);
    cJSON_AddNumberToObject(o, "other_bytes", (double)bc);
    return o;
}

static cJSON *build(const char *pa, const slm_model *a, const char *pb, const slm_model *b, const slm_tdiffs *td,
                    const slm_facts *fa, const slm_facts *fb, bool all)
{
    cJSON *doc = out_doc("diff"), *arr = cJSON_CreateArray();
    cJSON_AddItemToObject(doc, "a", side_json(pa, a));
    cJSON_AddItemToObject(doc, "b", side_json(pb, b));
    counts c;
    memset(&c, 0, sizeof c);
    for (size_t i = 0; i < td->n; i++) {
        const slm_tdiff *t = &td->v[i];
        cJSON *o = tensor_json(t, &c);
        if (all || !t->a || !t->b || !t->identical || strcmp(t->a->name, t->b->name) != 0)
            cJSON_AddItemToArray(arr, o);
        else
            cJSON_Delete(o);
    }
    size_t fc = 0, fadd = 0, frm = 0;
    cJSON *facts = facts_json(fa, fb, &fc, &fadd, &frm);
    cJSON *s = cJSON_CreateObject();
    cJSON_AddNumberToObject(s, "paired", (double)c.paired);
    for (int h = 0; h < SLM_TP__COUNT; h++) {
        char k[32];
        snprintf(k, sizeof k, "by_%s", slm_tpair_how_name((slm_tpair_how)h));
        cJSON_AddNumberToObject(s, k, (double)c.how[h]);
    }
    const struct {
        const char *k;
        size_t v;
    } nums[] = {{"identical", c.identical}, {"equal", c.equal},       {"changed", c.changed},
                {"unknown", c.unknown},     {"renamed", c.renamed},   {"retyped", c.retyped},
                {"reshaped", c.reshaped},   {"transposed", c.transposed}, {"added", c.added},
                {"removed", c.removed},     {"facts_changed", fc},    {"facts_added", fadd},
                {"facts_removed", frm},     {"shared", c.shared},     {"quantized", c.quantized}};
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++)
        cJSON_AddNumberToObject(s, nums[i].k, (double)nums[i].v);
    cJSON *q = cJSON_AddObjectToObject(s, "quantization");
    if (td->qside)
        cJSON_AddStringToObject(q, "side", td->qside == 'a' ? "a" : "b");
    else
        cJSON_AddNullToObject(q, "side");
    cJSON_AddNumberToObject(q, "weights", (double)td->nq);
    cJSON_AddNumberToObject(q, "weights_paired", (double)td->nq_paired);
    cJSON_AddNumberToObject(q, "weights_paired_earlier", (double)td->nq_earlier);
    cJSON_AddNumberToObject(q, "originals", (double)c.quantized);
    cJSON_AddNumberToObject(q, "kept", (double)c.paired);
    if (c.quantized)
        out_add_metric(q, "sqnr_db", c.q_err2 > 0 ? 10 * log10(c.q_ref2 / c.q_err2) : INFINITY);
    if (c.quantized)
        out_add_metric(q, "rel_rmse", c.q_ref2 > 0 ? sqrt(c.q_err2 / c.q_ref2) : NAN);
    cJSON_AddItemToObject(s, "only_in_a", one_side_json(td, true));
    cJSON_AddItemToObject(s, "only_in_b", one_side_json(td, false));
    bool same = c.identical == c.paired && !c.how[SLM_TP_FUSED] && !c.added && !c.removed && !c.renamed && !c.quantized && !c.shared && !fc &&
                !fadd && !frm;
    cJSON_AddBoolToObject(doc, "same", same);
    cJSON_AddItemToObject(doc, "summary", s);
    cJSON_AddItemToObject(doc, "tensors", arr);
    cJSON_AddItemToObject(doc, "facts", facts);
    return doc;
}

/* ---- text ------------------------------------------------------------------------- */

/* Tensors and facts listed in text before "N more (--all, or --json)". */
enum { DIFF_SHOW = 20 };

static void print_side(const char *mark, const cJSON *s)
{
    char b1[32], b2[32];
    printf("%s %s (%s, %.0f tensors, %s parameters, %s)\n", mark, out_jstr(s, "path"), out_jstr(s, "format"),
           out_jnum(s, "tensors"), slm_fmt_count(b1, sizeof b1, (uint64_t)out_jnum(s, "parameters")),
           slm_fmt_bytes(b2, sizeof b2, (uint64_t)out_jnum(s, "bytes")));
}

static const char *ab_str(const cJSON *o, const char *key, const char *side, char *buf, size_t n)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, key), side);
    if (cJSON_IsString(v))
        return v->valuestring;
    if (cJSON_IsArray(v)) { /* a shape */
        size_t k = (size_t)snprintf(buf, n, "[");
        const cJSON *e;
        bool first = true;
        cJSON_ArrayForEach(e, v) {
            if (k < n)
                k += (size_t)snprintf(buf + k, n - k, "%s%.0f", first ? "" : ", ", e->valuedouble);
            first = false;
        }
        if (k < n)
            snprintf(buf + k, n - k, "]");
        return buf;
    }
    return "-";
}

static bool has_change(const cJSON *t, const char *what)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(t, "changes")) if (strcmp(e->valuestring, what) == 0) return true;
    return false;
}

static void print_values(const cJSON *v)
{
    if (!cJSON_GetObjectItemCaseSensitive(v, "rel_rmse")) {
        printf("%.0f of %.0f values differ", out_jnum(v, "differing"), out_jnum(v, "n"));
        return;
    }
    printf("max|e| %.3g  rel RMSE %.3g  cosine %.8f", out_jnum(v, "max_abs_err"), out_jnum(v, "rel_rmse"), out_jnum(v, "cosine"));
}

/* "MatMulNBits 4-bit, block 32" */
static void print_qformat(const cJSON *q)
{
    printf("%s %.0f-bit, block %.0f", out_jstr(q, "format"), out_jnum(q, "bits"), out_jnum(q, "block_size"));
}

static void print_quantized(const cJSON *t, int w)
{
    const cJSON *q = cJSON_GetObjectItemCaseSensitive(t, "quantization");
    const char *a = out_jstr(t, "a"), *b = out_jstr(t, "b");
    bool qa = strcmp(out_jstr(q, "side"), "a") == 0;
    if (!a || !b) {
        printf("  %s %-*s  quantized (", a ? "-" : "+", w, a ? a : b);
        print_qformat(q);
        printf("), no original on the other side\n");
        return;
    }
    const cJSON *rows = cJSON_GetObjectItemCaseSensitive(q, "rows");
    char part[64] = "";
    if (out_jnum(q, "N") != cJSON_GetArrayItem(rows, 1)->valuedouble - cJSON_GetArrayItem(rows, 0)->valuedouble)
        snprintf(part, sizeof part, "[%.0f:%.0f]", cJSON_GetArrayItem(rows, 0)->valuedouble,
                 cJSON_GetArrayItem(rows, 1)->valuedouble);
    /* the original first: A -> B reads "quantized into" or "quantized from" */
    printf("  q %s -> %s%s (", qa ? b : a, qa ? a : b, part);
    print_qformat(q);
    const cJSON *xf = cJSON_GetObjectItemCaseSensitive(q, "transform");
    printf(", paired by %s%s%s)  SQNR %.2f dB  rel RMSE %.4g  cosine %.6f\n", out_jstr(q, "pairing"), xf ? "; " : "",
           xf ? out_jstr(q, "transform") : "", out_jnum(q, "sqnr_db"), out_jnum(q, "rel_rmse"), out_jnum(q, "cosine"));
}

static void print_tensor(const cJSON *t, int w)
{
    char s1[128], s2[128];
    const char *a = out_jstr(t, "a"), *b = out_jstr(t, "b");
    if (cJSON_GetObjectItemCaseSensitive(t, "quantization")) {
        print_quantized(t, w);
        return;
    }
    if (out_jstr(t, "shared_with")) {
        bool in_a = out_jstr(t, "shared_side") && strcmp(out_jstr(t, "shared_side"), "a") == 0;
        printf("  = %s -> %s (same bytes as %s's %s, paired with it: %s keeps one tensor for both)\n", a, b,
               in_a ? "A" : "B", out_jstr(t, "shared_with"), in_a ? "B" : "A");
        return;
    }
    if (!b) {
        printf("  - %-*s  %s %s%s%s\n", w, a, ab_str(t, "dtype", "a", s1, sizeof s1), ab_str(t, "shape", "a", s2, sizeof s2),
               cJSON_GetObjectItemCaseSensitive(t, "transform") ? "  " : "",
               cJSON_GetObjectItemCaseSensitive(t, "transform") ? out_jstr(t, "transform") : "");
        return;
    }
    if (!a) {
        printf("  + %-*s  %s %s\n", w, b, ab_str(t, "dtype", "b", s1, sizeof s1), ab_str(t, "shape", "b", s2, sizeof s2));
        return;
    }
    const cJSON *fr = cJSON_GetObjectItemCaseSensitive(t, "fused_rows");
    const char *xf = cJSON_GetObjectItemCaseSensitive(t, "transform") ? out_jstr(t, "transform") : NULL;
    if (fr)
        printf("  ~ %s -> %s[%.0f:%.0f] (a part of a fused tensor)", a, b, cJSON_GetArrayItem(fr, 0)->valuedouble,
               cJSON_GetArrayItem(fr, 1)->valuedouble);
    else if (has_change(t, "renamed"))
        printf("  ~ %s -> %s (paired by %s%s%s)", a, b, out_jstr(t, "pairing"), xf ? "; " : "", xf ? xf : "");
    else
        printf("  ~ %-*s", w, a);
    if (has_change(t, "retyped"))
        printf("  %s -> %s", ab_str(t, "dtype", "a", s1, sizeof s1), ab_str(t, "dtype", "b", s2, sizeof s2));
    if (has_change(t, "reshaped") || has_change(t, "transposed"))
        printf("  %s -> %s%s", ab_str(t, "shape", "a", s1, sizeof s1), ab_str(t, "shape", "b", s2, sizeof s2),
               has_change(t, "transposed") ? " (transposed)" : "");
    const char *content = out_jstr(t, "content");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(t, "values");
    if (strcmp(content, "changed") == 0 && v) {
        printf("  ");
        print_values(v);
    } else if (strcmp(content, "equal") == 0)
        printf("  values equal");
    else
        printf("  content %s", content);
    printf("\n");
}

static bool has_metrics(const cJSON *t)
{
    return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(t, "values"), "rel_rmse") != NULL;
}

static int by_rel_rmse(const void *x, const void *y)
{
    const cJSON *a = *(const cJSON *const *)x, *b = *(const cJSON *const *)y;
    double ra = out_jnum(cJSON_GetObjectItemCaseSensitive(a, "values"), "rel_rmse"),
           rb = out_jnum(cJSON_GetObjectItemCaseSensitive(b, "values"), "rel_rmse");
    if (isnan(ra) != isnan(rb))
        return isnan(ra) ? 1 : -1;
    return ra < rb ? 1 : ra > rb ? -1 : strcmp(out_jstr(a, "a"), out_jstr(b, "a"));
}

static void print_text(const cJSON *doc, int top)
{
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc, "same")))
        return;
    print_side("---", cJSON_GetObjectItemCaseSensitive(doc, "a"));
    print_side("+++", cJSON_GetObjectItemCaseSensitive(doc, "b"));
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(doc, "summary");
    printf("\ntensors: %.0f paired (%.0f by name, %.0f by name behind a prefix, %.0f by identical bytes, %.0f by "
           "content",
           out_jnum(s, "paired"), out_jnum(s, "by_name"), out_jnum(s, "by_suffix"), out_jnum(s, "by_hash"), out_jnum(s, "by_content"));
    if (out_jnum(s, "by_fused"))
        printf(", %.0f as parts of a fused tensor", out_jnum(s, "by_fused"));
    if (out_jnum(s, "by_llama"))
        printf(", %.0f by llama.cpp's names", out_jnum(s, "by_llama"));
    printf("), %.0f removed, %.0f added\n", out_jnum(s, "removed"), out_jnum(s, "added"));
    printf("content: %.0f identical, %.0f equal values in other bytes, %.0f changed, %.0f not comparable; "
           "%.0f renamed, %.0f re-typed, %.0f re-shaped, %.0f transposed\n",
           out_jnum(s, "identical"), out_jnum(s, "equal"), out_jnum(s, "changed"), out_jnum(s, "unknown"), out_jnum(s, "renamed"),
           out_jnum(s, "retyped"), out_jnum(s, "reshaped"), out_jnum(s, "transposed"));
    const cJSON *q = cJSON_GetObjectItemCaseSensitive(s, "quantization");
    const char *qs = out_jstr(q, "side");
    if (qs) {
        bool qa = strcmp(qs, "a") == 0;
        printf("quantization: %.0f tensors of %s quantized in %s (%.0f of %s's %.0f quantized weights paired with their "
               "originals",
               out_jnum(q, "originals"), qa ? "B" : "A", qa ? "A" : "B", out_jnum(q, "weights_paired"), qa ? "A" : "B",
               out_jnum(q, "weights"));
        if (out_jnum(q, "weights_paired_earlier") > 0)
            printf(", %.0f of them by llama.cpp's names: listed as pairs, dequantized", out_jnum(q, "weights_paired_earlier"));
        printf(")");
        if (out_jnum(q, "originals") > 0)
            printf(", SQNR %.2f dB, rel RMSE %.4g", out_jnum(q, "sqnr_db"), out_jnum(q, "rel_rmse"));
        printf("; %.0f kept\n", out_jnum(q, "kept"));
    }
    if (out_jnum(s, "shared"))
        printf("shared: %.0f tensors hold the same bytes as a paired tensor of their side; the other side keeps one for "
               "both\n", out_jnum(s, "shared"));
    for (int side = 0; side < 2; side++) {
        const cJSON *o = cJSON_GetObjectItemCaseSensitive(s, side ? "only_in_b" : "only_in_a");
        char b1[32], b2[32];
        if (out_jnum(o, "float_tensors") + out_jnum(o, "other_tensors") > 0)
            printf("only in %s: %.0f float tensors (%s), %.0f other (%s: integer and bool constants, quantized weights "
                   "without an original)\n", side ? "B" : "A", out_jnum(o, "float_tensors"),
                   slm_fmt_bytes(b1, sizeof b1, (uint64_t)out_jnum(o, "float_bytes")), out_jnum(o, "other_tensors"),
                   slm_fmt_bytes(b2, sizeof b2, (uint64_t)out_jnum(o, "other_bytes")));
    }
    printf("facts: %.0f changed, %.0f only in A, %.0f only in B\n", out_jnum(s, "facts_changed"),
           out_jnum(s, "facts_removed"), out_jnum(s, "facts_added"));

    const cJSON *tensors = cJSON_GetObjectItemCaseSensitive(doc, "tensors"), *t;
    size_t n = 0, k = 0;
    cJSON_ArrayForEach(t, tensors) n += has_metrics(t) && strcmp(out_jstr(t, "content"), "changed") == 0;
    const cJSON **worst = n ? malloc(n * sizeof *worst) : NULL;
    cJSON_ArrayForEach(t, tensors) if (worst && has_metrics(t) && strcmp(out_jstr(t, "content"), "changed") == 0)
        worst[k++] = t;
    if (worst && k) {
        qsort(worst, k, sizeof *worst, by_rel_rmse);
        printf("\nlargest value changes (e = B - A):\n");
        for (size_t i = 0; i < k && (int)i < top; i++) {
            printf("  %-44s ", out_jstr(worst[i], "a"));
            print_values(cJSON_GetObjectItemCaseSensitive(worst[i], "values"));
            printf("\n");
        }
        if ((int)k > top)
            printf("  ... %zu more\n", k - (size_t)top);
    }
    free(worst);
    if (cJSON_GetArraySize(tensors)) {
        printf("\ntensors (- only in A, + only in B, ~ changed, q quantized, = shared):\n");
        int w = 0;
        cJSON_ArrayForEach(t, tensors) {
            const char *nm = out_jstr(t, "a") ? out_jstr(t, "a") : out_jstr(t, "b");
            if ((int)strlen(nm) > w)
                w = (int)strlen(nm) > 48 ? 48 : (int)strlen(nm);
        }
        int shown = 0, all = cJSON_GetArraySize(tensors);
        cJSON_ArrayForEach(t, tensors) {
            if (shown++ == DIFF_SHOW && !out_show_all())
                break;
            print_tensor(t, w);
        }
        if (all > DIFF_SHOW && !out_show_all())
            printf("  ... %d more (--all, or --json)\n", all - DIFF_SHOW);
    }
    const cJSON *facts = cJSON_GetObjectItemCaseSensitive(doc, "facts"), *f;
    if (cJSON_GetArraySize(facts)) {
        printf("\nfacts:\n");
        int shown = 0, all = cJSON_GetArraySize(facts);
        cJSON_ArrayForEach(f, facts) {
            if (shown++ == DIFF_SHOW && !out_show_all()) {
                printf("  ... %d more (--all, or --json)\n", all - DIFF_SHOW);
                break;
            }
            const cJSON *a = cJSON_GetObjectItemCaseSensitive(f, "a"), *b = cJSON_GetObjectItemCaseSensitive(f, "b");
            char *sa = cJSON_PrintUnformatted(a), *sb = cJSON_PrintUnformatted(b);
            const char *in = out_jstr(f, "in");
            if (strcmp(in, "b") == 0)
                printf("  + %s: %s\n", out_jstr(f, "key"), sb);
            else if (strcmp(in, "a") == 0)
                printf("  - %s: %s\n", out_jstr(f, "key"), sa);
            else
                printf("  ~ %s: %s -> %s\n", out_jstr(f, "key"), sa, sb);
            free(sa);
            free(sb);
        }
    }
}

/* ---- --diffable ----------------------------------------------------------------- */

typedef struct lines {
    char **v;
    size_t n, cap;
} lines;

static void line_add(lines *l, char *s)
{
    if (!s)
        return;
    if (l->n == l->cap) {
        size_t c = l->cap ? 2 * l->cap : 256;
        char **v = realloc(l->v, c * sizeof *v);
        if (!v) {
            free(s);
            return;
        }
        l->v = v;
        l->cap = c;
    }
    l->v[l->n++] = s;
}

static int line_cmp(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

/* The listing of M: facts, then tensors by name; sorted, no offsets. */
static void listing(const slm_model *m, const slm_facts *f, lines *l)
{
    for (size_t i = 0; i < f->n; i++)
        line_add(l, slm_strdupf("%s = %s", f->v[i].key, f->v[i].value));
    for (size_t i = 0; i < m->n; i++) {
        const slm_tensor *t = &m->t[i];
        char sh[256], hx[33] = "unreadable";
        XXH128_hash_t h;
        if (slm_tensor_hash(t, &h))
            slm_xxh128_fmt(h, hx);
        line_add(l, slm_strdupf("tensor %s %s %s xxh3:%s", t->name, slm_tensor_type_name(t),
                                slm_fmt_shape(sh, sizeof sh, t->shape, t->ndim), hx));
    }
    qsort(l->v, l->n, sizeof *l->v, line_cmp);
}

static void lines_free(lines *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
}

/* Lines of A not in B ("- ") and of B not in A ("+ "), in sorted order.
 * Returns the number printed. */
static size_t print_line_diff(const lines *a, const lines *b, bool quiet)
{
    size_t i = 0, j = 0, n = 0;
    while (i < a->n || j < b->n) {
        int c = i == a->n ? 1 : j == b->n ? -1 : strcmp(a->v[i], b->v[j]);
        if (c == 0) {
            i++, j++;
            continue;
        }
        if (!quiet)
            printf("%s %s\n", c < 0 ? "-" : "+", c < 0 ? a->v[i] : b->v[j]);
        c < 0 ? i++ : j++;
        n++;
    }
    return n;
}

/* ---- the command --------------------------------------------------------------- */

/* Keeps the findings at FAIL_AT or above, each once ('verify' lists the
 * rest; A and B may be the same file). */
static void keep_failing(slm_diag *d, slm_severity fail_at)
{
    slm_diag k;
    slm_diag_init(&k);
    slm_diag_sort(d);
    for (size_t i = 0; i < d->n; i++) {
        const slm_finding *f = &d->v[i], *p = i ? &d->v[i - 1] : NULL;
        bool repeat = p && p->rule == f->rule && p->offset == f->offset && strcmp(p->file ? p->file : "", f->file ? f->file : "") == 0 &&
                      strcmp(p->message ? p->message : "", f->message ? f->message : "") == 0;
        if (f->severity >= fail_at && !repeat)
            slm_report(&k, f->rule, f->file, f->offset, f->path, "%s", f->message ? f->message : "");
    }
    slm_diag_free(d);
    *d = k;
}

static int open_side(slm_model *m, const char *path, slm_diag *d)
{
    int e = slm_model_open(m, path, d);
    if (e)
        fprintf(stderr, "slminspect diff: %s: %s\n", path,
                e == ENOTSUP ? "holds no weights slminspect reads" : strerror(e));
    return e;
}

int cmd_diff(int argc, char **argv)
{
    enum { O_DIFFABLE = 256, O_ALL, O_TOP };
    static const struct option opts[] = {
        OUT_LONG_OPTIONS,
        {"diffable", no_argument, 0, O_DIFFABLE}, {"all", no_argument, 0, O_ALL},
        {"top", required_argument, 0, O_TOP},     {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    bool diffable = false, all = false;
    out_opts oo;
    out_opts_init(&oo);
    long top = 10;
    int c, r;
    optind = 1;
    while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
        switch (c) {
        case O_DIFFABLE: diffable = true; break;
        case O_ALL:
        case OUT_O_ALL: all = true; out_set_show_all(true); break;
        case O_TOP:
            if (!out_parse_long(optarg, 0, 1000000, &top))
                return usage_error("diff", "--top takes a count, not '%s'", optarg);
            break;
        case 'h': help(); return 0;
        default:
            if ((r = out_parse_opt(&oo, c, optarg, "diff")) != 0)
                return r > 0 ? r : usage_error("diff", "unknown option");
        }
    }
    if (oo.format == OUT_SARIF)
        return usage_error("diff", "--format takes text or json: a comparison is no list of findings");
    const bool quiet = oo.quiet;
    const int fmt = oo.format, fail_at = oo.fail_at;
    int npaths = argc - optind;
    if (!(npaths == 2 || (diffable && npaths == 1)))
        return usage_error("diff", diffable ? "--diffable takes one PATH or two" : "two paths, A and B, not %d",
                           npaths);
    if (diffable && fmt != OUT_TEXT)
        return usage_error("diff", "--diffable is a text listing; it does not combine with --json");
    const char *pa = argv[optind], *pb = npaths == 2 ? argv[optind + 1] : NULL;

    slm_diag d;
    slm_diag_init(&d);
    slm_model a, b;
    memset(&b, 0, sizeof b);
    int rc = EXIT_USAGE;
    slm_facts fa = {0}, fb = {0};
    if (open_side(&a, pa, &d) != 0)
        goto out;
    if (pb && open_side(&b, pb, &d) != 0)
        goto out_a;
    keep_failing(&d, (slm_severity)fail_at);
    if (slm_model_facts(&a, &fa) != 0 || (pb && slm_model_facts(&b, &fb) != 0)) {
        fprintf(stderr, "slminspect diff: out of memory\n");
        goto out_b;
    }
    slm_diag_sort(&d);
    bool failing = slm_diag_count_at_least(&d, (slm_severity)fail_at) > 0;
    if (diffable) {
        lines la = {0}, lb = {0};
        listing(&a, &fa, &la);
        if (pb) {
            listing(&b, &fb, &lb);
            rc = print_line_diff(&la, &lb, quiet) ? EXIT_FINDINGS : EXIT_CLEAN;
        } else {
            for (size_t i = 0; i < la.n && !quiet; i++)
                printf("%s\n", la.v[i]);
            rc = EXIT_CLEAN;
        }
        lines_free(&la);
        lines_free(&lb);
        if (failing)
            rc = EXIT_FINDINGS;
        goto out_b;
    }
    progress pg;
    progress_init(&pg, fmt == OUT_TEXT && !quiet);
    slm_tdiffs td;
    int e = slm_diff_tensors(&a, &b, progress_cb, &pg, &td);
    progress_end(&pg);
    if (e) {
        fprintf(stderr, "slminspect diff: out of memory\n");
        goto out_b;
    }
    if (td.n)
        qsort(td.v, td.n, sizeof *td.v, tdiff_cmp);
    cJSON *doc = build(pa, &a, pb, &b, &td, &fa, &fb, all);
    slm_tdiffs_free(&td);
    bool same = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc, "same"));
    slm_report_add(doc, &d);
    if (fmt == OUT_JSON) {
        if (!quiet)
            out_print_json(doc);
        else
            cJSON_Delete(doc);
    } else {
        if (!quiet) {
            print_text(doc, (int)top);
            if (d.n) {
                printf("\nfindings on opening A and B ('slminspect verify' lists every rule):\n");
                out_findings_text(stdout, &d);
            }
        }
        cJSON_Delete(doc);
    }
    rc = !same || failing ? EXIT_FINDINGS : EXIT_CLEAN;
out_b:
    slm_facts_free(&fa);
    slm_facts_free(&fb);
    if (pb)
        slm_model_close(&b);
out_a:
    slm_model_close(&a);
out:
    slm_diag_free(&d);
    return rc;
}

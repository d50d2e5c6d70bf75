/* inspect: GGUF files (llama.cpp / ggml).  Metadata only: the tensor data
 * are not read (but with --stats, for the plain float types). */
#include "inspect.h"

#include <stdlib.h>
#include <string.h>


static double num(const cJSON *o, const char *k)
{
    return out_jnum_or(o, k, -1);
}

/* A string value as JSON text (printable, cut at 200 bytes). */
static void add_str(cJSON *o, const char *name, const slm_gguf_kv *kv)
{
    slm_gguf_str s;
    char b[208];
    if (slm_gguf_kv_str(kv, &s))
        cJSON_AddStringToObject(o, name, slm_printable(b, sizeof b, s.p, (size_t)(s.n > 4096 ? 4096 : s.n)));
}

/* {arch}.KEY as a number, under NAME in O. */
static void add_arch_num(cJSON *o, const slm_gguf *g, const char *arch, const char *key, const char *name)
{
    char *k = slm_strdupf("%s.%s", arch, key);
    double v;
    if (k && slm_gguf_kv_f64(slm_gguf_find(g, k), &v))
        cJSON_AddNumberToObject(o, name, v);
    free(k);
}

static cJSON *tensor_json(const slm_gguf *g, const slm_gguf_tensor *t)
{
    cJSON *o = cJSON_CreateObject();
    const slm_ggml_type *ty = slm_ggml_type_get(t->type);
    cJSON_AddStringToObject(o, "name", t->name);
    cJSON_AddStringToObject(o, "type", ty ? ty->name : "?");
    cJSON *ne = cJSON_AddArrayToObject(o, "ne");
    cJSON *sh = cJSON_AddArrayToObject(o, "shape");
    for (uint32_t i = 0; i < t->n_dims && i < SLM_GGUF_MAX_DIMS; i++) {
        cJSON_AddItemToArray(ne, cJSON_CreateNumber((double)t->ne[i]));
        cJSON_AddItemToArray(sh, cJSON_CreateNumber((double)t->shape[i]));
    }
    cJSON_AddNumberToObject(o, "parameters", (double)t->nelem);
    cJSON_AddNumberToObject(o, "bytes", (double)t->nbytes);
    cJSON_AddNumberToObject(o, "offset", (double)t->offset);
    (void)g;
    return o;
}

static int by_bytes_desc(const void *a, const void *b)
{
    const slm_gguf_tensor *x = *(const slm_gguf_tensor *const *)a, *y = *(const slm_gguf_tensor *const *)b;
    if (x->nbytes != y->nbytes)
        return x->nbytes > y->nbytes ? -1 : 1;
    return strcmp(x->name, y->name);
}

static void add_types(cJSON *doc, const slm_gguf *g)
{
    uint64_t n[SLM_GGML_TYPE_COUNT] = {0}, p[SLM_GGML_TYPE_COUNT] = {0}, b[SLM_GGML_TYPE_COUNT] = {0};
    for (size_t i = 0; i < g->nt; i++)
        if (g->t[i].ok) {
            n[g->t[i].type]++;
            p[g->t[i].type] += g->t[i].nelem;
            b[g->t[i].type] += g->t[i].nbytes;
        }
    cJSON *bt = cJSON_AddArrayToObject(doc, "by_type");
    char mix[512] = "";
    bool used[SLM_GGML_TYPE_COUNT] = {0};
    for (;;) { /* by tensor count, most first: the quantization mix */
        int best = -1;
        for (int k = 0; k < SLM_GGML_TYPE_COUNT; k++)
            if (n[k] && !used[k] && (best < 0 || n[k] > n[best]))
                best = k;
        if (best < 0)
            break;
        used[best] = true;
        const char *name = slm_ggml_type_get((uint32_t)best)->name;
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "type", name);
        cJSON_AddNumberToObject(e, "tensors", (double)n[best]);
        cJSON_AddNumberToObject(e, "parameters", (double)p[best]);
        cJSON_AddNumberToObject(e, "bytes", (double)b[best]);
        cJSON_AddNumberToObject(e, "bits_per_weight", p[best] ? 8.0 * (double)b[best] / (double)p[best] : 0);
        cJSON_AddItemToArray(bt, e);
        size_t l = strlen(mix);
        snprintf(mix + l, sizeof mix - l, "%s%s %llu%s", l ? ", " : "", name, (unsigned long long)n[best],
                 l ? "" : " tensors");
    }
    cJSON_AddStringToObject(doc, "quantization_mix", mix);
}

cJSON *inspect_gguf(const char *path, const inspect_opts *o, slm_diag *d, int *err)
{
    slm_model m;
    *err = slm_model_open(&m, path, d);
    if (*err || !m.gguf) {
        slm_model_close(&m);
        return NULL;
    }
    const slm_gguf *g = m.gguf;
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "path", path);
    cJSON_AddStringToObject(doc, "kind", slm_kind_name(SLM_KIND_GGUF));
    cJSON_AddNumberToObject(doc, "version", g->version);
    cJSON_AddBoolToObject(doc, "valid", g->valid);
    cJSON_AddNumberToObject(doc, "file_bytes", (double)g->map.size);
    cJSON_AddNumberToObject(doc, "alignment", (double)g->alignment);
    cJSON_AddNumberToObject(doc, "data_offset", (double)g->data_offset);
    cJSON_AddNumberToObject(doc, "metadata_keys", (double)g->nkv);
    add_str(doc, "architecture", slm_gguf_find(g, "general.architecture"));
    add_str(doc, "name", slm_gguf_find(g, "general.name"));
    uint64_t v;
    if (slm_gguf_kv_u64(slm_gguf_find(g, "general.file_type"), &v)) {
        cJSON_AddNumberToObject(doc, "file_type", (double)v);
        const char *fn = slm_gguf_ftype_name(v);
        if (fn)
            cJSON_AddStringToObject(doc, "file_type_name", fn);
    }
    if (slm_gguf_kv_u64(slm_gguf_find(g, "general.quantization_version"), &v))
        cJSON_AddNumberToObject(doc, "quantization_version", (double)v);
    const cJSON *arch = cJSON_GetObjectItemCaseSensitive(doc, "architecture");
    cJSON *facts = cJSON_AddObjectToObject(doc, "facts");
    if (cJSON_IsString(arch)) {
        static const char *const K[][2] = {
            {"context_length", "context_length"}, {"embedding_length", "embedding_length"},
            {"block_count", "block_count"}, {"feed_forward_length", "feed_forward_length"},
            {"attention.head_count", "head_count"}, {"attention.head_count_kv", "head_count_kv"},
            {"attention.key_length", "head_dim"}, {"attention.layer_norm_rms_epsilon", "rms_norm_eps"},
            {"rope.freq_base", "rope_freq_base"}, {"attention.sliding_window", "sliding_window"},
        };
        for (size_t i = 0; i < sizeof K / sizeof K[0]; i++)
            add_arch_num(facts, g, arch->valuestring, K[i][0], K[i][1]);
    }
    cJSON *tok = cJSON_AddObjectToObject(doc, "tokenizer");
    add_str(tok, "model", slm_gguf_find(g, "tokenizer.ggml.model"));
    add_str(tok, "pre", slm_gguf_find(g, "tokenizer.ggml.pre"));
    const slm_gguf_kv *tokens = slm_gguf_find(g, "tokenizer.ggml.tokens");
    if (tokens && tokens->is_array)
        cJSON_AddNumberToObject(tok, "vocab_size", (double)tokens->n);
    cJSON_AddBoolToObject(tok, "chat_template", slm_gguf_find(g, "tokenizer.chat_template") != NULL);
    cJSON_AddNumberToObject(doc, "tensor_count", (double)g->nt);
    cJSON_AddNumberToObject(doc, "parameters", (double)slm_model_params(&m));
    cJSON_AddNumberToObject(doc, "bytes", (double)slm_model_bytes(&m));
    add_types(doc, g);
    const slm_gguf_tensor **order = malloc((g->nt ? g->nt : 1) * sizeof *order);
    cJSON *largest = cJSON_AddArrayToObject(doc, "largest");
    if (order) {
        for (size_t i = 0; i < g->nt; i++)
            order[i] = &g->t[i];
        qsort(order, g->nt, sizeof *order, by_bytes_desc);
        for (size_t i = 0; i < g->nt && i < 5; i++)
            cJSON_AddItemToArray(largest, tensor_json(g, order[i]));
        free(order);
    }
    cJSON *ts = cJSON_AddArrayToObject(doc, "tensors");
    for (size_t i = 0; i < g->nt; i++) {
        cJSON *t = tensor_json(g, &g->t[i]);
        const slm_tensor *view = o->stats ? slm_model_find(&m, g->t[i].name) : NULL;
        if (view && view->dtype != SLM_DT_INVALID) { /* the stats of the safetensors inspector */
            cJSON *full = inspect_tensor_json(view, true);
            cJSON *st = cJSON_DetachItemFromObject(full, "stats");
            if (st)
                cJSON_AddItemToObject(t, "stats", st);
            cJSON_Delete(full);
        }
        cJSON_AddItemToArray(ts, t);
    }
    slm_model_close(&m);
    return doc;
}

static void print_tensor(const cJSON *t, int w)
{
    char shp[96] = "[", b[32];
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(t, "shape"))
    {
        size_t l = strlen(shp);
        snprintf(shp + l, sizeof shp - l, "%s%.0f", l > 1 ? ", " : "", e->valuedouble);
    }
    strncat(shp, "]", sizeof shp - strlen(shp) - 1);
    printf("    %-*s  %-7s %-16s @%-12.0f %10s\n", w, out_jtext(t, "name"), out_jtext(t, "type"), shp, num(t, "offset"),
           slm_fmt_bytes(b, sizeof b, (uint64_t)num(t, "bytes")));
}

void inspect_print_gguf(const cJSON *doc, const inspect_opts *o)
{
    char b1[32], b2[32], b3[32];
    printf("%s\n", out_jtext(doc, "path"));
    printf("  GGUF v%.0f%s, %s", num(doc, "version"), cJSON_IsTrue(cJSON_GetObjectItem(doc, "valid")) ? "" : " (ggml rejects it)",
           *out_jtext(doc, "architecture") ? out_jtext(doc, "architecture") : "no architecture");
    if (*out_jtext(doc, "name"))
        printf(" \"%s\"", out_jtext(doc, "name"));
    if (*out_jtext(doc, "file_type_name"))
        printf(", %s (file_type %.0f)", out_jtext(doc, "file_type_name"), num(doc, "file_type"));
    else if (num(doc, "file_type") >= 0)
        printf(", file_type %.0f", num(doc, "file_type"));
    if (num(doc, "quantization_version") >= 0)
        printf(", quantization version %.0f", num(doc, "quantization_version"));
    printf(", alignment %.0f\n", num(doc, "alignment"));
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(doc, "facts"), *e;
    if (cJSON_GetArraySize(f)) {
        printf("  facts:");
        bool first = true;
        cJSON_ArrayForEach(e, f)
        {
            printf("%s %s %.8g", first ? "" : ",", e->string, e->valuedouble);
            first = false;
        }
        printf("\n");
    }
    const cJSON *tok = cJSON_GetObjectItemCaseSensitive(doc, "tokenizer");
    if (*out_jtext(tok, "model") || num(tok, "vocab_size") >= 0)
        printf("  tokenizer: %s%s%s, %.0f tokens%s\n", *out_jtext(tok, "model") ? out_jtext(tok, "model") : "?",
               *out_jtext(tok, "pre") ? " / " : "", out_jtext(tok, "pre"),
               num(tok, "vocab_size") < 0 ? 0 : num(tok, "vocab_size"),
               cJSON_IsTrue(cJSON_GetObjectItem(tok, "chat_template")) ? ", chat template" : "");
    printf("  tensors: %.0f, %s parameters, %s (data from byte %.0f of %s)\n", num(doc, "tensor_count"),
           slm_fmt_count(b1, sizeof b1, (uint64_t)num(doc, "parameters")), slm_fmt_bytes(b2, sizeof b2, (uint64_t)num(doc, "bytes")),
           num(doc, "data_offset"), slm_fmt_bytes(b3, sizeof b3, (uint64_t)num(doc, "file_bytes")));
    printf("  mix: %s\n", out_jtext(doc, "quantization_mix"));
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(doc, "by_type"))
    {
        printf("    %-8s %5.0f tensors %10s parameters %10s  %.2f bits/weight\n", out_jtext(e, "type"),
               num(e, "tensors"),
               slm_fmt_count(b1, sizeof b1, (uint64_t)num(e, "parameters")), slm_fmt_bytes(b2, sizeof b2, (uint64_t)num(e, "bytes")),
               num(e, "bits_per_weight"));
    }
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(doc, o->tensors ? "tensors" : "largest");
    int w = 0;
    cJSON_ArrayForEach(e, list)
    {
        int l = (int)strlen(out_jtext(e, "name"));
        if (l > w)
            w = l < 60 ? l : 60;
    }
    printf("  %s\n", o->tensors ? "tensors (type, shape, file offset, bytes)" : "largest");
    cJSON_ArrayForEach(e, list)
    print_tensor(e, w);
}

/* inspect: MLC / WebLLM weight folders (tensor cache, shards, chat config). */
#include "inspect.h"

#include <string.h>


static double num(const cJSON *o, const char *k)
{
    return out_jnum_or(o, k, -1);
}

cJSON *inspect_mlc(const char *path, const inspect_opts *o, slm_diag *d, int *err)
{
    slm_model m;
    *err = slm_model_open(&m, path, d);
    if (*err || !m.mlc) {
        slm_model_close(&m);
        return NULL;
    }
    const slm_mlc *x = m.mlc;
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "path", path);
    cJSON_AddStringToObject(doc, "kind", slm_kind_name(SLM_KIND_MLC_CACHE));
    cJSON_AddStringToObject(doc, "cache", x->file);
    cJSON *sh = cJSON_AddArrayToObject(doc, "shards");
    for (size_t i = 0; i < x->ns; i++) {
        cJSON *s = cJSON_CreateObject();
        cJSON_AddStringToObject(s, "data_path", x->s[i].data_path ? x->s[i].data_path : "");
        cJSON_AddNumberToObject(s, "nbytes", (double)x->s[i].nbytes);
        cJSON_AddBoolToObject(s, "present", x->s[i].present);
        if (x->s[i].present)
            cJSON_AddNumberToObject(s, "file_bytes", (double)x->s[i].map.size);
        if (x->s[i].has_md5)
            cJSON_AddStringToObject(s, "md5sum", x->s[i].md5);
        cJSON_AddItemToArray(sh, s);
    }
    if (x->has_param_size)
        cJSON_AddNumberToObject(doc, "metadata_param_size", (double)x->param_size);
    if (x->has_param_bytes)
        cJSON_AddNumberToObject(doc, "metadata_param_bytes", x->param_bytes);
    cJSON_AddNumberToObject(doc, "tensor_count", (double)m.n);
    cJSON_AddNumberToObject(doc, "parameters", (double)slm_model_params(&m));
    cJSON_AddNumberToObject(doc, "bytes", (double)slm_model_bytes(&m));
    if (x->cfg.parsed) {
        const slm_mlc_config *c = &x->cfg;
        cJSON *cf = cJSON_AddObjectToObject(doc, "chat_config");
        cJSON_AddStringToObject(cf, "path", c->file);
        if (c->model_type)
            cJSON_AddStringToObject(cf, "model_type", c->model_type);
        if (c->quantization)
            cJSON_AddStringToObject(cf, "quantization", c->quantization);
        if (c->conv_template)
            cJSON_AddStringToObject(cf, "conv_template", c->conv_template);
        static const char *const ints[] = {"context_window_size", "prefill_chunk_size", "sliding_window_size",
                                           "tensor_parallel_shards", "vocab_size", "hidden_size",
                                           "num_hidden_layers", "num_attention_heads", "num_key_value_heads"};
        for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
            int64_t v = slm_mlc_config_int(c, ints[i]);
            if (v != -1)
                cJSON_AddNumberToObject(cf, ints[i], (double)v);
        }
        if (c->tokenizer_files)
            cJSON_AddItemToObject(cf, "tokenizer_files", cJSON_Duplicate(c->tokenizer_files, true));
    }
    cJSON *qs = cJSON_AddArrayToObject(doc, "quantized");
    for (size_t i = 0; i < m.nq; i++) {
        cJSON *q = cJSON_CreateObject();
        cJSON_AddStringToObject(q, "name", m.q[i].op);
        cJSON_AddNumberToObject(q, "bits", m.q[i].bits);
        cJSON_AddNumberToObject(q, "block_size", (double)m.q[i].block_size);
        cJSON_AddNumberToObject(q, "K", (double)m.q[i].K);
        cJSON_AddNumberToObject(q, "N", (double)m.q[i].N);
        cJSON_AddStringToObject(q, "scale_dtype", slm_dtype_name(m.q[i].scales->dtype));
        cJSON_AddItemToArray(qs, q);
    }
    if (o->tensors) {
        cJSON *ts = cJSON_AddArrayToObject(doc, "tensors");
        for (size_t i = 0; i < m.n; i++)
            cJSON_AddItemToArray(ts, inspect_tensor_json(&m.t[i], o->stats));
    }
    slm_model_close(&m);
    return doc;
}

void inspect_print_mlc(const cJSON *doc, const inspect_opts *o)
{
    char a[32], b[32];
    const cJSON *e;
    printf("%s\n", out_jtext(doc, "path"));
    printf("  format      MLC tensor cache: %s, %d shard(s)\n", out_jtext(doc, "cache"),
           cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "shards")));
    printf("  tensors     %s\n", inspect_commas(a, sizeof a, num(doc, "tensor_count")));
    printf("  parameters  %s (%s)\n", inspect_commas(a, sizeof a, num(doc, "parameters")),
           slm_fmt_count(b, sizeof b, (uint64_t)num(doc, "parameters")));
    printf("  bytes       %s (%s)\n", inspect_commas(a, sizeof a, num(doc, "bytes")),
           slm_fmt_bytes(b, sizeof b, (uint64_t)num(doc, "bytes")));
    const cJSON *cf = cJSON_GetObjectItemCaseSensitive(doc, "chat_config");
    if (cf) {
        printf("  chat config %s: %s, %s", out_jtext(cf, "path"), out_jtext(cf, "model_type"),
               out_jtext(cf, "quantization"));
        if (num(cf, "context_window_size") >= 0)
            printf(", context %.0f", num(cf, "context_window_size"));
        if (num(cf, "prefill_chunk_size") >= 0)
            printf(", prefill chunk %.0f", num(cf, "prefill_chunk_size"));
        if (*out_jtext(cf, "conv_template"))
            printf(", template %s", out_jtext(cf, "conv_template"));
        printf("\n");
    }
    bool first = true;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(doc, "quantized"))
    {
        printf("  %-11s %s: %.0f-bit, group %.0f, K %.0f, N %.0f, scales %s\n", first ? "quantized" : "",
               out_jtext(e, "name"), num(e, "bits"), num(e, "block_size"), num(e, "K"), num(e, "N"),
               out_jtext(e, "scale_dtype"));
        first = false;
    }
    if (o->tensors) {
        cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(doc, "tensors"))
        {
            const cJSON *s = cJSON_GetObjectItemCaseSensitive(e, "shape"), *dim;
            printf("    %-50s %-5s [", out_jtext(e, "name"), out_jtext(e, "dtype"));
            bool f = true;
            cJSON_ArrayForEach(dim, s)
            {
                printf("%s%.0f", f ? "" : ", ", dim->valuedouble);
                f = false;
            }
            printf("]\n");
        }
    }
}

/* inspect: WebAssembly model libraries (ABI generation, embedded metadata). */
#include "inspect.h"

#include <stdlib.h>
#include <string.h>


static double num(const cJSON *o, const char *k)
{
    return out_jnum_or(o, k, -1);
}

static cJSON *name_json(slm_wasm_name n)
{
    char *s = slm_strndup(n.p, n.n);
    cJSON *j = cJSON_CreateString(s ? s : "");
    free(s);
    return j;
}

cJSON *inspect_wasm(const char *path, const inspect_opts *o, slm_diag *d, int *err)
{
    slm_wasm w;
    *err = slm_wasm_open(&w, path, d);
    if (*err) {
        slm_wasm_close(&w);
        return NULL;
    }
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "path", path);
    cJSON_AddStringToObject(doc, "kind", slm_kind_name(SLM_KIND_WASM));
    cJSON_AddNumberToObject(doc, "bytes", (double)w.size);
    cJSON_AddBoolToObject(doc, "valid", w.valid);
    cJSON_AddStringToObject(doc, "abi", slm_wasm_abi_name(w.abi));
    cJSON *secs = cJSON_AddArrayToObject(doc, "sections");
    for (size_t i = 0; i < w.nsec; i++) {
        cJSON *s = cJSON_CreateObject();
        cJSON_AddStringToObject(s, "id", slm_wasm_section_name(w.sec[i].id));
        if (w.sec[i].id == 0)
            cJSON_AddItemToObject(s, "name", name_json(w.sec[i].custom));
        cJSON_AddNumberToObject(s, "offset", (double)w.sec[i].off);
        cJSON_AddNumberToObject(s, "bytes", (double)w.sec[i].size);
        cJSON_AddItemToArray(secs, s);
    }
    cJSON *imps = cJSON_AddArrayToObject(doc, "imports");
    for (size_t i = 0; i < w.nimp; i++) {
        char *m = slm_strndup(w.imp[i].module.p, w.imp[i].module.n), *f = slm_strndup(w.imp[i].field.p, w.imp[i].field.n);
        char *s = slm_strdupf("%s.%s", m ? m : "", f ? f : "");
        cJSON_AddItemToArray(imps, cJSON_CreateString(s ? s : ""));
        free(m);
        free(f);
        free(s);
    }
    cJSON_AddNumberToObject(doc, "export_count", (double)w.nexp);
    cJSON *tvm = cJSON_AddArrayToObject(doc, "tvm_exports");
    for (size_t i = 0; i < w.nexp; i++)
        if (w.exp[i].name.n > 3 && memcmp(w.exp[i].name.p, "TVM", 3) == 0)
            cJSON_AddItemToArray(tvm, name_json(w.exp[i].name));
    cJSON_AddNumberToObject(doc, "data_segments", (double)w.nseg);
    if (w.meta.found) {
        const slm_wasm_meta *m = &w.meta;
        cJSON *mj = cJSON_AddObjectToObject(doc, "metadata");
        cJSON_AddNumberToObject(mj, "offset", (double)m->off);
        cJSON_AddNumberToObject(mj, "bytes", (double)m->len);
        if (m->model_type)
            cJSON_AddStringToObject(mj, "model_type", m->model_type);
        if (m->quantization)
            cJSON_AddStringToObject(mj, "quantization", m->quantization);
        static const char *const ints[] = {"context_window_size", "prefill_chunk_size", "sliding_window_size",
                                           "tensor_parallel_shards"};
        const int64_t vals[] = {m->context_window_size, m->prefill_chunk_size, m->sliding_window_size,
                                m->tensor_parallel_shards};
        for (size_t i = 0; i < 4; i++)
            cJSON_AddNumberToObject(mj, ints[i], (double)vals[i]);
        cJSON_AddNumberToObject(mj, "param_count", (double)m->nparams);
        if (o->tensors) {
            cJSON *ps = cJSON_AddArrayToObject(mj, "params");
            for (size_t i = 0; i < m->nparams; i++) {
                cJSON *p = cJSON_CreateObject(), *sh = cJSON_CreateArray();
                cJSON_AddStringToObject(p, "name", m->params[i].name);
                for (size_t k = 0; k < m->params[i].ndim; k++)
                    cJSON_AddItemToArray(sh, m->params[i].sym[k] ? cJSON_CreateString(m->params[i].sym[k])
                                                                 : cJSON_CreateNumber((double)m->params[i].shape[k]));
                cJSON_AddItemToObject(p, "shape", sh);
                cJSON_AddStringToObject(p, "dtype", m->params[i].dtype);
                cJSON_AddItemToArray(ps, p);
            }
        }
    }
    slm_wasm_close(&w);
    return doc;
}

void inspect_print_wasm(const cJSON *doc, const inspect_opts *o)
{
    char a[32], b[32];
    printf("%s\n", out_jtext(doc, "path"));
    printf("  format      WebAssembly model library, %s (%s), %d sections%s\n",
           slm_fmt_bytes(a, sizeof a, (uint64_t)num(doc, "bytes")), inspect_commas(b, sizeof b, num(doc, "bytes")),
           cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "sections")),
           cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc, "valid")) ? "" : ", INVALID");
    printf("  abi         %s\n", out_jtext(doc, "abi"));
    const cJSON *e;
    bool first = true;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(doc, "imports"))
    {
        if (strncmp(e->valuestring, "env.TVM", 7) != 0)
            continue;
        printf("%s%s", first ? "  imports     " : ", ", e->valuestring);
        first = false;
    }
    if (!first)
        printf("\n");
    printf("  exports     %.0f (%d TVM*)\n", num(doc, "export_count"),
           cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "tvm_exports")));
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(doc, "metadata");
    if (!m) {
        printf("  metadata    (none found)\n");
        return;
    }
    printf("  metadata    %s, %s, context %.0f, prefill chunk %.0f, %.0f params (at offset %.0f, %.0f bytes)\n",
           out_jtext(m, "model_type"), out_jtext(m, "quantization"), num(m, "context_window_size"),
           num(m, "prefill_chunk_size"),
           num(m, "param_count"), num(m, "offset"), num(m, "bytes"));
    if (o->tensors) {
        cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(m, "params"))
        {
            const cJSON *dim;
            printf("    %-50s %-8s [", out_jtext(e, "name"), out_jtext(e, "dtype"));
            bool f = true;
            cJSON_ArrayForEach(dim, cJSON_GetObjectItemCaseSensitive(e, "shape"))
            {
                if (cJSON_IsString(dim))
                    printf("%s%s", f ? "" : ", ", dim->valuestring);
                else
                    printf("%s%.0f", f ? "" : ", ", dim->valuedouble);
                f = false;
            }
            printf("]\n");
        }
    }
}

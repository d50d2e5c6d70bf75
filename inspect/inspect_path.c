/* Which inspector reads what (inspect.h). */
#include "inspect.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static cJSON *build_config(const char *path, const inspect_opts *o, slm_diag *d, int *err)
{
    (void)o;
    (void)d;
    cJSON *c = inspect_config_json(path);
    *err = c ? 0 : EINVAL;
    return c;
}

static void print_config(const cJSON *doc, const inspect_opts *o)
{
    (void)o;
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(doc, "path");
    printf("%s\n", cJSON_IsString(p) ? p->valuestring : "");
    inspect_print_config_line(doc);
}

static const inspector INSPECTORS[] = {
    {SLM_KIND_SAFETENSORS, inspect_weights, inspect_print_weights},
    {SLM_KIND_HF_INDEX, inspect_weights, inspect_print_weights},
    {SLM_KIND_HF_CONFIG, build_config, print_config},
    {SLM_KIND_ONNX, inspect_onnx, inspect_print_onnx},
    {SLM_KIND_MLC_CACHE, inspect_mlc, inspect_print_mlc},
    {SLM_KIND_WASM, inspect_wasm, inspect_print_wasm},
    {SLM_KIND_GGUF, inspect_gguf, inspect_print_gguf},
};
#define N_INSPECTORS (sizeof INSPECTORS / sizeof INSPECTORS[0])

static const inspector *find(slm_kind k)
{
    for (size_t i = 0; i < N_INSPECTORS; i++)
        if (INSPECTORS[i].kind == k)
            return &INSPECTORS[i];
    return NULL;
}

struct walk {
    const inspect_opts *o;
    slm_diag *d;
    cJSON *arts;
    bool weights; /* safetensors and indexes make one artifact per folder */
};

static void visit(const char *path, const char *name, void *arg)
{
    struct walk *w = arg;
    (void)name;
    slm_kind k = slm_sniff(path);
    if (k == SLM_KIND_SAFETENSORS || k == SLM_KIND_HF_INDEX) {
        w->weights = true;
        return;
    }
    if (k == SLM_KIND_HF_CONFIG)
        return; /* shown with the weights */
    const inspector *in = find(k);
    int err;
    cJSON *doc = in ? in->build(path, w->o, w->d, &err) : NULL;
    if (doc)
        cJSON_AddItemToArray(w->arts, doc);
}

int inspect_path(const char *path, const inspect_opts *o, slm_diag *d, cJSON *arts)
{
    slm_kind k = slm_sniff(path);
    int err = 0;
    if (k == SLM_KIND_DIR) {
        struct walk w = {o, d, arts, false};
        int before = cJSON_GetArraySize(arts);
        if (slm_dir_each(path, visit, &w) < 0)
            return errno ? errno : EACCES;
        if (w.weights) {
            cJSON *doc = inspect_weights(path, o, d, &err);
            if (doc)
                cJSON_InsertItemInArray(arts, before, doc);
        }
        if (cJSON_GetArraySize(arts) == before) { /* nothing but perhaps a config */
            char *cfg = slm_strdupf("%s/config.json", path);
            cJSON *doc = cfg ? inspect_config_json(cfg) : NULL;
            free(cfg);
            if (!doc)
                return err ? err : ENOTSUP;
            cJSON_AddItemToArray(arts, doc);
        }
        return 0;
    }
    const inspector *in = find(k);
    if (!in)
        return k == SLM_KIND_UNKNOWN && errno ? errno : ENOTSUP;
    cJSON *doc = in->build(path, o, d, &err);
    if (!doc)
        return err ? err : ENOTSUP;
    cJSON_AddItemToArray(arts, doc);
    return 0;
}

void inspect_print(const cJSON *doc, const inspect_opts *o)
{
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(doc, "kind");
    for (size_t i = 0; i < N_INSPECTORS; i++)
        if (cJSON_IsString(kind) && strcmp(kind->valuestring, slm_kind_name(INSPECTORS[i].kind)) == 0) {
            INSPECTORS[i].print(doc, o);
            return;
        }
}

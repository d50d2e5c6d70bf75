/* verify: Transformers.js's own contract with a model folder, beyond file
 * names (spec/target.md): config.json's transformers.js_config --
 * use_external_data_format (a boolean, a chunk count or a per-file map) and the
 * external-data chunks it makes Transformers.js request (<file>.onnx_data,
 * <file>.onnx_data_1, ...), and device (the execution provider). */
#include "verify.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define TJS_MAX_CHUNKS 100 /* Transformers.js refuses more chunks than this */

/* config.json's transformers.js_config of folder DIR; J holds it (free with
 * slm_json_free).  NULL when there is none. */
static const cJSON *tjs_config(const char *dir, slm_json *j, char **path)
{
    slm_map m;
    *path = slm_strdupf("%s/config.json", dir);
    memset(j, 0, sizeof *j);
    if (!*path || slm_map_open(&m, *path) != 0)
        return NULL;
    const cJSON *c = NULL;
    if (slm_json_parse(j, (const char *)m.data, (size_t)m.size, 0) == 0)
        c = slm_json_get(j->root, "transformers.js_config");
    slm_map_close(&m);
    return cJSON_IsObject(c) ? c : NULL;
}

char *slm_tjs_device(const char *model_file)
{
    char *dir = slm_strdupf("%s", model_file), *r = NULL;
    for (int up = 0; dir && up < 2 && !r; up++) {
        char *slash = strrchr(dir, '/');
        if (slash)
            *slash = 0;
        else
            strcpy(dir, ".");
        slm_json j;
        char *path;
        const cJSON *c = tjs_config(dir, &j, &path), *dev = c ? slm_json_get(c, "device") : NULL;
        if (cJSON_IsString(dev))
            r = slm_strdupf("%s", dev->valuestring);
        slm_json_free(&j);
        free(path);
    }
    free(dir);
    return r;
}

static bool file_exists(const char *dir, const char *name)
{
    struct stat st;
    char *p = slm_strdupf("%s/%s", dir, name);
    bool ok = p && stat(p, &st) == 0;
    free(p);
    return ok;
}

/* The chunk count use_external_data_format gives FILE (e.g. "model_q4.onnx"). */
static int chunks_for(const cJSON *uef, const char *file)
{
    if (cJSON_IsObject(uef)) {
        const cJSON *v = slm_json_get(uef, file);
        if (!v) { /* also keyed by the name without .onnx */
            char base[256];
            snprintf(base, sizeof base, "%.*s", (int)(strlen(file) - 5), file);
            v = slm_json_get(uef, base);
        }
        uef = v;
    }
    if (cJSON_IsBool(uef))
        return cJSON_IsTrue(uef);
    if (cJSON_IsNumber(uef))
        return (int)uef->valuedouble;
    return 0;
}

static void check_model(const char *onnx_dir, const char *file, const cJSON *uef, slm_diag *d)
{
    int n = chunks_for(uef, file);
    char *model = slm_strdupf("%s/%s", onnx_dir, file);
    if (!model)
        return;
    for (int i = 0; i < n && i < TJS_MAX_CHUNKS; i++) {
        char chunk[300];
        snprintf(chunk, sizeof chunk, i ? "%s_data_%d" : "%s_data", file, i);
        if (!file_exists(onnx_dir, chunk))
            slm_report(d, SLM_R_TGT_410, model, -1, NULL,
                       "use_external_data_format makes Transformers.js request %s (chunk %d of %d); it is not in onnx/",
                       chunk, i + 1, n);
    }
    slm_onnx o;
    slm_diag scratch;
    slm_diag_init(&scratch);
    if (slm_onnx_open(&o, model, model, &scratch) == 0) {
        if (o.next && n == 0)
            slm_report(d, SLM_R_TGT_411, model, -1, NULL,
                       "%s keeps %llu bytes in external data ('%s'), but transformers.js_config.use_external_data_format "
                       "does not announce it: Transformers.js will not fetch it and the session fails",
                       file, (unsigned long long)o.external_bytes, o.ext[0].location);
        for (size_t e = 0; e < o.next && n > 0; e++) {
            bool named = false;
            for (int i = 0; i < n && !named; i++) {
                char chunk[300];
                snprintf(chunk, sizeof chunk, i ? "%s_data_%d" : "%s_data", file, i);
                named = strcmp(o.ext[e].location, chunk) == 0;
            }
            if (!named)
                slm_report(d, SLM_R_TGT_410, model, -1, NULL,
                           "external data location '%s' is none of the chunk names Transformers.js passes to the "
                           "session (%s_data, %s_data_1, ...)", o.ext[e].location, file, file);
        }
        slm_onnx_close(&o);
    }
    slm_diag_free(&scratch);
    free(model);
}

void slm_verify_tjs_external(const char *dir, bool (*selectable)(const char *name), slm_diag *d)
{
    slm_json j;
    char *cfg;
    const cJSON *c = tjs_config(dir, &j, &cfg), *uef = c ? slm_json_get(c, "use_external_data_format") : NULL;
    bool ok = !uef || cJSON_IsBool(uef) || cJSON_IsObject(uef) ||
              (cJSON_IsNumber(uef) && uef->valuedouble >= 0 && uef->valuedouble <= TJS_MAX_CHUNKS &&
               uef->valuedouble == (int)uef->valuedouble);
    if (!ok) {
        slm_report(d, SLM_R_TGT_412, cfg ? cfg : dir, (int64_t)slm_json_off(&j, uef, false),
                   "/transformers.js_config/use_external_data_format",
                   "use_external_data_format is %s; expected true/false, a chunk count 0..%d or a per-file map",
                   cJSON_IsString(uef) ? "a string" : "not a boolean, count or object", TJS_MAX_CHUNKS);
        uef = NULL;
    }
    char *onnx = slm_strdupf("%s/onnx", dir);
    DIR *dd = onnx ? opendir(onnx) : NULL;
    struct dirent *de;
    while (dd && (de = readdir(dd)))
        if (selectable(de->d_name))
            check_model(onnx, de->d_name, uef, d);
    if (dd)
        closedir(dd);
    free(onnx);
    free(cfg);
    slm_json_free(&j);
}

/* verify --target: a deployment folder as one runtime reads it (WebLLM,
 * Transformers.js, Hugging Face transformers), and transformers config.json
 * schema drift and config-vs-weights checks (spec/target.md, spec/config.md). */
#include "verify.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static bool exists(const char *dir, const char *name, struct stat *st)
{
    struct stat s;
    char *p = slm_strdupf("%s/%s", dir, name);
    bool ok = p && stat(p, st ? st : &s) == 0;
    free(p);
    return ok;
}

static void need(const char *dir, const char *name, const char *why, slm_diag *d)
{
    if (!exists(dir, name, NULL)) {
        char *p = slm_strdupf("%s/%s", dir, name);
        slm_report(d, SLM_R_TGT_001, p ? p : dir, -1, NULL, "%s: %s is missing", why, name);
        free(p);
    }
}

/* ---- WebLLM ----------------------------------------------------------------- */

static void target_webllm(const char *dir, slm_diag *d)
{
    char *cache = slm_mlc_find_cache(dir);
    if (!cache)
        need(dir, "tensor-cache.json", "WebLLM fetches the tensor cache", d);
    free(cache);
    char *cp = slm_strdupf("%s/mlc-chat-config.json", dir);
    slm_mlc_config c;
    slm_diag scratch;
    slm_diag_init(&scratch);
    if (cp && slm_mlc_config_open(&c, cp, &scratch) == 0) {
        const cJSON *t;
        cJSON_ArrayForEach(t, c.tokenizer_files)
        {
            if (cJSON_IsString(t) && !exists(dir, t->valuestring, NULL))
                slm_report(d, SLM_R_TGT_002, cp, -1, "/tokenizer_files", "tokenizer_files names %s, which is not in %s",
                           t->valuestring, dir);
        }
        if (c.tensor_parallel_shards > 1)
            slm_report(d, SLM_R_TGT_003, cp, -1, "/tensor_parallel_shards", "tensor_parallel_shards is %lld",
                       (long long)c.tensor_parallel_shards);
        slm_mlc_config_close(&c);
    } else {
        need(dir, "mlc-chat-config.json", "WebLLM reads the chat config", d);
    }
    slm_diag_free(&scratch);
    free(cp);
}

/* ---- Transformers.js -------------------------------------------------------- */

/* The file name suffixes Transformers.js (v3) maps its dtype option to:
 * onnx/<model>{suffix}.onnx */
static const char *const TJS_SUFFIX[] = {"", "_fp16", "_q4", "_q4f16", "_quantized", "_int8", "_uint8", "_bnb4"};
static const char *const TJS_MODELS[] = {"model", "encoder_model", "decoder_model", "decoder_model_merged",
                                         "vision_encoder", "text_encoder", "embed_tokens", "audio_encoder"};

static bool tjs_name(const char *name)
{
    size_t l = strlen(name);
    if (l < 5 || strcmp(name + l - 5, ".onnx") != 0)
        return false;
    for (size_t m = 0; m < sizeof TJS_MODELS / sizeof TJS_MODELS[0]; m++) {
        size_t ml = strlen(TJS_MODELS[m]);
        if (strncmp(name, TJS_MODELS[m], ml) != 0)
            continue;
        for (size_t s = 0; s < sizeof TJS_SUFFIX / sizeof TJS_SUFFIX[0]; s++)
            if (l == ml + strlen(TJS_SUFFIX[s]) + 5 && strncmp(name + ml, TJS_SUFFIX[s], strlen(TJS_SUFFIX[s])) == 0)
                return true;
    }
    return false;
}

#define TJS_PROTOBUF_LIMIT 2147483648ull /* protobuf messages are at most 2 GiB */

static void target_tjs(const char *dir, slm_diag *d)
{
    need(dir, "config.json", "Transformers.js reads config.json", d);
    need(dir, "tokenizer.json", "Transformers.js reads the tokenizer", d);
    need(dir, "tokenizer_config.json", "Transformers.js reads the tokenizer config", d);
    char *onnx = slm_strdupf("%s/onnx", dir);
    DIR *dd = onnx ? opendir(onnx) : NULL;
    int selectable = 0;
    struct dirent *de;
    while (dd && (de = readdir(dd))) {
        size_t l = strlen(de->d_name);
        if (l < 5 || strcmp(de->d_name + l - 5, ".onnx") != 0)
            continue;
        char *p = slm_strdupf("%s/%s", onnx, de->d_name);
        struct stat st;
        if (tjs_name(de->d_name))
            selectable++;
        else
            slm_report(d, SLM_R_TGT_005, p, -1, NULL, "no dtype setting makes Transformers.js request %s", de->d_name);
        if (p && stat(p, &st) == 0 && (uint64_t)st.st_size >= TJS_PROTOBUF_LIMIT)
            slm_report(d, SLM_R_TGT_006, p, -1, NULL, "%s is %llu bytes; protobuf parsers stop at 2 GiB", de->d_name,
                       (unsigned long long)st.st_size);
        free(p);
    }
    if (dd)
        closedir(dd);
    slm_verify_tjs_external(dir, tjs_name, d);
    if (!selectable)
        slm_report(d, SLM_R_TGT_004, onnx ? onnx : dir, -1, NULL,
                   "onnx/ holds no model.onnx, model_fp16.onnx, model_q4.onnx, model_q4f16.onnx, model_quantized.onnx, ...");
    free(onnx);
}

/* ---- Hugging Face transformers ------------------------------------------------ */

struct has_st {
    bool any;
};

static void st_visit(const char *path, const char *name, void *arg)
{
    (void)path;
    size_t l = strlen(name);
    if (l > 12 && strcmp(name + l - 12, ".safetensors") == 0)
        ((struct has_st *)arg)->any = true;
}

static void target_hf(const char *dir, slm_diag *d)
{
    need(dir, "config.json", "transformers reads config.json", d);
    struct has_st h = {false};
    slm_dir_each(dir, st_visit, &h);
    if (!h.any)
        need(dir, "model.safetensors", "transformers loads safetensors weights", d);
}

static const char *pick(const char *dir)
{
    char *cache = slm_mlc_find_cache(dir);
    bool mlc = cache || exists(dir, "mlc-chat-config.json", NULL);
    free(cache);
    struct stat st;
    if (mlc)
        return "webllm";
    if (exists(dir, "onnx", &st) && S_ISDIR(st.st_mode))
        return "transformers.js";
    if (exists(dir, "config.json", NULL))
        return "hf";
    return NULL;
}

int slm_verify_target(const char *path, const slm_verify_opts *o, slm_diag *d)
{
    struct stat st;
    if (!o->target || stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return 0;
    const char *t = strcmp(o->target, "auto") == 0 ? pick(path) : o->target;
    if (!t) {
        slm_report(d, SLM_R_TGT_007, path, -1, NULL, "the folder holds no tensor cache, chat config, onnx/ or config.json");
        return 0;
    }
    if (strcmp(t, "webllm") == 0)
        target_webllm(path, d);
    else if (strcmp(t, "transformers.js") == 0)
        target_tjs(path, d);
    else
        target_hf(path, d);
    return 0;
}

/* ---- config.json: schema drift and config vs weights ------------------------ */

static int64_t cint(const slm_json *j, const char *key)
{
    int64_t v;
    const cJSON *it = slm_json_get(j->root, key);
    return it && slm_json_i64(j, it, &v) == SLM_JNUM_OK ? v : -1;
}

static void dim_check(const slm_model *m, const char *cfg, const char *tensor, size_t axis, const char *what,
                      int64_t want, slm_diag *d)
{
    const slm_tensor *t = slm_model_find(m, tensor);
    if (!t || want < 0 || axis >= t->ndim || t->shape[axis] == (uint64_t)want)
        return;
    slm_report(d, SLM_R_CF_010, cfg, -1, NULL, "config says %s %lld, tensor '%s' has %llu along axis %zu", what,
               (long long)want, tensor, (unsigned long long)t->shape[axis], axis);
}

int slm_verify_hf_config(const char *path, const slm_verify_opts *o, slm_diag *d)
{
    bool drift = o->target != NULL; /* schema drift matters when the folder feeds a converter or runtime */
    slm_map mp;
    int e = slm_map_open(&mp, path);
    if (e)
        return e;
    if (slm_pointer_check(&mp, path, d)) { /* nothing more to say about a pointer */
        slm_map_close(&mp);
        return 0;
    }
    slm_json j;
    if (slm_json_parse(&j, (const char *)mp.data, (size_t)mp.size, SLM_JSON_DEPTH_DEFAULT) != 0) {
        slm_report(d, SLM_R_JS_001, path, (int64_t)j.err_off, NULL, "%s", j.err);
    } else if (cJSON_IsObject(j.root)) {
        const cJSON *dt = slm_json_get(j.root, "dtype"), *tdt = slm_json_get(j.root, "torch_dtype");
        const cJSON *rp = slm_json_get(j.root, "rope_parameters"), *rt = slm_json_get(j.root, "rope_theta");
        if (drift && dt && !tdt)
            slm_report(d, SLM_R_CF_001, path, (int64_t)slm_json_off(&j, dt, true), "/dtype",
                       "transformers >= 4.56 writes \"dtype\"; converters reading \"torch_dtype\" (transformers < 4.56, "
                       "optimum < 1.27, mlc_llm gen_config, llama.cpp convert_hf_to_gguf before 2025) find none and assume float32");
        if (drift && cJSON_IsObject(rp) && slm_json_get(rp, "rope_theta") && !rt)
            slm_report(d, SLM_R_CF_002, path, (int64_t)slm_json_off(&j, rp, true), "/rope_parameters/rope_theta",
                       "rope_theta is only inside rope_parameters (transformers 5); readers of the 4.x schema "
                       "(mlc_llm, llama.cpp convert_hf_to_gguf, optimum exporters) use their default instead");
        if (drift && ((tdt && !dt) || (rt && !rp)))
            slm_report(d, SLM_R_CF_003, path, 0, NULL, "config has %s (transformers 4 schema); transformers 5 writes %s",
                       tdt && !dt ? "torch_dtype" : "a top-level rope_theta", tdt && !dt ? "dtype" : "rope_parameters");
        /* config vs the weights beside it */
        char *dir = strrchr(path, '/') ? slm_strndup(path, (size_t)(strrchr(path, '/') - path)) : strdup(".");
        slm_model m;
        slm_diag scratch;
        slm_diag_init(&scratch);
        if (dir && slm_model_open(&m, dir, &scratch) == 0 && !m.mlc) {
            int64_t h = cint(&j, "hidden_size"), v = cint(&j, "vocab_size"), in = cint(&j, "intermediate_size");
            int64_t nh = cint(&j, "num_attention_heads"), kv = cint(&j, "num_key_value_heads"), hd = cint(&j, "head_dim");
            int64_t nl = cint(&j, "num_hidden_layers");
            if (hd < 0 && h > 0 && nh > 0)
                hd = h / nh;
            if (kv < 0)
                kv = nh;
            dim_check(&m, path, "model.embed_tokens.weight", 0, "vocab_size", v, d);
            dim_check(&m, path, "model.embed_tokens.weight", 1, "hidden_size", h, d);
            dim_check(&m, path, "model.layers.0.mlp.gate_proj.weight", 0, "intermediate_size", in, d);
            dim_check(&m, path, "model.layers.0.self_attn.q_proj.weight", 0, "num_attention_heads x head_dim",
                      nh > 0 && hd > 0 ? nh * hd : -1, d);
            dim_check(&m, path, "model.layers.0.self_attn.k_proj.weight", 0, "num_key_value_heads x head_dim",
                      kv > 0 && hd > 0 ? kv * hd : -1, d);
            if (nl > 0 && m.n) {
                char name[96];
                snprintf(name, sizeof name, "model.layers.%lld.", (long long)nl);
                bool extra = false, last = false;
                for (size_t i = 0; i < m.n; i++) {
                    extra |= strncmp(m.t[i].name, name, strlen(name)) == 0;
                    char prev[96];
                    snprintf(prev, sizeof prev, "model.layers.%lld.", (long long)nl - 1);
                    last |= strncmp(m.t[i].name, prev, strlen(prev)) == 0;
                }
                if (extra || (!last && slm_model_find(&m, "model.layers.0.input_layernorm.weight")))
                    slm_report(d, SLM_R_CF_010, path, -1, "/num_hidden_layers",
                               "config says num_hidden_layers %lld, the weights %s", (long long)nl,
                               extra ? "have more layers" : "have fewer layers");
            }
        }
        if (dir)
            slm_model_close(&m);
        slm_diag_free(&scratch);
        free(dir);
    }
    slm_json_free(&j);
    slm_map_close(&mp);
    return 0;
}

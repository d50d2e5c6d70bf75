/* config.json (transformers) as inspect shows it: the facts a person checks
 * first.  The rules about configs live in the parsing core and verify. */
#include "inspect.h"

#include <string.h>

static const char *const KEYS[] = {
    "model_type", "architectures", "dtype", "torch_dtype", "hidden_size", "intermediate_size",
    "num_hidden_layers", "num_attention_heads", "num_key_value_heads", "head_dim", "vocab_size",
    "max_position_embeddings", "rope_theta", "rope_parameters", "tie_word_embeddings",
    "transformers_version",
};

cJSON *inspect_config_json(const char *path)
{
    slm_map m;
    if (slm_map_open(&m, path) != 0)
        return NULL;
    slm_json j;
    cJSON *doc = NULL;
    if (slm_json_parse(&j, (const char *)m.data, (size_t)m.size, 0) == 0 && cJSON_IsObject(j.root)) {
        doc = cJSON_CreateObject();
        cJSON_AddStringToObject(doc, "path", path);
        cJSON_AddStringToObject(doc, "kind", slm_kind_name(SLM_KIND_HF_CONFIG));
        for (size_t i = 0; i < sizeof KEYS / sizeof KEYS[0]; i++) {
            const cJSON *v = slm_json_get(j.root, KEYS[i]);
            if (v)
                cJSON_AddItemToObject(doc, KEYS[i], cJSON_Duplicate(v, true));
        }
    }
    slm_json_free(&j);
    slm_map_close(&m);
    return doc;
}

static const char *s(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

void inspect_print_config_line(const cJSON *cfg)
{
    const cJSON *arch = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(cfg, "architectures"), 0);
    const char *dtype = s(cfg, "dtype") ? s(cfg, "dtype") : s(cfg, "torch_dtype");
    printf("  config      %s: %s%s%s%s", s(cfg, "path"), s(cfg, "model_type") ? s(cfg, "model_type") : "?",
           cJSON_IsString(arch) ? " (" : "", cJSON_IsString(arch) ? arch->valuestring : "",
           cJSON_IsString(arch) ? ")" : "");
    static const char *const nums[][2] = {{"num_hidden_layers", "layers"}, {"hidden_size", "hidden"},
                                          {"num_attention_heads", "heads"}, {"num_key_value_heads", "kv heads"},
                                          {"vocab_size", "vocab"}};
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(cfg, nums[i][0]);
        if (cJSON_IsNumber(v))
            printf(", %s %.0f", nums[i][1], v->valuedouble);
    }
    if (dtype)
        printf(", dtype %s", dtype);
    printf("\n");
}

/* GGUF metadata: lookups, typed values, llama.cpp's file-type names, and the
 * value types llama.cpp reads for the keys it knows (GGUF-103). */
#include "slm/gguf.h"

#include <stdlib.h>
#include <string.h>

const slm_gguf_kv *slm_gguf_find(const slm_gguf *g, const char *key)
{
    for (size_t i = 0; i < g->nkv; i++)
        if (slm_gguf_str_eq(g->kv[i].key, key))
            return &g->kv[i];
    return NULL;
}

const slm_gguf_tensor *slm_gguf_tensor_find(const slm_gguf *g, const char *name)
{
    for (size_t i = 0; i < g->nt; i++)
        if (strcmp(g->t[i].name, name) == 0)
            return &g->t[i];
    return NULL;
}

static uint64_t le(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = n; i-- > 0;)
        v = v << 8 | p[i];
    return v;
}

bool slm_gguf_kv_i64(const slm_gguf_kv *kv, int64_t *v)
{
    if (!kv || kv->is_array)
        return false;
    switch (kv->type) {
    case SLM_GGUF_U8: *v = (int64_t)le(kv->value, 1); return true;
    case SLM_GGUF_I8: *v = (int8_t)le(kv->value, 1); return true;
    case SLM_GGUF_U16: *v = (int64_t)le(kv->value, 2); return true;
    case SLM_GGUF_I16: *v = (int16_t)le(kv->value, 2); return true;
    case SLM_GGUF_U32: *v = (int64_t)le(kv->value, 4); return true;
    case SLM_GGUF_I32: *v = (int32_t)le(kv->value, 4); return true;
    case SLM_GGUF_I64: *v = (int64_t)le(kv->value, 8); return true;
    case SLM_GGUF_U64: {
        uint64_t u = le(kv->value, 8);
        *v = (int64_t)u;
        return u <= INT64_MAX;
    }
    default: return false;
    }
}

bool slm_gguf_kv_u64(const slm_gguf_kv *kv, uint64_t *v)
{
    if (kv && !kv->is_array && kv->type == SLM_GGUF_U64) {
        *v = le(kv->value, 8);
        return true;
    }
    int64_t s;
    if (!slm_gguf_kv_i64(kv, &s) || s < 0)
        return false;
    *v = (uint64_t)s;
    return true;
}

bool slm_gguf_kv_f64(const slm_gguf_kv *kv, double *v)
{
    if (kv && !kv->is_array && kv->type == SLM_GGUF_F32) {
        uint32_t b = (uint32_t)le(kv->value, 4);
        float f;
        memcpy(&f, &b, 4);
        *v = f;
        return true;
    }
    if (kv && !kv->is_array && kv->type == SLM_GGUF_F64) {
        uint64_t b = le(kv->value, 8);
        memcpy(v, &b, 8);
        return true;
    }
    int64_t s;
    if (!slm_gguf_kv_i64(kv, &s))
        return false;
    *v = (double)s;
    return true;
}

bool slm_gguf_kv_str(const slm_gguf_kv *kv, slm_gguf_str *v)
{
    if (!kv || kv->is_array || kv->type != SLM_GGUF_STRING || kv->value_len < 8)
        return false;
    v->n = le(kv->value, 8);
    v->p = (const char *)kv->value + 8;
    return true;
}

bool slm_gguf_kv_arr_str(const slm_gguf_kv *kv, uint64_t i, slm_gguf_str *v)
{
    if (!kv || !kv->is_array || kv->type != SLM_GGUF_STRING || i >= kv->n)
        return false;
    uint64_t at = 0; /* the parser checked every length against the bytes */
    for (uint64_t k = 0; k < i; k++)
        at += 8 + le(kv->value + at, 8);
    v->n = le(kv->value + at, 8);
    v->p = (const char *)kv->value + at + 8;
    return true;
}

/* llama_ftype (llama.h; gguf-py constants.py LlamaFileType) with the ggml
 * type of its main weights. */
static const struct {
    uint32_t ftype;
    const char *name;
    int main_type;
} FTYPES[] = {
    {0, "ALL_F32", SLM_GGML_F32},      {1, "F16", SLM_GGML_F16},         {2, "Q4_0", SLM_GGML_Q4_0},
    {3, "Q4_1", SLM_GGML_Q4_1},        {7, "Q8_0", SLM_GGML_Q8_0},       {8, "Q5_0", SLM_GGML_Q5_0},
    {9, "Q5_1", SLM_GGML_Q5_1},        {10, "Q2_K", SLM_GGML_Q2_K},      {11, "Q3_K_S", SLM_GGML_Q3_K},
    {12, "Q3_K_M", SLM_GGML_Q3_K},     {13, "Q3_K_L", SLM_GGML_Q3_K},    {14, "Q4_K_S", SLM_GGML_Q4_K},
    {15, "Q4_K_M", SLM_GGML_Q4_K},     {16, "Q5_K_S", SLM_GGML_Q5_K},    {17, "Q5_K_M", SLM_GGML_Q5_K},
    {18, "Q6_K", SLM_GGML_Q6_K},       {19, "IQ2_XXS", SLM_GGML_IQ2_XXS}, {20, "IQ2_XS", SLM_GGML_IQ2_XS},
    {21, "Q2_K_S", SLM_GGML_Q2_K},     {22, "IQ3_XS", SLM_GGML_IQ3_S},   {23, "IQ3_XXS", SLM_GGML_IQ3_XXS},
    {24, "IQ1_S", SLM_GGML_IQ1_S},     {25, "IQ4_NL", SLM_GGML_IQ4_NL},  {26, "IQ3_S", SLM_GGML_IQ3_S},
    {27, "IQ3_M", SLM_GGML_IQ3_S},     {28, "IQ2_S", SLM_GGML_IQ2_S},    {29, "IQ2_M", SLM_GGML_IQ2_S},
    {30, "IQ4_XS", SLM_GGML_IQ4_XS},   {31, "IQ1_M", SLM_GGML_IQ1_M},    {32, "BF16", SLM_GGML_BF16},
    {36, "TQ1_0", SLM_GGML_TQ1_0},     {37, "TQ2_0", SLM_GGML_TQ2_0},    {38, "MXFP4_MOE", SLM_GGML_MXFP4},
};

const char *slm_gguf_ftype_name(uint64_t ftype)
{
    for (size_t i = 0; i < sizeof FTYPES / sizeof FTYPES[0]; i++)
        if (FTYPES[i].ftype == ftype)
            return FTYPES[i].name;
    return NULL;
}

int slm_gguf_ftype_main_type(uint64_t ftype)
{
    for (size_t i = 0; i < sizeof FTYPES / sizeof FTYPES[0]; i++)
        if (FTYPES[i].ftype == ftype)
            return FTYPES[i].main_type;
    return -1;
}

/* Keys llama.cpp reads, with the type it reads them as (llama-model-loader.cpp
 * get_key / get_arr: GGUFMeta checks the stored type, 'key has wrong type').
 * A leading '.' stands for "{arch}.". */
static const struct {
    const char *key;
    uint32_t type;
    bool array;
} KNOWN[] = {
    {"general.architecture", SLM_GGUF_STRING, false},
    {"general.name", SLM_GGUF_STRING, false},
    {"general.file_type", SLM_GGUF_U32, false},
    {"general.quantization_version", SLM_GGUF_U32, false},
    {".context_length", SLM_GGUF_U32, false},
    {".embedding_length", SLM_GGUF_U32, false},
    {".block_count", SLM_GGUF_U32, false},
    {".attention.layer_norm_rms_epsilon", SLM_GGUF_F32, false},
    {".attention.key_length", SLM_GGUF_U32, false},
    {".attention.value_length", SLM_GGUF_U32, false},
    {".rope.freq_base", SLM_GGUF_F32, false},
    {".rope.dimension_count", SLM_GGUF_U32, false},
    {"tokenizer.ggml.model", SLM_GGUF_STRING, false},
    {"tokenizer.ggml.tokens", SLM_GGUF_STRING, true},
    {"tokenizer.ggml.scores", SLM_GGUF_F32, true},
    {"tokenizer.ggml.token_type", SLM_GGUF_I32, true},
    {"tokenizer.ggml.merges", SLM_GGUF_STRING, true},
    {"tokenizer.ggml.bos_token_id", SLM_GGUF_U32, false},
    {"tokenizer.ggml.eos_token_id", SLM_GGUF_U32, false},
    {"tokenizer.ggml.padding_token_id", SLM_GGUF_U32, false},
    {"tokenizer.chat_template", SLM_GGUF_STRING, false},
};

void slm_gguf_check_key_types(const slm_gguf *g, slm_diag *d)
{
    slm_gguf_str arch = {"", 0};
    slm_gguf_kv_str(slm_gguf_find(g, "general.architecture"), &arch);
    for (size_t i = 0; i < g->nkv; i++) {
        const slm_gguf_kv *kv = &g->kv[i];
        for (size_t k = 0; k < sizeof KNOWN / sizeof KNOWN[0]; k++) {
            const char *key = KNOWN[k].key;
            slm_gguf_str s = kv->key;
            if (key[0] == '.') { /* {arch}.rest */
                if (!arch.n || s.n <= arch.n || memcmp(s.p, arch.p, (size_t)arch.n) != 0)
                    continue;
                s.p += arch.n;
                s.n -= arch.n;
            }
            if (!slm_gguf_str_eq(s, key))
                continue;
            if (kv->type != KNOWN[k].type || kv->is_array != KNOWN[k].array) {
                char kb[120], *ptr = slm_jptr("", slm_printable(kb, sizeof kb, kv->key.p, (size_t)kv->key.n));
                slm_report(d, SLM_R_GGUF_103, g->file, (int64_t)kv->offset, ptr, "'%s' is %s%s, llama.cpp reads %s%s", kb,
                           kv->is_array ? "an array of " : "", slm_gguf_vtype_name(kv->type),
                           KNOWN[k].array ? "an array of " : "", slm_gguf_vtype_name(KNOWN[k].type));
                free(ptr);
            }
        }
    }
}

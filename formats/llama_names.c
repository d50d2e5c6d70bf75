/* llama.cpp <-> Hugging Face tensor names per architecture
 * (slm/llama_names.h).  The rows follow llama.cpp's gguf-py
 * (constants.py MODEL_TENSORS: which tensors an architecture has;
 * tensor_mapping.py: the HF names each comes from) and
 * convert_hf_to_gguf.py (LlamaModel.modify_tensors permutes q_proj and
 * k_proj, weights and biases; GemmaModel, Gemma2Model and Gemma3Model add 1
 * to every "norm.weight").  Names are "<prefix>.weight" or ".bias"; block
 * tensors are "blk.N.<name>" <-> "model.layers.N.<hf>". */
#include "slm/llama_names.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct row {
    const char *gguf, *hf;
    slm_llama_xform x;
} row;

#define NONE SLM_LX_NONE

/* Outside the blocks (every architecture here). */
static const row GLOBAL[] = {
    {"token_embd", "model.embed_tokens", NONE},
    {"output_norm", "model.norm", NONE},
    {"output", "lm_head", NONE},
};

/* llama, mistral, qwen2, qwen3: the Llama layout. */
static const row LLAMA_BLOCK[] = {
    {"attn_norm", "input_layernorm", NONE},
    {"attn_q", "self_attn.q_proj", NONE},
    {"attn_k", "self_attn.k_proj", NONE},
    {"attn_v", "self_attn.v_proj", NONE},
    {"attn_output", "self_attn.o_proj", NONE},
    {"attn_q_norm", "self_attn.q_norm", NONE}, /* qwen3 */
    {"attn_k_norm", "self_attn.k_norm", NONE},
    {"ffn_norm", "post_attention_layernorm", NONE},
    {"ffn_gate", "mlp.gate_proj", NONE},
    {"ffn_up", "mlp.up_proj", NONE},
    {"ffn_down", "mlp.down_proj", NONE},
};

/* gemma: as Llama; gemma2/gemma3 add the sandwich norms (ffn_norm is then
 * the pre-feedforward norm) and gemma3 the per-head Q/K norms. */
static const row GEMMA2_BLOCK[] = {
    {"attn_norm", "input_layernorm", NONE},
    {"attn_q", "self_attn.q_proj", NONE},
    {"attn_k", "self_attn.k_proj", NONE},
    {"attn_v", "self_attn.v_proj", NONE},
    {"attn_output", "self_attn.o_proj", NONE},
    {"attn_q_norm", "self_attn.q_norm", NONE},
    {"attn_k_norm", "self_attn.k_norm", NONE},
    {"post_attention_norm", "post_attention_layernorm", NONE},
    {"ffn_norm", "pre_feedforward_layernorm", NONE},
    {"post_ffw_norm", "post_feedforward_layernorm", NONE},
    {"ffn_gate", "mlp.gate_proj", NONE},
    {"ffn_up", "mlp.up_proj", NONE},
    {"ffn_down", "mlp.down_proj", NONE},
};

/* phi3: fused QKV and gate-up projections. */
static const row PHI3_BLOCK[] = {
    {"attn_norm", "input_layernorm", NONE},
    {"attn_qkv", "self_attn.qkv_proj", NONE},
    {"attn_output", "self_attn.o_proj", NONE},
    {"ffn_norm", "post_attention_layernorm", NONE},
    {"ffn_up", "mlp.gate_up_proj", NONE},
    {"ffn_down", "mlp.down_proj", NONE},
};

typedef struct arch_row {
    const char *name;
    const row *block;
    size_t nblock;
    bool permute_qk;    /* LlamaModel.permute */
    bool norm_plus_one; /* Gemma */
} arch_row;

#define ROWS(a) a, sizeof a / sizeof a[0]
static const arch_row ARCHS[] = {
    {"llama", ROWS(LLAMA_BLOCK), true, false},
    {"mistral", ROWS(LLAMA_BLOCK), true, false},
    {"qwen2", ROWS(LLAMA_BLOCK), false, false},
    {"qwen3", ROWS(LLAMA_BLOCK), false, false},
    {"gemma", ROWS(LLAMA_BLOCK), false, true},
    {"gemma2", ROWS(GEMMA2_BLOCK), false, true},
    {"gemma3", ROWS(GEMMA2_BLOCK), false, true},
    {"phi3", ROWS(PHI3_BLOCK), false, false},
};

const char *slm_llama_xform_name(slm_llama_xform x)
{
    switch (x) {
    case SLM_LX_PERMUTE_Q: return "rows permuted (llama.cpp's Q permutation, head count)";
    case SLM_LX_PERMUTE_K: return "rows permuted (llama.cpp's K permutation, KV head count)";
    case SLM_LX_NORM_PLUS_ONE: return "norm weight + 1 (Gemma)";
    default: return "none";
    }
}

static const arch_row *arch_of(const char *name)
{
    for (size_t i = 0; name && i < sizeof ARCHS / sizeof ARCHS[0]; i++)
        if (strcmp(ARCHS[i].name, name) == 0)
            return &ARCHS[i];
    return NULL;
}

bool slm_llama_arch_known(const char *a)
{
    return arch_of(a) != NULL;
}

/* Splits "<stem>.weight" / "<stem>.bias": the stem's length, or 0. */
static size_t stem_len(const char *s, const char **suffix)
{
    size_t n = strlen(s);
    static const char *const sfx[] = {".weight", ".bias"};
    for (int i = 0; i < 2; i++) {
        size_t k = strlen(sfx[i]);
        if (n > k && strcmp(s + n - k, sfx[i]) == 0) {
            *suffix = sfx[i];
            return n - k;
        }
    }
    return 0;
}

/* "<prefix><N>.<rest>": N and REST; false otherwise. */
static bool block_of(const char *s, const char *prefix, unsigned long *n, const char **rest)
{
    size_t p = strlen(prefix);
    if (strncmp(s, prefix, p) != 0 || s[p] < '0' || s[p] > '9')
        return false;
    char *end;
    *n = strtoul(s + p, &end, 10);
    if (*end != '.' || end - (s + p) > 6)
        return false;
    *rest = end + 1;
    return true;
}

static slm_llama_xform xform_of(const arch_row *a, const char *gguf_stem, const char *suffix)
{
    if (a->permute_qk && strcmp(gguf_stem, "attn_q") == 0)
        return SLM_LX_PERMUTE_Q;
    if (a->permute_qk && strcmp(gguf_stem, "attn_k") == 0)
        return SLM_LX_PERMUTE_K;
    size_t n = strlen(gguf_stem);
    if (a->norm_plus_one && strcmp(suffix, ".weight") == 0 && n >= 4 && strcmp(gguf_stem + n - 4, "norm") == 0)
        return SLM_LX_NORM_PLUS_ONE;
    return NONE;
}

/* One direction: FROM_GGUF maps GGUF -> HF. */
static bool map_name(const char *arch_name, const char *name, char *out, size_t n, slm_llama_xform *x, bool from_gguf)
{
    const arch_row *a = arch_of(arch_name);
    const char *suffix;
    size_t sl = stem_len(name, &suffix);
    if (!a || !sl || sl >= 256)
        return false;
    char stem[256];
    memcpy(stem, name, sl);
    stem[sl] = 0;
    unsigned long blk;
    const char *rest;
    const row *t = GLOBAL;
    size_t nt = sizeof GLOBAL / sizeof GLOBAL[0];
    bool in_block = block_of(stem, from_gguf ? "blk." : "model.layers.", &blk, &rest);
    if (in_block)
        t = a->block, nt = a->nblock;
    else
        rest = stem;
    for (size_t i = 0; i < nt; i++) {
        const char *src = from_gguf ? t[i].gguf : t[i].hf, *dst = from_gguf ? t[i].hf : t[i].gguf;
        if (strcmp(rest, src) != 0)
            continue;
        int w = in_block ? snprintf(out, n, "%s%lu.%s%s", from_gguf ? "model.layers." : "blk.", blk, dst, suffix)
                         : snprintf(out, n, "%s%s", dst, suffix);
        if (w < 0 || (size_t)w >= n)
            return false;
        if (x)
            *x = xform_of(a, t[i].gguf, suffix);
        return true;
    }
    return false;
}

bool slm_llama_to_hf(const char *arch, const char *name, char *out, size_t n, slm_llama_xform *x)
{
    return map_name(arch, name, out, n, x, true);
}

bool slm_llama_from_hf(const char *arch, const char *name, char *out, size_t n, slm_llama_xform *x)
{
    return map_name(arch, name, out, n, x, false);
}

/* GGUF row r = (head h, pair index j, half two) at h*2*half + 2j + two came
 * from HF row h*2*half + two*half + j. */
uint64_t slm_llama_hf_row(uint64_t r, uint64_t rows, uint64_t heads)
{
    if (!heads || rows % (2 * heads) || r >= rows)
        return r;
    uint64_t half = rows / heads / 2, h = r / (2 * half), rem = r % (2 * half);
    return h * 2 * half + (rem % 2) * half + rem / 2;
}

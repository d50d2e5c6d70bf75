/* Model-level GGUF rules (GGUF-2xx): what llama.cpp needs to load a model
 * of the architectures below.  Facts from llama.cpp: gguf-py constants.py
 * (MODEL_TENSORS per architecture, the key names), src/llama-model.cpp
 * load_hparams / load_tensors (required keys; create_tensor's shapes, with
 * TENSOR_NOT_REQUIRED marking the optional ones) and
 * src/llama-model-loader.cpp (done_getting_tensors: "wrong number of
 * tensors"; check_tensor_dims: "tensor has wrong shape").
 *
 * Shapes are written in ggml order (ne[0] first) from these symbols:
 *   E  embedding_length           V  vocabulary (tokenizer.ggml.tokens)
 *   F  feed_forward_length        Q  head_dim_k * head_count
 *   K  head_dim_k * head_count_kv W  head_dim_v * head_count_kv
 *   D  head_dim_k                 T  E + 2*K (fused QKV)   G  2*F (fused gate+up)
 * head_dim_k is attention.key_length, else E / head_count. */
#include "slm/gguf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct tdef {
    const char *name; /* after "blk.N." for block tensors */
    const char *shape; /* symbols, ggml order */
    bool required;
} tdef;

typedef struct arch {
    const char *name;
    const tdef *global, *block;
} arch;

#define END {NULL, NULL, false}

static const tdef LLAMA_G[] = {{"token_embd.weight", "EV", true}, {"output_norm.weight", "E", true},
                               {"output.weight", "EV", false}, {"rope_freqs.weight", "", false}, END};
static const tdef LLAMA_B[] = {
    {"attn_norm.weight", "E", true},      {"attn_q.weight", "EQ", true},       {"attn_k.weight", "EK", true},
    {"attn_v.weight", "EW", true},        {"attn_output.weight", "QE", true},  {"ffn_norm.weight", "E", true},
    {"ffn_gate.weight", "EF", true},      {"ffn_down.weight", "FE", true},     {"ffn_up.weight", "EF", true},
    {"attn_q.bias", "Q", false},          {"attn_k.bias", "K", false},         {"attn_v.bias", "W", false},
    {"attn_output.bias", "E", false},     {"rope_freqs.weight", "", false},    END};
static const tdef QWEN2_B[] = {
    {"attn_norm.weight", "E", true},      {"attn_q.weight", "EQ", true},       {"attn_k.weight", "EK", true},
    {"attn_v.weight", "EW", true},        {"attn_output.weight", "QE", true},  {"ffn_norm.weight", "E", true},
    {"ffn_gate.weight", "EF", true},      {"ffn_down.weight", "FE", true},     {"ffn_up.weight", "EF", true},
    {"attn_q.bias", "Q", true},           {"attn_k.bias", "K", true},          {"attn_v.bias", "W", true},
    END};
static const tdef GEMMA_G[] = {{"token_embd.weight", "EV", true}, {"output_norm.weight", "E", true}, END};
static const tdef GEMMA_B[] = {
    {"attn_norm.weight", "E", true},      {"attn_q.weight", "EQ", true},       {"attn_k.weight", "EK", true},
    {"attn_v.weight", "EW", true},        {"attn_output.weight", "QE", true},  {"ffn_norm.weight", "E", true},
    {"ffn_gate.weight", "EF", true},      {"ffn_down.weight", "FE", true},     {"ffn_up.weight", "EF", true},
    END};
static const tdef GEMMA2_B[] = {
    {"attn_norm.weight", "E", true},      {"attn_q.weight", "EQ", true},       {"attn_k.weight", "EK", true},
    {"attn_v.weight", "EW", true},        {"attn_output.weight", "QE", true},  {"post_attention_norm.weight", "E", true},
    {"ffn_norm.weight", "E", true},       {"ffn_gate.weight", "EF", true},     {"ffn_down.weight", "FE", true},
    {"ffn_up.weight", "EF", true},        {"post_ffw_norm.weight", "E", true}, END};
static const tdef GEMMA3_G[] = {{"token_embd.weight", "EV", true}, {"output_norm.weight", "E", true},
                                {"output.weight", "EV", false}, END};
static const tdef GEMMA3_B[] = {
    {"attn_norm.weight", "E", true},      {"attn_q.weight", "EQ", true},       {"attn_k.weight", "EK", true},
    {"attn_v.weight", "EW", true},        {"attn_output.weight", "QE", true},  {"attn_q_norm.weight", "D", true},
    {"attn_k_norm.weight", "D", true},    {"post_attention_norm.weight", "E", true},
    {"ffn_norm.weight", "E", true},       {"ffn_gate.weight", "EF", true},     {"ffn_down.weight", "FE", true},
    {"ffn_up.weight", "EF", true},        {"post_ffw_norm.weight", "E", true}, END};
static const tdef PHI3_G[] = {{"token_embd.weight", "EV", true}, {"output_norm.weight", "E", true},
                              {"output.weight", "EV", true}, {"rope_factors_long.weight", "", false},
                              {"rope_factors_short.weight", "", false}, END};
static const tdef PHI3_B[] = {
    {"attn_norm.weight", "E", true},      {"attn_qkv.weight", "ET", false},    {"attn_q.weight", "EQ", false},
    {"attn_k.weight", "EK", false},       {"attn_v.weight", "EW", false},      {"attn_output.weight", "QE", true},
    {"ffn_norm.weight", "E", true},       {"ffn_down.weight", "FE", true},     {"ffn_up.weight", "EG", true},
    END};

static const arch ARCHS[] = {
    {"llama", LLAMA_G, LLAMA_B},   {"qwen2", LLAMA_G, QWEN2_B},   {"gemma", GEMMA_G, GEMMA_B},
    {"gemma2", GEMMA_G, GEMMA2_B}, {"gemma3", GEMMA3_G, GEMMA3_B}, {"phi3", PHI3_G, PHI3_B},
};

/* Hyperparameter keys llama.cpp's load_hparams requires for all of them
 * (get_key without "required = false"), and the ones the shapes need. */
static const char *const REQUIRED_KEYS[] = {
    "context_length", "embedding_length", "block_count", "attention.layer_norm_rms_epsilon",
    "feed_forward_length", "attention.head_count",
};

typedef struct ctx {
    const slm_gguf *g;
    slm_diag *d;
    const char *arch;
    uint64_t E, F, Q, K, W, D, V, nblk;
    bool have_V;
    const char **sorted; /* tensor names, sorted: lookups in log time */
} ctx;

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool has_tensor(const ctx *c, const char *name)
{
    if (!c->sorted)
        return slm_gguf_tensor_find(c->g, name) != NULL;
    return bsearch(&name, c->sorted, c->g->nt, sizeof *c->sorted, cmp_name) != NULL;
}

static bool arch_u64(const ctx *c, const char *key, uint64_t *v)
{
    char *k = slm_strdupf("%s.%s", c->arch, key);
    bool ok = k && slm_gguf_kv_u64(slm_gguf_find(c->g, k), v);
    free(k);
    return ok;
}

static bool sym(const ctx *c, char s, uint64_t *v)
{
    switch (s) {
    case 'E': *v = c->E; return true;
    case 'F': *v = c->F; return true;
    case 'Q': *v = c->Q; return true;
    case 'K': *v = c->K; return true;
    case 'W': *v = c->W; return true;
    case 'D': *v = c->D; return true;
    case 'V': *v = c->V; return c->have_V;
    case 'T': *v = c->E + 2 * c->K; return true;
    case 'G': *v = 2 * c->F; return true;
    default: return false;
    }
}

static void check_shape(const ctx *c, const slm_gguf_tensor *t, const char *shape)
{
    if (!shape[0])
        return; /* not checked (rope factors: length depends on the rope type) */
    size_t n = strlen(shape);
    uint64_t want[SLM_GGUF_MAX_DIMS] = {1, 1, 1, 1};
    for (size_t i = 0; i < n; i++)
        if (!sym(c, shape[i], &want[i]))
            return;
    bool same = t->n_dims == n;
    for (size_t i = 0; i < n && same; i++)
        same = (uint64_t)t->ne[i] == want[i];
    if (same)
        return;
    char got[96] = "", exp[96] = "";
    for (uint32_t i = 0; i < t->n_dims && i < SLM_GGUF_MAX_DIMS; i++)
        snprintf(got + strlen(got), sizeof got - strlen(got), "%s%lld", i ? ", " : "", (long long)t->ne[i]);
    for (size_t i = 0; i < n; i++)
        snprintf(exp + strlen(exp), sizeof exp - strlen(exp), "%s%llu", i ? ", " : "", (unsigned long long)want[i]);
    slm_rule_id r = (strcmp(t->name, "token_embd.weight") == 0 || strcmp(t->name, "output.weight") == 0) && c->have_V &&
                            n == 2 && t->n_dims == 2 && (uint64_t)t->ne[0] == want[0]
                        ? SLM_R_GGUF_206
                        : SLM_R_GGUF_205;
    char *p = slm_jptr("/tensors", t->name);
    slm_report(c->d, r, c->g->file, (int64_t)t->info_offset, p, "tensor '%s' has shape (%s), expected (%s) from %s's hyperparameters%s",
               t->name, got, exp, c->arch, r == SLM_R_GGUF_206 ? " and the vocabulary" : "");
    free(p);
}

/* The definition of NAME ("blk.N.rest" gives *BLOCK = N), or NULL. */
static const tdef *lookup(const arch *a, const char *name, long long *block)
{
    *block = -1;
    if (strncmp(name, "blk.", 4) == 0) {
        char *end;
        long long n = strtoll(name + 4, &end, 10);
        if (end == name + 4 || *end != '.' || n < 0)
            return NULL;
        *block = n;
        for (const tdef *t = a->block; t->name; t++)
            if (strcmp(end + 1, t->name) == 0)
                return t;
        return NULL;
    }
    for (const tdef *t = a->global; t->name; t++)
        if (strcmp(name, t->name) == 0)
            return t;
    return NULL;
}

static void check_tensors(ctx *c, const arch *a)
{
    const slm_gguf *g = c->g;
    for (size_t i = 0; i < g->nt; i++) {
        const slm_gguf_tensor *t = &g->t[i];
        long long b;
        const tdef *def = lookup(a, t->name, &b);
        char *p = slm_jptr("/tensors", t->name);
        if (!def)
            slm_report(c->d, SLM_R_GGUF_204, g->file, (int64_t)t->info_offset, p,
                       "tensor '%s' is not one of a %s model's tensors", t->name, c->arch);
        else if (b >= 0 && (uint64_t)b >= c->nblk)
            slm_report(c->d, SLM_R_GGUF_204, g->file, (int64_t)t->info_offset, p,
                       "tensor '%s' is in block %lld, but %s.block_count is %llu", t->name, b, c->arch,
                       (unsigned long long)c->nblk);
        else
            check_shape(c, t, def->shape);
        free(p);
    }
    for (const tdef *t = a->global; t->name; t++)
        if (t->required && !has_tensor(c, t->name))
            slm_report(c->d, SLM_R_GGUF_203, g->file, -1, "/tensors", "a %s model needs tensor '%s'", c->arch, t->name);
    uint64_t missing = 0;
    for (uint64_t n = 0; n < c->nblk && missing < 64; n++)
        for (const tdef *t = a->block; t->name; t++) {
            char nm[96];
            snprintf(nm, sizeof nm, "blk.%llu.%s", (unsigned long long)n, t->name);
            bool req = t->required;
            if (!req && strcmp(a->name, "phi3") == 0 && strcmp(t->name, "attn_qkv.weight") == 0) {
                char q[96]; /* phi3: the fused QKV, or Q, K and V apart */
                snprintf(q, sizeof q, "blk.%llu.attn_q.weight", (unsigned long long)n);
                req = !has_tensor(c, q);
            }
            if (req && !has_tensor(c, nm) && missing++ < 64)
                slm_report(c->d, SLM_R_GGUF_203, g->file, -1, "/tensors", "block %llu of %llu needs tensor '%s'",
                           (unsigned long long)n, (unsigned long long)c->nblk, nm);
        }
}

static void check_file_type(const ctx *c)
{
    uint64_t ft;
    const slm_gguf_kv *kv = slm_gguf_find(c->g, "general.file_type");
    if (!slm_gguf_kv_u64(kv, &ft))
        return;
    int main_type = slm_gguf_ftype_main_type(ft);
    if (main_type < 0)
        return;
    /* The main weights: 2-D tensors other than the embedding (llama.cpp
     * quantizes 1-D norms never, and token_embd/output often otherwise). */
    uint64_t count[SLM_GGML_TYPE_COUNT] = {0}, total = 0;
    for (size_t i = 0; i < c->g->nt; i++) {
        const slm_gguf_tensor *t = &c->g->t[i];
        if (t->n_dims == 2 && t->type < SLM_GGML_TYPE_COUNT && strncmp(t->name, "blk.", 4) == 0) {
            count[t->type]++;
            total++;
        }
    }
    if (!total || count[main_type])
        return;
    int most = 0;
    for (int k = 0; k < SLM_GGML_TYPE_COUNT; k++)
        if (count[k] > count[most])
            most = k;
    slm_report(c->d, SLM_R_GGUF_207, c->g->file, (int64_t)kv->offset, "/general.file_type",
               "general.file_type is %llu (%s), whose main weights are %s, but no block weight is %s (most are %s)",
               (unsigned long long)ft, slm_gguf_ftype_name(ft), slm_ggml_type_get((uint32_t)main_type)->name,
               slm_ggml_type_get((uint32_t)main_type)->name, slm_ggml_type_get((uint32_t)most)->name);
}

void slm_gguf_check_model(const slm_gguf *g, slm_diag *d)
{
    if (!g->header_ok)
        return;
    slm_gguf_str as;
    const slm_gguf_kv *akv = slm_gguf_find(g, "general.architecture");
    if (!slm_gguf_kv_str(akv, &as)) {
        slm_report(d, SLM_R_GGUF_201, g->file, akv ? (int64_t)akv->offset : -1, "/general.architecture",
                   akv ? "general.architecture is not a string" : "general.architecture is missing");
        return;
    }
    const arch *a = NULL;
    for (size_t i = 0; i < sizeof ARCHS / sizeof ARCHS[0]; i++)
        if (slm_gguf_str_eq(as, ARCHS[i].name))
            a = &ARCHS[i];
    char ab[80];
    if (!a) {
        slm_report(d, SLM_R_GGUF_208, g->file, (int64_t)akv->offset, "/general.architecture",
                   "architecture '%s' is checked as GGUF only", slm_printable(ab, sizeof ab, as.p, (size_t)as.n));
        return;
    }
    ctx c = {g, d, a->name, 0, 0, 0, 0, 0, 0, 0, 0, false, NULL};
    bool ok = true;
    for (size_t i = 0; i < sizeof REQUIRED_KEYS / sizeof REQUIRED_KEYS[0]; i++) {
        char *k = slm_strdupf("%s.%s", a->name, REQUIRED_KEYS[i]);
        if (k && !slm_gguf_find(g, k)) {
            char *p = slm_jptr("", k);
            slm_report(d, SLM_R_GGUF_202, g->file, -1, p, "a %s model needs key '%s'", a->name, k);
            free(p);
            ok = false;
        }
        free(k);
    }
    uint64_t heads = 0, kv_heads = 0, kl = 0, vl = 0;
    ok = arch_u64(&c, "embedding_length", &c.E) && arch_u64(&c, "block_count", &c.nblk) &&
         arch_u64(&c, "feed_forward_length", &c.F) && arch_u64(&c, "attention.head_count", &heads) && heads && ok;
    if (!arch_u64(&c, "attention.head_count_kv", &kv_heads))
        kv_heads = heads;
    const slm_gguf_kv *tok = slm_gguf_find(g, "tokenizer.ggml.tokens");
    if (tok && tok->is_array && tok->type == SLM_GGUF_STRING) {
        c.V = tok->n;
        c.have_V = true;
    } else if (!tok)
        slm_report(d, SLM_R_GGUF_202, g->file, -1, "/tokenizer.ggml.tokens", "the vocabulary (tokenizer.ggml.tokens) is missing");
    if (!ok || c.nblk > 100000)
        return;
    c.D = arch_u64(&c, "attention.key_length", &kl) ? kl : c.E / heads;
    uint64_t dv = arch_u64(&c, "attention.value_length", &vl) ? vl : c.E / heads;
    c.Q = c.D * heads;
    c.K = c.D * kv_heads;
    c.W = dv * kv_heads;
    c.sorted = malloc((g->nt ? g->nt : 1) * sizeof *c.sorted);
    if (c.sorted) {
        for (size_t i = 0; i < g->nt; i++)
            c.sorted[i] = g->t[i].name;
        qsort(c.sorted, g->nt, sizeof *c.sorted, cmp_name);
    }
    check_tensors(&c, a);
    check_file_type(&c);
    free(c.sorted);
}

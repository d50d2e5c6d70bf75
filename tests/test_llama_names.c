/* llama.cpp <-> Hugging Face names (slm/llama_names.h): the rows of
 * gguf-py's tensor_mapping.py for the architectures quant and diff pair,
 * both directions, the converter's transformations, and the inverse of
 * LlamaModel.permute against the permutation written out here as numpy
 * does it (reshape(heads, 2, d/2).swapaxes(1, 2).reshape(d)). */
#include "test.h"

static void check_map(const char *arch, const char *gguf, const char *hf, slm_llama_xform want)
{
    char out[256];
    slm_llama_xform x = (slm_llama_xform)99;
    CHECK_MSG(slm_llama_to_hf(arch, gguf, out, sizeof out, &x) && strcmp(out, hf) == 0 && x == want,
              "%s %s -> '%s' (%d), expected '%s' (%d)", arch, gguf, out, (int)x, hf, (int)want);
    CHECK_MSG(slm_llama_from_hf(arch, hf, out, sizeof out, &x) && strcmp(out, gguf) == 0 && x == want,
              "%s %s <- '%s', expected '%s'", arch, hf, out, gguf);
}

/* numpy: w.reshape(heads, 2, rows/heads/2).swapaxes(1, 2).reshape(rows):
 * output position (h, j, t) holds input (h, t, j). */
static void check_permutation(uint64_t rows, uint64_t heads)
{
    uint64_t half = rows / heads / 2;
    int bad = 0;
    for (uint64_t h = 0; h < heads; h++)
        for (uint64_t j = 0; j < half; j++)
            for (uint64_t t = 0; t < 2; t++) {
                uint64_t out = (h * half + j) * 2 + t, in = (h * 2 + t) * half + j;
                bad += slm_llama_hf_row(out, rows, heads) != in;
            }
    CHECK_MSG(bad == 0, "rows %llu heads %llu: %d rows map wrong", (unsigned long long)rows, (unsigned long long)heads,
              bad);
}

int main(void)
{
    check_map("qwen2", "blk.0.attn_q.weight", "model.layers.0.self_attn.q_proj.weight", SLM_LX_NONE);
    check_map("qwen2", "blk.11.attn_k.bias", "model.layers.11.self_attn.k_proj.bias", SLM_LX_NONE);
    check_map("qwen2", "blk.1.ffn_norm.weight", "model.layers.1.post_attention_layernorm.weight", SLM_LX_NONE);
    check_map("qwen2", "token_embd.weight", "model.embed_tokens.weight", SLM_LX_NONE);
    check_map("qwen2", "output.weight", "lm_head.weight", SLM_LX_NONE);
    check_map("llama", "blk.3.attn_q.weight", "model.layers.3.self_attn.q_proj.weight", SLM_LX_PERMUTE_Q);
    check_map("llama", "blk.3.attn_k.weight", "model.layers.3.self_attn.k_proj.weight", SLM_LX_PERMUTE_K);
    check_map("llama", "blk.3.attn_v.weight", "model.layers.3.self_attn.v_proj.weight", SLM_LX_NONE);
    check_map("llama", "blk.0.ffn_down.weight", "model.layers.0.mlp.down_proj.weight", SLM_LX_NONE);
    check_map("gemma", "blk.0.ffn_norm.weight", "model.layers.0.post_attention_layernorm.weight", SLM_LX_NORM_PLUS_ONE);
    check_map("gemma2", "blk.0.ffn_norm.weight", "model.layers.0.pre_feedforward_layernorm.weight", SLM_LX_NORM_PLUS_ONE);
    check_map("gemma2", "blk.0.post_attention_norm.weight", "model.layers.0.post_attention_layernorm.weight",
              SLM_LX_NORM_PLUS_ONE);
    check_map("gemma3", "blk.2.post_ffw_norm.weight", "model.layers.2.post_feedforward_layernorm.weight",
              SLM_LX_NORM_PLUS_ONE);
    check_map("gemma3", "blk.2.attn_q_norm.weight", "model.layers.2.self_attn.q_norm.weight", SLM_LX_NORM_PLUS_ONE);
    check_map("gemma3", "output_norm.weight", "model.norm.weight", SLM_LX_NORM_PLUS_ONE);
    check_map("gemma3", "blk.2.attn_q.weight", "model.layers.2.self_attn.q_proj.weight", SLM_LX_NONE);
    check_map("phi3", "blk.0.attn_qkv.weight", "model.layers.0.self_attn.qkv_proj.weight", SLM_LX_NONE);
    check_map("phi3", "blk.0.ffn_up.weight", "model.layers.0.mlp.gate_up_proj.weight", SLM_LX_NONE);

    char out[64];
    CHECK(!slm_llama_to_hf("qwen2", "blk.0.attn_qkv.weight", out, sizeof out, NULL)); /* not qwen2's */
    CHECK(!slm_llama_to_hf("phi3", "blk.0.attn_q.weight", out, sizeof out, NULL));
    CHECK(!slm_llama_to_hf("gpt2", "blk.0.attn_q.weight", out, sizeof out, NULL)); /* not known here */
    CHECK(!slm_llama_to_hf("qwen2", "blk.x.attn_q.weight", out, sizeof out, NULL));
    CHECK(!slm_llama_to_hf("qwen2", "blk.0.attn_q", out, sizeof out, NULL)); /* no .weight / .bias */
    CHECK(!slm_llama_to_hf("qwen2", "blk.0.attn_q.weight", out, 10, NULL)); /* too small: not truncated */
    CHECK(slm_llama_arch_known("gemma2") && !slm_llama_arch_known("bert"));

    check_permutation(256, 8);  /* the corpus' Q: 8 heads of 32 */
    check_permutation(64, 2);   /* its K: 2 KV heads */
    check_permutation(4096, 32);
    CHECK(slm_llama_hf_row(5, 6, 4) == 5); /* not 2 x heads rows: untouched */
    CHECK(slm_llama_hf_row(1, 8, 1) == 4 && slm_llama_hf_row(2, 8, 1) == 1);
    return test_done("test_llama_names");
}

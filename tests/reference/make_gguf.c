/* make_gguf: real GGUF files for the tests, written by ggml's own code.
 *
 * Reads the fp16 Qwen2 checkpoint of tests/corpus/qwen2/hf_fp16 (through
 * slminspect's library: it only reads), quantizes its weights with ggml's
 * ggml_quantize_chunk, writes GGUF files with ggml's gguf_* writer under
 * llama.cpp's tensor names and metadata, and records what ggml itself makes of
 * them in truth.json: for every tensor, a hash and the first values of ggml's
 * dequantization (ggml_get_type_traits(t)->to_float, i.e. dequantize_row_*),
 * and its error metrics against the fp16 reference.  CI reads truth.json and
 * needs no ggml.  Built by hand, never by CI: see tests/reference/make_gguf.sh.
 *
 *   make_gguf CHECKPOINT_DIR OUT_DIR
 *
 * Files (OUT_DIR):
 *   qwen2-TYPE.gguf     one per decoded ggml type: the attention weights of
 *                       block 0 in TYPE, their biases and the norm in F32
 *                       (a slice of the model, not a loadable one: small)
 *   qwen2-q4_k_m.gguf   the whole model, a Q4_K_M-style mix chosen as
 *                       llama.cpp's llama_tensor_get_type does for this shape
 *   qwen2-align64.gguf  block 0's attention in Q4_0, general.alignment = 64
 *   llama-q8_0.gguf     block 0's attention as architecture "llama": the Q
 *                       and K rows permuted as convert_hf_to_gguf.py does
 *
 *   make_gguf --q4km CHECKPOINT_DIR OUT.gguf
 *
 * writes any Qwen2-shaped fp16 checkpoint (config.json: hidden_size,
 * intermediate_size, num_attention_heads, num_key_value_heads,
 * num_hidden_layers, vocab_size) as one Q4_K_M-style GGUF, no truth (the
 * benchmark's file, bench/quant.sh). */
#define _POSIX_C_SOURCE 200809L
#include <ggml.h>
#include <gguf.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "slm/slm.h"

/* the corpus model's shape; --q4km reads them from config.json */
static int N_EMBD = 256, N_HEAD = 8, N_HEAD_KV = 2, N_FF = 688, N_LAYER = 2, N_VOCAB = 2048;
#define MAX_TENSORS 512

static slm_model g_ckpt;
static FILE *g_truth;
static int g_nfile;

static void die(const char *what)
{
    fprintf(stderr, "make_gguf: %s\n", what);
    exit(1);
}

/* ---- the checkpoint ---------------------------------------------------- */

typedef struct ref {
    const char *hf;    /* checkpoint name */
    float *v;          /* values, row-major [rows, cols] */
    int64_t rows, cols;
} ref;

static ref load_ref(const char *hf)
{
    const slm_tensor *t = slm_model_find(&g_ckpt, hf);
    if (!t || t->dtype != SLM_DT_F16 || !t->data) {
        fprintf(stderr, "make_gguf: no fp16 tensor %s\n", hf);
        exit(1);
    }
    ref r = { hf, malloc(t->nelem * sizeof(float)), t->ndim == 2 ? (int64_t)t->shape[0] : 1,
              (int64_t)t->shape[t->ndim - 1] };
    if (!r.v)
        die("out of memory");
    for (uint64_t i = 0; i < t->nelem; i++) {
        uint16_t h;
        memcpy(&h, t->data + 2 * i, 2);
        r.v[i] = ggml_fp16_to_fp32(h);
    }
    return r;
}

/* llama.cpp's convert_hf_to_gguf.py LlamaModel.permute: rows regrouped from
 * [head][2][d/2] to [head][d/2][2] (HF's rotate-half order to GPT-J's
 * interleaved one).  Works for weights (cols K) and biases (cols 1 as rows). */
static void permute_rows(ref *r, int n_head)
{
    int64_t n = r->rows > 1 ? r->rows : r->cols, k = r->rows > 1 ? r->cols : 1;
    int64_t half = n / n_head / 2;
    float *out = malloc((size_t)(n * k) * sizeof(float));
    if (!out)
        die("out of memory");
    for (int64_t h = 0; h < n_head; h++)
        for (int64_t j = 0; j < half; j++)
            for (int64_t two = 0; two < 2; two++) {
                int64_t src = h * 2 * half + two * half + j, dst = h * 2 * half + j * 2 + two;
                memcpy(out + dst * k, r->v + src * k, (size_t)k * sizeof(float));
            }
    free(r->v);
    r->v = out;
}

/* ---- one GGUF file ---------------------------------------------------- */

typedef struct out_tensor {
    char name[64];
    const char *hf;
    enum ggml_type type;
    int64_t ne0, ne1;
    int nd;
    void *data;
    size_t nbytes;
    float *ref;        /* reference values in the file's row order */
    char permuted;
} out_tensor;

typedef struct out_file {
    const char *name, *arch;
    struct gguf_context *g;
    struct ggml_context *meta;
    out_tensor t[MAX_TENSORS];
    int n;
} out_file;

static void add_tensor(out_file *f, const char *gname, ref r, enum ggml_type type, int permuted)
{
    out_tensor *o = &f->t[f->n++];
    snprintf(o->name, sizeof o->name, "%s", gname);
    o->hf = r.hf;
    o->nd = r.rows > 1 ? 2 : 1;
    o->ne0 = r.cols;
    o->ne1 = r.rows;
    o->type = type;
    o->ref = r.v;
    o->permuted = (char)permuted;
    struct ggml_tensor *gt = o->nd == 2 ? ggml_new_tensor_2d(f->meta, type, o->ne0, o->ne1)
                                        : ggml_new_tensor_1d(f->meta, type, o->ne0);
    ggml_set_name(gt, gname);
    o->nbytes = ggml_nbytes(gt);
    o->data = malloc(o->nbytes);
    if (!o->data)
        die("out of memory");
    if (type == GGML_TYPE_F32)
        memcpy(o->data, r.v, o->nbytes);
    else if (ggml_quantize_chunk(type, r.v, o->data, 0, o->ne1, o->ne0, NULL) != o->nbytes)
        die("ggml_quantize_chunk wrote an unexpected size");
    gguf_add_tensor(f->g, gt);
    gguf_set_tensor_data(f->g, gname, o->data);
}

/* A GGUF context whose alignment is ALIGN: ggml's writer pads with the
 * context's alignment, which only reading a file sets, so a header with the
 * key is written and read back first. */
static struct gguf_context *context_aligned(const char *dir, uint32_t align)
{
    if (align == 0)
        return gguf_init_empty();
    char path[4096];
    snprintf(path, sizeof path, "%s/.align.gguf", dir);
    struct gguf_context *g = gguf_init_empty();
    gguf_set_val_u32(g, "general.alignment", align);
    if (!gguf_write_to_file(g, path, true))
        die("cannot write the alignment header");
    gguf_free(g);
    struct gguf_init_params p = { .no_alloc = true, .ctx = NULL };
    g = gguf_init_from_file(path, p);
    remove(path);
    if (!g || gguf_get_alignment(g) != align)
        die("ggml did not take the alignment");
    return g;
}

static void vocab(struct gguf_context *g)
{
    char (*buf)[16] = malloc((size_t)N_VOCAB * 16);
    const char **tok = malloc((size_t)N_VOCAB * sizeof *tok);
    float *score = malloc((size_t)N_VOCAB * sizeof *score);
    int32_t *type = malloc((size_t)N_VOCAB * sizeof *type);
    if (!buf || !tok || !score || !type)
        die("out of memory");
    for (int i = 0; i < N_VOCAB; i++) {
        if (i < 3)
            snprintf(buf[i], sizeof buf[i], "%s", i == 0 ? "<unk>" : i == 1 ? "<s>" : "</s>");
        else if (i < 3 + 256)
            snprintf(buf[i], sizeof buf[i], "<0x%02X>", i - 3);
        else
            snprintf(buf[i], sizeof buf[i], "tok%d", i);
        tok[i] = buf[i];
        score[i] = -(float)i;
        type[i] = i == 0 ? 2 : i < 3 ? 3 : i < 259 ? 6 : 1; /* unknown, control, byte, normal */
    }
    gguf_set_val_str(g, "tokenizer.ggml.model", "llama");
    gguf_set_arr_str(g, "tokenizer.ggml.tokens", tok, N_VOCAB);
    gguf_set_arr_data(g, "tokenizer.ggml.scores", GGUF_TYPE_FLOAT32, score, N_VOCAB);
    gguf_set_arr_data(g, "tokenizer.ggml.token_type", GGUF_TYPE_INT32, type, N_VOCAB);
    gguf_set_val_u32(g, "tokenizer.ggml.unknown_token_id", 0);
    gguf_set_val_u32(g, "tokenizer.ggml.bos_token_id", 1);
    gguf_set_val_u32(g, "tokenizer.ggml.eos_token_id", 2);
    free(buf);
    free(tok);
    free(score);
    free(type);
}

static void file_begin(out_file *f, const char *dir, const char *name, const char *arch, const char *title,
                       uint32_t ftype, uint32_t align)
{
    memset(f, 0, sizeof *f);
    f->name = name;
    f->arch = arch;
    f->g = context_aligned(dir, align);
    struct ggml_init_params p = { .mem_size = MAX_TENSORS * ggml_tensor_overhead(), .mem_buffer = NULL, .no_alloc = true };
    f->meta = ggml_init(p);
    struct gguf_context *g = f->g;
    char k[128];
    gguf_set_val_str(g, "general.architecture", arch);
    gguf_set_val_str(g, "general.type", "model");
    gguf_set_val_str(g, "general.name", title);
    gguf_set_val_u32(g, "general.quantization_version", GGML_QNT_VERSION);
    gguf_set_val_u32(g, "general.file_type", ftype);
#define KEY(s) (snprintf(k, sizeof k, "%s." s, arch), k)
    gguf_set_val_u32(g, KEY("context_length"), 512);
    gguf_set_val_u32(g, KEY("embedding_length"), N_EMBD);
    gguf_set_val_u32(g, KEY("feed_forward_length"), N_FF);
    gguf_set_val_u32(g, KEY("block_count"), N_LAYER);
    gguf_set_val_u32(g, KEY("attention.head_count"), N_HEAD);
    gguf_set_val_u32(g, KEY("attention.head_count_kv"), N_HEAD_KV);
    gguf_set_val_f32(g, KEY("rope.freq_base"), 10000.0f);
    gguf_set_val_f32(g, KEY("attention.layer_norm_rms_epsilon"), 1e-6f);
    if (strcmp(arch, "llama") == 0) {
        gguf_set_val_u32(g, KEY("rope.dimension_count"), N_EMBD / N_HEAD);
        gguf_set_val_u32(g, KEY("vocab_size"), N_VOCAB);
    }
#undef KEY
    vocab(g);
}

/* ---- truth ------------------------------------------------------------ */

static void json_num(const char *key, double v, const char *sep)
{
    if (isfinite(v))
        fprintf(g_truth, "\"%s\": %.17g%s", key, v, sep);
    else
        fprintf(g_truth, "\"%s\": null%s", key, sep);
}

static void truth_tensor(const out_tensor *o, size_t offset, int last)
{
    int64_t n = o->ne0 * o->ne1;
    float *d = malloc((size_t)n * sizeof(float));
    if (!d)
        die("out of memory");
    const struct ggml_type_traits *tr = ggml_get_type_traits(o->type);
    if (o->type == GGML_TYPE_F32)
        memcpy(d, o->data, (size_t)n * sizeof(float));
    else
        tr->to_float(o->data, d, n);
    double max_abs = 0, sum_abs = 0, se = 0, sr = 0, sd = 0, sdr = 0;
    for (int64_t i = 0; i < n; i++) {
        double e = (double)d[i] - (double)o->ref[i];
        max_abs = fabs(e) > max_abs ? fabs(e) : max_abs;
        sum_abs += fabs(e);
        se += e * e;
        sr += (double)o->ref[i] * o->ref[i];
        sd += (double)d[i] * d[i];
        sdr += (double)d[i] * o->ref[i];
    }
    fprintf(g_truth, "    {\"name\": \"%s\", \"ref\": \"%s\", \"type\": \"%s\", \"type_id\": %d, \"ne\": [%lld, %lld], "
            "\"permuted\": %s, \"offset\": %zu, \"nbytes\": %zu,\n", o->name, o->hf, ggml_type_name(o->type), (int)o->type,
            (long long)o->ne0, (long long)o->ne1, o->permuted ? "true" : "false", offset, o->nbytes);
    fprintf(g_truth, "     \"dequant_xxh64\": \"%016llx\", \"dequant_head\": [",
            (unsigned long long)XXH64(d, (size_t)n * sizeof(float), 0));
    for (int i = 0; i < 8 && i < n; i++)
        fprintf(g_truth, "%.9g%s", d[i], i == 7 || i == n - 1 ? "],\n" : ", ");
    fprintf(g_truth, "     \"vs_ref\": {\"n\": %lld, ", (long long)n);
    json_num("max_abs_err", max_abs, ", ");
    json_num("mean_abs_err", sum_abs / n, ", ");
    json_num("rmse", sqrt(se / n), ", ");
    json_num("ref_rms", sqrt(sr / n), ", ");
    json_num("rel_rmse", sqrt(se / sr), ", ");
    json_num("cosine", sdr / sqrt(sd * sr), ", ");
    json_num("sqnr_db", 10 * log10(sr / se), "}}");
    fprintf(g_truth, "%s\n", last ? "" : ",");
    free(d);
}

static void file_end(out_file *f, const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, f->name);
    if (!gguf_write_to_file(f->g, path, false))
        die("gguf_write_to_file failed");
    /* ggml's own loader must take what its writer wrote */
    struct gguf_init_params p = { .no_alloc = true, .ctx = NULL };
    struct gguf_context *back = gguf_init_from_file(path, p);
    if (!back || gguf_get_n_tensors(back) != f->n)
        die("ggml does not read back its own file");
    for (int i = 0; !g_truth && i < f->n; i++) {
        free(f->t[i].data);
        free(f->t[i].ref);
    }
    if (!g_truth) {
        gguf_free(back);
        ggml_free(f->meta);
        gguf_free(f->g);
        return;
    }
    fprintf(g_truth, "%s  \"%s\": {\"architecture\": \"%s\", \"alignment\": %zu, \"ggml_loads\": true, "
            "\"tensors\": [\n", g_nfile++ ? ",\n" : "", f->name, f->arch, gguf_get_alignment(back));
    for (int i = 0; i < f->n; i++)
        truth_tensor(&f->t[i], gguf_get_data_offset(back) + gguf_get_tensor_offset(back, gguf_find_tensor(back, f->t[i].name)),
                     i == f->n - 1);
    fprintf(g_truth, "  ]}");
    gguf_free(back);
    for (int i = 0; i < f->n; i++) {
        free(f->t[i].data);
        free(f->t[i].ref);
    }
    ggml_free(f->meta);
    gguf_free(f->g);
}

/* ---- the files -------------------------------------------------------- */

static const char *hf_name(char *buf, int layer, const char *what)
{
    snprintf(buf, 192, "model.layers.%d.%s", layer, what);
    return buf;
}

/* Block LAYER's attention in TYPE (biases and the norm F32), Q/K permuted
 * for the llama architecture. */
static void add_attention(out_file *f, int layer, enum ggml_type type, int llama)
{
    static const char *g[] = { "attn_q", "attn_k", "attn_v", "attn_output" };
    static const char *h[] = { "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj" };
    char hn[192], gn[64], hb[96];
    for (int i = 0; i < 4; i++) {
        snprintf(hb, sizeof hb, "%s.weight", h[i]);
        ref w = load_ref(strdup(hf_name(hn, layer, hb)));
        int heads = i == 0 ? N_HEAD : N_HEAD_KV;
        if (llama && i < 2)
            permute_rows(&w, heads);
        snprintf(gn, sizeof gn, "blk.%d.%s.weight", layer, g[i]);
        add_tensor(f, gn, w, type, llama && i < 2);
        if (i < 3) {
            snprintf(hb, sizeof hb, "%s.bias", h[i]);
            ref b = load_ref(strdup(hf_name(hn, layer, hb)));
            if (llama && i < 2)
                permute_rows(&b, heads);
            snprintf(gn, sizeof gn, "blk.%d.%s.bias", layer, g[i]);
            add_tensor(f, gn, b, GGML_TYPE_F32, llama && i < 2);
        }
    }
    snprintf(gn, sizeof gn, "blk.%d.attn_norm.weight", layer);
    add_tensor(f, gn, load_ref(strdup(hf_name(hn, layer, "input_layernorm.weight"))), GGML_TYPE_F32, 0);
}

/* llama.cpp's fallback for rows that do not fill the type's blocks
 * (llama-quant.cpp, convert_incompatible_tensor). */
static enum ggml_type fit(enum ggml_type t, int64_t ne0)
{
    if (ne0 % ggml_blck_size(t) == 0)
        return t;
    t = t == GGML_TYPE_Q4_K ? GGML_TYPE_Q5_0 : t == GGML_TYPE_Q6_K ? GGML_TYPE_Q8_0 : GGML_TYPE_F16;
    return ne0 % ggml_blck_size(t) == 0 ? t : GGML_TYPE_F16;
}

/* Q4_K_M as llama_tensor_get_type picks it for 2 blocks and tied embeddings:
 * token_embd (the output) Q6_K; attn_v and ffn_down Q6_K in the blocks
 * use_more_bits() selects (i >= 7n/8: block 1), Q4_K elsewhere; rows of 688
 * elements fall back (to F16: 688 is not a multiple of 32). */
static void write_q4_k_m(const char *dir)
{
    out_file f;
    file_begin(&f, dir, "qwen2-q4_k_m.gguf", "qwen2", "tiny-qwen2 Q4_K_M (make_gguf)", 15, 0);
    ref e = load_ref("model.embed_tokens.weight");
    add_tensor(&f, "token_embd.weight", e, fit(GGML_TYPE_Q6_K, e.cols), 0);
    char hn[192], gn[64];
    for (int l = 0; l < N_LAYER; l++) {
        int more = l >= 7 * N_LAYER / 8;
        static const char *g[] = { "attn_q", "attn_k", "attn_v", "attn_output" };
        static const char *h[] = { "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj" };
        for (int i = 0; i < 4; i++) {
            char hb[96];
            snprintf(hb, sizeof hb, "%s.weight", h[i]);
            ref w = load_ref(strdup(hf_name(hn, l, hb)));
            snprintf(gn, sizeof gn, "blk.%d.%s.weight", l, g[i]);
            add_tensor(&f, gn, w, fit(i == 2 && more ? GGML_TYPE_Q6_K : GGML_TYPE_Q4_K, w.cols), 0);
            if (i < 3) {
                snprintf(hb, sizeof hb, "%s.bias", h[i]);
                snprintf(gn, sizeof gn, "blk.%d.%s.bias", l, g[i]);
                add_tensor(&f, gn, load_ref(strdup(hf_name(hn, l, hb))), GGML_TYPE_F32, 0);
            }
        }
        static const char *fg[] = { "ffn_gate", "ffn_up", "ffn_down" };
        static const char *fh[] = { "mlp.gate_proj.weight", "mlp.up_proj.weight", "mlp.down_proj.weight" };
        for (int i = 0; i < 3; i++) {
            ref w = load_ref(strdup(hf_name(hn, l, fh[i])));
            snprintf(gn, sizeof gn, "blk.%d.%s.weight", l, fg[i]);
            add_tensor(&f, gn, w, fit(i == 2 && more ? GGML_TYPE_Q6_K : GGML_TYPE_Q4_K, w.cols), 0);
        }
        snprintf(gn, sizeof gn, "blk.%d.attn_norm.weight", l);
        add_tensor(&f, gn, load_ref(strdup(hf_name(hn, l, "input_layernorm.weight"))), GGML_TYPE_F32, 0);
        snprintf(gn, sizeof gn, "blk.%d.ffn_norm.weight", l);
        add_tensor(&f, gn, load_ref(strdup(hf_name(hn, l, "post_attention_layernorm.weight"))), GGML_TYPE_F32, 0);
    }
    add_tensor(&f, "output_norm.weight", load_ref("model.norm.weight"), GGML_TYPE_F32, 0);
    file_end(&f, dir);
}

/* --q4km: the checkpoint's own shape and tensors, Q4_K_M-style, every
 * tensor under its llama.cpp name (slm/llama_names.h). */
static int cfg_int(const cJSON *c, const char *k)
{
    const cJSON *v = cJSON_GetObjectItem(c, k);
    if (!cJSON_IsNumber(v))
        die("config.json lacks a shape key");
    return v->valueint;
}

static void write_q4km_generic(const char *ckpt, const char *out)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/config.json", ckpt);
    FILE *cf = fopen(path, "rb");
    char text[65536];
    size_t n = cf ? fread(text, 1, sizeof text - 1, cf) : 0;
    if (cf)
        fclose(cf);
    text[n] = 0;
    cJSON *c = cJSON_Parse(text);
    if (!c)
        die("cannot read config.json");
    N_EMBD = cfg_int(c, "hidden_size");
    N_FF = cfg_int(c, "intermediate_size");
    N_HEAD = cfg_int(c, "num_attention_heads");
    N_HEAD_KV = cfg_int(c, "num_key_value_heads");
    N_LAYER = cfg_int(c, "num_hidden_layers");
    N_VOCAB = cfg_int(c, "vocab_size");
    cJSON_Delete(c);
    const char *slash = strrchr(out, '/');
    char dir[4096];
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - out) : 1, slash ? out : ".");
    out_file f;
    file_begin(&f, dir, slash ? slash + 1 : out, "qwen2", "Q4_K_M-style (make_gguf --q4km)", 15, 0);
    for (size_t i = 0; i < g_ckpt.n; i++) {
        const slm_tensor *t = &g_ckpt.t[i];
        char gn[96];
        slm_llama_xform x;
        if (!slm_llama_from_hf("qwen2", t->name, gn, sizeof gn, &x) || f.n == MAX_TENSORS)
            die("a checkpoint tensor without a llama.cpp name, or too many tensors");
        ref r = load_ref(t->name);
        enum ggml_type ty = GGML_TYPE_F32;
        if (t->ndim == 2) {
            int layer = strncmp(gn, "blk.", 4) == 0 ? atoi(gn + 4) : -1;
            int more = layer >= 0 && (layer < N_LAYER / 8 || layer >= 7 * N_LAYER / 8 || (layer - N_LAYER / 8) % 3 == 2);
            bool v_or_down = strstr(gn, ".attn_v.") || strstr(gn, ".ffn_down.");
            ty = strcmp(gn, "token_embd.weight") == 0 || (more && v_or_down) ? GGML_TYPE_Q6_K : GGML_TYPE_Q4_K;
            ty = fit(ty, r.cols);
        }
        add_tensor(&f, gn, r, ty, 0);
    }
    file_end(&f, dir);
}

static const struct { enum ggml_type t; const char *file; uint32_t ftype; } TYPES[] = {
    { GGML_TYPE_F16, "qwen2-f16.gguf", 1 },       { GGML_TYPE_BF16, "qwen2-bf16.gguf", 32 },
    { GGML_TYPE_Q8_0, "qwen2-q8_0.gguf", 7 },     { GGML_TYPE_Q4_0, "qwen2-q4_0.gguf", 2 },
    { GGML_TYPE_Q4_1, "qwen2-q4_1.gguf", 3 },     { GGML_TYPE_Q5_0, "qwen2-q5_0.gguf", 8 },
    { GGML_TYPE_Q5_1, "qwen2-q5_1.gguf", 9 },     { GGML_TYPE_Q2_K, "qwen2-q2_k.gguf", 10 },
    { GGML_TYPE_Q3_K, "qwen2-q3_k.gguf", 11 },    { GGML_TYPE_Q4_K, "qwen2-q4_k.gguf", 14 },
    { GGML_TYPE_Q5_K, "qwen2-q5_k.gguf", 16 },    { GGML_TYPE_Q6_K, "qwen2-q6_k.gguf", 18 },
    { GGML_TYPE_IQ4_NL, "qwen2-iq4_nl.gguf", 25 }, { GGML_TYPE_IQ4_XS, "qwen2-iq4_xs.gguf", 30 },
    { GGML_TYPE_MXFP4, "qwen2-mxfp4.gguf", 38 },
};

int main(int argc, char **argv)
{
    bool q4km = argc == 4 && strcmp(argv[1], "--q4km") == 0;
    if (argc != 3 && !q4km) {
        fprintf(stderr, "usage: make_gguf CHECKPOINT_DIR OUT_DIR\n       make_gguf --q4km CHECKPOINT_DIR OUT.gguf\n");
        return 2;
    }
    slm_diag d;
    slm_diag_init(&d);
    if (slm_model_open(&g_ckpt, argv[1 + q4km], &d) != 0)
        die("cannot open the checkpoint");
    if (q4km) {
        write_q4km_generic(argv[2], argv[3]);
        slm_model_close(&g_ckpt);
        slm_diag_free(&d);
        return 0;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/truth.json", argv[2]);
    g_truth = fopen(path, "w");
    if (!g_truth)
        die("cannot write truth.json");
    fprintf(g_truth, "{\n \"made_by\": \"tests/reference/make_gguf.c, ggml d99724f2 (gguf writer, "
            "ggml_quantize_chunk without imatrix, to_float)\",\n \"reference\": \"qwen2/hf_fp16\",\n"
            " \"metrics\": \"e = ggml dequantized (float32) - fp16 reference (as float32), float64 sums\",\n"
            " \"files\": {\n");
    for (size_t i = 0; i < sizeof TYPES / sizeof TYPES[0]; i++) {
        out_file f;
        char title[96];
        snprintf(title, sizeof title, "tiny-qwen2 block 0 attention %s (make_gguf)", ggml_type_name(TYPES[i].t));
        file_begin(&f, argv[2], TYPES[i].file, "qwen2", title, TYPES[i].ftype, 0);
        add_attention(&f, 0, TYPES[i].t, 0);
        file_end(&f, argv[2]);
    }
    write_q4_k_m(argv[2]);
    out_file f;
    file_begin(&f, argv[2], "qwen2-align64.gguf", "qwen2", "tiny-qwen2 block 0 attention Q4_0, alignment 64", 2, 64);
    add_attention(&f, 0, GGML_TYPE_Q4_0, 0);
    file_end(&f, argv[2]);
    file_begin(&f, argv[2], "llama-q8_0.gguf", "llama", "tiny-qwen2 block 0 attention as llama, Q8_0", 7, 0);
    add_attention(&f, 0, GGML_TYPE_Q8_0, 1);
    file_end(&f, argv[2]);
    fprintf(g_truth, "\n }\n}\n");
    fclose(g_truth);
    slm_model_close(&g_ckpt);
    slm_diag_free(&d);
    return 0;
}

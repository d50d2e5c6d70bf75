/* onnxruntime's kernel constructors: what they check when a session is
 * created, per release (spec/onnx.md "Kernel constraints"), and what the
 * first run checks (ONNX-311, warnings).  Each constraint was read off the
 * releases' own verdicts on tests/reference/ort_cases.py. */
#include "slm/ort.h"

#include <stdio.h>
#include <string.h>

enum { R120, R122, R123, R130 }; /* release indices of spec/ort_ops.tsv */

static int64_t attr_i(const slm_onnx_node *n, const char *name, int64_t dflt, bool *has)
{
    const slm_onnx_attr *a = slm_onnx_attr_find(n, name);
    if (has)
        *has = a != NULL;
    return a && a->type == 2 ? a->i : dflt;
}

static bool is_pow2(int64_t v)
{
    return v > 0 && (v & (v - 1)) == 0;
}

/* The data type of a node input: its initializer's, else its graph input's
 * (TensorProto.DataType), 0 when unknown. */
static int32_t input_type(const slm_onnx_graph *g, const slm_onnx_node *n, size_t i, const slm_onnx_tensor **init)
{
    *init = NULL;
    if (i >= n->nin || !n->in[i][0])
        return 0;
    for (size_t k = g->ninit; k-- > 0;)
        if (g->init[k].name && strcmp(g->init[k].name, n->in[i]) == 0) {
            *init = &g->init[k];
            return g->init[k].data_type;
        }
    for (size_t k = 0; k < g->nin; k++)
        if (g->in[k].name && strcmp(g->in[k].name, n->in[i]) == 0)
            return g->in[k].elem_type;
    return 0;
}

#define REJECT(...) slm_report(d, SLM_R_ONNX_310, o->file, (int64_t)n->off, NULL, __VA_ARGS__)

static void gather_block_quantized(const slm_onnx *o, const slm_onnx_graph *g, const slm_onnx_node *n, int rel,
                                   const char *who, slm_diag *d)
{
    int64_t bs = attr_i(n, "block_size", 128, NULL), bits = attr_i(n, "bits", 4, NULL);
    const slm_onnx_tensor *t;
    int32_t dt = input_type(g, n, 0, &t);
    if (dt == 2 /* UINT8 */ && rel == R120)
        REJECT("%s: GatherBlockQuantized takes 4-bit data (int4, uint4); uint8 data is a type error before 1.22", who);
    if (bs < 16 || !is_pow2(bs))
        REJECT("%s: GatherBlockQuantized block_size %lld: the kernel takes a power of two >= 16", who, (long long)bs);
    if (rel >= R123) {
        bool four_bit = dt == 21 || dt == 22;
        if (four_bit && bits != 4)
            REJECT("%s: GatherBlockQuantized bits %lld on 4-bit data: the kernel takes 4", who, (long long)bits);
        else if (!four_bit && bits != 4 && bits != 8)
            REJECT("%s: GatherBlockQuantized bits %lld: the kernel takes 4 or 8", who, (long long)bits);
    }
}

static void matmul_nbits(const slm_onnx *o, const slm_onnx_graph *g, const slm_onnx_node *n, int rel,
                         const char *who, slm_diag *d)
{
    bool hK, hN, hbs;
    int64_t K = attr_i(n, "K", 0, &hK), N = attr_i(n, "N", 0, &hN), bits = attr_i(n, "bits", 4, NULL),
            bs = attr_i(n, "block_size", 0, &hbs);
    if (rel == R120 && bits != 4)
        REJECT("%s: MatMulNBits bits %lld: only 4-bit quantization is supported before 1.22", who, (long long)bits);
    else if ((rel == R122 || rel == R123) && bits != 4 && bits != 8)
        REJECT("%s: MatMulNBits bits %lld: only 4 and 8 bits are supported before 1.24", who, (long long)bits);
    else if (rel >= R130 && bits != 2 && bits != 4 && bits != 8)
        REJECT("%s: MatMulNBits bits %lld: the kernel takes 2, 4 or 8", who, (long long)bits);
    if (rel < R130 || !hK || !hN || !hbs)
        return;
    if (bs < 16 || bs > 256 || !is_pow2(bs)) {
        REJECT("%s: MatMulNBits block_size %lld: the kernel takes 16, 32, 64, 128 or 256", who, (long long)bs);
        return;
    }
    const slm_onnx_tensor *B;
    input_type(g, n, 1, &B);
    if (!B || !B->dims_ok || !B->shape || K <= 0 || N <= 0 || (bits != 2 && bits != 4 && bits != 8))
        return;
    uint64_t kb = ((uint64_t)K + (uint64_t)bs - 1) / (uint64_t)bs, blob = (uint64_t)bs * (uint64_t)bits / 8;
    if (B->ndim != 3 || B->shape[0] != (uint64_t)N || B->shape[1] != kb || B->shape[2] != blob)
        REJECT("%s: MatMulNBits B initializer's shape is not [N, ceil(K/block_size), block_size*bits/8] = "
               "[%lld, %llu, %llu] (PrePack)", who, (long long)N, (unsigned long long)kb, (unsigned long long)blob);
}

/* The last dimension of a node input that is a graph input of static shape, or -1. */
static int64_t last_dim(const slm_onnx_graph *g, const slm_onnx_node *n, size_t i)
{
    if (i >= n->nin || !n->in[i][0])
        return -1;
    for (size_t k = 0; k < g->nin; k++)
        if (g->in[k].name && strcmp(g->in[k].name, n->in[i]) == 0)
            return g->in[k].has_shape && g->in[k].ndim ? g->in[k].dim[g->in[k].ndim - 1] : -1;
    return -1;
}

static void group_query_attention(const slm_onnx *o, const slm_onnx_graph *g, const slm_onnx_node *n,
                                  const char *who, slm_diag *d)
{
    int64_t h = attr_i(n, "num_heads", 0, NULL), kv = attr_i(n, "kv_num_heads", 0, NULL);
    if (h <= 0 || kv <= 0) {
        REJECT("%s: GroupQueryAttention num_heads %lld, kv_num_heads %lld: both must be > 0", who, (long long)h,
               (long long)kv);
        return;
    }
    if (h % kv)
        slm_report(d, SLM_R_ONNX_311, o->file, (int64_t)n->off, NULL,
                   "%s: GroupQueryAttention num_heads %lld is not a multiple of kv_num_heads %lld: the session loads, "
                   "the first run fails", who, (long long)h, (long long)kv);
    int64_t hidden = last_dim(g, n, 0), kv_hidden = last_dim(g, n, 1);
    if (hidden > 0 && hidden % h)
        slm_report(d, SLM_R_ONNX_311, o->file, (int64_t)n->off, NULL,
                   "%s: GroupQueryAttention query hidden size %lld is not a multiple of num_heads %lld: the session "
                   "loads, the first run fails", who, (long long)hidden, (long long)h);
    else if (hidden > 0 && kv_hidden > 0 && kv_hidden != hidden / h * kv)
        slm_report(d, SLM_R_ONNX_311, o->file, (int64_t)n->off, NULL,
                   "%s: GroupQueryAttention key hidden size %lld, expected kv_num_heads x head size = %lld: the "
                   "session loads, the first run fails", who, (long long)kv_hidden, (long long)(hidden / h * kv));
}

static void rotary_embedding(const slm_onnx *o, const slm_onnx_node *n, const char *who, slm_diag *d)
{
    int64_t dim = attr_i(n, "rotary_embedding_dim", 0, NULL), h = attr_i(n, "num_heads", 0, NULL);
    if (dim > 0 && h <= 0)
        REJECT("%s: RotaryEmbedding rotary_embedding_dim %lld needs num_heads > 0", who, (long long)dim);
}

void slm_ort_check_kernel(const slm_onnx *o, const slm_onnx_graph *g, const slm_onnx_node *n, int rel,
                          const char *who, slm_diag *d);

void slm_ort_check_kernel(const slm_onnx *o, const slm_onnx_graph *g, const slm_onnx_node *n, int rel,
                          const char *who, slm_diag *d)
{
    const char *op = n->op_type, *dom = n->domain ? n->domain : "";
    if (strcmp(dom, "com.microsoft") != 0)
        return;
    if (strcmp(op, "GatherBlockQuantized") == 0)
        gather_block_quantized(o, g, n, rel, who, d);
    else if (strcmp(op, "MatMulNBits") == 0)
        matmul_nbits(o, g, n, rel, who, d);
    else if (strcmp(op, "GroupQueryAttention") == 0)
        group_query_attention(o, g, n, who, d);
    else if (strcmp(op, "RotaryEmbedding") == 0)
        rotary_embedding(o, n, who, d);
    else if (strcmp(op, "PagedAttention") == 0)
        REJECT("%s: PagedAttention has no CPU or WebAssembly kernel (CUDA only)", who);
}

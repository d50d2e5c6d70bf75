/* ONNX models as models: initializers, and MatMulNBits / blocked
 * DequantizeLinear weights as quantized weights (slm/format.h). */
#include "model_impl.h"
#include "slm/onnx.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const slm_tensor *find_view(const slm_model *m, const char *name)
{
    return name && name[0] ? slm_model_find(m, name) : NULL;
}

static const char *onnx_in(const slm_onnx_node *n, size_t i)
{
    return i < n->nin ? n->in[i] : NULL;
}

void slm_model_push_q(slm_model *m, size_t *cap, const slm_qweight *q)
{
    if (m->nq == *cap) {
        size_t c = *cap ? *cap * 2 : 16;
        slm_qweight *v = realloc(m->q, c * sizeof *v);
        if (!v)
            return;
        m->q = v;
        *cap = c;
    }
    m->q[m->nq++] = *q;
}

/* MatMulNBits nodes and blocked 4-bit DequantizeLinear weights of the main
 * graph, as slm_qweight views into m->t. */
static void onnx_qweights(slm_model *m, const slm_onnx *o)
{
    size_t cap = 0;
    for (size_t i = 0; i < o->graph.nnode; i++) {
        const slm_onnx_node *n = &o->graph.node[i];
        const char *op = n->op_type ? n->op_type : "", *dom = n->domain ? n->domain : "";
        if (strcmp(op, "MatMulNBits") == 0 && strcmp(dom, "com.microsoft") == 0) {
            const slm_onnx_attr *aK = slm_onnx_attr_find(n, "K"), *aN = slm_onnx_attr_find(n, "N"),
                                *ab = slm_onnx_attr_find(n, "bits"), *abs = slm_onnx_attr_find(n, "block_size"),
                                *acc = slm_onnx_attr_find(n, "accuracy_level");
            slm_qweight q = {0};
            q.q = find_view(m, onnx_in(n, 1));
            q.scales = find_view(m, onnx_in(n, 2));
            if (!aK || !aN || !abs || aK->i <= 0 || aN->i <= 0 || abs->i <= 0 || !q.q || !q.scales)
                continue;
            q.name = q.q->name;
            q.op = n->name ? n->name : "";
            q.layout = SLM_QL_MATMULNBITS;
            q.bits = ab ? (unsigned)ab->i : 4;
            q.block_size = (uint64_t)abs->i;
            q.K = (uint64_t)aK->i;
            q.N = (uint64_t)aN->i;
            q.zero_points = find_view(m, onnx_in(n, 3));
            q.g_idx = find_view(m, onnx_in(n, 4));
            q.bias = find_view(m, onnx_in(n, 5));
            q.symmetric = q.zero_points == NULL;
            q.accuracy_level = acc ? acc->i : -1;
            slm_model_push_q(m, &cap, &q);
        } else if (strcmp(op, "DequantizeLinear") == 0 && (!dom[0] || strcmp(dom, "ai.onnx") == 0)) {
            const slm_onnx_attr *abs = slm_onnx_attr_find(n, "block_size"), *aax = slm_onnx_attr_find(n, "axis");
            slm_qweight q = {0};
            q.q = find_view(m, onnx_in(n, 0));
            q.scales = find_view(m, onnx_in(n, 1));
            if (!abs || abs->i <= 0 || !q.q || !q.scales || q.q->ndim != 2 ||
                (q.q->dtype != SLM_DT_I4 && q.q->dtype != SLM_DT_U4))
                continue;
            int64_t axis = aax ? aax->i : 1;
            if (axis < 0)
                axis += 2;
            if (axis != 0 && axis != 1)
                continue;
            q.name = q.q->name;
            q.op = n->name ? n->name : "";
            q.layout = SLM_QL_DQL_BLOCKED;
            q.bits = 4;
            q.block_size = (uint64_t)abs->i;
            q.transposed = axis == 0;
            q.K = q.q->shape[axis];
            q.N = q.q->shape[1 - axis];
            q.zero_points = find_view(m, onnx_in(n, 2));
            q.symmetric = q.zero_points == NULL;
            q.accuracy_level = -1;
            slm_model_push_q(m, &cap, &q);
        }
    }
}

int slm_model_open_onnx(slm_model *m, const char *path, slm_diag *d)
{
    m->kind = SLM_KIND_ONNX;
    m->onnx = calloc(1, sizeof *m->onnx);
    if (!m->onnx)
        return ENOMEM;
    int e = slm_onnx_open(m->onnx, path, path, d);
    if (e)
        return e;
    const slm_onnx_graph *g = &m->onnx->graph;
    size_t cap = 0;
    for (size_t i = 0; i < g->ninit; i++) {
        slm_tensor t = slm_onnx_tensor_view(&g->init[i]);
        slm_model_push_tensor(m, &cap, &t);
    }
    onnx_qweights(m, m->onnx);
    return 0;
}

void slm_model_close_onnx(slm_model *m)
{
    if (m->onnx)
        slm_onnx_close(m->onnx);
    free(m->onnx);
    m->onnx = NULL;
}

/* verify: an ONNX model on onnxruntime-web's WebGPU execution provider
 * (spec/target.md "The browser's execution providers").  The kernels each
 * release has are its own docs/webgpu-operators.md (spec/webgpu_ops.tsv); the
 * JSEP kernels' limits are those of the issue reports spec/target.md cites. */
#include "verify.h"

#include "slm/ort.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct webgpu_op {
    int rel;
    const char *domain, *op, *versions;
} WEBGPU_OPS[] = {
#include "webgpu_ops.inc"
};

/* Does "6-12,13+" style LIST hold version V? */
static bool versions_hold(const char *list, int64_t v)
{
    for (const char *p = list; *p;) {
        char *end;
        long lo = strtol(p, &end, 10), hi = lo;
        if (end == p)
            return false;
        if (*end == '+')
            hi = 0x7fffffff, end++;
        else if (*end == '-') {
            const char *q = end + 1;
            hi = strtol(q, &end, 10);
            if (end == q)
                return false;
        }
        if (v >= lo && v <= hi)
            return true;
        p = *end == ',' ? end + 1 : end + strlen(end);
    }
    return false;
}

/* Has release REL a WebGPU kernel of (DOM, OP) at opset V?  *LISTED: the
 * operator appears at all. */
static bool has_kernel(int rel, const char *dom, const char *op, int64_t v, bool *listed)
{
    *listed = false;
    for (size_t i = 0; i < sizeof WEBGPU_OPS / sizeof WEBGPU_OPS[0]; i++) {
        const struct webgpu_op *w = &WEBGPU_OPS[i];
        if (w->rel != rel || strcmp(w->domain, dom) != 0 || strcmp(w->op, op) != 0)
            continue;
        *listed = true;
        if (versions_hold(w->versions, v))
            return true;
    }
    return false;
}


static bool input_is(const slm_onnx_node *n, size_t i)
{
    return i < n->nin && n->in[i][0];
}

static int32_t init_type(const slm_onnx_graph *g, const char *name)
{
    for (size_t k = 0; k < g->ninit; k++)
        if (g->init[k].name && strcmp(g->init[k].name, name) == 0)
            return g->init[k].data_type;
    return 0;
}

/* Does onnxruntime ever run NODE?  It turns every default-domain Constant
 * node into an initializer when it loads a graph (onnxruntime
 * core/graph/graph.cc, Graph::Graph: "Copy constant nodes _value to
 * name_to_initial_tensor_"), so no provider needs a kernel for one. */
static bool runs(const char *dom, const char *op)
{
    return op[0] && !(!dom[0] && strcmp(op, "Constant") == 0);
}

bool slm_webgpu_falls_back(int rel, const slm_onnx *o, const slm_onnx_node *n)
{
    const char *dom = n->domain ? n->domain : "", *op = n->op_type ? n->op_type : "";
    if (strcmp(dom, "ai.onnx") == 0)
        dom = "";
    bool listed;
    return runs(dom, op) && !has_kernel(rel, dom, op, slm_ort_opset_of(o, dom), &listed);
}

typedef struct webgpu_walk {
    const slm_onnx *o;
    int rel;
    slm_diag *d;
} webgpu_walk;

static bool webgpu_node(void *arg, const slm_onnx_graph *g, const slm_onnx_node *n, int depth)
{
    const webgpu_walk *w = arg;
    const slm_onnx *o = w->o;
    slm_diag *d = w->d;
    const char *ver = slm_ort_release_name(w->rel);
    char b[120];
    const char *dom = n->domain ? n->domain : "", *op = n->op_type ? n->op_type : "";
    if (strcmp(dom, "ai.onnx") == 0)
        dom = "";
    if (!runs(dom, op))
        return true;
    const char *node = slm_printable(b, sizeof b, n->name ? n->name : "", n->name ? strlen(n->name) : 0);
    bool listed;
    int64_t v = slm_ort_opset_of(o, dom);
    if (!has_kernel(w->rel, dom, op, v, &listed))
        slm_report(d, SLM_R_TGT_401, o->file, (int64_t)n->off, NULL,
                   "node '%s'%s: %s%s%s (opset %lld) has no WebGPU kernel in onnxruntime-web %s%s: it runs on wasm%s",
                   node, depth ? " (in a subgraph)" : "", dom, dom[0] ? ":" : "", op, (long long)v, ver,
                   listed ? " at this opset" : "",
                   strcmp(op, "GatherND") == 0 || strcmp(op, "ScatterND") == 0
                       ? " (slow, and out of memory on real models)" : "");
    if (strcmp(dom, "com.microsoft") != 0)
        return true;
    if (strcmp(op, "GroupQueryAttention") == 0) {
        static const char *const JSEP_THROWS[] = {"local_window_size", "softcap", "rotary_interleaved",
                                                  "smooth_softmax"};
        for (size_t k = 0; k < sizeof JSEP_THROWS / sizeof JSEP_THROWS[0]; k++) {
            const slm_onnx_attr *a = slm_onnx_attr_find(n, JSEP_THROWS[k]);
            bool set = a && (a->type == 2 ? a->i != (k == 0 ? -1 : 0) : a->type == 1 ? a->f != 0.0f : true);
            if (set)
                slm_report(d, SLM_R_TGT_402, o->file, (int64_t)a->off, NULL,
                           "node '%s': GroupQueryAttention with %s: the WebGPU (JSEP) kernel of onnxruntime-web "
                           "%s throws", node, JSEP_THROWS[k], ver);
        }
    } else if (strcmp(op, "MatMulNBits") == 0 && (input_is(n, 4) || input_is(n, 5))) {
        slm_report(d, SLM_R_TGT_403, o->file, (int64_t)n->off, NULL,
                   "node '%s': MatMulNBits with %s: the WebGPU kernel does not take it; it runs on wasm", node,
                   input_is(n, 4) ? "g_idx" : "bias");
    } else if (strcmp(op, "GatherBlockQuantized") == 0 && n->nin && init_type(g, n->in[0]) == 2) {
        slm_report(d, SLM_R_TGT_403, o->file, (int64_t)n->off, NULL,
                   "node '%s': GatherBlockQuantized on uint8 data: the WebGPU (JSEP) kernel takes 4-bit data; "
                   "it runs on wasm", node);
    }
    return true;
}

void slm_verify_webgpu(const slm_onnx *o, int rel, slm_diag *d)
{
    const slm_onnx_graph *g = &o->graph;
    webgpu_walk w = {o, rel, d};
    slm_onnx_each_node(g, webgpu_node, &w);
    bool fp16 = false;
    for (size_t i = 0; i < g->ninit && !fp16; i++)
        fp16 = g->init[i].data_type == 10;
    for (size_t i = 0; i < g->nin && !fp16; i++)
        fp16 = g->in[i].elem_type == 10;
    if (fp16)
        slm_report(d, SLM_R_TGT_404, o->file, -1, NULL,
                   "the model computes in float16: onnxruntime-web's WebGPU provider needs the adapter's shader-f16 "
                   "feature");
}

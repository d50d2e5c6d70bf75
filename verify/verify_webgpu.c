/* verify: an ONNX model on onnxruntime-web's WebGPU execution provider
 * (spec/target.md "The browser's execution providers").  The kernels each
 * release has are its own docs/webgpu-operators.md (spec/webgpu_ops.tsv),
 * corrected where the live provider differs; the providers' limits are those
 * onnxruntime-web shows live in headless Chromium (tests/cli/ort_webgpu_live.sh). */
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

/* The WebGPU provider's limits as onnxruntime-web runs them, live in headless
 * Chromium (tests/cli/ort_webgpu_live.sh, tests/data/webgpu_verdicts.tsv):
 * the releases whose GroupQueryAttention kernel fails at run with each
 * attribute set.  JSEP (1.20.1, 1.22.0) and the native provider (1.23.2 on)
 * differ; local_window_size runs in every release. */
static const struct {
    const char *attr, *releases;
} GQA_FAILS[] = {
    {"softcap", "1.22.0"},
    {"smooth_softmax", "1.22.0"},
    {"rotary_interleaved", "1.22.0 1.23.2 1.30.0"},
};

/* Kernels the live provider has where its release's document says otherwise:
 * the document describes JSEP, and 1.23.2 on run the native provider. */
static const struct {
    const char *release, *op;
    bool has;
} LIVE_KERNELS[] = {
    {"1.23.2", "GatherND", false},
    {"1.30.0", "Identity", true},
    {"1.30.0", "And", true},
    {"1.30.0", "IsNaN", true},
    {"1.30.0", "Max", true},
    {"1.30.0", "LSTM", true},
};

static bool in_releases(const char *list, const char *ver)
{
    size_t n = strlen(ver);
    for (const char *p = strstr(list, ver); p; p = strstr(p + 1, ver))
        if ((p == list || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
            return true;
    return false;
}

/* Does onnxruntime-web REL run a WebGPU kernel of (DOM, OP) at opset V? */
static bool webgpu_kernel(int rel, const char *dom, const char *op, int64_t v, bool *listed)
{
    const char *ver = slm_ort_release_name(rel);
    for (size_t i = 0; i < sizeof LIVE_KERNELS / sizeof LIVE_KERNELS[0]; i++)
        if (!dom[0] && strcmp(LIVE_KERNELS[i].op, op) == 0 && strcmp(LIVE_KERNELS[i].release, ver) == 0) {
            *listed = LIVE_KERNELS[i].has;
            return LIVE_KERNELS[i].has;
        }
    return has_kernel(rel, dom, op, v, listed);
}

/* Is REL's WebGPU provider the native one (1.23.2 on), not JSEP? */
static bool native_provider(int rel)
{
    int first = slm_ort_release_find("1.23.2");
    return first >= 0 && rel >= first;
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
    return runs(dom, op) && !webgpu_kernel(rel, dom, op, slm_ort_opset_of(o, dom), &listed);
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
    if (!webgpu_kernel(w->rel, dom, op, v, &listed))
        slm_report(d, SLM_R_TGT_401, o->file, (int64_t)n->off, NULL,
                   "node '%s'%s: %s%s%s (opset %lld) has no WebGPU kernel in onnxruntime-web %s%s: it runs on wasm%s",
                   node, depth ? " (in a subgraph)" : "", dom, dom[0] ? ":" : "", op, (long long)v, ver,
                   listed ? " at this opset" : "",
                   strcmp(op, "GatherND") == 0 || strcmp(op, "ScatterND") == 0
                       ? " (slow, and out of memory on real models)" : "");
    if (strcmp(dom, "com.microsoft") != 0)
        return true;
    if (strcmp(op, "GroupQueryAttention") == 0) {
        for (size_t k = 0; k < sizeof GQA_FAILS / sizeof GQA_FAILS[0]; k++) {
            const slm_onnx_attr *a = slm_onnx_attr_find(n, GQA_FAILS[k].attr);
            bool set = a && (a->type == 2 ? a->i != 0 : a->type == 1 ? a->f != 0.0f : true);
            if (set && in_releases(GQA_FAILS[k].releases, ver))
                slm_report(d, SLM_R_TGT_402, o->file, (int64_t)a->off, NULL,
                           "node '%s': GroupQueryAttention with %s: the WebGPU kernel of onnxruntime-web %s fails "
                           "at run", node, GQA_FAILS[k].attr, ver);
        }
    } else if (strcmp(op, "MatMulNBits") == 0 && input_is(n, 5) && in_releases("1.20.1 1.22.0 1.23.2", ver)) {
        slm_report(d, SLM_R_TGT_402, o->file, (int64_t)n->off, NULL,
                   "node '%s': MatMulNBits with bias: the WebGPU kernel of onnxruntime-web %s takes the node and "
                   "fails at run (1.30.0 runs it)", node, ver);
    } else if (strcmp(op, "MatMulNBits") == 0 && input_is(n, 4)) {
        slm_report(d, SLM_R_TGT_403, o->file, (int64_t)n->off, NULL,
                   "node '%s': MatMulNBits with g_idx: the WebGPU kernel does not take it; it runs on wasm", node);
    }
    (void)g;
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
    if (fp16 && native_provider(rel)) /* JSEP (1.20.1, 1.22.0) runs float16 without it, live */
        slm_report(d, SLM_R_TGT_404, o->file, -1, NULL,
                   "the model computes in float16: onnxruntime-web %s's WebGPU provider needs the adapter's "
                   "shader-f16 feature (without it the first run fails: \"Program ... requires f16\")",
                   slm_ort_release_name(rel));
}

/* inspect: what onnxruntime makes of an ONNX model -- the operators only
 * onnxruntime runs (its contrib operators: com.microsoft, and the default-domain
 * ones onnx does not define), and, with --target transformers.js or --runtime,
 * the operators that fall back from WebGPU to wasm in that onnxruntime-web
 * release (spec/onnx.md "Two judges", spec/target.md). */
#include "inspect.h"

#include "verify.h"

#include <stdlib.h>
#include <string.h>

/* Adds (DOM, OP) to the histogram array A. */
static void count(cJSON *a, const char *dom, const char *op)
{
    cJSON *e;
    cJSON_ArrayForEach(e, a)
    {
        const cJSON *d = cJSON_GetObjectItem(e, "domain"), *t = cJSON_GetObjectItem(e, "op_type");
        if (strcmp(d->valuestring, dom) == 0 && strcmp(t->valuestring, op) == 0) {
            cJSON *c = cJSON_GetObjectItem(e, "count");
            cJSON_SetNumberValue(c, c->valuedouble + 1);
            return;
        }
    }
    e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "domain", dom);
    cJSON_AddStringToObject(e, "op_type", op);
    cJSON_AddNumberToObject(e, "count", 1);
    cJSON_AddItemToArray(a, e);
}

typedef struct ort_walk {
    const slm_onnx *o;
    int rel;
    cJSON *only, *fb; /* histograms; FB NULL without a runtime profile */
} ort_walk;

static bool ort_node(void *arg, const slm_onnx_graph *g, const slm_onnx_node *n, int depth)
{
    const ort_walk *w = arg;
    const char *dom = n->domain ? n->domain : "", *op = n->op_type ? n->op_type : "";
    (void)g, (void)depth;
    if (!op[0])
        return true;
    if (strcmp(dom, "ai.onnx") == 0)
        dom = "";
    int64_t v = slm_ort_opset_of(w->o, dom);
    bool onnx_has = (!dom[0] || strcmp(dom, "ai.onnx.ml") == 0) && slm_onnx_schema_exists(dom, op, v);
    if (!onnx_has && slm_ort_registers(w->rel, dom, op))
        count(w->only, dom, op);
    if (w->fb && slm_webgpu_falls_back(w->rel, w->o, n))
        count(w->fb, dom, op);
    return true;
}

void inspect_ort(const slm_onnx *o, const inspect_opts *io, cJSON *doc, slm_diag *d)
{
    slm_verify_opts vo;
    memset(&vo, 0, sizeof vo);
    vo.target = io->target;
    vo.runtime = io->runtime;
    bool profile;
    char rt[40] = "onnxruntime";
    char *near = o->dir ? slm_strdupf("%s/x", o->dir) : NULL;
    int rel = slm_verify_ort_release(&vo, near, &profile, rt, sizeof rt);
    free(near);
    cJSON *r = cJSON_AddObjectToObject(doc, "onnxruntime");
    cJSON_AddStringToObject(r, "release", slm_ort_release_name(rel));
    cJSON *only = cJSON_AddArrayToObject(r, "runtime_only_operators");
    cJSON *fb = profile ? cJSON_AddArrayToObject(r, "webgpu_fallbacks") : NULL;
    ort_walk w = {o, rel, only, fb};
    slm_onnx_each_node(&o->graph, ort_node, &w);
    /* The findings met while reading, judged as verify judges them: what the
     * runtime in force loads is no error under a profile (spec/onnx.md). */
    slm_verify_ort(o, &vo, d);
}

static void print_list(const char *label, const cJSON *a)
{
    const cJSON *e;
    int k = 0;
    cJSON_ArrayForEach(e, a)
    {
        const char *dom = cJSON_GetObjectItem(e, "domain")->valuestring;
        printf("%s%s%s%s %.0f", k++ ? ", " : label, dom, dom[0] ? "." : "",
               cJSON_GetObjectItem(e, "op_type")->valuestring, cJSON_GetObjectItem(e, "count")->valuedouble);
    }
    if (k)
        printf("\n");
}

void inspect_print_ort(const cJSON *doc)
{
    const cJSON *r = cJSON_GetObjectItem(doc, "onnxruntime");
    if (!r)
        return;
    const char *rel = cJSON_GetObjectItem(r, "release")->valuestring;
    char label[96];
    snprintf(label, sizeof label, "  onnxruntime only (%s): ", rel);
    print_list(label, cJSON_GetObjectItem(r, "runtime_only_operators"));
    const cJSON *fb = cJSON_GetObjectItem(r, "webgpu_fallbacks");
    if (fb && cJSON_GetArraySize(fb)) {
        snprintf(label, sizeof label, "  WebGPU -> wasm (onnxruntime-web %s): ", rel);
        print_list(label, fb);
    } else if (fb)
        printf("  WebGPU      every operator has a kernel in onnxruntime-web %s\n", rel);
}

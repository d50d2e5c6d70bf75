/* libFuzzer harness: ONNX wire walker and checker (no external data: the
 * model's folder is not given).  Invariants: findings lie in the input; a
 * second parse agrees; the model parsed exactly when no wire finding
 * (ONNX-001/002/070) was reported; every payload view lies inside the input
 * and can be read whole (ASan checks each byte); names are strings; the
 * file-level invariants of fuzz_common.h hold. */
#include "fuzz_common.h"

#include <string.h>

static void check_graph(const slm_onnx_graph *g, const uint8_t *data, size_t size)
{
    for (size_t i = 0; i < g->ninit; i++) {
        const slm_onnx_tensor *t = &g->init[i];
        FUZZ_ASSERT(t->off + t->len <= size);
        if (t->fields & (1u << 9))
            FUZZ_ASSERT(t->raw_off >= t->off && t->raw_off + t->raw_len <= t->off + t->len);
        if (t->data) {
            FUZZ_ASSERT(t->data >= data && t->data + t->nbytes <= data + size);
            slm_stats s;
            slm_stats_init(&s);
            slm_stats_add(&s, t->dtype, t->data, 0, t->nelem);
        }
        FUZZ_ASSERT(t->data_location != 1 || t->data == NULL); /* no folder: never resolved */
    }
    for (size_t i = 0; i < g->nnode; i++) {
        const slm_onnx_node *n = &g->node[i];
        for (size_t k = 0; k < n->nin; k++)
            FUZZ_ASSERT(n->in[k] != NULL);
        for (size_t k = 0; k < n->nout; k++)
            FUZZ_ASSERT(n->out[k] != NULL);
        for (size_t k = 0; k < n->na; k++)
            for (size_t j = 0; j < n->a[k].ng; j++)
                check_graph(n->a[k].g[j], data, size);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    slm_onnx o, o2;
    slm_diag d, d2;
    slm_diag_init(&d);
    slm_diag_init(&d2);
    memset(&o, 0, sizeof o);
    memset(&o2, 0, sizeof o2);
    slm_onnx_parse(&o, data, size, "fuzz", NULL, &d);
    slm_onnx_parse(&o2, data, size, "fuzz", NULL, &d2);
    fuzz_check_findings(&d, size);
    fuzz_check_same(&d, &d2);
    bool wire = d.per_rule[SLM_R_ONNX_001] || d.per_rule[SLM_R_ONNX_002] || d.per_rule[SLM_R_ONNX_070];
    FUZZ_ASSERT(o.wire_ok == !wire);
    if (o.wire_ok)
        check_graph(&o.graph, data, size);
    slm_onnx_close(&o);
    slm_onnx_close(&o2);
    slm_diag_free(&d);
    slm_diag_free(&d2);
    fuzz_check_file(data, size, "model.onnx");
    return 0;
}

/* libFuzzer harness: ONNX external data.  The input is a model and the one
 * file its tensors may name, written side by side in a private folder:
 *
 *   input = len (4 bytes, little-endian) | model (len bytes) | data file
 *
 * the model as model.onnx, the rest as model.onnx_data (a location that
 * names anything else is simply missing).  Invariants: every tensor view
 * lies inside the map of the file that holds it and reads whole (ASan);
 * a location that escapes the folder is never opened; the file-level
 * invariants of fuzz_common.h hold for the pair. */
#include "fuzz_common.h"

static void check_graph(const slm_onnx *o, const slm_onnx_graph *g)
{
    for (size_t i = 0; i < g->ninit; i++) {
        const slm_onnx_tensor *t = &g->init[i];
        if (!t->data)
            continue;
        if (t->ext_index >= 0) {
            FUZZ_ASSERT((size_t)t->ext_index < o->next);
            const slm_onnx_ext *e = &o->ext[t->ext_index];
            FUZZ_ASSERT(!e->escapes && e->err == 0);
            FUZZ_ASSERT(t->data >= e->map.data && t->data + t->nbytes <= e->map.data + e->map.size);
        } else {
            FUZZ_ASSERT(t->data >= o->data && t->data + t->nbytes <= o->data + o->size);
        }
        slm_stats s;
        slm_stats_init(&s);
        slm_stats_add(&s, t->dtype, t->data, 0, t->nelem);
    }
    for (size_t i = 0; i < g->nnode; i++)
        for (size_t k = 0; k < g->node[i].na; k++)
            for (size_t j = 0; j < g->node[i].a[k].ng; j++)
                check_graph(o, g->node[i].a[k].g[j]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    uint32_t len = (uint32_t)data[0] | (uint32_t)data[1] << 8 | (uint32_t)data[2] << 16 |
                   (uint32_t)data[3] << 24;
    if (len > size - 4)
        return 0;
    /* fuzz_write_file returns one static buffer: copy each path */
    char ext[512], model[512];
    const char *p = fuzz_write_file(data + 4 + len, size - 4 - len, "model.onnx_data");
    if (!p)
        return 0;
    snprintf(ext, sizeof ext, "%s", p);
    if (!(p = fuzz_write_file(data + 4, len, "model.onnx")))
        return 0;
    snprintf(model, sizeof model, "%s", p);
    slm_onnx o;
    slm_diag d;
    slm_diag_init(&d);
    memset(&o, 0, sizeof o);
    if (slm_onnx_open(&o, model, model, &d) == 0) {
        fuzz_check_findings(&d, (uint64_t)-1); /* offsets may be in either file */
        if (o.wire_ok)
            check_graph(&o, &o.graph);
    }
    slm_onnx_close(&o);
    slm_diag_free(&d);
    fuzz_check_file(data + 4, len, "model.onnx"); /* with model.onnx_data beside it */
    unlink(ext);
    return 0;
}

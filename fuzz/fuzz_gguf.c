/* libFuzzer harness: GGUF parse (slm_gguf_parse) and model-level rules.
 * Invariants: findings lie in the input; a second parse agrees; valid (ggml
 * would load it) exactly when no error other than GGUF-105 (stricter than
 * ggml) is found; every key, value and tensor view lies inside the input and
 * reads whole (ASan checks each byte); on a valid file the tensors tile the
 * data section at their padded offsets and the section lies inside the
 * file; the file-level invariants of fuzz_common.h hold. */
#include "fuzz_common.h"

#include <string.h>

static void check_views(const slm_gguf *g, const uint8_t *data, size_t size)
{
    volatile uint8_t sink = 0;
    for (size_t i = 0; i < g->nkv; i++) {
        const slm_gguf_kv *kv = &g->kv[i];
        FUZZ_ASSERT((const uint8_t *)kv->key.p >= data && (const uint8_t *)kv->key.p + kv->key.n <= data + size);
        FUZZ_ASSERT(kv->value >= data && kv->value + kv->value_len <= data + size);
        slm_gguf_str s;
        if (kv->is_array && kv->type == SLM_GGUF_STRING && kv->n)
            FUZZ_ASSERT(slm_gguf_kv_arr_str(kv, kv->n - 1, &s) && (const uint8_t *)s.p + s.n <= data + size);
        if (slm_gguf_kv_str(kv, &s))
            FUZZ_ASSERT((const uint8_t *)s.p + s.n <= data + size);
    }
    for (size_t i = 0; i < g->nt; i++) {
        const slm_gguf_tensor *t = &g->t[i];
        FUZZ_ASSERT(strlen(t->name) == t->name_len);
        if (!t->data)
            continue;
        FUZZ_ASSERT(t->data >= data && t->nbytes <= size && t->data + t->nbytes <= data + size);
        for (uint64_t k = 0; k < t->nbytes; k += 4096)
            sink ^= t->data[k];
        if (t->nbytes)
            sink ^= t->data[t->nbytes - 1];
    }
    (void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    slm_gguf g, g2;
    slm_diag d, d2;
    slm_diag_init(&d);
    slm_diag_init(&d2);
    memset(&g, 0, sizeof g);
    memset(&g2, 0, sizeof g2);
    slm_gguf_parse(&g, data, size, "fuzz", &d);
    slm_gguf_parse(&g2, data, size, "fuzz", &d2);
    if (g.valid)
        slm_gguf_check_model(&g, &d);
    if (g2.valid)
        slm_gguf_check_model(&g2, &d2);
    fuzz_check_findings(&d, size);
    fuzz_check_same(&d, &d2);
    size_t errors = 0;
    for (size_t i = 0; i < d.n; i++)
        if (d.v[i].severity == SLM_ERROR && d.v[i].rule != SLM_R_GGUF_105 && d.v[i].rule < SLM_R_GGUF_201)
            errors++;
    if (!d.dropped)
        FUZZ_ASSERT(g.valid == (errors == 0));
    check_views(&g, data, size);
    if (g.valid && !d.per_rule[SLM_R_GGUF_105]) {
        uint64_t sum = 0;
        for (size_t i = 0; i < g.nt; i++) {
            FUZZ_ASSERT(g.t[i].ok && g.t[i].rel_offset == sum);
            sum += (g.t[i].nbytes + g.alignment - 1) / g.alignment * g.alignment;
        }
        FUZZ_ASSERT(sum == g.data_size && g.data_offset + g.data_size <= size);
    }
    slm_gguf_close(&g);
    slm_gguf_close(&g2);
    slm_diag_free(&d);
    slm_diag_free(&d2);
    fuzz_check_file(data, size, "model.gguf");
    return 0;
}

/* libFuzzer harness: WebAssembly model libraries.  Invariants: findings lie
 * in the input; a second parse agrees; every name, segment and the metadata
 * lie inside the input; a valid module's ABI matches its imports; the
 * file-level invariants of fuzz_common.h hold. */
#include "fuzz_common.h"

#include <string.h>

static int inside(const void *p, size_t n, const uint8_t *data, size_t size)
{
    const uint8_t *q = p;
    return n == 0 || (q >= data && q + n <= data + size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    slm_wasm w, w2;
    slm_diag d, d2;
    slm_diag_init(&d);
    slm_diag_init(&d2);
    memset(&w, 0, sizeof w);
    memset(&w2, 0, sizeof w2);
    slm_wasm_parse(&w, data, size, "fuzz.wasm", &d);
    slm_wasm_parse(&w2, data, size, "fuzz.wasm", &d2);
    fuzz_check_findings(&d, size);
    fuzz_check_same(&d, &d2);
    FUZZ_ASSERT(w.nimp == w2.nimp && w.nexp == w2.nexp && w.nseg == w2.nseg && w.abi == w2.abi);
    for (size_t i = 0; i < w.nimp; i++)
        FUZZ_ASSERT(inside(w.imp[i].module.p, w.imp[i].module.n, data, size) &&
                    inside(w.imp[i].field.p, w.imp[i].field.n, data, size));
    for (size_t i = 0; i < w.nexp; i++)
        FUZZ_ASSERT(inside(w.exp[i].name.p, w.exp[i].name.n, data, size));
    for (size_t i = 0; i < w.nseg; i++)
        FUZZ_ASSERT(inside(w.seg[i].bytes, w.seg[i].size, data, size) && w.seg[i].file_off + w.seg[i].size <= size);
    for (size_t i = 0; i < w.nsec; i++)
        FUZZ_ASSERT(w.sec[i].start + w.sec[i].size <= size);
    if (w.meta.found) {
        FUZZ_ASSERT(w.meta.off + w.meta.len <= size && data[w.meta.off] == '{');
        FUZZ_ASSERT(w.meta.nparams == w2.meta.nparams);
    }
    bool legacy = slm_wasm_imports(&w, "env", "TVMWasmPackedCFunc"), ffi = slm_wasm_imports(&w, "env", "TVMFFIWasmSafeCall");
    FUZZ_ASSERT(w.abi == (legacy && ffi ? SLM_WASM_ABI_MIXED : legacy ? SLM_WASM_ABI_LEGACY
                                                          : ffi ? SLM_WASM_ABI_FFI : SLM_WASM_ABI_NONE));
    FUZZ_ASSERT(!w.valid || d.count[SLM_ERROR] == 0 || w.meta.found);
    slm_wasm_close(&w);
    slm_wasm_close(&w2);
    slm_diag_free(&d);
    slm_diag_free(&d2);
    fuzz_check_file(data, size, "model.wasm");
    return 0;
}

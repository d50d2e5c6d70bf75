/* libFuzzer harness: safetensors header parse and validation.
 * Invariants: findings lie in the input; a second parse agrees; a file with
 * no error has every tensor inside the file, tiling the data buffer, and its
 * values can all be read (ASan checks each byte); the file-level invariants
 * of fuzz_common.h hold. */
#include "fuzz_common.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    slm_st st, st2;
    slm_diag d, d2;
    slm_diag_init(&d);
    slm_diag_init(&d2);
    memset(&st, 0, sizeof st);
    memset(&st2, 0, sizeof st2);
    slm_st_parse(&st, data, size, "fuzz", &d);
    slm_st_parse(&st2, data, size, "fuzz", &d2);
    fuzz_check_findings(&d, size);
    fuzz_check_same(&d, &d2);
    FUZZ_ASSERT(st.valid == (d.count[SLM_ERROR] == 0));
    if (st.valid) {
        uint64_t end = 0;
        for (size_t i = 0; i < st.n; i++) {
            const slm_st_tensor *t = &st.t[i];
            FUZZ_ASSERT(t->begin == end && t->end - t->begin == t->nbytes);
            end = t->end;
            FUZZ_ASSERT(slm_st_find(&st, t->name) != NULL);
            const uint8_t *p = slm_st_tensor_data(&st, t);
            if (p) {
                FUZZ_ASSERT(p >= data && p + t->nbytes <= data + size);
                slm_stats s;
                slm_stats_init(&s);
                slm_stats_add(&s, t->dtype, p, 0, t->nelem);
            }
        }
        FUZZ_ASSERT(st.data_start + end == size);
    }
    slm_st_close(&st);
    slm_st_close(&st2);
    slm_diag_free(&d);
    slm_diag_free(&d2);
    fuzz_check_file(data, size, "model.safetensors");
    return 0;
}

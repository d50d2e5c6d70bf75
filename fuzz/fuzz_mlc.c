/* libFuzzer harness: MLC tensor caches and mlc-chat-config.json (parsing
 * only; no shard is opened).  Invariants: findings lie in the input; a
 * second parse agrees; every record names a shard slot; every well-formed
 * record's nbytes is its shape times its dtype size; no shard path escapes;
 * the file-level invariants of fuzz_common.h hold (as a cache alone in its
 * folder: verify twice agrees, offsets inside it). */
#include "fuzz_common.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    slm_mlc x, y;
    slm_diag d, d2;
    slm_diag_init(&d);
    slm_diag_init(&d2);
    memset(&x, 0, sizeof x);
    memset(&y, 0, sizeof y);
    slm_mlc_parse(&x, data, size, "fuzz-cache.json", "/nonexistent", &d);
    slm_mlc_parse(&y, data, size, "fuzz-cache.json", "/nonexistent", &d2);
    fuzz_check_findings(&d, size);
    fuzz_check_same(&d, &d2);
    FUZZ_ASSERT(x.nr == y.nr && x.ns == y.ns);
    for (size_t i = 0; i < x.nr; i++) {
        const slm_mlc_record *r = &x.r[i];
        FUZZ_ASSERT(r->shard < x.ns && r->json_off <= size);
        if (r->ok) {
            uint64_t nb;
            FUZZ_ASSERT(r->name && r->shape);
            FUZZ_ASSERT(!slm_dtype_nbytes(r->dtype, r->nelem, false, &nb) || nb == r->nbytes ||
                        (r->dtype == SLM_DT_F32 && r->nbytes == 2 * r->nelem));
        }
    }
    for (size_t i = 0; i < x.ns; i++)
        if (x.s[i].path) {
            const char *s = x.s[i].data_path;
            FUZZ_ASSERT(s[0] != '/' && strcmp(s, "..") != 0 && strncmp(s, "../", 3) != 0 && !strstr(s, "/../"));
        }
    slm_mlc_close(&x);
    slm_mlc_close(&y);
    /* the same bytes as a chat config */
    slm_mlc_config c;
    slm_diag dc;
    slm_diag_init(&dc);
    memset(&c, 0, sizeof c);
    slm_mlc_config_parse(&c, data, size, "fuzz-config.json", &dc);
    fuzz_check_findings(&dc, size);
    FUZZ_ASSERT(!c.parsed || c.root != NULL);
    slm_mlc_config_close(&c);
    slm_diag_free(&d);
    slm_diag_free(&d2);
    slm_diag_free(&dc);
    fuzz_check_file(data, size, "ndarray-cache.json");
    return 0;
}

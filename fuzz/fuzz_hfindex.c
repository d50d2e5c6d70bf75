/* libFuzzer harness: *.index.json manifests alone (the shards they name do
 * not exist).  Invariants: findings lie in the input; a second parse agrees;
 * every accepted entry names a shard slot and no shard name escapes; the
 * file-level invariants of fuzz_common.h hold. */
#include "fuzz_common.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    slm_hfindex x, y;
    slm_diag d, d2;
    slm_diag_init(&d);
    slm_diag_init(&d2);
    memset(&x, 0, sizeof x);
    memset(&y, 0, sizeof y);
    slm_hfindex_parse(&x, data, size, "fuzz.index.json", "/nonexistent", &d);
    slm_hfindex_parse(&y, data, size, "fuzz.index.json", "/nonexistent", &d2);
    fuzz_check_findings(&d, size);
    fuzz_check_same(&d, &d2);
    for (size_t i = 0; i < x.n; i++) {
        FUZZ_ASSERT(x.e[i].shard < x.nshards);
        FUZZ_ASSERT(x.e[i].off <= size);
    }
    for (size_t i = 0; i < x.nshards; i++) { /* no shard name leaves the folder */
        const char *s = x.shards[i];
        size_t l = strlen(s);
        FUZZ_ASSERT(l > 0 && s[0] != '/' && strcmp(s, "..") != 0 && strncmp(s, "../", 3) != 0 &&
                    strstr(s, "/../") == NULL && !(l >= 3 && strcmp(s + l - 3, "/..") == 0));
    }
    slm_hfindex_close(&x);
    slm_hfindex_close(&y);
    slm_diag_free(&d);
    slm_diag_free(&d2);
    fuzz_check_file(data, size, "model.safetensors.index.json");
    return 0;
}

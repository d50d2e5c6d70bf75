/* libFuzzer harness: configuration files read by path -- a transformers
 * config.json and an mlc-chat-config.json -- alone in a private folder,
 * verified as files and as a folder under each deployment target.
 * Invariants: two runs give the same findings; offsets lie in the input;
 * a file that verifies clean opens clean (fuzz_common.h). */
#include "fuzz_common.h"

static void check_targets(void)
{
    static const char *const targets[] = {NULL, "auto", "hf", "transformers.js", "webllm"};
    for (size_t i = 0; i < sizeof targets / sizeof *targets; i++) {
        slm_verify_opts o;
        memset(&o, 0, sizeof o);
        o.target = targets[i];
        slm_diag a, b;
        slm_diag_init(&a);
        slm_diag_init(&b);
        int ra = slm_verify_path(fuzz_dir, &o, &a);
        int rb = slm_verify_path(fuzz_dir, &o, &b);
        FUZZ_ASSERT(ra == rb);
        fuzz_check_same(&a, &b);
        slm_diag_free(&a);
        slm_diag_free(&b);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const names[] = {"config.json", "mlc-chat-config.json"};
    for (size_t i = 0; i < 2; i++) {
        const char *p = fuzz_write_file(data, size, names[i]);
        if (!p)
            continue;
        char path[512];
        snprintf(path, sizeof path, "%s", p);
        check_targets();
        unlink(path);
        fuzz_check_file(data, size, names[i]);
    }
    return 0;
}

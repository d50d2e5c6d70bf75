/* libFuzzer harness: configuration files read by path -- a transformers
 * config.json and an mlc-chat-config.json -- alone in a private folder,
 * verified as a file and as a folder under a deployment target.
 * Invariants: two runs give the same findings; offsets lie in the input;
 * a file that verifies clean opens clean (fuzz_common.h); beside an empty
 * safetensors file, its leaves are a model's facts (slm diff), stable. */
#include "fuzz_common.h"

/* Each input is read as one file name under one target, both picked from a
 * hash of the input, so every pair is covered across the corpus. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const names[] = {"config.json", "mlc-chat-config.json"};
    static const char *const targets[] = {"auto", "hf", "transformers.js", "webllm"};
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < size; i++)
        h = (h ^ data[i]) * 16777619u;
    const char *name = names[h & 1], *p = fuzz_write_file(data, size, name);
    if (!p)
        return 0;
    char path[512];
    snprintf(path, sizeof path, "%s", p);
    slm_verify_opts o;
    memset(&o, 0, sizeof o);
    o.target = targets[(h >> 1) % 4];
    slm_diag a, b;
    slm_diag_init(&a);
    slm_diag_init(&b);
    int ra = slm_verify_path(fuzz_dir, &o, &a);
    int rb = slm_verify_path(fuzz_dir, &o, &b);
    FUZZ_ASSERT(ra == rb);
    fuzz_check_same(&a, &b);
    slm_diag_free(&a);
    slm_diag_free(&b);
    if (strcmp(name, "config.json") == 0) { /* the config as slm diff reads it */
        static const uint8_t empty_st[] = {2, 0, 0, 0, 0, 0, 0, 0, '{', '}'};
        const char *w = fuzz_write_file(empty_st, sizeof empty_st, "model.safetensors");
        slm_model m;
        slm_diag c;
        slm_diag_init(&c);
        if (w) { /* the config does not decide whether the weights open */
            FUZZ_ASSERT(slm_model_open(&m, fuzz_dir, &c) == 0 && m.config);
            fuzz_check_facts(&m);
            slm_model_close(&m);
        }
        slm_diag_free(&c);
        if (w)
            unlink(w);
    }
    unlink(path);
    fuzz_check_file(data, size, name);
    return 0;
}

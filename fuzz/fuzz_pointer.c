/* libFuzzer harness: pointer files (slm/pointer.h) -- Git LFS, git-xet,
 * git-annex -- read as the model file a checkout holds in their place.
 * Invariants: the parse is the same twice; a pointer is at most
 * SLM_POINTER_MAX bytes and starts with its format's first line; its object
 * name is printable text inside its buffer; and a file that parses as a
 * pointer verifies as exactly one finding, IO-002 at offset 0, whatever its
 * name promises (model.safetensors, model.onnx, params_shard_0.bin's cache). */
#include "fuzz_common.h"

static bool starts(const uint8_t *d, size_t n, const char *s)
{
    size_t l = strlen(s);
    return n >= l && memcmp(d, s, l) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    slm_pointer a, b;
    bool pa = slm_pointer_parse(data, size, &a), pb = slm_pointer_parse(data, size, &b);
    FUZZ_ASSERT(pa == pb && a.kind == b.kind && a.size == b.size && strcmp(a.oid, b.oid) == 0);
    FUZZ_ASSERT(pa == (a.kind != SLM_PTR_NONE));
    FUZZ_ASSERT(memchr(a.oid, 0, sizeof a.oid) != NULL && a.size >= -1);
    for (const char *p = a.oid; *p; p++)
        FUZZ_ASSERT((unsigned char)*p >= 0x20 && *p != 0x7f);
    if (pa) {
        FUZZ_ASSERT(size > 0 && size <= SLM_POINTER_MAX);
        FUZZ_ASSERT(a.kind == SLM_PTR_GIT_LFS ? starts(data, size, "version https://git-lfs.github.com/spec/") ||
                                                     starts(data, size, "version https://hawser.github.com/spec/")
                    : a.kind == SLM_PTR_XET ? starts(data, size, "# xet version ")
                                            : starts(data, size, "/annex/objects/"));
    }
    static const char *const names[] = {"model.safetensors", "model.onnx", "lib.wasm"};
    uint32_t h = 2166136261u; /* FNV-1a: the file name from the input */
    for (size_t i = 0; i < size; i++)
        h = (h ^ data[i]) * 16777619u;
    const char *p = fuzz_write_file(data, size, names[h % 3]);
    if (!p)
        return 0;
    char path[512];
    snprintf(path, sizeof path, "%s", p);
    slm_verify_opts o;
    memset(&o, 0, sizeof o);
    slm_diag d;
    slm_diag_init(&d);
    slm_verify_path(path, &o, &d);
    fuzz_check_findings(&d, size);
    if (pa)
        FUZZ_ASSERT(d.n == 1 && d.v[0].rule == SLM_R_IO_002 && d.v[0].offset == 0);
    else
        for (size_t i = 0; i < d.n; i++)
            FUZZ_ASSERT(d.v[i].rule != SLM_R_IO_002);
    slm_diag_free(&d);
    unlink(path);
    return 0;
}

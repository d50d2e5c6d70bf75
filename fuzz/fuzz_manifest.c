/* libFuzzer harness: integrity manifests (slm_manifest_check, spec/hash.md).
 * The input is a manifest; the copy it is checked against is a small fixed
 * folder written once (the same bytes as fuzz/corpus/manifest/README.md
 * describes, so the seeds' hashes match it):
 *
 *   copy/a.bin          3000 bytes, byte i = (7 i) mod 251
 *   copy/sub/b.txt      "hello\n"
 *   copy/w.safetensors  two U8 tensors, "x" [0, 5) and "y" [5, 12), data bytes 0..11
 *
 * Invariants: findings about the manifest lie inside it; a second check
 * agrees; every other finding names a file of the copy by a path without
 * '.' or '..' parts (a path that would leave the copy is never opened); the
 * manifest slm_manifest_make writes of the copy checks clean. */
#include "fuzz_common.h"
#include "manifest.h"

static uint64_t copy_bytes; /* all the fixture's bytes */

/* The fixture, once: false when it cannot be written (checks are skipped). */
static bool fixture(void)
{
    static int state; /* 0 not yet, 1 ready, -1 failed */
    if (state)
        return state > 0;
    state = -1;
    if (!fuzz_write_file((const uint8_t *)"", 0, "manifest.json")) /* makes fuzz_dir */
        return false;
    static const char hdr[] = "{\"x\":{\"dtype\":\"U8\",\"shape\":[5],\"data_offsets\":[0,5]},"
                              "\"y\":{\"dtype\":\"U8\",\"shape\":[7],\"data_offsets\":[5,12]}}  ";
    uint8_t st[8 + sizeof hdr - 1 + 12] = {(uint8_t)(sizeof hdr - 1)};
    memcpy(st + 8, hdr, sizeof hdr - 1);
    for (int i = 0; i < 12; i++)
        st[8 + sizeof hdr - 1 + i] = (uint8_t)i;
    if (!(copy_bytes = fuzz_copy_make("w.safetensors", st, sizeof st)))
        return false;
    /* the manifest of the copy checks clean (once per process) */
    slm_manifest_opts o;
    memset(&o, 0, sizeof o);
    o.jobs = 1;
    slm_diag d;
    slm_diag_init(&d);
    const char *paths[] = {fuzz_copy_dir};
    cJSON *m = NULL;
    FUZZ_ASSERT(slm_manifest_make(paths, 1, &o, &m, &d) == 0 && m && d.n == 0);
    char *text = cJSON_Print(m);
    FUZZ_ASSERT(text != NULL);
    const char *mp = fuzz_write_file((const uint8_t *)text, strlen(text), "manifest.json");
    FUZZ_ASSERT(mp && slm_manifest_check(mp, fuzz_copy_dir, &o, &d) == 0 && d.n == 0);
    free(text);
    cJSON_Delete(m);
    slm_diag_free(&d);
    state = 1;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!fixture())
        return 0;
    const char *mp = fuzz_write_file(data, size, "manifest.json");
    if (!mp)
        return 0;
    char manifest[600];
    snprintf(manifest, sizeof manifest, "%s", mp);
    slm_manifest_opts o;
    memset(&o, 0, sizeof o);
    o.jobs = 1;
    slm_manifest_stats st;
    o.stats = &st;
    slm_diag a, b;
    slm_diag_init(&a);
    slm_diag_init(&b);
    int ra = slm_manifest_check(manifest, fuzz_copy_dir, &o, &a);
    int rb = slm_manifest_check(manifest, fuzz_copy_dir, &o, &b);
    FUZZ_ASSERT(ra == 0 && rb == 0);
    fuzz_check_same(&a, &b);
    FUZZ_ASSERT(st.files <= 3 && st.bytes <= copy_bytes);
    for (size_t i = 0; i < a.n; i++) {
        const slm_finding *f = &a.v[i];
        FUZZ_ASSERT((unsigned)f->rule < SLM_R__COUNT && f->message && f->file);
        if (strcmp(f->file, manifest) == 0)
            FUZZ_ASSERT(f->offset >= -1 && (f->offset == -1 || (uint64_t)f->offset <= size));
        else
            FUZZ_ASSERT(fuzz_plain_path_under(fuzz_copy_dir, f->file));
    }
    slm_diag_free(&a);
    slm_diag_free(&b);
    unlink(manifest);
    return 0;
}

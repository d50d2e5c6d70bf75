/* libFuzzer harness: model_signing bundles (slm_msig_check, spec/hash.md
 * "model_signing").  The input is a bundle; the model it is checked against
 * is a small fixed folder written once (the bytes fuzz/seeds/msig.py writes):
 *
 *   copy/a.bin       3000 bytes, byte i = (7 i) mod 251
 *   copy/sub/b.txt   "hello\n"
 *
 * Invariants: findings about the bundle name the bundle, with no offset past
 * its end; a second check agrees; every other finding names a file of the
 * copy by a path without '.' or '..' parts (a name in a statement is never
 * opened); at most the copy's files and bytes are hashed; the statement
 * slm_msig_statement makes of the copy, in a bundle, checks clean. */
#include "fuzz_common.h"
#include "msig.h"

#include <openssl/evp.h>

static uint64_t copy_bytes;

/* STATEMENT as an unsigned Sigstore bundle, written as bundle.sig. */
static const char *write_bundle(const cJSON *statement)
{
    char *text = cJSON_PrintUnformatted(statement);
    FUZZ_ASSERT(text != NULL);
    size_t n = strlen(text);
    char *b64 = malloc(4 * (n / 3 + 1) + 1);
    FUZZ_ASSERT(b64 != NULL);
    EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)text, (int)n);
    char *bundle = slm_strdupf("{\"mediaType\": \"application/vnd.dev.sigstore.bundle.v0.3+json\", \"dsseEnvelope\": "
                               "{\"payload\": \"%s\", \"payloadType\": \"%s\", \"signatures\": []}}",
                               b64, SLM_INTOTO_PAYLOAD_TYPE);
    FUZZ_ASSERT(bundle != NULL);
    const char *p = fuzz_write_file((const uint8_t *)bundle, strlen(bundle), "bundle.sig");
    free(text);
    free(b64);
    free(bundle);
    return p;
}

static bool fixture(void)
{
    static int state; /* 0 not yet, 1 ready, -1 failed */
    if (state)
        return state > 0;
    state = -1;
    if (!fuzz_write_file((const uint8_t *)"", 0, "bundle.sig")) /* makes fuzz_dir */
        return false;
    if (!(copy_bytes = fuzz_copy_make(NULL, NULL, 0)))
        return false;
    slm_manifest_opts o;
    memset(&o, 0, sizeof o);
    o.jobs = 1;
    slm_diag d;
    slm_diag_init(&d);
    cJSON *st = NULL;
    FUZZ_ASSERT(slm_msig_statement(fuzz_copy_dir, &o, NULL, &st, &d) == 0 && st && d.n == 0);
    const char *bp = write_bundle(st);
    FUZZ_ASSERT(bp && slm_msig_is_bundle(bp));
    FUZZ_ASSERT(slm_msig_check(bp, fuzz_copy_dir, &o, NULL, &d) == 0 && d.n == 0);
    cJSON_Delete(st);
    slm_diag_free(&d);
    state = 1;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!fixture())
        return 0;
    const char *bp = fuzz_write_file(data, size, "bundle.sig");
    if (!bp)
        return 0;
    char bundle[600];
    snprintf(bundle, sizeof bundle, "%s", bp);
    (void)slm_msig_is_bundle(bundle);
    slm_manifest_opts o;
    memset(&o, 0, sizeof o);
    o.jobs = 1;
    slm_manifest_stats st = {0};
    o.stats = &st;
    slm_diag a, b;
    slm_diag_init(&a);
    slm_diag_init(&b);
    int ra = slm_msig_check(bundle, fuzz_copy_dir, &o, NULL, &a);
    int rb = slm_msig_check(bundle, fuzz_copy_dir, &o, NULL, &b);
    FUZZ_ASSERT(ra == 0 && rb == 0);
    fuzz_check_same(&a, &b);
    FUZZ_ASSERT(st.files <= 2 && st.bytes <= copy_bytes);
    for (size_t i = 0; i < a.n; i++) {
        const slm_finding *f = &a.v[i];
        FUZZ_ASSERT((unsigned)f->rule < SLM_R__COUNT && f->message && f->file);
        if (strcmp(f->file, bundle) == 0)
            FUZZ_ASSERT(f->offset >= -1 && (f->offset == -1 || (uint64_t)f->offset <= size));
        else
            FUZZ_ASSERT(fuzz_plain_path_under(fuzz_copy_dir, f->file));
    }
    slm_diag_free(&a);
    slm_diag_free(&b);
    unlink(bundle);
    return 0;
}

/* Invariants every harness asserts, beyond "no crash".  A violated invariant
 * aborts, which libFuzzer and the replay driver both report. */
#ifndef SLM_FUZZ_COMMON_H
#define SLM_FUZZ_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diff.h"
#include "slm/slm.h"
#include "verify.h"

#define FUZZ_ASSERT(c)                                                                             \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "invariant failed: %s (%s:%d)\n", #c, __FILE__, __LINE__);             \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* Every finding names a rule, has a message, and its offset lies in the input. */
static inline void fuzz_check_findings(const slm_diag *d, uint64_t size)
{
    for (size_t i = 0; i < d->n; i++) {
        const slm_finding *f = &d->v[i];
        FUZZ_ASSERT((unsigned)f->rule < SLM_R__COUNT);
        FUZZ_ASSERT(f->message != NULL);
        FUZZ_ASSERT(f->offset >= -1 && (f->offset == -1 || (uint64_t)f->offset <= size));
    }
}

/* The facts of M (slm diff) come out the same twice, sorted, keys unique. */
static inline void fuzz_check_facts(const slm_model *m)
{
    slm_facts f, g;
    if (slm_model_facts(m, &f) != 0)
        return;
    if (slm_model_facts(m, &g) == 0) {
        FUZZ_ASSERT(f.n == g.n);
        for (size_t i = 0; i < f.n; i++) {
            FUZZ_ASSERT(strcmp(f.v[i].key, g.v[i].key) == 0 && strcmp(f.v[i].value, g.v[i].value) == 0);
            FUZZ_ASSERT(f.v[i].key[0] == '/' && (i == 0 || strcmp(f.v[i - 1].key, f.v[i].key) <= 0));
        }
        slm_facts_free(&g);
    }
    slm_facts_free(&f);
}

/* Two runs over the same input give the same findings (no hidden state). */
static inline void fuzz_check_same(const slm_diag *a, const slm_diag *b)
{
    FUZZ_ASSERT(a->n == b->n);
    for (size_t i = 0; i < a->n; i++) {
        FUZZ_ASSERT(a->v[i].rule == b->v[i].rule);
        FUZZ_ASSERT(a->v[i].offset == b->v[i].offset);
    }
}

/* The input as a file named NAME in a private folder (verify and
 * slm_model_open read paths).  Returns the path, or NULL when it cannot be
 * written (then the file-level invariants are skipped, not failed). */
static char fuzz_dir[256];
static inline void fuzz_rmdir(void) { (void)rmdir(fuzz_dir); }
static inline const char *fuzz_write_file(const uint8_t *data, size_t size, const char *name)
{
    static char path[512];
    if (!fuzz_dir[0]) {
        const char *tmp = getenv("TMPDIR");
        snprintf(fuzz_dir, sizeof fuzz_dir, "%s/slmfuzz-%ld", tmp && *tmp ? tmp : "/tmp", (long)getpid());
        if (mkdir(fuzz_dir, 0700) == 0)
            atexit(fuzz_rmdir);
    }
    snprintf(path, sizeof path, "%s/%s", fuzz_dir, name);
    FILE *f = fopen(path, "wb");
    if (!f)
        return NULL;
    size_t w = fwrite(data, 1, size, f);
    if (fclose(f) != 0 || w != size)
        return NULL;
    return path;
}

/* File-level invariants (issue "Fuzzing campaign"): verify twice gives the
 * same findings, every offset inside the file; a file that verifies without
 * findings opens as a model (where it holds weights) without findings, and
 * diffed against itself every tensor pairs by name with identical bytes. */
static inline void fuzz_check_file(const uint8_t *data, size_t size, const char *name)
{
    const char *path = fuzz_write_file(data, size, name);
    if (!path)
        return;
    slm_verify_opts o;
    memset(&o, 0, sizeof o);
    o.stats = true;
    slm_diag a, b;
    slm_diag_init(&a);
    slm_diag_init(&b);
    int ra = slm_verify_path(path, &o, &a);
    int rb = slm_verify_path(path, &o, &b);
    FUZZ_ASSERT(ra == rb);
    fuzz_check_same(&a, &b);
    for (size_t i = 0; i < a.n; i++) /* findings about this file lie inside it */
        if (a.v[i].file && strcmp(a.v[i].file, path) == 0)
            FUZZ_ASSERT(a.v[i].offset == -1 || (uint64_t)a.v[i].offset <= size);
    if (ra == 0 && a.n == 0) {
        slm_model m;
        slm_diag c;
        slm_diag_init(&c);
        int rc = slm_model_open(&m, path, &c);
        FUZZ_ASSERT(rc == 0 || rc == ENOTSUP);
        FUZZ_ASSERT(c.n == 0);
        if (rc == 0) {
            slm_tdiffs td;
            if (slm_diff_tensors(&m, &m, NULL, NULL, &td) == 0) {
                FUZZ_ASSERT(td.n == m.n);
                for (size_t i = 0; i < td.n; i++)
                    FUZZ_ASSERT(td.v[i].a && td.v[i].b && td.v[i].how == SLM_TP_NAME &&
                                (td.v[i].identical || !td.v[i].hashed_a));
                slm_tdiffs_free(&td);
            }
            fuzz_check_facts(&m);
            slm_model_close(&m);
        }
        slm_diag_free(&c);
    }
    slm_diag_free(&a);
    slm_diag_free(&b);
    unlink(path);
}

/* A small fixed folder to check manifests and bundles against (fuzz_manifest,
 * fuzz_msig), FUZZ_DIR/copy, written once:
 *
 *   copy/a.bin       3000 bytes, byte i = (7 i) mod 251
 *   copy/sub/b.txt   "hello\n"
 *   copy/EXTRA       when the harness names one
 *
 * fuzz_dir must exist (fuzz_write_file made it).  Returns the folder's bytes
 * in all, or 0 when it cannot be written (the harness then skips its checks). */
static char fuzz_copy_dir[600];
static const char *fuzz_copy_extra;

static inline bool fuzz_copy_put(const char *rel, const void *data, size_t n)
{
    char p[700];
    snprintf(p, sizeof p, "%s/%s", fuzz_copy_dir, rel);
    FILE *f = fopen(p, "wb");
    if (!f)
        return false;
    bool ok = fwrite(data, 1, n, f) == n;
    return fclose(f) == 0 && ok;
}

static inline void fuzz_copy_remove(void)
{
    const char *files[5];
    size_t n = 0;
    files[n++] = "a.bin";
    files[n++] = "sub/b.txt";
    if (fuzz_copy_extra)
        files[n++] = fuzz_copy_extra;
    files[n++] = "sub";
    files[n++] = ""; /* the folder itself */
    for (size_t i = 0; i < n; i++) {
        char p[700];
        snprintf(p, sizeof p, "%s/%s", fuzz_copy_dir, files[i]);
        if (remove(p) != 0 && errno != ENOENT)
            fprintf(stderr, "fuzz: cannot remove %s\n", p);
    }
}

static inline uint64_t fuzz_copy_make(const char *extra, const void *extra_data, size_t extra_n)
{
    snprintf(fuzz_copy_dir, sizeof fuzz_copy_dir, "%s/copy", fuzz_dir);
    char sub[700];
    snprintf(sub, sizeof sub, "%s/sub", fuzz_copy_dir);
    if (mkdir(fuzz_copy_dir, 0700) != 0 || mkdir(sub, 0700) != 0)
        return 0;
    fuzz_copy_extra = extra;
    atexit(fuzz_copy_remove); /* runs before fuzz_write_file's rmdir of fuzz_dir */
    uint8_t a[3000];
    for (size_t i = 0; i < sizeof a; i++)
        a[i] = (uint8_t)(7 * i % 251);
    if (!fuzz_copy_put("a.bin", a, sizeof a) || !fuzz_copy_put("sub/b.txt", "hello\n", 6) ||
        (extra && !fuzz_copy_put(extra, extra_data, extra_n)))
        return 0;
    return sizeof a + 6 + (extra ? extra_n : 0);
}

/* Is FILE a plain path below DIR: DIR, '/', then components none of which is
 * empty, "." or ".." (a finding about a copy names no other place)? */
static inline bool fuzz_plain_path_under(const char *dir, const char *file)
{
    size_t n = strlen(dir);
    if (strncmp(file, dir, n) != 0 || file[n] != '/')
        return false;
    for (const char *s = file + n + 1;;) {
        const char *e = strchr(s, '/');
        size_t k = e ? (size_t)(e - s) : strlen(s);
        if (k == 0 || (k == 1 && s[0] == '.') || (k == 2 && s[0] == '.' && s[1] == '.'))
            return false;
        if (!e)
            return true;
        s = e + 1;
    }
}

#endif

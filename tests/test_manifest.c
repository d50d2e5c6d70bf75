/* Integrity manifests through the library (verify/manifest.h): tensors that
 * straddle the hashing chunks hash as one-shot XXH3-128 of their bytes, in
 * make and in check, for any number of jobs; overlapping tensors (HS-020),
 * names that are not UTF-8 (HS-021), a manifest over the size limit
 * (HS-005); progress called one thread at a time, ending at the total.
 * Every input is built in code in a temporary folder. */
#include "test.h"
#include "manifest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <unistd.h>

static char root[256];

static void spit(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    CHECK_MSG(f != NULL, "cannot write %s", path);
    if (!f)
        return;
    CHECK(fwrite(data, 1, n, f) == n);
    fclose(f);
}

static char *path_in(const char *dir, const char *name)
{
    return slm_strdupf("%s/%s", dir, name);
}

/* A safetensors file of U8 tensors of the sizes SZ[0..N), named t0, t1, ...,
 * its data bytes from a fixed generator; the data start in *DATA_START. */
typedef struct st_file {
    uint8_t *bytes;
    size_t size, data_start;
    uint64_t off[8], len[8];
} st_file;

static st_file make_st(const uint64_t *sz, size_t n)
{
    st_file s = {0};
    char hdr[2048];
    size_t h = 0;
    uint64_t at = 0;
    h += (size_t)snprintf(hdr + h, sizeof hdr - h, "{");
    for (size_t i = 0; i < n; i++) {
        h += (size_t)snprintf(hdr + h, sizeof hdr - h, "%s\"t%zu\":{\"dtype\":\"U8\",\"shape\":[%llu],\"data_offsets\":[%llu,%llu]}",
                              i ? "," : "", i, (unsigned long long)sz[i], (unsigned long long)at,
                              (unsigned long long)(at + sz[i]));
        s.len[i] = sz[i];
        s.off[i] = at;
        at += sz[i];
    }
    h += (size_t)snprintf(hdr + h, sizeof hdr - h, "}");
    while (h % 8)
        hdr[h++] = ' ';
    s.data_start = 8 + h;
    s.size = s.data_start + at;
    s.bytes = malloc(s.size);
    for (int k = 0; k < 8; k++)
        s.bytes[k] = (uint8_t)(h >> (8 * k));
    memcpy(s.bytes + 8, hdr, h);
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (size_t i = s.data_start; i < s.size; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        s.bytes[i] = (uint8_t)x;
    }
    for (size_t i = 0; i < n; i++)
        s.off[i] += s.data_start;
    return s;
}

static const cJSON *file_entry(const cJSON *m, const char *path)
{
    const cJSON *f;
    cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(m, "files"))
    if (strcmp(cJSON_GetObjectItemCaseSensitive(f, "path")->valuestring, path) == 0)
        return f;
    return NULL;
}

/* The manifest as a reader sees it: its integers are raw (exact) items until printed. */
static cJSON *reparse(const cJSON *m)
{
    char *s = m ? cJSON_Print(m) : NULL;
    cJSON *r = s ? cJSON_Parse(s) : NULL;
    free(s);
    return r;
}

static bool write_json(const cJSON *doc, const char *path)
{
    char *s = cJSON_Print(doc);
    if (!s)
        return false;
    spit(path, s, strlen(s));
    free(s);
    return true;
}

/* ---- progress: one caller at a time, monotone enough, ending at the total */
typedef struct prog {
    atomic_int inside;
    int overlapped, calls;
    uint64_t last_done, total;
} prog;

static void on_progress(void *arg, uint64_t done, uint64_t total, const char *what)
{
    prog *p = arg;
    if (atomic_fetch_add(&p->inside, 1) != 0)
        p->overlapped++;
    p->calls++;
    p->last_done = done;
    p->total = total;
    CHECK(done <= total && strcmp(what, "hashing") == 0);
    usleep(50);
    atomic_fetch_sub(&p->inside, 1);
}

/* chunk_boundaries: tensors that begin, end and lie across the 1 MiB chunks. */
static void test_chunks(void)
{
    static const uint64_t sz[] = {1, (1u << 20) - 200, 3u * (1u << 20) + 5, 0, 17, 1u << 20, 0};
    const size_t n = sizeof sz / sizeof sz[0];
    st_file s = make_st(sz, n);
    char *dir = path_in(root, "chunks"), *file = path_in(dir, "w.safetensors");
    mkdir(dir, 0777);
    spit(file, s.bytes, s.size);
    for (unsigned jobs = 1; jobs <= 3; jobs++) {
        slm_diag d;
        slm_diag_init(&d);
        slm_manifest_stats st;
        prog pr = {0};
        slm_manifest_opts o = {jobs, on_progress, &pr, NULL, &st};
        const char *paths[] = {dir};
        cJSON *m = NULL;
        CHECK(slm_manifest_make(paths, 1, &o, &m, &d) == 0 && m);
        CHECK_EQ_U64(d.n, 0);
        CHECK_EQ_U64(st.files, 1);
        CHECK_EQ_U64(st.tensors, n);
        CHECK_EQ_U64(st.bytes, s.size);
        CHECK(pr.overlapped == 0 && pr.calls > 0);
        CHECK_EQ_U64(pr.last_done, s.size);
        CHECK_EQ_U64(pr.total, s.size);
        cJSON *rm = reparse(m);
        const cJSON *f = rm ? file_entry(rm, "w.safetensors") : NULL;
        CHECK(f != NULL);
        if (!f) {
            cJSON_Delete(rm);
            cJSON_Delete(m);
            slm_diag_free(&d);
            continue;
        }
        char want[33];
        slm_xxh128_hex(s.bytes, s.size, want);
        CHECK_STR(cJSON_GetObjectItemCaseSensitive(f, "xxh3_128")->valuestring, want);
        const cJSON *ts = cJSON_GetObjectItemCaseSensitive(f, "tensors");
        CHECK_EQ_U64(cJSON_GetArraySize(ts), n);
        /* sorted by offset, the empty ones first at a shared offset */
        size_t k = 0;
        const cJSON *t;
        uint64_t prev = 0;
        cJSON_ArrayForEach(t, ts)
        {
            const char *name = cJSON_GetObjectItemCaseSensitive(t, "name")->valuestring;
            size_t i = (size_t)atoi(name + 1);
            uint64_t off = (uint64_t)cJSON_GetObjectItemCaseSensitive(t, "offset")->valuedouble;
            CHECK(i < n && off == s.off[i] && off >= prev);
            CHECK_EQ_U64(cJSON_GetObjectItemCaseSensitive(t, "nbytes")->valuedouble, sz[i < n ? i : 0]);
            slm_xxh128_hex(s.bytes + s.off[i < n ? i : 0], (size_t)sz[i < n ? i : 0], want);
            CHECK_MSG(strcmp(cJSON_GetObjectItemCaseSensitive(t, "xxh3_128")->valuestring, want) == 0,
                      "tensor %s (jobs %u): hash differs from the one-shot hash of its bytes", name, jobs);
            prev = off;
            k++;
        }
        CHECK_EQ_U64(k, n);
        if (jobs == 1) {
            /* check: clean; then a byte flipped at a chunk boundary inside t2 names t2 alone */
            char *mp = path_in(root, "chunks.json");
            CHECK(write_json(m, mp));
            slm_diag c;
            slm_diag_init(&c);
            CHECK(slm_manifest_check(mp, dir, &o, &c) == 0);
            CHECK_EQ_U64(c.n, 0);
            CHECK_EQ_U64(st.tensors, n);
            uint64_t at = (uint64_t)2 << 20; /* a chunk boundary, inside t2 */
            CHECK(at > s.off[2] && at < s.off[2] + sz[2]);
            s.bytes[at] ^= 0x40;
            spit(file, s.bytes, s.size);
            slm_diag_free(&c);
            slm_diag_init(&c);
            CHECK(slm_manifest_check(mp, dir, &o, &c) == 0);
            CHECK_EQ_U64(c.n, 2);
            CHECK(diag_has(&c, "HS-012") == 1 && diag_has(&c, "HS-013") == 1);
            for (size_t i = 0; i < c.n; i++)
                if (strcmp(slm_rule_get(c.v[i].rule)->id, "HS-013") == 0) {
                    CHECK_STR(c.v[i].path, "t2");
                    CHECK_EQ_U64(c.v[i].offset, s.off[2]);
                }
            if (c.n != 2)
                diag_dump(&c);
            /* cut inside t5: t5 and the empty t6 after it are past the end */
            s.bytes[at] ^= 0x40;
            spit(file, s.bytes, (size_t)s.off[5] + 10);
            slm_diag_free(&c);
            slm_diag_init(&c);
            CHECK(slm_manifest_check(mp, dir, &o, &c) == 0);
            CHECK(diag_has(&c, "HS-011") == 1 && diag_has(&c, "HS-013") == 2 && c.n == 3);
            spit(file, s.bytes, s.size);
            slm_diag_free(&c);
            free(mp);
        }
        cJSON_Delete(rm);
        cJSON_Delete(m);
        slm_diag_free(&d);
    }
    free(s.bytes);
    free(file);
    free(dir);
}

/* overlap: a tensor whose bytes overlap an earlier one is left out (HS-020). */
static void test_overlap(void)
{
    const char *hdr = "{\"a\":{\"dtype\":\"U8\",\"shape\":[8],\"data_offsets\":[0,8]},"
                      "\"b\":{\"dtype\":\"U8\",\"shape\":[8],\"data_offsets\":[4,12]}}";
    size_t h = strlen(hdr), size = 8 + h + 12;
    uint8_t *b = calloc(1, size);
    for (int k = 0; k < 8; k++)
        b[k] = (uint8_t)(h >> (8 * k));
    memcpy(b + 8, hdr, h);
    char *file = path_in(root, "overlap.safetensors");
    spit(file, b, size);
    slm_diag d;
    slm_diag_init(&d);
    slm_manifest_opts o = {1, NULL, NULL, NULL, NULL};
    const char *paths[] = {file};
    cJSON *m = NULL;
    CHECK(slm_manifest_make(paths, 1, &o, &m, &d) == 0);
    CHECK(diag_has(&d, "HS-020") == 1 && d.n == 1);
    CHECK(d.n && d.v[0].offset == (int64_t)(8 + h + 4));
    const cJSON *f = m ? file_entry(m, "overlap.safetensors") : NULL;
    const cJSON *ts = f ? cJSON_GetObjectItemCaseSensitive(f, "tensors") : NULL;
    CHECK(cJSON_GetArraySize(ts) == 1 && strcmp(cJSON_GetArrayItem(ts, 0)->child->valuestring, "a") == 0);
    cJSON_Delete(m);
    slm_diag_free(&d);
    free(file);
    free(b);
}

/* not_utf8: a file name that JSON cannot carry is left out (HS-021), and a
 * check of the folder then calls it unlisted (HS-014). */
static void test_not_utf8(void)
{
    char *dir = path_in(root, "names"), *ok = path_in(dir, "ok.txt"), *bad = path_in(dir, "bad\xff.txt");
    mkdir(dir, 0777);
    spit(ok, "fine\n", 5);
    spit(bad, "odd\n", 4);
    slm_diag d;
    slm_diag_init(&d);
    slm_manifest_opts o = {2, NULL, NULL, NULL, NULL};
    const char *paths[] = {dir};
    cJSON *m = NULL;
    CHECK(slm_manifest_make(paths, 1, &o, &m, &d) == 0);
    CHECK(diag_has(&d, "HS-021") == 1 && d.n == 1);
    CHECK(d.n && strcmp(d.v[0].file, bad) == 0);
    CHECK(m && cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(m, "files")) == 1 && file_entry(m, "ok.txt"));
    char *mp = path_in(root, "names.json");
    CHECK(m && write_json(m, mp));
    slm_diag c;
    slm_diag_init(&c);
    CHECK(slm_manifest_check(mp, dir, &o, &c) == 0);
    CHECK(diag_has(&c, "HS-014") == 1 && c.n == 1);
    slm_diag_free(&c);
    slm_diag_free(&d);
    cJSON_Delete(m);
    unlink(bad);
    free(mp);
    free(ok);
    free(bad);
    free(dir);
}

/* too_large: a manifest over SLM_MANIFEST_MAX_BYTES is not parsed (a sparse file). */
static void test_too_large(void)
{
    char *mp = path_in(root, "huge.json");
    int fd = open(mp, O_CREAT | O_TRUNC | O_WRONLY, 0644);
    CHECK(fd >= 0 && ftruncate(fd, (off_t)SLM_MANIFEST_MAX_BYTES + 1) == 0);
    if (fd >= 0)
        close(fd);
    slm_diag d;
    slm_diag_init(&d);
    CHECK(slm_manifest_check(mp, root, NULL, &d) == 0);
    CHECK(diag_has(&d, "HS-005") == 1 && d.n == 1);
    unlink(mp);
    /* one byte under the limit is read (and is not JSON: NUL bytes) */
    fd = open(mp, O_CREAT | O_TRUNC | O_WRONLY, 0644);
    CHECK(fd >= 0 && ftruncate(fd, 64) == 0);
    if (fd >= 0)
        close(fd);
    slm_diag_free(&d);
    slm_diag_init(&d);
    CHECK(slm_manifest_check(mp, root, NULL, &d) == 0);
    CHECK(diag_has(&d, "HS-001") == 1 && d.n == 1);
    unlink(mp);
    slm_diag_free(&d);
    free(mp);
}

/* Unreadable inputs are errno values, not findings. */
static void test_errors(void)
{
    slm_diag d;
    slm_diag_init(&d);
    cJSON *m = NULL;
    char *none = path_in(root, "none");
    const char *paths[] = {none};
    CHECK(slm_manifest_make(paths, 1, NULL, &m, &d) == ENOENT && !m);
    CHECK(slm_manifest_check(none, NULL, NULL, &d) == ENOENT);
    const char *twice[] = {root, root};
    CHECK(slm_manifest_make(twice, 2, NULL, &m, &d) == EEXIST && !m);
    CHECK_EQ_U64(d.n, 0);
    slm_diag_free(&d);
    free(none);
}

int main(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(root, sizeof root, "%s/slm-manifest-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(root)) {
        perror("mkdtemp");
        return 1;
    }
    test_chunks();
    test_overlap();
    test_not_utf8();
    test_too_large();
    test_errors();
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", root);
    return test_done("test_manifest");
}

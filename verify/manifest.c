/* Integrity manifests: make and check (manifest.h, spec/hash.md).
 *
 *   manifest = { "manifest_version": 1, "tool": string, "algorithm": "xxh3-128",
 *                "files": [ file, ... ] }                    files sorted by path
 *   file     = { "path": relpath, "size": u64, "xxh3_128": hex32, "kind": string,
 *                ["md5sum": hex32,] ["tensors": [ tensor, ... ]] }
 *   tensor   = { "name": string, "offset": u64, "nbytes": u64, "xxh3_128": hex32 }
 *                                     sorted by offset; [offset, offset + nbytes) inside the
 *                                     file, no two overlapping
 *   relpath  = part *( "/" part ),  part = 1*byte but "/" and NUL, not "." or ".."
 *   hex32    = 32 hex digits: XXH3-128 in canonical (big-endian) form, as xxhsum -H2 prints
 *
 * Making: walk the PATHs, sniff each file's kind, take the tensors of every
 * weight artifact (slm_model_open on each .safetensors, .onnx and tensor
 * cache) and give each to the file that holds its bytes (by device and
 * inode), then hash every file in one pass over its mmap, files in
 * parallel.  Checking: validate the whole manifest first (nothing in it is
 * trusted before), hash each listed file of the copy, and only for a file
 * that differs hash its tensors' ranges to name the ones that differ. */
#include "manifest.h"
#include "parallel.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xxhash.h>
#if (defined(__x86_64__) || defined(__i386__)) && defined(__has_include)
#if __has_include(<xxh_x86dispatch.h>)
/* Debian's libxxhash builds its plain XXH3 entry points for baseline SSE2
 * and picks AVX2 / AVX-512 at run time only behind these names: 1.4x the
 * file hash, 1.7x file + tensor hashes (bench/README.md, issue 6). */
#include <xxh_x86dispatch.h>
#endif
#endif

/* Bytes hashed at a time: the chunk stays in L2 (512 KiB and up) between
 * the file's hash and the tensor's (bench/README.md, issue 6). */
#define HS_CHUNK ((uint64_t)256 << 10)
#define HS_JSON_DEPTH 16 /* a manifest nests 4 deep */
#define HS_ALGORITHM "xxh3-128"
#define HS_VERSION 1

typedef struct hs_tensor {
    char *name;
    uint64_t off, nbytes;
    int64_t json_off;       /* check: where the manifest lists it */
    uint8_t want[16];       /* check: the manifest's hash */
    uint8_t got[16];
    bool hashed;            /* got holds the hash of the bytes on disk */
} hs_tensor;

typedef struct hs_file {
    char *rel;              /* the path in the manifest */
    char *disk;             /* the path on disk */
    slm_kind kind;
    dev_t dev;
    ino_t ino;
    uint64_t size;          /* make: stat's; check: the manifest's */
    uint64_t disk_size;     /* stat's, for the order of work and progress */
    char md5[33];           /* an MLC shard's md5sum, or "" */
    hs_tensor *t;
    size_t nt, tcap;
    int64_t json_off;       /* check: the entry in the manifest */
    size_t index;           /* check: its index in "files" */
    uint8_t want[16];
    bool skip;              /* check: not hashed (missing, unreadable) */
    int err;                /* mapping it failed: an errno value */
    uint64_t got_size;
    uint8_t got[16];
} hs_file;

typedef struct hs_set {
    hs_file *v;
    size_t n, cap;
} hs_set;

/* ---- small helpers --------------------------------------------------------- */

static void hex_of(const uint8_t h[16], char out[33])
{
    static const char X[] = "0123456789abcdef";
    for (int i = 0; i < 16; i++) {
        out[2 * i] = X[h[i] >> 4];
        out[2 * i + 1] = X[h[i] & 15];
    }
    out[32] = 0;
}

static void digest_of(XXH128_hash_t h, uint8_t out[16])
{
    XXH128_canonical_t c;
    XXH128_canonicalFromHash(&c, h);
    memcpy(out, c.digest, 16);
}

XXH128_hash_t slm_xxh128(const void *p, size_t n)
{
    return XXH3_128bits(n ? p : "", n);
}

void slm_xxh128_fmt(XXH128_hash_t h, char out[33])
{
    uint8_t d[16];
    digest_of(h, d);
    hex_of(d, out);
}

void slm_xxh128_hex(const void *p, size_t n, char out[33])
{
    slm_xxh128_fmt(slm_xxh128(p, n), out);
}

static int hex_val(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* 32 lowercase hex digits (as xxhsum and md5sum print them) into 16 bytes;
 * false when S is not exactly that. */
static bool parse_hex32(const char *s, uint8_t out[16])
{
    for (int i = 0; i < 32; i++) {
        int a = hex_val(s[i]);
        if (a < 0)
            return false;
        if (i & 1)
            out[i / 2] = (uint8_t)(out[i / 2] << 4 | a);
        else
            out[i / 2] = (uint8_t)a;
    }
    return s[32] == 0;
}

static bool utf8_ok(const char *s)
{
    size_t n = strlen(s);
    return slm_utf8_check((const uint8_t *)s, n) == n;
}

static const char *base_of(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static void set_free(hs_set *s)
{
    for (size_t i = 0; i < s->n; i++) {
        for (size_t k = 0; k < s->v[i].nt; k++)
            free(s->v[i].t[k].name);
        free(s->v[i].t);
        free(s->v[i].rel);
        free(s->v[i].disk);
    }
    free(s->v);
    memset(s, 0, sizeof *s);
}

/* A new entry, zeroed; NULL when memory runs out. */
static hs_file *set_add(hs_set *s)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        hs_file *v = realloc(s->v, cap * sizeof *v);
        if (!v)
            return NULL;
        s->v = v;
        s->cap = cap;
    }
    hs_file *f = &s->v[s->n++];
    memset(f, 0, sizeof *f);
    return f;
}

static hs_tensor *tensor_add(hs_file *f)
{
    if (f->nt == f->tcap) {
        size_t cap = f->tcap ? f->tcap * 2 : 16;
        hs_tensor *v = realloc(f->t, cap * sizeof *v);
        if (!v)
            return NULL;
        f->t = v;
        f->tcap = cap;
    }
    hs_tensor *t = &f->t[f->nt++];
    memset(t, 0, sizeof *t);
    return t;
}

static int rel_cmp(const void *a, const void *b)
{
    const hs_file *x = a, *y = b;
    int c = strcmp(x->rel, y->rel);
    return c ? c : (x->index > y->index) - (x->index < y->index);
}

static int tensor_cmp(const void *a, const void *b)
{
    const hs_tensor *x = a, *y = b;
    if (x->off != y->off)
        return x->off < y->off ? -1 : 1;
    if (x->nbytes != y->nbytes)
        return x->nbytes < y->nbytes ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* ---- the folder walk --------------------------------------------------------- */

typedef struct walk_ctx {
    hs_set *s;
    slm_diag *d;            /* make: report unreadable entries; check: NULL */
    bool have_skip;
    dev_t skip_dev;
    ino_t skip_ino;
    int err;                /* ENOMEM */
} walk_ctx;

static void walk_add(walk_ctx *w, const char *disk, const char *rel, const struct stat *st)
{
    if (w->have_skip && st->st_dev == w->skip_dev && st->st_ino == w->skip_ino)
        return;
    hs_file *f = set_add(w->s);
    char *a = strdup(disk), *b = strdup(rel);
    if (!f || !a || !b) {
        free(a);
        free(b);
        if (f)
            w->s->n--;
        w->err = ENOMEM;
        return;
    }
    f->disk = a;
    f->rel = b;
    f->dev = st->st_dev;
    f->ino = st->st_ino;
    f->size = f->disk_size = (uint64_t)st->st_size;
    f->index = w->s->n - 1;
}

/* Every regular file under DIR (REL its manifest path, "" for the root);
 * links to files are followed, links to folders are not (no cycles). */
static void walk_dir(walk_ctx *w, const char *dir, const char *rel)
{
    DIR *dd = opendir(dir);
    if (!dd) {
        if (w->d)
            slm_report(w->d, SLM_R_IO_001, dir, -1, NULL, "folder cannot be read: %s", strerror(errno));
        return;
    }
    struct dirent *de;
    while (!w->err && (de = readdir(dd))) {
        const char *nm = de->d_name;
        if (nm[0] == '.' && (!nm[1] || (nm[1] == '.' && !nm[2])))
            continue;
        char *p = slm_strdupf("%s/%s", dir, nm), *r = *rel ? slm_strdupf("%s/%s", rel, nm) : strdup(nm);
        struct stat st;
        if (!p || !r)
            w->err = ENOMEM;
        else if (lstat(p, &st) != 0)
            ; /* gone since readdir */
        else if (S_ISDIR(st.st_mode))
            walk_dir(w, p, r);
        else if (S_ISLNK(st.st_mode) && stat(p, &st) != 0) {
            if (w->d)
                slm_report(w->d, SLM_R_IO_001, p, -1, NULL, "link cannot be followed: %s", strerror(errno));
        } else if (S_ISREG(st.st_mode))
            walk_add(w, p, r, &st);
        free(p);
        free(r);
    }
    closedir(dd);
}

/* ---- hashing: one pass over each file's map, files in parallel ------------------ */

typedef struct hs_pool {
    hs_file *v;
    size_t *idx;            /* the files to hash (indices into v) */
    XXH3_state_t **fs, **ts; /* per thread: the file's and the tensor's state */
    bool check;             /* file hash first; tensors only where the file differs */
    atomic_uint_fast64_t done;
    uint64_t total;
    slm_progress_fn progress;
    void *progress_arg;
    pthread_mutex_t lock;   /* held while PROGRESS runs */
} hs_pool;

static void progress_add(hs_pool *p, uint64_t n)
{
    atomic_fetch_add(&p->done, n);
    if (p->progress && pthread_mutex_trylock(&p->lock) == 0) {
        p->progress(p->progress_arg, (uint64_t)atomic_load(&p->done), p->total, "hashing");
        pthread_mutex_unlock(&p->lock);
    }
}

/* The tensors of F that lie whole in the first SIZE bytes: a prefix, since
 * they are sorted by offset and do not overlap. */
static size_t tensors_within(const hs_file *f, uint64_t size)
{
    size_t k = 0;
    while (k < f->nt && f->t[k].off + f->t[k].nbytes <= size)
        k++;
    return k;
}

/* Feeds the bytes [C0, C1) at BASE + C0 to the tensors T[K..NT) that meet
 * them; returns the first tensor not finished. */
static size_t tensors_chunk(hs_tensor *t, size_t nt, size_t k, const uint8_t *base, uint64_t c0, uint64_t c1,
                            XXH3_state_t *ts)
{
    for (; k < nt && t[k].off < c1; k++) {
        hs_tensor *x = &t[k];
        uint64_t end = x->off + x->nbytes;
        if (x->off >= c0 && end <= c1) { /* whole in this chunk: one shot */
            digest_of(XXH3_128bits(base + x->off, (size_t)x->nbytes), x->got);
            x->hashed = true;
            continue;
        }
        if (x->off >= c0)
            XXH3_128bits_reset(ts);
        uint64_t b = x->off > c0 ? x->off : c0, e = end < c1 ? end : c1;
        XXH3_128bits_update(ts, base + b, (size_t)(e - b));
        if (end > c1)
            break; /* continues in the next chunk */
        digest_of(XXH3_128bits_digest(ts), x->got);
        x->hashed = true;
    }
    return k;
}

/* One pass over P[0..SIZE): the file's hash into F->got when FS is set,
 * the tensors' hashes when TS is set. */
static void hash_pass(hs_pool *pool, hs_file *f, const uint8_t *p, uint64_t size, XXH3_state_t *fs,
                      XXH3_state_t *ts)
{
    size_t nt = ts ? tensors_within(f, size) : 0, k = 0;
    if (fs)
        XXH3_128bits_reset(fs);
    for (uint64_t off = 0; off < size;) {
        uint64_t len = size - off < HS_CHUNK ? size - off : HS_CHUNK;
        if (fs)
            XXH3_128bits_update(fs, p + off, (size_t)len);
        if (k < nt)
            k = tensors_chunk(f->t, nt, k, p, off, off + len, ts);
        off += len;
        if (fs)
            progress_add(pool, len);
    }
    for (; k < nt; k++) { /* empty tensors at the very end */
        digest_of(XXH3_128bits("", 0), f->t[k].got);
        f->t[k].hashed = true;
    }
    if (fs)
        digest_of(XXH3_128bits_digest(fs), f->got);
}

static void hash_file(hs_pool *pool, hs_file *f, XXH3_state_t *fs, XXH3_state_t *ts)
{
    slm_map m;
    f->err = slm_map_open(&m, f->disk);
    if (f->err)
        return;
    if (m.size)
        (void)madvise((void *)(uintptr_t)m.data, (size_t)m.size, MADV_SEQUENTIAL);
    f->got_size = m.size;
    hash_pass(pool, f, m.data, m.size, fs, pool->check ? NULL : ts);
    if (pool->check && f->nt && (m.size != f->size || memcmp(f->got, f->want, 16) != 0))
        hash_pass(pool, f, m.data, m.size, NULL, ts);
    slm_map_close(&m);
}

static void hash_one(void *arg, unsigned worker, size_t k)
{
    hs_pool *p = arg;
    hash_file(p, &p->v[p->idx[k]], p->fs[worker], p->ts[worker]);
}

/* Hashes every file of S not marked skip, largest first, in O's jobs
 * threads (this one among them).  0 or ENOMEM. */
static int hash_all(hs_set *s, bool check, const slm_manifest_opts *o)
{
    hs_pool p;
    memset(&p, 0, sizeof p);
    p.v = s->v;
    p.check = check;
    p.progress = o ? o->progress : NULL;
    p.progress_arg = o ? o->progress_arg : NULL;
    atomic_init(&p.done, 0);
    pthread_mutex_init(&p.lock, NULL);
    size_t n = 0;
    p.idx = malloc((s->n ? s->n : 1) * sizeof *p.idx);
    uint64_t *size = malloc((s->n ? s->n : 1) * sizeof *size);
    for (size_t i = 0; p.idx && size && i < s->n; i++)
        if (!s->v[i].skip) {
            p.idx[n] = i;
            size[n++] = s->v[i].disk_size;
            p.total += s->v[i].disk_size;
        }
    size_t *order = p.idx && size ? slm_order_largest_first(size, n) : NULL;
    unsigned want = o && o->jobs ? o->jobs : 0, nj = slm_parallel_threads(want, n);
    if (nj > SLM_MANIFEST_MAX_JOBS)
        nj = SLM_MANIFEST_MAX_JOBS;
    p.fs = calloc(nj, sizeof *p.fs);
    p.ts = calloc(nj, sizeof *p.ts);
    int err = order && p.fs && p.ts ? 0 : ENOMEM;
    for (unsigned i = 0; !err && i < nj; i++)
        if (!(p.fs[i] = XXH3_createState()) || !(p.ts[i] = XXH3_createState()))
            err = ENOMEM;
    if (!err) {
        slm_parallel(n, order, nj, hash_one, &p);
        if (p.progress)
            p.progress(p.progress_arg, p.total, p.total, "hashing");
    }
    for (unsigned i = 0; i < nj && p.fs && p.ts; i++) {
        XXH3_freeState(p.fs[i]);
        XXH3_freeState(p.ts[i]);
    }
    free(p.fs);
    free(p.ts);
    free(order);
    free(size);
    free(p.idx);
    pthread_mutex_destroy(&p.lock);
    return err;
}

/* ---- making: tensors of every weight artifact, given to their files ------------ */

/* The files of a set by (device, inode): a tensor's file is the walked file
 * that is the same file (hard links: every one of them). */
typedef struct file_id {
    dev_t dev;
    ino_t ino;
    size_t index;
} file_id;

typedef struct file_ids {
    file_id *v;
    size_t n;
} file_ids;

static int id_cmp(const void *a, const void *b)
{
    const file_id *x = a, *y = b;
    if (x->dev != y->dev)
        return x->dev < y->dev ? -1 : 1;
    if (x->ino != y->ino)
        return x->ino < y->ino ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

/* The first entry of IDS for the file at PATH, or SIZE_MAX. */
static size_t ids_find(const file_ids *ids, const char *path)
{
    struct stat st;
    if (!path || stat(path, &st) != 0)
        return SIZE_MAX;
    size_t lo = 0, hi = ids->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const file_id *f = &ids->v[mid];
        if (f->dev < st.st_dev || (f->dev == st.st_dev && f->ino < st.st_ino))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < ids->n && ids->v[lo].dev == st.st_dev && ids->v[lo].ino == st.st_ino ? lo : SIZE_MAX;
}

/* Is entry AT of IDS the same file as entry FIRST? */
static bool ids_same(const file_ids *ids, size_t first, size_t at)
{
    return at < ids->n && ids->v[at].dev == ids->v[first].dev && ids->v[at].ino == ids->v[first].ino;
}

static void give_tensor(hs_set *s, const file_ids *ids, size_t first, const slm_tensor *t, slm_diag *d, int *err)
{
    for (size_t at = first; ids_same(ids, first, at); at++) {
        hs_file *f = &s->v[ids->v[at].index];
        uint64_t end;
        if (!slm_add_u64(t->offset, t->nbytes, &end) || end > f->size)
            continue; /* not inside the file as it is now */
        if (!utf8_ok(t->name)) {
            char buf[96];
            slm_report(d, SLM_R_HS_021, f->disk, (int64_t)t->offset, NULL,
                       "tensor name '%s' is not UTF-8: left out of the manifest",
                       slm_printable(buf, sizeof buf, t->name, strlen(t->name)));
            continue;
        }
        hs_tensor *x = tensor_add(f);
        if (!x || !(x->name = strdup(t->name))) {
            if (x)
                f->nt--;
            *err = ENOMEM;
            return;
        }
        x->off = t->offset;
        x->nbytes = t->nbytes;
    }
}

/* MLC shards get the md5sum their tensor cache records, when it is 32 hex digits. */
static void take_md5(hs_set *s, const file_ids *ids, const struct slm_mlc *x)
{
    for (size_t i = 0; i < x->ns; i++) {
        const slm_mlc_shard *sh = &x->s[i];
        char md5[33];
        uint8_t tmp[16];
        for (int k = 0; k < 33; k++)
            md5[k] = (char)(sh->md5[k] >= 'A' && sh->md5[k] <= 'F' ? sh->md5[k] + 32 : sh->md5[k]);
        size_t first = sh->has_md5 && parse_hex32(md5, tmp) ? ids_find(ids, sh->path) : SIZE_MAX;
        for (size_t at = first; ids_same(ids, first, at); at++)
            memcpy(s->v[ids->v[at].index].md5, md5, sizeof md5);
    }
}

/* Opens the weight artifact at F (its findings are verify's business, but
 * for IO-002: the manifest of a pointer is no manifest of the model) and
 * gives each tensor to the file that holds its bytes. */
static int take_tensors(hs_set *s, const file_ids *ids, const hs_file *f, slm_diag *d)
{
    slm_model m;
    slm_diag scratch;
    slm_diag_init(&scratch);
    int err = 0;
    if (slm_model_open(&m, f->disk, &scratch) == 0) {
        const char *last = NULL;
        size_t first = SIZE_MAX;
        for (size_t i = 0; i < m.n && !err; i++) {
            const slm_tensor *t = &m.t[i];
            if (!t->file)
                continue;
            if (!last || strcmp(last, t->file) != 0) { /* one stat per run of tensors of one file */
                last = t->file;
                first = ids_find(ids, t->file);
            }
            if (first != SIZE_MAX)
                give_tensor(s, ids, first, t, d, &err);
        }
        if (m.mlc)
            take_md5(s, ids, m.mlc);
        slm_model_close(&m);
    }
    for (size_t i = 0; i < scratch.n; i++) /* but a pointer instead of the file is everyone's business */
        if (scratch.v[i].rule == SLM_R_IO_002)
            slm_report(d, SLM_R_IO_002, scratch.v[i].file, scratch.v[i].offset, scratch.v[i].path, "%s",
                       scratch.v[i].message);
    slm_diag_free(&scratch);
    return err;
}

/* Sorts F's tensors, drops exact repeats (a data file two models share) and
 * those that overlap an earlier one (HS-020). */
static void tidy_tensors(hs_file *f, slm_diag *d)
{
    if (!f->nt)
        return;
    qsort(f->t, f->nt, sizeof *f->t, tensor_cmp);
    size_t w = 0;
    uint64_t end = 0;
    for (size_t i = 0; i < f->nt; i++) {
        hs_tensor *t = &f->t[i];
        bool repeat = w && tensor_cmp(t, &f->t[w - 1]) == 0;
        if (!repeat && w && t->off < end) {
            char a[96], b[96];
            slm_report(d, SLM_R_HS_020, f->disk, (int64_t)t->off, NULL,
                       "tensor '%s' [%llu, %llu) overlaps '%s', which ends at %llu: covered by the file's hash only",
                       slm_printable(a, sizeof a, t->name, strlen(t->name)), (unsigned long long)t->off,
                       (unsigned long long)(t->off + t->nbytes),
                       slm_printable(b, sizeof b, f->t[w - 1].name, strlen(f->t[w - 1].name)),
                       (unsigned long long)end);
            repeat = true;
        }
        if (repeat) {
            free(t->name);
            continue;
        }
        f->t[w++] = *t;
        end = t->off + t->nbytes;
    }
    f->nt = w;
}

static int attach_tensors(hs_set *s, slm_diag *d)
{
    file_ids ids = {malloc((s->n ? s->n : 1) * sizeof(file_id)), s->n};
    if (!ids.v)
        return ENOMEM;
    for (size_t i = 0; i < s->n; i++)
        ids.v[i] = (file_id){s->v[i].dev, s->v[i].ino, i};
    if (s->n)
        qsort(ids.v, s->n, sizeof *ids.v, id_cmp);
    int err = 0;
    for (size_t i = 0; i < s->n && !err; i++) {
        slm_kind k = s->v[i].kind;
        if (k == SLM_KIND_SAFETENSORS || k == SLM_KIND_ONNX || k == SLM_KIND_MLC_CACHE || k == SLM_KIND_GGUF)
            err = take_tensors(s, &ids, &s->v[i], d);
    }
    free(ids.v);
    for (size_t i = 0; i < s->n; i++)
        tidy_tensors(&s->v[i], d);
    return err;
}

/* The name a PATH's files get in a manifest of several PATHs. */
static char *path_label(const char *path)
{
    char *p = strdup(path);
    if (!p)
        return NULL;
    size_t n = strlen(p);
    while (n > 1 && p[n - 1] == '/')
        p[--n] = 0;
    const char *b = base_of(p);
    if (!*b || strcmp(b, ".") == 0 || strcmp(b, "..") == 0) {
        char *r = realpath(path, NULL);
        free(p);
        if (!r)
            return NULL;
        p = r;
        b = base_of(p);
    }
    char *out = *b ? strdup(b) : NULL;
    free(p);
    return out;
}

/* Adds PATH's files: a folder's (REL as their prefix, "" for none) or the file itself. */
static int collect(walk_ctx *w, const char *path, const char *label, bool single)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return errno ? errno : ENOENT;
    if (S_ISDIR(st.st_mode))
        walk_dir(w, path, single ? "" : label);
    else if (S_ISREG(st.st_mode))
        walk_add(w, path, label, &st);
    else
        return EINVAL;
    return w->err;
}

static int gather(hs_set *s, const char *const *paths, size_t n, const slm_manifest_opts *o, slm_diag *d)
{
    walk_ctx w = {s, d, false, 0, 0, 0};
    struct stat st;
    if (o && o->skip && stat(o->skip, &st) == 0) {
        w.have_skip = true;
        w.skip_dev = st.st_dev;
        w.skip_ino = st.st_ino;
    }
    int err = 0;
    for (size_t i = 0; i < n && !err; i++) {
        char *label = path_label(paths[i]);
        err = label ? collect(&w, paths[i], label, n == 1) : (errno ? errno : EINVAL);
        free(label);
    }
    if (err)
        return err;
    if (s->n)
        qsort(s->v, s->n, sizeof *s->v, rel_cmp);
    for (size_t i = 1; i < s->n; i++)
        if (strcmp(s->v[i].rel, s->v[i - 1].rel) == 0)
            return EEXIST; /* two PATHs with one base name (or one PATH twice) */
    return 0;
}

static cJSON *u64_item(uint64_t v)
{
    char b[24];
    snprintf(b, sizeof b, "%llu", (unsigned long long)v);
    return cJSON_CreateRaw(b); /* exact: cJSON's doubles would print 1e+15 */
}

static cJSON *hex_item(const uint8_t h[16])
{
    char x[33];
    hex_of(h, x);
    return cJSON_CreateString(x);
}

static cJSON *file_json(const hs_file *f)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "path", cJSON_CreateString(f->rel));
    cJSON_AddItemToObject(o, "size", u64_item(f->got_size));
    cJSON_AddItemToObject(o, "xxh3_128", hex_item(f->got));
    cJSON_AddItemToObject(o, "kind", cJSON_CreateString(slm_kind_name(f->kind)));
    if (f->md5[0])
        cJSON_AddItemToObject(o, "md5sum", cJSON_CreateString(f->md5));
    size_t nt = tensors_within(f, f->got_size);
    if (nt) {
        cJSON *a = cJSON_AddArrayToObject(o, "tensors");
        for (size_t k = 0; k < nt; k++) {
            cJSON *t = cJSON_CreateObject();
            cJSON_AddItemToObject(t, "name", cJSON_CreateString(f->t[k].name));
            cJSON_AddItemToObject(t, "offset", u64_item(f->t[k].off));
            cJSON_AddItemToObject(t, "nbytes", u64_item(f->t[k].nbytes));
            cJSON_AddItemToObject(t, "xxh3_128", hex_item(f->t[k].got));
            cJSON_AddItemToArray(a, t);
        }
    }
    return o;
}

static cJSON *manifest_json(const hs_set *s, slm_diag *d, slm_manifest_stats *st)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddItemToObject(root, "manifest_version", u64_item(HS_VERSION));
    cJSON_AddStringToObject(root, "tool", "slminspect " SLM_VERSION);
    cJSON_AddStringToObject(root, "algorithm", HS_ALGORITHM);
    cJSON *files = cJSON_AddArrayToObject(root, "files");
    for (size_t i = 0; i < s->n; i++) {
        const hs_file *f = &s->v[i];
        if (f->err) {
            slm_report(d, SLM_R_IO_001, f->disk, -1, NULL, "file cannot be read: %s", strerror(f->err));
            continue;
        }
        if (f->skip)
            continue;
        cJSON_AddItemToArray(files, file_json(f));
        st->files++;
        st->tensors += tensors_within(f, f->got_size);
        st->bytes += f->got_size;
    }
    return root;
}

int slm_manifest_make(const char *const *paths, size_t n, const slm_manifest_opts *o, cJSON **manifest,
                      slm_diag *d)
{
    *manifest = NULL;
    if (!n)
        return EINVAL;
    hs_set s = {0};
    int err = gather(&s, paths, n, o, d);
    for (size_t i = 0; !err && i < s.n; i++) {
        hs_file *f = &s.v[i];
        f->kind = slm_sniff(f->disk);
        if (!utf8_ok(f->rel)) {
            char buf[200];
            slm_report(d, SLM_R_HS_021, f->disk, -1, NULL, "file name '%s' is not UTF-8: left out of the manifest",
                       slm_printable(buf, sizeof buf, f->rel, strlen(f->rel)));
            f->skip = true;
        }
    }
    if (!err)
        err = attach_tensors(&s, d);
    if (!err)
        err = hash_all(&s, false, o);
    if (!err) {
        slm_manifest_stats st = {0};
        *manifest = manifest_json(&s, d, &st);
        if (o && o->stats)
            *o->stats = st;
        if (!*manifest)
            err = ENOMEM;
    }
    set_free(&s);
    return err;
}

/* ---- checking: the manifest, validated whole before anything is read --------- */

typedef struct mf_ctx {
    const char *file;       /* the manifest's display path */
    const slm_json *j;
    slm_diag *d;
    bool bad;               /* the object being read cannot be used */
} mf_ctx;

static void shape(mf_ctx *c, const cJSON *item, const char *ptr, const char *fmt, ...) SLM_PRINTF(4, 5);
static void shape(mf_ctx *c, const cJSON *item, const char *ptr, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    slm_vreport(c->d, SLM_R_HS_002, c->file, (int64_t)slm_json_off(c->j, item, false), ptr, fmt, ap);
    va_end(ap);
    c->bad = true;
}

/* What ITEM is, for messages: a type, or a string's (printable) text. */
static const char *found(const cJSON *item, char *buf, size_t n)
{
    if (!cJSON_IsString(item))
        return slm_json_type(item);
    char t[80];
    snprintf(buf, n, "\"%s\"", slm_printable(t, sizeof t, item->valuestring, strlen(item->valuestring)));
    return buf;
}

/* Repeated keys (HS-003).  Keys the format does not have are ignored: later
 * versions add members, never change them (spec/schema/README.md). */
static void check_dups(mf_ctx *c, const cJSON *obj, const char *ptr)
{
    size_t n = 0, k = 0;
    bool *sup = slm_json_superseded(obj, &n);
    for (const cJSON *m = obj->child; sup && m && k < n; m = m->next, k++) {
        if (!sup[k])
            continue;
        char buf[80], *p = slm_jptr(ptr, m->string ? m->string : "");
        slm_report(c->d, SLM_R_HS_003, c->file, (int64_t)slm_json_off(c->j, m, true), p,
                   "key '%s' appears again later in this object: which value counts is ambiguous",
                   slm_printable(buf, sizeof buf, m->string ? m->string : "", m->string ? strlen(m->string) : 0));
        free(p);
        c->bad = true;
    }
    free(sup);
}

static const cJSON *member(mf_ctx *c, const cJSON *obj, const char *key, const char *ptr)
{
    const cJSON *v = slm_json_get(obj, key);
    if (!v)
        shape(c, obj, ptr, "'%s' is missing", key);
    return v;
}

static bool get_u64(mf_ctx *c, const cJSON *obj, const char *key, const char *ptr, uint64_t *out)
{
    char *p = slm_jptr(ptr, key);
    const cJSON *v = member(c, obj, key, ptr);
    enum slm_jnum r = v ? slm_json_u64(c->j, v, out) : SLM_JNUM_NOTNUM;
    if (v && r != SLM_JNUM_OK) {
        char buf[100];
        shape(c, v, p, "'%s' must be an unsigned integer written exactly, found %s", key,
              r == SLM_JNUM_FRACTION ? "a fraction or exponent" : r == SLM_JNUM_NEGATIVE ? "a negative number"
              : r == SLM_JNUM_RANGE ? "a number above 2^64 - 1" : found(v, buf, sizeof buf));
    }
    free(p);
    return v && r == SLM_JNUM_OK;
}

static bool get_hex(mf_ctx *c, const cJSON *obj, const char *key, const char *ptr, uint8_t out[16])
{
    char *p = slm_jptr(ptr, key);
    const cJSON *v = member(c, obj, key, ptr);
    bool ok = v && cJSON_IsString(v) && parse_hex32(v->valuestring, out);
    if (v && !ok) {
        char buf[100];
        shape(c, v, p, "'%s' must be 32 lowercase hex digits, found %s", key, found(v, buf, sizeof buf));
    }
    free(p);
    return ok;
}

/* An optional string member: NULL when absent (or not a string: HS-002). */
static const char *get_str(mf_ctx *c, const cJSON *obj, const char *key, const char *ptr)
{
    const cJSON *v = slm_json_get(obj, key);
    if (v && !cJSON_IsString(v)) {
        char *p = slm_jptr(ptr, key);
        shape(c, v, p, "'%s' must be a string, found %s", key, slm_json_type(v));
        free(p);
    }
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Why manifest path P (FLAGS: its span's) could leave the copy, or NULL. */
static const char *unsafe_path(const char *p, unsigned flags)
{
    if (flags & SLM_JSPAN_NUL)
        return "it holds a NUL character";
    if (!*p)
        return "it is empty";
    if (*p == '/')
        return "it is absolute";
    for (const char *s = p;;) {
        const char *e = strchr(s, '/');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if (n == 0)
            return "it has an empty part ('//' or a trailing '/')";
        if (n == 1 && s[0] == '.')
            return "it has a '.' part";
        if (n == 2 && s[0] == '.' && s[1] == '.')
            return "it has a '..' part";
        if (!e)
            return NULL;
        s = e + 1;
    }
}

static void read_tensor(mf_ctx *c, hs_file *f, const cJSON *e, const char *ptr)
{
    c->bad = false;
    if (!cJSON_IsObject(e)) {
        shape(c, e, ptr, "a tensor must be an object, found %s", slm_json_type(e));
        return;
    }
    check_dups(c, e, ptr);
    const cJSON *name = member(c, e, "name", ptr);
    uint64_t off = 0, nb = 0, end = 0;
    uint8_t h[16];
    if (name && !cJSON_IsString(name)) {
        char *p = slm_jptr(ptr, "name");
        shape(c, name, p, "'name' must be a string, found %s", slm_json_type(name));
        free(p);
    }
    /* each member checked (and reported) whatever the others are */
    bool has_off = get_u64(c, e, "offset", ptr, &off), has_nb = get_u64(c, e, "nbytes", ptr, &nb),
         has_h = get_hex(c, e, "xxh3_128", ptr, h), ok = has_off && has_nb && has_h;
    if (ok && (!slm_add_u64(off, nb, &end) || end > f->size))
        shape(c, e, ptr, "tensor bytes [%llu, %llu + %llu) lie beyond the file's size %llu", (unsigned long long)off,
              (unsigned long long)off, (unsigned long long)nb, (unsigned long long)f->size);
    if (c->bad)
        return;
    hs_tensor *t = tensor_add(f);
    if (!t || !(t->name = strdup(name->valuestring))) {
        if (t)
            f->nt--;
        return;
    }
    t->off = off;
    t->nbytes = nb;
    t->json_off = (int64_t)slm_json_off(c->j, e, false);
    memcpy(t->want, h, 16);
}

/* Sorts F's tensors and drops those that overlap an earlier one (HS-002). */
static void tensors_disjoint(mf_ctx *c, hs_file *f, const char *ptr)
{
    if (f->nt)
        qsort(f->t, f->nt, sizeof *f->t, tensor_cmp);
    size_t w = 0;
    for (size_t i = 0; i < f->nt; i++) {
        hs_tensor *t = &f->t[i];
        if (w && t->off < f->t[w - 1].off + f->t[w - 1].nbytes) {
            char a[96], b[96];
            slm_report(c->d, SLM_R_HS_002, c->file, t->json_off, ptr,
                       "tensor '%s' at %llu overlaps tensor '%s' [%llu, %llu): the tensors of a file must not overlap",
                       slm_printable(a, sizeof a, t->name, strlen(t->name)), (unsigned long long)t->off,
                       slm_printable(b, sizeof b, f->t[w - 1].name, strlen(f->t[w - 1].name)),
                       (unsigned long long)f->t[w - 1].off,
                       (unsigned long long)(f->t[w - 1].off + f->t[w - 1].nbytes));
            free(t->name);
            continue;
        }
        f->t[w++] = *t;
    }
    f->nt = w;
}

/* One entry of "files".  A path is kept even when the entry is unusable
 * (skip), so that the copy's file is not also called unlisted. */
static int read_file(mf_ctx *c, hs_set *s, const cJSON *e, size_t index)
{
    char *ptr = slm_jptr_idx("/files", index);
    if (!ptr)
        return ENOMEM;
    c->bad = false;
    if (!cJSON_IsObject(e)) {
        shape(c, e, ptr, "a file must be an object, found %s", slm_json_type(e));
        free(ptr);
        return 0;
    }
    check_dups(c, e, ptr);
    const cJSON *path = member(c, e, "path", ptr);
    char *pp = slm_jptr(ptr, "path");
    const char *why = NULL;
    if (path && !cJSON_IsString(path))
        shape(c, path, pp, "'path' must be a string, found %s", slm_json_type(path));
    else if (path && (why = unsafe_path(path->valuestring, slm_json_span_of(c->j, path)->flags))) {
        char buf[120];
        slm_report(c->d, SLM_R_HS_004, c->file, (int64_t)slm_json_off(c->j, path, false), pp,
                   "path '%s' is not a plain relative path inside the copy: %s; it is not read",
                   slm_printable(buf, sizeof buf, path->valuestring, strlen(path->valuestring)), why);
        c->bad = true;
    }
    free(pp);
    hs_file *f = cJSON_IsString(path) && !why ? set_add(s) : NULL;
    if (cJSON_IsString(path) && !why && (!f || !(f->rel = strdup(path->valuestring)))) {
        free(ptr);
        return ENOMEM;
    }
    hs_file scratch;
    memset(&scratch, 0, sizeof scratch);
    hs_file *g = f ? f : &scratch;
    g->index = index;
    g->json_off = (int64_t)slm_json_off(c->j, e, false);
    bool has_size = get_u64(c, e, "size", ptr, &g->size), has_h = get_hex(c, e, "xxh3_128", ptr, g->want),
         ok = has_size && has_h;
    get_str(c, e, "kind", ptr);
    const char *md5 = get_str(c, e, "md5sum", ptr);
    uint8_t h[16];
    if (md5 && !parse_hex32(md5, h)) {
        char *p = slm_jptr(ptr, "md5sum"), buf[100];
        shape(c, slm_json_get(e, "md5sum"), p, "'md5sum' must be 32 lowercase hex digits, found %s",
              found(slm_json_get(e, "md5sum"), buf, sizeof buf));
        free(p);
    }
    g->skip = c->bad || !ok;
    const cJSON *ts = slm_json_get(e, "tensors");
    char *tp = slm_jptr(ptr, "tensors");
    if (ts && !cJSON_IsArray(ts))
        shape(c, ts, tp, "'tensors' must be an array, found %s", slm_json_type(ts));
    else if (ts && !g->skip) {
        size_t k = 0;
        for (const cJSON *t = ts->child; t; t = t->next, k++) {
            char *p = slm_jptr_idx(tp, k);
            if (p)
                read_tensor(c, g, t, p);
            free(p);
        }
        tensors_disjoint(c, g, tp);
    }
    free(tp);
    free(ptr);
    return 0;
}

/* The top level: 0 with S filled in; -1 when the manifest cannot be used at all. */
static int read_manifest(mf_ctx *c, hs_set *s)
{
    const cJSON *root = c->j->root;
    if (!cJSON_IsObject(root)) {
        shape(c, root, "", "a manifest is a JSON object, found %s", slm_json_type(root));
        return -1;
    }
    check_dups(c, root, "");
    uint64_t v = 0;
    char buf[100];
    if (get_u64(c, root, "manifest_version", "", &v) && v != HS_VERSION)
        shape(c, slm_json_get(root, "manifest_version"), "/manifest_version",
              "manifest_version %llu is not one this slminspect reads (1)", (unsigned long long)v);
    const cJSON *alg = member(c, root, "algorithm", "");
    if (alg && (!cJSON_IsString(alg) || strcmp(alg->valuestring, HS_ALGORITHM) != 0))
        shape(c, alg, "/algorithm", "algorithm must be \"" HS_ALGORITHM "\", found %s", found(alg, buf, sizeof buf));
    get_str(c, root, "tool", "");
    const cJSON *files = member(c, root, "files", "");
    if (files && !cJSON_IsArray(files))
        shape(c, files, "/files", "'files' must be an array, found %s", slm_json_type(files));
    if (c->bad)
        return -1;
    size_t i = 0;
    for (const cJSON *e = files->child; e; e = e->next, i++)
        if (read_file(c, s, e, i))
            return -1;
    if (s->n)
        qsort(s->v, s->n, sizeof *s->v, rel_cmp);
    for (size_t k = 1; k < s->n; k++)
        if (strcmp(s->v[k].rel, s->v[k - 1].rel) == 0) {
            char *p = slm_jptr_idx("/files", s->v[k].index);
            slm_report(c->d, SLM_R_HS_002, c->file, s->v[k].json_off, p, "path '%s' is listed again (first at /files/%zu)",
                       slm_printable(buf, sizeof buf, s->v[k].rel, strlen(s->v[k].rel)), s->v[k - 1].index);
            free(p);
            s->v[k].skip = true;
        }
    return 0;
}

/* ---- checking: the copy ----------------------------------------------------- */

static char *join(const char *root, const char *rel)
{
    size_t n = strlen(root);
    while (n > 1 && root[n - 1] == '/')
        n--;
    return slm_strdupf("%.*s%s%s", (int)n, root, n == 1 && root[0] == '/' ? "" : "/", rel);
}

/* Finds each listed file in the copy (HS-010, IO-001); those absent are skipped. */
static int locate(hs_set *s, const char *root, slm_diag *d)
{
    for (size_t i = 0; i < s->n; i++) {
        hs_file *f = &s->v[i];
        if (!(f->disk = join(root, f->rel)))
            return ENOMEM;
        if (f->skip)
            continue;
        struct stat st;
        if (stat(f->disk, &st) != 0) {
            if (errno == ENOENT || errno == ENOTDIR)
                slm_report(d, SLM_R_HS_010, f->disk, -1, NULL, "the manifest lists it (/files/%zu, %llu bytes), the copy has no such file",
                           f->index, (unsigned long long)f->size);
            else
                slm_report(d, SLM_R_IO_001, f->disk, -1, NULL, "file cannot be read: %s", strerror(errno));
            f->skip = true;
        } else if (!S_ISREG(st.st_mode)) {
            slm_report(d, SLM_R_IO_001, f->disk, -1, NULL, "the manifest lists a file, the copy has %s",
                       S_ISDIR(st.st_mode) ? "a folder" : "something that is not a regular file");
            f->skip = true;
        } else
            f->disk_size = (uint64_t)st.st_size;
    }
    return 0;
}

/* Names the tensors of F that differ or lie past the copy's end; returns how many. */
static size_t report_tensors(const hs_file *f, slm_diag *d)
{
    size_t bad = 0;
    for (size_t k = 0; k < f->nt; k++) {
        const hs_tensor *t = &f->t[k];
        char nm[120], g[33], w[33];
        slm_printable(nm, sizeof nm, t->name, strlen(t->name));
        unsigned long long a = t->off, b = t->off + t->nbytes;
        if (!t->hashed) {
            slm_report(d, SLM_R_HS_013, f->disk, (int64_t)t->off, t->name,
                       "tensor '%s' [%llu, %llu) lies past the end of the copy (%llu bytes)", nm, a, b,
                       (unsigned long long)f->got_size);
            bad++;
        } else if (memcmp(t->got, t->want, 16) != 0) {
            hex_of(t->got, g);
            hex_of(t->want, w);
            slm_report(d, SLM_R_HS_013, f->disk, (int64_t)t->off, t->name,
                       "tensor '%s' [%llu, %llu) has xxh3-128 %s, the manifest says %s", nm, a, b, g, w);
            bad++;
        }
    }
    return bad;
}

static void report_file(const hs_file *f, slm_diag *d, slm_manifest_stats *st)
{
    if (f->err) {
        slm_report(d, SLM_R_IO_001, f->disk, -1, NULL, "file cannot be read: %s", strerror(f->err));
        return;
    }
    st->files++;
    st->tensors += f->nt;
    st->bytes += f->got_size;
    if (f->got_size != f->size) {
        slm_report(d, SLM_R_HS_011, f->disk, -1, NULL, "the copy has %llu bytes, the manifest says %llu",
                   (unsigned long long)f->got_size, (unsigned long long)f->size);
        report_tensors(f, d);
    } else if (memcmp(f->got, f->want, 16) != 0) {
        char g[33], w[33];
        hex_of(f->got, g);
        hex_of(f->want, w);
        size_t bad = report_tensors(f, d);
        if (f->nt && !bad)
            slm_report(d, SLM_R_HS_012, f->disk, -1, NULL,
                       "xxh3-128 is %s, the manifest says %s; all %zu tensors match: the bytes that differ lie outside them",
                       g, w, f->nt);
        else if (f->nt)
            slm_report(d, SLM_R_HS_012, f->disk, -1, NULL, "xxh3-128 is %s, the manifest says %s; %zu of %zu tensors differ",
                       g, w, bad, f->nt);
        else
            slm_report(d, SLM_R_HS_012, f->disk, -1, NULL, "xxh3-128 is %s, the manifest says %s", g, w);
    }
}

static int by_rel(const void *key, const void *elem)
{
    return strcmp((const char *)key, ((const hs_file *)elem)->rel);
}

/* Files of the copy the manifest does not list (HS-014). */
static int report_unlisted(const hs_set *s, const char *root, const struct stat *manifest, slm_diag *d)
{
    hs_set copy = {0};
    walk_ctx w = {&copy, NULL, true, manifest->st_dev, manifest->st_ino, 0};
    walk_dir(&w, root, "");
    if (copy.n)
        qsort(copy.v, copy.n, sizeof *copy.v, rel_cmp);
    for (size_t i = 0; i < copy.n && !w.err; i++)
        if (!s->n || !bsearch(copy.v[i].rel, s->v, s->n, sizeof *s->v, by_rel))
            slm_report(d, SLM_R_HS_014, copy.v[i].disk, -1, NULL, "the copy has this file (%llu bytes); the manifest does not list it",
                       (unsigned long long)copy.v[i].size);
    int err = w.err;
    set_free(&copy);
    return err;
}

static char *folder_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slm_strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
}

/* Reads and validates the manifest at PATH into S.  0, an errno value, or
 * -1 when it cannot be used (the findings say why). */
static int load_manifest(const char *path, hs_set *s, struct stat *st, slm_diag *d)
{
    slm_map m;
    int e = slm_map_open(&m, path);
    if (e)
        return e;
    if (stat(path, st) != 0) {
        e = errno;
        slm_map_close(&m);
        return e;
    }
    if (m.size > SLM_MANIFEST_MAX_BYTES) {
        slm_report(d, SLM_R_HS_005, path, -1, NULL, "manifest has %llu bytes, the limit is %u",
                   (unsigned long long)m.size, SLM_MANIFEST_MAX_BYTES);
        slm_map_close(&m);
        return -1;
    }
    slm_json j;
    int r = slm_json_parse(&j, m.data ? (const char *)m.data : "", (size_t)m.size, HS_JSON_DEPTH);
    if (r == -2)
        e = ENOMEM;
    else if (r) {
        slm_report(d, SLM_R_HS_001, path, (int64_t)j.err_off, NULL, "%s", j.err);
        e = -1;
    } else {
        mf_ctx c = {path, &j, d, false};
        e = read_manifest(&c, s);
    }
    slm_json_free(&j);
    slm_map_close(&m);
    return e;
}

int slm_manifest_check(const char *manifest_path, const char *root, const slm_manifest_opts *o, slm_diag *d)
{
    char *dir = root ? strdup(root) : folder_of(manifest_path);
    struct stat rs, ms;
    if (!dir)
        return ENOMEM;
    int e = stat(dir, &rs) != 0 ? errno : !S_ISDIR(rs.st_mode) ? ENOTDIR : 0;
    hs_set s = {0};
    if (!e)
        e = load_manifest(manifest_path, &s, &ms, d);
    if (!e)
        e = locate(&s, dir, d);
    if (!e)
        e = hash_all(&s, true, o);
    slm_manifest_stats st = {0};
    for (size_t i = 0; !e && i < s.n; i++)
        if (!s.v[i].skip)
            report_file(&s.v[i], d, &st);
    if (!e)
        e = report_unlisted(&s, dir, &ms, d);
    if (o && o->stats)
        *o->stats = st;
    set_free(&s);
    free(dir);
    return e < 0 ? 0 : e;
}

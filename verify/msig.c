/* OpenSSF model signing: the model's files as model_signing's files
 * serialization lists and hashes them (msig_files.h), and the in-toto
 * statement it signs (msig.h, spec/hash.md).  Files are read through mmap
 * and hashed with libcrypto's SHA-256, in parallel. */
#include "msig_files.h"
#include "parallel.h"

#include <dirent.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The paths model_signing's command line ignores by default (its git paths,
 * and the signature written into the model folder). */
static const char *const DEFAULT_IGNORE[] = {".git", ".gitattributes", ".github", ".gitignore", "model.sig"};

void msig_list_free(ms_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].rel);
        free(l->v[i].disk);
    }
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

void msig_list_add(ms_list *l, const char *rel, const char *disk)
{
    if (l->err)
        return;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        ms_file *v = cap <= SIZE_MAX / sizeof *v ? realloc(l->v, cap * sizeof *v) : NULL;
        if (!v) {
            l->err = ENOMEM;
            return;
        }
        l->v = v;
        l->cap = cap;
    }
    ms_file *f = &l->v[l->n];
    memset(f, 0, sizeof *f);
    f->rel = strdup(rel);
    f->disk = strdup(disk);
    if (!f->rel || !f->disk) {
        free(f->rel);
        free(f->disk);
        l->err = ENOMEM;
        return;
    }
    l->n++;
}

/* Whether REL is an ignored path or lies under one (component by component). */
static bool ignored(const ms_walk *w, const char *rel)
{
    for (size_t i = 0; i < w->nignore; i++) {
        size_t k = strlen(w->ignore[i]);
        if (k && strncmp(rel, w->ignore[i], k) == 0 && (rel[k] == 0 || rel[k] == '/'))
            return true;
    }
    return false;
}

static bool skipped(const ms_walk *w, const struct stat *st)
{
    for (size_t i = 0; i < w->nskip; i++)
        if (st->st_dev == w->skip_dev[i] && st->st_ino == w->skip_ino[i])
            return true;
    return false;
}

/* Every file under DIR (REL: its resource path, "" for the model folder), as
 * model_signing's files serialization lists them. */
static void walk_dir(ms_walk *w, const char *dir, const char *rel)
{
    DIR *dd = opendir(dir);
    if (!dd) {
        slm_report(w->d, SLM_R_IO_001, dir, -1, NULL, "folder cannot be read: %s", strerror(errno));
        return;
    }
    struct dirent *de;
    while (!w->l->err && (de = readdir(dd))) {
        const char *nm = de->d_name;
        if (nm[0] == '.' && (!nm[1] || (nm[1] == '.' && !nm[2])))
            continue;
        char *p = slm_strdupf("%s/%s", dir, nm), *r = *rel ? slm_strdupf("%s/%s", rel, nm) : strdup(nm);
        struct stat st;
        if (!p || !r)
            w->l->err = ENOMEM;
        else if (ignored(w, r) || lstat(p, &st) != 0)
            ; /* ignored, or gone since readdir */
        else if (slm_utf8_check((const uint8_t *)r, strlen(r)) != strlen(r))
            slm_report(w->d, SLM_R_HS_021, p, -1, NULL, "file name is not UTF-8; left out of the statement");
        else if (S_ISLNK(st.st_mode) && !w->allow_symlinks)
            slm_report(w->d, SLM_R_HS_035, p, -1, NULL,
                       "'%s' is a symbolic link; model_signing refuses it without allow_symlinks", r);
        else if (S_ISDIR(st.st_mode))
            walk_dir(w, p, r);
        else if (S_ISLNK(st.st_mode) && stat(p, &st) != 0)
            slm_report(w->d, SLM_R_IO_001, p, -1, NULL, "link cannot be followed: %s", strerror(errno));
        else if (S_ISREG(st.st_mode)) {
            if (!skipped(w, &st))
                msig_list_add(w->l, r, p);
        } else if (!S_ISDIR(st.st_mode))
            slm_report(w->d, SLM_R_HS_035, p, -1, NULL, "'%s' is neither a regular file nor a folder", r);
        /* a link to a folder: model_signing's glob does not enter it */
        free(p);
        free(r);
    }
    closedir(dd);
}

/* Python's PurePosixPath order: component by component, so '/' sorts before
 * every other byte ("a/b" < "a-c"); bytes unsigned (UTF-8 keeps code-point order). */
int msig_path_cmp(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    /* the end first, then '/', then every other byte in order */
    unsigned ca = !*a ? 0 : *a == '/' ? 1 : (unsigned char)*a + 2u;
    unsigned cb = !*b ? 0 : *b == '/' ? 1 : (unsigned char)*b + 2u;
    return ca < cb ? -1 : ca > cb;
}

static int file_cmp(const void *x, const void *y)
{
    return msig_path_cmp(((const ms_file *)x)->rel, ((const ms_file *)y)->rel);
}

/* Lists the model at PATH: a folder's files, or a single file named ".". */
int msig_list_model(const char *path, const struct stat *st, ms_walk *w)
{
    if (S_ISDIR(st->st_mode))
        walk_dir(w, path, "");
    else
        msig_list_add(w->l, ".", path);
    if (!w->l->err && w->l->n > 1)
        qsort(w->l->v, w->l->n, sizeof *w->l->v, file_cmp);
    return w->l->err;
}

/* ---- hashing ------------------------------------------------------------------------------ */

typedef struct ms_pool {
    ms_file *v;
} ms_pool;

static void hash_one(void *arg, unsigned worker, size_t i)
{
    (void)worker;
    ms_file *f = &((ms_pool *)arg)->v[i];
    slm_map m;
    if ((f->err = slm_map_open(&m, f->disk)) != 0)
        return;
    f->size = m.size;
    unsigned n = 0;
    if (!EVP_Digest(m.data ? m.data : (const uint8_t *)"", (size_t)m.size, f->digest, &n, EVP_sha256(), NULL) ||
        n != MS_DIGEST)
        f->err = EIO;
    slm_map_close(&m);
}

void msig_hash_all(ms_list *l, const slm_manifest_opts *o, slm_diag *d)
{
    ms_pool pool = {l->v};
    slm_parallel(l->n, NULL, slm_parallel_threads(o ? o->jobs : 0, l->n), hash_one, &pool);
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i].err)
            slm_report(d, SLM_R_IO_001, l->v[i].disk, -1, NULL, "file cannot be read: %s", strerror(l->v[i].err));
}

void msig_hex(const uint8_t *h, char out[2 * MS_DIGEST + 1])
{
    static const char X[] = "0123456789abcdef";
    for (int i = 0; i < MS_DIGEST; i++) {
        out[2 * i] = X[h[i] >> 4];
        out[2 * i + 1] = X[h[i] & 15];
    }
    out[2 * MS_DIGEST] = 0;
}

static int hex_val(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

bool msig_parse_digest(const char *s, uint8_t out[MS_DIGEST])
{
    if (!s || strlen(s) != 2 * MS_DIGEST)
        return false;
    for (int i = 0; i < MS_DIGEST; i++) {
        int a = hex_val(s[2 * i]), b = hex_val(s[2 * i + 1]);
        if (a < 0 || b < 0)
            return false;
        out[i] = (uint8_t)(a << 4 | b);
    }
    return true;
}

/* The model's name as model_signing takes it: the last component of PATH,
 * or of its resolved form when that is empty, "." or "..". */
static char *model_name(const char *path)
{
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/')
        n--;
    size_t b = n;
    while (b > 0 && path[b - 1] != '/')
        b--;
    char *name = slm_strndup(path + b, n - b);
    if (name && (!*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)) {
        free(name);
        char *real = realpath(path, NULL);
        const char *slash = real ? strrchr(real, '/') : NULL;
        name = strdup(slash ? slash + 1 : "");
        free(real);
    }
    return name;
}

/* P as a path inside MODEL: the rest of its resolved form when that lies
 * under MODEL's, else P itself, relative to MODEL ("./" and trailing '/'
 * dropped), as model_signing records --ignore-paths. */
static char *msig_relative(const char *model, const char *p)
{
    char *rm = realpath(model, NULL), *rp = realpath(p, NULL), *r = NULL;
    size_t k = rm ? strlen(rm) : 0;
    if (rm && rp && strncmp(rp, rm, k) == 0 && rp[k] == '/')
        r = strdup(rp + k + 1);
    else {
        while (p[0] == '.' && p[1] == '/')
            p += 2;
        size_t n = strlen(p);
        while (n > 1 && p[n - 1] == '/')
            n--;
        r = slm_strndup(p, n);
    }
    free(rm);
    free(rp);
    return r;
}

void msig_strings_free(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

char **msig_ignore_list(const char *model, const char *const *base, size_t nbase, const slm_msig_ignore *extra,
                        size_t *n)
{
    size_t ne = extra ? extra->n : 0;
    char **v = calloc(nbase + ne + 1, sizeof *v);
    *n = 0;
    for (size_t i = 0; v && i < nbase + ne; i++) {
        char *p = i < nbase ? strdup(base[i]) : msig_relative(model, extra->v[i - nbase]);
        if (!p) {
            msig_strings_free(v, *n);
            return NULL;
        }
        v[(*n)++] = p;
    }
    return v;
}

/* ---- the statement --------------------------------------------------------------------------- */

int slm_msig_statement(const char *path, const slm_manifest_opts *o, const slm_msig_ignore *ignore,
                       cJSON **statement, slm_diag *d)
{
    *statement = NULL;
    struct stat st, sk;
    if (stat(path, &st) != 0)
        return errno;
    if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
        return EINVAL;
    size_t nig = 0;
    char **ig = msig_ignore_list(path, DEFAULT_IGNORE, sizeof DEFAULT_IGNORE / sizeof DEFAULT_IGNORE[0], ignore, &nig);
    if (!ig)
        return ENOMEM;
    ms_list l = {0};
    ms_walk w = {&l, (const char *const *)ig, nig, false, {0}, {0}, 0, d};
    if (o && o->skip && stat(o->skip, &sk) == 0) {
        w.skip_dev[0] = sk.st_dev;
        w.skip_ino[0] = sk.st_ino;
        w.nskip = 1;
    }
    int e = msig_list_model(path, &st, &w);
    if (!e)
        msig_hash_all(&l, o, d);
    char *name = e ? NULL : model_name(path);
    EVP_MD_CTX *root = e ? NULL : EVP_MD_CTX_new();
    cJSON *doc = cJSON_CreateObject(), *res = cJSON_CreateArray();
    if (!e && (!name || !root || !doc || !res || !EVP_DigestInit_ex(root, EVP_sha256(), NULL)))
        e = ENOMEM;
    uint64_t bytes = 0;
    size_t files = 0;
    for (size_t i = 0; !e && i < l.n; i++) {
        if (l.v[i].err)
            continue;
        char hex[2 * MS_DIGEST + 1];
        msig_hex(l.v[i].digest, hex);
        cJSON *r = cJSON_CreateObject();
        cJSON_AddStringToObject(r, "name", l.v[i].rel);
        cJSON_AddStringToObject(r, "algorithm", "sha256");
        cJSON_AddStringToObject(r, "digest", hex);
        cJSON_AddItemToArray(res, r);
        EVP_DigestUpdate(root, l.v[i].digest, MS_DIGEST);
        bytes += l.v[i].size;
        files++;
    }
    if (!e) {
        uint8_t rd[MS_DIGEST];
        char hex[2 * MS_DIGEST + 1];
        unsigned n = 0;
        EVP_DigestFinal_ex(root, rd, &n);
        msig_hex(rd, hex);
        cJSON_AddStringToObject(doc, "_type", SLM_INTOTO_STATEMENT);
        cJSON *subj = cJSON_AddArrayToObject(doc, "subject"), *s = cJSON_CreateObject();
        cJSON_AddStringToObject(s, "name", name);
        cJSON_AddStringToObject(cJSON_AddObjectToObject(s, "digest"), "sha256", hex);
        cJSON_AddItemToArray(subj, s);
        cJSON_AddStringToObject(doc, "predicateType", SLM_MSIG_PREDICATE);
        cJSON *pred = cJSON_AddObjectToObject(doc, "predicate");
        cJSON *ser = cJSON_AddObjectToObject(pred, "serialization");
        cJSON_AddStringToObject(ser, "method", "files");
        cJSON_AddStringToObject(ser, "hash_type", "sha256");
        cJSON_AddBoolToObject(ser, "allow_symlinks", false);
        cJSON *ipaths = cJSON_AddArrayToObject(ser, "ignore_paths");
        for (size_t i = 0; i < w.nignore; i++)
            cJSON_AddItemToArray(ipaths, cJSON_CreateString(w.ignore[i]));
        cJSON_AddItemToObject(pred, "resources", res);
        res = NULL;
        *statement = doc;
        doc = NULL;
        if (o && o->stats) {
            o->stats->files = files;
            o->stats->bytes = bytes;
            o->stats->tensors = 0;
        }
    }
    cJSON_Delete(doc);
    cJSON_Delete(res);
    EVP_MD_CTX_free(root);
    free(name);
    msig_list_free(&l);
    msig_strings_free(ig, nig);
    return e;
}

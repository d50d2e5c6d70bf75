/* OpenSSF model signing: the check of a model against a model_signing
 * bundle (msig.h, spec/hash.md).  The bundle and its statement are read
 * strictly; names in the statement are never opened: the model's own files
 * are listed, matched to the resources by name, and hashed. */
#include "msig_files.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- reading a bundle ------------------------------------------------------------------------ */

typedef struct ms_resource {
    const char *name;
    uint8_t digest[MS_DIGEST];
    size_t index; /* in predicate.resources (or subject, v0.1) */
} ms_resource;

typedef struct ms_stmt {
    const char *path; /* the bundle, for findings */
    slm_diag *d;
    bool bad;                 /* a finding (or ENOMEM) made it unusable */
    int err;                  /* ENOMEM, or 0 */
    const char *array;        /* "/predicate/resources" or "/subject" (v0.1) */
    bool allow_symlinks;
    const char **ignore;
    size_t nignore;
    ms_resource *res;
    size_t nres;
} ms_stmt;

static void bad(ms_stmt *s, slm_rule_id rule, const char *ptr, const char *fmt, ...) SLM_PRINTF(4, 5);
static void bad(ms_stmt *s, slm_rule_id rule, const char *ptr, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    slm_vreport(s->d, rule, s->path, -1, ptr, fmt, ap);
    va_end(ap);
    if (slm_rule_get(rule)->severity == SLM_ERROR)
        s->bad = true;
}

static int b64_val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '+' || c == '-' ? 62 : c == '/' || c == '_' ? 63 : -1;
}

/* Base64 (standard or URL-safe alphabet, padding optional) of S into a
 * malloc'd buffer; NULL with *BAD_AT set to the offending offset, or with
 * *BAD_AT SIZE_MAX when memory runs out. */
static uint8_t *b64_decode(const char *s, size_t *out_n, size_t *bad_at)
{
    size_t n = strlen(s);
    while (n && s[n - 1] == '=')
        n--;
    *bad_at = SIZE_MAX;
    if (n % 4 == 1) {
        *bad_at = n;
        return NULL;
    }
    uint8_t *out = malloc(n / 4 * 3 + 3);
    if (!out)
        return NULL;
    size_t k = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64_val((unsigned char)s[i]);
        if (v < 0) {
            free(out);
            *bad_at = i;
            return NULL;
        }
        acc = (acc << 6 | (uint32_t)v) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[k++] = (uint8_t)(acc >> bits);
        }
    }
    *out_n = k;
    return out;
}

/* Plain relative path: '/'-separated, no empty, "." or ".." part ("." alone
 * is a single-file model). */
static bool plain_relative(const char *p)
{
    if (strcmp(p, ".") == 0)
        return true;
    if (!*p || *p == '/')
        return false;
    for (const char *c = p; *c;) {
        size_t k = strcspn(c, "/");
        if (k == 0 || (k == 1 && c[0] == '.') || (k == 2 && c[0] == '.' && c[1] == '.'))
            return false;
        c += k;
        if (*c == '/' && !*++c)
            return false;
    }
    return true;
}

static const char *str_of(const cJSON *o, const char *k)
{
    const cJSON *v = slm_json_get(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool add_resource(ms_stmt *s, const char *name, const char *digest, size_t i)
{
    char ptr[64];
    snprintf(ptr, sizeof ptr, "%s/%zu", s->array, i);
    ms_resource *r = &s->res[s->nres];
    if (!name || !plain_relative(name)) {
        bad(s, SLM_R_HS_031, ptr, "resource name must be a plain relative path, found %s%s%s", name ? "'" : "",
            name ? name : "none", name ? "'" : "");
        return false;
    }
    if (!msig_parse_digest(digest, r->digest)) {
        bad(s, SLM_R_HS_031, ptr, "digest of '%s' must be 64 hex digits (SHA-256)", name);
        return false;
    }
    r->name = name;
    r->index = i;
    s->nres++;
    return true;
}

/* predicate.serialization: the method slminspect recomputes ("files", sha256). */
static void read_serialization(ms_stmt *s, const cJSON *ser)
{
    if (!cJSON_IsObject(ser)) {
        bad(s, SLM_R_HS_031, "/predicate/serialization", "serialization must be an object, found %s",
            slm_json_type(ser));
        return;
    }
    const char *method = str_of(ser, "method"), *hash = str_of(ser, "hash_type");
    if (!method || strcmp(method, "files") != 0) {
        bad(s, SLM_R_HS_033, "/predicate/serialization/method", "serialization method is '%s'; slminspect recomputes 'files'",
            method ? method : "(none)");
        return;
    }
    if (!hash || strcmp(hash, "sha256") != 0) {
        bad(s, SLM_R_HS_033, "/predicate/serialization/hash_type", "hash_type is '%s'; slminspect recomputes 'sha256'",
            hash ? hash : "(none)");
        return;
    }
    const cJSON *sym = slm_json_get(ser, "allow_symlinks");
    s->allow_symlinks = cJSON_IsTrue(sym);
    const cJSON *ig = slm_json_get(ser, "ignore_paths");
    if (ig && !cJSON_IsArray(ig)) {
        bad(s, SLM_R_HS_031, "/predicate/serialization/ignore_paths", "ignore_paths must be an array of strings");
        return;
    }
    size_t n = (size_t)cJSON_GetArraySize(ig);
    s->ignore = n ? calloc(n, sizeof *s->ignore) : NULL;
    if (n && !s->ignore) {
        s->bad = true;
        s->err = ENOMEM;
        return;
    }
    const cJSON *e;
    cJSON_ArrayForEach(e, ig)
    {
        if (!s->ignore)
            break;
        if (!cJSON_IsString(e)) {
            bad(s, SLM_R_HS_031, "/predicate/serialization/ignore_paths", "ignore_paths must be an array of strings");
            return;
        }
        const char *p = e->valuestring;
        while (p[0] == '.' && p[1] == '/')
            p += 2;
        s->ignore[s->nignore++] = p;
    }
}

/* Resources of a v1.0 statement, the subject digest checked against them. */
static void read_v1(ms_stmt *s, const cJSON *st)
{
    const cJSON *subj = slm_json_get(st, "subject");
    const cJSON *s0 = cJSON_GetArrayItem(subj, 0);
    uint8_t want[MS_DIGEST];
    if (!cJSON_IsArray(subj) || cJSON_GetArraySize(subj) != 1 || !cJSON_IsObject(s0) ||
        !msig_parse_digest(str_of(slm_json_get(s0, "digest"), "sha256"), want)) {
        bad(s, SLM_R_HS_031, "/subject", "expected one subject with a sha256 digest (64 hex digits)");
        return;
    }
    const cJSON *pred = slm_json_get(st, "predicate");
    if (!cJSON_IsObject(pred)) {
        bad(s, SLM_R_HS_031, "/predicate", "predicate must be an object, found %s", slm_json_type(pred));
        return;
    }
    read_serialization(s, slm_json_get(pred, "serialization"));
    if (s->bad)
        return;
    const cJSON *res = slm_json_get(pred, "resources");
    if (!cJSON_IsArray(res)) {
        bad(s, SLM_R_HS_031, "/predicate/resources", "resources must be an array, found %s", slm_json_type(res));
        return;
    }
    size_t n = (size_t)cJSON_GetArraySize(res), i = 0;
    s->res = n ? calloc(n, sizeof *s->res) : NULL;
    if (n && !s->res) {
        s->bad = true;
        s->err = ENOMEM;
        return;
    }
    EVP_MD_CTX *root = EVP_MD_CTX_new();
    bool hashing = root && EVP_DigestInit_ex(root, EVP_sha256(), NULL);
    const cJSON *r;
    cJSON_ArrayForEach(r, res)
    {
        const char *alg = str_of(r, "algorithm");
        if (alg && strcmp(alg, "sha256") != 0) {
            char ptr[64];
            snprintf(ptr, sizeof ptr, "/predicate/resources/%zu/algorithm", i);
            bad(s, SLM_R_HS_033, ptr, "resource algorithm is '%s'; slminspect recomputes 'sha256'", alg);
        } else if (add_resource(s, str_of(r, "name"), str_of(r, "digest"), i) && hashing)
            EVP_DigestUpdate(root, s->res[s->nres - 1].digest, MS_DIGEST);
        i++;
    }
    uint8_t got[MS_DIGEST];
    unsigned k = 0;
    if (!s->bad && hashing && EVP_DigestFinal_ex(root, got, &k) && memcmp(got, want, MS_DIGEST) != 0) {
        char a[2 * MS_DIGEST + 1], b[2 * MS_DIGEST + 1];
        msig_hex(want, a);
        msig_hex(got, b);
        bad(s, SLM_R_HS_032, "/subject/0/digest/sha256",
            "subject digest is %s, expected %s (SHA-256 over the %zu resources' digests)", a, b, s->nres);
    }
    if (!hashing) {
        s->bad = true;
        s->err = ENOMEM;
    }
    EVP_MD_CTX_free(root);
}

/* The v0.2 predicate (model_signing 0.2): every file a subject, files/sha256. */
static void read_v01(ms_stmt *s, const cJSON *st)
{
    const cJSON *subj = slm_json_get(st, "subject");
    if (!cJSON_IsArray(subj)) {
        bad(s, SLM_R_HS_031, "/subject", "subject must be an array, found %s", slm_json_type(subj));
        return;
    }
    size_t n = (size_t)cJSON_GetArraySize(subj), i = 0;
    s->res = n ? calloc(n, sizeof *s->res) : NULL;
    if (n && !s->res) {
        s->bad = true;
        s->err = ENOMEM;
        return;
    }
    s->array = "/subject";
    const cJSON *e;
    cJSON_ArrayForEach(e, subj) add_resource(s, str_of(e, "name"), str_of(slm_json_get(e, "digest"), "sha256"), i++);
}

static int res_cmp(const void *x, const void *y)
{
    return msig_path_cmp(((const ms_resource *)x)->name, ((const ms_resource *)y)->name);
}

/* The statement (the payload's JSON) into S. */
static void read_statement(ms_stmt *s, const cJSON *st)
{
    const char *type = str_of(st, "_type"), *pt = str_of(st, "predicateType");
    if (!cJSON_IsObject(st) || !type || strcmp(type, SLM_INTOTO_STATEMENT) != 0) {
        bad(s, SLM_R_HS_031, "/_type", "expected an in-toto statement (_type %s), found %s", SLM_INTOTO_STATEMENT,
            type ? type : slm_json_type(slm_json_get(st, "_type")));
        return;
    }
    if (pt && strcmp(pt, SLM_MSIG_PREDICATE) == 0)
        read_v1(s, st);
    else if (pt && strcmp(pt, SLM_MSIG_PREDICATE_V01) == 0)
        read_v01(s, st);
    else
        bad(s, SLM_R_HS_031, "/predicateType", "predicateType is %s, expected %s", pt ? pt : "missing",
            SLM_MSIG_PREDICATE);
    if (s->bad)
        return;
    if (s->nres > 1)
        qsort(s->res, s->nres, sizeof *s->res, res_cmp);
    for (size_t i = 1; i < s->nres; i++)
        if (strcmp(s->res[i - 1].name, s->res[i].name) == 0) {
            char ptr[64];
            snprintf(ptr, sizeof ptr, "%s/%zu", s->array, s->res[i].index);
            bad(s, SLM_R_HS_031, ptr, "resource '%s' is listed twice", s->res[i].name);
        }
}

/* Reads the bundle at PATH (mapped as M) and its statement into S.  The
 * statement's strings point into *STMT, which the caller frees. */
static int read_bundle(ms_stmt *s, const slm_map *m, slm_json *stmt)
{
    memset(stmt, 0, sizeof *stmt);
    if (m->size > SLM_MANIFEST_MAX_BYTES) {
        bad(s, SLM_R_HS_030, NULL, "bundle has %llu bytes, the limit is %u", (unsigned long long)m->size,
            SLM_MANIFEST_MAX_BYTES);
        return 0;
    }
    slm_json j;
    int r = slm_json_parse(&j, m->data ? (const char *)m->data : "", (size_t)m->size, MS_JSON_DEPTH);
    if (r == -2) {
        slm_json_free(&j);
        return ENOMEM;
    }
    const cJSON *env = r ? NULL : slm_json_get(j.root, "dsseEnvelope");
    const char *media = r ? NULL : str_of(j.root, "mediaType");
    const char *ptype = str_of(env, "payloadType"), *payload = str_of(env, "payload");
    if (r)
        slm_report(s->d, SLM_R_HS_030, s->path, (int64_t)j.err_off, NULL, "not JSON: %s", j.err);
    else if (media && strncmp(media, "application/vnd.dev.sigstore.bundle", 35) != 0)
        bad(s, SLM_R_HS_030, "/mediaType", "mediaType is '%s', expected a Sigstore bundle", media);
    else if (!cJSON_IsObject(env))
        bad(s, SLM_R_HS_030, "/dsseEnvelope", "no DSSE envelope (dsseEnvelope object)");
    else if (!ptype || strcmp(ptype, SLM_INTOTO_PAYLOAD_TYPE) != 0)
        bad(s, SLM_R_HS_030, "/dsseEnvelope/payloadType", "payloadType is '%s', expected %s",
            ptype ? ptype : "missing", SLM_INTOTO_PAYLOAD_TYPE);
    else if (!payload)
        bad(s, SLM_R_HS_030, "/dsseEnvelope/payload", "no payload string");
    if (r || s->bad || !payload) {
        s->bad = true;
        slm_json_free(&j);
        return 0;
    }
    size_t n = 0, at;
    uint8_t *text = b64_decode(payload, &n, &at);
    slm_json_free(&j);
    if (!text && at == SIZE_MAX)
        return ENOMEM;
    if (!text) {
        bad(s, SLM_R_HS_030, "/dsseEnvelope/payload", "payload is not base64 (character %zu)", at);
        return 0;
    }
    r = slm_json_parse(stmt, (const char *)text, n, MS_JSON_DEPTH);
    if (r == -2) {
        free(text);
        return ENOMEM;
    }
    if (r) {
        bad(s, SLM_R_HS_030, "/dsseEnvelope/payload", "payload is not JSON: %s (byte %zu)", stmt->err, stmt->err_off);
        free(text);
        slm_json_free(stmt);
        memset(stmt, 0, sizeof *stmt);
        return 0;
    }
    read_statement(s, stmt->root);
    return 0; /* TEXT is freed with STMT: slm_msig_check frees stmt->text */
}

bool slm_msig_is_bundle(const char *path)
{
    slm_map m;
    if (slm_map_open(&m, path) != 0)
        return false;
    bool yes = false;
    slm_json j;
    if (m.size <= SLM_MANIFEST_MAX_BYTES &&
        slm_json_parse(&j, m.data ? (const char *)m.data : "", (size_t)m.size, MS_JSON_DEPTH) == 0)
        yes = cJSON_IsObject(j.root) && slm_json_get(j.root, "dsseEnvelope") != NULL;
    else if (m.size <= SLM_MANIFEST_MAX_BYTES) /* not JSON: a bundle if it says so (HS-030 names the error) */
        yes = m.size && memmem(m.data, (size_t)m.size, "dsseEnvelope", 12) != NULL;
    if (m.size <= SLM_MANIFEST_MAX_BYTES)
        slm_json_free(&j);
    slm_map_close(&m);
    return yes;
}

/* The resources against the model's files (both sorted): missing, unlisted
 * and (after hashing the files listed in both) different. */
static int compare(const ms_stmt *s, ms_list *l, const slm_manifest_opts *o, slm_diag *d)
{
    ms_list both = {0};
    size_t *res_of = calloc(l->n ? l->n : 1, sizeof *res_of);
    if (!res_of)
        return ENOMEM;
    size_t i = 0, k = 0;
    while (i < s->nres || k < l->n) {
        int c = i == s->nres ? 1 : k == l->n ? -1 : msig_path_cmp(s->res[i].name, l->v[k].rel);
        char ptr[64];
        if (c < 0) {
            snprintf(ptr, sizeof ptr, "%s/%zu", s->array, s->res[i].index);
            slm_report(d, SLM_R_HS_010, s->path, -1, ptr, "'%s' is in the signature but not in the model",
                       s->res[i].name);
            i++;
        } else if (c > 0) {
            slm_report(d, SLM_R_HS_034, l->v[k].disk, -1, NULL, "'%s' is in the model but not in the signature",
                       l->v[k].rel);
            k++;
        } else {
            res_of[both.n] = i;
            msig_list_add(&both, l->v[k].rel, l->v[k].disk);
            i++, k++;
        }
    }
    if (both.err) {
        int e = both.err;
        free(res_of);
        msig_list_free(&both);
        return e;
    }
    msig_hash_all(&both, o, d);
    uint64_t bytes = 0;
    for (size_t j = 0; j < both.n; j++) {
        const ms_file *f = &both.v[j];
        const ms_resource *r = &s->res[res_of[j]];
        bytes += f->size;
        if (f->err || memcmp(f->digest, r->digest, MS_DIGEST) == 0)
            continue;
        char a[2 * MS_DIGEST + 1], b[2 * MS_DIGEST + 1], ptr[64];
        msig_hex(r->digest, a);
        msig_hex(f->digest, b);
        snprintf(ptr, sizeof ptr, "%s/%zu/digest", s->array, r->index);
        slm_report(d, SLM_R_HS_012, f->disk, -1, ptr, "'%s' has SHA-256 %s, the signature says %s", f->rel, b, a);
    }
    if (o && o->stats) {
        o->stats->files = both.n;
        o->stats->bytes = bytes;
        o->stats->tensors = 0;
    }
    free(res_of);
    msig_list_free(&both);
    return 0;
}

static char *folder_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slm_strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
}

int slm_msig_check(const char *bundle, const char *root, const slm_manifest_opts *o, const slm_msig_ignore *ignore,
                   slm_diag *d)
{
    char *dir = root ? strdup(root) : folder_of(bundle);
    if (!dir)
        return ENOMEM;
    struct stat rs, bs;
    int e = stat(dir, &rs) != 0 ? errno : !S_ISDIR(rs.st_mode) && !S_ISREG(rs.st_mode) ? EINVAL : 0;
    slm_map m = {0};
    if (!e && (e = slm_map_open(&m, bundle)) == 0 && stat(bundle, &bs) != 0)
        e = errno;
    ms_stmt s = {bundle, d, false, 0, "/predicate/resources", false, NULL, 0, NULL, 0};
    slm_json stmt = {0};
    if (!e)
        e = read_bundle(&s, &m, &stmt);
    if (!e)
        e = s.err;
    if (!e && !s.bad) {
        ms_list l = {0};
        size_t nig = 0;
        char **ig = msig_ignore_list(dir, s.ignore, s.nignore, ignore, &nig);
        ms_walk w = {&l, (const char *const *)ig, nig, s.allow_symlinks, {bs.st_dev}, {bs.st_ino}, 1, d};
        e = ig ? msig_list_model(dir, &rs, &w) : ENOMEM;
        if (!e)
            e = compare(&s, &l, o, d);
        msig_list_free(&l);
        msig_strings_free(ig, nig);
    }
    free((void *)stmt.text);
    slm_json_free(&stmt);
    free(s.ignore);
    free(s.res);
    slm_map_close(&m);
    free(dir);
    return e;
}

/* MLC-LLM / WebLLM weight folders (slm/mlc.h).
 *
 * The references read a tensor cache as follows (tvm relax_vm
 * TensorCacheMetadata / NDArrayCacheMetadata, tvmjs fetchTensorCache):
 *   1. the JSON object's "records" array, one entry per shard           MLC-001
 *   2. each shard: dataPath, format == "raw-shard", nbytes, records     MLC-002, MLC-016
 *   3. the shard file dataPath, joined to the folder, is read whole     MLC-003, MLC-004
 *      and must be nbytes long ("corrupted parameter shard")            MLC-005
 *   4. each record: name, shape, dtype, format ("raw" or
 *      "f32-to-bf16"), nbytes, byteOffset                               MLC-006, MLC-007, MLC-016
 *      byteOffset + nbytes <= the shard's bytes                         MLC-009
 *      nbytes == the array's size (CopyFromBytes checks it)             MLC-008
 *      (f32-to-bf16: the stored bytes are bfloat16, half of float32)
 * Stricter than the references (warnings): records tile each shard
 * (MLC-011), names are unique (MLC-012), metadata totals (MLC-013/014),
 * stray shards (MLC-017).  Overlapping records (MLC-010) are errors: two
 * parameters would share bytes, which no converter writes.
 *
 * mlc-chat-config.json (mlc_llm gen_config, web-llm ChatConfig): the fields
 * the runtimes read must have their types (MLC-020). */
#include "slm/mlc.h"
#include "slm/pointer.h"
#include "slm/tensor.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>

static char *dir_of(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? slm_strndup(path, s == path ? 1 : (size_t)(s - path)) : strdup(".");
}

static const char *base_of(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

bool slm_mlc_is_cache_name(const char *name)
{
    return strcmp(name, "ndarray-cache.json") == 0 || strcmp(name, "tensor-cache.json") == 0;
}

char *slm_mlc_find_cache(const char *dir)
{
    static const char *const names[] = {"tensor-cache.json", "ndarray-cache.json"};
    for (int i = 0; i < 2; i++) {
        char *p = slm_strdupf("%s/%s", dir, names[i]);
        struct stat st;
        if (p && stat(p, &st) == 0 && S_ISREG(st.st_mode))
            return p;
        free(p);
    }
    return NULL;
}

/* A shard name must stay inside the folder: relative, no ".." component. */
static bool name_escapes(const char *s)
{
    if (s[0] == '/' || s[0] == 0 || strchr(s, '\\'))
        return true;
    for (const char *p = s; *p;) {
        const char *q = strchr(p, '/');
        size_t l = q ? (size_t)(q - p) : strlen(p);
        if (l == 2 && p[0] == '.' && p[1] == '.')
            return true;
        p += l + (q != NULL);
    }
    return false;
}

typedef struct ctx {
    slm_mlc *x;
    slm_json *j;
    slm_diag *d;
} ctx;

static void rep(ctx *c, slm_rule_id r, const cJSON *at, const char *path, const char *fmt, ...) SLM_PRINTF(5, 6);
static void rep(ctx *c, slm_rule_id r, const cJSON *at, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    slm_vreport(c->d, r, c->x->file, at ? (int64_t)slm_json_off(c->j, at, false) : 0, path, fmt, ap);
    va_end(ap);
}

/* An unsigned integer member KEY of OBJ; reports and returns false when it
 * is missing or not one. */
static bool get_u64(ctx *c, const cJSON *obj, const char *key, const char *base, slm_rule_id missing,
                    uint64_t *v)
{
    const cJSON *it = slm_json_get(obj, key);
    char *path = slm_jptr(base, key);
    bool ok = false;
    if (!it) {
        rep(c, missing, obj, path, "'%s' is missing", key);
    } else {
        enum slm_jnum r = slm_json_u64(c->j, it, v);
        if (r == SLM_JNUM_OK)
            ok = true;
        else if (r == SLM_JNUM_RANGE)
            rep(c, SLM_R_JS_003, it, path, "'%s' is above 2^64-1", key);
        else
            rep(c, missing, it, path, "'%s' must be a non-negative integer, found %s", key,
                r == SLM_JNUM_NOTNUM ? slm_json_type(it) : r == SLM_JNUM_NEGATIVE ? "a negative number" : "a fraction");
    }
    free(path);
    return ok;
}

static const char *get_str(ctx *c, const cJSON *obj, const char *key, const char *base, slm_rule_id missing)
{
    const cJSON *it = slm_json_get(obj, key);
    if (cJSON_IsString(it) && !(slm_json_span_of(c->j, it)->flags & SLM_JSPAN_NUL))
        return it->valuestring;
    char *path = slm_jptr(base, key);
    rep(c, missing, it ? it : obj, path, "'%s' must be a string, found %s", key, it ? slm_json_type(it) : "nothing");
    free(path);
    return NULL;
}

static void dup_keys(ctx *c, const cJSON *obj, const char *path)
{
    const cJSON *dk = slm_json_dup(obj);
    if (dk)
        slm_report(c->d, SLM_R_JS_002, c->x->file, (int64_t)slm_json_off(c->j, dk, true), path,
                   "key '%s' repeats; readers keep the last value", dk->string);
}

/* Bytes the stored data of a record takes: f32-to-bf16 keeps 2 bytes per
 * float32 element. */
static bool stored_bytes(const slm_mlc_record *r, bool bf16, uint64_t *nb)
{
    if (bf16)
        return r->dtype == SLM_DT_F32 && slm_mul_u64(r->nelem, 2, nb);
    return slm_dtype_nbytes(r->dtype, r->nelem, false, nb);
}

static void parse_record(ctx *c, const cJSON *e, size_t shard, size_t idx, const char *base)
{
    slm_mlc *x = c->x;
    slm_mlc_record *r = &x->r[x->nr];
    memset(r, 0, sizeof *r);
    r->shard = shard;
    r->index = idx;
    r->json_off = slm_json_off(c->j, e, false);
    if (!cJSON_IsObject(e)) {
        rep(c, SLM_R_MLC_006, e, base, "a tensor record must be an object, found %s", slm_json_type(e));
        return;
    }
    dup_keys(c, e, base);
    const char *name = get_str(c, e, "name", base, SLM_R_MLC_006);
    const char *dt = get_str(c, e, "dtype", base, SLM_R_MLC_006);
    const char *fmt = get_str(c, e, "format", base, SLM_R_MLC_006);
    bool ok = name && dt && fmt;
    ok &= get_u64(c, e, "nbytes", base, SLM_R_MLC_006, &r->nbytes);
    ok &= get_u64(c, e, "byteOffset", base, SLM_R_MLC_006, &r->offset);
    const cJSON *sh = slm_json_get(e, "shape");
    char *spath = slm_jptr(base, "shape");
    if (!cJSON_IsArray(sh)) {
        rep(c, SLM_R_MLC_006, sh ? sh : e, spath, "'shape' must be an array of integers, found %s",
            sh ? slm_json_type(sh) : "nothing");
        ok = false;
    } else {
        size_t n = (size_t)cJSON_GetArraySize(sh);
        r->shape = calloc(n ? n : 1, sizeof *r->shape);
        r->nelem = 1;
        bool over = false;
        for (const cJSON *d = sh->child; d && r->shape; d = d->next) {
            uint64_t v;
            enum slm_jnum jr = slm_json_u64(c->j, d, &v);
            if (jr != SLM_JNUM_OK) {
                char *p = slm_jptr_idx(spath, r->ndim);
                rep(c, jr == SLM_JNUM_RANGE ? SLM_R_JS_003 : SLM_R_MLC_006, d, p,
                    "shape dimensions must be non-negative integers, found %s",
                    jr == SLM_JNUM_NOTNUM ? slm_json_type(d) : "another number");
                free(p);
                ok = false;
                break;
            }
            r->shape[r->ndim++] = v;
            over |= !slm_mul_u64(r->nelem, v, &r->nelem);
        }
        if (over) {
            rep(c, SLM_R_MLC_008, sh, spath, "the shape's element count overflows 64 bits");
            ok = false;
        }
    }
    free(spath);
    if (name)
        r->name = strdup(name);
    if (dt) {
        r->dtype_name = strdup(dt);
        r->dtype = slm_dtype_from_mlc(dt);
        if (r->dtype == SLM_DT_INVALID) {
            char *p = slm_jptr(base, "dtype"), buf[64];
            rep(c, SLM_R_MLC_007, slm_json_get(e, "dtype"), p, "dtype '%s' is not one tvm knows",
                slm_printable(buf, sizeof buf, dt, strlen(dt)));
            free(p);
            ok = false;
        }
    }
    bool bf16 = false;
    if (fmt && strcmp(fmt, "raw") != 0) {
        bf16 = strcmp(fmt, "f32-to-bf16") == 0;
        if (!bf16) {
            char *p = slm_jptr(base, "format"), buf[64];
            rep(c, SLM_R_MLC_016, slm_json_get(e, "format"), p, "record format '%s', expected \"raw\" or \"f32-to-bf16\"",
                slm_printable(buf, sizeof buf, fmt, strlen(fmt)));
            free(p);
            ok = false;
        }
    }
    if (ok) {
        uint64_t want = 0;
        bool fits = stored_bytes(r, bf16, &want);
        if (!fits || want != r->nbytes) {
            char *p = slm_jptr(base, "nbytes"), buf[80], sb[80], wb[32] = "more than 2^64";
            if (fits) /* want is unset when the size overflows */
                snprintf(wb, sizeof wb, "%llu", (unsigned long long)want);
            rep(c, SLM_R_MLC_008, slm_json_get(e, "nbytes"), p,
                "tensor '%s' %s %s%s takes %s bytes, nbytes says %llu",
                slm_printable(buf, sizeof buf, r->name, strlen(r->name)), dt,
                slm_fmt_shape(sb, sizeof sb, r->shape, r->ndim), bf16 ? " (as bfloat16)" : "", wb,
                (unsigned long long)r->nbytes);
            free(p);
            ok = false;
        }
    }
    r->ok = ok && r->name && r->shape;
    x->nr++;
}

static void parse_shard(ctx *c, const cJSON *e, size_t i)
{
    slm_mlc *x = c->x;
    slm_mlc_shard *s = &x->s[x->ns++];
    memset(s, 0, sizeof *s);
    s->json_off = slm_json_off(c->j, e, false);
    char *base = slm_jptr_idx("/records", i);
    if (!cJSON_IsObject(e)) {
        rep(c, SLM_R_MLC_002, e, base, "a shard entry must be an object, found %s", slm_json_type(e));
        free(base);
        return;
    }
    dup_keys(c, e, base);
    const char *dp = get_str(c, e, "dataPath", base, SLM_R_MLC_002);
    const char *fmt = get_str(c, e, "format", base, SLM_R_MLC_002);
    bool ok = dp && fmt;
    ok &= get_u64(c, e, "nbytes", base, SLM_R_MLC_002, &s->nbytes);
    char buf[160];
    if (fmt && strcmp(fmt, "raw-shard") != 0) {
        char *p = slm_jptr(base, "format");
        rep(c, SLM_R_MLC_016, slm_json_get(e, "format"), p, "shard format '%s', expected \"raw-shard\"",
            slm_printable(buf, sizeof buf, fmt, strlen(fmt)));
        free(p);
        ok = false;
    }
    if (dp) {
        s->data_path = strdup(dp);
        if (name_escapes(dp)) {
            char *p = slm_jptr(base, "dataPath");
            rep(c, SLM_R_MLC_004, slm_json_get(e, "dataPath"), p, "dataPath '%s' leaves the folder",
                slm_printable(buf, sizeof buf, dp, strlen(dp)));
            free(p);
            ok = false;
        } else {
            s->path = slm_strdupf("%s/%s", x->dir, dp);
        }
    }
    const cJSON *md5 = slm_json_get(e, "md5sum");
    if (cJSON_IsString(md5) && strlen(md5->valuestring) == 32) {
        s->has_md5 = true;
        for (int k = 0; k < 32; k++)
            s->md5[k] = (char)((md5->valuestring[k] >= 'A' && md5->valuestring[k] <= 'F') ? md5->valuestring[k] + 32
                                                                                        : md5->valuestring[k]);
    } else if (md5 && !cJSON_IsNull(md5)) {
        char *p = slm_jptr(base, "md5sum");
        rep(c, SLM_R_MLC_002, md5, p, "md5sum must be 32 hex digits, found %s", slm_json_type(md5));
        free(p);
    }
    const cJSON *recs = slm_json_get(e, "records");
    char *rpath = slm_jptr(base, "records");
    if (!cJSON_IsArray(recs)) {
        rep(c, SLM_R_MLC_002, recs ? recs : e, rpath, "'records' must be an array, found %s",
            recs ? slm_json_type(recs) : "nothing");
        ok = false;
    } else {
        size_t k = 0;
        for (const cJSON *r = recs->child; r; r = r->next, k++) {
            char *p = slm_jptr_idx(rpath, k);
            parse_record(c, r, x->ns - 1, k, p);
            free(p);
        }
    }
    free(rpath);
    s->ok = ok;
    free(base);
}

static int rec_name_cmp(const void *a, const void *b)
{
    const slm_mlc_record *x = *(const slm_mlc_record *const *)a, *y = *(const slm_mlc_record *const *)b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->json_off > y->json_off) - (x->json_off < y->json_off);
}

static void check_names(ctx *c)
{
    slm_mlc *x = c->x;
    const slm_mlc_record **v = malloc((x->nr ? x->nr : 1) * sizeof *v);
    size_t n = 0;
    if (!v)
        return;
    for (size_t i = 0; i < x->nr; i++)
        if (x->r[i].name)
            v[n++] = &x->r[i];
    qsort(v, n, sizeof *v, rec_name_cmp);
    char buf[160];
    for (size_t i = 1; i < n; i++)
        if (strcmp(v[i]->name, v[i - 1]->name) == 0) {
            char *p = slm_jptr_idx("/records", v[i]->shard);
            slm_report(c->d, SLM_R_MLC_012, x->file, (int64_t)v[i]->json_off, p,
                       "tensor '%s' has another record at offset %llu; the loader keeps one of them",
                       slm_printable(buf, sizeof buf, v[i]->name, strlen(v[i]->name)),
                       (unsigned long long)v[i - 1]->json_off);
            free(p);
        }
    free(v);
}

static void check_totals(ctx *c, const cJSON *meta)
{
    slm_mlc *x = c->x;
    if (!cJSON_IsObject(meta))
        return;
    dup_keys(c, meta, "/metadata");
    const cJSON *ps = slm_json_get(meta, "ParamSize"), *pb = slm_json_get(meta, "ParamBytes");
    if (ps && slm_json_u64(c->j, ps, &x->param_size) == SLM_JNUM_OK) {
        x->has_param_size = true;
        if (x->param_size != x->nr)
            rep(c, SLM_R_MLC_013, ps, "/metadata/ParamSize", "metadata.ParamSize is %llu, the cache has %zu records",
                (unsigned long long)x->param_size, x->nr);
    } else if (ps) {
        rep(c, SLM_R_JS_004, ps, "/metadata/ParamSize", "ParamSize must be an integer, found %s", slm_json_type(ps));
    }
    double v;
    if (pb && slm_json_f64(c->j, pb, &v)) {
        x->has_param_bytes = true;
        x->param_bytes = v;
        uint64_t sum = 0;
        for (size_t i = 0; i < x->nr; i++)
            if (!slm_add_u64(sum, x->r[i].nbytes, &sum))
                sum = UINT64_MAX;
        if (!(v == (double)sum && sum < (1ull << 53)))
            rep(c, SLM_R_MLC_014, pb, "/metadata/ParamBytes", "metadata.ParamBytes is %.17g, the records hold %llu bytes",
                v, (unsigned long long)sum);
    } else if (pb) {
        rep(c, SLM_R_JS_004, pb, "/metadata/ParamBytes", "ParamBytes must be a number, found %s", slm_json_type(pb));
    }
}

void slm_mlc_parse(slm_mlc *x, const uint8_t *data, uint64_t size, const char *display, const char *dir,
                   slm_diag *d)
{
    slm_map keep = x->map;
    memset(x, 0, sizeof *x);
    x->map = keep;
    x->file = strdup(display ? display : "<memory>");
    x->dir = strdup(dir ? dir : ".");
    slm_json j;
    ctx c = {x, &j, d};
    if (slm_json_parse(&j, (const char *)data, (size_t)size, SLM_JSON_DEPTH_DEFAULT) != 0) {
        slm_report(d, SLM_R_JS_001, x->file, (int64_t)j.err_off, NULL, "%s", j.err);
        slm_json_free(&j);
        return;
    }
    const cJSON *recs = slm_json_get(j.root, "records");
    if (!cJSON_IsObject(j.root) || !cJSON_IsArray(recs)) {
        rep(&c, SLM_R_MLC_001, recs ? recs : j.root, recs ? "/records" : NULL,
            "expected an object with a records array, found %s%s", cJSON_IsObject(j.root) ? "records as " : "",
            cJSON_IsObject(j.root) ? (recs ? slm_json_type(recs) : "nothing") : slm_json_type(j.root));
        slm_json_free(&j);
        return;
    }
    dup_keys(&c, j.root, NULL);
    size_t ns = 0, nr = 0;
    for (const cJSON *s = recs->child; s; s = s->next) {
        ns++;
        const cJSON *r = slm_json_get(s, "records");
        if (cJSON_IsArray(r))
            nr += (size_t)cJSON_GetArraySize(r);
    }
    /* Counts come from the parsed tree, which is bounded by the text. */
    x->s = calloc(ns ? ns : 1, sizeof *x->s);
    x->r = calloc(nr ? nr : 1, sizeof *x->r);
    if (!x->s || !x->r) {
        slm_json_free(&j);
        return;
    }
    size_t i = 0;
    for (const cJSON *s = recs->child; s; s = s->next, i++)
        parse_shard(&c, s, i);
    check_names(&c);
    check_totals(&c, slm_json_get(j.root, "metadata"));
    x->ok = true;
    slm_json_free(&j);
}

/* ---- shards ---------------------------------------------------------------- */

static int off_cmp(const void *a, const void *b)
{
    const slm_mlc_record *x = *(const slm_mlc_record *const *)a, *y = *(const slm_mlc_record *const *)b;
    if (x->offset != y->offset)
        return x->offset < y->offset ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

/* Placement of shard S's records: inside the shard, no overlap, no gap. */
static void check_tiling(slm_mlc *x, size_t si, slm_diag *d)
{
    slm_mlc_shard *s = &x->s[si];
    const slm_mlc_record **v = malloc((x->nr ? x->nr : 1) * sizeof *v);
    size_t n = 0;
    if (!v)
        return;
    for (size_t i = 0; i < x->nr; i++)
        if (x->r[i].shard == si && x->r[i].ok)
            v[n++] = &x->r[i];
    qsort(v, n, sizeof *v, off_cmp);
    char buf[160], bp[160];
    uint64_t covered = 0; /* end of the bytes covered so far */
    const slm_mlc_record *prev = NULL;
    for (size_t k = 0; k < n; k++) {
        const slm_mlc_record *r = v[k];
        char *path = slm_jptr_idx("/records", si), *p2 = slm_jptr(path, "records"), *p3 = slm_jptr_idx(p2, r->index);
        uint64_t end = 0;
        const char *nm = slm_printable(buf, sizeof buf, r->name, strlen(r->name));
        bool inside = slm_add_u64(r->offset, r->nbytes, &end) && end <= s->nbytes;
        if (!inside)
            slm_report(d, SLM_R_MLC_009, x->file, (int64_t)r->json_off, p3,
                       "tensor '%s' spans bytes [%llu, %llu) of %s, which has %llu", nm,
                       (unsigned long long)r->offset, (unsigned long long)r->offset + r->nbytes, s->data_path,
                       (unsigned long long)s->nbytes);
        else if (prev && r->offset < covered)
            slm_report(d, SLM_R_MLC_010, x->file, (int64_t)r->json_off, p3,
                       "tensor '%s' at [%llu, %llu) overlaps '%s', which ends at %llu", nm,
                       (unsigned long long)r->offset, (unsigned long long)end,
                       slm_printable(bp, sizeof bp, prev->name, strlen(prev->name)), (unsigned long long)covered);
        else if (r->offset > covered)
            slm_report(d, SLM_R_MLC_011, x->file, (int64_t)r->json_off, p3,
                       "bytes [%llu, %llu) of %s belong to no record (before '%s')", (unsigned long long)covered,
                       (unsigned long long)r->offset, s->data_path, nm);
        if (inside && end > covered) {
            covered = end;
            prev = r;
        }
        free(path);
        free(p2);
        free(p3);
    }
    if (covered < s->nbytes && s->ok) {
        char *path = slm_jptr_idx("/records", si);
        slm_report(d, SLM_R_MLC_011, x->file, (int64_t)s->json_off, path,
                   "bytes [%llu, %llu) at the end of %s belong to no record", (unsigned long long)covered,
                   (unsigned long long)s->nbytes, s->data_path);
        free(path);
    }
    free(v);
}

static void stray_shards(slm_mlc *x, slm_diag *d)
{
    DIR *dd = opendir(x->dir);
    if (!dd)
        return;
    struct dirent *de;
    char **names = NULL;
    size_t nn = 0;
    while ((de = readdir(dd))) {
        size_t l = strlen(de->d_name);
        if (strncmp(de->d_name, "params_shard_", 13) != 0 || l < 4 || strcmp(de->d_name + l - 4, ".bin") != 0)
            continue;
        bool named = false;
        for (size_t i = 0; i < x->ns && !named; i++)
            named = x->s[i].data_path && strcmp(x->s[i].data_path, de->d_name) == 0;
        char **v = named ? NULL : realloc(names, (nn + 1) * sizeof *v);
        if (v) {
            names = v;
            names[nn++] = strdup(de->d_name);
        }
    }
    closedir(dd);
    for (size_t i = 0; i < nn; i++) {
        char *p = slm_strdupf("%s/%s", x->dir, names[i]);
        slm_report(d, SLM_R_MLC_017, p, -1, NULL, "'%s' looks like a shard but %s names no shard of that name",
                   names[i], base_of(x->file));
        free(p);
        free(names[i]);
    }
    free(names);
}

void slm_mlc_load_shards(slm_mlc *x, slm_diag *d)
{
    if (!x->ok)
        return;
    for (size_t i = 0; i < x->ns; i++) {
        slm_mlc_shard *s = &x->s[i];
        char *path = slm_jptr_idx("/records", i);
        if (s->path) {
            int e = slm_map_open(&s->map, s->path);
            if (!e && slm_pointer_check(&s->map, s->path, d)) {
                slm_map_close(&s->map); /* not the shard: its records are not read */
            } else if (e) {
                slm_report(d, SLM_R_MLC_003, x->file, (int64_t)s->json_off, path, "shard '%s' cannot be read: %s",
                           s->data_path, strerror(e));
            } else {
                s->present = true;
                s->size_ok = s->ok && s->map.size == s->nbytes;
                if (s->ok && !s->size_ok)
                    slm_report(d, SLM_R_MLC_005, s->path, (int64_t)s->map.size, NULL,
                               "shard '%s' has %llu bytes, the cache says nbytes %llu", s->data_path,
                               (unsigned long long)s->map.size, (unsigned long long)s->nbytes);
            }
        }
        free(path);
        if (s->ok)
            check_tiling(x, i, d);
    }
    stray_shards(x, d);
}

size_t slm_mlc_check_md5(slm_mlc *x, slm_diag *d)
{
    size_t n = 0;
    for (size_t i = 0; i < x->ns; i++) {
        slm_mlc_shard *s = &x->s[i];
        if (!s->present || !s->has_md5)
            continue;
        char got[33];
        slm_md5_hex(s->map.data, s->map.size, got);
        n++;
        if (strcmp(got, s->md5) != 0) {
            char *path = slm_jptr_idx("/records", i), *p2 = slm_jptr(path, "md5sum");
            slm_report(d, SLM_R_MLC_015, x->file, (int64_t)s->json_off, p2, "shard '%s' has md5 %s, md5sum says %s",
                       s->data_path, got, s->md5);
            free(path);
            free(p2);
        }
    }
    return n;
}

/* The records against the config's quantization: qNfM_* stores packed
 * uint32 q_weight with M-typed q_scale; q0fM stores plain M-typed weights. */
static void check_quant(slm_mlc *x, slm_diag *d)
{
    unsigned bits;
    slm_dtype mdt;
    if (!x->ok || !x->cfg.quantization || !slm_mlc_quant_info(x->cfg.quantization, &bits, &mdt))
        return;
    bool any_q = false;
    char buf[160];
    for (size_t i = 0; i < x->nr; i++) {
        const slm_mlc_record *r = &x->r[i];
        if (!r->ok)
            continue;
        size_t l = strlen(r->name);
        bool qw = l > 9 && strcmp(r->name + l - 9, ".q_weight") == 0;
        any_q |= qw;
        const char *why = NULL;
        if (qw && bits == 0)
            why = "is a packed quantized weight";
        else if (qw && r->dtype != SLM_DT_U32)
            why = "is a packed weight that is not uint32";
        else if (!qw && slm_dtype_info_of(r->dtype)->kind == SLM_KIND_FLOAT && r->dtype != mdt &&
                 bits != 8 && (bits != 0 || mdt != SLM_DT_F32 || r->dtype != SLM_DT_F32))
            why = "is not in the model dtype";
        if (why) {
            char *p = slm_jptr_idx("/records", r->shard);
            slm_report(d, SLM_R_MLC_024, x->file, (int64_t)r->json_off, p, "tensor '%s' (%s) %s of %s (%s)",
                       slm_printable(buf, sizeof buf, r->name, l), r->dtype_name, why, x->cfg.quantization,
                       slm_dtype_info_of(mdt)->mlc);
            free(p);
        }
    }
    if (bits > 0 && bits != 8 && !any_q && x->nr)
        slm_report(d, SLM_R_MLC_024, x->file, 0, "/records", "the config says %s but no record is a packed q_weight",
                   x->cfg.quantization);
}

int slm_mlc_open(slm_mlc *x, const char *path, slm_diag *d)
{
    memset(x, 0, sizeof *x);
    struct stat st;
    if (stat(path, &st) != 0)
        return errno ? errno : ENOENT;
    char *cache = S_ISDIR(st.st_mode) ? slm_mlc_find_cache(path) : strdup(path);
    if (!cache)
        return ENOENT;
    int e = slm_map_open(&x->map, cache);
    if (e) {
        free(cache);
        return e;
    }
    char *dir = dir_of(cache);
    if (slm_pointer_check(&x->map, cache, d)) { /* an empty cache, and nothing more to say */
        slm_diag none;
        slm_diag_init(&none);
        slm_mlc_parse(x, NULL, 0, cache, dir, &none);
        slm_diag_free(&none);
    } else
        slm_mlc_parse(x, x->map.data, x->map.size, cache, dir, d);
    slm_mlc_load_shards(x, d);
    char *cfg = slm_strdupf("%s/mlc-chat-config.json", dir);
    if (cfg && stat(cfg, &st) == 0) {
        int ce = slm_mlc_config_open(&x->cfg, cfg, d);
        if (ce)
            slm_report(d, SLM_R_IO_001, cfg, -1, NULL, "cannot read: %s", strerror(ce));
        else
            check_quant(x, d);
    } else if (x->ok) {
        slm_report(d, SLM_R_MLC_025, x->file, -1, NULL, "no mlc-chat-config.json in %s", dir);
    }
    free(cfg);
    free(dir);
    free(cache);
    return 0;
}

void slm_mlc_close(slm_mlc *x)
{
    for (size_t i = 0; i < x->ns; i++) {
        slm_map_close(&x->s[i].map);
        free(x->s[i].data_path);
        free(x->s[i].path);
    }
    for (size_t i = 0; i < x->nr; i++) {
        free(x->r[i].name);
        free(x->r[i].dtype_name);
        free(x->r[i].shape);
    }
    for (size_t i = 0; i < x->nowned; i++)
        free(x->owned[i]);
    free(x->owned);
    free(x->s);
    free(x->r);
    free(x->file);
    free(x->dir);
    slm_map_close(&x->map);
    slm_mlc_config_close(&x->cfg);
    memset(x, 0, sizeof *x);
}

const uint8_t *slm_mlc_record_data(const slm_mlc *x, const slm_mlc_record *r)
{
    const slm_mlc_shard *s = &x->s[r->shard];
    uint64_t end;
    if (!r->ok || !s->size_ok || !slm_add_u64(r->offset, r->nbytes, &end) || end > s->map.size)
        return NULL;
    return s->map.data ? s->map.data + r->offset : NULL;
}

const slm_mlc_record *slm_mlc_find(const slm_mlc *x, const char *name)
{
    for (size_t i = 0; i < x->nr; i++)
        if (x->r[i].name && strcmp(x->r[i].name, name) == 0)
            return &x->r[i];
    return NULL;
}

/* ---- mlc-chat-config.json ------------------------------------------------ */

static int64_t cfg_int(slm_mlc_config *c, const cJSON *obj, const char *key, const char *base, slm_diag *d)
{
    const cJSON *it = slm_json_get(obj, key);
    int64_t v = -1;
    if (!it || cJSON_IsNull(it))
        return -1;
    if (slm_json_i64(&c->j, it, &v) != SLM_JNUM_OK) {
        char *p = slm_jptr(base, key);
        slm_report(d, SLM_R_MLC_020, c->file, (int64_t)slm_json_off(&c->j, it, false), p,
                   "'%s' must be an integer, found %s", key, slm_json_type(it));
        free(p);
        return -1;
    }
    return v;
}

static const char *cfg_str(slm_mlc_config *c, const char *key, bool required, slm_diag *d)
{
    const cJSON *it = slm_json_get(c->root, key);
    if (cJSON_IsString(it))
        return it->valuestring;
    if (it || required) {
        char *p = slm_jptr("", key);
        slm_report(d, SLM_R_MLC_020, c->file, it ? (int64_t)slm_json_off(&c->j, it, false) : 0, p,
                   "'%s' must be a string, found %s", key, it ? slm_json_type(it) : "nothing");
        free(p);
    }
    return NULL;
}

static void cfg_sampling(slm_mlc_config *c, slm_diag *d)
{
    static const struct {
        const char *key;
        double lo, hi;
        bool lo_open;
    } R[] = {{"temperature", 0, INFINITY, false}, {"top_p", 0, 1, true}, {"repetition_penalty", 0, INFINITY, true},
             {"presence_penalty", -2, 2, false}, {"frequency_penalty", -2, 2, false}};
    for (size_t i = 0; i < sizeof R / sizeof R[0]; i++) {
        const cJSON *it = slm_json_get(c->root, R[i].key);
        double v;
        if (!it || cJSON_IsNull(it))
            continue;
        char *p = slm_jptr("", R[i].key);
        if (!slm_json_f64(&c->j, it, &v))
            slm_report(d, SLM_R_MLC_020, c->file, (int64_t)slm_json_off(&c->j, it, false), p,
                       "'%s' must be a number, found %s", R[i].key, slm_json_type(it));
        else if (v > R[i].hi || v < R[i].lo || (R[i].lo_open && v == R[i].lo))
            slm_report(d, SLM_R_MLC_022, c->file, (int64_t)slm_json_off(&c->j, it, false), p,
                       "%s is %g, expected %s%g, %g]", R[i].key, v, R[i].lo_open ? "(" : "[", R[i].lo, R[i].hi);
        free(p);
    }
}

void slm_mlc_config_parse(slm_mlc_config *c, const uint8_t *data, uint64_t size, const char *display,
                          slm_diag *d)
{
    slm_map keep = c->map;
    memset(c, 0, sizeof *c);
    c->map = keep;
    c->file = strdup(display ? display : "<memory>");
    c->context_window_size = c->prefill_chunk_size = c->sliding_window_size = -1;
    c->tensor_parallel_shards = c->vocab_size = -1;
    if (slm_json_parse(&c->j, (const char *)data, (size_t)size, SLM_JSON_DEPTH_DEFAULT) != 0) {
        slm_report(d, SLM_R_JS_001, c->file, (int64_t)c->j.err_off, NULL, "%s", c->j.err);
        return;
    }
    if (!cJSON_IsObject(c->j.root)) {
        slm_report(d, SLM_R_MLC_020, c->file, 0, NULL, "expected a JSON object, found %s", slm_json_type(c->j.root));
        return;
    }
    c->parsed = true;
    c->root = c->j.root;
    const cJSON *dk = slm_json_dup(c->root);
    if (dk)
        slm_report(d, SLM_R_JS_002, c->file, (int64_t)slm_json_off(&c->j, dk, true), NULL,
                   "key '%s' repeats; readers keep the last value", dk->string);
    c->model_type = cfg_str(c, "model_type", true, d);
    c->quantization = cfg_str(c, "quantization", true, d);
    c->context_window_size = cfg_int(c, c->root, "context_window_size", "", d);
    c->prefill_chunk_size = cfg_int(c, c->root, "prefill_chunk_size", "", d);
    c->sliding_window_size = cfg_int(c, c->root, "sliding_window_size", "", d);
    c->tensor_parallel_shards = cfg_int(c, c->root, "tensor_parallel_shards", "", d);
    c->vocab_size = cfg_int(c, c->root, "vocab_size", "", d);
    const cJSON *mc = slm_json_get(c->root, "model_config");
    if (cJSON_IsObject(mc))
        c->model_config = mc;
    else if (mc)
        slm_report(d, SLM_R_MLC_020, c->file, (int64_t)slm_json_off(&c->j, mc, false), "/model_config",
                   "'model_config' must be an object, found %s", slm_json_type(mc));
    const cJSON *ct = slm_json_get(c->root, "conv_template");
    if (cJSON_IsString(ct))
        c->conv_template = ct->valuestring;
    else if (cJSON_IsObject(ct) && cJSON_IsString(slm_json_get(ct, "name")))
        c->conv_template = slm_json_get(ct, "name")->valuestring;
    else
        slm_report(d, SLM_R_MLC_020, c->file, ct ? (int64_t)slm_json_off(&c->j, ct, false) : 0, "/conv_template",
                   "'conv_template' must be a template name or an object with a name, found %s",
                   ct ? slm_json_type(ct) : "nothing");
    const cJSON *tf = slm_json_get(c->root, "tokenizer_files");
    bool tf_ok = cJSON_IsArray(tf);
    for (const cJSON *t = tf_ok ? tf->child : NULL; t; t = t->next)
        tf_ok &= cJSON_IsString(t);
    if (tf_ok)
        c->tokenizer_files = tf;
    else
        slm_report(d, SLM_R_MLC_020, c->file, tf ? (int64_t)slm_json_off(&c->j, tf, false) : 0, "/tokenizer_files",
                   "'tokenizer_files' must be an array of file names, found %s", tf ? slm_json_type(tf) : "nothing");
    if (c->context_window_size < 0 && slm_mlc_config_int(c, "context_window_size") < 0 &&
        c->sliding_window_size < 0)
        slm_report(d, SLM_R_MLC_020, c->file, 0, "/context_window_size",
                   "neither context_window_size nor sliding_window_size is set");
    int64_t cw = c->context_window_size, pc = c->prefill_chunk_size;
    if (cw > 0 && pc > cw)
        slm_report(d, SLM_R_MLC_021, c->file, (int64_t)slm_json_off(&c->j, slm_json_get(c->root, "prefill_chunk_size"), false),
                   "/prefill_chunk_size", "prefill_chunk_size %lld exceeds context_window_size %lld", (long long)pc,
                   (long long)cw);
    unsigned bits;
    slm_dtype dt;
    if (c->quantization && !slm_mlc_quant_info(c->quantization, &bits, &dt)) {
        char buf[64];
        slm_report(d, SLM_R_MLC_023, c->file, (int64_t)slm_json_off(&c->j, slm_json_get(c->root, "quantization"), false),
                   "/quantization", "quantization '%s' is not one mlc_llm defines",
                   slm_printable(buf, sizeof buf, c->quantization, strlen(c->quantization)));
    }
    cfg_sampling(c, d);
}

int slm_mlc_config_open(slm_mlc_config *c, const char *path, slm_diag *d)
{
    memset(c, 0, sizeof *c);
    int e = slm_map_open(&c->map, path);
    if (e)
        return e;
    if (slm_pointer_check(&c->map, path, d)) { /* an empty config, and nothing more to say */
        slm_diag none;
        slm_diag_init(&none);
        slm_mlc_config_parse(c, NULL, 0, path, &none);
        slm_diag_free(&none);
    } else
        slm_mlc_config_parse(c, c->map.data, c->map.size, path, d);
    return 0;
}

void slm_mlc_config_close(slm_mlc_config *c)
{
    if (c->file)
        slm_json_free(&c->j);
    free(c->file);
    slm_map_close(&c->map);
    memset(c, 0, sizeof *c);
}

int64_t slm_mlc_config_int(const slm_mlc_config *c, const char *key)
{
    int64_t v;
    const cJSON *it = c->model_config ? slm_json_get(c->model_config, key) : NULL;
    if (!it && c->root)
        it = slm_json_get(c->root, key);
    if (it && slm_json_i64(&c->j, it, &v) == SLM_JNUM_OK)
        return v;
    return -1;
}

/* mlc_llm/quantization/quantization.py: the names it defines. */
static const struct {
    const char *name;
    unsigned bits;
    slm_dtype dtype;
} QUANTS[] = {
    {"q0f16", 0, SLM_DT_F16},      {"q0bf16", 0, SLM_DT_BF16},    {"q0f32", 0, SLM_DT_F32},
    {"q3f16_0", 3, SLM_DT_F16},    {"q3f16_1", 3, SLM_DT_F16},    {"q4f16_0", 4, SLM_DT_F16},
    {"q4f16_1", 4, SLM_DT_F16},    {"q4bf16_0", 4, SLM_DT_BF16},  {"q4bf16_1", 4, SLM_DT_BF16},
    {"q4f32_0", 4, SLM_DT_F32},    {"q4f32_1", 4, SLM_DT_F32},    {"q4f16_2", 4, SLM_DT_F16},
    {"q4f16_autoawq", 4, SLM_DT_F16}, {"q4f16_ft", 4, SLM_DT_F16}, {"e5m2_e5m2_f16", 8, SLM_DT_F16},
    {"e4m3_e4m3_f16", 8, SLM_DT_F16}, {"e4m3_e4m3_f16_max_calibrate", 8, SLM_DT_F16},
    {"fp8_e4m3fn_bf16_block_scale", 8, SLM_DT_BF16},
};

bool slm_mlc_quant_info(const char *q, unsigned *bits, slm_dtype *model_dtype)
{
    for (size_t i = 0; i < sizeof QUANTS / sizeof QUANTS[0]; i++)
        if (strcmp(QUANTS[i].name, q) == 0) {
            *bits = QUANTS[i].bits;
            *model_dtype = QUANTS[i].dtype;
            return true;
        }
    return false;
}

void slm_md5_hex(const uint8_t *p, uint64_t n, char out[33])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    static const char hex[] = "0123456789abcdef";
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    bool ok = c && EVP_DigestInit_ex(c, EVP_md5(), NULL);
    while (ok && n) { /* EVP_DigestUpdate takes size_t; feed in chunks */
        size_t k = n > (1u << 30) ? (1u << 30) : (size_t)n;
        ok = EVP_DigestUpdate(c, p, k);
        p += k;
        n -= k;
    }
    ok = ok && EVP_DigestFinal_ex(c, md, &len) && len == 16;
    EVP_MD_CTX_free(c);
    for (unsigned i = 0; i < 16; i++) {
        out[2 * i] = ok ? hex[md[i] >> 4] : '?';
        out[2 * i + 1] = ok ? hex[md[i] & 15] : '?';
    }
    out[32] = 0;
}

/* safetensors: header parse and validation (slm/safetensors.h).
 *
 * The reference (safetensors 0.8, tensor.rs) reads a header as
 *   1. buffer >= 8 bytes, else HeaderTooSmall                       ST-001
 *   2. N = u64le, N <= 100,000,000, else HeaderTooLarge             ST-002
 *   3. 8 + N <= buffer length, else InvalidHeaderLength             ST-003
 *   4. header bytes are UTF-8, else InvalidHeader                   ST-004
 *   5. serde_json into HashMetadata { __metadata__: Option<HashMap<String,
 *      String>>, #[flatten] tensors: HashMap<String, TensorInfo> }:
 *      JSON grammar, recursion limit, numbers in f64 range,
 *      lone surrogates                                               ST-005
 *      not an object                                                 ST-006
 *      __metadata__ neither null nor {str: str}, or repeated         ST-007
 *      TensorInfo {dtype, shape: Vec<usize>, data_offsets: (usize, usize)},
 *      which serde also reads from a 3-element array; unknown fields are
 *      ignored, repeated or missing ones are errors                  ST-008..ST-011
 *      a repeated tensor name keeps the last entry (HashMap insert)
 *   6. tensors sorted by data_offsets; for each in order:
 *      begin == previous end (0 first) and end >= begin, else InvalidOffset   ST-012
 *      product(shape) * bits does not overflow, else ValidationOverflow       ST-013
 *      bits % 8 == 0, else MisalignedSlice                                    ST-014
 *      end - begin == bits / 8, else TensorInvalidInfo                        ST-015
 *   7. 8 + N + last end == buffer length, else MetadataIncompleteBuffer       ST-016
 */
#include "slm/safetensors.h"
#include "slm/pointer.h"
#include "slm/json.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define N_LEN 8u

typedef struct ctx {
    slm_st *st;
    slm_diag *d;
    slm_json *j;
    bool ok; /* no error so far */
} ctx;

static void report(ctx *c, slm_rule_id r, uint64_t off, const char *path, const char *fmt, ...)
    SLM_PRINTF(5, 6);
static void report(ctx *c, slm_rule_id r, uint64_t off, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    slm_vreport(c->d, r, c->st->file, (int64_t)off, path, fmt, ap);
    va_end(ap);
    if (slm_rule_get(r)->severity == SLM_ERROR)
        c->ok = false;
}

/* File offset of ITEM (or its key) in the header. */
static uint64_t hoff(ctx *c, const cJSON *item, bool key)
{
    return N_LEN + slm_json_off(c->j, item, key);
}

static const char *kind_of_failure(enum slm_jnum r)
{
    switch (r) {
    case SLM_JNUM_NOTNUM: return "not a number";
    case SLM_JNUM_FRACTION: return "not an integer";
    case SLM_JNUM_NEGATIVE: return "negative";
    case SLM_JNUM_RANGE: return "above 2^64-1";
    default: return "ok";
    }
}

static void parse_metadata(ctx *c, const cJSON *m)
{
    slm_st *st = c->st;
    if (cJSON_IsNull(m))
        return;
    if (!cJSON_IsObject(m)) {
        report(c, SLM_R_ST_007, hoff(c, m, false), "/__metadata__",
               "__metadata__ must be an object of strings or null, found %s", slm_json_type(m));
        return;
    }
    size_t n = 0;
    for (const cJSON *e = m->child; e; e = e->next)
        n++;
    st->meta_key = calloc(n ? n : 1, sizeof(char *));
    st->meta_val = calloc(n ? n : 1, sizeof(char *));
    if (!st->meta_key || !st->meta_val)
        return;
    size_t nsup, k = 0;
    bool *sup = slm_json_superseded(m, &nsup);
    for (const cJSON *e = m->child; e; e = e->next, k++) {
        char *path = slm_jptr("/__metadata__", e->string);
        if (!cJSON_IsString(e)) {
            report(c, SLM_R_ST_007, hoff(c, e, false), path,
                   "__metadata__ value must be a string, found %s", slm_json_type(e));
        } else if (sup ? sup[k] : slm_json_get(m, e->string) != e) {
            report(c, SLM_R_ST_102, hoff(c, e, true), path,
                   "__metadata__ key '%s' repeats; the reference keeps the last value", e->string);
        } else {
            st->meta_key[st->nmeta] = strdup(e->string);
            st->meta_val[st->nmeta] = strdup(e->valuestring);
            st->nmeta++;
        }
        free(path);
    }
    free(sup);
}

static bool parse_u64_list(ctx *c, const cJSON *a, uint64_t **out, size_t *n, slm_rule_id rule,
                           const char *what, const char *path)
{
    if (!cJSON_IsArray(a)) {
        report(c, rule, hoff(c, a, false), path, "%s must be an array, found %s", what, slm_json_type(a));
        return false;
    }
    size_t k = 0;
    for (const cJSON *e = a->child; e; e = e->next)
        k++;
    uint64_t *v = malloc((k ? k : 1) * sizeof *v);
    if (!v)
        return false;
    size_t i = 0;
    for (const cJSON *e = a->child; e; e = e->next, i++) {
        enum slm_jnum r = slm_json_u64(c->j, e, &v[i]);
        if (r != SLM_JNUM_OK) {
            char *p = slm_jptr_idx(path, i);
            report(c, rule, hoff(c, e, false), p, "%s[%zu] must be an unsigned integer, found %s (%s)",
                   what, i, slm_json_type(e), kind_of_failure(r));
            free(p);
            free(v);
            return false;
        }
    }
    *out = v;
    *n = k;
    return true;
}

static bool parse_dtype(ctx *c, const cJSON *v, slm_st_tensor *t, const char *path, bool *odd)
{
    const cJSON *s = v;
    if (cJSON_IsObject(v) && v->child && !v->child->next && cJSON_IsNull(v->child)) {
        /* serde reads a unit enum variant from {"F32": null} too */
        *odd = true;
        t->dtype = slm_dtype_from_st(v->child->string, strlen(v->child->string));
        if (t->dtype == SLM_DT_INVALID) {
            report(c, SLM_R_ST_009, hoff(c, v->child, true), path, "unknown dtype '%s'", v->child->string);
            return false;
        }
        return true;
    }
    if (!cJSON_IsString(s)) {
        report(c, SLM_R_ST_008, hoff(c, v, false), path, "dtype must be a string, found %s", slm_json_type(v));
        return false;
    }
    t->dtype = slm_dtype_from_st(s->valuestring, strlen(s->valuestring));
    if (t->dtype == SLM_DT_INVALID) {
        char buf[80];
        report(c, SLM_R_ST_009, hoff(c, v, false), path, "unknown dtype '%s'",
               slm_printable(buf, sizeof buf, s->valuestring, strlen(s->valuestring)));
        return false;
    }
    return true;
}

/* One tensor entry: an object {dtype, shape, data_offsets} or, as serde also
 * accepts for structs, an array [dtype, shape, data_offsets]. */
static bool parse_entry(ctx *c, const cJSON *e, slm_st_tensor *t)
{
    char *base = slm_jptr("", e->string);
    const cJSON *fd = NULL, *fs = NULL, *fo = NULL;
    bool odd = false, good = true;
    if (cJSON_IsArray(e)) {
        size_t k = 0;
        for (const cJSON *x = e->child; x; x = x->next)
            k++;
        if (k != 3) {
            report(c, SLM_R_ST_008, hoff(c, e, false), base,
                   "tensor entry as an array needs 3 elements (dtype, shape, data_offsets), found %zu", k);
            good = false;
        } else {
            odd = true;
            fd = e->child;
            fs = fd->next;
            fo = fs->next;
        }
    } else if (cJSON_IsObject(e)) {
        bool unknown = false;
        for (const cJSON *x = e->child; x && good; x = x->next) {
            const cJSON **slot = strcmp(x->string, "dtype") == 0 ? &fd
                               : strcmp(x->string, "shape") == 0 ? &fs
                               : strcmp(x->string, "data_offsets") == 0 ? &fo : NULL;
            if (!slot) {
                unknown = true;
            } else if (*slot) {
                report(c, SLM_R_ST_008, hoff(c, x, true), base, "field '%s' repeats", x->string);
                good = false;
            } else {
                *slot = x;
            }
        }
        if (good && (!fd || !fs || !fo)) {
            report(c, SLM_R_ST_008, hoff(c, e, false), base, "missing field '%s'",
                   !fd ? "dtype" : !fs ? "shape" : "data_offsets");
            good = false;
        }
        if (good && unknown) {
            char buf[80];
            for (const cJSON *x = e->child; x; x = x->next)
                if (strcmp(x->string, "dtype") && strcmp(x->string, "shape") && strcmp(x->string, "data_offsets"))
                    report(c, SLM_R_ST_106, hoff(c, x, true), base, "unknown key '%s' in tensor entry",
                           slm_printable(buf, sizeof buf, x->string, strlen(x->string)));
        }
    } else {
        report(c, SLM_R_ST_008, hoff(c, e, false), base,
               "tensor entry must be an object with dtype, shape and data_offsets, found %s", slm_json_type(e));
        good = false;
    }
    if (good) {
        char *pd = slm_jptr(base, "dtype"), *ps = slm_jptr(base, "shape"), *po = slm_jptr(base, "data_offsets");
        uint64_t *off = NULL;
        size_t noff = 0;
        good = parse_dtype(c, fd, t, pd, &odd);
        good = parse_u64_list(c, fs, &t->shape, &t->ndim, SLM_R_ST_010, "shape", ps) && good;
        if (parse_u64_list(c, fo, &off, &noff, SLM_R_ST_011, "data_offsets", po)) {
            if (noff != 2) {
                report(c, SLM_R_ST_011, hoff(c, fo, false), po,
                       "data_offsets must have 2 elements [begin, end], found %zu", noff);
                good = false;
            } else {
                t->begin = off[0];
                t->end = off[1];
            }
            free(off);
        } else {
            good = false;
        }
        free(pd);
        free(ps);
        free(po);
    }
    if (good && odd)
        report(c, SLM_R_ST_107, hoff(c, e, true), base,
               "tensor entry is read by the reference but is not in the canonical {\"dtype\": \"...\", ...} form");
    free(base);
    return good;
}

static int by_offsets(const void *a, const void *b)
{
    const slm_st_tensor *x = a, *y = b;
    if (x->begin != y->begin)
        return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end)
        return x->end < y->end ? -1 : 1;
    return x->entry_off < y->entry_off ? -1 : x->entry_off > y->entry_off;
}

static int by_name(const void *a, const void *b)
{
    return strcmp((*(const slm_st_tensor *const *)a)->name, (*(const slm_st_tensor *const *)b)->name);
}

static void build_name_index(slm_st *st)
{
    st->by_name = malloc((st->n ? st->n : 1) * sizeof *st->by_name);
    if (!st->by_name)
        return;
    for (size_t i = 0; i < st->n; i++)
        st->by_name[i] = &st->t[i];
    qsort(st->by_name, st->n, sizeof *st->by_name, by_name);
}

static bool has_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return true;
    return false;
}

static void parse_header(ctx *c, const cJSON *root)
{
    slm_st *st = c->st;
    size_t n = 0;
    for (const cJSON *e = root->child; e; e = e->next)
        n++;
    st->t = calloc(n ? n : 1, sizeof *st->t);
    if (!st->t) {
        report(c, SLM_R_ST_005, N_LEN, NULL, "out of memory reading %zu header entries", n);
        return;
    }
    bool seen_meta = false;
    size_t nsup, k = 0;
    bool *sup = slm_json_superseded(root, &nsup);
    for (const cJSON *e = root->child; e; e = e->next, k++) {
        if (strcmp(e->string, "__metadata__") == 0) {
            if (seen_meta)
                report(c, SLM_R_ST_007, hoff(c, e, true), "/__metadata__",
                       "__metadata__ appears twice (the reference rejects a repeated field)");
            else
                parse_metadata(c, e);
            seen_meta = true;
            continue;
        }
        slm_st_tensor t = {0};
        t.entry_off = hoff(c, e, true);
        if (!parse_entry(c, e, &t)) {
            free(t.shape);
            continue;
        }
        if (sup ? sup[k] : slm_json_get(root, e->string) != e) {
            char *p = slm_jptr("", e->string);
            char buf[120];
            report(c, SLM_R_ST_101, t.entry_off, p,
                   "tensor '%s' is named again later; the reference keeps only the last entry",
                   slm_printable(buf, sizeof buf, e->string, strlen(e->string)));
            free(p);
            free(t.shape);
            continue;
        }
        if (!*e->string || has_control(e->string) || (slm_json_span_of(c->j, e)->flags & SLM_JSPAN_NUL)) {
            char *p = slm_jptr("", e->string);
            char buf[120];
            report(c, SLM_R_ST_108, t.entry_off, p, "tensor name '%s' is empty or has control characters",
                   slm_printable(buf, sizeof buf, e->string, strlen(e->string)));
            free(p);
        }
        t.name = strdup(e->string);
        st->t[st->n++] = t;
    }
    free(sup);
    qsort(st->t, st->n, sizeof *st->t, by_offsets);
    build_name_index(st);
}

/* Step 6 and 7: offsets tile the data buffer, sizes agree. */
static void validate(ctx *c)
{
    slm_st *st = c->st;
    char buf[120];
    uint64_t start = 0;
    for (size_t i = 0; i < st->n; i++) {
        slm_st_tensor *t = &st->t[i];
        const char *nm = slm_printable(buf, sizeof buf, t->name, strlen(t->name));
        char *path = slm_jptr("", t->name);
        if (t->begin != start || t->end < t->begin) {
            if (t->end < t->begin)
                report(c, SLM_R_ST_012, t->entry_off, path,
                       "tensor '%s' has data_offsets [%llu, %llu]: end before begin", nm,
                       (unsigned long long)t->begin, (unsigned long long)t->end);
            else
                report(c, SLM_R_ST_012, t->entry_off, path,
                       "tensor '%s' begins at %llu, expected %llu (%s the previous tensor's end)", nm,
                       (unsigned long long)t->begin, (unsigned long long)start,
                       t->begin > start ? "a gap after" : "overlapping");
        }
        start = t->end;
        uint64_t nelem = 1, bits;
        bool over = false;
        for (size_t k = 0; k < t->ndim && !over; k++)
            over = !slm_mul_u64(nelem, t->shape[k], &nelem);
        unsigned w = slm_dtype_info_of(t->dtype)->bits;
        if (over || !slm_mul_u64(nelem, w, &bits)) {
            report(c, SLM_R_ST_013, t->entry_off, path,
                   "tensor '%s': element count x %u bits overflows 64 bits", nm, w);
        } else if (bits % 8) {
            report(c, SLM_R_ST_014, t->entry_off, path,
                   "tensor '%s': %llu elements of %s fill %llu bits, not whole bytes", nm,
                   (unsigned long long)nelem, slm_dtype_name(t->dtype), (unsigned long long)bits);
        } else {
            t->nelem = nelem;
            t->nbytes = bits / 8;
            if (t->end >= t->begin && t->end - t->begin != t->nbytes)
                report(c, SLM_R_ST_015, t->entry_off, path,
                       "tensor '%s': data_offsets span %llu bytes, expected %llu (%llu x %s)", nm,
                       (unsigned long long)(t->end - t->begin), (unsigned long long)t->nbytes,
                       (unsigned long long)nelem, slm_dtype_name(t->dtype));
        }
        free(path);
    }
    if (!c->ok) /* the reference stops at the first of the errors above */
        return;
    uint64_t data_len = st->n ? st->t[st->n - 1].end : 0, want;
    /* The reference compares buffer_end + 8 + N with the file length. */
    if (!slm_add_u64(data_len, st->data_start, &want) || want != st->size) {
        uint64_t have = st->size - st->data_start;
        report(c, SLM_R_ST_016, want > st->size || want < data_len ? st->size : want, NULL,
               "data buffer is %llu bytes, tensors end at %llu (%s)", (unsigned long long)have,
               (unsigned long long)data_len,
               have > data_len ? "bytes after the last tensor" : "file truncated");
    }
}

/* Stricter checks: whitespace and, on a valid file, alignment. */
static void strict_checks(ctx *c)
{
    slm_st *st = c->st;
    const char *h = (const char *)st->data + N_LEN;
    size_t tail_start = st->header_len - c->j->trail_ws;
    bool odd_ws = c->j->lead_ws > 0;
    for (size_t i = tail_start; i < st->header_len && !odd_ws; i++)
        odd_ws = h[i] != ' ';
    if (odd_ws)
        report(c, SLM_R_ST_103, N_LEN + (c->j->lead_ws ? 0 : tail_start), NULL,
               "header has %zu whitespace byte(s) before the JSON object and %zu after it, not all spaces; "
               "writers pad with spaces only after it", c->j->lead_ws, c->j->trail_ws);
    if (st->header_len % 8)
        report(c, SLM_R_ST_104, 0, NULL, "header length %llu is not a multiple of 8 (data start at byte %llu)",
               (unsigned long long)st->header_len, (unsigned long long)st->data_start);
    for (size_t i = 0; i < st->n && c->ok; i++) {
        const slm_st_tensor *t = &st->t[i];
        unsigned w = slm_dtype_info_of(t->dtype)->bits;
        if (w < 16 || t->nbytes == 0)
            continue;
        uint64_t abs = st->data_start + t->begin;
        if (abs % (w / 8)) {
            char buf[120], *p = slm_jptr("", t->name);
            report(c, SLM_R_ST_105, abs, p, "tensor '%s' (%s) starts at file offset %llu, not a multiple of %u",
                   slm_printable(buf, sizeof buf, t->name, strlen(t->name)), slm_dtype_name(t->dtype),
                   (unsigned long long)abs, w / 8);
            free(p);
        }
    }
}

void slm_st_parse(slm_st *st, const uint8_t *data, uint64_t size, const char *display, slm_diag *d)
{
    slm_map keep = st->map;
    memset(st, 0, sizeof *st);
    st->map = keep;
    st->data = data;
    st->size = size;
    st->file = strdup(display ? display : "<memory>");
    slm_json j = {0};
    ctx c = {st, d, &j, true};
    slm_cur cur = slm_cur_make(data, (size_t)size);
    if (!slm_cur_u64le(&cur, &st->header_len)) {
        report(&c, SLM_R_ST_001, 0, NULL, "file is %llu bytes, expected at least 8 for the header length",
               (unsigned long long)size);
        return;
    }
    if (st->header_len > SLM_ST_MAX_HEADER) {
        report(&c, SLM_R_ST_002, 0, NULL, "header length is %llu bytes, the limit is %u",
               (unsigned long long)st->header_len, SLM_ST_MAX_HEADER);
        return;
    }
    st->data_start = N_LEN + st->header_len;
    if (st->data_start > size) {
        report(&c, SLM_R_ST_003, 0, NULL, "header length is %llu bytes but only %llu follow the length prefix",
               (unsigned long long)st->header_len, (unsigned long long)(size - N_LEN));
        return;
    }
    const uint8_t *h = data + N_LEN;
    size_t bad = slm_utf8_check(h, (size_t)st->header_len);
    if (bad != st->header_len) {
        report(&c, SLM_R_ST_004, N_LEN + bad, NULL, "invalid UTF-8 byte 0x%02x in the header", h[bad]);
        return;
    }
    int r = slm_json_parse(&j, (const char *)h, (size_t)st->header_len, SLM_JSON_DEPTH_SERDE);
    if (r != 0) {
        report(&c, SLM_R_ST_005, N_LEN + j.err_off, NULL, "%s", j.err);
        slm_json_free(&j);
        return;
    }
    /* serde_json also rejects numbers beyond f64 and lone surrogates when it
     * reads values into strings and numbers, as the flattened map does. */
    for (size_t k = 0; k < j.nspans; k++)
        if (j.spans[k].flags & (SLM_JSPAN_HUGE | SLM_JSPAN_SURROGATE)) {
            report(&c, SLM_R_ST_005, N_LEN + j.spans[k].off, NULL, "%s",
                   j.spans[k].flags & SLM_JSPAN_HUGE ? "number out of range"
                                                     : "lone UTF-16 surrogate in a \\u escape");
            slm_json_free(&j);
            return;
        }
    if (!cJSON_IsObject(j.root)) {
        report(&c, SLM_R_ST_006, N_LEN + j.lead_ws, NULL, "header is a JSON %s, expected an object",
               slm_json_type(j.root));
        slm_json_free(&j);
        return;
    }
    parse_header(&c, j.root);
    st->header_ok = c.ok;
    if (c.ok) {
        validate(&c);
        strict_checks(&c);
    }
    st->valid = c.ok;
    slm_json_free(&j);
}

int slm_st_open(slm_st *st, const char *path, const char *display, slm_diag *d)
{
    memset(st, 0, sizeof *st);
    int e = slm_map_open(&st->map, path);
    if (e)
        return e;
    if (slm_pointer_check(&st->map, display ? display : path, d)) {
        st->file = strdup(display ? display : path);
        return 0; /* not valid: nothing more to say about a pointer */
    }
    slm_st_parse(st, st->map.data, st->map.size, display ? display : path, d);
    return 0;
}

void slm_st_close(slm_st *st)
{
    for (size_t i = 0; i < st->n; i++) {
        free(st->t[i].name);
        free(st->t[i].shape);
    }
    for (size_t i = 0; i < st->nmeta; i++) {
        free(st->meta_key[i]);
        free(st->meta_val[i]);
    }
    free(st->t);
    free((void *)st->by_name);
    free(st->meta_key);
    free(st->meta_val);
    free(st->file);
    slm_map_close(&st->map);
    memset(st, 0, sizeof *st);
}

const uint8_t *slm_st_tensor_data(const slm_st *st, const slm_st_tensor *t)
{
    if (!st->valid || t->nbytes == 0)
        return NULL;
    return st->data + st->data_start + t->begin;
}

const slm_st_tensor *slm_st_find(const slm_st *st, const char *name)
{
    size_t lo = 0, hi = st->by_name ? st->n : 0;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const slm_st_tensor *t = st->by_name[mid];
        int c = strcmp(t->name, name);
        if (c == 0)
            return t;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* GGUF parser (slm/gguf.h; the grammar is at the top of the header).
 *
 * It follows ggml's gguf_init_from_reader (d99724f2, src/gguf.cpp) check by
 * check, in its order, so that a file is valid exactly when ggml loads it
 * with its data; each check's line in gguf.cpp is cited where it is made.
 * Where ggml's own arithmetic wraps, slminspect computes the true size and
 * reports GGUF-105.  Structural failures (a read past the end, a corrupt
 * length) stop the parse as they stop ggml; the others are reported and
 * parsing goes on. */
#include "slm/gguf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define SIZEOF_GGUF_TENSOR_INFO 344u /* sizeof(gguf_tensor_info) on 64-bit: ggml_tensor (336) + offset */
#define SIZEOF_GGUF_KV 88u           /* sizeof(gguf_kv): string + type + two vectors */

static const char *VTYPE_NAMES[SLM_GGUF_VTYPE_COUNT] = {
    "u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool", "str", "arr", "u64", "i64", "f64",
};
static const uint8_t VTYPE_SIZE[SLM_GGUF_VTYPE_COUNT] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};

const char *slm_gguf_vtype_name(uint32_t t)
{
    return t < SLM_GGUF_VTYPE_COUNT ? VTYPE_NAMES[t] : "?";
}

/* A set of byte strings (keys, tensor names) for the duplicate checks:
 * open addressing over indices, so that a file of many keys or tensors costs
 * linear time, not quadratic. */
typedef struct strset {
    size_t *slot; /* index + 1 into the owner's array; 0 empty */
    size_t cap;   /* a power of two, or 0 */
    size_t n;
} strset;

static uint64_t hash_bytes(const void *p, size_t n)
{
    const uint8_t *b = p;
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}

typedef struct parser {
    slm_gguf *g;
    slm_cur c;
    slm_diag *d;
    bool fatal; /* a structural failure: the parse stopped */
    bool wrapped; /* GGUF-105 was reported */
    strset keys, names;
} parser;

/* The bytes of entry I of a set: a key, or a tensor name (up to its NUL). */
typedef void (*strset_get)(const parser *p, size_t i, const void **b, size_t *n);

static void get_key(const parser *p, size_t i, const void **b, size_t *n)
{
    *b = p->g->kv[i].key.p;
    *n = (size_t)p->g->kv[i].key.n;
}

static void get_name(const parser *p, size_t i, const void **b, size_t *n)
{
    *b = p->g->t[i].name;
    *n = p->g->t[i].name_len;
}

/* Adds entry INDEX, whose bytes are (B, N), to S, unless an equal entry is
 * there: returns that entry's index, else SIZE_MAX (also when out of memory:
 * the check is then skipped). */
static size_t strset_put(const parser *ps, strset *s, strset_get get, const void *b, size_t n, size_t index)
{
    if (s->n * 2 >= s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        size_t *v = calloc(cap, sizeof *v);
        if (!v)
            return SIZE_MAX;
        for (size_t i = 0; i < s->cap; i++)
            if (s->slot[i]) {
                const void *kb;
                size_t kn, h;
                get(ps, s->slot[i] - 1, &kb, &kn);
                for (h = hash_bytes(kb, kn) & (cap - 1); v[h]; h = (h + 1) & (cap - 1))
                    ;
                v[h] = s->slot[i];
            }
        free(s->slot);
        s->slot = v;
        s->cap = cap;
    }
    size_t h = hash_bytes(b, n) & (s->cap - 1);
    for (; s->slot[h]; h = (h + 1) & (s->cap - 1)) {
        const void *kb;
        size_t kn;
        get(ps, s->slot[h] - 1, &kb, &kn);
        if (kn == n && memcmp(kb, b, n) == 0)
            return s->slot[h] - 1;
    }
    s->slot[h] = index + 1;
    s->n++;
    return SIZE_MAX;
}

static void rep(parser *p, slm_rule_id r, uint64_t off, const char *path, const char *fmt, ...) SLM_PRINTF(5, 6);
static void rep(parser *p, slm_rule_id r, uint64_t off, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    slm_vreport(p->d, r, p->g->file, (int64_t)off, path, fmt, ap);
    va_end(ap);
    if (slm_rule_get(r)->severity == SLM_ERROR && r != SLM_R_GGUF_105) /* ggml loads what GGUF-105 finds */
        p->g->valid = false;
}

static bool truncated(parser *p, const char *what)
{
    rep(p, SLM_R_GGUF_001, p->c.pos, NULL, "the file ends at byte %zu, inside %s (%zu bytes left)", p->c.len, what,
        slm_cur_left(&p->c));
    p->fatal = true;
    return false;
}

static bool rd_u32(parser *p, uint32_t *v, const char *what)
{
    return slm_cur_u32le(&p->c, v) || truncated(p, what);
}

static bool rd_u64(parser *p, uint64_t *v, const char *what)
{
    return slm_cur_u64le(&p->c, v) || truncated(p, what);
}

/* A string: u64 length, then bytes (gguf.cpp:339-355). */
static bool rd_str(parser *p, slm_gguf_str *s, const char *what)
{
    uint64_t at = p->c.pos, n;
    if (!rd_u64(p, &n, what))
        return false;
    if (n > SLM_GGUF_MAX_STRING) { /* gguf.cpp:345 */
        rep(p, SLM_R_GGUF_010, at, NULL, "%s has length %llu, above ggml's 2^30", what, (unsigned long long)n);
        p->fatal = true;
        return false;
    }
    if (n > slm_cur_left(&p->c)) { /* gguf.cpp:349 */
        rep(p, SLM_R_GGUF_009, at, NULL, "%s has length %llu, but %zu bytes are left in the file", what,
            (unsigned long long)n, slm_cur_left(&p->c));
        p->fatal = true;
        return false;
    }
    const uint8_t *v;
    slm_cur_take(&p->c, n, &v);
    s->p = (const char *)v;
    s->n = n;
    return true;
}

bool slm_gguf_str_eq(slm_gguf_str s, const char *z)
{
    size_t n = strlen(z);
    return s.n == n && memcmp(s.p, z, n) == 0;
}

static const char *show(char *buf, size_t n, slm_gguf_str s)
{
    return slm_printable(buf, n, s.p, (size_t)(s.n > 4096 ? 4096 : s.n));
}

/* ---- header -------------------------------------------------------------- */

static bool parse_header(parser *p)
{
    slm_gguf *g = p->g;
    const uint8_t *magic;
    if (!slm_cur_take(&p->c, 4, &magic)) /* gguf.cpp:459 */
        return truncated(p, "the magic");
    if (memcmp(magic, "GGUF", 4) != 0) { /* gguf.cpp:467 */
        char b[40];
        rep(p, SLM_R_GGUF_002, 0, NULL, "magic '%s', expected 'GGUF'", slm_printable(b, sizeof b, (const char *)magic, 4));
        p->fatal = true;
        return false;
    }
    if (!rd_u32(p, &g->version, "the version"))
        return false;
    uint32_t v = g->version;
    if (v == 0) /* gguf.cpp:485 */
        rep(p, SLM_R_GGUF_003, 4, NULL, "version 0");
    else if ((v & 0xFFFF) == 0) /* gguf.cpp:497 */
        rep(p, SLM_R_GGUF_004, 4, NULL, "version field 0x%08x reads as version %u byte-swapped: a big-endian file", v,
            (unsigned)__builtin_bswap32(v));
    else if (v == 1) /* gguf.cpp:502 */
        rep(p, SLM_R_GGUF_005, 4, NULL, "version 1, expected 2 or 3");
    else if (v > 3) /* gguf.cpp:506 */
        rep(p, SLM_R_GGUF_006, 4, NULL, "version %u, expected 2 or 3", v);
    if (!g->valid) {
        p->fatal = true;
        return false;
    }
    uint64_t nt, nkv;
    if (!rd_u64(p, &nt, "the tensor count"))
        return false;
    g->n_tensors = (int64_t)nt;
    if (g->n_tensors < 0 || nt > SIZE_MAX / SIZEOF_GGUF_TENSOR_INFO) { /* gguf.cpp:517 */
        rep(p, SLM_R_GGUF_007, 8, NULL, "n_tensors is %lld, must be in [0, %zu]", (long long)g->n_tensors,
            (size_t)(SIZE_MAX / SIZEOF_GGUF_TENSOR_INFO));
        p->fatal = true;
        return false;
    }
    if (!rd_u64(p, &nkv, "the key-value count"))
        return false;
    g->n_kv = (int64_t)nkv;
    if (g->n_kv < 0 || nkv > SIZE_MAX / SIZEOF_GGUF_KV) { /* gguf.cpp:528 */
        rep(p, SLM_R_GGUF_008, 16, NULL, "n_kv is %lld, must be in [0, %zu]", (long long)g->n_kv,
            (size_t)(SIZE_MAX / SIZEOF_GGUF_KV));
        p->fatal = true;
        return false;
    }
    g->header_ok = true;
    return true;
}

/* ---- key-value pairs ------------------------------------------------------ */

/* Skips N values of type T (gguf.cpp:276-318 for arrays). */
static bool skip_values(parser *p, uint32_t t, uint64_t n, bool is_array, const char *key)
{
    if (is_array) {
        uint64_t at = p->c.pos - 8;
        if (n > SLM_GGUF_MAX_ARRAY) { /* gguf.cpp:277 */
            rep(p, SLM_R_GGUF_011, at, NULL, "array '%s' has %llu elements, above ggml's 2^30", key, (unsigned long long)n);
            p->fatal = true;
            return false;
        }
        uint64_t need = n * (t == SLM_GGUF_STRING ? 8 : VTYPE_SIZE[t]); /* n <= 2^30: no overflow */
        if (need > slm_cur_left(&p->c)) { /* gguf.cpp:285, 292 */
            rep(p, SLM_R_GGUF_012, at, NULL, "array '%s' of %llu %s needs at least %llu bytes, %zu are left", key,
                (unsigned long long)n, slm_gguf_vtype_name(t), (unsigned long long)need, slm_cur_left(&p->c));
            p->fatal = true;
            return false;
        }
    }
    if (t != SLM_GGUF_STRING)
        return slm_cur_skip(&p->c, n * VTYPE_SIZE[t]) || truncated(p, "a value");
    for (uint64_t i = 0; i < n; i++) {
        slm_gguf_str s;
        if (!rd_str(p, &s, "a string value"))
            return false;
        if (slm_utf8_check((const uint8_t *)s.p, (size_t)s.n) != s.n) {
            char b[80];
            rep(p, SLM_R_GGUF_102, (uint64_t)((const uint8_t *)s.p - p->c.p), NULL,
                "value %llu of '%s' is not UTF-8: '%s'", (unsigned long long)i, key, show(b, sizeof b, s));
        }
    }
    return true;
}

static bool key_clean(slm_gguf_str k)
{
    if (slm_utf8_check((const uint8_t *)k.p, (size_t)k.n) != k.n)
        return false;
    for (uint64_t i = 0; i < k.n; i++)
        if ((unsigned char)k.p[i] < 0x20 || k.p[i] == 0x7f)
            return false;
    return true;
}

static bool parse_kv(parser *p, int64_t i, size_t *cap)
{
    slm_gguf *g = p->g;
    slm_gguf_kv kv = {0};
    kv.offset = p->c.pos;
    kv.n = 1;
    if (!rd_str(p, &kv.key, "a key"))
        return false;
    char kb[120];
    const char *ks = show(kb, sizeof kb, kv.key);
    if (kv.key.n == 0) /* gguf.cpp:560 */
        rep(p, SLM_R_GGUF_013, kv.offset, NULL, "key %lld is empty", (long long)i);
    else if (!key_clean(kv.key))
        rep(p, SLM_R_GGUF_101, kv.offset, NULL, "key %lld is '%s'", (long long)i, ks);
    if (!rd_u32(p, &kv.type, "a value type"))
        return false;
    if (kv.type == SLM_GGUF_ARRAY) { /* gguf.cpp:575 */
        kv.is_array = true;
        if (!rd_u32(p, &kv.type, "an array's element type") || !rd_u64(p, &kv.n, "an array's length"))
            return false;
    }
    if (kv.type >= SLM_GGUF_VTYPE_COUNT || kv.type == SLM_GGUF_ARRAY) { /* gguf.cpp:597 */
        rep(p, SLM_R_GGUF_015, kv.offset, NULL, "key '%s' has value type %d%s", ks, (int)kv.type,
            kv.type == SLM_GGUF_ARRAY ? " (an array of arrays)" : ", expected 0..12");
        p->fatal = true;
        return false;
    }
    kv.value = p->c.p + p->c.pos;
    size_t start = p->c.pos;
    if (!skip_values(p, kv.type, kv.n, kv.is_array, ks))
        return false;
    kv.value_len = p->c.pos - start;
    if (g->nkv == *cap) {
        size_t c = *cap ? *cap * 2 : 32;
        slm_gguf_kv *v = realloc(g->kv, c * sizeof *v);
        if (!v) {
            p->fatal = true;
            return false;
        }
        g->kv = v;
        *cap = c;
    }
    g->kv[g->nkv++] = kv;
    size_t j = kv.key.n ? strset_put(p, &p->keys, get_key, kv.key.p, (size_t)kv.key.n, g->nkv - 1) : SIZE_MAX;
    if (j != SIZE_MAX) /* gguf.cpp:564 */
        rep(p, SLM_R_GGUF_014, kv.offset, NULL, "key '%s' appears as pair %zu and %lld", ks, j, (long long)i);
    return true;
}

static bool parse_kvs(parser *p)
{
    size_t cap = 0;
    for (int64_t i = 0; i < p->g->n_kv; i++)
        if (!parse_kv(p, i, &cap))
            return false;
    if (!p->g->valid) { /* gguf.cpp:606: ggml stops after the pairs */
        p->fatal = true;
        return false;
    }
    const slm_gguf_kv *a = slm_gguf_find(p->g, "general.alignment");
    p->g->alignment = SLM_GGUF_DEFAULT_ALIGNMENT;
    if (a && (a->is_array || a->type != SLM_GGUF_U32)) { /* gguf.cpp:613 */
        rep(p, SLM_R_GGUF_016, a->offset, "/general.alignment", "general.alignment is %s%s, expected u32",
            a->is_array ? "an array of " : "", slm_gguf_vtype_name(a->type));
        p->fatal = true;
        return false;
    }
    if (a) {
        uint32_t v;
        memcpy(&v, a->value, 4);
        p->g->alignment = v; /* little-endian host: slminspect builds only there */
        if (v == 0 || (v & (v - 1))) { /* gguf.cpp:623 */
            rep(p, SLM_R_GGUF_017, a->offset, "/general.alignment", "general.alignment is %u, not a power of two", v);
            p->fatal = true;
            return false;
        }
    }
    return true;
}

/* ---- tensor infos ------------------------------------------------------- */

/* ggml's int64 products, wrapping as its arithmetic does (two's complement). */
static int64_t wmul(int64_t a, int64_t b)
{
    return (int64_t)((uint64_t)a * (uint64_t)b);
}

/* ggml_nbytes (ggml.c:1297) in its own wrapping size_t arithmetic, with the
 * strides gguf.cpp:742-746 gives a tensor. */
static uint64_t ggml_nbytes_as_ggml(const int64_t *ne, const slm_ggml_type *ty)
{
    for (int i = 0; i < SLM_GGUF_MAX_DIMS; i++)
        if (ne[i] <= 0)
            return 0;
    uint64_t nb[SLM_GGUF_MAX_DIMS];
    nb[0] = ty->bytes;
    nb[1] = nb[0] * (uint64_t)(ne[0] / (int64_t)ty->block);
    for (int j = 2; j < SLM_GGUF_MAX_DIMS; j++)
        nb[j] = nb[j - 1] * (uint64_t)ne[j - 1];
    uint64_t n = ty->block == 1 ? ty->bytes : (uint64_t)ne[0] * nb[0] / ty->block;
    for (int i = ty->block == 1 ? 0 : 1; i < SLM_GGUF_MAX_DIMS; i++)
        n += (uint64_t)(ne[i] - 1) * nb[i];
    return n;
}

/* The tensor's sizes by ggml's rules (gguf.cpp:691-748): reports what ggml
 * rejects; GGUF-105 where ggml's arithmetic wraps but it goes on. */
static void check_shape_type(parser *p, slm_gguf_tensor *t, const char *nm)
{
    const int64_t *ne = t->ne;
    int64_t nel = wmul(wmul(wmul(ne[0], ne[1]), ne[2]), ne[3]); /* ggml_nelements */
    if (nel > 0 && ((INT64_MAX / ne[1] <= ne[0]) || (INT64_MAX / ne[2] <= ne[0] * ne[1]) ||
                    (INT64_MAX / ne[3] <= ne[0] * ne[1] * ne[2]))) { /* gguf.cpp:694 */
        rep(p, SLM_R_GGUF_022, t->info_offset, NULL, "tensor '%s' of shape (%lld, %lld, %lld, %lld) has 2^63-1 or more elements",
            nm, (long long)ne[0], (long long)ne[1], (long long)ne[2], (long long)ne[3]);
        return;
    }
    uint64_t true_n = 1;
    bool overflow = false;
    for (int j = 0; j < SLM_GGUF_MAX_DIMS; j++)
        overflow |= !slm_mul_u64(true_n, (uint64_t)ne[j], &true_n);
    overflow |= true_n > INT64_MAX;
    const slm_ggml_type *ty = slm_ggml_type_get(t->type);
    if (!ty) { /* gguf.cpp:714 */
        rep(p, SLM_R_GGUF_023, t->info_offset, NULL, "tensor '%s' has ggml type %d, expected 0..%d", nm, (int)t->type,
            SLM_GGML_TYPE_COUNT - 1);
        return;
    }
    if (ty->removed) { /* gguf.cpp:723: ggml gives removed ids block size 0 */
        rep(p, SLM_R_GGUF_024, t->info_offset, NULL, "tensor '%s' has type %u (%s), removed from ggml", nm, t->type, ty->name);
        return;
    }
    if (ne[0] % ty->block) { /* gguf.cpp:723 */
        rep(p, SLM_R_GGUF_025, t->info_offset, NULL, "tensor '%s' of type %s has %lld elements a row, not a multiple of %u",
            nm, ty->name, (long long)ne[0], ty->block);
        return;
    }
    if ((uint64_t)(nel / (int64_t)ty->block) > SIZE_MAX / ty->bytes) { /* gguf.cpp:732 */
        rep(p, SLM_R_GGUF_026, t->info_offset, NULL, "tensor '%s' of shape (%lld, %lld, %lld, %lld) has a byte size above 2^64",
            nm, (long long)ne[0], (long long)ne[1], (long long)ne[2], (long long)ne[3]);
        return;
    }
    uint64_t nb = 0;
    t->ggml_nbytes = ggml_nbytes_as_ggml(ne, ty);
    if (overflow || !slm_ggml_nbytes(t->type, true_n, &nb) || nb != t->ggml_nbytes) {
        rep(p, SLM_R_GGUF_105, t->info_offset, NULL,
            "tensor '%s' of shape (%lld, %lld, %lld, %lld) and type %s: ggml's int64/size_t arithmetic wraps "
            "(%lld elements, %llu bytes by ggml); its true size is not in the file", nm, (long long)ne[0],
            (long long)ne[1], (long long)ne[2], (long long)ne[3], ty->name, (long long)nel,
            (unsigned long long)t->ggml_nbytes);
        p->wrapped = true;
        return;
    }
    t->nelem = true_n;
    t->nbytes = nb;
    t->ok = true;
}

static bool parse_info(parser *p, int64_t i, size_t *cap)
{
    slm_gguf *g = p->g;
    slm_gguf_tensor t = {0};
    t.info_offset = p->c.pos;
    slm_gguf_str s;
    if (!rd_str(p, &s, "a tensor name"))
        return false;
    /* ggml keeps the name as a C string: up to its first NUL (ggml_set_name). */
    t.name_len = strnlen(s.p, (size_t)s.n);
    char *nm = slm_strndup(s.p, t.name_len);
    if (!nm) {
        p->fatal = true;
        return false;
    }
    t.name = nm;
    char nb[120];
    const char *shown = show(nb, sizeof nb, s);
    bool too_long = s.n >= SLM_GGUF_MAX_NAME;
    if (too_long) /* gguf.cpp:646 */
        rep(p, SLM_R_GGUF_018, t.info_offset, NULL, "tensor %lld's name '%s' has %llu bytes; ggml holds at most 63",
            (long long)i, shown, (unsigned long long)s.n);
    if (t.name_len != s.n || slm_utf8_check((const uint8_t *)s.p, (size_t)s.n) != s.n)
        rep(p, SLM_R_GGUF_102, t.info_offset, NULL, "tensor %lld's name '%s' is not UTF-8 text", (long long)i, shown);
    if (g->nt == *cap) {
        size_t c = *cap ? *cap * 2 : 64;
        slm_gguf_tensor *v = realloc(g->t, c * sizeof *v);
        if (!v) {
            free(nm);
            p->fatal = true;
            return false;
        }
        g->t = v;
        *cap = c;
    }
    slm_gguf_tensor *tp = &g->t[g->nt++];
    *tp = t;
    size_t twin = strset_put(p, &p->names, get_name, nm, t.name_len, g->nt - 1);
    if (twin != SIZE_MAX && !too_long) /* gguf.cpp:654: names compared as C strings */
        rep(p, SLM_R_GGUF_019, t.info_offset, NULL, "tensor name '%s' appears twice (tensors %zu and %lld)", shown, twin,
            (long long)i);
    if (!rd_u32(p, &tp->n_dims, "a tensor's n_dims"))
        return false;
    if (tp->n_dims > SLM_GGUF_MAX_DIMS) { /* gguf.cpp:670 */
        rep(p, SLM_R_GGUF_020, tp->info_offset, NULL, "tensor '%s' has %u dimensions; ggml holds at most 4", shown, tp->n_dims);
        p->fatal = true;
        return false;
    }
    bool neg = false;
    for (uint32_t j = 0; j < SLM_GGUF_MAX_DIMS; j++) {
        tp->ne[j] = 1;
        uint64_t v;
        if (j < tp->n_dims) {
            if (!rd_u64(p, &v, "a tensor's shape"))
                return false;
            tp->ne[j] = (int64_t)v;
            tp->shape[tp->n_dims - 1 - j] = v;
        }
        if (tp->ne[j] < 0 && !neg) { /* gguf.cpp:683 */
            rep(p, SLM_R_GGUF_021, tp->info_offset, NULL, "tensor '%s' has ne[%u] = %lld", shown, j, (long long)tp->ne[j]);
            neg = true;
        }
    }
    if (!rd_u32(p, &tp->type, "a tensor's type") || !rd_u64(p, &tp->rel_offset, "a tensor's offset"))
        return false;
    if (!neg)
        check_shape_type(p, tp, shown);
    return true;
}

/* GGML_PAD in 64-bit arithmetic (it wraps as ggml's does). */
static uint64_t pad(uint64_t x, uint64_t a)
{
    return (x + a - 1) & ~(a - 1);
}

/* The data section (gguf.cpp:763-795) and the tensors' views. */
static void place_data(parser *p)
{
    slm_gguf *g = p->g;
    g->info_end = p->c.pos;
    g->data_offset = g->info_end;
    if (g->n_tensors > 0) {
        g->data_offset = pad(g->info_end, g->alignment);
        if (g->data_offset > p->c.len) { /* gguf.cpp:765 */
            rep(p, SLM_R_GGUF_027, g->info_end, NULL, "the data section would begin at %llu (aligned to %llu), past the end (%zu)",
                (unsigned long long)g->data_offset, (unsigned long long)g->alignment, p->c.len);
            return;
        }
    }
    uint64_t size = 0;
    bool offsets_ok = true;
    for (size_t i = 0; i < g->nt; i++) {
        slm_gguf_tensor *t = &g->t[i];
        if (offsets_ok && t->rel_offset != size) { /* gguf.cpp:779 */
            char nb[120];
            rep(p, SLM_R_GGUF_028, t->info_offset, NULL, "tensor '%s' has offset %llu, expected %llu%s",
                slm_printable(nb, sizeof nb, t->name, t->name_len), (unsigned long long)t->rel_offset,
                (unsigned long long)size,
                t->rel_offset < size ? " (it overlaps the tensor before)" : " (a gap after the tensor before)");
            offsets_ok = false;
        }
        uint64_t padded = pad(t->ggml_nbytes, g->alignment); /* ggml's size, as ggml sums it */
        if (t->ok && padded < t->ggml_nbytes) { /* GGML_PAD wraps to a small number: ggml goes on */
            rep(p, SLM_R_GGUF_105, t->info_offset, NULL, "tensor '%s' of %llu bytes: padded to %llu it wraps to %llu in ggml's arithmetic",
                t->name, (unsigned long long)t->nbytes, (unsigned long long)g->alignment, (unsigned long long)padded);
            p->wrapped = true;
            t->ok = false;
        }
        if (UINT64_MAX - size < padded) { /* gguf.cpp:787 */
            rep(p, SLM_R_GGUF_029, t->info_offset, NULL, "tensor '%s': %llu + %llu bytes overflow", t->name,
                (unsigned long long)size, (unsigned long long)padded);
            return;
        }
        size += padded;
        t->offset = g->data_offset + t->rel_offset;
        if (t->ok && t->offset >= g->data_offset && t->offset <= p->c.len && t->nbytes <= p->c.len - t->offset)
            t->data = p->c.p + t->offset;
        else
            t->ok = false;
    }
    g->data_size = size;
    if (!g->valid)
        return;
    uint64_t left = p->c.len - g->data_offset;
    if (size > left) /* gguf.cpp:861: the blob is read whole */
        rep(p, SLM_R_GGUF_030, g->data_offset, NULL, "the data section holds %llu bytes from %llu, but the file has %llu left",
            (unsigned long long)size, (unsigned long long)g->data_offset, (unsigned long long)left);
    else if (size < left && !p->wrapped)
        rep(p, SLM_R_GGUF_104, g->data_offset + size, NULL, "%llu bytes after the data section's end at %llu",
            (unsigned long long)(left - size), (unsigned long long)(g->data_offset + size));
}

/* ---- entry points -------------------------------------------------------- */

void slm_gguf_parse(slm_gguf *g, const uint8_t *data, uint64_t n, const char *display, slm_diag *d)
{
    if (!g->file)
        g->file = strdup(display ? display : "");
    g->valid = true;
    g->alignment = SLM_GGUF_DEFAULT_ALIGNMENT;
    parser p = {g, slm_cur_make(data, (size_t)n), d, false, false, {NULL, 0, 0}, {NULL, 0, 0}};
    if (!parse_header(&p))
        return;
    bool ok = parse_kvs(&p);
    size_t cap = 0;
    for (int64_t i = 0; ok && i < g->n_tensors; i++)
        ok = parse_info(&p, i, &cap);
    free(p.keys.slot);
    free(p.names.slot);
    if (ok && g->valid) /* gguf.cpp:757: ggml stops after the infos */
        place_data(&p);
    slm_gguf_check_key_types(g, d);
}

int slm_gguf_open(slm_gguf *g, const char *path, const char *display, slm_diag *d)
{
    memset(g, 0, sizeof *g);
    int e = slm_map_open(&g->map, path);
    if (e)
        return e;
    g->file = strdup(display ? display : path);
    slm_gguf_parse(g, g->map.data, g->map.size, g->file, d);
    return 0;
}

void slm_gguf_close(slm_gguf *g)
{
    for (size_t i = 0; i < g->nt; i++)
        free((char *)g->t[i].name);
    free(g->t);
    free(g->kv);
    free(g->file);
    slm_map_close(&g->map);
    memset(g, 0, sizeof *g);
}

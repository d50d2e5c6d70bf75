/* WebAssembly model libraries (slm/wasm.h).
 *
 * The module is read as WebAssembly.compile reads it (core spec 5.5), only
 * as deep as slminspect needs:
 *   1. magic "\0asm", version 1                                    WASM-001
 *   2. sections: id, size (u32 LEB128, at most 5 bytes, unused
 *      bits zero), content inside the file                          WASM-003, WASM-002
 *      known id, non-custom sections once each and in order          WASM-006, WASM-004
 *   3. import (2), export (7), data count (12) and data (11)
 *      sections are decoded; their entries must use exactly the
 *      section's bytes                                               WASM-005, WASM-008, WASM-009, WASM-010
 *      names are UTF-8                                               WASM-007
 *   other sections are skipped by size (the browser validates code).
 * Then, for TVM libraries:
 *   ABI generation from the env imports: TVMWasmPackedCFunc (legacy C ABI)
 *   or TVMFFIWasmSafeCall (tvm-ffi)                                  WASM-020, WASM-023
 *   the _metadata JSON: mlc_llm stores it as a string constant, an 8-byte
 *   little-endian length followed by the text, in a data segment; the
 *   text is the first object of that shape with "params" or "model_type"  WASM-021, WASM-022 */
#include "slm/wasm.h"
#include "slm/pointer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

bool slm_wasm_name_is(slm_wasm_name n, const char *s)
{
    size_t l = strlen(s);
    return n.n == l && memcmp(n.p, s, l) == 0;
}

bool slm_wasm_imports(const slm_wasm *w, const char *module, const char *field)
{
    for (size_t i = 0; i < w->nimp; i++)
        if (slm_wasm_name_is(w->imp[i].module, module) && slm_wasm_name_is(w->imp[i].field, field))
            return true;
    return false;
}

bool slm_wasm_exports(const slm_wasm *w, const char *name)
{
    for (size_t i = 0; i < w->nexp; i++)
        if (slm_wasm_name_is(w->exp[i].name, name))
            return true;
    return false;
}

const char *slm_wasm_abi_name(slm_wasm_abi a)
{
    switch (a) {
    case SLM_WASM_ABI_LEGACY: return "tvm-legacy-c-abi";
    case SLM_WASM_ABI_FFI: return "tvm-ffi";
    case SLM_WASM_ABI_MIXED: return "mixed";
    default: return "none";
    }
}

static const char *const SEC_NAMES[] = {"custom", "type", "import", "function", "table", "memory", "global",
                                        "export", "start", "element", "code", "data", "datacount", "tag"};

const char *slm_wasm_section_name(uint8_t id)
{
    return id < sizeof SEC_NAMES / sizeof SEC_NAMES[0] ? SEC_NAMES[id] : "unknown";
}

/* Position of each known section in the required order (0: custom). */
static int order_of(uint8_t id)
{
    static const int ORDER[] = {0, 1, 2, 3, 4, 5, 7, 8, 9, 10, 12, 13, 11, 6};
    return id < sizeof ORDER / sizeof ORDER[0] ? ORDER[id] : -1;
}

typedef struct ctx {
    slm_wasm *w;
    slm_diag *d;
    bool ok;
} ctx;

static void rep(ctx *c, slm_rule_id r, uint64_t off, const char *fmt, ...) SLM_PRINTF(4, 5);
static void rep(ctx *c, slm_rule_id r, uint64_t off, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    slm_vreport(c->d, r, c->w->file, (int64_t)off, NULL, fmt, ap);
    va_end(ap);
    if (slm_rule_get(r)->severity == SLM_ERROR)
        c->ok = false;
}

/* A cursor over section content [start, start+size) of the file. */
static slm_cur sub(const slm_wasm *w, uint64_t start, uint64_t size)
{
    return slm_cur_make(w->data + start, (size_t)size);
}

static bool u32(ctx *c, slm_cur *k, uint64_t base, const char *what, uint32_t *v)
{
    uint64_t x;
    size_t at = k->pos;
    if (!slm_cur_uleb(k, 32, &x)) {
        size_t i = at;
        while (i < k->len && (k->p[i] & 0x80))
            i++;
        if (i >= k->len)
            rep(c, SLM_R_WASM_005, base + at, "%s: runs past the end of its section", what);
        else
            rep(c, SLM_R_WASM_003, base + at, "%s: malformed u32 LEB128 (over 5 bytes or over 32 bits)", what);
        return false;
    }
    *v = (uint32_t)x;
    return true;
}

/* Signed LEB128 of at most BITS bits (33 for i32 immediates' encoding
 * room is not needed: i32 uses 5 bytes, i64 10). */
static bool sleb(slm_cur *k, unsigned bits, int64_t *v)
{
    uint64_t r = 0;
    unsigned shift = 0, max = (bits + 6) / 7;
    uint8_t b;
    for (unsigned i = 0; i < max; i++) {
        if (!slm_cur_u8(k, &b))
            return false;
        r |= (uint64_t)(b & 0x7f) << shift;
        shift += 7;
        if (!(b & 0x80)) {
            if (shift < 64 && (b & 0x40))
                r |= ~0ull << shift;
            *v = (int64_t)r;
            return true;
        }
    }
    return false;
}

static bool name(ctx *c, slm_cur *k, uint64_t base, const char *what, slm_wasm_name *n)
{
    uint32_t len;
    const uint8_t *p;
    if (!u32(c, k, base, what, &len))
        return false;
    if (!slm_cur_take(k, len, &p)) {
        rep(c, SLM_R_WASM_005, base + k->pos, "%s: name of %u bytes runs past the section's end", what, len);
        return false;
    }
    size_t bad = slm_utf8_check(p, len);
    if (bad != len) {
        rep(c, SLM_R_WASM_007, base + (uint64_t)(p - k->p) + bad, "%s: name is not valid UTF-8", what);
        return false;
    }
    n->p = (const char *)p;
    n->n = len;
    return true;
}

/* A vector count, checked against the bytes left (each entry takes at least
 * MIN bytes) before anything is allocated. */
static bool count(ctx *c, slm_cur *k, uint64_t base, const char *what, size_t min, uint32_t *n)
{
    if (!u32(c, k, base, what, n))
        return false;
    if ((uint64_t)*n * min > slm_cur_left(k)) {
        rep(c, SLM_R_WASM_005, base, "%s section declares %u entries, its %zu bytes hold at most %zu", what, *n,
            slm_cur_left(k), slm_cur_left(k) / min);
        return false;
    }
    return true;
}

static bool limits(ctx *c, slm_cur *k, uint64_t base)
{
    uint8_t fl;
    uint32_t v;
    if (!slm_cur_u8(k, &fl) || fl > 7) {
        rep(c, SLM_R_WASM_008, base + k->pos, "import: bad limits flags");
        return false;
    }
    if (fl & 4) { /* memory64: u64 limits */
        uint64_t x;
        for (int i = 0; i < 1 + (fl & 1); i++)
            if (!slm_cur_uleb(k, 64, &x)) {
                rep(c, SLM_R_WASM_003, base + k->pos, "import: malformed limits");
                return false;
            }
        return true;
    }
    return u32(c, k, base, "import limits", &v) && (!(fl & 1) || u32(c, k, base, "import limits", &v));
}

static void parse_imports(ctx *c, const slm_wasm_section *s)
{
    slm_wasm *w = c->w;
    slm_cur k = sub(w, s->start, s->size);
    uint32_t n;
    if (!count(c, &k, s->start, "import", 4, &n))
        return;
    w->imp = calloc(n ? n : 1, sizeof *w->imp);
    if (!w->imp)
        return;
    for (uint32_t i = 0; i < n; i++) {
        slm_wasm_import *im = &w->imp[w->nimp];
        im->off = s->start + k.pos;
        uint8_t b;
        uint32_t v;
        if (!name(c, &k, s->start, "import module", &im->module) || !name(c, &k, s->start, "import field", &im->field))
            return;
        if (!slm_cur_u8(&k, &im->kind)) {
            rep(c, SLM_R_WASM_005, s->start + k.pos, "import %u: entry runs past the section's end", i);
            return;
        }
        bool ok = true;
        switch (im->kind) {
        case 0: ok = u32(c, &k, s->start, "import type index", &v); break;
        case 1: ok = slm_cur_u8(&k, &b) && limits(c, &k, s->start); break;
        case 2: ok = limits(c, &k, s->start); break;
        case 3: ok = slm_cur_u8(&k, &b) && slm_cur_u8(&k, &b) && b <= 1; break;
        case 4: ok = slm_cur_u8(&k, &b) && b == 0 && u32(c, &k, s->start, "import tag type", &v); break;
        default: ok = false;
        }
        if (!ok) {
            if (c->ok)
                rep(c, SLM_R_WASM_008, im->off, "import %u: malformed descriptor of kind %u", i, im->kind);
            return;
        }
        w->nimp++;
    }
    if (slm_cur_left(&k))
        rep(c, SLM_R_WASM_005, s->start + k.pos, "import section: %zu bytes after its %u entries", slm_cur_left(&k), n);
}

static void parse_exports(ctx *c, const slm_wasm_section *s)
{
    slm_wasm *w = c->w;
    slm_cur k = sub(w, s->start, s->size);
    uint32_t n;
    if (!count(c, &k, s->start, "export", 3, &n))
        return;
    w->exp = calloc(n ? n : 1, sizeof *w->exp);
    if (!w->exp)
        return;
    for (uint32_t i = 0; i < n; i++) {
        slm_wasm_export *ex = &w->exp[w->nexp];
        ex->off = s->start + k.pos;
        if (!name(c, &k, s->start, "export", &ex->name))
            return;
        if (!slm_cur_u8(&k, &ex->kind) || ex->kind > 4) {
            rep(c, SLM_R_WASM_008, ex->off, "export %u: bad kind", i);
            return;
        }
        if (!u32(c, &k, s->start, "export index", &ex->index))
            return;
        w->nexp++;
    }
    if (slm_cur_left(&k))
        rep(c, SLM_R_WASM_005, s->start + k.pos, "export section: %zu bytes after its %u entries", slm_cur_left(&k), n);
}

/* A constant expression up to its end (0x0b): i32/i64.const, global.get,
 * and the extended-const arithmetic. */
static bool const_expr(slm_cur *k, slm_wasm_data *g)
{
    int ninstr = 0;
    for (;;) {
        uint8_t op;
        int64_t v;
        uint64_t u;
        if (!slm_cur_u8(k, &op))
            return false;
        if (op == 0x0b)
            break;
        ninstr++;
        if (op == 0x41 || op == 0x42) {
            if (!sleb(k, op == 0x41 ? 32 : 64, &v))
                return false;
            g->mem_offset = v;
        } else if (op == 0x23) {
            if (!slm_cur_uleb(k, 32, &u))
                return false;
            ninstr++; /* not a constant we know */
        } else if (!(op == 0x6a || op == 0x6b || op == 0x6c || op == 0x7c || op == 0x7d || op == 0x7e)) {
            return false;
        }
        if (ninstr > 64)
            return false;
    }
    g->offset_known = ninstr == 1;
    return ninstr >= 1;
}

static void parse_data(ctx *c, const slm_wasm_section *s, int64_t datacount)
{
    slm_wasm *w = c->w;
    slm_cur k = sub(w, s->start, s->size);
    uint32_t n;
    if (!count(c, &k, s->start, "data", 2, &n))
        return;
    if (datacount >= 0 && datacount != n)
        rep(c, SLM_R_WASM_010, s->start, "data count section says %lld segments, the data section has %u",
            (long long)datacount, n);
    w->seg = calloc(n ? n : 1, sizeof *w->seg);
    if (!w->seg)
        return;
    for (uint32_t i = 0; i < n; i++) {
        slm_wasm_data *g = &w->seg[w->nseg];
        uint64_t at = s->start + k.pos;
        uint32_t flags, len;
        if (!u32(c, &k, s->start, "data segment flags", &flags))
            return;
        if (flags > 2) {
            rep(c, SLM_R_WASM_009, at, "data segment %u: flags %u, expected 0, 1 or 2", i, flags);
            return;
        }
        g->passive = flags == 1;
        if (flags == 2 && !u32(c, &k, s->start, "data segment memory", &g->memory))
            return;
        if (!g->passive && !const_expr(&k, g)) {
            rep(c, SLM_R_WASM_009, at, "data segment %u: offset is not a constant expression", i);
            return;
        }
        if (!u32(c, &k, s->start, "data segment size", &len))
            return;
        g->file_off = s->start + k.pos;
        if (!slm_cur_take(&k, len, &g->bytes)) {
            rep(c, SLM_R_WASM_005, at, "data segment %u: %u bytes run past the section's end", i, len);
            return;
        }
        g->size = len;
        w->nseg++;
    }
    if (slm_cur_left(&k))
        rep(c, SLM_R_WASM_005, s->start + k.pos, "data section: %zu bytes after its %u segments", slm_cur_left(&k), n);
}

/* ---- TVM metadata -------------------------------------------------------- */

static int64_t meta_int(slm_wasm_meta *m, const char *key)
{
    int64_t v;
    const cJSON *it = slm_json_get(m->j.root, key);
    return it && slm_json_i64(&m->j, it, &v) == SLM_JNUM_OK ? v : -1;
}

static void meta_fields(ctx *c, slm_wasm_meta *m)
{
    const cJSON *r = m->j.root;
    const cJSON *mt = slm_json_get(r, "model_type"), *q = slm_json_get(r, "quantization");
    m->model_type = cJSON_IsString(mt) ? mt->valuestring : NULL;
    m->quantization = cJSON_IsString(q) ? q->valuestring : NULL;
    m->context_window_size = meta_int(m, "context_window_size");
    m->prefill_chunk_size = meta_int(m, "prefill_chunk_size");
    m->sliding_window_size = meta_int(m, "sliding_window_size");
    m->tensor_parallel_shards = meta_int(m, "tensor_parallel_shards");
    const cJSON *ps = slm_json_get(r, "params");
    if (!m->model_type || !m->quantization || !cJSON_IsArray(ps)) {
        rep(c, SLM_R_WASM_022, m->off, "the metadata lacks %s", !m->model_type ? "a model_type string"
                                                                : !m->quantization ? "a quantization string"
                                                                                   : "a params array");
        if (!cJSON_IsArray(ps))
            return;
    }
    size_t n = (size_t)cJSON_GetArraySize(ps), i = 0;
    m->params = calloc(n ? n : 1, sizeof *m->params);
    if (!m->params)
        return;
    m->params_ok = true;
    for (const cJSON *p = ps->child; p; p = p->next, i++) {
        const cJSON *nm = slm_json_get(p, "name"), *sh = slm_json_get(p, "shape"), *dt = slm_json_get(p, "dtype");
        if (!cJSON_IsString(nm) || !cJSON_IsString(dt) || !cJSON_IsArray(sh)) {
            rep(c, SLM_R_WASM_022, m->off + slm_json_off(&m->j, p, false),
                "params[%zu] must be an object with name, shape and dtype", i);
            m->params_ok = false;
            continue;
        }
        slm_wasm_param *wp = &m->params[m->nparams++];
        wp->name = strdup(nm->valuestring);
        wp->dtype = strdup(dt->valuestring);
        size_t nd = (size_t)cJSON_GetArraySize(sh);
        wp->shape = calloc(nd ? nd : 1, sizeof *wp->shape);
        wp->sym = calloc(nd ? nd : 1, sizeof *wp->sym);
        for (const cJSON *e = sh->child; e && wp->shape && wp->sym; e = e->next) {
            int64_t v = -1;
            if (cJSON_IsString(e))
                wp->sym[wp->ndim] = strdup(e->valuestring);
            else if (slm_json_i64(&m->j, e, &v) != SLM_JNUM_OK || v < 0) {
                rep(c, SLM_R_WASM_022, m->off + slm_json_off(&m->j, e, false),
                    "params[%zu] '%s': shape entries must be non-negative integers or names", i, wp->name);
                m->params_ok = false;
                v = -1;
            }
            wp->shape[wp->ndim++] = v;
        }
    }
}

/* Does the object at P (LEN bytes, starting with '{') look like the
 * metadata?  Cheap test before a full parse. */
static bool looks_like_meta(const uint8_t *p, uint64_t len)
{
    uint64_t lim = len < 4096 ? len : 4096;
    for (uint64_t i = 0; i + 8 <= lim; i++)
        if (memcmp(p + i, "\"params\"", 8) == 0 || (i + 12 <= lim && memcmp(p + i, "\"model_type\"", 12) == 0))
            return true;
    return len > 4096 && memmem(p, (size_t)len, "\"params\"", 8) != NULL;
}

static void find_meta(ctx *c)
{
    slm_wasm *w = c->w;
    slm_wasm_meta *m = &w->meta;
    for (size_t s = 0; s < w->nseg && !m->found; s++) {
        const slm_wasm_data *g = &w->seg[s];
        for (uint64_t i = 8; i < g->size && !m->found; i++) {
            if (g->bytes[i] != '{')
                continue;
            uint64_t len = 0;
            for (int b = 7; b >= 0; b--)
                len = len << 8 | g->bytes[i - 8 + (uint64_t)b];
            if (len < 2 || len > g->size - i || len > SLM_WASM_MAX_META || g->bytes[i + len - 1] != '}' ||
                !looks_like_meta(g->bytes + i, len))
                continue;
            slm_json j;
            if (slm_json_parse(&j, (const char *)g->bytes + i, (size_t)len, SLM_JSON_DEPTH_DEFAULT) != 0 ||
                !cJSON_IsObject(j.root) ||
                (!slm_json_get(j.root, "params") && !slm_json_get(j.root, "model_type"))) {
                slm_json_free(&j);
                continue;
            }
            m->found = true;
            m->off = g->file_off + i;
            m->len = len;
            m->j = j;
            meta_fields(c, m);
        }
    }
}

/* ---- the module ---------------------------------------------------------- */

void slm_wasm_parse(slm_wasm *w, const uint8_t *data, uint64_t size, const char *display, slm_diag *d)
{
    slm_map keep = w->map;
    memset(w, 0, sizeof *w);
    w->map = keep;
    w->data = data;
    w->size = size;
    w->file = strdup(display ? display : "<memory>");
    ctx c = {w, d, true};
    if (size < 8 || memcmp(data, "\0asm", 4) != 0 || memcmp(data + 4, "\1\0\0\0", 4) != 0) {
        rep(&c, SLM_R_WASM_001, 0, "expected \\0asm and version 1 in the first 8 bytes%s",
            size < 8 ? ", the file is shorter" : "");
        return;
    }
    slm_cur k = slm_cur_make(data, (size_t)size);
    k.pos = 8;
    size_t cap = 0;
    int last = 0;
    int64_t datacount = -1;
    while (slm_cur_left(&k) && c.ok) {
        slm_wasm_section s = {0};
        s.off = k.pos;
        uint32_t sz;
        uint64_t sz64;
        slm_cur_u8(&k, &s.id);
        size_t at = k.pos;
        if (!slm_cur_uleb(&k, 32, &sz64)) {
            size_t i = at;
            while (i < k.len && (k.p[i] & 0x80))
                i++;
            rep(&c, i >= k.len ? SLM_R_WASM_002 : SLM_R_WASM_003, at, "%s section: %s size", slm_wasm_section_name(s.id),
                i >= k.len ? "the file ends inside its" : "malformed u32 LEB128");
            break;
        }
        sz = (uint32_t)sz64;
        s.start = k.pos;
        s.size = sz;
        if (!slm_cur_skip(&k, sz)) {
            rep(&c, SLM_R_WASM_002, s.off, "%s section of %u bytes at %llu, the file ends at %llu",
                slm_wasm_section_name(s.id), sz, (unsigned long long)s.start, (unsigned long long)size);
            break;
        }
        int ord = order_of(s.id);
        if (ord < 0) {
            rep(&c, SLM_R_WASM_006, s.off, "section id %u", s.id);
            break;
        }
        if (ord > 0 && ord <= last) {
            rep(&c, SLM_R_WASM_004, s.off, "%s section after %s", slm_wasm_section_name(s.id),
                last == ord ? "another one" : "a section that must follow it");
            break;
        }
        if (ord > 0)
            last = ord;
        if (s.id == 0) {
            slm_cur ck = sub(w, s.start, s.size);
            if (!name(&c, &ck, s.start, "custom section", &s.custom))
                break;
        }
        if (w->nsec == cap) {
            cap = cap ? cap * 2 : 16;
            slm_wasm_section *v = realloc(w->sec, cap * sizeof *v);
            if (!v)
                break;
            w->sec = v;
        }
        w->sec[w->nsec++] = s;
        if (s.id == 2)
            parse_imports(&c, &s);
        else if (s.id == 7)
            parse_exports(&c, &s);
        else if (s.id == 12) {
            slm_cur dk = sub(w, s.start, s.size);
            uint32_t n;
            if (u32(&c, &dk, s.start, "data count", &n)) {
                datacount = n;
                if (slm_cur_left(&dk))
                    rep(&c, SLM_R_WASM_005, s.start + dk.pos, "data count section: %zu extra bytes", slm_cur_left(&dk));
            }
        } else if (s.id == 11)
            parse_data(&c, &s, datacount);
    }
    w->valid = c.ok;
    bool legacy = slm_wasm_imports(w, "env", "TVMWasmPackedCFunc");
    bool ffi = slm_wasm_imports(w, "env", "TVMFFIWasmSafeCall");
    w->abi = legacy && ffi ? SLM_WASM_ABI_MIXED : legacy ? SLM_WASM_ABI_LEGACY : ffi ? SLM_WASM_ABI_FFI
                                                                                   : SLM_WASM_ABI_NONE;
    if (!c.ok)
        return;
    if (w->abi == SLM_WASM_ABI_MIXED)
        rep(&c, SLM_R_WASM_023, 0, "imports env.TVMWasmPackedCFunc and env.TVMFFIWasmSafeCall");
    if (w->abi == SLM_WASM_ABI_NONE)
        rep(&c, SLM_R_WASM_020, 0, "no import env.TVMWasmPackedCFunc or env.TVMFFIWasmSafeCall (%zu imports)",
            w->nimp);
    find_meta(&c);
    if (!w->meta.found && w->abi != SLM_WASM_ABI_NONE)
        rep(&c, SLM_R_WASM_021, 0, "no data segment holds a length-prefixed JSON object with params/model_type");
}

int slm_wasm_open(slm_wasm *w, const char *path, slm_diag *d)
{
    memset(w, 0, sizeof *w);
    int e = slm_map_open(&w->map, path);
    if (e)
        return e;
    if (slm_pointer_check(&w->map, path, d))
        return 0; /* not valid: nothing more to say about a pointer */
    slm_wasm_parse(w, w->map.data, w->map.size, path, d);
    return 0;
}

void slm_wasm_close(slm_wasm *w)
{
    for (size_t i = 0; i < w->meta.nparams; i++) {
        slm_wasm_param *p = &w->meta.params[i];
        for (size_t k = 0; p->sym && k < p->ndim; k++)
            free(p->sym[k]);
        free(p->sym);
        free(p->shape);
        free(p->name);
        free(p->dtype);
    }
    free(w->meta.params);
    if (w->meta.found)
        slm_json_free(&w->meta.j);
    free(w->sec);
    free(w->imp);
    free(w->exp);
    free(w->seg);
    free(w->file);
    slm_map_close(&w->map);
    memset(w, 0, sizeof *w);
}

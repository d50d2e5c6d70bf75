/* JSON: strict scan, then cJSON, then spans attached to items (slm/json.h).
 *
 * Grammar (RFC 8259, as serde_json and Python's json read it):
 *   value  = ws (object | array | string | number | true | false | null) ws
 *   ws     = *( %x20 / %x09 / %x0A / %x0D )
 *   number = [ "-" ] ( "0" / [1-9] *DIGIT ) [ "." 1*DIGIT ] [ ("e"/"E") ["+"/"-"] 1*DIGIT ]
 *   string = '"' *( unescaped / "\" ( ["\/bfnrt] / "u" 4HEXDIG ) ) '"'
 *            where unescaped is any byte >= 0x20 but '"' and '\'. */
#include "slm/json.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct scan {
    const char *s;
    size_t n, i;
    unsigned depth, max_depth;
    slm_json *j;
    size_t cap;   /* spans allocated */
    bool patch;   /* a copy must be patched before cJSON can read it */
    int failed;   /* -1 syntax, -2 memory */
} scan;

static int fail(scan *sc, const char *msg)
{
    if (!sc->failed) {
        sc->failed = -1;
        sc->j->err_off = sc->i;
        snprintf(sc->j->err, sizeof sc->j->err, "%s", msg);
    }
    return -1;
}

static void skip_ws(scan *sc)
{
    while (sc->i < sc->n) {
        char c = sc->s[sc->i];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        sc->i++;
    }
}

static size_t add_span(scan *sc, size_t off, size_t key_off)
{
    slm_json *j = sc->j;
    if (j->nspans == sc->cap) {
        size_t cap = sc->cap ? sc->cap * 2 : 64;
        slm_json_span *v = realloc(j->spans, cap * sizeof *v);
        if (!v) {
            sc->failed = -2;
            return SIZE_MAX;
        }
        j->spans = v;
        sc->cap = cap;
    }
    j->spans[j->nspans] = (slm_json_span){off, 0, key_off, 0};
    return j->nspans++;
}

static int hex4(scan *sc, unsigned *v)
{
    *v = 0;
    for (int k = 0; k < 4; k++) {
        if (sc->i >= sc->n)
            return fail(sc, "EOF in \\u escape");
        char c = sc->s[sc->i++];
        unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0')
                   : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                   : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10) : 16u;
        if (d == 16)
            return fail(sc, "invalid \\u escape");
        *v = *v << 4 | d;
    }
    return 0;
}

/* A string at sc->i (the opening quote); sets SLM_JSPAN_* in *FLAGS. */
static int scan_string(scan *sc, unsigned *flags)
{
    sc->i++;
    for (;;) {
        if (sc->i >= sc->n)
            return fail(sc, "EOF while parsing a string");
        unsigned char c = (unsigned char)sc->s[sc->i];
        if (c == '"') {
            sc->i++;
            return 0;
        }
        if (c < 0x20)
            return fail(sc, "control character in string");
        if (c != '\\') {
            sc->i++;
            continue;
        }
        sc->i++;
        if (sc->i >= sc->n)
            return fail(sc, "EOF in escape");
        c = (unsigned char)sc->s[sc->i++];
        if (c == 'u') {
            unsigned u, lo;
            if (hex4(sc, &u))
                return -1;
            if (u == 0)
                *flags |= SLM_JSPAN_NUL;
            if (u >= 0xd800 && u <= 0xdbff && sc->i + 6 <= sc->n && sc->s[sc->i] == '\\' &&
                sc->s[sc->i + 1] == 'u') {
                size_t save = sc->i;
                sc->i += 2;
                if (hex4(sc, &lo))
                    return -1;
                if (lo >= 0xdc00 && lo <= 0xdfff)
                    continue; /* a valid pair */
                sc->i = save;
            }
            if (u >= 0xd800 && u <= 0xdfff) {
                *flags |= SLM_JSPAN_SURROGATE;
                sc->patch = true;
            }
        } else if (!strchr("\"\\/bfnrt", c) || c == 0) {
            sc->i--;
            return fail(sc, "invalid escape");
        }
    }
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static int scan_number(scan *sc, unsigned *flags)
{
    size_t start = sc->i;
    if (sc->s[sc->i] == '-')
        sc->i++;
    if (sc->i >= sc->n || !is_digit(sc->s[sc->i]))
        return fail(sc, "invalid number");
    if (sc->s[sc->i] == '0') {
        sc->i++;
        if (sc->i < sc->n && is_digit(sc->s[sc->i]))
            return fail(sc, "invalid number: leading zero");
    } else {
        while (sc->i < sc->n && is_digit(sc->s[sc->i]))
            sc->i++;
    }
    if (sc->i < sc->n && sc->s[sc->i] == '.') {
        sc->i++;
        if (sc->i >= sc->n || !is_digit(sc->s[sc->i]))
            return fail(sc, "invalid number: digit expected after '.'");
        while (sc->i < sc->n && is_digit(sc->s[sc->i]))
            sc->i++;
    }
    if (sc->i < sc->n && (sc->s[sc->i] == 'e' || sc->s[sc->i] == 'E')) {
        sc->i++;
        if (sc->i < sc->n && (sc->s[sc->i] == '+' || sc->s[sc->i] == '-'))
            sc->i++;
        if (sc->i >= sc->n || !is_digit(sc->s[sc->i]))
            return fail(sc, "invalid number: digit expected in exponent");
        while (sc->i < sc->n && is_digit(sc->s[sc->i]))
            sc->i++;
    }
    size_t len = sc->i - start;
    if (len >= 64)
        sc->patch = true; /* cJSON reads at most 63 characters of a number */
    char buf[64], *tok = len < sizeof buf ? buf : malloc(len + 1);
    if (!tok) {
        sc->failed = -2;
        return -1;
    }
    memcpy(tok, sc->s + start, len);
    tok[len] = 0;
    if (isinf(strtod(tok, NULL)))
        *flags |= SLM_JSPAN_HUGE;
    if (tok != buf)
        free(tok);
    return 0;
}

static int scan_value(scan *sc, size_t key_off, unsigned key_flags);

static int scan_literal(scan *sc, const char *lit)
{
    size_t l = strlen(lit);
    if (sc->n - sc->i < l || memcmp(sc->s + sc->i, lit, l) != 0)
        return fail(sc, "expected value");
    sc->i += l;
    return 0;
}

static int scan_container(scan *sc, char close)
{
    if (++sc->depth > sc->max_depth)
        return fail(sc, "recursion limit exceeded");
    sc->i++;
    skip_ws(sc);
    if (sc->i < sc->n && sc->s[sc->i] == close) {
        sc->i++;
        sc->depth--;
        return 0;
    }
    for (;;) {
        size_t key_off = SIZE_MAX;
        unsigned key_flags = 0;
        skip_ws(sc);
        if (close == '}') {
            if (sc->i >= sc->n || sc->s[sc->i] != '"')
                return fail(sc, "key must be a string");
            key_off = sc->i;
            if (scan_string(sc, &key_flags))
                return -1;
            skip_ws(sc);
            if (sc->i >= sc->n || sc->s[sc->i] != ':')
                return fail(sc, "expected ':'");
            sc->i++;
        }
        if (scan_value(sc, key_off, key_flags))
            return -1;
        skip_ws(sc);
        if (sc->i >= sc->n)
            return fail(sc, "EOF while parsing a container");
        if (sc->s[sc->i] == ',') {
            sc->i++;
            continue;
        }
        if (sc->s[sc->i] == close) {
            sc->i++;
            sc->depth--;
            return 0;
        }
        return fail(sc, close == '}' ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static int scan_value(scan *sc, size_t key_off, unsigned key_flags)
{
    skip_ws(sc);
    if (sc->i >= sc->n)
        return fail(sc, "EOF while parsing a value");
    size_t idx = add_span(sc, sc->i, key_off);
    if (idx == SIZE_MAX)
        return -1;
    unsigned flags = key_flags;
    int r;
    char c = sc->s[sc->i];
    if (c == '{')
        r = scan_container(sc, '}');
    else if (c == '[')
        r = scan_container(sc, ']');
    else if (c == '"')
        r = scan_string(sc, &flags);
    else if (c == '-' || is_digit(c))
        r = scan_number(sc, &flags);
    else if (c == 't')
        r = scan_literal(sc, "true");
    else if (c == 'f')
        r = scan_literal(sc, "false");
    else if (c == 'n')
        r = scan_literal(sc, "null");
    else
        r = fail(sc, "expected value");
    if (r)
        return r;
    slm_json_span *sp = &sc->j->spans[idx];
    sp->len = sc->i - sp->off;
    sp->flags |= flags;
    sc->j->flags |= flags;
    return 0;
}

/* Makes text cJSON can read with the same offsets: numbers too long for
 * cJSON become 0 padded with spaces, lone surrogate escapes become \ufffd. */
static char *patched_copy(const slm_json *j)
{
    char *t = malloc(j->len + 1);
    if (!t)
        return NULL;
    memcpy(t, j->text, j->len);
    t[j->len] = 0;
    for (size_t k = 0; k < j->nspans; k++) {
        const slm_json_span *sp = &j->spans[k];
        char c = t[sp->off];
        if ((c == '-' || is_digit(c)) && sp->len >= 64) {
            t[sp->off] = '0';
            memset(t + sp->off + 1, ' ', sp->len - 1);
        }
    }
    if (j->flags & SLM_JSPAN_SURROGATE) {
        /* Walk strings outside numbers: a lone surrogate escape is "\uD8xx"
         * not followed by a low one, or a low one not preceded by a high. */
        bool in_str = false;
        for (size_t i = 0; i < j->len; i++) {
            if (!in_str) {
                in_str = t[i] == '"';
                continue;
            }
            if (t[i] == '"') {
                in_str = false;
            } else if (t[i] == '\\') {
                if (t[i + 1] != 'u') {
                    i++;
                    continue;
                }
                unsigned u = (unsigned)strtoul((char[]){t[i + 2], t[i + 3], t[i + 4], t[i + 5], 0}, NULL, 16);
                bool pair = false;
                if (u >= 0xd800 && u <= 0xdbff && i + 11 < j->len && t[i + 6] == '\\' && t[i + 7] == 'u') {
                    unsigned lo = (unsigned)strtoul((char[]){t[i + 8], t[i + 9], t[i + 10], t[i + 11], 0}, NULL, 16);
                    pair = lo >= 0xdc00 && lo <= 0xdfff;
                }
                if (pair) {
                    i += 11;
                } else {
                    if (u >= 0xd800 && u <= 0xdfff)
                        memcpy(t + i + 2, "fffd", 4);
                    i += 5;
                }
            }
        }
    }
    return t;
}

/* Gives every item, in document order, the index of its span. */
static size_t attach(cJSON *item, size_t k, size_t n)
{
    for (; item; item = item->next) {
        if (k >= n)
            return k;
        item->valueint = (int)k++;
        if (item->child)
            k = attach(item->child, k, n);
    }
    return k;
}

int slm_json_parse(slm_json *j, const char *text, size_t len, unsigned max_depth)
{
    memset(j, 0, sizeof *j);
    j->text = text;
    j->len = len;
    if (len > (size_t)INT32_MAX) {
        snprintf(j->err, sizeof j->err, "document larger than 2 GiB");
        return -1;
    }
    scan sc = {text, len, 0, 0, max_depth ? max_depth : SLM_JSON_DEPTH_DEFAULT, j, 0, false, 0};
    skip_ws(&sc);
    j->lead_ws = sc.i;
    if (scan_value(&sc, SIZE_MAX, 0) == 0) {
        size_t end = sc.i;
        skip_ws(&sc);
        j->trail_ws = sc.i - end;
        if (sc.i != len)
            fail(&sc, "trailing characters");
    }
    if (sc.failed)
        return sc.failed;
    char *copy = NULL;
    if (sc.patch && !(copy = patched_copy(j)))
        return -2;
    j->root = cJSON_ParseWithLength(copy ? copy : text, len);
    free(copy);
    if (!j->root) { /* the scanner accepted it, so this is memory */
        snprintf(j->err, sizeof j->err, "out of memory building the JSON tree");
        return -2;
    }
    if (attach(j->root, 0, j->nspans) != j->nspans) {
        snprintf(j->err, sizeof j->err, "internal error: JSON tree and scan disagree");
        return -2;
    }
    return 0;
}

void slm_json_free(slm_json *j)
{
    cJSON_Delete(j->root);
    free(j->spans);
    memset(j, 0, sizeof *j);
}

const slm_json_span *slm_json_span_of(const slm_json *j, const cJSON *item)
{
    if (!item || item->valueint < 0 || (size_t)item->valueint >= j->nspans)
        return NULL;
    return &j->spans[item->valueint];
}

size_t slm_json_off(const slm_json *j, const cJSON *item, bool key)
{
    const slm_json_span *sp = slm_json_span_of(j, item);
    if (!sp)
        return 0;
    return key && sp->key_off != SIZE_MAX ? sp->key_off : sp->off;
}

static enum slm_jnum number_text(const slm_json *j, const cJSON *item, const char **p, size_t *n)
{
    const slm_json_span *sp = slm_json_span_of(j, item);
    if (!cJSON_IsNumber(item) || !sp)
        return SLM_JNUM_NOTNUM;
    *p = j->text + sp->off;
    *n = sp->len;
    for (size_t i = 0; i < *n; i++)
        if ((*p)[i] == '.' || (*p)[i] == 'e' || (*p)[i] == 'E')
            return SLM_JNUM_FRACTION;
    return SLM_JNUM_OK;
}

static bool digits_u64(const char *p, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        if (__builtin_mul_overflow(v, 10u, &v) || __builtin_add_overflow(v, (uint64_t)(p[i] - '0'), &v))
            return false;
    *out = v;
    return true;
}

enum slm_jnum slm_json_u64(const slm_json *j, const cJSON *item, uint64_t *out)
{
    const char *p;
    size_t n;
    enum slm_jnum r = number_text(j, item, &p, &n);
    if (r != SLM_JNUM_OK)
        return r;
    if (p[0] == '-')
        return SLM_JNUM_NEGATIVE;
    return digits_u64(p, n, out) ? SLM_JNUM_OK : SLM_JNUM_RANGE;
}

enum slm_jnum slm_json_i64(const slm_json *j, const cJSON *item, int64_t *out)
{
    const char *p;
    size_t n;
    uint64_t v;
    enum slm_jnum r = number_text(j, item, &p, &n);
    if (r != SLM_JNUM_OK)
        return r;
    bool neg = p[0] == '-';
    if (!digits_u64(p + neg, n - neg, &v) || v > (uint64_t)INT64_MAX + neg)
        return SLM_JNUM_RANGE;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return SLM_JNUM_OK;
}

bool slm_json_f64(const slm_json *j, const cJSON *item, double *out)
{
    (void)j;
    if (!cJSON_IsNumber(item))
        return false;
    *out = item->valuedouble;
    return true;
}

static int key_cmp(const void *a, const void *b)
{
    const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
    int c = strcmp(x->string, y->string);
    /* equal keys in document order (valueint is the span index) */
    return c ? c : (x->valueint > y->valueint) - (x->valueint < y->valueint);
}

/* OBJ's members sorted by key, then document order; *N gets their count. */
static const cJSON **sorted_members(const cJSON *obj, size_t *n)
{
    *n = 0;
    if (!cJSON_IsObject(obj) || !obj->child)
        return NULL;
    for (const cJSON *c = obj->child; c; c = c->next)
        (*n)++;
    const cJSON **v = malloc(*n * sizeof *v);
    if (!v)
        return NULL;
    size_t k = 0;
    for (const cJSON *c = obj->child; c; c = c->next)
        v[k++] = c;
    qsort(v, *n, sizeof *v, key_cmp);
    return v;
}

/* In key-then-document order, a member whose key equals its predecessor's
 * repeats it. */
const cJSON *slm_json_dup(const cJSON *obj)
{
    size_t n;
    const cJSON **v = sorted_members(obj, &n);
    const cJSON *first = NULL;
    for (size_t i = 1; v && i < n; i++)
        if (strcmp(v[i]->string, v[i - 1]->string) == 0 && (!first || v[i]->valueint < first->valueint))
            first = v[i];
    free(v);
    return first;
}

bool *slm_json_superseded(const cJSON *obj, size_t *n)
{
    const cJSON **v = sorted_members(obj, n);
    int *pos = v ? malloc(*n * sizeof *pos) : NULL; /* span index of each member, ascending */
    bool *r = pos ? calloc(*n, sizeof *r) : NULL;
    if (r) {
        size_t k = 0;
        for (const cJSON *c = obj->child; c; c = c->next)
            pos[k++] = c->valueint;
        for (size_t i = 0; i + 1 < *n; i++) {
            if (strcmp(v[i]->string, v[i + 1]->string) != 0)
                continue;
            size_t lo = 0, hi = *n; /* v[i]'s place among the members */
            while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (pos[mid] < v[i]->valueint)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            r[lo] = true;
        }
    }
    free(v);
    free(pos);
    return r;
}

const cJSON *slm_json_get(const cJSON *obj, const char *key)
{
    const cJSON *found = NULL;
    if (!cJSON_IsObject(obj))
        return NULL;
    for (const cJSON *c = obj->child; c; c = c->next)
        if (c->string && strcmp(c->string, key) == 0)
            found = c;
    return found;
}

const char *slm_json_type(const cJSON *item)
{
    if (!item) return "nothing";
    if (cJSON_IsObject(item)) return "object";
    if (cJSON_IsArray(item)) return "array";
    if (cJSON_IsString(item)) return "string";
    if (cJSON_IsNumber(item)) return "number";
    if (cJSON_IsBool(item)) return "boolean";
    if (cJSON_IsNull(item)) return "null";
    return "invalid";
}

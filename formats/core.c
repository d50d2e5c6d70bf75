/* File maps, bounded cursors, the rule table and findings (see slm/core.h). */
#include "slm/core.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- file maps ----------------------------------------------------------- */

int slm_map_open(slm_map *m, const char *path)
{
    memset(m, 0, sizeof *m);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK); /* a FIFO must not block */
    if (fd < 0)
        return errno;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return e;
    }
    if (S_ISDIR(st.st_mode) || !S_ISREG(st.st_mode)) {
        close(fd);
        return S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
    }
    if ((uint64_t)st.st_size > (uint64_t)SIZE_MAX) {
        close(fd);
        return EFBIG;
    }
    if (st.st_size > 0) {
        void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            int e = errno;
            close(fd);
            return e;
        }
        m->data = p;
        m->size = (uint64_t)st.st_size;
    }
    close(fd);
    m->path = strdup(path);
    if (!m->path) {
        slm_map_close(m);
        return ENOMEM;
    }
    return 0;
}

void slm_map_close(slm_map *m)
{
    if (m->data)
        munmap((void *)m->data, (size_t)m->size);
    free(m->path);
    memset(m, 0, sizeof *m);
}

/* ---- cursor -------------------------------------------------------------- */

bool slm_cur_u8(slm_cur *c, uint8_t *v)
{
    if (slm_cur_left(c) < 1)
        return false;
    *v = c->p[c->pos++];
    return true;
}

bool slm_cur_u32le(slm_cur *c, uint32_t *v)
{
    if (slm_cur_left(c) < 4)
        return false;
    const uint8_t *p = c->p + c->pos;
    *v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    c->pos += 4;
    return true;
}

bool slm_cur_u64le(slm_cur *c, uint64_t *v)
{
    if (slm_cur_left(c) < 8)
        return false;
    uint64_t r = 0;
    for (int i = 7; i >= 0; i--)
        r = r << 8 | c->p[c->pos + (size_t)i];
    c->pos += 8;
    *v = r;
    return true;
}

bool slm_cur_take(slm_cur *c, uint64_t n, const uint8_t **view)
{
    if (n > slm_cur_left(c))
        return false;
    *view = c->p + c->pos;
    c->pos += (size_t)n;
    return true;
}

bool slm_cur_skip(slm_cur *c, uint64_t n)
{
    const uint8_t *unused;
    return slm_cur_take(c, n, &unused);
}

bool slm_cur_uleb(slm_cur *c, unsigned max_bits, uint64_t *v)
{
    uint64_t r = 0;
    for (unsigned shift = 0;; shift += 7) {
        uint8_t b;
        if (shift >= max_bits || !slm_cur_u8(c, &b))
            return false;
        uint64_t part = (uint64_t)(b & 0x7f);
        /* Bits beyond MAX_BITS must be zero. */
        if (max_bits - shift < 7 && (part >> (max_bits - shift)) != 0)
            return false;
        r |= part << shift;
        if (!(b & 0x80)) {
            *v = r;
            return true;
        }
    }
}

/* ---- rules --------------------------------------------------------------- */

static const slm_rule RULES[] = {
#define SLM_RULE(sym, id, sev, title, help) {id, sev, title, help},
#include "slm/rules.def"
#undef SLM_RULE
};
_Static_assert(sizeof RULES / sizeof RULES[0] == SLM_R__COUNT, "rule table and enum agree");

const slm_rule *slm_rule_get(slm_rule_id r)
{
    return (unsigned)r < SLM_R__COUNT ? &RULES[r] : NULL;
}

const slm_rule *slm_rule_find(const char *id)
{
    for (size_t i = 0; i < SLM_R__COUNT; i++)
        if (strcmp(RULES[i].id, id) == 0)
            return &RULES[i];
    return NULL;
}

const char *slm_severity_name(slm_severity s)
{
    return s == SLM_ERROR ? "error" : s == SLM_WARNING ? "warning" : "info";
}

/* ---- findings ------------------------------------------------------------ */

void slm_diag_init(slm_diag *d) { memset(d, 0, sizeof *d); }

static void finding_free(slm_finding *f)
{
    free(f->file);
    free(f->path);
    free(f->message);
}

void slm_diag_free(slm_diag *d)
{
    for (size_t i = 0; i < d->n; i++)
        finding_free(&d->v[i]);
    free(d->v);
    slm_diag_init(d);
}

static bool diag_push(slm_diag *d, slm_finding *f)
{
    d->count[f->severity]++;
    if (d->per_rule[f->rule] >= SLM_DIAG_MAX_KEEP) {
        d->dropped++;
        return false;
    }
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 16;
        slm_finding *v = realloc(d->v, cap * sizeof *v);
        if (!v) {
            d->dropped++;
            return false;
        }
        d->v = v;
        d->cap = cap;
    }
    d->per_rule[f->rule]++;
    d->v[d->n++] = *f;
    return true;
}

void slm_vreport(slm_diag *d, slm_rule_id rule, const char *file, int64_t offset,
                 const char *path, const char *fmt, va_list ap)
{
    slm_finding f = {rule, RULES[rule].severity, NULL, offset, NULL, NULL};
    if (d->per_rule[rule] >= SLM_DIAG_MAX_KEEP) { /* count it, keep nothing */
        d->count[f.severity]++;
        d->dropped++;
        return;
    }
    if (vasprintf(&f.message, fmt, ap) < 0)
        f.message = NULL;
    f.file = file ? strdup(file) : NULL;
    f.path = path ? strdup(path) : NULL;
    if (!diag_push(d, &f))
        finding_free(&f);
}

void slm_report(slm_diag *d, slm_rule_id rule, const char *file, int64_t offset,
                const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    slm_vreport(d, rule, file, offset, path, fmt, ap);
    va_end(ap);
}

void slm_diag_move(slm_diag *dst, slm_diag *src)
{
    for (size_t i = 0; i < src->n; i++) {
        if (!diag_push(dst, &src->v[i]))
            finding_free(&src->v[i]);
        dst->count[src->v[i].severity]--; /* recounted below */
    }
    for (int s = 0; s < 3; s++)
        dst->count[s] += src->count[s];
    dst->dropped += src->dropped;
    free(src->v);
    slm_diag_init(src);
}

static int strcmp_null(const char *a, const char *b)
{
    if (!a || !b)
        return (a != NULL) - (b != NULL);
    return strcmp(a, b);
}

static int finding_cmp(const void *pa, const void *pb)
{
    const slm_finding *a = pa, *b = pb;
    int c = strcmp_null(a->file, b->file);
    if (c)
        return c;
    if (a->offset != b->offset)
        return a->offset < b->offset ? -1 : 1;
    if ((c = strcmp_null(a->path, b->path)))
        return c;
    if ((c = strcmp(RULES[a->rule].id, RULES[b->rule].id)))
        return c;
    return strcmp_null(a->message, b->message);
}

void slm_diag_sort(slm_diag *d)
{
    if (d->n > 1)
        qsort(d->v, d->n, sizeof d->v[0], finding_cmp);
}

size_t slm_diag_count_at_least(const slm_diag *d, slm_severity min)
{
    size_t n = 0;
    for (int s = (int)min; s <= SLM_ERROR; s++)
        n += d->count[s];
    return n;
}

/* ---- helpers ------------------------------------------------------------- */

char *slm_strdupf(const char *fmt, ...)
{
    va_list ap;
    char *s;
    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0)
        s = NULL;
    va_end(ap);
    return s;
}

char *slm_strndup(const char *s, size_t n)
{
    char *r = malloc(n + 1);
    if (r) {
        memcpy(r, s, n);
        r[n] = 0;
    }
    return r;
}

/* Length of the UTF-8 sequence at P (at most N bytes), 0 when invalid. */
static size_t utf8_seq(const uint8_t *p, size_t n)
{
    uint8_t b = p[0];
    size_t len;
    uint32_t cp;
    if (b < 0x80)
        return 1;
    if (b >= 0xc2 && b <= 0xdf) { len = 2; cp = b & 0x1f; }
    else if (b >= 0xe0 && b <= 0xef) { len = 3; cp = b & 0x0f; }
    else if (b >= 0xf0 && b <= 0xf4) { len = 4; cp = b & 0x07; }
    else return 0;
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (p[i] & 0x3f);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0;
    return len;
}

size_t slm_utf8_check(const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        size_t l = utf8_seq(p + i, n - i);
        if (!l)
            return i;
        i += l;
    }
    return n;
}

const char *slm_printable(char *buf, size_t bufsz, const char *s, size_t n)
{
    size_t o = 0;
    const uint8_t *p = (const uint8_t *)s;
    if (bufsz < 8) {
        if (bufsz)
            buf[0] = 0;
        return buf;
    }
    for (size_t i = 0; i < n;) {
        size_t l = p[i] >= 0x20 && p[i] != 0x7f ? utf8_seq(p + i, n - i) : 0;
        size_t need = l ? l : 4;
        if (o + need + 4 > bufsz) {
            memcpy(buf + o, "...", 4);
            return buf;
        }
        if (l) {
            memcpy(buf + o, p + i, l);
            o += l;
            i += l;
        } else {
            snprintf(buf + o, 5, "\\x%02x", p[i]);
            o += 4;
            i++;
        }
    }
    buf[o] = 0;
    return buf;
}

char *slm_jptr(const char *base, const char *key)
{
    size_t bl = base ? strlen(base) : 0, kl = strlen(key), extra = 0;
    for (size_t i = 0; i < kl; i++)
        extra += key[i] == '~' || key[i] == '/';
    char *r = malloc(bl + 1 + kl + extra + 1), *o;
    if (!r)
        return NULL;
    memcpy(r, base ? base : "", bl);
    o = r + bl;
    *o++ = '/';
    for (size_t i = 0; i < kl; i++) {
        if (key[i] == '~') { *o++ = '~'; *o++ = '0'; }
        else if (key[i] == '/') { *o++ = '~'; *o++ = '1'; }
        else *o++ = key[i];
    }
    *o = 0;
    return r;
}

char *slm_jptr_idx(const char *base, uint64_t index)
{
    return slm_strdupf("%s/%llu", base ? base : "", (unsigned long long)index);
}

/* slminspect parsing core: checked arithmetic, read-only file maps, bounded
 * cursors, rules and findings.
 *
 * Everything a parser reads goes through an slm_cur, whose every read is
 * checked against the bytes that remain.  Every size computed from file data
 * goes through slm_mul_u64/slm_add_u64.  Parsers report problems as findings
 * (slm_report) and never print or exit. */
#ifndef SLM_CORE_H
#define SLM_CORE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SLM_VERSION "0.1.0"

#if defined(__GNUC__) || defined(__clang__)
#define SLM_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define SLM_PRINTF(a, b)
#endif

/* ---- checked arithmetic: false on overflow ------------------------------ */
static inline bool slm_mul_u64(uint64_t a, uint64_t b, uint64_t *r)
{
    return !__builtin_mul_overflow(a, b, r);
}
static inline bool slm_add_u64(uint64_t a, uint64_t b, uint64_t *r)
{
    return !__builtin_add_overflow(a, b, r);
}

/* ---- read-only file maps ------------------------------------------------- */
typedef struct slm_map {
    const uint8_t *data; /* NULL for an empty file */
    uint64_t size;
    char *path;          /* as given to slm_map_open */
} slm_map;

/* Maps PATH read-only.  Returns 0, or an errno value (EISDIR for a folder,
 * EFBIG for a file too large for the address space). */
int slm_map_open(slm_map *m, const char *path);
void slm_map_close(slm_map *m);

/* ---- bounded cursor ------------------------------------------------------ */
typedef struct slm_cur {
    const uint8_t *p;
    size_t len;
    size_t pos;
} slm_cur;

static inline slm_cur slm_cur_make(const void *p, size_t len)
{
    slm_cur c = {(const uint8_t *)p, len, 0};
    return c;
}
static inline size_t slm_cur_left(const slm_cur *c) { return c->len - c->pos; }

bool slm_cur_u8(slm_cur *c, uint8_t *v);
bool slm_cur_u32le(slm_cur *c, uint32_t *v);
bool slm_cur_u64le(slm_cur *c, uint64_t *v);
/* A view of the next N bytes; no copy. */
bool slm_cur_take(slm_cur *c, uint64_t n, const uint8_t **view);
bool slm_cur_skip(slm_cur *c, uint64_t n);
/* Unsigned LEB128 / protobuf varint of at most MAX_BITS significant bits
 * (64 for protobuf, 32 for wasm u32).  Rejects over-long encodings whose
 * extra bits are not zero. */
bool slm_cur_uleb(slm_cur *c, unsigned max_bits, uint64_t *v);

/* ---- rules --------------------------------------------------------------- */
typedef enum slm_severity { SLM_INFO = 0, SLM_WARNING = 1, SLM_ERROR = 2 } slm_severity;

/* One enumerator per rule, from the rule tables (rules_*.def). */
typedef enum slm_rule_id {
#define SLM_RULE(sym, id, sev, title, help) SLM_R_##sym,
#include "slm/rules.def"
#undef SLM_RULE
    SLM_R__COUNT
} slm_rule_id;

typedef struct slm_rule {
    const char *id;     /* "ST-001": the same string in spec/, code and tests */
    slm_severity severity;
    const char *title;  /* one line: what is wrong */
    const char *help;   /* one line: how to fix it */
} slm_rule;

const slm_rule *slm_rule_get(slm_rule_id r);
/* NULL when ID names no rule. */
const slm_rule *slm_rule_find(const char *id);
const char *slm_severity_name(slm_severity s);

/* ---- findings ------------------------------------------------------------ */
typedef struct slm_finding {
    slm_rule_id rule;
    slm_severity severity; /* the rule's */
    char *file;            /* display path of the file concerned */
    int64_t offset;        /* byte offset in FILE, or -1 */
    char *path;            /* JSON pointer or element path, or NULL */
    char *message;         /* says what was expected and what was found */
} slm_finding;

/* A list of findings.  It keeps at most SLM_DIAG_MAX_KEEP per rule and counts
 * the rest (dropped), so hostile input cannot grow it without bound. */
#define SLM_DIAG_MAX_KEEP 1000
typedef struct slm_diag {
    slm_finding *v;
    size_t n, cap;
    size_t dropped;
    size_t count[3];          /* by severity, dropped ones included */
    uint32_t per_rule[SLM_R__COUNT];
} slm_diag;

void slm_diag_init(slm_diag *d);
void slm_diag_free(slm_diag *d);
void slm_report(slm_diag *d, slm_rule_id rule, const char *file, int64_t offset,
                const char *path, const char *fmt, ...) SLM_PRINTF(6, 7);
void slm_vreport(slm_diag *d, slm_rule_id rule, const char *file, int64_t offset,
                 const char *path, const char *fmt, va_list ap);
/* Moves every finding of SRC into DST. */
void slm_diag_move(slm_diag *dst, slm_diag *src);
/* Sorts by file, then offset, then path, then rule: stable output. */
void slm_diag_sort(slm_diag *d);
/* Number of findings of severity >= MIN. */
size_t slm_diag_count_at_least(const slm_diag *d, slm_severity min);

/* ---- small helpers ------------------------------------------------------- */
/* Returns a malloc'd printf-formatted string, or NULL on allocation failure. */
char *slm_strdupf(const char *fmt, ...) SLM_PRINTF(1, 2);
char *slm_strndup(const char *s, size_t n);
/* Writes S (N bytes, not trusted) into BUF as printable text: control bytes
 * and invalid UTF-8 become \xNN, and it is cut to fit with "...". */
const char *slm_printable(char *buf, size_t bufsz, const char *s, size_t n);
/* First byte offset of invalid UTF-8 in P[0..N), or N when valid. */
size_t slm_utf8_check(const uint8_t *p, size_t n);
/* RFC 6901 JSON pointer: appends "/" + escaped KEY to BASE (malloc'd). */
char *slm_jptr(const char *base, const char *key);
char *slm_jptr_idx(const char *base, uint64_t index);

#ifdef __cplusplus
}
#endif
#endif

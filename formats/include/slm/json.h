/* JSON documents: cJSON trees with exact integers, source offsets and a
 * strict grammar.
 *
 * slm_json_parse first scans the text with a strict RFC 8259 scanner (the
 * grammar of serde_json and Python's json: no control characters in strings,
 * no leading zeros, a nesting limit) that records every value's byte span,
 * then builds the tree with cJSON.  cJSON keeps numbers as double only, so
 * integers are read exactly from their source text (slm_json_u64); cJSON keeps
 * duplicate keys, so slm_json_dup finds them.
 *
 * Each item's valueint holds the index of its source span: read numbers only
 * through slm_json_u64/slm_json_f64, never through valueint. */
#ifndef SLM_JSON_H
#define SLM_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Flags of a span. */
#define SLM_JSPAN_HUGE 1u      /* number beyond the range of double (1e400) */
#define SLM_JSPAN_SURROGATE 2u /* string or key with a lone UTF-16 surrogate escape */
#define SLM_JSPAN_NUL 4u       /* string or key with a \u0000 escape (cJSON cuts it there) */

typedef struct slm_json_span {
    size_t off, len;   /* the value's bytes in the text */
    size_t key_off;    /* its key's opening quote, or SIZE_MAX outside objects */
    unsigned flags;    /* SLM_JSPAN_*, value and key together */
} slm_json_span;

typedef struct slm_json {
    cJSON *root;
    const char *text;  /* the parsed text (a view; it must outlive the document) */
    size_t len;
    slm_json_span *spans;
    size_t nspans;
    size_t lead_ws, trail_ws; /* whitespace bytes before and after the value */
    unsigned flags;           /* OR of every span's flags */
    /* On a syntax error: */
    size_t err_off;
    char err[128];
} slm_json;

#define SLM_JSON_DEPTH_SERDE 127   /* deepest nesting serde_json accepts */
#define SLM_JSON_DEPTH_DEFAULT 512

/* 0 on success; -1 on a syntax error (err, err_off set); -2 when out of
 * memory.  Always call slm_json_free. */
int slm_json_parse(slm_json *j, const char *text, size_t len, unsigned max_depth);
void slm_json_free(slm_json *j);

const slm_json_span *slm_json_span_of(const slm_json *j, const cJSON *item);
/* Byte offset of ITEM's value (or of its key when KEY is set). */
size_t slm_json_off(const slm_json *j, const cJSON *item, bool key);

enum slm_jnum { SLM_JNUM_OK = 0, SLM_JNUM_NOTNUM, SLM_JNUM_FRACTION, SLM_JNUM_NEGATIVE, SLM_JNUM_RANGE };
/* An unsigned integer written without sign, fraction or exponent, exactly. */
enum slm_jnum slm_json_u64(const slm_json *j, const cJSON *item, uint64_t *out);
/* A signed integer, exactly (no fraction or exponent). */
enum slm_jnum slm_json_i64(const slm_json *j, const cJSON *item, int64_t *out);
/* Any number as double. */
bool slm_json_f64(const slm_json *j, const cJSON *item, double *out);

/* The first member of OBJ whose key repeats an earlier member's, or NULL. */
const cJSON *slm_json_dup(const cJSON *obj);
/* For each member of OBJ, in order: true when a later member has the same
 * key (readers keep the later one).  A malloc'd array of *N flags (NULL when
 * OBJ has no members or memory runs out). */
bool *slm_json_superseded(const cJSON *obj, size_t *n);
/* The last member of OBJ with KEY (Python's json and serde keep the last);
 * NULL when absent or OBJ is not an object. */
const cJSON *slm_json_get(const cJSON *obj, const char *key);
/* Name of ITEM's JSON type, for messages. */
const char *slm_json_type(const cJSON *item);

#ifdef __cplusplus
}
#endif
#endif

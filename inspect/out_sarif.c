/* SARIF 2.1.0 output of findings (--format sarif), for code-scanning UIs.
 *
 *   {"$schema", "version": "2.1.0", "runs": [{
 *       "tool": {"driver": {"name", "version", "semanticVersion", "rules": [rule...]}},
 *       "invocations": [{"executionSuccessful": true, "toolExecutionNotifications"?}],
 *       "results": [{"ruleId", "ruleIndex", "level", "message": {"text"},
 *                    "locations": [{"physicalLocation": {"artifactLocation": {"uri"},
 *                                                        "region"?: {"byteOffset"}},
 *                                   "logicalLocations"?: [{"fullyQualifiedName"}]}]}],
 *       "properties": {"errors", "warnings", "infos", "not_listed"?}}]}
 *
 * driver.rules lists the rules the results reference, in the rule table's
 * order (ruleIndex points into it): a log stays small enough to keep one per
 * CI job, and `slminspect rules --json` has the whole table.  Each rule has
 * its title (shortDescription), its severity (defaultConfiguration.level),
 * its fix and the spec/ document that specifies it (help). */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int out_parse_format(const char *s)
{
    if (strcmp(s, "text") == 0)
        return OUT_TEXT;
    if (strcmp(s, "json") == 0)
        return OUT_JSON;
    if (strcmp(s, "sarif") == 0)
        return OUT_SARIF;
    return -1;
}

#define SARIF_SCHEMA "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

/* Rule ID prefix -> the document that specifies it (the table of spec/README.md). */
static const struct {
    const char *prefix, *doc;
} SPEC_DOCS[] = {
    {"IO", "core.md"},     {"JS", "core.md"},   {"ST", "safetensors.md"}, {"IX", "hf-index.md"},
    {"QT", "quant.md"},    {"ONNX", "onnx.md"}, {"MLC", "mlc.md"},        {"WASM", "wasm.md"},
    {"WEBLLM", "webllm.md"}, {"CF", "config.md"}, {"TGT", "target.md"},   {"HS", "hash.md"},
    {"CI", "ci.md"},       {"GGUF", "gguf.md"},
};

static const char *spec_doc(const char *id)
{
    const char *dash = strrchr(id, '-');
    size_t n = dash ? (size_t)(dash - id) : strlen(id);
    for (size_t i = 0; i < sizeof SPEC_DOCS / sizeof SPEC_DOCS[0]; i++)
        if (strlen(SPEC_DOCS[i].prefix) == n && strncmp(SPEC_DOCS[i].prefix, id, n) == 0)
            return SPEC_DOCS[i].doc;
    return "README.md";
}

static const char *level_of(slm_severity s)
{
    return s == SLM_ERROR ? "error" : s == SLM_WARNING ? "warning" : "note";
}

static const char *severity_meaning(slm_severity s)
{
    return s == SLM_ERROR ? "Severity error: the input is rejected (slminspect exits 1)."
         : s == SLM_WARNING ? "Severity warning: slminspect is stricter than the reference implementation here; "
                              "--strict makes it fail."
                            : "Severity info: a fact worth knowing; only --fail-on info makes it fail.";
}

/* A growing string; on allocation failure it stays NULL (the caller emits ""). */
typedef struct sbuf {
    char *p;
    size_t n, cap;
    bool failed;
} sbuf;

static void sb_putc(sbuf *b, char c)
{
    if (b->failed)
        return;
    if (b->n + 2 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        char *p = realloc(b->p, cap);
        if (!p) {
            free(b->p);
            *b = (sbuf){NULL, 0, 0, true};
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    b->p[b->n++] = c;
    b->p[b->n] = 0;
}

static void sb_puts(sbuf *b, const char *s)
{
    while (*s)
        sb_putc(b, *s++);
}

/* CommonMark: ASCII punctuation that could start markup is backslash-escaped. */
static void sb_markdown(sbuf *b, const char *s)
{
    for (; *s; s++) {
        if (strchr("\\`*_[]<>|~&", *s))
            sb_putc(b, '\\');
        sb_putc(b, *s);
    }
}

/* "TensorDataDoNotTileTheBuffer": SARIF's name, an identifier from the title. */
static void sb_camel(sbuf *b, const char *title)
{
    bool up = true;
    for (const char *s = title; *s; s++) {
        char c = *s;
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum) {
            up = true;
            continue;
        }
        sb_putc(b, up && c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c);
        up = false;
    }
}

static void add_sb(cJSON *o, const char *key, sbuf *b)
{
    cJSON_AddStringToObject(o, key, b->p ? b->p : "");
    free(b->p);
    *b = (sbuf){0};
}

/* Integers are written exactly ("%lld"): cJSON writes doubles, and some
 * integers of 10^15 and above with an exponent, which SARIF's draft-04
 * schema does not take as integers. */
static void add_int(cJSON *o, const char *key, long long v)
{
    char buf[24];
    snprintf(buf, sizeof buf, "%lld", v);
    cJSON_AddRawToObject(o, key, buf);
}

static cJSON *message(const char *text)
{
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "text", text);
    return m;
}

static cJSON *rule_json(const slm_rule *r)
{
    const char *doc = spec_doc(r->id);
    cJSON *o = cJSON_CreateObject();
    sbuf b = {0};
    cJSON_AddStringToObject(o, "id", r->id);
    sb_camel(&b, r->title);
    add_sb(o, "name", &b);
    cJSON_AddItemToObject(o, "shortDescription", message(r->title));
    sb_puts(&b, r->title);
    sb_puts(&b, ". ");
    sb_puts(&b, severity_meaning(r->severity));
    sb_puts(&b, " Specified in spec/");
    sb_puts(&b, doc);
    sb_puts(&b, ".");
    cJSON *full = cJSON_CreateObject();
    add_sb(full, "text", &b);
    cJSON_AddItemToObject(o, "fullDescription", full);
    cJSON *help = cJSON_CreateObject();
    sb_puts(&b, "Fix: ");
    sb_puts(&b, r->help);
    sb_puts(&b, ". Rule ");
    sb_puts(&b, r->id);
    sb_puts(&b, " is specified in spec/");
    sb_puts(&b, doc);
    sb_puts(&b, " ('slminspect rules ");
    sb_puts(&b, r->id);
    sb_puts(&b, "' prints it).");
    add_sb(help, "text", &b);
    sb_puts(&b, "**");
    sb_puts(&b, r->id);
    sb_puts(&b, "**: ");
    sb_markdown(&b, r->title);
    sb_puts(&b, "\n\n**Fix:** ");
    sb_markdown(&b, r->help);
    sb_puts(&b, ".\n\nSpecified in `spec/");
    sb_puts(&b, doc);
    sb_puts(&b, "`; `slminspect rules ");
    sb_puts(&b, r->id);
    sb_puts(&b, "` prints it.");
    add_sb(help, "markdown", &b);
    cJSON_AddItemToObject(o, "help", help);
    cJSON *cfg = cJSON_AddObjectToObject(o, "defaultConfiguration");
    cJSON_AddStringToObject(cfg, "level", level_of(r->severity));
    return o;
}

/* A URI reference for a display path (RFC 3986): an absolute path becomes a
 * file:// URI, a relative one a relative reference; every byte but the
 * unreserved characters, sub-delims, '@' and '/' is percent-encoded (':' too
 * in relative references, where a first segment "a:b" would read as a scheme). */
static void sb_uri(sbuf *b, const char *path)
{
    static const char hex[] = "0123456789ABCDEF";
    bool abs = path[0] == '/';
    if (abs)
        sb_puts(b, "file://");
    for (const unsigned char *s = (const unsigned char *)path; *s; s++) {
        unsigned char c = *s;
        bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    (c && strchr("-._~!$&'()*+,;=@/", c)) || (abs && c == ':');
        if (keep) {
            sb_putc(b, (char)c);
        } else {
            sb_putc(b, '%');
            sb_putc(b, hex[c >> 4]);
            sb_putc(b, hex[c & 15]);
        }
    }
}

/* Line and column (1-based, columns in bytes) of OFFSET in a text file, for
 * code-scanning UIs that place results by line.  Only JSON documents: a
 * line number in a binary file means nothing.  The file stays mapped for the
 * findings after it (they are sorted by file). */
typedef struct textpos {
    char *file;
    slm_map map;
    bool ok;
} textpos;

static bool line_of(textpos *tp, const char *file, int64_t offset, long long *line, long long *col)
{
    size_t n = strlen(file);
    if (n < 5 || strcmp(file + n - 5, ".json") != 0)
        return false;
    if (!tp->file || strcmp(tp->file, file) != 0) {
        if (tp->ok)
            slm_map_close(&tp->map);
        free(tp->file);
        tp->file = strdup(file);
        tp->ok = tp->file && slm_map_open(&tp->map, file) == 0;
    }
    if (!tp->ok || (uint64_t)offset > tp->map.size)
        return false;
    const uint8_t *p = tp->map.data, *end = p + offset, *bol = p;
    long long l = 1;
    for (const uint8_t *q; p && (q = memchr(p, '\n', (size_t)(end - p))); p = q + 1, bol = p)
        l++;
    *line = l;
    *col = (long long)(end - bol) + 1;
    return true;
}

static void textpos_free(textpos *tp)
{
    if (tp->ok)
        slm_map_close(&tp->map);
    free(tp->file);
}

static cJSON *result_json(const slm_finding *x, int index, textpos *tp)
{
    const slm_rule *r = slm_rule_get(x->rule);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "ruleId", r->id);
    add_int(o, "ruleIndex", index);
    cJSON_AddStringToObject(o, "level", level_of(x->severity));
    cJSON_AddItemToObject(o, "message", message(x->message && *x->message ? x->message : r->title));
    bool file = x->file && *x->file;
    if (!file && !x->path)
        return o;
    cJSON *loc = cJSON_CreateObject();
    if (file) {
        cJSON *pl = cJSON_AddObjectToObject(loc, "physicalLocation");
        cJSON *al = cJSON_AddObjectToObject(pl, "artifactLocation");
        sbuf b = {0};
        sb_uri(&b, x->file);
        add_sb(al, "uri", &b);
        if (x->offset >= 0) {
            cJSON *rg = cJSON_AddObjectToObject(pl, "region");
            long long line, col;
            if (line_of(tp, x->file, x->offset, &line, &col)) {
                add_int(rg, "startLine", line);
                add_int(rg, "startColumn", col);
            }
            add_int(rg, "byteOffset", (long long)x->offset);
        }
    }
    if (x->path) {
        cJSON *ll = cJSON_AddArrayToObject(loc, "logicalLocations"), *l = cJSON_CreateObject();
        cJSON_AddStringToObject(l, "fullyQualifiedName", x->path);
        cJSON_AddItemToArray(ll, l);
    }
    cJSON *locs = cJSON_AddArrayToObject(o, "locations");
    cJSON_AddItemToArray(locs, loc);
    return o;
}

cJSON *out_sarif(const slm_diag *d)
{
    cJSON *log = cJSON_CreateObject();
    cJSON_AddStringToObject(log, "$schema", SARIF_SCHEMA);
    cJSON_AddStringToObject(log, "version", "2.1.0");
    cJSON *runs = cJSON_AddArrayToObject(log, "runs"), *run = cJSON_CreateObject();
    cJSON_AddItemToArray(runs, run);
    cJSON *driver = cJSON_AddObjectToObject(cJSON_AddObjectToObject(run, "tool"), "driver");
    cJSON_AddStringToObject(driver, "name", "slminspect");
    cJSON_AddStringToObject(driver, "version", SLM_VERSION);
    cJSON_AddStringToObject(driver, "semanticVersion", SLM_VERSION);

    /* The referenced rules, in table order; index[rule] is its ruleIndex. */
    bool used[SLM_R__COUNT] = {false};
    int index[SLM_R__COUNT];
    for (size_t i = 0; i < d->n; i++)
        if ((unsigned)d->v[i].rule < SLM_R__COUNT)
            used[d->v[i].rule] = true;
    cJSON *rules = cJSON_AddArrayToObject(driver, "rules");
    int nrules = 0;
    for (int i = 0; i < SLM_R__COUNT; i++) {
        index[i] = used[i] ? nrules++ : -1;
        if (used[i])
            cJSON_AddItemToArray(rules, rule_json(slm_rule_get((slm_rule_id)i)));
    }

    cJSON *inv = cJSON_CreateObject();
    cJSON_AddBoolToObject(inv, "executionSuccessful", true);
    if (d->dropped) {
        cJSON *notes = cJSON_AddArrayToObject(inv, "toolExecutionNotifications"), *n = cJSON_CreateObject();
        char text[160];
        snprintf(text, sizeof text, "%zu more findings not listed: at most %d per rule are kept", d->dropped,
                 SLM_DIAG_MAX_KEEP);
        cJSON_AddItemToObject(n, "message", message(text));
        cJSON_AddStringToObject(n, "level", "warning");
        cJSON_AddItemToArray(notes, n);
    }
    cJSON_AddItemToArray(cJSON_AddArrayToObject(run, "invocations"), inv);

    cJSON *results = cJSON_AddArrayToObject(run, "results");
    textpos tp = {NULL, {0}, false};
    for (size_t i = 0; i < d->n; i++)
        if ((unsigned)d->v[i].rule < SLM_R__COUNT)
            cJSON_AddItemToArray(results, result_json(&d->v[i], index[d->v[i].rule], &tp));
    textpos_free(&tp);
    cJSON *props = cJSON_AddObjectToObject(run, "properties");
    add_int(props, "errors", (long long)d->count[SLM_ERROR]);
    add_int(props, "warnings", (long long)d->count[SLM_WARNING]);
    add_int(props, "infos", (long long)d->count[SLM_INFO]);
    if (d->dropped)
        add_int(props, "not_listed", (long long)d->dropped);
    return log;
}

void out_sarif_unsuccessful(cJSON *log, const char *why)
{
    cJSON *inv = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(log, "runs"), 0),
                                                        "invocations"), 0);
    if (!inv)
        return;
    cJSON_ReplaceItemInObjectCaseSensitive(inv, "executionSuccessful", cJSON_CreateFalse());
    cJSON *notes = cJSON_GetObjectItem(inv, "toolExecutionNotifications"), *n = cJSON_CreateObject();
    if (!notes)
        notes = cJSON_AddArrayToObject(inv, "toolExecutionNotifications");
    cJSON_AddItemToObject(n, "message", message(why));
    cJSON_AddStringToObject(n, "level", "error");
    cJSON_AddItemToArray(notes, n);
}

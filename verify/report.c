/* Findings reports read back (report.h).
 *
 * Grammar (spec/schema/findings.schema.json; unknown members are ignored):
 *   report  = { "findings": [finding...], "errors"?: N, "warnings"?: N, "infos"?: N,
 *               "not_listed"?: N, "checked"?: [{"path": S, "kind"?: S, ...}...],
 *               "command"?: S, ... }
 *   finding = { "rule": S, "severity": "error"|"warning"|"info", "file": S,
 *               "offset"?: N, "path"?: S, "message": S, ... }
 *   N       = an integer 0..2^53 (in any notation: 62, 62.0, 6.2e1)
 * The three counts come together or not at all; they count the findings
 * listed, by the severity each states, plus not_listed (findings over the
 * per-rule limit, which the report counts but does not list). */
#include "report.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXACT_MAX (UINT64_C(1) << 53)

typedef struct ctx {
    const slm_json *j;
    const char *file;
    slm_diag *into, *problems;
    uint64_t listed[3]; /* findings stating each severity */
} ctx;

static void problem(ctx *c, slm_rule_id rule, const cJSON *at, bool key, const char *ptr, const char *fmt, ...)
    SLM_PRINTF(6, 7);
static void problem(ctx *c, slm_rule_id rule, const cJSON *at, bool key, const char *ptr, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    slm_vreport(c->problems, rule, c->file, at ? (int64_t)slm_json_off(c->j, at, key) : -1, ptr, fmt, ap);
    va_end(ap);
}

/* A string member that cJSON holds whole: no \u0000 (cJSON cuts there), no
 * lone surrogate (not UTF-8). */
static bool whole_string(const ctx *c, const cJSON *v)
{
    const slm_json_span *s = slm_json_span_of(c->j, v);
    return cJSON_IsString(v) && v->valuestring && !(s && (s->flags & (SLM_JSPAN_NUL | SLM_JSPAN_SURROGATE)));
}

static int severity_of(const char *s)
{
    return strcmp(s, "error") == 0 ? SLM_ERROR : strcmp(s, "warning") == 0 ? SLM_WARNING
         : strcmp(s, "info") == 0  ? SLM_INFO  : -1;
}

/* Checks member KEY of finding F: a string when present, and present when
 * REQUIRED.  NULL with a problem reported when it is not. */
static const cJSON *string_member(ctx *c, const cJSON *f, const char *key, bool required, const char *ptr,
                                  bool *bad)
{
    const cJSON *v = slm_json_get(f, key);
    if (*bad || (!v && !required))
        return NULL;
    if (!v)
        problem(c, SLM_R_CI_004, f, false, ptr, "finding %s has no \"%s\", expected a string", ptr, key);
    else if (!cJSON_IsString(v))
        problem(c, SLM_R_CI_004, v, false, ptr, "finding %s: \"%s\" is %s, expected a string", ptr, key,
                slm_json_type(v));
    else if (!whole_string(c, v))
        problem(c, SLM_R_CI_004, v, false, ptr,
                "finding %s: \"%s\" has a \\u0000 escape or a lone surrogate, expected plain text", ptr, key);
    else
        return v;
    *bad = true;
    return NULL;
}

/* A number's value when it is an integer 0..2^53, read exactly from its text
 * in any JSON notation (62, 62.0, 6.2e1: cJSON writes some integers of 10^15
 * and above with an exponent).  0 such an integer, 1 not a non-negative
 * integer, 2 an integer beyond 2^53. */
static int exact_count(const ctx *c, const cJSON *v, uint64_t *out)
{
    const slm_json_span *sp = slm_json_span_of(c->j, v);
    if (!cJSON_IsNumber(v) || !sp || sp->len == 0 || c->j->text[sp->off] == '-')
        return 1;
    const char *p = c->j->text + sp->off, *end = p + sp->len, *m = p;
    int64_t T = 0, I = -1, first = -1, last = -1, e = 0, esign = 1;
    for (; p < end && *p != 'e' && *p != 'E'; p++) { /* the mantissa: digits and one '.' */
        if (*p == '.') {
            I = T;
            continue;
        }
        if (*p != '0') {
            if (first < 0)
                first = T;
            last = T;
        }
        T++;
    }
    if (I < 0)
        I = T;
    if (p < end) { /* the exponent, saturated: beyond 10^6 the answer no longer changes */
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            esign = *p++ == '-' ? -1 : 1;
        for (; p < end; p++)
            e = e < 1000000 ? e * 10 + (*p - '0') : e;
    }
    *out = 0;
    if (first < 0)
        return 0; /* zero */
    /* value = digits[first..last] x 10^k */
    int64_t k = esign * e - (T - I) + (T - 1 - last), len = last - first + 1;
    if (k < 0)
        return 1;
    if (len + k > 16)
        return 2;
    uint64_t x = 0;
    for (int64_t i = 0, t = 0; m + i < end && t <= last; i++) {
        if (m[i] == '.')
            continue;
        if (t >= first)
            x = x * 10 + (uint64_t)(m[i] - '0');
        t++;
    }
    for (int64_t i = 0; i < k; i++)
        x *= 10;
    *out = x;
    return x <= EXACT_MAX ? 0 : 2;
}

/* "offset": an integer 0..2^53, or -1 when absent.  False (after a problem) when malformed. */
static bool offset_member(ctx *c, const cJSON *f, const char *ptr, int64_t *off)
{
    const cJSON *v = slm_json_get(f, "offset");
    uint64_t x;
    *off = -1;
    if (!v)
        return true;
    int r = exact_count(c, v, &x);
    if (r == 0)
        *off = (int64_t)x;
    else if (r == 2)
        problem(c, SLM_R_JS_003, v, false, ptr, "finding %s: offset is beyond 2^53, expected an exact integer", ptr);
    else
        problem(c, SLM_R_CI_004, v, false, ptr, "finding %s: \"offset\" is %s, expected an integer >= 0", ptr,
                cJSON_IsNumber(v) ? "not a non-negative integer" : slm_json_type(v));
    return r == 0;
}

static void load_finding(ctx *c, const cJSON *f, size_t i)
{
    char *ptr = slm_jptr_idx("/findings", i), pbuf[96], mbuf[160], tbuf[512];
    const char *p = ptr ? ptr : "/findings";
    bool bad = false;
    if (!cJSON_IsObject(f)) {
        problem(c, SLM_R_CI_004, f, false, p, "finding %s is %s, expected an object", p, slm_json_type(f));
        free(ptr);
        return;
    }
    const cJSON *rule = string_member(c, f, "rule", true, p, &bad);
    const cJSON *sev = string_member(c, f, "severity", true, p, &bad);
    int s = sev ? severity_of(sev->valuestring) : -1;
    if (sev && s < 0) {
        problem(c, SLM_R_CI_004, sev, false, p, "finding %s: severity '%s', expected error, warning or info", p,
                slm_printable(pbuf, sizeof pbuf, sev->valuestring, strlen(sev->valuestring)));
        bad = true;
    }
    if (s >= 0)
        c->listed[s]++;
    const cJSON *file = string_member(c, f, "file", true, p, &bad);
    const cJSON *path = string_member(c, f, "path", false, p, &bad);
    const cJSON *msg = string_member(c, f, "message", true, p, &bad);
    int64_t off = -1;
    if (!bad && !offset_member(c, f, p, &off))
        bad = true;
    if (bad) {
        free(ptr);
        return;
    }
    const slm_rule *r = slm_rule_find(rule->valuestring);
    const char *fname = *file->valuestring ? file->valuestring : NULL;
    if (!r) {
        char fbuf[256], obuf[32] = "";
        if (off >= 0)
            snprintf(obuf, sizeof obuf, " @%lld", (long long)off);
        problem(c, SLM_R_CI_005, rule, false, p,
                "finding %s names rule '%s', which slminspect %s does not know (its finding: %s in %s%s%s%s: %s)", p,
                slm_printable(mbuf, sizeof mbuf, rule->valuestring, strlen(rule->valuestring)), SLM_VERSION,
                sev->valuestring, slm_printable(fbuf, sizeof fbuf, file->valuestring, strlen(file->valuestring)),
                obuf, path ? " " : "",
                path ? slm_printable(pbuf, sizeof pbuf, path->valuestring, strlen(path->valuestring)) : "",
                slm_printable(tbuf, sizeof tbuf, msg->valuestring, strlen(msg->valuestring)));
        free(ptr);
        return;
    }
    slm_rule_id id = (slm_rule_id)(r - slm_rule_get((slm_rule_id)0));
    if ((int)r->severity != s)
        problem(c, SLM_R_CI_006, sev, false, p, "finding %s: %s is %s in slminspect %s, the report says %s", p, r->id,
                slm_severity_name(r->severity), SLM_VERSION, sev->valuestring);
    slm_report(c->into, id, fname, off, path ? path->valuestring : NULL, "%s", msg->valuestring);
    free(ptr);
}

/* A count member: an integer 0..2^53.  False when absent or malformed (then a problem). */
static bool count_member(ctx *c, const cJSON *root, const char *key, uint64_t *v, bool *present)
{
    const cJSON *x = slm_json_get(root, key);
    *present = x != NULL;
    *v = 0;
    if (!x)
        return false;
    char ptr[32];
    snprintf(ptr, sizeof ptr, "/%s", key);
    int r = exact_count(c, x, v);
    if (r == 0)
        return true;
    if (r == 2)
        problem(c, SLM_R_JS_003, x, false, ptr, "\"%s\" is beyond 2^53, expected an exact integer", key);
    else
        problem(c, SLM_R_CI_007, x, false, ptr, "\"%s\" is %s, expected an integer >= 0", key,
                cJSON_IsNumber(x) ? "not a non-negative integer" : slm_json_type(x));
    *present = false;
    return false;
}

/* The counts against the findings listed; the not_listed ones (consistent
 * counts above the listed findings) are counted into INTO as dropped. */
static void load_counts(ctx *c, const cJSON *root, size_t count[3])
{
    static const char *const keys[3] = {"infos", "warnings", "errors"}; /* by slm_severity */
    uint64_t stated[3], nl;
    bool has[3], has_nl, malformed = false;
    int n = 0;
    for (int s = 0; s < 3; s++) {
        malformed |= !count_member(c, root, keys[s], &stated[s], &has[s]) && slm_json_get(root, keys[s]);
        n += has[s];
    }
    malformed |= !count_member(c, root, "not_listed", &nl, &has_nl) && slm_json_get(root, "not_listed");
    if (malformed || (n == 0 && !has_nl))
        return; /* a problem already, or no counts to check */
    if (n != 3) {
        problem(c, SLM_R_CI_007, root, false, NULL,
                "the report has%s%s%s%s, expected all of errors, warnings and infos or none of them",
                has[2] ? " errors" : "", has[1] ? " warnings" : "", has[0] ? " infos" : "",
                has_nl ? " not_listed" : "");
        return;
    }
    uint64_t extra = 0;
    bool agree = true;
    for (int s = 0; s < 3; s++) {
        agree = agree && stated[s] >= c->listed[s];
        extra += agree ? stated[s] - c->listed[s] : 0;
    }
    if (!agree || extra != nl) {
        problem(c, SLM_R_CI_007, slm_json_get(root, "errors"), true, "/errors",
                "the report counts %llu errors, %llu warnings, %llu infos (%llu not listed); it lists %llu errors, "
                "%llu warnings, %llu infos",
                (unsigned long long)stated[2], (unsigned long long)stated[1], (unsigned long long)stated[0],
                (unsigned long long)nl, (unsigned long long)c->listed[2], (unsigned long long)c->listed[1],
                (unsigned long long)c->listed[0]);
        return;
    }
    for (int s = 0; s < 3; s++) {
        size_t x = (size_t)(stated[s] - c->listed[s]);
        c->into->count[s] += x;
        c->into->dropped += x;
        count[s] += x;
    }
}

static cJSON *load_checked(ctx *c, const cJSON *root)
{
    const cJSON *ch = slm_json_get(root, "checked"), *e;
    if (!ch)
        return NULL;
    if (!cJSON_IsArray(ch)) {
        problem(c, SLM_R_CI_008, ch, false, "/checked", "\"checked\" is %s, expected an array", slm_json_type(ch));
        return NULL;
    }
    size_t i = 0;
    cJSON_ArrayForEach(e, ch)
    {
        const cJSON *p = slm_json_get(e, "path"), *k = slm_json_get(e, "kind");
        if (!cJSON_IsObject(e) || !whole_string(c, p) || (k && !whole_string(c, k))) {
            char *ptr = slm_jptr_idx("/checked", i);
            problem(c, SLM_R_CI_008, e, false, ptr ? ptr : "/checked",
                    "checked entry %s is not {\"path\": string, \"kind\": string}; the list is left out",
                    ptr ? ptr : "");
            free(ptr);
            return NULL;
        }
        i++;
    }
    return cJSON_Duplicate(ch, true);
}

/* The first repeated key anywhere under IT; CHAIN[0..*N) is the path to it. */
static const cJSON *dup_walk(const cJSON *it, const cJSON **chain, unsigned depth, unsigned *n)
{
    if (depth > SLM_REPORT_MAX_DEPTH)
        return NULL; /* deeper than the scanner lets through */
    if (cJSON_IsObject(it)) {
        const cJSON *d = slm_json_dup(it);
        if (d) {
            chain[depth] = d;
            *n = depth + 1;
            return d;
        }
    }
    if (cJSON_IsObject(it) || cJSON_IsArray(it))
        for (const cJSON *k = it->child; k; k = k->next) {
            chain[depth] = k;
            const cJSON *d = dup_walk(k, chain, depth + 1, n);
            if (d)
                return d;
        }
    return NULL;
}

static char *chain_pointer(const cJSON *root, const cJSON **chain, unsigned n)
{
    char *p = slm_strndup("", 0);
    const cJSON *parent = root;
    for (unsigned i = 0; i < n && p; i++) {
        char *q;
        if (cJSON_IsObject(parent)) {
            q = slm_jptr(p, chain[i]->string ? chain[i]->string : "");
        } else {
            uint64_t idx = 0;
            for (const cJSON *k = parent->child; k && k != chain[i]; k = k->next)
                idx++;
            q = slm_jptr_idx(p, idx);
        }
        free(p);
        p = q;
        parent = chain[i];
    }
    return p;
}

static void guess_command(const cJSON *root, char out[16])
{
    const cJSON *c = slm_json_get(root, "command");
    out[0] = 0;
    if (cJSON_IsString(c) && c->valuestring) {
        size_t n = strlen(c->valuestring);
        if (n == 0 || n >= 16 || strspn(c->valuestring, "abcdefghijklmnopqrstuvwxyz-") != n)
            return;
        memcpy(out, c->valuestring, n + 1);
    } else if (cJSON_IsArray(slm_json_get(root, "inputs"))) {
        strcpy(out, "merge");
    } else if (cJSON_IsArray(slm_json_get(root, "steps")) && slm_json_get(root, "result")) {
        strcpy(out, "gate");
    } else if (slm_json_get(root, "manifest") && slm_json_get(root, "files_checked")) {
        strcpy(out, "hash");
    } else if (slm_json_get(root, "quantized") && slm_json_get(root, "reference")) {
        strcpy(out, "quant");
    } else if (slm_json_get(root, "checked")) {
        strcpy(out, "verify");
    }
}

int slm_report_load(const char *text, size_t len, const char *file, slm_diag *into, slm_diag *problems,
                    slm_report_info *info)
{
    slm_report_info dummy;
    slm_report_info *inf = info ? info : &dummy;
    memset(inf, 0, sizeof *inf);
    slm_json j;
    memset(&j, 0, sizeof j);
    ctx c = {&j, file, into, problems, {0}};
    if (len > SLM_REPORT_MAX_BYTES) {
        slm_report(problems, SLM_R_CI_001, file, -1, NULL, "the report has %llu bytes, expected at most %u",
                   (unsigned long long)len, SLM_REPORT_MAX_BYTES);
        return -1;
    }
    if (!text)
        text = "";
    size_t bad = slm_utf8_check((const uint8_t *)text, len);
    if (bad < len) {
        slm_report(problems, SLM_R_JS_001, file, (int64_t)bad, NULL,
                   "invalid UTF-8 byte 0x%02x in the report, expected UTF-8 text (RFC 8259)", (unsigned char)text[bad]);
        return -1;
    }
    int rc = slm_json_parse(&j, text, len, SLM_REPORT_MAX_DEPTH);
    if (rc == -2) {
        slm_json_free(&j);
        return -2;
    }
    if (rc != 0) {
        slm_report(problems, SLM_R_JS_001, file, (int64_t)j.err_off, NULL, "the report is not valid JSON: %s", j.err);
        slm_json_free(&j);
        return -1;
    }
    const cJSON *root = j.root;
    const cJSON *chain[SLM_REPORT_MAX_DEPTH + 2];
    unsigned n = 0;
    const cJSON *dup = dup_walk(root, chain, 0, &n);
    if (dup) {
        char *ptr = chain_pointer(root, chain, n), kbuf[96];
        problem(&c, SLM_R_CI_003, dup, true, ptr, "key '%s' appears twice in one object; the report is left out",
                slm_printable(kbuf, sizeof kbuf, dup->string ? dup->string : "", dup->string ? strlen(dup->string) : 0));
        free(ptr);
        slm_json_free(&j);
        return -1;
    }
    const cJSON *fs = slm_json_get(root, "findings");
    if (!cJSON_IsArray(fs)) {
        problem(&c, SLM_R_CI_002, fs ? fs : root, false, fs ? "/findings" : NULL,
                cJSON_IsObject(root) ? "\"findings\" is %s, expected an array of findings"
                                     : "the report is %s, expected an object with a \"findings\" array",
                cJSON_IsObject(root) ? (fs ? slm_json_type(fs) : "absent") : slm_json_type(root));
        slm_json_free(&j);
        return -1;
    }
    guess_command(root, inf->command);
    size_t before[3], dropped_before = into->dropped, n0 = into->n;
    memcpy(before, into->count, sizeof before);
    size_t i = 0;
    const cJSON *f;
    cJSON_ArrayForEach(f, fs)
        load_finding(&c, f, i++);
    for (int s = 0; s < 3; s++)
        inf->count[s] = into->count[s] - before[s];
    inf->taken = (into->n - n0) + (into->dropped - dropped_before);
    load_counts(&c, root, inf->count);
    inf->checked = load_checked(&c, root);
    slm_json_free(&j);
    if (!info)
        slm_report_info_free(&dummy);
    return 0;
}

void slm_report_info_free(slm_report_info *info)
{
    cJSON_Delete(info->checked);
    info->checked = NULL;
}

static void add_count(cJSON *obj, const char *key, uint64_t v)
{
    char num[24];
    snprintf(num, sizeof num, "%llu", (unsigned long long)v);
    cJSON_AddRawToObject(obj, key, num);
}

void slm_report_add(cJSON *obj, const slm_diag *d)
{
    cJSON *a = cJSON_AddArrayToObject(obj, "findings");
    for (size_t i = 0; i < d->n; i++) {
        const slm_finding *x = &d->v[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "rule", slm_rule_get(x->rule)->id);
        cJSON_AddStringToObject(o, "severity", slm_severity_name(x->severity));
        cJSON_AddStringToObject(o, "file", x->file ? x->file : "");
        if (x->offset >= 0) /* exact: cJSON's doubles would round offsets past 2^53 */
            add_count(o, "offset", (uint64_t)x->offset);
        if (x->path)
            cJSON_AddStringToObject(o, "path", x->path);
        cJSON_AddStringToObject(o, "message", x->message ? x->message : "");
        if (slm_onnx_rule_judge(x->rule)) /* whose rule (spec/onnx.md "Two judges") */
            cJSON_AddStringToObject(o, "judge", slm_onnx_rule_judge(x->rule));
        cJSON_AddItemToArray(a, o);
    }
    add_count(obj, "errors", d->count[SLM_ERROR]);
    add_count(obj, "warnings", d->count[SLM_WARNING]);
    add_count(obj, "infos", d->count[SLM_INFO]);
    if (d->dropped)
        add_count(obj, "not_listed", d->dropped);
}

/* Findings output, exit codes and progress (cli.h). */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

cJSON *out_doc(const char *command)
{
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "command", command);
    cJSON_AddStringToObject(doc, "version", SLM_VERSION);
    return doc;
}

static _Thread_local struct capture {
    bool on;
    char *json, *error;
} capture;

void out_capture_begin(void)
{
    capture.on = true;
    capture.json = capture.error = NULL;
}

void out_capture_end(char **json, char **error)
{
    *json = capture.json;
    *error = capture.error;
    capture.on = false;
    capture.json = capture.error = NULL;
}

void out_print_json(cJSON *doc)
{
    char *s = cJSON_Print(doc);
    if (capture.on) {
        free(capture.json);
        capture.json = s;
    } else if (s) {
        fputs(s, stdout);
        fputc('\n', stdout);
        free(s);
    }
    cJSON_Delete(doc);
}

int out_exit_code(const slm_diag *d, slm_severity fail_at)
{
    return slm_diag_count_at_least(d, fail_at) ? EXIT_FINDINGS : EXIT_CLEAN;
}

void out_opts_init(out_opts *o)
{
    o->format = OUT_TEXT;
    o->format_set = false;
    o->fail_at = SLM_ERROR;
    o->quiet = false;
}

int out_parse_opt(out_opts *o, int c, const char *arg, const char *cmd)
{
    switch (c) {
    case OUT_O_JSON:
        o->format = OUT_JSON;
        o->format_set = true;
        return 0;
    case OUT_O_FORMAT:
        if ((o->format = out_parse_format(arg)) < 0)
            return usage_error(cmd, "--format takes text, json or sarif, not '%s'", arg);
        o->format_set = true;
        return 0;
    case OUT_O_STRICT:
        o->fail_at = SLM_WARNING;
        return 0;
    case OUT_O_FAIL_ON:
        if ((o->fail_at = out_parse_severity(arg)) < 0)
            return usage_error(cmd, "--fail-on takes error, warning or info, not '%s'", arg);
        return 0;
    case 'q':
        o->quiet = true;
        return 0;
    case OUT_O_ALL:
        out_set_show_all(true);
        return 0;
    }
    return -1;
}

bool out_parse_long(const char *s, long lo, long hi, long *v)
{
    char *end;
    errno = 0;
    long x = strtol(s, &end, 10);
    if (!*s || *end || errno || x < lo || x > hi)
        return false;
    *v = x;
    return true;
}

void out_add_metric(cJSON *o, const char *key, double v)
{
    if (isfinite(v))
        cJSON_AddNumberToObject(o, key, v);
    else if (isnan(v))
        cJSON_AddNullToObject(o, key);
    else
        cJSON_AddStringToObject(o, key, v > 0 ? "inf" : "-inf");
}

double out_jnum(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    if (cJSON_IsNumber(v))
        return v->valuedouble;
    if (cJSON_IsString(v) && strcmp(v->valuestring, "inf") == 0)
        return INFINITY;
    if (cJSON_IsString(v) && strcmp(v->valuestring, "-inf") == 0)
        return -INFINITY;
    return NAN;
}

const char *out_jstr(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

double out_jnum_or(const cJSON *o, const char *k, double absent)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : absent;
}

const char *out_jtext(const cJSON *o, const char *k)
{
    const char *s = out_jstr(o, k);
    return s ? s : "";
}

bool out_nothing_to_check(size_t nfiles, const slm_diag *d)
{
    if (nfiles)
        return false;
    for (size_t i = 0; i < d->n; i++)
        if (d->v[i].rule != SLM_R_IO_001)
            return false;
    return d->dropped == 0;
}

const char *out_unreadable(int e)
{
    return e == ENOTSUP ? "not a file kind slminspect reads" : strerror(e);
}

int out_parse_severity(const char *s)
{
    if (strcmp(s, "error") == 0)
        return SLM_ERROR;
    if (strcmp(s, "warning") == 0)
        return SLM_WARNING;
    if (strcmp(s, "info") == 0)
        return SLM_INFO;
    return -1;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void progress_init(progress *p, bool allowed)
{
    p->on = allowed && !capture.on && isatty(2);
    p->start = now();
    p->last = 0;
}

void progress_cb(void *arg, uint64_t done, uint64_t total, const char *what)
{
    progress *p = arg;
    if (!p || !p->on)
        return;
    double t = now();
    if (t - p->last < 0.1 && done < total)
        return;
    p->last = t;
    char a[32], b[32], r[32];
    double rate = t > p->start ? (double)done / (t - p->start) : 0;
    fprintf(stderr, "\r\033[K%s: %s / %s (%.0f%%), %s/s", what, slm_fmt_bytes(a, sizeof a, done),
            slm_fmt_bytes(b, sizeof b, total), total ? 100.0 * (double)done / (double)total : 100.0,
            slm_fmt_bytes(r, sizeof r, (uint64_t)rate));
    fflush(stderr);
}

void progress_end(progress *p)
{
    if (p->on && p->last > 0)
        fprintf(stderr, "\r\033[K");
}

int usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    if (capture.on) {
        char msg[512];
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        free(capture.error);
        capture.error = slm_strdupf("slminspect %s: %s", cmd, msg);
        return EXIT_USAGE;
    }
    fprintf(stderr, "slminspect %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'slminspect %s --help'.\n", cmd);
    return EXIT_USAGE;
}

/* Findings as text for people, folded (cli.h: out_findings_text).
 *
 * A person reads the first lines and should know what to fix; the rest is
 * evidence on demand (clang's notes and "N more errors", ruff --statistics).
 * So, unless --all:
 *   1. root causes first: findings of the rules in CAUSES, each in full;
 *   2. then, file by file, one entry per rule: a rule seen more than
 *      FOLD_SHOW times on a file prints its count, the first FOLD_SHOW
 *      examples and "N more (--all, or --json)"; a rule a root cause explains
 *      says so ("see WEBLLM-013 above");
 *   3. infos are counted, one line per rule, not listed.
 * With --all every finding is printed, one by one, as the library made it.
 * JSON and SARIF never fold: they hold every finding. */
#include "cli.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { FOLD_SHOW = 3, MAX_EVIDENCE = 8 };

/* Root causes, and the rules whose findings they explain. */
static const struct cause {
    slm_rule_id root;
    slm_rule_id evidence[MAX_EVIDENCE]; /* ends at the first 0 (IO-001 is never evidence) */
} CAUSES[] = {
    {SLM_R_IO_002, {SLM_R_ONNX_063, SLM_R_ONNX_064, SLM_R_QT_008}}, /* external data, a reference that is a pointer */
    {SLM_R_WEBLLM_009, {0}},
    {SLM_R_WEBLLM_013,
     {SLM_R_WEBLLM_001, SLM_R_WEBLLM_002, SLM_R_WEBLLM_003, SLM_R_WEBLLM_004, SLM_R_WEBLLM_005, SLM_R_WEBLLM_007}},
    {SLM_R_WEBLLM_011, {SLM_R_TGT_001}},
};
enum { NCAUSES = sizeof CAUSES / sizeof CAUSES[0] };

static bool show_all;

void out_set_show_all(bool all) { show_all = all; }
bool out_show_all(void) { return show_all; }

static const struct cause *cause_of(slm_rule_id r)
{
    for (size_t i = 0; i < NCAUSES; i++)
        if (CAUSES[i].root == r)
            return &CAUSES[i];
    return NULL;
}

/* The root cause present in D that explains rule R, or NULL. */
static const slm_rule *explained_by(const slm_diag *d, const bool *present, slm_rule_id r)
{
    (void)d;
    for (size_t i = 0; i < NCAUSES; i++)
        for (size_t k = 0; k < MAX_EVIDENCE && CAUSES[i].evidence[k]; k++)
            if (CAUSES[i].evidence[k] == r && present[i])
                return slm_rule_get(CAUSES[i].root);
    return NULL;
}

static void print_where(FILE *f, const slm_finding *x)
{
    if (x->offset >= 0)
        fprintf(f, " @%lld", (long long)x->offset);
    if (x->path)
        fprintf(f, " %s", x->path);
}

static void print_one(FILE *f, const slm_finding *x, bool with_file)
{
    const slm_rule *r = slm_rule_get(x->rule);
    fprintf(f, "  %-7s %s", slm_severity_name(x->severity), r->id);
    if (with_file && x->file)
        fprintf(f, " %s", x->file);
    print_where(f, x);
    fprintf(f, ": %s\n", x->message ? x->message : r->title);
    fprintf(f, "          %s; fix: %s\n", r->title, r->help);
}

static void print_every(FILE *f, const slm_diag *d)
{
    const char *file = NULL;
    for (size_t i = 0; i < d->n; i++) {
        const slm_finding *x = &d->v[i];
        const char *xf = x->file ? x->file : "-";
        if (!file || strcmp(file, xf) != 0) {
            fprintf(f, "%s%s\n", file ? "\n" : "", xf);
            file = xf;
        }
        print_one(f, x, false);
    }
}

static bool same_file(const slm_finding *a, const slm_finding *b)
{
    const char *x = a->file ? a->file : "-", *y = b->file ? b->file : "-";
    return strcmp(x, y) == 0;
}

/* One rule's findings on one file: V[0..N) of D, indexes IDX. */
static void print_group(FILE *f, const slm_diag *d, const size_t *idx, size_t n, const slm_rule *because)
{
    const slm_finding *x0 = &d->v[idx[0]];
    const slm_rule *r = slm_rule_get(x0->rule);
    if (n == 1 && !because) {
        print_one(f, x0, false);
        return;
    }
    fprintf(f, "  %-7s %s x%zu: %s", slm_severity_name(x0->severity), r->id, n, r->title);
    if (because)
        fprintf(f, " (see %s above)", because->id);
    fputc('\n', f);
    for (size_t k = 0; k < n && k < FOLD_SHOW; k++) {
        const slm_finding *x = &d->v[idx[k]];
        fprintf(f, "         ");
        print_where(f, x);
        fprintf(f, "%s %s\n", x->offset >= 0 || x->path ? ":" : "", x->message ? x->message : r->title);
    }
    if (n > FOLD_SHOW)
        fprintf(f, "          %zu more (--all, or --json)\n", n - FOLD_SHOW);
    fprintf(f, "          fix: %s\n", r->help);
}

static int by_rule(const void *x, const void *y, void *arg)
{
    const slm_finding *v = arg;
    size_t a = *(const size_t *)x, b = *(const size_t *)y;
    if (v[a].rule != v[b].rule)
        return v[a].rule < v[b].rule ? -1 : 1;
    return (a > b) - (a < b);
}

static int by_value(const void *x, const void *y)
{
    size_t a = ((const size_t *)x)[1], b = ((const size_t *)y)[1];
    return (a > b) - (a < b);
}

/* The start (in IDX) of each run of one rule, ordered by the run's first
 * finding; SIZE_MAX-terminated, malloc'd (NULL when memory runs out). */
static size_t *first_of_runs(const size_t *idx, size_t m, const slm_diag *d)
{
    size_t (*runs)[2] = malloc((m + 1) * sizeof *runs), nr = 0;
    size_t *out = malloc((m + 1) * sizeof *out);
    if (!runs || !out) {
        free(runs);
        free(out);
        return NULL;
    }
    for (size_t a = 0; a < m; a++)
        if (a == 0 || d->v[idx[a]].rule != d->v[idx[a - 1]].rule) {
            runs[nr][0] = a;
            runs[nr++][1] = idx[a];
        }
    qsort(runs, nr, sizeof *runs, by_value);
    for (size_t r = 0; r < nr; r++)
        out[r] = runs[r][0];
    out[nr] = SIZE_MAX;
    free(runs);
    return out;
}

static void print_folded(FILE *f, const slm_diag *d)
{
    bool present[NCAUSES] = {false};
    size_t nroot = 0, ninfo = 0;
    for (size_t i = 0; i < d->n; i++) {
        for (size_t c = 0; c < NCAUSES; c++)
            if (CAUSES[c].root == d->v[i].rule && !present[c])
                present[c] = true;
        if (cause_of(d->v[i].rule) && d->v[i].severity != SLM_INFO)
            nroot++;
        else if (d->v[i].severity == SLM_INFO)
            ninfo++;
    }
    size_t *idx = malloc((d->n ? d->n : 1) * sizeof *idx);
    bool *done = calloc(d->n ? d->n : 1, sizeof *done);
    if (!idx || !done) {
        free(idx);
        free(done);
        print_every(f, d);
        return;
    }
    bool printed = false;
    if (nroot) {
        fprintf(f, "root cause%s:\n", nroot > 1 ? "s" : "");
        size_t shown = 0;
        for (size_t c = 0; c < NCAUSES; c++) /* in the table's order: what to fix first */
            for (size_t i = 0; i < d->n; i++) {
                const slm_finding *x = &d->v[i];
                if (x->rule != CAUSES[c].root || x->severity == SLM_INFO)
                    continue;
                done[i] = true;
                if (shown++ < 2 * FOLD_SHOW)
                    print_one(f, x, true);
            }
        if (shown > 2 * FOLD_SHOW)
            fprintf(f, "          %zu more (--all, or --json)\n", shown - 2 * FOLD_SHOW);
        printed = true;
    }
    /* File by file (D is sorted by file), rule by rule in order of first
     * finding: the file's indexes sorted by (rule, index) make each rule's
     * findings one run, in O(n log n). */
    for (size_t i = 0; i < d->n;) {
        size_t end = i, m = 0;
        while (end < d->n && same_file(&d->v[end], &d->v[i]))
            end++;
        for (size_t a = i; a < end; a++)
            if (!done[a] && d->v[a].severity != SLM_INFO)
                idx[m++] = a;
        qsort_r(idx, m, sizeof *idx, by_rule, d->v);
        /* runs in order of their first finding */
        size_t *first = first_of_runs(idx, m, d);
        for (size_t r = 0; first && first[r] != SIZE_MAX; r++) {
            size_t a = first[r], n = 1;
            while (a + n < m && d->v[idx[a + n]].rule == d->v[idx[a]].rule)
                n++;
            if (r == 0)
                fprintf(f, "%s%s\n", printed ? "\n" : "", d->v[i].file ? d->v[i].file : "-");
            printed = true;
            print_group(f, d, idx + a, n, explained_by(d, present, d->v[idx[a]].rule));
        }
        free(first);
        i = end;
    }
    if (ninfo) { /* one line per rule, over every file, in order of first finding */
        static size_t per_rule[SLM_R__COUNT]; /* the command's one thread prints */
        memset(per_rule, 0, sizeof per_rule);
        for (size_t a = 0; a < d->n; a++)
            if (!done[a] && d->v[a].severity == SLM_INFO)
                per_rule[d->v[a].rule]++;
        fprintf(f, "%s%zu info(s), not listed (--all lists them):", printed ? "\n" : "", ninfo);
        for (size_t a = 0; a < d->n; a++) {
            slm_rule_id id = d->v[a].rule;
            if (done[a] || d->v[a].severity != SLM_INFO || !per_rule[id])
                continue;
            const slm_rule *r = slm_rule_get(id);
            fprintf(f, "\n  %s x%zu: %s", r->id, per_rule[id], r->title);
            per_rule[id] = 0;
        }
        fputc('\n', f);
    }
    free(idx);
    free(done);
}

void out_findings_text(FILE *f, const slm_diag *d)
{
    if (show_all)
        print_every(f, d);
    else
        print_folded(f, d);
    if (d->dropped)
        fprintf(f, "\n(%zu more findings not shown: at most %d per rule are kept)\n", d->dropped,
                SLM_DIAG_MAX_KEEP);
}

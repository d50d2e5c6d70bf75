/* slminspect quant A B C --ref CHECKPOINT: several quantized artifacts of one
 * checkpoint side by side (any mix of GGUF, ONNX and MLC).  Each artifact is
 * measured as `quant X --ref` measures it (quant_run); the report holds
 * every artifact's document and a comparison: one row per reference tensor
 * with each artifact's SQNR, and each artifact's verdict.  The text table,
 * the HTML page (one series per artifact) and --json are views of it. */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const COLORS[] = {"#4a7ab5", "#d9822b", "#3a9a5b", "#b5485a", "#8a5cb5", "#6b6b6b"};
#define NCOLORS (sizeof COLORS / sizeof COLORS[0])

/* ---- the comparison ------------------------------------------------------------ */

static int ref_cmp(const void *a, const void *b)
{
    const cJSON *x = *(cJSON *const *)a, *y = *(cJSON *const *)b;
    double lx = out_jnum(x, "layer"), ly = out_jnum(y, "layer");
    if (lx != ly)
        return lx < ly ? -1 : 1;
    return strcmp(out_jstr(x, "ref"), out_jstr(y, "ref"));
}

/* The row of REF in ROWS (created with N nulls when absent). */
static cJSON *row_of(cJSON *rows, const char *ref, double layer, const char *kind, int n)
{
    cJSON *r;
    cJSON_ArrayForEach(r, rows) if (strcmp(out_jstr(r, "ref"), ref) == 0) return r;
    r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "ref", ref);
    cJSON_AddNumberToObject(r, "layer", layer);
    cJSON_AddStringToObject(r, "kind", kind);
    cJSON *s = cJSON_AddArrayToObject(r, "sqnr_db"), *m = cJSON_AddArrayToObject(r, "matmul_sqnr_db");
    cJSON *t = cJSON_AddArrayToObject(r, "tensor");
    for (int i = 0; i < n; i++) {
        cJSON_AddItemToArray(s, cJSON_CreateNull());
        cJSON_AddItemToArray(m, cJSON_CreateNull());
        cJSON_AddItemToArray(t, cJSON_CreateNull());
    }
    cJSON_AddItemToArray(rows, r);
    return r;
}

static void set_metric(cJSON *arr, int i, double v)
{
    cJSON *x = cJSON_CreateObject();
    out_add_metric(x, "v", v); /* the report's encoding of non-finite values */
    cJSON_ReplaceItemInArray(arr, i, cJSON_DetachItemFromObject(x, "v"));
    cJSON_Delete(x);
}

/* Comparison of the N artifact documents DOCS (their findings counted by
 * DIAGS at FAIL_AT). */
static cJSON *comparison(cJSON **docs, const slm_diag *diags, int n, slm_severity fail_at)
{
    cJSON *c = cJSON_CreateObject(), *arts = cJSON_AddArrayToObject(c, "artifacts");
    cJSON *rows = cJSON_CreateArray();
    int best = -1;
    for (int i = 0; i < n; i++) {
        const cJSON *s = cJSON_GetObjectItem(docs[i], "summary"), *o = cJSON_GetObjectItem(s, "overall"), *t;
        cJSON *a = cJSON_CreateObject();
        cJSON_AddStringToObject(a, "path", out_jstr(docs[i], "quantized"));
        bool fail = slm_diag_count_at_least(&diags[i], fail_at) > 0;
        cJSON_AddStringToObject(a, "verdict", fail ? "fail" : "pass");
        cJSON_AddNumberToObject(a, "errors", (double)diags[i].count[SLM_ERROR]);
        cJSON_AddNumberToObject(a, "warnings", (double)diags[i].count[SLM_WARNING]);
        cJSON_AddNumberToObject(a, "paired", out_jnum(s, "paired"));
        out_add_metric(a, "sqnr_db", out_jnum(o, "sqnr_db"));
        out_add_metric(a, "rel_rmse", out_jnum(o, "rel_rmse"));
        out_add_metric(a, "matmul_sqnr_db", out_jnum(cJSON_GetObjectItem(o, "matmul"), "sqnr_db"));
        cJSON_AddItemToArray(arts, a);
        double q = out_jnum(o, "sqnr_db");
        if (!isnan(q) && (best < 0 || q > out_jnum(cJSON_GetArrayItem(arts, best), "sqnr_db")))
            best = i;
        cJSON_ArrayForEach(t, cJSON_GetObjectItem(docs[i], "tensors")) {
            cJSON *r = row_of(rows, out_jstr(t, "ref"), out_jnum(t, "layer"), out_jstr(t, "kind"), n);
            if (!cJSON_IsNull(cJSON_GetArrayItem(cJSON_GetObjectItem(r, "tensor"), i)))
                continue; /* the reference met twice in one artifact (split rows): the first */
            set_metric(cJSON_GetObjectItem(r, "sqnr_db"), i, out_jnum(t, "sqnr_db"));
            set_metric(cJSON_GetObjectItem(r, "matmul_sqnr_db"), i,
                       out_jnum(cJSON_GetObjectItem(t, "matmul"), "sqnr_db"));
            cJSON_ReplaceItemInArray(cJSON_GetObjectItem(r, "tensor"), i, cJSON_CreateString(out_jstr(t, "name")));
        }
    }
    cJSON_AddNumberToObject(c, "most_faithful", best);
    int nr = cJSON_GetArraySize(rows);
    cJSON **v = calloc((size_t)nr + 1, sizeof *v), *r;
    int k = 0;
    cJSON_ArrayForEach(r, rows) v[k++] = r;
    qsort(v, (size_t)nr, sizeof *v, ref_cmp);
    cJSON *sorted = cJSON_AddArrayToObject(c, "tensors");
    for (int i = 0; i < nr; i++)
        cJSON_AddItemToArray(sorted, cJSON_Duplicate(v[i], true));
    free(v);
    cJSON_Delete(rows);
    return c;
}

/* ---- text ----------------------------------------------------------------------- */

static void cell(const cJSON *arr, int i)
{
    const cJSON *x = cJSON_GetArrayItem(arr, i);
    if (cJSON_IsNumber(x))
        printf(" %9.3f", x->valuedouble);
    else if (cJSON_IsString(x))
        printf(" %9s", x->valuestring);
    else
        printf(" %9s", "-");
}

static void print_text(const cJSON *doc, int n)
{
    const cJSON *c = cJSON_GetObjectItem(doc, "comparison"), *arts = cJSON_GetObjectItem(c, "artifacts"), *r, *a;
    printf("%d quantized artifacts vs %s\n", n, out_jstr(doc, "reference"));
    int i = 0;
    cJSON_ArrayForEach(a, arts) printf("  [%d] %s\n", ++i, out_jstr(a, "path"));
    printf("\n  SQNR dB of each tensor (weights; higher is more faithful; - not measured there: absent, or an exact F16 copy)\n  %-44s", "reference tensor");
    for (i = 0; i < n; i++)
        printf("       [%d]", i + 1);
    printf("\n");
    cJSON_ArrayForEach(r, cJSON_GetObjectItem(c, "tensors")) {
        printf("  %-44s", out_jstr(r, "ref"));
        for (i = 0; i < n; i++)
            cell(cJSON_GetObjectItem(r, "sqnr_db"), i);
        printf("\n");
    }
    printf("  %-44s", "overall (weights)");
    cJSON_ArrayForEach(a, arts) printf(" %9.3f", out_jnum(a, "sqnr_db"));
    printf("\n  %-44s", "overall (matmul output)");
    cJSON_ArrayForEach(a, arts) printf(" %9.3f", out_jnum(a, "matmul_sqnr_db"));
    printf("\n  %-44s", "tensors measured");
    cJSON_ArrayForEach(a, arts) printf(" %9.0f", out_jnum(a, "paired"));
    printf("\n  %-44s", "verdict");
    cJSON_ArrayForEach(a, arts) printf(" %9s", out_jstr(a, "verdict"));
    int best = (int)out_jnum(c, "most_faithful");
    if (best >= 0)
        printf("\n\n  most faithful: [%d] %s (overall SQNR %.3f dB)\n", best + 1,
               out_jstr(cJSON_GetArrayItem(arts, best), "path"), out_jnum(cJSON_GetArrayItem(arts, best), "sqnr_db"));
}

/* ---- HTML ----------------------------------------------------------------------- */

static void esc(FILE *f, const char *s)
{
    for (; s && *s; s++)
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
}

/* SQNR per reference tensor: one series (line and dots) per artifact. */
enum { STEP = 22 }; /* pixels between tensors */
static void chart(FILE *f, const cJSON *c, int n)
{
    const cJSON *rows = cJSON_GetObjectItem(c, "tensors"), *arts = cJSON_GetObjectItem(c, "artifacts"), *r;
    int nr = cJSON_GetArraySize(rows);
    double hi = 5;
    cJSON_ArrayForEach(r, rows) for (int i = 0; i < n; i++) {
        const cJSON *x = cJSON_GetArrayItem(cJSON_GetObjectItem(r, "sqnr_db"), i);
        if (cJSON_IsNumber(x) && x->valuedouble > hi)
            hi = x->valuedouble;
    }
    hi = ceil(hi / 5) * 5;
    int W = 70 + (nr ? nr : 1) * STEP, top = 40, bottom = 230;
    fprintf(f, "<svg id=\"compare-chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"260\" "
               "role=\"img\" aria-label=\"SQNR per tensor, one series per artifact\">\n", W + 20);
    for (double t = 0; t <= hi + 1e-9; t += hi / 5) {
        double y = bottom - (bottom - top) * t / hi;
        fprintf(f, "<line x1=\"50\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/><text x=\"45\" y=\"%.1f\" "
                   "text-anchor=\"end\" font-size=\"10\">%.0f</text>\n", W, y, y, y + 3, t);
    }
    fprintf(f, "<text x=\"12\" y=\"%d\" font-size=\"11\" transform=\"rotate(-90 12 %d)\">SQNR (dB)</text>\n",
            (top + bottom) / 2, (top + bottom) / 2);
    for (int i = 0; i < n; i++) {
        const char *col = COLORS[i % NCOLORS];
        fprintf(f, "<g class=\"series\" data-artifact=\"%d\"><title>", i + 1);
        esc(f, out_jstr(cJSON_GetArrayItem(arts, i), "path"));
        fprintf(f, "</title>\n");
        int k = 0;
        bool open_ = false; /* a polyline per run of tensors the artifact holds: gaps stay gaps */
        cJSON_ArrayForEach(r, rows) {
            const cJSON *x = cJSON_GetArrayItem(cJSON_GetObjectItem(r, "sqnr_db"), i);
            if (cJSON_IsNumber(x)) {
                if (!open_)
                    fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" points=\"", col);
                fprintf(f, "%d,%.1f ", 60 + k * STEP, bottom - (bottom - top) * fmin(fmax(x->valuedouble, 0), hi) / hi);
                open_ = true;
            } else if (open_) {
                fprintf(f, "\"/>\n");
                open_ = false;
            }
            k++;
        }
        if (open_)
            fprintf(f, "\"/>\n");
        k = 0;
        cJSON_ArrayForEach(r, rows) {
            const cJSON *x = cJSON_GetArrayItem(cJSON_GetObjectItem(r, "sqnr_db"), i);
            if (cJSON_IsNumber(x)) {
                fprintf(f, "<circle cx=\"%d\" cy=\"%.1f\" r=\"3\" fill=\"%s\"><title>[%d] ", 60 + k * STEP,
                        bottom - (bottom - top) * fmin(fmax(x->valuedouble, 0), hi) / hi, col, i + 1);
                esc(f, out_jstr(r, "ref"));
                fprintf(f, ": %.2f dB</title></circle>\n", x->valuedouble);
            }
            k++;
        }
        fprintf(f, "</g>\n<rect x=\"%d\" y=\"6\" width=\"10\" height=\"10\" fill=\"%s\"/><text x=\"%d\" y=\"15\" "
                   "font-size=\"10\">[%d]</text>\n", 60 + 50 * i, col, 74 + 50 * i, i + 1);
    }
    fprintf(f, "<text x=\"%d\" y=\"252\" font-size=\"11\" text-anchor=\"middle\">reference tensors, by layer</text>"
               "\n</svg>\n", W / 2 + 25);
}

static int html_write(const cJSON *doc, int n, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    const cJSON *c = cJSON_GetObjectItem(doc, "comparison"), *arts = cJSON_GetObjectItem(c, "artifacts"), *a, *r;
    fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>slminspect quant: %d "
               "artifacts</title>\n<style>body{font:14px sans-serif;margin:2em;color:#222}table{border-collapse:"
               "collapse}td,th{padding:2px 8px;border-bottom:1px solid #ddd;text-align:right}td.l,th.l{text-align:"
               "left}.fail{color:#b00}</style></head><body>\n<h1>Quantized artifacts side by side</h1>\n<p>Reference ",
            n);
    esc(f, out_jstr(doc, "reference"));
    fprintf(f, "</p>\n<table id=\"artifacts\"><tr><th class=\"l\">artifact</th><th>tensors</th><th>SQNR dB</th>"
               "<th>rel RMSE</th><th>matmul SQNR dB</th><th>errors</th><th>verdict</th></tr>\n");
    int i = 0;
    cJSON_ArrayForEach(a, arts) {
        fprintf(f, "<tr><td class=\"l\"><span style=\"color:%s\">&#9632;</span> [%d] ", COLORS[i % NCOLORS], i + 1);
        esc(f, out_jstr(a, "path"));
        fprintf(f, "</td><td>%.0f</td><td>%.3f</td><td>%.5f</td><td>%.3f</td><td>%.0f</td><td class=\"%s\">%s</td>"
                   "</tr>\n", out_jnum(a, "paired"), out_jnum(a, "sqnr_db"), out_jnum(a, "rel_rmse"),
                out_jnum(a, "matmul_sqnr_db"), out_jnum(a, "errors"), out_jstr(a, "verdict"), out_jstr(a, "verdict"));
        i++;
    }
    fprintf(f, "</table>\n<h2>SQNR per tensor</h2>\n");
    chart(f, c, n);
    fprintf(f, "<h2>Tensors</h2>\n<table id=\"tensors\"><tr><th class=\"l\">reference tensor</th>");
    for (i = 0; i < n; i++)
        fprintf(f, "<th>[%d] SQNR dB</th>", i + 1);
    fprintf(f, "</tr>\n");
    cJSON_ArrayForEach(r, cJSON_GetObjectItem(c, "tensors")) {
        fprintf(f, "<tr><td class=\"l\">");
        esc(f, out_jstr(r, "ref"));
        fprintf(f, "</td>");
        for (i = 0; i < n; i++) {
            const cJSON *x = cJSON_GetArrayItem(cJSON_GetObjectItem(r, "sqnr_db"), i);
            if (cJSON_IsNumber(x))
                fprintf(f, "<td>%.3f</td>", x->valuedouble);
            else
                fprintf(f, "<td>%s</td>", cJSON_IsString(x) ? x->valuestring : "-");
        }
        fprintf(f, "</tr>\n");
    }
    fprintf(f, "</table>\n</body></html>\n");
    return fclose(f) == 0 ? 0 : -1;
}

/* ---- the command ------------------------------------------------------------------ */

int quant_compare(const quant_opts *qo, char **paths, int n, const out_opts *oo, const char *html)
{
    cJSON **docs = calloc((size_t)n, sizeof *docs);
    slm_diag *diags = calloc((size_t)n, sizeof *diags), all;
    slm_diag_init(&all);
    progress pg;
    progress_init(&pg, oo->format == OUT_TEXT && !oo->quiet);
    int rc = 0, i;
    for (i = 0; docs && diags && i < n && !rc; i++) {
        quant_opts q = *qo;
        q.quantized = paths[i];
        slm_diag_init(&diags[i]);
        rc = quant_run(&q, &diags[i], &docs[i], &pg);
    }
    if (!docs || !diags)
        rc = EXIT_USAGE;
    cJSON *doc = NULL;
    if (!rc) {
        doc = out_doc("quant");
        cJSON_AddStringToObject(doc, "reference", qo->ref);
        cJSON_AddItemToObject(doc, "comparison", comparison(docs, diags, n, (slm_severity)oo->fail_at));
        cJSON *arr = cJSON_AddArrayToObject(doc, "artifacts");
        for (int k = 0; k < n; k++) {
            cJSON_AddItemToArray(arr, docs[k]);
            docs[k] = NULL;
            slm_diag_move(&all, &diags[k]);
        }
        slm_diag_sort(&all);
        slm_report_add(doc, &all);
        if (html && html_write(doc, n, html) != 0) {
            fprintf(stderr, "slminspect quant: --html %s: %s\n", html, strerror(errno));
            rc = EXIT_USAGE;
        }
    }
    if (rc && oo->format == OUT_SARIF) {
        cJSON *log = out_sarif(&all);
        out_sarif_unsuccessful(log, "an input could not be read (see standard error)");
        out_print_json(log);
    } else if (doc && oo->format == OUT_JSON) {
        out_print_json(doc);
        doc = NULL;
    } else if (doc && oo->format == OUT_SARIF) {
        out_print_json(out_sarif(&all));
    } else if (doc && !oo->quiet) {
        print_text(doc, n);
        if (all.n) {
            printf("\n");
            out_findings_text(stdout, &all);
        }
        printf("\n%zu error(s), %zu warning(s), %zu info(s) in %d artifacts\n", all.count[SLM_ERROR],
               all.count[SLM_WARNING], all.count[SLM_INFO], n);
    }
    if (!rc)
        rc = out_exit_code(&all, (slm_severity)oo->fail_at);
    cJSON_Delete(doc);
    for (int k = 0; docs && diags && k < i; k++) {
        cJSON_Delete(docs[k]);
        slm_diag_free(&diags[k]);
    }
    free(docs);
    free(diags);
    slm_diag_free(&all);
    return rc;
}

/* slminspect quant --html: one self-contained page (inline SVG and CSS, no
 * script, nothing fetched) rendered from the --json document: the per-layer
 * error chart, the error histograms of the worst tensors, the table.  Every
 * number comes from the document (a metric it has none of reads "n/a", never
 * "nan"); tests/cli/quant_html.sh renders it in headless Chromium and checks
 * the counts, the legends and that no label leaves its chart. */
#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void html_escape(FILE *f, const char *s)
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

static double num(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    if (cJSON_IsNumber(v))
        return v->valuedouble;
    if (cJSON_IsString(v))
        return strcmp(v->valuestring, "inf") == 0 ? INFINITY : -INFINITY;
    return NAN;
}


/* A count of the report: the number (slm_report_add writes counts as raw
 * integers), else the findings of SEVERITY in the report's list. */
static double count_of(const cJSON *doc, const char *key, const char *severity)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, key);
    if (cJSON_IsNumber(v))
        return v->valuedouble;
    if (cJSON_IsRaw(v) && v->valuestring)
        return strtod(v->valuestring, NULL);
    double n = 0;
    const cJSON *x;
    cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(doc, "findings"))
        n += strcmp(out_jtext(x, "severity"), severity) == 0;
    return n;
}

/* A metric for people: "n/a" where the report has none (null: NaN). */
static void metric(FILE *f, const char *fmt, double v)
{
    if (isnan(v))
        fputs("n/a", f);
    else if (isinf(v))
        fputs(v > 0 ? "inf" : "-inf", f);
    else
        fprintf(f, fmt, v);
}

/* Per layer: SQNR of the weights (bars) and of the matmul output (dots).
 * At most CHART_W pixels wide: the step per layer shrinks with the count
 * (28 px for a few layers, 10 px for 80) and the axis labels thin out to
 * every 2nd, 5th or 10th layer; the legend sits above the plot, inside it. */
enum { CHART_W = 960, CHART_LEFT = 56 };

static void layer_chart(FILE *f, const cJSON *by_layer)
{
    int n = cJSON_GetArraySize(by_layer);
    double hi = 0;
    const cJSON *g;
    cJSON_ArrayForEach(g, by_layer) {
        const cJSON *m = cJSON_GetObjectItem(g, "metrics");
        double a = num(m, "sqnr_db"), b = num(cJSON_GetObjectItem(m, "matmul"), "sqnr_db");
        if (isfinite(a) && a > hi)
            hi = a;
        if (isfinite(b) && b > hi)
            hi = b;
    }
    hi = hi > 0 ? ceil(hi / 5) * 5 : 5;
    int slots = n ? n : 1;
    double stepx = (CHART_W - CHART_LEFT - 20) / (double)slots;
    stepx = stepx > 28 ? 28 : stepx < 8 ? 8 : stepx;
    double barw = stepx * 0.65;
    int every = stepx >= 20 ? 1 : stepx >= 12 ? 2 : stepx >= 6 ? 5 : 10;
    int W = CHART_LEFT + (int)ceil(slots * stepx) + 20, H = 260, top = 40, bottom = 210;
    if (W < 320)
        W = 320; /* room for the legend */
    fprintf(f, "<svg id=\"layer-chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
               "viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"SQNR per layer\">\n", W, H, W, H);
    for (double t = 0; t <= hi + 1e-9; t += hi / 5) {
        double y = bottom - (bottom - top) * t / hi;
        fprintf(f, "<line x1=\"50\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                   "<text x=\"45\" y=\"%.1f\" text-anchor=\"end\" font-size=\"10\">%.0f</text>\n",
                W - 10, y, y, y + 3, t);
    }
    fprintf(f, "<text x=\"12\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\" transform=\"rotate(-90 12 %d)\">"
               "SQNR (dB)</text>\n", (top + bottom) / 2, (top + bottom) / 2);
    int i = 0;
    cJSON_ArrayForEach(g, by_layer) {
        const cJSON *m = cJSON_GetObjectItem(g, "metrics");
        double a = num(m, "sqnr_db"), b = num(cJSON_GetObjectItem(m, "matmul"), "sqnr_db");
        double x = CHART_LEFT + i * stepx, l = num(g, "layer");
        double av = isfinite(a) ? fmax(a, 0) : (a > 0 ? hi : 0);
        double y = bottom - (bottom - top) * fmin(av, hi) / hi;
        fprintf(f, "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#4a7ab5\">"
                   "<title>layer %.0f: weights SQNR ", x, y, barw, bottom - y, isfinite(l) ? l : -1);
        metric(f, "%.2f dB", a);
        fprintf(f, "</title></rect>\n");
        if (isfinite(b) && b > 0)
            fprintf(f, "<circle class=\"dot\" cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"#d9822b\"><title>layer %.0f: "
                       "matmul output SQNR %.2f dB</title></circle>\n",
                    x + barw / 2, bottom - (bottom - top) * fmin(b, hi) / hi, isfinite(l) ? l : -1, b);
        if (i % every == 0 || i == n - 1) {
            fprintf(f, "<text class=\"tick\" x=\"%.1f\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\">", x + barw / 2,
                    bottom + 14);
            if (isfinite(l) && l >= 0)
                fprintf(f, "%.0f", l);
            else
                fputs("-", f);
            fputs("</text>\n", f);
        }
        i++;
    }
    fprintf(f, "<text x=\"%.0f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">layer</text>\n",
            CHART_LEFT + slots * stepx / 2, bottom + 34);
    fprintf(f, "<g class=\"legend\"><rect x=\"60\" y=\"8\" width=\"10\" height=\"10\" fill=\"#4a7ab5\"/>"
               "<text x=\"75\" y=\"17\" font-size=\"11\">weights SQNR</text>"
               "<circle cx=\"175\" cy=\"13\" r=\"4\" fill=\"#d9822b\"/>"
               "<text x=\"183\" y=\"17\" font-size=\"11\">matmul output SQNR</text></g>\n</svg>\n");
}

/* Histogram of |e| by octave for one tensor. */
static void histogram(FILE *f, const cJSON *t, int idx)
{
    const cJSON *h = cJSON_GetObjectItem(t, "histogram"), *c = cJSON_GetObjectItem(h, "counts");
    int n = cJSON_GetArraySize(c), lo = n, hi = -1;
    double from = num(h, "log2_abs_err_from"), mx = 0;
    for (int i = 0; i < n; i++) {
        double v = cJSON_GetArrayItem(c, i)->valuedouble;
        if (v > 0) {
            lo = i < lo ? i : lo;
            hi = i;
            mx = v > mx ? v : mx;
        }
    }
    fprintf(f, "<figure class=\"hist\"><figcaption>");
    html_escape(f, out_jtext(t, "ref"));
    fprintf(f, " &mdash; SQNR ");
    metric(f, "%.2f dB", num(t, "sqnr_db"));
    fprintf(f, "</figcaption>\n");
    if (hi < 0) {
        fprintf(f, "<p>no error</p></figure>\n");
        return;
    }
    int W = 40 + (hi - lo + 1) * 16;
    if (W < 160)
        W = 160; /* room for the axis label */
    fprintf(f, "<svg id=\"hist-%d\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"150\" role=\"img\" "
               "aria-label=\"error histogram\">\n", idx, W);
    for (int i = lo; i <= hi; i++) {
        double v = cJSON_GetArrayItem(c, i)->valuedouble, bh = 110 * v / mx, x = 20 + (i - lo) * 16;
        fprintf(f, "<rect x=\"%.0f\" y=\"%.1f\" width=\"14\" height=\"%.1f\" fill=\"#8a5cb5\"><title>|e| in "
                   "[2^%.0f, 2^%.0f): %.0f</title></rect>\n",
                x, 120 - bh, bh, from + i, from + i + 1, v);
        if ((i - lo) % 2 == 0)
            fprintf(f, "<text x=\"%.0f\" y=\"134\" font-size=\"9\" text-anchor=\"middle\">%.0f</text>\n", x + 7,
                    from + i);
    }
    fprintf(f, "<text x=\"%d\" y=\"147\" font-size=\"10\" text-anchor=\"middle\">log2 |e|</text>"
               "<text x=\"10\" y=\"65\" font-size=\"10\" text-anchor=\"middle\" transform=\"rotate(-90 10 65)\">"
               "values</text>\n</svg></figure>\n", W / 2);
}

int quant_html_write(const cJSON *doc, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    const cJSON *s = cJSON_GetObjectItem(doc, "summary"), *ts = cJSON_GetObjectItem(doc, "tensors"), *t;
    const cJSON *o = cJSON_GetObjectItem(s, "overall");
    fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>slminspect quant: ");
    html_escape(f, out_jtext(doc, "quantized"));
    fprintf(f, "</title>\n<style>body{font:14px sans-serif;margin:2em;color:#222}table{border-collapse:collapse}"
               "td,th{padding:2px 8px;border-bottom:1px solid #ddd;text-align:right}td.l,th.l{text-align:left}"
               "figure.hist{display:inline-block;margin:0 1em 1em 0}figcaption{font-size:12px}"
               ".bad{color:#b00}</style></head><body>\n<h1>Quantization error</h1>\n<p id=\"what\">");
    html_escape(f, out_jtext(doc, "quantized"));
    fprintf(f, " vs reference ");
    html_escape(f, out_jtext(doc, "reference"));
    fprintf(f, "</p>\n<p id=\"overall\">%.0f of %.0f quantized weights paired. Overall: SQNR ", num(s, "paired"),
            num(s, "quantized_weights"));
    metric(f, "%.3f dB", num(o, "sqnr_db"));
    fprintf(f, ", relative RMSE ");
    metric(f, "%.5f", num(o, "rel_rmse"));
    fprintf(f, ", cosine ");
    metric(f, "%.6f", num(o, "cosine"));
    fprintf(f, "; matmul output SQNR ");
    metric(f, "%.3f dB", num(cJSON_GetObjectItem(o, "matmul"), "sqnr_db"));
    fprintf(f, ".</p>\n<p id=\"counts\">Findings: %.0f error(s), %.0f warning(s), %.0f info(s).</p>\n",
            count_of(doc, "errors", "error"), count_of(doc, "warnings", "warning"), count_of(doc, "infos", "info"));
    fprintf(f, "<h2>SQNR per layer</h2>\n");
    layer_chart(f, cJSON_GetObjectItem(s, "by_layer"));
    fprintf(f, "<h2>Error histograms of the worst tensors</h2>\n");
    int i = 0;
    cJSON_ArrayForEach(t, ts) {
        if (i == 4)
            break;
        histogram(f, t, i++);
    }
    fprintf(f, "<h2>Tensors, worst first</h2>\n<table id=\"tensors\"><tr><th class=\"l\">tensor</th>"
               "<th class=\"l\">reference</th><th class=\"l\">pairing</th><th>format</th><th>K</th><th>N</th>"
               "<th>SQNR dB</th><th>rel RMSE</th><th>cosine</th><th>max |e|</th><th>matmul SQNR dB</th></tr>\n");
    cJSON_ArrayForEach(t, ts) {
        fprintf(f, "<tr><td class=\"l\">");
        html_escape(f, out_jtext(t, "name"));
        const cJSON *rows = cJSON_GetObjectItem(t, "rows");
        if (rows)
            fprintf(f, "[%.0f:%.0f]", cJSON_GetArrayItem(rows, 0)->valuedouble, cJSON_GetArrayItem(rows, 1)->valuedouble);
        fprintf(f, "</td><td class=\"l\">");
        html_escape(f, out_jtext(t, "ref"));
        fprintf(f, "</td><td class=\"l\">");
        html_escape(f, out_jtext(t, "pairing"));
        fprintf(f, "</td><td>");
        html_escape(f, out_jtext(t, "format"));
        fprintf(f, "</td><td>%.0f</td><td>%.0f</td><td>", num(t, "K"), num(t, "N"));
        metric(f, "%.3f", num(t, "sqnr_db"));
        fprintf(f, "</td><td>");
        metric(f, "%.5f", num(t, "rel_rmse"));
        fprintf(f, "</td><td>");
        metric(f, "%.6f", num(t, "cosine"));
        fprintf(f, "</td><td>");
        metric(f, "%.4g", num(t, "max_abs_err"));
        fprintf(f, "</td><td>");
        metric(f, "%.3f", num(cJSON_GetObjectItem(t, "matmul"), "sqnr_db"));
        fprintf(f, "</td></tr>\n");
    }
    fprintf(f, "</table>\n");
    const cJSON *u = cJSON_GetObjectItem(s, "unpaired_quantized"), *x;
    if (cJSON_GetArraySize(u)) {
        fprintf(f, "<h2>Unpaired quantized weights</h2>\n<ul id=\"unpaired\">");
        cJSON_ArrayForEach(x, u) {
            fprintf(f, "<li>");
            html_escape(f, x->valuestring);
            fprintf(f, "</li>");
        }
        fprintf(f, "</ul>\n");
    }
    const cJSON *fs = cJSON_GetObjectItem(doc, "findings");
    if (cJSON_GetArraySize(fs)) {
        fprintf(f, "<h2>Findings</h2>\n<ul id=\"findings\">");
        cJSON_ArrayForEach(x, fs) {
            fprintf(f, "<li class=\"%s\">", strcmp(out_jtext(x, "severity"), "error") == 0 ? "bad" : "");
            html_escape(f, out_jtext(x, "rule"));
            fprintf(f, " ");
            html_escape(f, out_jtext(x, "severity"));
            fprintf(f, ": ");
            html_escape(f, out_jtext(x, "message"));
            fprintf(f, "</li>\n");
        }
        fprintf(f, "</ul>\n");
    }
    fprintf(f, "</body></html>\n");
    return fclose(f) == 0 ? 0 : -1;
}

/* slminspect merge: the --json reports of separate runs as one report.
 *
 * The findings of every report are read back into one slm_diag
 * (verify/report.c: strict JSON, each finding checked against this version's
 * rule table, every problem a CI-/JS- finding about the report), sorted as
 * verify sorts them, and printed by the same code as verify's text, --json
 * and --format sarif outputs. */
#include "cli.h"
#include "report.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static void help(void)
{
    printf("usage: slminspect merge [options] REPORT.json...\n\n"
           "Merges the --json reports of separate runs -- verify, quant, gate, hash --check, or\n"
           "merge itself -- into one report, so that a model zoo can be checked one artifact per\n"
           "CI job or batch task and judged once at the end.  The merged report is what one run\n"
           "over all the artifacts would have printed: the findings of every REPORT, sorted by\n"
           "file, offset, JSON path and rule; the counts recomputed from them; the \"checked\"\n"
           "lists (the files each run read) concatenated; and, in --json, one summary per REPORT\n"
           "(\"inputs\": file, the command that wrote it, its errors, warnings and infos).\n\n"
           "Nothing in a REPORT is trusted.  It is read as strict JSON (RFC 8259, UTF-8, no\n"
           "repeated key, integers exact up to 2^53), and each finding must name a rule of this\n"
           "version with that rule's severity.  A problem is a finding about the REPORT (rules\n"
           "CI-001..CI-008 and JS-001/JS-003, spec/ci.md): a REPORT that cannot be read as a\n"
           "findings report is left out whole, a malformed finding is left out alone, a finding\n"
           "of an unknown rule is carried in a CI-005 error, and a finding whose severity\n"
           "disagrees with the rule table is kept with the table's severity beside a CI-006\n"
           "error.  All of these are errors: a merged report never passes by losing a finding.\n\n"
           "Options:\n"
           "  --json               print {\"command\": \"merge\", \"findings\": [...], \"errors\": N,\n"
           "                       \"warnings\": N, \"infos\": N, \"inputs\": [...], \"checked\": [...]}\n"
           "                       (same as --format json; spec/schema/merge.schema.json)\n"
           "  --format FORMAT      text (default), json, or sarif (SARIF 2.1.0, for code-scanning UIs)\n"
           "  --strict             warnings fail too (same as --fail-on warning)\n"
           "  --fail-on SEVERITY   error (default), warning or info: the least severe finding\n"
           "                       that makes the exit status 1\n"
           "  --all                list every finding (text folds repeated ones and counts infos)\n"
           "  -q, --quiet          print nothing; the exit status tells\n\n"
           "Exit status: 0 clean, 1 findings at or above the failing severity (those of the\n"
           "reports and the problems with them), 2 usage error or a REPORT that cannot be read\n"
           "at all (missing, a folder).\n\n"
           "Example, one job per model folder, then one gate:\n"
           "  slminspect verify --json models/a > a.json     # exit status ignored here\n"
           "  slminspect verify --json models/b > b.json\n"
           "  slminspect merge --format sarif a.json b.json > zoo.sarif\n"
           "  slminspect merge -q a.json b.json              # 1 when any model has an error\n");
}

typedef struct merged {
    slm_diag d;
    cJSON *inputs, *checked;
    size_t unreadable;
    cJSON *notes; /* why each unreadable report could not be read (SARIF notifications) */
} merged;

static void note(merged *m, const char *path, const char *why)
{
    char *t = slm_strdupf("%s: %s", path, why);
    cJSON_AddItemToArray(m->notes, cJSON_CreateString(t ? t : why));
    free(t);
}

/* Reads one report into M.  0, or EXIT_USAGE when it cannot be read or memory runs out. */
static int merge_one(merged *m, const char *path)
{
    slm_map mp;
    int e = slm_map_open(&mp, path);
    cJSON *in = cJSON_CreateObject();
    cJSON_AddStringToObject(in, "file", path);
    cJSON_AddItemToArray(m->inputs, in);
    if (e) {
        fprintf(stderr, "slminspect merge: %s: %s\n", path, e == EISDIR ? "is a folder, expected a report" : strerror(e));
        cJSON_AddStringToObject(in, "status", "unreadable");
        note(m, path, e == EISDIR ? "is a folder" : strerror(e));
        m->unreadable++;
        return EXIT_USAGE;
    }
    slm_diag problems;
    slm_diag_init(&problems);
    slm_report_info info;
    int rc = slm_report_load((const char *)mp.data, (size_t)mp.size, path, &m->d, &problems, &info);
    slm_map_close(&mp);
    if (rc == -2) {
        fprintf(stderr, "slminspect merge: %s: out of memory\n", path);
        slm_diag_free(&problems);
        m->unreadable++;
        return EXIT_USAGE;
    }
    if (info.command[0])
        cJSON_AddStringToObject(in, "command", info.command);
    cJSON_AddStringToObject(in, "status", rc == 0 ? "merged" : "rejected");
    cJSON_AddNumberToObject(in, "findings", (double)info.taken);
    cJSON_AddNumberToObject(in, "errors", (double)info.count[SLM_ERROR]);
    cJSON_AddNumberToObject(in, "warnings", (double)info.count[SLM_WARNING]);
    cJSON_AddNumberToObject(in, "infos", (double)info.count[SLM_INFO]);
    cJSON_AddNumberToObject(in, "problems", (double)(problems.count[0] + problems.count[1] + problems.count[2]));
    if (info.checked) {
        if (!m->checked)
            m->checked = cJSON_CreateArray();
        cJSON *e2;
        while ((e2 = cJSON_DetachItemFromArray(info.checked, 0)))
            cJSON_AddItemToArray(m->checked, e2);
    }
    slm_report_info_free(&info);
    slm_diag_move(&m->d, &problems);
    return 0;
}

int cmd_merge(int argc, char **argv)
{
    static const struct option opts[] = {OUT_LONG_OPTIONS, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    out_opts oo;
    out_opts_init(&oo);
    int c, r;
    optind = 1;
    while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
        if (c == 'h') {
            help();
            return 0;
        }
        if ((r = out_parse_opt(&oo, c, optarg, "merge")) != 0)
            return r > 0 ? r : usage_error("merge", "unknown option");
    }
    const bool quiet = oo.quiet;
    const int fmt = oo.format, fail_at = oo.fail_at;
    if (optind >= argc)
        return usage_error("merge", "no REPORT given");
    merged m = {.inputs = cJSON_CreateArray(), .notes = cJSON_CreateArray()};
    slm_diag_init(&m.d);
    int rc = 0;
    for (int i = optind; i < argc; i++)
        if (merge_one(&m, argv[i]) != 0)
            rc = EXIT_USAGE;
    slm_diag_sort(&m.d);
    if (fmt == OUT_SARIF) {
        cJSON *log = out_sarif(&m.d);
        const cJSON *n;
        cJSON_ArrayForEach(n, m.notes) out_sarif_unsuccessful(log, n->valuestring);
        out_print_json(log);
    } else if (fmt == OUT_JSON) {
        cJSON *doc = out_doc("merge");
        slm_report_add(doc, &m.d);
        cJSON_AddItemToObject(doc, "inputs", m.inputs);
        m.inputs = NULL;
        if (m.checked) {
            cJSON_AddItemToObject(doc, "checked", m.checked);
            m.checked = NULL;
        }
        out_print_json(doc);
    } else if (!quiet) {
        if (argc - optind > 1) { /* a verdict per report first, then the details */
            printf("reports:\n");
            const cJSON *in;
            cJSON_ArrayForEach(in, m.inputs) {
                const char *st = out_jstr(in, "status");
                printf("  %s (%s): ", out_jstr(in, "file"), out_jstr(in, "command") ? out_jstr(in, "command") : "?");
                if (st && strcmp(st, "merged") != 0)
                    printf("%s\n", st);
                else
                    printf("%.0f error(s), %.0f warning(s), %.0f info(s)\n", out_jnum(in, "errors"),
                           out_jnum(in, "warnings"), out_jnum(in, "infos"));
            }
            if (m.d.n)
                printf("\n");
        }
        out_findings_text(stdout, &m.d);
        printf("%s%zu error(s), %zu warning(s), %zu info(s) from %d report(s)", m.d.n ? "\n" : "",
               m.d.count[SLM_ERROR], m.d.count[SLM_WARNING], m.d.count[SLM_INFO], argc - optind);
        if (m.checked)
            printf(", %d file(s) checked", cJSON_GetArraySize(m.checked));
        printf("\n");
    }
    if (!rc)
        rc = out_exit_code(&m.d, (slm_severity)fail_at);
    cJSON_Delete(m.inputs);
    cJSON_Delete(m.checked);
    cJSON_Delete(m.notes);
    slm_diag_free(&m.d);
    return rc;
}

/* slminspect gate: the release gate in one command -- every rule (verify),
 * quantization thresholds (quant), and the deployed copy against its
 * integrity manifest (hash --check) -- with one exit status and one report
 * (text, JSON or SARIF). */
#include "cli.h"
#include "manifest.h"
#include "msig.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define GATE_MAX_QUANT 16

static void help(void)
{
    printf("usage: slminspect gate [options] PATH\n\n"
           "The release gate: runs, on the artifact or deployment folder PATH,\n"
           "  1. every rule, as 'slminspect verify' does;\n"
           "  2. with --ref, the quantization error of each quantized model against the\n"
           "     reference checkpoint, as 'slminspect quant' does, with its thresholds;\n"
           "  3. with --manifest, the integrity check of PATH against a manifest written by\n"
           "     'slminspect hash', as 'slminspect hash --check' does;\n"
           "and fails when any step has a finding at the failing severity.\n\n"
           "Verify:\n"
           "  --target PROFILE     webllm, transformers.js, hf or auto (as verify)\n"
           "  --runtime SPEC       the runtime the artifacts meet, e.g. @mlc-ai/web-llm@0.2.79\n"
           "  --stats, --fp16      read tensor values (NaN/Inf, fp16 range), as verify\n"
           "  --hash               check the MLC shards' md5sum too\n"
           "Quantization (each --min/--max gate applies per tensor and to the whole model):\n"
           "  --ref REFERENCE      the checkpoint the quantized weights came from\n"
           "  --quantized Q        a quantized model to measure (repeatable, up to %d;\n"
           "                       default: PATH itself)\n"
           "  --min-sqnr DB, --max-rel-rmse X, --min-cosine C, --map FILE, --seed N\n"
           "Integrity:\n"
           "  --manifest FILE      PATH must match FILE (an slminspect manifest, or a\n"
           "                       model_signing bundle) byte for byte, file by file and\n"
           "                       tensor by tensor\n"
           "Output:\n"
           "  --format FORMAT      text (default), json (spec/schema/gate.schema.json) or sarif\n"
           "  --json               same as --format json\n"
           "  --strict             warnings fail too (same as --fail-on warning)\n"
           "  --fail-on SEVERITY   error (default), warning or info\n"
           "  --all                list every finding (text folds repeated ones and counts infos)\n"
           "  -q, --quiet          print nothing; the exit status tells\n\n"
           "Exit status: 0 the gate passes, 1 it fails (a finding at the failing severity),\n"
           "2 usage error, unreadable input or nothing to check.\n",
           GATE_MAX_QUANT);
}

typedef struct step {
    cJSON *o;     /* the step's entry in "steps" */
    slm_diag d;
} step;

static void step_begin(step *s, const char *name)
{
    s->o = cJSON_CreateObject();
    cJSON_AddStringToObject(s->o, "step", name);
    slm_diag_init(&s->d);
}

/* Counts the step's findings into its entry and moves them into ALL. */
static void step_end(step *s, cJSON *steps, slm_diag *all, slm_severity fail_at)
{
    cJSON_AddNumberToObject(s->o, "errors", (double)s->d.count[SLM_ERROR]);
    cJSON_AddNumberToObject(s->o, "warnings", (double)s->d.count[SLM_WARNING]);
    cJSON_AddNumberToObject(s->o, "infos", (double)s->d.count[SLM_INFO]);
    cJSON_AddBoolToObject(s->o, "passed", slm_diag_count_at_least(&s->d, fail_at) == 0);
    cJSON_AddItemToArray(steps, s->o);
    slm_diag_move(all, &s->d);
    slm_diag_free(&s->d);
}

static void count_checked(void *arg, const char *path, slm_kind kind)
{
    (void)path;
    (void)kind;
    (*(size_t *)arg)++;
}

static void print_text(const cJSON *doc, const slm_diag *d, slm_severity fail_at)
{
    printf("gate %s\n", out_jstr(doc, "path"));
    const cJSON *s;
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(doc, "steps")) {
        const char *name = out_jstr(s, "step");
        printf("  %-9s", name);
        if (strcmp(name, "verify") == 0)
            printf("%.0f file(s) checked", out_jnum(s, "files"));
        else if (strcmp(name, "quant") == 0) {
            const cJSON *o = cJSON_GetObjectItemCaseSensitive(s, "overall");
            printf("%s vs %s: %.0f of %.0f quantized weights paired, SQNR %.2f dB, rel RMSE %.4g", out_jstr(s, "quantized"),
                   out_jstr(s, "ref"), out_jnum(s, "weights_paired"), out_jnum(s, "quantized_weights"), out_jnum(o, "sqnr_db"),
                   out_jnum(o, "rel_rmse"));
        } else if (strcmp(name, "manifest") == 0)
            printf("%s: %.0f file(s), %.0f tensor(s) checked", out_jstr(s, "manifest"), out_jnum(s, "files"),
                   out_jnum(s, "tensors"));
        printf(": %.0f error(s), %.0f warning(s), %.0f info(s) -- %s\n", out_jnum(s, "errors"), out_jnum(s, "warnings"),
               out_jnum(s, "infos"), cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(s, "passed")) ? "pass" : "FAIL");
    }
    /* infos are facts, not verdicts: counted here, listed by --json */
    slm_diag shown;
    slm_diag_init(&shown);
    for (size_t i = 0; i < d->n; i++)
        if (d->v[i].severity >= SLM_WARNING || d->v[i].severity >= fail_at || out_show_all())
            slm_report(&shown, d->v[i].rule, d->v[i].file, d->v[i].offset, d->v[i].path, "%s", d->v[i].message);
    if (shown.n) {
        printf("\n");
        out_findings_text(stdout, &shown);
    }
    if (shown.n < d->n)
        printf("\n(%zu info(s) not listed: 'slminspect gate --json' or 'slminspect verify' list them)\n",
               d->n - shown.n);
    slm_diag_free(&shown);
    size_t failing = slm_diag_count_at_least(d, fail_at);
    if (failing)
        printf("\nFAIL: %zu finding(s) at or above '%s'\n", failing, slm_severity_name(fail_at));
    else
        printf("\nPASS\n");
}

int cmd_gate(int argc, char **argv)
{
    enum { O_TARGET = 256, O_RUNTIME, O_STATS, O_FP16, O_HASH, O_QUANTIZED, O_MANIFEST };
    static const struct option opts[] = {
        OUT_LONG_OPTIONS,
        QUANT_LONG_OPTIONS,
        {"target", required_argument, 0, O_TARGET}, {"runtime", required_argument, 0, O_RUNTIME},
        {"stats", no_argument, 0, O_STATS},        {"fp16", no_argument, 0, O_FP16},
        {"hash", no_argument, 0, O_HASH},          {"quantized", required_argument, 0, O_QUANTIZED},
        {"manifest", required_argument, 0, O_MANIFEST}, {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    out_opts oo;
    out_opts_init(&oo);
    int c, r;
    slm_verify_opts vo;
    memset(&vo, 0, sizeof vo);
    quant_opts qo;
    quant_opts_init(&qo);
    const char *quantized[GATE_MAX_QUANT], *manifest = NULL;
    int nq = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
        switch (c) {
        case O_TARGET:
            if (!slm_verify_target_known(optarg))
                return usage_error("gate", "--target takes webllm, transformers.js, hf or auto, not '%s'", optarg);
            vo.target = optarg;
            break;
        case O_RUNTIME: vo.runtime = optarg; break;
        case O_STATS: vo.stats = true; break;
        case O_FP16: vo.fp16 = true; break;
        case O_HASH: vo.hash = true; break;
        case O_QUANTIZED:
            if (nq == GATE_MAX_QUANT)
                return usage_error("gate", "at most %d --quantized models", GATE_MAX_QUANT);
            quantized[nq++] = optarg;
            break;
        case O_MANIFEST: manifest = optarg; break;
        case 'h': help(); return 0;
        default:
            if ((r = quant_parse_opt(&qo, c, optarg, "gate")) < 0 && (r = out_parse_opt(&oo, c, optarg, "gate")) < 0)
                return usage_error("gate", "unknown option");
            if (r > 0)
                return r;
        }
    }
    const bool quiet = oo.quiet;
    const int fmt = oo.format, fail_at = oo.fail_at;
    if (optind >= argc)
        return usage_error("gate", "no PATH given");
    if (optind + 1 < argc)
        return usage_error("gate", "one PATH, not %d (run one gate per artifact; 'slminspect merge' joins reports)",
                           argc - optind);
    const char *path = argv[optind];
    if (nq && !qo.ref)
        return usage_error("gate", "--quantized needs --ref REFERENCE");
    if (qo.ref && !nq)
        quantized[nq++] = path;

    progress pg;
    progress_init(&pg, fmt == OUT_TEXT && !quiet);
    slm_diag all;
    slm_diag_init(&all);
    cJSON *doc = out_doc("gate"), *steps = cJSON_CreateArray();
    cJSON_AddStringToObject(doc, "path", path);
    int rc = 0;

    step s;
    step_begin(&s, "verify");
    size_t files = 0;
    vo.checked = count_checked;
    vo.checked_arg = &files;
    vo.progress = progress_cb;
    vo.progress_arg = &pg;
    int e = slm_verify_path(path, &vo, &s.d);
    progress_end(&pg);
    if (e) {
        fprintf(stderr, "slminspect gate: %s: %s\n", path, out_unreadable(e));
        rc = EXIT_USAGE;
    } else if (out_nothing_to_check(files, &s.d)) {
        fprintf(stderr, "slminspect gate: %s: nothing to check: no file slminspect reads (safetensors, ONNX, MLC, "
                        "wasm, config.json ...)\n", path);
        rc = EXIT_USAGE;
    }
    cJSON_AddNumberToObject(s.o, "files", (double)files);
    step_end(&s, steps, &all, (slm_severity)fail_at);

    for (int i = 0; i < nq && !rc; i++) {
        step_begin(&s, "quant");
        qo.quantized = quantized[i];
        cJSON *qdoc;
        rc = quant_run(&qo, &s.d, &qdoc, &pg);
        progress_end(&pg);
        cJSON_AddStringToObject(s.o, "quantized", qo.quantized);
        cJSON_AddStringToObject(s.o, "ref", qo.ref);
        if (!rc) {
            /* the gate's summary of it; 'slminspect quant --json' has every tensor */
            cJSON *sum = cJSON_DetachItemFromObject(qdoc, "summary");
            cJSON_AddItemToObject(s.o, "quantized_weights", cJSON_DetachItemFromObject(sum, "quantized_weights"));
            cJSON_AddItemToObject(s.o, "weights_paired", cJSON_DetachItemFromObject(sum, "weights_paired"));
            cJSON_AddItemToObject(s.o, "overall", cJSON_DetachItemFromObject(sum, "overall"));
            cJSON_Delete(sum);
            cJSON_Delete(qdoc);
        }
        step_end(&s, steps, &all, (slm_severity)fail_at);
    }

    if (manifest && !rc) {
        step_begin(&s, "manifest");
        cJSON_AddStringToObject(s.o, "manifest", manifest);
        slm_manifest_opts mo;
        slm_manifest_stats st;
        memset(&mo, 0, sizeof mo);
        memset(&st, 0, sizeof st);
        mo.stats = &st;
        mo.progress = progress_cb;
        mo.progress_arg = &pg;
        e = slm_msig_is_bundle(manifest) ? slm_msig_check(manifest, path, &mo, NULL, &s.d)
                                         : slm_manifest_check(manifest, path, &mo, &s.d);
        progress_end(&pg);
        if (e) {
            fprintf(stderr, "slminspect gate: --manifest %s: %s\n", manifest, strerror(e));
            rc = EXIT_USAGE;
        }
        cJSON_AddNumberToObject(s.o, "files", (double)st.files);
        cJSON_AddNumberToObject(s.o, "tensors", (double)st.tensors);
        step_end(&s, steps, &all, (slm_severity)fail_at);
    }

    slm_diag_sort(&all);
    if (!rc)
        rc = out_exit_code(&all, (slm_severity)fail_at);
    cJSON_AddStringToObject(doc, "result", rc == EXIT_CLEAN ? "pass" : rc == EXIT_FINDINGS ? "fail" : "error");
    cJSON_AddItemToObject(doc, "steps", steps);
    slm_report_add(doc, &all);
    if (fmt == OUT_SARIF) {
        cJSON *log = out_sarif(&all);
        if (rc == EXIT_USAGE)
            out_sarif_unsuccessful(log, "an input could not be read (see standard error)");
        out_print_json(log);
    }
    else if (fmt == OUT_JSON) {
        out_print_json(doc);
        doc = NULL;
    }
    else if (!quiet && rc != EXIT_USAGE)
        print_text(doc, &all, (slm_severity)fail_at);
    cJSON_Delete(doc);
    slm_diag_free(&all);
    return rc;
}

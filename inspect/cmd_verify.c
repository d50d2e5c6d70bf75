/* slminspect verify: every rule on every path. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <string.h>

static void help(void)
{
    printf("usage: slminspect verify [options] PATH...\n\n"
           "Runs every rule on each PATH -- a file (.safetensors, *.index.json, ...) or a\n"
           "model folder, whose index, shards and config.json are found by name -- and\n"
           "prints the findings grouped by file.\n\n"
           "Options:\n"
           "  --json               print {\"findings\": [...], \"errors\": N, \"warnings\": N, \"infos\": N}\n"
           "                       (same as --format json; spec/schema/verify.schema.json)\n"
           "  --format FORMAT      text (default), json, or sarif (SARIF 2.1.0, for code-scanning UIs)\n"
           "  --strict             warnings fail too (same as --fail-on warning)\n"
           "  --fail-on SEVERITY   error (default), warning or info: the least severe finding\n"
           "                       that makes the exit status 1\n"
           "  --stats              read tensor values too: NaN/Inf (ST-201), fp16 range\n"
           "  --fp16               the tensors are headed for fp16 deployment: values beyond\n"
           "                       fp16's range are errors (ST-202); implied with --stats when\n"
           "                       config.json says \"dtype\": \"float16\"\n"
           "  --hash               check content hashes too (MLC shards' md5sum, MLC-015)\n"
           "  --target PROFILE     check a deployment folder as a runtime reads it: webllm,\n"
           "                       transformers.js, hf, or auto (picked from what the folder holds)\n"
           "  --runtime SPEC       the runtime the artifacts will be loaded with, e.g.\n"
           "                       @mlc-ai/web-llm@0.2.79 (default: read from a package.json,\n"
           "                       import map or HTML page beside the artifacts)\n"
           "  -q, --quiet          print nothing; the exit status tells\n\n"
           "Exit status: 0 clean, 1 findings at or above the failing severity, 2 usage\n"
           "error or unreadable input.  'slminspect rules' lists every rule.\n");
}

/* The files the rules read, for the summary line and --json. */
typedef struct checked_list {
    cJSON *files;
    size_t n;
} checked_list;

static void on_checked(void *arg, const char *path, slm_kind kind)
{
    checked_list *c = arg;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "path", path);
    cJSON_AddStringToObject(o, "kind", slm_kind_name(kind));
    cJSON_AddItemToArray(c->files, o);
    c->n++;
}

int cmd_verify(int argc, char **argv)
{
    enum { O_JSON = 256, O_STRICT, O_FAIL_ON, O_STATS, O_FP16, O_HASH, O_TARGET, O_RUNTIME, O_FORMAT };
    static const struct option opts[] = {
        {"json", no_argument, 0, O_JSON},         {"strict", no_argument, 0, O_STRICT},
        {"fail-on", required_argument, 0, O_FAIL_ON}, {"stats", no_argument, 0, O_STATS},
        {"fp16", no_argument, 0, O_FP16},         {"quiet", no_argument, 0, 'q'},
        {"hash", no_argument, 0, O_HASH},         {"target", required_argument, 0, O_TARGET},
        {"runtime", required_argument, 0, O_RUNTIME}, {"format", required_argument, 0, O_FORMAT},
        {"help", no_argument, 0, 'h'},            {0, 0, 0, 0}};
    bool quiet = false;
    int fail_at = SLM_ERROR, fmt = OUT_TEXT, c;
    slm_verify_opts vo = {0};
    optind = 1;
    while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
        switch (c) {
        case O_JSON: fmt = OUT_JSON; break;
        case O_FORMAT:
            if ((fmt = out_parse_format(optarg)) < 0)
                return usage_error("verify", "--format takes text, json or sarif, not '%s'", optarg);
            break;
        case O_STRICT: fail_at = SLM_WARNING; break;
        case O_FAIL_ON:
            if ((fail_at = out_parse_severity(optarg)) < 0)
                return usage_error("verify", "--fail-on takes error, warning or info, not '%s'", optarg);
            break;
        case O_STATS: vo.stats = true; break;
        case O_FP16: vo.fp16 = true; break;
        case O_HASH: vo.hash = true; break;
        case O_TARGET:
            if (!slm_verify_target_known(optarg))
                return usage_error("verify", "--target takes webllm, transformers.js, hf or auto, not '%s'", optarg);
            vo.target = optarg;
            break;
        case O_RUNTIME: vo.runtime = optarg; break;
        case 'q': quiet = true; break;
        case 'h': help(); return 0;
        default: return usage_error("verify", "unknown option");
        }
    }
    if (optind >= argc)
        return usage_error("verify", "no PATH given");
    progress pr;
    progress_init(&pr, fmt == OUT_TEXT && !quiet);
    vo.progress = progress_cb;
    vo.progress_arg = &pr;
    checked_list cl = {cJSON_CreateArray(), 0};
    vo.checked = on_checked;
    vo.checked_arg = &cl;
    slm_diag d;
    slm_diag_init(&d);
    int unreadable = 0;
    for (int i = optind; i < argc; i++) {
        int e = slm_verify_path(argv[i], &vo, &d);
        if (e) {
            unreadable++;
            fprintf(stderr, "slminspect verify: %s: %s\n", argv[i],
                    e == ENOTSUP ? "not a file kind slminspect reads" : strerror(e));
        }
    }
    progress_end(&pr);
    slm_diag_sort(&d);
    if (fmt == OUT_SARIF) {
        out_print_json(out_sarif(&d));
    } else if (fmt == OUT_JSON) {
        cJSON *doc = cJSON_CreateObject();
        out_add_findings(doc, &d);
        cJSON_AddItemToObject(doc, "checked", cl.files);
        cl.files = NULL;
        out_print_json(doc);
    } else if (!quiet) {
        out_findings_text(stdout, &d);
        printf("%s%zu error(s), %zu warning(s), %zu info(s) in %zu file(s) checked\n", d.n ? "\n" : "",
               d.count[SLM_ERROR], d.count[SLM_WARNING], d.count[SLM_INFO], cl.n);
    }
    cJSON_Delete(cl.files);
    int rc = unreadable ? EXIT_USAGE : out_exit_code(&d, (slm_severity)fail_at);
    slm_diag_free(&d);
    return rc;
}

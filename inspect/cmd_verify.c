/* slminspect verify: every rule on every path. */
#include "cli.h"
#include "parallel.h"

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdlib.h>
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
           "                       import map or HTML page beside the artifacts); for ONNX:\n"
           "                       onnxruntime@X, onnxruntime-web@X or @huggingface/transformers@X\n"
           "                       (what that release loads is never an error; spec/onnx.md)\n"
           "  --device EP          the onnxruntime-web execution provider: webgpu or wasm\n"
           "                       (default: config.json's transformers.js_config.device)\n"
           "  -j, --jobs N         verify N paths at a time (default: the number of CPUs), or\n"
           "                       with one path, read the tensors of --stats on N threads;\n"
           "                       the output is the same, in argument order, whatever N\n"
           "  --all                list every finding (text folds repeated ones and counts infos)\n"
           "  -q, --quiet          print nothing; the exit status tells\n\n"
           "Exit status: 0 clean, 1 findings at or above the failing severity, 2 usage\n"
           "error, unreadable input or nothing to check (no file slminspect reads).\n"
           "'slminspect rules' lists every rule.\n");
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

/* One path's verification, run by a worker of the pool. */
typedef struct job {
    const char *path;
    slm_verify_opts vo;
    checked_list cl;
    slm_diag d;
    size_t count[3]; /* its findings by severity (d is moved into the whole run's) */
    int err;
    bool nothing; /* readable, but holds nothing the rules read */
} job;

typedef struct pool {
    job *v;
    size_t n, done;
    pthread_mutex_t mu;
    progress *pr;
} pool;

static void verify_one(void *arg, unsigned worker, size_t i)
{
    (void)worker;
    pool *P = arg;
    job *j = &P->v[i];
    j->err = slm_verify_path(j->path, &j->vo, &j->d);
    pthread_mutex_lock(&P->mu);
    P->done++;
    if (P->pr->on && P->n > 1) {
        fprintf(stderr, "\r\033[Kverify: %zu of %zu paths", P->done, P->n);
        fflush(stderr);
        P->pr->last = 1; /* progress_end clears the line */
    }
    pthread_mutex_unlock(&P->mu);
}

int cmd_verify(int argc, char **argv)
{
    enum { O_STATS = 256, O_FP16, O_HASH, O_TARGET, O_RUNTIME, O_DEVICE };
    static const struct option opts[] = {
        OUT_LONG_OPTIONS,
        {"stats", no_argument, 0, O_STATS},       {"fp16", no_argument, 0, O_FP16},
        {"hash", no_argument, 0, O_HASH},         {"target", required_argument, 0, O_TARGET},
        {"runtime", required_argument, 0, O_RUNTIME}, {"jobs", required_argument, 0, 'j'},
        {"device", required_argument, 0, O_DEVICE},
        {"help", no_argument, 0, 'h'},            {0, 0, 0, 0}};
    out_opts oo;
    out_opts_init(&oo);
    long jobs = 0; /* one per CPU */
    int c, r;
    slm_verify_opts vo;
    memset(&vo, 0, sizeof vo);
    optind = 1;
    while ((c = getopt_long(argc, argv, "qhj:", opts, NULL)) != -1) {
        switch (c) {
        case 'j':
            if (!out_parse_long(optarg, 1, 1024, &jobs))
                return usage_error("verify", "--jobs takes a number from 1 to 1024, not '%s'", optarg);
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
        case O_DEVICE:
            if (strcmp(optarg, "webgpu") != 0 && strcmp(optarg, "wasm") != 0)
                return usage_error("verify", "--device takes webgpu or wasm, not '%s'", optarg);
            vo.device = optarg;
            break;
        case 'h': help(); return 0;
        default:
            if ((r = out_parse_opt(&oo, c, optarg, "verify")) != 0)
                return r > 0 ? r : usage_error("verify", "unknown option");
        }
    }
    const bool quiet = oo.quiet;
    const int fmt = oo.format, fail_at = oo.fail_at;
    if (optind >= argc)
        return usage_error("verify", "no PATH given");
    progress pr;
    progress_init(&pr, fmt == OUT_TEXT && !quiet);
    size_t n = (size_t)(argc - optind);
    job *jv = calloc(n, sizeof *jv);
    if (!jv)
        return usage_error("verify", "out of memory");
    pool P = {jv, n, 0, PTHREAD_MUTEX_INITIALIZER, &pr};
    unsigned threads = slm_parallel_threads((unsigned)jobs, n);
    /* the threads go to the paths, or, with one path at a time, to its tensors (--stats) */
    vo.jobs = threads > 1 ? 1 : (unsigned)jobs;
    for (size_t i = 0; i < n; i++) {
        jv[i].path = argv[optind + (int)i];
        jv[i].vo = vo;
        jv[i].cl.files = cJSON_CreateArray();
        jv[i].vo.checked = on_checked;
        jv[i].vo.checked_arg = &jv[i].cl;
        if (threads == 1) { /* one at a time: progress in bytes */
            jv[i].vo.progress = progress_cb;
            jv[i].vo.progress_arg = &pr;
        }
        slm_diag_init(&jv[i].d);
    }
    slm_parallel(n, NULL, threads, verify_one, &P);
    progress_end(&pr);

    slm_diag d;
    slm_diag_init(&d);
    checked_list cl = {cJSON_CreateArray(), 0};
    cJSON *paths = cJSON_CreateArray();
    int unreadable = 0;
    for (size_t i = 0; i < n; i++) {
        job *j = &jv[i];
        if (j->err) {
            unreadable++;
            fprintf(stderr, "slminspect verify: %s: %s\n", j->path, out_unreadable(j->err));
        } else if (out_nothing_to_check(j->cl.n, &j->d)) {
            unreadable++;
            j->err = ENOENT;
            j->nothing = true;
            fprintf(stderr, "slminspect verify: %s: nothing to check: no file slminspect reads (safetensors, "
                            "ONNX, MLC, wasm, config.json ...)%s\n", j->path, j->d.n ? ", only entries that cannot be read" : "");
        }
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "path", j->path);
        cJSON_AddBoolToObject(o, "readable", j->err == 0);
        cJSON_AddNumberToObject(o, "files", (double)j->cl.n);
        memcpy(j->count, j->d.count, sizeof j->count);
        cJSON_AddNumberToObject(o, "errors", (double)j->count[SLM_ERROR]);
        cJSON_AddNumberToObject(o, "warnings", (double)j->count[SLM_WARNING]);
        cJSON_AddNumberToObject(o, "infos", (double)j->count[SLM_INFO]);
        cJSON_AddItemToArray(paths, o);
        cJSON *f;
        while ((f = cJSON_DetachItemFromArray(j->cl.files, 0)))
            cJSON_AddItemToArray(cl.files, f);
        cJSON_Delete(j->cl.files);
        cl.n += j->cl.n;
        slm_diag_move(&d, &j->d);
        slm_diag_free(&j->d);
    }
    slm_diag_sort(&d);
    if (fmt == OUT_SARIF) {
        cJSON *log = out_sarif(&d);
        for (size_t i = 0; i < n; i++)
            if (jv[i].err) {
                char why[512];
                snprintf(why, sizeof why, "%s: %s", jv[i].path,
                         jv[i].nothing ? "nothing to check" : out_unreadable(jv[i].err));
                out_sarif_unsuccessful(log, why);
            }
        out_print_json(log);
    } else if (fmt == OUT_JSON) {
        cJSON *doc = out_doc("verify");
        slm_report_add(doc, &d);
        cJSON_AddItemToObject(doc, "checked", cl.files);
        cJSON_AddItemToObject(doc, "paths", paths);
        cl.files = paths = NULL;
        out_print_json(doc);
    } else if (!quiet) {
        if (n > 1) { /* a verdict per path first, then the details */
            printf("paths:\n");
            for (size_t i = 0; i < n; i++) {
                const job *j = &jv[i];
                size_t e = j->count[SLM_ERROR], w = j->count[SLM_WARNING], in = j->count[SLM_INFO];
                if (j->nothing)
                    printf("  %s: nothing to check\n", j->path);
                else if (j->err)
                    printf("  %s: unreadable\n", j->path);
                else if (e + w + in == 0)
                    printf("  %s: clean (%zu file(s))\n", j->path, j->cl.n);
                else
                    printf("  %s: %zu error(s), %zu warning(s), %zu info(s) in %zu file(s)\n", j->path, e, w, in,
                           j->cl.n);
            }
            if (d.n)
                printf("\n");
        }
        out_findings_text(stdout, &d);
        printf("%s%zu error(s), %zu warning(s), %zu info(s) in %zu file(s) checked\n", d.n || n > 1 ? "\n" : "",
               d.count[SLM_ERROR], d.count[SLM_WARNING], d.count[SLM_INFO], cl.n);
    }
    free(jv);
    cJSON_Delete(paths);
    cJSON_Delete(cl.files);
    int rc = unreadable ? EXIT_USAGE : out_exit_code(&d, (slm_severity)fail_at);
    slm_diag_free(&d);
    return rc;
}

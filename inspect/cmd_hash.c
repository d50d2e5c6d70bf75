/* slminspect hash: write an integrity manifest (XXH3-128 of every file and
 * every tensor), or check a deployed copy against one.  The work is in
 * verify/manifest.c; this parses options and prints. */
#include "cli.h"
#include "manifest.h"
#include "msig.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void help(void)
{
    printf("usage: slminspect hash [options] PATH...\n"
           "       slminspect hash --format in-toto [-o FILE] PATH\n"
           "       slminspect hash --check MANIFEST [options] [PATH]\n\n"
           "Writes an integrity manifest of each PATH -- a file, or a folder whose regular\n"
           "files are all taken, recursively, in name order -- or checks a copy against one.\n\n"
           "The manifest (JSON, spec/hash.md) lists every file with its size, its XXH3-128\n"
           "(the 32 hex digits 'xxhsum -H2 FILE' prints) and its kind, and every tensor of\n"
           "the weight files (safetensors shards, ONNX models and their external data, MLC\n"
           "shards) with its name, byte range and XXH3-128; an MLC shard also carries the\n"
           "md5sum its tensor cache records.  Paths are relative: with one PATH, to that\n"
           "folder (a single file: its name); with several, each starts with its PATH's\n"
           "name.  Each file is read once, through mmap; files are hashed in parallel.\n\n"
           "Checking reads MANIFEST, validates all of it first, then hashes each file it\n"
           "lists under PATH (default: the folder that holds MANIFEST) and names every file\n"
           "that is missing or differs and, in a file that differs, every tensor that\n"
           "differs; files of the copy the manifest does not list are warnings.  Paths\n"
           "that are absolute or have '..' parts are errors and are never read.\n\n"
           "Options:\n"
           "  -o, --output FILE    write the manifest to FILE (default, or '-': standard\n"
           "                       output); FILE itself is never listed\n"
           "  -j, --jobs N         hash N files at a time (default: one per CPU); the\n"
           "                       manifest is the same for every N\n"
           "  --format in-toto     write the unsigned in-toto statement OpenSSF model signing\n"
           "                       (model_signing) signs for PATH: SHA-256 of every file,\n"
           "                       named and sorted as model_signing does, and the subject\n"
           "                       digest over them (spec/hash.md, model_signing)\n"
           "  -c, --check MANIFEST check the copy at PATH against MANIFEST: an slminspect\n"
           "                       manifest, or a model_signing bundle (model.sig), whose\n"
           "                       files are recomputed with the serialization it records\n"
           "                       (integrity only: model_signing verify checks the signature)\n"
           "  --ignore PATH        model_signing: leave PATH (inside the model; a file or a\n"
           "                       folder) out, as model_signing's --ignore-paths; repeatable\n"
           "  --json               with --check: print {\"findings\": [...], \"errors\": N, ...}\n"
           "                       (same as --format json; spec/schema/hash-check.schema.json)\n"
           "  --format FORMAT      with --check: text (default), json, or sarif (SARIF 2.1.0)\n"
           "  --strict             warnings fail too (same as --fail-on warning)\n"
           "  --fail-on SEVERITY   error (default), warning or info: the least severe finding\n"
           "                       that makes the exit status 1\n"
           "  --all                list every finding (text folds repeated ones and counts infos)\n"
           "  -q, --quiet          print no findings and no progress; the exit status tells\n\n"
           "Rules: HS-001..HS-005 (the manifest), HS-010..HS-014 (the copy), HS-020 and\n"
           "HS-021 (making), HS-030..HS-035 (model_signing); IO-001 for a file that cannot be read.  'slminspect rules HS'\n"
           "lists them.  Progress goes to standard error when it is a terminal.\n\n"
           "Exit status: 0 clean, 1 findings at or above the failing severity (a copy\n"
           "that differs), 2 usage error, a PATH or MANIFEST that cannot be read, or nothing\n"
           "to hash or check (no file slminspect reads; a manifest that lists no file).\n\n"
           "Examples:\n"
           "  slminspect hash -o manifest.json models/qwen2\n"
           "  slminspect hash --check models/qwen2/manifest.json\n"
           "  slminspect hash --check manifest.json /srv/deploy/qwen2 --format sarif\n"
           "  slminspect hash --format in-toto -o statement.json models/qwen2\n"
           "  slminspect hash --check models/qwen2/model.sig\n");
}

/* Writes DOC to PATH (through a temporary file beside it), or to stdout. */
static int write_manifest(const cJSON *doc, const char *path)
{
    char *s = cJSON_Print(doc);
    if (!s)
        return ENOMEM;
    int e = 0;
    if (!path || strcmp(path, "-") == 0) {
        if (fputs(s, stdout) == EOF || fputc('\n', stdout) == EOF || fflush(stdout) == EOF)
            e = errno ? errno : EIO;
    } else {
        char *tmp = slm_strdupf("%s.tmp%ld", path, (long)getpid());
        FILE *f = tmp ? fopen(tmp, "w") : NULL;
        if (!f)
            e = tmp ? errno : ENOMEM;
        else {
            bool ok = fputs(s, f) != EOF && fputc('\n', f) != EOF;
            if (fclose(f) != 0 || !ok)
                e = errno ? errno : EIO;
            else if (rename(tmp, path) != 0)
                e = errno;
            if (e)
                unlink(tmp);
        }
        free(tmp);
    }
    free(s);
    return e;
}

static char *folder_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slm_strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
}

static void summary(FILE *f, const slm_diag *d, const slm_manifest_stats *st, const char *what)
{
    char b[32];
    fprintf(f, "%s%zu error(s), %zu warning(s), %zu info(s); %zu file(s), %zu tensor(s), %s %s\n", d->n ? "\n" : "",
            d->count[SLM_ERROR], d->count[SLM_WARNING], d->count[SLM_INFO], st->files, st->tensors,
            slm_fmt_bytes(b, sizeof b, st->bytes), what);
}

/* A manifest written: the summary (unless it went to standard output, or
 * QUIET), the exit code by the findings; frees D. */
static int written(slm_diag *d, const slm_manifest_stats *st, const char *out, bool quiet, slm_severity fail_at,
                   const char *what)
{
    if (!quiet && out && strcmp(out, "-") != 0)
        summary(stderr, d, st, what);
    int rc = out_exit_code(d, fail_at);
    slm_diag_free(d);
    return rc;
}

/* The most --ignore paths. */
#define HASH_MAX_IGNORE 64

static int do_check(const char *manifest, const char *root, slm_manifest_opts *mo, const slm_msig_ignore *ig,
                    int fmt, bool quiet, slm_severity fail_at)
{
    slm_diag d;
    slm_diag_init(&d);
    slm_manifest_stats st = {0};
    mo->stats = &st;
    const bool bundle = slm_msig_is_bundle(manifest);
    if (!bundle && ig->n) {
        slm_diag_free(&d);
        return usage_error("hash", "--ignore is for model_signing statements and bundles; %s is an slminspect manifest",
                           manifest);
    }
    int e = bundle ? slm_msig_check(manifest, root, mo, ig, &d) : slm_manifest_check(manifest, root, mo, &d);
    if (mo->progress_arg)
        progress_end(mo->progress_arg);
    slm_diag_sort(&d);
    if (e) {
        char why[600];
        snprintf(why, sizeof why, "%s: %s", root && e == ENOTDIR ? root : manifest, strerror(e));
        fprintf(stderr, "slminspect hash: %s\n", why);
        if (fmt == OUT_SARIF) { /* a log all the same, for the CI step that uploads it */
            cJSON *log = out_sarif(&d);
            out_sarif_unsuccessful(log, why);
            out_print_json(log);
        }
        slm_diag_free(&d);
        return EXIT_USAGE;
    }
    if (st.files == 0 && out_nothing_to_check(0, &d)) {
        fprintf(stderr, "slminspect hash: %s: nothing to check: the manifest lists no file\n", manifest);
        if (fmt == OUT_SARIF) {
            cJSON *log = out_sarif(&d);
            out_sarif_unsuccessful(log, "nothing to check: the manifest lists no file");
            out_print_json(log);
        }
        slm_diag_free(&d);
        return EXIT_USAGE;
    }
    if (fmt == OUT_SARIF) {
        out_print_json(out_sarif(&d));
    } else if (fmt == OUT_JSON) {
        char *dir = root ? strdup(root) : folder_of(manifest);
        cJSON *doc = out_doc("hash");
        cJSON_AddStringToObject(doc, "manifest", manifest);
        cJSON_AddStringToObject(doc, "manifest_kind", bundle ? "model_signing" : "slminspect");
        cJSON_AddStringToObject(doc, "root", dir ? dir : "");
        cJSON_AddNumberToObject(doc, "files_checked", (double)st.files);
        cJSON_AddNumberToObject(doc, "tensors_listed", (double)st.tensors);
        cJSON_AddNumberToObject(doc, "bytes_hashed", (double)st.bytes);
        slm_report_add(doc, &d);
        out_print_json(doc);
        free(dir);
    } else if (!quiet) {
        out_findings_text(stdout, &d);
        summary(stdout, &d, &st, "checked");
    }
    int rc = out_exit_code(&d, fail_at);
    slm_diag_free(&d);
    return rc;
}

/* Files of a kind slminspect reads in manifest DOC (not "unknown", not a
 * JSON document of no known kind). */
static size_t model_files(const cJSON *doc)
{
    size_t n = 0;
    const cJSON *f;
    cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(doc, "files")) {
        const char *k = out_jstr(f, "kind");
        n += k && strcmp(k, "unknown") != 0 && strcmp(k, "json") != 0;
    }
    return n;
}

static int do_make(char **paths, size_t n, const char *out, slm_manifest_opts *mo, bool quiet, slm_severity fail_at)
{
    slm_diag d;
    slm_diag_init(&d);
    slm_manifest_stats st = {0};
    mo->skip = out;
    mo->stats = &st;
    cJSON *doc = NULL;
    int e = slm_manifest_make((const char *const *)paths, n, mo, &doc, &d);
    if (mo->progress_arg)
        progress_end(mo->progress_arg);
    if (e) {
        if (e == EEXIST)
            fprintf(stderr, "slminspect hash: two PATHs have the same name; their files would share manifest paths\n");
        else
            fprintf(stderr, "slminspect hash: %s\n", strerror(e));
        slm_diag_free(&d);
        return EXIT_USAGE;
    }
    slm_diag_sort(&d);
    if (!quiet && d.n)
        out_findings_text(stderr, &d);
    if (!model_files(doc)) {
        fprintf(stderr, "slminspect hash: nothing to hash: %s no file slminspect reads (safetensors, ONNX, MLC, "
                        "wasm, config.json ...); no manifest written\n", n > 1 ? "the PATHs hold" : "PATH holds");
        cJSON_Delete(doc);
        slm_diag_free(&d);
        return EXIT_USAGE;
    }
    e = write_manifest(doc, out);
    cJSON_Delete(doc);
    if (e) {
        fprintf(stderr, "slminspect hash: %s: %s\n", out ? out : "standard output", strerror(e));
        slm_diag_free(&d);
        return EXIT_USAGE;
    }
    return written(&d, &st, out, quiet, fail_at, "hashed");
}

/* The unsigned in-toto statement model_signing signs for PATH (msig.h). */
static int do_intoto(const char *path, const char *out, slm_manifest_opts *mo, const slm_msig_ignore *ig, bool quiet,
                     slm_severity fail_at)
{
    slm_diag d;
    slm_diag_init(&d);
    slm_manifest_stats st = {0};
    mo->skip = out;
    mo->stats = &st;
    cJSON *doc = NULL;
    int e = slm_msig_statement(path, mo, ig, &doc, &d);
    if (mo->progress_arg)
        progress_end(mo->progress_arg);
    if (!e)
        e = write_manifest(doc, out);
    cJSON_Delete(doc);
    slm_diag_sort(&d);
    if (!quiet && d.n)
        out_findings_text(stderr, &d);
    if (e) {
        fprintf(stderr, "slminspect hash: %s: %s\n", e == EINVAL ? path : out ? out : "standard output",
                e == EINVAL ? "neither a file nor a folder" : strerror(e));
        slm_diag_free(&d);
        return EXIT_USAGE;
    }
    return written(&d, &st, out, quiet, fail_at, "hashed (SHA-256)");
}

/* PATHs that cannot be read are a usage error before any work (exit 2). */
static int paths_readable(char **paths, int n)
{
    for (int i = 0; i < n; i++)
        if (access(paths[i], R_OK) != 0) {
            fprintf(stderr, "slminspect hash: %s: %s\n", paths[i], strerror(errno));
            return 0;
        }
    return 1;
}

int cmd_hash(int argc, char **argv)
{
    static const struct option opts[] = {
        OUT_LONG_OPTIONS,
        {"output", required_argument, 0, 'o'}, {"jobs", required_argument, 0, 'j'},
        {"check", required_argument, 0, 'c'},  {"help", no_argument, 0, 'h'},
        {"ignore", required_argument, 0, 'I'},
        {0, 0, 0, 0}};
    const char *out = NULL, *check = NULL;
    bool intoto = false;
    const char *ignore[HASH_MAX_IGNORE];
    slm_msig_ignore ig = {ignore, 0};
    out_opts oo;
    out_opts_init(&oo);
    int c, r;
    long jobs;
    slm_manifest_opts mo = {0};
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:j:c:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'j':
            if (!out_parse_long(optarg, 1, SLM_MANIFEST_MAX_JOBS, &jobs))
                return usage_error("hash", "--jobs takes a number from 1 to %u, not '%s'", SLM_MANIFEST_MAX_JOBS,
                                   optarg);
            mo.jobs = (unsigned)jobs;
            break;
        case 'c': check = optarg; break;
        case 'I':
            if (ig.n == HASH_MAX_IGNORE)
                return usage_error("hash", "at most %d --ignore paths", HASH_MAX_IGNORE);
            ignore[ig.n++] = optarg;
            break;
        case OUT_O_FORMAT:
            if (strcmp(optarg, "in-toto") == 0)
                intoto = true;
            else if ((r = out_parse_opt(&oo, c, optarg, "hash")) != 0)
                return r;
            break;
        case 'h': help(); return 0;
        default:
            if ((r = out_parse_opt(&oo, c, optarg, "hash")) != 0)
                return r > 0 ? r : usage_error("hash", "unknown option");
        }
    }
    const bool quiet = oo.quiet, fmt_set = oo.format_set;
    const int fmt = oo.format, fail_at = oo.fail_at;
    int npaths = argc - optind;
    if (check && out)
        return usage_error("hash", "-o writes a manifest; --check reads one: give one of them");
    if (check && npaths > 1)
        return usage_error("hash", "--check takes one PATH (the copy), not %d", npaths);
    if (intoto && (check || fmt_set))
        return usage_error("hash", "--format in-toto writes a statement; it goes with neither --check nor another --format");
    if (ig.n && !intoto && !check)
        return usage_error("hash", "--ignore goes with --format in-toto or --check (model_signing)");
    if (intoto && npaths != 1)
        return usage_error("hash", "--format in-toto takes one PATH (the model), not %d", npaths);
    if (!check && fmt_set)
        return usage_error("hash", "--json and --format are for --check (the manifest is JSON already)");
    if (!check && npaths < 1)
        return usage_error("hash", "no PATH given");
    progress pr;
    progress_init(&pr, !quiet && !(check && fmt != OUT_TEXT));
    mo.progress = progress_cb;
    mo.progress_arg = &pr;
    if (check)
        return do_check(check, npaths ? argv[optind] : NULL, &mo, &ig, fmt, quiet, (slm_severity)fail_at);
    if (!paths_readable(argv + optind, npaths))
        return EXIT_USAGE;
    if (intoto)
        return do_intoto(argv[optind], out, &mo, &ig, quiet, (slm_severity)fail_at);
    return do_make(argv + optind, (size_t)npaths, out, &mo, quiet, (slm_severity)fail_at);
}

/* Shared pieces of the slminspect command: output of findings, exit codes,
 * progress on a terminal, and the subcommands' entry points. */
#ifndef SLM_CLI_H
#define SLM_CLI_H

#include <stdio.h>

#include "slm/slm.h"
#include "report.h"
#include "verify.h"

enum { EXIT_CLEAN = 0, EXIT_FINDINGS = 1, EXIT_USAGE = 2 };

/* Output formats shared by the commands that report findings. */
typedef enum { OUT_TEXT, OUT_JSON, OUT_SARIF } out_format;

/* Prints findings grouped by file, for people: root causes first, repeated
 * findings folded, infos counted (out_fold.c); every finding one by one
 * after out_set_show_all(true) (--all). */
void out_findings_text(FILE *f, const slm_diag *d);
void out_set_show_all(bool all);
bool out_show_all(void);
/* A --json document of COMMAND: {"command": COMMAND, "version": "0.1.0"}, to
 * which the command adds its members (readers such as merge tell reports
 * apart by them). */
cJSON *out_doc(const char *command);
/* Prints a cJSON document and a newline to stdout; frees it.  While this
 * thread captures (the binding API, api/), the document is kept instead. */
void out_print_json(cJSON *doc);
/* Capture for the binding API: between begin and end, on this thread,
 * out_print_json keeps its document (the last one) and usage_error its
 * message, progress is off; end hands both over (malloc'd, or NULL). */
void out_capture_begin(void);
void out_capture_end(char **json, char **error);
/* The options every reporting command takes: --json, --format FORMAT,
 * --strict, --fail-on SEVERITY, -q/--quiet, --all (every finding in text).  Put OUT_LONG_OPTIONS in the
 * command's option table and hand what getopt_long returns to out_parse_opt. */
typedef struct out_opts {
    int format;      /* out_format */
    bool format_set; /* --json or --format given */
    int fail_at;     /* slm_severity */
    bool quiet;
} out_opts;
enum { OUT_O_JSON = 1000, OUT_O_FORMAT, OUT_O_STRICT, OUT_O_FAIL_ON, OUT_O_ALL };
#define OUT_LONG_OPTIONS                                                                                             \
    {"json", no_argument, 0, OUT_O_JSON}, {"format", required_argument, 0, OUT_O_FORMAT},                            \
        {"strict", no_argument, 0, OUT_O_STRICT}, {"fail-on", required_argument, 0, OUT_O_FAIL_ON},                  \
        {"quiet", no_argument, 0, 'q'}, {"all", no_argument, 0, OUT_O_ALL}
void out_opts_init(out_opts *o);
/* 0 when C is one of those options (taken), -1 when it is not, EXIT_USAGE
 * (after a message naming CMD) for a bad value. */
int out_parse_opt(out_opts *o, int c, const char *arg, const char *cmd);
/* A whole decimal number in [LO, HI]. */
bool out_parse_long(const char *s, long lo, long hi, long *v);
/* KEY: V as a JSON number, "inf"/"-inf", or null for NaN (metrics). */
void out_add_metric(cJSON *o, const char *key, double v);
/* Member K of O read back for the text views: a number (what out_add_metric
 * wrote: "inf"/"-inf" as infinities), NaN otherwise; a string, or NULL. */
double out_jnum(const cJSON *o, const char *k);
const char *out_jstr(const cJSON *o, const char *k);
/* The same for the inspect views, which print every member they find: a
 * plain JSON number or ABSENT; a string or "". */
double out_jnum_or(const cJSON *o, const char *k, double absent);
const char *out_jtext(const cJSON *o, const char *k);
/* Nothing to check: no file the rules read (NFILES 0) and no finding but
 * IO-001 (entries that cannot be read: dangling links, link loops).  A
 * mistyped path in a release gate must not pass: the commands exit 2. */
bool out_nothing_to_check(size_t nfiles, const slm_diag *d);
/* Why a PATH given could not be read (slm_verify_path's errno value). */
const char *out_unreadable(int e);

/* Parses "text"/"json"/"sarif" (--format); -1 when none of those. */
int out_parse_format(const char *s);
/* The findings of D as a SARIF 2.1.0 log (one run of slminspect; its rules
 * with IDs, titles and help from the rule tables and spec/), for
 * --format sarif (out_sarif.c). */
cJSON *out_sarif(const slm_diag *d);
/* Marks LOG's run as not executed successfully (an input could not be
 * read: exit status 2), with WHY as an error notification. */
void out_sarif_unsuccessful(cJSON *log, const char *why);
/* 1 when D has a finding at FAIL_AT or above, else 0. */
int out_exit_code(const slm_diag *d, slm_severity fail_at);
/* Parses "error"/"warning"/"info"; -1 when none of those. */
int out_parse_severity(const char *s);

/* Progress for slm_progress_fn: a line on stderr, redrawn, only on a terminal. */
typedef struct progress {
    bool on;
    double start, last;
} progress;
void progress_init(progress *p, bool allowed);
void progress_cb(void *arg, uint64_t done, uint64_t total, const char *what);
void progress_end(progress *p);

/* Prints an error about ARGV0's usage and returns EXIT_USAGE. */
int usage_error(const char *cmd, const char *fmt, ...) SLM_PRINTF(2, 3);

/* slminspect quant's work, shared with gate (cmd_quant.c). */
typedef struct quant_opts {
    const char *quantized, *ref, *map;
    double min_sqnr, max_rel_rmse, min_cosine; /* NaN when not set */
    unsigned long long seed;
} quant_opts;
void quant_opts_init(quant_opts *o);
/* The long options of quant_opts; their getopt values are the keys of
 * quant_parse_opt (long options only: none is in a short-option string). */
#define QUANT_LONG_OPTIONS                                                                                           \
    {"ref", required_argument, 0, 'r'}, {"map", required_argument, 0, 'm'}, {"seed", required_argument, 0, 's'},    \
        {"min-sqnr", required_argument, 0, 'S'}, {"max-rel-rmse", required_argument, 0, 'R'},                        \
        {"min-cosine", required_argument, 0, 'C'}
/* Takes one option: KEY 'r' --ref, 'm' --map, 's' --seed, 'S' --min-sqnr,
 * 'R' --max-rel-rmse, 'C' --min-cosine.  0 taken, -1 not one of these,
 * EXIT_USAGE (after a message) for a bad value. */
int quant_parse_opt(quant_opts *o, int key, const char *arg, const char *cmd);
/* Pairs and compares; findings to D, the --json document to *DOC.  Returns
 * 0, or EXIT_USAGE (after a message) when an input cannot be read. */
int quant_run(const quant_opts *o, slm_diag *d, cJSON **doc, progress *pg);
/* quant --html: the page of a quant --json document (quant_html.c). */
int quant_html_write(const cJSON *doc, const char *path);
/* S written into an HTML page: <, >, & and " escaped. */
void html_escape(FILE *f, const char *s);
/* quant A B C --ref R: the N artifacts side by side (quant_compare.c); returns the exit status. */
int quant_compare(const quant_opts *o, char **paths, int n, const out_opts *oo, const char *html);

int cmd_inspect(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_rules(int argc, char **argv);
int cmd_quant(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_hash(int argc, char **argv);
int cmd_gate(int argc, char **argv);
int cmd_merge(int argc, char **argv);

#endif

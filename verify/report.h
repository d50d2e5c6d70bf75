/* Findings reports read back: the --json output of verify, quant, gate,
 * hash --check or merge, for slminspect merge (spec/ci.md).
 *
 * A report is trusted for nothing: it is read with the strict JSON scanner,
 * each finding is checked against this version's rule table, and every
 * problem is a finding (CI-, JS- rules) about the report file. */
#ifndef SLM_REPORT_H
#define SLM_REPORT_H

#include "slm/slm.h"

/* The largest report read (CI-001). */
#define SLM_REPORT_MAX_BYTES (256u << 20)
/* Deepest nesting of a report (slminspect's are at most 6 deep). */
#define SLM_REPORT_MAX_DEPTH SLM_JSON_DEPTH_SERDE

typedef struct slm_report_info {
    char command[16];  /* its "command", else guessed from its keys (verify, quant, gate, hash, merge); "" unknown */
    size_t taken;      /* findings taken into INTO (kept or over the per-rule limit) */
    size_t count[3];   /* those, by severity, with its not_listed ones */
    cJSON *checked;    /* a copy of its "checked" array, or NULL */
} slm_report_info;

/* Reads the report TEXT[0..LEN), whose display name is FILE.  Its findings
 * go to INTO, with the severity of this version's rule table; problems with
 * the report itself go to PROBLEMS, located in FILE (offset and JSON
 * pointer).  INFO may be NULL; otherwise free it with slm_report_info_free.
 * Returns 0 when the report was read (findings it had to leave out are
 * problems), -1 when it was rejected as a whole (a problem says why), -2 when
 * memory ran out. */
int slm_report_load(const char *text, size_t len, const char *file, slm_diag *into, slm_diag *problems,
                    slm_report_info *info);
void slm_report_info_free(slm_report_info *info);

/* Writes D into OBJ as every command's --json does: "findings" (an array of
 * {"rule", "severity", "file", "offset"?, "path"?, "message"}), "errors",
 * "warnings", "infos" and, when some were not listed, "not_listed";
 * integers exact.  slm_report_load reads it back. */
void slm_report_add(cJSON *obj, const slm_diag *d);

#endif

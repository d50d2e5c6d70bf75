/* libFuzzer harness: findings reports read back (slm_report_load, the
 * parser of slminspect merge).  Invariants: a second read agrees; problems
 * lie in the report and name CI- or JS- rules; a rejected report gives no
 * finding; the findings taken keep the rule table's severities and the
 * counts add up; a report read without problems, written again, reads back
 * to the same findings and counts. */
#include "fuzz_common.h"
#include "report.h"

static bool same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void check_same_findings(const slm_diag *a, const slm_diag *b)
{
    FUZZ_ASSERT(a->n == b->n && a->dropped == b->dropped);
    for (int s = 0; s < 3; s++)
        FUZZ_ASSERT(a->count[s] == b->count[s]);
    for (size_t i = 0; i < a->n; i++) {
        const slm_finding *x = &a->v[i], *y = &b->v[i];
        FUZZ_ASSERT(x->rule == y->rule && x->severity == y->severity && x->offset == y->offset);
        FUZZ_ASSERT(same_str(x->file, y->file) && same_str(x->path, y->path) && same_str(x->message, y->message));
    }
}

/* D as every command writes it (slm_report_add). */
static char *write_report(const slm_diag *d)
{
    cJSON *doc = cJSON_CreateObject();
    slm_report_add(doc, d);
    char *text = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data, *name = "fuzz-report.json";
    slm_diag in1, pr1, in2, pr2;
    slm_diag_init(&in1);
    slm_diag_init(&pr1);
    slm_diag_init(&in2);
    slm_diag_init(&pr2);
    slm_report_info info;
    int r1 = slm_report_load(text, size, name, &in1, &pr1, &info);
    int r2 = slm_report_load(text, size, name, &in2, &pr2, NULL);
    FUZZ_ASSERT(r1 == r2 && r1 >= -2 && r1 <= 0);
    check_same_findings(&in1, &in2);
    check_same_findings(&pr1, &pr2);
    fuzz_check_findings(&pr1, size);
    for (size_t i = 0; i < pr1.n; i++) {
        const char *id = slm_rule_get(pr1.v[i].rule)->id;
        FUZZ_ASSERT(strncmp(id, "CI-", 3) == 0 || strncmp(id, "JS-", 3) == 0);
        FUZZ_ASSERT(pr1.v[i].file && strcmp(pr1.v[i].file, name) == 0);
    }
    if (r1 != 0) {
        FUZZ_ASSERT(in1.n == 0 && in1.count[0] + in1.count[1] + in1.count[2] == 0);
        FUZZ_ASSERT(r1 == -2 || pr1.n > 0);
    } else {
        size_t sev[3] = {0};
        for (size_t i = 0; i < in1.n; i++) {
            FUZZ_ASSERT(in1.v[i].severity == slm_rule_get(in1.v[i].rule)->severity);
            FUZZ_ASSERT(in1.v[i].message && in1.v[i].offset >= -1);
            sev[in1.v[i].severity]++;
        }
        FUZZ_ASSERT(info.taken >= in1.n && info.taken <= in1.n + in1.dropped);
        for (int s = 0; s < 3; s++)
            FUZZ_ASSERT(in1.count[s] >= sev[s] && info.count[s] == in1.count[s]);
        FUZZ_ASSERT(in1.count[0] + in1.count[1] + in1.count[2] == in1.n + in1.dropped);
    }
    if (r1 == 0 && pr1.n == 0) { /* written again, it reads back the same */
        slm_diag_sort(&in1);
        char *again = write_report(&in1);
        if (again) {
            slm_diag in3, pr3;
            slm_diag_init(&in3);
            slm_diag_init(&pr3);
            int r3 = slm_report_load(again, strlen(again), name, &in3, &pr3, NULL);
            slm_diag_sort(&in3);
            FUZZ_ASSERT(r3 == 0 && pr3.n == 0);
            check_same_findings(&in1, &in3);
            slm_diag_free(&in3);
            slm_diag_free(&pr3);
            free(again);
        }
    }
    slm_report_info_free(&info);
    slm_diag_free(&in1);
    slm_diag_free(&pr1);
    slm_diag_free(&in2);
    slm_diag_free(&pr2);
    return 0;
}

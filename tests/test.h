/* A minimal unit-test harness: CHECK macros that count failures, and
 * helpers shared by the tests.  Each tests/test_*.c is one ctest. */
#ifndef SLM_TEST_H
#define SLM_TEST_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slm/slm.h"

static int t_failures, t_checks;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        t_checks++;                                                                                \
        if (!(cond)) {                                                                             \
            t_failures++;                                                                          \
            fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond);              \
        }                                                                                          \
    } while (0)

#define CHECK_MSG(cond, ...)                                                                       \
    do {                                                                                           \
        t_checks++;                                                                                \
        if (!(cond)) {                                                                             \
            t_failures++;                                                                          \
            fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__, __LINE__, #cond);              \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
        }                                                                                          \
    } while (0)

#define CHECK_EQ_U64(a, b)                                                                         \
    do {                                                                                           \
        unsigned long long a_ = (unsigned long long)(a), b_ = (unsigned long long)(b);             \
        CHECK_MSG(a_ == b_, "%s = %llu, expected %llu", #a, a_, b_);                               \
    } while (0)

#define CHECK_STR(a, b)                                                                            \
    do {                                                                                           \
        const char *a_ = (a), *b_ = (b);                                                           \
        CHECK_MSG(a_ && b_ && strcmp(a_, b_) == 0, "%s = '%s', expected '%s'", #a, a_ ? a_ : "(null)", b_); \
    } while (0)

/* Relative closeness: |a-b| <= tol * max(|a|, |b|), or both tiny. */
#define CHECK_REL(a, b, tol)                                                                       \
    do {                                                                                           \
        double a_ = (a), b_ = (b), m_ = fmax(fabs(a_), fabs(b_));                                  \
        CHECK_MSG(fabs(a_ - b_) <= (tol) * m_ || m_ < 1e-300, "%s = %.17g, expected %.17g (rel %g)", \
                  #a, a_, b_, m_ ? fabs(a_ - b_) / m_ : 0.0);                                      \
    } while (0)

/* Exit status of a test program: 0 pass, 1 fail, 77 skipped (ctest). */
static inline int test_done(const char *name)
{
    printf("%s: %d checks, %d failed\n", name, t_checks, t_failures);
    return t_failures ? 1 : 0;
}

/* REQUIRE(cond): a check that the rest of the test depends on (an open that
 * later checks dereference).  Failing, the test stops here with its count. */
#define REQUIRE(cond)                                                                              \
    do {                                                                                           \
        int ok_ = (cond) ? 1 : 0;                                                                  \
        CHECK_MSG(ok_, "%s: required for the rest of the test: stopping", #cond);                          \
        if (!ok_) {                                                                                \
            test_done(__FILE__);                                                                   \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

/* The rule IDs found in D, for "exactly this rule" checks. */
static inline int diag_has(const slm_diag *d, const char *id)
{
    int n = 0;
    for (size_t i = 0; i < d->n; i++)
        if (strcmp(slm_rule_get(d->v[i].rule)->id, id) == 0)
            n++;
    return n;
}

static inline void diag_dump(const slm_diag *d)
{
    for (size_t i = 0; i < d->n; i++)
        fprintf(stderr, "    %s %s @%lld %s: %s\n", slm_rule_get(d->v[i].rule)->id,
                slm_severity_name(d->v[i].severity), (long long)d->v[i].offset,
                d->v[i].path ? d->v[i].path : "", d->v[i].message);
}

/* The test corpus, tests/corpus of the repository (SLM_CORPUS, set by ctest).
 * Missing, the checkout is incomplete: the test fails here with a clear
 * message, before any open of a corpus file can be dereferenced. */
static inline const char *corpus_dir(void)
{
    const char *s = getenv("SLM_CORPUS");
    static char path[4096];
    if (!s || !*s) {
        fprintf(stderr, "FAIL: SLM_CORPUS is not set (ctest sets it to tests/corpus)\n");
        exit(1);
    }
    snprintf(path, sizeof path, "%s/PROVENANCE.md", s);
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "FAIL: the test corpus %s is missing (tests/corpus/ of the repository)\n", s);
        exit(1);
    }
    fclose(f);
    return s;
}

#endif

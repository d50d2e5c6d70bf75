/* Invariants every harness asserts, beyond "no crash".  A violated invariant
 * aborts, which libFuzzer and the replay driver both report. */
#ifndef SLM_FUZZ_COMMON_H
#define SLM_FUZZ_COMMON_H

#include <stdio.h>
#include <stdlib.h>

#include "slm/slm.h"

#define FUZZ_ASSERT(c)                                                                             \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "invariant failed: %s (%s:%d)\n", #c, __FILE__, __LINE__);             \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* Every finding names a rule, has a message, and its offset lies in the input. */
static inline void fuzz_check_findings(const slm_diag *d, uint64_t size)
{
    for (size_t i = 0; i < d->n; i++) {
        const slm_finding *f = &d->v[i];
        FUZZ_ASSERT((unsigned)f->rule < SLM_R__COUNT);
        FUZZ_ASSERT(f->message != NULL);
        FUZZ_ASSERT(f->offset >= -1 && (f->offset == -1 || (uint64_t)f->offset <= size));
    }
}

/* Two runs over the same input give the same findings (no hidden state). */
static inline void fuzz_check_same(const slm_diag *a, const slm_diag *b)
{
    FUZZ_ASSERT(a->n == b->n);
    for (size_t i = 0; i < a->n; i++) {
        FUZZ_ASSERT(a->v[i].rule == b->v[i].rule);
        FUZZ_ASSERT(a->v[i].offset == b->v[i].offset);
    }
}

#endif

/* verify: cross-checks of MLC / WebLLM deployments -- weights against
 * their configs, model libraries against weights and runtimes. */
#include "verify.h"

#include <stdlib.h>
#include <string.h>

void slm_verify_cross_mlc(const slm_model *m, const slm_verify_opts *o, slm_diag *d)
{
    (void)m;
    (void)o;
    (void)d;
}

bool slm_verify_target_known(const char *name)
{
    static const char *const T[] = {"webllm", "transformers.js", "hf", "auto"};
    for (size_t i = 0; i < sizeof T / sizeof T[0]; i++)
        if (strcmp(name, T[i]) == 0)
            return true;
    return false;
}

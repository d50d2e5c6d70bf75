/* verify on a GGUF file: the format's rules as the parser reports them, then
 * (on a file ggml loads) llama.cpp's model-level rules, and with --stats the
 * values of the tensors stored as plain floats. */
#include "verify.h"

#include <errno.h>
#include <string.h>

int slm_verify_gguf(const char *path, const slm_verify_opts *o, slm_diag *d)
{
    slm_model m;
    int e = slm_model_open(&m, path, d);
    if (e)
        return e;
    if (m.gguf->valid)
        slm_gguf_check_model(m.gguf, d);
    if (o->stats) {
        uint64_t total = slm_model_bytes(&m), done = 0;
        for (size_t i = 0; i < m.n; i++) {
            if (m.t[i].dtype != SLM_DT_INVALID)
                slm_verify_values(&m.t[i], o->fp16, d, NULL);
            done += m.t[i].nbytes;
            if (o->progress)
                o->progress(o->progress_arg, done, total, "checking values");
        }
    }
    slm_model_close(&m);
    return 0;
}

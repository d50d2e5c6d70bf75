/* A GGUF model's lossy tensors as quantized weights (slm_qweight,
 * SLM_QL_GGML): every 2-D tensor of a ggml block type, BF16 or F16, as a
 * view of the model's tensor.  Types slminspect does not decode are listed
 * too: quant names them (QT-010) instead of measuring them. */
#include "model_impl.h"
#include "slm/ggml_quants.h"
#include "slm/gguf.h"

void slm_gguf_push_qweights(slm_model *m)
{
    const slm_gguf *g = m->gguf;
    size_t cap = 0, ti = 0;
    for (size_t i = 0; g && i < g->nt && ti < m->n; i++) {
        const slm_gguf_tensor *gt = &g->t[i];
        if (!gt->ok) /* slm_model_open_gguf listed only these, in file order */
            continue;
        const slm_tensor *t = &m->t[ti++];
        const slm_ggml_type *ty = slm_ggml_type_get(gt->type);
        if (gt->n_dims != 2 || !ty || !slm_ggml_is_quantized(gt->type))
            continue;
        slm_qweight q = {t->name, NULL, SLM_QL_GGML, (unsigned)(8 * ty->bytes / ty->block), ty->block,
                         (uint64_t)gt->ne[0], (uint64_t)gt->ne[1], true, t, NULL, NULL, NULL, NULL, -1, false,
                         gt->type};
        slm_model_push_q(m, &cap, &q);
    }
}

/* diff across quantization: the quantized weights of one side paired with
 * their originals on the other through quant's pairing (qcompare.h), and
 * compared as quant compares them (dequantized rows against the reference,
 * no dequantized copy of the model).  Any reader that fills slm_model.q
 * (ONNX MatMulNBits and blocked DequantizeLinear, MLC, GGUF as it lands)
 * takes part without a change here. */
#include "diff.h"
#include "parallel.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Seed of quant's default activations: the same pairs give quant's figures. */
#define DIFF_QSEED 0

static bool push(slm_tdiffs *out, size_t *cap, const slm_tdiff *t)
{
    if (out->n == *cap) {
        size_t c = *cap ? 2 * *cap : 64;
        slm_tdiff *v = realloc(out->v, c * sizeof *v);
        if (!v)
            return false;
        out->v = v;
        *cap = c;
    }
    out->v[out->n++] = *t;
    return true;
}

/* Marks the tensors of weight W in M's USED flags (pointers into m->t). */
static void take_weight(const slm_model *m, const slm_qweight *w, bool *used)
{
    const slm_tensor *parts[] = {w->q, w->scales, w->zero_points, w->g_idx};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        if (parts[i] && parts[i] >= m->t && parts[i] < m->t + m->n)
            used[parts[i] - m->t] = true;
}

typedef struct job {
    const slm_model *qm;
    const slm_qpairing *pr;
    slm_qmetrics *m;
} job;

static void compare_one(void *arg, unsigned worker, size_t i)
{
    (void)worker;
    job *J = arg;
    const slm_qpair *p = &J->pr->p[i];
    slm_qresult r;
    uint64_t done = 0;
    slm_qcompare(&J->qm->q[p->qi], p, DIFF_QSEED + J->qm->q[p->qi].K, &r, NULL, NULL, &done, 0);
    J->m[i] = r.w;
}

/* Is W's packed tensor already paired (USED, of its model M)? */
static bool held(const slm_model *m, const slm_qweight *w, const bool *used)
{
    return w->q && w->q >= m->t && w->q < m->t + m->n && used[w->q - m->t];
}

int slm_diff_quant(const slm_model *a, const slm_model *b, bool *used_a, bool *used_b, slm_tdiffs *out, size_t *cap)
{
    if ((a->nq > 0) == (b->nq > 0))
        return 0; /* neither side quantized, or both: tensors compare as they are */
    const char side = a->nq ? 'a' : 'b';
    const slm_model *qm = side == 'a' ? a : b, *rm = side == 'a' ? b : a;
    bool *qused = side == 'a' ? used_a : used_b, *rused = side == 'a' ? used_b : used_a;
    slm_diag scratch; /* quant's findings (QT-008 unpaired, ...): diff reports pairs, not rules */
    slm_diag_init(&scratch);
    slm_qpairing pr;
    int e = slm_qpair_models(qm, rm, NULL, "", &pr, &scratch);
    slm_diag_free(&scratch);
    if (e)
        return e;
    slm_qmetrics *m = calloc(pr.n + 1, sizeof *m);
    uint64_t *bytes = calloc(pr.n + 1, sizeof *bytes);
    size_t *order = NULL;
    if (m && bytes) {
        for (size_t i = 0; i < pr.n; i++)
            bytes[i] = slm_qcompare_bytes(&qm->q[pr.p[i].qi], &pr.p[i]);
        order = slm_order_largest_first(bytes, pr.n);
    }
    if (!order) {
        free(m);
        free(bytes);
        slm_qpairing_free(&pr);
        return ENOMEM;
    }
    job J = {qm, &pr, m};
    slm_parallel(pr.n, order, slm_parallel_threads(0, pr.n), compare_one, &J);
    out->qside = side;
    out->nq = qm->nq;
    bool *paired = calloc(qm->nq + 1, sizeof *paired), *before = calloc(qm->nq + 1, sizeof *before);
    e = paired && before ? 0 : ENOMEM;
    /* weights an earlier pairing took (a GGUF's, by llama.cpp's names) stay its own */
    for (size_t qi = 0; qi < qm->nq && !e; qi++)
        before[qi] = held(qm, &qm->q[qi], qused);
    for (size_t i = 0; i < pr.n && !e; i++) {
        const slm_qpair *p = &pr.p[i];
        const slm_qweight *w = &qm->q[p->qi];
        if (before[p->qi] || rused[p->ref - rm->t])
            continue;
        slm_tdiff t;
        memset(&t, 0, sizeof t);
        t.quantized = true;
        t.q = (slm_tquant){w, side, true, p->how, p->row0, p->rows, p->ref_transposed, m[i], p->xform};
        t.a = side == 'a' ? w->q : p->ref;
        t.b = side == 'a' ? p->ref : w->q;
        t.score = p->score;
        paired[p->qi] = true;
        take_weight(qm, w, qused);
        rused[p->ref - rm->t] = true;
        if (!push(out, cap, &t))
            e = ENOMEM;
    }
    /* weights without an original: one entry each, on their side only */
    for (size_t qi = 0; qi < qm->nq && !e; qi++) {
        if (before[qi]) {
            out->nq_paired++;
            out->nq_earlier++;
            continue;
        }
        if (paired[qi]) {
            out->nq_paired++;
            continue;
        }
        const slm_qweight *w = &qm->q[qi];
        if (!w->q || held(qm, w, qused))
            continue; /* its tensors are another weight's (shared packed values) */
        if (slm_qpairing_lossless(&pr, qi))
            continue; /* a GGUF's exact F16 copy of its original: compared as a tensor (by llama.cpp's names) */
        slm_tdiff t;
        memset(&t, 0, sizeof t);
        t.quantized = true;
        t.q = (slm_tquant){w, side, false, SLM_QP_NAME, 0, w->N, false, {0}, SLM_LX_NONE};
        t.score = NAN;
        *(side == 'a' ? &t.a : &t.b) = w->q;
        take_weight(qm, w, qused);
        if (!push(out, cap, &t))
            e = ENOMEM;
    }
    free(paired);
    free(before);
    free(m);
    free(bytes);
    free(order);
    slm_qpairing_free(&pr);
    return e;
}

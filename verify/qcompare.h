/* Quantized weights against their reference: pairing and error metrics
 * (slminspect quant).
 *
 * Pairing, in this order, each quantized weight taken once:
 *   1. --map: the user's {"quantized name": "reference name" | [names]};
 *   2. by name: the packed weight's name, or its parameter's, without the
 *      quantizer's suffix (_Q4, .q_weight, ...), with or without ".weight";
 *   3. split: a fused weight (MLC c_attn/qkv_proj -> q/k/v, gate_up_proj ->
 *      gate/up) cut into row ranges from the config's head counts, or from
 *      the reference parts' own rows when there is no config;
 *      A GGUF's tensors go by llama.cpp's name map for the file's
 *      architecture (slm/llama_names.h), llama's Q/K row permutation undone;
 *   4. by content: among the reference matrices still free whose shape is
 *      [N, K] or [K, N], the one whose sampled rows correlate best with the
 *      dequantized rows (cosine), if that is >= 0.5 and clearly ahead. */
#ifndef SLM_QCOMPARE_H
#define SLM_QCOMPARE_H

#include "verify.h"

/* The weight's format as people name it: MatMulNBits, DequantizeLinear,
 * q4f16_1, q4f32_1. */
const char *slm_qweight_format(const slm_qweight *q);

/* When NAME holds a fused module's token (c_attn or qkv_proj -> q_proj,
 * k_proj, v_proj; gate_up_proj -> gate_proj, up_proj): the names of its
 * parts in order (NAME with the token replaced, malloc'd, into PARTS[3]) and
 * their count; 0 when NAME is not fused or memory runs out.  The pairing of
 * quantized weights splits by the same table; diff splits unquantized fused
 * tensors (an MLC c_attn.bias) by it. */
size_t slm_fused_part_names(const char *name, char *parts[3]);

typedef enum slm_qpair_how { SLM_QP_MAP, SLM_QP_NAME, SLM_QP_SPLIT, SLM_QP_CONTENT } slm_qpair_how;
const char *slm_qpair_how_name(slm_qpair_how h);

typedef struct slm_qpair {
    size_t qi;              /* index in the quantized model's q[] */
    uint64_t row0, rows;    /* rows of the quantized weight compared */
    const slm_tensor *ref;
    bool ref_transposed;    /* the reference is [K, N] (an ONNX MatMul weight) */
    slm_qpair_how how;
    double score, runner_up; /* content pairing: sampled cosine of the pick and of the next best (NaN otherwise) */
    slm_llama_xform xform;  /* what llama.cpp's converter did to the reference (GGUF pairs) */
    uint64_t perm_heads;    /* rows permuted with this head count (slm_llama_hf_row), 0 when not */
} slm_qpair;

typedef struct slm_qpairing {
    slm_qpair *p;
    size_t n;
    size_t *q_unpaired;     /* indices into q[] */
    size_t nq_unpaired;
    size_t *ref_unpaired;   /* 2-D reference tensors nothing was paired with (indices into t[]) */
    size_t nref_unpaired;
    size_t lossless;        /* GGUF F16 tensors of an F16 reference: exact copies, not listed */
    size_t *lossless_q;     /* their indices into q[] */
} slm_qpairing;

/* Is quantized weight QI one of P's lossless copies? */
bool slm_qpairing_lossless(const slm_qpairing *p, size_t qi);

/* Pairs QM's quantized weights with RM's tensors.  MAP is a parsed --map
 * object or NULL.  Findings (QT-008 unpaired, QT-009 shapes, QT-001 layout)
 * go to D under QFILE.  Returns 0 or ENOMEM. */
int slm_qpair_models(const slm_model *qm, const slm_model *rm, const cJSON *map, const char *qfile,
                     slm_qpairing *out, slm_diag *d);
void slm_qpairing_free(slm_qpairing *p);

/* |e| histogram by octave: bin i counts |e| in [2^(i + LO), 2^(i + LO + 1)),
 * bin 0 also everything below (zero included), the last everything above. */
#define SLM_QHIST_BINS 40
#define SLM_QHIST_LO (-32)

typedef struct slm_qresult {
    slm_qmetrics w;          /* dequantized vs reference weights */
    slm_qmetrics mm;         /* Y = X W^T on seeded activations, quantized vs reference */
    slm_qerr wacc, mmacc;    /* the sums behind them, for summaries */
    uint64_t clipped;        /* reference values beyond the grid (slm_q_clipped_row) */
    uint64_t ref_nonfinite;  /* NaN/Inf reference values (left out of the metrics) */
    uint64_t hist[SLM_QHIST_BINS];
} slm_qresult;

/* Activation rows of the matmul error. */
#define SLM_QMM_ROWS 4

/* Compares the pair's rows: row by row, no dequantized copy of the whole
 * weight.  Reports progress in bytes of packed + reference data. */
void slm_qcompare(const slm_qweight *q, const slm_qpair *p, uint64_t seed, slm_qresult *res, slm_progress_fn fn,
                  void *arg, uint64_t *done, uint64_t total);
/* Checks of one weight's own values: QT-002 (non-finite scales or zero
 * points), QT-003 (zero or subnormal scales), QT-004 (fp16 overflow),
 * QT-006 (g_idx out of range), under QFILE. */
void slm_qcheck_weight(const slm_qweight *q, const char *qfile, slm_diag *d);
/* Bytes slm_qcompare reads for P (for progress totals). */
uint64_t slm_qcompare_bytes(const slm_qweight *q, const slm_qpair *p);

#endif

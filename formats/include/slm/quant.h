/* Quantized weights: the layouts slminspect understands, as one description
 * that the format modules fill (ONNX MatMulNBits and DequantizeLinear, MLC
 * group quantization) and the quantization checks consume.
 *
 * Orientation: a quantized weight W is N rows (output features) by K columns
 * (input features), as a checkpoint's Linear weight [out, in].  Y = X * W^T
 * for activations X of M rows by K columns. */
#ifndef SLM_QUANT_H
#define SLM_QUANT_H

#include "slm/core.h"
#include "slm/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum slm_qlayout {
    /* com.microsoft MatMulNBits: B uint8 [N, ceil(K/bs), bs*bits/8], scales
     * [N * ceil(K/bs)] (float or float16), zero_points packed uint8
     * [N, ceil(ceil(K/bs)*bits/8)] or typed like scales; absent means the
     * implicit zero point 2^(bits-1).  Low bits first within a byte. */
    SLM_QL_MATMULNBITS,
    /* ONNX DequantizeLinear with INT4/UINT4 (or 8-bit) x, blocked scales
     * (opset 21 block_size); w = (x - zero_point) * scale. */
    SLM_QL_DQL_BLOCKED,
    /* MLC q4f16_1 / q4f32_1 group quantization: q_weight uint32 [N, K/8]
     * (8 nibbles a word, element 0 in the low bits), q_scale [N, ceil(K/32)]
     * in the model dtype; w = (q - 7) * scale. */
    SLM_QL_MLC_GROUP,
    /* ggml's block types (a GGUF tensor, slm/ggml_quants.h; also F16 and
     * BF16): Q holds N rows of K elements (ggml's ne[0] = K, ne[1] = N),
     * each row K / block_size blocks of the type's bytes, the scales inside
     * the blocks (SCALES is NULL); GGML_TYPE names the type. */
    SLM_QL_GGML,
} slm_qlayout;

typedef struct slm_qweight {
    const char *name;       /* the packed weight's name */
    const char *op;         /* the node (ONNX) or parameter (MLC) it belongs to */
    slm_qlayout layout;
    unsigned bits;
    uint64_t block_size;    /* elements per block (group) along K */
    uint64_t K, N;
    bool symmetric;         /* no zero points: the layout's implicit one */
    const slm_tensor *q;    /* packed values */
    const slm_tensor *scales;
    const slm_tensor *zero_points; /* NULL when symmetric */
    const slm_tensor *g_idx;       /* NULL when absent */
    const slm_tensor *bias;        /* NULL when absent */
    int64_t accuracy_level;        /* MatMulNBits attribute, -1 when absent */
    /* SLM_QL_DQL_BLOCKED only: x (q) is stored [K, N] row-major, blocks
     * along axis 0 (the MatMul weight layout, W transposed); scales and
     * zero_points are [ceil(K/block_size), N].  false: x is [N, K] with
     * blocks along axis 1, scales [N, ceil(K/block_size)]. */
    bool transposed;
    uint32_t ggml_type;            /* SLM_QL_GGML: the ggml type id (slm/ggml_types.h) */
} slm_qweight;

/* ---- kernels -------------------------------------------------------------
 * Every kernel takes a weight that slm_qweight_check accepted.  The _ref
 * kernels are the definition: scalar, one element at a time, straight from
 * the packed bytes.  The others are the fast kernels (SIMD where the CPU has
 * it, chosen at run time); tests/test_quant.c holds them to the reference:
 * dequantization bit for bit, matmul within a stated tolerance. */

/* Why Q cannot be read by the kernels (sizes, dtypes, ranges), or NULL when
 * it can.  The string is static. */
const char *slm_qweight_check(const slm_qweight *q);
/* Blocks along K: ceil(K / block_size). */
uint64_t slm_qweight_blocks(const slm_qweight *q);
/* The dtype the format computes the dequantized weight in: F16 when the
 * scales are fp16 (ONNX DequantizeLinear outputs the scale type; MLC q4f16
 * and MatMulNBits with fp16 inputs run in fp16), else F32. */
slm_dtype slm_qweight_compute_dtype(const slm_qweight *q);

/* Row R (0 <= R < N) of W, K floats. */
void slm_q_dequant_row_ref(const slm_qweight *q, uint64_t r, float *out);
void slm_q_dequant_row(const slm_qweight *q, uint64_t r, float *out);
/* Y[M, N] = X[M, K] * W^T.  The reference accumulates in double, reading
 * the packed weight element by element; the fast kernel in float, within
 *   |y_ir - y_ref_ir| <= 1e-5 * 2^bits * sum_k |x_ik| (|w_rk| + 1e-30)
 * of it (w the dequantized weight; tests/test_quant.c holds every kernel
 * level to this for M = 1..20).  Single-threaded; Q and X are only read,
 * so threads may share them. */
void slm_q_matmul_ref(const slm_qweight *q, const float *x, uint64_t m, double *y);
void slm_q_matmul(const slm_qweight *q, const float *x, uint64_t m, float *y);
/* Which fast kernel runs here: "avx512", "avx2", "sse2" or "scalar" (chosen
 * at run time: AVX-512 when CPUID has AVX-512F and the OS saves its state,
 * XGETBV).  SLM_QUANT_KERNEL in the environment (same names) forces a
 * lesser one, for the tests and benchmarks. */
const char *slm_q_kernel(void);

/* N elements of a float tensor of type T as floats: element FIRST + i*STRIDE
 * of DATA for i < N (F16/BF16/F32 fast, any decodable type through
 * slm_dtype_get_f64). */
void slm_q_load_row(slm_dtype t, const uint8_t *data, uint64_t first, uint64_t stride, uint64_t n, float *out);
/* sum a[i] b[i] over N floats (float lanes, summed in double at the end). */
double slm_q_dot(const float *a, const float *b, uint64_t n);

/* ---- error metrics -------------------------------------------------------
 * e = dequantized - reference, summed in double over every real element. */
typedef struct slm_qerr {
    uint64_t n, nonfinite;  /* nonfinite: pairs where either value is NaN/Inf (skipped) */
    double max_abs, sum_abs, sum_e2, sum_r2, sum_d2, sum_dr;
} slm_qerr;

typedef struct slm_qmetrics {
    uint64_t n, nonfinite;
    double max_abs_err, mean_abs_err, rmse, ref_rms, rel_rmse, cosine, sqnr_db;
} slm_qmetrics;

void slm_qerr_init(slm_qerr *a);
/* Adds N pairs: D dequantized (float), R reference (float). */
void slm_qerr_add_f32(slm_qerr *a, const float *d, const float *r, uint64_t n);
/* Adds N pairs of doubles (matmul outputs). */
void slm_qerr_add_f64(slm_qerr *a, const double *d, const double *r, uint64_t n);
void slm_qerr_merge(slm_qerr *into, const slm_qerr *from);
/* The metrics.  rel_rmse = sqrt(sum e^2 / sum ref^2), sqnr_db =
 * 10 log10(sum ref^2 / sum e^2) (+Inf when e is all zero), cosine of the two
 * vectors (NaN when either is all zero). */
slm_qmetrics slm_qerr_metrics(const slm_qerr *a);

/* Deterministic activations for the matmul error: standard normal values
 * from SEED (splitmix64 + Box-Muller).  Not numpy's generator. */
void slm_q_random_normal(uint64_t seed, float *out, uint64_t n);

/* Facts about a weight's values that the quant checks report. */
typedef struct slm_qscan {
    uint64_t scales, scale_nonfinite, scale_zero, scale_subnormal;
    uint64_t zp_nonfinite;   /* typed zero points that are NaN/Inf */
    uint64_t f16_overflow;   /* blocks whose dequantized range exceeds fp16 (compute dtype F16) */
    uint64_t g_idx_bad;      /* g_idx entries outside [0, blocks) */
} slm_qscan;
void slm_qweight_scan(const slm_qweight *q, slm_qscan *s);
/* Elements of REF (row R of the reference, K floats) that the weight's
 * grid cannot reach: beyond its block's dequantized range [(qmin - zp) s,
 * (qmax - zp) s] by more than half a step |s|.  0 for SLM_QL_GGML (the
 * grids of ggml's types are not measured: quant reports null). */
uint64_t slm_q_clipped_row(const slm_qweight *q, uint64_t r, const float *ref);

#ifdef __cplusplus
}
#endif
#endif

/* Two artifacts compared (slminspect diff).
 *
 * Tensors are paired, each taken once, in this order:
 *   0. llama:   a GGUF against a checkpoint (or any non-GGUF model): by
 *               llama.cpp's name map for the GGUF's architecture
 *               (slm/llama_names.h); what the converter did is undone
 *               before the values are compared (llama's Q/K row
 *               permutation, Gemma's norm + 1) and named (XFORM); ggml's
 *               block types are dequantized (slm/ggml_quants.h); a
 *               checkpoint's lm_head.weight with the embedding's bytes,
 *               absent from the GGUF, is removed with the note "tied";
 *   1. name:    the same name;
 *   2. suffix:  one name is the other behind a module prefix, at a '.'
 *               boundary ("m.model.norm.weight" and "model.norm.weight"),
 *               when exactly one tensor on each side fits;
 *   3. fused:   a tensor of a fused module (c_attn, qkv_proj, gate_up_proj;
 *               qcompare.h's table) with its parts on the other side, free,
 *               whose rows add up to its rows: each part paired with its rows;
 *   4. hash:    the same bytes (XXH3-128) under another name: a rename;
 *   5. content: among the tensors still free with as many elements and the
 *               same shape (or, for matrices, the transposed one), the one
 *               whose sampled values correlate best (cosine >= 0.9, and
 *               clearly ahead of the next best).
 * Before these, when one side has quantized weights and the other none, each
 * quantized weight is paired with its original through quant's pairing
 * (slm_diff_quant).  After them, a tensor left on one side whose bytes equal
 * those of a paired tensor of its own side is shared (the other side keeps
 * one tensor for both).  What is left is added (only in B) or removed (only
 * in A).
 *
 * A pair is identical when dtype, shape and bytes agree (XXH3-128 of each
 * side's bytes, so no byte compare); otherwise its values are compared
 * element by element (float64), and for float tensors e = B - A with A the
 * reference gives the metrics of slm/quant.h (max_abs_err, rel_rmse,
 * cosine, ...).  Packed quantized weights are integers here: their values
 * are compared, not dequantized (slminspect quant does that).
 *
 * Facts are the rest of an artifact as sorted "key = value" pairs whose keys
 * are JSON pointers by section: /format, /storage, /metadata, /config,
 * /graph (ONNX: IR, opsets, producer, operator counts, inputs, outputs).
 * They hold no byte offsets and no file names of the artifact itself, so
 * the same model stored differently differs only under /storage. */
#ifndef SLM_DIFF_H
#define SLM_DIFF_H

#include "verify.h"

#include "manifest.h"
#include "qcompare.h"

typedef enum slm_tpair_how {
    SLM_TP_NAME, SLM_TP_SUFFIX, SLM_TP_HASH, SLM_TP_CONTENT, SLM_TP_FUSED, SLM_TP_LLAMA
} slm_tpair_how;
#define SLM_TP__COUNT 6
const char *slm_tpair_how_name(slm_tpair_how h);

/* A quantized weight in a diff: one side holds it (MatMulNBits, blocked
 * DequantizeLinear, MLC q4f16_1/q4f32_1: whatever fills slm_model.q, a
 * GGUF reader included), the other its original, paired by quant's pairing
 * (qcompare.h: name, fused split, content). */
typedef struct slm_tquant {
    const slm_qweight *w;    /* the quantized weight (its packed tensor is the tdiff's a or b) */
    char side;               /* 'a' or 'b': the side that holds it */
    bool paired;             /* with a tensor of the other side (else: only on its side) */
    slm_qpair_how how;
    uint64_t row0, rows;     /* the weight's rows that the original holds (a fused weight's part) */
    bool ref_transposed;     /* the original is [K, N] */
    slm_qmetrics m;          /* dequantized vs original (the reference), over those rows */
    slm_llama_xform xform;   /* a GGUF's: what llama.cpp's converter did to the original (undone) */
} slm_tquant;

typedef struct slm_tdiff {
    const slm_tensor *a, *b; /* NULL: added (a) or removed (b) */
    bool quantized;          /* q describes it: a quantized weight and its original */
    slm_tquant q;
    /* One side only, but its bytes equal those of SHARED_WITH, a tensor of its
     * own side that is paired: the other side keeps one tensor for both (an
     * exporter's deduplication).  The other side's tensor is a or b. */
    const slm_tensor *shared_with;
    char shared_side;        /* 'a' or 'b': the side that holds the two equal tensors */
    slm_tpair_how how;
    uint64_t fused_row0;     /* FUSED: the part's rows begin here in the fused tensor (its other side) */
    double score;            /* content pairing: sampled cosine of the pick */
    bool transposed;         /* B holds A's transpose (matrices) */
    bool identical;          /* same dtype, shape and bytes */
    bool compared;           /* values compared element by element: differing is set */
    bool floats;             /* both sides float: m holds the metrics */
    uint64_t differing;      /* elements whose values differ */
    slm_qmetrics m;          /* e = B - A over every element */
    bool hashed_a, hashed_b; /* ha, hb hold the XXH3-128 of the bytes */
    XXH128_hash_t ha, hb;
    slm_llama_xform xform;   /* SLM_TP_LLAMA: the converter's transformation, undone before comparing */
    const char *note;        /* a transformation that explains an unpaired tensor (static text), or NULL */
} slm_tdiff;

/* A tensor's content hash: XXH3-128 of its bytes (false when unreadable). */
bool slm_tensor_hash(const slm_tensor *t, XXH128_hash_t *h);

typedef struct slm_tdiffs {
    slm_tdiff *v;            /* pairs first (in A's order), then removed, then added */
    size_t n;
    char qside;              /* 'a' or 'b': the side whose quantized weights were paired; 0: none */
    size_t nq, nq_paired, nq_earlier;    /* that side's quantized weights, and how many found their original */
                             /* nq_earlier: of nq_paired, weights an earlier pairing took (a GGUF by
                              * llama.cpp's names): ordinary pairs, compared dequantized */
} slm_tdiffs;

/* The quantized weights of one side paired with the other side's tensors,
 * when exactly one side has quantized weights: appends an entry per pair (a
 * fused weight: one per part) and per weight left unpaired to OUT, marks the
 * tensors they take in USED_A and USED_B (a weight takes its packed values,
 * scales, zero points and g_idx; its original, the reference).  Returns 0 or
 * ENOMEM. */
int slm_diff_quant(const slm_model *a, const slm_model *b, bool *used_a, bool *used_b, slm_tdiffs *out,
                   size_t *cap);

/* Pairs and compares the tensors of A and B.  Reports progress in bytes
 * read.  Returns 0 or ENOMEM. */
int slm_diff_tensors(const slm_model *a, const slm_model *b, slm_progress_fn fn, void *arg, slm_tdiffs *out);
void slm_tdiffs_free(slm_tdiffs *t);

typedef struct slm_fact {
    char *key;               /* JSON pointer: "/config/hidden_size" */
    char *value;             /* its value as JSON text: "256", "\"float16\"" */
} slm_fact;

typedef struct slm_facts {
    slm_fact *v;
    size_t n, cap;
} slm_facts;

/* The facts of an opened model, sorted by key.  Returns 0 or ENOMEM. */
int slm_model_facts(const slm_model *m, slm_facts *out);
void slm_facts_free(slm_facts *f);
/* The value of KEY in F (sorted), or NULL. */
const slm_fact *slm_facts_find(const slm_facts *f, const char *key);

#endif

/* Quantized weights against their reference: pairing and metrics
 * (qcompare.h). */
#include "qcompare.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *slm_qpair_how_name(slm_qpair_how h)
{
    static const char *names[] = {"map", "name", "split", "content"};
    return (unsigned)h < 4 ? names[h] : "?";
}

const char *slm_qweight_format(const slm_qweight *q)
{
    switch (q->layout) {
    case SLM_QL_MATMULNBITS: return "MatMulNBits";
    case SLM_QL_DQL_BLOCKED: return "DequantizeLinear";
    case SLM_QL_MLC_GROUP: return q->scales && q->scales->dtype == SLM_DT_F32 ? "q4f32_1" : "q4f16_1";
    case SLM_QL_GGML: {
        const slm_ggml_type *t = slm_ggml_type_get(q->ggml_type);
        return t ? t->name : "ggml";
    }
    }
    return "?";
}

typedef struct pairer {
    const slm_model *qm, *rm;
    const char *qfile;
    slm_diag *d;
    bool *qdone, *rdone;
    slm_qpairing *out;
    size_t cap;
} pairer;

static bool push(pairer *P, const slm_qpair *p)
{
    if (P->out->n == P->cap) {
        size_t c = P->cap ? P->cap * 2 : 64;
        slm_qpair *v = realloc(P->out->p, c * sizeof *v);
        if (!v)
            return false;
        P->out->p = v;
        P->cap = c;
    }
    P->out->p[P->out->n++] = *p;
    return true;
}

static size_t ref_index(const pairer *P, const slm_tensor *t)
{
    return (size_t)(t - P->rm->t);
}

static bool decodable_matrix(const slm_tensor *t)
{
    return t && t->ndim == 2 && t->data && slm_dtype_info_of(t->dtype)->kind == SLM_KIND_FLOAT &&
           slm_dtype_info_of(t->dtype)->decodes;
}

/* Orientation of REF for ROWS x K: 0 [rows, K], 1 [K, rows], -1 neither.
 * A square reference is taken as [rows, K] (a checkpoint's Linear). */
static int orient(const slm_tensor *ref, uint64_t rows, uint64_t K)
{
    if (!ref || ref->ndim != 2)
        return -1;
    if (ref->shape[0] == rows && ref->shape[1] == K)
        return 0;
    if (ref->shape[0] == K && ref->shape[1] == rows)
        return 1;
    return -1;
}

static const slm_tensor *find_ref(const slm_model *rm, const char *base)
{
    const slm_tensor *t = slm_model_find(rm, base);
    if (!t) {
        char *w = slm_strdupf("%s.weight", base);
        t = w ? slm_model_find(rm, w) : NULL;
        free(w);
    }
    return t;
}

/* The weight's base name: its MLC parameter, or the packed tensor's name
 * without the quantizer's suffix. */
static char *base_name(const slm_qweight *q)
{
    static const char *const suffix[] = {"_Q2", "_Q3", "_Q4", "_Q5", "_Q6", "_Q7", "_Q8", "_quantized",
                                         ".q_weight", ".qweight", "_qweight"};
    if (q->layout == SLM_QL_MLC_GROUP && q->op)
        return strdup(q->op);
    size_t n = strlen(q->name);
    for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
        size_t s = strlen(suffix[i]);
        if (n > s && strcmp(q->name + n - s, suffix[i]) == 0)
            return slm_strndup(q->name, n - s);
    }
    return strdup(q->name);
}

static int square_orientation(const slm_qweight *q, const slm_tensor *ref);

static void pair_whole(pairer *P, size_t qi, const slm_tensor *ref, slm_qpair_how how)
{
    const slm_qweight *q = &P->qm->q[qi];
    int o = orient(ref, q->N, q->K);
    char sh[64];
    if (o < 0) {
        slm_report(P->d, SLM_R_QT_009, P->qfile, -1, q->name,
                   "'%s' is paired (by %s) with '%s' of shape %s, expected [%llu, %llu] or [%llu, %llu]", q->name,
                   slm_qpair_how_name(how), ref->name, slm_fmt_shape(sh, sizeof sh, ref->shape, ref->ndim),
                   (unsigned long long)q->N, (unsigned long long)q->K, (unsigned long long)q->K,
                   (unsigned long long)q->N);
        P->qdone[qi] = true; /* reported; not compared, not "unpaired" */
        return;
    }
    if (q->N == q->K) /* [N, K] or [K, N]: the content decides */
        o = square_orientation(q, ref);
    slm_qpair p = {qi, 0, q->N, ref, o == 1, how, NAN, NAN, SLM_LX_NONE, 0};
    if (push(P, &p)) {
        P->qdone[qi] = true;
        P->rdone[ref_index(P, ref)] = true;
    }
}

/* ---- --map ----------------------------------------------------------------- */

static void pair_map(pairer *P, const cJSON *map)
{
    for (size_t qi = 0; qi < P->qm->nq; qi++) {
        const slm_qweight *q = &P->qm->q[qi];
        char *base = base_name(q);
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(map, q->name);
        if (!v && base)
            v = cJSON_GetObjectItemCaseSensitive(map, base);
        if (!v && q->op)
            v = cJSON_GetObjectItemCaseSensitive(map, q->op);
        free(base);
        if (!v)
            continue;
        if (cJSON_IsString(v)) {
            const slm_tensor *t = slm_model_find(P->rm, v->valuestring);
            if (!t)
                slm_report(P->d, SLM_R_QT_008, P->qfile, -1, q->name, "--map names '%s' for '%s'; the reference has no such tensor",
                           v->valuestring, q->name);
            else
                pair_whole(P, qi, t, SLM_QP_MAP);
            P->qdone[qi] = true;
            continue;
        }
        /* a list: the weight's rows, cut in order into the named tensors */
        uint64_t row = 0;
        bool ok = cJSON_IsArray(v);
        const cJSON *e;
        cJSON_ArrayForEach(e, v) {
            const slm_tensor *t = cJSON_IsString(e) ? slm_model_find(P->rm, e->valuestring) : NULL;
            if (!t || t->ndim != 2 || row + t->shape[0] > q->N || orient(t, t->shape[0], q->K) != 0) {
                ok = false;
                break;
            }
            row += t->shape[0];
        }
        if (!ok || row != q->N) {
            slm_report(P->d, SLM_R_QT_009, P->qfile, -1, q->name,
                       "--map lists parts for '%s' that are not reference tensors [rows, %llu] whose rows add up to N = %llu",
                       q->name, (unsigned long long)q->K, (unsigned long long)q->N);
            P->qdone[qi] = true;
            continue;
        }
        row = 0;
        cJSON_ArrayForEach(e, v) {
            const slm_tensor *t = slm_model_find(P->rm, e->valuestring);
            slm_qpair p = {qi, row, t->shape[0], t, false, SLM_QP_MAP, NAN, NAN, SLM_LX_NONE, 0};
            push(P, &p);
            P->rdone[ref_index(P, t)] = true;
            row += t->shape[0];
        }
        P->qdone[qi] = true;
    }
}

/* ---- fused weights ----------------------------------------------------------- */

static const struct fused {
    const char *token;
    const char *parts[3];
    int n;
} FUSED[] = {
    {"c_attn", {"q_proj", "k_proj", "v_proj"}, 3},
    {"qkv_proj", {"q_proj", "k_proj", "v_proj"}, 3},
    {"gate_up_proj", {"gate_proj", "up_proj"}, 2},
};

static int64_t cfg_int(const slm_model *qm, const char *key)
{
    return qm->mlc && qm->mlc->cfg.parsed ? slm_mlc_config_int(&qm->mlc->cfg, key) : -1;
}

/* Rows of each part from the config's head counts; false when it lacks them. */
static bool config_rows(const slm_model *qm, const struct fused *f, uint64_t *rows)
{
    if (f->n == 2) {
        int64_t I = cfg_int(qm, "intermediate_size");
        if (I <= 0)
            return false;
        rows[0] = rows[1] = (uint64_t)I;
        return true;
    }
    int64_t h = cfg_int(qm, "num_attention_heads"), kv = cfg_int(qm, "num_key_value_heads"),
            hd = cfg_int(qm, "head_dim"), hidden = cfg_int(qm, "hidden_size");
    if (kv <= 0)
        kv = h;
    if (hd <= 0 && h > 0 && hidden > 0)
        hd = hidden / h;
    if (h <= 0 || hd <= 0 || h > (1 << 20) || kv > (1 << 20) || hd > (1 << 20))
        return false;
    rows[0] = (uint64_t)(h * hd);
    rows[1] = rows[2] = (uint64_t)(kv * hd);
    return true;
}

static char *replace_token(const char *s, const char *tok, const char *with)
{
    const char *p = strstr(s, tok);
    if (!p)
        return NULL;
    return slm_strdupf("%.*s%s%s", (int)(p - s), s, with, p + strlen(tok));
}

size_t slm_fused_part_names(const char *name, char *parts[3])
{
    for (size_t f = 0; f < sizeof FUSED / sizeof FUSED[0]; f++) {
        if (!strstr(name, FUSED[f].token))
            continue;
        int i;
        for (i = 0; i < FUSED[f].n; i++)
            if (!(parts[i] = replace_token(name, FUSED[f].token, FUSED[f].parts[i])))
                break;
        if (i == FUSED[f].n)
            return (size_t)i;
        while (i-- > 0)
            free(parts[i]);
        return 0;
    }
    return 0;
}

/* Returns true when Q was handled (split or reported). */
static bool pair_split(pairer *P, size_t qi, const char *base)
{
    const slm_qweight *q = &P->qm->q[qi];
    for (size_t f = 0; f < sizeof FUSED / sizeof FUSED[0]; f++) {
        const struct fused *fu = &FUSED[f];
        if (!strstr(base, fu->token))
            continue;
        const slm_tensor *parts[3] = {0};
        uint64_t rows[3], crow[3], total = 0;
        bool have = true;
        for (int i = 0; i < fu->n; i++) {
            char *pn = replace_token(base, fu->token, fu->parts[i]);
            parts[i] = pn ? find_ref(P->rm, pn) : NULL;
            free(pn);
            if (!parts[i] || P->rdone[ref_index(P, parts[i])] || parts[i]->ndim != 2) {
                have = false;
                break;
            }
            rows[i] = orient(parts[i], parts[i]->shape[0], q->K) == 0 ? parts[i]->shape[0]
                      : orient(parts[i], parts[i]->shape[1], q->K) == 1 ? parts[i]->shape[1]
                                                                         : 0;
            total += rows[i];
        }
        if (!have)
            continue;
        bool from_cfg = config_rows(P->qm, fu, crow);
        uint64_t ctotal = 0;
        for (int i = 0; i < fu->n && from_cfg; i++)
            ctotal += crow[i];
        bool ok = total == q->N;
        for (int i = 0; i < fu->n; i++)
            ok = ok && rows[i] > 0 && (!from_cfg || rows[i] == crow[i]);
        if (!ok) {
            slm_report(P->d, SLM_R_QT_009, P->qfile, -1, q->name,
                       "fused '%s' has %llu rows of %llu; its parts in the reference have %llu rows in all%s%llu)",
                       q->name, (unsigned long long)q->N, (unsigned long long)q->K, (unsigned long long)total,
                       from_cfg ? " (the config's head counts give " : " (", (unsigned long long)(from_cfg ? ctotal : total));
            P->qdone[qi] = true;
            return true;
        }
        uint64_t row = 0;
        for (int i = 0; i < fu->n; i++) {
            slm_qpair p = {qi, row, rows[i], parts[i], orient(parts[i], rows[i], q->K) == 1, SLM_QP_SPLIT, NAN, NAN, SLM_LX_NONE, 0};
            push(P, &p);
            P->rdone[ref_index(P, parts[i])] = true;
            row += rows[i];
        }
        P->qdone[qi] = true;
        return true;
    }
    return false;
}

/* ---- content ------------------------------------------------------------------- */

#define SAMPLE_ROWS 8
#define SAMPLE_COLS 256

typedef struct sample {
    uint64_t r[SAMPLE_ROWS], k[SAMPLE_COLS];
    size_t nr, nk;
} sample;

static void sample_make(sample *s, uint64_t N, uint64_t K)
{
    s->nr = N < SAMPLE_ROWS ? N : SAMPLE_ROWS;
    s->nk = K < SAMPLE_COLS ? K : SAMPLE_COLS;
    for (size_t i = 0; i < s->nr; i++)
        s->r[i] = i * N / s->nr;
    for (size_t j = 0; j < s->nk; j++)
        s->k[j] = j * K / s->nk;
}

typedef struct cand {
    size_t qi, ri;
    bool transposed;
    double score;
} cand;

static int cand_cmp(const void *a, const void *b)
{
    const cand *x = a, *y = b;
    if (x->score != y->score)
        return x->score < y->score ? 1 : -1;
    if (x->qi != y->qi)
        return x->qi < y->qi ? -1 : 1;
    return x->ri < y->ri ? -1 : x->ri > y->ri;
}

static double score_of(const float *qs, const slm_tensor *ref, bool tr, const sample *s)
{
    double dr = 0, dd = 0, rr = 0;
    for (size_t i = 0; i < s->nr; i++)
        for (size_t j = 0; j < s->nk; j++) {
            uint64_t idx = tr ? s->k[j] * ref->shape[1] + s->r[i] : s->r[i] * ref->shape[1] + s->k[j];
            double r = slm_dtype_get_f64(ref->dtype, ref->data, idx), d = qs[i * s->nk + j];
            if (!isfinite(r) || !isfinite(d))
                continue;
            dr += d * r;
            dd += d * d;
            rr += r * r;
        }
    return dd > 0 && rr > 0 ? dr / sqrt(dd * rr) : 0.0;
}

/* Samples of Q's dequantized rows into QS (SAMPLE_ROWS x SAMPLE_COLS). */
static bool sample_q(const slm_qweight *q, const sample *s, float *qs)
{
    float *row = q->K <= SIZE_MAX / sizeof *row ? malloc(q->K * sizeof *row) : NULL;
    if (!row)
        return false;
    for (size_t i = 0; i < s->nr; i++) {
        slm_q_dequant_row(q, s->r[i], row);
        for (size_t j = 0; j < s->nk; j++)
            qs[i * s->nk + j] = row[s->k[j]];
    }
    free(row);
    return true;
}

static int square_orientation(const slm_qweight *q, const slm_tensor *ref)
{
    sample s;
    float qs[SAMPLE_ROWS * SAMPLE_COLS];
    sample_make(&s, q->N, q->K);
    if (!decodable_matrix(ref) || !sample_q(q, &s, qs))
        return 0;
    return score_of(qs, ref, true, &s) > score_of(qs, ref, false, &s) ? 1 : 0;
}

static int pair_content(pairer *P)
{
    const slm_model *qm = P->qm, *rm = P->rm;
    cand *c = NULL;
    size_t nc = 0, cap = 0;
    float *qs = malloc(SAMPLE_ROWS * SAMPLE_COLS * sizeof *qs);
    int rc = qs ? 0 : ENOMEM;
    for (size_t qi = 0; qi < qm->nq && !rc; qi++) {
        const slm_qweight *q = &qm->q[qi];
        if (P->qdone[qi] || slm_qweight_check(q))
            continue;
        sample s;
        sample_make(&s, q->N, q->K);
        if (!sample_q(q, &s, qs)) {
            rc = ENOMEM;
            break;
        }
        for (size_t ri = 0; ri < rm->n; ri++) {
            const slm_tensor *t = &rm->t[ri];
            if (P->rdone[ri] || !decodable_matrix(t))
                continue;
            for (int tr = 0; tr < 2; tr++) {
                bool fits = tr ? t->shape[0] == q->K && t->shape[1] == q->N : t->shape[0] == q->N && t->shape[1] == q->K;
                if (!fits)
                    continue;
                if (nc == cap) {
                    cap = cap ? cap * 2 : 64;
                    cand *v = realloc(c, cap * sizeof *v);
                    if (!v) {
                        rc = ENOMEM;
                        break;
                    }
                    c = v;
                }
                c[nc++] = (cand){qi, ri, tr == 1, score_of(qs, t, tr == 1, &s)};
            }
        }
    }
    if (!rc && nc) {
        qsort(c, nc, sizeof *c, cand_cmp);
        for (size_t i = 0; i < nc; i++) {
            if (P->qdone[c[i].qi] || P->rdone[c[i].ri] || c[i].score < 0.5)
                continue;
            double next = NAN;
            for (size_t j = 0; j < nc; j++)
                if (j != i && c[j].qi == c[i].qi && (c[j].ri != c[i].ri) && (isnan(next) || c[j].score > next))
                    next = c[j].score;
            const slm_qweight *q = &qm->q[c[i].qi];
            slm_qpair p = {c[i].qi, 0, q->N, &rm->t[c[i].ri], c[i].transposed, SLM_QP_CONTENT, c[i].score, next,
                           SLM_LX_NONE, 0};
            if (!push(P, &p)) {
                rc = ENOMEM;
                break;
            }
            P->qdone[c[i].qi] = true;
            P->rdone[c[i].ri] = true;
        }
    }
    free(c);
    free(qs);
    return rc;
}

/* ---- GGUF: llama.cpp's names ------------------------------------------------------ */

/* A GGUF string value as a C string in BUF; "" when absent. */
static const char *gguf_str(const slm_gguf *g, const char *key, char *buf, size_t n)
{
    slm_gguf_str v;
    buf[0] = 0;
    if (g && slm_gguf_kv_str(slm_gguf_find(g, key), &v) && v.n < n) {
        memcpy(buf, v.p, v.n);
        buf[v.n] = 0;
    }
    return buf;
}

static uint64_t gguf_u64(const slm_gguf *g, const char *arch, const char *key)
{
    char k[160];
    uint64_t v = 0;
    snprintf(k, sizeof k, "%s.%s", arch, key);
    return slm_gguf_kv_u64(slm_gguf_find(g, k), &v) ? v : 0;
}

/* QI by llama.cpp's name map; true when it is paired (or reported). */
static bool pair_gguf(pairer *P, size_t qi, const char *arch)
{
    const slm_qweight *q = &P->qm->q[qi];
    char hf[512];
    slm_llama_xform x;
    if (!slm_llama_to_hf(arch, q->name, hf, sizeof hf, &x))
        return false;
    const slm_tensor *t = slm_model_find(P->rm, hf);
    if (!t && strcmp(hf, "lm_head.weight") == 0) /* tied: the output is the embedding */
        t = slm_model_find(P->rm, "model.embed_tokens.weight");
    if (!t || P->rdone[ref_index(P, t)])
        return false;
    uint64_t heads = x == SLM_LX_PERMUTE_Q   ? gguf_u64(P->qm->gguf, arch, "attention.head_count")
                     : x == SLM_LX_PERMUTE_K ? gguf_u64(P->qm->gguf, arch, "attention.head_count_kv")
                                             : 0;
    if (x == SLM_LX_PERMUTE_K && !heads)
        heads = gguf_u64(P->qm->gguf, arch, "attention.head_count");
    if (orient(t, q->N, q->K) != 0) { /* a checkpoint's Linear is [N, K], as ggml's rows */
        pair_whole(P, qi, t, SLM_QP_NAME);
        return true;
    }
    if (q->ggml_type == SLM_GGML_F16 && t->dtype == SLM_DT_F16) { /* an exact copy: nothing lost */
        P->qdone[qi] = true;
        P->rdone[ref_index(P, t)] = true;
        if (P->out->lossless_q)
            P->out->lossless_q[P->out->lossless] = qi;
        P->out->lossless++;
        return true;
    }
    slm_qpair p = {qi, 0, q->N, t, false, SLM_QP_NAME, NAN, NAN, x, heads};
    if (push(P, &p)) {
        P->qdone[qi] = true;
        P->rdone[ref_index(P, t)] = true;
    }
    return true;
}

static int pair_cmp(const void *a, const void *b)
{
    const slm_qpair *x = a, *y = b;
    if (x->qi != y->qi)
        return x->qi < y->qi ? -1 : 1;
    return x->row0 < y->row0 ? -1 : x->row0 > y->row0;
}

int slm_qpair_models(const slm_model *qm, const slm_model *rm, const cJSON *map, const char *qfile,
                     slm_qpairing *out, slm_diag *d)
{
    memset(out, 0, sizeof *out);
    pairer P = {qm, rm, qfile, d, calloc(qm->nq + 1, 1), calloc(rm->n + 1, 1), out, 0};
    out->lossless_q = calloc(qm->nq + 1, sizeof *out->lossless_q);
    if (!P.qdone || !P.rdone || !out->lossless_q) {
        free(P.qdone);
        free(P.rdone);
        free(out->lossless_q);
        out->lossless_q = NULL;
        return ENOMEM;
    }
    /* weights the kernels cannot read are reported, not paired */
    for (size_t qi = 0; qi < qm->nq; qi++) {
        const char *why = slm_qweight_check(&qm->q[qi]);
        if (why && qm->q[qi].layout == SLM_QL_GGML && !slm_ggml_decodes(qm->q[qi].ggml_type) &&
            slm_ggml_type_get(qm->q[qi].ggml_type)) {
            slm_report(d, SLM_R_QT_010, qfile, -1, qm->q[qi].name, "'%s' is %s, which slminspect does not decode: not measured",
                       qm->q[qi].name, slm_ggml_type_get(qm->q[qi].ggml_type)->name);
            P.qdone[qi] = true;
        } else if (why) {
            slm_report(d, SLM_R_QT_001, qfile, -1, qm->q[qi].name, "'%s' (%s): %s", qm->q[qi].name,
                       qm->q[qi].op ? qm->q[qi].op : "", why);
            P.qdone[qi] = true;
        }
    }
    if (map)
        pair_map(&P, map);
    char arch[64];
    gguf_str(qm->gguf, "general.architecture", arch, sizeof arch);
    for (size_t qi = 0; qi < qm->nq; qi++) {
        if (P.qdone[qi] || (qm->q[qi].layout == SLM_QL_GGML && pair_gguf(&P, qi, arch)))
            continue;
        char *base = base_name(&qm->q[qi]);
        if (!base)
            continue;
        const slm_tensor *t = find_ref(rm, base);
        if (t && !P.rdone[ref_index(&P, t)] && orient(t, qm->q[qi].N, qm->q[qi].K) >= 0)
            pair_whole(&P, qi, t, SLM_QP_NAME);
        else
            pair_split(&P, qi, base);
        free(base);
    }
    int rc = pair_content(&P);
    if (out->n) /* qsort of a NULL array is undefined even when empty */
        qsort(out->p, out->n, sizeof *out->p, pair_cmp);
    out->q_unpaired = calloc(qm->nq + 1, sizeof(size_t));
    out->ref_unpaired = calloc(rm->n + 1, sizeof(size_t));
    if (!out->q_unpaired || !out->ref_unpaired)
        rc = ENOMEM;
    for (size_t qi = 0; qi < qm->nq && !rc; qi++)
        if (!P.qdone[qi]) {
            out->q_unpaired[out->nq_unpaired++] = qi;
            slm_report(d, SLM_R_QT_008, qfile, -1, qm->q[qi].name,
                       "'%s' (%s, [%llu, %llu]): no reference tensor by name, shape or content", qm->q[qi].name,
                       qm->q[qi].op ? qm->q[qi].op : "", (unsigned long long)qm->q[qi].N,
                       (unsigned long long)qm->q[qi].K);
        }
    for (size_t ri = 0; ri < rm->n && !rc; ri++)
        if (!P.rdone[ri] && rm->t[ri].ndim == 2)
            out->ref_unpaired[out->nref_unpaired++] = ri;
    free(P.qdone);
    free(P.rdone);
    return rc;
}

bool slm_qpairing_lossless(const slm_qpairing *p, size_t qi)
{
    for (size_t i = 0; p->lossless_q && i < p->lossless; i++)
        if (p->lossless_q[i] == qi)
            return true;
    return false;
}

void slm_qpairing_free(slm_qpairing *p)
{
    free(p->p);
    free(p->lossless_q);
    free(p->q_unpaired);
    free(p->ref_unpaired);
    memset(p, 0, sizeof *p);
}

/* ---- comparison ------------------------------------------------------------------ */

uint64_t slm_qcompare_bytes(const slm_qweight *q, const slm_qpair *p)
{
    double frac = q->N ? (double)p->rows / (double)q->N : 0;
    return (uint64_t)((double)q->q->nbytes * frac) + p->ref->nbytes;
}

static void hist_add(slm_qresult *res, const float *d, const float *r, uint64_t n)
{
    uint64_t *h = res->hist;
    for (uint64_t i = 0; i < n; i++) {
        if (!isfinite(r[i])) {
            res->ref_nonfinite++;
            continue;
        }
        float e = fabsf(d[i] - r[i]);
        uint32_t bits;
        memcpy(&bits, &e, 4);
        int ex = (int)((bits >> 23) & 0xff) - 127, b = ex - SLM_QHIST_LO;
        if (e == 0 || b < 0)
            b = 0;
        if (b >= SLM_QHIST_BINS || ex == 128)
            b = SLM_QHIST_BINS - 1;
        h[b]++;
    }
}

void slm_qcompare(const slm_qweight *q, const slm_qpair *p, uint64_t seed, slm_qresult *res, slm_progress_fn fn,
                  void *arg, uint64_t *done, uint64_t total)
{
    memset(res, 0, sizeof *res);
    slm_qerr_init(&res->wacc);
    slm_qerr_init(&res->mmacc);
    uint64_t K = q->K, M = SLM_QMM_ROWS, rows = p->rows;
    float *w = malloc(K * sizeof *w), *r = malloc(K * sizeof *r), *x = malloc(M * K * sizeof *x);
    double *yq = malloc(M * rows * sizeof *yq), *yr = malloc(M * rows * sizeof *yr);
    if (w && r && x && yq && yr) {
        slm_q_random_normal(seed, x, M * K);
        uint64_t per_row = slm_qcompare_bytes(q, p) / (rows ? rows : 1);
        for (uint64_t i = 0; i < rows; i++) {
            slm_q_dequant_row(q, p->row0 + i, w);
            uint64_t ri = p->perm_heads ? slm_llama_hf_row(p->row0 + i, p->rows, p->perm_heads) : i;
            if (p->ref_transposed)
                slm_q_load_row(p->ref->dtype, p->ref->data, ri, rows, K, r);
            else
                slm_q_load_row(p->ref->dtype, p->ref->data, ri * K, 1, K, r);
            slm_qerr_add_f32(&res->wacc, w, r, K);
            hist_add(res, w, r, K);
            res->clipped += slm_q_clipped_row(q, p->row0 + i, r);
            for (uint64_t m = 0; m < M; m++) {
                yq[m * rows + i] = slm_q_dot(x + m * K, w, K);
                yr[m * rows + i] = slm_q_dot(x + m * K, r, K);
            }
            if (fn && (i % 64 == 63 || i + 1 == rows)) {
                *done += per_row * (i % 64 + 1);
                fn(arg, *done, total, "quant");
            }
        }
        slm_qerr_add_f64(&res->mmacc, yq, yr, M * rows);
    }
    res->w = slm_qerr_metrics(&res->wacc);
    res->mm = slm_qerr_metrics(&res->mmacc);
    free(w);
    free(r);
    free(x);
    free(yq);
    free(yr);
}

void slm_qcheck_weight(const slm_qweight *q, const char *qfile, slm_diag *d)
{
    slm_qscan s;
    if (slm_qweight_check(q))
        return;
    slm_qweight_scan(q, &s);
    const slm_tensor *st = q->scales ? q->scales : q->q; /* ggml: the scales are in the blocks */
    const char *sf = st->file ? st->file : qfile;
    if (s.scale_nonfinite || s.zp_nonfinite)
        slm_report(d, SLM_R_QT_002, sf, (int64_t)st->offset, q->name,
                   "'%s': %llu of %llu scales and %llu zero points are NaN or Inf, expected finite values", q->name,
                   (unsigned long long)s.scale_nonfinite, (unsigned long long)s.scales,
                   (unsigned long long)s.zp_nonfinite);
    if (s.scale_zero || s.scale_subnormal)
        slm_report(d, SLM_R_QT_003, sf, (int64_t)st->offset, q->name,
                   "'%s': %llu of %llu scales are zero and %llu subnormal (%s), expected normal values", q->name,
                   (unsigned long long)s.scale_zero, (unsigned long long)s.scales,
                   (unsigned long long)s.scale_subnormal, slm_tensor_type_name(st));
    if (s.f16_overflow)
        slm_report(d, SLM_R_QT_004, sf, (int64_t)st->offset, q->name,
                   "'%s': %llu of %llu blocks dequantize beyond fp16's 65504 (scales %s, computed in fp16)", q->name,
                   (unsigned long long)s.f16_overflow, (unsigned long long)s.scales, slm_tensor_type_name(st));
    if (s.g_idx_bad)
        slm_report(d, SLM_R_QT_006, q->g_idx && q->g_idx->file ? q->g_idx->file : qfile, q->g_idx ? (int64_t)q->g_idx->offset : -1, q->name,
                   "'%s': %llu of %llu g_idx entries are outside [0, %llu)", q->name, (unsigned long long)s.g_idx_bad,
                   (unsigned long long)q->K, (unsigned long long)slm_qweight_blocks(q));
}

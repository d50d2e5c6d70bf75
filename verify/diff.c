/* Two artifacts compared: tensor pairing and metrics, facts (diff.h). */
#include "diff.h"
#include "slm/mlc.h"
#include "slm/onnx.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *slm_tpair_how_name(slm_tpair_how h)
{
    static const char *const names[SLM_TP__COUNT] = {"name", "suffix", "hash", "content", "fused", "llama"};
    return (unsigned)h < SLM_TP__COUNT ? names[h] : "?";
}

bool slm_tensor_hash(const slm_tensor *t, XXH128_hash_t *h)
{
    if (!t->data && t->nbytes)
        return false;
    *h = slm_xxh128(t->data, (size_t)t->nbytes);
    return true;
}

/* ---- values ---------------------------------------------------------------- */

static bool numeric(const slm_tensor *t)
{
    const slm_dtype_info *i = slm_dtype_info_of(t->dtype);
    return t->data && i->decodes && i->kind != SLM_KIND_COMPLEX && i->kind != SLM_KIND_STRING;
}

static bool is_transpose(const slm_tensor *a, const slm_tensor *b)
{
    return a->ndim == 2 && b->ndim == 2 && a->shape[0] == b->shape[1] && a->shape[1] == b->shape[0];
}

/* Element I of A's order read from T, which holds A's transpose when TR. */
static double value_at(const slm_tensor *t, uint64_t i, bool tr, uint64_t rows_a, uint64_t cols_a)
{
    if (tr)
        i = (i % cols_a) * rows_a + i / cols_a;
    return slm_dtype_get_f64(t->dtype, t->data, i);
}

#define CHUNK 4096

/* N elements of T from FIRST, STRIDE apart, as doubles. */
static void load(const slm_tensor *t, uint64_t first, uint64_t stride, uint64_t n, double *out, float *tmp)
{
    if (t->dtype == SLM_DT_F16 || t->dtype == SLM_DT_BF16 || t->dtype == SLM_DT_F32) {
        slm_q_load_row(t->dtype, t->data, first, stride, n, tmp);
        for (uint64_t i = 0; i < n; i++)
            out[i] = tmp[i];
    } else {
        for (uint64_t i = 0; i < n; i++)
            out[i] = slm_dtype_get_f64(t->dtype, t->data, first + i * stride);
    }
}

/* e = B - A over every element (B read as A's transpose when TR; else from
 * element BOFF on: a part of a fused tensor). */
static uint64_t compare_values(const slm_tensor *a, const slm_tensor *b, bool tr, uint64_t boff, slm_qerr *acc,
                               double *va, double *vb, float *tmp)
{
    uint64_t differ = 0;
    uint64_t rows = tr ? a->shape[0] : 1, cols = tr ? a->shape[1] : a->nelem;
    for (uint64_t r = 0; r < rows; r++)
        for (uint64_t c0 = 0; c0 < cols; c0 += CHUNK) {
            uint64_t n = cols - c0 < CHUNK ? cols - c0 : CHUNK;
            load(a, r * cols + c0, 1, n, va, tmp);
            if (tr) /* row r of A is column r of B */
                load(b, c0 * rows + r, rows, n, vb, tmp);
            else
                load(b, boff + c0, 1, n, vb, tmp);
            slm_qerr_add_f64(acc, vb, va, n);
            for (uint64_t i = 0; i < n; i++)
                differ += !(va[i] == vb[i] || (isnan(va[i]) && isnan(vb[i])));
        }
    return differ;
}

/* Pearson correlation of sampled elements (NaN when either side is constant
 * or not finite). */
static double sampled_corr(const slm_tensor *a, const slm_tensor *b, bool tr)
{
    enum { S = 256 };
    uint64_t n = a->nelem < S ? a->nelem : S;
    uint64_t ra = a->ndim == 2 ? a->shape[0] : 1, ca = a->ndim == 2 ? a->shape[1] : a->nelem;
    double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
    for (uint64_t k = 0; k < n; k++) {
        /* one element of each of N equal stretches, at varying places in them */
        uint64_t stride = a->nelem / n, i = k * stride + (k * 7919u) % stride;
        double x = slm_dtype_get_f64(a->dtype, a->data, i), y = value_at(b, i, tr, ra, ca);
        if (!isfinite(x) || !isfinite(y))
            return NAN;
        sa += x;
        sb += y;
        saa += x * x;
        sbb += y * y;
        sab += x * y;
    }
    double dn = (double)n, cov = sab - sa * sb / dn, va = saa - sa * sa / dn, vb = sbb - sb * sb / dn;
    if (n < 2 || va <= 0 || vb <= 0)
        return NAN;
    return cov / sqrt(va * vb);
}

/* ---- pairing ---------------------------------------------------------------- */

typedef struct side {
    const slm_model *m;
    XXH128_hash_t *h;
    bool *hashed, *used;
} side;

static int side_init(side *s, const slm_model *m)
{
    s->m = m;
    s->h = calloc(m->n + 1, sizeof *s->h);
    s->hashed = calloc(m->n + 1, sizeof *s->hashed);
    s->used = calloc(m->n + 1, sizeof *s->used);
    return s->h && s->hashed && s->used ? 0 : ENOMEM;
}

static void side_free(side *s)
{
    free(s->h);
    free(s->hashed);
    free(s->used);
}

/* Is SHORT the tail of LONG_ behind a '.' (a module prefix)? */
static bool dot_suffix(const char *long_, const char *short_)
{
    size_t a = strlen(long_), b = strlen(short_);
    return a > b && long_[a - b - 1] == '.' && strcmp(long_ + a - b, short_) == 0;
}

typedef struct pairing {
    side A, B;
    slm_tdiffs *out;
    size_t cap;
} pairing;

static bool push(pairing *P, const slm_tdiff *t)
{
    if (P->out->n == P->cap) {
        size_t c = P->cap ? 2 * P->cap : 64;
        slm_tdiff *v = realloc(P->out->v, c * sizeof *v);
        if (!v)
            return false;
        P->out->v = v;
        P->cap = c;
    }
    P->out->v[P->out->n++] = *t;
    return true;
}

static bool pair(pairing *P, size_t ia, size_t ib, slm_tpair_how how, double score, bool tr)
{
    slm_tdiff t;
    memset(&t, 0, sizeof t);
    t.a = &P->A.m->t[ia];
    t.b = &P->B.m->t[ib];
    t.how = how;
    t.score = score;
    t.transposed = tr;
    P->A.used[ia] = P->B.used[ib] = true;
    return push(P, &t);
}

/* The one free tensor of S (other than by exact name) that is NAME behind a
 * prefix or whose name is NAME's tail; -1 when none or several. */
static long find_suffix(const side *s, const char *name)
{
    long hit = -1;
    for (size_t i = 0; i < s->m->n; i++) {
        const char *n = s->m->t[i].name;
        if (s->used[i] || !(dot_suffix(n, name) || dot_suffix(name, n)))
            continue;
        if (hit >= 0)
            return -1;
        hit = (long)i;
    }
    return hit;
}

/* The tensor of S's side whose bytes equal those of S's free tensor I and
 * that is paired (same dtype and shape), or -1. */
static long same_bytes_paired(const side *s, size_t i)
{
    const slm_tensor *t = &s->m->t[i];
    if (!s->hashed[i] || t->nbytes == 0)
        return -1;
    for (size_t j = 0; j < s->m->n; j++)
        if (j != i && s->used[j] && s->hashed[j] && s->m->t[j].dtype == t->dtype &&
            slm_tensor_same_shape(&s->m->t[j], t) && XXH128_isEqual(s->h[j], s->h[i]))
            return (long)j;
    return -1;
}

/* Tensors left on one side whose bytes equal a paired tensor of that side:
 * shared with that tensor's partner (the other side kept one for both). */
static int pair_shared(pairing *P, bool side_a)
{
    side *s = side_a ? &P->A : &P->B;
    for (size_t i = 0; i < s->m->n; i++) {
        if (s->used[i])
            continue;
        long j = same_bytes_paired(s, i);
        if (j < 0)
            continue;
        const slm_tensor *twin = &s->m->t[j], *partner = NULL;
        for (size_t k = 0; k < P->out->n && !partner; k++) {
            const slm_tdiff *t = &P->out->v[k];
            if (t->a && t->b && !t->shared_with && (side_a ? t->a : t->b) == twin)
                partner = side_a ? t->b : t->a;
            /* a pair of tensors that hold the same values (as many), or a
             * quantized weight and its original: not a reshaped guess */
            if (partner && !t->quantized && partner->nelem != twin->nelem)
                partner = NULL;
        }
        if (!partner)
            continue;
        slm_tdiff t;
        memset(&t, 0, sizeof t);
        t.a = side_a ? &s->m->t[i] : partner;
        t.b = side_a ? partner : &s->m->t[i];
        t.shared_with = twin;
        t.shared_side = side_a ? 'a' : 'b';
        t.score = NAN;
        if (!push(P, &t))
            return ENOMEM;
    }
    /* marked after the pass: a shared tensor is never another's twin */
    for (size_t k = 0; k < P->out->n; k++) {
        const slm_tdiff *t = &P->out->v[k];
        if (t->shared_with && (side_a ? t->a : t->b))
            s->used[(side_a ? t->a : t->b) - s->m->t] = true;
    }
    return 0;
}

/* Rows (extent of axis 0) of a tensor, 0 for a scalar. */
static uint64_t rows_of(const slm_tensor *t)
{
    return t->ndim ? t->shape[0] : 0;
}

/* Does PART fit as rows of FUSED: same dtype kind, same extents past axis 0? */
static bool part_fits(const slm_tensor *part, const slm_tensor *fused)
{
    if (part->ndim != fused->ndim || !part->ndim || !numeric(part) || !numeric(fused))
        return false;
    for (size_t d = 1; d < part->ndim; d++)
        if (part->shape[d] != fused->shape[d])
            return false;
    return true;
}

/* Free tensors of one side (FUSED_A: of A) named as a fused module's, whose
 * parts are free on the other side and add up to their rows: one pair per
 * part, at its rows. */
static int pair_fused(pairing *P, bool fused_a)
{
    side *fs = fused_a ? &P->A : &P->B, *ps = fused_a ? &P->B : &P->A;
    for (size_t i = 0; i < fs->m->n; i++) {
        const slm_tensor *f = &fs->m->t[i];
        char *names[3];
        size_t np = fs->used[i] ? 0 : slm_fused_part_names(f->name, names);
        if (!np)
            continue;
        const slm_tensor *parts[3] = {0};
        uint64_t total = 0;
        bool ok = true;
        for (size_t k = 0; k < np; k++) {
            parts[k] = slm_model_find(ps->m, names[k]);
            ok = ok && parts[k] && !ps->used[parts[k] - ps->m->t] && part_fits(parts[k], f);
            if (ok)
                total += rows_of(parts[k]);
            free(names[k]);
        }
        if (!ok || total != rows_of(f))
            continue;
        uint64_t row = 0;
        for (size_t k = 0; k < np; k++) {
            size_t ip = (size_t)(parts[k] - ps->m->t);
            if (!pair(P, fused_a ? i : ip, fused_a ? ip : i, SLM_TP_FUSED, NAN, false))
                return ENOMEM;
            P->out->v[P->out->n - 1].fused_row0 = row;
            row += rows_of(parts[k]);
        }
    }
    return 0;
}

/* ---- a GGUF against its checkpoint: llama.cpp's names ------------------------------- */

static const char *gguf_arch(const slm_model *m, char *buf, size_t n)
{
    slm_gguf_str v;
    if (!m->gguf || !slm_gguf_kv_str(slm_gguf_find(m->gguf, "general.architecture"), &v) || v.n >= n)
        return NULL;
    memcpy(buf, v.p, v.n);
    buf[v.n] = 0;
    return buf;
}

static int pair_llama(pairing *P)
{
    bool ga = P->A.m->gguf && !P->B.m->gguf, gb = P->B.m->gguf && !P->A.m->gguf;
    const side *G = ga ? &P->A : &P->B, *H = ga ? &P->B : &P->A;
    char arch[64], hf[512];
    if ((!ga && !gb) || !gguf_arch(G->m, arch, sizeof arch))
        return 0;
    bool has_output = slm_model_find(G->m, "output.weight") != NULL;
    for (size_t i = 0; i < G->m->n; i++) {
        slm_llama_xform x;
        if (!slm_llama_to_hf(arch, G->m->t[i].name, hf, sizeof hf, &x))
            continue;
        const slm_tensor *t = slm_model_find(H->m, hf);
        size_t j = t ? (size_t)(t - H->m->t) : 0;
        if (!t || H->used[j] || t->nelem != G->m->t[i].nelem)
            continue;
        if (!pair(P, ga ? i : j, ga ? j : i, SLM_TP_LLAMA, NAN, false))
            return ENOMEM;
        P->out->v[P->out->n - 1].xform = x;
    }
    /* a tied output saved by the checkpoint, dropped by the converter */
    const slm_tensor *lm = slm_model_find(H->m, "lm_head.weight"), *emb = slm_model_find(H->m, "model.embed_tokens.weight");
    if (!has_output && lm && emb && lm->nbytes == emb->nbytes && lm->data && emb->data &&
        memcmp(lm->data, emb->data, (size_t)lm->nbytes) == 0) {
        size_t j = (size_t)(lm - H->m->t);
        slm_tdiff t;
        memset(&t, 0, sizeof t);
        *(ga ? &t.b : &t.a) = lm;
        t.score = NAN;
        t.note = "tied to model.embed_tokens.weight: llama.cpp's converter writes no output.weight";
        ((side *)H)->used[j] = true;
        if (!push(P, &t))
            return ENOMEM;
    }
    return 0;
}

/* The ggml type of T when its model is a GGUF, else -1. */
static long ggml_type_of(const slm_model *m, const slm_tensor *t)
{
    const slm_gguf_tensor *g = m->gguf ? slm_gguf_tensor_find(m->gguf, t->name) : NULL;
    return g ? (long)g->type : -1;
}

/* Row R (COLS values) of T as floats: ggml's types dequantized. */
static bool load_row(const slm_tensor *t, long ggml, uint64_t r, uint64_t cols, float *out)
{
    if (ggml >= 0 && slm_ggml_decodes((uint32_t)ggml)) {
        uint64_t nb;
        if (!slm_ggml_nbytes((uint32_t)ggml, cols, &nb) || (r + 1) * nb > t->nbytes)
            return false;
        slm_ggml_dequant((uint32_t)ggml, t->data + r * nb, cols, out);
        return true;
    }
    if (!numeric(t))
        return false;
    slm_q_load_row(t->dtype, t->data, r * cols, 1, cols, out);
    return true;
}

/* A llama-name pair's values, the transformation undone: e = B - A. */
static bool compare_rows(const pairing *P, slm_tdiff *t, slm_qerr *acc, double *va, double *vb, float *fa, float *fb);

static bool compare_llama(const pairing *P, slm_tdiff *t, slm_qerr *acc)
{
    const slm_tensor *g = P->A.m->gguf ? t->a : t->b;
    uint64_t cols = g->ndim >= 1 ? g->shape[g->ndim - 1] : 1;
    if (cols == 0 || cols > SIZE_MAX / sizeof(double))
        return false;
    double *va = malloc(cols * sizeof *va), *vb = malloc(cols * sizeof *vb);
    float *fa = malloc(cols * sizeof *fa), *fb = malloc(cols * sizeof *fb);
    bool ok = va && vb && fa && fb && compare_rows(P, t, acc, va, vb, fa, fb);
    free(va);
    free(vb);
    free(fa);
    free(fb);
    return ok;
}

/* Row by row in the GGUF's order, each checkpoint row (or element) found
 * through the permutation. */
static bool compare_rows(const pairing *P, slm_tdiff *t, slm_qerr *acc, double *va, double *vb, float *fa, float *fb)
{
    bool ga = P->A.m->gguf != NULL;
    const slm_tensor *g = ga ? t->a : t->b, *h = ga ? t->b : t->a;
    long gt = ggml_type_of(ga ? P->A.m : P->B.m, g);
    uint64_t cols = g->ndim >= 1 ? g->shape[g->ndim - 1] : 1, rows = cols ? g->nelem / cols : 0, heads = 0;
    if (!g->data || !h->data || h->nelem != rows * cols)
        return false;
    if (t->xform == SLM_LX_PERMUTE_Q || t->xform == SLM_LX_PERMUTE_K) {
        char arch[64], k[96];
        gguf_arch(ga ? P->A.m : P->B.m, arch, sizeof arch);
        snprintf(k, sizeof k, "%s.attention.head_count%s", arch, t->xform == SLM_LX_PERMUTE_K ? "_kv" : "");
        if (!slm_gguf_kv_u64(slm_gguf_find((ga ? P->A.m : P->B.m)->gguf, k), &heads))
            return false;
    }
    bool one_d = rows == 1 && heads; /* a permuted bias: its elements are the rows */
    t->differing = 0;
    for (uint64_t r = 0; r < rows; r++) {
        if (!load_row(g, gt, r, cols, fa))
            return false;
        uint64_t hr = heads && !one_d ? slm_llama_hf_row(r, rows, heads) : r;
        if (!load_row(h, -1, hr, cols, fb))
            return false;
        for (uint64_t c = 0; c < cols; c++) {
            /* GGUF element c of a permuted bias came from the checkpoint's element hf_row(c) */
            double gv = fa[c], hv = fb[one_d ? slm_llama_hf_row(c, cols, heads) : c];
            if (t->xform == SLM_LX_NORM_PLUS_ONE)
                gv -= 1.0;
            (ga ? va : vb)[c] = gv;
            (ga ? vb : va)[c] = hv;
        }
        slm_qerr_add_f64(acc, vb, va, cols);
        for (uint64_t c = 0; c < cols; c++)
            t->differing += !(va[c] == vb[c] || (isnan(va[c]) && isnan(vb[c])));
    }
    return true;
}

static int pair_all(pairing *P)
{
    const slm_model *a = P->A.m, *b = P->B.m;
    int qe = slm_diff_quant(a, b, P->A.used, P->B.used, P->out, &P->cap);
    if (qe)
        return qe;
    if ((qe = pair_llama(P)) != 0) /* a GGUF's other tensors (norms, biases, exact copies) */
        return qe;
    for (size_t i = 0; i < a->n; i++) {
        const slm_tensor *tb = slm_model_find(b, a->t[i].name);
        size_t j = tb ? (size_t)(tb - b->t) : 0;
        if (tb && !P->B.used[j] && !pair(P, i, j, SLM_TP_NAME, NAN, false))
            return ENOMEM;
    }
    for (size_t i = 0; i < a->n; i++) {
        if (P->A.used[i])
            continue;
        long j = find_suffix(&P->B, a->t[i].name);
        /* and A has no other tensor that fits B's the same way */
        if (j >= 0 && find_suffix(&P->A, b->t[j].name) == (long)i &&
            !pair(P, i, (size_t)j, SLM_TP_SUFFIX, NAN, false))
            return ENOMEM;
    }
    if (pair_fused(P, true) || pair_fused(P, false))
        return ENOMEM;
    for (size_t i = 0; i < a->n; i++) {
        if (P->A.used[i] || !P->A.hashed[i] || a->t[i].nbytes == 0)
            continue;
        for (size_t j = 0; j < b->n; j++)
            if (!P->B.used[j] && P->B.hashed[j] && slm_tensor_same_type(&a->t[i], &b->t[j]) &&
                slm_tensor_same_shape(&a->t[i], &b->t[j]) && XXH128_isEqual(P->A.h[i], P->B.h[j])) {
                if (!pair(P, i, j, SLM_TP_HASH, NAN, false))
                    return ENOMEM;
                break;
            }
    }
    for (size_t i = 0; i < a->n; i++) {
        const slm_tensor *ta = &a->t[i];
        if (P->A.used[i] || !numeric(ta) || ta->nelem < 2)
            continue;
        double best = -1, next = -1;
        long bj = -1;
        bool btr = false;
        for (size_t j = 0; j < b->n; j++) {
            const slm_tensor *tb = &b->t[j];
            if (P->B.used[j] || !numeric(tb) || tb->nelem != ta->nelem)
                continue;
            for (int tr = 0; tr < 2; tr++) {
                if (tr ? !is_transpose(ta, tb) : !slm_tensor_same_shape(ta, tb))
                    continue;
                double r = sampled_corr(ta, tb, tr);
                if (!(r > best)) {
                    if (r > next)
                        next = r;
                    continue;
                }
                next = best;
                best = r;
                bj = (long)j;
                btr = tr;
            }
        }
        if (bj >= 0 && best >= 0.9 && next < best - 0.05 && !pair(P, i, (size_t)bj, SLM_TP_CONTENT, best, btr))
            return ENOMEM;
    }
    if (pair_shared(P, true) || pair_shared(P, false))
        return ENOMEM;
    for (size_t i = 0; i < a->n; i++) {
        slm_tdiff t;
        memset(&t, 0, sizeof t);
        t.a = &a->t[i];
        t.score = NAN;
        if (!P->A.used[i] && !push(P, &t))
            return ENOMEM;
    }
    for (size_t j = 0; j < b->n; j++) {
        slm_tdiff t;
        memset(&t, 0, sizeof t);
        t.b = &b->t[j];
        t.score = NAN;
        if (!P->B.used[j] && !push(P, &t))
            return ENOMEM;
    }
    return 0;
}

static void hash_side(side *s, slm_progress_fn fn, void *arg, uint64_t *done, uint64_t total)
{
    for (size_t i = 0; i < s->m->n; i++) {
        s->hashed[i] = slm_tensor_hash(&s->m->t[i], &s->h[i]);
        *done += s->m->t[i].nbytes;
        if (fn)
            fn(arg, *done, total, "diff");
    }
}

int slm_diff_tensors(const slm_model *a, const slm_model *b, slm_progress_fn fn, void *arg, slm_tdiffs *out)
{
    pairing P;
    memset(&P, 0, sizeof P);
    memset(out, 0, sizeof *out);
    P.out = out;
    int e = side_init(&P.A, a);
    if (!e)
        e = side_init(&P.B, b);
    uint64_t total = slm_model_bytes(a) + slm_model_bytes(b), done = 0;
    double *va = malloc(CHUNK * sizeof *va), *vb = malloc(CHUNK * sizeof *vb);
    float *tmp = malloc(CHUNK * sizeof *tmp);
    if (!e && (!va || !vb || !tmp))
        e = ENOMEM;
    if (!e) {
        hash_side(&P.A, fn, arg, &done, total);
        hash_side(&P.B, fn, arg, &done, total);
        e = pair_all(&P);
    }
    for (size_t k = 0; !e && k < out->n; k++) {
        slm_tdiff *t = &out->v[k];
        if (t->a) {
            size_t ia = (size_t)(t->a - a->t);
            t->hashed_a = P.A.hashed[ia];
            t->ha = P.A.h[ia];
        }
        if (t->b) {
            size_t ib = (size_t)(t->b - b->t);
            t->hashed_b = P.B.hashed[ib];
            t->hb = P.B.h[ib];
        }
        if (!t->a || !t->b || t->quantized || t->shared_with)
            continue;
        if (t->how == SLM_TP_LLAMA) {
            slm_qerr acc;
            slm_qerr_init(&acc);
            t->identical = t->xform == SLM_LX_NONE && t->hashed_a && t->hashed_b && slm_tensor_same_type(t->a, t->b) &&
                           t->a->nbytes == t->b->nbytes && XXH128_isEqual(t->ha, t->hb);
            if (!t->identical && compare_llama(&P, t, &acc)) {
                t->m = slm_qerr_metrics(&acc);
                t->compared = t->floats = true;
            }
            continue;
        }
        if (t->how == SLM_TP_FUSED) { /* the part (A's or B's) against its rows of the fused tensor */
            bool part_a = t->a->nelem < t->b->nelem;
            const slm_tensor *part = part_a ? t->a : t->b, *whole = part_a ? t->b : t->a;
            uint64_t off = t->fused_row0 * (part->nelem / rows_of(part));
            uint64_t esz = slm_dtype_info_of(whole->dtype)->bits / 8;
            t->identical = part->dtype == whole->dtype && esz && part->data && whole->data &&
                           memcmp(part->data, whole->data + off * esz, (size_t)part->nbytes) == 0;
            slm_qerr acc;
            slm_qerr_init(&acc);
            /* e = B - A: with B the fused tensor, B's part; with A the fused one, the sign flips */
            t->differing = compare_values(part, whole, false, off, &acc, va, vb, tmp);
            t->m = slm_qerr_metrics(&acc);
            t->compared = true;
            t->floats = slm_dtype_info_of(part->dtype)->kind == SLM_KIND_FLOAT &&
                        slm_dtype_info_of(whole->dtype)->kind == SLM_KIND_FLOAT;
            continue;
        }
        t->identical = t->hashed_a && t->hashed_b && slm_tensor_same_type(t->a, t->b) && slm_tensor_same_shape(t->a, t->b) &&
                       t->a->nbytes == t->b->nbytes && XXH128_isEqual(t->ha, t->hb);
        if (t->identical || !numeric(t->a) || !numeric(t->b) || t->a->nelem != t->b->nelem)
            continue;
        /* a matrix paired by name with its transpose's shape: transposed
         * (an exporter's MatMul weight) or reshaped, whichever fits the values */
        if (!t->transposed && is_transpose(t->a, t->b) && !slm_tensor_same_shape(t->a, t->b))
            t->transposed = sampled_corr(t->a, t->b, true) > sampled_corr(t->a, t->b, false);
        slm_qerr acc;
        slm_qerr_init(&acc);
        t->differing = compare_values(t->a, t->b, t->transposed, 0, &acc, va, vb, tmp);
        t->m = slm_qerr_metrics(&acc);
        t->compared = true;
        t->floats = slm_dtype_info_of(t->a->dtype)->kind == SLM_KIND_FLOAT &&
                    slm_dtype_info_of(t->b->dtype)->kind == SLM_KIND_FLOAT;
    }
    free(va);
    free(vb);
    free(tmp);
    side_free(&P.A);
    side_free(&P.B);
    if (e)
        slm_tdiffs_free(out);
    return e;
}

void slm_tdiffs_free(slm_tdiffs *t)
{
    free(t->v);
    memset(t, 0, sizeof *t);
}

/* ---- facts ------------------------------------------------------------------ */

static int fact_add(slm_facts *f, char *key, cJSON *value)
{
    char *v = value ? cJSON_PrintUnformatted(value) : NULL;
    cJSON_Delete(value);
    if (!key || !v) {
        free(key);
        free(v);
        return ENOMEM;
    }
    if (f->n == f->cap) {
        size_t c = f->cap ? 2 * f->cap : 64;
        slm_fact *nv = realloc(f->v, c * sizeof *nv);
        if (!nv) {
            free(key);
            free(v);
            return ENOMEM;
        }
        f->v = nv;
        f->cap = c;
    }
    f->v[f->n].key = key;
    f->v[f->n].value = v;
    f->n++;
    return 0;
}

static int fact_str(slm_facts *f, const char *base, const char *key, const char *s)
{
    return fact_add(f, slm_jptr(base, key), cJSON_CreateString(s ? s : ""));
}

static int fact_num(slm_facts *f, const char *base, const char *key, double v)
{
    return fact_add(f, slm_jptr(base, key), cJSON_CreateNumber(v));
}

/* Every leaf of a JSON document under BASE. */
static int fact_json(slm_facts *f, const char *base, const cJSON *v, int depth)
{
    if ((cJSON_IsObject(v) || cJSON_IsArray(v)) && depth < 64 && v->child) {
        int e = 0;
        size_t i = 0;
        for (const cJSON *c = v->child; c && !e; c = c->next, i++) {
            char *k = cJSON_IsObject(v) ? slm_jptr(base, c->string ? c->string : "") : slm_jptr_idx(base, i);
            e = k ? fact_json(f, k, c, depth + 1) : ENOMEM;
            free(k);
        }
        return e;
    }
    return fact_add(f, strdup(base), cJSON_Duplicate(v, true));
}

/* A JSON file's leaves under BASE; nothing when it cannot be read. */
static int fact_file(slm_facts *f, const char *base, const char *path)
{
    slm_map mp;
    if (!path || slm_map_open(&mp, path) != 0)
        return 0;
    slm_json j;
    int e = 0;
    if (slm_json_parse(&j, (const char *)mp.data, mp.size, SLM_JSON_DEPTH_DEFAULT) == 0)
        e = fact_json(f, base, j.root, 0);
    slm_json_free(&j);
    slm_map_close(&mp);
    return e;
}

static int str_cmp(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

static const char *onnx_domain(const char *d)
{
    return d && *d ? d : "ai.onnx";
}

/* The whole type (sequence, optional, map, ...), as inspect prints it. */
static char *value_type(const slm_onnx_value *v)
{
    char buf[512];
    slm_onnx_type_str(buf, sizeof buf, v->type);
    return strdup(buf);
}

static int onnx_facts(slm_facts *f, const slm_onnx *o)
{
    int e = 0;
    e = e ? e : fact_num(f, "/graph", "ir_version", (double)o->ir_version);
    for (size_t i = 0; i < o->nopset && !e; i++) {
        char *k = slm_jptr("/graph/opset", onnx_domain(o->opset[i].domain));
        e = k ? fact_add(f, k, cJSON_CreateNumber((double)o->opset[i].version)) : ENOMEM;
    }
    e = e ? e : fact_str(f, "/metadata", "producer_name", o->producer_name);
    e = e ? e : fact_str(f, "/metadata", "producer_version", o->producer_version);
    e = e ? e : fact_str(f, "/metadata", "domain", o->domain);
    e = e ? e : fact_num(f, "/metadata", "model_version", (double)o->model_version);
    for (size_t i = 0; i < o->nmeta && !e; i++)
        e = fact_str(f, "/metadata/props", o->meta_key[i], o->meta_val[i]);
    const slm_onnx_graph *g = &o->graph;
    e = e ? e : fact_num(f, "/graph", "nodes", (double)g->nnode);
    /* operator counts, "domain.Op" outside the default domain */
    char **ops = calloc(g->nnode + 1, sizeof *ops);
    if (!ops)
        return ENOMEM;
    for (size_t i = 0; i < g->nnode && !e; i++) {
        const slm_onnx_node *n = &g->node[i];
        const char *t = n->op_type ? n->op_type : "";
        ops[i] = strcmp(onnx_domain(n->domain), "ai.onnx") == 0 ? strdup(t) : slm_strdupf("%s.%s", n->domain, t);
        e = ops[i] ? 0 : ENOMEM;
    }
    if (!e)
        qsort(ops, g->nnode, sizeof *ops, str_cmp);
    for (size_t i = 0, j; i < g->nnode && !e; i = j) {
        for (j = i; j < g->nnode && strcmp(ops[j], ops[i]) == 0; j++)
            ;
        e = fact_num(f, "/graph/ops", ops[i], (double)(j - i));
    }
    for (size_t i = 0; i < g->nnode; i++)
        free(ops[i]);
    free(ops);
    const struct {
        const char *base;
        const slm_onnx_value *v;
        size_t n;
    } io[] = {{"/graph/inputs", g->in, g->nin}, {"/graph/outputs", g->out, g->nout}};
    for (int s = 0; s < 2; s++)
        for (size_t i = 0; i < io[s].n && !e; i++) {
            char *t = value_type(&io[s].v[i]);
            e = t ? fact_str(f, io[s].base, io[s].v[i].name ? io[s].v[i].name : "", t) : ENOMEM;
            free(t);
        }
    e = e ? e : fact_num(f, "/storage", "embedded_bytes", (double)o->embedded_bytes);
    e = e ? e : fact_num(f, "/storage", "external_bytes", (double)o->external_bytes);
    for (size_t i = 0; i < o->next && !e; i++)
        e = fact_add(f, slm_jptr_idx("/storage/external_data", i), cJSON_CreateString(o->ext[i].location));
    return e;
}

static int fact_cmp(const void *x, const void *y)
{
    return strcmp(((const slm_fact *)x)->key, ((const slm_fact *)y)->key);
}

int slm_model_facts(const slm_model *m, slm_facts *f)
{
    memset(f, 0, sizeof *f);
    int e = fact_str(f, "", "format", slm_kind_name(m->kind));
    e = e ? e : fact_num(f, "/tensors", "count", (double)m->n);
    e = e ? e : fact_num(f, "/tensors", "parameters", (double)slm_model_params(m));
    e = e ? e : fact_num(f, "/tensors", "bytes", (double)slm_model_bytes(m));
    /* tensors and bytes by dtype */
    for (int dt = 1; dt < SLM_DT__COUNT && !e; dt++) {
        uint64_t n = 0;
        for (size_t i = 0; i < m->n; i++)
            n += m->t[i].dtype == (slm_dtype)dt;
        if (n)
            e = fact_num(f, "/tensors/dtypes", slm_dtype_name((slm_dtype)dt), (double)n);
    }
    if (!e && m->index) {
        e = fact_num(f, "/storage", "shards", (double)m->index->nshards);
        if (!e && m->index->has_total_size)
            e = fact_num(f, "/metadata/index", "total_size", (double)m->index->total_size);
        if (!e && m->index->has_total_params)
            e = fact_num(f, "/metadata/index", "total_parameters", (double)m->index->total_params);
    }
    const slm_st *st = m->index ? m->index->st : m->st;
    size_t nst = m->index ? m->index->nshards : m->nst;
    if (!e && !m->index && nst)
        e = fact_num(f, "/storage", "files", (double)nst);
    /* __metadata__ of every file; a key's first value */
    for (size_t s = 0; s < nst && !e && st; s++)
        for (size_t i = 0; i < st[s].nmeta && !e; i++) {
            char *k = slm_jptr("/metadata/safetensors", st[s].meta_key[i]);
            if (!k)
                return ENOMEM;
            bool seen = false;
            for (size_t j = 0; j < f->n && !seen; j++)
                seen = strcmp(f->v[j].key, k) == 0;
            if (seen)
                free(k);
            else
                e = fact_add(f, k, cJSON_CreateString(st[s].meta_val[i]));
        }
    if (!e && m->onnx)
        e = onnx_facts(f, m->onnx);
    if (!e && m->mlc) {
        e = fact_num(f, "/storage", "shards", (double)m->mlc->ns);
        if (!e && m->mlc->has_param_size)
            e = fact_num(f, "/metadata", "ParamSize", (double)m->mlc->param_size);
        if (!e && m->mlc->has_param_bytes)
            e = fact_num(f, "/metadata", "ParamBytes", m->mlc->param_bytes);
        if (!e && m->mlc->cfg.parsed)
            e = fact_json(f, "/config", m->mlc->cfg.root, 0);
    }
    if (!e && !(m->mlc && m->mlc->cfg.parsed))
        e = fact_file(f, "/config", m->config);
    if (e) {
        slm_facts_free(f);
        return e;
    }
    qsort(f->v, f->n, sizeof *f->v, fact_cmp);
    return 0;
}

void slm_facts_free(slm_facts *f)
{
    for (size_t i = 0; i < f->n; i++) {
        free(f->v[i].key);
        free(f->v[i].value);
    }
    free(f->v);
    memset(f, 0, sizeof *f);
}

const slm_fact *slm_facts_find(const slm_facts *f, const char *key)
{
    size_t lo = 0, hi = f->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(f->v[mid].key, key);
        if (c == 0)
            return &f->v[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

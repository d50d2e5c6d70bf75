/* Quantized-weight kernels: the reference kernels on hand-computed values,
 * the fast kernels against the reference on random and adversarial weights
 * (every MatMulNBits block size 16..256, 4 and 8 bits, no / packed / typed
 * zero points, fp32 and fp16 scales, K % block_size != 0, g_idx), the
 * DequantizeLinear and MLC layouts, the metrics and the layout checks.
 *
 * Each run tests the fast kernel the CPU has; runs of itself with
 * SLM_QUANT_KERNEL set test every lesser one (avx2, sse2, scalar), so a
 * machine without AVX-512 still tests AVX2, and one with it tests both;
 * one with SLM_QUANT_SUBNORMAL=slow tests the GEMV kernels' converted
 * fields (the path of CPUs that take subnormal FMA inputs slowly).
 *
 * Tolerance of the fast matmul (float accumulation, zero points folded into
 * block sums) against the double reference, as slm/quant.h states it:
 *   |y_ir - y_ref_ir| <= 1e-5 * 2^bits * sum_k |x_ik| (|w_rk| + 1e-30),
 * w the dequantized weight (|w| stands in for the block's scale: every
 * partial sum is bounded by it). */
#include "test.h"
#include "qcompare.h"

#include <stdint.h>

/* ---- a weight in memory ---------------------------------------------------- */

typedef struct owned {
    slm_qweight q;
    slm_tensor tq, ts, tz, tg;
    uint64_t sq[2], ss[2], sz[2], sg[1];
    uint8_t *bq, *bs, *bz, *bg;
} owned;

static uint64_t rng_state = 12345;
static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static double unif(void) { return (double)(rnd() >> 11) * 0x1p-53; }

static void tensor_set(slm_tensor *t, slm_dtype dt, uint64_t *shape, size_t ndim, uint64_t nelem, uint8_t *data)
{
    memset(t, 0, sizeof *t);
    t->name = "t";
    t->dtype = dt;
    t->ndim = ndim;
    t->shape = shape;
    t->nelem = nelem;
    slm_dtype_nbytes(dt, nelem, false, &t->nbytes);
    t->data = data;
    t->file = "mem";
}

static void put_scale(slm_dtype dt, uint8_t *p, uint64_t i, float v)
{
    if (dt == SLM_DT_F16) {
        uint16_t h = slm_f32_to_f16(v);
        memcpy(p + 2 * i, &h, 2);
    } else
        memcpy(p + 4 * i, &v, 4);
}

/* Adversarial scales: mostly ordinary, some zero, negative, tiny, large. */
static float pick_scale(int adversarial)
{
    double u = unif();
    if (adversarial) {
        if (u < 0.05) return 0.0f;
        if (u < 0.10) return -0.01f;
        if (u < 0.13) return 1e-30f;
        if (u < 0.16) return 3000.0f;
        if (u < 0.18) return 6e-8f; /* fp16 subnormal */
    }
    return (float)(0.001 + 0.05 * unif());
}

enum { ZP_NONE, ZP_PACKED, ZP_TYPED };

static void make_mnb(owned *o, uint64_t K, uint64_t N, uint64_t bs, unsigned bits, int zp, slm_dtype sdt, int gidx,
                     int adversarial)
{
    memset(o, 0, sizeof *o);
    uint64_t nb = (K + bs - 1) / bs, blob = bs * bits / 8;
    o->bq = malloc(N * nb * blob);
    for (uint64_t i = 0; i < N * nb * blob; i++)
        o->bq[i] = adversarial && unif() < 0.3 ? (unif() < 0.5 ? 0x00 : 0xff) : (uint8_t)rnd();
    o->sq[0] = N, o->sq[1] = nb * blob;
    tensor_set(&o->tq, SLM_DT_U8, o->sq, 2, N * nb * blob, o->bq);
    size_t ssz = sdt == SLM_DT_F16 ? 2 : 4;
    o->bs = malloc(N * nb * ssz);
    for (uint64_t i = 0; i < N * nb; i++)
        put_scale(sdt, o->bs, i, pick_scale(adversarial));
    o->ss[0] = N * nb;
    tensor_set(&o->ts, sdt, o->ss, 1, N * nb, o->bs);
    o->q.layout = SLM_QL_MATMULNBITS;
    o->q.name = o->q.op = "w";
    o->q.bits = bits;
    o->q.block_size = bs;
    o->q.K = K;
    o->q.N = N;
    o->q.q = &o->tq;
    o->q.scales = &o->ts;
    o->q.symmetric = zp == ZP_NONE;
    o->q.accuracy_level = -1;
    if (zp == ZP_PACKED) {
        uint64_t stride = (nb * bits + 7) / 8;
        o->bz = malloc(N * stride);
        for (uint64_t i = 0; i < N * stride; i++)
            o->bz[i] = (uint8_t)rnd();
        o->sz[0] = N * stride;
        tensor_set(&o->tz, SLM_DT_U8, o->sz, 1, N * stride, o->bz);
        o->q.zero_points = &o->tz;
    } else if (zp == ZP_TYPED) {
        o->bz = malloc(N * nb * ssz);
        for (uint64_t i = 0; i < N * nb; i++) /* fractional zero points too */
            put_scale(sdt, o->bz, i, (float)(unif() * (1u << bits)));
        o->sz[0] = N * nb;
        tensor_set(&o->tz, sdt, o->sz, 1, N * nb, o->bz);
        o->q.zero_points = &o->tz;
    }
    if (gidx) {
        o->bg = malloc(4 * K);
        for (uint64_t k = 0; k < K; k++) {
            int32_t v = (int32_t)(rnd() % nb);
            memcpy(o->bg + 4 * k, &v, 4);
        }
        o->sg[0] = K;
        tensor_set(&o->tg, SLM_DT_I32, o->sg, 1, K, o->bg);
        o->q.g_idx = &o->tg;
    }
}

static void owned_free(owned *o)
{
    free(o->bq);
    free(o->bs);
    free(o->bz);
    free(o->bg);
}

static int same_float(float a, float b)
{
    return (isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof a) == 0;
}

/* Fast dequant bit-identical to the reference; fast matmul within the
 * tolerance above for every M from 1 to MMAX (GEMV, the rows kernels for
 * M % 4 = 1..3 and 4, the lanes kernel from 12 rows, 16 + a remainder). */
enum { MMAX = 20 };

/* XSCALE multiplies the activations of even columns, XODD those of odd
 * ones (tiny, huge, or rows spanning 2^120: the AVX2 rows kernel stores x
 * times a power of 2 chosen from the row's largest |x|). */
static void check_fast_scaled(const slm_qweight *q, const char *what, float xscale, float xodd)
{
    const char *why = slm_qweight_check(q);
    CHECK_MSG(why == NULL, "%s: %s", what, why);
    if (why)
        return;
    float *a = malloc(q->K * sizeof *a), *b = malloc(q->K * sizeof *b);
    int bad = 0;
    for (uint64_t r = 0; r < q->N; r++) {
        slm_q_dequant_row_ref(q, r, a);
        slm_q_dequant_row(q, r, b);
        for (uint64_t k = 0; k < q->K; k++)
            if (!same_float(a[k], b[k]) && bad++ < 3)
                fprintf(stderr, "%s: row %llu col %llu: fast %.9g ref %.9g\n", what, (unsigned long long)r,
                        (unsigned long long)k, b[k], a[k]);
    }
    CHECK_MSG(bad == 0, "%s: %d dequantized values differ", what, bad);
    float *x = malloc(MMAX * q->K * sizeof *x), *y = malloc(MMAX * q->N * sizeof *y);
    double *yr = malloc(MMAX * q->N * sizeof *yr), *bound = malloc(MMAX * q->N * sizeof *bound);
    slm_q_random_normal(rnd(), x, MMAX * q->K);
    for (uint64_t i = 0; i < MMAX * q->K; i++)
        x[i] *= (i % q->K) % 2 ? xodd : xscale;
    slm_q_matmul_ref(q, x, MMAX, yr); /* row i of Y depends on row i of X only */
    for (uint64_t r = 0; r < q->N; r++) {
        slm_q_dequant_row_ref(q, r, a);
        for (uint64_t i = 0; i < MMAX; i++) {
            double B = 0;
            int finite = 1;
            for (uint64_t k = 0; k < q->K; k++) {
                finite &= isfinite(a[k]);
                /* |w| <= 2^bits |s| for every layout here; the dequantized
                 * value's size stands in for the scale's */
                B += fabs(x[i * q->K + k]) * (fabs(a[k]) + 1e-30) * (1u << q->bits);
            }
            bound[i * q->N + r] = finite ? 1e-5 * B + 1e-30 : -1; /* Inf/NaN scales: not compared */
        }
    }
    for (uint64_t m = 1; m <= MMAX; m++) {
        slm_q_matmul(q, x, m, y);
        int off = 0;
        for (uint64_t i = 0; i < m; i++)
            for (uint64_t r = 0; r < q->N; r++) {
                double d = fabs((double)y[i * q->N + r] - yr[i * q->N + r]), bd = bound[i * q->N + r];
                if (bd >= 0 && !(d <= bd) && off++ < 3)
                    fprintf(stderr, "%s: m=%llu y[%llu][%llu] fast %.9g ref %.9g tolerance %g\n", what,
                            (unsigned long long)m, (unsigned long long)i, (unsigned long long)r, y[i * q->N + r],
                            yr[i * q->N + r], bd);
            }
        CHECK_MSG(off == 0, "%s: %d matmul outputs beyond tolerance (m=%llu)", what, off, (unsigned long long)m);
    }
    free(a);
    free(b);
    free(x);
    free(y);
    free(yr);
    free(bound);
}

static void check_fast(const slm_qweight *q, const char *what)
{
    check_fast_scaled(q, what, 1.0f, 1.0f);
}

static void test_mnb_known(void)
{
    /* K=20, block 16: two blocks, the second padded; N=1 */
    owned o;
    make_mnb(&o, 20, 1, 16, 4, ZP_PACKED, SLM_DT_F32, 0, 0);
    for (int i = 0; i < 16; i++) /* element 2i = i%16, 2i+1 = 15 - i%16 */
        o.bq[i] = (uint8_t)((i % 16) | (15 - i % 16) << 4);
    float s0 = 0.5f, s1 = -0.25f;
    memcpy(o.bs, &s0, 4);
    memcpy(o.bs + 4, &s1, 4);
    o.bz[0] = 0x3 | 0x9 << 4; /* block 0 zp 3, block 1 zp 9 */
    float w[32]; /* the g_idx case below has K = 32 */
    slm_q_dequant_row_ref(&o.q, 0, w);
    CHECK(w[0] == (0 - 3) * 0.5f);   /* byte 0 low */
    CHECK(w[1] == (15 - 3) * 0.5f);  /* byte 0 high */
    CHECK(w[2] == (1 - 3) * 0.5f);
    CHECK(w[15] == (8 - 3) * 0.5f);  /* byte 7 high: 15 - 7 */
    CHECK(w[16] == (8 - 9) * -0.25f); /* byte 8 low */
    CHECK(w[19] == (6 - 9) * -0.25f); /* byte 9 high: 15 - 9 */
    /* symmetric: implicit zero point 8 */
    o.q.zero_points = NULL;
    slm_q_dequant_row_ref(&o.q, 0, w);
    CHECK(w[0] == -4.0f && w[1] == 3.5f && w[16] == 0.0f);
    /* 8 bits, implicit 128 */
    owned p;
    make_mnb(&p, 16, 1, 16, 8, ZP_NONE, SLM_DT_F16, 0, 0);
    for (int i = 0; i < 16; i++)
        p.bq[i] = (uint8_t)(120 + i);
    put_scale(SLM_DT_F16, p.bs, 0, 0.125f);
    slm_q_dequant_row_ref(&p.q, 0, w);
    CHECK(w[0] == -1.0f && w[8] == 0.0f && w[15] == 0.875f);
    /* typed zero point 7.5 */
    owned t;
    make_mnb(&t, 16, 1, 16, 4, ZP_TYPED, SLM_DT_F32, 0, 0);
    memset(t.bq, 0x10, 8); /* e even = 0, odd = 1 */
    float z = 7.5f, s = 2.0f;
    memcpy(t.bz, &z, 4);
    memcpy(t.bs, &s, 4);
    slm_q_dequant_row_ref(&t.q, 0, w);
    CHECK(w[0] == -15.0f && w[1] == -13.0f);
    /* the matmul on it: y = sum x_k w_k */
    float x[16];
    double y;
    for (int i = 0; i < 16; i++)
        x[i] = (float)(i + 1);
    slm_q_matmul_ref(&t.q, x, 1, &y);
    double want = 0;
    for (int i = 0; i < 16; i++)
        want += (i + 1) * (i % 2 ? -13.0 : -15.0);
    CHECK(y == want);
    /* g_idx: element k uses block g_idx[k] */
    owned g;
    make_mnb(&g, 32, 1, 16, 4, ZP_NONE, SLM_DT_F32, 1, 0);
    memset(g.bq, 0x99, 16); /* every element 9 */
    float s0b = 1.0f, s1b = 3.0f;
    memcpy(g.bs, &s0b, 4);
    memcpy(g.bs + 4, &s1b, 4);
    for (int k = 0; k < 32; k++) {
        int32_t v = k % 3 == 0;
        memcpy(g.bg + 4 * k, &v, 4);
    }
    slm_q_dequant_row_ref(&g.q, 0, w);
    CHECK(w[0] == 3.0f && w[1] == 1.0f && w[3] == 3.0f);
    owned_free(&o);
    owned_free(&p);
    owned_free(&t);
    owned_free(&g);
}

static void test_mnb_fast(void)
{
    static const uint64_t bss[] = {16, 32, 64, 128, 256, 512};
    static const uint64_t ks[] = {16, 40, 100, 256, 257, 300, 511, 4, 128, 384, 640};
    char what[128];
    for (size_t bi = 0; bi < sizeof bss / sizeof bss[0]; bi++)
        for (unsigned bits = 4; bits <= 8; bits += 4)
            for (int zp = ZP_NONE; zp <= ZP_TYPED; zp++)
                for (int f16 = 0; f16 < 2; f16++)
                    for (int adv = 0; adv < 2; adv++) {
                        /* N past one and two tiles of 16 rows, not a multiple of them */
                        uint64_t K = ks[rnd() % (sizeof ks / sizeof ks[0])], N = 1 + rnd() % (adv ? 40 : 9);
                        if (adv)
                            K = bss[bi] * (1 + rnd() % 3) + 1 + rnd() % (bss[bi] - 1); /* K % bs != 0 */
                        owned o;
                        make_mnb(&o, K, N, bss[bi], bits, zp, f16 ? SLM_DT_F16 : SLM_DT_F32, 0, adv);
                        snprintf(what, sizeof what, "MatMulNBits bits=%u bs=%llu K=%llu N=%llu zp=%d f16=%d adv=%d",
                                 bits, (unsigned long long)bss[bi], (unsigned long long)K, (unsigned long long)N, zp,
                                 f16, adv);
                        check_fast(&o.q, what);
                        owned_free(&o);
                    }
    /* g_idx goes through the generic path */
    owned o;
    make_mnb(&o, 100, 7, 32, 4, ZP_PACKED, SLM_DT_F32, 1, 0);
    check_fast(&o.q, "MatMulNBits g_idx");
    owned_free(&o);
    /* larger shapes: the benchmark's (K 4096, block 32, symmetric) on 48 rows, and asymmetric fp16 */
    make_mnb(&o, 4096, 48, 32, 4, ZP_NONE, SLM_DT_F32, 0, 0);
    check_fast(&o.q, "MatMulNBits 4096x48");
    owned_free(&o);
    make_mnb(&o, 896, 40, 32, 4, ZP_PACKED, SLM_DT_F16, 0, 0);
    check_fast(&o.q, "MatMulNBits 896x40 packed zero points fp16");
    owned_free(&o);
    make_mnb(&o, 1000, 33, 64, 8, ZP_TYPED, SLM_DT_F32, 0, 1);
    check_fast(&o.q, "MatMulNBits 8 bits 1000x33 typed zero points");
    owned_free(&o);
    /* activations far from 1 against scales that bring the outputs back to
     * ordinary sizes, for both widths: subnormal ones (bits must not be lost),
     * huge ones (the scaled copy must not overflow), and rows whose odd
     * columns are 2^120 times smaller than the even ones */
    static const struct {
        float x, xodd, s;
        const char *name;
    } far[] = {{1e-39f, 1e-39f, 1e30f, "x ~ 1e-39"},
               {1e30f, 1e30f, 1e-30f, "x ~ 1e30"},
               {1.0f, 0x1p-120f, 1.0f, "x ~ 1 and 2^-120"}};
    for (unsigned bits = 4; bits <= 8; bits += 4)
        for (size_t f = 0; f < sizeof far / sizeof far[0]; f++) {
            char name[96];
            make_mnb(&o, 256, 20, 32, bits, ZP_NONE, SLM_DT_F32, 0, 0);
            for (uint64_t i = 0; i < o.ts.nelem; i++) {
                float v;
                memcpy(&v, o.bs + 4 * i, 4);
                v *= far[f].s;
                memcpy(o.bs + 4 * i, &v, 4);
            }
            snprintf(name, sizeof name, "MatMulNBits %u bits, %s", bits, far[f].name);
            check_fast_scaled(&o.q, name, far[f].x, far[f].xodd);
            owned_free(&o);
        }
}

/* MLC: q_weight uint32 [N, ceil(K/32)*4], q_scale [N, ceil(K/32)]. */
static void test_mlc(void)
{
    uint64_t K = 40, N = 3, ng = 2, kw = ng * 4;
    uint32_t *w = calloc(N * kw, 4);
    uint16_t *s = malloc(N * ng * 2);
    for (uint64_t i = 0; i < N * kw; i++)
        w[i] = (uint32_t)rnd();
    w[0] = 0x76543210u; /* elements 0..7 = 0..7 */
    for (uint64_t i = 0; i < N * ng; i++)
        s[i] = slm_f32_to_f16(0.5f);
    uint64_t sq[2] = {N, kw}, ss[2] = {N, ng};
    slm_tensor tq, ts;
    tensor_set(&tq, SLM_DT_U32, sq, 2, N * kw, (uint8_t *)w);
    tensor_set(&ts, SLM_DT_F16, ss, 2, N * ng, (uint8_t *)s);
    slm_qweight q = {"m.q_weight", "m", SLM_QL_MLC_GROUP, 4, 32, K, N, true, &tq, &ts, NULL, NULL, NULL, -1, false, 0};
    CHECK(slm_qweight_check(&q) == NULL);
    float out[40];
    slm_q_dequant_row_ref(&q, 0, out);
    CHECK(out[0] == -3.5f && out[7] == 0.0f && out[3] == -2.0f);
    check_fast(&q, "MLC q4f16_1 K=40");
    CHECK(slm_qweight_compute_dtype(&q) == SLM_DT_F16);
    /* q4f32_1 with a large scale: no fp16 computation, no overflow flag */
    float *s32 = malloc(N * ng * 4);
    for (uint64_t i = 0; i < N * ng; i++)
        s32[i] = 20000.0f;
    tensor_set(&ts, SLM_DT_F32, ss, 2, N * ng, (uint8_t *)s32);
    slm_qscan sc;
    slm_qweight_scan(&q, &sc);
    CHECK(sc.f16_overflow == 0 && sc.scales == N * ng);
    check_fast(&q, "MLC q4f32_1 K=40");
    /* the same in fp16: (0 - 7) * 20000 overflows fp16 */
    for (uint64_t i = 0; i < N * ng; i++)
        s[i] = slm_f32_to_f16(20000.0f);
    tensor_set(&ts, SLM_DT_F16, ss, 2, N * ng, (uint8_t *)s);
    slm_qweight_scan(&q, &sc);
    CHECK_EQ_U64(sc.f16_overflow, N * ng);
    /* more groups than K needs (3 for K = 40), the unused one NaN: no kernel reads it */
    {
        uint64_t kw3 = 12, sq3[2] = {N, kw3}, ss3[2] = {N, 3};
        uint32_t *w3 = calloc(N * kw3, 4);
        uint16_t *s3 = malloc(N * 3 * 2);
        for (uint64_t i = 0; i < N * kw3; i++)
            w3[i] = (uint32_t)rnd();
        for (uint64_t i = 0; i < N * 3; i++)
            s3[i] = slm_f32_to_f16(i % 3 == 2 ? NAN : 0.25f);
        slm_tensor tq3, ts3;
        tensor_set(&tq3, SLM_DT_U32, sq3, 2, N * kw3, (uint8_t *)w3);
        tensor_set(&ts3, SLM_DT_F16, ss3, 2, N * 3, (uint8_t *)s3);
        slm_qweight q3 = q;
        q3.q = &tq3;
        q3.scales = &ts3;
        CHECK(slm_qweight_check(&q3) == NULL);
        check_fast(&q3, "MLC q4f16_1 K=40, a third group past K");
        float *y3 = malloc(N * sizeof *y3), x3[40];
        slm_q_random_normal(3, x3, 40);
        slm_q_matmul(&q3, x3, 1, y3);
        CHECK(isfinite(y3[0]) && isfinite(y3[N - 1]));
        free(y3);
        free(w3);
        free(s3);
    }
    /* a q_weight too short for its groups */
    sq[1] = 4;
    tensor_set(&tq, SLM_DT_U32, sq, 2, N * 4, (uint8_t *)w);
    CHECK(slm_qweight_check(&q) != NULL);
    free(w);
    free(s);
    free(s32);
}

/* DequantizeLinear INT4 [K, N] (transposed), blocks along K, fp16 scales. */
static void test_dql(void)
{
    uint64_t K = 5, N = 2, bs = 4, nb = 2;
    uint8_t x[5] = {0};
    /* flat i = k*N + n; value v(k, n) = (k + n) - 4 in two's complement */
    for (uint64_t k = 0; k < K; k++)
        for (uint64_t n = 0; n < N; n++) {
            uint64_t i = k * N + n;
            int v = (int)(k + n) - 4;
            x[i / 2] |= (uint8_t)((v & 15) << (4 * (i & 1)));
        }
    uint16_t s[4];
    for (uint64_t i = 0; i < nb * N; i++)
        s[i] = slm_f32_to_f16(i == 3 ? 0.1f : 1.0f); /* scale (b=1, n=1) = 0.1 */
    uint64_t sx[2] = {K, N}, ss[2] = {nb, N};
    slm_tensor tx, ts;
    tensor_set(&tx, SLM_DT_I4, sx, 2, K * N, x);
    tensor_set(&ts, SLM_DT_F16, ss, 2, nb * N, (uint8_t *)s);
    slm_qweight q = {"x", "dq", SLM_QL_DQL_BLOCKED, 4, bs, K, N, true, &tx, &ts, NULL, NULL, NULL, -1, true, 0};
    CHECK(slm_qweight_check(&q) == NULL);
    float w[5];
    slm_q_dequant_row_ref(&q, 0, w);
    CHECK(w[0] == -4.0f && w[3] == -1.0f && w[4] == 0.0f);
    slm_q_dequant_row_ref(&q, 1, w);
    /* k=4, n=1: v = 1, scale 0.1 in fp16, product rounded to fp16 */
    CHECK(w[0] == -3.0f);
    CHECK(w[4] == slm_f16_to_f32(slm_f32_to_f16(slm_f16_to_f32(slm_f32_to_f16(0.1f)))));
    check_fast(&q, "DequantizeLinear INT4 transposed");
    /* uint4 with zero points, [N, K] */
    uint8_t zp[2] = {0x88, 0x88}; /* 4 zero points of 8 */
    slm_tensor tz;
    uint64_t sz[2] = {N, nb};
    tensor_set(&tx, SLM_DT_U4, sx, 2, K * N, x);
    tensor_set(&tz, SLM_DT_U4, sz, 2, N * nb, zp);
    q.transposed = false;
    q.zero_points = &tz;
    q.symmetric = false;
    CHECK(slm_qweight_check(&q) == NULL);
    check_fast(&q, "DequantizeLinear UINT4 zero points");
    /* bits that disagree with the type */
    q.bits = 8;
    CHECK(slm_qweight_check(&q) != NULL);
}

static void test_checks(void)
{
    owned o;
    make_mnb(&o, 64, 4, 32, 4, ZP_NONE, SLM_DT_F32, 0, 0);
    CHECK(slm_qweight_check(&o.q) == NULL);
    o.q.block_size = 24; /* not a power of 2 */
    CHECK(slm_qweight_check(&o.q) != NULL);
    o.q.block_size = 32;
    o.q.bits = 3;
    CHECK(slm_qweight_check(&o.q) != NULL);
    o.q.bits = 4;
    o.tq.nbytes--; /* B one byte short */
    CHECK(slm_qweight_check(&o.q) != NULL);
    o.tq.nbytes++;
    o.q.K = UINT64_MAX; /* sizes overflow */
    CHECK(slm_qweight_check(&o.q) != NULL);
    o.q.K = 64;
    o.ts.nelem--;
    CHECK(slm_qweight_check(&o.q) != NULL);
    o.ts.nelem++;
    /* scan: zero, subnormal and NaN scales */
    float z = 0.0f, sub = 1e-40f, nan = NAN;
    memcpy(o.bs, &z, 4);
    memcpy(o.bs + 4, &sub, 4);
    memcpy(o.bs + 8, &nan, 4);
    slm_qscan sc;
    slm_qweight_scan(&o.q, &sc);
    CHECK(sc.scales == 8 && sc.scale_zero == 1 && sc.scale_subnormal == 1 && sc.scale_nonfinite == 1);
    /* clipped: with scale 1 and zp 8, row 1 reaches [-8.5, 7.5] */
    float ref[64];
    for (int k = 0; k < 64; k++)
        ref[k] = 0.0f;
    float one = 1.0f;
    memcpy(o.bs + 8, &one, 4);
    memcpy(o.bs + 12, &one, 4);
    ref[0] = 7.4f;
    ref[1] = 7.6f;
    ref[2] = -8.6f;
    ref[40] = -8.4f;
    ref[3] = INFINITY; /* neither NaN nor Inf counts */
    ref[5] = NAN;
    ref[41] = -INFINITY;
    CHECK_EQ_U64(slm_q_clipped_row(&o.q, 1, ref), 2);
    owned_free(&o);
}

static void test_metrics(void)
{
    float d[4] = {1, 2, 3, 4}, r[4] = {1, 2, 3, 5};
    slm_qerr a;
    slm_qerr_init(&a);
    slm_qerr_add_f32(&a, d, r, 4);
    slm_qmetrics m = slm_qerr_metrics(&a);
    CHECK(m.n == 4);
    CHECK(m.max_abs_err == 1.0);
    CHECK(m.mean_abs_err == 0.25);
    CHECK_REL(m.rmse, 0.5, 1e-15);
    CHECK_REL(m.ref_rms, sqrt(39.0 / 4), 1e-15);
    CHECK_REL(m.rel_rmse, sqrt(1.0 / 39), 1e-15);
    CHECK_REL(m.sqnr_db, 10 * log10(39.0), 1e-15);
    CHECK_REL(m.cosine, 34.0 / sqrt(30.0 * 39.0), 1e-15);
    float nan = NAN;
    slm_qerr_add_f32(&a, &nan, r, 1);
    CHECK(slm_qerr_metrics(&a).nonfinite == 1 && slm_qerr_metrics(&a).n == 4);
    /* identical: SQNR +Inf, cosine 1 */
    slm_qerr_init(&a);
    slm_qerr_add_f32(&a, r, r, 4);
    m = slm_qerr_metrics(&a);
    CHECK(isinf(m.sqnr_db) && m.sqnr_db > 0 && m.rmse == 0 && fabs(m.cosine - 1) < 1e-15);
    /* many pairs at once (8 at a time where the CPU has AVX2) agree with one at a time */
    enum { NP = 1003 };
    static float dd[NP], rr[NP];
    slm_q_random_normal(11, dd, NP);
    slm_q_random_normal(12, rr, NP);
    dd[17] = NAN, rr[100] = INFINITY, dd[500] = -INFINITY, rr[501] = NAN, dd[1001] = NAN;
    slm_qerr all, one;
    slm_qerr_init(&all);
    slm_qerr_init(&one);
    slm_qerr_add_f32(&all, dd, rr, NP);
    for (int i = 0; i < NP; i++)
        slm_qerr_add_f32(&one, dd + i, rr + i, 1);
    CHECK(all.n == one.n && all.nonfinite == one.nonfinite && all.nonfinite == 5 && all.max_abs == one.max_abs);
    CHECK_REL(all.sum_abs, one.sum_abs, 1e-12);
    CHECK_REL(all.sum_e2, one.sum_e2, 1e-12);
    CHECK_REL(all.sum_r2, one.sum_r2, 1e-12);
    CHECK_REL(all.sum_d2, one.sum_d2, 1e-12);
    CHECK_REL(all.sum_dr, one.sum_dr, 1e-12);
    /* activations: deterministic, roughly standard normal */
    float x[10000], x2[10000];
    slm_q_random_normal(7, x, 10000);
    slm_q_random_normal(7, x2, 10000);
    CHECK(memcmp(x, x2, sizeof x) == 0);
    double s = 0, s2 = 0;
    for (int i = 0; i < 10000; i++)
        s += x[i], s2 += (double)x[i] * x[i];
    CHECK(fabs(s / 10000) < 0.05 && fabs(s2 / 10000 - 1) < 0.05);
}

/* The weight checks behind QT-002, QT-003 and QT-006 (the CLI tests cover
 * the others on real files; g_idx only exists in hand-made models). */
static void test_rules(void)
{
    owned o;
    make_mnb(&o, 64, 2, 32, 4, ZP_NONE, SLM_DT_F32, 1, 0);
    slm_diag d;
    slm_diag_init(&d);
    slm_qcheck_weight(&o.q, "mem", &d);
    CHECK(d.n == 0);
    int32_t bad = 2; /* nb = 2: block 2 does not exist */
    memcpy(o.bg + 4 * 5, &bad, 4);
    slm_qcheck_weight(&o.q, "mem", &d);
    CHECK(diag_has(&d, "QT-006") == 1 && d.n == 1);
    float w[64];
    slm_q_dequant_row_ref(&o.q, 0, w);
    CHECK(isnan(w[5]) && !isnan(w[4])); /* the element is NaN, the rest reads */
    slm_diag_free(&d);
    slm_diag_init(&d);
    o.q.g_idx = NULL;
    float z = 0, inf = INFINITY;
    memcpy(o.bs, &z, 4);
    memcpy(o.bs + 4, &inf, 4);
    slm_qcheck_weight(&o.q, "mem", &d);
    CHECK(diag_has(&d, "QT-002") == 1 && diag_has(&d, "QT-003") == 1 && d.n == 2);
    slm_diag_free(&d);
    owned_free(&o);
}

int main(int argc, char **argv)
{
    (void)argc;
    static const char *const levels[] = {"avx512", "avx2", "sse2", "scalar"}; /* best first */
    const char *kernel = slm_q_kernel();
    printf("fast kernel: %s\n", kernel);
    const char *forced = getenv("SLM_QUANT_KERNEL");
    CHECK_MSG(!forced || strcmp(forced, kernel) == 0, "SLM_QUANT_KERNEL=%s ran the %s kernel", forced, kernel);
    if (!getenv("SLM_QUANT_SUBNORMAL")) { /* the GEMV kernels' converted fields too, in a child run */
        char *cmd = slm_strdupf("SLM_QUANT_SUBNORMAL=slow '%s'", argv[0]);
        CHECK_MSG(cmd && system(cmd) == 0, "the tests with SLM_QUANT_SUBNORMAL=slow failed");
        free(cmd);
    }
    if (!forced) { /* the lesser kernels too, in child runs */
        int i = 0;
        while (i < 4 && strcmp(levels[i], kernel) != 0)
            i++;
        CHECK_MSG(i < 4, "unknown kernel name %s", kernel);
        for (i++; i < 4; i++) {
            char *cmd = slm_strdupf("SLM_QUANT_KERNEL=%s '%s'", levels[i], argv[0]);
            CHECK_MSG(cmd && system(cmd) == 0, "the tests with SLM_QUANT_KERNEL=%s failed", levels[i]);
            free(cmd);
        }
    }
    test_mnb_known();
    test_mnb_fast();
    test_mlc();
    test_dql();
    test_checks();
    test_metrics();
    test_rules();
    return test_done("test_quant");
}

/* Quantized weights: the error metrics and the deterministic activations
 * of the matmul check (slm/quant.h).  Statistics in double. */
#include "quant_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- metrics ------------------------------------------------------------- */

void slm_qerr_init(slm_qerr *a)
{
    memset(a, 0, sizeof *a);
}

static inline void qerr_one(slm_qerr *a, double d, double r)
{
    if (!isfinite(d) || !isfinite(r)) {
        a->nonfinite++;
        return;
    }
    double e = d - r, ae = fabs(e);
    a->n++;
    if (ae > a->max_abs)
        a->max_abs = ae;
    a->sum_abs += ae;
    a->sum_e2 += e * e;
    a->sum_r2 += r * r;
    a->sum_d2 += d * d;
    a->sum_dr += d * r;
}

#ifdef SLM_X86
/* qerr_one over 8 pairs at a time: the same sums in double, 4 lanes and two
 * sets of them (the order of additions differs from the scalar loop's;
 * the sums agree to rounding).  Pairs with a NaN or Inf are counted and
 * left out by masks.  Returns the pairs done (a multiple of 8). */
__attribute__((target("avx2,fma,f16c"))) static uint64_t qerr_avx2(slm_qerr *a, const float *d, const float *r,
                                                                   uint64_t n)
{
    const __m256i expo = _mm256_set1_epi32(0x7f800000);
    const __m256d sign = _mm256_set1_pd(-0.0);
    __m256d mx = _mm256_setzero_pd(), sa[2], se[2], sr[2], sd[2], sx[2];
    for (int h = 0; h < 2; h++)
        sa[h] = se[h] = sr[h] = sd[h] = sx[h] = _mm256_setzero_pd();
    uint64_t i = 0, bad = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 vd = _mm256_loadu_ps(d + i), vr = _mm256_loadu_ps(r + i);
        /* finite: the exponent bits of neither are all ones */
        __m256i fd = _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_castps_si256(vd), expo), expo);
        __m256i fr = _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_castps_si256(vr), expo), expo);
        __m256 ok = _mm256_castsi256_ps(_mm256_andnot_si256(_mm256_or_si256(fd, fr), _mm256_set1_epi32(-1)));
        bad += 8 - (uint64_t)__builtin_popcount((unsigned)_mm256_movemask_ps(ok));
        vd = _mm256_and_ps(vd, ok);
        vr = _mm256_and_ps(vr, ok);
        for (int h = 0; h < 2; h++) {
            __m256d dd = _mm256_cvtps_pd(h ? _mm256_extractf128_ps(vd, 1) : _mm256_castps256_ps128(vd));
            __m256d rr = _mm256_cvtps_pd(h ? _mm256_extractf128_ps(vr, 1) : _mm256_castps256_ps128(vr));
            __m256d e = _mm256_sub_pd(dd, rr), ae = _mm256_andnot_pd(sign, e);
            mx = _mm256_max_pd(mx, ae);
            sa[h] = _mm256_add_pd(sa[h], ae);
            se[h] = _mm256_fmadd_pd(e, e, se[h]);
            sr[h] = _mm256_fmadd_pd(rr, rr, sr[h]);
            sd[h] = _mm256_fmadd_pd(dd, dd, sd[h]);
            sx[h] = _mm256_fmadd_pd(dd, rr, sx[h]);
        }
    }
    double v[4][5], m[4];
    _mm256_storeu_pd(m, mx);
    __m256d t[5] = {_mm256_add_pd(sa[0], sa[1]), _mm256_add_pd(se[0], se[1]), _mm256_add_pd(sr[0], sr[1]),
                    _mm256_add_pd(sd[0], sd[1]), _mm256_add_pd(sx[0], sx[1])};
    for (int j = 0; j < 5; j++) {
        double l[4];
        _mm256_storeu_pd(l, t[j]);
        for (int k = 0; k < 4; k++)
            v[k][j] = l[k];
    }
    for (int k = 0; k < 4; k++) {
        if (m[k] > a->max_abs)
            a->max_abs = m[k];
        a->sum_abs += v[k][0];
        a->sum_e2 += v[k][1];
        a->sum_r2 += v[k][2];
        a->sum_d2 += v[k][3];
        a->sum_dr += v[k][4];
    }
    a->nonfinite += bad;
    a->n += i - bad;
    return i;
}
#endif

void slm_qerr_add_f32(slm_qerr *a, const float *d, const float *r, uint64_t n)
{
    uint64_t i = 0;
#ifdef SLM_X86
    if (slm_qi_level() >= KER_AVX2)
        i = qerr_avx2(a, d, r, n);
#endif
    for (; i < n; i++)
        qerr_one(a, d[i], r[i]);
}

void slm_qerr_add_f64(slm_qerr *a, const double *d, const double *r, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++)
        qerr_one(a, d[i], r[i]);
}

void slm_qerr_merge(slm_qerr *into, const slm_qerr *from)
{
    into->n += from->n;
    into->nonfinite += from->nonfinite;
    if (from->max_abs > into->max_abs)
        into->max_abs = from->max_abs;
    into->sum_abs += from->sum_abs;
    into->sum_e2 += from->sum_e2;
    into->sum_r2 += from->sum_r2;
    into->sum_d2 += from->sum_d2;
    into->sum_dr += from->sum_dr;
}

slm_qmetrics slm_qerr_metrics(const slm_qerr *a)
{
    slm_qmetrics m;
    double n = (double)a->n;
    m.n = a->n;
    m.nonfinite = a->nonfinite;
    m.max_abs_err = a->max_abs;
    m.mean_abs_err = a->n ? a->sum_abs / n : NAN;
    m.rmse = a->n ? sqrt(a->sum_e2 / n) : NAN;
    m.ref_rms = a->n ? sqrt(a->sum_r2 / n) : NAN;
    m.rel_rmse = a->sum_r2 > 0 ? sqrt(a->sum_e2 / a->sum_r2) : NAN;
    m.cosine = a->sum_d2 > 0 && a->sum_r2 > 0 ? a->sum_dr / sqrt(a->sum_d2 * a->sum_r2) : NAN;
    m.sqnr_db = a->sum_e2 > 0 ? 10.0 * log10(a->sum_r2 / a->sum_e2) : a->n ? INFINITY : NAN;
    return m;
}

/* ---- activations ----------------------------------------------------------- */

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void slm_q_random_normal(uint64_t seed, float *out, uint64_t n)
{
    uint64_t s = seed;
    for (uint64_t i = 0; i < n; i += 2) {
        /* u1 in (0, 1], u2 in [0, 1): 53-bit uniforms */
        double u1 = ((double)(splitmix64(&s) >> 11) + 1.0) * 0x1p-53, u2 = (double)(splitmix64(&s) >> 11) * 0x1p-53;
        double rad = sqrt(-2.0 * log(u1)), th = 6.283185307179586 * u2;
        out[i] = (float)(rad * cos(th));
        if (i + 1 < n)
            out[i + 1] = (float)(rad * sin(th));
    }
}


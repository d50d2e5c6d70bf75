/* ggml's types: slminspect's dequantizers against ggml's own
 * dequantize_row_* (ggml_get_type_traits(t)->to_float) on the same blocks,
 * side by side in one run, single-threaded.  Built and run by
 * bench/ggml_dequant.sh GGML_DIR (never by the tests).
 *
 * For each type: random N(0, 0.02) weights of ROWS x K (K = 4096),
 * quantized by ggml_quantize_chunk; each timed pass dequantizes every row
 * into one K-float buffer (as quant reads a weight: row by row, the
 * buffer stays in L1) — ggml's to_float, slminspect's fast kernel, its
 * reference; passes alternate; the best of PASSES is reported as ns per
 * element and GB/s of packed input (the machine is shared: the best pass is
 * the one least disturbed), and the ratio of the medians beside the ratio
 * of the bests.  The outputs are compared first: any
 * bit that differs fails the run. */
#define _POSIX_C_SOURCE 200809L
#include <ggml.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "slm/ggml_quants.h"
#include "slm/quant.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

enum { K = 4096, PASSES = 21 };

typedef void (*deq_fn)(int which, enum ggml_type t, const uint8_t *row, float *out);

static void run(int which, enum ggml_type t, const uint8_t *row, float *out)
{
    if (which == 0)
        ggml_get_type_traits(t)->to_float(row, out, K);
    else if (which == 1)
        slm_ggml_dequant((uint32_t)t, row, K, out);
    else
        slm_ggml_dequant_ref((uint32_t)t, row, K, out);
}

int main(int argc, char **argv)
{
    long rows = argc > 1 ? atol(argv[1]) : 4096;
    static const enum ggml_type types[] = {GGML_TYPE_Q4_0, GGML_TYPE_Q8_0, GGML_TYPE_Q4_K, GGML_TYPE_Q6_K,
                                           GGML_TYPE_F16, GGML_TYPE_Q4_1, GGML_TYPE_Q5_0, GGML_TYPE_Q5_1,
                                           GGML_TYPE_Q2_K, GGML_TYPE_Q3_K, GGML_TYPE_Q5_K, GGML_TYPE_IQ4_NL,
                                           GGML_TYPE_IQ4_XS, GGML_TYPE_MXFP4, GGML_TYPE_BF16};
    float *src = malloc((size_t)rows * K * sizeof(float));
    slm_q_random_normal(1, src, (uint64_t)rows * K);
    for (long i = 0; i < rows * K; i++)
        src[i] *= 0.02f;
    float a[K], b[K];
    printf("%-7s %6s %8s | %-22s | %-22s | %-22s | %s\n", "type", "MiB", "kernel", "ggml to_float", "slminspect fast",
           "slminspect reference", "ggml / fast time");
    for (size_t ti = 0; ti < sizeof types / sizeof types[0]; ti++) {
        enum ggml_type t = types[ti];
        size_t rb = ggml_row_size(t, K), nb = rb * (size_t)rows;
        uint8_t *q = malloc(nb);
        if (t == GGML_TYPE_F16)
            ggml_fp32_to_fp16_row(src, (ggml_fp16_t *)q, rows * K);
        else if (t == GGML_TYPE_BF16)
            ggml_fp32_to_bf16_row(src, (ggml_bf16_t *)q, rows * K);
        else
            ggml_quantize_chunk(t, src, q, 0, rows, K, NULL);
        for (long r = 0; r < rows; r++) {
            run(0, t, q + (size_t)r * rb, a);
            for (int w = 1; w <= 2; w++) {
                run(w, t, q + (size_t)r * rb, b);
                if (memcmp(a, b, sizeof a)) {
                    fprintf(stderr, "%s row %ld: slminspect (%s) differs from ggml\n", ggml_type_name(t), r,
                            w == 1 ? "fast" : "reference");
                    return 1;
                }
            }
        }
        double tm[3][PASSES];
        for (int p = 0; p < PASSES; p++)
            for (int w = 0; w < 3; w++) {
                double t0 = now();
                for (long r = 0; r < rows; r++)
                    run(w, t, q + (size_t)r * rb, a);
                tm[w][p] = now() - t0;
            }
        double med[3], best[3];
        for (int w = 0; w < 3; w++) {
            qsort(tm[w], PASSES, sizeof(double), cmp_d);
            med[w] = tm[w][PASSES / 2];
            best[w] = tm[w][0];
        }
        double n = (double)rows * K;
        printf("%-7s %6.1f %8s", ggml_type_name(t), (double)nb / 1048576.0, slm_ggml_kernel((uint32_t)t));
        for (int w = 0; w < 3; w++)
            printf(" | %6.3f ns/el %5.1f GB/s", 1e9 * best[w] / n, (double)nb / best[w] / 1e9);
        printf(" | %5.2fx (medians %5.2fx)\n", best[0] / best[1], med[0] / med[1]);
        free(q);
    }
    free(src);
    return 0;
}

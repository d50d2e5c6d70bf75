/* The value scan alone, fast kernel against the scalar definition, on the
 * tensors of one safetensors file (bench/stats.sh):
 *     stats_bench FILE ROUNDS
 * prints the best of ROUNDS (CPU time) for slm_stats_add and
 * slm_stats_add_ref, and checks that their counts, min and max agree. */
#include <slm/slm.h>

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* This thread's CPU time: on a shared machine, what the scan costs whatever
 * else runs (the wall clock is in bench/stats.sh's hyperfine run). */
static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double scan(const slm_model *m, int ref, slm_stats *all)
{
    double t0 = now();
    slm_stats_init(all);
    for (size_t i = 0; i < m->n; i++) {
        slm_stats s;
        slm_stats_init(&s);
        (ref ? slm_stats_add_ref : slm_stats_add)(&s, m->t[i].dtype, m->t[i].data, 0, m->t[i].nelem);
        slm_stats_merge(all, &s);
    }
    return now() - t0;
}

int main(int argc, char **argv)
{
    if (argc != 3)
        return 2;
    slm_diag d;
    slm_model m;
    slm_diag_init(&d);
    if (slm_model_open(&m, argv[1], &d) != 0)
        return 2;
    int rounds = atoi(argv[2]);
    double best[2] = {1e9, 1e9};
    slm_stats s[2];
    for (int r = 0; r < rounds; r++)
        for (int k = 0; k < 2; k++) {
            double t = scan(&m, k, &s[k]);
            best[k] = t < best[k] ? t : best[k];
        }
    double gib = (double)slm_model_bytes(&m) / (1 << 30);
    printf("slm_stats_add (SIMD)        %.1f ms CPU  %.2f GiB/s\n", best[0] * 1e3, gib / best[0]);
    printf("slm_stats_add_ref (scalar)  %.1f ms CPU  %.2f GiB/s\n", best[1] * 1e3, gib / best[1]);
    int same = s[0].n == s[1].n && s[0].nan == s[1].nan && s[0].inf == s[1].inf && s[0].zero == s[1].zero &&
               s[0].min == s[1].min && s[0].max == s[1].max;
    printf("same counts, min and max: %s\n", same ? "yes" : "NO");
    slm_model_close(&m);
    slm_diag_free(&d);
    return same ? 0 : 1;
}

/* Value checks (--stats): NaN/Inf, fp16 overflow and underflow, on tensors
 * built in memory and on a file through the rule engine. */
#include "test.h"
#include "verify.h"

#include <sys/stat.h>
#include <unistd.h>

static slm_tensor f32_tensor(const float *v, uint64_t n)
{
    static uint64_t shape[1];
    shape[0] = n;
    slm_tensor t = {"w", SLM_DT_F32, 1, shape, n, 4 * n, (const uint8_t *)v, "mem", 0, NULL};
    return t;
}

static void nan_inf(void)
{
    float v[] = {1, NAN, INFINITY, -INFINITY, 2};
    slm_tensor t = f32_tensor(v, 5);
    slm_diag d;
    slm_diag_init(&d);
    slm_stats s;
    slm_verify_values(&t, false, &d, &s);
    CHECK(diag_has(&d, "ST-201") == 1 && d.n == 1);
    CHECK_EQ_U64(s.nan, 1);
    CHECK_EQ_U64(s.inf, 2);
    CHECK(s.min == 1 && s.max == 2);
    slm_diag_free(&d);
}

static void fp16_overflow(void)
{
    /* 65504 is fp16's largest; 65519.99 still rounds to it; 65520 rounds to Inf. */
    float v[] = {65504.0f, -65519.0f, 65520.0f, -70000.0f};
    slm_tensor t = f32_tensor(v, 4);
    slm_diag d;
    slm_diag_init(&d);
    slm_stats s;
    slm_verify_values(&t, true, &d, &s);
    CHECK(diag_has(&d, "ST-202") == 1 && d.n == 1);
    CHECK_EQ_U64(s.f16_over, 2);
    slm_diag_free(&d);
    /* Not headed for fp16: no finding. */
    slm_diag_init(&d);
    slm_verify_values(&t, false, &d, NULL);
    CHECK(d.n == 0);
    slm_diag_free(&d);
    /* The thresholds agree with the fp16 conversion itself. */
    CHECK(slm_f32_to_f16(65519.0f) == 0x7bff && slm_f32_to_f16(65520.0f) == 0x7c00);
}

static void fp16_underflow(void)
{
    float v[] = {0.0f, 2.98023223876953125e-08f /* 2^-25: ties to even, 0 */, 3e-8f /* > 2^-25: subnormal */, 1e-9f};
    slm_tensor t = f32_tensor(v, 4);
    slm_diag d;
    slm_diag_init(&d);
    slm_stats s;
    slm_verify_values(&t, true, &d, &s);
    CHECK(diag_has(&d, "ST-203") == 1 && d.n == 1);
    CHECK_EQ_U64(s.f16_under, 2);
    CHECK_EQ_U64(s.zero, 1);
    CHECK(slm_f32_to_f16(2.98023223876953125e-08f) == 0 && slm_f32_to_f16(3e-8f) == 1 && slm_f32_to_f16(1e-9f) == 0);
    slm_diag_free(&d);
}

/* Through the engine: an F32 file with an overflowing value, with --stats and
 * --fp16, and a config.json asking for float16 instead of --fp16. */
static void through_engine(void)
{
    char dir[128], p[256];
    snprintf(dir, sizeof dir, "/tmp/slm_test_values_%d", (int)getpid());
    mkdir(dir, 0777);
    snprintf(p, sizeof p, "%s/model.safetensors", dir);
    const char h[] = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}  ";
    uint64_t n = sizeof h - 1;
    float v[2] = {1e6f, 1.0f};
    FILE *f = fopen(p, "wb");
    fwrite(&n, 8, 1, f);
    fwrite(h, 1, n, f);
    fwrite(v, 4, 2, f);
    fclose(f);
    slm_verify_opts o = {0};
    slm_diag d;
    slm_diag_init(&d);
    CHECK(slm_verify_path(p, &o, &d) == 0 && d.n == 0); /* headers only: nothing */
    slm_diag_free(&d);
    o.stats = true;
    slm_diag_init(&d);
    slm_verify_path(dir, &o, &d);
    CHECK(d.n == 0); /* values read, but not headed for fp16 */
    slm_diag_free(&d);
    snprintf(p, sizeof p, "%s/config.json", dir);
    f = fopen(p, "w");
    fputs("{\"model_type\":\"x\",\"dtype\":\"float16\"}", f);
    fclose(f);
    slm_diag_init(&d);
    slm_verify_path(dir, &o, &d);
    CHECK(diag_has(&d, "ST-202") == 1);
    slm_diag_free(&d);
    snprintf(p, sizeof p, "rm -rf %s", dir);
    CHECK(system(p) == 0);
}

int main(void)
{
    nan_inf();
    fp16_overflow();
    fp16_underflow();
    through_engine();
    return test_done("test_values");
}

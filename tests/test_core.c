/* The parsing core: cursors, checked arithmetic, dtypes and float
 * conversions, the strict JSON scanner, findings. */
#include "test.h"

static void cursor(void)
{
    const uint8_t b[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09};
    slm_cur c = slm_cur_make(b, sizeof b);
    uint64_t v;
    uint32_t w;
    CHECK(slm_cur_u64le(&c, &v) && v == 0x0807060504030201ull);
    CHECK(!slm_cur_u32le(&c, &w) && c.pos == 8); /* a failed read does not move */
    CHECK(slm_cur_skip(&c, 1) && !slm_cur_skip(&c, 1));
    const uint8_t *view;
    c = slm_cur_make(b, sizeof b);
    CHECK(!slm_cur_take(&c, UINT64_MAX, &view) && c.pos == 0);
    /* LEB128: 624485 = e5 8e 26; too many bytes and stray high bits fail */
    const uint8_t l1[] = {0xe5, 0x8e, 0x26}, l2[] = {0xff, 0xff, 0xff, 0xff, 0x7f}, l3[] = {0xff, 0xff, 0xff, 0xff, 0x0f},
                  l4[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}, l5[] = {0x80};
    c = slm_cur_make(l1, 3);
    CHECK(slm_cur_uleb(&c, 32, &v) && v == 624485);
    c = slm_cur_make(l2, 5);
    CHECK(!slm_cur_uleb(&c, 32, &v));
    c = slm_cur_make(l3, 5);
    CHECK(slm_cur_uleb(&c, 32, &v) && v == 0xffffffffu);
    c = slm_cur_make(l4, 10);
    CHECK(slm_cur_uleb(&c, 64, &v) && v == 1ull << 63);
    c = slm_cur_make(l5, 1);
    CHECK(!slm_cur_uleb(&c, 64, &v));
    uint64_t r;
    CHECK(!slm_mul_u64(1ull << 32, 1ull << 32, &r) && slm_mul_u64(1ull << 31, 1ull << 32, &r) && r == 1ull << 63);
    CHECK(!slm_add_u64(UINT64_MAX, 1, &r));
}

static void dtypes(void)
{
    /* every fp16 value survives f16 -> f32 -> f16, and decodes as IEEE says */
    int bad = 0;
    for (uint32_t h = 0; h < 65536; h++) {
        float f = slm_f16_to_f32((uint16_t)h);
        bool nan = (h & 0x7c00) == 0x7c00 && (h & 0x3ff);
        if (!nan && slm_f32_to_f16(f) != h)
            bad++;
    }
    CHECK_EQ_U64(bad, 0);
    CHECK(slm_f16_to_f32(0x3c00) == 1.0f && slm_f16_to_f32(0x0001) == ldexpf(1, -24) && slm_f16_to_f32(0xfbff) == -65504.0f);
    CHECK(slm_bf16_to_f32(0x3f80) == 1.0f);
    CHECK(slm_f32_to_f16(1.0f + ldexpf(1, -11)) == 0x3c00);      /* tie to even, down */
    CHECK(slm_f32_to_f16(1.0f + 3 * ldexpf(1, -11)) == 0x3c02);  /* tie to even, up */
    /* the small floats */
    const uint8_t e4m3[] = {0x7e, 0x7f, 0x08, 0xfe}, e5m2[] = {0x7b, 0x7c, 0x7d}, e8m0[] = {127, 0, 0xff},
                  f4[] = {0x72, 0x0f}, i4[] = {0x8f};
    CHECK(slm_dtype_get_f64(SLM_DT_F8_E4M3, e4m3, 0) == 448.0);
    CHECK(isnan(slm_dtype_get_f64(SLM_DT_F8_E4M3, e4m3, 1)));
    CHECK(slm_dtype_get_f64(SLM_DT_F8_E4M3, e4m3, 2) == ldexp(1, -6));
    CHECK(slm_dtype_get_f64(SLM_DT_F8_E4M3, e4m3, 3) == -448.0);
    CHECK(slm_dtype_get_f64(SLM_DT_F8_E5M2, e5m2, 0) == 57344.0);
    CHECK(isinf(slm_dtype_get_f64(SLM_DT_F8_E5M2, e5m2, 1)) && isnan(slm_dtype_get_f64(SLM_DT_F8_E5M2, e5m2, 2)));
    CHECK(slm_dtype_get_f64(SLM_DT_F8_E8M0, e8m0, 0) == 1.0 && slm_dtype_get_f64(SLM_DT_F8_E8M0, e8m0, 1) == ldexp(1, -127));
    CHECK(isnan(slm_dtype_get_f64(SLM_DT_F8_E8M0, e8m0, 2)));
    /* F4 (E2M1): low nibble first; 0x2 = 1.0, 0x7 = 6.0, 0xf = -6.0 */
    CHECK(slm_dtype_get_f64(SLM_DT_F4, f4, 0) == 1.0 && slm_dtype_get_f64(SLM_DT_F4, f4, 1) == 6.0 &&
          slm_dtype_get_f64(SLM_DT_F4, f4, 2) == -6.0);
    CHECK(slm_dtype_get_f64(SLM_DT_I4, i4, 0) == -1 && slm_dtype_get_f64(SLM_DT_I4, i4, 1) == -8 &&
          slm_dtype_get_f64(SLM_DT_U4, i4, 1) == 8);
    uint64_t nb;
    CHECK(slm_dtype_nbytes(SLM_DT_I4, 3, false, &nb) && nb == 2 && !slm_dtype_nbytes(SLM_DT_I4, 3, true, &nb));
    CHECK(!slm_dtype_nbytes(SLM_DT_F64, UINT64_MAX / 4, false, &nb));
    /* names round-trip through every naming scheme the table has */
    for (int t = 1; t < SLM_DT__COUNT; t++) {
        const slm_dtype_info *i = slm_dtype_info_of((slm_dtype)t);
        CHECK(i->id == (slm_dtype)t && slm_dtype_from_name(i->name) == (slm_dtype)t);
        if (i->st)
            CHECK(slm_dtype_from_st(i->st, strlen(i->st)) == (slm_dtype)t);
        if (i->onnx)
            CHECK(slm_dtype_from_onnx(i->onnx) == (slm_dtype)t);
        if (i->mlc)
            CHECK(slm_dtype_from_mlc(i->mlc) == (slm_dtype)t);
    }
}

static int parse(const char *text, slm_json *j)
{
    return slm_json_parse(j, text, strlen(text), 0);
}

static void json_syntax(void)
{
    static const char *const bad[] = {"", " ", "{", "{\"a\":}", "{\"a\":1,}", "[1,]", "{'a':1}", "01", "-", "1.",
                                      "1e", ".5", "NaN", "\"\\x\"", "\"a\tb\"", "\"\\u12\"", "{} {}", "nul", "[1 2]",
                                      "{\"a\" 1}", "\"abc"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        slm_json j;
        CHECK_MSG(parse(bad[i], &j) == -1, "accepted '%s'", bad[i]);
        slm_json_free(&j);
    }
    static const char *const good[] = {"0", "-0", "1.5e-3", "\"\\ud83d\\ude00\"", "[]", "{}", " {\"a\":[null,true,false]} \n",
                                       "\"\\u0000\"", "1e400"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        slm_json j;
        CHECK_MSG(parse(good[i], &j) == 0, "rejected '%s': %s", good[i], j.err);
        slm_json_free(&j);
    }
    /* the error offset points at the fault */
    slm_json j;
    CHECK(parse("{\"a\":1,}", &j) == -1 && j.err_off == 7);
    slm_json_free(&j);
    /* depth limit */
    char deep[300];
    memset(deep, '[', 150);
    memset(deep + 150, ']', 150);
    CHECK(slm_json_parse(&j, deep, 300, 150) == 0);
    slm_json_free(&j);
    CHECK(slm_json_parse(&j, deep, 300, 149) == -1);
    slm_json_free(&j);
}

static void json_values(void)
{
    slm_json j;
    const char *t = "{\"a\":9007199254740993,\"b\":18446744073709551615,\"c\":18446744073709551616,\"d\":-9223372036854775808,"
                    "\"e\":1.0,\"f\":-1,\"g\":\"s\",\"a\":2,\"h\":12345678901234567890123456789012345678901234567890123456789012345678901234567890,"
                    "\"i\":\"\\ud800x\"}";
    CHECK(parse(t, &j) == 0);
    uint64_t u;
    int64_t s;
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(j.root, "a"); /* the first "a" */
    CHECK(slm_json_u64(&j, a, &u) == SLM_JNUM_OK && u == 9007199254740993ull);
    CHECK(slm_json_u64(&j, slm_json_get(j.root, "a"), &u) == SLM_JNUM_OK && u == 2); /* last one wins */
    CHECK(slm_json_dup(j.root) == slm_json_get(j.root, "a"));
    CHECK(slm_json_u64(&j, slm_json_get(j.root, "b"), &u) == SLM_JNUM_OK && u == UINT64_MAX);
    CHECK(slm_json_u64(&j, slm_json_get(j.root, "c"), &u) == SLM_JNUM_RANGE);
    CHECK(slm_json_i64(&j, slm_json_get(j.root, "d"), &s) == SLM_JNUM_OK && s == INT64_MIN);
    CHECK(slm_json_u64(&j, slm_json_get(j.root, "e"), &u) == SLM_JNUM_FRACTION);
    CHECK(slm_json_u64(&j, slm_json_get(j.root, "f"), &u) == SLM_JNUM_NEGATIVE);
    CHECK(slm_json_u64(&j, slm_json_get(j.root, "g"), &u) == SLM_JNUM_NOTNUM);
    CHECK(slm_json_u64(&j, slm_json_get(j.root, "h"), &u) == SLM_JNUM_RANGE); /* longer than cJSON reads */
    CHECK(j.flags & SLM_JSPAN_SURROGATE);
    CHECK_STR(slm_json_get(j.root, "i")->valuestring, "\xef\xbf\xbdx"); /* U+FFFD in the tree */
    /* offsets of values and keys */
    CHECK_EQ_U64(slm_json_off(&j, slm_json_get(j.root, "g"), false), (uint64_t)(strstr(t, "\"s\"") - t));
    CHECK_EQ_U64(slm_json_off(&j, slm_json_get(j.root, "g"), true), (uint64_t)(strstr(t, "\"g\"") - t));
    slm_json_free(&j);
    /* the first repeat is the second occurrence, however many there are */
    for (int round = 0; round < 20; round++) {
        CHECK(parse("{\"k\":1,\"x\":0,\"k\":2,\"k\":3,\"x\":4,\"k\":5}", &j) == 0);
        const cJSON *dup = slm_json_dup(j.root);
        uint64_t v = 0;
        CHECK(dup && strcmp(dup->string, "k") == 0 && slm_json_u64(&j, dup, &v) == SLM_JNUM_OK && v == 2);
        slm_json_free(&j);
    }
}

static void findings(void)
{
    slm_diag d;
    slm_diag_init(&d);
    for (int i = 0; i < SLM_DIAG_MAX_KEEP + 10; i++)
        slm_report(&d, SLM_R_ST_012, "f", i, NULL, "n %d", i);
    slm_report(&d, SLM_R_ST_101, "a", 5, "/x", "w");
    CHECK_EQ_U64(d.n, SLM_DIAG_MAX_KEEP + 1);
    CHECK_EQ_U64(d.dropped, 10);
    CHECK_EQ_U64(d.count[SLM_ERROR], SLM_DIAG_MAX_KEEP + 10);
    CHECK_EQ_U64(slm_diag_count_at_least(&d, SLM_WARNING), SLM_DIAG_MAX_KEEP + 11);
    slm_diag_sort(&d);
    CHECK_STR(d.v[0].file, "a");
    slm_diag e;
    slm_diag_init(&e);
    slm_diag_move(&e, &d);
    CHECK_EQ_U64(e.count[SLM_ERROR], SLM_DIAG_MAX_KEEP + 10);
    CHECK_EQ_U64(e.n, SLM_DIAG_MAX_KEEP + 1);
    CHECK(d.n == 0);
    slm_diag_free(&e);
    CHECK(slm_rule_find("ST-012") == slm_rule_get(SLM_R_ST_012) && slm_rule_find("XX-000") == NULL);
    char *p = slm_jptr("/weight_map", "a/b~c");
    CHECK_STR(p, "/weight_map/a~1b~0c");
    free(p);
    char buf[32];
    CHECK_STR(slm_printable(buf, sizeof buf, "a\x01\xff", 3), "a\\x01\\xff");
}

int main(void)
{
    cursor();
    dtypes();
    json_syntax();
    json_values();
    findings();
    return test_done("test_core");
}

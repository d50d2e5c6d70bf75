/* WebAssembly model libraries: modules built in code, one per rule, then the
 * real libraries of the test corpus (their ABI generation; the metadata is
 * compared with an independent extraction in tests/cli/wasm_corpus.sh). */
#include "test.h"

/* ---- a tiny module builder ------------------------------------------------ */
typedef struct buf {
    uint8_t b[8192];
    size_t n;
} buf;

static void put(buf *x, const void *p, size_t n)
{
    memcpy(x->b + x->n, p, n);
    x->n += n;
}
static void u8(buf *x, uint8_t v) { x->b[x->n++] = v; }
static void leb(buf *x, uint64_t v)
{
    do {
        uint8_t c = v & 0x7f;
        v >>= 7;
        u8(x, (uint8_t)(c | (v ? 0x80 : 0)));
    } while (v);
}
static void str(buf *x, const char *s)
{
    leb(x, strlen(s));
    put(x, s, strlen(s));
}
static void section(buf *m, uint8_t id, const buf *content)
{
    u8(m, id);
    leb(m, content->n);
    put(m, content->b, content->n);
}
static void header(buf *m)
{
    m->n = 0;
    put(m, "\0asm\1\0\0\0", 8);
}

/* imports: env.F for each F (functions of type 0) */
static void imports(buf *m, const char *const *fields, int n)
{
    buf s = {.n = 0};
    leb(&s, (uint64_t)n);
    for (int i = 0; i < n; i++) {
        str(&s, "env");
        str(&s, fields[i]);
        u8(&s, 0);
        leb(&s, 0);
    }
    section(m, 2, &s);
}

static void type_section(buf *m)
{
    buf s = {.n = 0};
    static const uint8_t t[] = {1, 0x60, 0, 0};
    put(&s, t, sizeof t);
    section(m, 1, &s);
}

static void exports(buf *m, const char *const *names, int n)
{
    buf s = {.n = 0};
    leb(&s, (uint64_t)n);
    for (int i = 0; i < n; i++) {
        str(&s, names[i]);
        u8(&s, 2); /* memory */
        leb(&s, 0);
    }
    section(m, 7, &s);
}

static void memory(buf *m)
{
    buf s = {.n = 0};
    static const uint8_t t[] = {1, 0, 1};
    put(&s, t, sizeof t);
    section(m, 5, &s);
}

/* one active segment at offset 1024 holding TEXT behind an 8-byte length */
static void data_meta(buf *m, const char *text, bool prefix)
{
    buf s = {.n = 0};
    leb(&s, 1);
    u8(&s, 0);
    u8(&s, 0x41);
    leb(&s, 1024);
    u8(&s, 0x0b);
    size_t l = strlen(text);
    leb(&s, l + (prefix ? 8 : 0));
    if (prefix)
        for (int i = 0; i < 8; i++)
            u8(&s, (uint8_t)((uint64_t)l >> (8 * i)));
    put(&s, text, l);
    section(m, 11, &s);
}

static const char *const LEGACY[] = {"TVMWasmPackedCFunc", "TVMWasmPackedCFuncFinalizer"};
static const char *const FFI[] = {"TVMFFIWasmSafeCall", "TVMFFIWasmFunctionDeleter"};
static const char *const META =
    "{\"model_type\": \"qwen2\", \"quantization\": \"q4f16_1\", \"context_window_size\": 512, "
    "\"prefill_chunk_size\": 128, \"params\": [{\"name\": \"a.q_weight\", \"shape\": [\"vocab_size\", 32], "
    "\"dtype\": \"uint32\"}, {\"name\": \"b\", \"shape\": [256], \"dtype\": \"float16\"}]}";

static void good(buf *m, const char *const *imp, int nimp, const char *meta)
{
    header(m);
    type_section(m);
    imports(m, imp, nimp);
    memory(m);
    static const char *const ex[] = {"memory", "TVMWasmAllocSpace"};
    exports(m, ex, 2);
    if (meta)
        data_meta(m, meta, true);
}

static void run(const buf *m, slm_wasm *w, slm_diag *d)
{
    slm_diag_init(d);
    memset(w, 0, sizeof *w); /* slm_wasm_parse keeps w->map */
    slm_wasm_parse(w, m->b, m->n, "case.wasm", d);
}

/* Exactly RULE (or nothing when NULL). */
static void expect(const char *name, const buf *m, const char *rule)
{
    slm_wasm w;
    slm_diag d;
    run(m, &w, &d);
    int before = t_failures;
    if (rule) {
        CHECK_MSG(diag_has(&d, rule) >= 1, "case %s: no %s", name, rule);
        for (size_t i = 0; i < d.n; i++)
            CHECK_MSG(strcmp(slm_rule_get(d.v[i].rule)->id, rule) == 0, "case %s: also %s", name,
                      slm_rule_get(d.v[i].rule)->id);
    } else {
        CHECK_MSG(d.n == 0, "case %s: %zu findings", name, d.n);
    }
    if (t_failures != before)
        diag_dump(&d);
    slm_wasm_close(&w);
    slm_diag_free(&d);
}

static void cases(void)
{
    buf m;
    slm_wasm w;
    slm_diag d;

    good(&m, LEGACY, 2, META);
    expect("good_legacy", &m, NULL);
    run(&m, &w, &d);
    CHECK(w.valid && w.abi == SLM_WASM_ABI_LEGACY);
    CHECK(w.meta.found && w.meta.nparams == 2 && w.meta.params_ok);
    CHECK_STR(w.meta.model_type, "qwen2");
    CHECK_STR(w.meta.quantization, "q4f16_1");
    CHECK(w.meta.context_window_size == 512 && w.meta.prefill_chunk_size == 128);
    CHECK(w.meta.params[0].shape[0] == -1 && w.meta.params[0].sym[0] && strcmp(w.meta.params[0].sym[0], "vocab_size") == 0);
    CHECK(w.meta.params[0].shape[1] == 32 && w.meta.params[1].shape[0] == 256);
    CHECK_EQ_U64(w.meta.len, strlen(META));
    CHECK(memcmp(m.b + w.meta.off, META, strlen(META)) == 0);
    CHECK(slm_wasm_exports(&w, "TVMWasmAllocSpace") && !slm_wasm_exports(&w, "TVMWasmAlloc"));
    slm_wasm_close(&w);
    slm_diag_free(&d);

    good(&m, FFI, 2, META);
    run(&m, &w, &d);
    CHECK(w.abi == SLM_WASM_ABI_FFI && d.n == 0);
    slm_wasm_close(&w);
    slm_diag_free(&d);

    good(&m, LEGACY, 2, META);
    m.b[4] = 2;
    expect("version_2", &m, "WASM-001");
    good(&m, LEGACY, 2, META);
    m.n -= 10;
    expect("truncated", &m, "WASM-002");

    header(&m);
    u8(&m, 1);
    static const uint8_t overlong[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
    put(&m, overlong, sizeof overlong);
    expect("overlong_leb", &m, "WASM-003");

    header(&m);
    memory(&m);
    type_section(&m);
    expect("out_of_order", &m, "WASM-004");

    {
        buf s = {.n = 0};
        leb(&s, 2); /* says two imports, holds one and a stray byte */
        str(&s, "env");
        str(&s, "TVMWasmPackedCFunc");
        u8(&s, 0);
        leb(&s, 0);
        u8(&s, 0);
        header(&m);
        type_section(&m);
        section(&m, 2, &s);
        expect("import_count", &m, "WASM-005");
    }

    header(&m);
    {
        buf s = {.n = 0};
        u8(&s, 0);
        section(&m, 42, &s);
    }
    expect("unknown_section", &m, "WASM-006");

    header(&m);
    {
        buf s = {.n = 0};
        leb(&s, 3);
        put(&s, "a\xff" "b", 3);
        section(&m, 0, &s);
    }
    expect("custom_not_utf8", &m, "WASM-007");

    {
        buf s = {.n = 0};
        leb(&s, 1);
        str(&s, "env");
        str(&s, "x");
        u8(&s, 9); /* no such import kind */
        leb(&s, 0);
        header(&m);
        section(&m, 2, &s);
        expect("import_kind", &m, "WASM-008");
    }

    {
        buf s = {.n = 0};
        leb(&s, 1);
        u8(&s, 3); /* flags 3 */
        u8(&s, 0);
        header(&m);
        section(&m, 11, &s);
        expect("data_flags", &m, "WASM-009");
    }

    {
        header(&m);
        buf s = {.n = 0};
        leb(&s, 5);
        section(&m, 12, &s);
        buf t = {.n = 0};
        leb(&t, 1);
        u8(&t, 1); /* passive */
        leb(&t, 2);
        put(&t, "hi", 2);
        section(&m, 11, &t);
        expect("data_count", &m, "WASM-010");
    }

    header(&m);
    type_section(&m);
    memory(&m);
    expect("not_tvm", &m, "WASM-020");

    good(&m, LEGACY, 2, NULL);
    expect("no_metadata", &m, "WASM-021");
    good(&m, LEGACY, 2, "{\"model_type\": \"qwen2\", \"quantization\": \"q4f16_1\", \"params\": 7}");
    expect("metadata_params_not_array", &m, "WASM-022");
    {
        static const char *const both[] = {"TVMWasmPackedCFunc", "TVMFFIWasmSafeCall"};
        good(&m, both, 2, META);
        expect("mixed_abi", &m, "WASM-023");
    }

    /* every truncation of a good module: no crash, findings inside it */
    good(&m, LEGACY, 2, META);
    for (size_t n = 0; n < m.n; n++) {
        slm_diag_init(&d);
        memset(&w, 0, sizeof w);
        slm_wasm_parse(&w, m.b, n, "cut.wasm", &d);
        CHECK(d.count[SLM_ERROR] > 0 || n == 0 || !w.meta.found);
        for (size_t i = 0; i < d.n; i++)
            CHECK(d.v[i].offset <= (int64_t)n);
        slm_wasm_close(&w);
        slm_diag_free(&d);
    }
}

static void corpus(void)
{
    const char *sh = corpus_dir();
    static const struct {
        const char *file;
        slm_wasm_abi abi;
    } L[] = {{"legacy-root_gpt2-q0f16-ctx1k-webgpu.wasm", SLM_WASM_ABI_LEGACY},
             {"v0_2_48_Qwen2-0.5B-Instruct-q4f16_1-ctx4k_cs1k-webgpu.wasm", SLM_WASM_ABI_LEGACY},
             {"v0_2_80_snowflake-arctic-embed-s-q0f32-ctx512_cs512_batch4-webgpu.wasm", SLM_WASM_ABI_FFI}};
    for (int i = 0; i < 3; i++) {
        char p[600];
        snprintf(p, sizeof p, "%s/wasm/%s", sh, L[i].file);
        slm_wasm w;
        slm_diag d;
        slm_diag_init(&d);
        REQUIRE(slm_wasm_open(&w, p, &d) == 0);
        CHECK_MSG(d.n == 0 && w.valid, "%s: %zu findings", L[i].file, d.n);
        CHECK_MSG(w.abi == L[i].abi, "%s: abi %s", L[i].file, slm_wasm_abi_name(w.abi));
        CHECK(w.meta.found && w.meta.params_ok && w.meta.nparams > 0);
        slm_wasm_close(&w);
        slm_diag_free(&d);
    }
}

int main(void)
{
    cases();
    corpus();
    return test_done("test_wasm");
}

/* GGUF: slminspect's verdict against ggml's on the hostile cases of
 * tests/gguf_build.h (tests/data/gguf_reference.tsv, recorded by
 * tests/reference/gguf_oracle.c), and one case per GGUF- rule that fails
 * without it. */
#include "test.h"
#include "gguf_build.h"

/* ---- helpers ---------------------------------------------------------------- */

static size_t rec_at(const gb *b, int kind, int nth)
{
    for (size_t k = 0; k < b->nrec; k++)
        if (b->rec[k].kind == kind && nth-- == 0)
            return b->rec[k].at;
    fprintf(stderr, "no record %d of kind %d\n", nth, kind);
    exit(1);
}

static void put32(gb *b, size_t at, uint32_t v) { memcpy(b->p + at, &v, 4); }
static void put64(gb *b, size_t at, uint64_t v) { memcpy(b->p + at, &v, 8); }

typedef struct parsed {
    slm_gguf g;
    slm_diag d;
} parsed;

static void run(parsed *r, const gb *b, bool model)
{
    memset(r, 0, sizeof *r);
    slm_diag_init(&r->d);
    slm_gguf_parse(&r->g, b->p, b->n, "t.gguf", &r->d);
    if (model && r->g.valid)
        slm_gguf_check_model(&r->g, &r->d);
}

static void done(parsed *r)
{
    slm_gguf_close(&r->g);
    slm_diag_free(&r->d);
}

/* B (freed here) gives RULE, and the parse says whether ggml loads it. */
static void expect(gb *b, bool model, const char *rule, bool valid, int line)
{
    parsed r;
    run(&r, b, model);
    int n = diag_has(&r.d, rule);
    CHECK_MSG(n > 0, "line %d: %s not reported", line, rule);
    CHECK_MSG(r.g.valid == valid, "line %d: valid %d, expected %d", line, r.g.valid, valid);
    if (!n)
        diag_dump(&r.d);
    done(&r);
    gb_free(b);
}
#define EXPECT(b, model, rule, valid) expect(b, model, rule, valid, __LINE__)

static gb base(bool llama)
{
    gb b = {0};
    gb_opts o = gb_defaults();
    o.llama = llama;
    gb_build(&b, &o);
    return b;
}

/* ---- the base files are clean ------------------------------------------------ */

static void test_clean(void)
{
    for (int llama = 0; llama < 2; llama++) {
        gb b = base(llama);
        parsed r;
        run(&r, &b, true);
        CHECK(r.g.valid);
        CHECK_EQ_U64(r.g.version, 3);
        CHECK_EQ_U64(r.g.alignment, 32);
        CHECK_EQ_U64(r.g.data_offset % 32, 0);
        CHECK_EQ_U64(r.g.data_offset + r.g.data_size, b.n);
        CHECK_MSG(r.d.n == (llama ? 0u : 1u), "%zu findings", r.d.n); /* the test model: GGUF-208 */
        if (r.d.n != (llama ? 0u : 1u))
            diag_dump(&r.d);
        if (!llama) {
            const slm_gguf_tensor *t = slm_gguf_tensor_find(&r.g, "b.q4_0");
            REQUIRE(t);
            CHECK_EQ_U64(t->type, SLM_GGML_Q4_0);
            CHECK_EQ_U64(t->nbytes, 2 * 2 * 18);
            CHECK_EQ_U64(t->shape[0], 2);
            CHECK_EQ_U64(t->shape[1], 64);
            CHECK(t->data == b.p + t->offset);
            CHECK_EQ_U64(t->offset, r.g.data_offset + t->rel_offset);
            slm_gguf_str s;
            CHECK(slm_gguf_kv_str(slm_gguf_find(&r.g, "general.name"), &s) && slm_gguf_str_eq(s, "tiny"));
            CHECK(slm_gguf_kv_arr_str(slm_gguf_find(&r.g, "tokenizer.ggml.tokens"), 2, &s) && slm_gguf_str_eq(s, "t2"));
            double f;
            CHECK(slm_gguf_kv_f64(slm_gguf_find(&r.g, "test.f64"), &f) && f == 0.5);
        }
        done(&r);
        gb_free(&b);
    }
}

/* ---- one case per rule -------------------------------------------------------- */

static void test_format_rules(void)
{
    gb b;
    b = base(false), b.n = 2, EXPECT(&b, false, "GGUF-001", false);
    b = base(false), b.p[0] = 'X', EXPECT(&b, false, "GGUF-002", false);
    b = base(false), put32(&b, 4, 0), EXPECT(&b, false, "GGUF-003", false);
    b = base(false), put32(&b, 4, 0x03000000), EXPECT(&b, false, "GGUF-004", false);
    b = base(false), put32(&b, 4, 1), EXPECT(&b, false, "GGUF-005", false);
    b = base(false), put32(&b, 4, 4), EXPECT(&b, false, "GGUF-006", false);
    b = base(false), put64(&b, 8, (uint64_t)-1), EXPECT(&b, false, "GGUF-007", false);
    b = base(false), put64(&b, 16, 1ull << 62), EXPECT(&b, false, "GGUF-008", false);
    b = base(false), put64(&b, rec_at(&b, GB_STRLEN, 0), 1u << 20), EXPECT(&b, false, "GGUF-009", false);
    b = base(false), put64(&b, rec_at(&b, GB_KEYLEN, 1), (1ull << 30) + 1), EXPECT(&b, false, "GGUF-010", false);
    b = base(false), put64(&b, rec_at(&b, GB_ALEN, 0), (1ull << 30) + 1), EXPECT(&b, false, "GGUF-011", false);
    b = base(false), put64(&b, rec_at(&b, GB_ALEN, 1), 1u << 20), EXPECT(&b, false, "GGUF-012", false);
    { /* an empty key: the first key's length 0 and its bytes renamed into... a shorter file */
        gb_opts o = gb_defaults();
        b = (gb){0};
        gb_build(&b, &o);
        size_t kl = rec_at(&b, GB_KEYLEN, 1); /* "general.name" -> "" + 12 bytes shifted out */
        put64(&b, kl, 0);
        memmove(b.p + kl + 8, b.p + kl + 8 + 12, b.n - kl - 8 - 12);
        b.n -= 12;
        EXPECT(&b, false, "GGUF-013", false);
    }
    { /* two pairs with the key "k" */
        b = (gb){0};
        gb_raw(&b, "GGUF", 4, -1);
        gb_u32(&b, 3, -1);
        gb_u64(&b, 0, -1);
        gb_u64(&b, 2, -1);
        for (int k = 0; k < 2; k++)
            gb_str(&b, "k", -1, -1), gb_u32(&b, 0, -1), gb_raw(&b, "\x07", 1, -1);
        EXPECT(&b, false, "GGUF-014", false);
    }
    b = base(false), put32(&b, rec_at(&b, GB_ATYPE, 0), 9), EXPECT(&b, false, "GGUF-015", false);
    b = base(false), put32(&b, rec_at(&b, GB_VTYPE, 0), 13), EXPECT(&b, false, "GGUF-015", false);
    {
        gb_opts o = gb_defaults();
        o.alignment = 64;
        b = (gb){0};
        gb_build(&b, &o);
        put32(&b, rec_at(&b, GB_VTYPE, 2), 5); /* general.alignment as i32 */
        EXPECT(&b, false, "GGUF-016", false);
        o.alignment = 48;
        b = (gb){0};
        gb_build(&b, &o);
        EXPECT(&b, false, "GGUF-017", false);
    }
    {
        gb_model m;
        memset(&m, 0, sizeof m);
        gb_opts o = gb_defaults();
        gb_add(&m, "x", 0, 1, 4, 1);
        m.t[0].name = "a234567890123456789012345678901234567890123456789012345678901234"; /* 64 bytes */
        b = (gb){0}, gb_write(&b, &o, &m), EXPECT(&b, false, "GGUF-018", false);
        memset(&m, 0, sizeof m);
        gb_add(&m, "same", 0, 1, 4, 1);
        gb_add(&m, "same", 0, 1, 4, 1);
        b = (gb){0}, gb_write(&b, &o, &m), EXPECT(&b, false, "GGUF-019", false);
    }
    b = base(false), put32(&b, rec_at(&b, GB_NDIMS, 0), 5), EXPECT(&b, false, "GGUF-020", false);
    b = base(false), put64(&b, rec_at(&b, GB_NE, 0), (uint64_t)-5), EXPECT(&b, false, "GGUF-021", false);
    /* b.q4_0 (64, 2^58+1): 2^64+64 elements, which ggml's int64 product wraps to 64 > 0: its check sees it */
    b = base(false), put64(&b, rec_at(&b, GB_NE, 2), (1ull << 58) + 1), EXPECT(&b, false, "GGUF-022", false);
    b = base(false), put32(&b, rec_at(&b, GB_TTYPE, 0), 43), EXPECT(&b, false, "GGUF-023", false);
    b = base(false), put32(&b, rec_at(&b, GB_TTYPE, 0), 36), EXPECT(&b, false, "GGUF-024", false);
    b = base(false), put32(&b, rec_at(&b, GB_TTYPE, 0), SLM_GGML_Q4_0), EXPECT(&b, false, "GGUF-025", false); /* 5 elements */
    /* a.f32 of 2^62+1 elements: 4 bytes each overflow size_t */
    b = base(false), put64(&b, rec_at(&b, GB_NE, 0), (1ull << 62) + 1), EXPECT(&b, false, "GGUF-026", false);
    b = base(false), b.n = rec_at(&b, GB_TOFF, 4) + 4, EXPECT(&b, false, "GGUF-001", false); /* inside an info */
    { /* data section past the end: cut the file right after the infos, before the padding */
        b = base(false);
        b.n = rec_at(&b, GB_PAD, 0) + 1;
        put64(&b, rec_at(&b, GB_TOFF, 4), 0); /* irrelevant: the seek fails first */
        parsed r;
        b.n = rec_at(&b, GB_PAD, 0);
        gb c = {0};
        gb_raw(&c, b.p, b.n, -1);
        gb_raw(&c, "\0", 1, -1); /* one padding byte of several */
        run(&r, &c, false);
        CHECK(diag_has(&r.d, "GGUF-027") == 1);
        CHECK(!r.g.valid);
        done(&r);
        gb_free(&c);
        gb_free(&b);
    }
    b = base(false), put64(&b, rec_at(&b, GB_TOFF, 2), 0), EXPECT(&b, false, "GGUF-028", false);
    { /* I8 [2^62, 2, 2, 2]: ggml's element count wraps; then offsets would... */
        gb_model m;
        memset(&m, 0, sizeof m);
        gb_opts o = gb_defaults();
        gb_add(&m, "big", 24, 1, 1ull << 62, 1); /* I8 of 2^62 bytes, padded: fine; then another one */
        gb_add(&m, "big2", 24, 1, 1ull << 62, 1);
        gb_add(&m, "big3", 24, 1, 1ull << 62, 1);
        gb_add(&m, "big4", 24, 1, 1ull << 62, 1);
        m.t[0].nbytes = m.t[1].nbytes = m.t[2].nbytes = m.t[3].nbytes = 0; /* write no data */
        b = (gb){0}, gb_write(&b, &o, &m);
        for (int k = 1; k < 4; k++)
            put64(&b, rec_at(&b, GB_TOFF, k), (uint64_t)k << 62);
        EXPECT(&b, false, "GGUF-029", false);
    }
    b = base(false), b.n -= 1, EXPECT(&b, false, "GGUF-030", false);
    b = base(false), b.p[rec_at(&b, GB_KEY, 1)] = 0x01, EXPECT(&b, false, "GGUF-101", true);
    b = base(false), b.p[rec_at(&b, GB_VAL, 1)] = (char)0xff, EXPECT(&b, false, "GGUF-102", true);
    b = base(false), b.p[rec_at(&b, GB_NAME, 0)] = (char)0xc3, EXPECT(&b, false, "GGUF-102", true);
    b = base(true), put32(&b, rec_at(&b, GB_VTYPE, 3), 5), EXPECT(&b, false, "GGUF-103", true); /* context_length i32 */
    b = base(false), gb_raw(&b, "x", 1, -1), EXPECT(&b, false, "GGUF-104", true);
    { /* F32 of 2^62-1 elements: GGML_PAD wraps to 0 (ggml issue 26978) and ggml loads the file */
        gb_model m;
        memset(&m, 0, sizeof m);
        gb_opts o = gb_defaults();
        gb_add(&m, "wrap", 0, 1, (1ull << 62) - 1, 1);
        m.t[0].nbytes = 0;
        b = (gb){0}, gb_write(&b, &o, &m);
        parsed r;
        run(&r, &b, false);
        CHECK(diag_has(&r.d, "GGUF-105") == 1);
        CHECK(r.g.valid); /* ggml would load it */
        CHECK(!r.g.t[0].ok && r.g.t[0].data == NULL);
        CHECK(slm_diag_count_at_least(&r.d, SLM_ERROR) == 1);
        done(&r);
        gb_free(&b);
    }
}

/* ---- model-level rules ------------------------------------------------------------ */

static gb llama_with(gb_opts o, void (*edit)(gb_model *))
{
    gb_model m;
    memset(&m, 0, sizeof m);
    gb_llama_tensors(&m, &o);
    if (edit)
        edit(&m);
    gb b = {0};
    gb_write(&b, &o, &m);
    return b;
}

static void drop_q1(gb_model *m)
{
    for (size_t i = 0; i < m->nt; i++)
        if (strcmp(m->t[i].name, "blk.1.attn_q.weight") == 0) {
            memmove(&m->t[i], &m->t[i + 1], (m->nt - i - 1) * sizeof m->t[0]);
            memmove(m->names[i], m->names[i + 1], (m->nt - i - 1) * sizeof m->names[0]);
            for (size_t k = i; k < m->nt - 1; k++)
                m->t[k].name = m->names[k];
            m->nt--;
            return;
        }
}
static void extra_block(gb_model *m) { gb_add(m, "blk.2.attn_norm.weight", 0, 1, 64, 1); }
static void stranger(gb_model *m) { gb_add(m, "blk.0.mystery.weight", 0, 1, 64, 1); }
static void wide_up(gb_model *m)
{
    for (size_t i = 0; i < m->nt; i++)
        if (strcmp(m->t[i].name, "blk.0.ffn_up.weight") == 0)
            m->t[i].ne[1] = 96, m->t[i].nbytes = 64 * 96 * 2;
}
static void big_vocab(gb_model *m)
{
    m->t[0].ne[1] = 40;
    m->t[0].nbytes = 64 * 40 * 2;
}

static void test_model_rules(void)
{
    gb_opts o = gb_defaults();
    o.llama = true;
    gb b;
    b = llama_with(o, drop_q1), EXPECT(&b, true, "GGUF-203", true);
    b = llama_with(o, extra_block), EXPECT(&b, true, "GGUF-204", true);
    b = llama_with(o, stranger), EXPECT(&b, true, "GGUF-204", true);
    b = llama_with(o, wide_up), EXPECT(&b, true, "GGUF-205", true);
    b = llama_with(o, big_vocab), EXPECT(&b, true, "GGUF-206", true);
    o.file_type = 15;
    {
        gb_opts q = o;
        q.embd = 256, q.ff = 512;
        b = llama_with(q, NULL); /* a real Q4_K_M mix: clean */
        parsed r;
        run(&r, &b, true);
        CHECK_MSG(r.d.n == 0 && r.g.valid, "Q4_K_M llama: %zu findings", r.d.n);
        diag_dump(&r.d);
        done(&r);
        gb_free(&b);
        q.file_type = 7; /* say Q8_0 for the Q4_K weights */
        b = llama_with(q, NULL);
        put32(&b, rec_at(&b, GB_VAL, 2), 15); /* general.file_type: 7 -> 15 (the tensors are Q8_0) */
        EXPECT(&b, true, "GGUF-207", true);
    }
    o = gb_defaults();
    o.llama = true;
    b = llama_with(o, NULL);
    memcpy(b.p + rec_at(&b, GB_KEY, 0), "general.archit_cture", 20); /* no general.architecture */
    EXPECT(&b, true, "GGUF-201", true);
    b = llama_with(o, NULL);
    b.p[rec_at(&b, GB_KEY, 5)] = 'L'; /* "Llama.embedding_length" */
    EXPECT(&b, true, "GGUF-202", true);
    b = llama_with(o, NULL);
    memcpy(b.p + rec_at(&b, GB_VAL, 0) , "llamb", 5);
    EXPECT(&b, true, "GGUF-208", true);
}

/* Each architecture's tensor set: a complete file is clean, one without an
 * architecture-specific tensor or with a wrong shape is not. */
static const char *drop_name, *reshape_name;
static void drop_named(gb_model *m)
{
    for (size_t i = 0; i < m->nt; i++)
        if (strcmp(m->t[i].name, drop_name) == 0) {
            for (size_t k = i; k + 1 < m->nt; k++) {
                m->t[k] = m->t[k + 1];
                memcpy(m->names[k], m->names[k + 1], sizeof m->names[0]);
                m->t[k].name = m->names[k];
            }
            m->nt--;
            return;
        }
}
static void reshape_named(gb_model *m)
{
    for (size_t i = 0; i < m->nt; i++)
        if (strcmp(m->t[i].name, reshape_name) == 0) {
            m->t[i].ne[0] *= 2;
            m->t[i].nbytes *= 2;
        }
}

static void test_architectures(void)
{
    static const struct {
        const char *arch, *needed, *shaped;
    } A[] = {
        {"llama", "blk.0.ffn_gate.weight", "blk.1.attn_k.weight"},
        {"qwen2", "blk.0.attn_q.bias", "blk.1.attn_v.bias"},
        {"gemma", "blk.1.ffn_norm.weight", "blk.0.attn_output.weight"},
        {"gemma2", "blk.1.post_ffw_norm.weight", "blk.0.post_attention_norm.weight"},
        {"gemma3", "blk.0.attn_k_norm.weight", "blk.1.attn_q_norm.weight"},
        {"phi3", "output.weight", "blk.0.ffn_up.weight"},
    };
    for (size_t i = 0; i < sizeof A / sizeof A[0]; i++) {
        gb_opts o = gb_defaults();
        o.llama = true;
        o.arch = A[i].arch;
        gb b = llama_with(o, NULL);
        parsed r;
        run(&r, &b, true);
        CHECK_MSG(r.g.valid && r.d.n == 0, "%s: a complete file has %zu findings", A[i].arch, r.d.n);
        diag_dump(&r.d);
        done(&r);
        gb_free(&b);
        drop_name = A[i].needed;
        b = llama_with(o, drop_named);
        EXPECT(&b, true, "GGUF-203", true);
        reshape_name = A[i].shaped;
        b = llama_with(o, reshape_named);
        EXPECT(&b, true, "GGUF-205", true);
    }
    /* a llama file called gemma: gemma.* keys are missing */
    gb_opts o = gb_defaults();
    o.llama = true;
    gb b = llama_with(o, NULL);
    memcpy(b.p + rec_at(&b, GB_VAL, 0), "gemma", 5); /* "llama" -> "gemma": its keys then are missing */
    EXPECT(&b, true, "GGUF-202", true);
}

/* ---- ggml's verdicts ---------------------------------------------------------------- */

static void test_oracle(void)
{
    const char *src = getenv("SLM_SOURCE");
    REQUIRE(src != NULL);
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/data/gguf_reference.tsv", src);
    FILE *f = fopen(path, "r");
    REQUIRE(f != NULL);
    char line[2048];
    int cases = 0, same = 0, stricter = 0, loads = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#')
            continue;
        int id;
        unsigned long long hash;
        char verdict[16];
        if (sscanf(line, "%d\t%llx\t%15s", &id, &hash, verdict) != 3)
            continue;
        gb b = {0};
        char desc[160];
        gb_case(id, &b, desc, sizeof desc);
        CHECK_MSG(gb_fnv(b.p, b.n) == hash, "case %d: the generator no longer makes the recorded bytes", id);
        parsed r;
        run(&r, &b, false);
        bool ggml_ok = strcmp(verdict, "ok") == 0;
        bool errors = slm_diag_count_at_least(&r.d, SLM_ERROR) > 0;
        bool wrapped = diag_has(&r.d, "GGUF-105") > 0;
        CHECK_MSG(r.g.valid == ggml_ok, "case %d (%s): slminspect valid %d, ggml %s", id, desc, r.g.valid, verdict);
        CHECK_MSG(errors == !ggml_ok || (wrapped && ggml_ok), "case %d (%s): errors %d, ggml %s", id, desc, errors, verdict);
        if (r.g.valid != ggml_ok)
            diag_dump(&r.d);
        cases++;
        loads += ggml_ok;
        same += r.g.valid == ggml_ok && errors == !ggml_ok;
        stricter += wrapped && ggml_ok;
        done(&r);
        gb_free(&b);
    }
    fclose(f);
    printf("ggml oracle: %d cases (%d load in ggml): %d same verdict, %d stricter (GGUF-105)\n", cases, loads, same,
           stricter);
    CHECK(cases == GB_NCASES);
}

/* --write DIR: the files the shell tests read (tests/cli/gguf_cli.sh). */
static int write_files(const char *dir)
{
    struct {
        const char *name;
        bool llama;
        uint32_t ftype, align, embd, ff;
        int damage;
    } F[] = {
        {"llama-f16.gguf", true, 1, 0, 64, 128, 0},
        {"llama-q4_k_m.gguf", true, 15, 0, 256, 512, 0},
        {"mixed-align64.gguf", false, 1, 64, 64, 128, 0},
        {"bad-offset.gguf", false, 1, 0, 64, 128, 1},
        {"llama-missing.gguf", true, 1, 0, 64, 128, 2},
    };
    for (size_t i = 0; i < sizeof F / sizeof F[0]; i++) {
        gb_opts o = gb_defaults();
        o.llama = F[i].llama, o.file_type = F[i].ftype, o.alignment = F[i].align, o.embd = F[i].embd, o.ff = F[i].ff;
        gb b = F[i].damage == 2 ? llama_with(o, drop_q1) : (gb){0};
        if (F[i].damage != 2)
            gb_build(&b, &o);
        if (F[i].damage == 1)
            put64(&b, rec_at(&b, GB_TOFF, 2), 0);
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", dir, F[i].name);
        FILE *f = fopen(p, "wb");
        if (!f || fwrite(b.p, 1, b.n, f) != b.n || fclose(f) != 0)
            return 1;
        gb_free(&b);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--write") == 0)
        return write_files(argv[2]);
    test_clean();
    test_format_rules();
    test_model_rules();
    test_architectures();
    test_oracle();
    return test_done("test_gguf");
}

/* A tiny GGUF writer for tests, and the seeded generator of hostile GGUF
 * variants whose verdicts tests/data/gguf_reference.tsv records from ggml
 * (tests/reference/gguf_oracle.c) and tests/test_gguf.c holds slminspect to.
 *
 * Header-only, C11, no dependency: the oracle (built against ggml by hand)
 * and the test suite include the same file, so case N is the same bytes in
 * both -- the TSV carries each case's FNV-1a hash to prove it. */
#ifndef GGUF_BUILD_H
#define GGUF_BUILD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- buffer with a record of every field written -------------------------- */

enum gb_field { GB_MAGIC, GB_VERSION, GB_NT, GB_NKV, GB_KEYLEN, GB_KEY, GB_VTYPE, GB_ATYPE, GB_ALEN, GB_VAL,
                GB_STRLEN, GB_NAMELEN, GB_NAME, GB_NDIMS, GB_NE, GB_TTYPE, GB_TOFF, GB_PAD, GB_DATA, GB__COUNT };

typedef struct gb_rec {
    uint32_t at, size;
    uint8_t kind;
} gb_rec;

typedef struct gb {
    uint8_t *p;
    size_t n, cap;
    gb_rec rec[4096];
    size_t nrec;
} gb;

static inline void gb_raw(gb *b, const void *v, size_t n, int kind)
{
    if (b->n + n > b->cap) {
        size_t c = b->cap ? b->cap * 2 : 4096;
        while (c < b->n + n)
            c *= 2;
        b->p = (uint8_t *)realloc(b->p, c);
        b->cap = c;
    }
    if (kind >= 0 && b->nrec < sizeof b->rec / sizeof b->rec[0])
        b->rec[b->nrec++] = (gb_rec){(uint32_t)b->n, (uint32_t)n, (uint8_t)kind};
    memcpy(b->p + b->n, v, n);
    b->n += n;
}
static inline void gb_zeros(gb *b, uint64_t n, int kind)
{
    static const uint8_t z[256];
    for (uint64_t k = 0; k < n; k += sizeof z)
        gb_raw(b, z, n - k < sizeof z ? (size_t)(n - k) : sizeof z, k ? -1 : kind);
}
static inline void gb_u32(gb *b, uint32_t v, int kind) { gb_raw(b, &v, 4, kind); }
static inline void gb_u64(gb *b, uint64_t v, int kind) { gb_raw(b, &v, 8, kind); }
static inline void gb_str(gb *b, const char *s, int lenkind, int kind)
{
    gb_u64(b, strlen(s), lenkind);
    gb_raw(b, s, strlen(s), kind);
}

/* ---- a small model ------------------------------------------------------ */

typedef struct gb_tensor {
    const char *name;
    uint32_t type, n_dims;
    uint64_t ne[4];
    uint64_t nbytes;
} gb_tensor;

enum { GB_F32 = 0, GB_F16 = 1, GB_Q4_0 = 2, GB_Q8_0 = 8, GB_Q4_K = 12, GB_Q6_K = 14 };

static inline uint64_t gb_nbytes(uint32_t type, const uint64_t *ne, uint32_t n_dims)
{
    uint64_t n = 1;
    for (uint32_t i = 0; i < n_dims; i++)
        n *= ne[i];
    switch (type) {
    case GB_F32: return n * 4;
    case GB_F16: return n * 2;
    case GB_Q4_0: return n / 32 * 18;
    case GB_Q8_0: return n / 32 * 34;
    case GB_Q4_K: return n / 256 * 144;
    case GB_Q6_K: return n / 256 * 210;
    default: return 0;
    }
}

/* Options of the base file. */
typedef struct gb_opts {
    uint32_t version;     /* 3 */
    uint32_t alignment;   /* 0: no general.alignment key (32) */
    bool llama;           /* a complete tiny llama model; else a few mixed tensors */
    uint32_t file_type;   /* general.file_type (llama) */
    uint32_t blocks;      /* llama: block_count */
    uint32_t vocab;       /* llama: tokens */
    uint32_t embd, ff, heads, kv_heads;
    const char *arch;     /* llama (NULL), qwen2, gemma, gemma2, gemma3 or phi3: its tensor set */
} gb_opts;

static inline gb_opts gb_defaults(void)
{
    gb_opts o = {3, 0, false, 1, 2, 32, 64, 128, 4, 2, NULL};
    return o;
}

#define GB_MAXT 64
typedef struct gb_model {
    gb_tensor t[GB_MAXT];
    size_t nt;
    char names[GB_MAXT][64];
} gb_model;

static inline void gb_add(gb_model *m, const char *name, uint32_t type, uint32_t n_dims, uint64_t ne0, uint64_t ne1)
{
    gb_tensor *t = &m->t[m->nt];
    snprintf(m->names[m->nt], 64, "%s", name);
    t->name = m->names[m->nt];
    t->type = type;
    t->n_dims = n_dims;
    t->ne[0] = ne0;
    t->ne[1] = n_dims > 1 ? ne1 : 1;
    t->ne[2] = t->ne[3] = 1;
    t->nbytes = gb_nbytes(type, t->ne, n_dims);
    m->nt++;
}

static inline bool gb_is(const gb_opts *o, const char *arch)
{
    return o->arch && strcmp(o->arch, arch) == 0;
}

static inline void gb_llama_tensors(gb_model *m, const gb_opts *o)
{
    bool phi3 = gb_is(o, "phi3"), gemma2 = gb_is(o, "gemma2") || gb_is(o, "gemma3");
    uint32_t E = o->embd, F = o->ff, hd = o->embd / o->heads, K = hd * o->kv_heads;
    uint32_t wt = o->file_type == 15 ? GB_Q4_K : o->file_type == 7 ? GB_Q8_0 : o->file_type == 0 ? GB_F32 : GB_F16;
    gb_add(m, "token_embd.weight", GB_F16, 2, E, o->vocab);
    gb_add(m, "output_norm.weight", GB_F32, 1, E, 1);
    for (uint32_t b = 0; b < o->blocks; b++) {
        char n[64];
#define BLK(suffix, type, nd, a, c) (snprintf(n, sizeof n, "blk.%u." suffix, b), gb_add(m, n, type, nd, a, c))
        BLK("attn_norm.weight", GB_F32, 1, E, 1);
        if (phi3) {
            BLK("attn_qkv.weight", wt, 2, E, E + 2 * K);
        } else {
            BLK("attn_q.weight", wt, 2, E, E);
            BLK("attn_k.weight", wt, 2, E, K);
            BLK("attn_v.weight", o->file_type == 15 ? GB_Q6_K : wt, 2, E, K);
        }
        if (gb_is(o, "qwen2")) {
            BLK("attn_q.bias", GB_F32, 1, E, 1);
            BLK("attn_k.bias", GB_F32, 1, K, 1);
            BLK("attn_v.bias", GB_F32, 1, K, 1);
        }
        if (gb_is(o, "gemma3")) {
            BLK("attn_q_norm.weight", GB_F32, 1, hd, 1);
            BLK("attn_k_norm.weight", GB_F32, 1, hd, 1);
        }
        BLK("attn_output.weight", wt, 2, E, E);
        if (gemma2)
            BLK("post_attention_norm.weight", GB_F32, 1, E, 1);
        BLK("ffn_norm.weight", GB_F32, 1, E, 1);
        if (!phi3)
            BLK("ffn_gate.weight", wt, 2, E, F);
        BLK("ffn_down.weight", o->file_type == 15 ? GB_Q6_K : wt, 2, F, E);
        BLK("ffn_up.weight", wt, 2, E, phi3 ? 2 * F : F);
        if (gemma2)
            BLK("post_ffw_norm.weight", GB_F32, 1, E, 1);
#undef BLK
    }
    if (phi3)
        gb_add(m, "output.weight", GB_F16, 2, E, o->vocab);
}

static inline void gb_mixed_tensors(gb_model *m)
{
    gb_add(m, "a.f32", GB_F32, 1, 5, 1);
    gb_add(m, "b.q4_0", GB_Q4_0, 2, 64, 2);
    gb_add(m, "c.f16", GB_F16, 2, 3, 3);
    gb_add(m, "d.q8_0", GB_Q8_0, 1, 32, 1);
    gb_add(m, "e.q4_k", GB_Q4_K, 2, 256, 1);
}

/* Writes the file: KVs, tensor infos, padding, data (deterministic bytes). */
static inline void gb_write(gb *b, const gb_opts *o, gb_model *m)
{
    /* the layout's alignment: the key's when it is a sane one, else 32 (the
     * key then is the damage) */
    uint32_t a = o->alignment, align = a && !(a & (a - 1)) && a <= 4096 ? a : 32;
    gb_raw(b, "GGUF", 4, GB_MAGIC);
    gb_u32(b, o->version, GB_VERSION);
    gb_u64(b, m->nt, GB_NT);
    size_t nkv_at = b->n;
    gb_u64(b, 0, GB_NKV);
    uint64_t nkv = 0;
#define KV_U32(k, v) (gb_str(b, k, GB_KEYLEN, GB_KEY), gb_u32(b, 4, GB_VTYPE), gb_u32(b, v, GB_VAL), nkv++)
#define KV_F32(k, v) (gb_str(b, k, GB_KEYLEN, GB_KEY), gb_u32(b, 6, GB_VTYPE), gb_raw(b, &(float){v}, 4, GB_VAL), nkv++)
#define KV_STR(k, v) (gb_str(b, k, GB_KEYLEN, GB_KEY), gb_u32(b, 8, GB_VTYPE), gb_str(b, v, GB_STRLEN, GB_VAL), nkv++)
    const char *arch = o->arch ? o->arch : "llama";
    char key[96];
#define AK(k) (snprintf(key, sizeof key, "%s.%s", arch, k), key)
    KV_STR("general.architecture", o->llama ? arch : "test");
    KV_STR("general.name", "tiny");
    if (o->alignment)
        KV_U32("general.alignment", o->alignment);
    if (o->llama) {
        KV_U32("general.file_type", o->file_type);
        KV_U32(AK("context_length"), 128);
        KV_U32(AK("embedding_length"), o->embd);
        KV_U32(AK("block_count"), o->blocks);
        KV_U32(AK("feed_forward_length"), o->ff);
        KV_U32(AK("attention.head_count"), o->heads);
        KV_U32(AK("attention.head_count_kv"), o->kv_heads);
        KV_F32(AK("attention.layer_norm_rms_epsilon"), 1e-5f);
        KV_STR("tokenizer.ggml.model", "gpt2");
    } else {
        gb_str(b, "test.i8s", GB_KEYLEN, GB_KEY);
        gb_u32(b, 9, GB_VTYPE);
        gb_u32(b, 1, GB_ATYPE);
        gb_u64(b, 3, GB_ALEN);
        gb_raw(b, "\x01\xff\x02", 3, GB_VAL);
        nkv++;
        gb_str(b, "test.f64", GB_KEYLEN, GB_KEY);
        gb_u32(b, 12, GB_VTYPE);
        gb_raw(b, &(double){0.5}, 8, GB_VAL);
        nkv++;
        gb_str(b, "test.bool", GB_KEYLEN, GB_KEY);
        gb_u32(b, 7, GB_VTYPE);
        gb_raw(b, "\x01", 1, GB_VAL);
        nkv++;
    }
    /* the vocabulary: an array of strings */
    gb_str(b, "tokenizer.ggml.tokens", GB_KEYLEN, GB_KEY);
    gb_u32(b, 9, GB_VTYPE);
    gb_u32(b, 8, GB_ATYPE);
    uint32_t nv = o->llama ? o->vocab : 3;
    gb_u64(b, nv, GB_ALEN);
    for (uint32_t i = 0; i < nv; i++) {
        char tok[16];
        snprintf(tok, sizeof tok, "t%u", i);
        gb_str(b, tok, GB_STRLEN, GB_VAL);
    }
    nkv++;
#undef AK
#undef KV_U32
#undef KV_F32
#undef KV_STR
    memcpy(b->p + nkv_at, &nkv, 8);
    uint64_t off = 0;
    for (size_t i = 0; i < m->nt; i++) {
        const gb_tensor *t = &m->t[i];
        gb_str(b, t->name, GB_NAMELEN, GB_NAME);
        gb_u32(b, t->n_dims, GB_NDIMS);
        for (uint32_t j = 0; j < t->n_dims; j++)
            gb_u64(b, t->ne[j], GB_NE);
        gb_u32(b, t->type, GB_TTYPE);
        gb_u64(b, off, GB_TOFF);
        off += (t->nbytes + align - 1) / align * align;
    }
    if (m->nt)
        gb_zeros(b, (b->n + align - 1) / align * align - b->n, GB_PAD);
    for (size_t i = 0; i < m->nt; i++) {
        const gb_tensor *t = &m->t[i];
        uint8_t chunk[256];
        for (uint64_t k = 0; k < t->nbytes; k += sizeof chunk) {
            size_t n = t->nbytes - k < sizeof chunk ? (size_t)(t->nbytes - k) : sizeof chunk;
            for (size_t j = 0; j < n; j++) /* small finite halves/floats: 0x3c00-ish words */
                chunk[j] = (uint8_t)((j & 1) ? 0x3c : (i * 7 + j) & 0x3f);
            gb_raw(b, chunk, n, k ? -1 : GB_DATA);
        }
        uint64_t padded = (t->nbytes + align - 1) / align * align;
        gb_zeros(b, padded - t->nbytes, -1);
    }
}

static inline void gb_build(gb *b, const gb_opts *o)
{
    gb_model m;
    memset(&m, 0, sizeof m);
    if (o->llama)
        gb_llama_tensors(&m, o);
    else
        gb_mixed_tensors(&m);
    gb_write(b, o, &m);
}

static inline void gb_free(gb *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

/* ---- hostile variants -------------------------------------------------- */

static inline uint64_t gb_fnv(const uint8_t *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

static inline uint64_t gb_rand(uint64_t *s) /* splitmix64 */
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Values a damaged field takes: limits and near-limits. */
static inline uint64_t gb_evil(uint64_t *s, uint64_t orig)
{
    static const uint64_t V[] = {0, 1, 2, 3, 4, 5, 7, 8, 13, 31, 32, 33, 63, 64, 65, 255, 256, 1u << 30,
                                 (1u << 30) + 1, 0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ull,
                                 0x3fffffffffffffffull, 0x4000000000000000ull, 0x7fffffffffffffffull,
                                 0x8000000000000000ull, 0xffffffffffffffffull, 0xfffffffffffffff0ull};
    switch (gb_rand(s) % 6) {
    case 0: return orig + 1;
    case 1: return orig - 1;
    case 2: return orig ^ (1ull << (gb_rand(s) % 64));
    case 3: return gb_rand(s);
    default: return V[gb_rand(s) % (sizeof V / sizeof V[0])];
    }
}

#define GB_NCASES 460

/* Case I: the bytes (in B, to free) and a short description. */
static inline void gb_case(int i, gb *b, char *desc, size_t dn)
{
    uint64_t s = 0x5eed0000ull + (uint64_t)i;
    gb_opts o = gb_defaults();
    o.llama = i % 3 == 0;
    if (i % 5 == 1)
        o.alignment = 64;
    gb_build(b, &o);
    int kind = i < 40 ? 0 : i < 300 ? 1 : i < 340 ? 2 : i < 370 ? 3 : i < 400 ? 4 : 5;
    if (kind == 5) { /* the header: magic, version, counts, each given the values that matter */
        static const uint32_t VER[] = {0, 1, 2, 3, 4, 0x03000000u, 0x02000000u, 0x00030000u, 0x00010003u, 0xffffffffu};
        static const uint64_t CNT[] = {0, 1, 2, 4, 6, 7, 100, 0x7fffffffffffffffull, 0x8000000000000000ull,
                                       0xffffffffffffffffull, 53624256028225440ull, 53624256028225441ull,
                                       209622091746699450ull, 209622091746699451ull, 1ull << 32};
        int k = i - 400;
        if (k < 10) {
            uint32_t v = VER[k];
            memcpy(b->p + 4, &v, 4);
            snprintf(desc, dn, "version %u", v);
        } else if (k < 15) {
            static const char *const M[] = {"GGUG", "FUGG", "gguf", "GGU\0", "\0\0\0\0"};
            memcpy(b->p, M[k - 10], 4);
            snprintf(desc, dn, "magic %d", k - 10);
        } else if (k < 30) {
            memcpy(b->p + 8, &CNT[k - 15], 8);
            snprintf(desc, dn, "n_tensors %llu", (unsigned long long)CNT[k - 15]);
        } else if (k < 45) {
            memcpy(b->p + 16, &CNT[k - 30], 8);
            snprintf(desc, dn, "n_kv %llu", (unsigned long long)CNT[k - 30]);
        } else { /* version 2 files (read like 3), cut or whole */
            uint32_t v = 2;
            memcpy(b->p + 4, &v, 4);
            if (k % 2)
                b->n -= (size_t)(gb_rand(&s) % 64);
            snprintf(desc, dn, "version 2, %zu bytes", b->n);
        }
        return;
    }
    if (kind == 0) { /* truncation: at record boundaries and inside them */
        const gb_rec *r = &b->rec[gb_rand(&s) % b->nrec];
        size_t cut = r->at + (i % 2 ? gb_rand(&s) % (r->size ? r->size : 1) : 0);
        if (i == 39)
            cut = b->n - 1;
        snprintf(desc, dn, "truncate at %zu of %zu", cut, b->n);
        b->n = cut;
        return;
    }
    if (kind == 1) { /* one field damaged */
        size_t k;
        do
            k = gb_rand(&s) % b->nrec;
        while (b->rec[k].kind == GB_PAD || b->rec[k].kind == GB_DATA);
        gb_rec *r = &b->rec[k];
        uint64_t orig = 0;
        size_t w = r->size < 8 ? r->size : 8;
        memcpy(&orig, b->p + r->at, w);
        uint64_t v = gb_evil(&s, orig);
        memcpy(b->p + r->at, &v, w);
        snprintf(desc, dn, "field kind %d at %u (%u bytes): %llu -> %llu", r->kind, r->at, r->size,
                 (unsigned long long)orig, (unsigned long long)(w < 8 ? v & ((1ull << (8 * w)) - 1) : v));
        return;
    }
    if (kind == 2) { /* a tensor's type set to each id in turn */
        uint32_t t = (uint32_t)(i - 300) + (i % 2 ? 0 : 3);
        for (size_t k = 0; k < b->nrec; k++)
            if (b->rec[k].kind == GB_TTYPE) {
                memcpy(b->p + b->rec[k].at, &t, 4);
                break;
            }
        snprintf(desc, dn, "first tensor type %u", t);
        return;
    }
    if (kind == 3) { /* general.alignment: in the file as u32 of another value */
        static const uint32_t A[] = {0, 1, 2, 3, 6, 16, 48, 64, 128, 4096, 0x80000000u, 0xffffffffu, 24, 8, 100};
        gb_free(b);
        o.alignment = A[(i - 340) % 15];
        o.llama = false;
        gb_build(b, &o);
        snprintf(desc, dn, "alignment %u", o.alignment);
        return;
    }
    /* kind 4: tensor offsets swapped, shifted, or bytes appended/removed */
    size_t offs[GB_MAXT], n = 0;
    for (size_t k = 0; k < b->nrec; k++)
        if (b->rec[k].kind == GB_TOFF)
            offs[n++] = b->rec[k].at;
    int how = i % 4;
    if (how == 0 && n >= 2) {
        uint64_t x, y;
        memcpy(&x, b->p + offs[1], 8);
        memcpy(&y, b->p + offs[2 % n], 8);
        memcpy(b->p + offs[1], &y, 8);
        memcpy(b->p + offs[2 % n], &x, 8);
        snprintf(desc, dn, "offsets 1 and 2 swapped");
    } else if (how == 1) {
        uint64_t x;
        size_t k = gb_rand(&s) % n;
        memcpy(&x, b->p + offs[k], 8);
        x += (gb_rand(&s) % 2 ? 32 : (uint64_t)-32);
        memcpy(b->p + offs[k], &x, 8);
        snprintf(desc, dn, "offset %zu moved by 32", k);
    } else if (how == 2) {
        size_t extra = 1 + gb_rand(&s) % 100;
        uint8_t z[100] = {0};
        gb_raw(b, z, extra, -1);
        snprintf(desc, dn, "%zu bytes appended", extra);
    } else {
        size_t less = 1 + gb_rand(&s) % 40;
        b->n -= less;
        snprintf(desc, dn, "%zu bytes removed from the end", less);
    }
}

#endif

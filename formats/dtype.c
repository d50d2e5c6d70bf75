/* The dtype table and element decoders (see slm/dtype.h). */
#include "slm/dtype.h"

#include <math.h>
#include <string.h>

static const slm_dtype_info TABLE[] = {
    /* id                 name        safetensors    onnx mlc          bits kind            decodes */
    {SLM_DT_INVALID,      "INVALID",  NULL,           0, NULL,          0, SLM_KIND_FLOAT,   false},
    {SLM_DT_BOOL,         "BOOL",     "BOOL",         9, "bool",        8, SLM_KIND_BOOL,    true},
    {SLM_DT_U8,           "U8",       "U8",           2, "uint8",       8, SLM_KIND_UINT,    true},
    {SLM_DT_I8,           "I8",       "I8",           3, "int8",        8, SLM_KIND_INT,     true},
    {SLM_DT_U16,          "U16",      "U16",          4, "uint16",     16, SLM_KIND_UINT,    true},
    {SLM_DT_I16,          "I16",      "I16",          5, "int16",      16, SLM_KIND_INT,     true},
    {SLM_DT_U32,          "U32",      "U32",         12, "uint32",     32, SLM_KIND_UINT,    true},
    {SLM_DT_I32,          "I32",      "I32",          6, "int32",      32, SLM_KIND_INT,     true},
    {SLM_DT_U64,          "U64",      "U64",         13, "uint64",     64, SLM_KIND_UINT,    true},
    {SLM_DT_I64,          "I64",      "I64",          7, "int64",      64, SLM_KIND_INT,     true},
    {SLM_DT_U4,           "U4",       NULL,          21, "uint4",       4, SLM_KIND_UINT,    true},
    {SLM_DT_I4,           "I4",       NULL,          22, "int4",        4, SLM_KIND_INT,     true},
    {SLM_DT_U2,           "U2",       NULL,          25, NULL,          2, SLM_KIND_UINT,    true},
    {SLM_DT_I2,           "I2",       NULL,          26, NULL,          2, SLM_KIND_INT,     true},
    {SLM_DT_F16,          "F16",      "F16",         10, "float16",    16, SLM_KIND_FLOAT,   true},
    {SLM_DT_BF16,         "BF16",     "BF16",        16, "bfloat16",   16, SLM_KIND_FLOAT,   true},
    {SLM_DT_F32,          "F32",      "F32",          1, "float32",    32, SLM_KIND_FLOAT,   true},
    {SLM_DT_F64,          "F64",      "F64",         11, "float64",    64, SLM_KIND_FLOAT,   true},
    {SLM_DT_F8_E4M3,      "F8_E4M3",  "F8_E4M3",     17, "float8_e4m3fn", 8, SLM_KIND_FLOAT, true},
    {SLM_DT_F8_E4M3FNUZ,  "F8_E4M3FNUZ", "F8_E4M3FNUZ", 18, "float8_e4m3fnuz", 8, SLM_KIND_FLOAT, true},
    {SLM_DT_F8_E5M2,      "F8_E5M2",  "F8_E5M2",     19, "float8_e5m2", 8, SLM_KIND_FLOAT,   true},
    {SLM_DT_F8_E5M2FNUZ,  "F8_E5M2FNUZ", "F8_E5M2FNUZ", 20, "float8_e5m2fnuz", 8, SLM_KIND_FLOAT, true},
    {SLM_DT_F8_E8M0,      "F8_E8M0",  "F8_E8M0",     24, "float8_e8m0fnu", 8, SLM_KIND_FLOAT, true},
    {SLM_DT_F6_E2M3,      "F6_E2M3",  "F6_E2M3",      0, NULL,          6, SLM_KIND_FLOAT,   false},
    {SLM_DT_F6_E3M2,      "F6_E3M2",  "F6_E3M2",      0, NULL,          6, SLM_KIND_FLOAT,   false},
    {SLM_DT_F4,           "F4",       "F4",          23, "float4_e2m1fn", 4, SLM_KIND_FLOAT, true},
    {SLM_DT_C64,          "C64",      "C64",         14, "complex64",  64, SLM_KIND_COMPLEX, false},
    {SLM_DT_C128,         "C128",     NULL,          15, "complex128",128, SLM_KIND_COMPLEX, false},
    {SLM_DT_STRING,       "STRING",   NULL,           8, NULL,          0, SLM_KIND_STRING,  false},
};

_Static_assert(sizeof TABLE / sizeof TABLE[0] == SLM_DT__COUNT, "one table row per slm_dtype");

const slm_dtype_info *slm_dtype_info_of(slm_dtype t)
{
    if ((unsigned)t >= SLM_DT__COUNT)
        t = SLM_DT_INVALID;
    return &TABLE[t];
}

const char *slm_dtype_name(slm_dtype t) { return slm_dtype_info_of(t)->name; }

slm_dtype slm_dtype_from_st(const char *s, size_t n)
{
    for (int i = 1; i < SLM_DT__COUNT; i++)
        if (TABLE[i].st && strlen(TABLE[i].st) == n && memcmp(TABLE[i].st, s, n) == 0)
            return TABLE[i].id;
    return SLM_DT_INVALID;
}

slm_dtype slm_dtype_from_onnx(int64_t code)
{
    for (int i = 1; i < SLM_DT__COUNT; i++)
        if (code != 0 && TABLE[i].onnx == code)
            return TABLE[i].id;
    return SLM_DT_INVALID;
}

slm_dtype slm_dtype_from_mlc(const char *s)
{
    for (int i = 1; i < SLM_DT__COUNT; i++)
        if (TABLE[i].mlc && strcmp(TABLE[i].mlc, s) == 0)
            return TABLE[i].id;
    return SLM_DT_INVALID;
}

slm_dtype slm_dtype_from_name(const char *s)
{
    for (int i = 1; i < SLM_DT__COUNT; i++)
        if (strcmp(TABLE[i].name, s) == 0)
            return TABLE[i].id;
    return SLM_DT_INVALID;
}

bool slm_dtype_nbytes(slm_dtype t, uint64_t nelem, bool exact, uint64_t *nbytes)
{
    uint64_t bits;
    unsigned w = slm_dtype_info_of(t)->bits;
    if (w == 0 || __builtin_mul_overflow(nelem, (uint64_t)w, &bits))
        return false;
    if (bits % 8 != 0 && exact)
        return false;
    *nbytes = bits / 8 + (bits % 8 != 0);
    return true;
}

/* ---- scalar float formats ------------------------------------------------ */

float slm_f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
    float f;
    if (exp == 0x1f) {
        bits = sign | 0x7f800000u | (man << 13);
    } else if (exp == 0) {
        f = ldexpf((float)man, -24); /* zero or subnormal, exact */
        return sign ? -f : f;
    } else {
        bits = sign | ((exp + 112) << 23) | (man << 13);
    }
    memcpy(&f, &bits, 4);
    return f;
}

float slm_bf16_to_f32(uint16_t b)
{
    uint32_t bits = (uint32_t)b << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

uint16_t slm_f32_to_f16(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000, exp = (x >> 23) & 0xff, man = x & 0x7fffff;
    if (exp == 0xff) /* Inf or NaN (NaN keeps a quiet mantissa bit) */
        return (uint16_t)(sign | 0x7c00 | (man ? 0x200 | (man >> 13) : 0));
    int e = (int)exp - 127 + 15;
    if (e >= 0x1f)
        return (uint16_t)(sign | 0x7c00);
    if (e <= 0) { /* subnormal or zero in fp16 */
        if (e < -10)
            return (uint16_t)sign;
        man |= 0x800000;
        unsigned shift = (unsigned)(14 - e);
        uint32_t half = man >> shift, rem = man & ((1u << shift) - 1), mid = 1u << (shift - 1);
        if (rem > mid || (rem == mid && (half & 1)))
            half++;
        return (uint16_t)(sign | half);
    }
    uint32_t half = ((uint32_t)e << 10) | (man >> 13), rem = man & 0x1fff;
    if (rem > 0x1000 || (rem == 0x1000 && (half & 1)))
        half++; /* may carry into the exponent, up to Inf: correct */
    return (uint16_t)(sign | half);
}

/* A small float of 1 sign bit, EB exponent bits and MB mantissa bits with
 * exponent bias BIAS.  STYLE says how the top codes are used. */
enum { MF_IEEE, MF_FN, MF_FNUZ, MF_FINITE };
static double minifloat(uint32_t v, int eb, int mb, int bias, int style)
{
    uint32_t sign = (v >> (eb + mb)) & 1, exp = (v >> mb) & ((1u << eb) - 1), man = v & ((1u << mb) - 1);
    uint32_t emax = (1u << eb) - 1;
    if (style == MF_FNUZ && sign && exp == 0 && man == 0)
        return NAN;
    if (style == MF_IEEE && exp == emax)
        return man ? NAN : (sign ? -INFINITY : INFINITY);
    if (style == MF_FN && exp == emax && man == (1u << mb) - 1)
        return NAN;
    double m = exp ? (double)((1u << mb) | man) : (double)man;
    int e = exp ? (int)exp - bias - mb : 1 - bias - mb;
    double r = ldexp(m, e);
    return sign ? -r : r;
}

static uint32_t subbyte(const uint8_t *d, uint64_t i, unsigned w)
{
    unsigned per = 8 / w;
    return (d[i / per] >> ((i % per) * w)) & ((1u << w) - 1);
}

double slm_dtype_get_f64(slm_dtype t, const uint8_t *d, uint64_t i)
{
    union { uint16_t u16; int16_t i16; uint32_t u32; int32_t i32; uint64_t u64; int64_t i64;
            float f; double g; } u;
    switch (t) {
    case SLM_DT_BOOL: return d[i] != 0;
    case SLM_DT_U8: return d[i];
    case SLM_DT_I8: return (int8_t)d[i];
    case SLM_DT_U16: memcpy(&u.u16, d + 2 * i, 2); return u.u16;
    case SLM_DT_I16: memcpy(&u.i16, d + 2 * i, 2); return u.i16;
    case SLM_DT_U32: memcpy(&u.u32, d + 4 * i, 4); return u.u32;
    case SLM_DT_I32: memcpy(&u.i32, d + 4 * i, 4); return u.i32;
    case SLM_DT_U64: memcpy(&u.u64, d + 8 * i, 8); return (double)u.u64;
    case SLM_DT_I64: memcpy(&u.i64, d + 8 * i, 8); return (double)u.i64;
    case SLM_DT_U4: return subbyte(d, i, 4);
    case SLM_DT_I4: { uint32_t v = subbyte(d, i, 4); return v >= 8 ? (int)v - 16 : (int)v; }
    case SLM_DT_U2: return subbyte(d, i, 2);
    case SLM_DT_I2: { uint32_t v = subbyte(d, i, 2); return v >= 2 ? (int)v - 4 : (int)v; }
    case SLM_DT_F16: memcpy(&u.u16, d + 2 * i, 2); return slm_f16_to_f32(u.u16);
    case SLM_DT_BF16: memcpy(&u.u16, d + 2 * i, 2); return slm_bf16_to_f32(u.u16);
    case SLM_DT_F32: memcpy(&u.f, d + 4 * i, 4); return u.f;
    case SLM_DT_F64: memcpy(&u.g, d + 8 * i, 8); return u.g;
    case SLM_DT_F8_E4M3: return minifloat(d[i], 4, 3, 7, MF_FN);
    case SLM_DT_F8_E4M3FNUZ: return minifloat(d[i], 4, 3, 8, MF_FNUZ);
    case SLM_DT_F8_E5M2: return minifloat(d[i], 5, 2, 15, MF_IEEE);
    case SLM_DT_F8_E5M2FNUZ: return minifloat(d[i], 5, 2, 16, MF_FNUZ);
    case SLM_DT_F8_E8M0: return d[i] == 0xff ? NAN : ldexp(1.0, (int)d[i] - 127);
    case SLM_DT_F4: return minifloat(subbyte(d, i, 4), 2, 1, 1, MF_FINITE);
    default: return NAN;
    }
}

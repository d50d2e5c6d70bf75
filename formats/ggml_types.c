/* The ggml type table (slm/ggml_types.h).  Block sizes and bytes per block
 * as ggml d99724f2 reports them (ggml_blck_size, ggml_type_size). */
#include "slm/ggml_types.h"

#include <stddef.h>
#include <strings.h>

#define PLAIN(id, name, bytes, dt) [id] = {id, name, 1, bytes, dt, false}
#define BLOCK(id, name, block, bytes) [id] = {id, name, block, bytes, SLM_DT_INVALID, false}
#define REMOVED(id, name) [id] = {id, name, 0, 0, SLM_DT_INVALID, true}

static const slm_ggml_type TYPES[SLM_GGML_TYPE_COUNT] = {
    PLAIN(0, "F32", 4, SLM_DT_F32),
    PLAIN(1, "F16", 2, SLM_DT_F16),
    BLOCK(2, "Q4_0", 32, 18),
    BLOCK(3, "Q4_1", 32, 20),
    REMOVED(4, "Q4_2"),
    REMOVED(5, "Q4_3"),
    BLOCK(6, "Q5_0", 32, 22),
    BLOCK(7, "Q5_1", 32, 24),
    BLOCK(8, "Q8_0", 32, 34),
    BLOCK(9, "Q8_1", 32, 36),
    BLOCK(10, "Q2_K", 256, 84),
    BLOCK(11, "Q3_K", 256, 110),
    BLOCK(12, "Q4_K", 256, 144),
    BLOCK(13, "Q5_K", 256, 176),
    BLOCK(14, "Q6_K", 256, 210),
    BLOCK(15, "Q8_K", 256, 292),
    BLOCK(16, "IQ2_XXS", 256, 66),
    BLOCK(17, "IQ2_XS", 256, 74),
    BLOCK(18, "IQ3_XXS", 256, 98),
    BLOCK(19, "IQ1_S", 256, 50),
    BLOCK(20, "IQ4_NL", 32, 18),
    BLOCK(21, "IQ3_S", 256, 110),
    BLOCK(22, "IQ2_S", 256, 82),
    BLOCK(23, "IQ4_XS", 256, 136),
    PLAIN(24, "I8", 1, SLM_DT_I8),
    PLAIN(25, "I16", 2, SLM_DT_I16),
    PLAIN(26, "I32", 4, SLM_DT_I32),
    PLAIN(27, "I64", 8, SLM_DT_I64),
    PLAIN(28, "F64", 8, SLM_DT_F64),
    BLOCK(29, "IQ1_M", 256, 56),
    PLAIN(30, "BF16", 2, SLM_DT_BF16),
    REMOVED(31, "Q4_0_4_4"),
    REMOVED(32, "Q4_0_4_8"),
    REMOVED(33, "Q4_0_8_8"),
    BLOCK(34, "TQ1_0", 256, 54),
    BLOCK(35, "TQ2_0", 256, 66),
    REMOVED(36, "IQ4_NL_4_4"),
    REMOVED(37, "IQ4_NL_4_8"),
    REMOVED(38, "IQ4_NL_8_8"),
    BLOCK(39, "MXFP4", 32, 17),
    BLOCK(40, "NVFP4", 64, 36),
    BLOCK(41, "Q1_0", 128, 18),
    BLOCK(42, "Q2_0", 64, 18),
};

const slm_ggml_type *slm_ggml_type_get(uint32_t id)
{
    return id < SLM_GGML_TYPE_COUNT ? &TYPES[id] : NULL;
}

int slm_ggml_type_find(const char *name)
{
    for (uint32_t i = 0; i < SLM_GGML_TYPE_COUNT; i++)
        if (strcasecmp(TYPES[i].name, name) == 0)
            return (int)i;
    return -1;
}

bool slm_ggml_nbytes(uint32_t id, uint64_t nelem, uint64_t *nbytes)
{
    const slm_ggml_type *t = slm_ggml_type_get(id);
    if (!t || !t->block || nelem % t->block)
        return false;
    return !__builtin_mul_overflow(nelem / t->block, (uint64_t)t->bytes, nbytes);
}

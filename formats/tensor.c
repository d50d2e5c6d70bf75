/* Value statistics and formatting helpers (slm/tensor.h). */
#include "slm/tensor.h"
#include "stats_fast.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

const char *slm_tensor_type_name(const slm_tensor *t)
{
    return t->type_name ? t->type_name : slm_dtype_name(t->dtype);
}

bool slm_tensor_same_type(const slm_tensor *a, const slm_tensor *b)
{
    return a->dtype == b->dtype && strcmp(slm_tensor_type_name(a), slm_tensor_type_name(b)) == 0;
}

bool slm_tensor_same_shape(const slm_tensor *a, const slm_tensor *b)
{
    if (a->ndim != b->ndim)
        return false;
    for (size_t i = 0; i < a->ndim; i++)
        if (a->shape[i] != b->shape[i])
            return false;
    return true;
}

void slm_stats_init(slm_stats *s)
{
    memset(s, 0, sizeof *s);
    s->min = INFINITY;
    s->max = -INFINITY;
}

static inline void add_value(slm_stats *s, double v)
{
    s->n++;
    if (isnan(v)) {
        s->nan++;
        return;
    }
    if (isinf(v)) {
        s->inf++;
        return;
    }
    double a = fabs(v);
    if (v == 0)
        s->zero++;
    else if (a <= 0x1p-25)
        s->f16_under++;
    else if (a >= 65520.0)
        s->f16_over++;
    if (v < s->min)
        s->min = v;
    if (v > s->max)
        s->max = v;
    s->sum += v;
    s->sumsq += v * v;
}

/* Integer elements, typed: the same values (and order) as the decoder's. */
#define ADD_INTS(T, SZ)                                                                                              \
    for (uint64_t i = first; i < first + count; i++) {                                                               \
        T v;                                                                                                         \
        memcpy(&v, data + (SZ) * i, SZ);                                                                             \
        add_value(s, (double)v);                                                                                     \
    }                                                                                                                \
    return

void slm_stats_add(slm_stats *s, slm_dtype t, const uint8_t *data, uint64_t first, uint64_t count)
{
    if (!slm_dtype_info_of(t)->decodes || slm_stats_add_fast(s, t, data, first, count))
        return;
    switch (t) {
    case SLM_DT_U8: ADD_INTS(uint8_t, 1);
    case SLM_DT_I8: ADD_INTS(int8_t, 1);
    case SLM_DT_U16: ADD_INTS(uint16_t, 2);
    case SLM_DT_I16: ADD_INTS(int16_t, 2);
    case SLM_DT_U32: ADD_INTS(uint32_t, 4);
    case SLM_DT_I32: ADD_INTS(int32_t, 4);
    case SLM_DT_U64: ADD_INTS(uint64_t, 8);
    case SLM_DT_I64: ADD_INTS(int64_t, 8);
    default: slm_stats_add_ref(s, t, data, first, count);
    }
}

void slm_stats_add_ref(slm_stats *s, slm_dtype t, const uint8_t *data, uint64_t first, uint64_t count)
{
    if (!slm_dtype_info_of(t)->decodes)
        return;
    switch (t) { /* the common types without the generic decoder's switch */
    case SLM_DT_F16:
        for (uint64_t i = first; i < first + count; i++) {
            uint16_t h;
            memcpy(&h, data + 2 * i, 2);
            add_value(s, slm_f16_to_f32(h));
        }
        return;
    case SLM_DT_BF16:
        for (uint64_t i = first; i < first + count; i++) {
            uint16_t h;
            memcpy(&h, data + 2 * i, 2);
            add_value(s, slm_bf16_to_f32(h));
        }
        return;
    case SLM_DT_F32:
        for (uint64_t i = first; i < first + count; i++) {
            float f;
            memcpy(&f, data + 4 * i, 4);
            add_value(s, f);
        }
        return;
    default:
        for (uint64_t i = first; i < first + count; i++)
            add_value(s, slm_dtype_get_f64(t, data, i));
    }
}

void slm_stats_merge(slm_stats *into, const slm_stats *from)
{
    into->n += from->n;
    into->nan += from->nan;
    into->inf += from->inf;
    into->zero += from->zero;
    into->f16_over += from->f16_over;
    into->f16_under += from->f16_under;
    into->sum += from->sum;
    into->sumsq += from->sumsq;
    if (from->min < into->min)
        into->min = from->min;
    if (from->max > into->max)
        into->max = from->max;
}

const char *slm_fmt_count(char *buf, size_t n, uint64_t v)
{
    static const char *unit[] = {"", " K", " M", " B", " T"};
    double x = (double)v;
    int u = 0;
    while (x >= 1000 && u < 4) {
        x /= 1000;
        u++;
    }
    if (u == 0)
        snprintf(buf, n, "%llu", (unsigned long long)v);
    else
        snprintf(buf, n, "%.2f%s", x, unit[u]);
    return buf;
}

const char *slm_fmt_bytes(char *buf, size_t n, uint64_t v)
{
    static const char *unit[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    double x = (double)v;
    int u = 0;
    while (x >= 1024 && u < 5) {
        x /= 1024;
        u++;
    }
    if (u == 0)
        snprintf(buf, n, "%llu B", (unsigned long long)v);
    else
        snprintf(buf, n, "%.2f %s", x, unit[u]);
    return buf;
}

const char *slm_fmt_shape(char *buf, size_t n, const uint64_t *shape, size_t ndim)
{
    size_t o = 0;
    if (n < 8) {
        if (n)
            buf[0] = 0;
        return buf;
    }
    buf[o++] = '[';
    for (size_t i = 0; i < ndim; i++) {
        int w = snprintf(buf + o, n - o, "%s%llu", i ? ", " : "", (unsigned long long)shape[i]);
        if (w < 0 || (size_t)w >= n - o - 4) {
            snprintf(buf + o, n - o, "...]");
            return buf;
        }
        o += (size_t)w;
    }
    snprintf(buf + o, n - o, "]");
    return buf;
}

/* ONNX TypeProto trees: a copy of what protobuf-c unpacked, and their text.
 *
 *   TypeProto = oneof value { Tensor tensor_type = 1; Sequence sequence_type = 4;
 *               Map map_type = 5; Opaque opaque_type = 7; SparseTensor
 *               sparse_tensor_type = 8; Optional optional_type = 9 }
 *   Tensor, SparseTensor = elem_type (DataType code), shape (TensorShapeProto)
 *   Sequence, Optional   = elem_type (TypeProto)
 *   Map                  = key_type (DataType code), value_type (TypeProto)
 *   Opaque               = domain, name
 *
 * Nesting was bounded by the wire walker before protobuf-c recursed, so the
 * copy's recursion is bounded too. */
#include "onnx_type.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static bool copy_shape(slm_onnx_type *t, const Onnx__TensorShapeProto *sh)
{
    if (!sh)
        return true;
    t->has_shape = true;
    t->ndim = sh->n_dim;
    t->dim = calloc(t->ndim ? t->ndim : 1, sizeof *t->dim);
    t->dim_param = calloc(t->ndim ? t->ndim : 1, sizeof *t->dim_param);
    if (!t->dim || !t->dim_param) {
        t->ndim = 0;
        return false;
    }
    for (size_t i = 0; i < t->ndim; i++) {
        const Onnx__TensorShapeProto__Dimension *dm = sh->dim[i];
        t->dim[i] = dm->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE ? dm->dim_value : -1;
        if (dm->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM && dm->dim_param)
            t->dim_param[i] = strdup(dm->dim_param);
    }
    return true;
}

slm_onnx_type *slm_onnx_type_from_pb(const Onnx__TypeProto *tp)
{
    if (!tp)
        return NULL;
    slm_onnx_type *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    switch (tp->value_case) {
    case ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE:
        t->kind = SLM_ONNX_TYPE_TENSOR;
        t->has_elem_type = tp->tensor_type->has_elem_type;
        t->elem_type = tp->tensor_type->elem_type;
        copy_shape(t, tp->tensor_type->shape);
        break;
    case ONNX__TYPE_PROTO__VALUE_SPARSE_TENSOR_TYPE:
        t->kind = SLM_ONNX_TYPE_SPARSE;
        t->has_elem_type = tp->sparse_tensor_type->has_elem_type;
        t->elem_type = tp->sparse_tensor_type->elem_type;
        copy_shape(t, tp->sparse_tensor_type->shape);
        break;
    case ONNX__TYPE_PROTO__VALUE_SEQUENCE_TYPE:
        t->kind = SLM_ONNX_TYPE_SEQUENCE;
        t->inner = slm_onnx_type_from_pb(tp->sequence_type->elem_type);
        break;
    case ONNX__TYPE_PROTO__VALUE_OPTIONAL_TYPE:
        t->kind = SLM_ONNX_TYPE_OPTIONAL;
        t->inner = slm_onnx_type_from_pb(tp->optional_type->elem_type);
        break;
    case ONNX__TYPE_PROTO__VALUE_MAP_TYPE:
        t->kind = SLM_ONNX_TYPE_MAP;
        t->has_elem_type = tp->map_type->has_key_type;
        t->elem_type = tp->map_type->key_type;
        t->inner = slm_onnx_type_from_pb(tp->map_type->value_type);
        break;
    case ONNX__TYPE_PROTO__VALUE_OPAQUE_TYPE:
        t->kind = SLM_ONNX_TYPE_OPAQUE;
        t->domain = dup_or_null(tp->opaque_type->domain);
        t->name = dup_or_null(tp->opaque_type->name);
        break;
    default:
        t->kind = SLM_ONNX_TYPE_UNSET;
        break;
    }
    return t;
}

void slm_onnx_type_free(slm_onnx_type *t)
{
    if (!t)
        return;
    slm_onnx_type_free(t->inner);
    if (t->dim_param)
        for (size_t i = 0; i < t->ndim; i++)
            free(t->dim_param[i]);
    free(t->dim_param);
    free(t->dim);
    free(t->domain);
    free(t->name);
    free(t);
}

const char *slm_onnx_elem_name(int32_t code)
{
    slm_dtype d = slm_dtype_from_onnx(code);
    return d != SLM_DT_INVALID ? slm_dtype_name(d) : "?";
}

/* ---- what onnxruntime reads ------------------------------------------------ */

static bool ort_knows(bool has, int32_t code)
{
    return has && code >= 1 && code <= SLM_ONNX_ORT_MAX_TYPE_CODE;
}

const char *slm_onnx_type_ort_problem(const slm_onnx_type *t, bool top)
{
    if (!t)
        return top ? NULL : "a nested type is missing";
    switch (t->kind) {
    case SLM_ONNX_TYPE_TENSOR:
    case SLM_ONNX_TYPE_SPARSE:
        return ort_knows(t->has_elem_type, t->elem_type) ? NULL : "an element type onnxruntime does not know";
    case SLM_ONNX_TYPE_MAP:
        if (!ort_knows(t->has_elem_type, t->elem_type))
            return "a map key type onnxruntime does not know";
        return slm_onnx_type_ort_problem(t->inner, false);
    case SLM_ONNX_TYPE_SEQUENCE:
    case SLM_ONNX_TYPE_OPTIONAL:
        return slm_onnx_type_ort_problem(t->inner, false);
    case SLM_ONNX_TYPE_OPAQUE:
        return NULL;
    default:
        return top ? NULL : "a nested type without a value case";
    }
}

/* ---- text ---------------------------------------------------------------- */

typedef struct out {
    char *b;
    size_t cap, len;
} out;

static void put(out *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t room = o->len < o->cap ? o->cap - o->len : 0;
    int n = vsnprintf(room ? o->b + o->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n > 0)
        o->len += (size_t)n;
}

static void put_tensor(out *o, const slm_onnx_type *t)
{
    put(o, "%s", t->has_elem_type ? slm_onnx_elem_name(t->elem_type) : "?");
    if (!t->has_shape)
        return;
    put(o, " [");
    for (size_t i = 0; i < t->ndim; i++) {
        if (t->dim[i] >= 0)
            put(o, "%s%lld", i ? ", " : "", (long long)t->dim[i]);
        else
            put(o, "%s%s", i ? ", " : "", t->dim_param[i] ? t->dim_param[i] : "?");
    }
    put(o, "]");
}

static void put_type(out *o, const slm_onnx_type *t)
{
    if (!t) {
        put(o, "?");
        return;
    }
    switch (t->kind) {
    case SLM_ONNX_TYPE_TENSOR:
        put_tensor(o, t);
        break;
    case SLM_ONNX_TYPE_SPARSE:
        put(o, "sparse(");
        put_tensor(o, t);
        put(o, ")");
        break;
    case SLM_ONNX_TYPE_SEQUENCE:
    case SLM_ONNX_TYPE_OPTIONAL:
        put(o, "%s(", t->kind == SLM_ONNX_TYPE_SEQUENCE ? "seq" : "optional");
        put_type(o, t->inner);
        put(o, ")");
        break;
    case SLM_ONNX_TYPE_MAP:
        put(o, "map(%s, ", t->has_elem_type ? slm_onnx_elem_name(t->elem_type) : "?");
        put_type(o, t->inner);
        put(o, ")");
        break;
    case SLM_ONNX_TYPE_OPAQUE:
        put(o, "opaque(%s%s%s)", t->domain ? t->domain : "", t->domain && t->domain[0] ? "." : "",
            t->name ? t->name : "");
        break;
    default:
        put(o, "(no value case)");
        break;
    }
}

size_t slm_onnx_type_str(char *buf, size_t cap, const slm_onnx_type *type)
{
    out o = {buf, cap, 0};
    if (cap)
        buf[0] = '\0';
    if (!type)
        put(&o, "(no type)");
    else
        put_type(&o, type);
    return o.len;
}

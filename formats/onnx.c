/* ONNX models: the wire walker (slm/onnx.h).
 *
 * protobuf wire format, as protobuf's own parser reads it:
 *   message = field*
 *   field   = tag:varint (field_number << 3 | wire_type) value
 *   value   = varint (wt 0) | 8 bytes (wt 1) | len:varint bytes (wt 2)
 *           | fields up to the matching end-group tag (wt 3) | 4 bytes (wt 5)
 * A tag is at most 32 bits with a field number >= 1; wire types 4 (outside a
 * group), 6 and 7 are errors.  A known field written with another wire type
 * is kept as an unknown field, as protobuf does; packed and unpacked repeated
 * scalars are both accepted.  A closed enum holding an unknown value leaves
 * the field unset.  Scalars: the last occurrence wins; an optional message
 * field that occurs twice is merged (we walk both into one struct).
 *
 * The walker reads the file's map in place: string fields (names) are copied
 * because they are short, payloads (raw_data, packed float_data) are recorded
 * as offsets.  protobuf-c unpacks ValueInfoProto (after a bounded depth check
 * of its TypeProto), OperatorSetIdProto and StringStringEntryProto. */
#include "slm/onnx.h"
#include "slm/pointer.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "onnx.pb-c.h"
#include "onnx_type.h"

enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2, WT_SGROUP = 3, WT_EGROUP = 4, WT_I32 = 5 };

typedef struct ctx {
    slm_onnx *o;
    slm_diag *d;
    const uint8_t *b; /* the whole file */
    bool failed;      /* a wire error was reported: stop */
} ctx;

typedef struct field {
    uint32_t num;
    int wt;
    uint64_t v;        /* varint, fixed32 or fixed64 value */
    uint64_t off, len; /* WT_LEN: the payload, in file offsets */
    uint64_t at;       /* the tag's offset */
} field;

static void wire_error(ctx *c, uint64_t off, const char *what)
{
    if (!c->failed && c->d)
        slm_report(c->d, SLM_R_ONNX_001, c->o->file, (int64_t)off, NULL,
                   "protobuf parsing fails here: %s (onnx.load and onnxruntime reject the file)", what);
    c->failed = true;
}

static bool varint(ctx *c, uint64_t *pos, uint64_t end, uint64_t *v)
{
    uint64_t r = 0;
    for (unsigned i = 0; i < 10; i++) {
        if (*pos >= end) {
            wire_error(c, *pos, "varint runs past the end of its message");
            return false;
        }
        uint8_t byte = c->b[(*pos)++];
        if (i == 9 && byte > 1) {
            wire_error(c, *pos - 1, "varint longer than 64 bits");
            return false;
        }
        r |= (uint64_t)(byte & 0x7f) << (7 * i);
        if (!(byte & 0x80)) {
            *v = r;
            return true;
        }
    }
    wire_error(c, *pos, "varint longer than 10 bytes");
    return false;
}

static bool skip_group(ctx *c, uint64_t *pos, uint64_t end, uint32_t num, int depth);

/* Reads the next field of the message that ends at END.  1: a field, 0: the
 * end, -1: a wire error (reported). */
static int next_field(ctx *c, uint64_t *pos, uint64_t end, field *f, int depth)
{
    for (;;) {
        if (c->failed)
            return -1;
        if (*pos >= end)
            return 0;
        f->at = *pos;
        uint64_t tag;
        if (!varint(c, pos, end, &tag))
            return -1;
        if (tag > UINT32_MAX) {
            wire_error(c, f->at, "tag wider than 32 bits");
            return -1;
        }
        f->num = (uint32_t)(tag >> 3);
        f->wt = (int)(tag & 7);
        if (f->num == 0) {
            wire_error(c, f->at, "field number 0");
            return -1;
        }
        switch (f->wt) {
        case WT_VARINT:
            if (!varint(c, pos, end, &f->v))
                return -1;
            return 1;
        case WT_I64:
        case WT_I32: {
            unsigned n = f->wt == WT_I64 ? 8 : 4;
            if (end - *pos < n) {
                wire_error(c, *pos, "fixed-width value runs past the end of its message");
                return -1;
            }
            uint64_t v = 0;
            for (unsigned i = 0; i < n; i++)
                v |= (uint64_t)c->b[*pos + i] << (8 * i);
            *pos += n;
            f->v = v;
            return 1;
        }
        case WT_LEN: {
            uint64_t n;
            if (!varint(c, pos, end, &n))
                return -1;
            if (n > INT32_MAX || n > end - *pos) {
                wire_error(c, *pos, n > INT32_MAX ? "length above 2^31-1" : "length runs past the end of its message");
                return -1;
            }
            f->off = *pos;
            f->len = n;
            *pos += n;
            return 1;
        }
        case WT_SGROUP:
            /* Groups are not in the ONNX schema: skipped as unknown fields. */
            if (!skip_group(c, pos, end, f->num, depth + 1))
                return -1;
            continue;
        default:
            wire_error(c, f->at, f->wt == WT_EGROUP ? "end-group tag outside a group" : "invalid wire type 6 or 7");
            return -1;
        }
    }
}

static bool depth_ok(ctx *c, uint64_t at, int depth)
{
    if (depth <= SLM_ONNX_MAX_DEPTH)
        return true;
    if (!c->failed)
        slm_report(c->d, SLM_R_ONNX_002, c->o->file, (int64_t)at, NULL,
                   "messages nest %d levels deep here; protobuf stops at %d", depth, SLM_ONNX_MAX_DEPTH);
    c->failed = true;
    return false;
}

static bool skip_group(ctx *c, uint64_t *pos, uint64_t end, uint32_t num, int depth)
{
    if (!depth_ok(c, *pos, depth))
        return false;
    for (;;) {
        if (*pos >= end) {
            wire_error(c, *pos, "group without its end tag");
            return false;
        }
        uint64_t at = *pos, tag, v;
        if (!varint(c, pos, end, &tag))
            return false;
        if (tag > UINT32_MAX || (tag >> 3) == 0) {
            wire_error(c, at, "invalid tag in a group");
            return false;
        }
        switch (tag & 7) {
        case WT_VARINT:
            if (!varint(c, pos, end, &v))
                return false;
            break;
        case WT_I64:
        case WT_I32: {
            unsigned n = (tag & 7) == WT_I64 ? 8 : 4;
            if (end - *pos < n) {
                wire_error(c, *pos, "fixed-width value runs past the end of its group");
                return false;
            }
            *pos += n;
            break;
        }
        case WT_LEN:
            if (!varint(c, pos, end, &v))
                return false;
            if (v > end - *pos) {
                wire_error(c, *pos, "length runs past the end of its group");
                return false;
            }
            *pos += v;
            break;
        case WT_SGROUP:
            if (!skip_group(c, pos, end, (uint32_t)(tag >> 3), depth + 1))
                return false;
            break;
        case WT_EGROUP:
            if ((tag >> 3) != num) {
                wire_error(c, at, "end-group tag does not match its group");
                return false;
            }
            return true;
        default:
            wire_error(c, at, "invalid wire type 6 or 7");
            return false;
        }
    }
}

/* ---- small helpers ------------------------------------------------------- */

static char *str_of(ctx *c, const field *f)
{
    return slm_strndup((const char *)c->b + f->off, (size_t)f->len);
}

static void set_str(ctx *c, char **dst, const field *f)
{
    free(*dst);
    *dst = str_of(c, f);
}

/* Grows *V (of *N elements of SZ bytes) by one zeroed element; NULL on failure. */
static void *grow(void **v, size_t *n, size_t sz)
{
    if ((*n & (*n - 1)) == 0 || *n == 0) { /* capacity: powers of two */
        size_t cap = *n ? *n * 2 : 4;
        void *nv = realloc(*v, cap * sz);
        if (!nv)
            return NULL;
        *v = nv;
    }
    void *e = (char *)*v + *n * sz;
    memset(e, 0, sz);
    (*n)++;
    return e;
}
#define GROW(arr, n) ((__typeof__(&(arr)[0]))grow((void **)&(arr), &(n), sizeof *(arr)))

static bool push_str(ctx *c, char ***v, size_t *n, const field *f)
{
    char **e = grow((void **)v, n, sizeof **v);
    if (!e)
        return false;
    *e = str_of(c, f);
    return *e != NULL;
}

/* Counts the elements of a repeated scalar field occurrence: packed (LEN) or
 * one element.  ELEM is 0 for varints, else the fixed width.  False (and a
 * wire error) when a packed run is malformed. */
static bool count_scalars(ctx *c, const field *f, unsigned elem, int scalar_wt, uint64_t *count, bool *known)
{
    *known = true;
    if (f->wt == scalar_wt) {
        (*count)++;
        return true;
    }
    if (f->wt != WT_LEN) {
        *known = false; /* another wire type: an unknown field */
        return true;
    }
    if (elem) {
        if (f->len % elem) {
            wire_error(c, f->off, "packed fixed-width field whose length is not a multiple of its element size");
            return false;
        }
        *count += f->len / elem;
        return true;
    }
    uint64_t p = f->off, end = f->off + f->len, v;
    while (p < end) {
        if (!varint(c, &p, end, &v))
            return false;
        (*count)++;
    }
    return true;
}

/* Appends the int64 values of a repeated int64 field occurrence to *V. */
static bool read_int64s(ctx *c, const field *f, int64_t **v, size_t *n, bool *known)
{
    *known = true;
    if (f->wt == WT_VARINT) {
        int64_t *e = GROW(*v, *n);
        if (!e)
            return false;
        *e = (int64_t)f->v;
        return true;
    }
    if (f->wt != WT_LEN) {
        *known = false;
        return true;
    }
    uint64_t p = f->off, end = f->off + f->len, x;
    while (p < end) {
        if (!varint(c, &p, end, &x))
            return false;
        int64_t *e = GROW(*v, *n);
        if (!e)
            return false;
        *e = (int64_t)x;
    }
    return true;
}

/* ---- TypeProto depth, before protobuf-c (which does not bound recursion) - */

static bool type_depth(ctx *c, uint64_t off, uint64_t len, int depth);

/* Sequence/Optional (elem_type = 1) and Map (value_type = 2) hold a TypeProto. */
static bool container_depth(ctx *c, uint64_t off, uint64_t len, uint32_t inner, int depth)
{
    if (!depth_ok(c, off, depth))
        return false;
    uint64_t pos = off;
    field f;
    int r;
    while ((r = next_field(c, &pos, off + len, &f, depth)) == 1)
        if (f.num == inner && f.wt == WT_LEN && !type_depth(c, f.off, f.len, depth + 1))
            return false;
    return r == 0;
}

static bool type_depth(ctx *c, uint64_t off, uint64_t len, int depth)
{
    if (!depth_ok(c, off, depth))
        return false;
    uint64_t pos = off;
    field f;
    int r;
    while ((r = next_field(c, &pos, off + len, &f, depth)) == 1) {
        if (f.wt != WT_LEN)
            continue;
        if ((f.num == 4 || f.num == 9) && !container_depth(c, f.off, f.len, 1, depth + 1))
            return false;
        if (f.num == 5 && !container_depth(c, f.off, f.len, 2, depth + 1))
            return false;
    }
    return r == 0;
}

/* ---- messages ------------------------------------------------------------ */

static bool parse_graph(ctx *c, slm_onnx_graph *g, uint64_t off, uint64_t len, int depth);

static void parse_entry(ctx *c, const field *f, char **key, char **val)
{
    Onnx__StringStringEntryProto *e =
        onnx__string_string_entry_proto__unpack(NULL, (size_t)f->len, c->b + f->off);
    if (!e) {
        wire_error(c, f->off, "malformed StringStringEntryProto");
        return;
    }
    *key = e->key ? strdup(e->key) : NULL;
    *val = e->value ? strdup(e->value) : NULL;
    onnx__string_string_entry_proto__free_unpacked(e, NULL);
}

static bool parse_u64_dec(const char *s, uint64_t *v)
{
    /* The loaders read offset and length with int(...) / std::stoll:
     * digits only here (ONNX-067 reports anything else). */
    if (!s || !*s)
        return false;
    uint64_t r = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9' || !slm_mul_u64(r, 10, &r) || !slm_add_u64(r, (uint64_t)(*p - '0'), &r))
            return false;
    }
    *v = r;
    return true;
}

static bool parse_tensor(ctx *c, slm_onnx_tensor *t, uint64_t off, uint64_t len, int depth)
{
    if (!depth_ok(c, off, depth))
        return false;
    t->off = off;
    t->len = len;
    t->ext_index = -1;
    uint64_t pos = off, float_off = 0, float_len = 0;
    int float_runs = 0;
    field f;
    int r;
    bool known;
    while ((r = next_field(c, &pos, off + len, &f, depth)) == 1) {
        switch (f.num) {
        case 1:
            if (!read_int64s(c, &f, &t->dims, &t->ndim, &known))
                return false;
            break;
        case 2:
            if (f.wt == WT_VARINT)
                t->data_type = (int32_t)(uint32_t)f.v;
            break;
        case 3:
            if (f.wt == WT_LEN)
                t->has_segment = true;
            break;
        case 4: case 5: case 7: case 10: case 11: {
            unsigned elem = f.num == 4 ? 4 : f.num == 10 ? 8 : 0;
            int swt = f.num == 4 ? WT_I32 : f.num == 10 ? WT_I64 : WT_VARINT;
            uint64_t before = t->typed_count;
            if (!count_scalars(c, &f, elem, swt, &t->typed_count, &known))
                return false;
            if (known && t->typed_count > before)
                t->fields |= 1u << f.num;
            if (known && f.num == 4) {
                float_runs++;
                float_off = f.wt == WT_LEN ? f.off : f.at;
                float_len = f.wt == WT_LEN ? f.len : 0;
            }
            break;
        }
        case 6:
            if (f.wt == WT_LEN) {
                t->fields |= 1u << 6;
                t->typed_count++;
            }
            break;
        case 8:
            if (f.wt == WT_LEN)
                set_str(c, &t->name, &f);
            break;
        case 9:
            if (f.wt == WT_LEN) {
                t->raw_off = f.off;
                t->raw_len = f.len;
                if (f.len)
                    t->fields |= 1u << 9;
                else
                    t->fields &= ~(1u << 9);
            }
            break;
        case 13:
            if (f.wt == WT_LEN) {
                char *k = NULL, *v = NULL;
                parse_entry(c, &f, &k, &v);
                if (c->failed) {
                    free(k);
                    free(v);
                    return false;
                }
                if (k && v && strcmp(k, "location") == 0) {
                    free(t->location);
                    t->location = v;
                    v = NULL;
                } else if (k && v && strcmp(k, "checksum") == 0) {
                    free(t->checksum);
                    t->checksum = v;
                    v = NULL;
                } else if (k && v && (strcmp(k, "offset") == 0 || strcmp(k, "length") == 0)) {
                    bool isoff = k[0] == 'o';
                    uint64_t x;
                    if (parse_u64_dec(v, &x)) {
                        *(isoff ? &t->ext_offset : &t->ext_length) = x;
                        *(isoff ? &t->has_offset : &t->has_length) = true;
                    } else
                        t->ext_bad_int = true;
                } else
                    t->n_ext_unknown++;
                free(k);
                free(v);
            }
            break;
        case 14:
            if (f.wt == WT_VARINT && f.v <= 1)
                t->data_location = (int)f.v; /* closed enum: others leave it unset */
            break;
        default:
            break;
        }
    }
    if (r < 0)
        return false;
    t->dtype = slm_dtype_from_onnx(t->data_type);
    free(t->shape); /* a message field that repeats merges into the same tensor */
    t->shape = calloc(t->ndim ? t->ndim : 1, sizeof *t->shape);
    if (!t->shape)
        return false;
    t->dims_ok = true;
    uint64_t n = 1;
    for (size_t i = 0; i < t->ndim; i++) {
        if (t->dims[i] < 0)
            t->dims_ok = false;
        else
            t->shape[i] = (uint64_t)t->dims[i];
        if (t->dims_ok && (!slm_mul_u64(n, t->shape[i], &n) || n > INT64_MAX))
            t->dims_ok = false;
    }
    t->nelem = t->dims_ok ? n : 0;
    if (!t->dims_ok || t->dtype == SLM_DT_INVALID || !slm_dtype_nbytes(t->dtype, t->nelem, false, &t->nbytes))
        t->nbytes = 0;
    if (t->dtype == SLM_DT_STRING)
        t->nbytes = 0;
    /* Where the bytes lie when embedded: raw_data, or one packed run of float_data. */
    if (t->data_location != 1) {
        if (t->fields == 1u << 9 && t->raw_len == t->nbytes) {
            t->data = c->b + t->raw_off;
            t->data_off = t->raw_off;
        } else if (t->fields == 1u << 4 && float_runs == 1 && float_len && t->dtype == SLM_DT_F32 &&
                   float_len == t->nbytes) {
            t->data = c->b + float_off;
            t->data_off = float_off;
        }
        if (t->data)
            t->file = c->o->file;
    }
    return true;
}

static bool parse_sparse(ctx *c, slm_onnx_sparse *s, uint64_t off, uint64_t len, int depth)
{
    if (!depth_ok(c, off, depth))
        return false;
    s->off = off;
    s->len = len;
    uint64_t pos = off;
    field f;
    int r;
    bool known;
    while ((r = next_field(c, &pos, off + len, &f, depth)) == 1) {
        if (f.num == 1 && f.wt == WT_LEN) {
            s->has_values = true;
            if (!parse_tensor(c, &s->values, f.off, f.len, depth + 1))
                return false;
        } else if (f.num == 2 && f.wt == WT_LEN) {
            s->has_indices = true;
            if (!parse_tensor(c, &s->indices, f.off, f.len, depth + 1))
                return false;
        } else if (f.num == 3 && !read_int64s(c, &f, &s->dims, &s->ndim, &known))
            return false;
    }
    return r == 0;
}

static bool parse_attr(ctx *c, slm_onnx_attr *a, uint64_t off, uint64_t len, int depth)
{
    if (!depth_ok(c, off, depth))
        return false;
    a->off = off;
    uint64_t pos = off;
    field f;
    int r;
    bool known;
    while ((r = next_field(c, &pos, off + len, &f, depth)) == 1) {
        uint32_t bit = f.num < 32 ? 1u << f.num : 0;
        switch (f.num) {
        case 1:
            if (f.wt == WT_LEN)
                set_str(c, &a->name, &f);
            break;
        case 2:
            if (f.wt == WT_I32) {
                uint32_t u = (uint32_t)f.v;
                memcpy(&a->f, &u, 4);
                a->fields |= bit;
            }
            break;
        case 3:
            if (f.wt == WT_VARINT) {
                a->i = (int64_t)f.v;
                a->fields |= bit;
            }
            break;
        case 4:
            if (f.wt == WT_LEN) {
                set_str(c, &a->s, &f);
                a->fields |= bit;
            }
            break;
        case 5:
        case 10:
            if (f.wt == WT_LEN) {
                slm_onnx_tensor *t = GROW(a->t, a->nt);
                if (!t || !parse_tensor(c, t, f.off, f.len, depth + 1))
                    return false;
                a->fields |= bit;
                if (f.num == 10)
                    a->ntensors++;
            }
            break;
        case 6:
        case 11:
            if (f.wt == WT_LEN) {
                slm_onnx_graph **gp = GROW(a->g, a->ng);
                if (!gp || !(*gp = calloc(1, sizeof **gp)) ||
                    !parse_graph(c, *gp, f.off, f.len, depth + 1))
                    return false;
                a->fields |= bit;
                if (f.num == 11)
                    a->ngraphs++;
            }
            break;
        case 7: {
            uint64_t n = 0;
            if (!count_scalars(c, &f, 4, WT_I32, &n, &known))
                return false;
            a->nfloats += (size_t)n;
            if (n)
                a->fields |= bit;
            break;
        }
        case 8:
            if (!read_int64s(c, &f, &a->ints, &a->nints, &known))
                return false;
            if (a->nints)
                a->fields |= bit;
            break;
        case 9:
            if (f.wt == WT_LEN) {
                a->nstrings++;
                a->fields |= bit;
            }
            break;
        case 14:
        case 15:
            if (f.wt == WT_LEN) {
                if (!type_depth(c, f.off, f.len, depth + 1))
                    return false;
                a->fields |= bit;
                if (f.num == 15)
                    a->ntypes++;
            }
            break;
        case 20:
            if (f.wt == WT_VARINT && f.v <= 14) { /* closed enum */
                a->type = (int)f.v;
                a->fields |= 1u << 20;
            }
            break;
        case 21:
            if (f.wt == WT_LEN) {
                a->has_ref = true;
                a->ref_nonempty = f.len > 0;
            }
            break;
        case 22:
        case 23:
            if (f.wt == WT_LEN) {
                slm_onnx_sparse s = {0};
                bool ok = parse_sparse(c, &s, f.off, f.len, depth + 1);
                free(s.dims);
                free(s.values.name); free(s.values.dims); free(s.values.shape);
                free(s.values.location); free(s.values.checksum);
                free(s.indices.name); free(s.indices.dims); free(s.indices.shape);
                free(s.indices.location); free(s.indices.checksum);
                if (!ok)
                    return false;
                a->fields |= bit;
                if (f.num == 23)
                    a->nsparse++;
            }
            break;
        default:
            break;
        }
    }
    return r == 0;
}

static bool parse_node(ctx *c, slm_onnx_node *n, uint64_t off, uint64_t len, int depth)
{
    if (!depth_ok(c, off, depth))
        return false;
    n->off = off;
    uint64_t pos = off;
    field f;
    int r;
    while ((r = next_field(c, &pos, off + len, &f, depth)) == 1) {
        if (f.wt != WT_LEN)
            continue;
        switch (f.num) {
        case 1:
            if (!push_str(c, &n->in, &n->nin, &f))
                return false;
            break;
        case 2:
            if (!push_str(c, &n->out, &n->nout, &f))
                return false;
            break;
        case 3:
            set_str(c, &n->name, &f);
            break;
        case 4:
            set_str(c, &n->op_type, &f);
            break;
        case 5: {
            slm_onnx_attr *a = GROW(n->a, n->na);
            if (!a || !parse_attr(c, a, f.off, f.len, depth + 1))
                return false;
            break;
        }
        case 7:
            set_str(c, &n->domain, &f);
            break;
        default:
            break;
        }
    }
    return r == 0;
}

static bool parse_value(ctx *c, slm_onnx_value *v, uint64_t off, uint64_t len, int depth)
{
    if (!depth_ok(c, off, depth))
        return false;
    v->off = off;
    /* Bound the TypeProto's nesting before protobuf-c recurses into it. */
    uint64_t pos = off;
    field f;
    int r;
    while ((r = next_field(c, &pos, off + len, &f, depth)) == 1)
        if (f.num == 2 && f.wt == WT_LEN && !type_depth(c, f.off, f.len, depth + 1))
            return false;
    if (r < 0)
        return false;
    Onnx__ValueInfoProto *p = onnx__value_info_proto__unpack(NULL, (size_t)len, c->b + off);
    if (!p) {
        wire_error(c, off, "malformed ValueInfoProto");
        return false;
    }
    v->name = p->name ? strdup(p->name) : NULL;
    v->type = slm_onnx_type_from_pb(p->type);
    if (v->type && v->type->kind == SLM_ONNX_TYPE_TENSOR) {
        const slm_onnx_type *t = v->type;
        v->is_tensor = true;
        v->elem_type = t->has_elem_type ? t->elem_type : 0;
        v->has_shape = t->has_shape;
        if (t->has_shape) {
            v->dim = calloc(t->ndim ? t->ndim : 1, sizeof *v->dim);
            v->dim_param = calloc(t->ndim ? t->ndim : 1, sizeof *v->dim_param);
            for (size_t i = 0; v->dim && v->dim_param && i < t->ndim; i++) {
                v->dim[i] = t->dim[i];
                v->dim_param[i] = t->dim_param[i] ? strdup(t->dim_param[i]) : NULL;
            }
            v->ndim = v->dim && v->dim_param ? t->ndim : 0;
        }
    }
    onnx__value_info_proto__free_unpacked(p, NULL);
    return true;
}

static bool parse_graph(ctx *c, slm_onnx_graph *g, uint64_t off, uint64_t len, int depth)
{
    if (!depth_ok(c, off, depth))
        return false;
    if (!g->off)
        g->off = off;
    g->depth = depth;
    uint64_t pos = off;
    field f;
    int r;
    while ((r = next_field(c, &pos, off + len, &f, depth)) == 1) {
        if (f.wt != WT_LEN)
            continue;
        switch (f.num) {
        case 1: {
            slm_onnx_node *n = GROW(g->node, g->nnode);
            if (!n || !parse_node(c, n, f.off, f.len, depth + 1))
                return false;
            break;
        }
        case 2:
            set_str(c, &g->name, &f);
            break;
        case 5: {
            slm_onnx_tensor *t = GROW(g->init, g->ninit);
            if (!t || !parse_tensor(c, t, f.off, f.len, depth + 1))
                return false;
            break;
        }
        case 11:
        case 12:
        case 13: {
            slm_onnx_value **v = f.num == 11 ? &g->in : f.num == 12 ? &g->out : &g->vi;
            size_t *n = f.num == 11 ? &g->nin : f.num == 12 ? &g->nout : &g->nvi;
            slm_onnx_value *e = grow((void **)v, n, sizeof **v);
            if (!e || !parse_value(c, e, f.off, f.len, depth + 1))
                return false;
            break;
        }
        case 15: {
            slm_onnx_sparse *s = GROW(g->sparse, g->nsparse);
            if (!s || !parse_sparse(c, s, f.off, f.len, depth + 1))
                return false;
            break;
        }
        default:
            break;
        }
    }
    return r == 0;
}

static bool parse_opset(ctx *c, slm_onnx_opset **v, size_t *n, const field *f)
{
    Onnx__OperatorSetIdProto *p = onnx__operator_set_id_proto__unpack(NULL, (size_t)f->len, c->b + f->off);
    if (!p) {
        wire_error(c, f->off, "malformed OperatorSetIdProto");
        return false;
    }
    slm_onnx_opset *e = grow((void **)v, n, sizeof **v);
    if (e) {
        e->domain = strdup(p->domain ? p->domain : "");
        e->version = p->has_version ? p->version : 0;
        e->off = f->off;
    }
    onnx__operator_set_id_proto__free_unpacked(p, NULL);
    return e != NULL;
}

static bool parse_function(ctx *c, slm_onnx_function *fn, uint64_t off, uint64_t len, int depth)
{
    if (!depth_ok(c, off, depth))
        return false;
    fn->off = off;
    uint64_t pos = off;
    field f;
    int r;
    while ((r = next_field(c, &pos, off + len, &f, depth)) == 1) {
        if (f.wt != WT_LEN)
            continue;
        switch (f.num) {
        case 1: set_str(c, &fn->name, &f); break;
        case 4: if (!push_str(c, &fn->in, &fn->nin, &f)) return false; break;
        case 5: if (!push_str(c, &fn->out, &fn->nout, &f)) return false; break;
        case 6: if (!push_str(c, &fn->attr, &fn->nattr, &f)) return false; break;
        case 7: {
            slm_onnx_node *n = GROW(fn->node, fn->nnode);
            if (!n || !parse_node(c, n, f.off, f.len, depth + 1))
                return false;
            break;
        }
        case 9: if (!parse_opset(c, &fn->opset, &fn->nopset, &f)) return false; break;
        case 12: {
            slm_onnx_value *e = grow((void **)&fn->vi, &fn->nvi, sizeof *fn->vi);
            if (!e || !parse_value(c, e, f.off, f.len, depth + 1))
                return false;
            break;
        }
        case 10: set_str(c, &fn->domain, &f); break;
        case 13: set_str(c, &fn->overload, &f); break;
        default: break;
        }
    }
    return r == 0;
}

static void parse_model(ctx *c)
{
    slm_onnx *o = c->o;
    uint64_t pos = 0;
    field f;
    int r;
    while ((r = next_field(c, &pos, o->size, &f, 0)) == 1) {
        switch (f.num) {
        case 1:
            if (f.wt == WT_VARINT) {
                o->has_ir = true;
                o->ir_version = (int64_t)f.v;
            }
            break;
        case 2: if (f.wt == WT_LEN) set_str(c, &o->producer_name, &f); break;
        case 3: if (f.wt == WT_LEN) set_str(c, &o->producer_version, &f); break;
        case 4: if (f.wt == WT_LEN) set_str(c, &o->domain, &f); break;
        case 5: if (f.wt == WT_VARINT) o->model_version = (int64_t)f.v; break;
        case 7:
            if (f.wt == WT_LEN) {
                o->has_graph = true;
                if (!parse_graph(c, &o->graph, f.off, f.len, 1))
                    return;
            }
            break;
        case 8:
            if (f.wt == WT_LEN && !parse_opset(c, &o->opset, &o->nopset, &f))
                return;
            break;
        case 14:
            if (f.wt == WT_LEN) {
                char *k = NULL, *v = NULL;
                parse_entry(c, &f, &k, &v);
                char **nk = realloc(o->meta_key, (o->nmeta + 1) * sizeof *nk);
                if (nk)
                    o->meta_key = nk;
                char **nv = realloc(o->meta_val, (o->nmeta + 1) * sizeof *nv);
                if (nv)
                    o->meta_val = nv;
                if (!nk || !nv) {
                    free(k);
                    free(v);
                    return;
                }
                o->meta_key[o->nmeta] = k ? k : strdup("");
                o->meta_val[o->nmeta++] = v ? v : strdup("");
            }
            break;
        case 25:
            if (f.wt == WT_LEN) {
                slm_onnx_function *fn = GROW(o->func, o->nfunc);
                if (!fn || !parse_function(c, fn, f.off, f.len, 1))
                    return;
            }
            break;
        default:
            break;
        }
    }
    if (r == 0 && !c->failed)
        o->wire_ok = true;
}

/* ---- external data ------------------------------------------------------- */

/* Does LOCATION stay inside DIR?  Absolute paths and '..' components do not;
 * a path that exists must also resolve (symlinks followed) inside DIR. */
static bool location_escapes(const char *dir, const char *location, const char *path)
{
    if (!location[0] || location[0] == '/')
        return true;
    for (const char *p = location; *p;) {
        const char *s = strchr(p, '/');
        size_t n = s ? (size_t)(s - p) : strlen(p);
        if (n == 2 && p[0] == '.' && p[1] == '.')
            return true;
        if (!s)
            break;
        p = s + 1;
    }
    char *rd = realpath(dir, NULL), *rp = realpath(path, NULL);
    bool esc = false;
    if (rd && rp) {
        size_t n = strlen(rd);
        esc = !(strncmp(rp, rd, n) == 0 && (rp[n] == '/' || (n == 1 && rd[0] == '/')));
    }
    free(rd);
    free(rp);
    return esc;
}

static int ext_open(slm_onnx *o, const char *location)
{
    for (size_t i = 0; i < o->next; i++)
        if (strcmp(o->ext[i].location, location) == 0)
            return (int)i;
    slm_onnx_ext *e = GROW(o->ext, o->next);
    if (!e)
        return -1;
    e->location = strdup(location);
    e->path = slm_strdupf("%s/%s", o->dir, location);
    if (!e->location || !e->path) {
        e->err = ENOMEM;
        return (int)(o->next - 1);
    }
    e->escapes = location_escapes(o->dir, location, e->path);
    if (e->escapes)
        e->err = EPERM; /* never opened */
    else {
        struct stat st;
        if (stat(e->path, &st) != 0)
            e->err = errno;
        else if (!S_ISREG(st.st_mode))
            e->err = EISDIR;
        else
            e->err = slm_map_open(&e->map, e->path);
    }
    return (int)(o->next - 1);
}

static void resolve_tensor(slm_onnx *o, slm_onnx_tensor *t)
{
    if (t->data_location != 1 || !t->location || !o->dir)
        return;
    t->ext_index = ext_open(o, t->location);
    if (t->ext_index < 0)
        return;
    const slm_onnx_ext *e = &o->ext[t->ext_index];
    uint64_t off = t->has_offset ? t->ext_offset : 0, end;
    uint64_t len = t->has_length ? t->ext_length : (off <= e->map.size ? e->map.size - off : 0);
    if (e->err || t->ext_bad_int || !slm_add_u64(off, len, &end) || end > e->map.size || len != t->nbytes ||
        !t->dims_ok)
        return;
    t->data = e->map.data ? e->map.data + off : NULL;
    t->file = e->path;
    t->data_off = off;
}

static void resolve_graph(slm_onnx *o, slm_onnx_graph *g)
{
    for (size_t i = 0; i < g->ninit; i++) {
        resolve_tensor(o, &g->init[i]);
        if (g->init[i].data_location == 1)
            o->external_bytes += g->init[i].nbytes;
        else
            o->embedded_bytes += g->init[i].fields & (1u << 9) ? g->init[i].raw_len : g->init[i].nbytes;
    }
    for (size_t i = 0; i < g->nnode; i++)
        for (size_t k = 0; k < g->node[i].na; k++) {
            slm_onnx_attr *a = &g->node[i].a[k];
            for (size_t j = 0; j < a->nt; j++)
                resolve_tensor(o, &a->t[j]);
            for (size_t j = 0; j < a->ng; j++)
                resolve_graph(o, a->g[j]);
        }
}

/* ---- entry points -------------------------------------------------------- */

void slm_onnx_parse(slm_onnx *o, const uint8_t *data, uint64_t size, const char *display, const char *dir,
                    slm_diag *d)
{
    o->data = data;
    o->size = size;
    if (!o->file)
        o->file = strdup(display ? display : "");
    if (dir && !o->dir)
        o->dir = strdup(dir);
    ctx c = {o, d, data, false};
    if (size >= SLM_ONNX_PROTOBUF_LIMIT) {
        slm_report(d, SLM_R_ONNX_070, o->file, -1, NULL,
                   "the model file is %llu bytes; protobuf parses at most 2,147,483,647 (2 GiB - 1)",
                   (unsigned long long)size);
        return;
    }
    parse_model(&c);
    if (o->wire_ok && o->dir)
        resolve_graph(o, &o->graph);
    if (o->wire_ok)
        slm_onnx_check(o, d);
}

int slm_onnx_open(slm_onnx *o, const char *path, const char *display, slm_diag *d)
{
    memset(o, 0, sizeof *o);
    int e = slm_map_open(&o->map, path);
    if (e)
        return e;
    const char *slash = strrchr(path, '/');
    o->dir = slash ? slm_strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
    o->file = strdup(display ? display : path); /* named even when not parsed (a pointer) */
    if (slm_pointer_check(&o->map, display ? display : path, d))
        return 0; /* not parsed: nothing more to say about a pointer */
    slm_onnx_parse(o, o->map.data, o->map.size, display ? display : path, NULL, d);
    return 0;
}

static void free_tensor(slm_onnx_tensor *t)
{
    free(t->name);
    free(t->dims);
    free(t->shape);
    free(t->location);
    free(t->checksum);
}

static void free_strs(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static void free_graph(slm_onnx_graph *g);

static void free_nodes(slm_onnx_node *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        slm_onnx_node *nd = &v[i];
        free(nd->name);
        free(nd->op_type);
        free(nd->domain);
        free_strs(nd->in, nd->nin);
        free_strs(nd->out, nd->nout);
        for (size_t k = 0; k < nd->na; k++) {
            slm_onnx_attr *a = &nd->a[k];
            free(a->name);
            free(a->ints);
            free(a->s);
            for (size_t j = 0; j < a->ng; j++) {
                if (a->g[j])
                    free_graph(a->g[j]);
                free(a->g[j]);
            }
            free(a->g);
            for (size_t j = 0; j < a->nt; j++)
                free_tensor(&a->t[j]);
            free(a->t);
        }
        free(nd->a);
    }
    free(v);
}

static void free_values(slm_onnx_value *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].name);
        slm_onnx_type_free(v[i].type);
        free(v[i].dim);
        if (v[i].dim_param)
            free_strs(v[i].dim_param, v[i].ndim);
    }
    free(v);
}

static void free_graph(slm_onnx_graph *g)
{
    free(g->name);
    free_nodes(g->node, g->nnode);
    for (size_t i = 0; i < g->ninit; i++)
        free_tensor(&g->init[i]);
    free(g->init);
    for (size_t i = 0; i < g->nsparse; i++) {
        free_tensor(&g->sparse[i].values);
        free_tensor(&g->sparse[i].indices);
        free(g->sparse[i].dims);
    }
    free(g->sparse);
    free_values(g->in, g->nin);
    free_values(g->out, g->nout);
    free_values(g->vi, g->nvi);
}

static void free_opsets(slm_onnx_opset *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i].domain);
    free(v);
}

void slm_onnx_close(slm_onnx *o)
{
    free_graph(&o->graph);
    free_opsets(o->opset, o->nopset);
    for (size_t i = 0; i < o->nfunc; i++) {
        slm_onnx_function *f = &o->func[i];
        free(f->name);
        free(f->domain);
        free(f->overload);
        free_strs(f->in, f->nin);
        free_strs(f->out, f->nout);
        free_strs(f->attr, f->nattr);
        free_nodes(f->node, f->nnode);
        free_opsets(f->opset, f->nopset);
        free_values(f->vi, f->nvi);
    }
    free(o->func);
    free_strs(o->meta_key, o->nmeta);
    free_strs(o->meta_val, o->nmeta);
    for (size_t i = 0; i < o->next; i++) {
        free(o->ext[i].location);
        free(o->ext[i].path);
        slm_map_close(&o->ext[i].map);
    }
    free(o->ext);
    free(o->producer_name);
    free(o->producer_version);
    free(o->domain);
    free(o->file);
    free(o->dir);
    slm_map_close(&o->map);
    memset(o, 0, sizeof *o);
}

/* ---- queries ------------------------------------------------------------- */

void slm_onnx_sparse_int64_indices(const slm_onnx *o, const slm_onnx_sparse *s, bool (*fn)(void *arg, int64_t v),
                                   void *arg)
{
    ctx c = {(slm_onnx *)o, NULL, o->data, false};
    uint64_t pos = s->off, end = s->off + s->len;
    field f, g;
    if (!o->wire_ok || end > o->size)
        return;
    while (next_field(&c, &pos, end, &f, 0) == 1) {
        if (f.num != 2 || f.wt != WT_LEN)
            continue;
        uint64_t p = f.off;
        while (next_field(&c, &p, f.off + f.len, &g, 0) == 1) {
            if (g.num != 7)
                continue;
            if (g.wt == WT_VARINT) {
                if (!fn(arg, (int64_t)g.v))
                    return;
            } else if (g.wt == WT_LEN) {
                uint64_t q = g.off, v;
                while (q < g.off + g.len && varint(&c, &q, g.off + g.len, &v))
                    if (!fn(arg, (int64_t)v))
                        return;
            }
        }
    }
}

static bool is_default_domain(const char *d)
{
    return !d || !d[0] || strcmp(d, "ai.onnx") == 0;
}

int64_t slm_onnx_opset_of(const slm_onnx *o, const char *domain)
{
    int64_t v = -1;
    for (size_t i = 0; i < o->nopset; i++) /* the last import of a domain wins, as in the checker */
        if (strcmp(o->opset[i].domain, domain ? domain : "") == 0 ||
            (is_default_domain(domain) && is_default_domain(o->opset[i].domain)))
            v = o->opset[i].version;
    return v;
}

const slm_onnx_attr *slm_onnx_attr_find(const slm_onnx_node *n, const char *name)
{
    for (size_t i = 0; i < n->na; i++)
        if (n->a[i].name && strcmp(n->a[i].name, name) == 0)
            return &n->a[i];
    return NULL;
}

static bool each_node(const slm_onnx_graph *g, bool (*fn)(void *, const slm_onnx_graph *, const slm_onnx_node *, int),
                      void *arg, int depth)
{
    for (size_t i = 0; i < g->nnode; i++) {
        const slm_onnx_node *n = &g->node[i];
        if (!fn(arg, g, n, depth))
            return false;
        for (size_t a = 0; a < n->na; a++)
            for (size_t j = 0; j < n->a[a].ng; j++)
                if (n->a[a].g[j] && !each_node(n->a[a].g[j], fn, arg, depth + 1))
                    return false;
    }
    return true;
}

bool slm_onnx_each_node(const slm_onnx_graph *g,
                        bool (*fn)(void *arg, const slm_onnx_graph *g, const slm_onnx_node *n, int depth), void *arg)
{
    return each_node(g, fn, arg, 0);
}

/* spec/onnx_versions.tsv: the highest ai.onnx opset of each IR version. */
int64_t slm_onnx_max_opset_for_ir(int64_t ir)
{
    static const int64_t MAX[] = {0, 1, 1, 8, 9, 10, 11, 14, 18, 20, 22, 23, 24, 27, 28};
    if (ir < 1 || ir >= (int64_t)(sizeof MAX / sizeof MAX[0]))
        return -1;
    return MAX[ir];
}

slm_tensor slm_onnx_tensor_view(const slm_onnx_tensor *t)
{
    slm_tensor v = {t->name ? t->name : "", t->dtype, t->ndim, t->shape, t->nelem, t->nbytes,
                    t->data, t->file, t->data_off, NULL};
    return v;
}

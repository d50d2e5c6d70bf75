/* ONNX models (spec/onnx.md, schema subset in spec/onnx.proto).
 *
 *   file  = one serialized ModelProto (protobuf wire format)
 *   model = ir_version, opset_import*, producer, graph, functions*, ...
 *   graph = node*, initializer* (TensorProto), sparse_initializer*,
 *           input*, output*, value_info* (ValueInfoProto)
 *   node  = input*, output*, name, op_type, domain, attribute*
 *           (attributes of If/Loop/Scan hold subgraphs)
 *   tensor payload = raw_data, or one typed field (float_data, int64_data,
 *           ...), or data_location = EXTERNAL with external_data entries
 *           location/offset/length/checksum naming a file beside the model.
 *
 * formats/onnx.c walks ModelProto, GraphProto, NodeProto and TensorProto on
 * the wire over the file's map and records where payloads lie (raw_data is
 * never copied); protobuf-c unpacks only small messages (value infos, opset
 * imports, string entries, attributes that hold no tensor or graph).  Every
 * varint is bounded to 64 bits (32 for tags), every length to its enclosing
 * message, nesting to SLM_ONNX_MAX_DEPTH; unknown fields are skipped.
 *
 * slm_onnx_open parses (wire-level findings: ONNX-001..) and resolves
 * external data; slm_onnx_check applies the checker's rules. */
#ifndef SLM_ONNX_H
#define SLM_ONNX_H

#include "slm/core.h"
#include "slm/dtype.h"
#include "slm/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* protobuf's default recursion limit, which onnx and onnxruntime parse with. */
#define SLM_ONNX_MAX_DEPTH 100
/* protobuf refuses messages of 2 GiB and more (ONNX-040). */
#define SLM_ONNX_PROTOBUF_LIMIT 2147483648ull
/* The highest IR version slminspect knows (onnx 1.23: IR 14). */
#define SLM_ONNX_MAX_IR 14

struct ProtobufCMessage;

typedef struct slm_onnx_tensor {
    char *name;
    uint64_t off, len;        /* the TensorProto message in the model file */
    int32_t data_type;        /* TensorProto.DataType code; 0 when unset */
    slm_dtype dtype;          /* SLM_DT_INVALID when unknown */
    size_t ndim;
    int64_t *dims;            /* as written (may be negative: ONNX-0xx) */
    uint64_t *shape;          /* dims as unsigned (0 for negative ones) */
    bool dims_ok;             /* every dim >= 0 and the element count fits */
    uint64_t nelem, nbytes;   /* what dims and data type call for */
    /* Payload fields present: bit F set when field number F occurred
     * (4 float_data, 5 int32_data, 6 string_data, 7 int64_data, 9 raw_data,
     * 10 double_data, 11 uint64_data). */
    uint32_t fields;
    uint64_t typed_count;     /* elements found in the typed fields */
    uint64_t raw_off, raw_len;/* raw_data in the model file (last one wins) */
    bool has_segment;
    int data_location;        /* 0 DEFAULT, 1 EXTERNAL, other: invalid */
    /* external_data entries (location, offset, length, checksum, others). */
    char *location, *checksum;
    bool has_offset, has_length, ext_bad_int; /* bad: offset/length not a decimal integer */
    uint64_t ext_offset, ext_length;
    size_t n_ext_unknown;     /* keys other than the four known ones */
    /* Where the payload lies once resolved (raw_data, packed float_data,
     * or the external file): a view into a map, or NULL. */
    const uint8_t *data;
    const char *file;         /* display path of the file that holds DATA */
    uint64_t data_off;
    int ext_index;            /* index in slm_onnx.ext, or -1 */
} slm_onnx_tensor;

typedef struct slm_onnx_sparse {
    slm_onnx_tensor values, indices;
    bool has_values, has_indices;
    size_t ndim;
    int64_t *dims;
    uint64_t off, len;        /* the SparseTensorProto message in the model file */
} slm_onnx_sparse;

struct slm_onnx_graph;

typedef struct slm_onnx_attr {
    char *name;
    uint64_t off;
    int type;                 /* AttributeType; 0 when unset */
    uint32_t fields;          /* bit F set when field number F occurred (F < 32) */
    bool has_ref;             /* ref_attr_name (functions) */
    bool ref_nonempty;        /* ... and it is not empty */
    int64_t i;
    float f;
    size_t nints, nfloats, nstrings, ntensors, ngraphs, nsparse, ntypes;
    int64_t *ints;            /* the ints list */
    char *s;                  /* the s field, NUL-terminated copy */
    struct slm_onnx_graph **g;/* subgraphs (g, graphs) */
    size_t ng;
    slm_onnx_tensor *t;       /* tensors (t, tensors) */
    size_t nt;
} slm_onnx_attr;

typedef struct slm_onnx_node {
    char *name, *op_type, *domain;
    uint64_t off;
    char **in, **out;
    size_t nin, nout;
    slm_onnx_attr *a;
    size_t na;
} slm_onnx_node;

/* A TypeProto, as onnx.checker knows it: the value case is the field number
 * of the oneof member present (UNSET: none). */
typedef enum slm_onnx_type_kind {
    SLM_ONNX_TYPE_UNSET = 0,
    SLM_ONNX_TYPE_TENSOR = 1,
    SLM_ONNX_TYPE_SEQUENCE = 4,
    SLM_ONNX_TYPE_MAP = 5,
    SLM_ONNX_TYPE_OPAQUE = 7,   /* onnx-ml */
    SLM_ONNX_TYPE_SPARSE = 8,
    SLM_ONNX_TYPE_OPTIONAL = 9
} slm_onnx_type_kind;

typedef struct slm_onnx_type {
    slm_onnx_type_kind kind;
    bool has_elem_type;       /* tensor, sparse_tensor: elem_type; map: key_type */
    int32_t elem_type;        /* ... its TensorProto.DataType code */
    bool has_shape;           /* tensor, sparse_tensor */
    size_t ndim;
    int64_t *dim;             /* -1 for a symbolic or unknown dimension */
    char **dim_param;         /* the symbol, or NULL */
    struct slm_onnx_type *inner; /* sequence, optional: elem_type; map: value_type; NULL when absent */
    char *domain, *name;      /* opaque */
} slm_onnx_type;

typedef struct slm_onnx_value {
    char *name;
    uint64_t off;
    slm_onnx_type *type;      /* the whole TypeProto; NULL when the value has none */
    /* The top-level tensor type, when the value is a tensor (a copy of TYPE's fields). */
    int32_t elem_type;        /* tensor types; 0 otherwise */
    bool is_tensor, has_shape;
    size_t ndim;
    int64_t *dim;             /* -1 for a symbolic or unknown dimension */
    char **dim_param;         /* the symbol, or NULL */
} slm_onnx_value;

typedef struct slm_onnx_graph {
    char *name;
    uint64_t off;
    int depth;                /* 0 for the main graph */
    slm_onnx_node *node;
    size_t nnode;
    slm_onnx_tensor *init;
    size_t ninit;
    slm_onnx_sparse *sparse;
    size_t nsparse;
    slm_onnx_value *in, *out, *vi;
    size_t nin, nout, nvi;
} slm_onnx_graph;

typedef struct slm_onnx_opset {
    char *domain;
    int64_t version;
    uint64_t off;
} slm_onnx_opset;

typedef struct slm_onnx_function {
    char *name, *domain, *overload;
    uint64_t off;
    char **in, **out, **attr;
    size_t nin, nout, nattr;
    slm_onnx_node *node;
    size_t nnode;
    slm_onnx_opset *opset;
    size_t nopset;
    slm_onnx_value *vi;       /* value_info (IR 10): the types of its values */
    size_t nvi;
} slm_onnx_function;

typedef struct slm_onnx_ext {
    char *location;           /* as written in the model */
    char *path;               /* resolved: model folder + location */
    int err;                  /* errno from opening it, or 0 */
    bool escapes;             /* location leaves the model's folder */
    slm_map map;
} slm_onnx_ext;

typedef struct slm_onnx {
    slm_map map;              /* the model file, when opened by path */
    const uint8_t *data;
    uint64_t size;
    char *file;               /* display name used in findings */
    char *dir;                /* the model's folder (external data) */
    bool wire_ok;             /* the whole file parsed as a ModelProto */
    bool has_ir;
    int64_t ir_version;
    char *producer_name, *producer_version, *domain;
    int64_t model_version;
    slm_onnx_opset *opset;
    size_t nopset;
    bool has_graph;
    slm_onnx_graph graph;
    slm_onnx_function *func;
    size_t nfunc;
    size_t nmeta;
    char **meta_key, **meta_val;
    slm_onnx_ext *ext;        /* external data files, one per location */
    size_t next;
    uint64_t external_bytes;  /* payload bytes held in external files */
    uint64_t embedded_bytes;  /* raw_data and typed payload bytes in the model file */
} slm_onnx;

/* Opens PATH and parses it.  Returns 0 when the file could be read (whatever
 * its findings), else an errno value.  DISPLAY names the file in findings. */
int slm_onnx_open(slm_onnx *o, const char *path, const char *display, slm_diag *d);
/* Parses a model held in memory (DATA must outlive O); DIR is where external
 * data would be looked up, NULL to refuse external data. */
void slm_onnx_parse(slm_onnx *o, const uint8_t *data, uint64_t size, const char *display,
                    const char *dir, slm_diag *d);
void slm_onnx_close(slm_onnx *o);

/* The checker's rules over a parsed model (spec/onnx.md). */
void slm_onnx_check(const slm_onnx *o, slm_diag *d);

/* Calls FN with each int64_data value of the indices of S, in order (the
 * indices messages merged as protobuf merges them), until FN returns false.
 * For a model that parsed (wire_ok). */
void slm_onnx_sparse_int64_indices(const slm_onnx *o, const slm_onnx_sparse *s, bool (*fn)(void *arg, int64_t v),
                                   void *arg);
/* The opset version of DOMAIN imported by the model ("" and "ai.onnx" are
 * the default domain), or -1. */
int64_t slm_onnx_opset_of(const slm_onnx *o, const char *domain);
/* The attribute NAME of NODE, or NULL. */
const slm_onnx_attr *slm_onnx_attr_find(const slm_onnx_node *n, const char *name);
/* Calls FN on every node of G and, depth first, of the subgraphs its nodes'
 * attributes hold (If, Loop, Scan bodies), with the graph that holds the node
 * and its depth (0: G's own), until FN returns false; returns false then.
 * The nesting is bounded by the parser (SLM_ONNX_MAX_DEPTH). */
bool slm_onnx_each_node(const struct slm_onnx_graph *g,
                        bool (*fn)(void *arg, const struct slm_onnx_graph *g, const slm_onnx_node *n, int depth),
                        void *arg);
/* The highest default-domain opset an IR version allows (spec/onnx_versions.tsv),
 * or -1 for an unknown IR version. */
int64_t slm_onnx_max_opset_for_ir(int64_t ir);
/* TYPE written for people into BUF (always NUL-terminated): "F32 [N, 3]",
 * "seq(F32 [N])", "optional(seq(I64))", "map(STRING, F32 [])",
 * "sparse(F32 [3, 4])", "opaque(domain.name)"; a tensor without a shape has
 * no brackets, an absent part is "?", NULL is "(no type)".  Returns the
 * length it needed (as snprintf). */
size_t slm_onnx_type_str(char *buf, size_t cap, const slm_onnx_type *type);
/* The name of a TensorProto.DataType code: the slm dtype name, or STRING,
 * COMPLEX64, ..., or "?" for an unknown code. */
const char *slm_onnx_elem_name(int32_t code);
/* Does onnx's registry (spec/onnx_ops.tsv) have OP of DOM ("" default) at opset V? */
bool slm_onnx_schema_exists(const char *dom, const char *op, int64_t v);
/* A format-neutral view of an ONNX tensor (data NULL when not resolved). */
slm_tensor slm_onnx_tensor_view(const slm_onnx_tensor *t);

#ifdef __cplusplus
}
#endif
#endif

/* Internal interfaces of the ONNX importer, shared by the files of src/onnx.
 *
 * The import runs in four layers:
 *  1. onnx_file.c / onnx_wire.c: read the file (size cap), check protobuf nesting, unpack it;
 *  2. onnx_tensor.c / onnx_external.c / onnx_attr.c: decode tensors and attributes, checking
 *     every count, size and offset against the file;
 *  3. onnx_op_*.c: one "lowering" per ONNX op: from the node's operands (batched activations
 *     or host constants) to one IR node, an alias of an input, or a folded constant;
 *  4. onnx_import.c / onnx_emit.c: the driver: value table, topological order, emitting
 *     lowerings into the gt_graph, and folding all-constant IR ops through the ref backend. */
#ifndef GAUNTLET_ONNX_INTERNAL_H
#define GAUNTLET_ONNX_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "gauntlet/graph.h"
#include "gauntlet/onnx.h"
#include "gauntlet/status.h"
#include "onnx.pb-c.h"

/* ONNX TensorProto data types used by the importer. */
enum {
  GT_ONNX_UNDEFINED = 0,
  GT_ONNX_FLOAT = 1,
  GT_ONNX_UINT8 = 2,
  GT_ONNX_INT8 = 3,
  GT_ONNX_UINT16 = 4,
  GT_ONNX_INT16 = 5,
  GT_ONNX_INT32 = 6,
  GT_ONNX_INT64 = 7,
  GT_ONNX_STRING = 8,
  GT_ONNX_BOOL = 9,
  GT_ONNX_FLOAT16 = 10,
  GT_ONNX_DOUBLE = 11,
  GT_ONNX_UINT32 = 12,
  GT_ONNX_UINT64 = 13,
  GT_ONNX_BFLOAT16 = 16
};

/* The unknown batch size inside folded int64 shape tensors (what Shape(x)[0] evaluates to).
 * Chosen far from any real dim and from the -1 / 0 that Reshape gives meaning to. */
#define GT_ONNX_BATCH_SYM (INT64_MIN + 0x5eed)

/* Largest constant that folding may create from a small file (ConstantOfShape, broadcasts),
 * and the most that all folded constants of one model may hold together. */
#define GT_ONNX_MAX_FOLD_ELEMENTS ((int64_t)1 << 27)
#define GT_ONNX_MAX_FOLD_TOTAL ((int64_t)1 << 28)

/* Deepest protobuf message nesting accepted (protobuf-c unpacks recursively). */
#define GT_ONNX_MAX_NESTING 64

/* ---- file layer (onnx_file.c, onnx_wire.c) ---- */

typedef struct gt_onnx_source {
  const char *display;  /* the model's name in messages (its path) */
  const char *base_dir; /* folder external data is resolved against; NULL refuses it */
  int allow_external;
} gt_onnx_source;

gt_status gt_onnx_read_file(const char *path, uint8_t **bytes, size_t *size, gt_error *err);

/* Walks the protobuf wire format without recursion, checking lengths and nesting depth. */
gt_status gt_onnx_wire_check(const uint8_t *bytes, size_t size, const char *display, gt_error *err);

/* Checks, then unpacks with protobuf-c; free with onnx__model_proto__free_unpacked(m, NULL). */
gt_status gt_onnx_unpack(const void *bytes, size_t size, const char *display, Onnx__ModelProto **out,
                         gt_error *err);

/* The default-domain opset (0 when absent). */
int64_t gt_onnx_model_opset(const Onnx__ModelProto *m);

/* Folder part of a path ("." when it has none); malloc'd, NULL on allocation failure. */
char *gt_onnx_dir_of(const char *path);

/* ---- host tensors (onnx_tensor.c) ---- */

/* A constant known at load time. Floating types (float, double, float16, bfloat16) are held
 * as float32 in f; integer types and bool as int64 in i. elem keeps the ONNX type it stands for. */
typedef struct gt_onnx_tensor {
  int32_t elem;
  int ndim;
  int64_t shape[GT_MAX_DIMS];
  int64_t numel;
  float *f;
  int64_t *i;
} gt_onnx_tensor;

int gt_onnx_elem_is_float(int32_t elem);
int gt_onnx_elem_is_int(int32_t elem); /* integers and bool */
const char *gt_onnx_elem_name(int32_t elem);
size_t gt_onnx_elem_size(int32_t elem); /* bytes per element in raw_data; 0 when unsupported */

/* New zero-filled tensor; `what` names it in the GT_ERR_LIMIT / GT_ERR_MEMORY message. */
gt_onnx_tensor *gt_onnx_tensor_new(int32_t elem, int ndim, const int64_t *shape, const char *what, gt_error *err);
gt_onnx_tensor *gt_onnx_tensor_clone(const gt_onnx_tensor *t, gt_error *err);
/* Copy with a new shape of the same element count. */
gt_onnx_tensor *gt_onnx_tensor_reshaped(const gt_onnx_tensor *t, int ndim, const int64_t *shape, gt_error *err);
void gt_onnx_tensor_free(gt_onnx_tensor *t);
/* Element k as a double / int64 regardless of the storage. */
double gt_onnx_tensor_get_f(const gt_onnx_tensor *t, int64_t k);
int64_t gt_onnx_tensor_get_i(const gt_onnx_tensor *t, int64_t k);
/* 1 when an integer tensor holds the batch-size symbol somewhere. */
int gt_onnx_tensor_has_batch_sym(const gt_onnx_tensor *t);

/* Checks a dims list (count <= GT_MAX_DIMS, each in 0..GT_MAX_DIM_SIZE, product capped). */
gt_status gt_onnx_dims_check(size_t n_dims, const int64_t *dims, const char *display, const char *what,
                             int64_t *numel, gt_error *err);

/* Decodes a TensorProto (raw_data little-endian, typed fields, or external data).
 * `what` names it in messages ("initializer 'W'", "node 'c' attribute 'value'"). */
gt_status gt_onnx_tensor_decode(const Onnx__TensorProto *tp, const gt_onnx_source *src, const char *what,
                                gt_onnx_tensor **out, gt_error *err);

/* Reads the external bytes of tp (exactly `bytes` of them) after the location checks. */
gt_status gt_onnx_external_read(const Onnx__TensorProto *tp, const gt_onnx_source *src, const char *what,
                                size_t bytes, uint8_t **out, gt_error *err);

/* ---- nodes, operands and lowerings ---- */

typedef struct gt_onnx_operand {
  const char *name;           /* "" when an optional input is absent */
  int present;
  int batched;                /* 1: activation (shape[0] == GT_DIM_BATCH); 0: constant */
  int ndim;
  int64_t shape[GT_MAX_DIMS];
  const gt_onnx_tensor *c;    /* constant data */
} gt_onnx_operand;

typedef struct gt_onnx_node_ctx {
  const Onnx__NodeProto *proto;
  const char *op_type;
  const char *name;           /* node name, or "<OpType>#<index>" */
  const gt_onnx_source *src;
  int64_t opset;
  int64_t batch_static;       /* the input's declared batch dim, or -1 when symbolic */
  int n_in;
  gt_onnx_operand *in;
  int n_out;
  const int *out_used;        /* output k is read by a node or is a graph output */
} gt_onnx_node_ctx;

typedef enum gt_onnx_lower_kind {
  GT_ONNX_LOWER_NONE = 0,
  GT_ONNX_LOWER_NODE,  /* one IR node producing output 0 */
  GT_ONNX_LOWER_ALIAS, /* output 0 is input `alias_of` (Identity, Dropout, Reshape to the same shape) */
  GT_ONNX_LOWER_CONST  /* output 0 is the folded constant `result` */
} gt_onnx_lower_kind;

typedef struct gt_onnx_ir_input {
  int operand;            /* index into the node's operands, or -1 when `owned` is used */
  gt_onnx_tensor *owned;  /* a constant made by the lowering (folded weights), owned here */
} gt_onnx_ir_input;

typedef struct gt_onnx_lowering {
  gt_onnx_lower_kind kind;
  gt_op_kind op;
  gt_node node;           /* only node.p (the params) is used */
  int n_ir_in;
  gt_onnx_ir_input *ir_in;
  int out_ndim;
  int64_t out_shape[GT_MAX_DIMS];
  int alias_of;
  gt_onnx_tensor *result;
} gt_onnx_lowering;

typedef gt_status (*gt_onnx_lower_fn)(const gt_onnx_node_ctx *nc, gt_onnx_lowering *lw, gt_error *err);

/* Prepares lw as an IR node with n_ir_in inputs (all unset) and the given output shape. */
gt_status gt_onnx_lower_as_node(const gt_onnx_node_ctx *nc, gt_onnx_lowering *lw, gt_op_kind op, int n_ir_in,
                                int out_ndim, const int64_t *out_shape, gt_error *err);
void gt_onnx_lower_as_alias(gt_onnx_lowering *lw, int operand);
void gt_onnx_lower_as_const(gt_onnx_lowering *lw, gt_onnx_tensor *result);
void gt_onnx_lowering_clear(gt_onnx_lowering *lw);

/* "<file>: node '<name>' (<OpType>): <message>" */
gt_status gt_onnx_node_fail(const gt_onnx_node_ctx *nc, gt_error *err, gt_status code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* A new host tensor for the node's folded output, refused beyond GT_ONNX_MAX_FOLD_ELEMENTS. */
gt_status gt_onnx_fold_output_new(const gt_onnx_node_ctx *nc, int32_t elem, int n, const int64_t *shape,
                                  gt_onnx_tensor **out, gt_error *err);

/* "[N, 3, 32, 32]" (GT_DIM_BATCH printed as N) into buf. */
const char *gt_onnx_shape_str(int ndim, const int64_t *shape, char *buf, size_t size);

/* Operand k when present, else NULL. */
const gt_onnx_operand *gt_onnx_in(const gt_onnx_node_ctx *nc, int k);
/* 1 when every present operand is a constant. */
int gt_onnx_all_const(const gt_onnx_node_ctx *nc);
/* Errors unless operand k is present (`role` names it: "X", "W"). */
gt_status gt_onnx_need_in(const gt_onnx_node_ctx *nc, int k, const char *role, gt_error *err);
gt_status gt_onnx_need_batched(const gt_onnx_node_ctx *nc, int k, const char *role, gt_error *err);
gt_status gt_onnx_need_const(const gt_onnx_node_ctx *nc, int k, const char *role, gt_error *err);
/* Integer constant of rank <= 1 with at most cap entries (shapes, axes, pads). */
gt_status gt_onnx_const_ints(const gt_onnx_node_ctx *nc, int k, const char *role, int64_t *out, int cap, int *n,
                             gt_error *err);
/* Constant with exactly one element, as a float. */
gt_status gt_onnx_const_scalar(const gt_onnx_node_ctx *nc, int k, const char *role, double *out, gt_error *err);
/* Errors when output k (k >= 1) is used: "output 'mask' is not supported". */
gt_status gt_onnx_refuse_extra_outputs(const gt_onnx_node_ctx *nc, int first, const char *why, gt_error *err);
/* Normalises axis in [-rank, rank-1]; errors naming the node otherwise. */
gt_status gt_onnx_axis(const gt_onnx_node_ctx *nc, int64_t axis, int rank, const char *what, int *out,
                       gt_error *err);

/* ---- attributes (onnx_attr.c); every getter names node and attribute on a wrong type ---- */

const Onnx__AttributeProto *gt_onnx_attr_find(const gt_onnx_node_ctx *nc, const char *name);
gt_status gt_onnx_attr_int(const gt_onnx_node_ctx *nc, const char *name, int64_t def, int64_t *out, gt_error *err);
gt_status gt_onnx_attr_float(const gt_onnx_node_ctx *nc, const char *name, float def, float *out, gt_error *err);
/* *n = -1 when absent; more than cap entries is an error. */
gt_status gt_onnx_attr_ints(const gt_onnx_node_ctx *nc, const char *name, int64_t *out, int cap, int *n,
                            gt_error *err);
/* The string copied into buf (NUL-terminated); def when absent. */
gt_status gt_onnx_attr_string(const gt_onnx_node_ctx *nc, const char *name, const char *def, char *buf,
                              size_t size, gt_error *err);
/* Decoded constant from a TENSOR / FLOAT(S) / INT(S) attribute (*out NULL when absent). */
gt_status gt_onnx_attr_constant(const gt_onnx_node_ctx *nc, const char *name, gt_onnx_tensor **out,
                                gt_error *err);

/* ---- host computations on constants (onnx_host_*.c) ---- */

typedef enum gt_onnx_binop { GT_ONNX_ADD, GT_ONNX_SUB, GT_ONNX_MUL, GT_ONNX_DIV, GT_ONNX_EQUAL } gt_onnx_binop;

/* numpy broadcasting; returns 0 when the shapes do not broadcast. */
int gt_onnx_broadcast(int na, const int64_t *a, int nb, const int64_t *b, int *n_out, int64_t *out);
gt_status gt_onnx_host_binary(const gt_onnx_node_ctx *nc, gt_onnx_binop op, const gt_onnx_tensor *a,
                              const gt_onnx_tensor *b, gt_onnx_tensor **out, gt_error *err);
gt_status gt_onnx_host_where(const gt_onnx_node_ctx *nc, const gt_onnx_tensor *cond, const gt_onnx_tensor *x,
                             const gt_onnx_tensor *y, gt_onnx_tensor **out, gt_error *err);
gt_status gt_onnx_host_cast(const gt_onnx_node_ctx *nc, const gt_onnx_tensor *t, int32_t to, gt_onnx_tensor **out,
                            gt_error *err);
gt_status gt_onnx_host_transpose(const gt_onnx_node_ctx *nc, const gt_onnx_tensor *t, const int *perm,
                                 gt_onnx_tensor **out, gt_error *err);
gt_status gt_onnx_host_gather(const gt_onnx_node_ctx *nc, const gt_onnx_tensor *data, const gt_onnx_tensor *idx,
                              int axis, gt_onnx_tensor **out, gt_error *err);
/* Per-dim start and step (already clamped) and output length. */
gt_status gt_onnx_host_slice(const gt_onnx_node_ctx *nc, const gt_onnx_tensor *t, const int64_t *start,
                             const int64_t *step, const int64_t *len, gt_onnx_tensor **out, gt_error *err);
gt_status gt_onnx_host_concat(const gt_onnx_node_ctx *nc, int n, const gt_onnx_tensor *const *parts, int axis,
                              gt_onnx_tensor **out, gt_error *err);
/* out = f(t) elementwise on a float constant. */
typedef float (*gt_onnx_unary_fn)(float x, const float *params);
gt_status gt_onnx_host_unary(const gt_onnx_node_ctx *nc, const gt_onnx_tensor *t, gt_onnx_unary_fn fn,
                             const float *params, gt_onnx_tensor **out, gt_error *err);

/* ---- the per-op lowerings (onnx_op_*.c) ---- */

gt_status gt_onnx_lower_conv(const gt_onnx_node_ctx *nc, gt_onnx_lowering *lw, gt_error *err);
gt_status gt_onnx_lower_maxpool(const gt_onnx_node_ctx *nc, gt_onnx_lowering *lw, gt_error *err);
gt_status gt_onnx_lower_avgpool(const gt_onnx_node_ctx *nc, gt_onnx_lowering *lw, gt_error *err);
gt_status gt_onnx_lower_global_pool(const gt_onnx_node_ctx *nc, gt_onnx_lowering *lw, gt_error *err);
gt_status gt_onnx_lower_gemm(const gt_onnx_node_ctx *nc, gt_onnx_lowering *lw, gt_error *err);
gt_status gt_onnx_lower_matmul(const gt_onnx_node_ctx *nc, gt_onnx_lowering *lw, gt_error *err);
gt_status gt_onnx_lower_binary(const gt_onnx_node_ctx *nc, gt_onnx_lowering *lw, gt_error *err);
gt_status gt_onnx_lower_unary(const gt_onnx_node_ctx *nc, gt_onnx_lowering *lw, gt_error *err);
gt_status gt_onnx_lower_clip(const gt_onnx_node_ctx *nc, gt_onnx_lowering *lw, gt_error *err);
gt_status gt_onnx_lower_neg(const gt_onnx_node_ctx *nc, gt_onnx_lowering *lw, gt_error *err);
gt_status gt_onnx_lower_batchnorm(const gt_onnx_node_ctx *nc, gt_onnx_lowering *lw, gt_error *err);
gt_status gt_onnx_lower_softmax(const gt_onnx_node_ctx *nc, gt_onnx_lowering *lw, gt_error *err);
gt_status gt_onnx_lower_flatten(const gt_onnx_node_ctx *nc, gt_onnx_lowering *lw, gt_error *err);
gt_status gt_onnx_lower_reshape(const gt_onnx_node_ctx *nc, gt_onnx_lowering *lw, gt_error *err);
gt_status gt_onnx_lower_squeeze(const gt_onnx_node_ctx *nc, gt_onnx_lowering *lw, gt_error *err);
gt_status gt_onnx_lower_unsqueeze(const gt_onnx_node_ctx *nc, gt_onnx_lowering *lw, gt_error *err);
gt_status gt_onnx_lower_transpose(const gt_onnx_node_ctx *nc, gt_onnx_lowering *lw, gt_error *err);
gt_status gt_onnx_lower_concat(const gt_onnx_node_ctx *nc, gt_onnx_lowering *lw, gt_error *err);
gt_status gt_onnx_lower_pad(const gt_onnx_node_ctx *nc, gt_onnx_lowering *lw, gt_error *err);
gt_status gt_onnx_lower_slice(const gt_onnx_node_ctx *nc, gt_onnx_lowering *lw, gt_error *err);
gt_status gt_onnx_lower_identity(const gt_onnx_node_ctx *nc, gt_onnx_lowering *lw, gt_error *err);
gt_status gt_onnx_lower_dropout(const gt_onnx_node_ctx *nc, gt_onnx_lowering *lw, gt_error *err);
gt_status gt_onnx_lower_cast(const gt_onnx_node_ctx *nc, gt_onnx_lowering *lw, gt_error *err);
gt_status gt_onnx_lower_constant(const gt_onnx_node_ctx *nc, gt_onnx_lowering *lw, gt_error *err);
gt_status gt_onnx_lower_constant_of_shape(const gt_onnx_node_ctx *nc, gt_onnx_lowering *lw, gt_error *err);
gt_status gt_onnx_lower_shape(const gt_onnx_node_ctx *nc, gt_onnx_lowering *lw, gt_error *err);
gt_status gt_onnx_lower_gather(const gt_onnx_node_ctx *nc, gt_onnx_lowering *lw, gt_error *err);
gt_status gt_onnx_lower_equal(const gt_onnx_node_ctx *nc, gt_onnx_lowering *lw, gt_error *err);
gt_status gt_onnx_lower_where(const gt_onnx_node_ctx *nc, gt_onnx_lowering *lw, gt_error *err);

/* Window geometry shared by Conv and the pools (onnx_window.c): reads auto_pad, pads,
 * strides, dilations for a 2-D window of size kh x kw over an input of h x w, and gives the
 * output size (floor, or ceil with the last window starting inside the input or left pad). */
typedef struct gt_onnx_window {
  int64_t kernel[2], stride[2], dilation[2], pad_begin[2], pad_end[2], out[2];
} gt_onnx_window;
gt_status gt_onnx_window_read(const gt_onnx_node_ctx *nc, const int64_t *in_hw, const int64_t *kernel,
                              int ceil_mode, gt_onnx_window *w, gt_error *err);

/* Stores window w into p, a gt_conv_params or a gt_pool_params (the IR names their window fields
 * alike; a macro because the two are different types). */
#define GT_ONNX_WINDOW_STORE(p, w)          \
  do {                                      \
    (p)->kernel_h = (int)(w).kernel[0];     \
    (p)->kernel_w = (int)(w).kernel[1];     \
    (p)->stride_h = (int)(w).stride[0];     \
    (p)->stride_w = (int)(w).stride[1];     \
    (p)->pad_top = (int)(w).pad_begin[0];   \
    (p)->pad_left = (int)(w).pad_begin[1];  \
    (p)->pad_bottom = (int)(w).pad_end[0];  \
    (p)->pad_right = (int)(w).pad_end[1];   \
    (p)->dilation_h = (int)(w).dilation[0]; \
    (p)->dilation_w = (int)(w).dilation[1]; \
  } while (0)

/* ---- the op table (onnx_ops.c) ---- */

typedef struct gt_onnx_op_entry {
  const char *op_type;
  gt_onnx_lower_fn lower;
  int fold_via_ref; /* all-constant inputs: run the IR op through the ref backend */
} gt_onnx_op_entry;

const gt_onnx_op_entry *gt_onnx_op_find(const char *op_type);
int gt_onnx_op_table_size(void);
const gt_onnx_op_entry *gt_onnx_op_at(int k);

/* ---- folding IR ops on constants (onnx_fold_ref.c) ---- */

/* lw is the lowering of nc with operand 0 presented as batched (batch = its real dim 0);
 * runs that one IR node through the ref backend and returns the constant result. */
gt_status gt_onnx_fold_ref(const gt_onnx_node_ctx *nc, const gt_onnx_lowering *lw, int64_t batch,
                           gt_onnx_tensor **out, gt_error *err);

#endif

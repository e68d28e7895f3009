/* The graph IR that an ONNX model is imported into, and that backends execute.
 *
 * After import every value is one of two kinds:
 *  - constant: a float32 array known at load time (weights, biases, folded shape math);
 *  - batched:  an activation whose leading dimension is the batch (shape[0] == GT_DIM_BATCH).
 * Every node produces exactly one batched value: anything computable from constants alone
 * was folded by the importer. Nodes are stored in execution (topological) order. */
#ifndef GAUNTLET_GRAPH_H
#define GAUNTLET_GRAPH_H

#include <stdint.h>

#include "gauntlet/status.h"
#include "gauntlet/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GT_DIM_BATCH (-1) /* shape[0] of a batched value: the batch size is chosen at run time */

typedef enum gt_op_kind {
  GT_OP_CONV,       /* in: x [N,C,H,W], W [M,C/groups,kh,kw], optional b [M]      out: [N,M,OH,OW] */
  GT_OP_LINEAR,     /* in: x [N,...,K], W [M,K], optional b [M]                     out: [N,...,M] */
  GT_OP_ADD,        /* in: a, b (numpy broadcasting, either may be constant)        out: broadcast shape */
  GT_OP_SUB,
  GT_OP_MUL,
  GT_OP_DIV,
  GT_OP_RELU,       /* elementwise, in: x                                            out: shape of x */
  GT_OP_LEAKY_RELU,
  GT_OP_SIGMOID,
  GT_OP_TANH,
  GT_OP_CLIP,
  GT_OP_MAXPOOL,    /* in: x [N,C,H,W]                                               out: [N,C,OH,OW] */
  GT_OP_AVGPOOL,    /* also GlobalAveragePool (kernel = H x W) */
  GT_OP_BATCHNORM,  /* inference form, in: x [N,C,...], scale [C], shift [C]: y = x*scale[c] + shift[c] */
  GT_OP_RESHAPE,    /* a view: same data, new shape (Flatten, Reshape, Squeeze, Identity, Dropout) */
  GT_OP_TRANSPOSE,  /* in: x; perm keeps the batch first (perm[0] == 0) */
  GT_OP_CONCAT,     /* in: n batched values, joined along axis >= 1 */
  GT_OP_PAD,        /* in: x; pads per dim, constant / reflect / edge */
  GT_OP_SOFTMAX,    /* in: x; along axis (or over all dims from axis on, for opset < 13) */
  GT_OP_COUNT
} gt_op_kind;

typedef struct gt_conv_params {
  int kernel_h, kernel_w;
  int stride_h, stride_w;
  int pad_top, pad_left, pad_bottom, pad_right;
  int dilation_h, dilation_w;
  int groups;
} gt_conv_params;

typedef struct gt_pool_params {
  int kernel_h, kernel_w;
  int stride_h, stride_w;
  int pad_top, pad_left, pad_bottom, pad_right;
  int dilation_h, dilation_w;
  int count_include_pad; /* AVGPOOL: divide by the full window even where it hangs over the padding */
} gt_pool_params;        /* output size (incl. ceil_mode) is already in the output value's shape */

typedef enum gt_pad_mode { GT_PAD_CONSTANT, GT_PAD_REFLECT, GT_PAD_EDGE } gt_pad_mode;

typedef struct gt_pad_params {
  gt_pad_mode mode;
  float value;
  int64_t begin[GT_MAX_DIMS]; /* may be negative (crop) */
  int64_t end[GT_MAX_DIMS];
} gt_pad_params;

typedef struct gt_node {
  gt_op_kind op;
  char *name;   /* the ONNX node name, or "<OpType>#<index>" when it had none; used in messages */
  int n_inputs;
  int *inputs;  /* value ids */
  int output;   /* value id */
  union {
    gt_conv_params conv;
    gt_pool_params pool;
    gt_pad_params pad;
    struct { float alpha; } leaky_relu;
    struct { float min, max; } clip;
    struct { int perm[GT_MAX_DIMS]; } transpose;
    struct { int axis; } concat;
    struct { int axis; int coerce_2d; } softmax; /* axis >= 1, normalised */
  } p;
} gt_node;

typedef struct gt_value {
  char *name;
  int batched;                  /* 1: activation; 0: constant */
  int ndim;
  int64_t shape[GT_MAX_DIMS];   /* batched: shape[0] == GT_DIM_BATCH */
  float *data;                  /* constants: contiguous host copy (owned); NULL for batched */
} gt_value;

typedef struct gt_graph {
  int n_values, cap_values;
  gt_value *values;
  int n_nodes, cap_nodes;
  gt_node *nodes;
  int input;   /* value id of the image input [N,C,H,W] */
  int output;  /* value id of the logits [N,K] */
  int64_t opset;
  char *producer; /* "pytorch 2.1" etc., for `gauntlet info` */
} gt_graph;

gt_graph *gt_graph_create(void);
void gt_graph_free(gt_graph *g);

/* Adds a value; copies name and (for constants) data. Returns its id, or -1 on allocation
 * failure (err set). shape may contain GT_DIM_BATCH at 0 when batched. */
int gt_graph_add_value(gt_graph *g, const char *name, int batched, int ndim, const int64_t *shape,
                       const float *data, gt_error *err);

/* Adds a node (copies name and the input list) and returns a pointer to it for filling params,
 * or NULL on allocation failure. The pointer is valid until the next gt_graph_add_node. */
gt_node *gt_graph_add_node(gt_graph *g, gt_op_kind op, const char *name, int n_inputs, const int *inputs,
                           int output, gt_error *err);

const char *gt_op_name(gt_op_kind op);

/* Number of elements of one sample of a batched value (product of shape[1..]), or of a constant. */
int64_t gt_value_sample_numel(const gt_value *v);

/* Checks the invariants above (ids in range, topological order, batched outputs). */
gt_status gt_graph_validate(const gt_graph *g, gt_error *err);

/* An image classifier: input [N,C,H,W], output logits [N,K] with K >= 2. */
gt_status gt_graph_check_classifier(const gt_graph *g, gt_error *err);

/* Load-time rewrites: fold BatchNorm into the Conv that feeds it when that Conv has no other
 * consumer; drop it from the node list. Returns the number of folded nodes in *n_folded. */
gt_status gt_graph_fold_batchnorm(gt_graph *g, int *n_folded, gt_error *err);

/* Inserts y = (x - mean[c]) / std[c] in front of the graph (per input channel), so that the
 * normalisation is differentiated like any other op. n_channels must match the input. */
gt_status gt_graph_prepend_normalization(gt_graph *g, int n_channels, const float *mean, const float *std,
                                         gt_error *err);

/* Multiply-adds per sample (conv, linear), for `gauntlet info` and benchmarks. */
int64_t gt_graph_macs_per_sample(const gt_graph *g);

#ifdef __cplusplus
}
#endif
#endif

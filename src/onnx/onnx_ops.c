/* The table of ONNX ops the importer handles (default domain), and their names for messages. */
#include <string.h>

#include "onnx/onnx_internal.h"

/* Sorted by name; fold_via_ref marks IR ops whose all-constant form runs through the ref backend. */
static const gt_onnx_op_entry table[] = {
    {"Add", gt_onnx_lower_binary, 0},
    {"AveragePool", gt_onnx_lower_avgpool, 1},
    {"BatchNormalization", gt_onnx_lower_batchnorm, 0},
    {"Cast", gt_onnx_lower_cast, 0},
    {"Clip", gt_onnx_lower_clip, 0},
    {"Concat", gt_onnx_lower_concat, 0},
    {"Constant", gt_onnx_lower_constant, 0},
    {"ConstantOfShape", gt_onnx_lower_constant_of_shape, 0},
    {"Conv", gt_onnx_lower_conv, 1},
    {"Div", gt_onnx_lower_binary, 0},
    {"Dropout", gt_onnx_lower_dropout, 0},
    {"Equal", gt_onnx_lower_equal, 0},
    {"Flatten", gt_onnx_lower_flatten, 0},
    {"Gather", gt_onnx_lower_gather, 0},
    {"Gemm", gt_onnx_lower_gemm, 1},
    {"GlobalAveragePool", gt_onnx_lower_global_pool, 1},
    {"GlobalMaxPool", gt_onnx_lower_global_pool, 1},
    {"Identity", gt_onnx_lower_identity, 0},
    {"LeakyRelu", gt_onnx_lower_unary, 0},
    {"MatMul", gt_onnx_lower_matmul, 1},
    {"MaxPool", gt_onnx_lower_maxpool, 1},
    {"Mul", gt_onnx_lower_binary, 0},
    {"Neg", gt_onnx_lower_neg, 0},
    {"Pad", gt_onnx_lower_pad, 1},
    {"Relu", gt_onnx_lower_unary, 0},
    {"Reshape", gt_onnx_lower_reshape, 0},
    {"Shape", gt_onnx_lower_shape, 0},
    {"Sigmoid", gt_onnx_lower_unary, 0},
    {"Slice", gt_onnx_lower_slice, 0},
    {"Softmax", gt_onnx_lower_softmax, 1},
    {"Squeeze", gt_onnx_lower_squeeze, 0},
    {"Sub", gt_onnx_lower_binary, 0},
    {"Tanh", gt_onnx_lower_unary, 0},
    {"Transpose", gt_onnx_lower_transpose, 0},
    {"Unsqueeze", gt_onnx_lower_unsqueeze, 0},
    {"Where", gt_onnx_lower_where, 0},
};

#define N_OPS ((int)(sizeof table / sizeof table[0]))

/* The same names, joined; test_onnx_import checks that the two lists agree. */
static const char supported[] =
    "Add, AveragePool, BatchNormalization, Cast, Clip, Concat, Constant, ConstantOfShape, Conv, Div, Dropout, "
    "Equal, Flatten, Gather, Gemm, GlobalAveragePool, GlobalMaxPool, Identity, LeakyRelu, MatMul, MaxPool, Mul, "
    "Neg, Pad, Relu, Reshape, Shape, Sigmoid, Slice, Softmax, Squeeze, Sub, Tanh, Transpose, Unsqueeze, Where";

const gt_onnx_op_entry *gt_onnx_op_find(const char *op_type) {
  if (!op_type) return NULL;
  for (int k = 0; k < N_OPS; k++)
    if (!strcmp(table[k].op_type, op_type)) return &table[k];
  return NULL;
}

int gt_onnx_op_table_size(void) { return N_OPS; }

const gt_onnx_op_entry *gt_onnx_op_at(int k) { return k >= 0 && k < N_OPS ? &table[k] : NULL; }

const char *gt_onnx_supported_ops(void) { return supported; }

int gt_onnx_op_supported(const char *op_type) { return gt_onnx_op_find(op_type) != NULL; }

/* Test helper: builds small ONNX ModelProto files in C, for the importer tests.
 *
 * It writes the protobuf wire format by hand (field numbers from onnx.proto), independently of
 * the protobuf-c reader under test, which also lets tests write deliberately broken files
 * (wrong attribute types, mismatched data lengths, external data, custom domains).
 *
 *   gt_ob_model *m = gt_ob_model_create(13);
 *   int64_t in[4] = {-1, 1, 28, 28};            // -1: the symbolic batch dim "N"
 *   gt_ob_input(m, "x", GT_OB_FLOAT, 4, in);
 *   gt_ob_init_float(m, "W", 4, wdims, w);
 *   gt_ob_node *c = gt_ob_node_add(m, "Conv", "conv1", "x,W", "y");
 *   gt_ob_attr_ints(c, "pads", 4, pads);
 *   gt_ob_output(m, "y");
 *   size_t n; uint8_t *bytes = gt_ob_pack(m, &n);
 *
 * Allocation failures abort (this is test code). */
#ifndef GAUNTLET_TEST_ONNX_BUILDER_H
#define GAUNTLET_TEST_ONNX_BUILDER_H

#include <stddef.h>
#include <stdint.h>

enum { GT_OB_FLOAT = 1, GT_OB_INT32 = 6, GT_OB_INT64 = 7, GT_OB_BOOL = 9, GT_OB_FLOAT16 = 10, GT_OB_DOUBLE = 11 };

typedef struct gt_ob_model gt_ob_model;
typedef struct gt_ob_node gt_ob_node;

/* opset 0: the model imports no default-domain opset. */
gt_ob_model *gt_ob_model_create(int64_t opset);
void gt_ob_model_free(gt_ob_model *m);
/* An extra opset import (e.g. a custom domain). */
void gt_ob_opset(gt_ob_model *m, const char *domain, int64_t version);

/* Graph input; dims[d] == -1 writes the symbolic dim "N". */
void gt_ob_input(gt_ob_model *m, const char *name, int32_t elem, int ndim, const int64_t *dims);
void gt_ob_output(gt_ob_model *m, const char *name);

/* Initializers: float as raw_data; int64 in int64_data; float_data with an explicit count
 * (which may disagree with dims); arbitrary raw bytes; external data. */
void gt_ob_init_float(gt_ob_model *m, const char *name, int ndim, const int64_t *dims, const float *data);
void gt_ob_init_float_typed(gt_ob_model *m, const char *name, int ndim, const int64_t *dims, size_t n,
                            const float *data);
void gt_ob_init_int64(gt_ob_model *m, const char *name, int ndim, const int64_t *dims, const int64_t *data);
void gt_ob_init_raw(gt_ob_model *m, const char *name, int32_t elem, int ndim, const int64_t *dims, const void *bytes,
                    size_t n);
/* offset / length < 0: the key is omitted. */
void gt_ob_init_external(gt_ob_model *m, const char *name, int32_t elem, int ndim, const int64_t *dims,
                         const char *location, int64_t offset, int64_t length);

/* inputs / outputs: comma-separated names ("x,W,b"); an empty entry ("x,,b") is an absent input. */
gt_ob_node *gt_ob_node_add(gt_ob_model *m, const char *op_type, const char *name, const char *inputs,
                           const char *outputs);
void gt_ob_node_domain(gt_ob_node *n, const char *domain);
void gt_ob_attr_int(gt_ob_node *n, const char *name, int64_t v);
void gt_ob_attr_ints(gt_ob_node *n, const char *name, int count, const int64_t *v);
void gt_ob_attr_float(gt_ob_node *n, const char *name, float v);
void gt_ob_attr_floats(gt_ob_node *n, const char *name, int count, const float *v);
void gt_ob_attr_string(gt_ob_node *n, const char *name, const char *s);
void gt_ob_attr_tensor_float(gt_ob_node *n, const char *name, int ndim, const int64_t *dims, const float *data);
void gt_ob_attr_tensor_int64(gt_ob_node *n, const char *name, int ndim, const int64_t *dims, const int64_t *data);

/* The serialized ModelProto (malloc'd; the caller frees it). */
uint8_t *gt_ob_pack(const gt_ob_model *m, size_t *size);
/* Writes the packed model to path; 0 on success. */
int gt_ob_write(const gt_ob_model *m, const char *path);
/* Writes bytes to path; 0 on success. */
int gt_ob_write_bytes(const char *path, const void *bytes, size_t n);

#endif

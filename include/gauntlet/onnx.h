/* The ONNX importer: turns a model file from a stranger into the graph IR of gauntlet/graph.h.
 *
 * Opsets 7..18 of the default domain are accepted (torch.onnx.export's 11..17 are the target).
 * Everything computable from constants alone (weights, shape sub-graphs such as
 * x.view(x.size(0), -1)) is folded at load time, so the graph holds only ops on the batched
 * input. Every failure names the file, the node and the problem (see gauntlet/status.h). */
#ifndef GAUNTLET_ONNX_H
#define GAUNTLET_ONNX_H

#include <stddef.h>
#include <stdint.h>

#include "gauntlet/graph.h"
#include "gauntlet/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GT_ONNX_MAX_FILE_BYTES ((int64_t)2 << 30) /* 2 GiB: larger model files are refused */
#define GT_ONNX_OPSET_MIN 7
#define GT_ONNX_OPSET_MAX 18

typedef struct gt_onnx_options {
  /* 0: tensors stored in external files are refused. 1: allowed, but only files inside the
   * model's folder (relative location, no '..' component, no symlink leading out of it). */
  int allow_external_data;
  /* Graph inputs to treat as constants (the ONNX conformance runner binds e.g. Conv's W, which
   * those test models declare as a graph input). Entry i: name, float32 data, shape, rank.
   * For an input the file declares integer or bool (a Reshape shape, Slice starts, axes), the
   * float values are converted and must be whole numbers. */
  int n_bound_inputs;
  const char *const *bound_input_names;
  const float *const *bound_input_data;
  const int64_t *const *bound_input_shapes;
  const int *bound_input_ranks;
} gt_onnx_options;

/* Reads and imports a model file. opts may be NULL (defaults: external data refused, nothing
 * bound). On success *out is a validated graph with BatchNorms folded into Convs where possible. */
gt_status gt_onnx_load(const char *path, const gt_onnx_options *opts, gt_graph **out, gt_error *err);

/* Same from bytes in memory. display_name names the model in messages; base_dir is the folder
 * external data is resolved against (NULL: external data is refused). */
gt_status gt_onnx_load_memory(const void *bytes, size_t size, const char *display_name, const char *base_dir,
                              const gt_onnx_options *opts, gt_graph **out, gt_error *err);

/* ---- what is in a file, for `gauntlet info` (works even when ops are unsupported) ---- */

typedef struct gt_onnx_io_info {
  char *name;
  int32_t elem_type;  /* ONNX TensorProto data type: 1 float, 7 int64, ... (0 when absent) */
  int ndim;           /* -1 when the file gives no shape */
  int64_t *dims;      /* ndim entries; -1 for a symbolic or missing dim */
  char **dim_params;  /* ndim entries; the symbol ("batch_size") or NULL */
} gt_onnx_io_info;

typedef struct gt_onnx_op_count {
  char *op_type;  /* "Conv"; "domain:Op" for ops outside the default domain */
  int count;
  int supported;  /* 1 when Gauntlet imports this op */
} gt_onnx_op_count;

typedef struct gt_onnx_summary {
  int64_t ir_version;
  int64_t opset;            /* default-domain opset; 0 when the file names none */
  char *producer;           /* "pytorch 2.1.0" ("" when absent) */
  int n_inputs;             /* graph inputs that are not initializers */
  gt_onnx_io_info *inputs;
  int n_outputs;
  gt_onnx_io_info *outputs;
  int n_nodes;
  int n_op_types;           /* histogram, in order of first appearance */
  gt_onnx_op_count *op_types;
  int n_initializers;
  int64_t n_params;         /* elements of floating-point initializers */
  int n_unsupported;        /* distinct op types Gauntlet does not import */
  char **unsupported_ops;
} gt_onnx_summary;

gt_status gt_onnx_inspect(const char *path, gt_onnx_summary **out, gt_error *err);
void gt_onnx_summary_free(gt_onnx_summary *s);

/* Comma-separated op types the importer accepts ("Add, AveragePool, ..."), for messages. */
const char *gt_onnx_supported_ops(void);

/* 1 when op_type (default domain) is imported by Gauntlet. */
int gt_onnx_op_supported(const char *op_type);

/* ---- one serialized TensorProto on its own (ONNX test data: input_0.pb, output_0.pb) ---- */

typedef struct gt_onnx_tensor_data {
  char *name;         /* the tensor's name ("" when the file gives none) */
  int32_t elem_type;  /* ONNX data type stored in the file: 1 float, 7 int64, 9 bool, ... */
  int ndim;
  int64_t shape[GT_MAX_DIMS];
  int64_t numel;
  float *data;        /* numel values as float32 (double, float16, bfloat16 converted; integers and bool
                       * converted too, exactly when |v| <= 2^24) */
  int64_t *ints;      /* integer and bool types: the exact values; NULL for floating types */
} gt_onnx_tensor_data;

/* Reads a file holding one TensorProto (size capped like models; external data refused).
 * String tensors and other types the importer does not decode give GT_ERR_UNSUPPORTED. */
gt_status gt_onnx_tensor_load(const char *path, gt_onnx_tensor_data **out, gt_error *err);
gt_status gt_onnx_tensor_load_memory(const void *bytes, size_t size, const char *display_name,
                                     gt_onnx_tensor_data **out, gt_error *err);
void gt_onnx_tensor_data_free(gt_onnx_tensor_data *t);

#ifdef __cplusplus
}
#endif
#endif

/* The values an ONNX graph starts from: inputs bound by the caller, initializers, and the one
 * runtime input (float, dim 0 the batch, other dims fixed). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx/onnx_import.h"

static const char *str_or_empty(const char *s) { return s ? s : ""; }

int gt_onnx_add_value(gt_onnx_import *im, const char *name, gt_error *err) {
  int vi = gt_onnx_values_add(&im->vals, name);
  if (vi < 0) gt_error_set(err, GT_ERR_MEMORY, "%s: out of memory", im->src.display);
  return vi;
}

/* Adds the constant t under name; takes t (freed on failure). */
static gt_status add_const(gt_onnx_import *im, const char *name, gt_onnx_tensor *t, gt_error *err) {
  int vi = gt_onnx_add_value(im, name, err);
  if (vi < 0) {
    gt_onnx_tensor_free(t);
    return GT_ERR_MEMORY;
  }
  im->vals.v[vi].kind = GT_ONNX_VAL_CONST;
  im->vals.v[vi].c = t;
  return GT_OK;
}

gt_status gt_onnx_add_bound_inputs(gt_onnx_import *im, const gt_onnx_options *opts, gt_error *err) {
  for (int b = 0; opts && b < opts->n_bound_inputs; b++) {
    const char *name = opts->bound_input_names ? opts->bound_input_names[b] : NULL;
    const Onnx__ValueInfoProto *declared = NULL;
    for (size_t k = 0; name && k < im->graph->n_input && !declared; k++)
      if (!strcmp(str_or_empty(im->graph->input[k]->name), name)) declared = im->graph->input[k];
    if (!declared)
      return gt_error_set(err, GT_ERR_USAGE, "%s: bound input '%s' is not a graph input", im->src.display,
                          str_or_empty(name));
    if (gt_onnx_values_find(&im->vals, name) >= 0)
      return gt_error_set(err, GT_ERR_USAGE, "%s: input '%s' is bound twice", im->src.display, name);
    int rank = opts->bound_input_ranks ? opts->bound_input_ranks[b] : -1;
    const int64_t *shape = opts->bound_input_shapes ? opts->bound_input_shapes[b] : NULL;
    const float *data = opts->bound_input_data ? opts->bound_input_data[b] : NULL;
    if (rank < 0 || rank > GT_MAX_DIMS || (rank > 0 && !shape))
      return gt_error_set(err, GT_ERR_USAGE, "%s: bound input '%s' has rank %d", im->src.display, name, rank);
    char what[300];
    snprintf(what, sizeof what, "%s: bound input '%s'", im->src.display, name);
    /* Values for an input declared integer (shapes, axes, indices) are converted from float. */
    const Onnx__TypeProto *type = declared->type;
    int32_t elem = type && type->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE && type->tensor_type &&
                           type->tensor_type->has_elem_type && gt_onnx_elem_is_int(type->tensor_type->elem_type)
                       ? type->tensor_type->elem_type
                       : GT_ONNX_FLOAT;
    gt_onnx_tensor *t = gt_onnx_tensor_new(elem, rank, shape, what, err);
    if (!t) return err ? err->code : GT_ERR_MEMORY;
    if (t->numel && !data) {
      gt_onnx_tensor_free(t);
      return gt_error_set(err, GT_ERR_USAGE, "%s: bound input '%s' has no data", im->src.display, name);
    }
    for (int64_t j = 0; j < t->numel; j++) {
      if (t->f) {
        t->f[j] = data[j];
      } else if (data[j] == (float)(int64_t)fmaxf(fminf(data[j], 9e18f), -9e18f)) {
        t->i[j] = (int64_t)data[j];
      } else {
        gt_onnx_tensor_free(t);
        return gt_error_set(err, GT_ERR_USAGE, "%s: bound input '%s' is declared %s but value %lld is %g",
                            im->src.display, name, gt_onnx_elem_name(elem), (long long)j, (double)data[j]);
      }
    }
    gt_status st = add_const(im, name, t, err);
    if (st != GT_OK) return st;
  }
  return GT_OK;
}

gt_status gt_onnx_add_initializers(gt_onnx_import *im, int n_bound, gt_error *err) {
  for (size_t k = 0; k < im->graph->n_initializer; k++) {
    const Onnx__TensorProto *tp = im->graph->initializer[k];
    const char *name = tp ? str_or_empty(tp->name) : "";
    if (!name[0]) return gt_error_set(err, GT_ERR_FORMAT, "%s: initializer %zu has no name", im->src.display, k);
    int vi = gt_onnx_values_find(&im->vals, name);
    if (vi >= 0 && vi < n_bound) continue; /* a bound value overrides the file's default */
    if (vi >= 0)
      return gt_error_set(err, GT_ERR_FORMAT, "%s: initializer '%s' is defined twice", im->src.display, name);
    char what[300];
    snprintf(what, sizeof what, "initializer '%s'", name);
    gt_onnx_tensor *t = NULL;
    gt_status st = gt_onnx_tensor_decode(tp, &im->src, what, &t, err);
    if (st != GT_OK) return st;
    st = add_const(im, name, t, err);
    if (st != GT_OK) return st;
  }
  return GT_OK;
}

/* The runtime input: float, dim 0 the batch (symbolic or any number), other dims fixed. */
static gt_status add_input_value(gt_onnx_import *im, const Onnx__ValueInfoProto *vi_proto, gt_error *err) {
  const char *name = vi_proto->name;
  const Onnx__TypeProto *tp = vi_proto->type;
  if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !tp->tensor_type)
    return gt_error_set(err, GT_ERR_UNSUPPORTED, "%s: input '%s' is not a tensor", im->src.display, name);
  const Onnx__TypeProto__Tensor *tt = tp->tensor_type;
  if (!tt->has_elem_type || tt->elem_type != GT_ONNX_FLOAT)
    return gt_error_set(err, GT_ERR_UNSUPPORTED, "%s: input '%s' has element type %s; Gauntlet needs float",
                        im->src.display, name, gt_onnx_elem_name(tt->has_elem_type ? tt->elem_type : 0));
  const Onnx__TensorShapeProto *sp = tt->shape;
  if (!sp || sp->n_dim < 1)
    return gt_error_set(err, GT_ERR_UNSUPPORTED, "%s: input '%s' has no shape with a batch dim", im->src.display,
                        name);
  if (sp->n_dim > GT_MAX_DIMS)
    return gt_error_set(err, GT_ERR_LIMIT, "%s: input '%s' has rank %zu (at most %d)", im->src.display, name,
                        sp->n_dim, GT_MAX_DIMS);
  int64_t shape[GT_MAX_DIMS];
  im->batch_static = -1;
  for (size_t d = 0; d < sp->n_dim; d++) {
    const Onnx__TensorShapeProto__Dimension *dim = sp->dim[d];
    int has_value = dim && dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
    if (d == 0) {
      if (has_value && dim->dim_value >= 1) im->batch_static = dim->dim_value;
      shape[0] = GT_DIM_BATCH;
      continue;
    }
    if (!has_value)
      return gt_error_set(err, GT_ERR_UNSUPPORTED,
                          "%s: input '%s' dim %zu is symbolic ('%s'); Gauntlet needs fixed sample shapes",
                          im->src.display, name, d,
                          dim && dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM
                              ? str_or_empty(dim->dim_param)
                              : "");
    if (dim->dim_value < 1 || dim->dim_value > GT_MAX_DIM_SIZE)
      return gt_error_set(err, GT_ERR_FORMAT, "%s: input '%s' dim %zu = %lld is outside 1..%lld", im->src.display,
                          name, d, (long long)dim->dim_value, (long long)GT_MAX_DIM_SIZE);
    shape[d] = dim->dim_value;
  }
  int64_t per_sample = 0;
  char what[300];
  snprintf(what, sizeof what, "%s: input '%s'", im->src.display, name);
  gt_status st = gt_shape_numel_checked((int)sp->n_dim - 1, shape + 1, &per_sample, what, err);
  if (st != GT_OK) return st;
  int vi = gt_onnx_add_value(im, name, err);
  if (vi < 0) return GT_ERR_MEMORY;
  int id = gt_graph_add_value(im->g, name, 1, (int)sp->n_dim, shape, NULL, err);
  if (id < 0) return err ? err->code : GT_ERR_MEMORY;
  im->vals.v[vi].kind = GT_ONNX_VAL_BATCHED;
  im->vals.v[vi].graph_id = id;
  im->g->input = id;
  return GT_OK;
}

gt_status gt_onnx_add_runtime_input(gt_onnx_import *im, gt_error *err) {
  const Onnx__ValueInfoProto *runtime = NULL;
  int n_runtime = 0;
  char names[256] = "";
  for (size_t k = 0; k < im->graph->n_input; k++) {
    const Onnx__ValueInfoProto *v = im->graph->input[k];
    const char *name = v ? str_or_empty(v->name) : "";
    if (!name[0]) return gt_error_set(err, GT_ERR_FORMAT, "%s: graph input %zu has no name", im->src.display, k);
    if (gt_onnx_values_find(&im->vals, name) >= 0) continue; /* an initializer or bound input */
    /* Only the first runtime input matters (any second one is an error): one comparison keeps this linear. */
    if (runtime && !strcmp(str_or_empty(runtime->name), name))
      return gt_error_set(err, GT_ERR_FORMAT, "%s: graph input '%s' is listed twice", im->src.display, name);
    if (n_runtime++ == 0) runtime = v;
    size_t used = strlen(names);
    snprintf(names + used, sizeof names - used, "%s'%s'", used ? ", " : "", name);
  }
  if (n_runtime != 1)
    return gt_error_set(err, GT_ERR_FORMAT,
                        "%s: the graph has %d runtime inputs (%s); Gauntlet needs exactly one (the image batch)",
                        im->src.display, n_runtime, n_runtime ? names : "none");
  return add_input_value(im, runtime, err);
}

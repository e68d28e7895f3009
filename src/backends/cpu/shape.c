/* Data-movement ops: Reshape (a view), Transpose, Concat. Each output element is exactly one
 * input element, so every backward is "add dy at the element it came from", and threads that
 * take disjoint outputs also touch disjoint inputs. Pad is in pad.c. */
#include "cpu_ops.h"
#include "backends/op_layout.h"

#include <string.h>

/* ---- Reshape: x [any] -> y [same element count]; row-major order is kept. ---- */

static gt_status reshape_check(const gt_op_call *call, gt_error *err) { return gt_op_reshape_check("cpu", call, err); }

/* Copies when the output has its own buffer; nothing to do when it aliases the input. */
gt_status gt_cpu_reshape_forward(gt_backend *be, const gt_op_call *call, gt_error *err) {
  gt_status st = reshape_check(call, err);
  if (st != GT_OK) return st;
  if (call->out->data != call->in[0]->data && gt_tensor_numel(call->out) > 0)
    memmove(call->out->data, call->in[0]->data, (size_t)gt_tensor_numel(call->out) * sizeof(float));
  return GT_OK;
}

/* dx += dy, except when the gradient buffers alias (a view whose gradient the executor shares
 * with its input's): then everything added to dy is already in dx. */
gt_status gt_cpu_reshape_backward(gt_backend *be, const gt_op_call *call, const gt_tensor *grad_out,
                                  gt_tensor *const *grad_in, gt_error *err) {
  gt_status st = reshape_check(call, err);
  if (st == GT_OK) st = gt_cpu_check_backward(call, 1, 2, grad_out, grad_in, err);
  if (st != GT_OK) return st;
  if (!grad_in[0] || grad_in[0]->data == grad_out->data) return GT_OK;
  int64_t total = gt_tensor_numel(grad_out);
  float *dx = grad_in[0]->data;
  const float *dy = grad_out->data;
#pragma omp parallel for num_threads(gt_cpu_threads(be)) schedule(static) if (total >= GT_CPU_PAR_MIN)
  for (int64_t i = 0; i < total; i++) dx[i] += dy[i];
  return GT_OK;
}

/* ---- Transpose: y.shape[d] = x.shape[perm[d]], y[i_0..i_r] = x[j] with j[perm[d]] = i_d. ----
 * y is walked in rows of its last dim; along a row the source advances by x's stride of dim
 * perm[last]. */

static gt_status transpose_check(const gt_op_call *call, gt_error *err) { return gt_op_transpose_check("cpu", call, err); }

/* The rows of y and, per y dim, the stride of the x dim it reads. */
typedef struct transpose_plan {
  int ndim;
  int64_t row_len, rows;
  int64_t src_stride[GT_MAX_DIMS]; /* x stride of dim perm[d] */
} transpose_plan;

static transpose_plan transpose_plan_of(const gt_op_call *call) {
  const gt_tensor *x = call->in[0], *y = call->out;
  transpose_plan tp;
  int64_t xs[GT_MAX_DIMS], stride = 1;
  for (int d = x->ndim - 1; d >= 0; d--) {
    xs[d] = stride;
    stride *= x->shape[d];
  }
  tp.ndim = y->ndim;
  for (int d = 0; d < y->ndim; d++) tp.src_stride[d] = xs[call->node->p.transpose.perm[d]];
  tp.row_len = y->ndim > 0 ? y->shape[y->ndim - 1] : 1;
  tp.rows = tp.row_len > 0 ? gt_tensor_numel(y) / tp.row_len : 0;
  return tp;
}

/* Offset in x of the first element of y's row r. */
static int64_t transpose_row_source(const transpose_plan *tp, const gt_tensor *y, int64_t r) {
  int64_t idx[GT_MAX_DIMS];
  int outer_dims = tp->ndim > 0 ? tp->ndim - 1 : 0;
  gt_cpu_unravel(r, outer_dims, y->shape, idx);
  int64_t off = 0;
  for (int d = 0; d < outer_dims; d++) off += idx[d] * tp->src_stride[d];
  return off;
}

gt_status gt_cpu_transpose_forward(gt_backend *be, const gt_op_call *call, gt_error *err) {
  gt_status st = transpose_check(call, err);
  if (st != GT_OK) return st;
  transpose_plan tp = transpose_plan_of(call);
  int64_t inner_stride = tp.ndim > 0 ? tp.src_stride[tp.ndim - 1] : 1;
  const float *x = call->in[0]->data;
  float *y = call->out->data;
#pragma omp parallel for num_threads(gt_cpu_threads(be)) schedule(static) if (tp.rows * tp.row_len >= GT_CPU_PAR_MIN)
  for (int64_t r = 0; r < tp.rows; r++) {
    int64_t src = transpose_row_source(&tp, call->out, r);
    float *yr = y + r * tp.row_len;
    for (int64_t t = 0; t < tp.row_len; t++) yr[t] = x[src + t * inner_stride];
  }
  return GT_OK;
}

gt_status gt_cpu_transpose_backward(gt_backend *be, const gt_op_call *call, const gt_tensor *grad_out,
                                    gt_tensor *const *grad_in, gt_error *err) {
  gt_status st = transpose_check(call, err);
  if (st == GT_OK) st = gt_cpu_check_backward(call, 1, 1, grad_out, grad_in, err);
  if (st != GT_OK) return st;
  if (!grad_in[0]) return GT_OK;
  transpose_plan tp = transpose_plan_of(call);
  int64_t inner_stride = tp.ndim > 0 ? tp.src_stride[tp.ndim - 1] : 1;
  const float *dy = grad_out->data;
  float *dx = grad_in[0]->data;
#pragma omp parallel for num_threads(gt_cpu_threads(be)) schedule(static) if (tp.rows * tp.row_len >= GT_CPU_PAR_MIN)
  for (int64_t r = 0; r < tp.rows; r++) {
    int64_t src = transpose_row_source(&tp, call->out, r);
    const float *dyr = dy + r * tp.row_len;
    for (int64_t t = 0; t < tp.row_len; t++) dx[src + t * inner_stride] += dyr[t];
  }
  return GT_OK;
}

/* ---- Concat: inputs [.., L_i, ..] joined along `axis` into y [.., sum L_i, ..]. ---- */

static gt_status concat_check(const gt_op_call *call, int64_t *outer, int64_t *inner, gt_error *err) {
  return gt_op_concat_check("cpu", call, outer, inner, err);
}

gt_status gt_cpu_concat_forward(gt_backend *be, const gt_op_call *call, gt_error *err) {
  int64_t outer, inner;
  gt_status st = concat_check(call, &outer, &inner, err);
  if (st != GT_OK) return st;
  int axis = call->node->p.concat.axis;
  int64_t y_len = call->out->shape[axis];
#pragma omp parallel for num_threads(gt_cpu_threads(be)) schedule(static) \
    if (gt_tensor_numel(call->out) >= GT_CPU_PAR_MIN && outer > 1)
  for (int64_t o = 0; o < outer; o++) {
    int64_t start = 0; /* where input i begins along the axis */
    for (int i = 0; i < call->node->n_inputs; i++) {
      int64_t len = call->in[i]->shape[axis];
      if (len * inner > 0)
        memcpy(call->out->data + (o * y_len + start) * inner, call->in[i]->data + o * len * inner,
               (size_t)(len * inner) * sizeof(float));
      start += len;
    }
  }
  return GT_OK;
}

gt_status gt_cpu_concat_backward(gt_backend *be, const gt_op_call *call, const gt_tensor *grad_out,
                                 gt_tensor *const *grad_in, gt_error *err) {
  int64_t outer, inner;
  gt_status st = concat_check(call, &outer, &inner, err);
  if (st == GT_OK) st = gt_cpu_check_backward(call, 1, 1 << 20, grad_out, grad_in, err);
  if (st != GT_OK) return st;
  int axis = call->node->p.concat.axis;
  int64_t y_len = call->out->shape[axis];
#pragma omp parallel for num_threads(gt_cpu_threads(be)) schedule(static) \
    if (gt_tensor_numel(grad_out) >= GT_CPU_PAR_MIN && outer > 1)
  for (int64_t o = 0; o < outer; o++) {
    int64_t start = 0;
    for (int i = 0; i < call->node->n_inputs; i++) {
      int64_t len = call->in[i]->shape[axis];
      if (grad_in[i] && len * inner > 0) {
        float *dx = grad_in[i]->data + o * len * inner;
        const float *dy = grad_out->data + (o * y_len + start) * inner;
        for (int64_t e = 0; e < len * inner; e++) dx[e] += dy[e];
      }
      start += len;
    }
  }
  return GT_OK;
}

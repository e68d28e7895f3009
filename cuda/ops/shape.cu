/* Data-movement ops on the device: Reshape (a view), Transpose, Concat. Each output element is
 * exactly one input element, so one thread per output element, and every backward is "add dy at
 * the element it came from" without collisions (no atomics). Pad is in pad.cu. */
#include "cuda_ops.h"
#include "backends/op_layout.h"

/* dx[e] += dy[e]. */
static __global__ void add_kernel(const float *__restrict__ dy, int64_t total, float *__restrict__ dx) {
  GT_KERNEL_LOOP(e, total) dx[e] += dy[e];
}

static gt_status add_into(gt_backend *be, const float *dy, int64_t total, float *dx, gt_error *err) {
  if (total == 0) return GT_OK;
  GT_LAUNCH(add_kernel, gt_cuda_blocks(total, GT_CUDA_THREADS), GT_CUDA_THREADS, 0, gt_cuda_stream(be), dy, total, dx);
  GT_LAUNCH_CHECK();
  return GT_OK;
}

/* ---- Reshape: x [any] -> y [same element count]; row-major order is kept. ---- */

/* Copies when the output has its own buffer; nothing to do when it aliases the input. */
gt_status gt_cuda_reshape_forward(gt_backend *be, const gt_op_call *call, gt_error *err) {
  gt_status st = gt_op_reshape_check(GT_CUDA_BACKEND_NAME, call, err);
  if (st != GT_OK) return st;
  int64_t total = gt_tensor_numel(call->out);
  if (call->out->data != call->in[0]->data && total > 0)
    GT_CUDA_TRY(cudaMemcpyAsync(call->out->data, call->in[0]->data, (size_t)total * sizeof(float),
                                cudaMemcpyDeviceToDevice, gt_cuda_stream(be)));
  return GT_OK;
}

/* dx += dy, except when the gradient buffers alias (the executor shares a view's gradient with
 * its input's): then everything added to dy is already in dx. */
gt_status gt_cuda_reshape_backward(gt_backend *be, const gt_op_call *call, const gt_tensor *grad_out,
                                   gt_tensor *const *grad_in, gt_error *err) {
  gt_status st = gt_op_reshape_check(GT_CUDA_BACKEND_NAME, call, err);
  if (st == GT_OK) st = gt_cuda_check_backward(call, 1, 2, grad_out, grad_in, err);
  if (st != GT_OK) return st;
  if (!grad_in[0] || grad_in[0]->data == grad_out->data) return GT_OK;
  return add_into(be, grad_out->data, gt_tensor_numel(grad_out), grad_in[0]->data, err);
}

/* ---- Transpose: y.shape[d] = x.shape[perm[d]], y[i_0..i_r] = x[j] with j[perm[d]] = i_d. ---- */

/* y's shape and, per y dim, the stride of the x dim it reads. */
typedef struct transpose_plan {
  int ndim;
  int64_t shape[GT_MAX_DIMS];
  int64_t src_stride[GT_MAX_DIMS];
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
  for (int d = 0; d < GT_MAX_DIMS; d++) {
    tp.shape[d] = d < y->ndim ? y->shape[d] : 1;
    tp.src_stride[d] = d < y->ndim ? xs[call->node->p.transpose.perm[d]] : 0;
  }
  return tp;
}

/* Offset in x of y's element e. */
static __device__ __host__ int64_t transpose_source(const transpose_plan &tp, int64_t e) {
  int64_t off = 0;
  for (int d = tp.ndim - 1; d >= 0; d--) {
    off += (e % tp.shape[d]) * tp.src_stride[d];
    e /= tp.shape[d];
  }
  return off;
}

static __global__ void transpose_forward_kernel(transpose_plan tp, const float *__restrict__ x, int64_t total,
                                                float *__restrict__ y) {
  GT_KERNEL_LOOP(e, total) y[e] = x[transpose_source(tp, e)];
}

static __global__ void transpose_backward_kernel(transpose_plan tp, const float *__restrict__ dy, int64_t total,
                                                 float *__restrict__ dx) {
  GT_KERNEL_LOOP(e, total) dx[transpose_source(tp, e)] += dy[e];
}

gt_status gt_cuda_transpose_forward(gt_backend *be, const gt_op_call *call, gt_error *err) {
  gt_status st = gt_op_transpose_check(GT_CUDA_BACKEND_NAME, call, err);
  if (st != GT_OK) return st;
  int64_t total = gt_tensor_numel(call->out);
  if (total == 0) return GT_OK;
  GT_LAUNCH(transpose_forward_kernel, gt_cuda_blocks(total, GT_CUDA_THREADS), GT_CUDA_THREADS, 0, gt_cuda_stream(be),
            transpose_plan_of(call), call->in[0]->data, total, call->out->data);
  GT_LAUNCH_CHECK();
  return GT_OK;
}

gt_status gt_cuda_transpose_backward(gt_backend *be, const gt_op_call *call, const gt_tensor *grad_out,
                                     gt_tensor *const *grad_in, gt_error *err) {
  gt_status st = gt_op_transpose_check(GT_CUDA_BACKEND_NAME, call, err);
  if (st == GT_OK) st = gt_cuda_check_backward(call, 1, 1, grad_out, grad_in, err);
  if (st != GT_OK) return st;
  int64_t total = gt_tensor_numel(grad_out);
  if (!grad_in[0] || total == 0) return GT_OK;
  GT_LAUNCH(transpose_backward_kernel, gt_cuda_blocks(total, GT_CUDA_THREADS), GT_CUDA_THREADS, 0, gt_cuda_stream(be),
            transpose_plan_of(call), grad_out->data, total, grad_in[0]->data);
  GT_LAUNCH_CHECK();
  return GT_OK;
}

/* ---- Concat: inputs [outer, L_i, inner] joined along the axis into y [outer, sum L_i, inner]. ----
 * Input i is the block of y starting at `start` (the lengths before it) along the axis. */

/* y[o, start + l, r] = x[o, l, r] (forward) or dx[o, l, r] += dy[o, start + l, r] (backward),
 * for e = (o*len + l)*inner + r. */
static __global__ void concat_kernel(int backward, int64_t len_inner, int64_t y_len_inner, int64_t start_inner,
                                     int64_t total, float *__restrict__ part, float *__restrict__ whole) {
  GT_KERNEL_LOOP(e, total) {
    int64_t at = (e / len_inner) * y_len_inner + start_inner + e % len_inner;
    if (backward)
      part[e] += whole[at];
    else
      whole[at] = part[e];
  }
}

static gt_status concat_run(gt_backend *be, const gt_op_call *call, float *y, const gt_tensor *const *parts, int backward,
                            gt_error *err) {
  int64_t outer, inner;
  gt_status st = gt_op_concat_check(GT_CUDA_BACKEND_NAME, call, &outer, &inner, err);
  if (st != GT_OK) return st;
  int axis = call->node->p.concat.axis;
  int64_t y_len = call->out->shape[axis], start = 0;
  for (int i = 0; i < call->node->n_inputs; i++) {
    int64_t len = call->in[i]->shape[axis], total = outer * len * inner;
    if (parts[i] && total > 0) {
      GT_LAUNCH(concat_kernel, gt_cuda_blocks(total, GT_CUDA_THREADS), GT_CUDA_THREADS, 0, gt_cuda_stream(be),
                backward, len * inner, y_len * inner, start * inner, total, parts[i]->data, y);
      GT_LAUNCH_CHECK();
    }
    start += len;
  }
  return GT_OK;
}

gt_status gt_cuda_concat_forward(gt_backend *be, const gt_op_call *call, gt_error *err) {
  return concat_run(be, call, call->out->data, call->in, 0, err);
}

gt_status gt_cuda_concat_backward(gt_backend *be, const gt_op_call *call, const gt_tensor *grad_out,
                                  gt_tensor *const *grad_in, gt_error *err) {
  gt_status st = gt_cuda_check_backward(call, 1, 1 << 20, grad_out, grad_in, err);
  if (st != GT_OK) return st;
  return concat_run(be, call, grad_out->data, grad_in, 1, err);
}

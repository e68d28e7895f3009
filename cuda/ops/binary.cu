/* Add, Sub, Mul, Div with numpy broadcasting on the device.
 *   a [..], b [..]  ->  y [broadcast shape]     either input may be a constant.
 * The broadcast is planned on the host (gt_op_broadcast_plan: collapsed dims and per-input
 * strides, 0 along broadcast dims) and passed to the kernels by value.
 * Forward and the gradient of an input that is not broadcast: one thread per element of y.
 * Gradient of a broadcast input: one thread per element of that input, summing its terms over the
 * dims it is broadcast along in row-major order, in double: no atomics, the same order (and so the
 * same bits) as the cpu backend, whatever the launch shape. Formulas: gauntlet/hd/binary.h. */
#include "cuda_ops.h"

#include "gauntlet/hd/binary.h"

/* Element offsets in a, b, y of position i of the collapsed output. */
__device__ __host__ static inline void bplan_offsets(const gt_op_bplan &bp, int64_t i, int64_t off[3]) {
  off[0] = off[1] = off[2] = 0;
  for (int d = bp.ndim - 1; d >= 0; d--) {
    int64_t k = i % bp.shape[d];
    i /= bp.shape[d];
    for (int t = 0; t < 3; t++) off[t] += k * bp.st[t][d];
  }
}

__global__ void gt_binary_forward_kernel(gt_op_bplan bp, gt_op_kind op, const float *a, const float *b, float *y,
                                         int64_t n) {
  GT_KERNEL_LOOP(i, n) {
    int64_t off[3];
    bplan_offsets(bp, i, off);
    y[off[2]] = gt_binary_apply(op, a[off[0]], b[off[1]]);
  }
}

/* in[which] is laid out like y (not broadcast): one term per element. */
__global__ void gt_binary_backward_same_kernel(gt_op_bplan bp, gt_op_kind op, int which, const float *a,
                                               const float *b, const float *dy, float *dx, int64_t n) {
  GT_KERNEL_LOOP(i, n) {
    int64_t off[3];
    bplan_offsets(bp, i, off);
    dx[off[2]] += dy[off[2]] * gt_binary_partial(op, which, a[off[0]], b[off[1]]);
  }
}

/* The collapsed dims split into those in[which] owns (stride != 0) and those it is broadcast on. */
typedef struct breduce {
  int n_own, n_red;
  int own[GT_MAX_DIMS], red[GT_MAX_DIMS];
  int64_t red_total;
} breduce;

__global__ void gt_binary_backward_reduce_kernel(gt_op_bplan bp, breduce br, gt_op_kind op, int which,
                                                 const float *a, const float *b, const float *dy, float *dx,
                                                 int64_t numel) {
  GT_KERNEL_LOOP(e, numel) {
    int64_t base[3] = {0, 0, 0}, rest = e;
    for (int k = br.n_own - 1; k >= 0; k--) {
      int d = br.own[k];
      int64_t idx = rest % bp.shape[d];
      rest /= bp.shape[d];
      for (int t = 0; t < 3; t++) base[t] += idx * bp.st[t][d];
    }
    double acc = 0.0;
    for (int64_t q = 0; q < br.red_total; q++) {
      int64_t off[3] = {base[0], base[1], base[2]}, r = q;
      for (int k = br.n_red - 1; k >= 0; k--) {
        int d = br.red[k];
        int64_t idx = r % bp.shape[d];
        r /= bp.shape[d];
        for (int t = 0; t < 3; t++) off[t] += idx * bp.st[t][d];
      }
      acc += (double)dy[off[2]] * (double)gt_binary_partial(op, which, a[off[0]], b[off[1]]);
    }
    dx[e] += (float)acc;
  }
}

gt_status gt_cuda_binary_forward(gt_backend *be, const gt_op_call *call, gt_error *err) {
  gt_op_bplan bp;
  gt_status st = gt_op_broadcast_plan(GT_CUDA_BACKEND_NAME, call, &bp, err);
  if (st != GT_OK) return st;
  int64_t n = gt_tensor_numel(call->out);
  if (n == 0) return GT_OK;
  GT_LAUNCH(gt_binary_forward_kernel, gt_cuda_blocks(n, GT_CUDA_THREADS), GT_CUDA_THREADS, 0, gt_cuda_stream(be), bp,
            call->node->op, call->in[0]->data, call->in[1]->data, call->out->data, n);
  GT_LAUNCH_CHECK();
  return GT_OK;
}

gt_status gt_cuda_binary_backward(gt_backend *be, const gt_op_call *call, const gt_tensor *grad_out,
                                  gt_tensor *const *grad_in, gt_error *err) {
  gt_op_bplan bp;
  gt_status st = gt_op_broadcast_plan(GT_CUDA_BACKEND_NAME, call, &bp, err);
  if (st == GT_OK) st = gt_cuda_check_backward(call, 2, 2, grad_out, grad_in, err);
  if (st != GT_OK) return st;
  int64_t total = gt_tensor_numel(call->out);
  if (total == 0) return GT_OK;
  const float *a = call->in[0]->data, *b = call->in[1]->data;
  cudaStream_t s = gt_cuda_stream(be);
  for (int which = 0; which < 2; which++) {
    if (!grad_in[which]) continue;
    int64_t numel = gt_tensor_numel(call->in[which]);
    if (numel == total) {
      GT_LAUNCH(gt_binary_backward_same_kernel, gt_cuda_blocks(total, GT_CUDA_THREADS), GT_CUDA_THREADS, 0, s, bp,
                call->node->op, which, a, b, grad_out->data, grad_in[which]->data, total);
      GT_LAUNCH_CHECK();
      continue;
    }
    breduce br;
    br.n_own = br.n_red = 0;
    br.red_total = 1;
    for (int d = 0; d < bp.ndim; d++) {
      if (bp.st[which][d] != 0) {
        br.own[br.n_own++] = d;
      } else {
        br.red[br.n_red++] = d;
        br.red_total *= bp.shape[d];
      }
    }
    GT_LAUNCH(gt_binary_backward_reduce_kernel, gt_cuda_blocks(numel, GT_CUDA_THREADS), GT_CUDA_THREADS, 0, s, bp, br,
              call->node->op, which, a, b, grad_out->data, grad_in[which]->data, numel);
    GT_LAUNCH_CHECK();
  }
  return GT_OK;
}

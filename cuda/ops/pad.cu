/* Pad on the device: y.shape[d] = x.shape[d] + begin[d] + end[d]; negative amounts crop.
 * Output index o reads input index gt_hd_pad_source(mode, o - begin[d], n) per dim (constant ->
 * the pad value outside [0, n); edge -> clamp; reflect -> mirror, periodic for long pads), the
 * cpu / ref rule. Forward: one thread per output. Backward: reflect and edge send several outputs
 * to one input, so one thread per INPUT element walks the outputs that read it in ascending
 * row-major order (gt_hd_pad_next_output per dim, an odometer over the dims) and adds their dy:
 * the cpu backend's order of additions, and no atomics. */
#include "cuda_ops.h"
#include "backends/op_layout.h"
#include "gauntlet/hd/layout.h"

typedef struct pad_plan {
  int ndim, mode;
  float value;
  int64_t x_shape[GT_MAX_DIMS], y_shape[GT_MAX_DIMS], begin[GT_MAX_DIMS];
} pad_plan;

static pad_plan pad_plan_of(const gt_op_call *call) {
  const gt_pad_params *p = &call->node->p.pad;
  pad_plan pp;
  pp.ndim = call->out->ndim;
  pp.mode = (int)p->mode;
  pp.value = p->value;
  for (int d = 0; d < GT_MAX_DIMS; d++) {
    pp.x_shape[d] = d < pp.ndim ? call->in[0]->shape[d] : 1;
    pp.y_shape[d] = d < pp.ndim ? call->out->shape[d] : 1;
    pp.begin[d] = d < pp.ndim ? p->begin[d] : 0;
  }
  return pp;
}

static __global__ void pad_forward_kernel(pad_plan pp, const float *__restrict__ x, int64_t total,
                                          float *__restrict__ y) {
  GT_KERNEL_LOOP(e, total) {
    int64_t rest = e, src = 0, scale = 1;
    int inside = 1;
    for (int d = pp.ndim - 1; d >= 0; d--) {
      int64_t i = gt_hd_pad_source(pp.mode, rest % pp.y_shape[d] - pp.begin[d], pp.x_shape[d]);
      rest /= pp.y_shape[d];
      if (i < 0) inside = 0;
      src += i * scale;
      scale *= pp.x_shape[d];
    }
    y[e] = inside ? x[src] : pp.value;
  }
}

static __global__ void pad_backward_kernel(pad_plan pp, const float *__restrict__ dy, int64_t total,
                                           float *__restrict__ dx) {
  GT_KERNEL_LOOP(e, total) {
    int64_t idx[GT_MAX_DIMS], o[GT_MAX_DIMS], rest = e;
    for (int d = pp.ndim - 1; d >= 0; d--) {
      idx[d] = rest % pp.x_shape[d];
      rest /= pp.x_shape[d];
    }
    int any = 1;
    for (int d = 0; d < pp.ndim; d++) {
      o[d] = gt_hd_pad_next_output(pp.mode, idx[d], pp.x_shape[d], pp.begin[d], pp.y_shape[d], -1);
      if (o[d] < 0) any = 0;
    }
    if (!any) continue; /* cropped away: no output reads this element */
    float acc = dx[e];
    for (;;) {
      int64_t flat = 0;
      for (int d = 0; d < pp.ndim; d++) flat = flat * pp.y_shape[d] + o[d];
      acc += dy[flat];
      /* Next output in row-major order: advance the last dim, carrying into earlier ones. */
      int d = pp.ndim - 1;
      for (; d >= 0; d--) {
        int64_t next = gt_hd_pad_next_output(pp.mode, idx[d], pp.x_shape[d], pp.begin[d], pp.y_shape[d], o[d]);
        if (next >= 0) {
          o[d] = next;
          break;
        }
        o[d] = gt_hd_pad_next_output(pp.mode, idx[d], pp.x_shape[d], pp.begin[d], pp.y_shape[d], -1);
      }
      if (d < 0) break;
    }
    dx[e] = acc;
  }
}

gt_status gt_cuda_pad_forward(gt_backend *be, const gt_op_call *call, gt_error *err) {
  gt_status st = gt_op_pad_check(GT_CUDA_BACKEND_NAME, call, err);
  if (st != GT_OK) return st;
  int64_t total = gt_tensor_numel(call->out);
  if (total == 0) return GT_OK;
  GT_LAUNCH(pad_forward_kernel, gt_cuda_blocks(total, GT_CUDA_THREADS), GT_CUDA_THREADS, 0, gt_cuda_stream(be),
            pad_plan_of(call), call->in[0]->data, total, call->out->data);
  GT_LAUNCH_CHECK();
  return GT_OK;
}

gt_status gt_cuda_pad_backward(gt_backend *be, const gt_op_call *call, const gt_tensor *grad_out,
                               gt_tensor *const *grad_in, gt_error *err) {
  gt_status st = gt_op_pad_check(GT_CUDA_BACKEND_NAME, call, err);
  if (st == GT_OK) st = gt_cuda_check_backward(call, 1, 4, grad_out, grad_in, err);
  if (st != GT_OK) return st;
  int64_t total = grad_in[0] ? gt_tensor_numel(grad_in[0]) : 0;
  if (total == 0 || gt_tensor_numel(grad_out) == 0) return GT_OK;
  GT_LAUNCH(pad_backward_kernel, gt_cuda_blocks(total, GT_CUDA_THREADS), GT_CUDA_THREADS, 0, gt_cuda_stream(be),
            pad_plan_of(call), grad_out->data, total, grad_in[0]->data);
  GT_LAUNCH_CHECK();
  return GT_OK;
}

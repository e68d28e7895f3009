/* Elementwise activations on the device: Relu, LeakyRelu, Sigmoid, Tanh, Clip.
 *   x [any]  ->  y [same shape];  backward dx += dy * f'(x) (Sigmoid, Tanh: f' from the saved y)
 * One grid-stride kernel per direction; the op is a launch argument (uniform over the grid, so no
 * divergence). Formulas: gauntlet/hd/activation.h. */
#include "cuda_ops.h"

#include "gauntlet/hd/activation.h"

__global__ void gt_unary_forward_kernel(gt_op_kind op, const float *x, float *y, int64_t n, float p0, float p1) {
  GT_KERNEL_LOOP(i, n) {
    float v = x[i];
    switch (op) {
      case GT_OP_RELU: y[i] = gt_relu(v); break;
      case GT_OP_LEAKY_RELU: y[i] = gt_leaky_relu(v, p0); break;
      case GT_OP_SIGMOID: y[i] = gt_sigmoid(v); break;
      case GT_OP_TANH: y[i] = gt_tanh(v); break;
      default: y[i] = gt_clip(v, p0, p1); break;
    }
  }
}

__global__ void gt_unary_backward_kernel(gt_op_kind op, const float *x, const float *y, const float *dy, float *dx,
                                         int64_t n, float p0, float p1) {
  GT_KERNEL_LOOP(i, n) {
    float g;
    switch (op) {
      case GT_OP_RELU: g = gt_relu_grad(x[i]); break;
      case GT_OP_LEAKY_RELU: g = gt_leaky_relu_grad(x[i], p0); break;
      case GT_OP_SIGMOID: g = gt_sigmoid_grad_from_y(y[i]); break;
      case GT_OP_TANH: g = gt_tanh_grad_from_y(y[i]); break;
      default: g = gt_clip_grad(x[i], p0, p1); break;
    }
    dx[i] += dy[i] * g;
  }
}

static gt_status unary_check(const gt_op_call *call, float *p0, float *p1, gt_error *err) {
  /* Clip may keep its (folded, constant) min and max as extra inputs: only in[0] is read. */
  gt_status st = gt_cuda_check_call(call, 1, 3, err);
  if (st != GT_OK) return st;
  gt_op_kind op = call->node->op;
  if (op != GT_OP_RELU && op != GT_OP_LEAKY_RELU && op != GT_OP_SIGMOID && op != GT_OP_TANH && op != GT_OP_CLIP)
    return gt_cuda_op_fail(call, err, GT_ERR_INTERNAL, "not an elementwise activation");
  if (op != GT_OP_CLIP && call->node->n_inputs != 1)
    return gt_cuda_op_fail(call, err, GT_ERR_SHAPE, "has %d inputs, expected 1", call->node->n_inputs);
  if (!gt_op_same_shape(call->in[0], call->out))
    return gt_cuda_op_fail(call, err, GT_ERR_SHAPE, "output shape differs from the input shape");
  *p0 = op == GT_OP_LEAKY_RELU ? call->node->p.leaky_relu.alpha : (op == GT_OP_CLIP ? call->node->p.clip.min : 0.0f);
  *p1 = op == GT_OP_CLIP ? call->node->p.clip.max : 0.0f;
  return GT_OK;
}

gt_status gt_cuda_unary_forward(gt_backend *be, const gt_op_call *call, gt_error *err) {
  float p0 = 0.0f, p1 = 0.0f;
  gt_status st = unary_check(call, &p0, &p1, err);
  if (st != GT_OK) return st;
  int64_t n = gt_tensor_numel(call->out);
  if (n == 0) return GT_OK;
  GT_LAUNCH(gt_unary_forward_kernel, gt_cuda_blocks(n, GT_CUDA_THREADS), GT_CUDA_THREADS, 0, gt_cuda_stream(be),
            call->node->op, call->in[0]->data, call->out->data, n, p0, p1);
  GT_LAUNCH_CHECK();
  return GT_OK;
}

gt_status gt_cuda_unary_backward(gt_backend *be, const gt_op_call *call, const gt_tensor *grad_out,
                                 gt_tensor *const *grad_in, gt_error *err) {
  float p0 = 0.0f, p1 = 0.0f;
  gt_status st = unary_check(call, &p0, &p1, err);
  if (st == GT_OK) st = gt_cuda_check_backward(call, 1, 3, grad_out, grad_in, err);
  if (st != GT_OK) return st;
  int64_t n = gt_tensor_numel(call->out);
  if (!grad_in[0] || n == 0) return GT_OK;
  GT_LAUNCH(gt_unary_backward_kernel, gt_cuda_blocks(n, GT_CUDA_THREADS), GT_CUDA_THREADS, 0, gt_cuda_stream(be),
            call->node->op, call->in[0]->data, call->out->data, grad_out->data, grad_in[0]->data, n, p0, p1);
  GT_LAUNCH_CHECK();
  return GT_OK;
}

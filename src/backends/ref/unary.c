/* Elementwise activations: Relu, LeakyRelu, Sigmoid, Tanh, Clip.
 *   x [any]  ->  y [same shape]
 * The per-element formulas and derivatives are those of gauntlet/hd/activation.h (shared with
 * every backend); this file only loops. Sigmoid and Tanh differentiate from the saved output y,
 * the piecewise ones from the input x. */
#include "ref_ops.h"

#include "gauntlet/hd/activation.h"

static gt_status unary_check(const gt_op_call *call, gt_error *err) {
  /* Clip may keep its (folded, constant) min and max as extra inputs: only in[0] is read. */
  gt_status st = gt_ref_check_call(call, 1, 3, err);
  if (st != GT_OK) return st;
  gt_op_kind op = call->node->op;
  if (op != GT_OP_RELU && op != GT_OP_LEAKY_RELU && op != GT_OP_SIGMOID && op != GT_OP_TANH && op != GT_OP_CLIP)
    return gt_ref_fail(call, err, GT_ERR_INTERNAL, "not an elementwise activation");
  if (op != GT_OP_CLIP && call->node->n_inputs != 1)
    return gt_ref_fail(call, err, GT_ERR_SHAPE, "has %d inputs, expected 1", call->node->n_inputs);
  if (!gt_ref_same_shape(call->in[0], call->out))
    return gt_ref_fail(call, err, GT_ERR_SHAPE, "output shape differs from the input shape");
  return GT_OK;
}

gt_status gt_ref_unary_forward(gt_backend *be, const gt_op_call *call, gt_error *err) {
  gt_status st = unary_check(call, err);
  if (st != GT_OK) return st;
  const gt_node *node = call->node;
  const float *x = call->in[0]->data;
  float *y = call->out->data;
  int64_t total = gt_tensor_numel(call->out);
  for (int64_t i = 0; i < total; i++) {
    switch (node->op) {
      case GT_OP_RELU: y[i] = gt_relu(x[i]); break;
      case GT_OP_LEAKY_RELU: y[i] = gt_leaky_relu(x[i], node->p.leaky_relu.alpha); break;
      case GT_OP_SIGMOID: y[i] = gt_sigmoid(x[i]); break;
      case GT_OP_TANH: y[i] = gt_tanh(x[i]); break;
      default: y[i] = gt_clip(x[i], node->p.clip.min, node->p.clip.max); break;
    }
  }
  return GT_OK;
}

/* dx[i] += dy[i] * f'(x[i]) (or f' written in terms of y[i]). */
gt_status gt_ref_unary_backward(gt_backend *be, const gt_op_call *call, const gt_tensor *grad_out,
                                gt_tensor *const *grad_in, gt_error *err) {
  gt_status st = unary_check(call, err);
  if (st == GT_OK) st = gt_ref_check_backward(call, 1, 3, grad_out, grad_in, err);
  if (st != GT_OK) return st;
  if (!grad_in[0]) return GT_OK;
  const gt_node *node = call->node;
  const float *x = call->in[0]->data, *y = call->out->data, *dy = grad_out->data;
  float *dx = grad_in[0]->data;
  int64_t total = gt_tensor_numel(call->out);
  for (int64_t i = 0; i < total; i++) {
    float d;
    switch (node->op) {
      case GT_OP_RELU: d = gt_relu_grad(x[i]); break;
      case GT_OP_LEAKY_RELU: d = gt_leaky_relu_grad(x[i], node->p.leaky_relu.alpha); break;
      case GT_OP_SIGMOID: d = gt_sigmoid_grad_from_y(y[i]); break;
      case GT_OP_TANH: d = gt_tanh_grad_from_y(y[i]); break;
      default: d = gt_clip_grad(x[i], node->p.clip.min, node->p.clip.max); break;
    }
    dx[i] += dy[i] * d;
  }
  return GT_OK;
}

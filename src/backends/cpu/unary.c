/* Elementwise activations: Relu, LeakyRelu, Sigmoid, Tanh, Clip, split over threads.
 *   x [any]  ->  y [same shape]
 * The per-element formulas and derivatives are those of gauntlet/hd/activation.h (shared with
 * every backend); this file only loops, one loop per op so the switch stays out of the loop.
 * Sigmoid and Tanh differentiate from the saved output y, the piecewise ones from the input x. */
/* The derivatives select with a float compare (x > 0 ? 1 : 0). GCC keeps such a select as a
 * branch, which stops vectorisation, unless it may assume FP traps are off, which they always
 * are here; the values computed do not change. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math")
#endif

#include "cpu_ops.h"

#include "gauntlet/hd/activation.h"

static gt_status unary_check(const gt_op_call *call, gt_error *err) {
  /* Clip may keep its (folded, constant) min and max as extra inputs: only in[0] is read. */
  gt_status st = gt_cpu_check_call(call, 1, 3, err);
  if (st != GT_OK) return st;
  gt_op_kind op = call->node->op;
  if (op != GT_OP_RELU && op != GT_OP_LEAKY_RELU && op != GT_OP_SIGMOID && op != GT_OP_TANH && op != GT_OP_CLIP)
    return gt_cpu_fail(call, err, GT_ERR_INTERNAL, "not an elementwise activation");
  if (op != GT_OP_CLIP && call->node->n_inputs != 1)
    return gt_cpu_fail(call, err, GT_ERR_SHAPE, "has %d inputs, expected 1", call->node->n_inputs);
  if (!gt_cpu_same_shape(call->in[0], call->out))
    return gt_cpu_fail(call, err, GT_ERR_SHAPE, "output shape differs from the input shape");
  return GT_OK;
}

gt_status gt_cpu_unary_forward(gt_backend *be, const gt_op_call *call, gt_error *err) {
  gt_status st = unary_check(call, err);
  if (st != GT_OK) return st;
  const gt_node *node = call->node;
  const float *x = call->in[0]->data;
  float *y = call->out->data;
  int64_t total = gt_tensor_numel(call->out);
  int nt = gt_cpu_threads(be), par = total >= GT_CPU_PAR_MIN;
  switch (node->op) {
    case GT_OP_RELU:
#pragma omp parallel for num_threads(nt) schedule(static) if (par)
      for (int64_t i = 0; i < total; i++) y[i] = gt_relu(x[i]);
      break;
    case GT_OP_LEAKY_RELU: {
      float alpha = node->p.leaky_relu.alpha;
#pragma omp parallel for num_threads(nt) schedule(static) if (par)
      for (int64_t i = 0; i < total; i++) y[i] = gt_leaky_relu(x[i], alpha);
      break;
    }
    case GT_OP_SIGMOID:
#pragma omp parallel for num_threads(nt) schedule(static) if (par)
      for (int64_t i = 0; i < total; i++) y[i] = gt_sigmoid(x[i]);
      break;
    case GT_OP_TANH:
#pragma omp parallel for num_threads(nt) schedule(static) if (par)
      for (int64_t i = 0; i < total; i++) y[i] = gt_tanh(x[i]);
      break;
    default: {
      float lo = node->p.clip.min, hi = node->p.clip.max;
#pragma omp parallel for num_threads(nt) schedule(static) if (par)
      for (int64_t i = 0; i < total; i++) y[i] = gt_clip(x[i], lo, hi);
      break;
    }
  }
  return GT_OK;
}

/* dx[i] += dy[i] * f'(x[i]) (or f' written in terms of y[i]); dx[i] = ... with GT_CALL_WRITE_GRAD. */
#define GRAD_LOOP(DERIV)                                                          \
  do {                                                                            \
    if (write) {                                                                  \
      _Pragma("omp parallel for num_threads(nt) schedule(static) if (par)")       \
      for (int64_t i = 0; i < total; i++) dx[i] = dy[i] * (DERIV);                \
    } else {                                                                      \
      _Pragma("omp parallel for num_threads(nt) schedule(static) if (par)")       \
      for (int64_t i = 0; i < total; i++) dx[i] += dy[i] * (DERIV);               \
    }                                                                             \
  } while (0)

gt_status gt_cpu_unary_backward(gt_backend *be, const gt_op_call *call, const gt_tensor *grad_out,
                                gt_tensor *const *grad_in, gt_error *err) {
  gt_status st = unary_check(call, err);
  if (st == GT_OK) st = gt_cpu_check_backward(call, 1, 3, grad_out, grad_in, err);
  if (st != GT_OK) return st;
  if (!grad_in[0]) return GT_OK;
  const gt_node *node = call->node;
  const float *x = call->in[0]->data, *y = call->out->data, *dy = grad_out->data;
  float *dx = grad_in[0]->data;
  int64_t total = gt_tensor_numel(call->out);
  int nt = gt_cpu_threads(be), par = total >= GT_CPU_PAR_MIN, write = (call->flags & GT_CALL_WRITE_GRAD) != 0;
  switch (node->op) {
    case GT_OP_RELU:
      GRAD_LOOP(gt_relu_grad(x[i]));
      break;
    case GT_OP_LEAKY_RELU: {
      float alpha = node->p.leaky_relu.alpha;
      GRAD_LOOP(gt_leaky_relu_grad(x[i], alpha));
      break;
    }
    case GT_OP_SIGMOID:
      GRAD_LOOP(gt_sigmoid_grad_from_y(y[i]));
      break;
    case GT_OP_TANH:
      GRAD_LOOP(gt_tanh_grad_from_y(y[i]));
      break;
    default: {
      float lo = node->p.clip.min, hi = node->p.clip.max;
      GRAD_LOOP(gt_clip_grad(x[i], lo, hi));
      break;
    }
  }
  return GT_OK;
}

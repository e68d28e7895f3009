/* Per-element forward and derivative formulas of the elementwise ops.
 * Derivatives are written in terms of what the backward pass has at hand: the input x for
 * piecewise functions, the output y where that is cheaper (sigmoid, tanh). */
#ifndef GAUNTLET_HD_ACTIVATION_H
#define GAUNTLET_HD_ACTIVATION_H

#include "gauntlet/hd/common.h"

GT_HD float gt_relu(float x) { return x > 0.0f ? x : 0.0f; }
/* Subgradient 0 at the kink, as torch does. */
GT_HD float gt_relu_grad(float x) { return x > 0.0f ? 1.0f : 0.0f; }

GT_HD float gt_leaky_relu(float x, float alpha) { return x >= 0.0f ? x : alpha * x; }
GT_HD float gt_leaky_relu_grad(float x, float alpha) { return x > 0.0f ? 1.0f : alpha; }

/* Written to avoid overflow of expf for large |x|. */
GT_HD float gt_sigmoid(float x) {
  if (x >= 0.0f) return 1.0f / (1.0f + expf(-x));
  float e = expf(x);
  return e / (1.0f + e);
}
GT_HD float gt_sigmoid_grad_from_y(float y) { return y * (1.0f - y); }

GT_HD float gt_tanh(float x) { return tanhf(x); }
GT_HD float gt_tanh_grad_from_y(float y) { return 1.0f - y * y; }

/* Clip passes the gradient on [min, max], bounds included, as torch.clamp does. */
GT_HD float gt_clip(float x, float lo, float hi) { return x < lo ? lo : (x > hi ? hi : x); }
GT_HD float gt_clip_grad(float x, float lo, float hi) { return (x >= lo && x <= hi) ? 1.0f : 0.0f; }

#endif

/* Per-element math of training (host and device): the SGD update and the pieces of batch norm
 * in training mode (gauntlet/train_ops.h states the formulas these compute). Every backend's
 * training table calls these; the reductions around them (sums per channel) are the backend's. */
#ifndef GAUNTLET_HD_TRAIN_H
#define GAUNTLET_HD_TRAIN_H

#include <stdint.h>

#include "gauntlet/hd/common.h"

/* One parameter: g = grad + wd * p; v = mu * v + g; p -= lr * v. */
GT_HD void gt_sgd_elem(float *param, float grad, float *velocity, float lr, float momentum, float weight_decay) {
  float g = grad + weight_decay * *param;
  float v = momentum * *velocity + g;
  *velocity = v;
  *param -= lr * v;
}

/* A channel mean (of x, dy or dy * xh) from its double sum over m values. */
GT_HD float gt_bn_mean(double sum, int64_t m) { return (float)(sum / (double)m); }

/* One value's addend to the channel's sum of squared deviations from its (float) mean. */
GT_HD double gt_bn_sq_dev(float x, float mean) {
  double dev = (double)x - (double)mean;
  return dev * dev;
}

/* The normalised value xh = (x - mean) * invstd (float, as in y and dx). */
GT_HD float gt_bn_xhat(float x, float mean, float invstd) { return (x - mean) * invstd; }

/* Batch statistics of one channel from its sum and sum of squared deviations over m values:
 * invstd = 1 / sqrt(var + eps) with the biased variance; the running statistics move towards the
 * batch mean and the unbiased variance (m > 1; m == 1 leaves the variance as it is). */
GT_HD float gt_bn_invstd(double sq_dev, int64_t m, float eps) {
  return 1.0f / sqrtf((float)(sq_dev / (double)m) + eps);
}

GT_HD void gt_bn_running_update(float *running_mean, float *running_var, float mean, double sq_dev, int64_t m,
                                float momentum) {
  *running_mean += momentum * (mean - *running_mean);
  if (m > 1) *running_var += momentum * ((float)(sq_dev / (double)(m - 1)) - *running_var);
}

/* y for one element. */
GT_HD float gt_bn_train_y(float x, float mean, float invstd, float gamma, float beta) {
  return gt_bn_xhat(x, mean, invstd) * gamma + beta;
}

/* dx for one element, given the channel means of dy and dy * xh (xh = (x - mean) * invstd). */
GT_HD float gt_bn_train_dx(float dy, float xh, float gamma, float invstd, float mean_dy, float mean_dy_xh) {
  return gamma * invstd * (dy - mean_dy - xh * mean_dy_xh);
}

#endif

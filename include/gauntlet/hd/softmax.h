/* Softmax of one row and its input gradient, shared by the cpu and CUDA backends. A row is len
 * elements `stride` apart (element i at x[i * stride]).
 *   y_i = exp(x_i - max x) / sum_j exp(x_j - max x)   (exp in float, the sum in double)
 *   dx_i += y_i * (dy_i - sum_j dy_j y_j)             (from the saved y, in double) */
#ifndef GAUNTLET_HD_SOFTMAX_H
#define GAUNTLET_HD_SOFTMAX_H

#include <stdint.h>

#include "gauntlet/hd/common.h"

GT_HD void gt_softmax_row(const float *x, int64_t len, int64_t stride, float *y) {
  float m = -INFINITY;
  for (int64_t i = 0; i < len; i++)
    if (x[i * stride] > m) m = x[i * stride];
  double sum = 0.0;
  for (int64_t i = 0; i < len; i++) {
    float e = expf(x[i * stride] - m);
    y[i * stride] = e;
    sum += e;
  }
  for (int64_t i = 0; i < len; i++) y[i * stride] = (float)((double)y[i * stride] / sum);
}

GT_HD void gt_softmax_grad_row(const float *y, const float *dy, int64_t len, int64_t stride, float *dx) {
  double dot = 0.0;
  for (int64_t i = 0; i < len; i++) dot += (double)dy[i * stride] * (double)y[i * stride];
  for (int64_t i = 0; i < len; i++)
    dx[i * stride] += (float)((double)y[i * stride] * ((double)dy[i * stride] - dot));
}

#endif

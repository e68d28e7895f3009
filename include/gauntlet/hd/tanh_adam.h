/* The tanh change of variables and the Adam step of Carlini & Wagner's L2 attack (IEEE S&P 2017),
 * one element or one row at a time, host and device. Every backend's tanh_init / tanh_adam_step
 * vector ops (gauntlet/vecops.h) call these, so the formulas exist once.
 *
 * Change of variables: the attack optimises w, unconstrained, and reads the point as
 *   x = (tanh(w) + 1) / 2,   inside [0,1] by construction, with no clipping step;
 * it starts from w = atanh((2 x0 - 1) * GT_TANH_SHRINK), the clean point pulled a hair towards 0.5
 * so that w stays finite where x0 is exactly 0 or 1 (the factor of Carlini's code and Foolbox's).
 *
 * Step: the loss minimised is ||x - x0||_2^2 + coef * g(x) with g the attack's logit term and coef
 * its per-row constant; its x-gradient 2 (x - x0) + coef * dg/dx is carried to w by the chain rule
 * dx/dw = (1 - tanh(w)^2) / 2, and w takes one Adam step (Kingma & Ba 2015, with the bias
 * corrections 1 - beta^t of the paper and of Foolbox's optimiser):
 *   m = beta1 m + (1 - beta1) gw,  v = beta2 v + (1 - beta2) gw^2,
 *   w = w - lr (m / corr1) / (sqrt(v / corr2) + adam_eps). */
#ifndef GAUNTLET_HD_TANH_ADAM_H
#define GAUNTLET_HD_TANH_ADAM_H

#include <stdint.h>

#include "gauntlet/hd/common.h"

/* Keeps atanh finite on the faces of the box: |2 x0 - 1| * GT_TANH_SHRINK < 1. */
#define GT_TANH_SHRINK 0.999999f

GT_HD float gt_tanh_to_box(float w) { return 0.5f * (tanhf(w) + 1.0f); }

GT_HD float gt_tanh_from_box(float x) { return atanhf((2.0f * x - 1.0f) * GT_TANH_SHRINK); }

/* Adam's bias correction 1 - beta^step (step >= 1), in double. */
GT_HD double gt_adam_correction(float beta, int step) { return 1.0 - pow((double)beta, (double)step); }

/* Hyperparameters of one step, the same for every row. */
typedef struct gt_adam_params {
  float lr, beta1, beta2, adam_eps;
  float corr1, corr2; /* gt_adam_correction(beta1, t), gt_adam_correction(beta2, t) */
} gt_adam_params;

/* One row of d elements: updates w, m, v in place and writes x = (tanh(w) + 1) / 2 after the step.
 * grad is dg/dx at the current point (tanh(w) + 1) / 2. x may alias x0 or grad (each element is
 * read before it is written), not w, m or v. */
GT_HD void gt_tanh_adam_row(float *w, float *m, float *v, const float *x0, const float *grad, float coef,
                            const gt_adam_params *p, int64_t d, float *x) {
  for (int64_t i = 0; i < d; i++) {
    float t = tanhf(w[i]);
    float xc = 0.5f * (t + 1.0f);
    float gx = 2.0f * (xc - x0[i]) + coef * grad[i];
    float gw = gx * (0.5f * (1.0f - t * t));
    float mi = p->beta1 * m[i] + (1.0f - p->beta1) * gw;
    float vi = p->beta2 * v[i] + (1.0f - p->beta2) * (gw * gw);
    m[i] = mi;
    v[i] = vi;
    float wi = w[i] - p->lr * (mi / p->corr1) / (sqrtf(vi / p->corr2) + p->adam_eps);
    w[i] = wi;
    x[i] = gt_tanh_to_box(wi);
  }
}

/* One row of the start: w = atanh((2 x0 - 1) GT_TANH_SHRINK), x = (tanh(w) + 1) / 2. x may alias x0. */
GT_HD void gt_tanh_init_row(const float *x0, int64_t d, float *w, float *x) {
  for (int64_t i = 0; i < d; i++) {
    float wi = gt_tanh_from_box(x0[i]);
    w[i] = wi;
    x[i] = gt_tanh_to_box(wi);
  }
}

#endif

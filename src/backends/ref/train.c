/* The ref backend's training table (gauntlet/train_ops.h): weight gradients of Conv, Linear and
 * inference BatchNorm, batch norm in training mode and the SGD step, as plain loops accumulating
 * in double: the specification the cpu (and cuda) tables are compared against. */
#include "ref_ops.h"

#include "backends/op_layout.h"
#include "backends/train_common.h"
#include "gauntlet/hd/train.h"

/* dW[m, c, i, j] += sum over n, oh, ow of dy[n, m, oh, ow] * x[n, c0 + c, ih, iw] (the input cell
 * tap (i, j) of output (oh, ow) reads, zero in the padding); db[m] += sum over n, oh, ow of dy. */
static gt_status ref_conv_weight_backward(gt_backend *be, const gt_op_call *call, const gt_tensor *grad_out,
                                          gt_tensor *const *grad_w, gt_error *err) {
  gt_op_conv_geom g;
  gt_status st = gt_op_conv_geom_of("ref", call, 0, &g, err);
  if (st == GT_OK) st = gt_train_check_weight_call("ref", call, 2, 3, grad_out, grad_w, err);
  if (st != GT_OK) return st;
  const float *x = call->in[0]->data, *dy = grad_out->data;
  float *dw = grad_w[1] ? grad_w[1]->data : NULL;
  float *db = call->node->n_inputs == 3 && grad_w[2] ? grad_w[2]->data : NULL;
  for (int64_t m = 0; m < g.m && dw; m++) {
    int64_t c0 = (m / g.mg) * g.cg;
    for (int64_t c = 0; c < g.cg; c++)
      for (int64_t i = 0; i < g.kh; i++)
        for (int64_t j = 0; j < g.kw; j++) {
          double acc = 0.0;
          for (int64_t n = 0; n < g.n; n++)
            for (int64_t oh = 0; oh < g.oh; oh++)
              for (int64_t ow = 0; ow < g.ow; ow++) {
                int64_t ih = oh * g.sh - g.pt + i * g.dh, iw = ow * g.sw - g.pl + j * g.dw;
                if (ih < 0 || ih >= g.h || iw < 0 || iw >= g.w) continue;
                acc += (double)dy[((n * g.m + m) * g.oh + oh) * g.ow + ow] *
                       (double)x[((n * g.c + c0 + c) * g.h + ih) * g.w + iw];
              }
          dw[((m * g.cg + c) * g.kh + i) * g.kw + j] += (float)acc;
        }
  }
  for (int64_t m = 0; m < g.m && db; m++) {
    double acc = 0.0;
    for (int64_t n = 0; n < g.n; n++)
      for (int64_t p = 0; p < g.oh * g.ow; p++) acc += dy[(n * g.m + m) * g.oh * g.ow + p];
    db[m] += (float)acc;
  }
  return GT_OK;
}

/* x [R, K] (all leading dims as rows), W [M, K]:  dW[j, k] += sum_r dy[r, j] x[r, k],
 * db[j] += sum_r dy[r, j]. */
static gt_status ref_linear_weight_backward(gt_backend *be, const gt_op_call *call, const gt_tensor *grad_out,
                                            gt_tensor *const *grad_w, gt_error *err) {
  gt_status st = gt_train_check_weight_call("ref", call, 2, 3, grad_out, grad_w, err);
  if (st != GT_OK) return st;
  const gt_tensor *x = call->in[0], *wt = call->in[1];
  if (wt->ndim != 2 || x->ndim < 1 || x->shape[x->ndim - 1] != wt->shape[1] ||
      call->out->shape[call->out->ndim - 1] != wt->shape[0])
    return gt_ref_fail(call, err, GT_ERR_SHAPE, "x, W and y do not fit x [.., K], W [M, K], y [.., M]");
  int64_t k = wt->shape[1], m = wt->shape[0];
  int64_t rows = k > 0 ? gt_tensor_numel(x) / k : 0;
  const float *xd = x->data, *dy = grad_out->data;
  float *dw = grad_w[1] ? grad_w[1]->data : NULL;
  float *db = call->node->n_inputs == 3 && grad_w[2] ? grad_w[2]->data : NULL;
  for (int64_t j = 0; j < m; j++) {
    for (int64_t i = 0; i < k && dw; i++) {
      double acc = 0.0;
      for (int64_t r = 0; r < rows; r++) acc += (double)dy[r * m + j] * (double)xd[r * k + i];
      dw[j * k + i] += (float)acc;
    }
    if (db) {
      double acc = 0.0;
      for (int64_t r = 0; r < rows; r++) acc += dy[r * m + j];
      db[j] += (float)acc;
    }
  }
  return GT_OK;
}

/* Inference form y = x * scale[c] + shift[c]:  dscale[c] += sum dy * x,  dshift[c] += sum dy. */
static gt_status ref_batchnorm_weight_backward(gt_backend *be, const gt_op_call *call, const gt_tensor *grad_out,
                                               gt_tensor *const *grad_w, gt_error *err) {
  int64_t outer, channels, inner;
  gt_status st = gt_train_check_bn_weight("ref", call, grad_out, grad_w, &outer, &channels, &inner, err);
  if (st != GT_OK) return st;
  const gt_tensor *x = call->in[0];
  const float *xd = x->data, *dy = grad_out->data;
  for (int64_t c = 0; c < channels; c++) {
    double s_xdy = 0.0, s_dy = 0.0;
    for (int64_t n = 0; n < outer; n++)
      for (int64_t i = 0; i < inner; i++) {
        int64_t at = (n * channels + c) * inner + i;
        s_xdy += (double)xd[at] * (double)dy[at];
        s_dy += dy[at];
      }
    if (grad_w[1]) grad_w[1]->data[c] += (float)s_xdy;
    if (grad_w[2]) grad_w[2]->data[c] += (float)s_dy;
  }
  return GT_OK;
}

static gt_status ref_bn_train_forward(gt_backend *be, const gt_bn_train *bn, const gt_tensor *x, gt_tensor *y,
                                      gt_error *err) {
  int64_t outer, inner;
  gt_status st = gt_train_check_bn("ref", bn, x, y, 0, &outer, &inner, err);
  if (st != GT_OK) return st;
  int64_t channels = bn->channels, m = outer * inner;
  for (int64_t c = 0; c < channels; c++) {
    double sum = 0.0, sq = 0.0;
    for (int64_t n = 0; n < outer; n++)
      for (int64_t i = 0; i < inner; i++) sum += x->data[(n * channels + c) * inner + i];
    float mean = gt_bn_mean(sum, m);
    for (int64_t n = 0; n < outer; n++)
      for (int64_t i = 0; i < inner; i++) sq += gt_bn_sq_dev(x->data[(n * channels + c) * inner + i], mean);
    float invstd = gt_bn_invstd(sq, m, bn->eps);
    bn->mean[c] = mean;
    bn->invstd[c] = invstd;
    if (bn->running_mean) gt_bn_running_update(&bn->running_mean[c], &bn->running_var[c], mean, sq, m, bn->momentum);
    for (int64_t n = 0; n < outer; n++)
      for (int64_t i = 0; i < inner; i++) {
        int64_t at = (n * channels + c) * inner + i;
        y->data[at] = gt_bn_train_y(x->data[at], mean, invstd, bn->gamma[c], bn->beta[c]);
      }
  }
  return GT_OK;
}

static gt_status ref_bn_train_backward(gt_backend *be, const gt_bn_train *bn, const gt_tensor *x, const gt_tensor *dy,
                                       gt_tensor *dx, gt_error *err) {
  int64_t outer, inner;
  gt_status st = gt_train_check_bn("ref", bn, x, dy, 1, &outer, &inner, err);
  if (st == GT_OK && dx) st = gt_train_check_bn("ref", bn, x, dx, 1, &outer, &inner, err);
  if (st != GT_OK) return st;
  int64_t channels = bn->channels, m = outer * inner;
  for (int64_t c = 0; c < channels; c++) {
    float mean = bn->mean[c], invstd = bn->invstd[c];
    double s_dy = 0.0, s_dyxh = 0.0;
    for (int64_t n = 0; n < outer; n++)
      for (int64_t i = 0; i < inner; i++) {
        int64_t at = (n * channels + c) * inner + i;
        s_dy += dy->data[at];
        s_dyxh += (double)dy->data[at] * (double)gt_bn_xhat(x->data[at], mean, invstd);
      }
    if (bn->dbeta) bn->dbeta[c] += (float)s_dy;
    if (bn->dgamma) bn->dgamma[c] += (float)s_dyxh;
    if (!dx) continue;
    float mean_dy = gt_bn_mean(s_dy, m), mean_dyxh = gt_bn_mean(s_dyxh, m);
    for (int64_t n = 0; n < outer; n++)
      for (int64_t i = 0; i < inner; i++) {
        int64_t at = (n * channels + c) * inner + i;
        float xh = gt_bn_xhat(x->data[at], mean, invstd);
        dx->data[at] += gt_bn_train_dx(dy->data[at], xh, bn->gamma[c], invstd, mean_dy, mean_dyxh);
      }
  }
  return GT_OK;
}

static gt_status ref_sgd_step(gt_backend *be, const gt_sgd_step *s, gt_error *err) {
  gt_status st = gt_train_check_sgd("ref", s, err);
  if (st != GT_OK) return st;
  for (int64_t i = 0; i < s->n; i++)
    gt_sgd_elem(&s->param[i], s->grad[i], &s->velocity[i], s->lr, s->momentum, s->weight_decay);
  return GT_OK;
}

const gt_train_iface gt_ref_train_iface = {
    .weight_backward =
        {
            [GT_OP_CONV] = ref_conv_weight_backward,
            [GT_OP_LINEAR] = ref_linear_weight_backward,
            [GT_OP_BATCHNORM] = ref_batchnorm_weight_backward,
        },
    .batchnorm_forward = ref_bn_train_forward,
    .batchnorm_backward = ref_bn_train_backward,
    .sgd_step = ref_sgd_step,
};

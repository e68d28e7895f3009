/* The cpu backend's training table (gauntlet/train_ops.h): Linear weight gradients as one sgemm
 * (rows of dW cut into fixed chunks), Conv's in conv_weight.c, and per-channel OpenMP loops for
 * batch norm and the SGD step. Work is cut by shapes only (channels, fixed row chunks), and
 * every sum runs inside one task in a fixed order: results do not depend on the thread count. */
#include "cpu_ops.h"

#include <cblas.h>
#include <limits.h>

#include "backends/train_common.h"
#include "gauntlet/hd/train.h"

#define GT_CPU_WLIN_ROWS 16 /* rows of dW per sgemm task */

/* x [R, K], W [M, K]:  dW [M, K] += dy^T [M, R] . x [R, K],  db[j] += sum_r dy[r, j]. */
static gt_status cpu_linear_weight_backward(gt_backend *be, const gt_op_call *call, const gt_tensor *grad_out,
                                            gt_tensor *const *grad_w, gt_error *err) {
  gt_status st = gt_train_check_weight_call("cpu", call, 2, 3, grad_out, grad_w, err);
  if (st != GT_OK) return st;
  const gt_tensor *x = call->in[0], *wt = call->in[1];
  if (wt->ndim != 2 || x->ndim < 1 || x->shape[x->ndim - 1] != wt->shape[1] ||
      call->out->shape[call->out->ndim - 1] != wt->shape[0])
    return gt_cpu_fail(call, err, GT_ERR_SHAPE, "x, W and y do not fit x [.., K], W [M, K], y [.., M]");
  int64_t k = wt->shape[1], m = wt->shape[0];
  int64_t rows = k > 0 ? gt_tensor_numel(x) / k : 0;
  if (rows > INT_MAX || k > INT_MAX || m > INT_MAX)
    return gt_cpu_fail(call, err, GT_ERR_LIMIT, "[%lld, %lld] rows are beyond the sgemm size limit", (long long)rows,
                       (long long)k);
  const float *xd = x->data, *dy = grad_out->data;
  float *dw = grad_w[1] ? grad_w[1]->data : NULL;
  float *db = call->node->n_inputs == 3 && grad_w[2] ? grad_w[2]->data : NULL;
  if (db)
    for (int64_t j = 0; j < m; j++) {
      double acc = 0.0;
      for (int64_t r = 0; r < rows; r++) acc += dy[r * m + j];
      db[j] += (float)acc;
    }
  if (!dw || rows == 0 || k == 0) return GT_OK;
  int64_t chunks = (m + GT_CPU_WLIN_ROWS - 1) / GT_CPU_WLIN_ROWS;
#pragma omp parallel for num_threads(gt_cpu_threads(be)) schedule(static) if (chunks > 1)
  for (int64_t ch = 0; ch < chunks; ch++) {
    int64_t j0 = ch * GT_CPU_WLIN_ROWS, mr = m - j0 < GT_CPU_WLIN_ROWS ? m - j0 : GT_CPU_WLIN_ROWS;
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)mr, (int)k, (int)rows, 1.0f, dy + j0, (int)m, xd,
                (int)k, 1.0f, dw + j0 * k, (int)k);
  }
  return GT_OK;
}

/* Inference form y = x * scale[c] + shift[c]:  dscale[c] += sum dy * x,  dshift[c] += sum dy. */
static gt_status cpu_batchnorm_weight_backward(gt_backend *be, const gt_op_call *call, const gt_tensor *grad_out,
                                               gt_tensor *const *grad_w, gt_error *err) {
  int64_t outer, channels, inner;
  gt_status st = gt_train_check_bn_weight("cpu", call, grad_out, grad_w, &outer, &channels, &inner, err);
  if (st != GT_OK) return st;
  const gt_tensor *x = call->in[0];
  const float *xd = x->data, *dy = grad_out->data;
  float *ds = grad_w[1] ? grad_w[1]->data : NULL, *dt = grad_w[2] ? grad_w[2]->data : NULL;
#pragma omp parallel for num_threads(gt_cpu_threads(be)) schedule(static) if (outer * channels * inner >= GT_CPU_PAR_MIN)
  for (int64_t c = 0; c < channels; c++) {
    double s_xdy = 0.0, s_dy = 0.0;
    for (int64_t n = 0; n < outer; n++) {
      const float *xr = xd + (n * channels + c) * inner, *dr = dy + (n * channels + c) * inner;
      for (int64_t i = 0; i < inner; i++) {
        s_xdy += (double)xr[i] * (double)dr[i];
        s_dy += dr[i];
      }
    }
    if (ds) ds[c] += (float)s_xdy;
    if (dt) dt[c] += (float)s_dy;
  }
  return GT_OK;
}

static gt_status cpu_bn_train_forward(gt_backend *be, const gt_bn_train *bn, const gt_tensor *x, gt_tensor *y,
                                      gt_error *err) {
  int64_t outer, inner;
  gt_status st = gt_train_check_bn("cpu", bn, x, y, 0, &outer, &inner, err);
  if (st != GT_OK) return st;
  int64_t channels = bn->channels, m = outer * inner;
  const float *xd = x->data;
  float *yd = y->data;
#pragma omp parallel for num_threads(gt_cpu_threads(be)) schedule(static) if (m * channels >= GT_CPU_PAR_MIN)
  for (int64_t c = 0; c < channels; c++) {
    double sum = 0.0, sq = 0.0;
    for (int64_t n = 0; n < outer; n++) {
      const float *xr = xd + (n * channels + c) * inner;
      for (int64_t i = 0; i < inner; i++) sum += xr[i];
    }
    float mean = gt_bn_mean(sum, m);
    for (int64_t n = 0; n < outer; n++) {
      const float *xr = xd + (n * channels + c) * inner;
      for (int64_t i = 0; i < inner; i++) sq += gt_bn_sq_dev(xr[i], mean);
    }
    float invstd = gt_bn_invstd(sq, m, bn->eps), gamma = bn->gamma[c], beta = bn->beta[c];
    bn->mean[c] = mean;
    bn->invstd[c] = invstd;
    if (bn->running_mean) gt_bn_running_update(&bn->running_mean[c], &bn->running_var[c], mean, sq, m, bn->momentum);
    for (int64_t n = 0; n < outer; n++) {
      const float *xr = xd + (n * channels + c) * inner;
      float *yr = yd + (n * channels + c) * inner;
      for (int64_t i = 0; i < inner; i++) yr[i] = gt_bn_train_y(xr[i], mean, invstd, gamma, beta);
    }
  }
  return GT_OK;
}

static gt_status cpu_bn_train_backward(gt_backend *be, const gt_bn_train *bn, const gt_tensor *x, const gt_tensor *dy,
                                       gt_tensor *dx, gt_error *err) {
  int64_t outer, inner;
  gt_status st = gt_train_check_bn("cpu", bn, x, dy, 1, &outer, &inner, err);
  if (st == GT_OK && dx) st = gt_train_check_bn("cpu", bn, x, dx, 1, &outer, &inner, err);
  if (st != GT_OK) return st;
  int64_t channels = bn->channels, m = outer * inner;
  const float *xd = x->data, *dyd = dy->data;
  float *dxd = dx ? dx->data : NULL;
#pragma omp parallel for num_threads(gt_cpu_threads(be)) schedule(static) if (m * channels >= GT_CPU_PAR_MIN)
  for (int64_t c = 0; c < channels; c++) {
    float mean = bn->mean[c], invstd = bn->invstd[c], gamma = bn->gamma[c];
    double s_dy = 0.0, s_dyxh = 0.0;
    for (int64_t n = 0; n < outer; n++) {
      const float *xr = xd + (n * channels + c) * inner, *dr = dyd + (n * channels + c) * inner;
      for (int64_t i = 0; i < inner; i++) {
        s_dy += dr[i];
        s_dyxh += (double)dr[i] * (double)gt_bn_xhat(xr[i], mean, invstd);
      }
    }
    if (bn->dbeta) bn->dbeta[c] += (float)s_dy;
    if (bn->dgamma) bn->dgamma[c] += (float)s_dyxh;
    if (!dxd) continue;
    float mean_dy = gt_bn_mean(s_dy, m), mean_dyxh = gt_bn_mean(s_dyxh, m);
    for (int64_t n = 0; n < outer; n++) {
      const float *xr = xd + (n * channels + c) * inner, *dr = dyd + (n * channels + c) * inner;
      float *out = dxd + (n * channels + c) * inner;
      for (int64_t i = 0; i < inner; i++)
        out[i] += gt_bn_train_dx(dr[i], gt_bn_xhat(xr[i], mean, invstd), gamma, invstd, mean_dy, mean_dyxh);
    }
  }
  return GT_OK;
}

static gt_status cpu_sgd_step(gt_backend *be, const gt_sgd_step *s, gt_error *err) {
  gt_status st = gt_train_check_sgd("cpu", s, err);
  if (st != GT_OK) return st;
#pragma omp parallel for num_threads(gt_cpu_threads(be)) schedule(static) if (s->n >= GT_CPU_PAR_MIN)
  for (int64_t i = 0; i < s->n; i++)
    gt_sgd_elem(&s->param[i], s->grad[i], &s->velocity[i], s->lr, s->momentum, s->weight_decay);
  return GT_OK;
}

const gt_train_iface gt_cpu_train_iface = {
    .weight_backward =
        {
            [GT_OP_CONV] = gt_cpu_conv_weight_backward,
            [GT_OP_LINEAR] = cpu_linear_weight_backward,
            [GT_OP_BATCHNORM] = cpu_batchnorm_weight_backward,
        },
    .weight_scratch_bytes = {[GT_OP_CONV] = gt_cpu_conv_weight_scratch},
    .batchnorm_forward = cpu_bn_train_forward,
    .batchnorm_backward = cpu_bn_train_backward,
    .sgd_step = cpu_sgd_step,
};

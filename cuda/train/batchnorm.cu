/* Batch norm in training mode on the device (gt_train_iface.batchnorm_forward / _backward; the
 * formulas are in gauntlet/train_ops.h, the per-element math in gauntlet/hd/train.h).
 *   x, y, dy, dx [N, C, ...] = [outer, C, inner], statistics per channel over M = outer * inner.
 * Forward: channel sums of x -> mean; of (x - mean)^2 -> invstd and the running update; then
 * y elementwise. Backward: channel sums of dy and dy * xh -> dbeta, dgamma and the two means
 * (kept in the workspace's extra floats); then dx elementwise. The sums are channel_sums.h's
 * (double, fixed order), as the ref and cpu backends sum in double. */
#include "channel_sums.h"

#include "gauntlet/hd/train.h"

struct bn_sq_dev {
  const float *x, *mean;
  __device__ void operator()(int64_t c, int64_t at, double *a, double *b) const { *a += gt_bn_sq_dev(x[at], mean[c]); }
};

struct bn_dy_xhat {
  const float *x, *dy, *mean, *invstd;
  __device__ void operator()(int64_t c, int64_t at, double *a, double *b) const {
    *a += dy[at];
    *b += (double)dy[at] * (double)gt_bn_xhat(x[at], mean[c], invstd[c]);
  }
};

struct bn_mean_finish {
  float *mean;
  int64_t m;
  __device__ void operator()(int64_t c, double a, double b) const { mean[c] = gt_bn_mean(a, m); }
};

struct bn_var_finish {
  const float *mean;
  float *invstd, *running_mean, *running_var;
  int64_t m;
  float eps, momentum;
  __device__ void operator()(int64_t c, double a, double b) const {
    invstd[c] = gt_bn_invstd(a, m, eps);
    if (running_mean) gt_bn_running_update(&running_mean[c], &running_var[c], mean[c], a, m, momentum);
  }
};

/* dbeta += sum dy, dgamma += sum dy * xh (either may be NULL); the means of both to mean_dy [C]
 * and mean_dyxh [C]. */
struct bn_back_finish {
  float *dgamma, *dbeta, *mean_dy, *mean_dyxh;
  int64_t m;
  __device__ void operator()(int64_t c, double a, double b) const {
    if (dbeta) dbeta[c] += (float)a;
    if (dgamma) dgamma[c] += (float)b;
    mean_dy[c] = gt_bn_mean(a, m);
    mean_dyxh[c] = gt_bn_mean(b, m);
  }
};

static __global__ void bn_y_kernel(const float *__restrict__ x, const float *__restrict__ mean,
                                   const float *__restrict__ invstd, const float *__restrict__ gamma,
                                   const float *__restrict__ beta, int64_t total, int64_t channels, int64_t inner,
                                   float *__restrict__ y) {
  GT_KERNEL_LOOP(e, total) {
    int64_t c = (e / inner) % channels;
    y[e] = gt_bn_train_y(x[e], mean[c], invstd[c], gamma[c], beta[c]);
  }
}

static __global__ void bn_dx_kernel(const float *__restrict__ x, const float *__restrict__ dy,
                                    const float *__restrict__ mean, const float *__restrict__ invstd,
                                    const float *__restrict__ gamma, const float *__restrict__ mean_dy,
                                    const float *__restrict__ mean_dyxh, int64_t total, int64_t channels,
                                    int64_t inner, float *__restrict__ dx) {
  GT_KERNEL_LOOP(e, total) {
    int64_t c = (e / inner) % channels;
    float xh = gt_bn_xhat(x[e], mean[c], invstd[c]);
    dx[e] += gt_bn_train_dx(dy[e], xh, gamma[c], invstd[c], mean_dy[c], mean_dyxh[c]);
  }
}

gt_status gt_cuda_bn_train_forward(gt_backend *be, const gt_bn_train *bn, const gt_tensor *x, gt_tensor *y,
                                   gt_error *err) {
  int64_t outer, inner;
  gt_status st = gt_train_check_bn(GT_CUDA_BACKEND_NAME, bn, x, y, 0, &outer, &inner, err);
  gt_cuda_chan ch;
  if (st == GT_OK) st = gt_cuda_chan_begin(be, outer, bn->channels, inner, 0, &ch, err);
  if (st != GT_OK) return st;
  int64_t m = outer * inner, total = gt_tensor_numel(x);
  st = gt_cuda_chan_sums(be, &ch, gt_chan_sum{x->data}, bn_mean_finish{bn->mean, m}, err);
  if (st == GT_OK)
    st = gt_cuda_chan_sums(be, &ch, bn_sq_dev{x->data, bn->mean},
                           bn_var_finish{bn->mean, bn->invstd, bn->running_mean, bn->running_var, m, bn->eps,
                                         bn->momentum},
                           err);
  if (st != GT_OK) return st;
  GT_LAUNCH(bn_y_kernel, gt_cuda_blocks(total, GT_CUDA_THREADS), GT_CUDA_THREADS, 0, gt_cuda_stream(be), x->data,
            bn->mean, bn->invstd, bn->gamma, bn->beta, total, bn->channels, inner, y->data);
  GT_LAUNCH_CHECK();
  return GT_OK;
}

gt_status gt_cuda_bn_train_backward(gt_backend *be, const gt_bn_train *bn, const gt_tensor *x, const gt_tensor *dy,
                                    gt_tensor *dx, gt_error *err) {
  int64_t outer, inner;
  gt_status st = gt_train_check_bn(GT_CUDA_BACKEND_NAME, bn, x, dy, 1, &outer, &inner, err);
  if (st == GT_OK && dx) st = gt_train_check_bn(GT_CUDA_BACKEND_NAME, bn, x, dx, 1, &outer, &inner, err);
  gt_cuda_chan ch;
  int64_t channels = bn->channels;
  if (st == GT_OK) st = gt_cuda_chan_begin(be, outer, channels, inner, 2 * channels, &ch, err);
  if (st != GT_OK) return st;
  int64_t m = outer * inner, total = gt_tensor_numel(x);
  float *mean_dy = ch.extra, *mean_dyxh = ch.extra + channels;
  st = gt_cuda_chan_sums(be, &ch, bn_dy_xhat{x->data, dy->data, bn->mean, bn->invstd},
                         bn_back_finish{bn->dgamma, bn->dbeta, mean_dy, mean_dyxh, m}, err);
  if (st != GT_OK || !dx) return st;
  GT_LAUNCH(bn_dx_kernel, gt_cuda_blocks(total, GT_CUDA_THREADS), GT_CUDA_THREADS, 0, gt_cuda_stream(be), x->data,
            dy->data, bn->mean, bn->invstd, bn->gamma, mean_dy, mean_dyxh, total, channels, inner, dx->data);
  GT_LAUNCH_CHECK();
  return GT_OK;
}

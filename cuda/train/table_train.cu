/* The CUDA backend's training table (gauntlet/train_ops.h), and its SGD step: one thread per
 * parameter running gauntlet/hd/train.h's update. */
#include "cuda_train.h"

#include "gauntlet/hd/train.h"

static __global__ void sgd_kernel(float *__restrict__ param, const float *__restrict__ grad,
                                  float *__restrict__ velocity, int64_t n, float lr, float momentum,
                                  float weight_decay) {
  GT_KERNEL_LOOP(i, n) gt_sgd_elem(&param[i], grad[i], &velocity[i], lr, momentum, weight_decay);
}

static gt_status cuda_sgd_step(gt_backend *be, const gt_sgd_step *s, gt_error *err) {
  gt_status st = gt_train_check_sgd(GT_CUDA_BACKEND_NAME, s, err);
  if (st != GT_OK || s->n == 0) return st;
  GT_LAUNCH(sgd_kernel, gt_cuda_blocks(s->n, GT_CUDA_THREADS), GT_CUDA_THREADS, 0, gt_cuda_stream(be), s->param,
            s->grad, s->velocity, s->n, s->lr, s->momentum, s->weight_decay);
  GT_LAUNCH_CHECK();
  return GT_OK;
}

/* Designated initialisers of arrays are C only: the table is filled by a function. */
static gt_train_iface make_table(void) {
  gt_train_iface t = {};
  t.weight_backward[GT_OP_CONV] = gt_cuda_conv_weight_backward;
  t.weight_backward[GT_OP_LINEAR] = gt_cuda_linear_weight_backward;
  t.weight_backward[GT_OP_BATCHNORM] = gt_cuda_batchnorm_weight_backward;
  t.weight_scratch_bytes[GT_OP_CONV] = gt_cuda_conv_weight_scratch;
  t.batchnorm_forward = gt_cuda_bn_train_forward;
  t.batchnorm_backward = gt_cuda_bn_train_backward;
  t.sgd_step = cuda_sgd_step;
  return t;
}

const gt_train_iface gt_cuda_train_iface = make_table();

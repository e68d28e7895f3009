/* The CUDA backend's training table (gauntlet/train_ops.h) and what its files share. One .cu file
 * per job under cuda/train/:
 *   weight.cu     weight gradients: Conv (im2col of a chunk of samples side by side + one cuBLAS
 *                 sgemm per group), Linear (one sgemm), inference BatchNorm (channel sums);
 *   batchnorm.cu  batch norm in training mode, forward and backward;
 *   workspace.cu  the device workspace of the per-channel sums (channel_sums.h);
 *   table_train.cu  the SGD step and the table itself.
 * Every sum over the batch is deterministic (no atomics, no barriers): cuBLAS for the GEMMs, and
 * channel_sums.h's two-kernel reduction in double for per-channel sums. */
#ifndef GT_CUDA_TRAIN_H
#define GT_CUDA_TRAIN_H

#include "../ops/cuda_ops.h"
#include "backends/train_common.h"

extern const gt_train_iface gt_cuda_train_iface;

/* weight.cu */
size_t gt_cuda_conv_weight_scratch(gt_backend *be, const gt_op_call *call);
gt_status gt_cuda_conv_weight_backward(gt_backend *be, const gt_op_call *call, const gt_tensor *grad_out,
                                       gt_tensor *const *grad_w, gt_error *err);
gt_status gt_cuda_linear_weight_backward(gt_backend *be, const gt_op_call *call, const gt_tensor *grad_out,
                                         gt_tensor *const *grad_w, gt_error *err);
gt_status gt_cuda_batchnorm_weight_backward(gt_backend *be, const gt_op_call *call, const gt_tensor *grad_out,
                                            gt_tensor *const *grad_w, gt_error *err);

/* batchnorm.cu */
gt_status gt_cuda_bn_train_forward(gt_backend *be, const gt_bn_train *bn, const gt_tensor *x, gt_tensor *y,
                                   gt_error *err);
gt_status gt_cuda_bn_train_backward(gt_backend *be, const gt_bn_train *bn, const gt_tensor *x, const gt_tensor *dy,
                                    gt_tensor *dx, gt_error *err);

/* The per-channel sums over v [outer, C, inner] (M = outer * inner values per channel): `parts`
 * partial sums per channel, two of them per part (double, [C, parts, 2] at `part`), and `extra`
 * floats after them for the caller (e.g. per-channel means between two kernels). */
typedef struct gt_cuda_chan {
  int64_t outer, channels, inner, parts;
  double *part;
  float *extra;
} gt_cuda_chan;

/* Sizes the reduction of v [outer, channels, inner] and points part / extra into the backend's
 * workspace (valid until the next training call on this backend). */
gt_status gt_cuda_chan_begin(gt_backend *be, int64_t outer, int64_t channels, int64_t inner, int64_t extra_floats,
                             gt_cuda_chan *ch, gt_error *err);

#endif

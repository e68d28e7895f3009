/* im2col / col2im on the device for a chunk of samples (im2col.cu), the data movement that turns
 * a convolution into batched sgemm (conv.cu) and its weight gradient into one sgemm per group
 * (cuda/train/weight.cu).
 *   x [S, C, H, W] (samples x_stride floats apart)  <->  col [S, C*kh*kw, OH*OW],
 *   row r = (c*kh + i)*kw + j, column oh*OW + ow:
 *   col[s, r, oh*OW + ow] = x[s, c, oh*sh - pt + i*dh, ow*sw - pl + j*dw]  (0 in the padding).
 * Group g's rows are the contiguous block [g*Cg*kh*kw, (g+1)*Cg*kh*kw) of each sample. */
#ifndef GT_CUDA_IM2COL_H
#define GT_CUDA_IM2COL_H

#include "cuda_ops.h"
#include "backends/op_layout.h"

/* Writes col for samples [0, s) of x. */
gt_status gt_cuda_im2col(gt_backend *be, const gt_op_conv_geom *g, const float *x, int64_t s, float *col,
                         gt_error *err);

/* The same entries with the samples side by side, for the weight gradient (cuda/train/weight.cu):
 *   col [C*kh*kw, S*OH*OW],  col[r, s*OH*OW + oh*OW + ow] = im2col's col[s, r, oh*OW + ow];
 * group g's rows are again the block [g*Cg*kh*kw, (g+1)*Cg*kh*kw). */
gt_status gt_cuda_im2col_wide(gt_backend *be, const gt_op_conv_geom *g, const float *x, int64_t s, float *col,
                              gt_error *err);

/* dx[s, c, ih, iw] += every col entry im2col took from it, for samples [0, s): one thread per
 * input cell gathers its taps in (i, j) order (the cpu backend's order), so no atomics. */
gt_status gt_cuda_col2im(gt_backend *be, const gt_op_conv_geom *g, const float *col, int64_t s, float *dx,
                         gt_error *err);

#endif

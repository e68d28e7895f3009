/* Internal to the cpu backend: its context, the argument checks its ops share, the im2col /
 * col2im helpers, and the op functions that backend.c puts in its vtable.
 * Every op computes what the ref backend (src/backends/ref) computes, up to float rounding. */
#ifndef GAUNTLET_CPU_OPS_H
#define GAUNTLET_CPU_OPS_H

#include <stdint.h>

#include "backends/op_check.h"
#include "gauntlet/backend.h"

/* be->ctx of a cpu backend. */
typedef struct gt_cpu_ctx {
  int n_threads;   /* OpenMP threads of every parallel region (>= 1); BLAS itself runs on 1 */
  int avx2;      /* 1 (default): the AVX2 + FMA kernels (conv_direct.c, linear_direct.c,
                  * pool_2x2.c) where the CPU has them; 0: the portable paths only (im2col + sgemm,
                  * sgemm, compiler-vectorised loops), so that tests cover both on one machine */
} gt_cpu_ctx;

/* Threads the backend runs with (1 when be has no cpu context). */
int gt_cpu_threads(const gt_backend *be);

/* Loops with fewer elements than this run on one thread: the fork costs more than it saves. */
#define GT_CPU_PAR_MIN 16384

/* ---- checks (check.c) ---- */

/* The shared argument checks (backends/op_check.h), naming this backend in messages. */
#define gt_cpu_fail(call, err, code, ...) gt_op_fail("cpu", call, err, code, __VA_ARGS__)
#define gt_cpu_check_call(call, lo, hi, err) gt_op_check_call("cpu", call, lo, hi, err)
#define gt_cpu_check_backward(call, lo, hi, gout, gin, err) gt_op_check_backward("cpu", call, lo, hi, gout, gin, err)
#define gt_cpu_refuse_weight_grads(call, gin, first, err) gt_op_refuse_weight_grads("cpu", call, gin, first, err)
#define gt_cpu_same_shape gt_op_same_shape
#define gt_cpu_unravel gt_op_unravel


/* The call's scratch holds at least `need` bytes (the executor sized it with scratch_bytes). */
gt_status gt_cpu_check_scratch(const gt_op_call *call, size_t need, gt_error *err);


/* ---- im2col / col2im (im2col.c) ----
 * One sample's channels [C, H, W] against a kernel geometry. The column matrix col has
 * C*kh*kw rows, row r = (c*kh + i)*kw + j, starting ld floats apart (ld >= OH*OW; OH*OW for a
 * matrix of its own, more when samples sit side by side in one wider matrix), and OH*OW columns;
 * column oh*OW + ow holds x[c, oh*sh - pt + i*dh, ow*sw - pl + j*dw], or 0 in the padding. */
typedef struct gt_cpu_patch {
  int64_t h, w, oh, ow;
  int64_t kh, kw, sh, sw, dh, dw, pt, pl;
} gt_cpu_patch;

/* Writes columns [j0, j1) of the rows of channels [c0, c1) of col from x [C, H, W]. */
void gt_cpu_im2col(const gt_cpu_patch *p, const float *x, int64_t c0, int64_t c1, int64_t j0, int64_t j1, float *col,
                   int64_t ld);

/* dx[c, ih, iw] += every col entry that im2col took from (c, ih, iw), for channels [c0, c1).
 * Each channel's rows feed only that channel's plane, so disjoint channel ranges may run
 * concurrently. The per-cell order of additions is fixed (row r ascending, then column). May set
 * the entries of those rows that fall in the padding to 0 (col is consumed). */
void gt_cpu_col2im(const gt_cpu_patch *p, float *col, int64_t ld, int64_t c0, int64_t c1, float *dx);

/* ---- ops: forward and input-gradient backward, as in gauntlet/backend.h ---- */

#define GT_CPU_DECLARE_OP(name)                                                                   \
  gt_status gt_cpu_##name##_forward(gt_backend *be, const gt_op_call *call, gt_error *err);       \
  gt_status gt_cpu_##name##_backward(gt_backend *be, const gt_op_call *call, const gt_tensor *grad_out, \
                                     gt_tensor *const *grad_in, gt_error *err)

GT_CPU_DECLARE_OP(conv);      /* conv.c */
GT_CPU_DECLARE_OP(linear);    /* linear.c */
GT_CPU_DECLARE_OP(binary);    /* binary.c: Add, Sub, Mul, Div (node->op says which) */
GT_CPU_DECLARE_OP(unary);     /* unary.c: Relu, LeakyRelu, Sigmoid, Tanh, Clip */
GT_CPU_DECLARE_OP(maxpool);   /* pool.c */
GT_CPU_DECLARE_OP(avgpool);   /* pool.c */
GT_CPU_DECLARE_OP(batchnorm); /* batchnorm.c */
GT_CPU_DECLARE_OP(reshape);   /* shape.c */
GT_CPU_DECLARE_OP(transpose); /* shape.c */
GT_CPU_DECLARE_OP(concat);    /* shape.c */
GT_CPU_DECLARE_OP(pad);       /* pad.c */
GT_CPU_DECLARE_OP(softmax);   /* softmax.c */

#undef GT_CPU_DECLARE_OP

/* 1 when this CPU has AVX2 and FMA (checked once). */
int gt_cpu_has_avx2_fma(void);

/* 1 when `be`'s ops take their AVX2 + FMA kernels: the CPU has them and ctx->avx2 is on. */
int gt_cpu_avx2(const gt_backend *be);

/* pool_2x2.c: MaxPool 2x2 stride 2 on one plane x [h, w] -> y [oh_len, ow_len] (2*oh_len <= h,
 * 2*ow_len <= w), and its backward: dx [h, w] += the gradient, or, with `write` (only when the
 * windows cover the plane: 2*oh_len == h, 2*ow_len == w), dx = the gradient. `avx2`: the backward
 * takes its AVX2 version (gt_cpu_avx2). */
void gt_cpu_max2x2_plane(const float *x, int64_t h, int64_t w, int64_t oh_len, int64_t ow_len, float *y);
void gt_cpu_max2x2_plane_backward(const float *x, const float *dy, int64_t h, int64_t w, int64_t oh_len,
                                  int64_t ow_len, int write, int avx2, float *dx);

/* linear_direct.c (AVX2 + FMA): y [rows, m] = x [rows, k] . W^T (+ bias); W [m, k]. */
void gt_cpu_linear_direct_forward(const float *x, const float *w, const float *bias, int64_t rows, int64_t k,
                                  int64_t m, float *y);

/* conv.c: scratch for one call (per-thread column buffers). */
size_t gt_cpu_conv_scratch(gt_backend *be, const gt_op_call *call);

/* conv_weight.c: Conv weight and bias gradients (gauntlet/train_ops.h) and their scratch. */
gt_status gt_cpu_conv_weight_backward(gt_backend *be, const gt_op_call *call, const gt_tensor *grad_out,
                                      gt_tensor *const *grad_w, gt_error *err);
size_t gt_cpu_conv_weight_scratch(gt_backend *be, const gt_op_call *call);

/* loss.c: the backend's per-sample loss entry (gt_backend_iface.loss). */
gt_status gt_cpu_loss(gt_backend *be, gt_loss_kind kind, const gt_tensor *logits, const int32_t *labels,
                      const int32_t *targets, gt_tensor *loss, gt_tensor *dlogits, gt_error *err);

#endif

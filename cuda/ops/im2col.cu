/* im2col and col2im kernels (see im2col.h): one thread per column entry, and one thread per input
 * cell, in grid-stride loops without barriers or atomics. */
#include "im2col.h"

/* The geometry a kernel needs, by value (a few int64s). */
typedef struct patch {
  int64_t c, h, w, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl;
} patch;

static patch patch_of(const gt_op_conv_geom *g) {
  patch p = {g->c, g->h, g->w, g->oh, g->ow, g->kh, g->kw, g->sh, g->sw, g->dh, g->dw, g->pt, g->pl};
  return p;
}

static __global__ void im2col_kernel(patch p, const float *__restrict__ x, int64_t total, float *__restrict__ col) {
  GT_KERNEL_LOOP(e, total) {
    int64_t ow = e % p.ow, t = e / p.ow;
    int64_t oh = t % p.oh;
    t /= p.oh;
    int64_t j = t % p.kw;
    t /= p.kw;
    int64_t i = t % p.kh;
    t /= p.kh; /* t = s*C + c */
    int64_t ih = oh * p.sh - p.pt + i * p.dh, iw = ow * p.sw - p.pl + j * p.dw;
    col[e] = ih >= 0 && ih < p.h && iw >= 0 && iw < p.w ? x[(t * p.h + ih) * p.w + iw] : 0.0f;
  }
}

/* Output positions o in [0, out) with o*s - pad + k*d == in for a tap k in [0, taps): walks k. */
static __global__ void col2im_kernel(patch p, const float *__restrict__ col, int64_t total, float *__restrict__ dx) {
  GT_KERNEL_LOOP(e, total) {
    int64_t iw = e % p.w, t = e / p.w;
    int64_t ih = t % p.h;
    t /= p.h; /* t = s*C + c */
    const float *rows = col + t * p.kh * p.kw * p.oh * p.ow;
    float acc = dx[e];
    for (int64_t i = 0; i < p.kh; i++) {
      int64_t nh = ih + p.pt - i * p.dh; /* = oh*sh */
      if (nh < 0 || nh % p.sh != 0 || nh / p.sh >= p.oh) continue;
      int64_t oh = nh / p.sh;
      for (int64_t j = 0; j < p.kw; j++) {
        int64_t nw = iw + p.pl - j * p.dw; /* = ow*sw */
        if (nw < 0 || nw % p.sw != 0 || nw / p.sw >= p.ow) continue;
        acc += rows[(i * p.kw + j) * p.oh * p.ow + oh * p.ow + nw / p.sw];
      }
    }
    dx[e] = acc;
  }
}

gt_status gt_cuda_im2col(gt_backend *be, const gt_op_conv_geom *g, const float *x, int64_t s, float *col,
                         gt_error *err) {
  int64_t total = s * g->c * g->kh * g->kw * g->ohw;
  if (total == 0) return GT_OK;
  GT_LAUNCH(im2col_kernel, gt_cuda_blocks(total, GT_CUDA_THREADS), GT_CUDA_THREADS, 0, gt_cuda_stream(be),
            patch_of(g), x, total, col);
  GT_LAUNCH_CHECK();
  return GT_OK;
}

gt_status gt_cuda_col2im(gt_backend *be, const gt_op_conv_geom *g, const float *col, int64_t s, float *dx,
                         gt_error *err) {
  int64_t total = s * g->c * g->h * g->w;
  if (total == 0) return GT_OK;
  GT_LAUNCH(col2im_kernel, gt_cuda_blocks(total, GT_CUDA_THREADS), GT_CUDA_THREADS, 0, gt_cuda_stream(be),
            patch_of(g), col, total, dx);
  GT_LAUNCH_CHECK();
  return GT_OK;
}

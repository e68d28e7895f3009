/* im2col (per sample, or samples side by side) and col2im kernels (see im2col.h): one thread per
 * column entry, and one thread per input cell, in grid-stride loops without barriers or atomics.
 * The index decode (five divisions per element, six side by side) runs in 32-bit arithmetic
 * whenever the whole range fits: 64-bit division is a long software sequence on the device (and
 * slow on the host running the emulation). */
#include "im2col.h"

/* The geometry a kernel needs, by value, in the index type I of the launch. */
template <class I>
struct patch {
  I c, h, w, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl;
};

template <class I>
static patch<I> patch_of(const gt_op_conv_geom *g) {
  patch<I> p = {(I)g->c,  (I)g->h,  (I)g->w,  (I)g->oh, (I)g->ow, (I)g->kh, (I)g->kw,
                (I)g->sh, (I)g->sw, (I)g->dh, (I)g->dw, (I)g->pt, (I)g->pl};
  return p;
}

/* wide = 0: e = (((s*C + c)*kh + i)*kw + j)*OHW + oh*OW + ow (per sample);
 * wide = S: e = (((c*kh + i)*kw + j)*S + s)*OHW + oh*OW + ow (the S samples side by side). */
template <class I>
static __global__ void im2col_kernel(patch<I> p, I wide, const float *__restrict__ x, I total,
                                     float *__restrict__ col) {
  GT_KERNEL_LOOP(k, total) {
    I e = (I)k;
    I ow = e % p.ow, t = e / p.ow;
    I oh = t % p.oh;
    t /= p.oh;
    I s = 0;
    if (wide) {
      s = t % wide;
      t /= wide;
    }
    I j = t % p.kw;
    t /= p.kw;
    I i = t % p.kh;
    t /= p.kh;
    t += s * p.c; /* t = s*C + c */
    I ih = oh * p.sh - p.pt + i * p.dh, iw = ow * p.sw - p.pl + j * p.dw;
    col[e] = ih >= 0 && ih < p.h && iw >= 0 && iw < p.w ? x[((int64_t)t * p.h + ih) * p.w + iw] : 0.0f;
  }
}

/* Output positions o in [0, out) with o*s - pad + k*d == in for a tap k in [0, taps): walks k. */
template <class I>
static __global__ void col2im_kernel(patch<I> p, const float *__restrict__ col, I total, float *__restrict__ dx) {
  GT_KERNEL_LOOP(k, total) {
    I e = (I)k;
    I iw = e % p.w, t = e / p.w;
    I ih = t % p.h;
    t /= p.h; /* t = s*C + c */
    const float *rows = col + (int64_t)t * p.kh * p.kw * p.oh * p.ow;
    float acc = dx[e];
    for (I i = 0; i < p.kh; i++) {
      I nh = ih + p.pt - i * p.dh; /* = oh*sh */
      if (nh < 0 || nh % p.sh != 0 || nh / p.sh >= p.oh) continue;
      I oh = nh / p.sh;
      for (I j = 0; j < p.kw; j++) {
        I nw = iw + p.pl - j * p.dw; /* = ow*sw */
        if (nw < 0 || nw % p.sw != 0 || nw / p.sw >= p.ow) continue;
        acc += rows[(i * p.kw + j) * p.oh * p.ow + oh * p.ow + nw / p.sw];
      }
    }
    dx[e] = acc;
  }
}

/* 32-bit indices when every index of the launch fits (the range, and the column and input sizes
 * of the chunk, which bound every offset computed in I). */
static int fits_i32(int64_t a, int64_t b) { return a < INT32_MAX && b < INT32_MAX; }

static gt_status launch_im2col(gt_backend *be, const gt_op_conv_geom *g, const float *x, int64_t s, int wide,
                               float *col, gt_error *err) {
  int64_t total = s * g->c * g->kh * g->kw * g->ohw;
  if (total == 0) return GT_OK;
  unsigned blocks = gt_cuda_blocks(total, GT_CUDA_THREADS);
  if (fits_i32(total, s * g->c * g->h * g->w))
    GT_LAUNCH(im2col_kernel<int32_t>, blocks, GT_CUDA_THREADS, 0, gt_cuda_stream(be), patch_of<int32_t>(g),
              (int32_t)(wide ? s : 0), x, (int32_t)total, col);
  else
    GT_LAUNCH(im2col_kernel<int64_t>, blocks, GT_CUDA_THREADS, 0, gt_cuda_stream(be), patch_of<int64_t>(g),
              wide ? s : 0, x, total, col);
  GT_LAUNCH_CHECK();
  return GT_OK;
}

gt_status gt_cuda_im2col(gt_backend *be, const gt_op_conv_geom *g, const float *x, int64_t s, float *col,
                         gt_error *err) {
  return launch_im2col(be, g, x, s, 0, col, err);
}

gt_status gt_cuda_im2col_wide(gt_backend *be, const gt_op_conv_geom *g, const float *x, int64_t s, float *col,
                              gt_error *err) {
  return launch_im2col(be, g, x, s, 1, col, err);
}

gt_status gt_cuda_col2im(gt_backend *be, const gt_op_conv_geom *g, const float *col, int64_t s, float *dx,
                         gt_error *err) {
  int64_t total = s * g->c * g->h * g->w;
  if (total == 0) return GT_OK;
  unsigned blocks = gt_cuda_blocks(total, GT_CUDA_THREADS);
  if (fits_i32(total, s * g->c * g->kh * g->kw * g->ohw))
    GT_LAUNCH(col2im_kernel<int32_t>, blocks, GT_CUDA_THREADS, 0, gt_cuda_stream(be), patch_of<int32_t>(g), col,
              (int32_t)total, dx);
  else
    GT_LAUNCH(col2im_kernel<int64_t>, blocks, GT_CUDA_THREADS, 0, gt_cuda_stream(be), patch_of<int64_t>(g), col, total,
              dx);
  GT_LAUNCH_CHECK();
  return GT_OK;
}

/* im2col and col2im for one sample: the data movement that turns a convolution into one sgemm.
 *   x [C, H, W]  <->  col [C*kh*kw, OH*OW] (rows ld apart),  row r = (c*kh + i)*kw + j, column oh*OW + ow,
 *   col[r, oh*OW + ow] = x[c, oh*sh - pt + i*dh, ow*sw - pl + j*dw]  (0 in the padding).
 * Both walk each row in runs: for a tap column j, the output columns whose input column lies
 * inside [0, W) form one interval [lo, hi), so the inner loops have no bounds checks. */
#include "cpu_ops.h"

#include <string.h>

/* Output columns ow in [lo, hi) read input column ow*sw + off inside [0, w). */
static void valid_range(int64_t ow_len, int64_t sw, int64_t off, int64_t w, int64_t *lo, int64_t *hi) {
  int64_t a = off >= 0 ? 0 : (-off + sw - 1) / sw;
  int64_t b = w - off <= 0 ? 0 : (w - off + sw - 1) / sw;
  if (a > ow_len) a = ow_len;
  if (b > ow_len) b = ow_len;
  if (b < a) b = a;
  *lo = a;
  *hi = b;
}

void gt_cpu_im2col(const gt_cpu_patch *p, const float *x, int64_t c0, int64_t c1, float *col, int64_t ld) {
  for (int64_t c = c0; c < c1; c++)
    for (int64_t i = 0; i < p->kh; i++)
      for (int64_t j = 0; j < p->kw; j++) {
        float *row = col + ((c * p->kh + i) * p->kw + j) * ld;
        int64_t off = j * p->dw - p->pl, lo, hi;
        valid_range(p->ow, p->sw, off, p->w, &lo, &hi);
        for (int64_t oh = 0; oh < p->oh; oh++) {
          float *dst = row + oh * p->ow;
          int64_t ih = oh * p->sh - p->pt + i * p->dh;
          if (ih < 0 || ih >= p->h) {
            memset(dst, 0, (size_t)p->ow * sizeof(float));
            continue;
          }
          int64_t base = (c * p->h + ih) * p->w + off; /* x[base + ow * sw] is column ow */
          for (int64_t ow = 0; ow < lo; ow++) dst[ow] = 0.0f;
          if (p->sw == 1) {
            if (hi > lo) memcpy(dst + lo, x + (base + lo), (size_t)(hi - lo) * sizeof(float));
          } else {
            for (int64_t ow = lo; ow < hi; ow++) dst[ow] = x[base + ow * p->sw];
          }
          for (int64_t ow = hi; ow < p->ow; ow++) dst[ow] = 0.0f;
        }
      }
}

void gt_cpu_col2im(const gt_cpu_patch *p, const float *col, int64_t ld, int64_t c0, int64_t c1, float *dx) {
  for (int64_t c = c0; c < c1; c++)
    for (int64_t i = 0; i < p->kh; i++)
      for (int64_t j = 0; j < p->kw; j++) {
        const float *row = col + ((c * p->kh + i) * p->kw + j) * ld;
        int64_t off = j * p->dw - p->pl, lo, hi;
        valid_range(p->ow, p->sw, off, p->w, &lo, &hi);
        for (int64_t oh = 0; oh < p->oh; oh++) {
          int64_t ih = oh * p->sh - p->pt + i * p->dh;
          if (ih < 0 || ih >= p->h) continue;
          const float *src = row + oh * p->ow;
          int64_t base = (c * p->h + ih) * p->w + off; /* dx[base + ow * sw] is column ow */
          if (p->sw == 1) {
            float *dst = dx + (base + lo);
            for (int64_t ow = 0; ow < hi - lo; ow++) dst[ow] += src[lo + ow];
          } else {
            for (int64_t ow = lo; ow < hi; ow++) dx[base + ow * p->sw] += src[ow];
          }
        }
      }
}

/* im2col and col2im for one sample: the data movement that turns a convolution into one sgemm.
 *   x [C, H, W]  <->  col [C*kh*kw, OH*OW] (rows ld apart),  row r = (c*kh + i)*kw + j, column oh*OW + ow,
 *   col[r, oh*OW + ow] = x[c, oh*sh - pt + i*dh, ow*sw - pl + j*dw]  (0 in the padding).
 * Both walk each row in runs: for a tap column j, the output columns whose input column lies
 * inside [0, W) form one interval [lo, hi), so the inner loops have no bounds checks. im2col can
 * fill a range of columns only, so threads may build disjoint column blocks of one matrix. */
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

static int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }
static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

void gt_cpu_im2col(const gt_cpu_patch *p, const float *x, int64_t c0, int64_t c1, int64_t j0, int64_t j1, float *col,
                   int64_t ld) {
  if (j1 <= j0 || p->ow <= 0) return;
  int64_t oh_first = j0 / p->ow, oh_last = (j1 - 1) / p->ow;
  for (int64_t c = c0; c < c1; c++)
    for (int64_t i = 0; i < p->kh; i++)
      for (int64_t j = 0; j < p->kw; j++) {
        float *row = col + ((c * p->kh + i) * p->kw + j) * ld;
        int64_t off = j * p->dw - p->pl, lo, hi;
        valid_range(p->ow, p->sw, off, p->w, &lo, &hi);
        for (int64_t oh = oh_first; oh <= oh_last; oh++) {
          float *dst = row + oh * p->ow;
          /* This output row's part of the column range: ow in [a, b). */
          int64_t a = max64(0, j0 - oh * p->ow), b = min64(p->ow, j1 - oh * p->ow);
          int64_t ih = oh * p->sh - p->pt + i * p->dh;
          if (ih < 0 || ih >= p->h) {
            memset(dst + a, 0, (size_t)(b - a) * sizeof(float));
            continue;
          }
          int64_t base = (c * p->h + ih) * p->w + off; /* x[base + ow * sw] is column ow */
          int64_t in_a = max64(a, lo), in_b = min64(b, hi);
          for (int64_t ow = a; ow < min64(lo, b); ow++) dst[ow] = 0.0f;
          if (p->sw == 1) {
            if (in_b > in_a) memcpy(dst + in_a, x + (base + in_a), (size_t)(in_b - in_a) * sizeof(float));
          } else {
            for (int64_t ow = in_a; ow < in_b; ow++) dst[ow] = x[base + ow * p->sw];
          }
          for (int64_t ow = max64(a, hi); ow < b; ow++) dst[ow] = 0.0f;
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

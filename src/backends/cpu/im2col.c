/* im2col and col2im for one sample: the data movement that turns a convolution into one sgemm.
 *   x [C, H, W]  <->  col [C*kh*kw, OH*OW] (rows ld apart),  row r = (c*kh + i)*kw + j, column oh*OW + ow,
 *   col[r, oh*OW + ow] = x[c, oh*sh - pt + i*dh, ow*sw - pl + j*dw]  (0 in the padding).
 * Both walk each row in runs: for a tap column j, the output columns whose input column lies
 * inside [0, W) form one interval [lo, hi), so the inner loops have no bounds checks. im2col can
 * fill a range of columns only, so threads may build disjoint column blocks of one matrix. */
/* Rows of a conv are short (7 .. 56 floats): a memcpy / memset call per run cost more than the
 * copy itself (measured: im2col 20% of a small CNN's pass with calls, ~8% inline), so the runs are
 * plain loops, and GCC must not turn them back into library calls. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-tree-loop-distribute-patterns")
#endif

#include "cpu_ops.h"

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

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : (v > hi ? hi : v); }

/* ---- stride 1 with OW == W (e.g. 3x3 "same" convs): every tap is a shift of the plane ----
 * Column k = oh*W + ow of the row of tap (i, j) reads plane cell k + s, s = dr*W + dc with
 * dr = i*dh - pt, dc = j*dw - pl, whenever input row oh + dr is in [0, H) and ow is in [lo, hi).
 * So the valid rows of a col row are ONE contiguous run of the plane, apart from the padding
 * columns ow < lo and ow >= hi of each output row (there k + s lands on a neighbouring row's
 * cell, or outside the plane), which are fixed up one by one: a few per output row. */
typedef struct shift_row {
  int64_t s;          /* plane offset of column k: k + s */
  int64_t lo, hi;     /* valid output columns */
  int64_t oh_lo, oh_hi; /* valid output rows */
  int64_t k_lo, k_hi; /* columns of the valid output rows, within the requested range */
  int64_t a, b;       /* part of [k_lo, k_hi) whose cell k + s lies inside the plane */
} shift_row;

static int is_shift(const gt_cpu_patch *p) { return p->sh == 1 && p->sw == 1 && p->ow == p->w && p->ow > 0; }

static shift_row shift_row_of(const gt_cpu_patch *p, int64_t i, int64_t j, int64_t j0, int64_t j1) {
  shift_row r;
  int64_t dr = i * p->dh - p->pt, dc = j * p->dw - p->pl, hw = p->h * p->w;
  r.s = dr * p->w + dc;
  valid_range(p->ow, 1, dc, p->w, &r.lo, &r.hi);
  r.oh_lo = clamp64(-dr, 0, p->oh);
  r.oh_hi = clamp64(p->h - dr, r.oh_lo, p->oh);
  r.k_lo = clamp64(r.oh_lo * p->ow, j0, j1);
  r.k_hi = clamp64(r.oh_hi * p->ow, r.k_lo, j1);
  r.a = clamp64(-r.s, r.k_lo, r.k_hi);
  r.b = clamp64(hw - r.s, r.a, r.k_hi);
  return r;
}

/* Sets columns [from, to) of output row oh of a col row to 0, within [k_lo, k_hi). */
static void zero_part(const gt_cpu_patch *p, const shift_row *r, int64_t oh, int64_t from, int64_t to, float *row) {
  int64_t a = max64(oh * p->ow + from, r->k_lo), b = min64(oh * p->ow + to, r->k_hi);
  for (int64_t k = a; k < b; k++) row[k] = 0.0f;
}

/* Sets the padding columns of the valid output rows, within [k_lo, k_hi), of a col row to 0.
 * Most rows lie wholly inside the range and have one padding column (3x3, pad 1): a tight loop
 * of single stores for those (this runs once per kernel row and output row). */
static void zero_pad_columns(const gt_cpu_patch *p, const shift_row *r, float *row) {
  if (r->k_hi <= r->k_lo || (r->lo == 0 && r->hi == p->ow)) return;
  int64_t ow = p->ow, first, last, full_lo, full_hi; /* [full_lo, full_hi): rows wholly inside */
  if (r->k_lo == r->oh_lo * ow && r->k_hi == r->oh_hi * ow) { /* the whole matrix: no divisions */
    first = full_lo = r->oh_lo;
    full_hi = r->oh_hi;
    last = r->oh_hi - 1;
  } else {
    first = r->k_lo / ow, last = (r->k_hi - 1) / ow;
    full_lo = (r->k_lo + ow - 1) / ow, full_hi = r->k_hi / ow;
  }
  if (full_hi <= full_lo) {
    for (int64_t oh = first; oh <= last; oh++) {
      zero_part(p, r, oh, 0, r->lo, row);
      zero_part(p, r, oh, r->hi, ow, row);
    }
    return;
  }
  for (int64_t oh = first; oh < full_lo; oh++) {
    zero_part(p, r, oh, 0, r->lo, row);
    zero_part(p, r, oh, r->hi, ow, row);
  }
  float *at = row + full_lo * ow;
  int64_t n_rows = full_hi - full_lo;
  if (r->lo == 1 && r->hi == ow) {
    for (int64_t t = 0; t < n_rows; t++) at[t * ow] = 0.0f;
  } else if (r->lo == 0 && r->hi == ow - 1) {
    for (int64_t t = 0; t < n_rows; t++) at[t * ow + ow - 1] = 0.0f;
  } else {
    for (int64_t t = 0; t < n_rows; t++) {
      for (int64_t c = 0; c < r->lo; c++) at[t * ow + c] = 0.0f;
      for (int64_t c = r->hi; c < ow; c++) at[t * ow + c] = 0.0f;
    }
  }
  for (int64_t oh = full_hi; oh <= last; oh++) {
    zero_part(p, r, oh, 0, r->lo, row);
    zero_part(p, r, oh, r->hi, ow, row);
  }
}

static void im2col_shift(const gt_cpu_patch *p, const float *x, int64_t c0, int64_t c1, int64_t j0, int64_t j1,
                         float *col, int64_t ld) {
  int64_t hw = p->h * p->w;
  for (int64_t c = c0; c < c1; c++)
    for (int64_t i = 0; i < p->kh; i++)
      for (int64_t j = 0; j < p->kw; j++) {
        float *row = col + ((c * p->kh + i) * p->kw + j) * ld;
        const float *plane = x + c * hw;
        shift_row r = shift_row_of(p, i, j, j0, j1);
        for (int64_t k = j0; k < r.a; k++) row[k] = 0.0f; /* rows above the input, cells before the plane */
        const float *src = plane + r.s;
        for (int64_t k = r.a; k < r.b; k++) row[k] = src[k];
        for (int64_t k = r.b; k < j1; k++) row[k] = 0.0f;
        zero_pad_columns(p, &r, row);
      }
}

/* dx cell k + s += col[k] over the contiguous run, after zeroing the padding columns of col (so
 * the cells they land on get + 0: the same value; only a -0 cell would turn +0). Each cell gets
 * at most one entry per row, rows in ascending order: the order of the general loop. */
static void col2im_shift(const gt_cpu_patch *p, float *col, int64_t ld, int64_t c0, int64_t c1, float *dx) {
  int64_t hw = p->h * p->w;
  for (int64_t c = c0; c < c1; c++)
    for (int64_t i = 0; i < p->kh; i++)
      for (int64_t j = 0; j < p->kw; j++) {
        float *row = col + ((c * p->kh + i) * p->kw + j) * ld;
        shift_row r = shift_row_of(p, i, j, 0, p->oh * p->ow);
        zero_pad_columns(p, &r, row);
        float *dst = dx + c * hw + r.s;
        for (int64_t k = r.a; k < r.b; k++) dst[k] += row[k];
      }
}

void gt_cpu_im2col(const gt_cpu_patch *p, const float *x, int64_t c0, int64_t c1, int64_t j0, int64_t j1, float *col,
                   int64_t ld) {
  if (j1 <= j0 || p->ow <= 0) return;
  if (is_shift(p)) {
    im2col_shift(p, x, c0, c1, j0, j1, col, ld);
    return;
  }
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
            for (int64_t ow = a; ow < b; ow++) dst[ow] = 0.0f;
            continue;
          }
          int64_t base = (c * p->h + ih) * p->w + off; /* x[base + ow * sw] is column ow */
          int64_t in_a = max64(a, lo), in_b = min64(b, hi);
          for (int64_t ow = a; ow < min64(lo, b); ow++) dst[ow] = 0.0f;
          if (p->sw == 1) {
            const float *src = x + base;
            for (int64_t ow = in_a; ow < in_b; ow++) dst[ow] = src[ow];
          } else {
            for (int64_t ow = in_a; ow < in_b; ow++) dst[ow] = x[base + ow * p->sw];
          }
          for (int64_t ow = max64(a, hi); ow < b; ow++) dst[ow] = 0.0f;
        }
      }
}

void gt_cpu_col2im(const gt_cpu_patch *p, float *col, int64_t ld, int64_t c0, int64_t c1, float *dx) {
  if (is_shift(p)) {
    col2im_shift(p, col, ld, c0, c1, dx);
    return;
  }
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

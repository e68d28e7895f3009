/* MaxPool and AveragePool (2-D, strided, dilated, padded), forward and input gradient, one
 * [H, W] plane per thread task (a plane's windows only touch that plane, so backward needs no
 * locks and adds in the same order as ref).
 *   x [N, C, H, W]  ->  y [N, C, OH, OW]
 * Window of output (oh, ow): taps (i, j) at input cell (oh*sh - pt + i*dh, ow*sw - pl + j*dw),
 * scanned i-major ("window order"). The taps inside the input form one rectangle
 * [i_lo, i_hi) x [j_lo, j_hi), worked out once per output row and, at the borders, per column.
 * A window wholly inside the input (most of them) is instead read through a table of its taps'
 * offsets from the window origin, built once per call (kernels up to GT_CPU_POOL_TAPS taps).
 *  - MaxPool ignores padded cells. Backward routes dy to the FIRST maximal cell in window order
 *    (strict '>' while scanning), exactly as ref, so ties go to the same cell.
 *  - AveragePool divides the sum over cells inside the input by the taps inside the input
 *    (count_include_pad = 0) or inside the explicitly padded extent [-pt, H + pb) x [-pl, W + pr)
 *    (count_include_pad = 1). Backward spreads dy / divisor over the same cells.
 *  - A window with no cell inside the input gives 0 and passes no gradient. */
/* Float compares may be if-converted (no FP traps are ever enabled here): see unary.c. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math")
#endif

#include "cpu_ops.h"
#include "backends/op_layout.h"
#include "gauntlet/hd/layout.h"

#include <string.h>

#define GT_CPU_POOL_TAPS 64 /* largest kernel (kh*kw) read through the tap table */

typedef struct pool_geom {
  int64_t n, c, h, w, oh, ow;
  int64_t kh, kw, sh, sw, dh, dw, pt, pl, pb, pr;
  int64_t full_lo, full_hi;      /* output columns whose window lies wholly inside [0, W) */
  int n_taps;                    /* kh*kw when the tap table is used, else 0 */
  int64_t tap[GT_CPU_POOL_TAPS]; /* offset of tap (i, j) from the window origin, i-major */
} pool_geom;

/* Output columns [full_lo, full_hi) whose window lies wholly inside [0, W). */
static void full_columns(pool_geom *g) {
  int64_t a = (g->pl + g->sw - 1) / g->sw;               /* first ow with ow*sw - pl >= 0 */
  int64_t last = g->w - 1 + g->pl - (g->kw - 1) * g->dw; /* ow*sw must not pass this */
  int64_t b = last < 0 ? 0 : last / g->sw + 1;
  if (a > g->ow) a = g->ow;
  if (b > g->ow) b = g->ow;
  if (b < a) b = a;
  g->full_lo = a;
  g->full_hi = b;
}

static gt_status pool_check(const gt_op_call *call, pool_geom *g, gt_error *err) {
  gt_op_pool_geom s;
  gt_status st = gt_op_pool_geom_of("cpu", call, &s, err);
  if (st != GT_OK) return st;
  g->n = s.n, g->c = s.c, g->h = s.h, g->w = s.w, g->oh = s.oh, g->ow = s.ow;
  g->kh = s.kh, g->kw = s.kw, g->sh = s.sh, g->sw = s.sw, g->dh = s.dh, g->dw = s.dw;
  g->pt = s.pt, g->pl = s.pl, g->pb = s.pb, g->pr = s.pr;
  full_columns(g);
  g->n_taps = 0;
  if (g->kh * g->kw <= GT_CPU_POOL_TAPS) {
    for (int64_t i = 0; i < g->kh; i++)
      for (int64_t j = 0; j < g->kw; j++) g->tap[i * g->kw + j] = i * g->dh * g->w + j * g->dw;
    g->n_taps = (int)(g->kh * g->kw);
  }
  return GT_OK;
}

/* The taps of output (oh, ow) that lie inside the input, and how many taps count in the
 * AveragePool divisor along each axis. */
typedef struct window {
  int64_t ih0, iw0; /* input cell of tap (0, 0) */
  int64_t i_lo, i_hi, j_lo, j_hi;
  int64_t i_div, j_div;
  int row_full; /* every tap row lies inside [0, H) */
} window;

static window window_row(const gt_op_call *call, const pool_geom *g, int64_t oh) {
  window win;
  win.ih0 = oh * g->sh - g->pt;
  gt_hd_tap_range(win.ih0, g->kh, g->dh, 0, g->h, &win.i_lo, &win.i_hi);
  win.row_full = win.i_lo == 0 && win.i_hi == g->kh;
  win.i_div = win.i_hi - win.i_lo;
  if (call->node->p.pool.count_include_pad) {
    int64_t lo, hi;
    gt_hd_tap_range(win.ih0, g->kh, g->dh, -g->pt, g->h + g->pb, &lo, &hi);
    win.i_div = hi - lo;
  }
  win.iw0 = 0, win.j_lo = win.j_hi = win.j_div = 0;
  return win;
}

/* Fills the column part of the window; returns 1 when the whole window lies inside the input and
 * the tap table applies (then only iw0 and j_div are needed). */
static int window_col(const gt_op_call *call, const pool_geom *g, int64_t ow, window *win) {
  win->iw0 = ow * g->sw - g->pl;
  if (ow >= g->full_lo && ow < g->full_hi) {
    win->j_lo = 0, win->j_hi = g->kw, win->j_div = g->kw;
    return win->row_full && g->n_taps > 0;
  }
  gt_hd_tap_range(win->iw0, g->kw, g->dw, 0, g->w, &win->j_lo, &win->j_hi);
  win->j_div = win->j_hi - win->j_lo;
  if (call->node->p.pool.count_include_pad) {
    int64_t lo, hi;
    gt_hd_tap_range(win->iw0, g->kw, g->dw, -g->pl, g->w + g->pr, &lo, &hi);
    win->j_div = hi - lo;
  }
  return 0;
}

/* Offset of tap (0, 0) of a window that lies wholly inside the plane. */
static int64_t window_origin(const pool_geom *g, const window *win) { return win->ih0 * g->w + win->iw0; }

/* The first maximal cell of a window wholly inside the plane, through the tap table. Written
 * without branches (conditional moves): on real data the comparison is a coin flip, and
 * mispredicted branches cost more than the whole window. Strict '>' keeps the first maximum. */
static int64_t max_cell_full(const pool_geom *g, const float *plane, int64_t origin) {
  int64_t best = origin + g->tap[0];
  float best_v = plane[best];
  for (int t = 1; t < g->n_taps; t++) {
    int64_t cell = origin + g->tap[t];
    float v = plane[cell];
    int better = v > best_v;
    best = better ? cell : best;
    best_v = better ? v : best_v;
  }
  return best;
}

/* The same for any window: offset of its first maximal cell inside the input, or -1. */
static int64_t max_cell(const pool_geom *g, const float *plane, const window *win) {
  if (win->i_lo >= win->i_hi || win->j_lo >= win->j_hi) return -1;
  int64_t best = (win->ih0 + win->i_lo * g->dh) * g->w + win->iw0 + win->j_lo * g->dw;
  float best_v = plane[best];
  for (int64_t i = win->i_lo; i < win->i_hi; i++) {
    int64_t row = (win->ih0 + i * g->dh) * g->w + win->iw0;
    for (int64_t j = win->j_lo; j < win->j_hi; j++) {
      int64_t cell = row + j * g->dw;
      float v = plane[cell];
      int better = v > best_v;
      best = better ? cell : best;
      best_v = better ? v : best_v;
    }
  }
  return best;
}

/* ---- the common 2x2 stride-2 MaxPool without padding or dilation, every window inside ----
 * Same first-maximum rule as max_cell_full, in pool_2x2.c. */

static int pool_is_2x2(const pool_geom *g) {
  return g->kh == 2 && g->kw == 2 && g->sh == 2 && g->sw == 2 && g->dh == 1 && g->dw == 1 && g->pt == 0 &&
         g->pl == 0 && 2 * g->oh <= g->h && 2 * g->ow <= g->w;
}

/* Worth threads: enough taps in total (a double, since hostile params could overflow int64). */
static int par_planes(const pool_geom *g) {
  return (double)g->n * (double)g->c * (double)g->oh * (double)g->ow * (double)g->kh * (double)g->kw >=
         GT_CPU_PAR_MIN;
}

gt_status gt_cpu_maxpool_forward(gt_backend *be, const gt_op_call *call, gt_error *err) {
  pool_geom g;
  gt_status st = pool_check(call, &g, err);
  if (st != GT_OK) return st;
  int64_t planes = g.n * g.c;
  int fast = pool_is_2x2(&g);
#pragma omp parallel for num_threads(gt_cpu_threads(be)) schedule(static) if (par_planes(&g))
  for (int64_t nc = 0; nc < planes; nc++) {
    const float *x = call->in[0]->data + nc * g.h * g.w;
    float *y = call->out->data + nc * g.oh * g.ow;
    if (fast) {
      gt_cpu_max2x2_plane(x, g.h, g.w, g.oh, g.ow, y);
      continue;
    }
    for (int64_t oh = 0; oh < g.oh; oh++) {
      window win = window_row(call, &g, oh);
      for (int64_t ow = 0; ow < g.ow; ow++) {
        int64_t cell = window_col(call, &g, ow, &win) ? max_cell_full(&g, x, window_origin(&g, &win))
                                                        : max_cell(&g, x, &win);
        y[oh * g.ow + ow] = cell >= 0 ? x[cell] : 0.0f;
      }
    }
  }
  return GT_OK;
}

/* dx[first max cell of window (oh, ow)] += dy[oh, ow]; with GT_CALL_WRITE_GRAD dx is written
 * (set to 0 first, unless the 2x2 windows cover the whole plane and write every cell). */
gt_status gt_cpu_maxpool_backward(gt_backend *be, const gt_op_call *call, const gt_tensor *grad_out,
                                  gt_tensor *const *grad_in, gt_error *err) {
  pool_geom g;
  gt_status st = pool_check(call, &g, err);
  if (st == GT_OK) st = gt_cpu_check_backward(call, 1, 1, grad_out, grad_in, err);
  if (st != GT_OK) return st;
  if (!grad_in[0]) return GT_OK;
  int64_t planes = g.n * g.c;
  int fast = pool_is_2x2(&g), write = (call->flags & GT_CALL_WRITE_GRAD) != 0, avx2 = gt_cpu_avx2(be);
  int covers = fast && 2 * g.oh == g.h && 2 * g.ow == g.w;
#pragma omp parallel for num_threads(gt_cpu_threads(be)) schedule(static) if (par_planes(&g))
  for (int64_t nc = 0; nc < planes; nc++) {
    const float *x = call->in[0]->data + nc * g.h * g.w;
    const float *dy = grad_out->data + nc * g.oh * g.ow;
    float *dx = grad_in[0]->data + nc * g.h * g.w;
    if (write && !covers) memset(dx, 0, (size_t)(g.h * g.w) * sizeof(float));
    if (fast) {
      gt_cpu_max2x2_plane_backward(x, dy, g.h, g.w, g.oh, g.ow, write && covers, avx2, dx);
      continue;
    }
    for (int64_t oh = 0; oh < g.oh; oh++) {
      window win = window_row(call, &g, oh);
      for (int64_t ow = 0; ow < g.ow; ow++) {
        int64_t cell = window_col(call, &g, ow, &win) ? max_cell_full(&g, x, window_origin(&g, &win))
                                                        : max_cell(&g, x, &win);
        if (cell >= 0) dx[cell] += dy[oh * g.ow + ow];
      }
    }
  }
  return GT_OK;
}

gt_status gt_cpu_avgpool_forward(gt_backend *be, const gt_op_call *call, gt_error *err) {
  pool_geom g;
  gt_status st = pool_check(call, &g, err);
  if (st != GT_OK) return st;
  int64_t planes = g.n * g.c;
#pragma omp parallel for num_threads(gt_cpu_threads(be)) schedule(static) if (par_planes(&g))
  for (int64_t nc = 0; nc < planes; nc++) {
    const float *x = call->in[0]->data + nc * g.h * g.w;
    float *y = call->out->data + nc * g.oh * g.ow;
    for (int64_t oh = 0; oh < g.oh; oh++) {
      window win = window_row(call, &g, oh);
      for (int64_t ow = 0; ow < g.ow; ow++) {
        float sum = 0.0f;
        if (window_col(call, &g, ow, &win)) {
          int64_t origin = window_origin(&g, &win);
          for (int t = 0; t < g.n_taps; t++) sum += x[origin + g.tap[t]];
        } else {
          for (int64_t i = win.i_lo; i < win.i_hi; i++) {
            int64_t row = (win.ih0 + i * g.dh) * g.w + win.iw0;
            for (int64_t j = win.j_lo; j < win.j_hi; j++) sum += x[row + j * g.dw];
          }
        }
        int empty = win.i_hi == win.i_lo || win.j_hi == win.j_lo;
        int64_t div = win.i_div * win.j_div;
        y[oh * g.ow + ow] = !empty && div > 0 ? sum / (float)div : 0.0f;
      }
    }
  }
  return GT_OK;
}

/* dx[cell] += dy[oh, ow] / divisor(oh, ow) for every input cell of window (oh, ow). */
gt_status gt_cpu_avgpool_backward(gt_backend *be, const gt_op_call *call, const gt_tensor *grad_out,
                                  gt_tensor *const *grad_in, gt_error *err) {
  pool_geom g;
  gt_status st = pool_check(call, &g, err);
  if (st == GT_OK) st = gt_cpu_check_backward(call, 1, 1, grad_out, grad_in, err);
  if (st != GT_OK) return st;
  if (!grad_in[0]) return GT_OK;
  int64_t planes = g.n * g.c;
#pragma omp parallel for num_threads(gt_cpu_threads(be)) schedule(static) if (par_planes(&g))
  for (int64_t nc = 0; nc < planes; nc++) {
    const float *dy = grad_out->data + nc * g.oh * g.ow;
    float *dx = grad_in[0]->data + nc * g.h * g.w;
    for (int64_t oh = 0; oh < g.oh; oh++) {
      window win = window_row(call, &g, oh);
      for (int64_t ow = 0; ow < g.ow; ow++) {
        int full = window_col(call, &g, ow, &win);
        int64_t div = win.i_div * win.j_div;
        if (win.i_hi == win.i_lo || win.j_hi == win.j_lo || div <= 0) continue;
        float share = dy[oh * g.ow + ow] / (float)div;
        if (full) {
          int64_t origin = window_origin(&g, &win);
          for (int t = 0; t < g.n_taps; t++) dx[origin + g.tap[t]] += share;
          continue;
        }
        for (int64_t i = win.i_lo; i < win.i_hi; i++) {
          int64_t row = (win.ih0 + i * g.dh) * g.w + win.iw0;
          for (int64_t j = win.j_lo; j < win.j_hi; j++) dx[row + j * g.dw] += share;
        }
      }
    }
  }
  return GT_OK;
}

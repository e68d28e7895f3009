/* MaxPool and AveragePool (2-D, strided, dilated, padded), forward and input gradient.
 *   x [N, C, H, W]  ->  y [N, C, OH, OW]
 * Window of output (oh, ow): taps (i, j) at input cell (oh*sh - pt + i*dh, ow*sw - pl + j*dw),
 * scanned i-major ("window order"). OH and OW come from y's shape (the importer resolved
 * ceil_mode); they must lie between the floor and the ceil of the usual formula.
 *  - MaxPool ignores padded cells (ONNX pads with -inf). Backward routes dy to the FIRST maximal
 *    cell in window order (strict '>' while scanning), so ties are deterministic.
 *  - AveragePool sums the cells inside the input and divides by the number of taps inside the
 *    input (count_include_pad = 0) or inside the explicitly padded extent [-pt, H + pb) x
 *    [-pl, W + pr) (count_include_pad = 1; taps that only exist because of ceil_mode never
 *    count, as in PyTorch and onnxruntime). Backward spreads dy / divisor over the same cells.
 *  - A window with no cell inside the input (possible only with odd ceil_mode shapes) gives 0
 *    and passes no gradient. */
#include "ref_ops.h"

#include "backends/op_layout.h"

/* The window geometry and its checks are the ones every backend shares (op_layout.c). */
typedef gt_op_pool_geom pool_geom;

static gt_status pool_check(const gt_op_call *call, pool_geom *g, gt_error *err) {
  return gt_op_pool_geom_of("ref", call, g, err);
}

/* Input row (or column) of tap t of output position o. */
static int64_t tap_pos(int64_t o, int64_t t, int64_t stride, int64_t pad, int64_t dil) {
  return o * stride - pad + t * dil;
}

/* Offset (within one [H, W] plane) of the first maximal cell of window (oh, ow), or -1. */
static int64_t max_cell(const pool_geom *g, const float *plane, int64_t oh, int64_t ow) {
  int64_t best = -1;
  for (int64_t i = 0; i < g->kh; i++)
    for (int64_t j = 0; j < g->kw; j++) {
      int64_t ih = tap_pos(oh, i, g->sh, g->pt, g->dh), iw = tap_pos(ow, j, g->sw, g->pl, g->dw);
      if (ih < 0 || ih >= g->h || iw < 0 || iw >= g->w) continue; /* padding never wins */
      int64_t cell = ih * g->w + iw;
      if (best < 0 || plane[cell] > plane[best]) best = cell;
    }
  return best;
}

gt_status gt_ref_maxpool_forward(gt_backend *be, const gt_op_call *call, gt_error *err) {
  pool_geom g;
  gt_status st = pool_check(call, &g, err);
  if (st != GT_OK) return st;
  for (int64_t nc = 0; nc < g.n * g.c; nc++) {
    const float *x = call->in[0]->data + nc * g.h * g.w;
    float *y = call->out->data + nc * g.oh * g.ow;
    for (int64_t oh = 0; oh < g.oh; oh++)
      for (int64_t ow = 0; ow < g.ow; ow++) {
        int64_t cell = max_cell(&g, x, oh, ow);
        y[oh * g.ow + ow] = cell >= 0 ? x[cell] : 0.0f;
      }
  }
  return GT_OK;
}

/* dx[first max cell of window (oh, ow)] += dy[oh, ow]. */
gt_status gt_ref_maxpool_backward(gt_backend *be, const gt_op_call *call, const gt_tensor *grad_out,
                                  gt_tensor *const *grad_in, gt_error *err) {
  pool_geom g;
  gt_status st = pool_check(call, &g, err);
  if (st == GT_OK) st = gt_ref_check_backward(call, 1, 1, grad_out, grad_in, err);
  if (st != GT_OK) return st;
  if (!grad_in[0]) return GT_OK;
  for (int64_t nc = 0; nc < g.n * g.c; nc++) {
    const float *x = call->in[0]->data + nc * g.h * g.w;
    const float *dy = grad_out->data + nc * g.oh * g.ow;
    float *dx = grad_in[0]->data + nc * g.h * g.w;
    for (int64_t oh = 0; oh < g.oh; oh++)
      for (int64_t ow = 0; ow < g.ow; ow++) {
        int64_t cell = max_cell(&g, x, oh, ow);
        if (cell >= 0) dx[cell] += dy[oh * g.ow + ow];
      }
  }
  return GT_OK;
}

/* Taps of one axis that count in the divisor for output position o. */
static int64_t avg_count(int64_t o, int64_t k, int64_t stride, int64_t pad_begin, int64_t dil, int64_t in,
                         int64_t pad_end, int include_pad) {
  int64_t lo = include_pad ? -pad_begin : 0, hi = include_pad ? in + pad_end : in;
  int64_t count = 0;
  for (int64_t t = 0; t < k; t++) {
    int64_t pos = tap_pos(o, t, stride, pad_begin, dil);
    if (pos >= lo && pos < hi) count++;
  }
  return count;
}

static int64_t avg_divisor(const gt_op_call *call, const pool_geom *g, int64_t oh, int64_t ow) {
  int include_pad = call->node->p.pool.count_include_pad != 0;
  return avg_count(oh, g->kh, g->sh, g->pt, g->dh, g->h, g->pb, include_pad) *
         avg_count(ow, g->kw, g->sw, g->pl, g->dw, g->w, g->pr, include_pad);
}

gt_status gt_ref_avgpool_forward(gt_backend *be, const gt_op_call *call, gt_error *err) {
  pool_geom g;
  gt_status st = pool_check(call, &g, err);
  if (st != GT_OK) return st;
  for (int64_t nc = 0; nc < g.n * g.c; nc++) {
    const float *x = call->in[0]->data + nc * g.h * g.w;
    float *y = call->out->data + nc * g.oh * g.ow;
    for (int64_t oh = 0; oh < g.oh; oh++)
      for (int64_t ow = 0; ow < g.ow; ow++) {
        double sum = 0.0;
        for (int64_t i = 0; i < g.kh; i++)
          for (int64_t j = 0; j < g.kw; j++) {
            int64_t ih = tap_pos(oh, i, g.sh, g.pt, g.dh), iw = tap_pos(ow, j, g.sw, g.pl, g.dw);
            if (ih >= 0 && ih < g.h && iw >= 0 && iw < g.w) sum += x[ih * g.w + iw];
          }
        int64_t div = avg_divisor(call, &g, oh, ow);
        y[oh * g.ow + ow] = div > 0 ? (float)(sum / (double)div) : 0.0f;
      }
  }
  return GT_OK;
}

/* dx[cell] += dy[oh, ow] / divisor(oh, ow) for every input cell of window (oh, ow). */
gt_status gt_ref_avgpool_backward(gt_backend *be, const gt_op_call *call, const gt_tensor *grad_out,
                                  gt_tensor *const *grad_in, gt_error *err) {
  pool_geom g;
  gt_status st = pool_check(call, &g, err);
  if (st == GT_OK) st = gt_ref_check_backward(call, 1, 1, grad_out, grad_in, err);
  if (st != GT_OK) return st;
  if (!grad_in[0]) return GT_OK;
  for (int64_t nc = 0; nc < g.n * g.c; nc++) {
    const float *dy = grad_out->data + nc * g.oh * g.ow;
    float *dx = grad_in[0]->data + nc * g.h * g.w;
    for (int64_t oh = 0; oh < g.oh; oh++)
      for (int64_t ow = 0; ow < g.ow; ow++) {
        int64_t div = avg_divisor(call, &g, oh, ow);
        if (div <= 0) continue;
        float share = (float)((double)dy[oh * g.ow + ow] / (double)div);
        for (int64_t i = 0; i < g.kh; i++)
          for (int64_t j = 0; j < g.kw; j++) {
            int64_t ih = tap_pos(oh, i, g.sh, g.pt, g.dh), iw = tap_pos(ow, j, g.sw, g.pl, g.dw);
            if (ih >= 0 && ih < g.h && iw >= 0 && iw < g.w) dx[ih * g.w + iw] += share;
          }
      }
  }
  return GT_OK;
}

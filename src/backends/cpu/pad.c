/* Pad: y.shape[d] = x.shape[d] + begin[d] + end[d]; negative amounts crop.
 * Output index o reads input index i = o - begin[d] per dim; outside [0, n) it is resolved on the
 * ORIGINAL input (pad first, then crop): constant -> the pad value; edge -> clamp to [0, n-1];
 * reflect -> mirror without repeating the edge (-1 -> 1, n -> n-2), with period 2(n-1) for pads
 * longer than the input (as numpy does, and as ref does).
 * y is walked in rows of its last dim: the outer dims pick one x row (or the pad value for the
 * whole row), and along the row the middle part is a plain copy.
 * Backward adds dy[o] into dx[source of o]; reflect and edge send several outputs to one input,
 * so threads split the batch (dim 0, when it is not padded) and each sample is summed in ref's
 * order. */
#include "cpu_ops.h"
#include "backends/op_layout.h"
#include "gauntlet/hd/layout.h"

#include <string.h>

static gt_status pad_check(const gt_op_call *call, gt_error *err) { return gt_op_pad_check("cpu", call, err); }

/* Offset in x of the row that y's row r reads (all dims but the last), or -1 when the whole row
 * is the pad value. */
static int64_t pad_row_source(const gt_op_call *call, int64_t r) {
  const gt_pad_params *p = &call->node->p.pad;
  const gt_tensor *x = call->in[0], *y = call->out;
  int outer_dims = y->ndim - 1;
  int64_t idx[GT_MAX_DIMS];
  gt_cpu_unravel(r, outer_dims, y->shape, idx);
  int64_t off = 0;
  for (int d = 0; d < outer_dims; d++) {
    int64_t i = gt_hd_pad_source((int)p->mode, idx[d] - p->begin[d], x->shape[d]);
    if (i < 0) return -1;
    off = off * x->shape[d] + i;
  }
  return off * x->shape[y->ndim - 1];
}

/* y's row r from x (ndim >= 1). */
static void pad_row_forward(const gt_op_call *call, int64_t r) {
  const gt_pad_params *p = &call->node->p.pad;
  int last = call->out->ndim - 1;
  int64_t len = call->out->shape[last], n = call->in[0]->shape[last], begin = p->begin[last];
  float *yr = call->out->data + r * len;
  int64_t src = pad_row_source(call, r);
  if (src < 0) {
    for (int64_t t = 0; t < len; t++) yr[t] = p->value;
    return;
  }
  const float *x = call->in[0]->data; /* the row is x[src .. src + n) */
  /* Outputs [lo, hi) read x[src + t - begin] directly. */
  int64_t lo = begin > 0 ? begin : 0, hi = begin + n < len ? begin + n : len;
  if (hi < lo) hi = lo;
  for (int64_t t = 0; t < lo; t++) {
    int64_t i = gt_hd_pad_source((int)p->mode, t - begin, n);
    yr[t] = i >= 0 ? x[src + i] : p->value;
  }
  if (hi > lo) memcpy(yr + lo, x + (src + lo - begin), (size_t)(hi - lo) * sizeof(float));
  for (int64_t t = hi; t < len; t++) {
    int64_t i = gt_hd_pad_source((int)p->mode, t - begin, n);
    yr[t] = i >= 0 ? x[src + i] : p->value;
  }
}

/* dx[source] += dy for y's row r, in ascending t (ndim >= 1). */
static void pad_row_backward(const gt_op_call *call, const float *dy, float *dx, int64_t r) {
  const gt_pad_params *p = &call->node->p.pad;
  int last = call->out->ndim - 1;
  int64_t len = call->out->shape[last], n = call->in[0]->shape[last], begin = p->begin[last];
  int64_t src = pad_row_source(call, r);
  if (src < 0) return;
  const float *dyr = dy + r * len;
  for (int64_t t = 0; t < len; t++) {
    int64_t i = gt_hd_pad_source((int)p->mode, t - begin, n);
    if (i >= 0) dx[src + i] += dyr[t];
  }
}

gt_status gt_cpu_pad_forward(gt_backend *be, const gt_op_call *call, gt_error *err) {
  gt_status st = pad_check(call, err);
  if (st != GT_OK) return st;
  const gt_tensor *y = call->out;
  if (y->ndim == 0) {
    y->data[0] = call->in[0]->data[0];
    return GT_OK;
  }
  int64_t len = y->shape[y->ndim - 1], total = gt_tensor_numel(y);
  int64_t rows = len > 0 ? total / len : 0;
#pragma omp parallel for num_threads(gt_cpu_threads(be)) schedule(static) if (total >= GT_CPU_PAR_MIN)
  for (int64_t r = 0; r < rows; r++) pad_row_forward(call, r);
  return GT_OK;
}

gt_status gt_cpu_pad_backward(gt_backend *be, const gt_op_call *call, const gt_tensor *grad_out,
                              gt_tensor *const *grad_in, gt_error *err) {
  gt_status st = pad_check(call, err);
  if (st == GT_OK) st = gt_cpu_check_backward(call, 1, 4, grad_out, grad_in, err);
  if (st != GT_OK) return st;
  if (!grad_in[0]) return GT_OK;
  const gt_tensor *y = call->out;
  const float *dy = grad_out->data;
  float *dx = grad_in[0]->data;
  if (y->ndim == 0) {
    dx[0] += dy[0];
    return GT_OK;
  }
  int64_t len = y->shape[y->ndim - 1], total = gt_tensor_numel(y);
  int64_t rows = len > 0 ? total / len : 0;
  /* Samples are independent when dim 0 is not padded (and dim 0 is not the row itself). */
  const gt_pad_params *p = &call->node->p.pad;
  int64_t chunks = y->ndim > 1 && p->begin[0] == 0 && p->end[0] == 0 ? y->shape[0] : 1;
  if (chunks < 1) return GT_OK;
  int64_t rows_per_chunk = rows / chunks;
#pragma omp parallel for num_threads(gt_cpu_threads(be)) schedule(static) if (total >= GT_CPU_PAR_MIN)
  for (int64_t c = 0; c < chunks; c++)
    for (int64_t r = c * rows_per_chunk; r < (c + 1) * rows_per_chunk; r++) pad_row_backward(call, dy, dx, r);
  return GT_OK;
}

/* The shape rules of the layout ops, shared by the cpu and cuda backends (see op_layout.h). They
 * read shapes and params only, never tensor data, so they run on the host for device tensors. */
#include "backends/op_layout.h"

#include <limits.h>

#include "gauntlet/hd/layout.h"

_Static_assert(GT_PAD_CONSTANT == GT_HD_PAD_CONSTANT && GT_PAD_REFLECT == GT_HD_PAD_REFLECT &&
                   GT_PAD_EDGE == GT_HD_PAD_EDGE,
               "gt_hd_pad_source numbers the pad modes as gt_pad_mode does");

#define FAIL(...) gt_op_fail(backend, call, err, __VA_ARGS__)

/* Output length of one spatial dim (the ONNX / PyTorch formula, floor rounding). */
static int64_t conv_out_len(int64_t in, int64_t pad_begin, int64_t pad_end, int64_t k, int64_t dil, int64_t stride) {
  int64_t span = in + pad_begin + pad_end - dil * (k - 1) - 1;
  return span < 0 ? 0 : span / stride + 1;
}

gt_status gt_op_conv_geom_of(const char *backend, const gt_op_call *call, int shapes_only, gt_op_conv_geom *g,
                             gt_error *err) {
  if (!shapes_only) {
    gt_status st = gt_op_check_call(backend, call, 2, 3, err);
    if (st != GT_OK) return st;
  }
  if (!call || !call->node || !call->in || !call->out || call->node->n_inputs < 2 || call->node->n_inputs > 3)
    return FAIL(GT_ERR_USAGE, "needs x, W and an optional bias");
  for (int i = 0; i < call->node->n_inputs; i++)
    if (!call->in[i]) return FAIL(GT_ERR_USAGE, "input %d is missing", i);
  const gt_conv_params *p = &call->node->p.conv;
  const gt_tensor *x = call->in[0], *wt = call->in[1], *y = call->out;
  char a[96], b[96], c[96];
  if (x->ndim != 4 || wt->ndim != 4 || y->ndim != 4)
    return FAIL(GT_ERR_SHAPE, "x %s, W %s and y %s must all have rank 4", gt_shape_format(x->ndim, x->shape, a, sizeof a),
                gt_shape_format(wt->ndim, wt->shape, b, sizeof b), gt_shape_format(y->ndim, y->shape, c, sizeof c));
  for (int d = 0; d < 4; d++)
    if (x->shape[d] < 0 || wt->shape[d] < 0 || y->shape[d] < 0 || x->shape[d] > GT_MAX_DIM_SIZE ||
        wt->shape[d] > GT_MAX_DIM_SIZE || y->shape[d] > GT_MAX_DIM_SIZE)
      return FAIL(GT_ERR_LIMIT, "dim %d of x, W or y is negative or beyond the size cap", d);
  if (p->groups < 1 || p->stride_h < 1 || p->stride_w < 1 || p->dilation_h < 1 || p->dilation_w < 1 ||
      p->pad_top < 0 || p->pad_left < 0 || p->pad_bottom < 0 || p->pad_right < 0)
    return FAIL(GT_ERR_USAGE, "bad params: groups %d, strides %dx%d, dilations %dx%d (all >= 1), pads %d,%d,%d,%d (>= 0)",
                p->groups, p->stride_h, p->stride_w, p->dilation_h, p->dilation_w, p->pad_top, p->pad_left,
                p->pad_bottom, p->pad_right);
  g->n = x->shape[0], g->c = x->shape[1], g->h = x->shape[2], g->w = x->shape[3];
  g->m = wt->shape[0], g->cg = wt->shape[1], g->kh = wt->shape[2], g->kw = wt->shape[3];
  g->groups = p->groups;
  g->sh = p->stride_h, g->sw = p->stride_w, g->dh = p->dilation_h, g->dw = p->dilation_w;
  g->pt = p->pad_top, g->pl = p->pad_left;
  if ((p->kernel_h && p->kernel_h != g->kh) || (p->kernel_w && p->kernel_w != g->kw))
    return FAIL(GT_ERR_SHAPE, "kernel %dx%d does not match W %s", p->kernel_h, p->kernel_w,
                gt_shape_format(wt->ndim, wt->shape, a, sizeof a));
  if (g->c % g->groups != 0 || g->m % g->groups != 0 || g->cg != g->c / g->groups)
    return FAIL(GT_ERR_SHAPE, "x %s and W %s do not fit %lld groups", gt_shape_format(x->ndim, x->shape, a, sizeof a),
                gt_shape_format(wt->ndim, wt->shape, b, sizeof b), (long long)g->groups);
  g->mg = g->m / g->groups;
  if (call->node->n_inputs == 3 && (call->in[2]->ndim != 1 || call->in[2]->shape[0] != g->m))
    return FAIL(GT_ERR_SHAPE, "bias %s must be [%lld]", gt_shape_format(call->in[2]->ndim, call->in[2]->shape, a, sizeof a),
                (long long)g->m);
  g->oh = conv_out_len(g->h, p->pad_top, p->pad_bottom, g->kh, p->dilation_h, p->stride_h);
  g->ow = conv_out_len(g->w, p->pad_left, p->pad_right, g->kw, p->dilation_w, p->stride_w);
  if (y->shape[0] != g->n || y->shape[1] != g->m || y->shape[2] != g->oh || y->shape[3] != g->ow)
    return FAIL(GT_ERR_SHAPE, "output %s, expected [%lld, %lld, %lld, %lld]", gt_shape_format(y->ndim, y->shape, a, sizeof a),
                (long long)g->n, (long long)g->m, (long long)g->oh, (long long)g->ow);
  /* Each factor is within the element cap of W or y; their product may not be. */
  g->kc = g->cg * g->kh * g->kw;
  g->ohw = g->oh * g->ow;
  if (g->kc > INT_MAX || g->ohw > INT_MAX || g->mg > INT_MAX || g->kc > GT_MAX_ELEMENTS / (g->ohw > 0 ? g->ohw : 1))
    return FAIL(GT_ERR_LIMIT, "column matrix [%lld, %lld] is beyond the size cap", (long long)g->kc, (long long)g->ohw);
  g->pointwise = g->kh == 1 && g->kw == 1 && p->stride_h == 1 && p->stride_w == 1 && p->pad_top == 0 &&
                 p->pad_left == 0 && p->pad_bottom == 0 && p->pad_right == 0;
  return GT_OK;
}

gt_status gt_op_linear_geom_of(const char *backend, const gt_op_call *call, int64_t *rows, int64_t *k, int64_t *m,
                               gt_error *err) {
  gt_status st = gt_op_check_call(backend, call, 2, 3, err);
  if (st != GT_OK) return st;
  const gt_tensor *x = call->in[0], *wt = call->in[1], *y = call->out;
  char a[96], b[96], c[96];
  int ok = x->ndim >= 1 && wt->ndim == 2 && y->ndim == x->ndim && x->shape[x->ndim - 1] == wt->shape[1] &&
           y->shape[y->ndim - 1] == wt->shape[0];
  for (int d = 0; ok && d < x->ndim - 1; d++) ok = x->shape[d] == y->shape[d];
  if (!ok)
    return FAIL(GT_ERR_SHAPE, "x %s, W %s and y %s do not fit x [.., K], W [M, K], y [.., M]",
                gt_shape_format(x->ndim, x->shape, a, sizeof a), gt_shape_format(wt->ndim, wt->shape, b, sizeof b),
                gt_shape_format(y->ndim, y->shape, c, sizeof c));
  if (call->node->n_inputs == 3 && (call->in[2]->ndim != 1 || call->in[2]->shape[0] != wt->shape[0]))
    return FAIL(GT_ERR_SHAPE, "bias %s must be [%lld]", gt_shape_format(call->in[2]->ndim, call->in[2]->shape, a, sizeof a),
                (long long)wt->shape[0]);
  *k = wt->shape[1];
  *m = wt->shape[0];
  *rows = *k > 0 ? gt_tensor_numel(x) / *k : gt_tensor_numel(y) / (*m > 0 ? *m : 1);
  if (*rows > INT_MAX || *k > INT_MAX || *m > INT_MAX)
    return FAIL(GT_ERR_LIMIT, "[%lld, %lld] x [%lld, %lld] is beyond the sgemm size limit", (long long)*rows,
                (long long)*k, (long long)*m, (long long)*k);
  return GT_OK;
}

/* Smallest and largest valid output length along one dim (floor and ceil rounding). */
static void pool_out_range(int64_t in, int64_t pad_begin, int64_t pad_end, int64_t k, int64_t dil, int64_t stride,
                           int64_t *lo, int64_t *hi) {
  int64_t span = in + pad_begin + pad_end - dil * (k - 1) - 1;
  if (span < 0) {
    *lo = *hi = 0;
    return;
  }
  *lo = span / stride + 1;
  *hi = (span + stride - 1) / stride + 1;
}

gt_status gt_op_pool_geom_of(const char *backend, const gt_op_call *call, gt_op_pool_geom *g, gt_error *err) {
  gt_status st = gt_op_check_call(backend, call, 1, 1, err);
  if (st != GT_OK) return st;
  const gt_pool_params *p = &call->node->p.pool;
  const gt_tensor *x = call->in[0], *y = call->out;
  char a[96], b[96];
  if (x->ndim != 4 || y->ndim != 4 || y->shape[0] != x->shape[0] || y->shape[1] != x->shape[1])
    return FAIL(GT_ERR_SHAPE, "x %s and y %s must be [N, C, H, W] and [N, C, OH, OW]",
                gt_shape_format(x->ndim, x->shape, a, sizeof a), gt_shape_format(y->ndim, y->shape, b, sizeof b));
  if (p->kernel_h < 1 || p->kernel_w < 1 || p->stride_h < 1 || p->stride_w < 1 || p->dilation_h < 1 ||
      p->dilation_w < 1 || p->pad_top < 0 || p->pad_left < 0 || p->pad_bottom < 0 || p->pad_right < 0)
    return FAIL(GT_ERR_USAGE, "bad params: kernel %dx%d, strides %dx%d, dilations %dx%d (all >= 1), pads %d,%d,%d,%d (>= 0)",
                p->kernel_h, p->kernel_w, p->stride_h, p->stride_w, p->dilation_h, p->dilation_w, p->pad_top,
                p->pad_left, p->pad_bottom, p->pad_right);
  g->n = x->shape[0], g->c = x->shape[1], g->h = x->shape[2], g->w = x->shape[3];
  g->oh = y->shape[2], g->ow = y->shape[3];
  g->kh = p->kernel_h, g->kw = p->kernel_w, g->sh = p->stride_h, g->sw = p->stride_w;
  g->dh = p->dilation_h, g->dw = p->dilation_w;
  g->pt = p->pad_top, g->pl = p->pad_left, g->pb = p->pad_bottom, g->pr = p->pad_right;
  g->count_include_pad = p->count_include_pad;
  int64_t lo_h, hi_h, lo_w, hi_w;
  pool_out_range(g->h, g->pt, g->pb, g->kh, g->dh, g->sh, &lo_h, &hi_h);
  pool_out_range(g->w, g->pl, g->pr, g->kw, g->dw, g->sw, &lo_w, &hi_w);
  if (g->oh < lo_h || g->oh > hi_h || g->ow < lo_w || g->ow > hi_w)
    return FAIL(GT_ERR_SHAPE, "output %s: OH must be in %lld..%lld and OW in %lld..%lld",
                gt_shape_format(y->ndim, y->shape, a, sizeof a), (long long)lo_h, (long long)hi_h, (long long)lo_w,
                (long long)hi_w);
  return GT_OK;
}

gt_status gt_op_reshape_check(const char *backend, const gt_op_call *call, gt_error *err) {
  /* A folded ONNX Reshape may keep its constant shape input: only in[0] is read. */
  gt_status st = gt_op_check_call(backend, call, 1, 2, err);
  if (st != GT_OK) return st;
  if (gt_tensor_numel(call->in[0]) != gt_tensor_numel(call->out))
    return FAIL(GT_ERR_SHAPE, "input has %lld elements, output %lld", (long long)gt_tensor_numel(call->in[0]),
                (long long)gt_tensor_numel(call->out));
  return GT_OK;
}

gt_status gt_op_transpose_check(const char *backend, const gt_op_call *call, gt_error *err) {
  gt_status st = gt_op_check_call(backend, call, 1, 1, err);
  if (st != GT_OK) return st;
  const gt_tensor *x = call->in[0], *y = call->out;
  const int *perm = call->node->p.transpose.perm;
  char a[96], b[96];
  if (x->ndim != y->ndim) return FAIL(GT_ERR_SHAPE, "input and output ranks differ");
  int seen[GT_MAX_DIMS] = {0};
  for (int d = 0; d < x->ndim; d++) {
    if (perm[d] < 0 || perm[d] >= x->ndim || seen[perm[d]])
      return FAIL(GT_ERR_USAGE, "perm is not a permutation of 0..%d (entry %d is %d)", x->ndim - 1, d, perm[d]);
    seen[perm[d]] = 1;
    if (y->shape[d] != x->shape[perm[d]])
      return FAIL(GT_ERR_SHAPE, "output %s is not input %s permuted", gt_shape_format(y->ndim, y->shape, a, sizeof a),
                  gt_shape_format(x->ndim, x->shape, b, sizeof b));
  }
  return GT_OK;
}

gt_status gt_op_concat_check(const char *backend, const gt_op_call *call, int64_t *outer, int64_t *inner,
                             gt_error *err) {
  gt_status st = gt_op_check_call(backend, call, 1, 1 << 20, err);
  if (st != GT_OK) return st;
  const gt_tensor *y = call->out;
  int axis = call->node->p.concat.axis;
  char a[96], b[96];
  if (axis < 0 || axis >= y->ndim) return FAIL(GT_ERR_USAGE, "axis %d is outside 0..%d", axis, y->ndim - 1);
  int64_t along = 0;
  for (int i = 0; i < call->node->n_inputs; i++) {
    const gt_tensor *x = call->in[i];
    int ok = x->ndim == y->ndim;
    for (int d = 0; ok && d < y->ndim; d++) ok = d == axis || x->shape[d] == y->shape[d];
    if (!ok)
      return FAIL(GT_ERR_SHAPE, "input %d %s does not fit output %s off axis %d", i,
                  gt_shape_format(x->ndim, x->shape, a, sizeof a), gt_shape_format(y->ndim, y->shape, b, sizeof b), axis);
    along += x->shape[axis];
  }
  if (along != y->shape[axis])
    return FAIL(GT_ERR_SHAPE, "inputs add up to %lld along axis %d, output has %lld", (long long)along, axis,
                (long long)y->shape[axis]);
  *outer = 1;
  *inner = 1;
  for (int d = 0; d < axis; d++) *outer *= y->shape[d];
  for (int d = axis + 1; d < y->ndim; d++) *inner *= y->shape[d];
  return GT_OK;
}

gt_status gt_op_pad_check(const char *backend, const gt_op_call *call, gt_error *err) {
  /* A folded ONNX Pad may keep its constant pads / value inputs: only in[0] is read. */
  gt_status st = gt_op_check_call(backend, call, 1, 4, err);
  if (st != GT_OK) return st;
  const gt_pad_params *p = &call->node->p.pad;
  const gt_tensor *x = call->in[0], *y = call->out;
  char a[96], b[96];
  if (p->mode != GT_PAD_CONSTANT && p->mode != GT_PAD_REFLECT && p->mode != GT_PAD_EDGE)
    return FAIL(GT_ERR_USAGE, "unknown pad mode %d", (int)p->mode);
  if (x->ndim != y->ndim) return FAIL(GT_ERR_SHAPE, "input and output ranks differ");
  for (int d = 0; d < x->ndim; d++) {
    if (p->begin[d] < -GT_MAX_DIM_SIZE || p->begin[d] > GT_MAX_DIM_SIZE || p->end[d] < -GT_MAX_DIM_SIZE ||
        p->end[d] > GT_MAX_DIM_SIZE)
      return FAIL(GT_ERR_LIMIT, "pads %lld, %lld of dim %d are beyond the size cap", (long long)p->begin[d],
                  (long long)p->end[d], d);
    if (y->shape[d] != x->shape[d] + p->begin[d] + p->end[d])
      return FAIL(GT_ERR_SHAPE, "output %s is not input %s padded by %lld, %lld on dim %d",
                  gt_shape_format(y->ndim, y->shape, a, sizeof a), gt_shape_format(x->ndim, x->shape, b, sizeof b),
                  (long long)p->begin[d], (long long)p->end[d], d);
    if (x->shape[d] == 0 && y->shape[d] > 0 && p->mode != GT_PAD_CONSTANT)
      return FAIL(GT_ERR_SHAPE, "cannot %s-pad the empty dim %d", p->mode == GT_PAD_EDGE ? "edge" : "reflect", d);
  }
  return GT_OK;
}

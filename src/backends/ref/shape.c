/* Data-movement ops: Reshape (a view), Transpose, Concat, Pad. Each output element is one input
 * element (or a pad constant), so every backward is "add dy at the element it came from". */
#include "ref_ops.h"

#include "backends/op_layout.h"

#include <string.h>

/* ---- Reshape: x [any] -> y [same element count]; row-major order is kept. ---- */

static gt_status reshape_check(const gt_op_call *call, gt_error *err) {
  /* A folded ONNX Reshape may keep its constant shape input: only in[0] is read. */
  gt_status st = gt_ref_check_call(call, 1, 2, err);
  if (st != GT_OK) return st;
  if (gt_tensor_numel(call->in[0]) != gt_tensor_numel(call->out))
    return gt_ref_fail(call, err, GT_ERR_SHAPE, "input has %lld elements, output %lld",
                       (long long)gt_tensor_numel(call->in[0]), (long long)gt_tensor_numel(call->out));
  return GT_OK;
}

/* Copies when the output has its own buffer; nothing to do when it aliases the input. */
gt_status gt_ref_reshape_forward(gt_backend *be, const gt_op_call *call, gt_error *err) {
  gt_status st = reshape_check(call, err);
  if (st != GT_OK) return st;
  if (call->out->data != call->in[0]->data)
    memmove(call->out->data, call->in[0]->data, (size_t)gt_tensor_numel(call->out) * sizeof(float));
  return GT_OK;
}

/* dx += dy, except when the gradient buffers alias (a view whose gradient the executor shares
 * with its input's): then everything added to dy is already in dx. */
gt_status gt_ref_reshape_backward(gt_backend *be, const gt_op_call *call, const gt_tensor *grad_out,
                                  gt_tensor *const *grad_in, gt_error *err) {
  gt_status st = reshape_check(call, err);
  if (st == GT_OK) st = gt_ref_check_backward(call, 1, 2, grad_out, grad_in, err);
  if (st != GT_OK) return st;
  if (!grad_in[0] || grad_in[0]->data == grad_out->data) return GT_OK;
  int64_t total = gt_tensor_numel(grad_out);
  for (int64_t i = 0; i < total; i++) grad_in[0]->data[i] += grad_out->data[i];
  return GT_OK;
}

/* ---- Transpose: y.shape[d] = x.shape[perm[d]], y[i_0..i_r] = x[j] with j[perm[d]] = i_d. ---- */

static gt_status transpose_check(const gt_op_call *call, gt_error *err) {
  gt_status st = gt_ref_check_call(call, 1, 1, err);
  if (st != GT_OK) return st;
  const gt_tensor *x = call->in[0], *y = call->out;
  const int *perm = call->node->p.transpose.perm;
  char a[96], b[96];
  if (x->ndim != y->ndim) return gt_ref_fail(call, err, GT_ERR_SHAPE, "input and output ranks differ");
  int seen[GT_MAX_DIMS] = {0};
  for (int d = 0; d < x->ndim; d++) {
    if (perm[d] < 0 || perm[d] >= x->ndim || seen[perm[d]])
      return gt_ref_fail(call, err, GT_ERR_USAGE, "perm is not a permutation of 0..%d (entry %d is %d)", x->ndim - 1,
                         d, perm[d]);
    seen[perm[d]] = 1;
    if (y->shape[d] != x->shape[perm[d]])
      return gt_ref_fail(call, err, GT_ERR_SHAPE, "output %s is not input %s permuted",
                         gt_shape_format(y->ndim, y->shape, a, sizeof a), gt_shape_format(x->ndim, x->shape, b, sizeof b));
  }
  return GT_OK;
}

/* Offset in x of output element o. */
static int64_t transpose_source(const gt_op_call *call, int64_t o) {
  const gt_tensor *x = call->in[0], *y = call->out;
  int64_t out_idx[GT_MAX_DIMS], in_idx[GT_MAX_DIMS];
  gt_ref_unravel(o, y->ndim, y->shape, out_idx);
  for (int d = 0; d < y->ndim; d++) in_idx[call->node->p.transpose.perm[d]] = out_idx[d];
  int64_t off = 0;
  for (int d = 0; d < x->ndim; d++) off = off * x->shape[d] + in_idx[d];
  return off;
}

gt_status gt_ref_transpose_forward(gt_backend *be, const gt_op_call *call, gt_error *err) {
  gt_status st = transpose_check(call, err);
  if (st != GT_OK) return st;
  int64_t total = gt_tensor_numel(call->out);
  for (int64_t o = 0; o < total; o++) call->out->data[o] = call->in[0]->data[transpose_source(call, o)];
  return GT_OK;
}

gt_status gt_ref_transpose_backward(gt_backend *be, const gt_op_call *call, const gt_tensor *grad_out,
                                    gt_tensor *const *grad_in, gt_error *err) {
  gt_status st = transpose_check(call, err);
  if (st == GT_OK) st = gt_ref_check_backward(call, 1, 1, grad_out, grad_in, err);
  if (st != GT_OK) return st;
  if (!grad_in[0]) return GT_OK;
  int64_t total = gt_tensor_numel(grad_out);
  for (int64_t o = 0; o < total; o++) grad_in[0]->data[transpose_source(call, o)] += grad_out->data[o];
  return GT_OK;
}

/* ---- Concat: inputs [.., L_i, ..] joined along `axis` into y [.., sum L_i, ..]. ---- */

/* Sets outer (product of the dims before axis) and inner (after axis); shared rules (op_layout.c). */
static gt_status concat_check(const gt_op_call *call, int64_t *outer, int64_t *inner, gt_error *err) {
  return gt_op_concat_check("ref", call, outer, inner, err);
}

gt_status gt_ref_concat_forward(gt_backend *be, const gt_op_call *call, gt_error *err) {
  int64_t outer, inner;
  gt_status st = concat_check(call, &outer, &inner, err);
  if (st != GT_OK) return st;
  int axis = call->node->p.concat.axis;
  int64_t y_len = call->out->shape[axis];
  for (int64_t o = 0; o < outer; o++) {
    int64_t start = 0; /* where input i begins along the axis */
    for (int i = 0; i < call->node->n_inputs; i++) {
      int64_t len = call->in[i]->shape[axis];
      for (int64_t e = 0; e < len * inner; e++)
        call->out->data[(o * y_len + start) * inner + e] = call->in[i]->data[o * len * inner + e];
      start += len;
    }
  }
  return GT_OK;
}

gt_status gt_ref_concat_backward(gt_backend *be, const gt_op_call *call, const gt_tensor *grad_out,
                                 gt_tensor *const *grad_in, gt_error *err) {
  int64_t outer, inner;
  gt_status st = concat_check(call, &outer, &inner, err);
  if (st == GT_OK) st = gt_ref_check_backward(call, 1, 1 << 20, grad_out, grad_in, err);
  if (st != GT_OK) return st;
  int axis = call->node->p.concat.axis;
  int64_t y_len = call->out->shape[axis];
  for (int64_t o = 0; o < outer; o++) {
    int64_t start = 0;
    for (int i = 0; i < call->node->n_inputs; i++) {
      int64_t len = call->in[i]->shape[axis];
      if (grad_in[i])
        for (int64_t e = 0; e < len * inner; e++)
          grad_in[i]->data[o * len * inner + e] += grad_out->data[(o * y_len + start) * inner + e];
      start += len;
    }
  }
  return GT_OK;
}

/* ---- Pad: y.shape[d] = x.shape[d] + begin[d] + end[d]; negative amounts crop. ----
 * Output index o reads input index i = o - begin[d] per dim; outside [0, n) it is resolved on
 * the ORIGINAL input (pad first, then crop): constant -> the pad value; edge -> clamp to
 * [0, n-1]; reflect -> mirror without repeating the edge (-1 -> 1, n -> n-2), repeated with
 * period 2(n-1) for pads longer than the input (as numpy does). */

static gt_status pad_check(const gt_op_call *call, gt_error *err) {
  /* A folded ONNX Pad may keep its constant pads / value inputs: only in[0] is read. */
  gt_status st = gt_ref_check_call(call, 1, 4, err);
  if (st != GT_OK) return st;
  const gt_pad_params *p = &call->node->p.pad;
  const gt_tensor *x = call->in[0], *y = call->out;
  char a[96], b[96];
  if (p->mode != GT_PAD_CONSTANT && p->mode != GT_PAD_REFLECT && p->mode != GT_PAD_EDGE)
    return gt_ref_fail(call, err, GT_ERR_USAGE, "unknown pad mode %d", (int)p->mode);
  if (x->ndim != y->ndim) return gt_ref_fail(call, err, GT_ERR_SHAPE, "input and output ranks differ");
  for (int d = 0; d < x->ndim; d++) {
    if (p->begin[d] < -GT_MAX_DIM_SIZE || p->begin[d] > GT_MAX_DIM_SIZE || p->end[d] < -GT_MAX_DIM_SIZE ||
        p->end[d] > GT_MAX_DIM_SIZE)
      return gt_ref_fail(call, err, GT_ERR_LIMIT, "pads %lld, %lld of dim %d are beyond the size cap",
                         (long long)p->begin[d], (long long)p->end[d], d);
    if (y->shape[d] != x->shape[d] + p->begin[d] + p->end[d])
      return gt_ref_fail(call, err, GT_ERR_SHAPE, "output %s is not input %s padded by %lld, %lld on dim %d",
                         gt_shape_format(y->ndim, y->shape, a, sizeof a), gt_shape_format(x->ndim, x->shape, b, sizeof b),
                         (long long)p->begin[d], (long long)p->end[d], d);
    if (x->shape[d] == 0 && y->shape[d] > 0 && p->mode != GT_PAD_CONSTANT)
      return gt_ref_fail(call, err, GT_ERR_SHAPE, "cannot %s-pad the empty dim %d",
                         p->mode == GT_PAD_EDGE ? "edge" : "reflect", d);
  }
  return GT_OK;
}

/* Input index along one dim of size n for shifted index i, or -1 for "the pad value". */
static int64_t pad_source_index(gt_pad_mode mode, int64_t i, int64_t n) {
  if (i >= 0 && i < n) return i;
  if (mode == GT_PAD_CONSTANT) return -1;
  if (mode == GT_PAD_EDGE) return i < 0 ? 0 : n - 1;
  if (n == 1) return 0;
  int64_t period = 2 * (n - 1);
  int64_t r = ((i % period) + period) % period;
  return r < n ? r : period - r;
}

/* Offset in x of output element o, or -1 when it is the constant pad value. */
static int64_t pad_source(const gt_op_call *call, int64_t o) {
  const gt_pad_params *p = &call->node->p.pad;
  const gt_tensor *x = call->in[0], *y = call->out;
  int64_t idx[GT_MAX_DIMS];
  gt_ref_unravel(o, y->ndim, y->shape, idx);
  int64_t off = 0;
  for (int d = 0; d < x->ndim; d++) {
    int64_t i = pad_source_index(p->mode, idx[d] - p->begin[d], x->shape[d]);
    if (i < 0) return -1;
    off = off * x->shape[d] + i;
  }
  return off;
}

gt_status gt_ref_pad_forward(gt_backend *be, const gt_op_call *call, gt_error *err) {
  gt_status st = pad_check(call, err);
  if (st != GT_OK) return st;
  int64_t total = gt_tensor_numel(call->out);
  for (int64_t o = 0; o < total; o++) {
    int64_t src = pad_source(call, o);
    call->out->data[o] = src >= 0 ? call->in[0]->data[src] : call->node->p.pad.value;
  }
  return GT_OK;
}

/* dx[source of o] += dy[o]; reflect and edge pads send several outputs to one input. */
gt_status gt_ref_pad_backward(gt_backend *be, const gt_op_call *call, const gt_tensor *grad_out,
                              gt_tensor *const *grad_in, gt_error *err) {
  gt_status st = pad_check(call, err);
  if (st == GT_OK) st = gt_ref_check_backward(call, 1, 4, grad_out, grad_in, err);
  if (st != GT_OK) return st;
  if (!grad_in[0]) return GT_OK;
  int64_t total = gt_tensor_numel(grad_out);
  for (int64_t o = 0; o < total; o++) {
    int64_t src = pad_source(call, o);
    if (src >= 0) grad_in[0]->data[src] += grad_out->data[o];
  }
  return GT_OK;
}

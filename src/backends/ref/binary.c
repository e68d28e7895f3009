/* Add, Sub, Mul, Div with numpy broadcasting of the two inputs to the output shape.
 *   a [..], b [..]  ->  y [broadcast shape]     either input may be a constant.
 * Dims are aligned from the right; a missing dim or a dim of 1 is repeated along y. y's dims
 * must be exactly the broadcast of a's and b's (no silent growth).
 * The gradient of an input sums over the output positions that read each of its elements, that is
 * over the dims along which it was broadcast. */
#include "ref_ops.h"

#include "gauntlet/hd/binary.h"

typedef struct bcast {
  int ndim;                      /* y's rank */
  int64_t shape[GT_MAX_DIMS];    /* y's shape */
  int64_t stride[3][GT_MAX_DIMS]; /* strides of a (0), b (1), y (2) per y dim; 0 where the dim is 1 */
} bcast;

static gt_status bcast_check(const gt_op_call *call, bcast *bc, gt_error *err) {
  gt_status st = gt_ref_check_call(call, 2, 2, err);
  if (st != GT_OK) return st;
  const gt_tensor *t[3] = {call->in[0], call->in[1], call->out};
  const gt_tensor *y = call->out;
  char a[96], b[96], c[96];
  bc->ndim = y->ndim;
  for (int d = 0; d < y->ndim; d++) bc->shape[d] = y->shape[d];
  int ok = t[0]->ndim <= y->ndim && t[1]->ndim <= y->ndim;
  for (int i = 0; ok && i < 3; i++) {
    int off = y->ndim - t[i]->ndim;
    int64_t stride = 1;
    for (int d = y->ndim - 1; d >= 0; d--) {
      int64_t dim = d >= off ? t[i]->shape[d - off] : 1;
      if (dim != 1 && dim != y->shape[d]) ok = 0;
      bc->stride[i][d] = dim == 1 ? 0 : stride;
      stride *= dim;
    }
  }
  for (int d = 0; ok && d < y->ndim; d++) {
    /* y's dim must be the larger of the two (both 1 -> 1). */
    int oa = y->ndim - t[0]->ndim, ob = y->ndim - t[1]->ndim;
    int64_t da = d >= oa ? t[0]->shape[d - oa] : 1, db = d >= ob ? t[1]->shape[d - ob] : 1;
    ok = y->shape[d] == (da > db ? da : db);
  }
  if (!ok)
    return gt_ref_fail(call, err, GT_ERR_SHAPE, "inputs %s and %s do not broadcast to output %s",
                       gt_shape_format(t[0]->ndim, t[0]->shape, a, sizeof a),
                       gt_shape_format(t[1]->ndim, t[1]->shape, b, sizeof b),
                       gt_shape_format(y->ndim, y->shape, c, sizeof c));
  return GT_OK;
}

static int64_t bcast_offset(const bcast *bc, int which, const int64_t *idx) {
  int64_t off = 0;
  for (int d = 0; d < bc->ndim; d++) off += idx[d] * bc->stride[which][d];
  return off;
}

static gt_status check_op(const gt_op_call *call, gt_error *err) {
  gt_op_kind op = call && call->node ? call->node->op : GT_OP_COUNT;
  if (op != GT_OP_ADD && op != GT_OP_SUB && op != GT_OP_MUL && op != GT_OP_DIV)
    return gt_ref_fail(call, err, GT_ERR_INTERNAL, "not a binary op");
  return GT_OK;
}

gt_status gt_ref_binary_forward(gt_backend *be, const gt_op_call *call, gt_error *err) {
  bcast bc;
  gt_status st = check_op(call, err);
  if (st == GT_OK) st = bcast_check(call, &bc, err);
  if (st != GT_OK) return st;
  const float *a = call->in[0]->data, *b = call->in[1]->data;
  float *y = call->out->data;
  int64_t idx[GT_MAX_DIMS];
  int64_t total = gt_tensor_numel(call->out);
  for (int64_t o = 0; o < total; o++) {
    gt_ref_unravel(o, bc.ndim, bc.shape, idx);
    y[o] = gt_binary_apply(call->node->op, a[bcast_offset(&bc, 0, idx)], b[bcast_offset(&bc, 1, idx)]);
  }
  return GT_OK;
}

/* d(in[which])[e] += sum over the y positions p that read e of dy[p] * partial(a[p], b[p]).
 * Those positions share e's index on the dims where in[which] is not broadcast and range over
 * all of y's extent on the dims where it is (stride 0). */
static void binary_grad_one(const gt_op_call *call, const bcast *bc, int which, const float *dy, float *dx) {
  const gt_tensor *t = call->in[which];
  const float *a = call->in[0]->data, *b = call->in[1]->data;
  int off = bc->ndim - t->ndim;
  /* The broadcast dims of this input and how many y positions each element feeds. */
  int free_dims[GT_MAX_DIMS], n_free = 0;
  int64_t free_shape[GT_MAX_DIMS], fan = 1;
  for (int d = 0; d < bc->ndim; d++)
    if (bc->stride[which][d] == 0) {
      free_dims[n_free] = d;
      free_shape[n_free++] = bc->shape[d];
      fan *= bc->shape[d];
    }
  int64_t own[GT_MAX_DIMS], idx[GT_MAX_DIMS], free_idx[GT_MAX_DIMS];
  int64_t numel = gt_tensor_numel(t);
  for (int64_t e = 0; e < numel; e++) {
    gt_ref_unravel(e, t->ndim, t->shape, own);
    for (int d = 0; d < bc->ndim; d++) idx[d] = d >= off ? own[d - off] : 0;
    double acc = 0.0;
    for (int64_t k = 0; k < fan; k++) {
      gt_ref_unravel(k, n_free, free_shape, free_idx);
      for (int f = 0; f < n_free; f++) idx[free_dims[f]] = free_idx[f];
      float av = a[bcast_offset(bc, 0, idx)], bv = b[bcast_offset(bc, 1, idx)];
      acc += (double)dy[bcast_offset(bc, 2, idx)] * (double)gt_binary_partial(call->node->op, which, av, bv);
    }
    dx[e] += (float)acc;
  }
}

gt_status gt_ref_binary_backward(gt_backend *be, const gt_op_call *call, const gt_tensor *grad_out,
                                 gt_tensor *const *grad_in, gt_error *err) {
  bcast bc;
  gt_status st = check_op(call, err);
  if (st == GT_OK) st = bcast_check(call, &bc, err);
  if (st == GT_OK) st = gt_ref_check_backward(call, 2, 2, grad_out, grad_in, err);
  if (st != GT_OK) return st;
  for (int which = 0; which < 2; which++)
    if (grad_in[which]) binary_grad_one(call, &bc, which, grad_out->data, grad_in[which]->data);
  return GT_OK;
}

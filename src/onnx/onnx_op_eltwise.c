/* Elementwise ops: Add/Sub/Mul/Div with numpy broadcasting (either side may be constant),
 * Relu, LeakyRelu, Sigmoid, Tanh, Clip and Neg (a MUL by -1). All-constant inputs are folded
 * on the host. */
#include <math.h>
#include <string.h>

#include "onnx/onnx_internal.h"

static int binop_of(const char *op_type, gt_onnx_binop *op, gt_op_kind *kind) {
  static const struct { const char *name; gt_onnx_binop op; gt_op_kind kind; } map[] = {
      {"Add", GT_ONNX_ADD, GT_OP_ADD}, {"Sub", GT_ONNX_SUB, GT_OP_SUB},
      {"Mul", GT_ONNX_MUL, GT_OP_MUL}, {"Div", GT_ONNX_DIV, GT_OP_DIV}};
  for (size_t k = 0; k < sizeof map / sizeof map[0]; k++)
    if (!strcmp(op_type, map[k].name)) {
      *op = map[k].op;
      *kind = map[k].kind;
      return 1;
    }
  return 0;
}

/* The constant operand k as float, with leading dims beyond the batched rank dropped (they
 * must be 1, else the batch would not stay the leading dim of the result). */
static gt_status const_side(const gt_onnx_node_ctx *nc, int k, int batched_rank, gt_onnx_ir_input *in,
                            gt_onnx_tensor **view, gt_error *err) {
  const gt_onnx_tensor *c = nc->in[k].c;
  char s[128];
  if (c->i && gt_onnx_tensor_has_batch_sym(c))
    return gt_onnx_node_fail(nc, err, GT_ERR_UNSUPPORTED, "input %d uses the batch size as a value", k);
  int drop = c->ndim > batched_rank ? c->ndim - batched_rank : 0;
  for (int d = 0; d < drop; d++)
    if (c->shape[d] != 1)
      return gt_onnx_node_fail(nc, err, GT_ERR_UNSUPPORTED,
                               "constant input %d %s has more dims than the batched input (rank %d)", k,
                               gt_onnx_shape_str(c->ndim, c->shape, s, sizeof s), batched_rank);
  if (c->ndim - drop == batched_rank && batched_rank > 0 && c->shape[drop] != 1)
    return gt_onnx_node_fail(nc, err, GT_ERR_UNSUPPORTED,
                             "constant input %d %s would broadcast along the batch dim (its dim %d must be 1)", k,
                             gt_onnx_shape_str(c->ndim, c->shape, s, sizeof s), drop);
  if (!drop && c->f) {
    in->operand = k;
    *view = NULL;
    return GT_OK;
  }
  gt_onnx_tensor *f = NULL;
  gt_status st = c->f ? GT_OK : gt_onnx_host_cast(nc, c, GT_ONNX_FLOAT, &f, err);
  if (st != GT_OK) return st;
  const gt_onnx_tensor *src = f ? f : c;
  *view = gt_onnx_tensor_reshaped(src, src->ndim - drop, src->shape + drop, err);
  gt_onnx_tensor_free(f);
  if (!*view) return err ? err->code : GT_ERR_MEMORY;
  in->operand = -1;
  return GT_OK;
}

gt_status gt_onnx_lower_binary(const gt_onnx_node_ctx *nc, gt_onnx_lowering *lw, gt_error *err) {
  gt_onnx_binop op;
  gt_op_kind kind;
  if (!binop_of(nc->op_type, &op, &kind)) return gt_onnx_node_fail(nc, err, GT_ERR_INTERNAL, "not a binary op");
  gt_status st = gt_onnx_need_in(nc, 0, "A", err);
  if (st == GT_OK) st = gt_onnx_need_in(nc, 1, "B", err);
  if (st != GT_OK) return st;
  const gt_onnx_operand *a = &nc->in[0], *b = &nc->in[1];
  if (!a->batched && !b->batched) {
    gt_onnx_tensor *r = NULL;
    st = gt_onnx_host_binary(nc, op, a->c, b->c, &r, err);
    if (st == GT_OK) gt_onnx_lower_as_const(lw, r);
    return st;
  }
  char sa[128], sb[128];
  if (a->batched && b->batched && a->ndim != b->ndim)
    return gt_onnx_node_fail(nc, err, GT_ERR_UNSUPPORTED, "batched inputs of different ranks %s and %s",
                             gt_onnx_shape_str(a->ndim, a->shape, sa, sizeof sa),
                             gt_onnx_shape_str(b->ndim, b->shape, sb, sizeof sb));
  int rank = a->batched ? a->ndim : b->ndim;
  gt_onnx_ir_input ins[2] = {{0, NULL}, {1, NULL}};
  gt_onnx_tensor *views[2] = {NULL, NULL};
  for (int k = 0; k < 2 && st == GT_OK; k++)
    if (!nc->in[k].batched) st = const_side(nc, k, rank, &ins[k], &views[k], err);
  /* Broadcast with the batch dim counted as 1 (constants have 1 there by now). */
  int64_t sh[2][GT_MAX_DIMS], out[GT_MAX_DIMS];
  int nd[2], n_out = 0;
  for (int k = 0; k < 2 && st == GT_OK; k++) {
    const gt_onnx_operand *o = &nc->in[k];
    nd[k] = views[k] ? views[k]->ndim : o->ndim;
    for (int d = 0; d < nd[k]; d++) sh[k][d] = views[k] ? views[k]->shape[d] : o->shape[d];
    if (o->batched) sh[k][0] = 1;
  }
  if (st == GT_OK && !gt_onnx_broadcast(nd[0], sh[0], nd[1], sh[1], &n_out, out))
    st = gt_onnx_node_fail(nc, err, GT_ERR_SHAPE, "shapes %s and %s do not broadcast",
                           gt_onnx_shape_str(a->ndim, a->shape, sa, sizeof sa),
                           gt_onnx_shape_str(b->ndim, b->shape, sb, sizeof sb));
  if (st == GT_OK) {
    out[0] = GT_DIM_BATCH;
    st = gt_onnx_lower_as_node(nc, lw, kind, 2, n_out, out, err);
  }
  if (st != GT_OK) {
    gt_onnx_tensor_free(views[0]);
    gt_onnx_tensor_free(views[1]);
    return st;
  }
  for (int k = 0; k < 2; k++) {
    lw->ir_in[k].operand = views[k] ? -1 : ins[k].operand;
    lw->ir_in[k].owned = views[k];
  }
  return GT_OK;
}

static float f_relu(float x, const float *p) { (void)p; return x > 0.0f ? x : 0.0f; }
static float f_leaky(float x, const float *p) { return x > 0.0f ? x : p[0] * x; }
static float f_sigmoid(float x, const float *p) { (void)p; return 1.0f / (1.0f + expf(-x)); }
static float f_tanh(float x, const float *p) { (void)p; return tanhf(x); }
static float f_clip(float x, const float *p) { return x < p[0] ? p[0] : x > p[1] ? p[1] : x; }
static float f_neg(float x, const float *p) { (void)p; return -x; }

/* Input X of a pointwise op: a constant is folded with fn into lw (*x stays NULL), a batched
 * value is left to the caller in *x. */
static gt_status fold_or_batched(const gt_onnx_node_ctx *nc, gt_onnx_lowering *lw, gt_onnx_unary_fn fn,
                                 const float *params, const gt_onnx_operand **x, gt_error *err) {
  *x = NULL;
  gt_status st = gt_onnx_need_in(nc, 0, "X", err);
  if (st != GT_OK) return st;
  if (nc->in[0].batched) {
    *x = &nc->in[0];
    return GT_OK;
  }
  gt_onnx_tensor *r = NULL;
  st = gt_onnx_host_unary(nc, nc->in[0].c, fn, params, &r, err);
  if (st == GT_OK) gt_onnx_lower_as_const(lw, r);
  return st;
}

/* Batched x -> one-input node of the same shape; constant x -> folded with fn. */
static gt_status lower_pointwise(const gt_onnx_node_ctx *nc, gt_onnx_lowering *lw, gt_op_kind kind,
                                 gt_onnx_unary_fn fn, const float *params, gt_error *err) {
  const gt_onnx_operand *x = NULL;
  gt_status st = fold_or_batched(nc, lw, fn, params, &x, err);
  if (st != GT_OK || !x) return st;
  st = gt_onnx_lower_as_node(nc, lw, kind, 1, x->ndim, x->shape, err);
  if (st == GT_OK) lw->ir_in[0].operand = 0;
  return st;
}

gt_status gt_onnx_lower_unary(const gt_onnx_node_ctx *nc, gt_onnx_lowering *lw, gt_error *err) {
  float alpha = 0.01f;
  if (!strcmp(nc->op_type, "Relu")) return lower_pointwise(nc, lw, GT_OP_RELU, f_relu, NULL, err);
  if (!strcmp(nc->op_type, "Sigmoid")) return lower_pointwise(nc, lw, GT_OP_SIGMOID, f_sigmoid, NULL, err);
  if (!strcmp(nc->op_type, "Tanh")) return lower_pointwise(nc, lw, GT_OP_TANH, f_tanh, NULL, err);
  gt_status st = gt_onnx_attr_float(nc, "alpha", 0.01f, &alpha, err);
  if (st != GT_OK) return st;
  st = lower_pointwise(nc, lw, GT_OP_LEAKY_RELU, f_leaky, &alpha, err);
  if (st == GT_OK && lw->kind == GT_ONNX_LOWER_NODE) lw->node.p.leaky_relu.alpha = alpha;
  return st;
}

gt_status gt_onnx_lower_neg(const gt_onnx_node_ctx *nc, gt_onnx_lowering *lw, gt_error *err) {
  const gt_onnx_operand *x = NULL;
  gt_status st = fold_or_batched(nc, lw, f_neg, NULL, &x, err);
  if (st != GT_OK || !x) return st;
  /* y = x * [-1] */
  int64_t one = 1;
  st = gt_onnx_lower_as_node(nc, lw, GT_OP_MUL, 2, x->ndim, x->shape, err);
  if (st != GT_OK) return st;
  lw->ir_in[0].operand = 0;
  lw->ir_in[1].owned = gt_onnx_tensor_new(GT_ONNX_FLOAT, 1, &one, "-1", err);
  if (!lw->ir_in[1].owned) return err ? err->code : GT_ERR_MEMORY;
  lw->ir_in[1].owned->f[0] = -1.0f;
  return GT_OK;
}

gt_status gt_onnx_lower_clip(const gt_onnx_node_ctx *nc, gt_onnx_lowering *lw, gt_error *err) {
  float bounds[2] = {-INFINITY, INFINITY};
  gt_status st = GT_OK;
  if (nc->opset < 11) {
    st = gt_onnx_attr_float(nc, "min", -INFINITY, &bounds[0], err);
    if (st == GT_OK) st = gt_onnx_attr_float(nc, "max", INFINITY, &bounds[1], err);
  } else {
    for (int k = 1; k <= 2 && st == GT_OK; k++) {
      double v = 0.0;
      if (!gt_onnx_in(nc, k)) continue;
      st = gt_onnx_const_scalar(nc, k, k == 1 ? "min" : "max", &v, err);
      if (st == GT_OK) bounds[k - 1] = (float)v;
    }
  }
  if (st != GT_OK) return st;
  st = lower_pointwise(nc, lw, GT_OP_CLIP, f_clip, bounds, err);
  if (st == GT_OK && lw->kind == GT_ONNX_LOWER_NODE) {
    lw->node.p.clip.min = bounds[0];
    lw->node.p.clip.max = bounds[1];
  }
  return st;
}

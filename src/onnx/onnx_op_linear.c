/* Gemm and MatMul with a constant right operand -> LINEAR: y [N,...,M] = x [N,...,K] W^T + b,
 * with W [M,K] built here (transB applied, alpha folded in) and b [M] = beta * C. */
#include <stdlib.h>

#include "onnx/onnx_internal.h"

static gt_status need_float_matrix(const gt_onnx_node_ctx *nc, int k, const char *role, gt_error *err) {
  const gt_onnx_tensor *t = nc->in[k].c;
  char s[128];
  if (!t->f)
    return gt_onnx_node_fail(nc, err, GT_ERR_UNSUPPORTED, "%s has type %s; Gauntlet needs floating point", role,
                             gt_onnx_elem_name(t->elem));
  if (t->ndim != 2)
    return gt_onnx_node_fail(nc, err, GT_ERR_UNSUPPORTED, "%s %s must be a matrix (rank 2)", role,
                             gt_onnx_shape_str(t->ndim, t->shape, s, sizeof s));
  return GT_OK;
}

/* W [M,K] from B ([K,M], or [M,K] when trans), times alpha. */
static gt_onnx_tensor *make_weight(const gt_onnx_tensor *b, int trans, float alpha, gt_error *err) {
  int64_t m = trans ? b->shape[0] : b->shape[1], k = trans ? b->shape[1] : b->shape[0];
  int64_t shape[2] = {m, k};
  gt_onnx_tensor *w = gt_onnx_tensor_new(GT_ONNX_FLOAT, 2, shape, "folded weight", err);
  if (!w) return NULL;
  for (int64_t i = 0; i < m; i++)
    for (int64_t j = 0; j < k; j++) w->f[i * k + j] = alpha * (trans ? b->f[i * k + j] : b->f[j * m + i]);
  return w;
}

gt_status gt_onnx_lower_gemm(const gt_onnx_node_ctx *nc, gt_onnx_lowering *lw, gt_error *err) {
  float alpha = 1.0f, beta = 1.0f;
  int64_t trans_a = 0, trans_b = 0;
  gt_status st = gt_onnx_attr_float(nc, "alpha", 1.0f, &alpha, err);
  if (st == GT_OK) st = gt_onnx_attr_float(nc, "beta", 1.0f, &beta, err);
  if (st == GT_OK) st = gt_onnx_attr_int(nc, "transA", 0, &trans_a, err);
  if (st == GT_OK) st = gt_onnx_attr_int(nc, "transB", 0, &trans_b, err);
  if (st == GT_OK) st = gt_onnx_need_batched(nc, 0, "A", err);
  if (st == GT_OK) st = gt_onnx_need_const(nc, 1, "B", err);
  if (st == GT_OK && gt_onnx_in(nc, 2)) st = gt_onnx_need_const(nc, 2, "C", err);
  if (st == GT_OK) st = need_float_matrix(nc, 1, "B", err);
  if (st != GT_OK) return st;
  const gt_onnx_operand *a = &nc->in[0];
  const gt_onnx_tensor *b = nc->in[1].c;
  const gt_onnx_operand *c = gt_onnx_in(nc, 2);
  char sa[128], sb[128], sc[128];
  if (trans_a)
    return gt_onnx_node_fail(nc, err, GT_ERR_UNSUPPORTED, "transA=1 on the batched input A is not supported");
  if (a->ndim != 2)
    return gt_onnx_node_fail(nc, err, GT_ERR_SHAPE, "A %s must have rank 2",
                             gt_onnx_shape_str(a->ndim, a->shape, sa, sizeof sa));
  int64_t m = trans_b ? b->shape[0] : b->shape[1], k = trans_b ? b->shape[1] : b->shape[0];
  if (a->shape[1] != k)
    return gt_onnx_node_fail(nc, err, GT_ERR_SHAPE, "A %s has K = %lld but B %s (transB=%lld) has K = %lld",
                             gt_onnx_shape_str(a->ndim, a->shape, sa, sizeof sa), (long long)a->shape[1],
                             gt_onnx_shape_str(b->ndim, b->shape, sb, sizeof sb), (long long)trans_b, (long long)k);
  int use_bias = c && beta != 0.0f;
  if (use_bias) {
    const gt_onnx_tensor *ct = c->c;
    int ok = ct->f && (ct->numel == 1 || (ct->numel == m && (ct->ndim == 1 || (ct->ndim == 2 && ct->shape[0] == 1))));
    if (!ok)
      return gt_onnx_node_fail(nc, err, GT_ERR_UNSUPPORTED,
                               "bias C %s %s must be float of shape [%lld], [1, %lld] or a scalar",
                               gt_onnx_elem_name(ct->elem), gt_onnx_shape_str(ct->ndim, ct->shape, sc, sizeof sc),
                               (long long)m, (long long)m);
  }
  int64_t out[2] = {GT_DIM_BATCH, m};
  st = gt_onnx_lower_as_node(nc, lw, GT_OP_LINEAR, use_bias ? 3 : 2, 2, out, err);
  if (st != GT_OK) return st;
  lw->ir_in[0].operand = 0;
  lw->ir_in[1].owned = make_weight(b, trans_b != 0, alpha, err);
  if (!lw->ir_in[1].owned) return err ? err->code : GT_ERR_MEMORY;
  if (use_bias) {
    gt_onnx_tensor *bias = gt_onnx_tensor_new(GT_ONNX_FLOAT, 1, &m, "folded bias", err);
    if (!bias) return err ? err->code : GT_ERR_MEMORY;
    for (int64_t i = 0; i < m; i++) bias->f[i] = beta * c->c->f[c->c->numel == 1 ? 0 : i];
    lw->ir_in[2].owned = bias;
  }
  return GT_OK;
}

gt_status gt_onnx_lower_matmul(const gt_onnx_node_ctx *nc, gt_onnx_lowering *lw, gt_error *err) {
  gt_status st = gt_onnx_need_in(nc, 0, "A", err);
  if (st == GT_OK) st = gt_onnx_need_in(nc, 1, "B", err);
  if (st != GT_OK) return st;
  const gt_onnx_operand *a = &nc->in[0], *b = &nc->in[1];
  char sa[128], sb[128];
  if (!a->batched || b->batched)
    return gt_onnx_node_fail(nc, err, GT_ERR_UNSUPPORTED,
                             "only batched A times constant B is supported (A is %s, B is %s)",
                             a->batched ? "batched" : "constant", b->batched ? "batched" : "constant");
  if (b->c->ndim != 2 || a->ndim < 2)
    return gt_onnx_node_fail(nc, err, GT_ERR_UNSUPPORTED,
                             "only A [N, ..., K] times a constant matrix B [K, M] is supported (A %s, B %s)",
                             gt_onnx_shape_str(a->ndim, a->shape, sa, sizeof sa),
                             gt_onnx_shape_str(b->c->ndim, b->c->shape, sb, sizeof sb));
  st = need_float_matrix(nc, 1, "B", err);
  if (st != GT_OK) return st;
  int64_t k = b->c->shape[0], m = b->c->shape[1];
  if (a->shape[a->ndim - 1] != k)
    return gt_onnx_node_fail(nc, err, GT_ERR_SHAPE, "A %s and B %s disagree on K (%lld vs %lld)",
                             gt_onnx_shape_str(a->ndim, a->shape, sa, sizeof sa),
                             gt_onnx_shape_str(b->c->ndim, b->c->shape, sb, sizeof sb),
                             (long long)a->shape[a->ndim - 1], (long long)k);
  int64_t out[GT_MAX_DIMS];
  for (int d = 0; d < a->ndim; d++) out[d] = a->shape[d];
  out[a->ndim - 1] = m;
  st = gt_onnx_lower_as_node(nc, lw, GT_OP_LINEAR, 2, a->ndim, out, err);
  if (st != GT_OK) return st;
  lw->ir_in[0].operand = 0;
  lw->ir_in[1].owned = make_weight(b->c, 0, 1.0f, err);
  return lw->ir_in[1].owned ? GT_OK : (err ? err->code : GT_ERR_MEMORY);
}

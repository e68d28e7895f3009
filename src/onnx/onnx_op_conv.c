/* Conv (2-D): X [N,C,H,W], constant W [M,C/group,kh,kw], optional constant B [M] -> CONV [N,M,OH,OW]. */
#include "onnx/onnx_internal.h"

static gt_status check_float(const gt_onnx_node_ctx *nc, int k, const char *role, gt_error *err) {
  const gt_onnx_operand *o = gt_onnx_in(nc, k);
  if (o && !o->batched && !o->c->f)
    return gt_onnx_node_fail(nc, err, GT_ERR_UNSUPPORTED, "%s has type %s; Gauntlet needs floating point", role,
                             gt_onnx_elem_name(o->c->elem));
  return GT_OK;
}

gt_status gt_onnx_lower_conv(const gt_onnx_node_ctx *nc, gt_onnx_lowering *lw, gt_error *err) {
  gt_status st = gt_onnx_need_batched(nc, 0, "X", err);
  if (st == GT_OK) st = gt_onnx_need_const(nc, 1, "W", err);
  if (st == GT_OK && gt_onnx_in(nc, 2)) st = gt_onnx_need_const(nc, 2, "B", err);
  if (st == GT_OK) st = check_float(nc, 1, "W", err);
  if (st == GT_OK) st = check_float(nc, 2, "B", err);
  if (st != GT_OK) return st;
  const gt_onnx_operand *x = &nc->in[0];
  const gt_onnx_tensor *w = nc->in[1].c;
  const gt_onnx_operand *b = gt_onnx_in(nc, 2);
  char sx[128], sw[128];
  if (x->ndim != 4)
    return gt_onnx_node_fail(nc, err, GT_ERR_UNSUPPORTED, "only 2-D convolution is supported (input %s has rank %d)",
                             gt_onnx_shape_str(x->ndim, x->shape, sx, sizeof sx), x->ndim);
  if (w->ndim != 4)
    return gt_onnx_node_fail(nc, err, GT_ERR_SHAPE, "W %s must have rank 4 [M, C/group, kh, kw]",
                             gt_onnx_shape_str(w->ndim, w->shape, sw, sizeof sw));
  int64_t group = 1;
  st = gt_onnx_attr_int(nc, "group", 1, &group, err);
  if (st != GT_OK) return st;
  int64_t c = x->shape[1], m = w->shape[0];
  if (group < 1 || group > c)
    return gt_onnx_node_fail(nc, err, GT_ERR_FORMAT, "group %lld is outside 1..%lld (input channels)",
                             (long long)group, (long long)c);
  if (w->shape[1] * group != c)
    return gt_onnx_node_fail(nc, err, GT_ERR_SHAPE,
                             "W %s expects %lld input channels (%lld per group x %lld groups), but X %s has %lld",
                             gt_onnx_shape_str(w->ndim, w->shape, sw, sizeof sw), (long long)(w->shape[1] * group),
                             (long long)w->shape[1], (long long)group,
                             gt_onnx_shape_str(x->ndim, x->shape, sx, sizeof sx), (long long)c);
  if (m < 1 || m % group != 0)
    return gt_onnx_node_fail(nc, err, GT_ERR_SHAPE, "%lld output channels are not a positive multiple of group %lld",
                             (long long)m, (long long)group);
  if (b && b->c->numel != m)
    return gt_onnx_node_fail(nc, err, GT_ERR_SHAPE, "bias B has %lld values; W has %lld output channels",
                             (long long)b->c->numel, (long long)m);
  int64_t kshape[2];
  int nk = 0;
  st = gt_onnx_attr_ints(nc, "kernel_shape", kshape, 2, &nk, err);
  if (st != GT_OK) return st;
  if (nk >= 0 && (nk != 2 || kshape[0] != w->shape[2] || kshape[1] != w->shape[3]))
    return gt_onnx_node_fail(nc, err, GT_ERR_SHAPE, "attribute 'kernel_shape' does not match W %s",
                             gt_onnx_shape_str(w->ndim, w->shape, sw, sizeof sw));
  gt_onnx_window win;
  st = gt_onnx_window_read(nc, &x->shape[2], &w->shape[2], 0, &win, err);
  if (st != GT_OK) return st;
  int64_t out[4] = {GT_DIM_BATCH, m, win.out[0], win.out[1]};
  st = gt_onnx_lower_as_node(nc, lw, GT_OP_CONV, b ? 3 : 2, 4, out, err);
  if (st != GT_OK) return st;
  for (int k = 0; k < lw->n_ir_in; k++) lw->ir_in[k].operand = k;
  gt_conv_params *p = &lw->node.p.conv;
  GT_ONNX_WINDOW_STORE(p, win);
  p->groups = (int)group;
  return GT_OK;
}

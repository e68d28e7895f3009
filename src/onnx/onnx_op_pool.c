/* MaxPool, AveragePool (2-D) and GlobalAveragePool / GlobalMaxPool: X [N,C,H,W] -> [N,C,OH,OW]. */
#include <string.h>

#include "onnx/onnx_internal.h"

static gt_status need_image(const gt_onnx_node_ctx *nc, gt_error *err) {
  gt_status st = gt_onnx_need_batched(nc, 0, "X", err);
  if (st != GT_OK) return st;
  char s[128];
  if (nc->in[0].ndim != 4)
    return gt_onnx_node_fail(nc, err, GT_ERR_UNSUPPORTED, "only 2-D pooling is supported (input %s has rank %d)",
                             gt_onnx_shape_str(nc->in[0].ndim, nc->in[0].shape, s, sizeof s), nc->in[0].ndim);
  return GT_OK;
}

static gt_status lower_pool(const gt_onnx_node_ctx *nc, gt_onnx_lowering *lw, gt_op_kind op, int count_include_pad,
                            gt_error *err) {
  const gt_onnx_operand *x = &nc->in[0];
  int64_t kernel[2], ceil_mode = 0;
  int nk = 0;
  gt_status st = gt_onnx_attr_ints(nc, "kernel_shape", kernel, 2, &nk, err);
  if (st == GT_OK) st = gt_onnx_attr_int(nc, "ceil_mode", 0, &ceil_mode, err);
  if (st != GT_OK) return st;
  if (nk != 2)
    return gt_onnx_node_fail(nc, err, GT_ERR_FORMAT, "attribute 'kernel_shape' must list 2 sizes (has %d)",
                             nk < 0 ? 0 : nk);
  gt_onnx_window win;
  st = gt_onnx_window_read(nc, &x->shape[2], kernel, ceil_mode != 0, &win, err);
  if (st != GT_OK) return st;
  int64_t out[4] = {GT_DIM_BATCH, x->shape[1], win.out[0], win.out[1]};
  st = gt_onnx_lower_as_node(nc, lw, op, 1, 4, out, err);
  if (st != GT_OK) return st;
  lw->ir_in[0].operand = 0;
  gt_pool_params *p = &lw->node.p.pool;
  GT_ONNX_WINDOW_STORE(p, win);
  p->count_include_pad = count_include_pad;
  return GT_OK;
}

gt_status gt_onnx_lower_maxpool(const gt_onnx_node_ctx *nc, gt_onnx_lowering *lw, gt_error *err) {
  gt_status st = need_image(nc, err);
  int64_t storage_order = 0;
  if (st == GT_OK) st = gt_onnx_attr_int(nc, "storage_order", 0, &storage_order, err);
  if (st == GT_OK && storage_order != 0)
    st = gt_onnx_node_fail(nc, err, GT_ERR_UNSUPPORTED, "storage_order %lld (column-major indices) is not supported",
                           (long long)storage_order);
  if (st == GT_OK) st = gt_onnx_refuse_extra_outputs(nc, 1, "the Indices output is not supported", err);
  if (st != GT_OK) return st;
  return lower_pool(nc, lw, GT_OP_MAXPOOL, 0, err);
}

gt_status gt_onnx_lower_avgpool(const gt_onnx_node_ctx *nc, gt_onnx_lowering *lw, gt_error *err) {
  gt_status st = need_image(nc, err);
  int64_t include = 0;
  if (st == GT_OK) st = gt_onnx_attr_int(nc, "count_include_pad", 0, &include, err);
  if (st != GT_OK) return st;
  return lower_pool(nc, lw, GT_OP_AVGPOOL, include != 0, err);
}

gt_status gt_onnx_lower_global_pool(const gt_onnx_node_ctx *nc, gt_onnx_lowering *lw, gt_error *err) {
  gt_status st = need_image(nc, err);
  if (st != GT_OK) return st;
  const gt_onnx_operand *x = &nc->in[0];
  gt_op_kind op = strcmp(nc->op_type, "GlobalMaxPool") ? GT_OP_AVGPOOL : GT_OP_MAXPOOL;
  int64_t out[4] = {GT_DIM_BATCH, x->shape[1], 1, 1};
  st = gt_onnx_lower_as_node(nc, lw, op, 1, 4, out, err);
  if (st != GT_OK) return st;
  lw->ir_in[0].operand = 0;
  gt_pool_params *p = &lw->node.p.pool;
  p->kernel_h = (int)x->shape[2];
  p->kernel_w = (int)x->shape[3];
  p->stride_h = p->stride_w = 1;
  p->dilation_h = p->dilation_w = 1;
  return GT_OK;
}

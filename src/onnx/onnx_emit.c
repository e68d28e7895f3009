/* Importing one node: gathering its operands from the value table, lowering it (folding
 * all-constant IR ops through the ref backend), and emitting the result into the gt_graph. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx/onnx_import.h"

/* Adds a host constant to the graph as float32 (integer shape math is converted). */
static int add_constant(gt_onnx_import *im, const gt_onnx_node_ctx *nc, const char *name, const gt_onnx_tensor *c,
                        gt_error *err) {
  if (c->f) return gt_graph_add_value(im->g, name, 0, c->ndim, c->shape, c->f, err);
  if (gt_onnx_tensor_has_batch_sym(c)) {
    gt_onnx_node_fail(nc, err, GT_ERR_UNSUPPORTED, "the batch size ('%s') is used as data", name);
    return -1;
  }
  float *f = malloc((size_t)(c->numel ? c->numel : 1) * sizeof *f);
  if (!f) {
    gt_onnx_node_fail(nc, err, GT_ERR_MEMORY, "out of memory");
    return -1;
  }
  for (int64_t k = 0; k < c->numel; k++) f[k] = (float)c->i[k];
  int id = gt_graph_add_value(im->g, name, 0, c->ndim, c->shape, f, err);
  free(f);
  return id;
}

/* The graph value of a constant table entry, added on first use. */
static int constant_id(gt_onnx_import *im, const gt_onnx_node_ctx *nc, int vi, gt_error *err) {
  gt_onnx_value *v = &im->vals.v[vi];
  if (v->graph_id < 0) v->graph_id = add_constant(im, nc, v->name, v->c, err);
  return v->graph_id;
}

static gt_status emit_ir_node(gt_onnx_import *im, const gt_onnx_node_ctx *nc, const int *val_idx, int out_vi,
                              gt_onnx_lowering *lw, gt_error *err) {
  char sbuf[128];
  int64_t per_sample = 0;
  gt_status st = gt_shape_numel_checked(lw->out_ndim - 1, lw->out_shape + 1, &per_sample, "output", err);
  if (st != GT_OK)
    return gt_onnx_node_fail(nc, err, GT_ERR_LIMIT, "output shape %s is beyond the caps",
                             gt_onnx_shape_str(lw->out_ndim, lw->out_shape, sbuf, sizeof sbuf));
  int *ids = malloc((size_t)(lw->n_ir_in > 0 ? lw->n_ir_in : 1) * sizeof *ids);
  if (!ids) return gt_onnx_node_fail(nc, err, GT_ERR_MEMORY, "out of memory");
  for (int j = 0; j < lw->n_ir_in && st == GT_OK; j++) {
    const gt_onnx_ir_input *in = &lw->ir_in[j];
    if (in->operand >= 0) {
      int vi = val_idx[in->operand];
      const gt_onnx_value *v = &im->vals.v[vi];
      ids[j] = v->kind == GT_ONNX_VAL_BATCHED ? v->graph_id : constant_id(im, nc, vi, err);
    } else {
      char name[512];
      snprintf(name, sizeof name, "%s:%d", nc->name, j);
      ids[j] = in->owned ? add_constant(im, nc, name, in->owned, err) : -1;
    }
    if (ids[j] < 0) st = err && err->code != GT_OK ? err->code : GT_ERR_INTERNAL;
  }
  const char *out_name = nc->proto->output[0];
  int out_id = -1;
  if (st == GT_OK) {
    out_id = gt_graph_add_value(im->g, out_name, 1, lw->out_ndim, lw->out_shape, NULL, err);
    if (out_id < 0) st = err ? err->code : GT_ERR_MEMORY;
  }
  if (st == GT_OK) {
    gt_node *node = gt_graph_add_node(im->g, lw->op, nc->name, lw->n_ir_in, ids, out_id, err);
    if (!node) st = err ? err->code : GT_ERR_MEMORY;
    else node->p = lw->node.p;
  }
  free(ids);
  if (st != GT_OK) return st;
  im->vals.v[out_vi].kind = GT_ONNX_VAL_BATCHED;
  im->vals.v[out_vi].graph_id = out_id;
  return GT_OK;
}

/* An IR op on constants only: lower it with operand 0 presented as batched, run it on ref. */
static gt_status lower_folding(const gt_onnx_op_entry *op, gt_onnx_node_ctx *nc, gt_onnx_lowering *lw,
                               gt_error *err) {
  const gt_onnx_tensor *c0 = nc->in[0].c;
  if (c0->ndim < 1)
    return gt_onnx_node_fail(nc, err, GT_ERR_UNSUPPORTED, "folding this op on a rank-0 constant");
  nc->in[0].batched = 1;
  nc->in[0].shape[0] = GT_DIM_BATCH;
  gt_status st = op->lower(nc, lw, err);
  nc->in[0].batched = 0;
  nc->in[0].shape[0] = c0->shape[0];
  if (st != GT_OK) return st;
  gt_onnx_tensor *result = NULL;
  if (lw->kind == GT_ONNX_LOWER_NODE) st = gt_onnx_fold_ref(nc, lw, c0->shape[0], &result, err);
  else if (lw->kind == GT_ONNX_LOWER_ALIAS) result = gt_onnx_tensor_clone(nc->in[lw->alias_of].c, err);
  else return GT_OK;
  if (st == GT_OK && !result) st = err ? err->code : GT_ERR_MEMORY;
  if (st == GT_OK) gt_onnx_lower_as_const(lw, result);
  return st;
}

gt_status gt_onnx_emit_node(gt_onnx_import *im, int k, gt_error *err) {
  const Onnx__NodeProto *np = im->graph->node[k];
  const gt_onnx_op_entry *op = gt_onnx_op_find(np->op_type);
  int n_in = (int)np->n_input, n_out = (int)np->n_output;
  gt_onnx_node_ctx nc = {np, np->op_type, im->node_names[k], &im->src, im->opset, im->batch_static,
                         n_in, NULL, n_out, NULL};
  if (!op) return gt_onnx_node_fail(&nc, err, GT_ERR_INTERNAL, "op missing from the table");
  if (n_out < 1 || !np->output[0] || !np->output[0][0])
    return gt_onnx_node_fail(&nc, err, GT_ERR_FORMAT, "node has no output");
  gt_onnx_operand *in = calloc((size_t)(n_in ? n_in : 1), sizeof *in);
  int *val_idx = calloc((size_t)(n_in ? n_in : 1), sizeof *val_idx);
  int *out_used = calloc((size_t)n_out, sizeof *out_used);
  gt_onnx_lowering lw;
  memset(&lw, 0, sizeof lw);
  gt_status st = in && val_idx && out_used ? GT_OK : gt_onnx_node_fail(&nc, err, GT_ERR_MEMORY, "out of memory");
  for (int j = 0; j < n_in && st == GT_OK; j++) {
    const char *name = np->input[j] ? np->input[j] : "";
    in[j].name = name;
    val_idx[j] = -1;
    if (!name[0]) continue;
    int vi = gt_onnx_values_find(&im->vals, name);
    const gt_onnx_value *v = vi >= 0 ? &im->vals.v[vi] : NULL;
    if (!v || v->kind == GT_ONNX_VAL_UNSET) {
      st = gt_onnx_node_fail(&nc, err, GT_ERR_UNSUPPORTED,
                             "input '%s' has no value (an unsupported output of its producer)",
                             name);
      break;
    }
    val_idx[j] = vi;
    in[j].present = 1;
    if (v->kind == GT_ONNX_VAL_BATCHED) {
      const gt_value *gv = &im->g->values[v->graph_id];
      in[j].batched = 1;
      in[j].ndim = gv->ndim;
      memcpy(in[j].shape, gv->shape, sizeof in[j].shape);
    } else {
      in[j].c = v->c;
      in[j].ndim = v->c->ndim;
      memcpy(in[j].shape, v->c->shape, sizeof in[j].shape);
    }
  }
  for (int j = 0; j < n_out && st == GT_OK; j++) {
    int vi = np->output[j] && np->output[j][0] ? gt_onnx_values_find(&im->vals, np->output[j]) : -1;
    out_used[j] = vi >= 0 && im->vals.v[vi].n_uses > 0;
  }
  nc.in = in;
  nc.out_used = out_used;
  if (st == GT_OK) {
    if (op->fold_via_ref && n_in > 0 && in[0].present && gt_onnx_all_const(&nc)) st = lower_folding(op, &nc, &lw, err);
    else st = op->lower(&nc, &lw, err);
  }
  if (st == GT_OK && lw.kind == GT_ONNX_LOWER_CONST) {
    im->folded += lw.result->numel;
    if (im->folded > GT_ONNX_MAX_FOLD_TOTAL)
      st = gt_onnx_node_fail(&nc, err, GT_ERR_LIMIT, "folded constants exceed %lld elements in total",
                             (long long)GT_ONNX_MAX_FOLD_TOTAL);
  }
  int out_vi = st == GT_OK ? gt_onnx_values_find(&im->vals, np->output[0]) : -1;
  if (st == GT_OK && out_vi < 0) st = gt_onnx_node_fail(&nc, err, GT_ERR_INTERNAL, "output not in the value table");
  if (st == GT_OK) {
    gt_onnx_value *ov = &im->vals.v[out_vi];
    switch (lw.kind) {
      case GT_ONNX_LOWER_NODE:
        st = emit_ir_node(im, &nc, val_idx, out_vi, &lw, err);
        break;
      case GT_ONNX_LOWER_ALIAS:
        if (nc.in[lw.alias_of].batched) {
          ov->kind = GT_ONNX_VAL_BATCHED;
          ov->graph_id = im->vals.v[val_idx[lw.alias_of]].graph_id;
        } else { /* a constant passed through: the output owns a copy */
          ov->c = gt_onnx_tensor_clone(nc.in[lw.alias_of].c, err);
          ov->kind = ov->c ? GT_ONNX_VAL_CONST : GT_ONNX_VAL_UNSET;
          if (!ov->c) st = err ? err->code : GT_ERR_MEMORY;
        }
        break;
      case GT_ONNX_LOWER_CONST:
        ov->kind = GT_ONNX_VAL_CONST;
        ov->c = lw.result;
        lw.result = NULL;
        break;
      default:
        st = gt_onnx_node_fail(&nc, err, GT_ERR_INTERNAL, "lowering produced nothing");
    }
  }
  gt_onnx_lowering_clear(&lw);
  free(in);
  free(val_idx);
  free(out_used);
  return st;
}

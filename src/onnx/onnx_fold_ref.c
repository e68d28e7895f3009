/* Folding an IR op whose inputs are all constants (a Conv on a constant, a MatMul of two
 * weights, ...) by running that single op through the ref backend, the readable specification
 * of every op, so folding computes exactly what execution would. Operand 0's leading dim plays
 * the batch. */
#include <stdlib.h>
#include <string.h>

#include "gauntlet/backend.h"
#include "onnx/onnx_internal.h"

#define MAX_FOLD_INPUTS 64

typedef struct fold_buffers {
  gt_backend *be;
  int n;
  void *ptr[MAX_FOLD_INPUTS + 2]; /* inputs, output, scratch */
} fold_buffers;

static gt_status upload(fold_buffers *fb, const gt_onnx_tensor *c, gt_tensor *t, gt_error *err) {
  size_t bytes = (size_t)c->numel * sizeof(float);
  void *p = NULL;
  gt_status st = fb->be->iface->buffer_alloc(fb->be, bytes, &p, err);
  if (st != GT_OK) return st;
  fb->ptr[fb->n++] = p;
  gt_tensor_init(t, p, c->ndim, c->shape);
  return fb->be->iface->copy_to_device(fb->be, p, c->f, bytes, err);
}

gt_status gt_onnx_fold_ref(const gt_onnx_node_ctx *nc, const gt_onnx_lowering *lw, int64_t batch,
                           gt_onnx_tensor **out, gt_error *err) {
  *out = NULL;
  if (lw->kind != GT_ONNX_LOWER_NODE || lw->n_ir_in > MAX_FOLD_INPUTS)
    return gt_onnx_node_fail(nc, err, GT_ERR_INTERNAL, "nothing to fold");
  int64_t shape[GT_MAX_DIMS];
  for (int d = 0; d < lw->out_ndim; d++) shape[d] = lw->out_shape[d] == GT_DIM_BATCH ? batch : lw->out_shape[d];
  gt_onnx_tensor *result = NULL;
  gt_status st = gt_onnx_fold_output_new(nc, GT_ONNX_FLOAT, lw->out_ndim, shape, &result, err);
  if (st != GT_OK) return st;
  fold_buffers fb;
  memset(&fb, 0, sizeof fb);
  st = gt_backend_ref_create(&fb.be, err);
  gt_tensor ins[MAX_FOLD_INPUTS], outt;
  const gt_tensor *in_ptrs[MAX_FOLD_INPUTS];
  int ids[MAX_FOLD_INPUTS];
  for (int k = 0; k < lw->n_ir_in && st == GT_OK; k++) {
    const gt_onnx_ir_input *in = &lw->ir_in[k];
    const gt_onnx_tensor *c = in->operand >= 0 ? nc->in[in->operand].c : in->owned;
    if (!c || !c->f) {
      st = gt_onnx_node_fail(nc, err, GT_ERR_UNSUPPORTED, "folding needs floating-point constant inputs");
      break;
    }
    st = upload(&fb, c, &ins[k], err);
    in_ptrs[k] = &ins[k];
    ids[k] = k;
  }
  if (st == GT_OK) {
    void *p = NULL;
    st = fb.be->iface->buffer_alloc(fb.be, (size_t)result->numel * sizeof(float), &p, err);
    if (st == GT_OK) {
      fb.ptr[fb.n++] = p;
      gt_tensor_init(&outt, p, result->ndim, result->shape);
    }
  }
  gt_node node;
  if (st == GT_OK) {
    node = lw->node;
    node.op = lw->op;
    node.name = (char *)nc->name;
    node.n_inputs = lw->n_ir_in;
    node.inputs = ids;
    node.output = lw->n_ir_in;
    gt_op_forward_fn fwd = fb.be->iface->forward[lw->op];
    gt_op_scratch_fn scratch_fn = fb.be->iface->scratch_bytes[lw->op];
    gt_op_call call = {&node, in_ptrs, &outt, NULL, 0, 0};
    if (!fwd) {
      st = gt_onnx_node_fail(nc, err, GT_ERR_UNSUPPORTED, "the ref backend cannot fold %s", gt_op_name(lw->op));
    } else {
      if (scratch_fn) {
        call.scratch_bytes = scratch_fn(fb.be, &call);
        st = fb.be->iface->buffer_alloc(fb.be, call.scratch_bytes, &call.scratch, err);
        if (st == GT_OK) fb.ptr[fb.n++] = call.scratch;
      }
      if (st == GT_OK) st = fwd(fb.be, &call, err);
      if (st == GT_OK)
        st = fb.be->iface->copy_to_host(fb.be, result->f, outt.data, (size_t)result->numel * sizeof(float), err);
      if (st != GT_OK)
        gt_error_prefix(err, "%s: node '%s' (%s): while folding constants: ", nc->src->display, nc->name,
                        nc->op_type);
    }
  }
  for (int k = 0; k < fb.n; k++) fb.be->iface->buffer_free(fb.be, fb.ptr[k]);
  if (fb.be) gt_backend_free(fb.be);
  if (st != GT_OK) {
    gt_onnx_tensor_free(result);
    return st;
  }
  *out = result;
  return GT_OK;
}

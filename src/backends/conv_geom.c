/* The Conv geometry check shared by the backends (conv_geom.h). */
#include "backends/conv_geom.h"

#include "backends/op_check.h"

/* Output length of one spatial dim (the ONNX / PyTorch formula, floor rounding). */
static int64_t conv_out_len(int64_t in, int64_t pad_begin, int64_t pad_end, int64_t k, int64_t dil, int64_t stride) {
  int64_t span = in + pad_begin + pad_end - dil * (k - 1) - 1;
  return span < 0 ? 0 : span / stride + 1;
}

gt_status gt_conv_geom_check(const char *backend, const gt_op_call *call, gt_conv_geom *g, gt_error *err) {
  gt_status st = gt_op_check_call(backend, call, 2, 3, err);
  if (st != GT_OK) return st;
  const gt_conv_params *p = &call->node->p.conv;
  const gt_tensor *x = call->in[0], *wt = call->in[1], *y = call->out;
  char a[96], b[96], c[96];
  if (x->ndim != 4 || wt->ndim != 4 || y->ndim != 4)
    return gt_op_fail(backend, call, err, GT_ERR_SHAPE, "x %s, W %s and y %s must all have rank 4",
                       gt_shape_format(x->ndim, x->shape, a, sizeof a), gt_shape_format(wt->ndim, wt->shape, b, sizeof b),
                       gt_shape_format(y->ndim, y->shape, c, sizeof c));
  if (p->groups < 1 || p->stride_h < 1 || p->stride_w < 1 || p->dilation_h < 1 || p->dilation_w < 1 ||
      p->pad_top < 0 || p->pad_left < 0 || p->pad_bottom < 0 || p->pad_right < 0)
    return gt_op_fail(backend, call, err, GT_ERR_USAGE,
                       "bad params: groups %d, strides %dx%d, dilations %dx%d (all >= 1), pads %d,%d,%d,%d (>= 0)",
                       p->groups, p->stride_h, p->stride_w, p->dilation_h, p->dilation_w, p->pad_top, p->pad_left,
                       p->pad_bottom, p->pad_right);
  g->n = x->shape[0], g->c = x->shape[1], g->h = x->shape[2], g->w = x->shape[3];
  g->m = wt->shape[0], g->cg = wt->shape[1], g->kh = wt->shape[2], g->kw = wt->shape[3];
  g->groups = p->groups;
  g->sh = p->stride_h, g->sw = p->stride_w, g->dh = p->dilation_h, g->dw = p->dilation_w;
  g->pt = p->pad_top, g->pl = p->pad_left;
  /* The weight shape is authoritative for the kernel size; params may leave it 0 (unset). */
  if ((p->kernel_h && p->kernel_h != g->kh) || (p->kernel_w && p->kernel_w != g->kw))
    return gt_op_fail(backend, call, err, GT_ERR_SHAPE, "kernel %dx%d does not match W %s", p->kernel_h, p->kernel_w,
                       gt_shape_format(wt->ndim, wt->shape, a, sizeof a));
  if (g->c % g->groups != 0 || g->m % g->groups != 0 || g->cg != g->c / g->groups)
    return gt_op_fail(backend, call, err, GT_ERR_SHAPE, "x %s and W %s do not fit %lld groups",
                       gt_shape_format(x->ndim, x->shape, a, sizeof a), gt_shape_format(wt->ndim, wt->shape, b, sizeof b),
                       (long long)g->groups);
  g->mg = g->m / g->groups;
  if (call->node->n_inputs == 3 && (call->in[2]->ndim != 1 || call->in[2]->shape[0] != g->m))
    return gt_op_fail(backend, call, err, GT_ERR_SHAPE, "bias %s must be [%lld]",
                       gt_shape_format(call->in[2]->ndim, call->in[2]->shape, a, sizeof a), (long long)g->m);
  g->oh = conv_out_len(g->h, p->pad_top, p->pad_bottom, g->kh, g->dh, g->sh);
  g->ow = conv_out_len(g->w, p->pad_left, p->pad_right, g->kw, g->dw, g->sw);
  if (y->shape[0] != g->n || y->shape[1] != g->m || y->shape[2] != g->oh || y->shape[3] != g->ow)
    return gt_op_fail(backend, call, err, GT_ERR_SHAPE, "output %s, expected [%lld, %lld, %lld, %lld]",
                       gt_shape_format(y->ndim, y->shape, a, sizeof a), (long long)g->n, (long long)g->m,
                       (long long)g->oh, (long long)g->ow);
  return GT_OK;
}


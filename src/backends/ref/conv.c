/* Conv (2-D, grouped, strided, dilated, zero-padded), forward and input gradient.
 *   x [N, C, H, W], W [M, C/groups, kh, kw], optional b [M]  ->  y [N, M, OH, OW]
 *   y[n,m,oh,ow] = b[m] + sum_{c,i,j} x[n, g*Cg + c, oh*sh - pt + i*dh, ow*sw - pl + j*dw] * W[m,c,i,j]
 * where g = m / (M/groups) is m's group, Cg = C/groups, and x is 0 outside [0,H) x [0,W). */
#include "ref_ops.h"

typedef struct conv_geom {
  int64_t n, c, h, w;   /* x */
  int64_t m, cg, kh, kw; /* weights */
  int64_t oh, ow;       /* y */
  int64_t groups, mg;   /* mg = M / groups output channels per group */
  int64_t sh, sw, dh, dw, pt, pl;
} conv_geom;

/* Output length of one spatial dim (the ONNX / PyTorch formula, floor rounding). */
static int64_t conv_out_len(int64_t in, int64_t pad_begin, int64_t pad_end, int64_t k, int64_t dil, int64_t stride) {
  int64_t span = in + pad_begin + pad_end - dil * (k - 1) - 1;
  return span < 0 ? 0 : span / stride + 1;
}

static gt_status conv_check(const gt_op_call *call, conv_geom *g, gt_error *err) {
  gt_status st = gt_ref_check_call(call, 2, 3, err);
  if (st != GT_OK) return st;
  const gt_conv_params *p = &call->node->p.conv;
  const gt_tensor *x = call->in[0], *wt = call->in[1], *y = call->out;
  char a[96], b[96], c[96];
  if (x->ndim != 4 || wt->ndim != 4 || y->ndim != 4)
    return gt_ref_fail(call, err, GT_ERR_SHAPE, "x %s, W %s and y %s must all have rank 4",
                       gt_shape_format(x->ndim, x->shape, a, sizeof a), gt_shape_format(wt->ndim, wt->shape, b, sizeof b),
                       gt_shape_format(y->ndim, y->shape, c, sizeof c));
  if (p->groups < 1 || p->stride_h < 1 || p->stride_w < 1 || p->dilation_h < 1 || p->dilation_w < 1 ||
      p->pad_top < 0 || p->pad_left < 0 || p->pad_bottom < 0 || p->pad_right < 0)
    return gt_ref_fail(call, err, GT_ERR_USAGE,
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
    return gt_ref_fail(call, err, GT_ERR_SHAPE, "kernel %dx%d does not match W %s", p->kernel_h, p->kernel_w,
                       gt_shape_format(wt->ndim, wt->shape, a, sizeof a));
  if (g->c % g->groups != 0 || g->m % g->groups != 0 || g->cg != g->c / g->groups)
    return gt_ref_fail(call, err, GT_ERR_SHAPE, "x %s and W %s do not fit %lld groups",
                       gt_shape_format(x->ndim, x->shape, a, sizeof a), gt_shape_format(wt->ndim, wt->shape, b, sizeof b),
                       (long long)g->groups);
  g->mg = g->m / g->groups;
  if (call->node->n_inputs == 3 && (call->in[2]->ndim != 1 || call->in[2]->shape[0] != g->m))
    return gt_ref_fail(call, err, GT_ERR_SHAPE, "bias %s must be [%lld]",
                       gt_shape_format(call->in[2]->ndim, call->in[2]->shape, a, sizeof a), (long long)g->m);
  g->oh = conv_out_len(g->h, p->pad_top, p->pad_bottom, g->kh, g->dh, g->sh);
  g->ow = conv_out_len(g->w, p->pad_left, p->pad_right, g->kw, g->dw, g->sw);
  if (y->shape[0] != g->n || y->shape[1] != g->m || y->shape[2] != g->oh || y->shape[3] != g->ow)
    return gt_ref_fail(call, err, GT_ERR_SHAPE, "output %s, expected [%lld, %lld, %lld, %lld]",
                       gt_shape_format(y->ndim, y->shape, a, sizeof a), (long long)g->n, (long long)g->m,
                       (long long)g->oh, (long long)g->ow);
  return GT_OK;
}

gt_status gt_ref_conv_forward(gt_backend *be, const gt_op_call *call, gt_error *err) {
  conv_geom g;
  gt_status st = conv_check(call, &g, err);
  if (st != GT_OK) return st;
  const float *x = call->in[0]->data, *wt = call->in[1]->data;
  const float *bias = call->node->n_inputs == 3 ? call->in[2]->data : NULL;
  float *y = call->out->data;
  for (int64_t n = 0; n < g.n; n++)
    for (int64_t m = 0; m < g.m; m++) {
      int64_t c0 = (m / g.mg) * g.cg; /* first input channel of m's group */
      for (int64_t oh = 0; oh < g.oh; oh++)
        for (int64_t ow = 0; ow < g.ow; ow++) {
          double acc = bias ? bias[m] : 0.0;
          for (int64_t c = 0; c < g.cg; c++)
            for (int64_t i = 0; i < g.kh; i++)
              for (int64_t j = 0; j < g.kw; j++) {
                int64_t ih = oh * g.sh - g.pt + i * g.dh;
                int64_t iw = ow * g.sw - g.pl + j * g.dw;
                if (ih < 0 || ih >= g.h || iw < 0 || iw >= g.w) continue; /* zero padding */
                acc += (double)x[((n * g.c + c0 + c) * g.h + ih) * g.w + iw] *
                       (double)wt[((m * g.cg + c) * g.kh + i) * g.kw + j];
              }
          y[((n * g.m + m) * g.oh + oh) * g.ow + ow] = (float)acc;
        }
    }
  return GT_OK;
}

/* dx[n, ci, ih, iw] += sum of dy[n,m,oh,ow] * W[m, ci - c0, i, j] over the output channels m of
 * ci's group and the taps (oh, ow, i, j) whose input cell is (ih, iw): the forward sum read from the
 * other side, accumulated in double and added once. */
gt_status gt_ref_conv_backward(gt_backend *be, const gt_op_call *call, const gt_tensor *grad_out,
                               gt_tensor *const *grad_in, gt_error *err) {
  conv_geom g;
  gt_status st = conv_check(call, &g, err);
  if (st == GT_OK) st = gt_ref_check_backward(call, 2, 3, grad_out, grad_in, err);
  if (st == GT_OK) st = gt_ref_refuse_weight_grads(call, grad_in, 1, err);
  if (st != GT_OK) return st;
  if (!grad_in[0]) return GT_OK;
  const float *wt = call->in[1]->data, *dy = grad_out->data;
  float *dx = grad_in[0]->data;
  for (int64_t n = 0; n < g.n; n++)
    for (int64_t ci = 0; ci < g.c; ci++) {
      int64_t grp = ci / g.cg, c = ci % g.cg;
      for (int64_t ih = 0; ih < g.h; ih++)
        for (int64_t iw = 0; iw < g.w; iw++) {
          double acc = 0.0;
          for (int64_t m = grp * g.mg; m < (grp + 1) * g.mg; m++)
            for (int64_t i = 0; i < g.kh; i++)
              for (int64_t j = 0; j < g.kw; j++) {
                /* The output position whose tap (i, j) lands on (ih, iw), if any. */
                int64_t th = ih + g.pt - i * g.dh, tw = iw + g.pl - j * g.dw;
                if (th < 0 || tw < 0 || th % g.sh != 0 || tw % g.sw != 0) continue;
                int64_t oh = th / g.sh, ow = tw / g.sw;
                if (oh >= g.oh || ow >= g.ow) continue;
                acc += (double)dy[((n * g.m + m) * g.oh + oh) * g.ow + ow] *
                       (double)wt[((m * g.cg + c) * g.kh + i) * g.kw + j];
              }
          dx[((n * g.c + ci) * g.h + ih) * g.w + iw] += (float)acc;
        }
    }
  return GT_OK;
}

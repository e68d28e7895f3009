/* Conv (2-D, grouped, strided, dilated, zero-padded), forward and input gradient.
 *   x [N, C, H, W], W [M, C/groups, kh, kw], optional b [M]  ->  y [N, M, OH, OW]
 *   y[n,m,oh,ow] = b[m] + sum_{c,i,j} x[n, g*Cg + c, oh*sh - pt + i*dh, ow*sw - pl + j*dw] * W[m,c,i,j]
 * where g = m / (M/groups) is m's group, Cg = C/groups, and x is 0 outside [0,H) x [0,W). */
#include "ref_ops.h"

#include "backends/op_layout.h"

static gt_status conv_check(const gt_op_call *call, gt_op_conv_geom *g, gt_error *err) {
  return gt_op_conv_geom_of("ref", call, 0, g, err);
}

gt_status gt_ref_conv_forward(gt_backend *be, const gt_op_call *call, gt_error *err) {
  gt_op_conv_geom g;
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
  gt_op_conv_geom g;
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

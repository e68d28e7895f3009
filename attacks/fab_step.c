/* One FAB iteration and FAB's random start (attacks/fab.h; the algorithm is told in fab.c).
 *
 * An iteration on the active rows (n of them), with x the iterate and x0 the clean point:
 *   1. linearise: w = grad (z_c - z_y) and f = z_c - z_y at x, for c the target (fab-t) or, for
 *      fab, the class whose linearised boundary is nearest, argmin_c |f_c| / ||w_c||_q (q dual);
 *   2. project x and x0 onto the plane {z : w.(z - x) + f = 0} inside the box (exact,
 *      project_hyperplane): d1 = P(x) - x, d2 = P(x0) - x0;
 *   3. alpha = min(a1 / (a1 + a2), alpha_max) with a1 = ||d1||, a2 = ||d2|| (floored at 1e-8),
 *      x <- clip((1 - alpha)(x + eta d1) + alpha (x0 + eta d2)): a step biased towards points
 *      close to x0;
 *   4. evaluate x: if adversarial, it becomes the best point when its norm is the smallest yet,
 *      the row is finished when the run is bounded and the norm is within eps, and otherwise x
 *      moves back towards x0: x <- x0 + beta (x - x0).
 * Passes per row: untargeted, one forward and k - 1 backward per Jacobian call (usually one call)
 * plus one forward; targeted, two forward and one backward; times EOT for the gradient part. */
#include <math.h>

#include "fab.h"

gt_norm gt_fab_dual_norm(gt_norm norm) {
  return norm == GT_NORM_LINF ? GT_NORM_L1 : (norm == GT_NORM_L1 ? GT_NORM_LINF : GT_NORM_L2);
}

gt_status gt_fab_upload(fab_state *s, void *dst, const void *src, int64_t n, size_t elem, gt_error *err) {
  gt_backend *be = gt_oracle_backend(s->o);
  return be->iface->copy_to_device(be, dst, src, (size_t)n * elem, err);
}

gt_status gt_fab_download(fab_state *s, void *dst, const void *src, int64_t n, size_t elem, gt_error *err) {
  gt_backend *be = gt_oracle_backend(s->o);
  return be->iface->copy_to_host(be, dst, src, (size_t)n * elem, err);
}

gt_status gt_fab_start(fab_state *s, int random, uint32_t restart, gt_error *err) {
  gt_workset *ws = s->ws;
  gt_backend *be = gt_oracle_backend(s->o);
  const gt_vec_iface *v = gt_oracle_vec(s->o);
  int64_t n = ws->n, d = ws->d;
  if (n == 0) return GT_OK;
  if (!random) return be->iface->copy_device(be, ws->x, ws->x0, (size_t)(n * d) * sizeof(float), err);
  /* A direction t (Linf: uniform in [-1,1)^d; L2, L1: Gaussian), scaled to the radius. */
  gt_vec_random r = {
      .dist = s->cfg.norm == GT_NORM_LINF ? GT_RNG_UNIFORM_SYM : GT_RNG_NORMAL,
      .seed = s->cfg.seed,
      .stream = GT_RNG_STREAM_START,
      .restart = restart,
      .step = 0,
      .sample_ids = ws->ids,
      .n = n,
      .d = d,
      .out = s->z1,
  };
  gt_status st = v->random_fill(be, &r, err);
  if (st == GT_OK) st = v->norms(be, s->cfg.norm, s->z1, NULL, n, d, s->f, err);
  if (st == GT_OK) st = gt_fab_download(s, s->nrm_h, s->f, n, sizeof(float), err);
  if (st != GT_OK) return st;
  for (int64_t i = 0; i < n; i++) {
    float best = s->best_norm_h[ws->pos[i]];
    float radius = FAB_START_SCALE * (best < s->start_radius ? best : s->start_radius);
    s->cb_h[i] = s->nrm_h[i] > 0.0f ? radius / s->nrm_h[i] : 0.0f;
  }
  st = gt_fab_upload(s, s->cb, s->cb_h, n, sizeof(float), err);
  if (st == GT_OK) st = v->axpby(be, ws->ones, ws->x0, s->cb, s->z1, n, d, ws->x, err);
  if (st == GT_OK) st = v->project(be, GT_NORM_LINF, ws->x, ws->x0, s->box, n, d, ws->x, err);
  return st;
}

/* Untargeted: among the differences of chunk [j0, j0 + mc) (rows of s->jac, s->diff), each row
 * keeps the class with the smallest |f| / ||w||_q seen so far; rows whose choice falls in this
 * chunk copy their gradient into s->w. */
static gt_status choose_in_chunk(fab_state *s, int j0, int mc, gt_error *err) {
  gt_workset *ws = s->ws;
  gt_backend *be = gt_oracle_backend(s->o);
  const gt_vec_iface *v = gt_oracle_vec(s->o);
  int64_t n = ws->n, d = ws->d, rows = (int64_t)mc * n;
  gt_status st = v->norms(be, gt_fab_dual_norm(s->cfg.norm), s->jac, NULL, rows, d, s->dual, err);
  if (st == GT_OK) st = gt_fab_download(s, s->dual_h, s->dual, rows, sizeof(float), err);
  if (st == GT_OK) st = gt_fab_download(s, s->diff_h, s->diff, rows, sizeof(float), err);
  if (st != GT_OK) return st;
  int64_t moved = 0;
  for (int64_t i = 0; i < n; i++) {
    int chosen = -1;
    for (int j = 0; j < mc; j++) {
      float fv = s->diff_h[(int64_t)j * n + i];
      float dist = (float)(fabs((double)fv) / ((double)s->dual_h[(int64_t)j * n + i] + FAB_DIST_GUARD));
      float best = s->best_dist_h[i];
      if ((j0 == 0 && j == 0) || dist < best || best != best) {
        s->best_dist_h[i] = dist;
        s->f_h[i] = fv;
        chosen = j;
      }
    }
    if (chosen < 0) continue;
    s->idx_h[moved] = (int32_t)((int64_t)chosen * n + i);
    s->idx2_h[moved] = (int32_t)i;
    moved++;
  }
  if (moved == 0) return GT_OK;
  size_t row = (size_t)d * sizeof(float);
  st = gt_fab_upload(s, s->idx, s->idx_h, moved, sizeof(int32_t), err);
  if (st != GT_OK) return st;
  if (moved == n) /* every row chose in this chunk: row i lands in row i */
    return v->gather_rows(be, s->jac, rows, s->idx, moved, row, s->w, err);
  st = gt_fab_upload(s, s->idx2, s->idx2_h, moved, sizeof(int32_t), err);
  if (st == GT_OK) st = v->gather_rows(be, s->jac, rows, s->idx, moved, row, s->z1, err);
  if (st == GT_OK) st = v->scatter_rows(be, s->z1, s->idx2, moved, row, s->w, n, err);
  return st;
}

/* s->w, s->f: the boundary each active row linearises at ws->x. */
static gt_status linearise(fab_state *s, gt_error *err) {
  gt_workset *ws = s->ws;
  int64_t n = ws->n, eot = gt_oracle_eot(s->o);
  if (s->targeted) {
    gt_workset_charge(ws, eot, eot);
    return gt_oracle_logit_diff_grads(s->o, ws->x, n, ws->labels, ws->targets, 1, s->f, s->w, NULL, err);
  }
  int others = s->k - 1;
  gt_status st = GT_OK;
  for (int j0 = 0; st == GT_OK && j0 < others; j0 += s->m) {
    int mc = others - j0 < s->m ? others - j0 : s->m;
    /* Difference j of row i is class j0 + j, skipping the label. */
    for (int j = 0; j < mc; j++)
      for (int64_t i = 0; i < n; i++) {
        int c = j0 + j, y = s->labels_h[ws->pos[i]];
        s->cls_h[(int64_t)j * n + i] = c < y ? c : c + 1;
      }
    gt_workset_charge(ws, eot, eot * mc);
    st = gt_fab_upload(s, s->cls, s->cls_h, (int64_t)mc * n, sizeof(int32_t), err);
    if (st == GT_OK)
      st = gt_oracle_logit_diff_grads(s->o, ws->x, n, ws->labels, s->cls, mc, s->diff, s->jac, NULL, err);
    if (st == GT_OK) st = choose_in_chunk(s, j0, mc, err);
  }
  if (st == GT_OK) st = gt_fab_upload(s, s->f, s->f_h, n, sizeof(float), err);
  return st;
}

/* Steps 2 and 3: the biased step from the projections of x and x0. */
static gt_status biased_step(fab_state *s, gt_error *err) {
  gt_workset *ws = s->ws;
  gt_backend *be = gt_oracle_backend(s->o);
  const gt_vec_iface *v = gt_oracle_vec(s->o);
  gt_norm norm = s->cfg.norm;
  int64_t n = ws->n, d = ws->d;
  gt_status st = v->project_hyperplane(be, norm, ws->x, s->w, ws->x, s->f, n, d, s->z1, err);
  if (st == GT_OK) st = v->project_hyperplane(be, norm, ws->x0, s->w, ws->x, s->f, n, d, s->z2, err);
  if (st == GT_OK) st = v->norms(be, norm, s->z1, ws->x, n, d, s->ca, err);
  if (st == GT_OK) st = v->norms(be, norm, s->z2, ws->x0, n, d, s->cb, err);
  if (st == GT_OK) st = gt_fab_download(s, s->a1_h, s->ca, n, sizeof(float), err);
  if (st == GT_OK) st = gt_fab_download(s, s->a2_h, s->cb, n, sizeof(float), err);
  if (st != GT_OK) return st;
  for (int64_t i = 0; i < n; i++) {
    float a1 = s->a1_h[i] > FAB_NORM_FLOOR ? s->a1_h[i] : FAB_NORM_FLOOR;
    float a2 = s->a2_h[i] > FAB_NORM_FLOOR ? s->a2_h[i] : FAB_NORM_FLOOR;
    float alpha = a1 / (a1 + a2);
    alpha = alpha > 0.0f ? (alpha < FAB_ALPHA_MAX ? alpha : FAB_ALPHA_MAX) : 0.0f; /* NaN -> 0 */
    s->ca_h[i] = 1.0f - alpha;
    s->cb_h[i] = alpha;
  }
  st = gt_fab_upload(s, s->ca, s->ca_h, n, sizeof(float), err);
  if (st == GT_OK) st = gt_fab_upload(s, s->cb, s->cb_h, n, sizeof(float), err);
  /* z1 = x + eta d1 = (1 - eta) x + eta P(x); z2 likewise from x0. */
  if (st == GT_OK) st = v->axpby(be, s->one_minus_eta, ws->x, s->eta, s->z1, n, d, s->z1, err);
  if (st == GT_OK) st = v->axpby(be, s->one_minus_eta, ws->x0, s->eta, s->z2, n, d, s->z2, err);
  if (st == GT_OK) st = v->axpby(be, s->ca, s->z1, s->cb, s->z2, n, d, ws->x, err);
  if (st == GT_OK) st = v->project(be, GT_NORM_LINF, ws->x, ws->x0, s->box, n, d, ws->x, err);
  return st;
}

/* Step 4: evaluate the new iterates, keep the best, retire, move back. */
static gt_status evaluate(fab_state *s, gt_error *err) {
  gt_workset *ws = s->ws;
  gt_backend *be = gt_oracle_backend(s->o);
  const gt_vec_iface *v = gt_oracle_vec(s->o);
  int64_t n = ws->n, d = ws->d;
  gt_status st = gt_oracle_logits(s->o, ws->x, n, s->logits, err);
  gt_workset_charge(ws, 1, 0);
  if (st == GT_OK) st = gt_workset_check(ws, s->logits, err);
  if (st == GT_OK) st = v->norms(be, s->cfg.norm, ws->x, ws->x0, n, d, s->f, err);
  if (st == GT_OK) st = gt_fab_download(s, s->nrm_h, s->f, n, sizeof(float), err);
  if (st != GT_OK) return st;
  int any_better = 0, any_done = 0;
  for (int64_t i = 0; i < n; i++) {
    int p = ws->pos[i], adv = ws->flags_host[i] != 0;
    float nrm = s->nrm_h[i];
    s->mask_h[i] = adv && nrm < s->best_norm_h[p];
    if (s->mask_h[i]) s->best_norm_h[p] = nrm;
    s->done_h[i] = s->bounded && adv && nrm <= s->cfg.eps;
    s->ca_h[i] = adv ? 1.0f - FAB_BETA : 0.0f;
    s->cb_h[i] = adv ? FAB_BETA : 1.0f;
    any_better |= s->mask_h[i];
    any_done |= s->done_h[i];
  }
  size_t row = (size_t)d * sizeof(float);
  if (any_better) {
    st = gt_fab_upload(s, s->mask, s->mask_h, n, sizeof(int32_t), err);
    if (st == GT_OK) st = v->copy_rows_masked(be, s->mask, ws->x, n, row, s->best, err);
  }
  if (st == GT_OK && any_done) {
    st = gt_workset_retire(ws, s->done_h, ws->x, err);
    int64_t kept = 0;
    for (int64_t i = 0; i < n; i++)
      if (!s->done_h[i]) {
        s->ca_h[kept] = s->ca_h[i];
        s->cb_h[kept] = s->cb_h[i];
        kept++;
      }
    n = kept;
  }
  int any_back = 0;
  for (int64_t i = 0; i < n; i++) any_back |= s->cb_h[i] != 1.0f;
  if (st != GT_OK || !any_back) return st;
  st = gt_fab_upload(s, s->ca, s->ca_h, n, sizeof(float), err);
  if (st == GT_OK) st = gt_fab_upload(s, s->cb, s->cb_h, n, sizeof(float), err);
  if (st == GT_OK) st = v->axpby(be, s->ca, ws->x0, s->cb, ws->x, n, d, ws->x, err);
  return st;
}

gt_status gt_fab_step(fab_state *s, gt_error *err) {
  if (s->ws->n == 0) return GT_OK;
  gt_status st = linearise(s, err);
  if (st == GT_OK) st = biased_step(s, err);
  if (st == GT_OK) st = evaluate(s, err);
  return st;
}

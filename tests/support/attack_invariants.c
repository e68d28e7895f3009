/* Test helper: the invariants of an attack run on a toy point set (see attack_invariants.h). */
#include "support/attack_invariants.h"

#include <math.h>
#include <string.h>

#include "gauntlet/hd/project.h"
#include "gt_test.h"

/* The checks on a broken point i at distance dist whose x_adv re-evaluates to pred. */
static void check_broken(gt_toy *t, const char *what, const gt_attack_result *r, int i, double dist, int32_t pred,
                         const gt_toy_expect *e) {
  const gt_attack_config *c = &r->config;
  GT_CHECK(r->clean_correct[i], "%s: point %d broken but clean-misclassified", what, i);
  if (c->require_target_hit)
    GT_CHECK(pred == r->target[i], "%s: point %d predicted %d, target %d", what, i, pred, r->target[i]);
  else
    GT_CHECK(pred != t->labels[i], "%s: point %d counted broken but re-evaluates to its label", what, i);
  if (e->bound == GT_TOY_BROKEN_WITHIN_EPS && c->eps > 0.0f && isfinite(c->eps))
    GT_CHECK(dist <= (double)c->eps + 1e-6, "%s: point %d at %.9g beyond eps %g", what, i, dist, (double)c->eps);
  if (e->bound == GT_TOY_BROKEN_WITHIN_CAP) {
    GT_CHECK(dist <= e->cap * (1 + 1e-6) + 1e-7, "%s: point %d at %.9g beyond the cap %g", what, i, dist, e->cap);
    GT_CHECK(dist > 0, "%s: point %d broken at distance 0", what, i);
  }
  if (e->norm == GT_TOY_NORM_CLOSE) GT_CHECK_CLOSE(r->norm[i], dist, 1e-6, 1e-6, "reported norm");
  if (e->norm == GT_TOY_NORM_EXACT)
    GT_CHECK(r->norm[i] == (float)dist, "%s: point %d reports norm %.9g, measured %.9g", what, i, (double)r->norm[i],
             dist);
  if (e->bookkeeping) GT_CHECK(pred == r->adv_pred[i], "%s: adv_pred of point %d", what, i);
}

void gt_toy_check_run(gt_toy *t, const char *what, const gt_attack_result *r, const float *x_adv,
                      const gt_toy_expect *e) {
  const gt_attack_config *c = &r->config;
  const int64_t d = t->d, max_fwd = e->scores_only_max_forward;
  if (!GT_CHECK(r->n == GT_TOY_NPTS, "%s: %lld results", what, (long long)r->n)) return;
  GT_CHECK(r->n_robust <= r->n_clean_correct, "%s: robust %lld > clean %lld", what, (long long)r->n_robust,
           (long long)r->n_clean_correct);
  GT_CHECK(r->n_unconfirmed == 0 && r->n_nonfinite == 0 && r->n_over_eps == 0,
           "%s: unconfirmed %lld, non-finite %lld, over eps %lld", what, (long long)r->n_unconfirmed,
           (long long)r->n_nonfinite, (long long)r->n_over_eps);
  if (max_fwd > 0) GT_CHECK(r->total.backward == 0, "%s: %lld backward passes", what, (long long)r->total.backward);
  int32_t pred[GT_TOY_NPTS];
  gt_toy_predict(t, x_adv, GT_TOY_NPTS, pred);
  int64_t robust = 0, fwd = 0, bwd = 0;
  for (int i = 0; i < GT_TOY_NPTS; i++) {
    const float *xa = x_adv + i * d, *x = t->x + i * d;
    double dist = gt_lp_norm_row(c->norm, xa, x, d);
    if (e->bound == GT_TOY_ALL_WITHIN_EPS)
      GT_CHECK(dist <= (double)c->eps + 1e-6, "%s: point %d at distance %.9g > eps %g", what, i, dist, (double)c->eps);
    int in_box = 1;
    for (int64_t j = 0; j < d; j++) in_box &= xa[j] >= 0.0f && xa[j] <= 1.0f;
    GT_CHECK(in_box, "%s: point %d leaves [0,1]", what, i);
    if (r->success[i]) {
      check_broken(t, what, r, i, dist, pred[i], e);
    } else {
      GT_CHECK(memcmp(xa, x, (size_t)d * sizeof(float)) == 0, "%s: unbroken point %d is not returned clean", what, i);
      if (e->unbroken_norm_zero) GT_CHECK(r->norm[i] == 0.0f, "%s: unbroken point %d has a norm", what, i);
    }
    if (e->bookkeeping)
      GT_CHECK(r->clean_correct[i] == (t->labels[i] == r->clean_pred[i]), "%s: clean flag of point %d", what, i);
    if (max_fwd > 0) {
      GT_CHECK(r->backward[i] == 0, "%s: point %d spent backward passes", what, i);
      GT_CHECK(r->forward[i] <= max_fwd, "%s: point %d spent %lld > %lld passes", what, i, (long long)r->forward[i],
               (long long)max_fwd);
    }
    if (!r->clean_correct[i]) GT_CHECK(r->forward[i] == 0, "%s: clean-misclassified point %d was attacked", what, i);
    robust += r->clean_correct[i] && !r->success[i];
    fwd += r->forward[i];
    bwd += r->backward[i];
  }
  GT_CHECK(robust == r->n_robust, "%s: robust count %lld vs %lld", what, (long long)robust, (long long)r->n_robust);
  if (e->bookkeeping) {
    GT_CHECK(fwd <= r->total.forward && bwd <= r->total.backward, "%s: per-point passes exceed the totals", what);
    GT_CHECK(r->total.forward >= fwd + GT_TOY_NPTS, "%s: the clean pass was not counted", what);
  }
}

int gt_toy_same_results(const gt_attack_result *a, const gt_attack_result *b, const float *xa, const float *xb,
                        int64_t d) {
  size_t n = (size_t)a->n;
  return a->n == b->n && !memcmp(a->success, b->success, n * 4) && !memcmp(a->adv_pred, b->adv_pred, n * 4) &&
         !memcmp(a->norm, b->norm, n * 4) && !memcmp(a->forward, b->forward, n * 8) &&
         !memcmp(a->backward, b->backward, n * 8) && !memcmp(a->target, b->target, n * 4) &&
         !memcmp(xa, xb, n * (size_t)d * sizeof(float));
}

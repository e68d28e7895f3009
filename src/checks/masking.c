/* The gradient-masking probes (gauntlet/masking.h): options, argument checks, the model probe's
 * pass over the points, and the threat probe's dispatch to its two attack-based checks.
 *
 * Model probe buffers (B = batch, d = input size, k = classes), reserved once:
 *   device: x [B, d], labels [B] int32, loss [B], grad [B, d], logits [B, k]
 *   host:   first, again [B, k] logits; grad_h [B, d]; loss_h [B]; pred, correct, mark [B] */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/masking_checks.h"
#include "gauntlet/eval.h"
#include "gauntlet/oracle.h"

#define MAX_RANDOM_PASSES 100

void gt_masking_options_default(gt_masking_options *opt) {
  memset(opt, 0, sizeof *opt);
  opt->n_points = 200;
  opt->random_passes = 3;
  opt->random_tol = 1e-4f;
  opt->prob_share = 0.99;
  opt->prob_tol = 1e-3f;
  opt->zero_grad_share = 0.10;
  opt->unbounded = 1;
  opt->unbounded_points = 100;
  opt->unbounded_attack = "apgd-ce";
  opt->unbounded_steps = 100;
  opt->unbounded_max_acc = 0.10;
  opt->check_iterations = 0;
  opt->n_iteration_attacks = 1;
  opt->iteration_attacks[0] = "apgd-ce";
  opt->iteration_steps = 0;
  opt->iteration_points = 100;
  opt->iteration_max_change = 0.02;
}

void gt_masking_flag_set(gt_flag *f, gt_flag_kind kind, double evidence, double threshold, const char *fmt, ...) {
  memset(f, 0, sizeof *f);
  f->kind = kind;
  f->evidence = evidence;
  f->threshold = threshold;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(f->detail, sizeof f->detail, fmt, ap);
  va_end(ap);
}

gt_attack_points gt_masking_threat_points(const gt_attack_points *pts, const gt_masking_options *opt,
                                          int64_t check_cap) {
  gt_attack_points sub = *pts;
  if (opt->n_points < sub.n) sub.n = opt->n_points;
  if (check_cap < sub.n) sub.n = check_cap;
  sub.targets = NULL;
  return sub;
}

static int share_ok(double v) { return v >= 0.0 && v <= 1.0; }

static gt_status check_options(const gt_masking_options *o, gt_error *err) {
  if (o->n_points < 1)
    return gt_error_set(err, GT_ERR_USAGE, "masking probe: n_points = %lld, need >= 1", (long long)o->n_points);
  if (o->batch < 0)
    return gt_error_set(err, GT_ERR_USAGE, "masking probe: batch = %lld, need >= 0", (long long)o->batch);
  if (o->random_passes < 2 || o->random_passes > MAX_RANDOM_PASSES)
    return gt_error_set(err, GT_ERR_USAGE, "masking probe: random_passes = %d, need 2..%d", o->random_passes,
                        MAX_RANDOM_PASSES);
  if (!(o->random_tol >= 0.0f && isfinite(o->random_tol)) || !(o->prob_tol >= 0.0f && isfinite(o->prob_tol)))
    return gt_error_set(err, GT_ERR_USAGE,
                        "masking probe: tolerances must be finite and >= 0 (random_tol %g, prob_tol %g)",
                        (double)o->random_tol, (double)o->prob_tol);
  if (!share_ok(o->prob_share) || !share_ok(o->zero_grad_share) || !share_ok(o->unbounded_max_acc) ||
      !share_ok(o->iteration_max_change))
    return gt_error_set(err, GT_ERR_USAGE,
                        "masking probe: shares must be in [0,1] (prob_share %g, zero_grad_share %g, unbounded_max_acc "
                        "%g, iteration_max_change %g)",
                        o->prob_share, o->zero_grad_share, o->unbounded_max_acc, o->iteration_max_change);
  if (o->unbounded && (!o->unbounded_attack || o->unbounded_steps < 1 || o->unbounded_points < 1))
    return gt_error_set(err, GT_ERR_USAGE,
                        "masking probe: the unbounded check needs an attack, steps >= 1 and points >= 1");
  if (o->check_iterations) {
    if (o->n_iteration_attacks < 1 || o->n_iteration_attacks > GT_MASKING_MAX_ATTACKS)
      return gt_error_set(err, GT_ERR_USAGE, "masking probe: %d iteration attacks, need 1..%d", o->n_iteration_attacks,
                          GT_MASKING_MAX_ATTACKS);
    for (int i = 0; i < o->n_iteration_attacks; i++)
      if (!o->iteration_attacks[i])
        return gt_error_set(err, GT_ERR_USAGE, "masking probe: iteration attack %d has no name", i);
    if (o->iteration_steps < 0 || o->iteration_points < 1)
      return gt_error_set(err, GT_ERR_USAGE, "masking probe: iteration_steps = %d, iteration_points = %lld",
                          o->iteration_steps, (long long)o->iteration_points);
  }
  return GT_OK;
}

static gt_status check_args(gt_model *model, const gt_attack_points *pts, const gt_masking_options *opt,
                            const gt_flag *flags, int cap, const int *n_flags, gt_error *err) {
  if (!model || !pts || !opt || !n_flags || (cap > 0 && !flags))
    return gt_error_set(err, GT_ERR_USAGE, "masking probe: model, points, options and the flag array are required");
  if (*n_flags < 0 || *n_flags > cap)
    return gt_error_set(err, GT_ERR_USAGE, "masking probe: %d flags already in an array of %d", *n_flags, cap);
  if (pts->n < 1 || !pts->x || !pts->labels)
    return gt_error_set(err, GT_ERR_USAGE, "masking probe: %lld points; need at least one, with images and labels",
                        (long long)pts->n);
  int k = gt_model_num_classes(model);
  for (int64_t i = 0; i < pts->n; i++)
    if (pts->labels[i] < 0 || pts->labels[i] >= k)
      return gt_error_set(err, GT_ERR_USAGE, "masking probe: point %lld has label %d, the model has %d classes",
                          (long long)i, (int)pts->labels[i], k);
  return check_options(opt, err);
}

static gt_status push_flag(const gt_flag *f, gt_flag *flags, int cap, int *n_flags, gt_error *err) {
  if (*n_flags >= cap)
    return gt_error_set(err, GT_ERR_LIMIT, "masking probe: flag '%s' fired but the flag array (%d) is full",
                        gt_flag_name(f->kind), cap);
  flags[(*n_flags)++] = *f;
  return GT_OK;
}

typedef struct probe_bufs {
  gt_backend *be;
  float *x, *loss, *grad, *logits;
  int32_t *labels;
  float *first, *again, *grad_h, *loss_h;
  int32_t *pred, *correct, *mark;
} probe_bufs;

static void bufs_free(probe_bufs *b) {
  gt_backend *be = b->be;
  if (be) {
    if (b->x) be->iface->buffer_free(be, b->x);
    if (b->loss) be->iface->buffer_free(be, b->loss);
    if (b->grad) be->iface->buffer_free(be, b->grad);
    if (b->logits) be->iface->buffer_free(be, b->logits);
    if (b->labels) be->iface->buffer_free(be, b->labels);
  }
  free(b->first);
  free(b->again);
  free(b->grad_h);
  free(b->loss_h);
  free(b->pred);
  free(b->correct);
  free(b->mark);
}

static gt_status bufs_alloc(probe_bufs *b, gt_backend *be, int64_t batch, int64_t d, int k, gt_error *err) {
  memset(b, 0, sizeof *b);
  b->be = be;
  size_t bd = (size_t)(batch * d), bk = (size_t)batch * (size_t)k, bn = (size_t)batch;
  gt_status st = be->iface->buffer_alloc(be, bd * sizeof(float), (void **)&b->x, err);
  if (st == GT_OK) st = be->iface->buffer_alloc(be, bd * sizeof(float), (void **)&b->grad, err);
  if (st == GT_OK) st = be->iface->buffer_alloc(be, bn * sizeof(float), (void **)&b->loss, err);
  if (st == GT_OK) st = be->iface->buffer_alloc(be, bk * sizeof(float), (void **)&b->logits, err);
  if (st == GT_OK) st = be->iface->buffer_alloc(be, bn * sizeof(int32_t), (void **)&b->labels, err);
  if (st != GT_OK) return st;
  b->first = malloc(bk * sizeof(float));
  b->again = malloc(bk * sizeof(float));
  b->grad_h = malloc(bd * sizeof(float));
  b->loss_h = malloc(bn * sizeof(float));
  b->pred = malloc(bn * sizeof(int32_t));
  b->correct = malloc(bn * sizeof(int32_t));
  b->mark = malloc(bn * sizeof(int32_t));
  if (!b->first || !b->again || !b->grad_h || !b->loss_h || !b->pred || !b->correct || !b->mark)
    return gt_error_set(err, GT_ERR_MEMORY, "masking probe: out of memory for a batch of %lld points",
                        (long long)batch);
  return GT_OK;
}

typedef struct model_accs {
  gt_randomness_acc rnd;
  gt_probabilities_acc prob;
  gt_zero_grad_acc zero;
  gt_nonfinite_acc nonfinite;
} model_accs;

/* One batch of m points at row `start`: a CE gradient query, then random_passes - 1 forward passes. */
static gt_status probe_batch(gt_oracle *o, probe_bufs *b, const gt_attack_points *pts, int64_t start, int64_t m,
                             const gt_masking_options *opt, model_accs *acc, gt_error *err) {
  gt_backend *be = b->be;
  int64_t d = gt_oracle_input_numel(o);
  int k = gt_oracle_num_classes(o);
  size_t bd = (size_t)(m * d) * sizeof(float), bk = (size_t)m * (size_t)k * sizeof(float);
  gt_status st = be->iface->copy_to_device(be, b->x, pts->x + start * d, bd, err);
  if (st == GT_OK) st = be->iface->copy_to_device(be, b->labels, pts->labels + start, (size_t)m * sizeof(int32_t), err);
  if (st == GT_OK) st = gt_oracle_loss_grad(o, b->x, m, GT_LOSS_CE, b->labels, NULL, b->loss, b->grad, b->logits, err);
  if (st == GT_OK) st = be->iface->copy_to_host(be, b->first, b->logits, bk, err);
  if (st == GT_OK) st = be->iface->copy_to_host(be, b->grad_h, b->grad, bd, err);
  if (st == GT_OK) st = be->iface->copy_to_host(be, b->loss_h, b->loss, (size_t)m * sizeof(float), err);
  if (st != GT_OK) return st;
  gt_argmax_rows(b->first, m, k, b->pred);
  for (int64_t i = 0; i < m; i++) b->correct[i] = b->pred[i] == pts->labels[start + i];
  gt_probabilities_add(&acc->prob, b->first, m, k, opt->prob_tol);
  gt_zero_grad_add(&acc->zero, b->grad_h, b->correct, m, d);
  gt_nonfinite_add(&acc->nonfinite, b->loss_h, b->grad_h, m, d);
  memset(b->mark, 0, (size_t)m * sizeof(int32_t));
  for (int p = 1; p < opt->random_passes; p++) {
    st = gt_oracle_logits(o, b->x, m, b->logits, err);
    if (st == GT_OK) st = be->iface->copy_to_host(be, b->again, b->logits, bk, err);
    if (st != GT_OK) return st;
    gt_randomness_compare(&acc->rnd, b->first, b->again, m, k, opt->random_tol, b->mark);
  }
  gt_randomness_count(&acc->rnd, b->mark, m);
  return GT_OK;
}

gt_status gt_masking_probe_model(gt_model *model, const gt_attack_points *pts, const gt_masking_options *opt,
                                 gt_flag *flags, int cap, int *n_flags, gt_error *err) {
  gt_status st = check_args(model, pts, opt, flags, cap, n_flags, err);
  if (st != GT_OK) return st;
  gt_oracle *o = NULL;
  st = gt_oracle_create(model, 1, &o, err);
  if (st != GT_OK) return st;
  int64_t n = pts->n < opt->n_points ? pts->n : opt->n_points;
  int64_t batch = gt_oracle_max_batch(o);
  if (opt->batch > 0 && opt->batch < batch) batch = opt->batch;
  probe_bufs b;
  st = bufs_alloc(&b, gt_oracle_backend(o), batch, gt_oracle_input_numel(o), gt_oracle_num_classes(o), err);
  model_accs acc;
  memset(&acc, 0, sizeof acc);
  for (int64_t start = 0; st == GT_OK && start < n; start += batch)
    st = probe_batch(o, &b, pts, start, n - start < batch ? n - start : batch, opt, &acc, err);
  bufs_free(&b);
  gt_oracle_free(o);
  if (st != GT_OK) return err ? gt_error_prefix(err, "masking probe: ") : st;
  gt_flag f;
  if (gt_randomness_flag(&acc.rnd, opt->random_passes, opt->random_tol, &f) &&
      (st = push_flag(&f, flags, cap, n_flags, err)) != GT_OK)
    return st;
  if (gt_probabilities_flag(&acc.prob, opt->prob_share, opt->prob_tol, &f) &&
      (st = push_flag(&f, flags, cap, n_flags, err)) != GT_OK)
    return st;
  if (gt_zero_grad_flag(&acc.zero, opt->zero_grad_share, &f) && (st = push_flag(&f, flags, cap, n_flags, err)) != GT_OK)
    return st;
  if (gt_nonfinite_flag(&acc.nonfinite, &f) && (st = push_flag(&f, flags, cap, n_flags, err)) != GT_OK) return st;
  return GT_OK;
}

gt_status gt_masking_probe_threat(gt_model *model, const gt_attack_points *pts, gt_norm norm, float eps,
                                  const gt_masking_options *opt, gt_flag *flags, int cap, int *n_flags,
                                  gt_error *err) {
  gt_status st = check_args(model, pts, opt, flags, cap, n_flags, err);
  if (st != GT_OK) return st;
  if ((int)norm < 0 || norm >= GT_NORM_COUNT)
    return gt_error_set(err, GT_ERR_USAGE, "masking probe: unknown norm %d", (int)norm);
  if (!(eps >= 0.0f && isfinite(eps)))
    return gt_error_set(err, GT_ERR_USAGE, "masking probe: eps = %g, need a finite eps >= 0", (double)eps);
  gt_flag f;
  int fired = 0;
  if (opt->unbounded) {
    st = gt_unbounded_check(model, pts, norm, opt, &f, &fired, err);
    if (st == GT_OK && fired) st = push_flag(&f, flags, cap, n_flags, err);
    if (st != GT_OK) return st;
  }
  if (opt->check_iterations) {
    fired = 0;
    st = gt_iterations_check(model, pts, norm, eps, opt, &f, &fired, err);
    if (st == GT_OK && fired) st = push_flag(&f, flags, cap, n_flags, err);
    if (st != GT_OK) return st;
  }
  return GT_OK;
}

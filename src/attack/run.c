/* The attack run loop (gauntlet/attack.h): batches of host points go to the device, are evaluated
 * clean, get their target classes, and are attacked rank by rank and restart by restart on the
 * points still robust only (gather -> attack -> scatter back). Every returned x_adv is then
 * re-evaluated and measured on the host.
 *
 * Buffers (B = batch, d = input size, k = classes), all reserved once per run:
 *   device: x, x_adv, cx, cx_adv [B, d]; logits [B, k]; cl, ct [B] int32; cids [B] int64;
 *           idx, idx2 [B] int32
 *   host:   logits_h [B, k]; ranks_h [B, R+1]; per-row scratch of the compact batch. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gauntlet/attack.h"
#include "gauntlet/hd/logits.h"
#include "gauntlet/hd/project.h"
#include "gauntlet/hd/rng.h"

/* Default number of target ranks for GT_TARGET_TOP (AutoAttack's APGD-T / FAB-T). */
#define GT_DEFAULT_TARGET_RANKS 9
/* Slack of the eps check on returned points: float rounding of the projections. */
#define GT_EPS_REL_SLACK 1e-5
#define GT_EPS_ABS_SLACK 1e-6

typedef struct run_ctx {
  const gt_attack *attack;
  gt_attack_config cfg;
  gt_oracle *o;
  gt_backend *be;
  const gt_vec_iface *vec;
  void *state;
  int64_t batch, d;
  int k, n_ranks, rank_cols;
  /* device */
  float *x, *x_adv, *cx, *cx_adv, *logits;
  int32_t *cl, *ct, *idx, *idx2;
  int64_t *cids;
  /* host */
  float *logits_h, *xadv_h;
  int32_t *ranks_h, *tgt_h, *act_h, *cl_h, *ct_h, *succ_h, *broken_h, *used_h, *tmp_h;
  int64_t *ids_h, *cids_h, *fwd_h, *bwd_h;
} run_ctx;

void gt_attack_result_free(gt_attack_result *res) {
  if (!res) return;
  free(res->clean_pred);
  free(res->clean_correct);
  free(res->success);
  free(res->adv_pred);
  free(res->target);
  free(res->norm);
  free(res->forward);
  free(res->backward);
  memset(res, 0, sizeof *res);
}

static gt_status result_alloc(gt_attack_result *res, int64_t n, gt_error *err) {
  size_t m = (size_t)(n > 0 ? n : 1);
  res->n = n;
  res->clean_pred = calloc(m, sizeof(int32_t));
  res->clean_correct = calloc(m, sizeof(int32_t));
  res->success = calloc(m, sizeof(int32_t));
  res->adv_pred = calloc(m, sizeof(int32_t));
  res->target = calloc(m, sizeof(int32_t));
  res->norm = calloc(m, sizeof(float));
  res->forward = calloc(m, sizeof(int64_t));
  res->backward = calloc(m, sizeof(int64_t));
  if (!res->clean_pred || !res->clean_correct || !res->success || !res->adv_pred || !res->target || !res->norm ||
      !res->forward || !res->backward)
    return gt_error_set(err, GT_ERR_MEMORY, "out of memory for the results of %lld points", (long long)n);
  return GT_OK;
}

static gt_loss_kind targeted_twin(gt_loss_kind kind) {
  switch (kind) {
    case GT_LOSS_CE: return GT_LOSS_CE_TARGETED;
    case GT_LOSS_DLR: return GT_LOSS_DLR_TARGETED;
    case GT_LOSS_CW: return GT_LOSS_CW_TARGETED;
    default: return kind;
  }
}

/* The checks and defaults every attack shares; then the attack's own resolve(). */
static gt_status resolve_config(const gt_attack *a, gt_attack_config *cfg, const gt_oracle *o,
                                const gt_attack_points *pts, gt_error *err) {
  int k = gt_oracle_num_classes(o);
  if ((int)cfg->norm < 0 || cfg->norm >= GT_NORM_COUNT)
    return gt_error_set(err, GT_ERR_USAGE, "%s: unknown norm %d", a->name, (int)cfg->norm);
  if (!(a->norms & GT_NORM_BIT(cfg->norm))) {
    char list[64] = "";
    for (int nm = 0; nm < GT_NORM_COUNT; nm++)
      if (a->norms & GT_NORM_BIT(nm)) {
        if (list[0]) strcat(list, ", ");
        strcat(list, gt_norm_name((gt_norm)nm));
      }
    return gt_error_set(err, GT_ERR_USAGE, "attack %s does not support the %s norm (it supports %s)", a->name,
                        gt_norm_name(cfg->norm), list);
  }
  if (a->goal == GT_GOAL_BOUNDED && !(cfg->eps >= 0.0f && isfinite(cfg->eps)))
    return gt_error_set(err, GT_ERR_USAGE, "%s: eps = %g; a bounded attack needs a finite eps >= 0", a->name,
                        (double)cfg->eps);
  if (cfg->restarts == 0) cfg->restarts = 1;
  if (cfg->restarts < 0) return gt_error_set(err, GT_ERR_USAGE, "%s: %d restarts", a->name, cfg->restarts);
  int64_t max_batch = gt_oracle_max_batch(o);
  if (cfg->batch <= 0 || cfg->batch > max_batch) cfg->batch = max_batch;
  if (cfg->targeted == GT_TARGET_NONE) cfg->targeted = a->default_target;
  if ((int)cfg->targeted < GT_TARGET_NONE || cfg->targeted > GT_TARGET_TOP)
    return gt_error_set(err, GT_ERR_USAGE, "%s: unknown target mode %d", a->name, (int)cfg->targeted);
  if (cfg->targeted != GT_TARGET_NONE && !a->targeted)
    return gt_error_set(err, GT_ERR_USAGE, "attack %s has no targeted mode (asked: %s)", a->name,
                        gt_target_mode_name(cfg->targeted));
  if (cfg->targeted == GT_TARGET_GIVEN && pts->n > 0 && !pts->targets)
    return gt_error_set(err, GT_ERR_USAGE, "%s: target mode 'given' but no target classes were given", a->name);
  if (cfg->targeted == GT_TARGET_TOP) {
    if (cfg->n_target_ranks < 0) return gt_error_set(err, GT_ERR_USAGE, "%s: %d target ranks", a->name, cfg->n_target_ranks);
    if (cfg->n_target_ranks == 0) cfg->n_target_ranks = GT_DEFAULT_TARGET_RANKS;
    if (cfg->n_target_ranks > k - 1) cfg->n_target_ranks = k - 1;
  } else {
    cfg->n_target_ranks = 1;
  }
  if ((int64_t)cfg->restarts * cfg->n_target_ranks > (int64_t)GT_RNG_MAX_RESTART + 1)
    return gt_error_set(err, GT_ERR_LIMIT, "%s: %d restarts x %d target ranks is beyond %u runs per point", a->name,
                        cfg->restarts, cfg->n_target_ranks, GT_RNG_MAX_RESTART + 1);
  if (cfg->targeted == GT_TARGET_NONE) cfg->require_target_hit = 0;
  if ((int)cfg->loss < 0 || cfg->loss >= GT_LOSS_COUNT)
    return gt_error_set(err, GT_ERR_USAGE, "%s: unknown loss kind %d", a->name, (int)cfg->loss);
  if (cfg->targeted != GT_TARGET_NONE) cfg->loss = targeted_twin(cfg->loss);
  else if (gt_loss_is_targeted(cfg->loss))
    return gt_error_set(err, GT_ERR_USAGE, "%s: the %s loss needs a targeted mode", a->name, gt_loss_name(cfg->loss));
  if (k < gt_loss_min_classes(cfg->loss))
    return gt_error_set(err, GT_ERR_USAGE, "%s: the %s loss needs at least %d classes, the model has %d", a->name,
                        gt_loss_name(cfg->loss), gt_loss_min_classes(cfg->loss), k);
  if (cfg->eot == 0) cfg->eot = 1;
  if (cfg->eot != gt_oracle_eot(o))
    return gt_error_set(err, GT_ERR_USAGE, "%s: EOT %d asked, the oracle averages %d passes", a->name, cfg->eot,
                        gt_oracle_eot(o));
  return a->resolve ? a->resolve(cfg, err) : GT_OK;
}

static gt_status check_points(const gt_attack_points *pts, int k, gt_error *err) {
  if (pts->n < 0) return gt_error_set(err, GT_ERR_USAGE, "%lld points", (long long)pts->n);
  if (pts->n > 0 && (!pts->x || !pts->labels)) return gt_error_set(err, GT_ERR_USAGE, "points without images or labels");
  for (int64_t i = 0; i < pts->n; i++) {
    if (pts->labels[i] < 0 || pts->labels[i] >= k)
      return gt_error_set(err, GT_ERR_USAGE, "point %lld: label %d is outside 0..%d", (long long)i,
                          (int)pts->labels[i], k - 1);
    if (pts->ids && (pts->ids[i] < 0 || (uint64_t)pts->ids[i] > GT_RNG_MAX_SAMPLE))
      return gt_error_set(err, GT_ERR_USAGE, "point %lld: sample id %lld is outside 0..2^32-1", (long long)i,
                          (long long)pts->ids[i]);
    if (pts->targets && (pts->targets[i] < 0 || pts->targets[i] >= k))
      return gt_error_set(err, GT_ERR_USAGE, "point %lld: target %d is outside 0..%d", (long long)i,
                          (int)pts->targets[i], k - 1);
  }
  return GT_OK;
}

static void ctx_free(run_ctx *c) {
  void *dev[] = {c->x, c->x_adv, c->cx, c->cx_adv, c->logits, c->cl, c->ct, c->idx, c->idx2, c->cids};
  for (size_t i = 0; i < sizeof dev / sizeof dev[0]; i++)
    if (dev[i]) c->be->iface->buffer_free(c->be, dev[i]);
  void *host[] = {c->logits_h, c->xadv_h, c->ranks_h, c->tgt_h, c->act_h, c->cl_h,  c->ct_h,   c->succ_h,
                  c->broken_h, c->used_h, c->tmp_h,   c->ids_h, c->cids_h, c->fwd_h, c->bwd_h};
  for (size_t i = 0; i < sizeof host / sizeof host[0]; i++) free(host[i]);
  if (c->state && c->attack->destroy) c->attack->destroy(c->state);
}

static gt_status dev_alloc(run_ctx *c, size_t bytes, void **out, gt_error *err) {
  return c->be->iface->buffer_alloc(c->be, bytes ? bytes : 1, out, err);
}

static gt_status ctx_alloc(run_ctx *c, gt_error *err) {
  size_t b = (size_t)c->batch, rows = b * (size_t)c->d * sizeof(float);
  gt_status st = dev_alloc(c, rows, (void **)&c->x, err);
  if (st == GT_OK) st = dev_alloc(c, rows, (void **)&c->x_adv, err);
  if (st == GT_OK) st = dev_alloc(c, rows, (void **)&c->cx, err);
  if (st == GT_OK) st = dev_alloc(c, rows, (void **)&c->cx_adv, err);
  if (st == GT_OK) st = dev_alloc(c, b * (size_t)c->k * sizeof(float), (void **)&c->logits, err);
  if (st == GT_OK) st = dev_alloc(c, b * sizeof(int32_t), (void **)&c->cl, err);
  if (st == GT_OK) st = dev_alloc(c, b * sizeof(int32_t), (void **)&c->ct, err);
  if (st == GT_OK) st = dev_alloc(c, b * sizeof(int32_t), (void **)&c->idx, err);
  if (st == GT_OK) st = dev_alloc(c, b * sizeof(int32_t), (void **)&c->idx2, err);
  if (st == GT_OK) st = dev_alloc(c, b * sizeof(int64_t), (void **)&c->cids, err);
  if (st != GT_OK) return st;
  c->logits_h = malloc(b * (size_t)c->k * sizeof(float));
  c->xadv_h = malloc(rows);
  c->ranks_h = malloc(b * (size_t)c->rank_cols * sizeof(int32_t));
  c->tgt_h = malloc(b * sizeof(int32_t));
  c->act_h = malloc(b * sizeof(int32_t));
  c->cl_h = malloc(b * sizeof(int32_t));
  c->ct_h = malloc(b * sizeof(int32_t));
  c->succ_h = malloc(b * sizeof(int32_t));
  c->broken_h = malloc(b * sizeof(int32_t));
  c->used_h = malloc(b * sizeof(int32_t));
  c->tmp_h = malloc(b * sizeof(int32_t));
  c->ids_h = malloc(b * sizeof(int64_t));
  c->cids_h = malloc(b * sizeof(int64_t));
  c->fwd_h = malloc(b * sizeof(int64_t));
  c->bwd_h = malloc(b * sizeof(int64_t));
  if (!c->logits_h || !c->xadv_h || !c->ranks_h || !c->tgt_h || !c->act_h || !c->cl_h || !c->ct_h || !c->succ_h ||
      !c->broken_h || !c->used_h || !c->tmp_h || !c->ids_h || !c->cids_h || !c->fwd_h || !c->bwd_h)
    return gt_error_set(err, GT_ERR_MEMORY, "out of memory for a batch of %lld points", (long long)c->batch);
  return GT_OK;
}

static gt_status to_dev(run_ctx *c, void *dst, const void *src, size_t bytes, gt_error *err) {
  return c->be->iface->copy_to_device(c->be, dst, src, bytes, err);
}

static gt_status to_host(run_ctx *c, void *dst, const void *src, size_t bytes, gt_error *err) {
  return c->be->iface->copy_to_host(c->be, dst, src, bytes, err);
}

/* Target of chunk row i for rank r (untargeted: -1; no usable target: -2). */
static int32_t pick_target(const run_ctx *c, const gt_attack_points *pts, int64_t start, int64_t i, int rank) {
  int32_t y = pts->labels[start + i];
  int32_t t = -1;
  switch (c->cfg.targeted) {
    case GT_TARGET_NONE: return -1;
    case GT_TARGET_GIVEN: t = pts->targets[start + i]; break;
    case GT_TARGET_RANDOM: {
      gt_rng_site site = {c->cfg.seed, GT_RNG_STREAM_TARGET, 0, 0, (uint64_t)c->ids_h[i]};
      uint32_t w[4];
      gt_rng_block(&site, 0, w);
      t = (int32_t)gt_rng_below(w[0], (uint32_t)(c->k - 1));
      if (t >= y) t++;
      break;
    }
    case GT_TARGET_LEAST_LIKELY: t = gt_logits_argmin(c->logits_h + i * c->k, c->k); break;
    case GT_TARGET_TOP: t = c->ranks_h[i * c->rank_cols + rank + 1]; break;
  }
  return (t < 0 || t == y) ? -2 : t;
}

/* One restart of one rank on the chunk's still-robust rows; targets in tgt_h. */
static gt_status attack_round(run_ctx *c, const gt_attack_points *pts, int64_t m, int64_t start, uint32_t restart,
                              gt_attack_result *res, gt_error *err) {
  int targeted = c->cfg.targeted != GT_TARGET_NONE;
  int64_t n = 0;
  for (int64_t i = 0; i < m; i++)
    if (res->clean_correct[start + i] && !c->broken_h[i] && c->tgt_h[i] != -2) {
      c->act_h[n] = (int32_t)i;
      c->cl_h[n] = pts->labels[start + i];
      c->ct_h[n] = c->tgt_h[i];
      c->cids_h[n] = c->ids_h[i];
      n++;
    }
  if (n == 0) return GT_OK;
  size_t row = (size_t)c->d * sizeof(float);
  gt_status st = to_dev(c, c->idx, c->act_h, (size_t)n * sizeof(int32_t), err);
  if (st == GT_OK) st = c->vec->gather_rows(c->be, c->x, m, c->idx, n, row, c->cx, err);
  if (st == GT_OK) st = to_dev(c, c->cl, c->cl_h, (size_t)n * sizeof(int32_t), err);
  if (st == GT_OK && targeted) st = to_dev(c, c->ct, c->ct_h, (size_t)n * sizeof(int32_t), err);
  if (st == GT_OK) st = to_dev(c, c->cids, c->cids_h, (size_t)n * sizeof(int64_t), err);
  if (st != GT_OK) return st;
  memset(c->succ_h, 0, (size_t)n * sizeof(int32_t));
  memset(c->fwd_h, 0, (size_t)n * sizeof(int64_t));
  memset(c->bwd_h, 0, (size_t)n * sizeof(int64_t));
  gt_attack_batch batch = {
      .n = n,
      .d = c->d,
      .x = c->cx,
      .labels = c->cl,
      .targets = targeted ? c->ct : NULL,
      .hit = targeted && c->cfg.require_target_hit ? c->ct : NULL,
      .sample_ids = c->cids,
      .restart = restart,
      .x_adv = c->cx_adv,
      .success = c->succ_h,
      .forward = c->fwd_h,
      .backward = c->bwd_h,
  };
  st = c->attack->run(c->state, c->o, &batch, err);
  if (st != GT_OK) return gt_error_prefix(err, "%s: ", c->attack->name);
  /* Scatter the broken rows back: compact rows s -> chunk rows act[s]. */
  int64_t n_ok = 0;
  for (int64_t j = 0; j < n; j++) {
    int64_t p = start + c->act_h[j];
    res->forward[p] += c->fwd_h[j];
    res->backward[p] += c->bwd_h[j];
    if (!c->succ_h[j]) continue;
    c->tmp_h[n_ok] = (int32_t)j;
    c->act_h[n_ok] = c->act_h[j]; /* j >= n_ok: entries not yet read are never overwritten */
    c->broken_h[c->act_h[j]] = 1;
    c->used_h[c->act_h[j]] = targeted ? c->ct_h[j] : -1;
    n_ok++;
  }
  if (n_ok == 0) return GT_OK;
  st = to_dev(c, c->idx, c->tmp_h, (size_t)n_ok * sizeof(int32_t), err);
  if (st == GT_OK) st = to_dev(c, c->idx2, c->act_h, (size_t)n_ok * sizeof(int32_t), err);
  if (st == GT_OK) st = c->vec->gather_rows(c->be, c->cx_adv, n, c->idx, n_ok, row, c->cx, err);
  if (st == GT_OK) st = c->vec->scatter_rows(c->be, c->cx, c->idx2, n_ok, row, c->x_adv, m, err);
  return st;
}

/* Re-evaluates the chunk's x_adv, keeps confirmed successes, measures them on the host. */
static gt_status finish_chunk(run_ctx *c, const gt_attack_points *pts, int64_t start, int64_t m, float *x_adv_out,
                              gt_attack_result *res, gt_error *err) {
  int64_t d = c->d;
  int any = 0;
  for (int64_t i = 0; i < m; i++) any |= c->broken_h[i];
  gt_status st = GT_OK;
  if (any) {
    st = gt_oracle_logits(c->o, c->x_adv, m, c->logits, err);
    if (st == GT_OK) st = to_host(c, c->logits_h, c->logits, (size_t)(m * c->k) * sizeof(float), err);
  }
  float *xa = x_adv_out ? x_adv_out + start * d : c->xadv_h;
  if (st == GT_OK) st = to_host(c, xa, c->x_adv, (size_t)(m * d) * sizeof(float), err);
  if (st != GT_OK) return st;
  for (int64_t i = 0; i < m; i++) {
    int64_t p = start + i;
    const float *x = pts->x + p * d;
    float *row = xa + i * d;
    res->adv_pred[p] = res->clean_pred[p];
    res->target[p] = -1;
    if (c->broken_h[i]) {
      int pred = gt_logits_argmax(c->logits_h + i * c->k, c->k);
      int t = c->used_h[i];
      int ok = c->cfg.require_target_hit && t >= 0 ? pred == t : pred != pts->labels[p];
      if (ok) {
        res->success[p] = 1;
        res->adv_pred[p] = pred;
        res->target[p] = t;
        res->norm[p] = (float)gt_lp_norm_row(c->cfg.norm, row, x, d);
        if (!(res->norm[p] <= res->max_norm)) res->max_norm = res->norm[p];
        double limit = (double)c->cfg.eps * (1.0 + GT_EPS_REL_SLACK) + GT_EPS_ABS_SLACK;
        /* Bounded attacks, and minimum-norm attacks capped by a finite eps > 0, must stay within eps. */
        int capped = c->attack->goal == GT_GOAL_BOUNDED || (c->cfg.eps > 0.0f && isfinite(c->cfg.eps));
        if (capped && !((double)res->norm[p] <= limit)) res->n_over_eps++;
      } else {
        res->n_unconfirmed++;
      }
    }
    int nonfinite = 0;
    for (int64_t j = 0; j < d; j++) nonfinite |= !isfinite(row[j]);
    res->n_nonfinite += nonfinite;
    if (!res->success[p]) memcpy(row, x, (size_t)d * sizeof(float));
    if (res->clean_correct[p] && !res->success[p]) res->n_robust++;
  }
  return GT_OK;
}

static gt_status run_chunk(run_ctx *c, const gt_attack_points *pts, int64_t start, int64_t m, float *x_adv_out,
                           gt_attack_result *res, gt_error *err) {
  int64_t d = c->d;
  int k = c->k;
  for (int64_t i = 0; i < m; i++) c->ids_h[i] = pts->ids ? pts->ids[start + i] : start + i;
  gt_status st = to_dev(c, c->x, pts->x + start * d, (size_t)(m * d) * sizeof(float), err);
  if (st == GT_OK) st = gt_oracle_logits(c->o, c->x, m, c->logits, err);
  if (st == GT_OK) st = to_host(c, c->logits_h, c->logits, (size_t)(m * k) * sizeof(float), err);
  if (st == GT_OK) st = c->be->iface->copy_device(c->be, c->x_adv, c->x, (size_t)(m * d) * sizeof(float), err);
  if (st != GT_OK) return st;
  for (int64_t i = 0; i < m; i++) {
    const float *z = c->logits_h + i * k;
    res->clean_pred[start + i] = gt_logits_argmax(z, k);
    res->clean_correct[start + i] = res->clean_pred[start + i] == pts->labels[start + i];
    res->n_clean_correct += res->clean_correct[start + i];
    if (c->cfg.targeted == GT_TARGET_TOP) gt_logits_topk(z, k, c->rank_cols, c->ranks_h + i * c->rank_cols);
    c->broken_h[i] = 0;
    c->used_h[i] = -1;
  }
  for (int rank = 0; rank < c->cfg.n_target_ranks; rank++) {
    for (int64_t i = 0; i < m; i++) c->tgt_h[i] = pick_target(c, pts, start, i, rank);
    for (int r = 0; r < c->cfg.restarts; r++) {
      uint32_t restart = (uint32_t)rank * (uint32_t)c->cfg.restarts + (uint32_t)r;
      st = attack_round(c, pts, m, start, restart, res, err);
      if (st != GT_OK) return st;
    }
  }
  return finish_chunk(c, pts, start, m, x_adv_out, res, err);
}

gt_status gt_attack_run_oracle(const gt_attack *attack, const gt_attack_config *cfg, gt_oracle *oracle,
                               const gt_attack_points *pts, float *x_adv, gt_attack_result *res, gt_error *err) {
  if (!attack || !cfg || !oracle || !pts || !res)
    return gt_error_set(err, GT_ERR_USAGE, "gt_attack_run_oracle: NULL argument");
  memset(res, 0, sizeof *res);
  run_ctx c;
  memset(&c, 0, sizeof c);
  c.attack = attack;
  c.cfg = *cfg;
  c.o = oracle;
  c.be = gt_oracle_backend(oracle);
  c.vec = gt_oracle_vec(oracle);
  c.d = gt_oracle_input_numel(oracle);
  c.k = gt_oracle_num_classes(oracle);
  gt_status st = check_points(pts, c.k, err);
  if (st == GT_OK) st = resolve_config(attack, &c.cfg, oracle, pts, err);
  if (st != GT_OK) return st;
  c.batch = c.cfg.batch;
  c.n_ranks = c.cfg.n_target_ranks;
  c.rank_cols = c.cfg.targeted == GT_TARGET_TOP ? c.n_ranks + 1 : 1;
  res->config = c.cfg;
  res->attack = attack->name;
  gt_oracle_counts before = gt_oracle_get_counts(oracle);
  st = result_alloc(res, pts->n, err);
  if (st == GT_OK) st = ctx_alloc(&c, err);
  if (st == GT_OK) st = attack->create(&c.cfg, oracle, &c.state, err);
  for (int64_t start = 0; st == GT_OK && start < pts->n; start += c.batch) {
    int64_t m = pts->n - start < c.batch ? pts->n - start : c.batch;
    st = run_chunk(&c, pts, start, m, x_adv, res, err);
  }
  ctx_free(&c);
  gt_oracle_counts after = gt_oracle_get_counts(oracle);
  res->total.forward = after.forward - before.forward;
  res->total.backward = after.backward - before.backward;
  if (st != GT_OK) {
    gt_attack_result_free(res);
    res->config = c.cfg;
    res->attack = attack->name;
  }
  return st;
}

gt_status gt_attack_run(const char *name, const gt_attack_config *cfg, gt_model *model, const gt_attack_points *pts,
                        float *x_adv, gt_attack_result *res, gt_error *err) {
  const gt_attack *a = gt_attack_find(name);
  if (!a) {
    char list[512] = "";
    for (int i = 0; i < gt_attack_count(); i++) {
      if (i) strncat(list, ", ", sizeof list - strlen(list) - 1);
      strncat(list, gt_attack_get(i)->name, sizeof list - strlen(list) - 1);
    }
    return gt_error_set(err, GT_ERR_USAGE, "unknown attack '%s' (available: %s)", name ? name : "(null)", list);
  }
  if (!cfg || !model) return gt_error_set(err, GT_ERR_USAGE, "gt_attack_run: NULL argument");
  gt_oracle *o = NULL;
  gt_status st = gt_oracle_create(model, cfg->eot, &o, err);
  if (st != GT_OK) return st;
  st = gt_attack_run_oracle(a, cfg, o, pts, x_adv, res, err);
  gt_oracle_free(o);
  return st;
}

gt_status gt_attack_run_dataset(const char *name, const gt_attack_config *cfg, gt_model *model, const gt_dataset *ds,
                                float *x_adv, gt_attack_result *res, gt_error *err) {
  if (!ds || !model) return gt_error_set(err, GT_ERR_USAGE, "gt_attack_run_dataset: NULL argument");
  const int64_t *shape = gt_model_input_shape(model);
  if (gt_model_input_rank(model) != 3 || shape[0] != ds->c || shape[1] != ds->h || shape[2] != ds->w)
    return gt_error_set(err, GT_ERR_SHAPE, "the model takes inputs of %lld elements per sample, the dataset '%s' has images %dx%dx%d",
                        (long long)gt_model_input_numel(model), ds->source ? ds->source : "?", ds->c, ds->h, ds->w);
  gt_attack_points pts = {.n = ds->n, .x = ds->images, .labels = ds->labels, .ids = NULL, .targets = NULL};
  return gt_attack_run(name, cfg, model, &pts, x_adv, res, err);
}

/* DeepFool (Moosavi-Dezfooli, Fawzi and Frossard, CVPR 2016), Linf and L2: a minimum-norm attack
 * that linearises the classifier around the current point and jumps to the nearest linearised
 * decision boundary, until the point is misclassified.
 *
 * At iterate x (starting at the clean point x0), for every candidate class c != y:
 *   f_c = z_c(x) - z_y(x),  w_c = grad_x f_c  (gt_oracle_logit_diff_grads: one forward pass, one
 *                                              backward pass per candidate),
 *   dist_c = |f_c| / (||w_c||_q + 1e-8)      q the dual norm: L1 for Linf, L2 for L2;
 * the closest candidate l = argmin dist_c gives the step (dist_l + 1e-4 keeps it off the plane)
 *   L2:   r = (dist_l + 1e-4) w_l / (||w_l||_2 + 1e-8)
 *   Linf: r = (dist_l + 1e-4) sign(w_l),
 * the steps add up in p, and the next iterate is x = clip_[0,1](x0 + (1 + overshoot) p).
 * A row stops at its first misclassified iterate (x_adv): every iterate is first checked with a
 * forward pass, and only the rows still correctly classified pay for the gradients. At most
 * `steps` steps are taken.
 *
 * Defaults (Foolbox's DeepFool, the reference that has both norms): steps 50, overshoot 0.02, the
 * 1e-4 and 1e-8 guards above. Candidates: the 10 classes with the highest clean logits (the label
 * among them, read off the check of the clean point), as Foolbox's default; with 10 classes or
 * fewer that is every class. Untargeted only; no step size (the overshoot is fixed);
 * deterministic (restarts > 1 refused). eps is a cap (attacks/minnorm.h).
 * Cost per row: 1 forward pass per iterate checked, plus per step K forward and K (candidates - 1)
 * backward passes (K = EOT). Memory: the candidates' gradients, (candidates - 1) x [batch, d]. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "attack/attack_list.h"
#include "attack/attack_util.h"
#include "gauntlet/hd/logits.h"
#include "gauntlet/workset.h"
#include "minnorm.h"

#define DF_DEFAULT_STEPS 50
#define DF_OVERSHOOT 0.02f
#define DF_CANDIDATES 10
#define DF_NORM_GUARD 1e-8f
#define DF_STEP_GUARD 1e-4f

typedef struct df_state {
  gt_attack_config cfg;
  gt_oracle *o;
  gt_workset *ws;
  int64_t cap, d;
  int k, m;               /* classes; candidates other than the label, min(10, k) - 1 */
  float cap_eps;          /* the eps cap (+inf: none) */
  /* workset columns [cap, d] */
  float *best;            /* w_l of the closest candidate (then scratch for sign(w_l)) */
  float *ptotal;          /* sum of the steps */
  /* device, rewritten at every step (never compacted) */
  float *jac;             /* [m, cap, d]: block j holds w of candidate slot j, rows in active order */
  float *diff, *jn;       /* [m, cap]: f of candidate slot j, ||w||_q */
  int32_t *classes;       /* [m, cap] */
  int32_t *idx;           /* [cap] row of jac chosen per active row */
  float *logits;          /* [cap, k] */
  float *nrm;             /* [cap] */
  float *inf, *over;      /* [cap] +inf (box-only clip) and 1 + overshoot */
  /* HOST */
  float *z_h;             /* [cap, k] clean logits (candidate choice) */
  int32_t *cand_h;        /* [cap, m] candidate classes by BATCH row */
  int32_t *labels_h;      /* [cap] by batch row */
  int32_t *classes_h;     /* [m, cap] */
  float *diff_h, *jn_h;   /* [m, cap] */
  int32_t *idx_h;         /* [cap] */
  float *dist_h, *wn_h;   /* [cap] active order: distance to the closest linearised boundary, ||w_l||_q */
  float *nrm_h;           /* [cap] active order */
  int32_t *scratch_h;     /* [cap] */
} df_state;

static gt_status df_resolve(gt_attack_config *cfg, gt_error *err) {
  if (cfg->step_size != 0.0f)
    return gt_error_set(err, GT_ERR_USAGE, "deepfool has no step size (its overshoot is fixed at %g)",
                        (double)DF_OVERSHOOT);
  return gt_minnorm_resolve("deepfool", cfg, DF_DEFAULT_STEPS, err);
}

static void df_destroy(void *state) {
  df_state *s = state;
  if (!s) return;
  gt_workset_free(s->ws);
  void *dev[] = {s->jac, s->diff, s->jn, s->classes, s->idx, s->logits, s->nrm, s->inf, s->over};
  for (size_t i = 0; i < sizeof dev / sizeof dev[0]; i++) gt_attack_free(s->o, dev[i]);
  void *host[] = {s->z_h,  s->cand_h, s->labels_h, s->classes_h, s->diff_h,   s->jn_h,
                  s->idx_h, s->dist_h, s->wn_h,     s->nrm_h,     s->scratch_h};
  for (size_t i = 0; i < sizeof host / sizeof host[0]; i++) free(host[i]);
  free(s);
}

static gt_status df_alloc(df_state *s, gt_error *err) {
  gt_oracle *o = s->o;
  int64_t cap = s->cap, mc = (int64_t)s->m * cap;
  size_t row = (size_t)s->d * sizeof(float);
  gt_status st = gt_workset_create(o, &s->ws, err);
  if (st == GT_OK) st = gt_workset_add_column(s->ws, (void **)&s->best, row, err);
  if (st == GT_OK) st = gt_workset_add_column(s->ws, (void **)&s->ptotal, row, err);
  if (st == GT_OK && s->d > GT_MAX_ELEMENTS / mc)
    st = gt_error_set(err, GT_ERR_LIMIT, "deepfool: %d candidate gradients of %lld x %lld is beyond the cap", s->m,
                      (long long)cap, (long long)s->d);
  if (st == GT_OK) st = gt_attack_alloc(o, mc * s->d, sizeof(float), (void **)&s->jac, err);
  if (st == GT_OK) st = gt_attack_alloc(o, mc, sizeof(float), (void **)&s->diff, err);
  if (st == GT_OK) st = gt_attack_alloc(o, mc, sizeof(float), (void **)&s->jn, err);
  if (st == GT_OK) st = gt_attack_alloc(o, mc, sizeof(int32_t), (void **)&s->classes, err);
  if (st == GT_OK) st = gt_attack_alloc(o, cap, sizeof(int32_t), (void **)&s->idx, err);
  if (st == GT_OK) st = gt_attack_alloc(o, cap * s->k, sizeof(float), (void **)&s->logits, err);
  if (st == GT_OK) st = gt_attack_alloc(o, cap, sizeof(float), (void **)&s->nrm, err);
  if (st == GT_OK) st = gt_attack_const_f32(o, INFINITY, &s->inf, err);
  if (st == GT_OK) st = gt_attack_const_f32(o, 1.0f + DF_OVERSHOOT, &s->over, err);
  if (st != GT_OK) return st;
  size_t c = (size_t)cap;
  s->z_h = malloc(c * (size_t)s->k * sizeof(float));
  s->cand_h = malloc((size_t)mc * sizeof(int32_t));
  s->labels_h = malloc(c * sizeof(int32_t));
  s->classes_h = malloc((size_t)mc * sizeof(int32_t));
  s->diff_h = malloc((size_t)mc * sizeof(float));
  s->jn_h = malloc((size_t)mc * sizeof(float));
  s->idx_h = malloc(c * sizeof(int32_t));
  s->dist_h = malloc(c * sizeof(float));
  s->wn_h = malloc(c * sizeof(float));
  s->nrm_h = malloc(c * sizeof(float));
  s->scratch_h = malloc(c * sizeof(int32_t));
  if (!s->z_h || !s->cand_h || !s->labels_h || !s->classes_h || !s->diff_h || !s->jn_h || !s->idx_h || !s->dist_h ||
      !s->wn_h || !s->nrm_h || !s->scratch_h)
    return gt_error_set(err, GT_ERR_MEMORY, "deepfool: out of memory for %lld rows", (long long)cap);
  return GT_OK;
}

static gt_status df_create(const gt_attack_config *cfg, gt_oracle *o, void **state, gt_error *err) {
  int k = gt_oracle_num_classes(o);
  if (k < 2) return gt_error_set(err, GT_ERR_USAGE, "deepfool needs a model with at least 2 classes (it has %d)", k);
  df_state *s = calloc(1, sizeof *s);
  if (!s) return gt_error_set(err, GT_ERR_MEMORY, "deepfool: out of memory");
  s->cfg = *cfg;
  s->o = o;
  s->cap = gt_oracle_max_batch(o);
  s->d = gt_oracle_input_numel(o);
  s->k = k;
  s->m = (k < DF_CANDIDATES ? k : DF_CANDIDATES) - 1;
  s->cap_eps = gt_minnorm_cap(cfg);
  gt_status st = df_alloc(s, err);
  if (st != GT_OK) {
    df_destroy(s);
    return st;
  }
  *state = s;
  return GT_OK;
}

static gt_status to_host(gt_oracle *o, void *dst, const void *src, size_t bytes, gt_error *err) {
  gt_backend *be = gt_oracle_backend(o);
  return be->iface->copy_to_host(be, dst, src, bytes, err);
}

static gt_status to_dev(gt_oracle *o, void *dst, const void *src, size_t bytes, gt_error *err) {
  gt_backend *be = gt_oracle_backend(o);
  return be->iface->copy_to_device(be, dst, src, bytes, err);
}

/* Candidate classes of every batch row, from the clean logits in s->logits (every row active,
 * in batch order): all classes but the label when there are at most 10, else the 10 highest
 * clean logits minus the label. */
static gt_status choose_candidates(df_state *s, gt_attack_batch *b, gt_error *err) {
  int k = s->k, m = s->m;
  if (k <= DF_CANDIDATES) {
    for (int64_t p = 0; p < b->n; p++) {
      int j = 0;
      for (int c = 0; c < k; c++)
        if (c != s->labels_h[p]) s->cand_h[p * m + j++] = c;
    }
    return GT_OK;
  }
  gt_status st = to_host(s->o, s->z_h, s->logits, (size_t)(b->n * k) * sizeof(float), err);
  if (st != GT_OK) return st;
  for (int64_t p = 0; p < b->n; p++) {
    int32_t top[DF_CANDIDATES];
    gt_logits_topk(s->z_h + p * k, k, DF_CANDIDATES, top);
    int j = 0;
    for (int r = 0; r < DF_CANDIDATES && j < m; r++)
      if (top[r] >= 0 && top[r] != s->labels_h[p]) s->cand_h[p * m + j++] = top[r];
    for (int c = 0; j < m; c++) /* only for NaN logits: fill with any other classes */
      if (c != s->labels_h[p]) s->cand_h[p * m + j++] = c;
  }
  return GT_OK;
}

/* One forward pass on the current iterate; misclassified rows retire (unbroken beyond the cap).
 * At t = 0 the logits are the clean ones: the candidates are chosen from them first. */
static gt_status check_iterate(df_state *s, gt_attack_batch *b, int t, gt_error *err) {
  gt_workset *ws = s->ws;
  gt_status st = gt_oracle_logits(s->o, ws->x, ws->n, s->logits, err);
  gt_workset_charge(ws, 1, 0);
  if (st == GT_OK && t == 0) st = choose_candidates(s, b, err);
  if (st == GT_OK) st = gt_workset_check(ws, s->logits, err);
  if (st != GT_OK) return st;
  int any = 0;
  for (int64_t i = 0; i < ws->n; i++) any |= ws->flags_host[i];
  if (!any) return GT_OK;
  st = gt_oracle_vec(s->o)->norms(gt_oracle_backend(s->o), s->cfg.norm, ws->x, ws->x0, ws->n, ws->d, s->nrm, err);
  if (st == GT_OK) st = to_host(s->o, s->nrm_h, s->nrm, (size_t)ws->n * sizeof(float), err);
  if (st == GT_OK) st = gt_minnorm_retire_capped(ws, ws->flags_host, ws->x, s->nrm_h, s->cap_eps, s->scratch_h, err);
  return st;
}

/* The candidates' differences and gradients at the iterate; per active row the closest
 * linearised boundary: its distance in dist_h, ||w_l||_q in wn_h, w_l in the best column. */
static gt_status closest_boundary(df_state *s, gt_error *err) {
  gt_workset *ws = s->ws;
  gt_backend *be = gt_oracle_backend(s->o);
  const gt_vec_iface *v = gt_oracle_vec(s->o);
  int64_t n = ws->n, mn = (int64_t)s->m * n;
  for (int j = 0; j < s->m; j++)
    for (int64_t i = 0; i < n; i++) s->classes_h[j * n + i] = s->cand_h[(int64_t)ws->pos[i] * s->m + j];
  int eot = gt_oracle_eot(s->o);
  gt_norm dual = s->cfg.norm == GT_NORM_LINF ? GT_NORM_L1 : GT_NORM_L2;
  gt_status st = to_dev(s->o, s->classes, s->classes_h, (size_t)mn * sizeof(int32_t), err);
  if (st == GT_OK)
    st = gt_oracle_logit_diff_grads(s->o, ws->x, n, ws->labels, s->classes, s->m, s->diff, s->jac, NULL, err);
  gt_workset_charge(ws, eot, (int64_t)eot * s->m);
  if (st == GT_OK) st = v->norms(be, dual, s->jac, NULL, mn, ws->d, s->jn, err);
  if (st == GT_OK) st = to_host(s->o, s->diff_h, s->diff, (size_t)mn * sizeof(float), err);
  if (st == GT_OK) st = to_host(s->o, s->jn_h, s->jn, (size_t)mn * sizeof(float), err);
  if (st != GT_OK) return st;
  for (int64_t i = 0; i < n; i++) {
    int64_t pick = i;
    float dist = INFINITY;
    for (int j = 0; j < s->m; j++) {
      int64_t r = j * n + i;
      float dj = fabsf(s->diff_h[r]) / (s->jn_h[r] + DF_NORM_GUARD);
      if (j == 0 || dj < dist) {
        dist = dj;
        pick = r;
      }
    }
    s->idx_h[i] = (int32_t)pick;
    s->dist_h[i] = dist;
    s->wn_h[i] = s->jn_h[pick];
  }
  st = to_dev(s->o, s->idx, s->idx_h, (size_t)n * sizeof(int32_t), err);
  if (st == GT_OK) st = v->gather_rows(be, s->jac, mn, s->idx, n, (size_t)ws->d * sizeof(float), s->best, err);
  return st;
}

/* p += r(w_l); x = clip(x0 + (1 + overshoot) p). */
static gt_status take_step(df_state *s, gt_error *err) {
  gt_workset *ws = s->ws;
  gt_backend *be = gt_oracle_backend(s->o);
  const gt_vec_iface *v = gt_oracle_vec(s->o);
  int64_t n = ws->n, d = ws->d;
  int l2 = s->cfg.norm == GT_NORM_L2;
  for (int64_t i = 0; i < n; i++) {
    float dist = s->dist_h[i] + DF_STEP_GUARD;
    ws->coef_host[i] = l2 ? dist / (s->wn_h[i] + DF_NORM_GUARD) : dist;
  }
  gt_status st = GT_OK;
  /* Linf: sign(w_l) goes to x, which is rebuilt from x0 and p right after. */
  if (!l2) st = v->direction(be, GT_NORM_LINF, s->best, NULL, NULL, n, d, ws->x, err);
  const float *dir = l2 ? s->best : ws->x;
  if (st == GT_OK) st = to_dev(s->o, ws->coef, ws->coef_host, (size_t)n * sizeof(float), err);
  if (st == GT_OK) st = v->axpby(be, ws->ones, s->ptotal, ws->coef, dir, n, d, s->ptotal, err);
  if (st == GT_OK) st = v->axpby(be, ws->ones, ws->x0, s->over, s->ptotal, n, d, ws->x, err);
  if (st == GT_OK) st = v->project(be, GT_NORM_LINF, ws->x, ws->x0, s->inf, n, d, ws->x, err);
  return st;
}

static gt_status df_run(void *state, gt_oracle *o, gt_attack_batch *b, gt_error *err) {
  df_state *s = state;
  gt_workset *ws = s->ws;
  gt_status st = gt_workset_begin(ws, b, err);
  if (st == GT_OK) st = to_host(o, s->labels_h, b->labels, (size_t)b->n * sizeof(int32_t), err);
  if (st == GT_OK) st = gt_oracle_vec(o)->fill(gt_oracle_backend(o), s->ptotal, b->n * b->d, 0.0f, err);
  for (int t = 0; st == GT_OK; t++) {
    st = check_iterate(s, b, t, err);
    if (st != GT_OK || ws->n == 0 || t == s->cfg.steps) break;
    st = closest_boundary(s, err);
    if (st == GT_OK) st = take_step(s, err);
  }
  if (st == GT_OK) st = gt_workset_end(ws, err);
  return st;
}

const gt_attack gt_attack_deepfool = {
    .name = "deepfool",
    .summary = "DeepFool: steps to the nearest linearised boundary (Moosavi-Dezfooli et al.), minimum norm",
    .norms = GT_NORM_BIT(GT_NORM_LINF) | GT_NORM_BIT(GT_NORM_L2),
    .access = GT_ACCESS_GRADIENT,
    .goal = GT_GOAL_MIN_NORM,
    .targeted = 0,
    .resolve = df_resolve,
    .create = df_create,
    .run = df_run,
    .destroy = df_destroy,
};

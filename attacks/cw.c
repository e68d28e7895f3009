/* Carlini & Wagner's L2 attack (IEEE S&P 2017), `cw-l2`: a minimum-norm attack that minimises
 *   ||x - x0||_2^2 + c * max(z_y(x) - max_{i != y} z_i(x), -kappa)        (untargeted)
 *   ||x - x0||_2^2 + c * max(max_{i != t} z_i(x) - z_t(x), -kappa)        (targeted)
 * over x = (tanh(w) + 1) / 2 with Adam on w (the tanh change of variables keeps x in [0,1]; the
 * row math is gauntlet/hd/tanh_adam.h), and binary-searches the constant c per row.
 *
 * Outer loop (search steps): every row starts again from w = atanh(2 x0 - 1) (shrunk a hair) with
 * fresh Adam moments and its own c, and runs up to `steps` Adam steps. Every evaluated iterate
 * that is adversarial and closer than the row's best so far becomes its best point (the result).
 * Early abort, per row: every ceil(steps / 10) steps the row's objective must have dropped below
 * 0.9999 times its value at the previous check, else the row stops for this search step (the
 * reference codes abort a whole batch on the batch's summed loss; per row keeps a point's result
 * independent of the batch it is in). After the search step, per row: if any iterate was
 * adversarial, upper = min(upper, c), else lower = max(lower, c); then c = (lower + upper) / 2 once
 * an upper bound exists, else c = 10 c.
 *
 * Defaults: search steps 9, initial c 1e-3, kappa 0, Adam learning rate (the step size) 0.01 with
 * beta1 0.9, beta2 0.999, epsilon 1e-8 (Carlini's code and Foolbox); steps 1000 per search step
 * (Gauntlet's choice: the reference codes use 10000, which early abort usually cuts short anyway).
 * The search steps, c0 and kappa are constants here: gt_attack_config has no fields for them.
 * L2 only; targeted modes use the targeted objective; deterministic (restarts > 1 refused). eps is
 * a cap (attacks/minnorm.h).
 * Cost per row: up to search steps x steps forward and backward passes (EOT K: K times that). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "attack/attack_list.h"
#include "attack/attack_util.h"
#include "gauntlet/workset.h"
#include "minnorm.h"

#define CW_DEFAULT_STEPS 1000
#define CW_SEARCH_STEPS 9
#define CW_INITIAL_CONST 1e-3f
#define CW_KAPPA 0.0f
#define CW_LEARNING_RATE 0.01f
#define CW_BETA1 0.9f
#define CW_BETA2 0.999f
#define CW_ADAM_EPS 1e-8f
#define CW_ABORT_CHECKS 10       /* early-abort checks per search step */
#define CW_ABORT_PROGRESS 0.9999f /* the objective must drop below this factor between checks */

typedef struct cw_state {
  gt_attack_config cfg;
  gt_oracle *o;
  gt_workset *ws;
  gt_minnorm_best best;
  float cap_eps;
  float *w, *m, *v, *grad;     /* workset columns [cap, d] */
  float *logits;               /* [cap, k] */
  float *loss, *nrm;           /* [cap] */
  float *scratch;              /* [cap, d]: x_adv of the per-search-step inner batch (unused) */
  /* HOST [cap], by batch row */
  float *c_h, *lo_h, *hi_h, *prev_h, *coef_h;
  int32_t *found_h, *done_h;
  /* HOST [cap], active order */
  float *loss_h, *dn_h;
  int32_t *abort_h;
} cw_state;

static gt_status cw_resolve(gt_attack_config *cfg, gt_error *err) {
  if (cfg->step_size == 0.0f) cfg->step_size = CW_LEARNING_RATE;
  if (!(cfg->step_size > 0.0f) || isinf(cfg->step_size))
    return gt_error_set(err, GT_ERR_USAGE, "cw-l2: step size (Adam's learning rate) %g, need finite and > 0",
                        (double)cfg->step_size);
  return gt_minnorm_resolve("cw-l2", cfg, CW_DEFAULT_STEPS, err);
}

static void cw_destroy(void *state) {
  cw_state *s = state;
  if (!s) return;
  gt_workset_free(s->ws);
  gt_minnorm_best_free(s->o, &s->best);
  gt_attack_free(s->o, s->logits);
  gt_attack_free(s->o, s->loss);
  gt_attack_free(s->o, s->nrm);
  gt_attack_free(s->o, s->scratch);
  void *host[] = {s->c_h,    s->lo_h,   s->hi_h,   s->prev_h, s->coef_h, s->found_h,
                  s->done_h, s->loss_h, s->dn_h,   s->abort_h};
  for (size_t i = 0; i < sizeof host / sizeof host[0]; i++) free(host[i]);
  free(s);
}

static gt_status cw_create(const gt_attack_config *cfg, gt_oracle *o, void **state, gt_error *err) {
  cw_state *s = calloc(1, sizeof *s);
  if (!s) return gt_error_set(err, GT_ERR_MEMORY, "cw-l2: out of memory");
  s->cfg = *cfg;
  s->o = o;
  s->cap_eps = gt_minnorm_cap(cfg);
  int64_t cap = gt_oracle_max_batch(o), d = gt_oracle_input_numel(o);
  size_t row = (size_t)d * sizeof(float);
  gt_status st = gt_workset_create(o, &s->ws, err);
  if (st == GT_OK) st = gt_workset_add_column(s->ws, (void **)&s->w, row, err);
  if (st == GT_OK) st = gt_workset_add_column(s->ws, (void **)&s->m, row, err);
  if (st == GT_OK) st = gt_workset_add_column(s->ws, (void **)&s->v, row, err);
  if (st == GT_OK) st = gt_workset_add_column(s->ws, (void **)&s->grad, row, err);
  if (st == GT_OK) st = gt_minnorm_best_create(o, &s->best, err);
  if (st == GT_OK) st = gt_attack_alloc(o, cap * gt_oracle_num_classes(o), sizeof(float), (void **)&s->logits, err);
  if (st == GT_OK) st = gt_attack_alloc(o, cap, sizeof(float), (void **)&s->loss, err);
  if (st == GT_OK) st = gt_attack_alloc(o, cap, sizeof(float), (void **)&s->nrm, err);
  if (st == GT_OK) st = gt_attack_alloc(o, cap * d, sizeof(float), (void **)&s->scratch, err);
  if (st == GT_OK) {
    size_t f = (size_t)cap * sizeof(float), i4 = (size_t)cap * sizeof(int32_t);
    s->c_h = malloc(f);
    s->lo_h = malloc(f);
    s->hi_h = malloc(f);
    s->prev_h = malloc(f);
    s->coef_h = malloc(f);
    s->loss_h = malloc(f);
    s->dn_h = malloc(f);
    s->found_h = malloc(i4);
    s->done_h = malloc(i4);
    s->abort_h = malloc(i4);
    if (!s->c_h || !s->lo_h || !s->hi_h || !s->prev_h || !s->coef_h || !s->loss_h || !s->dn_h || !s->found_h ||
        !s->done_h || !s->abort_h)
      st = gt_error_set(err, GT_ERR_MEMORY, "cw-l2: out of memory for %lld rows", (long long)cap);
  }
  if (st != GT_OK) {
    cw_destroy(s);
    return st;
  }
  *state = s;
  return GT_OK;
}

/* One evaluated iterate of the active rows: loss, gradient and logits; best points; per-row
 * objective, the weight of the gradient for the next Adam step, and the early-abort decision. */
static gt_status evaluate(cw_state *s, int t, int check_every, gt_error *err) {
  gt_workset *ws = s->ws;
  gt_backend *be = gt_oracle_backend(s->o);
  int eot = gt_oracle_eot(s->o);
  gt_status st = gt_oracle_loss_grad(s->o, ws->x, ws->n, s->cfg.loss, ws->labels, ws->targets, s->loss, s->grad,
                                     s->logits, err);
  gt_workset_charge(ws, eot, eot);
  if (st == GT_OK) st = gt_workset_check(ws, s->logits, err);
  if (st == GT_OK) st = gt_oracle_vec(s->o)->norms(be, GT_NORM_L2, ws->x, ws->x0, ws->n, ws->d, s->nrm, err);
  if (st == GT_OK) st = be->iface->copy_to_host(be, s->dn_h, s->nrm, (size_t)ws->n * sizeof(float), err);
  if (st == GT_OK) st = be->iface->copy_to_host(be, s->loss_h, s->loss, (size_t)ws->n * sizeof(float), err);
  if (st == GT_OK) st = gt_minnorm_best_update(&s->best, s->o, ws, ws->x, ws->flags_host, s->dn_h, err);
  if (st != GT_OK) return st;
  int check = t % check_every == 0;
  for (int64_t i = 0; i < ws->n; i++) {
    int32_t p = ws->pos[i];
    s->found_h[p] |= ws->flags_host[i];
    /* The loss kinds are the margins the attacker maximises (CW: max_{i!=y} z_i - z_y), so the
     * term C&W minimise is max(-loss, -kappa); its x-gradient is -grad where it is active. */
    float term = -s->loss_h[i];
    int active = term > -CW_KAPPA;
    s->coef_h[p] = active ? -s->c_h[p] : 0.0f;
    float objective = s->dn_h[i] * s->dn_h[i] + s->c_h[p] * (active ? term : -CW_KAPPA);
    s->abort_h[i] = 0;
    if (check) {
      if (!(objective <= CW_ABORT_PROGRESS * s->prev_h[p]))
        s->abort_h[i] = 1;
      else
        s->prev_h[p] = objective;
    }
  }
  return GT_OK;
}

/* One search step with every row's current c. */
static gt_status search_step(cw_state *s, gt_attack_batch *b, gt_error *err) {
  gt_workset *ws = s->ws;
  gt_backend *be = gt_oracle_backend(s->o);
  const gt_vec_iface *v = gt_oracle_vec(s->o);
  /* An inner batch over the same rows: rows that abort early retire into it (its success flags
   * mean "stopped" here, its x_adv is scratch); forward/backward still count into the batch. */
  gt_attack_batch inner = *b;
  inner.x_adv = s->scratch;
  inner.success = s->done_h;
  memset(s->done_h, 0, (size_t)b->n * sizeof(int32_t));
  for (int64_t p = 0; p < b->n; p++) {
    s->found_h[p] = 0;
    s->prev_h[p] = INFINITY;
  }
  int check_every = (s->cfg.steps + CW_ABORT_CHECKS - 1) / CW_ABORT_CHECKS;
  gt_status st = gt_workset_begin(ws, &inner, err);
  if (st == GT_OK) st = v->tanh_init(be, ws->x0, ws->n, ws->d, s->w, ws->x, err);
  if (st == GT_OK) st = v->fill(be, s->m, ws->n * ws->d, 0.0f, err);
  if (st == GT_OK) st = v->fill(be, s->v, ws->n * ws->d, 0.0f, err);
  for (int t = 0; st == GT_OK && t < s->cfg.steps; t++) {
    st = evaluate(s, t, check_every, err);
    if (st == GT_OK) st = gt_workset_retire(ws, s->abort_h, ws->x, err);
    /* The point after the last step would never be evaluated: skip that step. */
    if (st != GT_OK || ws->n == 0 || t == s->cfg.steps - 1) break;
    for (int64_t i = 0; i < ws->n; i++) ws->coef_host[i] = s->coef_h[ws->pos[i]];
    st = be->iface->copy_to_device(be, ws->coef, ws->coef_host, (size_t)ws->n * sizeof(float), err);
    gt_vec_tanh_adam a = {
        .n = ws->n,
        .d = ws->d,
        .w = s->w,
        .m = s->m,
        .v = s->v,
        .x0 = ws->x0,
        .grad = s->grad,
        .coef = ws->coef,
        .lr = s->cfg.step_size,
        .beta1 = CW_BETA1,
        .beta2 = CW_BETA2,
        .adam_eps = CW_ADAM_EPS,
        .step = t + 1,
        .x = ws->x,
    };
    if (st == GT_OK) st = v->tanh_adam_step(be, &a, err);
  }
  if (st == GT_OK) st = gt_workset_end(ws, err);
  return st;
}

static gt_status cw_run(void *state, gt_oracle *o, gt_attack_batch *b, gt_error *err) {
  cw_state *s = state;
  gt_minnorm_best_reset(&s->best, b->n);
  for (int64_t p = 0; p < b->n; p++) {
    s->c_h[p] = CW_INITIAL_CONST;
    s->lo_h[p] = 0.0f;
    s->hi_h[p] = INFINITY;
  }
  gt_status st = GT_OK;
  for (int search = 0; st == GT_OK && search < CW_SEARCH_STEPS; search++) {
    st = search_step(s, b, err);
    for (int64_t p = 0; st == GT_OK && p < b->n; p++) {
      if (s->found_h[p])
        s->hi_h[p] = fminf(s->hi_h[p], s->c_h[p]);
      else
        s->lo_h[p] = fmaxf(s->lo_h[p], s->c_h[p]);
      s->c_h[p] = isinf(s->hi_h[p]) ? 10.0f * s->c_h[p] : 0.5f * (s->lo_h[p] + s->hi_h[p]);
    }
  }
  if (st == GT_OK) st = gt_minnorm_best_finish(&s->best, o, b, s->cap_eps, err);
  return st;
}

const gt_attack gt_attack_cw_l2 = {
    .name = "cw-l2",
    .summary = "Carlini & Wagner L2: Adam in tanh space with a binary search on c, minimum norm",
    .norms = GT_NORM_BIT(GT_NORM_L2),
    .access = GT_ACCESS_GRADIENT,
    .goal = GT_GOAL_MIN_NORM,
    .targeted = 1,
    .resolve = cw_resolve,
    .create = cw_create,
    .run = cw_run,
    .destroy = cw_destroy,
};

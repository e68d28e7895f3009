/* FGSM / FGM: one step of size eps along the steepest-ascent direction of the loss at the clean
 * point, then the projection onto the eps-ball and the box.
 *   Linf: x + eps * sign(g)            (Goodfellow et al. 2015, FGSM)
 *   L2:   x + eps * g / ||g||_2        (FGM)
 *   L1:   x + eps * sparse direction   (gauntlet/hd/project.h; k = ceil(l1_sparsity * d))
 * Defaults: steps 1 (no other value), step size eps, loss CE, no random start, one restart.
 * Cost per row: eot forward + eot backward passes for the gradient, 1 forward to check. */
#include <stdlib.h>

#include "attack/attack_list.h"
#include "attack/attack_util.h"

typedef struct fgsm_state {
  gt_attack_config cfg;
  gt_oracle *o;
  float *grad;   /* [cap, d] */
  float *logits; /* [cap, k] */
  float *alpha, *eps;
  int32_t *l1_k, *flags;
} fgsm_state;

static gt_status fgsm_resolve(gt_attack_config *cfg, gt_error *err) {
  if (cfg->steps == 0) cfg->steps = 1;
  if (cfg->steps != 1)
    return gt_error_set(err, GT_ERR_USAGE, "fgsm takes exactly one step (asked %d); use bim or pgd for more", cfg->steps);
  if (cfg->step_size == 0.0f) cfg->step_size = cfg->eps;
  if (!(cfg->step_size >= 0.0f)) return gt_error_set(err, GT_ERR_USAGE, "fgsm: step size %g", (double)cfg->step_size);
  if (cfg->random_start < 0) cfg->random_start = 0;
  if (cfg->random_start) return gt_error_set(err, GT_ERR_USAGE, "fgsm has no random start (use pgd)");
  gt_status st = gt_attack_refuse_restarts("fgsm", cfg, err);
  if (st == GT_OK && cfg->norm == GT_NORM_L1) st = gt_attack_resolve_l1("fgsm", cfg, err);
  return st;
}

static void fgsm_destroy(void *state) {
  fgsm_state *s = state;
  if (!s) return;
  gt_attack_free(s->o, s->grad);
  gt_attack_free(s->o, s->logits);
  gt_attack_free(s->o, s->alpha);
  gt_attack_free(s->o, s->eps);
  gt_attack_free(s->o, s->l1_k);
  gt_attack_free(s->o, s->flags);
  free(s);
}

static gt_status fgsm_create(const gt_attack_config *cfg, gt_oracle *o, void **state, gt_error *err) {
  fgsm_state *s = calloc(1, sizeof *s);
  if (!s) return gt_error_set(err, GT_ERR_MEMORY, "fgsm: out of memory");
  s->cfg = *cfg;
  s->o = o;
  int64_t cap = gt_oracle_max_batch(o), d = gt_oracle_input_numel(o);
  gt_status st = gt_attack_alloc(o, cap * d, sizeof(float), (void **)&s->grad, err);
  if (st == GT_OK) st = gt_attack_alloc(o, cap * gt_oracle_num_classes(o), sizeof(float), (void **)&s->logits, err);
  if (st == GT_OK) st = gt_attack_const_f32(o, cfg->step_size, &s->alpha, err);
  if (st == GT_OK) st = gt_attack_const_f32(o, cfg->eps, &s->eps, err);
  if (st == GT_OK) st = gt_attack_const_i32(o, gt_attack_l1_k(cfg->l1_sparsity, d), &s->l1_k, err);
  if (st == GT_OK) st = gt_attack_alloc(o, cap, sizeof(int32_t), (void **)&s->flags, err);
  if (st != GT_OK) {
    fgsm_destroy(s);
    return st;
  }
  *state = s;
  return GT_OK;
}

static gt_status fgsm_run(void *state, gt_oracle *o, gt_attack_batch *b, gt_error *err) {
  fgsm_state *s = state;
  gt_backend *be = gt_oracle_backend(o);
  const gt_vec_iface *v = gt_oracle_vec(o);
  int eot = gt_oracle_eot(o);
  gt_status st = gt_oracle_loss_grad(o, b->x, b->n, s->cfg.loss, b->labels, b->targets, NULL, s->grad, NULL, err);
  if (st != GT_OK) return st;
  gt_vec_step step = {
      .norm = s->cfg.norm,
      .n = b->n,
      .d = b->d,
      .x = b->x,
      .grad = s->grad,
      .x0 = b->x,
      .alpha = s->alpha,
      .eps = s->eps,
      .l1_k = s->cfg.norm == GT_NORM_L1 ? s->l1_k : NULL,
      .out = b->x_adv,
  };
  st = v->ascent_step(be, &step, err);
  if (st == GT_OK) st = gt_oracle_logits(o, b->x_adv, b->n, s->logits, err);
  if (st == GT_OK) st = v->success(be, s->logits, b->n, gt_oracle_num_classes(o), b->labels, b->hit, s->flags, err);
  if (st == GT_OK) st = be->iface->copy_to_host(be, b->success, s->flags, (size_t)b->n * sizeof(int32_t), err);
  for (int64_t i = 0; i < b->n; i++) {
    b->forward[i] += eot + 1;
    b->backward[i] += eot;
  }
  return st;
}

#define FGSM_NORMS (GT_NORM_BIT(GT_NORM_LINF) | GT_NORM_BIT(GT_NORM_L2) | GT_NORM_BIT(GT_NORM_L1))

const gt_attack gt_attack_fgsm = {
    .name = "fgsm",
    .summary = "one gradient step of size eps (FGSM for Linf, FGM for L2, sparse for L1)",
    .norms = FGSM_NORMS,
    .access = GT_ACCESS_GRADIENT,
    .goal = GT_GOAL_BOUNDED,
    .targeted = 1,
    .resolve = fgsm_resolve,
    .create = fgsm_create,
    .run = fgsm_run,
    .destroy = fgsm_destroy,
};

const gt_attack gt_attack_fgm = {
    .name = "fgm",
    .summary = "fgsm under its L2 name (fast gradient method)",
    .norms = FGSM_NORMS,
    .access = GT_ACCESS_GRADIENT,
    .goal = GT_GOAL_BOUNDED,
    .targeted = 1,
    .resolve = fgsm_resolve,
    .create = fgsm_create,
    .run = fgsm_run,
    .destroy = fgsm_destroy,
};

/* The inner maximisations of adversarial training, on the inference form of the network being
 * trained (batch norm on running statistics), with the attack layer's building blocks: the
 * oracle's loss gradients and the backend's vector ops (random fill, the fused Linf ascent step
 * with projection onto the eps-ball and the [0,1] box), as attacks/pgd.c uses them.
 *
 * Unlike `gauntlet attack pgd`, a training attack runs every step on every point: Madry's
 * training points are the last iterates of the full maximisation (an evaluation attack stops a
 * point at its first misclassified iterate, which is the right rule for robust accuracy and the
 * wrong one for training data). Random starts draw from the TRAIN_START stream of the seed, keyed
 * by (dataset index, epoch). */
#include <math.h>

#include "gauntlet/hd/rng.h"
#include "train/train_internal.h"

/* xadv = proj(x + scale * noise), noise from `dist` at the batch's sites. */
static gt_status random_start(gt_trainer *t, int64_t n, int epoch, gt_rng_dist dist, float scale, gt_error *err) {
  gt_vec_random r = {.dist = dist, .seed = t->cfg.seed, .stream = GT_RNG_STREAM_TRAIN_START,
                     .restart = (uint32_t)epoch, .step = 0, .sample_ids = t->ids_dev, .n = n, .d = t->d,
                     .out = t->grad_dev};
  gt_status st = t->vec->random_fill(t->be, &r, err);
  if (st == GT_OK) st = t->vec->fill(t->be, t->coef_dev, n, scale, err);
  if (st == GT_OK) st = t->vec->axpby(t->be, t->ones_dev, t->x_dev, t->coef_dev, t->grad_dev, n, t->d, t->xadv_dev, err);
  if (st == GT_OK) st = t->vec->project(t->be, GT_NORM_LINF, t->xadv_dev, t->x_dev, t->eps_dev, n, t->d, t->xadv_dev, err);
  return st;
}

static gt_status ascend(gt_trainer *t, int64_t n, gt_error *err) {
  gt_vec_step step = {.norm = GT_NORM_LINF, .n = n, .d = t->d, .x = t->xadv_dev, .grad = t->grad_dev,
                      .x0 = t->x_dev, .alpha = t->alpha_dev, .eps = t->eps_dev, .out = t->xadv_dev};
  return t->vec->ascent_step(t->be, &step, err);
}

gt_status gt_adv_pgd(gt_trainer *t, int64_t n, int epoch, gt_error *err) {
  gt_status st = gt_trainer_fold(t, err);
  if (st != GT_OK) return st;
  if (t->cfg.random_start) st = random_start(t, n, epoch, GT_RNG_UNIFORM_SYM, t->cfg.eps, err);
  else st = t->be->iface->copy_device(t->be, t->xadv_dev, t->x_dev, (size_t)(n * t->d) * sizeof(float), err);
  for (int s = 0; st == GT_OK && s < t->cfg.adv_steps; s++) {
    st = gt_oracle_loss_grad(t->oracle, t->xadv_dev, n, GT_LOSS_CE, t->labels_dev, NULL, NULL, t->grad_dev, NULL, err);
    if (st == GT_OK) st = ascend(t, n, err);
  }
  return st;
}

void gt_train_softmax_row(const float *z, int k, float *p) {
  float m = z[0], s = 0.0f;
  for (int j = 1; j < k; j++) m = z[j] > m ? z[j] : m;
  for (int j = 0; j < k; j++) s += (p[j] = expf(z[j] - m));
  for (int j = 0; j < k; j++) p[j] /= s;
}

/* TRADES: maximise KL(p(x) || q(x')) over the ball from x' = x + 0.001 N(0, 1); its logit gradient
 * is q - p (host: the [n, K] logits), pushed back through the network for the input gradient. */
gt_status gt_adv_trades(gt_trainer *t, int64_t n, int epoch, gt_error *err) {
  const gt_backend_iface *b = t->be->iface;
  int k = t->k;
  size_t logit_bytes = (size_t)(n * k) * sizeof(float);
  gt_status st = gt_trainer_fold(t, err);
  if (st == GT_OK) st = gt_model_forward(t->model, t->x_dev, n, err);
  if (st == GT_OK) st = b->copy_to_host(t->be, t->logits_host, gt_model_logits(t->model), logit_bytes, err);
  for (int64_t i = 0; st == GT_OK && i < n; i++) gt_train_softmax_row(t->logits_host + i * k, k, t->logits_host + i * k);
  if (st == GT_OK) st = random_start(t, n, epoch, GT_RNG_NORMAL, 0.001f, err);
  for (int s = 0; st == GT_OK && s < t->cfg.adv_steps; s++) {
    st = gt_model_forward(t->model, t->xadv_dev, n, err);
    if (st == GT_OK) st = b->copy_to_host(t->be, t->dlogits_host, gt_model_logits(t->model), logit_bytes, err);
    for (int64_t i = 0; st == GT_OK && i < n; i++) {
      float *q = t->dlogits_host + i * k;
      gt_train_softmax_row(q, k, q);
      for (int j = 0; j < k; j++) q[j] -= t->logits_host[i * k + j];
    }
    if (st == GT_OK) st = b->copy_to_device(t->be, t->dlogits_dev, t->dlogits_host, logit_bytes, err);
    if (st == GT_OK) st = gt_model_backward(t->model, t->dlogits_dev, t->grad_dev, err);
    if (st == GT_OK) st = ascend(t, n, err);
  }
  return st;
}

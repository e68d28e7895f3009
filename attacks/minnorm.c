/* Shared pieces of the minimum-norm attacks (attacks/minnorm.h): the eps cap, the common checks,
 * and the best-point bookkeeping. */
#include "minnorm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "attack/attack_util.h"

float gt_minnorm_cap(const gt_attack_config *cfg) {
  return cfg->eps > 0.0f && isfinite(cfg->eps) ? cfg->eps : INFINITY;
}

gt_status gt_minnorm_resolve(const char *attack, gt_attack_config *cfg, int default_steps, gt_error *err) {
  if (!(cfg->eps >= 0.0f))
    return gt_error_set(err, GT_ERR_USAGE, "%s: eps = %g; a minimum-norm attack takes a cap >= 0 (0 or inf: none)",
                        attack, (double)cfg->eps);
  if (cfg->steps == 0) cfg->steps = default_steps;
  if (cfg->steps < 1 || cfg->steps > 1000000)
    return gt_error_set(err, GT_ERR_USAGE, "%s: %d steps is outside 1..1000000", attack, cfg->steps);
  if (cfg->random_start < 0) cfg->random_start = 0;
  if (cfg->random_start) return gt_error_set(err, GT_ERR_USAGE, "%s has no random start", attack);
  switch (cfg->loss) {
    case GT_LOSS_CE:
    case GT_LOSS_CW: cfg->loss = GT_LOSS_CW; break;
    case GT_LOSS_CE_TARGETED:
    case GT_LOSS_CW_TARGETED: cfg->loss = GT_LOSS_CW_TARGETED; break;
    default:
      return gt_error_set(err, GT_ERR_USAGE, "%s works on the logit difference (loss cw); the %s loss is not supported",
                          attack, gt_loss_name(cfg->loss));
  }
  return gt_attack_refuse_restarts(attack, cfg, err);
}

gt_status gt_minnorm_best_create(gt_oracle *o, gt_minnorm_best *b, gt_error *err) {
  memset(b, 0, sizeof *b);
  b->cap = gt_oracle_max_batch(o);
  b->d = gt_oracle_input_numel(o);
  gt_status st = gt_attack_alloc(o, b->cap * b->d, sizeof(float), (void **)&b->x, err);
  if (st == GT_OK) st = gt_attack_alloc(o, b->cap * b->d, sizeof(float), (void **)&b->tmp, err);
  if (st == GT_OK) st = gt_attack_alloc(o, b->cap, sizeof(int32_t), (void **)&b->idx_dev, err);
  if (st == GT_OK) st = gt_attack_alloc(o, b->cap, sizeof(int32_t), (void **)&b->idx2_dev, err);
  if (st == GT_OK) {
    b->norm = malloc((size_t)b->cap * sizeof(float));
    b->idx_h = malloc((size_t)b->cap * sizeof(int32_t));
    b->idx2_h = malloc((size_t)b->cap * sizeof(int32_t));
    if (!b->norm || !b->idx_h || !b->idx2_h)
      st = gt_error_set(err, GT_ERR_MEMORY, "out of memory for the best points of %lld rows", (long long)b->cap);
  }
  if (st != GT_OK) gt_minnorm_best_free(o, b);
  return st;
}

void gt_minnorm_best_free(gt_oracle *o, gt_minnorm_best *b) {
  gt_attack_free(o, b->x);
  gt_attack_free(o, b->tmp);
  gt_attack_free(o, b->idx_dev);
  gt_attack_free(o, b->idx2_dev);
  free(b->norm);
  free(b->idx_h);
  free(b->idx2_h);
  memset(b, 0, sizeof *b);
}

void gt_minnorm_best_reset(gt_minnorm_best *b, int64_t n) {
  for (int64_t p = 0; p < n; p++) b->norm[p] = INFINITY;
}

static gt_status upload_i32(gt_oracle *o, int32_t *dev, const int32_t *host, int64_t count, gt_error *err) {
  gt_backend *be = gt_oracle_backend(o);
  return be->iface->copy_to_device(be, dev, host, (size_t)count * sizeof(int32_t), err);
}

gt_status gt_minnorm_best_update(gt_minnorm_best *b, gt_oracle *o, const gt_workset *ws, const float *x_src,
                                 const int32_t *adv_h, const float *norm_h, gt_error *err) {
  int64_t count = 0;
  for (int64_t i = 0; i < ws->n; i++) {
    int32_t p = ws->pos[i];
    if (adv_h[i] && norm_h[i] < b->norm[p]) {
      b->norm[p] = norm_h[i];
      b->idx_h[count] = (int32_t)i;
      b->idx2_h[count] = p;
      count++;
    }
  }
  if (count == 0) return GT_OK;
  /* Active rows -> compact scratch -> their batch rows. */
  gt_backend *be = gt_oracle_backend(o);
  const gt_vec_iface *v = gt_oracle_vec(o);
  size_t row = (size_t)b->d * sizeof(float);
  gt_status st = upload_i32(o, b->idx_dev, b->idx_h, count, err);
  if (st == GT_OK) st = upload_i32(o, b->idx2_dev, b->idx2_h, count, err);
  if (st == GT_OK) st = v->gather_rows(be, x_src, ws->n, b->idx_dev, count, row, b->tmp, err);
  if (st == GT_OK) st = v->scatter_rows(be, b->tmp, b->idx2_dev, count, row, b->x, b->cap, err);
  return st;
}

gt_status gt_minnorm_best_finish(gt_minnorm_best *b, gt_oracle *o, gt_attack_batch *batch, float cap, gt_error *err) {
  int any = 0;
  for (int64_t p = 0; p < batch->n; p++) {
    b->idx_h[p] = isfinite(b->norm[p]) && b->norm[p] <= cap;
    any |= b->idx_h[p];
  }
  if (!any) return GT_OK;
  gt_status st = upload_i32(o, b->idx_dev, b->idx_h, batch->n, err);
  if (st == GT_OK)
    st = gt_oracle_vec(o)->copy_rows_masked(gt_oracle_backend(o), b->idx_dev, b->x, batch->n,
                                              (size_t)b->d * sizeof(float), batch->x_adv, err);
  if (st != GT_OK) return st;
  for (int64_t p = 0; p < batch->n; p++)
    if (b->idx_h[p]) batch->success[p] = 1;
  return GT_OK;
}

gt_status gt_minnorm_retire_capped(gt_workset *ws, const int32_t *done_h, const float *x_src, const float *norm_h,
                                   float cap, int32_t *scratch_h, gt_error *err) {
  int64_t over = 0;
  for (int64_t i = 0; i < ws->n; i++)
    if (done_h[i] && !(norm_h[i] <= cap)) scratch_h[over++] = ws->pos[i];
  gt_status st = gt_workset_retire(ws, done_h, x_src, err);
  if (st != GT_OK) return st;
  for (int64_t j = 0; j < over; j++) ws->batch->success[scratch_h[j]] = 0;
  return GT_OK;
}

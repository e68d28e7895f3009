/* Helpers shared by attack implementations (see attack_util.h). */
#include "attack_util.h"

#include <math.h>

gt_status gt_attack_alloc(gt_oracle *o, int64_t count, size_t elem_bytes, void **out, gt_error *err) {
  *out = NULL;
  if (count < 1 || elem_bytes == 0 || (uint64_t)count > (uint64_t)(GT_MAX_ELEMENTS * 8) / elem_bytes)
    return gt_error_set(err, GT_ERR_LIMIT, "attack buffer of %lld x %zu bytes is outside the caps", (long long)count,
                        elem_bytes);
  gt_backend *be = gt_oracle_backend(o);
  return be->iface->buffer_alloc(be, (size_t)count * elem_bytes, out, err);
}

void gt_attack_free(gt_oracle *o, void *ptr) {
  if (!ptr) return;
  gt_backend *be = gt_oracle_backend(o);
  be->iface->buffer_free(be, ptr);
}

gt_status gt_attack_const_f32(gt_oracle *o, float value, float **out, gt_error *err) {
  int64_t n = gt_oracle_max_batch(o);
  gt_status st = gt_attack_alloc(o, n, sizeof(float), (void **)out, err);
  if (st == GT_OK) st = gt_oracle_vec(o)->fill(gt_oracle_backend(o), *out, n, value, err);
  return st;
}

gt_status gt_attack_const_i32(gt_oracle *o, int32_t value, int32_t **out, gt_error *err) {
  int64_t n = gt_oracle_max_batch(o);
  gt_status st = gt_attack_alloc(o, n, sizeof(int32_t), (void **)out, err);
  if (st == GT_OK) st = gt_oracle_vec(o)->fill_i32(gt_oracle_backend(o), *out, n, value, err);
  return st;
}

int32_t gt_attack_l1_k(float sparsity, int64_t d) {
  double k = ceil((double)sparsity * (double)d);
  if (k < 1) k = 1;
  if (k > (double)d) k = (double)d;
  if (k > 2147483647.0) k = 2147483647.0;
  return (int32_t)k;
}

gt_status gt_attack_resolve_l1(const char *attack, gt_attack_config *cfg, gt_error *err) {
  if (cfg->l1_sparsity == 0.0f) cfg->l1_sparsity = GT_ATTACK_L1_SPARSITY;
  if (!(cfg->l1_sparsity > 0.0f && cfg->l1_sparsity <= 1.0f))
    return gt_error_set(err, GT_ERR_USAGE, "%s: l1 sparsity %g is outside (0, 1]", attack, (double)cfg->l1_sparsity);
  return GT_OK;
}

gt_status gt_attack_refuse_restarts(const char *attack, const gt_attack_config *cfg, gt_error *err) {
  if (cfg->restarts > 1)
    return gt_error_set(err, GT_ERR_USAGE,
                        "%s: %d restarts asked, but the attack has no randomness (every restart would repeat the first)",
                        attack, cfg->restarts);
  return GT_OK;
}

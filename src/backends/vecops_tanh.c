/* Argument checks of the tanh_init and tanh_adam_step vector ops (Carlini & Wagner's change of
 * variables and optimiser), shared by every backend's table. The Adam check reads the per-row
 * constants: host memory on ref and cpu, a host mirror on cuda. */
#include <math.h>

#include "vecops_tables.h"

gt_status gt_vec_check_tanh_init(const char *who, const float *x0, int64_t n, int64_t d, const float *w,
                                 const float *x, gt_error *err) {
  const char *op = "tanh_init";
  gt_status st = gt_vec_check_rows(who, op, n, d, err);
  if (st == GT_OK) st = gt_vec_check_ptr(who, op, "x0", x0, n, err);
  if (st == GT_OK) st = gt_vec_check_ptr(who, op, "w", w, n, err);
  if (st == GT_OK) st = gt_vec_check_ptr(who, op, "x", x, n, err);
  if (st == GT_OK && n > 0 && (w == x || w == x0))
    st = gt_error_set(err, GT_ERR_USAGE, "%s vec %s: w may not alias x or x0", who, op);
  return st;
}

gt_status gt_vec_check_tanh_adam(const char *who, const gt_vec_tanh_adam *a, gt_error *err) {
  const char *op = "tanh_adam_step";
  if (!a) return gt_error_set(err, GT_ERR_USAGE, "%s vec %s: no arguments", who, op);
  gt_status st = gt_vec_check_rows(who, op, a->n, a->d, err);
  if (st != GT_OK) return st;
  if (!(a->lr >= 0.0f) || isinf(a->lr))
    return gt_error_set(err, GT_ERR_USAGE, "%s vec %s: learning rate %g, need finite and >= 0", who, op, (double)a->lr);
  if (!(a->beta1 >= 0.0f && a->beta1 < 1.0f) || !(a->beta2 >= 0.0f && a->beta2 < 1.0f))
    return gt_error_set(err, GT_ERR_USAGE, "%s vec %s: betas %g, %g, need both in [0, 1)", who, op, (double)a->beta1,
                        (double)a->beta2);
  if (!(a->adam_eps > 0.0f) || isinf(a->adam_eps))
    return gt_error_set(err, GT_ERR_USAGE, "%s vec %s: adam_eps %g, need finite and > 0", who, op, (double)a->adam_eps);
  if (a->step < 1) return gt_error_set(err, GT_ERR_USAGE, "%s vec %s: step %d, need >= 1", who, op, a->step);
  const char *names[7] = {"w", "m", "v", "x0", "grad", "coef", "x"};
  const void *ptrs[7] = {a->w, a->m, a->v, a->x0, a->grad, a->coef, a->x};
  for (int i = 0; st == GT_OK && i < 7; i++) st = gt_vec_check_ptr(who, op, names[i], ptrs[i], a->n, err);
  if (st != GT_OK) return st;
  if (a->n > 0 && (a->x == a->w || a->x == a->m || a->x == a->v || a->w == a->m || a->w == a->v || a->m == a->v))
    return gt_error_set(err, GT_ERR_USAGE, "%s vec %s: x, w, m and v must be distinct buffers", who, op);
  for (int64_t i = 0; i < a->n; i++)
    if (!isfinite(a->coef[i]))
      return gt_error_set(err, GT_ERR_USAGE, "%s vec %s: coef[%lld] = %g, need finite", who, op, (long long)i,
                          (double)a->coef[i]);
  return GT_OK;
}

/* Argument checks of the score-based vector ops (logit_loss, square_init, square_step) shared by
 * the host-memory tables (ref, cpu). The checks read the arrays (labels, ids): host memory there. */
#include <math.h>

#include "vecops_tables.h"

gt_status gt_vec_check_logit_loss(const char *who, gt_loss_kind kind, const float *logits, int64_t n, int k,
                                  const int32_t *labels, const int32_t *targets, const float *out, gt_error *err) {
  const char *op = "logit_loss";
  if ((int)kind < 0 || kind >= GT_LOSS_COUNT)
    return gt_error_set(err, GT_ERR_USAGE, "%s vec %s: unknown loss kind %d", who, op, (int)kind);
  if (k < gt_loss_min_classes(kind))
    return gt_error_set(err, GT_ERR_USAGE, "%s vec %s: the %s loss needs at least %d classes, got %d", who, op,
                        gt_loss_name(kind), gt_loss_min_classes(kind), k);
  gt_status st = gt_vec_check_rows(who, op, n, k, err);
  if (st == GT_OK) st = gt_vec_check_ptr(who, op, "logits", logits, n, err);
  if (st == GT_OK) st = gt_vec_check_ptr(who, op, "out", out, n, err);
  if (st == GT_OK) st = gt_vec_check_classes(who, op, "labels", labels, n, k, err);
  if (st == GT_OK && gt_loss_is_targeted(kind)) st = gt_vec_check_classes(who, op, "targets", targets, n, k, err);
  return st;
}

gt_status gt_vec_check_square(const char *who, const char *op, const gt_vec_square *sq, int step, gt_error *err) {
  if (!sq) return gt_error_set(err, GT_ERR_USAGE, "%s vec %s: no arguments", who, op);
  if (sq->norm != GT_NORM_LINF && sq->norm != GT_NORM_L2)
    return gt_error_set(err, GT_ERR_USAGE, "%s vec %s: norm %s, need Linf or L2", who, op, gt_norm_name(sq->norm));
  if (sq->c < 1 || sq->h < 1 || sq->w < 1)
    return gt_error_set(err, GT_ERR_USAGE, "%s vec %s: image %lld x %lld x %lld, need >= 1 each", who, op,
                        (long long)sq->c, (long long)sq->h, (long long)sq->w);
  if (sq->c > GT_MAX_ELEMENTS || sq->h > GT_MAX_ELEMENTS / sq->c || sq->w > GT_MAX_ELEMENTS / (sq->c * sq->h))
    return gt_error_set(err, GT_ERR_LIMIT, "%s vec %s: image %lld x %lld x %lld is beyond the cap", who, op,
                        (long long)sq->c, (long long)sq->h, (long long)sq->w);
  int64_t d = sq->c * sq->h * sq->w;
  gt_status st = gt_vec_check_rows(who, op, sq->n, d, err);
  if (st != GT_OK) return st;
  if (!(sq->eps >= 0.0f) || isinf(sq->eps))
    return gt_error_set(err, GT_ERR_USAGE, "%s vec %s: eps = %g, need finite and >= 0", who, op, (double)sq->eps);
  if (sq->stream > GT_RNG_MAX_STREAM)
    return gt_error_set(err, GT_ERR_USAGE, "%s vec %s: stream %u is above %u", who, op, sq->stream, GT_RNG_MAX_STREAM);
  if (sq->restart > GT_RNG_MAX_RESTART)
    return gt_error_set(err, GT_ERR_USAGE, "%s vec %s: restart %u is above %u", who, op, sq->restart,
                        GT_RNG_MAX_RESTART);
  if (step) {
    int64_t m = sq->h < sq->w ? sq->h : sq->w;
    if (sq->side < 1 || sq->side > m)
      return gt_error_set(err, GT_ERR_USAGE, "%s vec %s: side %lld is outside 1..%lld", who, op, (long long)sq->side,
                          (long long)m);
    st = gt_vec_check_ptr(who, op, "x", sq->x, sq->n, err);
  }
  if (st == GT_OK) st = gt_vec_check_ptr(who, op, "x0", sq->x0, sq->n, err);
  if (st == GT_OK) st = gt_vec_check_ptr(who, op, "sample_ids", sq->sample_ids, sq->n, err);
  if (st == GT_OK) st = gt_vec_check_ptr(who, op, "out", sq->out, sq->n, err);
  if (st == GT_OK && sq->n > 0 && ((const float *)sq->out == sq->x0 || (step && (const float *)sq->out == sq->x)))
    st = gt_error_set(err, GT_ERR_USAGE, "%s vec %s: out may not alias x or x0", who, op);
  for (int64_t i = 0; st == GT_OK && i < sq->n; i++)
    if (sq->sample_ids[i] < 0 || (uint64_t)sq->sample_ids[i] > GT_RNG_MAX_SAMPLE)
      st = gt_error_set(err, GT_ERR_USAGE, "%s vec %s: sample id %lld (row %lld) is outside 0..2^32-1", who, op,
                        (long long)sq->sample_ids[i], (long long)i);
  return st;
}

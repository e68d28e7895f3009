/* The ref backend's per-sample loss entry: validates the call, then applies the shared
 * formulas of gauntlet/hd/loss.h row by row.
 *   logits [N, K], labels int32 [N], targets int32 [N] (targeted kinds only)
 *   -> loss [N], optional dlogits [N, K] (overwritten with dloss_n / dz_n). */
#include "ref_ops.h"

#include "gauntlet/hd/loss.h"

#include <limits.h>

gt_status gt_ref_loss(gt_backend *be, gt_loss_kind kind, const gt_tensor *logits, const int32_t *labels,
                      const int32_t *targets, gt_tensor *loss, gt_tensor *dlogits, gt_error *err) {
  char a[96], b[96];
  if ((int)kind < 0 || (int)kind >= GT_LOSS_COUNT)
    return gt_error_set(err, GT_ERR_USAGE, "ref loss: unknown loss kind %d", (int)kind);
  const char *name = gt_loss_name(kind);
  if (!logits || !loss || !labels || !logits->data || !loss->data)
    return gt_error_set(err, GT_ERR_USAGE, "ref loss %s: logits, labels and loss are required", name);
  if (logits->ndim != 2 || !gt_tensor_is_contiguous(logits))
    return gt_error_set(err, GT_ERR_SHAPE, "ref loss %s: logits %s must be contiguous [N, K]", name,
                        gt_shape_format(logits->ndim, logits->shape, a, sizeof a));
  int64_t n = logits->shape[0], k = logits->shape[1];
  if (k > INT_MAX || n < 0)
    return gt_error_set(err, GT_ERR_LIMIT, "ref loss %s: logits %s are too large", name,
                        gt_shape_format(logits->ndim, logits->shape, a, sizeof a));
  if (k < gt_loss_min_classes(kind))
    return gt_error_set(err, GT_ERR_USAGE, "ref loss %s: needs at least %d classes, the model has %lld", name,
                        gt_loss_min_classes(kind), (long long)k);
  if (gt_tensor_numel(loss) != n || !gt_tensor_is_contiguous(loss))
    return gt_error_set(err, GT_ERR_SHAPE, "ref loss %s: loss %s must hold %lld values", name,
                        gt_shape_format(loss->ndim, loss->shape, a, sizeof a), (long long)n);
  if (dlogits && (!dlogits->data || !gt_ref_same_shape(dlogits, logits) || !gt_tensor_is_contiguous(dlogits)))
    return gt_error_set(err, GT_ERR_SHAPE, "ref loss %s: dlogits %s must be contiguous like logits %s", name,
                        gt_shape_format(dlogits->ndim, dlogits->shape, a, sizeof a),
                        gt_shape_format(logits->ndim, logits->shape, b, sizeof b));
  int targeted = gt_loss_is_targeted(kind);
  if (targeted && !targets)
    return gt_error_set(err, GT_ERR_USAGE, "ref loss %s: a targeted loss needs target classes", name);
  /* Check every class index before writing anything. */
  for (int64_t i = 0; i < n; i++) {
    if (labels[i] < 0 || labels[i] >= k)
      return gt_error_set(err, GT_ERR_USAGE, "ref loss %s: label %d of sample %lld is outside 0..%lld", name,
                          (int)labels[i], (long long)i, (long long)(k - 1));
    if (targeted && (targets[i] < 0 || targets[i] >= k))
      return gt_error_set(err, GT_ERR_USAGE, "ref loss %s: target %d of sample %lld is outside 0..%lld", name,
                          (int)targets[i], (long long)i, (long long)(k - 1));
  }
  for (int64_t i = 0; i < n; i++) {
    const float *z = logits->data + i * k;
    float *dz = dlogits ? dlogits->data + i * k : NULL;
    loss->data[i] = gt_loss_row(kind, z, (int)k, labels[i], targeted ? targets[i] : 0, dz);
  }
  return GT_OK;
}

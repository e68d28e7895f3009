/* The CUDA backend's per-sample loss entry (gt_backend_iface.loss): every gt_loss_kind, one thread
 * per sample running gt_loss_row of gauntlet/hd/loss.h (value and, when asked, dlogits).
 *   logits [N, K], labels int32 [N], targets int32 [N] (targeted kinds only)
 *   -> loss [N], optional dlogits [N, K] (overwritten with dloss_n / dz_n).
 * Labels and targets are checked on the host (a copy of the [N] arrays) before anything is written,
 * as the host backends do. */
#include "vecops_cuda.h"

#include <limits.h>

#include "gauntlet/hd/loss.h"

__global__ void gt_loss_kernel(gt_loss_kind kind, const float *z, int64_t n, int k, const int32_t *labels,
                               const int32_t *targets, float *out, float *dz) {
  GT_KERNEL_LOOP(i, n) {
    out[i] = gt_loss_row(kind, z + i * k, k, labels[i], targets ? targets[i] : 0, dz ? dz + i * k : NULL);
  }
}

gt_status gt_cuda_loss(gt_backend *be, gt_loss_kind kind, const gt_tensor *logits, const int32_t *labels,
                       const int32_t *targets, gt_tensor *loss, gt_tensor *dlogits, gt_error *err) {
  char a[96], b[96];
  const char *who = GT_CUDA_BACKEND_NAME;
  if ((int)kind < 0 || (int)kind >= GT_LOSS_COUNT)
    return gt_error_set(err, GT_ERR_USAGE, "%s loss: unknown loss kind %d", who, (int)kind);
  const char *name = gt_loss_name(kind);
  if (!logits || !loss || !labels || !logits->data || !loss->data)
    return gt_error_set(err, GT_ERR_USAGE, "%s loss %s: logits, labels and loss are required", who, name);
  if (logits->ndim != 2 || !gt_tensor_is_contiguous(logits))
    return gt_error_set(err, GT_ERR_SHAPE, "%s loss %s: logits %s must be contiguous [N, K]", who, name,
                        gt_shape_format(logits->ndim, logits->shape, a, sizeof a));
  int64_t n = logits->shape[0], k = logits->shape[1];
  if (k > INT_MAX || n < 0)
    return gt_error_set(err, GT_ERR_LIMIT, "%s loss %s: logits %s are too large", who, name,
                        gt_shape_format(logits->ndim, logits->shape, a, sizeof a));
  if (k < gt_loss_min_classes(kind))
    return gt_error_set(err, GT_ERR_USAGE, "%s loss %s: needs at least %d classes, the model has %lld", who, name,
                        gt_loss_min_classes(kind), (long long)k);
  if (gt_tensor_numel(loss) != n || !gt_tensor_is_contiguous(loss))
    return gt_error_set(err, GT_ERR_SHAPE, "%s loss %s: loss %s must hold %lld values", who, name,
                        gt_shape_format(loss->ndim, loss->shape, a, sizeof a), (long long)n);
  if (dlogits && (!dlogits->data || !gt_op_same_shape(dlogits, logits) || !gt_tensor_is_contiguous(dlogits)))
    return gt_error_set(err, GT_ERR_SHAPE, "%s loss %s: dlogits %s must be contiguous like logits %s", who, name,
                        gt_shape_format(dlogits->ndim, dlogits->shape, a, sizeof a),
                        gt_shape_format(logits->ndim, logits->shape, b, sizeof b));
  int targeted = gt_loss_is_targeted(kind);
  if (targeted && !targets)
    return gt_error_set(err, GT_ERR_USAGE, "%s loss %s: a targeted loss needs target classes", who, name);
  gt_host_copy hl, ht;
  gt_status st = gt_vec_fetch(be, labels, n, hl, err);
  if (st == GT_OK) st = gt_vec_check_classes(who, name, "labels", hl.as<int32_t>(), n, (int)k, err);
  if (st == GT_OK && targeted) st = gt_vec_fetch(be, targets, n, ht, err);
  if (st == GT_OK && targeted) st = gt_vec_check_classes(who, name, "targets", ht.as<int32_t>(), n, (int)k, err);
  if (st != GT_OK || n == 0) return st;
  GT_LAUNCH(gt_loss_kernel, GT_VEC_GRID(n), kind, logits->data, n, (int)k, labels, targeted ? targets : NULL,
            loss->data, dlogits ? dlogits->data : NULL);
  GT_LAUNCH_CHECK();
  return GT_OK;
}

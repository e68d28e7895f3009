/* The CUDA backend's vector ops on logits and per-sample scalars (gauntlet/vecops.h): success
 * flags, argmax, top-k classes, running maxima and the per-row loss of score-based attacks. One
 * thread per row with the row functions of gauntlet/hd/{logits,loss,rowstats}.h. */
#include "vecops_cuda.h"

#include "gauntlet/hd/logits.h"
#include "gauntlet/hd/loss.h"
#include "gauntlet/hd/rowstats.h"

__global__ void gt_vec_success_kernel(const float *logits, int64_t n, int k, const int32_t *labels,
                                      const int32_t *targets, int32_t *flags) {
  GT_KERNEL_LOOP(i, n) { flags[i] = gt_logits_success(logits + i * k, k, labels[i], targets ? targets[i] : -1); }
}

gt_status gt_cuda_vec_success(gt_backend *be, const float *logits, int64_t n, int k, const int32_t *labels,
                              const int32_t *targets, int32_t *flags, gt_error *err) {
  gt_host_copy hl, ht;
  gt_status st = gt_vec_check_rows(GT_VEC_WHO, "success", n, k, err);
  if (st == GT_OK) st = gt_vec_fetch(be, labels, n, hl, err);
  if (st == GT_OK) st = gt_vec_fetch(be, targets, n, ht, err);
  if (st == GT_OK)
    st = gt_vec_check_success(GT_VEC_WHO, logits, n, k, hl.as<int32_t>(), targets ? ht.as<int32_t>() : NULL, flags,
                              err);
  if (st != GT_OK || n == 0) return st;
  GT_LAUNCH(gt_vec_success_kernel, GT_VEC_GRID(n), logits, n, k, labels, targets, flags);
  GT_LAUNCH_CHECK();
  return GT_OK;
}

__global__ void gt_vec_argmax_kernel(const float *logits, int64_t n, int k, int32_t *out) {
  GT_KERNEL_LOOP(i, n) { out[i] = gt_logits_argmax(logits + i * k, k); }
}

gt_status gt_cuda_vec_argmax(gt_backend *be, const float *logits, int64_t n, int k, int32_t *out, gt_error *err) {
  gt_status st = gt_vec_check_logit_rows(GT_VEC_WHO, "argmax", logits, n, k, "out", out, err);
  if (st != GT_OK || n == 0) return st;
  GT_LAUNCH(gt_vec_argmax_kernel, GT_VEC_GRID(n), logits, n, k, out);
  GT_LAUNCH_CHECK();
  return GT_OK;
}

__global__ void gt_vec_topk_kernel(const float *logits, int64_t n, int k, int kk, int32_t *out) {
  GT_KERNEL_LOOP(i, n) { gt_logits_topk(logits + i * k, k, kk, out + i * kk); }
}

gt_status gt_cuda_vec_topk_classes(gt_backend *be, const float *logits, int64_t n, int k, int kk, int32_t *out,
                                   gt_error *err) {
  gt_status st = gt_vec_check_topk(GT_VEC_WHO, logits, n, k, kk, out, err);
  if (st != GT_OK || n == 0) return st;
  GT_LAUNCH(gt_vec_topk_kernel, GT_VEC_GRID(n), logits, n, k, kk, out);
  GT_LAUNCH_CHECK();
  return GT_OK;
}

__global__ void gt_vec_track_max_kernel(const float *value, int64_t n, float *best, int32_t *improved, float *last,
                                        int32_t *rises) {
  GT_KERNEL_LOOP(i, n) {
    int up = gt_track_max_elem(value[i], best + i, last ? last + i : NULL, rises ? rises + i : NULL);
    if (improved) improved[i] = up;
  }
}

gt_status gt_cuda_vec_track_max(gt_backend *be, const float *value, int64_t n, float *best, int32_t *improved,
                                float *last, int32_t *rises, gt_error *err) {
  gt_status st = gt_vec_check_track_max(GT_VEC_WHO, value, n, best, last, rises, err);
  if (st != GT_OK || n == 0) return st;
  GT_LAUNCH(gt_vec_track_max_kernel, GT_VEC_GRID(n), value, n, best, improved, last, rises);
  GT_LAUNCH_CHECK();
  return GT_OK;
}

__global__ void gt_vec_logit_loss_kernel(gt_loss_kind kind, const float *logits, int64_t n, int k,
                                         const int32_t *labels, const int32_t *targets, float *out) {
  GT_KERNEL_LOOP(i, n) {
    out[i] = gt_loss_row(kind, logits + i * k, k, labels[i], targets ? targets[i] : -1, NULL);
  }
}

gt_status gt_cuda_vec_logit_loss(gt_backend *be, gt_loss_kind kind, const float *logits, int64_t n, int k,
                                 const int32_t *labels, const int32_t *targets, float *out, gt_error *err) {
  int targeted = (int)kind >= 0 && kind < GT_LOSS_COUNT && gt_loss_is_targeted(kind);
  gt_host_copy hl, ht;
  gt_status st = gt_vec_check_rows(GT_VEC_WHO, "logit_loss", n, k, err);
  if (st == GT_OK) st = gt_vec_fetch(be, labels, n, hl, err);
  if (st == GT_OK && targeted) st = gt_vec_fetch(be, targets, n, ht, err);
  if (st == GT_OK)
    st = gt_vec_check_logit_loss(GT_VEC_WHO, kind, logits, n, k, labels ? hl.as<int32_t>() : NULL,
                                 targeted && targets ? ht.as<int32_t>() : NULL, out, err);
  if (st != GT_OK || n == 0) return st;
  GT_LAUNCH(gt_vec_logit_loss_kernel, GT_VEC_GRID(n), kind, logits, n, k, labels, targeted ? targets : NULL, out);
  GT_LAUNCH_CHECK();
  return GT_OK;
}

/* Internal to the CUDA vector ops (cuda/vecops*.cu): the argument-check helpers they share and the
 * functions that vecops.cu gathers into gt_cuda_vec_iface.
 * Argument checks are the host backends' (backends/vecops_tables.h), run on a host mirror of the
 * arguments: the small [n] arrays whose contents are checked (indices, classes, radii, ids, k's)
 * are fetched from the device first. Row data [n, d] never leaves the device. */
#ifndef GT_CUDA_VECOPS_CUDA_H
#define GT_CUDA_VECOPS_CUDA_H

#include <stdlib.h>

#include "backends/vecops_tables.h"
#include "ops/cuda_ops.h"

#define GT_VEC_WHO GT_CUDA_BACKEND_NAME

/* A host copy of a device array, freed with the object. */
struct gt_host_copy {
  void *p = nullptr;
  gt_host_copy() = default;
  gt_host_copy(const gt_host_copy &) = delete;
  gt_host_copy &operator=(const gt_host_copy &) = delete;
  ~gt_host_copy() { free(p); }
  template <class T>
  const T *as() const {
    return (const T *)p;
  }
};

/* h = host copy of `count` elements of dev (nothing when dev is NULL or count <= 0). */
template <class T>
static inline gt_status gt_vec_fetch(gt_backend *be, const T *dev, int64_t count, gt_host_copy &h, gt_error *err) {
  if (!dev || count <= 0) return GT_OK;
  return gt_cuda_fetch(be, dev, (size_t)count * sizeof(T), &h.p, err);
}

/* Launch geometry over n items (rows or elements). */
#define GT_VEC_GRID(n) gt_cuda_blocks((n), GT_CUDA_THREADS), GT_CUDA_THREADS, 0, gt_cuda_stream(be)

/* vecops_rows.cu */
gt_status gt_cuda_vec_gather_rows(gt_backend *be, const void *src, int64_t n_src, const int32_t *idx, int64_t n_idx,
                                  size_t row_bytes, void *dst, gt_error *err);
gt_status gt_cuda_vec_scatter_rows(gt_backend *be, const void *src, const int32_t *idx, int64_t n_idx,
                                   size_t row_bytes, void *dst, int64_t n_dst, gt_error *err);
gt_status gt_cuda_vec_copy_rows_masked(gt_backend *be, const int32_t *mask, const void *src, int64_t n,
                                       size_t row_bytes, void *dst, gt_error *err);

/* vecops_logits.cu */
gt_status gt_cuda_vec_success(gt_backend *be, const float *logits, int64_t n, int k, const int32_t *labels,
                              const int32_t *targets, int32_t *flags, gt_error *err);
gt_status gt_cuda_vec_argmax(gt_backend *be, const float *logits, int64_t n, int k, int32_t *out, gt_error *err);
gt_status gt_cuda_vec_topk_classes(gt_backend *be, const float *logits, int64_t n, int k, int kk, int32_t *out,
                                   gt_error *err);
gt_status gt_cuda_vec_track_max(gt_backend *be, const float *value, int64_t n, float *best, int32_t *improved,
                                float *last, int32_t *rises, gt_error *err);
gt_status gt_cuda_vec_logit_loss(gt_backend *be, gt_loss_kind kind, const float *logits, int64_t n, int k,
                                 const int32_t *labels, const int32_t *targets, float *out, gt_error *err);

/* vecops_search.cu: the score-based and minimum-norm attacks' row ops */
gt_status gt_cuda_vec_square_init(gt_backend *be, const gt_vec_square *sq, gt_error *err);
gt_status gt_cuda_vec_square_step(gt_backend *be, const gt_vec_square *sq, gt_error *err);
gt_status gt_cuda_vec_project_hyperplane(gt_backend *be, gt_norm norm, const float *x, const float *w, const float *a,
                                         const float *f, int64_t n, int64_t d, float *out, gt_error *err);
gt_status gt_cuda_vec_tanh_init(gt_backend *be, const float *x0, int64_t n, int64_t d, float *w, float *x,
                                gt_error *err);
gt_status gt_cuda_vec_tanh_adam_step(gt_backend *be, const gt_vec_tanh_adam *a, gt_error *err);

#endif

/* Internal to the backends: the vector-op tables (gauntlet/vecops.h) that backend.c files put in
 * gt_backend_iface.vec, and the argument checks that every table (ref, cpu, cuda) shares: one
 * gt_vec_check_<op> per op, built from the checks of single arguments below.
 * The checks may read the small arrays (indices, labels, ids, radii, step sizes, k's): on ref and cpu
 * they are host memory; cuda passes host copies of them (cuda/vecops_cuda.h). */
#ifndef GAUNTLET_BACKENDS_VECOPS_TABLES_H
#define GAUNTLET_BACKENDS_VECOPS_TABLES_H

#include "gauntlet/vecops.h"

#ifdef __cplusplus
extern "C" {
#endif

extern const gt_vec_iface gt_ref_vec_iface; /* ref/vecops.c */
extern const gt_vec_iface gt_cpu_vec_iface; /* cpu/vecops.c */

/* Every check formats "<backend> vec <op>: <problem>" into err and returns its code; `who` is
 * the backend's name ("ref", "cpu", "cuda", "cuda-emu"), `op` the op name. */

/* n >= 0, d >= 1, n * d within GT_MAX_ELEMENTS. */
gt_status gt_vec_check_rows(const char *who, const char *op, int64_t n, int64_t d, gt_error *err);

/* ptr is non-NULL when n > 0 (`name` is the argument's name). */
gt_status gt_vec_check_ptr(const char *who, const char *op, const char *name, const void *ptr, int64_t n,
                           gt_error *err);

gt_status gt_vec_check_norm(const char *who, const char *op, gt_norm norm, gt_error *err);

/* eps[i] >= 0 (NaN refused; +inf allowed) for i < n. */
gt_status gt_vec_check_radii(const char *who, const char *op, const float *eps, int64_t n, gt_error *err);

/* l1_k[i] >= 1 for i < n. */
gt_status gt_vec_check_l1_k(const char *who, const char *op, const int32_t *l1_k, int64_t n, gt_error *err);

/* 1 <= k and every classes[i] (i < n) in [0, k). */
gt_status gt_vec_check_classes(const char *who, const char *op, const char *name, const int32_t *classes,
                               int64_t n, int k, gt_error *err);

/* Every idx[j] (j < n_idx) in [0, limit); with distinct != 0 no index repeats. */
gt_status gt_vec_check_index(const char *who, const char *op, const int32_t *idx, int64_t n_idx, int64_t limit,
                             int distinct, gt_error *err);

/* Row copies: row_bytes >= 1, counts >= 0, the byte size of every array within limits. */
gt_status gt_vec_check_row_bytes(const char *who, const char *op, int64_t rows, size_t row_bytes, gt_error *err);

/* ---- the whole argument set of one op each (arrays whose contents are read: host-readable) ---- */

/* fill, fill_i32 (`op` names which). */
gt_status gt_vec_check_fill(const char *who, const char *op, const void *dst, int64_t count, gt_error *err);
gt_status gt_vec_check_norms(const char *who, gt_norm norm, const float *x, int64_t n, int64_t d, const float *out,
                             gt_error *err);
/* Reads l1_k (L1 only). */
gt_status gt_vec_check_direction(const char *who, gt_norm norm, const float *grad, const float *x,
                                 const int32_t *l1_k, int64_t n, int64_t d, const float *dir, gt_error *err);
/* Reads eps. */
gt_status gt_vec_check_project(const char *who, gt_norm norm, const float *x, const float *x0, const float *eps,
                               int64_t n, int64_t d, const float *out, gt_error *err);
gt_status gt_vec_check_axpby(const char *who, const float *a, const float *x, const float *b, const float *y,
                             int64_t n, int64_t d, const float *out, gt_error *err);
/* Read idx. */
gt_status gt_vec_check_gather(const char *who, const void *src, int64_t n_src, const int32_t *idx, int64_t n_idx,
                              size_t row_bytes, const void *dst, gt_error *err);
gt_status gt_vec_check_scatter(const char *who, const void *src, const int32_t *idx, int64_t n_idx,
                               size_t row_bytes, const void *dst, int64_t n_dst, gt_error *err);
gt_status gt_vec_check_copy_masked(const char *who, const int32_t *mask, const void *src, int64_t n,
                                   size_t row_bytes, const void *dst, gt_error *err);
/* Reads labels and targets (NULL: untargeted). */
gt_status gt_vec_check_success(const char *who, const float *logits, int64_t n, int k, const int32_t *labels,
                               const int32_t *targets, const int32_t *flags, gt_error *err);
gt_status gt_vec_check_track_max(const char *who, const float *value, int64_t n, const float *best,
                                 const float *last, const int32_t *rises, gt_error *err);
gt_status gt_vec_check_count_nonzero(const char *who, const float *x, int64_t n, int64_t d, const float *out,
                                     gt_error *err);
gt_status gt_vec_check_hyperplane(const char *who, gt_norm norm, const float *x, const float *w, const float *f,
                                  int64_t n, int64_t d, const float *out, gt_error *err);

/* ascent_step / momentum_step (read alpha, eps and, for L1, l1_k) and random_fill (reads the ids). */
gt_status gt_vec_check_step(const char *who, const gt_vec_step *s, gt_error *err);
gt_status gt_vec_check_momentum(const char *who, const gt_vec_momentum *m, gt_error *err);
gt_status gt_vec_check_random(const char *who, const gt_vec_random *r, gt_error *err);

/* The whole argument set of logit_loss, and of square_init / square_step (step != 0: square_step,
 * which also needs x and a side that fits). Defined in vecops_square.c. */
gt_status gt_vec_check_logit_loss(const char *who, gt_loss_kind kind, const float *logits, int64_t n, int k,
                                  const int32_t *labels, const int32_t *targets, const float *out, gt_error *err);
gt_status gt_vec_check_square(const char *who, const char *op, const gt_vec_square *sq, int step, gt_error *err);

/* Logits readers (success, argmax, topk_classes): logits [n, k] and the per-row output [n] (or
 * [n, kk]); class arrays are checked by the caller where they are host-readable. */
gt_status gt_vec_check_logit_rows(const char *who, const char *op, const float *logits, int64_t n, int k,
                                  const char *out_name, const void *out, gt_error *err);
gt_status gt_vec_check_topk(const char *who, const float *logits, int64_t n, int k, int kk, const int32_t *out,
                            gt_error *err);

/* The whole argument sets of tanh_init and tanh_adam_step (defined in vecops_tanh.c; Adam reads coef). */
gt_status gt_vec_check_tanh_init(const char *who, const float *x0, int64_t n, int64_t d, const float *w,
                                 const float *x, gt_error *err);
gt_status gt_vec_check_tanh_adam(const char *who, const gt_vec_tanh_adam *a, gt_error *err);

#ifdef __cplusplus
}
#endif
#endif

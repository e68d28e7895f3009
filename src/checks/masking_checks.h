/* Internal: the gradient-masking checks of gauntlet/masking.h, one per file in src/checks/.
 *
 * The model probe (masking.c) streams the probed points through the oracle once with a CE
 * gradient query and random_passes - 1 more forward passes; each check accumulates what it needs
 * from every batch on the host and decides at the end. The threat checks run attacks themselves.
 * A `*_flag` function returns 1 and fills *out when the flag fires, 0 otherwise. */
#ifndef GAUNTLET_CHECKS_MASKING_CHECKS_H
#define GAUNTLET_CHECKS_MASKING_CHECKS_H

#include <stdint.h>

#include "gauntlet/attack.h"
#include "gauntlet/flags.h"
#include "gauntlet/masking.h"

/* Fills a flag record; detail is printf-style. */
void gt_masking_flag_set(gt_flag *f, gt_flag_kind kind, double evidence, double threshold, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

/* randomness (check_randomness.c): logits of repeated passes against those of the first. Per batch:
 * gt_randomness_compare for every repeated pass (ORs into mark [n], zeroed by the caller: bit 0 =
 * a logit moved beyond tol, bit 1 = the predicted class changed), then gt_randomness_count once. */
typedef struct gt_randomness_acc {
  int64_t rows;       /* rows compared */
  int64_t changed;    /* rows whose logits moved beyond the tolerance in some pass */
  int64_t flipped;    /* rows whose predicted class changed in some pass */
  double max_rel;     /* max |z - z0| / max(1, |z0|) over every pass (NaN counts as infinite) */
} gt_randomness_acc;
void gt_randomness_compare(gt_randomness_acc *acc, const float *first, const float *again, int64_t n, int k,
                           float tol, int32_t *mark);
void gt_randomness_count(gt_randomness_acc *acc, const int32_t *mark, int64_t n);
int gt_randomness_flag(const gt_randomness_acc *acc, int passes, float tol, gt_flag *out);

/* probabilities (check_probabilities.c): rows of logits that look like a probability vector. */
typedef struct gt_probabilities_acc {
  int64_t rows, prob_rows;
  double max_sum_dev;  /* max |sum - 1| over the rows that are non-negative */
} gt_probabilities_acc;
void gt_probabilities_add(gt_probabilities_acc *acc, const float *logits, int64_t n, int k, float tol);
int gt_probabilities_flag(const gt_probabilities_acc *acc, double share, float tol, gt_flag *out);

/* zero_gradients (check_zero_gradients.c): exactly-zero CE input gradients of clean-correct rows.
 * grad [n, d] host; correct [n] 1 where the row is classified correctly. */
typedef struct gt_zero_grad_acc {
  int64_t correct, zero;
} gt_zero_grad_acc;
void gt_zero_grad_add(gt_zero_grad_acc *acc, const float *grad, const int32_t *correct, int64_t n, int64_t d);
int gt_zero_grad_flag(const gt_zero_grad_acc *acc, double share, gt_flag *out);

/* nonfinite_gradients (check_nonfinite_gradients.c): rows whose loss or gradient holds NaN/Inf. */
typedef struct gt_nonfinite_acc {
  int64_t rows, bad, bad_elems;
} gt_nonfinite_acc;
void gt_nonfinite_add(gt_nonfinite_acc *acc, const float *loss, const float *grad, int64_t n, int64_t d);
int gt_nonfinite_flag(const gt_nonfinite_acc *acc, gt_flag *out);

/* The first points of pts a threat check attacks: at most opt->n_points and check_cap, without
 * targets (masking.c). */
gt_attack_points gt_masking_threat_points(const gt_attack_points *pts, const gt_masking_options *opt,
                                          int64_t check_cap);

/* unbounded_not_zero (check_unbounded.c): the attack with eps = the whole input range.
 * *fired = 1 and *out filled when the flag fires. */
gt_status gt_unbounded_check(gt_model *model, const gt_attack_points *pts, gt_norm norm,
                             const gt_masking_options *opt, gt_flag *out, int *fired, gt_error *err);
/* The eps of an unbounded attack on d inputs in [0,1]: Linf 1, L2 sqrt(d), L1 d. */
float gt_unbounded_eps(gt_norm norm, int64_t d);

/* iterations_sensitive (check_iterations.c): S vs 2 S steps at eps. */
gt_status gt_iterations_check(gt_model *model, const gt_attack_points *pts, gt_norm norm, float eps,
                              const gt_masking_options *opt, gt_flag *out, int *fired, gt_error *err);

#endif

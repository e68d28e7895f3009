/* Vector ops for attacks: the second table of a backend (gt_backend_iface.vec), so that attack code
 * is written once against it and its [n, d] state never leaves the device.
 *
 * Conventions, for every op:
 *  - Every pointer is backend memory, except where a comment says HOST.
 *  - Row data is [n, d] row-major float (one sample per row, d = elements per sample); per-sample
 *    scalars are [n] float or int32; logits are [n, k].
 *  - n == 0 is a valid no-op; n < 0, d < 1, k < 1, NULL arrays that are needed, and n * d beyond
 *    GT_MAX_ELEMENTS are GT_ERR_USAGE / GT_ERR_LIMIT with a message naming the op and argument.
 *  - Outputs may alias inputs only where the op says so.
 *  - The per-element and per-row math is gauntlet/hd/{project,momentum,rng,logits,rowstats}.h: a backend
 *    only decides how to run rows in parallel. Results per row do not depend on n, on the other
 *    rows, or on the thread count. Between the host backends (ref, cpu) results are bit-identical.
 *  - Control logic on per-sample scalars (which rows improved, step-size schedules) is the attack's:
 *    it copies [n] arrays to the host, which is cheap even from a GPU. Only [n, d] data must stay
 *    on the device.
 * A backend without attack support leaves gt_backend_iface.vec NULL (attacks then refuse it). */
#ifndef GAUNTLET_VECOPS_H
#define GAUNTLET_VECOPS_H

#include <stddef.h>
#include <stdint.h>

#include "gauntlet/backend.h"
#include "gauntlet/hd/rng.h"
#include "gauntlet/loss.h"
#include "gauntlet/norm.h"
#include "gauntlet/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Arguments of the fused ascent step: out_i = P_{x0_i, eps_i}(x_i + alpha_i * dir(grad_i, x_i)),
 * with dir and P from gauntlet/hd/project.h (gt_proj_step_row). */
typedef struct gt_vec_step {
  gt_norm norm;
  int64_t n, d;
  const float *x;      /* [n, d] current iterates */
  const float *grad;   /* [n, d] gradients of the loss to ascend */
  const float *x0;     /* [n, d] ball centres (the clean points), in [0,1] */
  const float *alpha;  /* [n] step sizes, in units of the norm */
  const float *eps;    /* [n] ball radii (>= 0; +inf: box only) */
  const int32_t *l1_k; /* [n] L1 only (NULL otherwise): coordinates per sparse step, >= 1 */
  float *out;          /* [n, d]; may alias x */
} gt_vec_step;

/* Arguments of a counter-based random fill: row i is draws 0..d-1 at the site (seed, stream,
 * sample_ids[i], restart, step) of gauntlet/hd/rng.h. */
typedef struct gt_vec_random {
  gt_rng_dist dist;
  uint64_t seed;
  uint32_t stream;            /* GT_RNG_STREAM_* (<= GT_RNG_MAX_STREAM) */
  uint32_t restart;           /* <= GT_RNG_MAX_RESTART */
  uint32_t step;
  const int64_t *sample_ids;  /* [n] original dataset indices, 0 <= id <= GT_RNG_MAX_SAMPLE */
  int64_t n, d;
  float *out;                 /* [n, d] */
} gt_vec_random;

/* Arguments of the Square attack's row ops (gauntlet/hd/square.h). Rows are images [c, h, w]
 * (d = c h w); row i draws at the site (seed, stream, sample_ids[i], restart, step). */
typedef struct gt_vec_square {
  gt_norm norm;               /* Linf or L2 */
  int64_t n;
  int64_t c, h, w;            /* >= 1 each */
  int64_t side;               /* square_step: side of the window, 1..min(h, w); square_init: unused */
  float eps;                  /* >= 0, finite */
  const float *x;             /* [n, d] square_step: current best points; square_init: unused (NULL) */
  const float *x0;            /* [n, d] clean points, in [0,1] */
  uint64_t seed;
  uint32_t stream;            /* GT_RNG_STREAM_* (<= GT_RNG_MAX_STREAM) */
  uint32_t restart;           /* <= GT_RNG_MAX_RESTART */
  uint32_t step;              /* square_init: 0 by convention; square_step: the query index */
  const int64_t *sample_ids;  /* [n] original dataset indices, 0 <= id <= GT_RNG_MAX_SAMPLE */
  float *out;                 /* [n, d]; may not alias x or x0 */
} gt_vec_square;

/* Arguments of one Adam step in the tanh space of Carlini & Wagner's L2 attack (gt_tanh_adam_row
 * of gauntlet/hd/tanh_adam.h): the point is x = (tanh(w) + 1) / 2, the loss ||x - x0||_2^2 +
 * coef_i g(x), and w takes one Adam step on it. */
typedef struct gt_vec_tanh_adam {
  int64_t n, d;
  float *w;              /* [n, d] tanh-space variables, updated */
  float *m, *v;          /* [n, d] Adam's moment estimates, updated (zero before step 1) */
  const float *x0;       /* [n, d] centres of the distance term */
  const float *grad;     /* [n, d] dg/dx at the current point (tanh(w) + 1) / 2 */
  const float *coef;     /* [n] weight of g per row (finite) */
  float lr;              /* >= 0, finite */
  float beta1, beta2;    /* in [0, 1) */
  float adam_eps;        /* > 0 */
  int step;              /* Adam's counter t >= 1 (bias corrections 1 - beta^t) */
  float *x;              /* [n, d] out: the point after the step; may alias x0 or grad, not w, m, v */
} gt_vec_tanh_adam;

/* Arguments of APGD's momentum step (gt_momentum_row of gauntlet/hd/momentum.h), in place: with
 * z_i = P(x_i + alpha_i dir(grad_i)),
 *   x_i <- P(x_i + a (z_i - x_i) + (1 - a)(x_i - x_prev_i))    (first: x_i <- z_i)
 *   x_prev_i <- the x_i it was called with.
 * Linf and L2 (APGD-L1 has no momentum). One pass over the state where the ascent step, two axpby,
 * a copy and a projection made five. */
typedef struct gt_vec_momentum {
  gt_norm norm;
  int64_t n, d;
  float *x;           /* [n, d] in: x_k; out: x_{k+1} */
  float *x_prev;      /* [n, d] in: x_{k-1} (unused when first); out: x_k; distinct from x */
  const float *grad;  /* [n, d] gradients at x_k */
  const float *x0;    /* [n, d] ball centres (the clean points), in [0,1] */
  const float *alpha; /* [n] step sizes, in units of the norm */
  const float *eps;   /* [n] ball radii (>= 0; +inf: box only) */
  float momentum;     /* a, in [0, 1] */
  int first;          /* the first step: x_{k+1} = z */
} gt_vec_momentum;

typedef struct gt_vec_iface {
  /* dst[0..count) = value. */
  gt_status (*fill)(gt_backend *be, float *dst, int64_t count, float value, gt_error *err);
  gt_status (*fill_i32)(gt_backend *be, int32_t *dst, int64_t count, int32_t value, gt_error *err);

  /* out[i] = ||x_i - x0_i|| in the given norm (x0 NULL: ||x_i||), accumulated in double. */
  gt_status (*norms)(gt_backend *be, gt_norm norm, const float *x, const float *x0, int64_t n, int64_t d,
                     float *out, gt_error *err);

  /* dir_i = steepest-ascent direction of grad_i (gt_dir_row). x and l1_k are read by L1 only
   * (NULL allowed otherwise). dir may not alias grad or x. */
  gt_status (*direction)(gt_backend *be, gt_norm norm, const float *grad, const float *x, const int32_t *l1_k,
                         int64_t n, int64_t d, float *dir, gt_error *err);

  /* The fused ascent step + projection + box clip (gt_vec_step). */
  gt_status (*ascent_step)(gt_backend *be, const gt_vec_step *step, gt_error *err);

  /* out_i = projection of x_i onto the eps_i-ball around x0_i intersected with [0,1]^d
   * (gt_proj_row). out may alias x. */
  gt_status (*project)(gt_backend *be, gt_norm norm, const float *x, const float *x0, const float *eps, int64_t n,
                       int64_t d, float *out, gt_error *err);

  /* out_i = a_i * x_i + b_i * y_i (a, b: [n] per-sample coefficients). out may alias x or y. */
  gt_status (*axpby)(gt_backend *be, const float *a, const float *x, const float *b, const float *y, int64_t n,
                     int64_t d, float *out, gt_error *err);

  /* Compaction, on rows of row_bytes bytes (floats, int32 labels, int64 ids alike):
   * gather:  dst row j = src row idx[j], j < n_idx; every idx[j] in [0, n_src).
   * scatter: dst row idx[j] = src row j; idx distinct and in [0, n_dst); other dst rows untouched.
   * dst may not overlap src. */
  gt_status (*gather_rows)(gt_backend *be, const void *src, int64_t n_src, const int32_t *idx, int64_t n_idx,
                           size_t row_bytes, void *dst, gt_error *err);
  gt_status (*scatter_rows)(gt_backend *be, const void *src, const int32_t *idx, int64_t n_idx, size_t row_bytes,
                            void *dst, int64_t n_dst, gt_error *err);

  /* dst row i = src row i where mask[i] != 0 (mask: int32 [n]); other rows untouched. */
  gt_status (*copy_rows_masked)(gt_backend *be, const int32_t *mask, const void *src, int64_t n, size_t row_bytes,
                                void *dst, gt_error *err);

  /* Counter-based random fill (gt_vec_random). */
  gt_status (*random_fill)(gt_backend *be, const gt_vec_random *r, gt_error *err);

  /* flags[i] = attack success on logits row i: targets NULL -> argmax != labels[i]; else argmax ==
   * targets[i] (gt_logits_success). labels and targets in [0, k). */
  gt_status (*success)(gt_backend *be, const float *logits, int64_t n, int k, const int32_t *labels,
                       const int32_t *targets, int32_t *flags, gt_error *err);

  /* out[i] = argmax of logits row i (ties: lowest index). */
  gt_status (*argmax)(gt_backend *be, const float *logits, int64_t n, int k, int32_t *out, gt_error *err);

  /* out [n, kk] = the kk highest-ranked classes of each row, best first (1 <= kk <= k). APGD-T and
   * FAB-T take targets from columns 1..9 (the 2nd..10th highest logits). */
  gt_status (*topk_classes)(gt_backend *be, const float *logits, int64_t n, int k, int kk, int32_t *out,
                            gt_error *err);

  /* Running maxima of per-sample values, [n] arrays (APGD's best-loss bookkeeping, row rule
   * gt_track_max_elem in gauntlet/hd/rowstats.h): improved[i] = value[i] > best[i], and then best[i]
   * = value[i]; when last is given (rises too), rises[i] += value[i] > last[i] and last[i] =
   * value[i]. NaN never improves nor rises. improved may be NULL; last and rises both NULL or not. */
  gt_status (*track_max)(gt_backend *be, const float *value, int64_t n, float *best, int32_t *improved, float *last,
                         int32_t *rises, gt_error *err);

  /* out[i] = number of coordinates in which x_i differs from x0_i (x0 NULL: non-zero coordinates),
   * the L0 size of a perturbation (gt_l0_count_row), as a float (exact up to 2^24). */
  gt_status (*count_nonzero)(gt_backend *be, const float *x, const float *x0, int64_t n, int64_t d, float *out,
                             gt_error *err);

  /* out[i] = the loss `kind` of logits row i (gt_loss_row of gauntlet/hd/loss.h, no gradient):
   * what a score-based attack ascends. labels [n] in [0, k); targets [n] for targeted kinds (else
   * ignored, may be NULL); k >= gt_loss_min_classes(kind). */
  gt_status (*logit_loss)(gt_backend *be, gt_loss_kind kind, const float *logits, int64_t n, int k,
                          const int32_t *labels, const int32_t *targets, float *out, gt_error *err);

  /* Square attack: out_i = the initial point (Linf: vertical stripes of +-eps; L2: a grid of
   * bumps on the eps-sphere), or one random square update of x_i (gt_square_*_row). */
  gt_status (*square_init)(gt_backend *be, const gt_vec_square *sq, gt_error *err);
  gt_status (*square_step)(gt_backend *be, const gt_vec_square *sq, gt_error *err);

  /* out_i = the projection of x_i onto the hyperplane {z : w_i.(z - a_i) + f_i = 0} intersected
   * with [0,1]^d, exact in the norm (FAB's core step, gt_hyperplane_project_row of
   * gauntlet/hd/hyperplane.h); when the plane misses the box, the box corner nearest to it.
   * x, w, a: [n, d] (a NULL: the planes w_i.z + f_i = 0); f: [n]. out may alias x (not w or a). */
  gt_status (*project_hyperplane)(gt_backend *be, gt_norm norm, const float *x, const float *w, const float *a,
                                  const float *f, int64_t n, int64_t d, float *out, gt_error *err);

  /* Carlini & Wagner's change of variables (gauntlet/hd/tanh_adam.h): w = atanh((2 x0 - 1) *
   * GT_TANH_SHRINK) and x = (tanh(w) + 1) / 2, both [n, d]; x may alias x0. */
  gt_status (*tanh_init)(gt_backend *be, const float *x0, int64_t n, int64_t d, float *w, float *x, gt_error *err);

  /* One Adam step in that space (gt_vec_tanh_adam). */
  gt_status (*tanh_adam_step)(gt_backend *be, const gt_vec_tanh_adam *a, gt_error *err);

  /* APGD's fused momentum step (gt_vec_momentum). */
  gt_status (*momentum_step)(gt_backend *be, const gt_vec_momentum *m, gt_error *err);
} gt_vec_iface;

/* The backend's vector ops, or NULL with GT_ERR_UNSUPPORTED in err when it has none. */
const gt_vec_iface *gt_backend_vec(const gt_backend *be, gt_error *err);

#ifdef __cplusplus
}
#endif
#endif

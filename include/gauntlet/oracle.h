/* The oracle: everything an attack may learn about a model, and the meter of what it cost.
 *
 * Attacks never touch gt_model directly. They ask the oracle for logits (score-based attacks) or
 * for a per-sample loss and its input gradient (white-box attacks); the oracle counts every sample
 * pushed through a forward or a backward pass, so reports can say what an evaluation cost.
 *
 * EOT (expectation over transformation, for randomised models): with eot = K > 1 every
 * gt_oracle_loss_grad runs K forward+backward passes and returns the MEAN loss and the MEAN
 * gradient over them (what AutoAttack's "rand" version does with 20). Logits returned alongside
 * (and by gt_oracle_logits) are those of ONE pass, the first: success is judged on an actual
 * answer of the model, as a user querying it would see it. For a deterministic model K passes give
 * the same numbers K times; they are still counted, as they would cost that much.
 *
 * Every pointer is backend memory of gt_oracle_backend(o); x is [n, d] with d =
 * gt_oracle_input_numel(o); 1 <= n <= gt_oracle_max_batch(o). */
#ifndef GAUNTLET_ORACLE_H
#define GAUNTLET_ORACLE_H

#include <stdint.h>

#include "gauntlet/backend.h"
#include "gauntlet/loss.h"
#include "gauntlet/model.h"
#include "gauntlet/status.h"
#include "gauntlet/vecops.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gt_oracle gt_oracle;

/* Samples through the model since the oracle was created (a batch of n counts n; EOT counts K n). */
typedef struct gt_oracle_counts {
  int64_t forward;  /* forward passes, including those inside gradient queries */
  int64_t backward; /* backward passes (input gradients) */
} gt_oracle_counts;

/* The model must outlive the oracle, and its backend must have vector ops (gauntlet/vecops.h).
 * eot: passes averaged per gradient query; 0 or 1 means one (no averaging); at most 10000. */
gt_status gt_oracle_create(gt_model *model, int eot, gt_oracle **out, gt_error *err);
void gt_oracle_free(gt_oracle *o);

gt_backend *gt_oracle_backend(const gt_oracle *o);
const gt_vec_iface *gt_oracle_vec(const gt_oracle *o);
int64_t gt_oracle_max_batch(const gt_oracle *o);
int64_t gt_oracle_input_numel(const gt_oracle *o); /* d */
/* Shape of one input sample without the batch dim (C, H, W for images); its rank goes to *rank.
 * The array belongs to the model. Attacks that work on image geometry (Square) read it. */
const int64_t *gt_oracle_input_shape(const gt_oracle *o, int *rank);
int gt_oracle_num_classes(const gt_oracle *o);     /* k */
int gt_oracle_eot(const gt_oracle *o);
gt_oracle_counts gt_oracle_get_counts(const gt_oracle *o);

/* logits [n, k] <- the model's logits on x (one forward pass of n samples). */
gt_status gt_oracle_logits(gt_oracle *o, const float *x, int64_t n, float *logits, gt_error *err);

/* One gradient query on x [n, d]:
 *   loss   [n]    per-sample loss of `kind` (oriented for maximisation, gauntlet/loss.h), EOT mean
 *   grad   [n, d] d loss / d x, EOT mean; NULL: forward only (no backward pass is run or counted)
 *   logits [n, k] logits of the first pass; NULL: not wanted
 * loss may be NULL when only grad or logits are wanted. labels [n] int32; targets [n] int32 for
 * targeted kinds (else ignored, may be NULL). The loss must be defined for k classes
 * (gt_loss_min_classes). */
gt_status gt_oracle_loss_grad(gt_oracle *o, const float *x, int64_t n, gt_loss_kind kind, const int32_t *labels,
                              const int32_t *targets, float *loss, float *grad, float *logits, gt_error *err);

/* Input gradients of logit differences, for attacks that linearise decision boundaries (FAB):
 * ONE forward pass on x [n, d], then m backward passes through it (1 <= m <= k), where
 * gt_oracle_logits_grad below costs a forward pass per difference. For j < m and row i, with c = classes[j * n + i] and y = labels[i]:
 *   diff   [m, n]     z_c - z_y (EOT mean)                      NULL: not wanted
 *   grads  [m, n, d]  d (z_c - z_y) / d x_i (EOT mean); block j starts at grads + j * n * d
 *   logits [n, k]     logits of the first pass                  NULL: not wanted
 * classes [m * n] and labels [n] are int32 in [0, k); c == y gives a zero difference and gradient.
 * Costs n forward and m * n backward samples per EOT pass (the full Jacobian of k - 1 differences
 * is one call with m = k - 1). Host scratch of O(k * max batch) is reserved on the first call. */
gt_status gt_oracle_logit_diff_grads(gt_oracle *o, const float *x, int64_t n, const int32_t *labels,
                                     const int32_t *classes, int m, float *diff, float *grads, float *logits,
                                     gt_error *err);

/* The input gradient of an arbitrary per-sample linear combination of the logits (DeepFool, FAB
 * and FMN-style attacks need d(z_k - z_y)/dx; a whole Jacobian is k such calls):
 *   grad   [n, d] = d(sum_j dlogits[i, j] z_ij) / dx_i, EOT mean over K forward+backward passes
 *   logits [n, k] of the first pass; NULL: not wanted
 * dlogits [n, k] is backend memory, read only. Counts n forward and n backward samples per pass. */
gt_status gt_oracle_logits_grad(gt_oracle *o, const float *x, int64_t n, const float *dlogits, float *grad,
                                float *logits, gt_error *err);

#ifdef __cplusplus
}
#endif
#endif

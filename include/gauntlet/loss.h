/* Per-sample losses on logits, the quantities attacks differentiate.
 * The formulas live once in gauntlet/hd/loss.h (host and device); this header names them. */
#ifndef GAUNTLET_LOSS_H
#define GAUNTLET_LOSS_H

#ifdef __cplusplus
extern "C" {
#endif

/* Every loss is oriented so that the attacker MAXIMISES it. z are the logits of one sample,
 * y its label, t the target class, z_pi1 >= z_pi2 >= ... the sorted logits. */
typedef enum gt_loss_kind {
  GT_LOSS_CE,           /* cross-entropy: logsumexp(z) - z_y */
  GT_LOSS_CE_TARGETED,  /* log-probability of the target: z_t - logsumexp(z) */
  GT_LOSS_DLR,          /* -(z_y - max_{i!=y} z_i) / (z_pi1 - z_pi3 + 1e-12); needs >= 3 classes */
  GT_LOSS_DLR_TARGETED, /* -(z_y - z_t) / (z_pi1 - (z_pi3 + z_pi4)/2 + 1e-12); needs >= 4 classes */
  GT_LOSS_CW,           /* C&W margin: max_{i!=y} z_i - z_y (> 0 exactly when misclassified) */
  GT_LOSS_CW_TARGETED,  /* z_t - max_{i!=t} z_i (> 0 exactly when classified as t) */
  GT_LOSS_COUNT
} gt_loss_kind;

const char *gt_loss_name(gt_loss_kind kind);
/* Fewest classes the loss is defined for (DLR 3, targeted DLR 4, others 2). */
int gt_loss_min_classes(gt_loss_kind kind);
/* Whether the loss reads a target class. */
int gt_loss_is_targeted(gt_loss_kind kind);

#ifdef __cplusplus
}
#endif
#endif

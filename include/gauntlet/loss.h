/* Per-sample losses on logits, the quantities attacks differentiate.
 * The formulas live once in gauntlet/hd/loss.h (host and device); this header names them. */
#ifndef GAUNTLET_LOSS_H
#define GAUNTLET_LOSS_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum gt_loss_kind {
  GT_LOSS_CE,          /* cross-entropy: logsumexp(z) - z_y */
  GT_LOSS_DLR,         /* -(z_y - max_{i!=y} z_i) / (z_pi1 - z_pi3 + 1e-12); needs >= 3 classes */
  GT_LOSS_DLR_TARGETED,/* -(z_y - z_t) / (z_pi1 - (z_pi3 + z_pi4)/2 + 1e-12); needs >= 4 classes */
  GT_LOSS_CW,          /* margin max_{i!=y} z_i - z_y (untargeted) or z_t - z_y (targeted) */
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

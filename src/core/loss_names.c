/* Names and properties of the per-sample loss kinds (the formulas are in gauntlet/hd/loss.h). */
#include "gauntlet/loss.h"

const char *gt_loss_name(gt_loss_kind kind) {
  switch (kind) {
    case GT_LOSS_CE: return "ce";
    case GT_LOSS_CE_TARGETED: return "ce-targeted";
    case GT_LOSS_DLR: return "dlr";
    case GT_LOSS_DLR_TARGETED: return "dlr-targeted";
    case GT_LOSS_CW: return "cw";
    case GT_LOSS_CW_TARGETED: return "cw-targeted";
    case GT_LOSS_COUNT: break;
  }
  return "unknown";
}

/* DLR divides by z_pi1 - z_pi3 (needs a 3rd logit), targeted DLR by z_pi1 - (z_pi3 + z_pi4)/2.
 * An unknown kind returns 0: callers validate the kind first (the backends' loss entry does). */
int gt_loss_min_classes(gt_loss_kind kind) {
  switch (kind) {
    case GT_LOSS_CE:
    case GT_LOSS_CE_TARGETED:
    case GT_LOSS_CW:
    case GT_LOSS_CW_TARGETED: return 2;
    case GT_LOSS_DLR: return 3;
    case GT_LOSS_DLR_TARGETED: return 4;
    case GT_LOSS_COUNT: break;
  }
  return 0;
}

int gt_loss_is_targeted(gt_loss_kind kind) {
  return kind == GT_LOSS_CE_TARGETED || kind == GT_LOSS_DLR_TARGETED || kind == GT_LOSS_CW_TARGETED;
}

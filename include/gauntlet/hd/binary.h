/* Per-element formulas of the broadcast binary ops (Add, Sub, Mul, Div) and their partial
 * derivatives, shared by every backend. */
#ifndef GAUNTLET_HD_BINARY_H
#define GAUNTLET_HD_BINARY_H

#include "gauntlet/graph.h"
#include "gauntlet/hd/common.h"

GT_HD float gt_binary_apply(gt_op_kind op, float a, float b) {
  switch (op) {
    case GT_OP_ADD: return a + b;
    case GT_OP_SUB: return a - b;
    case GT_OP_MUL: return a * b;
    default: return a / b;
  }
}

/* d op(a, b) / d a (which == 0) or / d b (which == 1). */
GT_HD float gt_binary_partial(gt_op_kind op, int which, float a, float b) {
  switch (op) {
    case GT_OP_ADD: return 1.0f;
    case GT_OP_SUB: return which == 0 ? 1.0f : -1.0f;
    case GT_OP_MUL: return which == 0 ? b : a;
    default: return which == 0 ? 1.0f / b : -a / (b * b);
  }
}

#endif

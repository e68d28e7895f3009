/* Words for gate results: the one-line description the CLI prints on stderr and the JUnit and
 * Markdown writers reuse, so every output states a failure the same way. */
#include <stdio.h>

#include "gauntlet/gates.h"

const char *gt_gate_kind_name(gt_gate_kind kind) {
  switch (kind) {
    case GT_GATE_MIN_CLEAN: return "min_clean";
    case GT_GATE_MIN_ROBUST: return "min_robust";
    case GT_GATE_MAX_DROP: return "max_drop";
    default: return NULL;
  }
}

void gt_gate_check_describe(const gt_gate_case *c, const gt_gate_check *k, char *buf, size_t size) {
  const char *verdict = k->passed ? "ok" : "FAILED";
  int n = snprintf(buf, size, "model %s on %s, %s eps %s: ", c->model, c->dataset, c->threat_model, c->eps_text);
  if (n < 0 || (size_t)n >= size) return;
  char *rest = buf + n;
  size_t left = size - (size_t)n;
  switch (k->kind) {
    case GT_GATE_MIN_CLEAN:
    case GT_GATE_MIN_ROBUST:
      snprintf(rest, left, "%s accuracy %.4f %s minimum %.4f (%s)", k->kind == GT_GATE_MIN_CLEAN ? "clean" : "robust",
               k->value, k->passed ? ">=" : "<", k->threshold, verdict);
      break;
    case GT_GATE_MAX_DROP:
      snprintf(rest, left, "robust accuracy dropped by %.4f (baseline %.4f, now %.4f) %s maximum drop %.4f (%s)", k->value,
               k->baseline, k->baseline - k->value, k->passed ? "<=" : ">", k->threshold, verdict);
      break;
    default:
      snprintf(rest, left, "unknown gate");
  }
}

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
  switch (k->kind) {
    case GT_GATE_MIN_CLEAN:
      snprintf(buf, size, "model %s, %s eps %s: clean accuracy %.4f %s minimum %.4f (%s)", c->model, c->threat_model,
               c->eps_text, k->value, k->passed ? ">=" : "<", k->threshold, verdict);
      break;
    case GT_GATE_MIN_ROBUST:
      snprintf(buf, size, "model %s, %s eps %s: robust accuracy %.4f %s minimum %.4f (%s)", c->model, c->threat_model,
               c->eps_text, k->value, k->passed ? ">=" : "<", k->threshold, verdict);
      break;
    case GT_GATE_MAX_DROP:
      snprintf(buf, size,
               "model %s, %s eps %s: robust accuracy dropped by %.4f (baseline %.4f, now %.4f) %s maximum drop %.4f (%s)",
               c->model, c->threat_model, c->eps_text, k->value, k->baseline, k->baseline - k->value,
               k->passed ? "<=" : ">", k->threshold, verdict);
      break;
    default:
      snprintf(buf, size, "model %s, %s eps %s: unknown gate", c->model, c->threat_model, c->eps_text);
  }
}

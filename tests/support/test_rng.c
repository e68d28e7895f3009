/* Test helper: deterministic generators for test data (see test_rng.h). */
#include "support/test_rng.h"

double gt_test_lcg_uniform(uint64_t *state) {
  *state = *state * 6364136223846793005ull + 1442695040888963407ull;
  return (double)(*state >> 11) * 0x1p-53;
}

uint64_t gt_test_xorshift_seed(uint64_t seed) { return seed * 0x9E3779B97F4A7C15ull + 1; }

float gt_test_xorshift_uniform(uint64_t *state, float lo, float hi) {
  *state ^= *state >> 12;
  *state ^= *state << 25;
  *state ^= *state >> 27;
  uint64_t r = *state * 0x2545F4914F6CDD1Dull;
  return lo + (hi - lo) * (float)((double)(r >> 11) / 9007199254740992.0);
}

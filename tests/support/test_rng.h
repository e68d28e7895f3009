/* Test helper: small deterministic generators for test data (not the library's counter-based
 * RNG, which tests check): a seed always gives the same numbers. */
#ifndef GAUNTLET_TEST_RNG_H
#define GAUNTLET_TEST_RNG_H

#include <stdint.h>

/* The next draw in [0, 1) of the 64-bit LCG in *state (Knuth's MMIX constants; 53 bits). */
double gt_test_lcg_uniform(uint64_t *state);

/* xorshift64*: the state for seed, and the next draw in [lo, hi). */
uint64_t gt_test_xorshift_seed(uint64_t seed);
float gt_test_xorshift_uniform(uint64_t *state, float lo, float hi);

#endif

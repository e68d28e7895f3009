/* Counter-based random numbers (host and device): Philox4x32-10, as published by Salmon, Moraes,
 * Dror and Shaw, "Parallel random numbers: as easy as 1, 2, 3" (SC'11), written from that
 * description and checked against Random123's known-answer vectors (tests/test_rng_project.c).
 *
 * A counter-based generator has no state: a draw is a pure function of (key, counter). Gauntlet
 * keys it with the run's seed and puts WHO and WHEN in the counter, so a sample's draws are the
 * same whatever the batch size, the batch composition (compaction), the thread count or the
 * backend:
 *
 *   key     = (low 32 bits of seed, high 32 bits of seed)
 *   counter = (c0, c1, c2, c3) = (block, step, stream << 24 | restart, sample)
 *     sample   the ORIGINAL dataset index of the point (0 <= sample < 2^32)
 *     restart  the restart counter of the attack run (0 <= restart < 2^24)
 *     stream   what the draws are for (GT_RNG_STREAM_*, 0..255), so that two purposes that share
 *              (sample, restart, step) never share numbers
 *     step     the iteration (or query) that draws; attacks choose its meaning
 *     block    draw index / 4: one Philox call gives 4 words, used by draws 4*block .. 4*block+3
 * The mapping (seed, stream, sample, restart, step, block) -> (key, counter) is one-to-one within
 * those ranges, so distinct draws never reuse a Philox output.
 *
 * From words to numbers (w is a 32-bit output word):
 *   uniform      (w >> 8) * 2^-24, in [0, 1 - 2^-24]: exact in float, identical everywhere
 *   uniform_sym  2 * uniform - 1, in [-1, 1): exact
 *   sign         +1 when the top bit of w is set, else -1: exact
 *   normal       Box-Muller on words (w0, w1), (w2, w3) of a block: u1 = ((w0 >> 8) + 1) * 2^-24 in
 *                (0, 1], u2 = uniform(w1), r = sqrt(-2 ln u1), draws 4b and 4b+1 are r cos(2 pi u2) and
 *                r sin(2 pi u2) (4b+2, 4b+3 likewise from w2, w3). Tails stop at |z| <= 5.77 (u1 >=
 *                2^-24). Uses logf/sqrtf/cosf/sinf: identical between host backends built by one
 *                compiler; a GPU's math library may differ in the last bit.
 * Element j of a row of draws is word j % 4 of block j / 4. */
#ifndef GAUNTLET_HD_RNG_H
#define GAUNTLET_HD_RNG_H

#include <stdint.h>

#include "gauntlet/hd/common.h"

/* The Philox4x32 constants: round multipliers and the key schedule's Weyl increments. */
#define GT_PHILOX_M0 0xD2511F53u
#define GT_PHILOX_M1 0xCD9E8D57u
#define GT_PHILOX_W0 0x9E3779B9u
#define GT_PHILOX_W1 0xBB67AE85u
#define GT_PHILOX_ROUNDS 10

/* Limits of the counter fields (see above). */
#define GT_RNG_MAX_RESTART 0x00FFFFFFu
#define GT_RNG_MAX_STREAM 0xFFu
#define GT_RNG_MAX_SAMPLE 0xFFFFFFFFull

/* Streams in use. New purposes take the next free number; never renumber (results would change). */
#define GT_RNG_STREAM_START 1u  /* random starting points of iterative attacks */
#define GT_RNG_STREAM_TARGET 2u /* random target classes (GT_TARGET_RANDOM) */
#define GT_RNG_STREAM_ATTACK 3u /* draws inside an attack's iterations (Square's squares, ...) */
#define GT_RNG_STREAM_TRAIN_ORDER 4u /* training: the data order of each epoch (restart = epoch) */
#define GT_RNG_STREAM_TRAIN_INIT 5u  /* training: weight initialisation (sample = graph value id) */
#define GT_RNG_STREAM_TRAIN_START 6u /* training: random starts of the inner attacks (restart = epoch) */

typedef enum gt_rng_dist {
  GT_RNG_UNIFORM,     /* [0, 1) */
  GT_RNG_UNIFORM_SYM, /* [-1, 1) */
  GT_RNG_NORMAL,      /* standard normal */
  GT_RNG_SIGN         /* -1 or +1 with equal probability */
} gt_rng_dist;

/* Where draws come from: everything but the draw index. */
typedef struct gt_rng_site {
  uint64_t seed;
  uint32_t stream;
  uint32_t restart;
  uint32_t step;
  uint64_t sample;
} gt_rng_site;

/* One Philox4x32-10 block: out = Philox(counter ctr, key). Round r (0-based) uses the key
 * (k0 + r*W0, k1 + r*W1) mod 2^32; a round maps (c0, c1, c2, c3) to
 * (hi(M1*c2) ^ c1 ^ k0, lo(M1*c2), hi(M0*c0) ^ c3 ^ k1, lo(M0*c0)). */
GT_HD void gt_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]) {
  uint32_t c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3];
  uint32_t k0 = key[0], k1 = key[1];
  for (int r = 0; r < GT_PHILOX_ROUNDS; r++) {
    if (r > 0) {
      k0 += GT_PHILOX_W0;
      k1 += GT_PHILOX_W1;
    }
    uint64_t p0 = (uint64_t)GT_PHILOX_M0 * c0;
    uint64_t p1 = (uint64_t)GT_PHILOX_M1 * c2;
    uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0;
    uint32_t n1 = (uint32_t)p1;
    uint32_t n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
    uint32_t n3 = (uint32_t)p0;
    c0 = n0;
    c1 = n1;
    c2 = n2;
    c3 = n3;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
}

/* The 4 words of block `block` at a site (fields beyond their limits are masked, never mixed). */
GT_HD void gt_rng_block(const gt_rng_site *s, uint32_t block, uint32_t out[4]) {
  uint32_t key[2] = {(uint32_t)s->seed, (uint32_t)(s->seed >> 32)};
  uint32_t ctr[4] = {block, s->step, ((s->stream & GT_RNG_MAX_STREAM) << 24) | (s->restart & GT_RNG_MAX_RESTART),
                     (uint32_t)s->sample};
  gt_philox4x32_10(ctr, key, out);
}

GT_HD float gt_rng_u01(uint32_t w) { return (float)(w >> 8) * 0x1p-24f; }

GT_HD float gt_rng_sym(uint32_t w) { return (float)((int32_t)(w >> 8) - (int32_t)0x800000) * 0x1p-23f; }

GT_HD float gt_rng_sign_of(uint32_t w) { return (w >> 31) ? 1.0f : -1.0f; }

/* Box-Muller on one pair of words: the cos and sin draws. */
GT_HD void gt_rng_box_muller(uint32_t w0, uint32_t w1, float *z0, float *z1) {
  float u1 = (float)((w0 >> 8) + 1u) * 0x1p-24f;
  float theta = 6.28318530717958647692f * gt_rng_u01(w1);
  float r = sqrtf(-2.0f * logf(u1));
  *z0 = r * cosf(theta);
  *z1 = r * sinf(theta);
}

/* The 4 draws 4*block .. 4*block+3 of a distribution. */
GT_HD void gt_rng_draw4(gt_rng_dist dist, const gt_rng_site *s, uint32_t block, float out[4]) {
  uint32_t w[4];
  gt_rng_block(s, block, w);
  switch (dist) {
    case GT_RNG_UNIFORM:
      for (int j = 0; j < 4; j++) out[j] = gt_rng_u01(w[j]);
      return;
    case GT_RNG_UNIFORM_SYM:
      for (int j = 0; j < 4; j++) out[j] = gt_rng_sym(w[j]);
      return;
    case GT_RNG_SIGN:
      for (int j = 0; j < 4; j++) out[j] = gt_rng_sign_of(w[j]);
      return;
    case GT_RNG_NORMAL:
      gt_rng_box_muller(w[0], w[1], &out[0], &out[1]);
      gt_rng_box_muller(w[2], w[3], &out[2], &out[3]);
      return;
  }
  for (int j = 0; j < 4; j++) out[j] = NAN;
}

/* Draw number `index` alone (a GPU thread per element); equals element index of gt_rng_fill_row. */
GT_HD float gt_rng_draw_at(gt_rng_dist dist, const gt_rng_site *s, uint64_t index) {
  float four[4];
  gt_rng_draw4(dist, s, (uint32_t)(index >> 2), four);
  return four[index & 3u];
}

/* out[0..d) = draws 0..d-1 at a site (d < 2^34). */
GT_HD void gt_rng_fill_row(gt_rng_dist dist, const gt_rng_site *s, int64_t d, float *out) {
  for (int64_t j = 0; j < d; j += 4) {
    float four[4];
    gt_rng_draw4(dist, s, (uint32_t)(j >> 2), four);
    for (int64_t t = 0; t < 4 && j + t < d; t++) out[j + t] = four[t];
  }
}

/* A uniform integer in [0, range) from one word (range >= 1): floor(u * range) on 64-bit
 * integers, so no float rounding can reach `range`. The bias is below range / 2^32. */
GT_HD uint32_t gt_rng_below(uint32_t w, uint32_t range) { return (uint32_t)(((uint64_t)w * range) >> 32); }

#endif

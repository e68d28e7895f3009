/* Index math of the layout ops (pooling windows, pad sources), shared by the cpu and cuda
 * backends: which taps of a window fall inside a range, and which input index a padded output
 * index reads. Plain integer math, host and device. */
#ifndef GAUNTLET_HD_LAYOUT_H
#define GAUNTLET_HD_LAYOUT_H

#include <stdint.h>

#include "gauntlet/hd/common.h"

/* Taps t in [*lo, *hi) of a k-tap window starting at `base` with dilation d whose position
 * base + t*d lies in [from, to). */
GT_HD void gt_hd_tap_range(int64_t base, int64_t k, int64_t d, int64_t from, int64_t to, int64_t *lo, int64_t *hi) {
  int64_t a = base >= from ? 0 : (from - base + d - 1) / d;
  int64_t b = to - base <= 0 ? 0 : (to - base + d - 1) / d;
  if (a > k) a = k;
  if (b > k) b = k;
  if (b < a) b = a;
  *lo = a;
  *hi = b;
}

/* Pad modes, as gt_pad_mode (gauntlet/graph.h) numbers them. */
#define GT_HD_PAD_CONSTANT 0
#define GT_HD_PAD_REFLECT 1
#define GT_HD_PAD_EDGE 2

/* Input index along one dim of size n that shifted output index i (= o - begin) reads, or -1 for
 * "the pad value": constant -> -1 outside [0, n); edge -> clamp; reflect -> mirror without
 * repeating the edge (-1 -> 1, n -> n-2), with period 2(n-1) for pads longer than the input. */
GT_HD int64_t gt_hd_pad_source(int mode, int64_t i, int64_t n) {
  if (i >= 0 && i < n) return i;
  if (mode == GT_HD_PAD_CONSTANT) return -1;
  if (mode == GT_HD_PAD_EDGE) return i < 0 ? 0 : n - 1;
  if (n == 1) return 0;
  int64_t period = 2 * (n - 1);
  int64_t r = ((i % period) + period) % period;
  return r < n ? r : period - r;
}

/* The smallest output index o > after (o < len) whose source gt_hd_pad_source(mode, o - begin, n)
 * is input index i (0 <= i < n), or -1: walks the outputs that read one input in ascending order,
 * for gradients gathered per input. */
GT_HD int64_t gt_hd_pad_next_output(int mode, int64_t i, int64_t n, int64_t begin, int64_t len, int64_t after) {
  int64_t o0 = after + 1 < 0 ? 0 : after + 1, t0 = o0 - begin, best = -1;
  if (o0 >= len) return -1;
  if (mode == GT_HD_PAD_CONSTANT) {
    best = i >= t0 ? begin + i : -1;
  } else if (mode == GT_HD_PAD_EDGE) {
    if (i == 0 && t0 <= 0) best = o0; /* every t <= 0 reads 0 */
    else if (i == n - 1 && t0 >= n - 1) best = o0; /* every t >= n-1 reads n-1 */
    else best = i >= t0 ? begin + i : -1;
  } else if (n == 1) {
    best = o0; /* every output reads the only input */
  } else {
    /* t reads i when t mod P is i or P - i (P = 2(n-1)); the first such t >= t0 of each class. */
    int64_t period = 2 * (n - 1), r = ((t0 % period) + period) % period, base = t0 - r;
    int64_t c1 = i, c2 = (period - i) % period;
    int64_t t1 = base + (c1 >= r ? c1 : c1 + period), t2 = base + (c2 >= r ? c2 : c2 + period);
    best = begin + (t1 < t2 ? t1 : t2);
  }
  return best >= 0 && best < len ? best : -1;
}

#endif

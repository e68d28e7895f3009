/* The Square attack's row math (host and device): the schedule of the square size, the random
 * initialisations and the random square updates of Andriushchenko, Croce, Flammarion and Hein,
 * "Square Attack: a query-efficient black-box adversarial attack via random search" (ECCV 2020),
 * as AutoAttack runs it. Written from the paper and from reading AutoAttack's implementation.
 *
 * A row is one image [c, h, w] (row-major, d = c h w). x0 is the clean image in [0,1]; xb the
 * current best point (inside the eps-ball around x0 and the box); out receives the new point and
 * may not alias xb or x0.
 *
 * Randomness: every draw of a row comes from the counter RNG (gauntlet/hd/rng.h) at one site
 * (seed, stream, restart, step, ORIGINAL sample index); draws are words of that site, by index:
 *   update (step = query index >= 1):
 *     word 0, 1   row and column of window 1, uniform over 0..h-s and 0..w-s
 *     word 2, 3   row and column of window 2 (L2 only)
 *     word 4      top bit: transpose the L2 bump (L2 only)
 *     word 5 + ch sign of channel ch (top bit set: +1)
 *   Linf initialisation (step 0): word ch * w + col is the sign of stripe (ch, col)
 *   L2 initialisation (step 0): for tile q (row-major over the grid), word q (c + 1) is its
 *     transpose bit and word q (c + 1) + 1 + ch the sign of channel ch.
 * The reference draws one position and one sign pattern per iteration for the whole batch; here
 * each sample draws its own, so a point's result does not depend on the batch around it.
 *
 * Norm sums are accumulated in double in index order (the same bytes on every host backend). */
#ifndef GAUNTLET_HD_SQUARE_H
#define GAUNTLET_HD_SQUARE_H

#include <stdint.h>

#include "gauntlet/hd/common.h"
#include "gauntlet/hd/project.h"
#include "gauntlet/hd/rng.h"
#include "gauntlet/norm.h"

/* The reference's initial fraction of pixels a square covers (AutoAttack: p_init = 0.8). */
#define GT_SQUARE_P_INIT 0.8
/* Guards of the reference's L2 normalisations, x / (||x|| + 1e-12). */
#define GT_SQUARE_L2_GUARD 1e-12

/* Word indices of an update's draws (see above). */
#define GT_SQUARE_W_ROW1 0u
#define GT_SQUARE_W_COL1 1u
#define GT_SQUARE_W_ROW2 2u
#define GT_SQUARE_W_COL2 3u
#define GT_SQUARE_W_TRANSPOSE 4u
#define GT_SQUARE_W_SIGN0 5u

/* ---- schedule ---- */

/* Fraction p of the image a square covers at iteration it (0-based, after the initial query):
 * p_init until it = 10, then halved after iterations 10, 50, 200, 500, 1000, 2000, 4000, 6000 and
 * 8000 (the reference's piecewise-constant schedule for 10000 queries). Not rescaled to the query
 * budget, as AutoAttack runs it (resc_schedule=False): with 5000 queries the last fraction used is
 * p_init / 128. */
GT_HD double gt_square_p_selection(double p_init, int64_t it) {
  const int64_t bounds[9] = {10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000};
  double p = p_init;
  for (int j = 0; j < 9; j++)
    if (it > bounds[j]) p *= 0.5;
  return p;
}

/* Side of the square for a fraction p of an image [c, h, w]: round(sqrt(p * c h w / c)) with
 * Python's rounding (half to even), at least 1 (Linf) or at least 3 and odd (L2), as the
 * reference; then capped at min(h, w) so that a square always fits (the reference assumes it). */
GT_HD int64_t gt_square_side(gt_norm norm, double p, int64_t c, int64_t h, int64_t w) {
  double n_features = (double)c * (double)h * (double)w;
  int64_t s = (int64_t)nearbyint(sqrt(p * n_features / (double)c));
  if (norm == GT_NORM_L2) {
    if (s < 3) s = 3;
    if (s % 2 == 0) s++;
  }
  if (s < 1) s = 1;
  int64_t m = h < w ? h : w;
  return s > m ? m : s;
}

/* ---- draws ---- */

/* Word `index` of the site's stream of words (word j % 4 of block j / 4). */
GT_HD uint32_t gt_square_word(const gt_rng_site *site, uint64_t index) {
  uint32_t four[4];
  gt_rng_block(site, (uint32_t)(index >> 2), four);
  return four[index & 3u];
}

/* ---- the L2 bump (the reference's eta) ---- */

/* Unnormalised value at (i, j) of the reference's bump on a rows x cols rectangle: nested boxes
 * around the centre (rows / 2, cols / 2), box k (k = 0 .. K-1, K = max(rows, cols) / 2 + 1)
 * holding the cells within k of the centre in both directions and adding 1 / (k + 1)^2. */
GT_HD double gt_square_bump_raw(int64_t i, int64_t j, int64_t rows, int64_t cols) {
  int64_t ci = rows / 2, cj = cols / 2;
  int64_t big = ci > cj ? ci : cj;
  int64_t di = i > ci ? i - ci : ci - i, dj = j > cj ? j - cj : cj - j;
  double v = 0.0;
  for (int64_t k = di > dj ? di : dj; k <= big; k++) v += 1.0 / ((double)(k + 1) * (double)(k + 1));
  return v;
}

/* ||bump|| over the rectangle (0 when it is empty). */
GT_HD double gt_square_bump_norm(int64_t rows, int64_t cols) {
  double acc = 0.0;
  for (int64_t i = 0; i < rows; i++)
    for (int64_t j = 0; j < cols; j++) {
      double v = gt_square_bump_raw(i, j, rows, cols);
      acc += v * v;
    }
  return sqrt(acc);
}

/* eta of side s: rows 0 .. s/2 - 1 hold the bump of an (s/2) x s rectangle, rows s/2 .. s-1 minus
 * the bump of an (s - s/2) x s one, each of unit norm, the whole scaled to unit norm. */
typedef struct gt_square_eta {
  int64_t s, top;       /* side, rows of the upper half */
  double inv_top, inv_bot; /* 1 / (||half|| * sqrt(halves)) */
} gt_square_eta;

GT_HD gt_square_eta gt_square_eta_make(int64_t s) {
  gt_square_eta e;
  e.s = s;
  e.top = s / 2;
  double halves = e.top > 0 ? 2.0 : 1.0;
  double nt = gt_square_bump_norm(e.top, s), nb = gt_square_bump_norm(s - e.top, s);
  e.inv_top = nt > 0 ? 1.0 / (nt * sqrt(halves)) : 0.0;
  e.inv_bot = nb > 0 ? 1.0 / (nb * sqrt(halves)) : 0.0;
  return e;
}

/* eta[i][j] (0 <= i, j < s), or eta[j][i] when transposed. */
GT_HD double gt_square_eta_at(const gt_square_eta *e, int64_t i, int64_t j, int transpose) {
  if (transpose) {
    int64_t t = i;
    i = j;
    j = t;
  }
  if (i < e->top) return gt_square_bump_raw(i, j, e->top, e->s) * e->inv_top;
  return -gt_square_bump_raw(i - e->top, j, e->s - e->top, e->s) * e->inv_bot;
}

/* ---- initialisations (step 0) ---- */

/* Linf: vertical stripes, out = clamp01(x0 + eps * sign(ch, col)), one sign per channel and
 * column (the reference's random_choice([n, c, 1, w])). */
GT_HD void gt_square_linf_init_row(const float *x0, int64_t c, int64_t h, int64_t w, float eps,
                                   const gt_rng_site *site, float *out) {
  for (int64_t ch = 0; ch < c; ch++)
    for (int64_t col = 0; col < w; col++) {
      float v = eps * gt_rng_sign_of(gt_square_word(site, (uint64_t)(ch * w + col)));
      for (int64_t r = 0; r < h; r++) {
        int64_t idx = (ch * h + r) * w + col;
        out[idx] = gt_proj_box(x0[idx] + v);
      }
    }
}

/* Geometry of the L2 initialisation's grid: tiles of side h / 5 (at least 1) starting at
 * (h - 5 side) / 2 in both directions (the reference centres on the height for both), h / side
 * rows and w / side columns of tiles; tiles are clipped at the image border. */
GT_HD void gt_square_l2_grid(int64_t h, int64_t w, int64_t *side, int64_t *start, int64_t *n_rows, int64_t *n_cols) {
  int64_t s = h / 5 > 0 ? h / 5 : 1;
  int64_t sp = (h - 5 * s) / 2;
  *side = s;
  *start = sp > 0 ? sp : 0;
  *n_rows = h / s;
  *n_cols = w / s;
}

/* L2: a grid of bumps eta(side) with a random sign per tile and channel and a random transpose
 * per tile; out = clamp01(x0 + eps * delta / (||delta|| + 1e-12)). */
GT_HD void gt_square_l2_init_row(const float *x0, int64_t c, int64_t h, int64_t w, float eps,
                                 const gt_rng_site *site, float *out) {
  int64_t d = c * h * w, s, sp, nr, nc;
  gt_square_l2_grid(h, w, &s, &sp, &nr, &nc);
  gt_square_eta eta = gt_square_eta_make(s);
  for (int64_t i = 0; i < d; i++) out[i] = 0.0f;
  for (int64_t qr = 0; qr < nr; qr++)
    for (int64_t qc = 0; qc < nc; qc++) {
      uint64_t base = (uint64_t)(qr * nc + qc) * (uint64_t)(c + 1);
      int transpose = (int)(gt_square_word(site, base) >> 31);
      int64_t r0 = sp + qr * s, c0 = sp + qc * s;
      for (int64_t ch = 0; ch < c; ch++) {
        float sg = gt_rng_sign_of(gt_square_word(site, base + 1 + (uint64_t)ch));
        for (int64_t a = 0; a < s && r0 + a < h; a++)
          for (int64_t b = 0; b < s && c0 + b < w; b++)
            out[(ch * h + r0 + a) * w + c0 + b] += (float)gt_square_eta_at(&eta, a, b, transpose) * sg;
      }
    }
  double n = gt_lp_norm_row(GT_NORM_L2, out, (const float *)0, d);
  float f = (float)((double)eps / (n + GT_SQUARE_L2_GUARD));
  for (int64_t i = 0; i < d; i++) out[i] = gt_proj_box(x0[i] + out[i] * f);
}

/* ---- updates (step = query index >= 1) ---- */

/* Linf: on a random s x s window, every channel moves by 2 eps with its own sign, then the point
 * is projected on the eps-ball and the box; the rest of the image keeps xb. */
GT_HD void gt_square_linf_step_row(const float *xb, const float *x0, int64_t c, int64_t h, int64_t w, int64_t s,
                                   float eps, const gt_rng_site *site, float *out) {
  int64_t d = c * h * w;
  for (int64_t i = 0; i < d; i++) out[i] = xb[i];
  int64_t r0 = gt_rng_below(gt_square_word(site, GT_SQUARE_W_ROW1), (uint32_t)(h - s + 1));
  int64_t c0 = gt_rng_below(gt_square_word(site, GT_SQUARE_W_COL1), (uint32_t)(w - s + 1));
  for (int64_t ch = 0; ch < c; ch++) {
    float step = 2.0f * eps * gt_rng_sign_of(gt_square_word(site, GT_SQUARE_W_SIGN0 + (uint64_t)ch));
    for (int64_t a = 0; a < s; a++)
      for (int64_t b = 0; b < s; b++) {
        int64_t idx = (ch * h + r0 + a) * w + c0 + b;
        out[idx] = gt_proj_linf_elem(xb[idx] + step, x0[idx], eps);
      }
  }
}

GT_HD int gt_square_in_window(int64_t r, int64_t col, int64_t r0, int64_t c0, int64_t s) {
  return r >= r0 && r < r0 + s && col >= c0 && col < c0 + s;
}

/* L2 (the reference's paired update): with delta = xb - x0, windows W1 and W2 of side s,
 *   budget^2 = max(eps^2 - ||delta||^2, 0) / c + ||delta on W1 u W2||^2  (norms over the image)
 *   per channel: new = eta(s) * sign_ch + delta[ch, W1] / (||delta[ch, W1]|| + 1e-12), rescaled to
 *                norm budget; delta[ch, W2] = 0; delta[ch, W1] = new
 *   out = clamp01(x0 + eps * delta / (||delta|| + 1e-12)).
 * The mass of W2 moves into W1 and the point stays on the eps-sphere (before the box clip). */
GT_HD void gt_square_l2_step_row(const float *xb, const float *x0, int64_t c, int64_t h, int64_t w, int64_t s,
                                 float eps, const gt_rng_site *site, float *out) {
  int64_t d = c * h * w;
  int64_t r1 = gt_rng_below(gt_square_word(site, GT_SQUARE_W_ROW1), (uint32_t)(h - s + 1));
  int64_t c1 = gt_rng_below(gt_square_word(site, GT_SQUARE_W_COL1), (uint32_t)(w - s + 1));
  int64_t r2 = gt_rng_below(gt_square_word(site, GT_SQUARE_W_ROW2), (uint32_t)(h - s + 1));
  int64_t c2 = gt_rng_below(gt_square_word(site, GT_SQUARE_W_COL2), (uint32_t)(w - s + 1));
  int transpose = (int)(gt_square_word(site, GT_SQUARE_W_TRANSPOSE) >> 31);
  gt_square_eta eta = gt_square_eta_make(s);
  double n_img2 = 0.0, n_win2 = 0.0;
  for (int64_t ch = 0; ch < c; ch++)
    for (int64_t r = 0; r < h; r++)
      for (int64_t col = 0; col < w; col++) {
        int64_t idx = (ch * h + r) * w + col;
        float v = xb[idx] - x0[idx];
        out[idx] = v;
        n_img2 += (double)v * v;
        if (gt_square_in_window(r, col, r1, c1, s) || gt_square_in_window(r, col, r2, c2, s)) n_win2 += (double)v * v;
      }
  double room = (double)eps * eps - n_img2;
  double budget = sqrt((room > 0 ? room : 0.0) / (double)c + n_win2);
  for (int64_t ch = 0; ch < c; ch++) {
    double n1 = 0.0, nn = 0.0;
    for (int64_t a = 0; a < s; a++)
      for (int64_t b = 0; b < s; b++) {
        double v = out[(ch * h + r1 + a) * w + c1 + b];
        n1 += v * v;
      }
    double inv1 = 1.0 / (sqrt(n1) + GT_SQUARE_L2_GUARD);
    double sg = gt_rng_sign_of(gt_square_word(site, GT_SQUARE_W_SIGN0 + (uint64_t)ch));
    for (int64_t a = 0; a < s; a++)
      for (int64_t b = 0; b < s; b++) {
        int64_t idx = (ch * h + r1 + a) * w + c1 + b;
        float v = (float)(gt_square_eta_at(&eta, a, b, transpose) * sg + out[idx] * inv1);
        out[idx] = v;
        nn += (double)v * v;
      }
    float f = (float)(budget / (sqrt(nn) + GT_SQUARE_L2_GUARD));
    for (int64_t a = 0; a < s; a++)
      for (int64_t b = 0; b < s; b++) out[(ch * h + r1 + a) * w + c1 + b] *= f;
    for (int64_t a = 0; a < s; a++)
      for (int64_t b = 0; b < s; b++)
        if (!gt_square_in_window(r2 + a, c2 + b, r1, c1, s)) out[(ch * h + r2 + a) * w + c2 + b] = 0.0f;
  }
  double n = gt_lp_norm_row(GT_NORM_L2, out, (const float *)0, d);
  float f = (float)((double)eps / (n + GT_SQUARE_L2_GUARD));
  for (int64_t i = 0; i < d; i++) out[i] = gt_proj_box(x0[i] + out[i] * f);
}

/* One row of the vector ops square_init (step == 0; xb unused) and square_step (step != 0). */
GT_HD void gt_square_row(gt_norm norm, int step, const float *xb, const float *x0, int64_t c, int64_t h, int64_t w,
                         int64_t s, float eps, const gt_rng_site *site, float *out) {
  if (norm == GT_NORM_LINF) {
    if (step) gt_square_linf_step_row(xb, x0, c, h, w, s, eps, site, out);
    else gt_square_linf_init_row(x0, c, h, w, eps, site, out);
  } else {
    if (step) gt_square_l2_step_row(xb, x0, c, h, w, s, eps, site, out);
    else gt_square_l2_init_row(x0, c, h, w, eps, site, out);
  }
}

#endif

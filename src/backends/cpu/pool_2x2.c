/* The common MaxPool: 2x2, stride 2, no padding, no dilation, every window inside; one [H, W]
 * plane at a time (pool.c chooses it and splits the planes over threads).
 *   x [H, W] -> y [OH, OW], window (oh, ow) = x[2oh .. 2oh+1, 2ow .. 2ow+1]
 * The first maximal tap in window order (0,0), (0,1), (1,0), (1,1) wins (strict '>', false for
 * NaN), as in pool.c's general loops; backward adds dy there and +0 to the window's other cells
 * (which only differs from leaving them alone on a -0 cell: it becomes +0, an equal value).
 *
 * Two versions of the backward with the same values: portable loops the compiler vectorises
 * (SSE2), and AVX2 (gt_cpu_avx2): 8 windows per vector, the even and odd input columns split by
 * shuffles. (An AVX2 forward was slower than the portable one on Zen 1: 1.45 against 1.19 us per
 * sample of 8 x 28 x 28; the backward, writing, 2.3 against 3.0.) There a row's last windows (OW
 * not a multiple of 8) still take a whole vector when its
 * loads and stores stay inside the plane: the extra lanes read the next rows and their gradients
 * are 0 (dy lanes masked), so only +0 is added to the cells of later rows they land on, or, when
 * writing, 0 is written to cells written again after. Otherwise the portable loop finishes the
 * row. */
/* Float compares may be if-converted (no FP traps are ever enabled here): see unary.c. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math")
#endif

#include "cpu_ops.h"

#include <immintrin.h>

/* ---- portable ---- */

/* y[ow] = max of the window over input rows r0, r1 (columns 2ow, 2ow+1). */
static void max2x2_row(const float *r0, const float *r1, int64_t ow_len, float *y) {
#pragma omp simd
  for (int64_t ow = 0; ow < ow_len; ow++) {
    float best = r0[2 * ow];
    best = r0[2 * ow + 1] > best ? r0[2 * ow + 1] : best;
    best = r1[2 * ow] > best ? r1[2 * ow] : best;
    best = r1[2 * ow + 1] > best ? r1[2 * ow + 1] : best;
    y[ow] = best;
  }
}

/* d0, d1 (the gradient rows of r0, r1) += dy at the first maximal tap of each window, +0 at the
 * others; with `write`, = instead of +=. Written as selects of the remaining gradient so that it
 * vectorises (one loop per mode, WRITE_OR_ADD below). */
#define MAX2X2_ROW_BACKWARD(ASSIGN)                                                   \
  _Pragma("omp simd") for (int64_t ow = 0; ow < ow_len; ow++) {                       \
    float a = r0[2 * ow], b = r0[2 * ow + 1], c = r1[2 * ow], e = r1[2 * ow + 1];     \
    float best1 = b > a ? b : a, best2 = c > best1 ? c : best1, g = dy[ow];           \
    float g3 = e > best2 ? g : 0.0f, rest3 = e > best2 ? 0.0f : g;                    \
    float g2 = c > best1 ? rest3 : 0.0f, rest2 = c > best1 ? 0.0f : rest3;            \
    float g1 = b > a ? rest2 : 0.0f, g0 = b > a ? 0.0f : rest2;                       \
    d0[2 * ow] ASSIGN g0;                                                             \
    d0[2 * ow + 1] ASSIGN g1;                                                         \
    d1[2 * ow] ASSIGN g2;                                                             \
    d1[2 * ow + 1] ASSIGN g3;                                                         \
  }

static void max2x2_row_backward(const float *r0, const float *r1, const float *dy, int64_t ow_len, int write,
                                float *d0, float *d1) {
  if (write) {
    MAX2X2_ROW_BACKWARD(=)
  } else {
    MAX2X2_ROW_BACKWARD(+=)
  }
}

/* ---- AVX2 ---- */

#define GT_AVX2 __attribute__((target("avx2,fma")))
#define GT_AVX2_INLINE __attribute__((target("avx2,fma"), always_inline)) static inline

/* Even and odd floats of p[0 .. 16), in the order of windows 0 1 4 5 | 2 3 6 7: shuffles within
 * 128-bit halves only (a lane-crossing permute costs several cycles on Zen 1; one per vector of
 * dy puts it in that order instead, see in_window_order). */
GT_AVX2_INLINE void split(const float *p, __m256 *even, __m256 *odd) {
  __m256 lo = _mm256_loadu_ps(p), hi = _mm256_loadu_ps(p + 8);
  *even = _mm256_shuffle_ps(lo, hi, 0x88);
  *odd = _mm256_shuffle_ps(lo, hi, 0xDD);
}

/* Windows 0..7 to (or from: the permutation is its own inverse) the order 0 1 4 5 | 2 3 6 7. */
GT_AVX2_INLINE __m256 in_window_order(__m256 v) {
  return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(v), 0xD8));
}

/* p[0 .. 16) (+)= the floats of even and odd (windows in split's order) interleaved back: the
 * unpacks within halves give cells 0..7 and 8..15 in order. += unless `write`. */
GT_AVX2_INLINE void put_merged(float *p, __m256 even, __m256 odd, int write) {
  __m256 lo = _mm256_unpacklo_ps(even, odd), hi = _mm256_unpackhi_ps(even, odd);
  if (!write) {
    lo = _mm256_add_ps(_mm256_loadu_ps(p), lo);
    hi = _mm256_add_ps(_mm256_loadu_ps(p + 8), hi);
  }
  _mm256_storeu_ps(p, lo);
  _mm256_storeu_ps(p + 8, hi);
}

/* The first n of 8 lanes set. */
GT_AVX2_INLINE __m256 first_lanes(int64_t n) {
  __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), lane));
}

/* Windows [o, end) of output row oh take vectors; returns where the portable loop takes over. */
static int64_t vector_end(int64_t h, int64_t w, int64_t oh_len, int64_t ow_len, int64_t oh) {
  int64_t o = ow_len / 8 * 8;
  if (o == ow_len) return o;
  /* one more, partial, vector: its loads (input rows 2oh, 2oh+1 and the next ones; dy) and
   * stores (dx) must stay inside the plane */
  int in_plane = (2 * oh + 1) * w + 2 * (o + 8) <= h * w && oh * ow_len + o + 8 <= oh_len * ow_len;
  return in_plane ? ow_len : o;
}

/* Windows [o, o + 8) of one row pair (lanes past ow_len get dy = 0). */
GT_AVX2_INLINE void windows_backward(const float *r0, const float *r1, const float *g_row, int64_t ow_len, int64_t o,
                                     int write, float *d0, float *d1) {
  __m256 a, b, c, e;
  split(r0 + 2 * o, &a, &b);
  split(r1 + 2 * o, &c, &e);
  __m256 g = in_window_order(_mm256_and_ps(_mm256_loadu_ps(g_row + o), first_lanes(ow_len - o)));
  __m256 m1 = _mm256_cmp_ps(b, a, _CMP_GT_OQ), best1 = _mm256_blendv_ps(a, b, m1);
  __m256 m2 = _mm256_cmp_ps(c, best1, _CMP_GT_OQ), best2 = _mm256_blendv_ps(best1, c, m2);
  __m256 m3 = _mm256_cmp_ps(e, best2, _CMP_GT_OQ);
  /* dy goes to the last tap that beat every earlier one; the others get +0 */
  __m256 g3 = _mm256_and_ps(m3, g), rest3 = _mm256_andnot_ps(m3, g);
  __m256 g2 = _mm256_and_ps(m2, rest3), rest2 = _mm256_andnot_ps(m2, rest3);
  __m256 g1 = _mm256_and_ps(m1, rest2), g0 = _mm256_andnot_ps(m1, rest2);
  put_merged(d0 + 2 * o, g0, g1, write);
  put_merged(d1 + 2 * o, g2, g3, write);
}

/* The partial vector (if any) goes first: its d0 store spills into the start of row d1, which
 * the full vectors (or its own d1 store) then write; with `write` that order matters. */
GT_AVX2 static void plane_backward_avx2(const float *x, const float *dy, int64_t h, int64_t w, int64_t oh_len,
                                       int64_t ow_len, int write, float *dx) {
  for (int64_t oh = 0; oh < oh_len; oh++) {
    const float *r0 = x + 2 * oh * w, *r1 = r0 + w, *g_row = dy + oh * ow_len;
    float *d0 = dx + 2 * oh * w, *d1 = d0 + w;
    int64_t full = ow_len / 8 * 8, end = vector_end(h, w, oh_len, ow_len, oh);
    if (end > full) windows_backward(r0, r1, g_row, ow_len, full, write, d0, d1);
    for (int64_t o = 0; o < full; o += 8) windows_backward(r0, r1, g_row, ow_len, o, write, d0, d1);
    if (end == full)
      max2x2_row_backward(r0 + 2 * full, r1 + 2 * full, g_row + full, ow_len - full, write, d0 + 2 * full,
                          d1 + 2 * full);
  }
}

/* ---- entry points ---- */

void gt_cpu_max2x2_plane(const float *x, int64_t h, int64_t w, int64_t oh_len, int64_t ow_len, float *y) {
  for (int64_t oh = 0; oh < oh_len; oh++) max2x2_row(x + 2 * oh * w, x + (2 * oh + 1) * w, ow_len, y + oh * ow_len);
}

void gt_cpu_max2x2_plane_backward(const float *x, const float *dy, int64_t h, int64_t w, int64_t oh_len,
                                  int64_t ow_len, int write, int avx2, float *dx) {
  if (avx2) {
    plane_backward_avx2(x, dy, h, w, oh_len, ow_len, write, dx);
    return;
  }
  for (int64_t oh = 0; oh < oh_len; oh++)
    max2x2_row_backward(x + 2 * oh * w, x + (2 * oh + 1) * w, dy + oh * ow_len, ow_len, write, dx + 2 * oh * w,
                        dx + (2 * oh + 1) * w);
}

/* Linear forward on few rows in AVX2 + FMA (gt_cpu_avx2; linear.c keeps sgemm
 * for the others and for the input gradient):
 *   y [R, M] = x [R, K] . W^T (+ b),   W [M, K] row-major.
 * The executor runs a batch in pieces of a few samples, so R is small (8 for the test CNN), where
 * OpenBLAS's per-call packing of W costs as much as the multiply-adds (measured on the CNN's
 * 784 -> 64 layer, pieces of 8, 1 thread: 5.3 us per sample with sgemm, 3.2 with this). Each
 * output's sum does not depend on R or on the row's place in the tiles.
 * Dot products: a tile of 4 rows x 3 outputs keeps 12 vectors of 8 partial sums over k (lane l
 * sums k = l mod 8), reduced at the end in a fixed order; k past the last whole vector is added
 * one by one after that. Every output is summed by one tile in a fixed order: results do not
 * depend on the thread count (linear.c cuts the rows in fixed blocks).
 * (The input gradient the same way, reading W in column strips, was slower than sgemm: 5.9 us
 * against 4.3.) */
#include "cpu_ops.h"

#include <immintrin.h>

#define GT_AVX2 __attribute__((target("avx2,fma")))
#define GT_AVX2_INLINE __attribute__((target("avx2,fma"), always_inline)) static inline

/* ---- forward ---- */

/* Sum of the 8 lanes: (lanes 0-3 + lanes 4-7), then pairs, in that order. */
GT_AVX2_INLINE float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}

/* The rest of one dot product: k from k8 (the end of the whole vectors) to k, one by one. */
static float dot_tail(const float *x, const float *w, int64_t k8, int64_t k) {
  float s = 0.0f;
  for (int64_t i = k8; i < k; i++) s += x[i] * w[i];
  return s;
}

/* y[r, o] for r < nr (1 or 4), o < no (1 or 3) of the tile at x (rows k apart), w (rows k apart),
 * y (rows m apart). */
#define DOT_TILE(NAME, NR, NO)                                                                       \
  GT_AVX2 static void NAME(const float *x, const float *w, const float *bias, int64_t k, int64_t m,  \
                           float *y) {                                                               \
    __m256 acc[NR][NO];                                                                              \
    for (int r = 0; r < NR; r++)                                                                     \
      for (int o = 0; o < NO; o++) acc[r][o] = _mm256_setzero_ps();                                  \
    int64_t k8 = k / 8 * 8;                                                                          \
    for (int64_t i = 0; i < k8; i += 8) {                                                            \
      __m256 wv[NO];                                                                                 \
      for (int o = 0; o < NO; o++) wv[o] = _mm256_loadu_ps(w + o * k + i);                           \
      for (int r = 0; r < NR; r++) {                                                                 \
        __m256 xv = _mm256_loadu_ps(x + r * k + i);                                                  \
        for (int o = 0; o < NO; o++) acc[r][o] = _mm256_fmadd_ps(xv, wv[o], acc[r][o]);              \
      }                                                                                              \
    }                                                                                                \
    for (int r = 0; r < NR; r++)                                                                     \
      for (int o = 0; o < NO; o++) {                                                                 \
        float s = hsum(acc[r][o]) + dot_tail(x + r * k, w + o * k, k8, k);                           \
        y[r * m + o] = bias ? s + bias[o] : s;                                                       \
      }                                                                                              \
  }

DOT_TILE(dot_4x3, 4, 3)
DOT_TILE(dot_4x1, 4, 1)
DOT_TILE(dot_1x3, 1, 3)
DOT_TILE(dot_1x1, 1, 1)

void gt_cpu_linear_direct_forward(const float *x, const float *w, const float *bias, int64_t rows, int64_t k,
                                  int64_t m, float *y) {
  int64_t r = 0;
  for (; r + 4 <= rows; r += 4) {
    int64_t o = 0;
    for (; o + 3 <= m; o += 3) dot_4x3(x + r * k, w + o * k, bias ? bias + o : NULL, k, m, y + r * m + o);
    for (; o < m; o++) dot_4x1(x + r * k, w + o * k, bias ? bias + o : NULL, k, m, y + r * m + o);
  }
  for (; r < rows; r++) {
    int64_t o = 0;
    for (; o + 3 <= m; o += 3) dot_1x3(x + r * k, w + o * k, bias ? bias + o : NULL, k, m, y + r * m + o);
    for (; o < m; o++) dot_1x1(x + r * k, w + o * k, bias ? bias + o : NULL, k, m, y + r * m + o);
  }
}

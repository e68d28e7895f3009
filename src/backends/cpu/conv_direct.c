/* Direct convolution for unit strides, in AVX2 + FMA (chosen at run time; conv.c falls back to
 * im2col + sgemm on other CPUs), used for a conv's forward and, as the transposed convolution
 * with the kernel flipped, for its input gradient.
 *   in [cin, ih, iw]  ->  out [cout, oh, ow],  out[o, p, q] = sum_{c, i, j} w[o, c, i, j] *
 *                                                  in[c, p - pt + i*dh, q - pl + j*dw]  (0 outside)
 * Forward: in = x, out = y (+ bias, optionally ReLU). Backward: in = dy (optionally times the
 * ReLU mask), out = dx (added), w'[c, m, i, j] = w[m, c, kh-1-i, kw-1-j] and the pads
 * dh*(kh-1) - pt and dw*(kw-1) - pl.
 *
 * Why not im2col + sgemm: with few channels (the first conv of a small CNN has K = 9) the column
 * matrix, its zeroing, OpenBLAS's own packing of it and, backward, col2im cost as much as the
 * multiply-adds (measured: issue 2 in benchmarks/RESULTS.md).
 *
 * Layout: for each input channel c and kernel column j the input is copied once into a "column
 * plane" P[c, j] of width ow: P[c, j][r, q] = in[c, r - pt, q - pl + j*dw] (0 outside), rows
 * r in [0, oh + dh*(kh-1)). Tap (i, j) of output cell k = p*ow + q is then P[c, j][k + i*dh*ow]:
 * every tap of a run of output cells is one contiguous vector load, with no padding columns to
 * skip. A tile of MR output channels x NV vectors of 8 consecutive output cells keeps its sums in
 * registers over all (c, j, i), in that order, and writes each output once.
 *
 * Every output cell is summed by one tile in a fixed order, whatever the tiling or the thread:
 * results do not depend on the thread count. */
/* Rows are short (7 .. 56 floats): no memset/memcpy calls for them (see im2col.c); the ReLU mask's
 * select may be if-converted (no FP traps are ever enabled here; see unary.c). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math", "no-tree-loop-distribute-patterns")
#endif

#include "conv_direct.h"

#include <immintrin.h>
#include <string.h>


#define GT_AVX2 __attribute__((target("avx2,fma")))
#define GT_AVX2_INLINE __attribute__((target("avx2,fma"), always_inline)) static inline

int gt_cpu_direct_supported(void) {
  static int known = -1;
  int v;
#pragma omp atomic read
  v = known;
  if (v < 0) {
    __builtin_cpu_init();
    v = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#pragma omp atomic write
    known = v;
  }
  return v;
}

/* Plane length: its rows, plus 8 floats so that every vector a tile loads lies inside (cells up
 * to round_up(oh*ow, 8), plus the offset of the last kernel row) and the plane builder's last
 * vector store too; rounded up to a 64-byte line. */
static int64_t plane_floats(int64_t oh, int64_t ow, int64_t kh, int64_t dh) {
  int64_t cells = (oh + (kh - 1) * dh) * ow + 8;
  return (cells + 15) / 16 * 16;
}

int gt_cpu_direct_geom(int64_t cin, int64_t ih, int64_t iw, int64_t cout, int64_t oh, int64_t ow, int64_t kh,
                       int64_t kw, int64_t dh, int64_t dw, int64_t pt, int64_t pl, gt_cpu_direct *d) {
  int64_t pb = oh - 1 + (kh - 1) * dh - pt - (ih - 1), pr = ow - 1 + (kw - 1) * dw - pl - (iw - 1);
  /* the transposed convolution has pads (kh-1)*dh - pt etc.: all four must be >= 0 both ways */
  if (pt < 0 || pl < 0 || pb < 0 || pr < 0 || pt > (kh - 1) * dh || pl > (kw - 1) * dw || pb > (kh - 1) * dh ||
      pr > (kw - 1) * dw || cin < 1 || cout < 1 || oh < 1 || ow < 1 || ih < 1 || iw < 1)
    return 0;
  d->cin = cin, d->ih = ih, d->iw = iw, d->cout = cout, d->oh = oh, d->ow = ow;
  d->kh = kh, d->kw = kw, d->dh = dh, d->dw = dw, d->pt = pt, d->pl = pl;
  d->mr = cout >= 4 ? 4 : 1;
  d->blocks = (cout + d->mr - 1) / d->mr;
  d->ps = plane_floats(oh, ow, kh, dh);
  return 1;
}

int64_t gt_cpu_direct_weight_floats(const gt_cpu_direct *d) { return d->blocks * d->mr * d->cin * d->kh * d->kw; }

static int64_t image_floats(const gt_cpu_direct *d);

int64_t gt_cpu_direct_plane_floats(const gt_cpu_direct *d) { return d->cin * d->kw * d->ps + image_floats(d); }

/* packed[b][c][j][i][r] = w of output channel b*mr + r, input channel c, tap (i, j); 0 for the
 * channels past cout. w_at(o, c, i, j) reads the caller's layout (forward or flipped). */
static void pack(const gt_cpu_direct *d, const float *w, int64_t o_stride, int64_t c_stride, int flip, float *packed) {
  int64_t khw = d->kh * d->kw;
  for (int64_t b = 0; b < d->blocks; b++)
    for (int64_t c = 0; c < d->cin; c++)
      for (int64_t j = 0; j < d->kw; j++)
        for (int64_t i = 0; i < d->kh; i++)
          for (int64_t r = 0; r < d->mr; r++) {
            int64_t o = b * d->mr + r;
            int64_t tap = flip ? khw - 1 - (i * d->kw + j) : i * d->kw + j;
            *packed++ = o < d->cout ? w[o * o_stride + c * c_stride + tap] : 0.0f;
          }
}

void gt_cpu_direct_pack_forward(const gt_cpu_direct *d, const float *w, float *packed) {
  /* w [cout, cin, kh, kw] */
  pack(d, w, d->cin * d->kh * d->kw, d->kh * d->kw, 0, packed);
}

void gt_cpu_direct_pack_backward(const gt_cpu_direct *d, const float *w, float *packed) {
  /* w [cin, cout, kh, kw]: the forward weights, whose output channels are this pass's inputs */
  pack(d, w, d->kh * d->kw, d->cout * d->kh * d->kw, 1, packed);
}

/* Row length of the zero-bordered copy of one input channel that the plane builder copies from:
 * input columns -pl .. ceil8(ow) + (kw-1)*dw - pl, rounded up to whole vectors. */
static int64_t image_width(const gt_cpu_direct *d) { return ((d->ow + 7) / 8 * 8 + (d->kw - 1) * d->dw + 7) / 8 * 8; }

static int64_t image_floats(const gt_cpu_direct *d) { return d->ih * image_width(d) + 8; }

/* The column planes of `in` (see the header comment), times relu'(mask) when mask is given.
 * Per input channel, a zero-bordered copy (masked) is written first and the kw planes are then
 * whole vector copies out of it at their column shift: reading a row right after writing it at
 * another offset would stall on store forwarding (measured: 3x slower). A plane row's last
 * vector spills into the next row, which is written after it, and the last row's into the
 * tail, zeroed last. */
GT_AVX2 void gt_cpu_direct_planes(const gt_cpu_direct *d, const float *in, const float *mask, float *planes) {
  const int64_t rows = d->oh + (d->kh - 1) * d->dh, ow = d->ow, ih = d->ih, iw = d->iw, pl = d->pl;
  const int64_t pw = image_width(d);
  float *image = planes + d->cin * d->kw * d->ps; /* [ih, pw]: image[y, pl + x] = input (y, x) */
  const __m256 zero = _mm256_setzero_ps(), one = _mm256_set1_ps(1.0f);
  /* the borders of the image stay 0: each channel rewrites only columns [pl, pl + iw) */
  for (int64_t k = 0; k < ih * pw; k += 8) _mm256_storeu_ps(image + k, zero);
  for (int64_t c = 0; c < d->cin; c++) {
    for (int64_t y = 0; y < ih; y++) {
      const float *src = in + (c * ih + y) * iw, *m = mask ? mask + (c * ih + y) * iw : NULL;
      float *to = image + y * pw + pl;
      int64_t x = 0;
      if (m) {
        /* src * gt_relu_grad(m): times 1 where m > 0, times 0 elsewhere (NaN included) */
        for (; x + 8 <= iw; x += 8) {
          __m256 keep = _mm256_and_ps(_mm256_cmp_ps(_mm256_loadu_ps(m + x), zero, _CMP_GT_OQ), one);
          _mm256_storeu_ps(to + x, _mm256_mul_ps(_mm256_loadu_ps(src + x), keep));
        }
        for (; x < iw; x++) to[x] = src[x] * (float)(m[x] > 0.0f);
      } else {
        for (; x + 8 <= iw; x += 8) _mm256_storeu_ps(to + x, _mm256_loadu_ps(src + x));
        for (; x < iw; x++) to[x] = src[x];
      }
    }
    for (int64_t j = 0; j < d->kw; j++) {
      float *dst = planes + (c * d->kw + j) * d->ps;
      for (int64_t r = 0; r < rows; r++) {
        int64_t y = r - d->pt;
        float *row = dst + r * ow;
        if (y < 0 || y >= ih) {
          for (int64_t q = 0; q < ow; q += 8) _mm256_storeu_ps(row + q, zero);
          continue;
        }
        const float *from = image + y * pw + j * d->dw; /* plane column q: input column q + j*dw - pl */
        for (int64_t q = 0; q < ow; q += 8) _mm256_storeu_ps(row + q, _mm256_loadu_ps(from + q));
      }
      for (int64_t k = rows * ow; k < d->ps; k++) dst[k] = 0.0f;
    }
  }
}

/* ---- the tile kernels ---- */

typedef struct tile_args {
  const gt_cpu_direct *d;
  const float *planes;  /* column planes */
  const float *packed;  /* this block's weights [cin][kw][kh][mr] */
  float *out;           /* output channel b*mr, [oh*ow] per channel */
  const float *bias;    /* this block's bias [mr] or NULL */
  int64_t channels;     /* output channels of the block that exist (<= mr) */
  int add, relu;
} tile_args;

/* Lanes [0, n) of a vector: mask_table + 8 - n. */
static const int32_t mask_table[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

/* Writes a tile's sums acc[r * nv + v] (channel r, output cells k0 + 8v ..): forward, plus the
 * bias and through max(v, 0) for a fused ReLU (max_ps returns its second operand, 0, for a NaN v
 * and +0 for -0: gt_relu's values); backward, added to out. Only cells < oh*ow of channels that
 * exist are touched. */
GT_AVX2 static void finish(const tile_args *a, int64_t k0, const __m256 *acc, int mr, int nv) {
  const int64_t cells = a->d->oh * a->d->ow, channels = a->channels < mr ? a->channels : mr;
  const int add = a->add, relu = a->relu;
  const float *bias = a->bias;
  float *out = a->out + k0;
  const __m256 zero = _mm256_setzero_ps();
  for (int64_t r = 0; r < channels; r++, out += cells) {
    __m256 b = bias && !add ? _mm256_broadcast_ss(bias + r) : zero;
    for (int v = 0; v < nv; v++) {
      int64_t valid = cells - k0 - 8 * v;
      if (valid <= 0) break;
      __m256 x = acc[r * nv + v];
      float *o = out + 8 * v;
      if (valid >= 8) {
        if (add) x = _mm256_add_ps(_mm256_loadu_ps(o), x);
        else if (bias) x = _mm256_add_ps(x, b);
        if (relu && !add) x = _mm256_max_ps(x, zero);
        _mm256_storeu_ps(o, x);
        continue;
      }
      __m256i m = _mm256_loadu_si256((const __m256i *)(mask_table + 8 - valid));
      if (add) x = _mm256_add_ps(_mm256_maskload_ps(o, m), x);
      else if (bias) x = _mm256_add_ps(x, b);
      if (relu && !add) x = _mm256_max_ps(x, zero);
      _mm256_maskstore_ps(o, m, x);
    }
  }
}

/* The tile loops: for every column plane and kernel row, NV vector loads of the input and, per
 * output channel r, one broadcast weight and NV FMAs. The sums are named variables (not arrays)
 * so that they stay in registers: 12 of the 16 ymm registers for 4 x 3. */
#define TILE_BEGIN(MR)                                                         \
  const gt_cpu_direct *d = a->d;                                               \
  const float *w = a->packed;                                                  \
  int64_t row_step = d->dh * d->ow, n_planes = d->cin * d->kw;                 \
  for (int64_t pl = 0; pl < n_planes; pl++) {                                  \
    const float *src = a->planes + pl * d->ps + k0;                            \
    for (int64_t i = 0; i < d->kh; i++, src += row_step, w += (MR)) {
#define TILE_END \
  }              \
  }

#define FMA(acc, r, x) acc = _mm256_fmadd_ps(_mm256_broadcast_ss(w + (r)), x, acc)

/* 4 channels x 3 vectors (24 cells). */
GT_AVX2 static void tile_4x3(const tile_args *a, int64_t k0) {
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c02 = c00, c10 = c00, c11 = c00, c12 = c00;
  __m256 c20 = c00, c21 = c00, c22 = c00, c30 = c00, c31 = c00, c32 = c00;
  TILE_BEGIN(4)
    __m256 x0 = _mm256_loadu_ps(src), x1 = _mm256_loadu_ps(src + 8), x2 = _mm256_loadu_ps(src + 16);
    FMA(c00, 0, x0); FMA(c01, 0, x1); FMA(c02, 0, x2);
    FMA(c10, 1, x0); FMA(c11, 1, x1); FMA(c12, 1, x2);
    FMA(c20, 2, x0); FMA(c21, 2, x1); FMA(c22, 2, x2);
    FMA(c30, 3, x0); FMA(c31, 3, x1); FMA(c32, 3, x2);
  TILE_END
  const __m256 acc[12] = {c00, c01, c02, c10, c11, c12, c20, c21, c22, c30, c31, c32};
  finish(a, k0, acc, 4, 3);
}

/* 4 channels x 1 vector: the tail of a plane. */
GT_AVX2 static void tile_4x1(const tile_args *a, int64_t k0) {
  __m256 c0 = _mm256_setzero_ps(), c1 = c0, c2 = c0, c3 = c0;
  TILE_BEGIN(4)
    __m256 x0 = _mm256_loadu_ps(src);
    FMA(c0, 0, x0); FMA(c1, 1, x0); FMA(c2, 2, x0); FMA(c3, 3, x0);
  TILE_END
  const __m256 acc[4] = {c0, c1, c2, c3};
  finish(a, k0, acc, 4, 1);
}

/* 1 channel x 8 vectors (64 cells): outputs with fewer than 4 channels. */
GT_AVX2 static void tile_1x8(const tile_args *a, int64_t k0) {
  __m256 c0 = _mm256_setzero_ps(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
  TILE_BEGIN(1)
    __m256 b = _mm256_broadcast_ss(w);
    c0 = _mm256_fmadd_ps(b, _mm256_loadu_ps(src), c0);
    c1 = _mm256_fmadd_ps(b, _mm256_loadu_ps(src + 8), c1);
    c2 = _mm256_fmadd_ps(b, _mm256_loadu_ps(src + 16), c2);
    c3 = _mm256_fmadd_ps(b, _mm256_loadu_ps(src + 24), c3);
    c4 = _mm256_fmadd_ps(b, _mm256_loadu_ps(src + 32), c4);
    c5 = _mm256_fmadd_ps(b, _mm256_loadu_ps(src + 40), c5);
    c6 = _mm256_fmadd_ps(b, _mm256_loadu_ps(src + 48), c6);
    c7 = _mm256_fmadd_ps(b, _mm256_loadu_ps(src + 56), c7);
  TILE_END
  const __m256 acc[8] = {c0, c1, c2, c3, c4, c5, c6, c7};
  finish(a, k0, acc, 1, 8);
}

GT_AVX2 static void tile_1x1(const tile_args *a, int64_t k0) {
  __m256 c0 = _mm256_setzero_ps();
  TILE_BEGIN(1)
    c0 = _mm256_fmadd_ps(_mm256_broadcast_ss(w), _mm256_loadu_ps(src), c0);
  TILE_END
  finish(a, k0, &c0, 1, 1);
}

int64_t gt_cpu_direct_tiles(const gt_cpu_direct *d) {
  int64_t vecs = (d->oh * d->ow + 7) / 8, nv = d->mr == 4 ? 3 : 8;
  return (vecs + nv - 1) / nv;
}

void gt_cpu_direct_run(const gt_cpu_direct *d, const float *planes, const float *packed, const float *bias, int relu,
                       int add, int64_t t0, int64_t t1, float *out) {
  int64_t vecs = (d->oh * d->ow + 7) / 8, nv = d->mr == 4 ? 3 : 8, block_w = d->cin * d->kw * d->kh * d->mr;
  for (int64_t t = t0; t < t1; t++) {
    int64_t v0 = t * nv, v1 = v0 + nv < vecs ? v0 + nv : vecs;
    for (int64_t b = 0; b < d->blocks; b++) {
      tile_args a = {d, planes, packed + b * block_w, out + b * d->mr * d->oh * d->ow, bias ? bias + b * d->mr : NULL,
                     d->cout - b * d->mr, add, relu};
      if (v1 - v0 == nv) {
        if (d->mr == 4) tile_4x3(&a, v0 * 8);
        else tile_1x8(&a, v0 * 8);
        continue;
      }
      for (int64_t v = v0; v < v1; v++) {
        if (d->mr == 4) tile_4x1(&a, v * 8);
        else tile_1x1(&a, v * 8);
      }
    }
  }
}

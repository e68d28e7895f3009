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
 * Two layouts, both making every tap of a run of consecutive cells one contiguous vector load:
 *  - Column planes (cout >= 4): for each input channel c and kernel column j the input is copied
 *    into a plane P[c, j] of width ow: P[c, j][r, q] = in[c, r - pt, q - pl + j*dw] (0 outside),
 *    rows r in [0, oh + dh*(kh-1)). Tap (i, j) of output cell k = p*ow + q is P[c, j][k + i*dh*ow].
 *  - Row planes + column combine (cout < 4, e.g. the input gradient of a conv on a 1-channel
 *    image, where kw copies of each of many input channels would cost more than the multiply-
 *    adds): one plane per input channel, of width iw, P[c][r, x] = in[c, r - pt, x]; the kernels
 *    compute Z[o*kw + j][p, x] = sum_{c, i} w[o, c, i, j] P[c][(p + i*dh)*iw + x] as cout*kw
 *    "channels", and out[o, p, q] = sum_j Z[o*kw + j][p, q - pl + j*dw] (x inside [0, iw)).
 * A tile of MR kernel channels x NV vectors of 8 consecutive cells keeps its sums in registers
 * over all planes and kernel rows, in that order, and writes each cell once.
 *
 * Every output is summed in a fixed order whatever the tiling or the thread: results do not
 * depend on the thread count. */
/* Rows are short (7 .. 56 floats): no memset/memcpy calls for them (see im2col.c); the ReLU mask's
 * select may be if-converted (no FP traps are ever enabled here; see unary.c). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math", "no-tree-loop-distribute-patterns")
#endif

#include "conv_direct.h"

#include <immintrin.h>

#include "gauntlet/hd/activation.h"

#define GT_AVX2 __attribute__((target("avx2,fma")))
#define GT_AVX2_INLINE __attribute__((target("avx2,fma"), always_inline)) static inline

static int64_t round16(int64_t floats) { return (floats + 15) / 16 * 16; }

int gt_cpu_direct_geom(int64_t cin, int64_t ih, int64_t iw, int64_t cout, int64_t oh, int64_t ow, int64_t kh,
                       int64_t kw, int64_t dh, int64_t dw, int64_t pt, int64_t pl, gt_cpu_direct *d) {
  int64_t pb = oh - 1 + (kh - 1) * dh - pt - (ih - 1), pr = ow - 1 + (kw - 1) * dw - pl - (iw - 1);
  /* the transposed convolution has pads (kh-1)*dh - pt etc.: all four must be >= 0 both ways */
  if (pt < 0 || pl < 0 || pb < 0 || pr < 0 || pt > (kh - 1) * dh || pl > (kw - 1) * dw || pb > (kh - 1) * dh ||
      pr > (kw - 1) * dw || cin < 1 || cout < 1 || oh < 1 || ow < 1 || ih < 1 || iw < 1 || kh < 1 || kw < 1)
    return 0;
  d->cin = cin, d->ih = ih, d->iw = iw, d->cout = cout, d->oh = oh, d->ow = ow;
  d->kh = kh, d->kw = kw, d->dh = dh, d->dw = dw, d->pt = pt, d->pl = pl;
  d->combine = cout < 4 && kw > 1;
  d->width = d->combine ? iw : ow;
  d->copies = d->combine ? 1 : kw;
  d->kch = d->combine ? cout * kw : cout;
  d->mr = d->kch >= 4 ? 4 : d->kch == 3 ? 3 : 1;
  d->blocks = (d->kch + d->mr - 1) / d->mr;
  /* plane rows, plus 8 floats: every vector a tile loads (cells up to round8(oh*width), plus the
   * offset of the last kernel row) and the plane builder's last vector store lie inside */
  d->ps = round16((oh + (kh - 1) * dh) * d->width + 8);
  return 1;
}

int64_t gt_cpu_direct_weight_floats(const gt_cpu_direct *d) { return d->blocks * d->mr * d->cin * d->kh * d->copies; }

/* Column planes only: the zero-bordered copy of one input channel they are cut from. */
static int64_t image_width(const gt_cpu_direct *d) { return ((d->ow + 7) / 8 * 8 + (d->kw - 1) * d->dw + 7) / 8 * 8; }

/* Cells of one kernel channel's output plane (Z in the combine layout). */
static int64_t z_floats(const gt_cpu_direct *d) { return round16(d->oh * d->width + 8); }

int64_t gt_cpu_direct_slice_floats(const gt_cpu_direct *d) {
  int64_t planes = d->cin * d->copies * d->ps;
  if (d->combine) return planes + d->kch * z_floats(d);
  return planes + round16(d->ih * image_width(d) + 8);
}

/* packed[b][c][j][i][r] (column planes) or packed[b][c][i][r] (combine: kernel channel
 * o*kw + j) = the weight of output channel o, input channel c, tap (i, j); 0 past the last
 * kernel channel. w[o * o_stride + c * c_stride + tap(i, j)] in the caller's layout, the taps
 * reversed when flip (the transposed pass). */
static void pack(const gt_cpu_direct *d, const float *w, int64_t o_stride, int64_t c_stride, int flip, float *packed) {
  int64_t khw = d->kh * d->kw;
  for (int64_t b = 0; b < d->blocks; b++)
    for (int64_t c = 0; c < d->cin; c++)
      for (int64_t jj = 0; jj < d->copies; jj++)
        for (int64_t i = 0; i < d->kh; i++)
          for (int64_t r = 0; r < d->mr; r++) {
            int64_t kc = b * d->mr + r, o = d->combine ? kc / d->kw : kc, j = d->combine ? kc % d->kw : jj;
            int64_t tap = flip ? khw - 1 - (i * d->kw + j) : i * d->kw + j;
            *packed++ = kc < d->kch ? w[o * o_stride + c * c_stride + tap] : 0.0f;
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

/* ---- planes ---- */

/* to[0 .. n) = src (times gt_relu_grad(m) when m is given: times 1 where m > 0, times 0 elsewhere,
 * NaN included). Whole vectors, then single floats: never reads past src[n). */
GT_AVX2_INLINE void copy_row(float *to, const float *src, const float *m, int64_t n) {
  const __m256 zero = _mm256_setzero_ps(), one = _mm256_set1_ps(1.0f);
  int64_t x = 0;
  if (m) {
    for (; x + 8 <= n; x += 8) {
      __m256 keep = _mm256_and_ps(_mm256_cmp_ps(_mm256_loadu_ps(m + x), zero, _CMP_GT_OQ), one);
      _mm256_storeu_ps(to + x, _mm256_mul_ps(_mm256_loadu_ps(src + x), keep));
    }
    for (; x < n; x++) to[x] = src[x] * gt_relu_grad(m[x]);
  } else {
    for (; x + 8 <= n; x += 8) _mm256_storeu_ps(to + x, _mm256_loadu_ps(src + x));
    for (; x < n; x++) to[x] = src[x];
  }
}

/* Column planes. Per input channel a zero-bordered copy (masked) is written first and the kw
 * planes are whole vector copies out of it at their column shift: reading a row right after
 * writing it at another offset would stall on store forwarding (measured: 3x slower). A plane
 * row's last vector spills into the next row, written after it, and the last row's into the
 * tail, zeroed last. */
GT_AVX2 static void column_planes(const gt_cpu_direct *d, const float *in, const float *mask, float *planes) {
  const int64_t rows = d->oh + (d->kh - 1) * d->dh, ow = d->ow, ih = d->ih, iw = d->iw, pw = image_width(d);
  float *image = planes + d->cin * d->kw * d->ps; /* [ih, pw]: image[y, pl + x] = input (y, x) */
  const __m256 zero = _mm256_setzero_ps();
  /* the borders of the image stay 0: each channel rewrites only columns [pl, pl + iw) */
  for (int64_t k = 0; k < ih * pw; k += 8) _mm256_storeu_ps(image + k, zero);
  for (int64_t c = 0; c < d->cin; c++) {
    for (int64_t y = 0; y < ih; y++)
      copy_row(image + y * pw + d->pl, in + (c * ih + y) * iw, mask ? mask + (c * ih + y) * iw : NULL, iw);
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

/* Row planes (combine layout): the input rows as they are, zero rows above and below. */
GT_AVX2 static void row_planes(const gt_cpu_direct *d, const float *in, const float *mask, float *planes) {
  const int64_t iw = d->iw, ih = d->ih;
  const __m256 zero = _mm256_setzero_ps();
  for (int64_t c = 0; c < d->cin; c++) {
    float *dst = planes + c * d->ps;
    int64_t top = d->pt * iw, bottom = (d->pt + ih) * iw;
    for (int64_t k = 0; k + 8 <= top; k += 8) _mm256_storeu_ps(dst + k, zero);
    for (int64_t k = top / 8 * 8; k < top; k++) dst[k] = 0.0f;
    copy_row(dst + top, in + c * ih * iw, mask ? mask + c * ih * iw : NULL, ih * iw);
    for (int64_t k = bottom; k < d->ps; k++) dst[k] = 0.0f;
  }
}

/* ---- the tile kernels ---- */

/* What a tile writes to: kernel channel r of the block at out + r * plane, cells k < cells. */
typedef struct tile_args {
  const gt_cpu_direct *d;
  const float *planes;  /* the planes */
  const float *packed;  /* this block's weights [cin][copies][kh][mr] */
  float *out;           /* kernel channel b*mr of the output (or Z) */
  int64_t plane, cells; /* floats between kernel channels of out; cells written per channel */
  const float *bias;    /* this block's bias [mr] or NULL */
  int64_t channels;     /* kernel channels of the block that exist (<= mr) */
  int add, relu;
} tile_args;

/* Lanes [0, n) of a vector: mask_table + 8 - n. */
static const int32_t mask_table[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

/* One vector of sums to out: forward, plus the bias b and through max(v, 0) for a fused ReLU
 * (max_ps returns its second operand, 0, for a NaN v and +0 for -0: gt_relu's values); backward,
 * added to out. `valid` lanes (1..8) are touched. */
GT_AVX2_INLINE void put(float *o, __m256 x, __m256 b, int64_t valid, int add, int bias, int relu) {
  const __m256 zero = _mm256_setzero_ps();
  if (valid >= 8) {
    if (add) x = _mm256_add_ps(_mm256_loadu_ps(o), x);
    else if (bias) x = _mm256_add_ps(x, b);
    if (relu) x = _mm256_max_ps(x, zero);
    _mm256_storeu_ps(o, x);
    return;
  }
  __m256i m = _mm256_loadu_si256((const __m256i *)(mask_table + 8 - valid));
  if (add) x = _mm256_add_ps(_mm256_maskload_ps(o, m), x);
  else if (bias) x = _mm256_add_ps(x, b);
  if (relu) x = _mm256_max_ps(x, zero);
  _mm256_maskstore_ps(o, m, x);
}

/* Writes a tile's sums acc[r * nv + v] (kernel channel r, cells k0 + 8v ..). Full tiles (every
 * channel, every cell) take the straight path; the last tiles of a plane and the last block's
 * missing channels go through the checks. */
GT_AVX2_INLINE void finish(const tile_args *a, int64_t k0, const __m256 *acc, const int mr, const int nv) {
  const int64_t cells = a->cells, plane = a->plane;
  const int add = a->add, relu = a->relu && !a->add, bias = a->bias && !a->add;
  float *out = a->out + k0;
  __m256 b[4];
  for (int r = 0; r < mr; r++) b[r] = bias && r < a->channels ? _mm256_broadcast_ss(a->bias + r) : _mm256_setzero_ps();
  if (a->channels >= mr && k0 + 8 * nv <= cells) {
    for (int r = 0; r < mr; r++)
      for (int v = 0; v < nv; v++) put(out + r * plane + 8 * v, acc[r * nv + v], b[r], 8, add, bias, relu);
    return;
  }
  for (int r = 0; r < mr && r < a->channels; r++)
    for (int v = 0; v < nv; v++) {
      int64_t valid = cells - k0 - 8 * v;
      if (valid > 0) put(out + r * plane + 8 * v, acc[r * nv + v], b[r], valid > 8 ? 8 : valid, add, bias, relu);
    }
}

/* The tile loops: for every plane and kernel row, NV vector loads of the input and, per kernel
 * channel r, one broadcast weight and NV FMAs. The sums are named variables (not arrays) so that
 * they stay in registers: 12 of the 16 ymm registers for 4 x 3 and 3 x 4. */
#define TILE_BEGIN(MR)                                                         \
  const gt_cpu_direct *d = a->d;                                               \
  const float *w = a->packed;                                                  \
  int64_t row_step = d->dh * d->width, n_planes = d->cin * d->copies;          \
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

/* 3 channels x 4 vectors (32 cells): the combine layout of one output channel and a 3-wide kernel. */
GT_AVX2 static void tile_3x4(const tile_args *a, int64_t k0) {
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00, c12 = c00, c13 = c00;
  __m256 c20 = c00, c21 = c00, c22 = c00, c23 = c00;
  TILE_BEGIN(3)
    __m256 x0 = _mm256_loadu_ps(src), x1 = _mm256_loadu_ps(src + 8);
    __m256 x2 = _mm256_loadu_ps(src + 16), x3 = _mm256_loadu_ps(src + 24);
    FMA(c00, 0, x0); FMA(c01, 0, x1); FMA(c02, 0, x2); FMA(c03, 0, x3);
    FMA(c10, 1, x0); FMA(c11, 1, x1); FMA(c12, 1, x2); FMA(c13, 1, x3);
    FMA(c20, 2, x0); FMA(c21, 2, x1); FMA(c22, 2, x2); FMA(c23, 2, x3);
  TILE_END
  const __m256 acc[12] = {c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23};
  finish(a, k0, acc, 3, 4);
}

/* 1 channel x 8 vectors (64 cells). */
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

/* Single vectors: the tails of a plane. */
GT_AVX2 static void tile_4x1(const tile_args *a, int64_t k0) {
  __m256 c0 = _mm256_setzero_ps(), c1 = c0, c2 = c0, c3 = c0;
  TILE_BEGIN(4)
    __m256 x0 = _mm256_loadu_ps(src);
    FMA(c0, 0, x0); FMA(c1, 1, x0); FMA(c2, 2, x0); FMA(c3, 3, x0);
  TILE_END
  const __m256 acc[4] = {c0, c1, c2, c3};
  finish(a, k0, acc, 4, 1);
}

GT_AVX2 static void tile_3x1(const tile_args *a, int64_t k0) {
  __m256 c0 = _mm256_setzero_ps(), c1 = c0, c2 = c0;
  TILE_BEGIN(3)
    __m256 x0 = _mm256_loadu_ps(src);
    FMA(c0, 0, x0); FMA(c1, 1, x0); FMA(c2, 2, x0);
  TILE_END
  const __m256 acc[3] = {c0, c1, c2};
  finish(a, k0, acc, 3, 1);
}

GT_AVX2 static void tile_1x1(const tile_args *a, int64_t k0) {
  __m256 c0 = _mm256_setzero_ps();
  TILE_BEGIN(1)
    c0 = _mm256_fmadd_ps(_mm256_broadcast_ss(w), _mm256_loadu_ps(src), c0);
  TILE_END
  finish(a, k0, &c0, 1, 1);
}

/* Vectors per full tile, for mr 4, 3 and 1. */
static int64_t tile_vectors(const gt_cpu_direct *d) { return d->mr == 4 ? 3 : d->mr == 3 ? 4 : 8; }

int64_t gt_cpu_direct_tiles(const gt_cpu_direct *d) {
  int64_t vecs = (d->oh * d->width + 7) / 8, nv = tile_vectors(d);
  return (vecs + nv - 1) / nv;
}

/* Tiles [t0, t1) of every block into out (kernel channel r at out + r * plane). */
static void run_tiles(const gt_cpu_direct *d, const float *planes, const float *packed, const float *bias, int relu,
                      int add, int64_t t0, int64_t t1, float *out, int64_t plane) {
  int64_t cells = d->oh * d->width, vecs = (cells + 7) / 8, nv = tile_vectors(d);
  int64_t block_w = d->cin * d->copies * d->kh * d->mr;
  for (int64_t t = t0; t < t1; t++) {
    int64_t v0 = t * nv, v1 = v0 + nv < vecs ? v0 + nv : vecs;
    for (int64_t b = 0; b < d->blocks; b++) {
      tile_args a = {d, planes, packed + b * block_w, out + b * d->mr * plane, plane, cells,
                     bias ? bias + b * d->mr : NULL, d->kch - b * d->mr, add, relu};
      if (v1 - v0 == nv) {
        if (d->mr == 4) tile_4x3(&a, v0 * 8);
        else if (d->mr == 3) tile_3x4(&a, v0 * 8);
        else tile_1x8(&a, v0 * 8);
        continue;
      }
      for (int64_t v = v0; v < v1; v++) {
        if (d->mr == 4) tile_4x1(&a, v * 8);
        else if (d->mr == 3) tile_3x1(&a, v * 8);
        else tile_1x1(&a, v * 8);
      }
    }
  }
}

/* out[o, p, q] (+)= sum_j Z[o*kw + j][p, q + j*dw - pl] over the columns inside [0, iw), in j
 * order, then (forward) + bias and ReLU. */
GT_AVX2 static void combine(const gt_cpu_direct *d, const float *z, const float *bias, int relu, int add,
                            float *out) {
  const int64_t ow = d->ow, iw = d->iw, zp = z_floats(d);
  float sum[64];
  for (int64_t o = 0; o < d->cout; o++)
    for (int64_t p = 0; p < d->oh; p++) {
      float *dst = out + (o * d->oh + p) * ow;
      for (int64_t q0 = 0; q0 < ow; q0 += 64) {
        int64_t n = ow - q0 < 64 ? ow - q0 : 64;
        for (int64_t q = 0; q < n; q++) sum[q] = 0.0f;
        for (int64_t j = 0; j < d->kw; j++) {
          const float *zr = z + (o * d->kw + j) * zp + p * iw;
          int64_t shift = j * d->dw - d->pl + q0; /* sum[q] reads zr[q + shift] */
          int64_t lo = shift < 0 ? -shift : 0, hi = iw - shift < n ? iw - shift : n;
          for (int64_t q = lo; q < hi; q++) sum[q] += zr[q + shift];
        }
        if (add) {
          for (int64_t q = 0; q < n; q++) dst[q0 + q] += sum[q];
        } else {
          float b = bias ? bias[o] : 0.0f;
          for (int64_t q = 0; q < n; q++) {
            float v = bias ? sum[q] + b : sum[q];
            dst[q0 + q] = relu ? gt_relu(v) : v;
          }
        }
      }
    }
}

void gt_cpu_direct_sample(const gt_cpu_direct *d, const float *in, const float *mask, const float *packed,
                          const float *bias, int relu, int add, float *slice, float *out) {
  if (d->combine) {
    float *z = slice + d->cin * d->ps;
    row_planes(d, in, mask, slice);
    run_tiles(d, slice, packed, NULL, 0, 0, 0, gt_cpu_direct_tiles(d), z, z_floats(d));
    combine(d, z, bias, relu, add, out);
    return;
  }
  column_planes(d, in, mask, slice);
  run_tiles(d, slice, packed, bias, relu, add, 0, gt_cpu_direct_tiles(d), out, d->oh * d->ow);
}

void gt_cpu_direct_planes(const gt_cpu_direct *d, const float *in, const float *mask, float *slice) {
  column_planes(d, in, mask, slice);
}

void gt_cpu_direct_run(const gt_cpu_direct *d, const float *slice, const float *packed, const float *bias, int relu,
                       int add, int64_t t0, int64_t t1, float *out) {
  run_tiles(d, slice, packed, bias, relu, add, t0, t1, out, d->oh * d->ow);
}

/* Backend op harness in the spirit of ggml's test-backend-ops: every op (forward and input-gradient
 * backward), the loss entry, every attack vector op and every training entry runs on a backend
 * under test (default "cuda-emu", the CUDA kernels on the emulated launch) and on "ref", and the
 * results are compared.
 *  - ops: several shapes each, odd sizes that do not divide the block size; normalised error
 *    (sum (a-b)^2 / sum b^2) below a threshold; NaN where ref has a number fails; backward starts
 *    from non-zero gradients, so "adds into grad_in" is checked too;
 *  - vector ops and the loss: per-row results must equal ref bit for bit on cuda-emu (same row
 *    functions, same host compiler), within a small relative tolerance on a real device;
 *  - every buffer has guard regions (canaries before and after) that are checked after each call,
 *    and every input buffer must come back unchanged (unless the op updates it in place);
 *  - the training table (gauntlet/train_ops.h): weight gradients, batch norm in training mode and
 *    the SGD step, compared the same ways;
 *  - coverage: an op of gt_op_kind, an entry of gt_vec_iface or a training entry of ref without a
 *    case here fails, and so does an op or entry the backend lacks.
 * Usage: test_backend_ops [-b BACKEND]   (cuda-emu, cuda, cuda:N, cpu, ...). On a GPU machine:
 *   test_backend_ops -b cuda, and under compute-sanitizer (docs/CUDA.md). */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gauntlet/backend.h"
#include "gauntlet/cuda.h"
#include "gauntlet/hd/train.h"
#include "gauntlet/train_ops.h"
#include "gauntlet/vecops.h"
#include "gt_test.h"

static gt_backend *g_ref, *g_be;
static const char *g_name = "cuda-emu";
static int g_exact; /* vector ops must equal ref bit for bit (emulation: same code, same compiler) */

/* ---- deterministic inputs ---- */

static uint64_t g_rng = 0x9E3779B97F4A7C15ull;
static float rnd(float lo, float hi) {
  g_rng ^= g_rng << 13;
  g_rng ^= g_rng >> 7;
  g_rng ^= g_rng << 17;
  return lo + (hi - lo) * (float)((g_rng >> 40) * 0x1p-24);
}
static void rnd_fill(float *x, int64_t n, float lo, float hi) {
  for (int64_t i = 0; i < n; i++) x[i] = rnd(lo, hi);
}

/* ---- guarded device buffers ---- */

#define GUARD_BYTES 256
/* Each buffer gets its own canary byte, so a kernel that copies one buffer's guard into another's
 * (reading and writing one element too many) is caught too. */
#define CANARY(i) ((unsigned char)(0x51 + 7 * (i)))
#define MAX_BUFS 64

typedef struct gbuf {
  gt_backend *be;
  unsigned char *base; /* GUARD_BYTES | payload | GUARD_BYTES */
  size_t bytes;
  const char *what;
  unsigned char canary;
} gbuf;

static gbuf g_bufs[MAX_BUFS];
static int g_nbufs;

/* A device buffer of `bytes` with canaries around it, filled from host (NULL: 0xFF bytes, NaN). */
static void *dev_buf(gt_backend *be, const char *what, const void *host, size_t bytes) {
  if (g_nbufs == MAX_BUFS) {
    GT_CHECK(0, "harness: more than %d buffers", MAX_BUFS);
    return NULL;
  }
  gt_error err = {0};
  size_t total = bytes + 2 * GUARD_BYTES;
  void *base = NULL;
  if (be->iface->buffer_alloc(be, total, &base, &err) != GT_OK) {
    GT_CHECK(0, "%s: buffer_alloc of %zu bytes: %s", g_name, total, err.message);
    return NULL;
  }
  unsigned char *h = malloc(total), canary = CANARY(g_nbufs);
  memset(h, canary, GUARD_BYTES);
  memset(h + GUARD_BYTES + bytes, canary, GUARD_BYTES);
  if (host) memcpy(h + GUARD_BYTES, host, bytes);
  else memset(h + GUARD_BYTES, 0xFF, bytes);
  GT_CHECK(be->iface->copy_to_device(be, base, h, total, &err) == GT_OK, "copy_to_device: %s", err.message);
  free(h);
  g_bufs[g_nbufs++] = (gbuf){be, (unsigned char *)base, bytes, what, canary};
  return (unsigned char *)base + GUARD_BYTES;
}

static void dev_get(gt_backend *be, void *host, const void *dev, size_t bytes) {
  gt_error err = {0};
  if (bytes) GT_CHECK(be->iface->copy_to_host(be, host, dev, bytes, &err) == GT_OK, "copy_to_host: %s", err.message);
}

/* Checks the canaries of every buffer, then frees them all. Returns 1 when all were intact. */
static int dev_release(const char *label) {
  int ok = 1;
  for (int i = 0; i < g_nbufs; i++) {
    gbuf *b = &g_bufs[i];
    size_t total = b->bytes + 2 * GUARD_BYTES;
    unsigned char *h = malloc(total);
    gt_error err = {0};
    if (b->be->iface->copy_to_host(b->be, h, b->base, total, &err) == GT_OK) {
      for (size_t j = 0; j < GUARD_BYTES; j++) {
        if (h[j] != b->canary) {
          GT_CHECK(0, "%s on %s: write %zu bytes BEFORE buffer %s", label, b->be->iface->name, GUARD_BYTES - j,
                   b->what);
          ok = 0;
          break;
        }
      }
      for (size_t j = 0; j < GUARD_BYTES; j++) {
        if (h[GUARD_BYTES + b->bytes + j] != b->canary) {
          GT_CHECK(0, "%s on %s: write at byte %zu PAST the end of buffer %s (%zu bytes)", label, b->be->iface->name,
                   j, b->what, b->bytes);
          ok = 0;
          break;
        }
      }
    }
    free(h);
    b->be->iface->buffer_free(b->be, b->base);
  }
  g_nbufs = 0;
  return ok;
}

/* ---- comparisons ---- */

/* Normalised error of a against the reference b; NaN in a where b is a number fails. */
static int cmp_nmse(const char *label, const char *what, const float *a, const float *b, int64_t n, double tol) {
  double num = 0.0, den = 0.0;
  for (int64_t i = 0; i < n; i++) {
    if (isnan(a[i]) != isnan(b[i])) {
      GT_CHECK(0, "%s: %s[%lld] = %g on %s, %g on ref", label, what, (long long)i, (double)a[i], g_name, (double)b[i]);
      return 0;
    }
    if (isnan(b[i])) continue;
    double d = (double)a[i] - (double)b[i];
    num += d * d;
    den += (double)b[i] * (double)b[i];
  }
  double e = num / (den > 1e-30 ? den : 1e-30);
  return GT_CHECK(e <= tol, "%s: %s normalised error %.3g > %.3g", label, what, e, tol);
}

/* Per-element equality (floats: bit for bit on emulation, else a relative tolerance). */
static int cmp_f32(const char *label, const char *what, const float *a, const float *b, int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    int same = isnan(a[i]) ? isnan(b[i]) : (g_exact ? a[i] == b[i] : fabsf(a[i] - b[i]) <= 1e-5f * (1.0f + fabsf(b[i])));
    if (!same)
      return GT_CHECK(0, "%s: %s[%lld] = %.9g on %s, %.9g on ref", label, what, (long long)i, (double)a[i], g_name,
                      (double)b[i]);
  }
  return 1;
}

static int cmp_bytes(const char *label, const char *what, const void *a, const void *b, size_t bytes) {
  const unsigned char *x = a, *y = b;
  for (size_t i = 0; i < bytes; i++)
    if (x[i] != y[i]) return GT_CHECK(0, "%s: %s differs from ref at byte %zu", label, what, i);
  return 1;
}

/* ---- op cases ---- */

/* Shapes as text: "2x3x5x7"; a leading "c:" marks a constant input (no gradient), "t:" a batched
 * input of tie-heavy data (values rounded to integers, for the max-pool tie rule). */
typedef struct op_case {
  const char *label;
  gt_op_kind op;
  const char *in[3];
  const char *out;
  void (*setup)(gt_node *node);
  double tol; /* normalised error threshold; 0: 1e-9 */
} op_case;

static void set_leaky(gt_node *n) { n->p.leaky_relu.alpha = 0.1f; }
static void set_clip(gt_node *n) { n->p.clip.min = -0.5f, n->p.clip.max = 0.7f; }
static void conv_common(gt_node *n, int k, int s, int p, int dil, int groups) {
  gt_conv_params *c = &n->p.conv;
  c->kernel_h = c->kernel_w = k;
  c->stride_h = c->stride_w = s;
  c->pad_top = c->pad_left = c->pad_bottom = c->pad_right = p;
  c->dilation_h = c->dilation_w = dil;
  c->groups = groups;
}
static void set_conv3(gt_node *n) { conv_common(n, 3, 1, 1, 1, 1); }
static void set_conv_grouped(gt_node *n) { conv_common(n, 3, 2, 1, 1, 2); }
static void set_conv1(gt_node *n) { conv_common(n, 1, 1, 0, 1, 1); }
static void set_conv_dilated(gt_node *n) { conv_common(n, 3, 1, 0, 2, 1); }
static void pool_common(gt_node *n, int kh, int kw, int s, int p, int include_pad) {
  gt_pool_params *q = &n->p.pool;
  q->kernel_h = kh, q->kernel_w = kw;
  q->stride_h = q->stride_w = s;
  q->pad_top = q->pad_left = q->pad_bottom = q->pad_right = p;
  q->dilation_h = q->dilation_w = 1;
  q->count_include_pad = include_pad;
}
static void set_pool3s2(gt_node *n) { pool_common(n, 3, 3, 2, 1, 0); }
static void set_pool2s2(gt_node *n) { pool_common(n, 2, 2, 2, 0, 0); }
static void set_pool3s1_incl(gt_node *n) { pool_common(n, 3, 3, 1, 1, 1); }
static void set_pool_global(gt_node *n) { pool_common(n, 5, 7, 1, 0, 0); }
static void set_perm(gt_node *n) {
  int perm[4] = {0, 2, 3, 1};
  memcpy(n->p.transpose.perm, perm, sizeof perm);
}
static void set_concat1(gt_node *n) { n->p.concat.axis = 1; }
static void set_pad_constant(gt_node *n) {
  n->p.pad.mode = GT_PAD_CONSTANT, n->p.pad.value = 0.5f;
  n->p.pad.begin[2] = 1, n->p.pad.begin[3] = 2, n->p.pad.end[2] = 2, n->p.pad.end[3] = 1;
}
static void set_pad_reflect(gt_node *n) {
  n->p.pad.mode = GT_PAD_REFLECT;
  n->p.pad.begin[2] = n->p.pad.begin[3] = n->p.pad.end[2] = n->p.pad.end[3] = 1;
}
static void set_pad_edge(gt_node *n) {
  n->p.pad.mode = GT_PAD_EDGE;
  n->p.pad.begin[3] = 2, n->p.pad.end[2] = 1;
}
static void set_softmax1(gt_node *n) { n->p.softmax.axis = 1; }
static void set_softmax_coerce(gt_node *n) { n->p.softmax.axis = 1, n->p.softmax.coerce_2d = 1; }
static void conv_full(gt_node *n, int sh, int sw, int pt, int pl, int pb, int pr, int dh, int dw, int groups) {
  gt_conv_params *c = &n->p.conv; /* kernel size: taken from W (0 = unset) */
  c->stride_h = sh, c->stride_w = sw;
  c->pad_top = pt, c->pad_left = pl, c->pad_bottom = pb, c->pad_right = pr;
  c->dilation_h = dh, c->dilation_w = dw;
  c->groups = groups;
}
static void set_conv_asym(gt_node *n) { conv_full(n, 2, 1, 1, 0, 2, 1, 1, 2, 1); }
static void set_conv_depthwise(gt_node *n) { conv_full(n, 2, 2, 1, 1, 1, 1, 1, 1, 6); }
static void set_conv1_grouped(gt_node *n) { conv_full(n, 1, 1, 0, 0, 0, 0, 1, 1, 3); }
static void set_conv_s3k2(gt_node *n) { conv_full(n, 3, 3, 0, 0, 0, 0, 1, 1, 1); }
static void set_conv_wide_kernel(gt_node *n) { conv_full(n, 1, 1, 2, 2, 2, 2, 1, 1, 1); }
static void pool_full(gt_node *n, int kh, int kw, int sh, int sw, int pt, int pl, int pb, int pr, int dh, int dw,
                      int include_pad) {
  gt_pool_params *q = &n->p.pool;
  q->kernel_h = kh, q->kernel_w = kw, q->stride_h = sh, q->stride_w = sw;
  q->pad_top = pt, q->pad_left = pl, q->pad_bottom = pb, q->pad_right = pr;
  q->dilation_h = dh, q->dilation_w = dw;
  q->count_include_pad = include_pad;
}
static void set_pool3s1(gt_node *n) { pool_common(n, 3, 3, 1, 1, 0); }
static void set_pool_dilated_ceil(gt_node *n) { pool_full(n, 3, 2, 2, 2, 0, 1, 1, 0, 2, 1, 0); }
static void set_pool_asym_incl_ceil(gt_node *n) { pool_full(n, 3, 3, 2, 2, 1, 0, 2, 1, 1, 1, 1); }
static void set_pool_global14(gt_node *n) { pool_common(n, 14, 14, 1, 0, 0); }
static void set_perm5(gt_node *n) {
  int perm[5] = {0, 4, 1, 3, 2};
  memcpy(n->p.transpose.perm, perm, sizeof perm);
}
static void set_perm_nhwc(gt_node *n) {
  int perm[4] = {0, 3, 1, 2};
  memcpy(n->p.transpose.perm, perm, sizeof perm);
}
static void set_concat2(gt_node *n) { n->p.concat.axis = 2; }
static void set_concat3(gt_node *n) { n->p.concat.axis = 3; }
static void pad_full(gt_node *n, gt_pad_mode mode, const int64_t *begin, const int64_t *end) {
  n->p.pad.mode = mode, n->p.pad.value = -0.25f;
  for (int d = 0; d < 4; d++) n->p.pad.begin[d] = begin[d], n->p.pad.end[d] = end[d];
}
static void set_pad_reflect_long(gt_node *n) {
  pad_full(n, GT_PAD_REFLECT, (const int64_t[]){0, 0, 5, 4}, (const int64_t[]){0, 0, 6, 7});
}
static void set_pad_constant_crop(gt_node *n) {
  pad_full(n, GT_PAD_CONSTANT, (const int64_t[]){0, 1, -1, 2}, (const int64_t[]){0, 2, 1, -2});
}
static void set_pad_reflect_crop(gt_node *n) {
  pad_full(n, GT_PAD_REFLECT, (const int64_t[]){0, 0, -1, 3}, (const int64_t[]){0, 0, 2, -2});
}
static void set_pad_edge_crop(gt_node *n) {
  pad_full(n, GT_PAD_EDGE, (const int64_t[]){0, 1, -2, 1}, (const int64_t[]){0, 0, 1, -1});
}
static void set_pad_reflect2(gt_node *n) {
  pad_full(n, GT_PAD_REFLECT, (const int64_t[]){0, 0, 2, 2}, (const int64_t[]){0, 0, 2, 2});
}

static const op_case g_cases[] = {
    {"conv 3x3 pad 1 + bias", GT_OP_CONV, {"2x3x9x11", "c:4x3x3x3", "c:4"}, "2x4x9x11", set_conv3, 1e-8},
    {"conv grouped stride 2", GT_OP_CONV, {"3x4x10x9", "c:6x2x3x3", "c:6"}, "3x6x5x5", set_conv_grouped, 1e-8},
    {"conv 1x1 no bias", GT_OP_CONV, {"2x5x7x7", "c:3x5x1x1"}, "2x3x7x7", set_conv1, 1e-8},
    {"conv dilated", GT_OP_CONV, {"1x2x9x9", "c:2x2x3x3"}, "1x2x5x5", set_conv_dilated, 1e-8},
    {"linear + bias", GT_OP_LINEAR, {"3x17", "c:5x17", "c:5"}, "3x5", NULL, 1e-8},
    {"linear wide, no bias", GT_OP_LINEAR, {"2x300", "c:10x300"}, "2x10", NULL, 1e-8},
    {"add same shape", GT_OP_ADD, {"2x3x5x7", "2x3x5x7"}, "2x3x5x7", NULL, 0},
    {"add per-channel constant", GT_OP_ADD, {"2x3x5x7", "c:3x1x1"}, "2x3x5x7", NULL, 0},
    {"sub both broadcast", GT_OP_SUB, {"2x3x1x7", "2x1x5x1"}, "2x3x5x7", NULL, 0},
    {"mul scalar constant", GT_OP_MUL, {"c:1", "3x300"}, "3x300", NULL, 0},
    {"mul broadcast batched", GT_OP_MUL, {"2x3x5x7", "2x3x1x1"}, "2x3x5x7", NULL, 0},
    {"div broadcast", GT_OP_DIV, {"2x3x5x7", "c:5x1"}, "2x3x5x7", NULL, 0},
    {"div batched denominator", GT_OP_DIV, {"c:3x1x1", "2x3x4x5"}, "2x3x4x5", NULL, 0},
    {"relu", GT_OP_RELU, {"3x5x17"}, "3x5x17", NULL, 0},
    {"relu 600", GT_OP_RELU, {"2x300"}, "2x300", NULL, 0},
    {"leaky relu", GT_OP_LEAKY_RELU, {"3x5x17"}, "3x5x17", set_leaky, 0},
    {"sigmoid", GT_OP_SIGMOID, {"2x300"}, "2x300", NULL, 0},
    {"tanh", GT_OP_TANH, {"3x5x17"}, "3x5x17", NULL, 0},
    {"clip", GT_OP_CLIP, {"2x300"}, "2x300", set_clip, 0},
    {"maxpool 3x3 stride 2 pad 1", GT_OP_MAXPOOL, {"2x3x9x9"}, "2x3x5x5", set_pool3s2, 0},
    {"maxpool 2x2 stride 2 odd", GT_OP_MAXPOOL, {"2x3x9x9"}, "2x3x4x4", set_pool2s2, 0},
    {"avgpool 3x3 include pad", GT_OP_AVGPOOL, {"2x3x9x9"}, "2x3x9x9", set_pool3s1_incl, 0},
    {"avgpool 3x3 stride 2", GT_OP_AVGPOOL, {"2x3x9x9"}, "2x3x5x5", set_pool3s2, 0},
    {"global avgpool", GT_OP_AVGPOOL, {"2x4x5x7"}, "2x4x1x1", set_pool_global, 0},
    {"batchnorm 4d", GT_OP_BATCHNORM, {"2x3x5x7", "c:3", "c:3"}, "2x3x5x7", NULL, 0},
    {"batchnorm 2d", GT_OP_BATCHNORM, {"3x6", "c:6", "c:6"}, "3x6", NULL, 0},
    {"reshape", GT_OP_RESHAPE, {"2x3x4x5"}, "2x60", NULL, 0},
    {"transpose", GT_OP_TRANSPOSE, {"2x3x4x5"}, "2x4x5x3", set_perm, 0},
    {"concat channels", GT_OP_CONCAT, {"2x3x4x5", "2x2x4x5"}, "2x5x4x5", set_concat1, 0},
    {"pad constant", GT_OP_PAD, {"2x3x5x5"}, "2x3x8x8", set_pad_constant, 0},
    {"pad reflect", GT_OP_PAD, {"2x3x5x5"}, "2x3x7x7", set_pad_reflect, 0},
    {"pad edge", GT_OP_PAD, {"2x3x5x5"}, "2x3x6x7", set_pad_edge, 0},
    /* Layout ops beyond the basics: asymmetric pads, strides and dilations per axis, groups,
     * sizes that do not divide the 256-thread block, ties, crops, periodic reflection. */
    {"conv asym pads, stride 2x1, dilation 1x2", GT_OP_CONV, {"3x3x11x10", "c:4x3x3x2", "c:4"}, "3x4x6x9",
     set_conv_asym, 1e-8},
    {"conv depthwise stride 2", GT_OP_CONV, {"2x6x13x13", "c:6x1x3x3", "c:6"}, "2x6x7x7", set_conv_depthwise, 1e-8},
    {"conv 1x1 grouped (no im2col)", GT_OP_CONV, {"2x6x5x7", "c:9x2x1x1", "c:9"}, "2x9x5x7", set_conv1_grouped, 1e-8},
    {"conv large odd (many blocks)", GT_OP_CONV, {"3x5x17x19", "c:7x5x3x3", "c:7"}, "3x7x17x19", set_conv3, 1e-8},
    {"conv kernel 2 stride 3 (skipped cells)", GT_OP_CONV, {"2x2x10x11", "c:3x2x2x2"}, "2x3x3x4", set_conv_s3k2,
     1e-8},
    {"conv kernel wider than input", GT_OP_CONV, {"1x2x3x3", "c:2x2x5x5"}, "1x2x3x3", set_conv_wide_kernel, 1e-8},
    {"linear 3-d input", GT_OP_LINEAR, {"2x3x17", "c:6x17", "c:6"}, "2x3x6", NULL, 1e-8},
    {"linear 300 rows, odd K", GT_OP_LINEAR, {"300x33", "c:7x33"}, "300x7", NULL, 1e-8},
    {"maxpool 3x3 stride 1 with ties", GT_OP_MAXPOOL, {"t:2x3x7x9"}, "2x3x7x9", set_pool3s1, 0},
    {"maxpool dilated, asym pads, ceil size, ties", GT_OP_MAXPOOL, {"t:2x3x11x10"}, "2x3x5x6", set_pool_dilated_ceil,
     0},
    {"avgpool asym pads include pad, ceil size", GT_OP_AVGPOOL, {"2x3x10x9"}, "2x3x6x5", set_pool_asym_incl_ceil, 0},
    {"avgpool exclude pad, large odd", GT_OP_AVGPOOL, {"3x5x17x19"}, "3x5x17x19", set_pool3s1, 0},
    {"global avgpool 14x14", GT_OP_AVGPOOL, {"2x32x14x14"}, "2x32x1x1", set_pool_global14, 0},
    {"reshape large odd", GT_OP_RESHAPE, {"3x7x11x13"}, "3x1001", NULL, 0},
    {"transpose rank 5", GT_OP_TRANSPOSE, {"2x3x4x5x2"}, "2x2x3x5x4", set_perm5, 0},
    {"transpose large odd", GT_OP_TRANSPOSE, {"3x7x11x13"}, "3x13x7x11", set_perm_nhwc, 0},
    {"concat axis 2, constant middle", GT_OP_CONCAT, {"2x3x2x5", "c:2x3x1x5", "2x3x4x5"}, "2x3x7x5", set_concat2, 0},
    {"concat last axis, odd sizes", GT_OP_CONCAT, {"3x5x7x1", "3x5x7x300"}, "3x5x7x301", set_concat3, 0},
    {"pad reflect beyond the input", GT_OP_PAD, {"2x2x3x3"}, "2x2x14x14", set_pad_reflect_long, 0},
    {"pad constant with crops, channels", GT_OP_PAD, {"2x3x5x6"}, "2x6x5x6", set_pad_constant_crop, 0},
    {"pad reflect with crops", GT_OP_PAD, {"2x2x6x5"}, "2x2x7x6", set_pad_reflect_crop, 0},
    {"pad edge with crops, channels", GT_OP_PAD, {"2x2x4x4"}, "2x3x3x4", set_pad_edge_crop, 0},
    {"pad reflect large odd", GT_OP_PAD, {"2x5x17x19"}, "2x5x21x23", set_pad_reflect2, 0},
    {"softmax rows", GT_OP_SOFTMAX, {"3x10"}, "3x10", set_softmax1, 0},
    {"softmax channels (inner 20)", GT_OP_SOFTMAX, {"2x3x4x5"}, "2x3x4x5", set_softmax1, 0},
    {"softmax coerce 2d", GT_OP_SOFTMAX, {"2x3x4"}, "2x3x4", set_softmax_coerce, 0},
};
#define N_CASES ((int)(sizeof g_cases / sizeof g_cases[0]))

typedef struct shape {
  int ndim, constant, ties;
  int64_t dims[GT_MAX_DIMS];
  int64_t numel;
} shape;

static shape parse_shape(const char *text) {
  shape s = {0};
  if (strncmp(text, "c:", 2) == 0) s.constant = 1, text += 2;
  if (strncmp(text, "t:", 2) == 0) s.ties = 1, text += 2;
  s.numel = 1;
  while (*text && s.ndim < GT_MAX_DIMS) {
    char *end;
    s.dims[s.ndim] = strtoll(text, &end, 10);
    s.numel *= s.dims[s.ndim++];
    text = *end == 'x' ? end + 1 : end;
    if (end == text && *text) break;
  }
  return s;
}

/* Host results of one backend: the output and every input gradient. */
typedef struct op_result {
  float *out, *grad[3], *in_after[3];
  int ok;
} op_result;

/* The node of case c with n_in inputs (values `inputs`). */
static void case_node(const op_case *c, int n_in, int *inputs, gt_node *node) {
  memset(node, 0, sizeof *node);
  node->op = c->op;
  node->name = (char *)c->label;
  node->n_inputs = n_in;
  node->inputs = inputs;
  if (c->setup) c->setup(node);
}

/* Runs forward, then with mask 0 the input-gradient backward (grad_in[i] for the batched inputs),
 * else the weight gradient (grad_w[i] for each i >= 1 with mask bit i-1 set, gauntlet/train_ops.h);
 * gradient buffers start from g0[i]. Fills r. */
static void run_case(gt_backend *be, const op_case *c, const shape *in, int n_in, const shape *out, float *const *x,
                     const float *dy, float *const *g0, int mask, op_result *r) {
  char label[160];
  if (mask) snprintf(label, sizeof label, "%s [%s weight gradient, mask %d]", c->label, gt_op_name(c->op), mask);
  else snprintf(label, sizeof label, "%s [%s]", c->label, gt_op_name(c->op));
  int inputs[3] = {0, 1, 2};
  gt_node node;
  case_node(c, n_in, inputs, &node);
  gt_tensor tin[3], tout, tdy, tg[3];
  const gt_tensor *pin[3];
  gt_tensor *pg[3];
  for (int i = 0; i < n_in; i++) {
    gt_tensor_init(&tin[i], dev_buf(be, "input", x[i], (size_t)in[i].numel * 4), in[i].ndim, in[i].dims);
    pin[i] = &tin[i];
    pg[i] = NULL;
    if (mask ? i > 0 && (mask >> (i - 1) & 1) : !in[i].constant) {
      gt_tensor_init(&tg[i], dev_buf(be, mask ? "grad_w" : "grad_in", g0[i], (size_t)in[i].numel * 4), in[i].ndim,
                     in[i].dims);
      pg[i] = &tg[i];
    }
  }
  gt_tensor_init(&tout, dev_buf(be, "output", NULL, (size_t)out->numel * 4), out->ndim, out->dims);
  gt_tensor_init(&tdy, dev_buf(be, "grad_out", dy, (size_t)out->numel * 4), out->ndim, out->dims);
  gt_op_call call = {&node, pin, &tout, NULL, 0, 0};
  if (be->iface->scratch_bytes[c->op]) {
    call.scratch_bytes = be->iface->scratch_bytes[c->op](be, &call);
    if (call.scratch_bytes) call.scratch = dev_buf(be, "scratch", NULL, call.scratch_bytes);
  }
  gt_error err = {0};
  gt_status st = be->iface->forward[c->op](be, &call, &err);
  r->ok = GT_CHECK(st == GT_OK, "%s forward on %s: %s", label, be->iface->name, err.message);
  if (r->ok && !mask) {
    st = be->iface->backward[c->op](be, &call, &tdy, pg, &err);
    r->ok = GT_CHECK(st == GT_OK, "%s backward on %s: %s", label, be->iface->name, err.message);
  }
  if (r->ok && mask) { /* the weight gradient has its own scratch */
    const gt_train_iface *t = be->iface->train;
    call.scratch = NULL;
    call.scratch_bytes = t->weight_scratch_bytes[c->op] ? t->weight_scratch_bytes[c->op](be, &call) : 0;
    if (call.scratch_bytes) call.scratch = dev_buf(be, "weight scratch", NULL, call.scratch_bytes);
    st = t->weight_backward[c->op](be, &call, &tdy, pg, &err);
    r->ok = GT_CHECK(st == GT_OK, "%s on %s: %s", label, be->iface->name, err.message);
  }
  if (r->ok) r->ok = GT_CHECK(be->iface->synchronize(be, &err) == GT_OK, "synchronize: %s", err.message);
  r->out = malloc((size_t)out->numel * 4);
  dev_get(be, r->out, tout.data, (size_t)out->numel * 4);
  for (int i = 0; i < n_in; i++) {
    r->in_after[i] = malloc((size_t)in[i].numel * 4);
    dev_get(be, r->in_after[i], tin[i].data, (size_t)in[i].numel * 4);
    r->grad[i] = NULL;
    if (pg[i]) {
      r->grad[i] = malloc((size_t)in[i].numel * 4);
      dev_get(be, r->grad[i], tg[i].data, (size_t)in[i].numel * 4);
    }
  }
  if (!dev_release(label)) r->ok = 0;
}

static void free_result(op_result *r, int n_in) {
  free(r->out);
  for (int i = 0; i < n_in; i++) {
    free(r->grad[i]);
    free(r->in_after[i]);
  }
}

static int g_op_tested[GT_OP_COUNT];

static void test_ops(void) {
  for (int ci = 0; ci < N_CASES; ci++) {
    const op_case *c = &g_cases[ci];
    g_op_tested[c->op] = 1;
    if (!g_be->iface->forward[c->op] || !g_be->iface->backward[c->op]) {
      GT_CHECK(0, "%s lacks op %s: case '%s' cannot run", g_name, gt_op_name(c->op), c->label);
      continue;
    }
    shape in[3], out = parse_shape(c->out);
    int n_in = 0;
    while (n_in < 3 && c->in[n_in]) {
      in[n_in] = parse_shape(c->in[n_in]);
      n_in++;
    }
    float *x[3], *g0[3] = {NULL, NULL, NULL};
    for (int i = 0; i < n_in; i++) {
      x[i] = malloc((size_t)in[i].numel * 4);
      /* Denominators stay away from 0; everything else spans both signs. */
      if (c->op == GT_OP_DIV && i == 1) rnd_fill(x[i], in[i].numel, 0.5f, 2.0f);
      else rnd_fill(x[i], in[i].numel, -2.0f, 2.0f);
      if (in[i].ties)
        for (int64_t e = 0; e < in[i].numel; e++) x[i][e] = roundf(x[i][e]);
      if (!in[i].constant) {
        g0[i] = malloc((size_t)in[i].numel * 4);
        rnd_fill(g0[i], in[i].numel, -1.0f, 1.0f);
      }
    }
    float *dy = malloc((size_t)out.numel * 4);
    rnd_fill(dy, out.numel, -1.0f, 1.0f);
    op_result rr, rb;
    run_case(g_ref, c, in, n_in, &out, x, dy, g0, 0, &rr);
    run_case(g_be, c, in, n_in, &out, x, dy, g0, 0, &rb);
    double tol = c->tol > 0 ? c->tol : 1e-9;
    char label[160];
    snprintf(label, sizeof label, "%s [%s]", c->label, gt_op_name(c->op));
    if (rr.ok && rb.ok) {
      int ok = cmp_nmse(label, "forward output", rb.out, rr.out, out.numel, tol);
      for (int i = 0; i < n_in; i++) {
        char what[64];
        snprintf(what, sizeof what, "input %d (must stay unchanged)", i);
        ok &= cmp_bytes(label, what, rb.in_after[i], x[i], (size_t)in[i].numel * 4);
        if (!rb.grad[i]) continue;
        snprintf(what, sizeof what, "grad_in[%d]", i);
        ok &= cmp_nmse(label, what, rb.grad[i], rr.grad[i], in[i].numel, tol);
      }
      if (ok) printf("  ok %s\n", label);
    }
    free_result(&rr, n_in);
    free_result(&rb, n_in);
    for (int i = 0; i < n_in; i++) {
      free(x[i]);
      free(g0[i]);
    }
    free(dy);
  }
}

static void test_op_coverage(void) {
  int gaps = 0;
  for (int op = 0; op < GT_OP_COUNT; op++) {
    if (g_op_tested[op]) continue;
    GT_CHECK(0, "coverage gap: op %s has no case in test_backend_ops.c", gt_op_name((gt_op_kind)op));
    gaps++;
  }
  int missing = 0;
  for (int op = 0; op < GT_OP_COUNT; op++)
    if (!g_be->iface->forward[op] || !g_be->iface->backward[op]) {
      GT_CHECK(0, "%s lacks op %s", g_name, gt_op_name((gt_op_kind)op));
      missing++;
    }
  printf("  coverage: %d ops without a case, %d ops missing on %s\n", gaps, missing, g_name);
}

/* ---- the loss entry ---- */

static void test_loss(void) {
  static const int64_t ns[] = {1, 5, 300};
  static const int ks[] = {4, 10};
  if (!g_be->iface->loss) {
    GT_CHECK(0, "%s has no loss entry", g_name);
    return;
  }
  for (int kind = 0; kind < GT_LOSS_COUNT; kind++)
    for (int a = 0; a < 3; a++)
      for (int b = 0; b < 2; b++)
        for (int with_grad = 0; with_grad < 2; with_grad++) {
          int64_t n = ns[a];
          int k = ks[b];
          char label[128];
          snprintf(label, sizeof label, "loss %s n=%lld k=%d%s", gt_loss_name((gt_loss_kind)kind), (long long)n, k,
                   with_grad ? " + dlogits" : "");
          float *z = malloc((size_t)(n * k) * 4), *res[2][2];
          int32_t *y = malloc((size_t)n * 4), *t = malloc((size_t)n * 4);
          rnd_fill(z, n * k, -3.0f, 3.0f);
          for (int64_t i = 0; i < n; i++) {
            y[i] = (int32_t)(i % k);
            t[i] = (int32_t)((i + 1 + i / k) % k);
            if (t[i] == y[i]) t[i] = (y[i] + 1) % k;
            if (i % 7 == 3) z[i * k + 1] = z[i * k + 2]; /* ties */
          }
          for (int which = 0; which < 2; which++) {
            gt_backend *be = which ? g_be : g_ref;
            int64_t sz[2] = {n, k};
            gt_tensor tz, tl, td;
            gt_tensor_init(&tz, dev_buf(be, "logits", z, (size_t)(n * k) * 4), 2, sz);
            gt_tensor_init(&tl, dev_buf(be, "loss", NULL, (size_t)n * 4), 1, sz);
            gt_tensor_init(&td, dev_buf(be, "dlogits", NULL, (size_t)(n * k) * 4), 2, sz);
            int32_t *dy_ = dev_buf(be, "labels", y, (size_t)n * 4), *dt = dev_buf(be, "targets", t, (size_t)n * 4);
            gt_error err = {0};
            gt_status st = be->iface->loss(be, (gt_loss_kind)kind, &tz, dy_, dt, &tl, with_grad ? &td : NULL, &err);
            GT_CHECK(st == GT_OK, "%s on %s: %s", label, be->iface->name, err.message);
            res[which][0] = malloc((size_t)n * 4);
            res[which][1] = malloc((size_t)(n * k) * 4);
            dev_get(be, res[which][0], tl.data, (size_t)n * 4);
            dev_get(be, res[which][1], td.data, (size_t)(n * k) * 4);
            dev_release(label);
          }
          cmp_f32(label, "loss", res[1][0], res[0][0], n);
          if (with_grad) cmp_f32(label, "dlogits", res[1][1], res[0][1], n * k);
          for (int w = 0; w < 2; w++) free(res[w][0]), free(res[w][1]);
          free(z), free(y), free(t);
        }
}

/* ---- vector ops ----
 * A vector-op case lists its arrays as slots (host contents, size, element kind); vrun uploads them
 * to guarded buffers on ref and on the backend under test, calls the op on both through a small
 * callback, downloads every slot (inputs included: they must come back unchanged, or updated the
 * same way when the op works in place) and compares them element by element. */

typedef enum { K_F32, K_I32, K_BYTES } slot_kind;

typedef struct vslot {
  const char *name;
  const void *host; /* initial contents (NULL: NaN bytes, an output nobody wrote yet) */
  size_t bytes;
  slot_kind kind;
  int null;   /* pass NULL instead of a buffer */
  void *dev;  /* set by vrun */
} vslot;

typedef struct vargs {
  gt_norm norm;
  int64_t n, d, n2;
  int k, kk, flag;
  size_t row_bytes;
  gt_loss_kind loss;
  gt_rng_dist dist;
  int64_t c, h, w, side;
  float value;
} vargs;

typedef gt_status (*vcall_fn)(gt_backend *be, const gt_vec_iface *v, vslot *s, const vargs *a, gt_error *err);

static void vrun(const char *label, vslot *slots, int n_slots, vcall_fn fn, const vargs *a) {
  void *res[2][16];
  int ok[2] = {0, 0};
  for (int which = 0; which < 2; which++) {
    gt_backend *be = which ? g_be : g_ref;
    for (int i = 0; i < n_slots; i++)
      slots[i].dev = slots[i].null ? NULL : dev_buf(be, slots[i].name, slots[i].host, slots[i].bytes);
    gt_error err = {0};
    gt_status st = fn(be, be->iface->vec, slots, a, &err);
    ok[which] = GT_CHECK(st == GT_OK, "%s on %s: %s", label, be->iface->name, err.message);
    for (int i = 0; i < n_slots; i++) {
      res[which][i] = malloc(slots[i].bytes ? slots[i].bytes : 1);
      if (slots[i].dev) dev_get(be, res[which][i], slots[i].dev, slots[i].bytes);
    }
    dev_release(label);
  }
  for (int i = 0; ok[0] && ok[1] && i < n_slots; i++) {
    if (slots[i].null) continue;
    if (slots[i].kind == K_F32)
      cmp_f32(label, slots[i].name, res[1][i], res[0][i], (int64_t)(slots[i].bytes / 4));
    else
      cmp_bytes(label, slots[i].name, res[1][i], res[0][i], slots[i].bytes);
  }
  for (int w = 0; w < 2; w++)
    for (int i = 0; i < n_slots; i++) free(res[w][i]);
}

/* Row shapes: one row, rows that do not fill a block, more rows than a block of 256. */
static const int64_t g_vn[] = {1, 7, 300};
static const int64_t g_vd[] = {1, 33, 257};

static float *rnd_new(int64_t n, float lo, float hi) {
  float *x = malloc((size_t)(n > 0 ? n : 1) * 4);
  rnd_fill(x, n, lo, hi);
  return x;
}

static vslot S(const char *name, const void *host, size_t bytes, slot_kind kind) {
  vslot s = {name, host, bytes, kind, 0, NULL};
  return s;
}

static gt_status call_fill(gt_backend *be, const gt_vec_iface *v, vslot *s, const vargs *a, gt_error *err) {
  gt_status st = v->fill(be, s[0].dev, a->n, a->value, err);
  return st == GT_OK ? v->fill_i32(be, s[1].dev, a->n, (int32_t)a->value, err) : st;
}
static gt_status call_norms(gt_backend *be, const gt_vec_iface *v, vslot *s, const vargs *a, gt_error *err) {
  return v->norms(be, a->norm, s[0].dev, s[1].dev, a->n, a->d, s[2].dev, err);
}
static gt_status call_direction(gt_backend *be, const gt_vec_iface *v, vslot *s, const vargs *a, gt_error *err) {
  return v->direction(be, a->norm, s[0].dev, s[1].dev, s[2].dev, a->n, a->d, s[3].dev, err);
}
static gt_status call_step(gt_backend *be, const gt_vec_iface *v, vslot *s, const vargs *a, gt_error *err) {
  gt_vec_step st = {a->norm, a->n, a->d, s[0].dev, s[1].dev, s[2].dev, s[3].dev, s[4].dev, s[5].dev, s[6].dev};
  if (a->flag) st.out = s[0].dev; /* in place */
  return v->ascent_step(be, &st, err);
}
static gt_status call_project(gt_backend *be, const gt_vec_iface *v, vslot *s, const vargs *a, gt_error *err) {
  return v->project(be, a->norm, s[0].dev, s[1].dev, s[2].dev, a->n, a->d, a->flag ? s[0].dev : s[3].dev, err);
}
static gt_status call_axpby(gt_backend *be, const gt_vec_iface *v, vslot *s, const vargs *a, gt_error *err) {
  return v->axpby(be, s[0].dev, s[1].dev, s[2].dev, s[3].dev, a->n, a->d, s[4].dev, err);
}
static gt_status call_gather(gt_backend *be, const gt_vec_iface *v, vslot *s, const vargs *a, gt_error *err) {
  return v->gather_rows(be, s[0].dev, a->n, s[1].dev, a->n2, a->row_bytes, s[2].dev, err);
}
static gt_status call_scatter(gt_backend *be, const gt_vec_iface *v, vslot *s, const vargs *a, gt_error *err) {
  return v->scatter_rows(be, s[0].dev, s[1].dev, a->n2, a->row_bytes, s[2].dev, a->n, err);
}
static gt_status call_masked(gt_backend *be, const gt_vec_iface *v, vslot *s, const vargs *a, gt_error *err) {
  return v->copy_rows_masked(be, s[1].dev, s[0].dev, a->n, a->row_bytes, s[2].dev, err);
}
static gt_status call_random(gt_backend *be, const gt_vec_iface *v, vslot *s, const vargs *a, gt_error *err) {
  gt_vec_random r = {a->dist, 1234567u + (uint64_t)a->n, 1u, 2u, 3u, s[0].dev, a->n, a->d, s[1].dev};
  return v->random_fill(be, &r, err);
}
static gt_status call_success(gt_backend *be, const gt_vec_iface *v, vslot *s, const vargs *a, gt_error *err) {
  return v->success(be, s[0].dev, a->n, a->k, s[1].dev, s[2].dev, s[3].dev, err);
}
static gt_status call_argmax(gt_backend *be, const gt_vec_iface *v, vslot *s, const vargs *a, gt_error *err) {
  return v->argmax(be, s[0].dev, a->n, a->k, s[1].dev, err);
}
static gt_status call_topk(gt_backend *be, const gt_vec_iface *v, vslot *s, const vargs *a, gt_error *err) {
  return v->topk_classes(be, s[0].dev, a->n, a->k, a->kk, s[1].dev, err);
}
static gt_status call_track(gt_backend *be, const gt_vec_iface *v, vslot *s, const vargs *a, gt_error *err) {
  return v->track_max(be, s[0].dev, a->n, s[1].dev, s[2].dev, s[3].dev, s[4].dev, err);
}
static gt_status call_nonzero(gt_backend *be, const gt_vec_iface *v, vslot *s, const vargs *a, gt_error *err) {
  return v->count_nonzero(be, s[0].dev, s[1].dev, a->n, a->d, s[2].dev, err);
}
static gt_status call_logit_loss(gt_backend *be, const gt_vec_iface *v, vslot *s, const vargs *a, gt_error *err) {
  return v->logit_loss(be, a->loss, s[0].dev, a->n, a->k, s[1].dev, s[2].dev, s[3].dev, err);
}
static gt_status call_square(gt_backend *be, const gt_vec_iface *v, vslot *s, const vargs *a, gt_error *err) {
  gt_vec_square sq = {a->norm, a->n, a->c, a->h, a->w, a->side, a->value, s[0].dev, s[1].dev,
                      99u, 3u, 1u, (uint32_t)a->k, s[2].dev, s[3].dev};
  return a->flag ? v->square_step(be, &sq, err) : v->square_init(be, &sq, err);
}
static gt_status call_hyperplane(gt_backend *be, const gt_vec_iface *v, vslot *s, const vargs *a, gt_error *err) {
  return v->project_hyperplane(be, a->norm, s[0].dev, s[1].dev, s[2].dev, s[3].dev, a->n, a->d, s[4].dev, err);
}
static gt_status call_tanh_init(gt_backend *be, const gt_vec_iface *v, vslot *s, const vargs *a, gt_error *err) {
  return v->tanh_init(be, s[0].dev, a->n, a->d, s[1].dev, s[2].dev, err);
}
static gt_status call_tanh_adam(gt_backend *be, const gt_vec_iface *v, vslot *s, const vargs *a, gt_error *err) {
  gt_vec_tanh_adam t = {a->n, a->d, s[0].dev, s[1].dev, s[2].dev, s[3].dev, s[4].dev, s[5].dev,
                        0.01f, 0.9f, 0.999f, 1e-8f, a->k, s[6].dev};
  return v->tanh_adam_step(be, &t, err);
}

#define FOR_SHAPES(n, d)                                  \
  for (int si_ = 0; si_ < 3; si_++)                       \
    for (int sj_ = 0; sj_ < 3; sj_++)                     \
      for (int64_t n = g_vn[si_], d = g_vd[sj_]; n >= 0; n = -1)

static void vt_fill(void) {
  FOR_SHAPES(n, d) {
    (void)d;
    vslot s[2] = {S("dst", NULL, (size_t)n * 4, K_F32), S("dst_i32", NULL, (size_t)n * 4, K_I32)};
    vargs a = {.n = n, .value = -3.0f};
    vrun("fill / fill_i32", s, 2, call_fill, &a);
  }
}

static void vt_norms(void) {
  FOR_SHAPES(n, d) for (int norm = 0; norm < GT_NORM_COUNT; norm++) for (int c = 0; c < 2; c++) {
    float *x = rnd_new(n * d, 0, 1), *x0 = rnd_new(n * d, 0, 1);
    vslot s[3] = {S("x", x, (size_t)(n * d) * 4, K_F32), S("x0", x0, (size_t)(n * d) * 4, K_F32),
                  S("out", NULL, (size_t)n * 4, K_F32)};
    s[1].null = c;
    vargs a = {.norm = (gt_norm)norm, .n = n, .d = d};
    vrun("norms", s, 3, call_norms, &a);
    free(x), free(x0);
  }
}

static int32_t *ks_new(int64_t n, int64_t d) {
  int32_t *k = malloc((size_t)n * 4);
  for (int64_t i = 0; i < n; i++) k[i] = (int32_t)(1 + (i * 5) % (d + 2)); /* includes k > d */
  return k;
}

static void vt_direction(void) {
  FOR_SHAPES(n, d) for (int norm = 0; norm < GT_NORM_COUNT; norm++) {
    float *g = rnd_new(n * d, -1, 1), *x = rnd_new(n * d, 0, 1);
    for (int64_t i = 0; i < n * d; i += 5) g[i] = 0.0f; /* zero gradients and ties */
    for (int64_t i = 0; i < n * d; i += 4) x[i] = (i & 8) ? 1.0f : 0.0f; /* box faces (L1) */
    int32_t *k = ks_new(n, d);
    vslot s[4] = {S("grad", g, (size_t)(n * d) * 4, K_F32), S("x", x, (size_t)(n * d) * 4, K_F32),
                  S("l1_k", k, (size_t)n * 4, K_I32), S("dir", NULL, (size_t)(n * d) * 4, K_F32)};
    vargs a = {.norm = (gt_norm)norm, .n = n, .d = d};
    vrun("direction", s, 4, call_direction, &a);
    free(g), free(x), free(k);
  }
}

static void vt_step(void) {
  FOR_SHAPES(n, d) for (int norm = 0; norm < GT_NORM_COUNT; norm++) for (int inplace = 0; inplace < 2; inplace++) {
    float *x = rnd_new(n * d, 0, 1), *g = rnd_new(n * d, -1, 1), *x0 = rnd_new(n * d, 0, 1);
    float *alpha = rnd_new(n, 0.01f, 0.5f), *eps = rnd_new(n, 0.0f, 0.3f);
    if (n > 2) eps[1] = INFINITY, eps[2] = 0.0f;
    int32_t *k = ks_new(n, d);
    vslot s[7] = {S("x", x, (size_t)(n * d) * 4, K_F32),   S("grad", g, (size_t)(n * d) * 4, K_F32),
                  S("x0", x0, (size_t)(n * d) * 4, K_F32), S("alpha", alpha, (size_t)n * 4, K_F32),
                  S("eps", eps, (size_t)n * 4, K_F32),     S("l1_k", k, (size_t)n * 4, K_I32),
                  S("out", NULL, (size_t)(n * d) * 4, K_F32)};
    s[5].null = norm != GT_NORM_L1;
    vargs a = {.norm = (gt_norm)norm, .n = n, .d = d, .flag = inplace};
    vrun("ascent_step", s, 7, call_step, &a);
    free(x), free(g), free(x0), free(alpha), free(eps), free(k);
  }
}

static void vt_project(void) {
  FOR_SHAPES(n, d) for (int norm = 0; norm < GT_NORM_COUNT; norm++) for (int inplace = 0; inplace < 2; inplace++) {
    float *x = rnd_new(n * d, -0.5f, 1.5f), *x0 = rnd_new(n * d, 0, 1), *eps = rnd_new(n, 0.0f, 0.5f);
    if (n > 2) eps[1] = INFINITY, eps[2] = 0.0f;
    vslot s[4] = {S("x", x, (size_t)(n * d) * 4, K_F32), S("x0", x0, (size_t)(n * d) * 4, K_F32),
                  S("eps", eps, (size_t)n * 4, K_F32), S("out", NULL, (size_t)(n * d) * 4, K_F32)};
    vargs a = {.norm = (gt_norm)norm, .n = n, .d = d, .flag = inplace};
    vrun("project", s, 4, call_project, &a);
    free(x), free(x0), free(eps);
  }
}

static void vt_axpby(void) {
  FOR_SHAPES(n, d) {
    float *ca = rnd_new(n, -1, 1), *x = rnd_new(n * d, -1, 1), *cb = rnd_new(n, -1, 1), *y = rnd_new(n * d, -1, 1);
    vslot s[5] = {S("a", ca, (size_t)n * 4, K_F32), S("x", x, (size_t)(n * d) * 4, K_F32),
                  S("b", cb, (size_t)n * 4, K_F32), S("y", y, (size_t)(n * d) * 4, K_F32),
                  S("out", NULL, (size_t)(n * d) * 4, K_F32)};
    vargs a = {.n = n, .d = d};
    vrun("axpby", s, 5, call_axpby, &a);
    free(ca), free(x), free(cb), free(y);
  }
}

/* Row copies on float rows, int32 labels, int64 ids and odd byte sizes alike. */
static void vt_rows(void) {
  static const size_t row_bytes[] = {4, 8, 12, 3, 1028};
  for (int si = 0; si < 3; si++)
    for (int rb = 0; rb < 5; rb++) {
      int64_t n = g_vn[si];
      size_t bytes = (size_t)n * row_bytes[rb];
      unsigned char *src = malloc(bytes), *dst0 = malloc(bytes);
      for (size_t i = 0; i < bytes; i++) src[i] = (unsigned char)(i * 7 + 1), dst0[i] = (unsigned char)(i * 3);
      int32_t *idx = malloc((size_t)n * 4), *mask = malloc((size_t)n * 4);
      for (int64_t j = 0; j < n; j++) idx[j] = (int32_t)((j * 37 + 5) % n), mask[j] = (int32_t)(j % 3 == 1);
      /* gather: n2 rows picked (with repeats) from n; scatter: a permutation (distinct) */
      int64_t n2 = n > 1 ? n - 1 : 1;
      int32_t *gidx = malloc((size_t)n2 * 4);
      for (int64_t j = 0; j < n2; j++) gidx[j] = (int32_t)((j * 5) % n);
      int32_t *perm = malloc((size_t)n * 4);
      for (int64_t j = 0; j < n; j++) perm[j] = (int32_t)(n - 1 - j);
      vargs a = {.n = n, .n2 = n2, .row_bytes = row_bytes[rb]};
      vslot g[3] = {S("src", src, bytes, K_BYTES), S("idx", gidx, (size_t)n2 * 4, K_I32),
                    S("dst", NULL, (size_t)n2 * row_bytes[rb], K_BYTES)};
      vrun("gather_rows", g, 3, call_gather, &a);
      a.n2 = n > 2 ? n - 2 : n; /* scatter into some rows only: the others stay untouched */
      vslot sc[3] = {S("src", src, (size_t)a.n2 * row_bytes[rb], K_BYTES), S("idx", perm + (n - a.n2), (size_t)a.n2 * 4, K_I32),
                     S("dst", dst0, bytes, K_BYTES)};
      vrun("scatter_rows", sc, 3, call_scatter, &a);
      vslot m[3] = {S("src", src, bytes, K_BYTES), S("mask", mask, (size_t)n * 4, K_I32), S("dst", dst0, bytes, K_BYTES)};
      vrun("copy_rows_masked", m, 3, call_masked, &a);
      free(src), free(dst0), free(idx), free(mask), free(gidx), free(perm);
    }
}

static void vt_random(void) {
  FOR_SHAPES(n, d) for (int dist = GT_RNG_UNIFORM; dist <= GT_RNG_SIGN; dist++) {
    int64_t *ids = malloc((size_t)n * 8);
    for (int64_t i = 0; i < n; i++) ids[i] = i * 1000003 % 60000;
    vslot s[2] = {S("sample_ids", ids, (size_t)n * 8, K_BYTES), S("out", NULL, (size_t)(n * d) * 4, K_F32)};
    vargs a = {.n = n, .d = d, .dist = (gt_rng_dist)dist};
    vrun("random_fill", s, 2, call_random, &a);
    free(ids);
  }
}

/* Logits with ties in some rows. */
static float *logits_new(int64_t n, int k) {
  float *z = rnd_new(n * k, -3, 3);
  for (int64_t i = 0; i < n; i++)
    if (i % 4 == 1) z[i * k] = z[i * k + k - 1];
  return z;
}

static void vt_logits(void) {
  static const int ks[] = {4, 10, 37};
  for (int si = 0; si < 3; si++)
    for (int ki = 0; ki < 3; ki++) {
      int64_t n = g_vn[si];
      int k = ks[ki];
      float *z = logits_new(n, k);
      int32_t *y = malloc((size_t)n * 4), *t = malloc((size_t)n * 4);
      for (int64_t i = 0; i < n; i++) y[i] = (int32_t)(i % k), t[i] = (int32_t)((i + 2) % k);
      vargs a = {.n = n, .k = k, .kk = k < 10 ? k : 10};
      for (int targeted = 0; targeted < 2; targeted++) {
        vslot s[4] = {S("logits", z, (size_t)(n * k) * 4, K_F32), S("labels", y, (size_t)n * 4, K_I32),
                      S("targets", t, (size_t)n * 4, K_I32), S("flags", NULL, (size_t)n * 4, K_I32)};
        s[2].null = !targeted;
        vrun("success", s, 4, call_success, &a);
      }
      vslot am[2] = {S("logits", z, (size_t)(n * k) * 4, K_F32), S("out", NULL, (size_t)n * 4, K_I32)};
      vrun("argmax", am, 2, call_argmax, &a);
      vslot tk[2] = {S("logits", z, (size_t)(n * k) * 4, K_F32), S("out", NULL, (size_t)(n * a.kk) * 4, K_I32)};
      vrun("topk_classes", tk, 2, call_topk, &a);
      for (int kind = 0; kind < GT_LOSS_COUNT; kind++) {
        if (k < gt_loss_min_classes((gt_loss_kind)kind)) continue;
        a.loss = (gt_loss_kind)kind;
        vslot ll[4] = {S("logits", z, (size_t)(n * k) * 4, K_F32), S("labels", y, (size_t)n * 4, K_I32),
                       S("targets", t, (size_t)n * 4, K_I32), S("out", NULL, (size_t)n * 4, K_F32)};
        ll[2].null = !gt_loss_is_targeted((gt_loss_kind)kind);
        vrun("logit_loss", ll, 4, call_logit_loss, &a);
      }
      free(z), free(y), free(t);
    }
}

static void vt_track_max(void) {
  for (int si = 0; si < 3; si++)
    for (int with_last = 0; with_last < 2; with_last++) {
      int64_t n = g_vn[si];
      float *v = rnd_new(n, -1, 1), *best = rnd_new(n, -1, 1), *last = rnd_new(n, -1, 1);
      if (n > 3) v[2] = NAN, best[3] = NAN;
      int32_t *rises = calloc((size_t)n, 4);
      vslot s[5] = {S("value", v, (size_t)n * 4, K_F32), S("best", best, (size_t)n * 4, K_F32),
                    S("improved", NULL, (size_t)n * 4, K_I32), S("last", last, (size_t)n * 4, K_F32),
                    S("rises", rises, (size_t)n * 4, K_I32)};
      s[3].null = s[4].null = !with_last;
      vargs a = {.n = n};
      vrun("track_max", s, 5, call_track, &a);
      free(v), free(best), free(last), free(rises);
    }
}

static void vt_nonzero(void) {
  FOR_SHAPES(n, d) for (int c = 0; c < 2; c++) {
    float *x = rnd_new(n * d, 0, 1), *x0 = rnd_new(n * d, 0, 1);
    for (int64_t i = 0; i < n * d; i += 3) x[i] = x0[i];
    for (int64_t i = 1; i < n * d; i += 4) x[i] = 0.0f;
    vslot s[3] = {S("x", x, (size_t)(n * d) * 4, K_F32), S("x0", x0, (size_t)(n * d) * 4, K_F32),
                  S("out", NULL, (size_t)n * 4, K_F32)};
    s[1].null = c;
    vargs a = {.n = n, .d = d};
    vrun("count_nonzero", s, 3, call_nonzero, &a);
    free(x), free(x0);
  }
}

static void vt_square(void) {
  static const int64_t img[3][3] = {{1, 5, 7}, {3, 8, 8}, {2, 9, 6}};
  for (int si = 0; si < 3; si++)
    for (int ii = 0; ii < 3; ii++)
      for (int norm = 0; norm < 2; norm++)
        for (int step = 0; step < 2; step++) {
          int64_t n = g_vn[si], c = img[ii][0], h = img[ii][1], w = img[ii][2], d = c * h * w;
          float *x = rnd_new(n * d, 0, 1), *x0 = rnd_new(n * d, 0, 1);
          int64_t *ids = malloc((size_t)n * 8);
          for (int64_t i = 0; i < n; i++) ids[i] = 7 * i + 1;
          vslot s[4] = {S("x", x, (size_t)(n * d) * 4, K_F32), S("x0", x0, (size_t)(n * d) * 4, K_F32),
                        S("sample_ids", ids, (size_t)n * 8, K_BYTES), S("out", NULL, (size_t)(n * d) * 4, K_F32)};
          s[0].null = !step;
          vargs a = {.norm = norm ? GT_NORM_L2 : GT_NORM_LINF, .n = n, .c = c, .h = h, .w = w,
                     .side = (h < w ? h : w) / 2 + 1, .value = norm ? 0.5f : 0.05f, .flag = step, .k = 4 + si};
          vrun(step ? "square_step" : "square_init", s, 4, call_square, &a);
          free(x), free(x0), free(ids);
        }
}

static void vt_hyperplane(void) {
  FOR_SHAPES(n, d) for (int norm = 0; norm < GT_NORM_COUNT; norm++) for (int with_a = 0; with_a < 2; with_a++) {
    float *x = rnd_new(n * d, 0, 1), *w = rnd_new(n * d, -1, 1), *pa = rnd_new(n * d, 0, 1);
    float *f = rnd_new(n, -2, 2);
    if (n > 2) f[2] = 100.0f; /* a plane that misses the box */
    vslot s[5] = {S("x", x, (size_t)(n * d) * 4, K_F32), S("w", w, (size_t)(n * d) * 4, K_F32),
                  S("a", pa, (size_t)(n * d) * 4, K_F32), S("f", f, (size_t)n * 4, K_F32),
                  S("out", NULL, (size_t)(n * d) * 4, K_F32)};
    s[2].null = !with_a;
    vargs a = {.norm = (gt_norm)norm, .n = n, .d = d};
    vrun("project_hyperplane", s, 5, call_hyperplane, &a);
    free(x), free(w), free(pa), free(f);
  }
}

static void vt_tanh(void) {
  FOR_SHAPES(n, d) {
    float *x0 = rnd_new(n * d, 0, 1);
    if (n * d > 2) x0[0] = 0.0f, x0[1] = 1.0f;
    vslot s[3] = {S("x0", x0, (size_t)(n * d) * 4, K_F32), S("w", NULL, (size_t)(n * d) * 4, K_F32),
                  S("x", NULL, (size_t)(n * d) * 4, K_F32)};
    vargs a = {.n = n, .d = d};
    vrun("tanh_init", s, 3, call_tanh_init, &a);
    float *w = rnd_new(n * d, -2, 2), *m = rnd_new(n * d, -0.1f, 0.1f), *v = rnd_new(n * d, 0, 0.01f);
    float *g = rnd_new(n * d, -1, 1), *coef = rnd_new(n, 0, 10);
    vslot t[7] = {S("w", w, (size_t)(n * d) * 4, K_F32),   S("m", m, (size_t)(n * d) * 4, K_F32),
                  S("v", v, (size_t)(n * d) * 4, K_F32),   S("x0", x0, (size_t)(n * d) * 4, K_F32),
                  S("grad", g, (size_t)(n * d) * 4, K_F32), S("coef", coef, (size_t)n * 4, K_F32),
                  S("x", NULL, (size_t)(n * d) * 4, K_F32)};
    a.k = 3; /* Adam step counter */
    vrun("tanh_adam_step", t, 7, call_tanh_adam, &a);
    free(x0), free(w), free(m), free(v), free(g), free(coef);
  }
}

/* APGD's momentum step, Linf and L2, the first step and later ones: x and x_prev are updated in
 * place (compared after the call); rows 1 and 2 have radius +inf and 0, some gradients are 0. */
static gt_status call_momentum(gt_backend *be, const gt_vec_iface *v, vslot *s, const vargs *a, gt_error *err) {
  gt_vec_momentum m = {a->norm, a->n, a->d, s[0].dev, s[1].dev, s[2].dev, s[3].dev, s[4].dev, s[5].dev, a->value,
                       a->flag};
  return v->momentum_step(be, &m, err);
}

static void vt_momentum(void) {
  static const gt_norm norms[2] = {GT_NORM_LINF, GT_NORM_L2};
  FOR_SHAPES(n, d) for (int ni = 0; ni < 2; ni++) for (int first = 0; first < 2; first++) {
    float *x = rnd_new(n * d, 0, 1), *xp = rnd_new(n * d, 0, 1), *g = rnd_new(n * d, -1, 1);
    float *x0 = rnd_new(n * d, 0, 1), *alpha = rnd_new(n, 0.01f, 0.5f), *eps = rnd_new(n, 0.0f, 0.3f);
    for (int64_t i = 0; i < n * d; i += 7) g[i] = 0.0f;
    if (n > 2) eps[1] = INFINITY, eps[2] = 0.0f;
    vslot s[6] = {S("x", x, (size_t)(n * d) * 4, K_F32),     S("x_prev", first ? NULL : xp, (size_t)(n * d) * 4, K_F32),
                  S("grad", g, (size_t)(n * d) * 4, K_F32),  S("x0", x0, (size_t)(n * d) * 4, K_F32),
                  S("alpha", alpha, (size_t)n * 4, K_F32), S("eps", eps, (size_t)n * 4, K_F32)};
    vargs a = {.norm = norms[ni], .n = n, .d = d, .flag = first, .value = 0.75f};
    vrun("momentum_step", s, 6, call_momentum, &a);
    free(x), free(xp), free(g), free(x0), free(alpha), free(eps);
  }
}

/* Every entry of gt_vec_iface and the case that covers it. */
typedef struct vec_entry {
  const char *name;
  size_t offset;
  void (*test)(void);
} vec_entry;

#define VE(field, fn) {#field, offsetof(gt_vec_iface, field), fn}
static const vec_entry g_vec_entries[] = {
    VE(fill, vt_fill),
    VE(fill_i32, vt_fill),
    VE(norms, vt_norms),
    VE(direction, vt_direction),
    VE(ascent_step, vt_step),
    VE(project, vt_project),
    VE(axpby, vt_axpby),
    VE(gather_rows, vt_rows),
    VE(scatter_rows, vt_rows),
    VE(copy_rows_masked, vt_rows),
    VE(random_fill, vt_random),
    VE(success, vt_logits),
    VE(argmax, vt_logits),
    VE(topk_classes, vt_logits),
    VE(track_max, vt_track_max),
    VE(count_nonzero, vt_nonzero),
    VE(logit_loss, vt_logits),
    VE(square_init, vt_square),
    VE(square_step, vt_square),
    VE(project_hyperplane, vt_hyperplane),
    VE(tanh_init, vt_tanh),
    VE(tanh_adam_step, vt_tanh),
    VE(momentum_step, vt_momentum),
};
#define N_VEC_ENTRIES ((int)(sizeof g_vec_entries / sizeof g_vec_entries[0]))
#define N_VEC_SLOTS ((int)(sizeof(gt_vec_iface) / sizeof(void (*)(void))))

static void test_vecops(void) {
  const gt_vec_iface *v = g_be->iface->vec;
  if (!GT_CHECK(v != NULL, "%s has no vector ops", g_name)) return;
  /* Each test function once, in table order. */
  for (int i = 0; i < N_VEC_ENTRIES; i++) {
    void (*fn)(void) = NULL;
    memcpy(&fn, (const char *)v + g_vec_entries[i].offset, sizeof fn);
    if (!GT_CHECK(fn != NULL, "%s lacks vector op %s", g_name, g_vec_entries[i].name)) continue;
    int seen = 0;
    for (int j = 0; j < i; j++) seen |= g_vec_entries[j].test == g_vec_entries[i].test;
    if (seen) continue;
    int before = g_nbufs;
    g_vec_entries[i].test();
    GT_CHECK(g_nbufs == before, "harness: buffers left over");
    printf("  ok-or-reported vecops %s\n", g_vec_entries[i].name);
  }
}

static void test_vec_coverage(void) {
  int covered[64] = {0}, gaps = 0;
  GT_CHECK(N_VEC_SLOTS <= 64, "gt_vec_iface has %d entries", N_VEC_SLOTS);
  for (int i = 0; i < N_VEC_ENTRIES; i++) covered[g_vec_entries[i].offset / sizeof(void (*)(void))] = 1;
  for (int s = 0; s < N_VEC_SLOTS && s < 64; s++)
    if (!covered[s]) {
      GT_CHECK(0, "coverage gap: entry %d of gt_vec_iface has no case in test_backend_ops.c", s);
      gaps++;
    }
  printf("  coverage: %d of %d vector ops without a case\n", gaps, N_VEC_SLOTS);
}

/* ---- the training table (gauntlet/train_ops.h) ----
 * Weight gradients: every op case above whose op has a weight gradient on ref (the spec), plus the
 * cases below, runs forward then weight_backward on both backends from the same nonzero gradient
 * buffers (they ADD), with every subset of weight and bias gradients wanted; normalised error as
 * for the ops. Batch norm in training mode and the SGD step go through vrun (every array compared,
 * bit for bit on cuda-emu: the same hd/train.h functions on the same double sums). */

static const op_case g_weight_cases[] = {
    /* 5 samples of a 1600 x 4096 column matrix: several chunks of the device's 64 MiB scratch */
    {"conv 5x5 pad 2, many chunks", GT_OP_CONV, {"5x64x64x64", "c:2x64x5x5", "c:2"}, "5x2x64x64", set_conv_wide_kernel,
     1e-8},
    {"linear 300 rows + bias", GT_OP_LINEAR, {"300x33", "c:7x33", "c:7"}, "300x7", NULL, 1e-8},
    {"batchnorm wide (2261 values per channel)", GT_OP_BATCHNORM, {"7x5x17x19", "c:5", "c:5"}, "7x5x17x19", NULL, 0},
};
#define N_WEIGHT_CASES ((int)(sizeof g_weight_cases / sizeof g_weight_cases[0]))

/* Training entries: weight_backward per op, then the three others. */
enum { TRAIN_BN_FORWARD = GT_OP_COUNT, TRAIN_BN_BACKWARD, TRAIN_SGD, TRAIN_ENTRIES };
static int g_train_tested[TRAIN_ENTRIES];

/* One weight case with every subset of its weight gradients wanted. */
static void weight_case(const op_case *c) {
  shape in[3], out = parse_shape(c->out);
  int n_in = 0;
  while (n_in < 3 && c->in[n_in]) {
    in[n_in] = parse_shape(c->in[n_in]);
    n_in++;
  }
  float *x[3], *gw0[3] = {NULL, NULL, NULL}, *dy = rnd_new(out.numel, -1.0f, 1.0f);
  for (int i = 0; i < n_in; i++) {
    x[i] = rnd_new(in[i].numel, -2.0f, 2.0f);
    if (i > 0) gw0[i] = rnd_new(in[i].numel, -1.0f, 1.0f);
  }
  double tol = c->tol > 0 ? c->tol : 1e-9;
  for (int mask = 1; mask < 1 << (n_in - 1); mask++) {
    op_result rr, rb;
    run_case(g_ref, c, in, n_in, &out, x, dy, gw0, mask, &rr);
    run_case(g_be, c, in, n_in, &out, x, dy, gw0, mask, &rb);
    char label[160];
    snprintf(label, sizeof label, "%s [%s weight gradient, mask %d]", c->label, gt_op_name(c->op), mask);
    int ok = rr.ok && rb.ok;
    for (int i = 0; ok && i < n_in; i++) {
      ok &= cmp_bytes(label, "input (must stay unchanged)", rb.in_after[i], x[i], (size_t)in[i].numel * 4);
      if (rb.grad[i]) ok &= cmp_nmse(label, i == 1 ? "grad_w[1]" : "grad_w[2]", rb.grad[i], rr.grad[i], in[i].numel, tol);
    }
    if (ok) printf("  ok %s\n", label);
    free_result(&rr, n_in);
    free_result(&rb, n_in);
  }
  for (int i = 0; i < n_in; i++) free(x[i]), free(gw0[i]);
  free(dy);
}

static void test_weight_grads(void) {
  const gt_train_iface *spec = g_ref->iface->train, *t = g_be->iface->train;
  if (!GT_CHECK(t != NULL, "%s has no training table", g_name)) return;
  for (int list = 0; list < 2; list++)
    for (int ci = 0; ci < (list ? N_WEIGHT_CASES : N_CASES); ci++) {
      const op_case *c = list ? &g_weight_cases[ci] : &g_cases[ci];
      if (!spec->weight_backward[c->op]) continue;
      g_train_tested[c->op] = 1;
      if (!GT_CHECK(t->weight_backward[c->op] && g_be->iface->forward[c->op], "%s lacks the weight gradient of %s",
                    g_name, gt_op_name(c->op)))
        continue;
      weight_case(c);
    }
}

/* Batch norm in training mode and SGD through vrun: the shape and the scalars of the case. */
static struct {
  shape x;
  float eps, momentum, lr, weight_decay;
} g_train_args;

/* Slots: x, y, gamma, beta, mean, invstd, running_mean, running_var (forward); x, dy, dx, gamma,
 * mean, invstd, dgamma, dbeta (backward). */
static gt_bn_train bn_of(vslot *s, int backward) {
  gt_bn_train bn = {.channels = g_train_args.x.dims[1], .eps = g_train_args.eps, .momentum = g_train_args.momentum};
  if (!backward) {
    bn.gamma = s[2].dev, bn.beta = s[3].dev, bn.mean = s[4].dev, bn.invstd = s[5].dev;
    bn.running_mean = s[6].dev, bn.running_var = s[7].dev;
  } else {
    bn.gamma = s[3].dev, bn.mean = s[4].dev, bn.invstd = s[5].dev, bn.dgamma = s[6].dev, bn.dbeta = s[7].dev;
  }
  return bn;
}

static gt_status call_bn_forward(gt_backend *be, const gt_vec_iface *v, vslot *s, const vargs *a, gt_error *err) {
  gt_bn_train bn = bn_of(s, 0);
  gt_tensor x, y;
  gt_tensor_init(&x, s[0].dev, g_train_args.x.ndim, g_train_args.x.dims);
  gt_tensor_init(&y, s[1].dev, g_train_args.x.ndim, g_train_args.x.dims);
  return be->iface->train->batchnorm_forward(be, &bn, &x, &y, err);
}

static gt_status call_bn_backward(gt_backend *be, const gt_vec_iface *v, vslot *s, const vargs *a, gt_error *err) {
  gt_bn_train bn = bn_of(s, 1);
  gt_tensor x, dy, dx;
  gt_tensor_init(&x, s[0].dev, g_train_args.x.ndim, g_train_args.x.dims);
  gt_tensor_init(&dy, s[1].dev, g_train_args.x.ndim, g_train_args.x.dims);
  gt_tensor_init(&dx, s[2].dev, g_train_args.x.ndim, g_train_args.x.dims);
  return be->iface->train->batchnorm_backward(be, &bn, &x, &dy, s[2].dev ? &dx : NULL, err);
}

static void test_bn_train(void) {
  /* 2-d and 4-d; one value per channel (no unbiased variance); more values per channel, and more
   * samples, than the 256 partial sums of the device reduction. */
  static const char *shapes[] = {"2x3x5x7", "3x6", "1x5x1x1", "7x5x17x19", "300x7", "2x4x3"};
  g_train_tested[TRAIN_BN_FORWARD] = g_train_tested[TRAIN_BN_BACKWARD] = 1;
  if (!GT_CHECK(g_be->iface->train && g_be->iface->train->batchnorm_forward && g_be->iface->train->batchnorm_backward,
                "%s lacks batch norm in training mode", g_name))
    return;
  for (int si = 0; si < (int)(sizeof shapes / sizeof shapes[0]); si++)
    for (int variant = 0; variant < 2; variant++) {
      g_train_args.x = parse_shape(shapes[si]);
      g_train_args.eps = 1e-5f;
      g_train_args.momentum = variant ? 0.0f : 0.1f;
      int64_t n = g_train_args.x.numel, c = g_train_args.x.dims[1], inner = n / (g_train_args.x.dims[0] * c);
      size_t xb = (size_t)n * 4, cb = (size_t)c * 4;
      /* Channel means away from 0 and spreads that differ per channel. */
      float *x = rnd_new(n, -2.0f, 2.0f);
      for (int64_t e = 0; e < n; e++) x[e] = x[e] * (1.0f + (float)((e / inner) % c)) + 0.5f * (float)((e / inner) % c);
      float *gamma = rnd_new(c, 0.5f, 1.5f), *beta = rnd_new(c, -0.5f, 0.5f), *rm = rnd_new(c, -1, 1);
      float *rv = rnd_new(c, 0.5f, 2.0f);
      char label[160];
      snprintf(label, sizeof label, "batchnorm_forward %s%s", shapes[si], variant ? ", no running statistics" : "");
      vslot f[8] = {S("x", x, xb, K_F32),      S("y", NULL, xb, K_F32),          S("gamma", gamma, cb, K_F32),
                    S("beta", beta, cb, K_F32), S("mean", NULL, cb, K_F32),       S("invstd", NULL, cb, K_F32),
                    S("running_mean", rm, cb, K_F32), S("running_var", rv, cb, K_F32)};
      f[6].null = f[7].null = variant;
      vargs a = {.n = n};
      vrun(label, f, 8, call_bn_forward, &a);
      /* Backward from statistics a forward pass could give (the ref's own, on the host). */
      float *mean = calloc((size_t)c, 4), *invstd = calloc((size_t)c, 4);
      for (int64_t ch = 0; ch < c; ch++) {
        double sum = 0.0, sq = 0.0;
        for (int64_t e = 0; e < n; e++) sum += (e / inner) % c == ch ? x[e] : 0.0f;
        mean[ch] = gt_bn_mean(sum, n / c);
        for (int64_t e = 0; e < n; e++) sq += (e / inner) % c == ch ? gt_bn_sq_dev(x[e], mean[ch]) : 0.0;
        invstd[ch] = gt_bn_invstd(sq, n / c, g_train_args.eps);
      }
      float *dy = rnd_new(n, -1, 1), *dx = rnd_new(n, -1, 1), *dgamma = rnd_new(c, -1, 1), *dbeta = rnd_new(c, -1, 1);
      snprintf(label, sizeof label, "batchnorm_backward %s%s", shapes[si], variant ? ", dx and dgamma not wanted" : "");
      vslot b[8] = {S("x", x, xb, K_F32),         S("dy", dy, xb, K_F32),         S("dx", dx, xb, K_F32),
                    S("gamma", gamma, cb, K_F32), S("mean", mean, cb, K_F32),     S("invstd", invstd, cb, K_F32),
                    S("dgamma", dgamma, cb, K_F32), S("dbeta", dbeta, cb, K_F32)};
      b[2].null = b[6].null = variant;
      vrun(label, b, 8, call_bn_backward, &a);
      free(x), free(gamma), free(beta), free(rm), free(rv), free(mean), free(invstd);
      free(dy), free(dx), free(dgamma), free(dbeta);
    }
}

static gt_status call_sgd(gt_backend *be, const gt_vec_iface *v, vslot *s, const vargs *a, gt_error *err) {
  gt_sgd_step step = {.n = a->n, .param = s[0].dev, .grad = s[1].dev, .velocity = s[2].dev, .lr = g_train_args.lr,
                      .momentum = g_train_args.momentum, .weight_decay = g_train_args.weight_decay};
  return be->iface->train->sgd_step(be, &step, err);
}

static void test_sgd(void) {
  static const int64_t ns[] = {1, 255, 257, 300, 4099};
  static const float hyper[3][3] = {{0.1f, 0.9f, 5e-4f}, {0.05f, 0.0f, 0.0f}, {0.3f, 0.5f, 0.01f}};
  g_train_tested[TRAIN_SGD] = 1;
  if (!GT_CHECK(g_be->iface->train && g_be->iface->train->sgd_step, "%s lacks the SGD step", g_name)) return;
  for (int ni = 0; ni < 5; ni++)
    for (int h = 0; h < 3; h++) {
      int64_t n = ns[ni];
      g_train_args.lr = hyper[h][0], g_train_args.momentum = hyper[h][1], g_train_args.weight_decay = hyper[h][2];
      float *p = rnd_new(n, -1, 1), *g = rnd_new(n, -1, 1), *vel = rnd_new(n, -0.5f, 0.5f);
      char label[96];
      snprintf(label, sizeof label, "sgd_step n %lld, lr %g momentum %g wd %g", (long long)n, (double)hyper[h][0],
               (double)hyper[h][1], (double)hyper[h][2]);
      vslot s[3] = {S("param", p, (size_t)n * 4, K_F32), S("grad", g, (size_t)n * 4, K_F32),
                    S("velocity", vel, (size_t)n * 4, K_F32)};
      vargs a = {.n = n};
      vrun(label, s, 3, call_sgd, &a);
      free(p), free(g), free(vel);
    }
}

/* Every training entry of ref (the specification) has a case and exists on the backend; the
 * entries after the per-op arrays are exactly the three cased here. */
static void test_train_coverage(void) {
  const gt_train_iface *spec = g_ref->iface->train, *t = g_be->iface->train;
  static const char *names[3] = {"batchnorm_forward", "batchnorm_backward", "sgd_step"};
  int gaps = 0, missing = 0;
  size_t tail = sizeof(gt_train_iface) - offsetof(gt_train_iface, batchnorm_forward);
  if (!GT_CHECK(tail == 3 * sizeof(void (*)(void)), "gt_train_iface has %zu bytes of entries after the op arrays: "
                "a new entry needs a case in test_backend_ops.c", tail))
    gaps++;
  for (int e = 0; e < TRAIN_ENTRIES; e++) {
    int op = e < GT_OP_COUNT;
    if (op && !spec->weight_backward[e]) continue;
    const char *name = op ? gt_op_name((gt_op_kind)e) : names[e - GT_OP_COUNT];
    if (!g_train_tested[e]) {
      GT_CHECK(0, "coverage gap: training entry %s%s has no case in test_backend_ops.c", op ? "weight_backward " : "",
               name);
      gaps++;
    }
    int have = t && (op ? t->weight_backward[e] != NULL
                        : (e == TRAIN_BN_FORWARD ? t->batchnorm_forward != NULL
                                                 : e == TRAIN_BN_BACKWARD ? t->batchnorm_backward != NULL
                                                                          : t->sgd_step != NULL));
    if (!have) {
      GT_CHECK(0, "%s lacks training entry %s%s", g_name, op ? "weight_backward " : "", name);
      missing++;
    }
  }
  printf("  coverage: %d training entries without a case, %d missing on %s\n", gaps, missing, g_name);
}

static gt_status create_backend(const char *name, gt_backend **out, gt_error *err) {
  if (strcmp(name, "cuda-emu") == 0) return gt_backend_cuda_emu_create(out, err);
  return gt_backend_create(name, out, err);
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    if ((strcmp(argv[i], "-b") == 0 || strcmp(argv[i], "--backend") == 0) && i + 1 < argc) g_name = argv[++i];
    else {
      fprintf(stderr, "usage: %s [-b BACKEND]   (cuda-emu by default; cuda, cuda:N, cpu, ref)\n", argv[0]);
      return 2;
    }
  }
  gt_error err = {0};
  if (gt_backend_ref_create(&g_ref, &err) != GT_OK) {
    fprintf(stderr, "ref backend: %s\n", err.message);
    return 1;
  }
  if (create_backend(g_name, &g_be, &err) != GT_OK) {
    /* No device for -b cuda: a visible skip, not a pass. */
    printf("backend '%s' is not available here: %s\n", g_name, err.message);
    gt_backend_free(g_ref);
    return strcmp(g_name, "cuda-emu") == 0 ? 1 : 77;
  }
  g_exact = strcmp(g_be->iface->name, "cuda-emu") == 0 || strcmp(g_be->iface->name, "cpu") == 0;
  printf("backend under test: %s (vector ops compared %s)\n", g_be->iface->name,
         g_exact ? "bit for bit" : "within 1e-5 relative");
  gt_test_run("ops: forward and backward vs ref", test_ops);
  gt_test_run("ops: coverage (every op has a case and runs)", test_op_coverage);
  gt_test_run("loss entry: every loss kind vs ref", test_loss);
  gt_test_run("vector ops vs ref", test_vecops);
  gt_test_run("vector ops: coverage", test_vec_coverage);
  gt_test_run("training: weight gradients vs ref", test_weight_grads);
  gt_test_run("training: batch norm in training mode vs ref", test_bn_train);
  gt_test_run("training: SGD step vs ref", test_sgd);
  gt_test_run("training: coverage", test_train_coverage);
  gt_backend_free(g_be);
  gt_backend_free(g_ref);
  return gt_test_finish();
}

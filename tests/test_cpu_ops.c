/* The cpu backend against the ref backend (the specification), op by op: forward outputs and
 * input gradients for several shapes per op (odd sizes, groups, strides, dilations, asymmetric
 * padding, broadcasting variants, tie-heavy data, batch 1 and 7), within a normalised error
 *   max |cpu - ref| / (max |ref| + 1e-6) <= 1e-5,
 * and bit-identical results between a 1-thread and a 2-thread cpu backend. Every op runs on both
 * of the cpu backend's paths (its AVX2 kernels when the CPU has them, and the portable ones). Every
 * combination of the call flags an op takes is checked too: GT_CALL_RELU against ref's op then
 * Relu, GT_CALL_WRITE_GRAD against ref's gradient from zero. Every buffer carries a guard tail
 * that must come back untouched, gradients start non-zero (backward must ADD, or overwrite), and
 * a small conv model runs end to end through the graph executor on both backends, with the
 * executor's fusion plan checked on its own. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/cpu/cpu_ops.h"
#include "gauntlet/backend.h"
#include "gauntlet/graph.h"
#include "gauntlet/hd/activation.h"
#include "gauntlet/model.h"
#include "gauntlet/model_train.h"
#include "gt_test.h"
#include "model/fuse.h"

#define MAX_IN 4
#define GUARD 16          /* floats after every buffer that no op may write */
#define GUARD_BITS 0x7fc0beefu
#define TOL 1e-5

static gt_backend *g_ref, *g_cpu1, *g_cpu2;
/* The cpu backend with its AVX2 kernels off (the portable paths), 1 and 2 threads. */
static gt_backend *g_portable1, *g_portable2;

enum { DATA_UNIFORM, DATA_AWAY_FROM_ZERO, DATA_STEPS };

typedef struct op_case {
  char name[128];
  gt_node node;
  int n_in;
  int in_ndim[MAX_IN];
  int64_t in_shape[MAX_IN][GT_MAX_DIMS];
  int grad[MAX_IN];      /* 1: a batched input, which gets a gradient */
  int data_kind[MAX_IN];
  int out_ndim;
  int64_t out_shape[GT_MAX_DIMS];
} op_case;

/* What one backend produced for a case (host copies). */
typedef struct op_result {
  int ok;
  float *y;
  float *dx[MAX_IN];
} op_result;

/* ---- small helpers ---- */

static int64_t numel_of(int ndim, const int64_t *shape) {
  int64_t n = 1;
  for (int d = 0; d < ndim; d++) n *= shape[d];
  return n;
}

static uint64_t hash_str(const char *s) {
  uint64_t h = 1469598103934665603ull;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

/* Deterministic data: uniform in [-1, 1), or |v| in [0.5, 1.5), or a few steps (ties). */
static void fill(float *v, int64_t n, int kind, uint64_t seed) {
  uint64_t s = seed | 1;
  for (int64_t i = 0; i < n; i++) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    double u = (double)(s >> 11) / 9007199254740992.0;
    if (kind == DATA_STEPS) v[i] = (float)((int)(u * 4.0) - 1); /* -1, 0, 1, 2 */
    else if (kind == DATA_AWAY_FROM_ZERO) v[i] = (float)((u < 0.5 ? -1.0 : 1.0) * (0.5 + 2.0 * fmod(u, 0.5)));
    else v[i] = (float)(2.0 * u - 1.0);
  }
}

/* Normalised error; NaN or Inf anywhere gives +inf. */
static double norm_err(const float *a, const float *b, int64_t n) {
  double diff = 0.0, scale = 0.0;
  for (int64_t i = 0; i < n; i++) {
    if (!isfinite(a[i]) || !isfinite(b[i])) return INFINITY;
    double d = fabs((double)a[i] - (double)b[i]);
    if (d > diff) diff = d;
    if (fabs((double)b[i]) > scale) scale = fabs((double)b[i]);
  }
  return diff / (scale + 1e-6);
}

static op_case case_new(const char *what, gt_op_kind op, int64_t n) {
  op_case c;
  memset(&c, 0, sizeof c);
  snprintf(c.name, sizeof c.name, "%.96s (N=%lld)", what, (long long)n);
  c.node.op = op;
  c.node.name = c.name;
  return c;
}

static void case_in(op_case *c, int grad, int data_kind, int ndim, const int64_t *shape) {
  int i = c->n_in++;
  c->in_ndim[i] = ndim;
  for (int d = 0; d < ndim; d++) c->in_shape[i][d] = shape[d];
  c->grad[i] = grad;
  c->data_kind[i] = data_kind;
  c->node.n_inputs = c->n_in;
}

static void case_out(op_case *c, int ndim, const int64_t *shape) {
  c->out_ndim = ndim;
  for (int d = 0; d < ndim; d++) c->out_shape[d] = shape[d];
}

#define SHAPE(...) ((const int64_t[]){__VA_ARGS__})
#define NDIM(...) ((int)(sizeof((const int64_t[]){__VA_ARGS__}) / sizeof(int64_t)))
#define IN(c, grad, kind, ...) case_in((c), (grad), (kind), NDIM(__VA_ARGS__), SHAPE(__VA_ARGS__))
#define OUT(c, ...) case_out((c), NDIM(__VA_ARGS__), SHAPE(__VA_ARGS__))

/* A device buffer of n floats plus the guard, filled from host (or with NaN-free junk). */
static float *dev_alloc(gt_backend *be, int64_t n, const float *host) {
  void *p = NULL;
  gt_error err = {0};
  if (be->iface->buffer_alloc(be, (size_t)(n + GUARD) * sizeof(float), &p, &err) != GT_OK) return NULL;
  float *f = p;
  if (host && n > 0) be->iface->copy_to_device(be, f, host, (size_t)n * sizeof(float), &err);
  uint32_t bits = GUARD_BITS;
  for (int g = 0; g < GUARD; g++) memcpy(&f[n + g], &bits, sizeof bits);
  return f;
}

static int guard_intact(const float *f, int64_t n) {
  for (int g = 0; g < GUARD; g++) {
    uint32_t bits;
    memcpy(&bits, &f[n + g], sizeof bits);
    if (bits != GUARD_BITS) return 0;
  }
  return 1;
}

/* Runs forward then backward of the case on one backend with the given host data and call flags
 * (GT_CALL_*). */
static op_result run_on(gt_backend *be, const op_case *c, float *const *x, const float *dy, float *const *dx0,
                        unsigned flags) {
  op_result r;
  memset(&r, 0, sizeof r);
  gt_error err = {0};
  gt_tensor tin[MAX_IN], tout, tdy, tdx[MAX_IN];
  const gt_tensor *in_ptrs[MAX_IN];
  gt_tensor *grad_ptrs[MAX_IN];
  float *din[MAX_IN] = {0}, *ddx[MAX_IN] = {0}, *dout = NULL, *ddy = NULL;
  void *scratch = NULL;
  int64_t out_n = numel_of(c->out_ndim, c->out_shape);
  int ok = 1;
  for (int i = 0; i < c->n_in; i++) {
    int64_t n = numel_of(c->in_ndim[i], c->in_shape[i]);
    din[i] = dev_alloc(be, n, x[i]);
    gt_tensor_init(&tin[i], din[i], c->in_ndim[i], c->in_shape[i]);
    in_ptrs[i] = &tin[i];
    grad_ptrs[i] = NULL;
    if (c->grad[i]) {
      ddx[i] = dev_alloc(be, n, dx0[i]);
      gt_tensor_init(&tdx[i], ddx[i], c->in_ndim[i], c->in_shape[i]);
      grad_ptrs[i] = &tdx[i];
    }
  }
  dout = dev_alloc(be, out_n, NULL);
  ddy = dev_alloc(be, out_n, dy);
  gt_tensor_init(&tout, dout, c->out_ndim, c->out_shape);
  gt_tensor_init(&tdy, ddy, c->out_ndim, c->out_shape);
  gt_op_call call = {.node = &c->node, .in = in_ptrs, .out = &tout, .scratch = NULL, .scratch_bytes = 0, .flags = flags};
  gt_op_scratch_fn sfn = be->iface->scratch_bytes[c->node.op];
  if (sfn) {
    size_t bytes = sfn(be, &call);
    if (bytes > 0) {
      ok &= GT_CHECK(be->iface->buffer_alloc(be, bytes, &scratch, &err) == GT_OK, "%s: scratch: %s", c->name,
                     err.message);
      call.scratch = scratch;
      call.scratch_bytes = bytes;
    }
  }
  gt_status st = be->iface->forward[c->node.op](be, &call, &err);
  ok &= GT_CHECK(st == GT_OK, "%s on %s: forward: %s", c->name, be->iface->name, err.message);
  if (st == GT_OK) {
    st = be->iface->backward[c->node.op](be, &call, &tdy, grad_ptrs, &err);
    ok &= GT_CHECK(st == GT_OK, "%s on %s: backward: %s", c->name, be->iface->name, err.message);
  }
  ok &= GT_CHECK(guard_intact(dout, out_n) && guard_intact(ddy, out_n), "%s on %s: wrote past the output",
                 c->name, be->iface->name);
  r.y = malloc((size_t)(out_n + 1) * sizeof(float));
  if (r.y) be->iface->copy_to_host(be, r.y, dout, (size_t)out_n * sizeof(float), &err);
  for (int i = 0; i < c->n_in; i++) {
    int64_t n = numel_of(c->in_ndim[i], c->in_shape[i]);
    ok &= GT_CHECK(guard_intact(din[i], n), "%s on %s: wrote past input %d", c->name, be->iface->name, i);
    if (c->grad[i]) {
      ok &= GT_CHECK(guard_intact(ddx[i], n), "%s on %s: wrote past gradient %d", c->name, be->iface->name, i);
      r.dx[i] = malloc((size_t)(n + 1) * sizeof(float));
      if (r.dx[i]) be->iface->copy_to_host(be, r.dx[i], ddx[i], (size_t)n * sizeof(float), &err);
    }
    be->iface->buffer_free(be, din[i]);
    if (ddx[i]) be->iface->buffer_free(be, ddx[i]);
  }
  be->iface->buffer_free(be, dout);
  be->iface->buffer_free(be, ddy);
  if (scratch) be->iface->buffer_free(be, scratch);
  r.ok = ok && r.y;
  for (int i = 0; i < c->n_in; i++)
    if (c->grad[i] && !r.dx[i]) r.ok = 0;
  return r;
}

static void result_free(op_result *r) {
  free(r->y);
  for (int i = 0; i < MAX_IN; i++) free(r->dx[i]);
}

/* One cpu result against the expected one (within TOL) and its 2-thread twin (same bytes). */
static void compare(const op_case *c, const char *how, const op_result *want, const op_result *one,
                    const op_result *two) {
  int64_t out_n = numel_of(c->out_ndim, c->out_shape);
  double e = norm_err(one->y, want->y, out_n);
  GT_CHECK(e <= TOL, "%s%s: forward error %.3g", c->name, how, e);
  GT_CHECK(memcmp(one->y, two->y, (size_t)out_n * sizeof(float)) == 0, "%s%s: forward differs between 1 and 2 threads",
           c->name, how);
  for (int i = 0; i < c->n_in; i++) {
    if (!c->grad[i]) continue;
    int64_t n = numel_of(c->in_ndim[i], c->in_shape[i]);
    e = norm_err(one->dx[i], want->dx[i], n);
    GT_CHECK(e <= TOL, "%s%s: gradient %d error %.3g", c->name, how, i, e);
    GT_CHECK(memcmp(one->dx[i], two->dx[i], (size_t)n * sizeof(float)) == 0,
             "%s%s: gradient %d differs between 1 and 2 threads", c->name, how, i);
  }
}

/* Runs a case on a 1- and a 2-thread cpu backend and compares with `want`. */
static void check_pair(const op_case *c, const char *how, gt_backend *one_be, gt_backend *two_be, float *const *x,
                       const float *dy, float *const *dx0, unsigned flags, const op_result *want) {
  op_result one = run_on(one_be, c, x, dy, dx0, flags), two = run_on(two_be, c, x, dy, dx0, flags);
  if (one.ok && two.ok) compare(c, how, want, &one, &two);
  result_free(&one);
  result_free(&two);
}

/* What ref gives for a call with these flags: GT_CALL_RELU as the op then a Relu (y = relu(z),
 * the gradient of dy * relu'(z) through the op), GT_CALL_WRITE_GRAD as gradients from zero. */
static op_result ref_expected(const op_case *c, float *const *x, const float *dy, float *const *dx0, float *const *zeros,
                              unsigned flags) {
  float *const *start = flags & GT_CALL_WRITE_GRAD ? zeros : dx0;
  if (!(flags & GT_CALL_RELU)) return run_on(g_ref, c, x, dy, start, 0);
  int64_t out_n = numel_of(c->out_ndim, c->out_shape);
  op_result plain = run_on(g_ref, c, x, dy, start, 0), want = {0};
  float *masked = malloc((size_t)(out_n + 1) * sizeof(float));
  if (plain.ok && masked) {
    for (int64_t k = 0; k < out_n; k++) masked[k] = dy[k] * gt_relu_grad(plain.y[k]);
    want = run_on(g_ref, c, x, masked, start, 0);
    for (int64_t k = 0; want.ok && k < out_n; k++) want.y[k] = gt_relu(want.y[k]);
  }
  free(masked);
  result_free(&plain);
  return want;
}

/* The whole comparison for one case. */
static void check_case(const op_case *c) {
  uint64_t seed = hash_str(c->name);
  float *x[MAX_IN] = {0}, *dx0[MAX_IN] = {0}, *zeros[MAX_IN] = {0};
  int64_t out_n = numel_of(c->out_ndim, c->out_shape);
  float *dy = malloc((size_t)(out_n + 1) * sizeof(float));
  int alloc_ok = dy != NULL;
  for (int i = 0; i < c->n_in; i++) {
    int64_t n = numel_of(c->in_ndim[i], c->in_shape[i]);
    x[i] = malloc((size_t)(n + 1) * sizeof(float));
    dx0[i] = malloc((size_t)(n + 1) * sizeof(float));
    zeros[i] = calloc((size_t)(n + 1), sizeof(float));
    alloc_ok &= x[i] && dx0[i] && zeros[i];
    if (x[i]) fill(x[i], n, c->data_kind[i], seed + 17 * (uint64_t)i);
    if (dx0[i]) fill(dx0[i], n, DATA_UNIFORM, seed + 1000 + (uint64_t)i);
  }
  if (dy) fill(dy, out_n, DATA_UNIFORM, seed + 99);
  if (GT_CHECK(alloc_ok, "%s: out of host memory", c->name)) {
    /* every combination of the flags the op takes, the plain call (0) first */
    unsigned takes = g_cpu1->iface->call_flags[c->node.op];
    for (unsigned flags = 0; flags <= takes; flags++) {
      if (flags & ~takes) continue;
      char how[64];
      snprintf(how, sizeof how, "%s%s", flags & GT_CALL_RELU ? " + relu" : "",
               flags & GT_CALL_WRITE_GRAD ? " (writing the gradient)" : "");
      op_result want = ref_expected(c, x, dy, dx0, zeros, flags);
      if (GT_CHECK(want.ok, "%s%s: ref failed", c->name, how)) {
        check_pair(c, how, g_cpu1, g_cpu2, x, dy, dx0, flags, &want);
        char portable[80];
        snprintf(portable, sizeof portable, "%s (portable)", how);
        check_pair(c, portable, g_portable1, g_portable2, x, dy, dx0, flags, &want);
      }
      result_free(&want);
    }
  }
  free(dy);
  for (int i = 0; i < c->n_in; i++) {
    free(x[i]);
    free(dx0[i]);
    free(zeros[i]);
  }
}

static const int64_t g_batches[2] = {1, 7};

/* ---- conv ---- */

static int64_t out_len(int64_t in, int64_t k, int64_t stride, int64_t pb, int64_t pe, int64_t dil) {
  return (in + pb + pe - dil * (k - 1) - 1) / stride + 1;
}

typedef struct conv_shape {
  const char *what;
  int64_t c, h, w, m, kh, kw;
  int sh, sw, pt, pl, pb, pr, dh, dw, groups, bias;
} conv_shape;

static void conv_case(const conv_shape *s, int64_t n) {
  op_case c = case_new(s->what, GT_OP_CONV, n);
  gt_conv_params *p = &c.node.p.conv;
  p->kernel_h = (int)s->kh, p->kernel_w = (int)s->kw, p->stride_h = s->sh, p->stride_w = s->sw;
  p->pad_top = s->pt, p->pad_left = s->pl, p->pad_bottom = s->pb, p->pad_right = s->pr;
  p->dilation_h = s->dh, p->dilation_w = s->dw, p->groups = s->groups;
  IN(&c, 1, DATA_UNIFORM, n, s->c, s->h, s->w);
  IN(&c, 0, DATA_UNIFORM, s->m, s->c / s->groups, s->kh, s->kw);
  if (s->bias) IN(&c, 0, DATA_UNIFORM, s->m);
  OUT(&c, n, s->m, out_len(s->h, s->kh, s->sh, s->pt, s->pb, s->dh), out_len(s->w, s->kw, s->sw, s->pl, s->pr, s->dw));
  check_case(&c);
}

static void test_conv(void) {
  static const conv_shape shapes[] = {
      {"conv 3x3 pad 1 + bias", 3, 8, 8, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1},
      {"conv odd: strides 2x3, asymmetric pads, dilation 2x1", 5, 7, 9, 6, 3, 2, 2, 3, 1, 0, 2, 1, 2, 1, 1, 0},
      {"conv groups 2, stride 2, pad 1", 6, 9, 9, 8, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 2, 1},
      {"conv depthwise 3x3", 4, 6, 6, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 4, 1},
      {"conv pointwise 1x1 + bias", 8, 5, 5, 6, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1},
      {"conv pointwise groups 2", 8, 5, 3, 4, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 2, 0},
      {"conv 1x1 stride 2", 4, 7, 7, 3, 1, 1, 2, 2, 0, 0, 0, 0, 1, 1, 1, 0},
      {"conv kernel larger than input", 2, 3, 3, 2, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1, 1, 1},
      {"conv dilation 2 pad 2", 3, 10, 10, 4, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 1, 0},
      {"conv 16->32 3x3 on 14x14", 16, 14, 14, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1},
      {"conv 1->8 3x3 on 28x28", 1, 28, 28, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1},
      {"conv 5x5 stride 2 groups 3 asymmetric", 6, 11, 8, 9, 5, 4, 2, 1, 2, 0, 1, 3, 1, 2, 3, 1},
      {"conv column blocks split output rows", 3, 13, 11, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1},
      {"conv stride 2, column blocks split rows", 2, 30, 27, 4, 3, 3, 2, 2, 1, 1, 0, 0, 1, 1, 1, 0},
      {"conv stride 1 asymmetric pads, OW == W (shifted runs)", 3, 12, 13, 4, 3, 4, 1, 1, 0, 3, 2, 0, 1, 1, 1, 1},
      {"conv dilation 1x3, OW == W, column blocks", 2, 15, 11, 3, 2, 3, 1, 1, 1, 3, 0, 3, 1, 3, 1, 0},
      {"conv pads beyond the kernel's reach (no direct path)", 2, 5, 6, 4, 3, 3, 1, 1, 3, 0, 1, 3, 1, 1, 1, 1},
      {"conv 10->10 3x3 on 14x13 groups 2 (5 channels: a part block)", 10, 14, 13, 10, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2, 1},
      {"conv 3x1 kernel, 2 output channels", 3, 9, 7, 2, 3, 1, 1, 1, 1, 0, 1, 0, 1, 1, 1, 1},
      {"conv rows wider than 64, 2 output channels", 1, 5, 70, 2, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1},
  };
  for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
    for (int b = 0; b < 2; b++) conv_case(&shapes[i], g_batches[b]);
  /* Batches 2..4 straddle the switch between the in-sample and the per-sample split (im2col, and
   * the direct path's shape 0). */
  for (int64_t n = 2; n <= 4; n++) {
    conv_case(&shapes[2], n);
    conv_case(&shapes[0], n);
  }
}

/* ---- linear ---- */

static void test_linear(void) {
  for (int b = 0; b < 2; b++) {
    int64_t n = g_batches[b];
    op_case c = case_new("linear 20->7 + bias", GT_OP_LINEAR, n);
    IN(&c, 1, DATA_UNIFORM, n, 20);
    IN(&c, 0, DATA_UNIFORM, 7, 20);
    IN(&c, 0, DATA_UNIFORM, 7);
    OUT(&c, n, 7);
    check_case(&c);
    c = case_new("linear on rank 3, no bias", GT_OP_LINEAR, n);
    IN(&c, 1, DATA_UNIFORM, n, 3, 5);
    IN(&c, 0, DATA_UNIFORM, 4, 5);
    OUT(&c, n, 3, 4);
    check_case(&c);
    c = case_new("linear many rows (several row blocks)", GT_OP_LINEAR, n);
    IN(&c, 1, DATA_UNIFORM, n, 12, 9);
    IN(&c, 0, DATA_UNIFORM, 11, 9);
    IN(&c, 0, DATA_UNIFORM, 11);
    OUT(&c, n, 12, 11);
    check_case(&c);
  }
  op_case big = case_new("linear 300 rows 257->129", GT_OP_LINEAR, 300);
  IN(&big, 1, DATA_UNIFORM, 300, 257);
  IN(&big, 0, DATA_UNIFORM, 129, 257);
  IN(&big, 0, DATA_UNIFORM, 129);
  OUT(&big, 300, 129);
  check_case(&big);
}

/* ---- binary ---- */

static void binary_cases(gt_op_kind op, const char *name, int64_t n) {
  char what[96];
  int kb = op == GT_OP_DIV ? DATA_AWAY_FROM_ZERO : DATA_UNIFORM; /* divisors stay away from 0 */
  op_case c;
  snprintf(what, sizeof what, "%s same shape", name);
  c = case_new(what, op, n);
  IN(&c, 1, DATA_UNIFORM, n, 3, 4, 5);
  IN(&c, 1, kb, n, 3, 4, 5);
  OUT(&c, n, 3, 4, 5);
  check_case(&c);
  snprintf(what, sizeof what, "%s per-channel constant [C,1,1]", name);
  c = case_new(what, op, n);
  IN(&c, 1, DATA_UNIFORM, n, 3, 4, 5);
  IN(&c, 0, kb, 3, 1, 1);
  OUT(&c, n, 3, 4, 5);
  check_case(&c);
  snprintf(what, sizeof what, "%s constant [1] first", name);
  c = case_new(what, op, n);
  IN(&c, 0, DATA_AWAY_FROM_ZERO, 1);
  IN(&c, 1, kb, n, 2, 3);
  OUT(&c, n, 2, 3);
  check_case(&c);
  snprintf(what, sizeof what, "%s rank-0 constant", name);
  c = case_new(what, op, n);
  IN(&c, 1, DATA_UNIFORM, n, 6);
  case_in(&c, 0, kb, 0, NULL);
  OUT(&c, n, 6);
  check_case(&c);
  snprintf(what, sizeof what, "%s batched [N,C,1,1] against [N,C,H,W]", name);
  c = case_new(what, op, n);
  IN(&c, 1, DATA_UNIFORM, n, 6, 5, 5);
  IN(&c, 1, kb, n, 6, 1, 1);
  OUT(&c, n, 6, 5, 5);
  check_case(&c);
  snprintf(what, sizeof what, "%s both broadcast [N,1,4,5] with [N,3,1,1]", name);
  c = case_new(what, op, n);
  IN(&c, 1, kb, n, 1, 4, 5);
  IN(&c, 1, kb, n, 3, 1, 1);
  OUT(&c, n, 3, 4, 5);
  check_case(&c);
  snprintf(what, sizeof what, "%s general strided [N,3,1,5] with [4,1]", name);
  c = case_new(what, op, n);
  IN(&c, 1, DATA_UNIFORM, n, 3, 1, 5);
  IN(&c, 0, kb, 4, 1);
  OUT(&c, n, 3, 4, 5);
  check_case(&c);
  snprintf(what, sizeof what, "%s large same shape", name);
  c = case_new(what, op, n);
  IN(&c, 1, DATA_UNIFORM, n, 3, 50, 50);
  IN(&c, 1, kb, n, 3, 50, 50);
  OUT(&c, n, 3, 50, 50);
  check_case(&c);
  snprintf(what, sizeof what, "%s large, reduced over H*W", name);
  c = case_new(what, op, n);
  IN(&c, 1, kb, n, 16, 1, 1);
  IN(&c, 1, kb, n, 16, 40, 40);
  OUT(&c, n, 16, 40, 40);
  check_case(&c);
}

static void test_binary(void) {
  for (int b = 0; b < 2; b++) {
    binary_cases(GT_OP_ADD, "add", g_batches[b]);
    binary_cases(GT_OP_SUB, "sub", g_batches[b]);
    binary_cases(GT_OP_MUL, "mul", g_batches[b]);
    binary_cases(GT_OP_DIV, "div", g_batches[b]);
  }
}

/* ---- unary ---- */

static void unary_case(gt_op_kind op, const char *what, int64_t n, int64_t h, int clip_inputs, int kind) {
  op_case c = case_new(what, op, n);
  c.node.p.leaky_relu.alpha = 0.1f;
  if (op == GT_OP_CLIP) c.node.p.clip.min = -0.3f, c.node.p.clip.max = 0.5f;
  IN(&c, 1, kind, n, 4, h, h + 1);
  for (int i = 0; i < clip_inputs; i++) IN(&c, 0, DATA_UNIFORM, 1);
  OUT(&c, n, 4, h, h + 1);
  check_case(&c);
}

static void test_unary(void) {
  for (int b = 0; b < 2; b++) {
    int64_t n = g_batches[b];
    unary_case(GT_OP_RELU, "relu", n, 5, 0, DATA_UNIFORM);
    unary_case(GT_OP_RELU, "relu on steps (exact zeros)", n, 5, 0, DATA_STEPS);
    unary_case(GT_OP_LEAKY_RELU, "leaky relu", n, 5, 0, DATA_UNIFORM);
    unary_case(GT_OP_SIGMOID, "sigmoid", n, 5, 0, DATA_UNIFORM);
    unary_case(GT_OP_TANH, "tanh", n, 5, 0, DATA_UNIFORM);
    unary_case(GT_OP_CLIP, "clip", n, 5, 0, DATA_UNIFORM);
    unary_case(GT_OP_CLIP, "clip with min/max inputs", n, 5, 2, DATA_UNIFORM);
    unary_case(GT_OP_RELU, "relu large", n, 40, 0, DATA_UNIFORM);
    unary_case(GT_OP_SIGMOID, "sigmoid large", n, 40, 0, DATA_UNIFORM);
  }
}

/* ---- pooling ---- */

typedef struct pool_shape {
  const char *what;
  int64_t c, h, w, oh, ow;
  int kh, kw, sh, sw, pt, pl, pb, pr, dh, dw;
} pool_shape;

static void pool_case(gt_op_kind op, const pool_shape *s, int64_t n, int include_pad, int kind) {
  char what[128];
  snprintf(what, sizeof what, "%s %s%s%s", op == GT_OP_MAXPOOL ? "maxpool" : "avgpool", s->what,
           op == GT_OP_AVGPOOL && include_pad ? " count_include_pad" : "", kind == DATA_STEPS ? " ties" : "");
  op_case c = case_new(what, op, n);
  gt_pool_params *p = &c.node.p.pool;
  p->kernel_h = s->kh, p->kernel_w = s->kw, p->stride_h = s->sh, p->stride_w = s->sw;
  p->pad_top = s->pt, p->pad_left = s->pl, p->pad_bottom = s->pb, p->pad_right = s->pr;
  p->dilation_h = s->dh, p->dilation_w = s->dw, p->count_include_pad = include_pad;
  IN(&c, 1, kind, n, s->c, s->h, s->w);
  OUT(&c, n, s->c, s->oh, s->ow);
  check_case(&c);
}

static void test_pool(void) {
  static const pool_shape shapes[] = {
      {"2x2 stride 2", 3, 8, 8, 4, 4, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1},
      {"2x2 stride 2, 14 windows a row", 3, 28, 28, 14, 14, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1},
      {"2x2 stride 2, 7 windows a row", 2, 14, 14, 7, 7, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1},
      {"2x2 stride 2, 20 windows a row", 2, 6, 40, 3, 20, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1},
      {"3x3 stride 2 pad 1, odd", 2, 9, 7, 5, 4, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1},
      {"2x2 stride 2 ceil-mode output", 2, 7, 7, 4, 4, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1},
      {"2x2 stride 2 floor, odd sizes", 3, 7, 9, 3, 4, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1},
      {"3x2 dilation 2x1 asymmetric pads", 2, 9, 8, 7, 9, 3, 2, 1, 1, 0, 1, 2, 1, 2, 1},
      {"1x1 stride 2 ceil-mode window outside the input", 2, 4, 4, 3, 3, 1, 1, 2, 2, 0, 0, 0, 0, 1, 1},
      {"global 6x5", 5, 6, 5, 1, 1, 6, 5, 1, 1, 0, 0, 0, 0, 1, 1},
      {"3x3 stride 1 pad 1 large", 16, 24, 24, 24, 24, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},
  };
  for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
    for (int b = 0; b < 2; b++) {
      int64_t n = g_batches[b];
      pool_case(GT_OP_MAXPOOL, &shapes[i], n, 0, DATA_UNIFORM);
      pool_case(GT_OP_MAXPOOL, &shapes[i], n, 0, DATA_STEPS);
      pool_case(GT_OP_AVGPOOL, &shapes[i], n, 0, DATA_UNIFORM);
      pool_case(GT_OP_AVGPOOL, &shapes[i], n, 1, DATA_UNIFORM);
    }
}

/* ---- batchnorm, shape ops, softmax ---- */

static void test_batchnorm(void) {
  for (int b = 0; b < 2; b++) {
    int64_t n = g_batches[b];
    op_case c = case_new("batchnorm [N,5,4,3]", GT_OP_BATCHNORM, n);
    IN(&c, 1, DATA_UNIFORM, n, 5, 4, 3);
    IN(&c, 0, DATA_UNIFORM, 5);
    IN(&c, 0, DATA_UNIFORM, 5);
    OUT(&c, n, 5, 4, 3);
    check_case(&c);
    c = case_new("batchnorm [N,6]", GT_OP_BATCHNORM, n);
    IN(&c, 1, DATA_UNIFORM, n, 6);
    IN(&c, 0, DATA_UNIFORM, 6);
    IN(&c, 0, DATA_UNIFORM, 6);
    OUT(&c, n, 6);
    check_case(&c);
    c = case_new("batchnorm large", GT_OP_BATCHNORM, n);
    IN(&c, 1, DATA_UNIFORM, n, 32, 30, 30);
    IN(&c, 0, DATA_UNIFORM, 32);
    IN(&c, 0, DATA_UNIFORM, 32);
    OUT(&c, n, 32, 30, 30);
    check_case(&c);
  }
}

static void transpose_case(int64_t n, int ndim, const int64_t *in_shape, const int *perm, const char *what) {
  op_case c = case_new(what, GT_OP_TRANSPOSE, n);
  int64_t shape[GT_MAX_DIMS], out[GT_MAX_DIMS];
  for (int d = 0; d < ndim; d++) shape[d] = d == 0 ? n : in_shape[d];
  for (int d = 0; d < ndim; d++) {
    c.node.p.transpose.perm[d] = perm[d];
    out[d] = shape[perm[d]];
  }
  case_in(&c, 1, DATA_UNIFORM, ndim, shape);
  case_out(&c, ndim, out);
  check_case(&c);
}

static void pad_case(int64_t n, gt_pad_mode mode, const int64_t *x_shape, const int64_t *begin, const int64_t *end,
                     const char *what) {
  op_case c = case_new(what, GT_OP_PAD, n);
  int64_t shape[4], out[4];
  c.node.p.pad.mode = mode;
  c.node.p.pad.value = 0.5f;
  for (int d = 0; d < 4; d++) {
    shape[d] = d == 0 ? n : x_shape[d];
    c.node.p.pad.begin[d] = begin[d];
    c.node.p.pad.end[d] = end[d];
    out[d] = shape[d] + begin[d] + end[d];
  }
  case_in(&c, 1, DATA_UNIFORM, 4, shape);
  case_out(&c, 4, out);
  check_case(&c);
}

static void test_shape_ops(void) {
  for (int b = 0; b < 2; b++) {
    int64_t n = g_batches[b];
    op_case c = case_new("reshape [N,3,4] -> [N,12]", GT_OP_RESHAPE, n);
    IN(&c, 1, DATA_UNIFORM, n, 3, 4);
    OUT(&c, n, 12);
    check_case(&c);

    transpose_case(n, 4, SHAPE(0, 3, 4, 5), (const int[]){0, 2, 3, 1}, "transpose NCHW -> NHWC");
    transpose_case(n, 3, SHAPE(0, 2, 3), (const int[]){0, 2, 1}, "transpose last two");
    transpose_case(n, 5, SHAPE(0, 3, 4, 5, 2), (const int[]){0, 4, 1, 3, 2}, "transpose rank 5");
    transpose_case(n, 4, SHAPE(0, 16, 30, 30), (const int[]){0, 3, 1, 2}, "transpose large");

    c = case_new("concat axis 1, three inputs, one without gradient", GT_OP_CONCAT, n);
    c.node.p.concat.axis = 1;
    IN(&c, 1, DATA_UNIFORM, n, 2, 3, 3);
    IN(&c, 0, DATA_UNIFORM, n, 5, 3, 3);
    IN(&c, 1, DATA_UNIFORM, n, 1, 3, 3);
    OUT(&c, n, 8, 3, 3);
    check_case(&c);
    c = case_new("concat last axis", GT_OP_CONCAT, n);
    c.node.p.concat.axis = 3;
    IN(&c, 1, DATA_UNIFORM, n, 2, 3, 1);
    IN(&c, 1, DATA_UNIFORM, n, 2, 3, 4);
    OUT(&c, n, 2, 3, 5);
    check_case(&c);
    c = case_new("concat large", GT_OP_CONCAT, n);
    c.node.p.concat.axis = 1;
    IN(&c, 1, DATA_UNIFORM, n, 16, 20, 20);
    IN(&c, 1, DATA_UNIFORM, n, 8, 20, 20);
    OUT(&c, n, 24, 20, 20);
    check_case(&c);

    pad_case(n, GT_PAD_CONSTANT, SHAPE(0, 3, 5, 6), SHAPE(0, 0, 1, 0), SHAPE(0, 0, 2, 3), "pad constant");
    pad_case(n, GT_PAD_CONSTANT, SHAPE(0, 3, 5, 6), SHAPE(0, 1, -1, 2), SHAPE(0, 2, 1, -2), "pad constant, crops, channels");
    pad_case(n, GT_PAD_REFLECT, SHAPE(0, 3, 5, 6), SHAPE(0, 0, 2, 1), SHAPE(0, 0, 1, 2), "pad reflect");
    pad_case(n, GT_PAD_REFLECT, SHAPE(0, 2, 3, 3), SHAPE(0, 0, 5, 4), SHAPE(0, 0, 6, 7), "pad reflect beyond the input");
    pad_case(n, GT_PAD_REFLECT, SHAPE(0, 2, 6, 5), SHAPE(0, 0, -1, 3), SHAPE(0, 0, 2, -2), "pad reflect with crops");
    pad_case(n, GT_PAD_EDGE, SHAPE(0, 3, 5, 6), SHAPE(0, 0, 3, 0), SHAPE(0, 0, 0, 4), "pad edge");
    pad_case(n, GT_PAD_EDGE, SHAPE(0, 2, 4, 4), SHAPE(0, 1, -2, 1), SHAPE(0, 0, 1, -1), "pad edge, crops, channels");
    pad_case(n, GT_PAD_CONSTANT, SHAPE(0, 2, 3, 4), SHAPE(1, 0, 1, 1), SHAPE(0, 0, 1, 1), "pad the batch dim");
    pad_case(n, GT_PAD_REFLECT, SHAPE(0, 16, 30, 30), SHAPE(0, 0, 2, 2), SHAPE(0, 0, 2, 2), "pad reflect large");

    c = case_new("softmax [N,10] axis 1", GT_OP_SOFTMAX, n);
    c.node.p.softmax.axis = 1;
    IN(&c, 1, DATA_UNIFORM, n, 10);
    OUT(&c, n, 10);
    check_case(&c);
    c = case_new("softmax [N,3,4,5] axis 1 (strided rows)", GT_OP_SOFTMAX, n);
    c.node.p.softmax.axis = 1;
    IN(&c, 1, DATA_UNIFORM, n, 3, 4, 5);
    OUT(&c, n, 3, 4, 5);
    check_case(&c);
    c = case_new("softmax [N,3,4,5] axis 2 coerce_2d", GT_OP_SOFTMAX, n);
    c.node.p.softmax.axis = 2;
    c.node.p.softmax.coerce_2d = 1;
    IN(&c, 1, DATA_UNIFORM, n, 3, 4, 5);
    OUT(&c, n, 3, 4, 5);
    check_case(&c);
    c = case_new("softmax large rows", GT_OP_SOFTMAX, n);
    c.node.p.softmax.axis = 1;
    IN(&c, 1, DATA_STEPS, n, 3000);
    OUT(&c, n, 3000);
    check_case(&c);
  }
}

/* ---- loss ---- */

static void loss_case(gt_loss_kind kind, int64_t n, int64_t k, int kind_of_data) {
  char what[96];
  snprintf(what, sizeof what, "loss %s N=%lld K=%lld%s", gt_loss_name(kind), (long long)n, (long long)k,
           kind_of_data == DATA_STEPS ? " ties" : "");
  float *z = malloc((size_t)(n * k) * sizeof(float));
  int32_t *labels = malloc((size_t)n * sizeof(int32_t)), *targets = malloc((size_t)n * sizeof(int32_t));
  float *loss[3], *dz[3];
  gt_backend *bes[3] = {g_ref, g_cpu1, g_cpu2};
  int ok = z && labels && targets;
  for (int b = 0; b < 3; b++) {
    loss[b] = malloc((size_t)n * sizeof(float));
    dz[b] = malloc((size_t)(n * k) * sizeof(float));
    ok &= loss[b] && dz[b];
  }
  if (GT_CHECK(ok, "%s: out of memory", what)) {
    fill(z, n * k, kind_of_data, hash_str(what));
    for (int64_t i = 0; i < n; i++) {
      labels[i] = (int32_t)((i * 7 + 3) % k);
      targets[i] = (int32_t)((i * 5 + 1) % k); /* sometimes equal to the label */
    }
    int64_t zs[2] = {n, k};
    for (int b = 0; b < 3; b++) {
      gt_tensor tz, tl, td;
      gt_tensor_init(&tz, z, 2, zs);
      gt_tensor_init(&tl, loss[b], 1, &n);
      gt_tensor_init(&td, dz[b], 2, zs);
      gt_error err = {0};
      gt_status st = bes[b]->iface->loss(bes[b], kind, &tz, labels, targets, &tl, &td, &err);
      ok &= GT_CHECK(st == GT_OK, "%s on %s: %s", what, bes[b]->iface->name, err.message);
    }
    if (ok) {
      double e = norm_err(loss[1], loss[0], n);
      GT_CHECK(e <= TOL, "%s: loss error %.3g", what, e);
      e = norm_err(dz[1], dz[0], n * k);
      GT_CHECK(e <= TOL, "%s: dlogits error %.3g", what, e);
      GT_CHECK(!memcmp(loss[1], loss[2], (size_t)n * sizeof(float)) &&
                   !memcmp(dz[1], dz[2], (size_t)(n * k) * sizeof(float)),
               "%s: differs between 1 and 2 threads", what);
    }
  }
  free(z);
  free(labels);
  free(targets);
  for (int b = 0; b < 3; b++) {
    free(loss[b]);
    free(dz[b]);
  }
}

static void test_loss(void) {
  for (int kind = 0; kind < GT_LOSS_COUNT; kind++) {
    loss_case((gt_loss_kind)kind, 1, 10, DATA_UNIFORM);
    loss_case((gt_loss_kind)kind, 7, 10, DATA_UNIFORM);
    loss_case((gt_loss_kind)kind, 7, 10, DATA_STEPS);
    loss_case((gt_loss_kind)kind, 3000, 10, DATA_UNIFORM);
  }
}

/* ---- bad calls are errors, not crashes ---- */

static void test_bad_calls(void) {
  gt_error err = {0};
  GT_CHECK(gt_backend_missing_ops(g_cpu1, NULL, 0) == 0, "cpu lacks %d ops", gt_backend_missing_ops(g_cpu1, NULL, 0));
  GT_CHECK(!strcmp(g_cpu1->iface->name, "cpu"), "name %s", g_cpu1->iface->name);

  float x[2 * 3 * 5 * 5] = {0}, w[4 * 3 * 3 * 3] = {0}, y[2 * 4 * 5 * 5];
  gt_tensor tx, tw, ty;
  gt_tensor_init(&tx, x, 4, SHAPE(2, 3, 5, 5));
  gt_tensor_init(&tw, w, 4, SHAPE(4, 3, 3, 3));
  gt_tensor_init(&ty, y, 4, SHAPE(2, 4, 5, 5));
  const gt_tensor *in[2] = {&tx, &tw};
  gt_node node;
  memset(&node, 0, sizeof node);
  node.op = GT_OP_CONV;
  node.name = "conv_bad";
  node.n_inputs = 2;
  node.p.conv = (gt_conv_params){3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1};
  gt_op_call call = {.node = &node, .in = in, .out = &ty, .scratch = NULL, .scratch_bytes = 0};
  gt_status st = g_cpu1->iface->forward[GT_OP_CONV](g_cpu1, &call, &err);
  GT_CHECK(st == GT_ERR_USAGE && strstr(err.message, "scratch") && strstr(err.message, "conv_bad"),
           "missing scratch: %d %s", (int)st, err.message);
  gt_tensor_init(&ty, y, 4, SHAPE(2, 4, 4, 5));
  st = g_cpu1->iface->forward[GT_OP_CONV](g_cpu1, &call, &err);
  GT_CHECK(st == GT_ERR_SHAPE && strstr(err.message, "cpu Conv"), "wrong output: %d %s", (int)st, err.message);
  GT_CHECK(g_cpu1->iface->scratch_bytes[GT_OP_CONV](g_cpu1, &call) == 0, "scratch for a bad call");
  node.p.conv.groups = 2; /* 3 channels do not split in 2 groups */
  gt_tensor_init(&ty, y, 4, SHAPE(2, 4, 5, 5));
  st = g_cpu1->iface->forward[GT_OP_CONV](g_cpu1, &call, &err);
  GT_CHECK(st == GT_ERR_SHAPE && strstr(err.message, "groups"), "bad groups: %d %s", (int)st, err.message);

  node.op = GT_OP_ADD;
  node.name = "add_bad";
  gt_tensor_init(&tw, w, 2, SHAPE(4, 27));
  gt_tensor_init(&ty, y, 4, SHAPE(2, 3, 5, 5));
  st = g_cpu1->iface->forward[GT_OP_ADD](g_cpu1, &call, &err);
  GT_CHECK(st == GT_ERR_SHAPE && strstr(err.message, "broadcast"), "no broadcast: %d %s", (int)st, err.message);

  float z[2 * 3] = {0}, l[2];
  int32_t labels[2] = {0, 3};
  gt_tensor tz, tl;
  gt_tensor_init(&tz, z, 2, SHAPE(2, 3));
  gt_tensor_init(&tl, l, 1, SHAPE(2));
  st = g_cpu1->iface->loss(g_cpu1, GT_LOSS_CE, &tz, labels, NULL, &tl, NULL, &err);
  GT_CHECK(st == GT_ERR_USAGE && strstr(err.message, "label 3"), "bad label: %d %s", (int)st, err.message);
  st = g_cpu1->iface->loss(g_cpu1, GT_LOSS_DLR_TARGETED, &tz, labels, labels, &tl, NULL, &err);
  GT_CHECK(st == GT_ERR_USAGE && strstr(err.message, "classes"), "too few classes: %d %s", (int)st, err.message);
}

/* ---- memory: aligned, and large fills and copies (split over threads) are exact ---- */

static void test_memory(void) {
  gt_error err = {0};
  gt_backend *be = g_cpu2;
  const int64_t n = 3 * 1000 * 1000 + 7; /* several 256 KiB pieces and a ragged end */
  void *pa = NULL, *pb = NULL;
  int ok = GT_CHECK(be->iface->buffer_alloc(be, (size_t)n * sizeof(float), &pa, &err) == GT_OK, "%s", err.message);
  ok &= GT_CHECK(be->iface->buffer_alloc(be, (size_t)n * sizeof(float), &pb, &err) == GT_OK, "%s", err.message);
  float *host = malloc((size_t)n * sizeof(float)), *back = malloc((size_t)n * sizeof(float));
  if (ok && host && back) {
    GT_CHECK((uintptr_t)pa % 64 == 0 && (uintptr_t)pb % 64 == 0, "buffers are not 64-byte aligned");
    fill(host, n, DATA_UNIFORM, 5);
    GT_CHECK(be->iface->copy_to_device(be, pa, host, (size_t)n * sizeof(float), &err) == GT_OK, "%s", err.message);
    GT_CHECK(be->iface->copy_device(be, pb, pa, (size_t)n * sizeof(float), &err) == GT_OK, "%s", err.message);
    GT_CHECK(be->iface->copy_to_host(be, back, pb, (size_t)n * sizeof(float), &err) == GT_OK, "%s", err.message);
    GT_CHECK(!memcmp(back, host, (size_t)n * sizeof(float)), "large copies changed the data");
    /* Overlapping device copy (one buffer, shifted by one float) behaves like memmove. */
    GT_CHECK(be->iface->copy_device(be, (float *)pa + 1, pa, (size_t)(n - 1) * sizeof(float), &err) == GT_OK, "%s",
             err.message);
    be->iface->copy_to_host(be, back, pa, (size_t)n * sizeof(float), &err);
    GT_CHECK(back[0] == host[0] && !memcmp(back + 1, host, (size_t)(n - 1) * sizeof(float)), "overlapping copy");
    GT_CHECK(be->iface->fill_zero(be, pb, (size_t)n * sizeof(float) - 4, &err) == GT_OK, "%s", err.message);
    be->iface->copy_to_host(be, back, pb, (size_t)n * sizeof(float), &err);
    int64_t nonzero = 0;
    for (int64_t i = 0; i < n - 1; i++) nonzero += back[i] != 0.0f;
    GT_CHECK(nonzero == 0 && back[n - 1] == host[n - 1], "fill_zero: %lld non-zero, last %g", (long long)nonzero,
             back[n - 1]);
  }
  free(host);
  free(back);
  if (pa) be->iface->buffer_free(be, pa);
  if (pb) be->iface->buffer_free(be, pb);
}

/* ---- a conv model end to end through the executor (scratch reserved by the executor) ---- */

static int add_const(gt_graph *g, const char *name, int ndim, const int64_t *shape, uint64_t seed, float scale) {
  int64_t n = numel_of(ndim, shape);
  float *v = malloc((size_t)n * sizeof(float));
  if (!v) return -1;
  fill(v, n, DATA_UNIFORM, seed);
  for (int64_t i = 0; i < n; i++) v[i] *= scale;
  int id = gt_graph_add_value(g, name, 0, ndim, shape, v, NULL);
  free(v);
  return id;
}

/* x [N,1,12,12] -> conv 1->6 3x3 pad 1 -> relu -> maxpool 2 -> conv 6->8 3x3 groups 2 -> (+ [8,1,1])
 * -> avgpool 2 -> reshape [N,32] -> linear 32->10. */
static gt_graph *build_model(void) {
  gt_graph *g = gt_graph_create();
  if (!g) return NULL;
  int x = gt_graph_add_value(g, "x", 1, 4, SHAPE(-1, 1, 12, 12), NULL, NULL);
  int w1 = add_const(g, "w1", 4, SHAPE(6, 1, 3, 3), 11, 0.5f), b1 = add_const(g, "b1", 1, SHAPE(6), 12, 0.1f);
  int w2 = add_const(g, "w2", 4, SHAPE(8, 3, 3, 3), 13, 0.3f), c2 = add_const(g, "c2", 3, SHAPE(8, 1, 1), 14, 0.1f);
  int w3 = add_const(g, "w3", 2, SHAPE(10, 32), 15, 0.2f), b3 = add_const(g, "b3", 1, SHAPE(10), 16, 0.1f);
  int v[8];
  const int64_t shapes[8][4] = {{-1, 6, 12, 12}, {-1, 6, 12, 12}, {-1, 6, 6, 6}, {-1, 8, 4, 4},
                                {-1, 8, 4, 4},   {-1, 8, 2, 2},   {-1, 32},      {-1, 10}};
  const int ndims[8] = {4, 4, 4, 4, 4, 4, 2, 2};
  for (int i = 0; i < 8; i++) {
    char name[16];
    snprintf(name, sizeof name, "v%d", i);
    v[i] = gt_graph_add_value(g, name, 1, ndims[i], shapes[i], NULL, NULL);
  }
  g->input = x;
  g->output = v[7];
  gt_node *node = gt_graph_add_node(g, GT_OP_CONV, "conv1", 3, (const int[]){x, w1, b1}, v[0], NULL);
  if (node) node->p.conv = (gt_conv_params){3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1};
  gt_graph_add_node(g, GT_OP_RELU, "relu1", 1, (const int[]){v[0]}, v[1], NULL);
  node = gt_graph_add_node(g, GT_OP_MAXPOOL, "pool1", 1, (const int[]){v[1]}, v[2], NULL);
  if (node) node->p.pool = (gt_pool_params){2, 2, 2, 2, 0, 0, 0, 0, 1, 1, 0};
  node = gt_graph_add_node(g, GT_OP_CONV, "conv2", 2, (const int[]){v[2], w2}, v[3], NULL);
  if (node) node->p.conv = (gt_conv_params){3, 3, 1, 1, 0, 0, 0, 0, 1, 1, 2};
  gt_graph_add_node(g, GT_OP_ADD, "shift", 2, (const int[]){v[3], c2}, v[4], NULL);
  node = gt_graph_add_node(g, GT_OP_AVGPOOL, "pool2", 1, (const int[]){v[4]}, v[5], NULL);
  if (node) node->p.pool = (gt_pool_params){2, 2, 2, 2, 0, 0, 0, 0, 1, 1, 0};
  gt_graph_add_node(g, GT_OP_RESHAPE, "flatten", 1, (const int[]){v[5]}, v[6], NULL);
  gt_graph_add_node(g, GT_OP_LINEAR, "fc", 3, (const int[]){v[6], w3, b3}, v[7], NULL);
  if (g->n_nodes != 8 || w1 < 0 || b1 < 0 || w2 < 0 || c2 < 0 || w3 < 0 || b3 < 0) {
    gt_graph_free(g);
    return NULL;
  }
  return g;
}

/* Loss and input gradient of the model on one backend, into host buffers. */
static int model_run(gt_backend *be, const gt_graph *g, int64_t n, const float *x, const int32_t *labels, float *loss,
                     float *dx) {
  gt_error err = {0};
  gt_model *m = NULL;
  int ok = GT_CHECK(gt_model_create(g, be, n, &m, &err) == GT_OK, "model on %s: %s", be->iface->name, err.message);
  float *xd = NULL, *dxd = NULL, *ld = NULL;
  int32_t *yd = NULL;
  void *p = NULL;
  if (ok && be->iface->buffer_alloc(be, (size_t)(n * 144) * sizeof(float), &p, &err) == GT_OK) xd = p;
  if (ok && be->iface->buffer_alloc(be, (size_t)(n * 144) * sizeof(float), &p, &err) == GT_OK) dxd = p;
  if (ok && be->iface->buffer_alloc(be, (size_t)n * sizeof(float), &p, &err) == GT_OK) ld = p;
  if (ok && be->iface->buffer_alloc(be, (size_t)n * sizeof(int32_t), &p, &err) == GT_OK) yd = p;
  ok = ok && xd && dxd && ld && yd;
  if (ok) {
    be->iface->copy_to_device(be, xd, x, (size_t)(n * 144) * sizeof(float), &err);
    be->iface->copy_to_device(be, yd, labels, (size_t)n * sizeof(int32_t), &err);
    gt_status st = gt_model_loss_grad(m, xd, n, GT_LOSS_CE, yd, NULL, ld, dxd, &err);
    ok = GT_CHECK(st == GT_OK, "model on %s: %s", be->iface->name, err.message);
    be->iface->copy_to_host(be, loss, ld, (size_t)n * sizeof(float), &err);
    be->iface->copy_to_host(be, dx, dxd, (size_t)(n * 144) * sizeof(float), &err);
  }
  if (xd) be->iface->buffer_free(be, xd);
  if (dxd) be->iface->buffer_free(be, dxd);
  if (ld) be->iface->buffer_free(be, ld);
  if (yd) be->iface->buffer_free(be, yd);
  gt_model_free(m);
  return ok;
}

static void test_model(void) {
  gt_graph *g = build_model();
  if (!GT_CHECK(g != NULL, "could not build the model graph")) return;
  gt_error err = {0};
  GT_CHECK(gt_graph_validate(g, &err) == GT_OK, "graph: %s", err.message);
  /* 150 samples: more than one piece of the cpu executor (64 here), the last one shorter. */
  enum { N = 150 };
  static float x[N * 144], loss[3][N], dx[3][N * 144];
  int32_t labels[N];
  for (int i = 0; i < N; i++) labels[i] = (i * 7 + 3) % 10;
  fill(x, N * 144, DATA_UNIFORM, 77);
  for (int i = 0; i < N * 144; i++) x[i] = 0.5f + 0.5f * x[i]; /* images in [0, 1] */
  gt_backend *bes[3] = {g_ref, g_cpu1, g_cpu2};
  int ok = 1;
  for (int b = 0; b < 3; b++) ok &= model_run(bes[b], g, N, x, labels, loss[b], dx[b]);
  if (ok) {
    double e = norm_err(loss[1], loss[0], N);
    GT_CHECK(e <= TOL, "model loss error %.3g", e);
    e = norm_err(dx[1], dx[0], N * 144);
    GT_CHECK(e <= TOL, "model input-gradient error %.3g", e);
    GT_CHECK(!memcmp(loss[1], loss[2], sizeof loss[1]) && !memcmp(dx[1], dx[2], sizeof dx[1]),
             "model results differ between 1 and 2 threads");
    /* A sample's loss does not depend on the batch it came in: attacks re-evaluate points alone
     * and compare. (Its gradient may, in the last bits: OpenBLAS's sgemm in Linear's backward
     * sums differently for different row counts.) */
    static const int alone[3] = {0, 77, N - 1};
    for (int b = 1; b < 3; b++)
      for (int i = 0; i < 3; i++) {
        float one_loss, one_dx[144];
        int s = alone[i];
        if (model_run(bes[b], g, 1, x + s * 144, labels + s, &one_loss, one_dx))
          GT_CHECK(one_loss == loss[b][s], "sample %d alone: loss %.9g, in the batch %.9g (%d threads)", s,
                   (double)one_loss, (double)loss[b][s], b);
      }
  }
  gt_graph_free(g);
}

/* ---- the executor's fusion plan, and its guard for training passes ---- */

/* x -> conv a -> relu (fusable) ; conv b -> relu, b also read by an add (not fusable) ; relu of
 * the input (no producer) ; linear -> relu (the cpu backend offers no fused linear). */
static void test_fusion_plan(void) {
  gt_graph *g = gt_graph_create();
  if (!GT_CHECK(g != NULL, "out of memory")) return;
  int x = gt_graph_add_value(g, "x", 1, 4, SHAPE(-1, 2, 4, 4), NULL, NULL);
  int w = add_const(g, "w", 4, SHAPE(2, 2, 3, 3), 21, 0.3f), lw = add_const(g, "lw", 2, SHAPE(3, 32), 22, 0.3f);
  int v[9];
  const int64_t shape4[4] = {-1, 2, 4, 4};
  for (int i = 0; i < 9; i++) {
    char name[16];
    snprintf(name, sizeof name, "v%d", i);
    v[i] = i < 7 ? gt_graph_add_value(g, name, 1, 4, shape4, NULL, NULL)
                 : gt_graph_add_value(g, name, 1, 2, i == 7 ? SHAPE(-1, 32) : SHAPE(-1, 3), NULL, NULL);
  }
  gt_conv_params same = {3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1};
  gt_node *n0 = gt_graph_add_node(g, GT_OP_CONV, "a", 2, (const int[]){x, w}, v[0], NULL);
  gt_graph_add_node(g, GT_OP_RELU, "relu_a", 1, (const int[]){v[0]}, v[1], NULL);
  gt_node *n2 = gt_graph_add_node(g, GT_OP_CONV, "b", 2, (const int[]){v[1], w}, v[2], NULL);
  gt_graph_add_node(g, GT_OP_RELU, "relu_b", 1, (const int[]){v[2]}, v[3], NULL);
  gt_graph_add_node(g, GT_OP_ADD, "add", 2, (const int[]){v[3], v[2]}, v[4], NULL);
  gt_graph_add_node(g, GT_OP_RELU, "relu_x", 1, (const int[]){x}, v[5], NULL);
  gt_graph_add_node(g, GT_OP_ADD, "add2", 2, (const int[]){v[4], v[5]}, v[6], NULL);
  gt_graph_add_node(g, GT_OP_RESHAPE, "flat", 1, (const int[]){v[6]}, v[7], NULL);
  gt_graph_add_node(g, GT_OP_LINEAR, "fc", 2, (const int[]){v[7], lw}, v[8], NULL);
  int last = g->n_values;
  int out = gt_graph_add_value(g, "out", 1, 2, SHAPE(-1, 3), NULL, NULL);
  gt_graph_add_node(g, GT_OP_RELU, "relu_fc", 1, (const int[]){v[8]}, out, NULL);
  g->input = x;
  g->output = out;
  if (n0) n0->p.conv = same;
  if (n2) n2->p.conv = same;
  gt_error err = {0};
  if (GT_CHECK(g->n_nodes == 10 && out == last && gt_graph_validate(g, &err) == GT_OK, "fusion graph: %s",
               err.message)) {
    int relu_of[10];
    unsigned char absorbed[10];
    gt_exec_plan_relu_fusion(g, g_cpu1, relu_of, absorbed);
    GT_CHECK(relu_of[0] == 1 && absorbed[1], "conv a and its relu are not fused (%d)", relu_of[0]);
    GT_CHECK(relu_of[2] == -1 && !absorbed[3], "conv b is fused though the add also reads its output");
    GT_CHECK(!absorbed[5], "a relu of the graph input is fused");
    GT_CHECK(relu_of[8] == -1 && !absorbed[9], "linear is fused though the cpu backend offers no linear + relu");
    int fused = 0;
    for (int k = 0; k < 10; k++) fused += absorbed[k];
    GT_CHECK(fused == 1, "%d fused relus, expected 1", fused);
    gt_exec_plan_relu_fusion(g, g_ref, relu_of, absorbed);
    GT_CHECK(relu_of[0] == -1 && !absorbed[1], "fused on the ref backend, which takes no call flags");
  }
  gt_graph_free(g);
}

/* A training backward needs the Relu inputs that a fused inference forward skips: refused. */
static void test_fusion_training_guard(void) {
  gt_graph *g = build_model();
  gt_error err = {0};
  gt_model *m = NULL;
  float *x = NULL, *dl = NULL, *dx = NULL;
  void *p = NULL;
  if (!GT_CHECK(g && gt_model_create(g, g_cpu1, 2, &m, &err) == GT_OK, "model: %s", err.message)) {
    gt_graph_free(g);
    return;
  }
  if (g_cpu1->iface->buffer_alloc(g_cpu1, 2 * 144 * sizeof(float), &p, &err) == GT_OK) x = p;
  if (g_cpu1->iface->buffer_alloc(g_cpu1, 2 * 144 * sizeof(float), &p, &err) == GT_OK) dx = p;
  if (g_cpu1->iface->buffer_alloc(g_cpu1, 2 * 10 * sizeof(float), &p, &err) == GT_OK) dl = p;
  if (GT_CHECK(x && dx && dl, "buffers: %s", err.message)) {
    g_cpu1->iface->fill_zero(g_cpu1, x, 2 * 144 * sizeof(float), &err);
    g_cpu1->iface->fill_zero(g_cpu1, dl, 2 * 10 * sizeof(float), &err);
    gt_train_binding none = {0};
    GT_CHECK(gt_model_forward(m, x, 2, &err) == GT_OK, "forward: %s", err.message);
    gt_status st = gt_model_train_backward(m, dl, dx, &none, &err);
    GT_CHECK(st == GT_ERR_USAGE && strstr(err.message, "gt_model_train_forward"),
             "training backward after an inference forward: status %d, '%s'", (int)st, err.message);
    GT_CHECK(gt_model_backward(m, dl, dx, &err) == GT_OK, "inference backward: %s", err.message);
  }
  if (x) g_cpu1->iface->buffer_free(g_cpu1, x);
  if (dx) g_cpu1->iface->buffer_free(g_cpu1, dx);
  if (dl) g_cpu1->iface->buffer_free(g_cpu1, dl);
  gt_model_free(m);
  gt_graph_free(g);
}

int main(void) {
  gt_error err = {0};
  if (gt_backend_ref_create(&g_ref, &err) != GT_OK || gt_backend_cpu_create(&g_cpu1, 1, &err) != GT_OK ||
      gt_backend_cpu_create(&g_cpu2, 2, &err) != GT_OK || gt_backend_cpu_create(&g_portable1, 1, &err) != GT_OK ||
      gt_backend_cpu_create(&g_portable2, 2, &err) != GT_OK) {
    fprintf(stderr, "cannot create the backends: %s\n", err.message);
    return 1;
  }
  ((gt_cpu_ctx *)g_portable1->ctx)->avx2 = 0;
  ((gt_cpu_ctx *)g_portable2->ctx)->avx2 = 0;
  gt_test_run("conv", test_conv);
  gt_test_run("linear", test_linear);
  gt_test_run("binary", test_binary);
  gt_test_run("unary", test_unary);
  gt_test_run("pool", test_pool);
  gt_test_run("batchnorm", test_batchnorm);
  gt_test_run("shape ops", test_shape_ops);
  gt_test_run("loss", test_loss);
  gt_test_run("bad calls", test_bad_calls);
  gt_test_run("memory", test_memory);
  gt_test_run("model", test_model);
  gt_test_run("fusion plan", test_fusion_plan);
  gt_test_run("fusion training guard", test_fusion_training_guard);
  gt_backend_free(g_ref);
  gt_backend_free(g_cpu1);
  gt_backend_free(g_cpu2);
  gt_backend_free(g_portable1);
  gt_backend_free(g_portable2);
  return gt_test_finish();
}

/* The ref backend, op by op: hand-computed forward cases with exact expected values, every op's
 * backward against central finite differences (and checked to ADD into the input gradients),
 * shape errors, the registry and ref's memory functions.
 * ref memory is host memory, so the tests read and write the backend's buffers directly. */
#include "gt_test.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gauntlet/backend.h"
#include "support/test_rng.h"

static gt_backend *g_be;

/* ---- fixed-seed random numbers (xorshift64*) ---- */

static uint64_t g_rng;

static void rng_seed(uint64_t seed) { g_rng = gt_test_xorshift_seed(seed); }
static float rng_uniform(float lo, float hi) { return gt_test_xorshift_uniform(&g_rng, lo, hi); }

/* ---- tensors in ref memory, freed together at the end of each case ---- */

#define MAX_TENSORS 256
static gt_tensor *g_tensors[MAX_TENSORS];
static int g_n_tensors;

#define SHAPE(...) ((const int64_t[]){__VA_ARGS__})

static gt_tensor *tensor_new(int ndim, const int64_t *shape, const float *values) {
  gt_tensor *t = calloc(1, sizeof *t);
  int64_t n = 1;
  for (int d = 0; d < ndim; d++) n *= shape[d];
  void *p = NULL;
  gt_error err;
  if (!t || g_n_tensors == MAX_TENSORS || g_be->iface->buffer_alloc(g_be, (size_t)n * sizeof(float), &p, &err) != GT_OK) {
    fprintf(stderr, "test_ref_ops: cannot allocate a tensor\n");
    exit(1);
  }
  gt_tensor_init(t, p, ndim, shape);
  if (values) memcpy(t->data, values, (size_t)n * sizeof(float));
  g_tensors[g_n_tensors++] = t;
  return t;
}

static gt_tensor *tensor_like(const gt_tensor *t) { return tensor_new(t->ndim, t->shape, NULL); }

static void tensor_fill(gt_tensor *t, float v) {
  for (int64_t i = 0; i < gt_tensor_numel(t); i++) t->data[i] = v;
}

static gt_tensor *tensor_random(int ndim, const int64_t *shape, float lo, float hi) {
  gt_tensor *t = tensor_new(ndim, shape, NULL);
  for (int64_t i = 0; i < gt_tensor_numel(t); i++) t->data[i] = rng_uniform(lo, hi);
  return t;
}

/* Values with |v| in [lo, hi] and a random sign: away from the kinks at 0. */
static gt_tensor *tensor_random_away(int ndim, const int64_t *shape, float lo, float hi) {
  gt_tensor *t = tensor_new(ndim, shape, NULL);
  for (int64_t i = 0; i < gt_tensor_numel(t); i++)
    t->data[i] = (rng_uniform(0, 1) < 0.5f ? -1.0f : 1.0f) * rng_uniform(lo, hi);
  return t;
}

/* Distinct values 0.01 apart in random order (no max-pool ties within a finite-difference step). */
static gt_tensor *tensor_random_distinct(int ndim, const int64_t *shape) {
  gt_tensor *t = tensor_new(ndim, shape, NULL);
  int64_t n = gt_tensor_numel(t);
  for (int64_t i = 0; i < n; i++) t->data[i] = 0.01f * (float)(i - n / 2);
  for (int64_t i = n - 1; i > 0; i--) {
    int64_t j = (int64_t)(rng_uniform(0, 1) * (float)(i + 1));
    if (j > i) j = i;
    float tmp = t->data[i];
    t->data[i] = t->data[j];
    t->data[j] = tmp;
  }
  return t;
}

static void tensors_free(void) {
  for (int i = 0; i < g_n_tensors; i++) {
    g_be->iface->buffer_free(g_be, g_tensors[i]->data);
    free(g_tensors[i]);
  }
  g_n_tensors = 0;
}

/* ---- nodes and op calls ---- */

static char g_node_name[] = "test_node";
static int g_input_ids[8];

static gt_node node_new(gt_op_kind op, int n_inputs) {
  gt_node n;
  memset(&n, 0, sizeof n);
  n.op = op;
  n.name = g_node_name;
  n.n_inputs = n_inputs;
  n.inputs = g_input_ids;
  return n;
}

static gt_conv_params conv_params(int kh, int kw, int stride, int pad, int dilation, int groups) {
  gt_conv_params p = {kh, kw, stride, stride, pad, pad, pad, pad, dilation, dilation, groups};
  return p;
}

static gt_pool_params pool_params(int k, int stride, int pad, int dilation, int count_include_pad) {
  gt_pool_params p = {k, k, stride, stride, pad, pad, pad, pad, dilation, dilation, count_include_pad};
  return p;
}

static gt_status forward(const gt_node *node, gt_tensor **in, gt_tensor *out, gt_error *err) {
  gt_op_call call = {node, (const gt_tensor *const *)in, out, NULL, 0, 0};
  gt_error_clear(err);
  return g_be->iface->forward[node->op](g_be, &call, err);
}

static gt_status backward(const gt_node *node, gt_tensor **in, gt_tensor *out, const gt_tensor *grad_out,
                          gt_tensor **grad_in, gt_error *err) {
  gt_op_call call = {node, (const gt_tensor *const *)in, out, NULL, 0, 0};
  gt_error_clear(err);
  return g_be->iface->backward[node->op](g_be, &call, grad_out, grad_in, err);
}

/* Runs the forward and checks every output element against want (exact up to tol). */
static void expect_forward(const char *what, const gt_node *node, gt_tensor **in, gt_tensor *out, const float *want,
                           double tol) {
  gt_error err;
  gt_status st = forward(node, in, out, &err);
  if (!GT_CHECK(st == GT_OK, "%s: %s", what, err.message)) return;
  for (int64_t i = 0; i < gt_tensor_numel(out); i++) {
    char label[128];
    snprintf(label, sizeof label, "%s, output %lld", what, (long long)i);
    GT_CHECK_CLOSE(out->data[i], want[i], tol, tol, label);
  }
}

/* ---- finite differences ----
 * L = sum_j r_j y_j for a random r; the backward with grad_out = r into input gradients
 * pre-filled with 1 must give 1 + dL/dx (it ADDS), compared with central differences in float. */

static double weighted_sum(const gt_tensor *r, const gt_tensor *y) {
  double s = 0.0;
  for (int64_t i = 0; i < gt_tensor_numel(y); i++) s += (double)r->data[i] * (double)y->data[i];
  return s;
}

static void check_gradients(const char *what, const gt_node *node, gt_tensor **in, const int *batched, gt_tensor *out) {
  const float h = 1e-3f;
  gt_error err;
  if (!GT_CHECK(forward(node, in, out, &err) == GT_OK, "%s: forward: %s", what, err.message)) return;
  gt_tensor *r = tensor_like(out);
  for (int64_t i = 0; i < gt_tensor_numel(r); i++) r->data[i] = rng_uniform(-1, 1);
  gt_tensor *grad_in[8] = {0};
  for (int i = 0; i < node->n_inputs; i++)
    if (batched[i]) {
      grad_in[i] = tensor_like(in[i]);
      tensor_fill(grad_in[i], 1.0f);
    }
  if (!GT_CHECK(backward(node, in, out, r, grad_in, &err) == GT_OK, "%s: backward: %s", what, err.message)) return;
  int64_t checked = 0;
  for (int i = 0; i < node->n_inputs; i++) {
    if (!batched[i]) continue;
    for (int64_t e = 0; e < gt_tensor_numel(in[i]); e++) {
      float v = in[i]->data[e], up = v + h, down = v - h;
      in[i]->data[e] = up;
      forward(node, in, out, &err);
      double lp = weighted_sum(r, out);
      in[i]->data[e] = down;
      forward(node, in, out, &err);
      double lm = weighted_sum(r, out);
      in[i]->data[e] = v;
      double numeric = (lp - lm) / ((double)up - (double)down);
      double analytic = (double)grad_in[i]->data[e] - 1.0;
      char label[160];
      snprintf(label, sizeof label, "%s: d/d input %d [%lld]", what, i, (long long)e);
      GT_CHECK_CLOSE(analytic, numeric, 1e-3, 1e-2, label);
      checked++;
    }
  }
  GT_CHECK(checked > 0, "%s: no gradient element was checked", what);
}

/* ---- forward cases ---- */

/* x[i][j] = 5i + j + 1 on a 5x5 image, 3x3 kernel of ones, stride 2, padding 1, bias 0.5:
 * output (r, c) sums rows {0,1} / {1,2,3} / {3,4} x the same columns (worked out by hand). */
static void test_conv_hand(void) {
  float x[25], w[9];
  for (int i = 0; i < 25; i++) x[i] = (float)(i + 1);
  for (int i = 0; i < 9; i++) w[i] = 1.0f;
  gt_node n = node_new(GT_OP_CONV, 3);
  n.p.conv = conv_params(3, 3, 2, 1, 1, 1);
  gt_tensor *in[3] = {tensor_new(4, SHAPE(1, 1, 5, 5), x), tensor_new(4, SHAPE(1, 1, 3, 3), w),
                      tensor_new(1, SHAPE(1), (const float[]){0.5f})};
  const float want[9] = {16.5f, 33.5f, 28.5f, 69.5f, 117.5f, 87.5f, 76.5f, 123.5f, 88.5f};
  expect_forward("conv 3x3 stride 2 pad 1", &n, in, tensor_new(4, SHAPE(1, 1, 3, 3), NULL), want, 0);

  /* Dilation 2, 2x2 ones, no padding: y[r][c] = x[r][c] + x[r][c+2] + x[r+2][c] + x[r+2][c+2] = 4 x[r][c] + 24. */
  gt_node nd = node_new(GT_OP_CONV, 2);
  nd.p.conv = conv_params(2, 2, 1, 0, 2, 1);
  gt_tensor *ind[2] = {in[0], tensor_new(4, SHAPE(1, 1, 2, 2), w)};
  float want_d[9];
  for (int r = 0; r < 3; r++)
    for (int c = 0; c < 3; c++) want_d[r * 3 + c] = 4.0f * x[r * 5 + c] + 24.0f;
  expect_forward("conv dilation 2", &nd, ind, tensor_new(4, SHAPE(1, 1, 3, 3), NULL), want_d, 0);

  /* Groups: channel c of x is the constant c + 1, 2x2 kernels of ones, 2 groups of 2 channels:
   * group 0 outputs (1 + 2) * 4 = 12, group 1 outputs (3 + 4) * 4 = 28 everywhere. */
  float xg[4 * 9], wg[4 * 2 * 4];
  for (int c = 0; c < 4; c++)
    for (int i = 0; i < 9; i++) xg[c * 9 + i] = (float)(c + 1);
  for (int i = 0; i < 32; i++) wg[i] = 1.0f;
  gt_node ng = node_new(GT_OP_CONV, 2);
  ng.p.conv = conv_params(2, 2, 1, 0, 1, 2);
  gt_tensor *ing[2] = {tensor_new(4, SHAPE(1, 4, 3, 3), xg), tensor_new(4, SHAPE(4, 2, 2, 2), wg)};
  float want_g[4 * 4];
  for (int m = 0; m < 4; m++)
    for (int i = 0; i < 4; i++) want_g[m * 4 + i] = m < 2 ? 12.0f : 28.0f;
  expect_forward("grouped conv", &ng, ing, tensor_new(4, SHAPE(1, 4, 2, 2), NULL), want_g, 0);
  tensors_free();
}

/* Random grouped, strided, dilated, asymmetrically padded conv against the formula written as
 * a transparent loop here. */
static void test_conv_loop(void) {
  rng_seed(21);
  enum { N = 2, C = 4, H = 6, W = 5, M = 6, G = 2, KH = 3, KW = 2 };
  gt_node n = node_new(GT_OP_CONV, 3);
  n.p.conv = (gt_conv_params){KH, KW, 2, 1, 1, 0, 2, 1, 2, 1, G};
  /* OH = (6 + 1 + 2 - 2*2 - 1) / 2 + 1 = 3, OW = (5 + 0 + 1 - 1 - 1) / 1 + 1 = 5 */
  const int OH = 3, OW = 5;
  gt_tensor *in[3] = {tensor_random(4, SHAPE(N, C, H, W), -1, 1), tensor_random(4, SHAPE(M, C / G, KH, KW), -1, 1),
                      tensor_random(1, SHAPE(M), -1, 1)};
  float want[N * M * 3 * 5];
  for (int b = 0; b < N; b++)
    for (int m = 0; m < M; m++)
      for (int oh = 0; oh < OH; oh++)
        for (int ow = 0; ow < OW; ow++) {
          double s = in[2]->data[m];
          int group = m / (M / G);
          for (int c = 0; c < C / G; c++)
            for (int i = 0; i < KH; i++)
              for (int j = 0; j < KW; j++) {
                int ih = oh * 2 - 1 + i * 2, iw = ow * 1 - 0 + j * 1;
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                s += (double)in[0]->data[((b * C + group * (C / G) + c) * H + ih) * W + iw] *
                     in[1]->data[((m * (C / G) + c) * KH + i) * KW + j];
              }
          want[((b * M + m) * OH + oh) * OW + ow] = (float)s;
        }
  expect_forward("conv vs loop", &n, in, tensor_new(4, SHAPE(N, M, 3, 5), NULL), want, 1e-6);
  tensors_free();
}

static void test_linear(void) {
  /* y = x W^T + b with x [2, 3], W [2, 3], b [2]. */
  gt_node n = node_new(GT_OP_LINEAR, 3);
  gt_tensor *in[3] = {tensor_new(2, SHAPE(2, 3), (const float[]){1, 2, 3, -1, 0, 2}),
                      tensor_new(2, SHAPE(2, 3), (const float[]){1, 0, -1, 2, 1, 0.5f}),
                      tensor_new(1, SHAPE(2), (const float[]){10, 20})};
  /* row 0: 1-3 = -2 (+10), 2+2+1.5 = 5.5 (+20); row 1: -1-2 = -3 (+10), -2+0+1 = -1 (+20) */
  expect_forward("linear", &n, in, tensor_new(2, SHAPE(2, 2), NULL), (const float[]){8, 25.5f, 7, 19}, 0);
  /* x [1, 2, 3] (a sequence): the same rows, without bias. */
  gt_node n2 = node_new(GT_OP_LINEAR, 2);
  gt_tensor *in2[2] = {tensor_new(3, SHAPE(1, 2, 3), in[0]->data), in[1]};
  expect_forward("linear rank 3", &n2, in2, tensor_new(3, SHAPE(1, 2, 2), NULL), (const float[]){-2, 5.5f, -3, -1}, 0);
  tensors_free();
}

static void test_binary_broadcast(void) {
  rng_seed(4);
  /* [2,3,2,2] + constant [3,1,1] */
  gt_tensor *a = tensor_random(4, SHAPE(2, 3, 2, 2), -1, 1);
  gt_tensor *b = tensor_new(3, SHAPE(3, 1, 1), (const float[]){10, 20, 30});
  float want[24];
  for (int i = 0; i < 24; i++) want[i] = a->data[i] + 10.0f * (float)((i / 4) % 3 + 1);
  gt_node add = node_new(GT_OP_ADD, 2);
  expect_forward("[N,C,H,W] + [C,1,1]", &add, (gt_tensor *[]){a, b}, tensor_new(4, SHAPE(2, 3, 2, 2), NULL), want, 0);
  /* [2,1,2,2] * [2,3,2,2], both batched */
  gt_tensor *m1 = tensor_random(4, SHAPE(2, 1, 2, 2), -1, 1);
  for (int i = 0; i < 24; i++) want[i] = m1->data[(i / 12) * 4 + i % 4] * a->data[i];
  gt_node mul = node_new(GT_OP_MUL, 2);
  expect_forward("[N,1,H,W] * [N,C,H,W]", &mul, (gt_tensor *[]){m1, a}, tensor_new(4, SHAPE(2, 3, 2, 2), NULL), want, 0);
  /* constant [2] - [2,2]: the constant may come first */
  gt_node sub = node_new(GT_OP_SUB, 2);
  expect_forward("[K] - [N,K]", &sub,
                 (gt_tensor *[]){tensor_new(1, SHAPE(2), (const float[]){1, 2}),
                                 tensor_new(2, SHAPE(2, 2), (const float[]){5, 6, 7, 8})},
                 tensor_new(2, SHAPE(2, 2), NULL), (const float[]){-4, -4, -6, -6}, 0);
  gt_node div = node_new(GT_OP_DIV, 2);
  expect_forward("[N,K] / [1]", &div,
                 (gt_tensor *[]){tensor_new(2, SHAPE(2, 2), (const float[]){1, 2, 3, 4}),
                                 tensor_new(1, SHAPE(1), (const float[]){4})},
                 tensor_new(2, SHAPE(2, 2), NULL), (const float[]){0.25f, 0.5f, 0.75f, 1}, 0);
  /* Shapes that do not broadcast, or an output bigger than the broadcast: shape errors. */
  gt_error err;
  GT_CHECK(forward(&add, (gt_tensor *[]){a, tensor_new(1, SHAPE(3), NULL)}, tensor_like(a), &err) == GT_ERR_SHAPE,
           "[2,3,2,2] + [3] accepted");
  GT_CHECK(strstr(err.message, "test_node") && strstr(err.message, "Add"), "message does not name the node: %s",
           err.message);
  GT_CHECK(forward(&add, (gt_tensor *[]){m1, m1}, tensor_new(4, SHAPE(2, 3, 2, 2), NULL), &err) == GT_ERR_SHAPE,
           "[2,1,2,2] + [2,1,2,2] -> [2,3,2,2] accepted");
  tensors_free();
}

static void test_unary(void) {
  const float x[6] = {-2.0f, -0.5f, 0.0f, 0.25f, 1.0f, 3.0f};
  gt_tensor *in[1] = {tensor_new(2, SHAPE(2, 3), x)};
  gt_node relu = node_new(GT_OP_RELU, 1);
  expect_forward("relu", &relu, in, tensor_new(2, SHAPE(2, 3), NULL), (const float[]){0, 0, 0, 0.25f, 1, 3}, 0);
  gt_node leaky = node_new(GT_OP_LEAKY_RELU, 1);
  leaky.p.leaky_relu.alpha = 0.1f;
  expect_forward("leaky relu", &leaky, in, tensor_new(2, SHAPE(2, 3), NULL),
                 (const float[]){-0.2f, -0.05f, 0, 0.25f, 1, 3}, 1e-7);
  gt_node clip = node_new(GT_OP_CLIP, 1);
  clip.p.clip.min = -1.0f;
  clip.p.clip.max = 0.5f;
  expect_forward("clip", &clip, in, tensor_new(2, SHAPE(2, 3), NULL), (const float[]){-1, -0.5f, 0, 0.25f, 0.5f, 0.5f},
                 0);
  float want_sig[6], want_tanh[6];
  for (int i = 0; i < 6; i++) {
    want_sig[i] = (float)(1.0 / (1.0 + exp(-(double)x[i])));
    want_tanh[i] = (float)tanh((double)x[i]);
  }
  gt_node sig = node_new(GT_OP_SIGMOID, 1);
  expect_forward("sigmoid", &sig, in, tensor_new(2, SHAPE(2, 3), NULL), want_sig, 1e-6);
  gt_node th = node_new(GT_OP_TANH, 1);
  expect_forward("tanh", &th, in, tensor_new(2, SHAPE(2, 3), NULL), want_tanh, 1e-6);
  /* No overflow far out. */
  gt_tensor *far[1] = {tensor_new(1, SHAPE(2), (const float[]){-200.0f, 200.0f})};
  expect_forward("sigmoid far out", &sig, far, tensor_new(1, SHAPE(2), NULL), (const float[]){0, 1}, 1e-30);
  tensors_free();
}

/* 4x4 input x = -(4i + j) - 1 (all negative), kernel 3, stride 2, pad 1, ceil output 3x3. Padding
 * is ignored, so each window's max is its top-left cell inside the image: rows/cols 0, 1, 3. */
static void test_maxpool(void) {
  float x[16];
  for (int i = 0; i < 16; i++) x[i] = -(float)i - 1.0f;
  gt_node n = node_new(GT_OP_MAXPOOL, 1);
  n.p.pool = pool_params(3, 2, 1, 1, 0);
  const int first[3] = {0, 1, 3};
  float want[9];
  for (int r = 0; r < 3; r++)
    for (int c = 0; c < 3; c++) want[r * 3 + c] = -(float)(4 * first[r] + first[c]) - 1.0f;
  gt_tensor *in[1] = {tensor_new(4, SHAPE(1, 1, 4, 4), x)};
  expect_forward("maxpool pad 1 ceil", &n, in, tensor_new(4, SHAPE(1, 1, 3, 3), NULL), want, 0);
  /* The floor size is accepted too; a size beyond the ceil is a shape error. */
  expect_forward("maxpool pad 1 floor", &n, in, tensor_new(4, SHAPE(1, 1, 2, 2), NULL),
                 (const float[]){want[0], want[1], want[3], want[4]}, 0);
  gt_error err;
  GT_CHECK(forward(&n, in, tensor_new(4, SHAPE(1, 1, 4, 4), NULL), &err) == GT_ERR_SHAPE, "maxpool 4x4 output accepted");
  /* Ties: the gradient goes to the first maximal cell in window order only. */
  gt_tensor *tie[1] = {tensor_new(4, SHAPE(1, 1, 2, 2), (const float[]){1, 7, 7, 7})};
  gt_node n2 = node_new(GT_OP_MAXPOOL, 1);
  n2.p.pool = pool_params(2, 1, 0, 1, 0);
  gt_tensor *out = tensor_new(4, SHAPE(1, 1, 1, 1), NULL);
  gt_tensor *dx = tensor_new(4, SHAPE(1, 1, 2, 2), (const float[]){0, 0, 0, 0});
  forward(&n2, tie, out, &err);
  GT_CHECK(backward(&n2, tie, out, tensor_new(4, SHAPE(1, 1, 1, 1), (const float[]){1}), (gt_tensor *[]){dx}, &err) ==
               GT_OK,
           "%s", err.message);
  GT_CHECK(dx->data[0] == 0 && dx->data[1] == 1 && dx->data[2] == 0 && dx->data[3] == 0, "tie routed to %g %g %g %g",
           dx->data[0], dx->data[1], dx->data[2], dx->data[3]);
  tensors_free();
}

/* 3x3 input 1..9, kernel 3, stride 1, pad 1: corner (1+2+4+5) = 12, edge (1+..+6) = 21, centre 45,
 * divided by the cells inside the image (4, 6, 9) or by the full window (9). */
static void test_avgpool(void) {
  const float x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  gt_tensor *in[1] = {tensor_new(4, SHAPE(1, 1, 3, 3), x)};
  gt_node n = node_new(GT_OP_AVGPOOL, 1);
  n.p.pool = pool_params(3, 1, 1, 1, 0);
  expect_forward("avgpool count_include_pad 0", &n, in, tensor_new(4, SHAPE(1, 1, 3, 3), NULL),
                 (const float[]){12.0f / 4, 21.0f / 6, 16.0f / 4, 27.0f / 6, 5, 33.0f / 6, 24.0f / 4, 39.0f / 6, 28.0f / 4},
                 1e-6);
  n.p.pool.count_include_pad = 1;
  expect_forward("avgpool count_include_pad 1", &n, in, tensor_new(4, SHAPE(1, 1, 3, 3), NULL),
                 (const float[]){12.0f / 9, 21.0f / 9, 16.0f / 9, 27.0f / 9, 5, 33.0f / 9, 24.0f / 9, 39.0f / 9, 28.0f / 9},
                 1e-6);
  /* Kernel 2, stride 2, no pad, ceil output 2x2: the last window holds only cell 9 and divides by 1
   * with either flag (taps that exist only because of ceil_mode never count). */
  gt_node c = node_new(GT_OP_AVGPOOL, 1);
  c.p.pool = pool_params(2, 2, 0, 1, 1);
  expect_forward("avgpool ceil", &c, in, tensor_new(4, SHAPE(1, 1, 2, 2), NULL),
                 (const float[]){12.0f / 4, 9.0f / 2, 15.0f / 2, 9}, 1e-6);
  /* Global average pool: kernel = the whole image. */
  gt_node g = node_new(GT_OP_AVGPOOL, 1);
  g.p.pool = pool_params(3, 1, 0, 1, 0);
  expect_forward("global avgpool", &g, in, tensor_new(4, SHAPE(1, 1, 1, 1), NULL), (const float[]){5}, 1e-6);
  tensors_free();
}

static void test_batchnorm(void) {
  gt_node n = node_new(GT_OP_BATCHNORM, 3);
  gt_tensor *in[3] = {tensor_new(3, SHAPE(1, 2, 2), (const float[]){1, 2, 3, 4}),
                      tensor_new(1, SHAPE(2), (const float[]){2, -1}), tensor_new(1, SHAPE(2), (const float[]){0.5f, 10})};
  expect_forward("batchnorm", &n, in, tensor_new(3, SHAPE(1, 2, 2), NULL), (const float[]){2.5f, 4.5f, 7, 6}, 0);
  tensors_free();
}

static void pad_case(const char *what, gt_pad_mode mode, float value, int64_t begin, int64_t end, const float *want,
                     int64_t out_len) {
  gt_node n = node_new(GT_OP_PAD, 1);
  n.p.pad.mode = mode;
  n.p.pad.value = value;
  n.p.pad.begin[1] = begin;
  n.p.pad.end[1] = end;
  gt_tensor *in[1] = {tensor_new(2, SHAPE(1, 4), (const float[]){1, 2, 3, 4})};
  expect_forward(what, &n, in, tensor_new(2, SHAPE(1, out_len), NULL), want, 0);
}

static void test_pad(void) {
  pad_case("reflect 2,1", GT_PAD_REFLECT, 0, 2, 1, (const float[]){3, 2, 1, 2, 3, 4, 3}, 7);
  pad_case("edge 2,1", GT_PAD_EDGE, 0, 2, 1, (const float[]){1, 1, 1, 2, 3, 4, 4}, 7);
  pad_case("constant 1,2", GT_PAD_CONSTANT, 9, 1, 2, (const float[]){9, 1, 2, 3, 4, 9, 9}, 7);
  pad_case("constant crop -1,2", GT_PAD_CONSTANT, 0, -1, 2, (const float[]){2, 3, 4, 0, 0}, 5);
  pad_case("reflect crop -1,2", GT_PAD_REFLECT, 0, -1, 2, (const float[]){2, 3, 4, 3, 2}, 5);
  pad_case("edge crop 1,-2", GT_PAD_EDGE, 0, 1, -2, (const float[]){1, 1, 2}, 3);
  pad_case("reflect longer than the input", GT_PAD_REFLECT, 0, 5, 0, (const float[]){2, 3, 4, 3, 2, 1, 2, 3, 4}, 9);
  /* 2-D reflect of 1..9 by one on each side: the corner mirrors to the centre, 5. */
  gt_node n = node_new(GT_OP_PAD, 1);
  n.p.pad.mode = GT_PAD_REFLECT;
  for (int d = 2; d < 4; d++) n.p.pad.begin[d] = n.p.pad.end[d] = 1;
  gt_tensor *in[1] = {tensor_new(4, SHAPE(1, 1, 3, 3), (const float[]){1, 2, 3, 4, 5, 6, 7, 8, 9})};
  gt_tensor *out = tensor_new(4, SHAPE(1, 1, 5, 5), NULL);
  gt_error err;
  if (GT_CHECK(forward(&n, in, out, &err) == GT_OK, "%s", err.message)) {
    GT_CHECK(out->data[0] == 5 && out->data[4] == 5 && out->data[24] == 5 && out->data[1] == 4 && out->data[12] == 5,
             "2-D reflect corners %g %g %g", out->data[0], out->data[4], out->data[24]);
  }
  GT_CHECK(forward(&n, in, tensor_new(4, SHAPE(1, 1, 5, 4), NULL), &err) == GT_ERR_SHAPE, "wrong pad output accepted");
  tensors_free();
}

static void test_transpose(void) {
  rng_seed(9);
  gt_tensor *in[1] = {tensor_random(3, SHAPE(2, 3, 4), -1, 1)};
  gt_node n = node_new(GT_OP_TRANSPOSE, 1);
  n.p.transpose.perm[0] = 0, n.p.transpose.perm[1] = 2, n.p.transpose.perm[2] = 1;
  float want[24];
  for (int b = 0; b < 2; b++)
    for (int k = 0; k < 4; k++)
      for (int j = 0; j < 3; j++) want[(b * 4 + k) * 3 + j] = in[0]->data[(b * 3 + j) * 4 + k];
  expect_forward("transpose (0,2,1)", &n, in, tensor_new(3, SHAPE(2, 4, 3), NULL), want, 0);
  /* NCHW -> NHWC */
  gt_tensor *in4[1] = {tensor_random(4, SHAPE(1, 2, 3, 4), -1, 1)};
  gt_node n4 = node_new(GT_OP_TRANSPOSE, 1);
  const int perm[4] = {0, 2, 3, 1};
  memcpy(n4.p.transpose.perm, perm, sizeof perm);
  for (int c = 0; c < 2; c++)
    for (int h = 0; h < 3; h++)
      for (int w = 0; w < 4; w++) want[(h * 4 + w) * 2 + c] = in4[0]->data[(c * 3 + h) * 4 + w];
  expect_forward("transpose NCHW->NHWC", &n4, in4, tensor_new(4, SHAPE(1, 3, 4, 2), NULL), want, 0);
  gt_error err;
  n.p.transpose.perm[2] = 2;
  GT_CHECK(forward(&n, in, tensor_new(3, SHAPE(2, 4, 3), NULL), &err) == GT_ERR_USAGE, "perm (0,2,2) accepted");
  tensors_free();
}

static void test_concat(void) {
  gt_node n = node_new(GT_OP_CONCAT, 2);
  n.p.concat.axis = 1;
  gt_tensor *in[2] = {tensor_new(3, SHAPE(2, 1, 2), (const float[]){1, 2, 3, 4}),
                      tensor_new(3, SHAPE(2, 2, 2), (const float[]){5, 6, 7, 8, 9, 10, 11, 12})};
  expect_forward("concat axis 1", &n, in, tensor_new(3, SHAPE(2, 3, 2), NULL),
                 (const float[]){1, 2, 5, 6, 7, 8, 3, 4, 9, 10, 11, 12}, 0);
  n.p.concat.axis = 2;
  gt_error err;
  GT_CHECK(forward(&n, in, tensor_new(3, SHAPE(2, 3, 2), NULL), &err) == GT_ERR_SHAPE, "concat misfit accepted");
  tensors_free();
}

static void test_softmax(void) {
  rng_seed(13);
  gt_tensor *in[1] = {tensor_random(3, SHAPE(2, 2, 3), -2, 2)};
  const float *x = in[0]->data;
  float want[12];
  /* axis 1 alone: over the 2 entries x[n, :, k] */
  for (int b = 0; b < 2; b++)
    for (int k = 0; k < 3; k++) {
      double e0 = exp(x[b * 6 + k]), e1 = exp(x[b * 6 + 3 + k]);
      want[b * 6 + k] = (float)(e0 / (e0 + e1));
      want[b * 6 + 3 + k] = (float)(e1 / (e0 + e1));
    }
  gt_node n = node_new(GT_OP_SOFTMAX, 1);
  n.p.softmax.axis = 1;
  expect_forward("softmax axis 1", &n, in, tensor_new(3, SHAPE(2, 2, 3), NULL), want, 1e-6);
  /* coerce_2d from axis 1: over all 6 entries of each sample */
  for (int b = 0; b < 2; b++) {
    double s = 0;
    for (int i = 0; i < 6; i++) s += exp(x[b * 6 + i]);
    for (int i = 0; i < 6; i++) want[b * 6 + i] = (float)(exp(x[b * 6 + i]) / s);
  }
  n.p.softmax.coerce_2d = 1;
  expect_forward("softmax coerce_2d", &n, in, tensor_new(3, SHAPE(2, 2, 3), NULL), want, 1e-6);
  /* Large logits do not overflow. */
  gt_tensor *big[1] = {tensor_new(2, SHAPE(1, 2), (const float[]){1000, 1000})};
  gt_node nb = node_new(GT_OP_SOFTMAX, 1);
  nb.p.softmax.axis = 1;
  expect_forward("softmax of huge equal logits", &nb, big, tensor_new(2, SHAPE(1, 2), NULL), (const float[]){0.5f, 0.5f},
                 0);
  tensors_free();
}

static void test_reshape(void) {
  gt_node n = node_new(GT_OP_RESHAPE, 1);
  gt_tensor *in[1] = {tensor_new(3, SHAPE(1, 2, 2), (const float[]){1, 2, 3, 4})};
  expect_forward("reshape copy", &n, in, tensor_new(2, SHAPE(1, 4), NULL), (const float[]){1, 2, 3, 4}, 0);
  /* Aliased view: output and input share data; the forward leaves it alone and the backward
   * with shared gradient buffers adds nothing twice. */
  gt_tensor view;
  gt_tensor_init(&view, in[0]->data, 2, SHAPE(1, 4));
  gt_error err;
  GT_CHECK(forward(&n, in, &view, &err) == GT_OK && in[0]->data[3] == 4, "aliased reshape: %s", err.message);
  gt_tensor *g = tensor_new(3, SHAPE(1, 2, 2), (const float[]){1, 1, 1, 1});
  gt_tensor gview;
  gt_tensor_init(&gview, g->data, 2, SHAPE(1, 4));
  GT_CHECK(backward(&n, in, &view, &gview, (gt_tensor *[]){g}, &err) == GT_OK && g->data[0] == 1,
           "aliased reshape backward changed the gradient to %g", g->data[0]);
  GT_CHECK(forward(&n, in, tensor_new(2, SHAPE(1, 5), NULL), &err) == GT_ERR_SHAPE, "reshape 4 -> 5 accepted");
  tensors_free();
}

/* ---- backward vs finite differences, every op ---- */

static void test_fd_conv(void) {
  rng_seed(31);
  gt_node n = node_new(GT_OP_CONV, 3);
  n.p.conv = (gt_conv_params){3, 3, 2, 2, 1, 0, 1, 2, 1, 1, 2}; /* grouped, stride 2, asymmetric pads */
  gt_tensor *in[3] = {tensor_random(4, SHAPE(2, 4, 5, 5), -1, 1), tensor_random(4, SHAPE(4, 2, 3, 3), -1, 1),
                      tensor_random(1, SHAPE(4), -1, 1)};
  check_gradients("conv grouped strided", &n, in, (const int[]){1, 0, 0}, tensor_new(4, SHAPE(2, 4, 3, 3), NULL));
  gt_node nd = node_new(GT_OP_CONV, 2);
  nd.p.conv = conv_params(3, 3, 1, 2, 2, 1); /* dilation 2, pad 2 */
  gt_tensor *ind[2] = {tensor_random(4, SHAPE(1, 3, 5, 5), -1, 1), tensor_random(4, SHAPE(2, 3, 3, 3), -1, 1)};
  check_gradients("conv dilated", &nd, ind, (const int[]){1, 0}, tensor_new(4, SHAPE(1, 2, 5, 5), NULL));
  /* Weight gradients are refused: weights are constants during attacks. */
  gt_error err;
  gt_tensor *out = tensor_new(4, SHAPE(1, 2, 5, 5), NULL);
  forward(&nd, ind, out, &err);
  GT_CHECK(backward(&nd, ind, out, out, (gt_tensor *[]){tensor_like(ind[0]), tensor_like(ind[1])}, &err) ==
               GT_ERR_UNSUPPORTED,
           "a weight gradient was accepted");
  tensors_free();
}

static void test_fd_linear(void) {
  rng_seed(32);
  gt_node n = node_new(GT_OP_LINEAR, 3);
  gt_tensor *in[3] = {tensor_random(3, SHAPE(2, 3, 4), -1, 1), tensor_random(2, SHAPE(5, 4), -1, 1),
                      tensor_random(1, SHAPE(5), -1, 1)};
  check_gradients("linear", &n, in, (const int[]){1, 0, 0}, tensor_new(3, SHAPE(2, 3, 5), NULL));
  tensors_free();
}

static void test_fd_binary(void) {
  rng_seed(33);
  const gt_op_kind ops[4] = {GT_OP_ADD, GT_OP_SUB, GT_OP_MUL, GT_OP_DIV};
  for (int k = 0; k < 4; k++) {
    gt_node n = node_new(ops[k], 2);
    char what[64];
    /* Denominators kept away from 0 for Div; the same values serve the other ops. */
    gt_tensor *a = tensor_random(4, SHAPE(2, 3, 2, 2), -1, 1);
    gt_tensor *c = tensor_random_away(3, SHAPE(3, 1, 1), 0.5f, 1.5f);
    snprintf(what, sizeof what, "%s [N,C,H,W] op constant [C,1,1]", gt_op_name(ops[k]));
    check_gradients(what, &n, (gt_tensor *[]){a, c}, (const int[]){1, 0}, tensor_new(4, SHAPE(2, 3, 2, 2), NULL));
    gt_tensor *b1 = tensor_random_away(4, SHAPE(2, 1, 2, 2), 0.5f, 1.5f);
    gt_tensor *b2 = tensor_random_away(4, SHAPE(2, 3, 2, 2), 0.5f, 1.5f);
    snprintf(what, sizeof what, "%s [N,C,H,W] op [N,1,H,W], both batched", gt_op_name(ops[k]));
    check_gradients(what, &n, (gt_tensor *[]){a, b1}, (const int[]){1, 1}, tensor_new(4, SHAPE(2, 3, 2, 2), NULL));
    snprintf(what, sizeof what, "%s [N,1,H,W] op [N,C,H,W], both batched", gt_op_name(ops[k]));
    check_gradients(what, &n, (gt_tensor *[]){b1, b2}, (const int[]){1, 1}, tensor_new(4, SHAPE(2, 3, 2, 2), NULL));
    snprintf(what, sizeof what, "%s constant [H,W] op [N,C,H,W]", gt_op_name(ops[k]));
    check_gradients(what, &n, (gt_tensor *[]){tensor_random(2, SHAPE(2, 2), -1, 1), b2}, (const int[]){0, 1},
                    tensor_new(4, SHAPE(2, 3, 2, 2), NULL));
  }
  tensors_free();
}

static void test_fd_unary(void) {
  rng_seed(34);
  const gt_op_kind ops[5] = {GT_OP_RELU, GT_OP_LEAKY_RELU, GT_OP_SIGMOID, GT_OP_TANH, GT_OP_CLIP};
  for (int k = 0; k < 5; k++) {
    gt_node n = node_new(ops[k], 1);
    n.p.leaky_relu.alpha = 0.2f;
    if (ops[k] == GT_OP_CLIP) n.p.clip.min = -0.5f, n.p.clip.max = 0.5f;
    gt_tensor *x = tensor_random_away(3, SHAPE(2, 3, 4), 0.05f, 1.5f);
    /* Keep clip inputs 0.05 away from its bounds too. */
    for (int64_t i = 0; ops[k] == GT_OP_CLIP && i < 24; i++)
      if (fabsf(fabsf(x->data[i]) - 0.5f) < 0.05f) x->data[i] *= 1.3f;
    check_gradients(gt_op_name(ops[k]), &n, (gt_tensor *[]){x}, (const int[]){1}, tensor_like(x));
  }
  tensors_free();
}

static void test_fd_pool(void) {
  rng_seed(35);
  /* 6x6, kernel 3, stride 2, pad 1, ceil output 4x4 (floor would be 3x3). */
  gt_node m = node_new(GT_OP_MAXPOOL, 1);
  m.p.pool = pool_params(3, 2, 1, 1, 0);
  gt_tensor *x = tensor_random_distinct(4, SHAPE(2, 2, 6, 6));
  check_gradients("maxpool pad ceil", &m, (gt_tensor *[]){x}, (const int[]){1}, tensor_new(4, SHAPE(2, 2, 4, 4), NULL));
  gt_node md = node_new(GT_OP_MAXPOOL, 1);
  md.p.pool = pool_params(2, 1, 0, 2, 0);
  gt_tensor *xd = tensor_random_distinct(4, SHAPE(1, 2, 5, 5));
  check_gradients("maxpool dilated", &md, (gt_tensor *[]){xd}, (const int[]){1}, tensor_new(4, SHAPE(1, 2, 3, 3), NULL));
  for (int cip = 0; cip < 2; cip++) {
    gt_node a = node_new(GT_OP_AVGPOOL, 1);
    a.p.pool = pool_params(3, 2, 1, 1, cip);
    check_gradients(cip ? "avgpool count_include_pad 1" : "avgpool count_include_pad 0", &a,
                    (gt_tensor *[]){tensor_random(4, SHAPE(2, 2, 6, 6), -1, 1)}, (const int[]){1},
                    tensor_new(4, SHAPE(2, 2, 4, 4), NULL));
    gt_node ad = node_new(GT_OP_AVGPOOL, 1);
    ad.p.pool = pool_params(2, 2, 1, 2, cip);
    /* 5x5, kernel 2 dilation 2, stride 2, pad 1: span 5 + 2 - 2 - 1 = 4 -> 3x3. */
    check_gradients("avgpool dilated", &ad, (gt_tensor *[]){tensor_random(4, SHAPE(1, 1, 5, 5), -1, 1)},
                    (const int[]){1}, tensor_new(4, SHAPE(1, 1, 3, 3), NULL));
  }
  tensors_free();
}

static void test_fd_shape_ops(void) {
  rng_seed(36);
  gt_node bn = node_new(GT_OP_BATCHNORM, 3);
  check_gradients("batchnorm", &bn,
                  (gt_tensor *[]){tensor_random(4, SHAPE(2, 3, 2, 2), -1, 1), tensor_random(1, SHAPE(3), -2, 2),
                                  tensor_random(1, SHAPE(3), -1, 1)},
                  (const int[]){1, 0, 0}, tensor_new(4, SHAPE(2, 3, 2, 2), NULL));
  gt_node rs = node_new(GT_OP_RESHAPE, 1);
  check_gradients("reshape", &rs, (gt_tensor *[]){tensor_random(3, SHAPE(2, 3, 4), -1, 1)}, (const int[]){1},
                  tensor_new(2, SHAPE(2, 12), NULL));
  gt_node tr = node_new(GT_OP_TRANSPOSE, 1);
  const int perm[4] = {0, 3, 1, 2};
  memcpy(tr.p.transpose.perm, perm, sizeof perm);
  check_gradients("transpose", &tr, (gt_tensor *[]){tensor_random(4, SHAPE(2, 2, 3, 4), -1, 1)}, (const int[]){1},
                  tensor_new(4, SHAPE(2, 4, 2, 3), NULL));
  gt_node cc = node_new(GT_OP_CONCAT, 3);
  cc.p.concat.axis = 2;
  check_gradients("concat", &cc,
                  (gt_tensor *[]){tensor_random(3, SHAPE(2, 3, 1), -1, 1), tensor_random(3, SHAPE(2, 3, 2), -1, 1),
                                  tensor_random(3, SHAPE(2, 3, 3), -1, 1)},
                  (const int[]){1, 0, 1}, tensor_new(3, SHAPE(2, 3, 6), NULL));
  const gt_pad_mode modes[3] = {GT_PAD_CONSTANT, GT_PAD_REFLECT, GT_PAD_EDGE};
  const char *names[3] = {"pad constant", "pad reflect", "pad edge"};
  for (int k = 0; k < 3; k++) {
    gt_node pd = node_new(GT_OP_PAD, 1);
    pd.p.pad.mode = modes[k];
    pd.p.pad.value = 0.3f;
    pd.p.pad.begin[1] = 2, pd.p.pad.end[1] = 1;  /* 3 -> 6 */
    pd.p.pad.begin[2] = -1, pd.p.pad.end[2] = 3; /* 4 -> 6, cropping one in front */
    check_gradients(names[k], &pd, (gt_tensor *[]){tensor_random(3, SHAPE(2, 3, 4), -1, 1)}, (const int[]){1},
                    tensor_new(3, SHAPE(2, 6, 6), NULL));
  }
  for (int coerce = 0; coerce < 2; coerce++) {
    gt_node sm = node_new(GT_OP_SOFTMAX, 1);
    sm.p.softmax.axis = 1;
    sm.p.softmax.coerce_2d = coerce;
    check_gradients(coerce ? "softmax coerce_2d" : "softmax axis 1", &sm,
                    (gt_tensor *[]){tensor_random(3, SHAPE(2, 3, 4), -2, 2)}, (const int[]){1},
                    tensor_new(3, SHAPE(2, 3, 4), NULL));
  }
  tensors_free();
}

/* ---- the backend object ---- */

static void test_backend_basics(void) {
  gt_backend *be = NULL;
  gt_error err;
  if (!GT_CHECK(gt_backend_create("ref", &be, &err) == GT_OK, "%s", err.message)) return;
  GT_CHECK(strcmp(be->iface->name, "ref") == 0, "name %s", be->iface->name);
  gt_op_kind missing[GT_OP_COUNT];
  int n_missing = gt_backend_missing_ops(be, missing, GT_OP_COUNT);
  GT_CHECK(n_missing == 0, "ref misses %d ops, the first %s", n_missing, n_missing ? gt_op_name(missing[0]) : "");
  GT_CHECK(be->iface->loss != NULL && be->iface->vec != NULL, "ref lacks its loss entry or vector ops");
  for (int op = 0; op < GT_OP_COUNT; op++)
    GT_CHECK(be->iface->scratch_bytes[op] == NULL, "ref asks scratch for %s", gt_op_name((gt_op_kind)op));
  /* Fresh memory reads as NaN; fill_zero and the copies behave. */
  float *p = NULL;
  GT_CHECK(be->iface->buffer_alloc(be, 8 * sizeof(float), (void **)&p, &err) == GT_OK, "%s", err.message);
  for (int i = 0; p && i < 8; i++) GT_CHECK(isnan(p[i]), "fresh element %d is %g", i, p[i]);
  GT_CHECK(be->iface->fill_zero(be, p, 8 * sizeof(float), &err) == GT_OK && p[7] == 0.0f, "fill_zero");
  const float src[3] = {1, 2, 3};
  float back[3] = {0};
  be->iface->copy_to_device(be, p, src, sizeof src, &err);
  be->iface->copy_device(be, p + 4, p, sizeof src, &err);
  be->iface->copy_to_host(be, back, p + 4, sizeof back, &err);
  GT_CHECK(back[0] == 1 && back[1] == 2 && back[2] == 3, "copies gave %g %g %g", back[0], back[1], back[2]);
  GT_CHECK(be->iface->synchronize(be, &err) == GT_OK, "synchronize");
  be->iface->buffer_free(be, p);
  gt_backend_free(be);
  gt_backend_free(NULL);
  /* "cpu" is the other backend the registry knows. */
  gt_backend *cpu = NULL;
  if (GT_CHECK(gt_backend_create("cpu", &cpu, &err) == GT_OK, "cpu: %s", err.message))
    GT_CHECK(strcmp(cpu->iface->name, "cpu") == 0, "the cpu backend is named %s", cpu->iface->name);
  gt_backend_free(cpu);
  /* Names that are not backends are refused with the list of known ones. */
  GT_CHECK(gt_backend_create("tpu", &be, &err) == GT_ERR_USAGE && strstr(err.message, "ref") && be == NULL,
           "unknown backend: %s", err.message);
  GT_CHECK(gt_backend_create(NULL, &be, &err) == GT_ERR_USAGE, "NULL name accepted");
}

/* Bad shapes and params come back as errors naming the node, never as a crash. */
static void test_bad_calls(void) {
  gt_error err;
  gt_node n = node_new(GT_OP_CONV, 2);
  n.p.conv = conv_params(3, 3, 1, 0, 1, 1);
  gt_tensor *x = tensor_new(4, SHAPE(1, 2, 5, 5), NULL);
  gt_tensor *w = tensor_new(4, SHAPE(1, 3, 3, 3), NULL); /* 3 input channels, x has 2 */
  GT_CHECK(forward(&n, (gt_tensor *[]){x, w}, tensor_new(4, SHAPE(1, 1, 3, 3), NULL), &err) == GT_ERR_SHAPE &&
               strstr(err.message, "test_node"),
           "conv channel mismatch: %s", err.message);
  gt_tensor *w2 = tensor_new(4, SHAPE(1, 2, 3, 3), NULL);
  GT_CHECK(forward(&n, (gt_tensor *[]){x, w2}, tensor_new(4, SHAPE(1, 1, 4, 4), NULL), &err) == GT_ERR_SHAPE,
           "conv output 4x4 for 3x3 accepted");
  n.p.conv.stride_h = 0;
  GT_CHECK(forward(&n, (gt_tensor *[]){x, w2}, tensor_new(4, SHAPE(1, 1, 3, 3), NULL), &err) == GT_ERR_USAGE,
           "stride 0 accepted");
  gt_node l = node_new(GT_OP_LINEAR, 2);
  GT_CHECK(forward(&l, (gt_tensor *[]){tensor_new(2, SHAPE(2, 3), NULL), tensor_new(2, SHAPE(4, 2), NULL)},
                   tensor_new(2, SHAPE(2, 4), NULL), &err) == GT_ERR_SHAPE,
           "linear K mismatch accepted");
  gt_node r = node_new(GT_OP_RELU, 1);
  GT_CHECK(forward(&r, (gt_tensor *[]){tensor_new(1, SHAPE(3), NULL)}, tensor_new(1, SHAPE(4), NULL), &err) ==
               GT_ERR_SHAPE,
           "relu shape change accepted");
  gt_tensor *bad_data = tensor_new(1, SHAPE(3), NULL);
  gt_tensor no_data;
  gt_tensor_init(&no_data, NULL, 1, SHAPE(3));
  GT_CHECK(forward(&r, (gt_tensor *[]){&no_data}, bad_data, &err) == GT_ERR_USAGE, "NULL data accepted");
  /* Backward with a gradient of the wrong shape. */
  gt_tensor *rx = tensor_new(1, SHAPE(3), (const float[]){1, 2, 3});
  GT_CHECK(backward(&r, (gt_tensor *[]){rx}, bad_data, tensor_new(1, SHAPE(2), NULL),
                    (gt_tensor *[]){tensor_like(rx)}, &err) == GT_ERR_SHAPE,
           "wrong grad_out shape accepted");
  tensors_free();
}

int main(void) {
  gt_error err;
  if (gt_backend_ref_create(&g_be, &err) != GT_OK) {
    fprintf(stderr, "cannot create the ref backend: %s\n", err.message);
    return 1;
  }
  gt_test_run("backend_basics", test_backend_basics);
  gt_test_run("conv_hand", test_conv_hand);
  gt_test_run("conv_loop", test_conv_loop);
  gt_test_run("linear", test_linear);
  gt_test_run("binary_broadcast", test_binary_broadcast);
  gt_test_run("unary", test_unary);
  gt_test_run("maxpool", test_maxpool);
  gt_test_run("avgpool", test_avgpool);
  gt_test_run("batchnorm", test_batchnorm);
  gt_test_run("pad", test_pad);
  gt_test_run("transpose", test_transpose);
  gt_test_run("concat", test_concat);
  gt_test_run("softmax", test_softmax);
  gt_test_run("reshape", test_reshape);
  gt_test_run("fd_conv", test_fd_conv);
  gt_test_run("fd_linear", test_fd_linear);
  gt_test_run("fd_binary", test_fd_binary);
  gt_test_run("fd_unary", test_fd_unary);
  gt_test_run("fd_pool", test_fd_pool);
  gt_test_run("fd_shape_ops", test_fd_shape_ops);
  gt_test_run("bad_calls", test_bad_calls);
  gt_backend_free(g_be);
  return gt_test_finish();
}

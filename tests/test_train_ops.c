/* The backends' training tables (gauntlet/train_ops.h): weight gradients of Conv, Linear and
 * inference BatchNorm against central finite differences on ref, batch norm in training mode
 * (forward statistics, running update, backward against finite differences), the SGD step against
 * its closed form, and cpu against ref on every entry. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backends/train_common.h"
#include "gauntlet/backend.h"
#include "gauntlet/hd/rng.h"
#include "gt_test.h"

static gt_backend *g_ref, *g_cpu;

static void fill(float *x, int64_t n, uint64_t seed, float scale) {
  gt_rng_site s = {.seed = seed, .stream = 9};
  gt_rng_fill_row(GT_RNG_UNIFORM_SYM, &s, n, x);
  for (int64_t i = 0; i < n; i++) x[i] *= scale;
}

/* One op application with host tensors (ref and cpu memory is host memory). */
typedef struct op_case {
  gt_node node;
  int inputs[3];
  gt_tensor in[3], out, gout, gw[3];
  const gt_tensor *inp[3];
  gt_tensor *gwp[3];
  float *buf[8];
} op_case;

static float *tensor(op_case *c, int slot, gt_tensor *t, int ndim, const int64_t *shape, uint64_t seed) {
  gt_tensor_init(t, NULL, ndim, shape);
  int64_t n = gt_tensor_numel(t);
  t->data = c->buf[slot] = calloc((size_t)(n ? n : 1), sizeof(float));
  fill(t->data, n, seed, 1.0f);
  return t->data;
}

static void case_free(op_case *c) {
  for (int i = 0; i < 8; i++) free(c->buf[i]);
}

/* L = sum(gout * forward(in)). */
static double probe_loss(gt_backend *be, op_case *c) {
  gt_error err;
  gt_op_call call = {.node = &c->node, .in = c->inp, .out = &c->out};
  if (be->iface->forward[c->node.op](be, &call, &err) != GT_OK) return NAN;
  double l = 0.0;
  for (int64_t i = 0; i < gt_tensor_numel(&c->out); i++) l += (double)c->out.data[i] * c->gout.data[i];
  return l;
}

/* dL/d in[i] from weight_backward vs central differences (the ops are linear in their weights). */
static void check_weight_fd(op_case *c, const char *what) {
  gt_error err;
  size_t scratch = 0;
  const gt_train_iface *t = g_ref->iface->train;
  gt_op_call call = {.node = &c->node, .in = c->inp, .out = &c->out};
  GT_CHECK(g_ref->iface->forward[c->node.op](g_ref, &call, &err) == GT_OK, "%s: %s", what, err.message);
  if (t->weight_scratch_bytes[c->node.op]) scratch = t->weight_scratch_bytes[c->node.op](g_ref, &call);
  GT_CHECK(scratch == 0, "ref needs no scratch");
  GT_CHECK(t->weight_backward[c->node.op](g_ref, &call, &c->gout, c->gwp, &err) == GT_OK, "%s: %s", what, err.message);
  for (int i = 1; i < c->node.n_inputs; i++) {
    int64_t n = gt_tensor_numel(&c->in[i]);
    for (int64_t j = 0; j < n; j += (n > 40 ? 7 : 1)) {
      float keep = c->in[i].data[j];
      c->in[i].data[j] = keep + 0.05f;
      double up = probe_loss(g_ref, c);
      c->in[i].data[j] = keep - 0.05f;
      double down = probe_loss(g_ref, c);
      c->in[i].data[j] = keep;
      GT_CHECK_CLOSE(c->gw[i].data[j], (up - down) / 0.1, 1e-3, 1e-3, what);
    }
  }
}

/* weight_backward on cpu vs ref (gradient buffers start from the same nonzero values: they ADD). */
static void check_weight_cpu(op_case *c, const char *what) {
  gt_error err;
  gt_op_call call = {.node = &c->node, .in = c->inp, .out = &c->out};
  GT_CHECK(g_ref->iface->forward[c->node.op](g_ref, &call, &err) == GT_OK, "%s", err.message);
  float *ref_grad[3] = {NULL, NULL, NULL};
  for (int i = 1; i < c->node.n_inputs; i++) {
    int64_t n = gt_tensor_numel(&c->gw[i]);
    fill(c->gw[i].data, n, 77 + (uint64_t)i, 0.5f);
    ref_grad[i] = malloc((size_t)n * sizeof(float));
    memcpy(ref_grad[i], c->gw[i].data, (size_t)n * sizeof(float));
  }
  gt_tensor ref_t[3];
  gt_tensor *ref_p[3] = {NULL, NULL, NULL};
  for (int i = 1; i < c->node.n_inputs; i++) {
    ref_t[i] = c->gw[i];
    ref_t[i].data = ref_grad[i];
    ref_p[i] = &ref_t[i];
  }
  GT_CHECK(g_ref->iface->train->weight_backward[c->node.op](g_ref, &call, &c->gout, ref_p, &err) == GT_OK, "%s",
           err.message);
  const gt_train_iface *t = g_cpu->iface->train;
  size_t bytes = t->weight_scratch_bytes[c->node.op] ? t->weight_scratch_bytes[c->node.op](g_cpu, &call) : 0;
  void *scratch = NULL;
  if (bytes) GT_CHECK(g_cpu->iface->buffer_alloc(g_cpu, bytes, &scratch, &err) == GT_OK, "scratch");
  call.scratch = scratch;
  call.scratch_bytes = bytes;
  GT_CHECK(t->weight_backward[c->node.op](g_cpu, &call, &c->gout, c->gwp, &err) == GT_OK, "%s: %s", what,
           err.message);
  for (int i = 1; i < c->node.n_inputs; i++) {
    int64_t n = gt_tensor_numel(&c->gw[i]);
    double worst = 0.0;
    for (int64_t j = 0; j < n; j++) {
      double e = fabs((double)c->gw[i].data[j] - ref_grad[i][j]) / (1.0 + fabs(ref_grad[i][j]));
      if (!(e <= worst)) worst = e;
    }
    GT_CHECK(worst < 1e-4, "%s: input %d: cpu vs ref normalised error %g", what, i, worst);
    free(ref_grad[i]);
  }
  if (scratch) g_cpu->iface->buffer_free(g_cpu, scratch);
}

static void conv_case(op_case *c, int64_t n, int64_t ci, int64_t h, int64_t m, int k, int stride, int pad, int groups,
                      int bias) {
  memset(c, 0, sizeof *c);
  c->node.op = GT_OP_CONV;
  c->node.name = "conv";
  c->node.n_inputs = bias ? 3 : 2;
  c->node.inputs = c->inputs;
  gt_conv_params *p = &c->node.p.conv;
  p->kernel_h = p->kernel_w = k;
  p->stride_h = p->stride_w = stride;
  p->pad_top = p->pad_left = p->pad_bottom = p->pad_right = pad;
  p->dilation_h = p->dilation_w = 1;
  p->groups = groups;
  int64_t oh = (h + 2 * pad - k) / stride + 1;
  int64_t xs[4] = {n, ci, h, h}, ws[4] = {m, ci / groups, k, k}, bs[1] = {m}, ys[4] = {n, m, oh, oh};
  tensor(c, 0, &c->in[0], 4, xs, 1);
  tensor(c, 1, &c->in[1], 4, ws, 2);
  tensor(c, 3, &c->out, 4, ys, 4);
  tensor(c, 4, &c->gout, 4, ys, 5);
  tensor(c, 5, &c->gw[1], 4, ws, 0);
  memset(c->gw[1].data, 0, (size_t)gt_tensor_numel(&c->gw[1]) * sizeof(float));
  c->gwp[1] = &c->gw[1];
  if (bias) {
    tensor(c, 2, &c->in[2], 1, bs, 3);
    tensor(c, 6, &c->gw[2], 1, bs, 0);
    memset(c->gw[2].data, 0, (size_t)m * sizeof(float));
    c->gwp[2] = &c->gw[2];
  }
  for (int i = 0; i < 3; i++) c->inp[i] = &c->in[i];
}

static void linear_case(op_case *c, int64_t rows, int64_t k, int64_t m) {
  memset(c, 0, sizeof *c);
  c->node.op = GT_OP_LINEAR;
  c->node.name = "fc";
  c->node.n_inputs = 3;
  c->node.inputs = c->inputs;
  int64_t xs[2] = {rows, k}, ws[2] = {m, k}, bs[1] = {m}, ys[2] = {rows, m};
  tensor(c, 0, &c->in[0], 2, xs, 11);
  tensor(c, 1, &c->in[1], 2, ws, 12);
  tensor(c, 2, &c->in[2], 1, bs, 13);
  tensor(c, 3, &c->out, 2, ys, 14);
  tensor(c, 4, &c->gout, 2, ys, 15);
  tensor(c, 5, &c->gw[1], 2, ws, 0);
  tensor(c, 6, &c->gw[2], 1, bs, 0);
  memset(c->gw[1].data, 0, (size_t)(m * k) * sizeof(float));
  memset(c->gw[2].data, 0, (size_t)m * sizeof(float));
  c->gwp[1] = &c->gw[1];
  c->gwp[2] = &c->gw[2];
  for (int i = 0; i < 3; i++) c->inp[i] = &c->in[i];
}

static void bn_case(op_case *c, int64_t n, int64_t ch, int64_t hw) {
  memset(c, 0, sizeof *c);
  c->node.op = GT_OP_BATCHNORM;
  c->node.name = "bn";
  c->node.n_inputs = 3;
  c->node.inputs = c->inputs;
  int64_t xs[4] = {n, ch, hw, hw}, cs[1] = {ch};
  tensor(c, 0, &c->in[0], 4, xs, 21);
  tensor(c, 1, &c->in[1], 1, cs, 22);
  tensor(c, 2, &c->in[2], 1, cs, 23);
  tensor(c, 3, &c->out, 4, xs, 24);
  tensor(c, 4, &c->gout, 4, xs, 25);
  tensor(c, 5, &c->gw[1], 1, cs, 0);
  tensor(c, 6, &c->gw[2], 1, cs, 0);
  memset(c->gw[1].data, 0, (size_t)ch * sizeof(float));
  memset(c->gw[2].data, 0, (size_t)ch * sizeof(float));
  c->gwp[1] = &c->gw[1];
  c->gwp[2] = &c->gw[2];
  for (int i = 0; i < 3; i++) c->inp[i] = &c->in[i];
}

static void test_conv_weight_fd(void) {
  op_case c;
  conv_case(&c, 2, 3, 6, 4, 3, 1, 1, 1, 1);
  check_weight_fd(&c, "conv 3x3 pad 1");
  case_free(&c);
  conv_case(&c, 3, 4, 7, 6, 3, 2, 1, 2, 1);
  check_weight_fd(&c, "conv 3x3 stride 2 groups 2");
  case_free(&c);
  conv_case(&c, 2, 3, 5, 4, 1, 2, 0, 1, 0);
  check_weight_fd(&c, "conv 1x1 stride 2 no bias");
  case_free(&c);
}

static void test_linear_bn_weight_fd(void) {
  op_case c;
  linear_case(&c, 5, 7, 3);
  check_weight_fd(&c, "linear");
  case_free(&c);
  bn_case(&c, 3, 4, 3);
  check_weight_fd(&c, "batchnorm scale/shift");
  case_free(&c);
}

static void test_weight_cpu_vs_ref(void) {
  op_case c;
  conv_case(&c, 37, 3, 9, 20, 3, 1, 1, 1, 1); /* several sample blocks, two row chunks */
  check_weight_cpu(&c, "conv 3x3 batch 37");
  case_free(&c);
  conv_case(&c, 5, 8, 8, 6, 3, 2, 1, 2, 1);
  check_weight_cpu(&c, "conv stride 2 groups 2");
  case_free(&c);
  conv_case(&c, 4, 4, 6, 8, 1, 2, 0, 1, 0);
  check_weight_cpu(&c, "conv 1x1 stride 2");
  case_free(&c);
  linear_case(&c, 70, 33, 21);
  check_weight_cpu(&c, "linear");
  case_free(&c);
  bn_case(&c, 6, 5, 4);
  check_weight_cpu(&c, "batchnorm");
  case_free(&c);
}

/* Batch-norm training state with host arrays. */
typedef struct bn_state {
  gt_bn_train bn;
  float g[8], b[8], mean[8], invstd[8], rm[8], rv[8], dg[8], db[8];
} bn_state;

static void bn_state_init(bn_state *s, int64_t ch) {
  memset(s, 0, sizeof *s);
  fill(s->g, ch, 31, 1.0f);
  fill(s->b, ch, 32, 1.0f);
  for (int64_t c = 0; c < ch; c++) {
    s->g[c] += 1.5f;
    s->rm[c] = 0.2f;
    s->rv[c] = 2.0f;
  }
  s->bn = (gt_bn_train){.channels = ch, .gamma = s->g, .beta = s->b, .mean = s->mean, .invstd = s->invstd,
                        .running_mean = s->rm, .running_var = s->rv, .eps = 1e-5f, .momentum = 0.1f,
                        .dgamma = s->dg, .dbeta = s->db};
}

static double bn_probe(bn_state *s, const gt_tensor *x, gt_tensor *y, const float *dy) {
  gt_error err;
  gt_bn_train copy = s->bn;
  copy.running_mean = copy.running_var = NULL; /* probes leave the running statistics alone */
  if (g_ref->iface->train->batchnorm_forward(g_ref, &copy, x, y, &err) != GT_OK) return NAN;
  double l = 0.0;
  for (int64_t i = 0; i < gt_tensor_numel(y); i++) l += (double)y->data[i] * dy[i];
  return l;
}

static void test_bn_train(void) {
  enum { N = 4, C = 3, HW = 3 };
  int64_t shape[4] = {N, C, HW, HW};
  int64_t numel = N * C * HW * HW, m = N * HW * HW;
  float x[N * C * HW * HW], y[N * C * HW * HW], dy[N * C * HW * HW], dx[N * C * HW * HW];
  fill(x, numel, 41, 2.0f);
  fill(dy, numel, 42, 1.0f);
  memset(dx, 0, sizeof dx);
  gt_tensor tx, ty, tdy, tdx;
  gt_tensor_init(&tx, x, 4, shape);
  gt_tensor_init(&ty, y, 4, shape);
  gt_tensor_init(&tdy, dy, 4, shape);
  gt_tensor_init(&tdx, dx, 4, shape);
  bn_state s;
  bn_state_init(&s, C);
  gt_error err;
  const gt_train_iface *t = g_ref->iface->train;
  GT_CHECK(t->batchnorm_forward(g_ref, &s.bn, &tx, &ty, &err) == GT_OK, "%s", err.message);
  for (int c = 0; c < C; c++) {
    double sum = 0.0, sq = 0.0, ysum = 0.0, ysq = 0.0;
    for (int n = 0; n < N; n++)
      for (int i = 0; i < HW * HW; i++) sum += x[(n * C + c) * HW * HW + i];
    double mean = sum / (double)m;
    for (int n = 0; n < N; n++)
      for (int i = 0; i < HW * HW; i++) {
        double d = x[(n * C + c) * HW * HW + i] - mean, yy = y[(n * C + c) * HW * HW + i];
        sq += d * d;
        ysum += yy;
        ysq += (yy - s.b[c]) * (yy - s.b[c]);
      }
    GT_CHECK_CLOSE(s.mean[c], mean, 1e-6, 1e-5, "batch mean");
    GT_CHECK_CLOSE(s.rm[c], 0.9 * 0.2 + 0.1 * mean, 1e-6, 1e-5, "running mean");
    GT_CHECK_CLOSE(s.rv[c], 0.9 * 2.0 + 0.1 * sq / (double)(m - 1), 1e-6, 1e-5, "running var (unbiased)");
    GT_CHECK_CLOSE(ysum / (double)m, s.b[c], 1e-5, 1e-5, "output mean is beta");
    GT_CHECK_CLOSE(ysq / (double)m, (double)s.g[c] * s.g[c] * (sq / m) / (sq / m + 1e-5), 1e-4, 1e-4,
                   "output variance is gamma^2");
  }
  GT_CHECK(t->batchnorm_backward(g_ref, &s.bn, &tx, &tdy, &tdx, &err) == GT_OK, "%s", err.message);
  const float h = 1e-2f;
  for (int64_t j = 0; j < numel; j += 5) {
    float keep = x[j];
    x[j] = keep + h;
    double up = bn_probe(&s, &tx, &ty, dy);
    x[j] = keep - h;
    double down = bn_probe(&s, &tx, &ty, dy);
    x[j] = keep;
    GT_CHECK_CLOSE(dx[j], (up - down) / (2.0 * h), 2e-3, 2e-2, "bn train dx vs finite differences");
  }
  for (int c = 0; c < C; c++) {
    float keep = s.g[c];
    s.g[c] = keep + h;
    double up = bn_probe(&s, &tx, &ty, dy);
    s.g[c] = keep - h;
    double down = bn_probe(&s, &tx, &ty, dy);
    s.g[c] = keep;
    GT_CHECK_CLOSE(s.dg[c], (up - down) / (2.0 * h), 1e-3, 1e-3, "dgamma vs finite differences");
    keep = s.b[c];
    s.b[c] = keep + h;
    up = bn_probe(&s, &tx, &ty, dy);
    s.b[c] = keep - h;
    down = bn_probe(&s, &tx, &ty, dy);
    s.b[c] = keep;
    GT_CHECK_CLOSE(s.db[c], (up - down) / (2.0 * h), 1e-3, 1e-3, "dbeta vs finite differences");
  }
  /* cpu against ref, forward and backward from the same state. */
  bn_state s2;
  bn_state_init(&s2, C);
  float y2[N * C * HW * HW], dx2[N * C * HW * HW];
  memset(dx2, 0, sizeof dx2);
  gt_tensor ty2 = ty, tdx2 = tdx;
  ty2.data = y2;
  tdx2.data = dx2;
  bn_state_init(&s, C);
  memset(dx, 0, sizeof dx);
  GT_CHECK(t->batchnorm_forward(g_ref, &s.bn, &tx, &ty, &err) == GT_OK, "%s", err.message);
  GT_CHECK(t->batchnorm_backward(g_ref, &s.bn, &tx, &tdy, &tdx, &err) == GT_OK, "%s", err.message);
  const gt_train_iface *tc = g_cpu->iface->train;
  GT_CHECK(tc->batchnorm_forward(g_cpu, &s2.bn, &tx, &ty2, &err) == GT_OK, "%s", err.message);
  GT_CHECK(tc->batchnorm_backward(g_cpu, &s2.bn, &tx, &tdy, &tdx2, &err) == GT_OK, "%s", err.message);
  for (int64_t j = 0; j < numel; j++) {
    GT_CHECK_CLOSE(y2[j], y[j], 1e-6, 1e-5, "cpu bn y");
    GT_CHECK_CLOSE(dx2[j], dx[j], 1e-6, 1e-4, "cpu bn dx");
  }
  for (int c = 0; c < C; c++) {
    GT_CHECK_CLOSE(s2.rv[c], s.rv[c], 1e-6, 1e-6, "cpu running var");
    GT_CHECK_CLOSE(s2.dg[c], s.dg[c], 1e-6, 1e-5, "cpu dgamma");
    GT_CHECK_CLOSE(s2.db[c], s.db[c], 1e-6, 1e-5, "cpu dbeta");
  }
  /* Refusals: wrong channel count. */
  s.bn.channels = C + 1;
  GT_CHECK(t->batchnorm_forward(g_ref, &s.bn, &tx, &ty, &err) == GT_ERR_SHAPE, "channel mismatch refused");
  GT_CHECK(tc->batchnorm_forward(g_cpu, &s.bn, &tx, &ty, &err) == GT_ERR_SHAPE, "channel mismatch refused");
}

static void test_sgd(void) {
  gt_backend *bes[2] = {g_ref, g_cpu};
  for (int b = 0; b < 2; b++) {
    float p[20000], g[20000], v[20000];
    int64_t n = b ? 20000 : 50;
    fill(p, n, 51, 1.0f);
    fill(g, n, 52, 1.0f);
    fill(v, n, 53, 1.0f);
    float p0 = p[7], g0 = g[7], v0 = v[7];
    gt_sgd_step s = {.n = n, .param = p, .grad = g, .velocity = v, .lr = 0.1f, .momentum = 0.9f, .weight_decay = 0.01f};
    gt_error err;
    GT_CHECK(bes[b]->iface->train->sgd_step(bes[b], &s, &err) == GT_OK, "%s", err.message);
    double vv = 0.9 * v0 + (g0 + 0.01 * p0);
    GT_CHECK_CLOSE(v[7], vv, 1e-6, 1e-6, "velocity");
    GT_CHECK_CLOSE(p[7], p0 - 0.1 * vv, 1e-6, 1e-6, "param");
    s.lr = -1.0f;
    GT_CHECK(bes[b]->iface->train->sgd_step(bes[b], &s, &err) == GT_ERR_USAGE, "negative lr refused");
  }
}

static void test_refusals(void) {
  op_case c;
  conv_case(&c, 2, 3, 6, 4, 3, 1, 1, 1, 1);
  gt_error err;
  gt_op_call call = {.node = &c.node, .in = c.inp, .out = &c.out};
  gt_tensor *with_x[3] = {&c.gw[1], &c.gw[1], NULL};
  GT_CHECK(g_ref->iface->train->weight_backward[GT_OP_CONV](g_ref, &call, &c.gout, with_x, &err) == GT_ERR_USAGE,
           "a gradient for the batched input is refused");
  gt_tensor wrong = c.gw[1];
  wrong.shape[0] += 1;
  gt_tensor *bad[3] = {NULL, &wrong, NULL};
  GT_CHECK(g_cpu->iface->train->weight_backward[GT_OP_CONV](g_cpu, &call, &c.gout, bad, &err) == GT_ERR_SHAPE,
           "a wrongly shaped weight gradient is refused: %s", err.message);
  case_free(&c);
  GT_CHECK(gt_backend_train(g_ref, &err) == g_ref->iface->train, "ref trains");
  gt_backend_iface no_train = *g_cpu->iface;
  no_train.train = NULL;
  gt_backend fake = {.iface = &no_train};
  GT_CHECK(gt_backend_train(&fake, &err) == NULL && err.code == GT_ERR_UNSUPPORTED, "no table: clear refusal");
}

int main(void) {
  gt_error err;
  if (gt_backend_ref_create(&g_ref, &err) != GT_OK || gt_backend_cpu_create(&g_cpu, 2, &err) != GT_OK) {
    fprintf(stderr, "backend: %s\n", err.message);
    return 1;
  }
  gt_test_run("conv weight gradient vs finite differences", test_conv_weight_fd);
  gt_test_run("linear and batchnorm weight gradients vs finite differences", test_linear_bn_weight_fd);
  gt_test_run("weight gradients cpu vs ref", test_weight_cpu_vs_ref);
  gt_test_run("batch norm training mode", test_bn_train);
  gt_test_run("sgd step", test_sgd);
  gt_test_run("refusals", test_refusals);
  gt_backend_free(g_ref);
  gt_backend_free(g_cpu);
  return gt_test_finish();
}

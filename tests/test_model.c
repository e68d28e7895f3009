/* The graph executor on hand-built graphs: forward values, the input gradient of a per-sample
 * loss against a closed form and against finite differences through views and fan-out, batch
 * handling, pass counting, and a clear error for ops a backend lacks. Runs on every host backend. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gauntlet/backend.h"
#include "gauntlet/model.h"
#include "gt_test.h"
#include "support/toy_models.h"

static const char *g_backend = "ref";

/* Linear classifier on 2x2 one-channel images: logits = W flatten(x) + b, W [3,4]. */
static const float W[12] = {0.5f, -1.0f, 0.25f, 2.0f, -0.5f, 0.75f, 1.5f, -2.0f, 1.0f, 0.0f, -0.25f, 0.5f};
static const float B[3] = {0.1f, -0.2f, 0.3f};

static gt_graph *linear_graph(void) { return gt_toy_linear_graph(1, 2, 2, 3, W, B); }

/* Fan-out through a view: logits = fc1(relu(flat(x))) + fc2(tanh(flat(x))) * flat-view reused. */
static gt_graph *fanout_graph(void) {
  gt_error err = {0};
  gt_graph *g = gt_graph_create();
  int64_t img[4] = {GT_DIM_BATCH, 1, 2, 2}, flat[2] = {GT_DIM_BATCH, 4}, logits[2] = {GT_DIM_BATCH, 3};
  int64_t w_shape[2] = {3, 4}, b_shape[1] = {3};
  static const float W2[12] = {0.3f, 0.2f, -0.7f, 0.1f, 0.9f, -0.4f, 0.2f, 0.6f, -0.3f, 0.8f, 0.5f, -0.6f};
  int x = gt_graph_add_value(g, "x", 1, 4, img, NULL, &err);
  int w1 = gt_graph_add_value(g, "W1", 0, 2, w_shape, W, &err);
  int b1 = gt_graph_add_value(g, "b1", 0, 1, b_shape, B, &err);
  int w2 = gt_graph_add_value(g, "W2", 0, 2, w_shape, W2, &err);
  int f = gt_graph_add_value(g, "flat", 1, 2, flat, NULL, &err);
  int r = gt_graph_add_value(g, "relu", 1, 2, flat, NULL, &err);
  int t = gt_graph_add_value(g, "tanh", 1, 2, flat, NULL, &err);
  int rt = gt_graph_add_value(g, "relu_times_flat", 1, 2, flat, NULL, &err);
  int z1 = gt_graph_add_value(g, "z1", 1, 2, logits, NULL, &err);
  int z2 = gt_graph_add_value(g, "z2", 1, 2, logits, NULL, &err);
  int z = gt_graph_add_value(g, "logits", 1, 2, logits, NULL, &err);
  int a_x[1] = {x}, a_f[1] = {f}, a_rf[2] = {r, f}, a_fc1[3] = {rt, w1, b1}, a_fc2[2] = {t, w2}, a_sum[2] = {z1, z2};
  gt_graph_add_node(g, GT_OP_RESHAPE, "flatten", 1, a_x, f, &err);
  gt_graph_add_node(g, GT_OP_RELU, "relu", 1, a_f, r, &err);
  gt_graph_add_node(g, GT_OP_TANH, "tanh", 1, a_f, t, &err);
  gt_graph_add_node(g, GT_OP_MUL, "mul", 2, a_rf, rt, &err);
  gt_graph_add_node(g, GT_OP_LINEAR, "fc1", 3, a_fc1, z1, &err);
  gt_graph_add_node(g, GT_OP_LINEAR, "fc2", 2, a_fc2, z2, &err);
  gt_graph_add_node(g, GT_OP_ADD, "sum", 2, a_sum, z, &err);
  g->input = x;
  g->output = z;
  return g;
}

typedef struct fixture {
  gt_backend *be;
  gt_model *m;
  float *x_dev, *dx_dev, *loss_dev;
  int32_t *labels_dev;
} fixture;

static int fixture_open(fixture *f, gt_graph *g, int64_t max_batch) {
  gt_error err = {0};
  memset(f, 0, sizeof *f);
  if (!GT_CHECK(gt_backend_create(g_backend, &f->be, &err) == GT_OK, "%s", err.message)) return 0;
  if (!GT_CHECK(gt_model_create(g, f->be, max_batch, &f->m, &err) == GT_OK, "%s", err.message)) return 0;
  void *p[4];
  const gt_backend_iface *io = f->be->iface;
  size_t bytes = (size_t)max_batch * 4 * sizeof(float);
  io->buffer_alloc(f->be, bytes, &p[0], &err);
  io->buffer_alloc(f->be, bytes, &p[1], &err);
  io->buffer_alloc(f->be, (size_t)max_batch * sizeof(float), &p[2], &err);
  io->buffer_alloc(f->be, (size_t)max_batch * sizeof(int32_t), &p[3], &err);
  f->x_dev = p[0];
  f->dx_dev = p[1];
  f->loss_dev = p[2];
  f->labels_dev = p[3];
  return 1;
}

static void fixture_close(fixture *f) {
  if (f->be) {
    f->be->iface->buffer_free(f->be, f->x_dev);
    f->be->iface->buffer_free(f->be, f->dx_dev);
    f->be->iface->buffer_free(f->be, f->loss_dev);
    f->be->iface->buffer_free(f->be, f->labels_dev);
  }
  gt_model_free(f->m);
  gt_backend_free(f->be);
}

/* Per-sample CE losses (and optionally input gradients) of host x [n,4] with host labels. */
static int loss_grad(fixture *f, const float *x, const int32_t *labels, int64_t n, float *loss, float *dx) {
  gt_error err = {0};
  const gt_backend_iface *io = f->be->iface;
  io->copy_to_device(f->be, f->x_dev, x, (size_t)n * 4 * sizeof(float), &err);
  io->copy_to_device(f->be, f->labels_dev, labels, (size_t)n * sizeof(int32_t), &err);
  gt_status st = gt_model_loss_grad(f->m, f->x_dev, n, GT_LOSS_CE, f->labels_dev, NULL, f->loss_dev,
                                    dx ? f->dx_dev : NULL, &err);
  if (!GT_CHECK(st == GT_OK, "%s", err.message)) return 0;
  io->copy_to_host(f->be, loss, f->loss_dev, (size_t)n * sizeof(float), &err);
  if (dx) io->copy_to_host(f->be, dx, f->dx_dev, (size_t)n * 4 * sizeof(float), &err);
  return 1;
}

static const float X[5 * 4] = {0.1f, 0.9f, 0.4f, 0.3f, 0.8f, 0.2f, 0.6f, 0.7f, 0.5f, 0.5f,
                               0.05f, 0.95f, 0.3f, 0.6f, 0.9f, 0.1f, 0.7f, 0.35f, 0.15f, 0.45f};
static const int32_t Y[5] = {0, 2, 1, 1, 0};

static void test_linear_closed_form(void) {
  gt_graph *g = linear_graph();
  fixture f;
  if (fixture_open(&f, g, 8)) {
    float loss[5], dx[20];
    if (loss_grad(&f, X, Y, 5, loss, dx)) {
      for (int i = 0; i < 5; i++) {
        double z[3], zmax = -1e30, sum = 0;
        for (int k = 0; k < 3; k++) {
          z[k] = B[k];
          for (int j = 0; j < 4; j++) z[k] += (double)W[k * 4 + j] * X[i * 4 + j];
          if (z[k] > zmax) zmax = z[k];
        }
        for (int k = 0; k < 3; k++) sum += exp(z[k] - zmax);
        GT_CHECK_CLOSE(loss[i], zmax + log(sum) - z[Y[i]], 1e-6, 1e-5, "CE loss");
        for (int j = 0; j < 4; j++) {
          double g_ij = 0; /* dCE/dx = W^T (softmax(z) - onehot(y)) */
          for (int k = 0; k < 3; k++) g_ij += (double)W[k * 4 + j] * (exp(z[k] - zmax) / sum - (k == Y[i]));
          GT_CHECK_CLOSE(dx[i * 4 + j], g_ij, 1e-6, 1e-5, "dCE/dx");
        }
      }
      gt_pass_counts c = gt_model_pass_counts(f.m);
      GT_CHECK(c.forward_samples == 5 && c.backward_samples == 5, "counts %lld %lld", (long long)c.forward_samples,
               (long long)c.backward_samples);
    }
  }
  fixture_close(&f);
  gt_graph_free(g);
}

/* The fan-out graph's gradient equals central finite differences of its per-sample loss. */
static void test_fanout_finite_differences(void) {
  gt_graph *g = fanout_graph();
  fixture f;
  if (fixture_open(&f, g, 8)) {
    float loss[5], dx[20], lp[5], lm[5];
    if (loss_grad(&f, X, Y, 5, loss, dx)) {
      const float h = 1e-3f;
      for (int j = 0; j < 20; j++) {
        float xp[20], xm[20];
        memcpy(xp, X, sizeof xp);
        memcpy(xm, X, sizeof xm);
        xp[j] += h;
        xm[j] -= h;
        loss_grad(&f, xp, Y, 5, lp, NULL);
        loss_grad(&f, xm, Y, 5, lm, NULL);
        double fd = ((double)lp[j / 4] - lm[j / 4]) / (2.0 * h);
        GT_CHECK_CLOSE(dx[j], fd, 2e-3, 1e-2, "fan-out gradient vs finite differences");
      }
    }
  }
  fixture_close(&f);
  gt_graph_free(g);
}

/* A sample's result does not depend on the batch it is in: bit for bit on ref; on BLAS backends the
 * GEMM kernel may change with the matrix size, so there only up to rounding. */
static void test_batch_independence(void) {
  gt_graph *g = fanout_graph();
  fixture f;
  if (fixture_open(&f, g, 8)) {
    float loss_all[5], dx_all[20], loss_one[1], dx_one[4];
    loss_grad(&f, X, Y, 5, loss_all, dx_all);
    for (int i = 0; i < 5; i++) {
      loss_grad(&f, X + 4 * i, Y + i, 1, loss_one, dx_one);
      if (!strcmp(g_backend, "ref")) {
        GT_CHECK(loss_one[0] == loss_all[i], "sample %d loss %g alone vs %g in batch", i, loss_one[0], loss_all[i]);
        GT_CHECK(!memcmp(dx_one, dx_all + 4 * i, sizeof dx_one), "sample %d gradient differs alone vs in batch", i);
      } else {
        GT_CHECK_CLOSE(loss_one[0], loss_all[i], 1e-6, 1e-5, "loss alone vs in batch");
        for (int j = 0; j < 4; j++) GT_CHECK_CLOSE(dx_one[j], dx_all[4 * i + j], 1e-6, 1e-5, "gradient alone vs in batch");
      }
    }
  }
  fixture_close(&f);
  gt_graph_free(g);
}

static void test_batch_limits(void) {
  gt_graph *g = linear_graph();
  fixture f;
  gt_error err = {0};
  if (fixture_open(&f, g, 4)) {
    GT_CHECK(gt_model_backward(f.m, f.x_dev, f.dx_dev, &err) == GT_ERR_USAGE, "backward before forward accepted");
    GT_CHECK(gt_model_forward(f.m, f.x_dev, 5, &err) == GT_ERR_USAGE && strstr(err.message, "1..4"),
             "oversized batch: %s", err.message);
    GT_CHECK(gt_model_forward(f.m, f.x_dev, 0, &err) == GT_ERR_USAGE, "empty batch accepted");
  }
  fixture_close(&f);
  gt_model *m = NULL;
  gt_backend *be = NULL;
  gt_backend_create(g_backend, &be, &err);
  GT_CHECK(gt_model_create(g, be, 0, &m, &err) == GT_ERR_USAGE && m == NULL, "max batch 0 accepted");
  gt_backend_free(be);
  gt_graph_free(g);
}

/* A backend without an op is refused at model creation, naming the node and the op. */
static void test_missing_op(void) {
  gt_graph *g = linear_graph();
  gt_error err = {0};
  gt_backend *be = NULL;
  if (!GT_CHECK(gt_backend_create(g_backend, &be, &err) == GT_OK, "%s", err.message)) return;
  gt_backend_iface crippled = *be->iface;
  crippled.forward[GT_OP_LINEAR] = NULL;
  gt_backend fake = {&crippled, be->ctx};
  gt_model *m = NULL;
  gt_status st = gt_model_create(g, &fake, 2, &m, &err);
  GT_CHECK(st == GT_ERR_UNSUPPORTED && strstr(err.message, "'fc'") && strstr(err.message, "Linear"),
           "status %d: %s", (int)st, err.message);
  GT_CHECK(gt_backend_missing_ops(&fake, (gt_op_kind[GT_OP_COUNT]){0}, GT_OP_COUNT) == 1, "missing-op count");
  gt_model_free(m);
  gt_backend_free(be);
  gt_graph_free(g);
}

int main(void) {
  static const char *backends[] = {"ref", "cpu"};
  for (int b = 0; b < 2; b++) {
    g_backend = backends[b];
    char name[128];
    fprintf(stderr, "backend %s\n", g_backend);
    snprintf(name, sizeof name, "%s: linear model, closed-form CE gradient", g_backend);
    gt_test_run(name, test_linear_closed_form);
    snprintf(name, sizeof name, "%s: fan-out through views vs finite differences", g_backend);
    gt_test_run(name, test_fanout_finite_differences);
    snprintf(name, sizeof name, "%s: batch independence", g_backend);
    gt_test_run(name, test_batch_independence);
    snprintf(name, sizeof name, "%s: batch limits", g_backend);
    gt_test_run(name, test_batch_limits);
    snprintf(name, sizeof name, "%s: op missing on the backend", g_backend);
    gt_test_run(name, test_missing_op);
  }
  return gt_test_finish();
}

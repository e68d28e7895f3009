/* Model reference files (llm.c's debug-state idea): small models trained and exported by torch
 * (tests/fixtures/make_fixtures.py), with torch's logits, per-sample CE loss and dloss/dx dumped
 * for 16 test images. Every backend must reproduce them (relative error <= 1e-4), and the clean
 * accuracy on the full Fashion-MNIST test set must equal the count torch reported. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "gauntlet/data.h"
#include "gauntlet/eval.h"
#include "gauntlet/model.h"
#include "gauntlet/npy.h"
#include "gt_test.h"

static const char *g_model = "cnn";

static void fixture_path(const char *suffix, char *buf, size_t size) {
  snprintf(buf, size, "%s/models/%s.%s", GT_FIXTURES_DIR, g_model, suffix);
}

/* max |a - b| / max |b|: a normalised error that does not blow up on near-zero entries. */
static double relative_error(const float *a, const float *b, int64_t n) {
  double diff = 0, scale = 0;
  for (int64_t i = 0; i < n; i++) {
    double d = fabs((double)a[i] - b[i]);
    if (d > diff || isnan(d)) diff = isnan(d) ? INFINITY : d;
    if (fabs(b[i]) > scale) scale = fabs(b[i]);
  }
  return diff / (scale > 0 ? scale : 1);
}

static int load_reference(const char *suffix, float **data, int64_t expect_numel) {
  char path[512];
  int ndim = 0;
  int64_t shape[GT_MAX_DIMS];
  gt_error err = {0};
  fixture_path(suffix, path, sizeof path);
  if (!GT_CHECK(gt_npy_read_f32(path, data, &ndim, shape, &err) == GT_OK, "%s", err.message)) return 0;
  int64_t numel = 1;
  for (int d = 0; d < ndim; d++) numel *= shape[d];
  return GT_CHECK(numel == expect_numel, "%s has %lld values, expected %lld", path, (long long)numel,
                  (long long)expect_numel);
}

static void compare_on_backend(const char *backend_name) {
  char onnx[512], xs[512], ys[512], spec[1100];
  fixture_path("onnx", onnx, sizeof onnx);
  fixture_path("x.npy", xs, sizeof xs);
  fixture_path("y.npy", ys, sizeof ys);
  snprintf(spec, sizeof spec, "npy:%s,%s", xs, ys);
  gt_error err = {0};
  gt_graph *g = NULL;
  gt_dataset *ds = NULL;
  gt_backend *be = NULL;
  gt_model *m = NULL;
  float *ref_logits = NULL, *ref_loss = NULL, *ref_grad = NULL;
  float *logits = NULL, *loss = NULL, *grad = NULL;
  void *x_dev = NULL, *dx_dev = NULL, *y_dev = NULL, *loss_dev = NULL;
  if (!GT_CHECK(gt_graph_load_classifier(onnx, 0, NULL, NULL, &g, &err) == GT_OK, "%s", err.message)) goto done;
  if (!GT_CHECK(gt_dataset_load(spec, &ds, &err) == GT_OK, "%s", err.message)) goto done;
  if (!GT_CHECK(gt_backend_create(backend_name, &be, &err) == GT_OK, "%s", err.message)) goto done;
  if (!GT_CHECK(gt_model_create(g, be, ds->n, &m, &err) == GT_OK, "%s", err.message)) goto done;
  int64_t n = ds->n, k = gt_model_num_classes(m), d = gt_model_input_numel(m);
  if (!load_reference("logits.npy", &ref_logits, n * k) || !load_reference("loss.npy", &ref_loss, n) ||
      !load_reference("grad.npy", &ref_grad, n * d))
    goto done;
  const gt_backend_iface *io = be->iface;
  io->buffer_alloc(be, (size_t)(n * d) * sizeof(float), &x_dev, &err);
  io->buffer_alloc(be, (size_t)(n * d) * sizeof(float), &dx_dev, &err);
  io->buffer_alloc(be, (size_t)n * sizeof(int32_t), &y_dev, &err);
  io->buffer_alloc(be, (size_t)n * sizeof(float), &loss_dev, &err);
  io->copy_to_device(be, x_dev, ds->images, (size_t)(n * d) * sizeof(float), &err);
  io->copy_to_device(be, y_dev, ds->labels, (size_t)n * sizeof(int32_t), &err);
  if (!GT_CHECK(gt_model_loss_grad(m, x_dev, n, GT_LOSS_CE, y_dev, NULL, loss_dev, dx_dev, &err) == GT_OK, "%s",
                err.message))
    goto done;
  logits = malloc((size_t)(n * k) * sizeof(float));
  loss = malloc((size_t)n * sizeof(float));
  grad = malloc((size_t)(n * d) * sizeof(float));
  io->copy_to_host(be, logits, gt_model_logits(m), (size_t)(n * k) * sizeof(float), &err);
  io->copy_to_host(be, loss, loss_dev, (size_t)n * sizeof(float), &err);
  io->copy_to_host(be, grad, dx_dev, (size_t)(n * d) * sizeof(float), &err);
  double e_logits = relative_error(logits, ref_logits, n * k), e_loss = relative_error(loss, ref_loss, n);
  double e_grad = relative_error(grad, ref_grad, n * d);
  fprintf(stderr, "  %s on %s: relative error logits %.2e, loss %.2e, dloss/dx %.2e\n", g_model, backend_name,
          e_logits, e_loss, e_grad);
  GT_CHECK(e_logits <= 1e-4, "logits relative error %.3e", e_logits);
  GT_CHECK(e_loss <= 1e-4, "loss relative error %.3e", e_loss);
  GT_CHECK(e_grad <= 1e-4, "dloss/dx relative error %.3e", e_grad);
done:
  if (be) {
    if (x_dev) be->iface->buffer_free(be, x_dev);
    if (dx_dev) be->iface->buffer_free(be, dx_dev);
    if (y_dev) be->iface->buffer_free(be, y_dev);
    if (loss_dev) be->iface->buffer_free(be, loss_dev);
  }
  free(ref_logits);
  free(ref_loss);
  free(ref_grad);
  free(logits);
  free(loss);
  free(grad);
  gt_model_free(m);
  gt_backend_free(be);
  gt_dataset_free(ds);
  gt_graph_free(g);
}

static void test_reference_ref(void) { compare_on_backend("ref"); }
static void test_reference_cpu(void) { compare_on_backend("cpu"); }

static int64_t torch_correct(void) {
  char path[512];
  fixture_path("json", path, sizeof path);
  FILE *f = fopen(path, "rb");
  if (!f) return -1;
  static char text[1 << 16];
  size_t got = fread(text, 1, sizeof text - 1, f);
  fclose(f);
  text[got] = '\0';
  cJSON *o = cJSON_Parse(text);
  cJSON *c = o ? cJSON_GetObjectItem(o, "test_correct") : NULL;
  int64_t v = cJSON_IsNumber(c) ? (int64_t)c->valuedouble : -1;
  cJSON_Delete(o);
  return v;
}

/* The whole Fashion-MNIST test set on the cpu backend: the same count of correct points torch reported. */
static void test_full_test_accuracy(void) {
  gt_error err = {0};
  char onnx[512];
  fixture_path("onnx", onnx, sizeof onnx);
  int64_t expected = torch_correct();
  if (!GT_CHECK(expected >= 0, "no test_correct in %s.json", g_model)) return;
  gt_graph *g = NULL;
  gt_dataset *ds = NULL;
  gt_backend *be = NULL;
  gt_model *m = NULL;
  int64_t correct = -1;
  if (GT_CHECK(gt_graph_load_classifier(onnx, 0, NULL, NULL, &g, &err) == GT_OK, "%s", err.message) &&
      GT_CHECK(gt_dataset_load("fmnist:test", &ds, &err) == GT_OK, "%s", err.message) &&
      GT_CHECK(gt_backend_create("cpu", &be, &err) == GT_OK, "%s", err.message) &&
      GT_CHECK(gt_model_create(g, be, 500, &m, &err) == GT_OK, "%s", err.message) &&
      GT_CHECK(gt_eval_predict(m, ds, NULL, &correct, &err) == GT_OK, "%s", err.message)) {
    fprintf(stderr, "  %s: %lld of %lld correct; torch: %lld\n", g_model, (long long)correct, (long long)ds->n,
            (long long)expected);
    GT_CHECK(correct == expected, "gauntlet %lld correct vs torch %lld", (long long)correct, (long long)expected);
  }
  gt_model_free(m);
  gt_backend_free(be);
  gt_dataset_free(ds);
  gt_graph_free(g);
}

int main(void) {
  static const char *models[] = {"cnn", "resnet", "mlp", "opmix", "linear"};
  for (size_t i = 0; i < sizeof models / sizeof models[0]; i++) {
    g_model = models[i];
    char name[128], path[512];
    fixture_path("onnx", path, sizeof path);
    FILE *f = fopen(path, "rb");
    if (!f) {
      fprintf(stderr, "missing fixture %s\n", path);
      snprintf(name, sizeof name, "%s: fixture present", g_model);
      gt_test_run(name, test_reference_ref); /* fails: the loader names the missing file */
      continue;
    }
    fclose(f);
    snprintf(name, sizeof name, "%s: torch reference on ref", g_model);
    gt_test_run(name, test_reference_ref);
    snprintf(name, sizeof name, "%s: torch reference on cpu", g_model);
    gt_test_run(name, test_reference_cpu);
    snprintf(name, sizeof name, "%s: full test-set accuracy equals torch's", g_model);
    gt_test_run(name, test_full_test_accuracy);
  }
  return gt_test_finish();
}

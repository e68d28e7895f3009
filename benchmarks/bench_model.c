/* Throughput of whole models on a backend: forward, and forward + input-gradient backward of the
 * CE loss, at batch 1, 32 and 256, next to the GFLOP/s of one large cblas_sgemm measured in the
 * same run (the machine's practical matrix-multiply peak). Prints a Markdown table.
 *
 *   bench_model [--backend cpu] [--seconds S] [model.onnx ...]   (default: the test fixtures) */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gauntlet/backend.h"
#include "gauntlet/model.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* GFLOP/s of C = A B for square n x n float matrices, best of a few runs. */
static double sgemm_gflops(int n) {
  float *a = malloc((size_t)n * n * sizeof(float)), *b = malloc((size_t)n * n * sizeof(float));
  float *c = malloc((size_t)n * n * sizeof(float));
  for (long i = 0; i < (long)n * n; i++) {
    a[i] = (float)(i % 7) * 0.1f;
    b[i] = (float)(i % 5) * 0.2f;
  }
  double best = 0;
  for (int rep = 0; rep < 5; rep++) {
    double t0 = now();
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
    double rate = 2.0 * n * (double)n * n / (now() - t0) / 1e9;
    if (rate > best) best = rate;
  }
  free(a);
  free(b);
  free(c);
  return best;
}

typedef struct timing {
  double fwd_samples_per_s, fwd_gflops, fb_samples_per_s, fb_gflops;
} timing;

static int bench_one(gt_model *m, int64_t batch, double budget, double macs, timing *out) {
  gt_error err = {0};
  gt_backend *be = gt_model_backend(m);
  int64_t numel = gt_model_input_numel(m);
  size_t x_bytes = (size_t)(batch * numel) * sizeof(float);
  float *x = malloc(x_bytes);
  int32_t *y = malloc((size_t)batch * sizeof(int32_t));
  for (int64_t i = 0; i < batch * numel; i++) x[i] = (float)((i * 2654435761u) % 1000) / 1000.0f;
  for (int64_t i = 0; i < batch; i++) y[i] = (int32_t)(i % gt_model_num_classes(m));
  void *x_dev = NULL, *dx_dev = NULL, *y_dev = NULL;
  be->iface->buffer_alloc(be, x_bytes, &x_dev, &err);
  be->iface->buffer_alloc(be, x_bytes, &dx_dev, &err);
  be->iface->buffer_alloc(be, (size_t)batch * sizeof(int32_t), &y_dev, &err);
  be->iface->copy_to_device(be, x_dev, x, x_bytes, &err);
  be->iface->copy_to_device(be, y_dev, y, (size_t)batch * sizeof(int32_t), &err);
  int ok = 1;
  for (int mode = 0; mode < 2 && ok; mode++) {
    int64_t samples = 0;
    double t0 = now(), elapsed = 0;
    do {
      gt_status st = mode == 0 ? gt_model_forward(m, x_dev, batch, &err)
                               : gt_model_loss_grad(m, x_dev, batch, GT_LOSS_CE, y_dev, NULL, NULL, dx_dev, &err);
      be->iface->synchronize(be, &err);
      if (st != GT_OK) {
        fprintf(stderr, "bench_model: %s\n", err.message);
        ok = 0;
        break;
      }
      samples += batch;
      elapsed = now() - t0;
    } while (elapsed < budget);
    double rate = (double)samples / elapsed;
    /* forward: 2 FLOPs per multiply-add; the input-gradient backward costs about as much again */
    if (mode == 0) {
      out->fwd_samples_per_s = rate;
      out->fwd_gflops = rate * 2.0 * macs / 1e9;
    } else {
      out->fb_samples_per_s = rate;
      out->fb_gflops = rate * 4.0 * macs / 1e9;
    }
  }
  be->iface->buffer_free(be, x_dev);
  be->iface->buffer_free(be, dx_dev);
  be->iface->buffer_free(be, y_dev);
  free(x);
  free(y);
  return ok;
}

int main(int argc, char **argv) {
  const char *backend_name = "cpu";
  double budget = 1.0;
  const char *models[16];
  int n_models = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--backend") && i + 1 < argc) backend_name = argv[++i];
    else if (!strcmp(argv[i], "--seconds") && i + 1 < argc) budget = atof(argv[++i]);
    else if (n_models < 16) models[n_models++] = argv[i];
  }
  static char defaults[5][512];
  static const char *names[5] = {"cnn", "resnet", "mlp", "opmix", "linear"};
  if (n_models == 0)
    for (int i = 0; i < 5; i++) {
      snprintf(defaults[i], sizeof defaults[i], "%s/models/%s.onnx", GT_FIXTURES_DIR, names[i]);
      models[n_models++] = defaults[i];
    }
  double peak = sgemm_gflops(1024);
  printf("Large sgemm (1024^3, OpenBLAS): %.1f GFLOP/s\n\n", peak);
  printf("| model | MFLOP/sample (fwd) | batch | fwd samples/s | fwd GFLOP/s | fwd+bwd samples/s | fwd+bwd GFLOP/s | fwd+bwd %% of sgemm |\n");
  printf("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
  static const int64_t batches[3] = {1, 32, 256};
  for (int i = 0; i < n_models; i++) {
    gt_error err = {0};
    gt_graph *g = NULL;
    if (gt_graph_load_classifier(models[i], 0, NULL, NULL, &g, &err) != GT_OK) {
      fprintf(stderr, "bench_model: %s\n", err.message);
      return 1;
    }
    double macs = (double)gt_graph_macs_per_sample(g);
    const char *base = strrchr(models[i], '/') ? strrchr(models[i], '/') + 1 : models[i];
    for (int b = 0; b < 3; b++) {
      gt_backend *be = NULL;
      gt_model *m = NULL;
      if (gt_backend_create(backend_name, &be, &err) != GT_OK || gt_model_create(g, be, batches[b], &m, &err) != GT_OK) {
        fprintf(stderr, "bench_model: %s\n", err.message);
        return 1;
      }
      timing t = {0};
      if (!bench_one(m, batches[b], budget, macs, &t)) return 1;
      printf("| %s | %.2f | %lld | %.0f | %.2f | %.0f | %.2f | %.0f%% |\n", base, 2.0 * macs / 1e6,
             (long long)batches[b], t.fwd_samples_per_s, t.fwd_gflops, t.fb_samples_per_s, t.fb_gflops,
             100.0 * t.fb_gflops / peak);
      fflush(stdout);
      gt_model_free(m);
      gt_backend_free(be);
    }
    gt_graph_free(g);
  }
  return 0;
}

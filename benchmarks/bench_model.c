/* Throughput of whole models on a backend: forward, and forward + input-gradient backward of the
 * CE loss, at batch 1, 32 and 256, next to the GFLOP/s of one large cblas_sgemm measured in the
 * same run (the machine's practical matrix-multiply peak) with as many BLAS threads as the backend
 * has threads. The machine may be shared: every row is measured in several rounds, each round
 * timing the sgemm right before the model, and the table gives medians (the % of sgemm column is
 * the median of the per-round ratios). Prints Markdown table rows ready to paste.
 *
 *   bench_model [--backend cpu] [--threads T] [--seconds S] [--rounds R] [--batch B ...] [--cpu-time]
 *               [model.onnx ...]
 *   defaults: cpu, all cores, 0.5 s per measurement, 5 rounds, batches 1 32 256, the test fixtures */
#include <cblas.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gauntlet/backend.h"
#include "gauntlet/model.h"

/* --cpu-time: the process's CPU time instead of wall time. On a shared machine a 1-thread run
 * then leaves out the time other processes held the core (with more threads it also counts
 * spinning, so use it with --threads 1). */
static int g_cpu_time;

static double now(void) {
  struct timespec ts;
  clock_gettime(g_cpu_time ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* GFLOP/s of C = A B for square n x n float matrices on `threads` BLAS threads, best of 3. The
 * cpu backend runs BLAS on one thread inside its OpenMP threads, so that setting is restored. */
static double sgemm_gflops(int n, int threads) {
  float *a = malloc((size_t)n * n * sizeof(float)), *b = malloc((size_t)n * n * sizeof(float));
  float *c = malloc((size_t)n * n * sizeof(float));
  if (!a || !b || !c) {
    fprintf(stderr, "bench_model: out of memory\n");
    exit(1);
  }
  for (long i = 0; i < (long)n * n; i++) {
    a[i] = (float)(i % 7) * 0.1f;
    b[i] = (float)(i % 5) * 0.2f;
  }
  openblas_set_num_threads(threads);
  double best = 0;
  for (int rep = 0; rep < 3; rep++) {
    double t0 = now();
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
    double rate = 2.0 * n * (double)n * n / (now() - t0) / 1e9;
    if (rate > best) best = rate;
  }
  openblas_set_num_threads(1);
  free(a);
  free(b);
  free(c);
  return best;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
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
  /* Warm-up: the first backward reserves the gradient buffers, first touches fault pages in. */
  int ok = gt_model_loss_grad(m, x_dev, batch, GT_LOSS_CE, y_dev, NULL, NULL, dx_dev, &err) == GT_OK;
  if (!ok) fprintf(stderr, "bench_model: %s\n", err.message);
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

#define MAX_ROUNDS 32

int main(int argc, char **argv) {
  const char *backend_name = "cpu";
  double budget = 0.5;
  int rounds = 5, threads = 0, n_batches = 0;
  int64_t batches[8];
  const char *models[16];
  int n_models = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--backend") && i + 1 < argc) backend_name = argv[++i];
    else if (!strcmp(argv[i], "--seconds") && i + 1 < argc) budget = atof(argv[++i]);
    else if (!strcmp(argv[i], "--rounds") && i + 1 < argc) rounds = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--cpu-time")) g_cpu_time = 1;
    else if (!strcmp(argv[i], "--batch") && i + 1 < argc && n_batches < 8) batches[n_batches++] = atoll(argv[++i]);
    else if (argv[i][0] == '-') {
      fprintf(stderr, "usage: bench_model [--backend cpu] [--threads T] [--seconds S] [--rounds R] [--batch B ...] "
                      "[--cpu-time] [model.onnx ...]\n");
      return 2;
    } else if (n_models < 16) models[n_models++] = argv[i];
  }
  if (rounds < 1 || rounds > MAX_ROUNDS) rounds = rounds < 1 ? 1 : MAX_ROUNDS;
  if (threads <= 0) threads = omp_get_max_threads();
  if (n_batches == 0) {
    static const int64_t defaults[3] = {1, 32, 256};
    for (n_batches = 0; n_batches < 3; n_batches++) batches[n_batches] = defaults[n_batches];
  }
  static char defaults[5][512];
  static const char *names[5] = {"cnn", "resnet", "mlp", "opmix", "linear"};
  if (n_models == 0)
    for (int i = 0; i < 5; i++) {
      snprintf(defaults[i], sizeof defaults[i], "%s/models/%s.onnx", GT_FIXTURES_DIR, names[i]);
      models[n_models++] = defaults[i];
    }
  printf("bench_model: backend %s, %d threads, %d rounds of %.2f s per measurement, medians, %s time; %s\n\n",
         backend_name, threads, rounds, budget, g_cpu_time ? "process CPU" : "wall", openblas_get_config());
  printf("| model | MFLOP/sample (fwd) | batch | fwd samples/s | fwd GFLOP/s | fwd+bwd samples/s | fwd+bwd GFLOP/s | "
         "sgemm GFLOP/s (%d thr) | fwd+bwd %% of sgemm |\n", threads);
  printf("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
  for (int i = 0; i < n_models; i++) {
    gt_error err = {0};
    gt_graph *g = NULL;
    if (gt_graph_load_classifier(models[i], 0, NULL, NULL, &g, &err) != GT_OK) {
      fprintf(stderr, "bench_model: %s\n", err.message);
      return 1;
    }
    double macs = (double)gt_graph_macs_per_sample(g);
    const char *base = strrchr(models[i], '/') ? strrchr(models[i], '/') + 1 : models[i];
    for (int b = 0; b < n_batches; b++) {
      gt_backend *be = NULL;
      gt_model *m = NULL;
      gt_status st = !strcmp(backend_name, "cpu") ? gt_backend_cpu_create(&be, threads, &err)
                                                  : gt_backend_create(backend_name, &be, &err);
      if (st != GT_OK || gt_model_create(g, be, batches[b], &m, &err) != GT_OK) {
        fprintf(stderr, "bench_model: %s\n", err.message);
        return 1;
      }
      double fwd[MAX_ROUNDS], fb[MAX_ROUNDS], peak[MAX_ROUNDS], ratio[MAX_ROUNDS];
      for (int r = 0; r < rounds; r++) {
        timing t = {0};
        peak[r] = sgemm_gflops(1024, threads);
        if (!bench_one(m, batches[b], budget, macs, &t)) return 1;
        fwd[r] = t.fwd_samples_per_s;
        fb[r] = t.fb_samples_per_s;
        ratio[r] = t.fb_gflops / peak[r];
      }
      double fwd_rate = median(fwd, rounds), fb_rate = median(fb, rounds);
      printf("| %s | %.2f | %lld | %.0f | %.2f | %.0f | %.2f | %.1f | %.0f%% |\n", base, 2.0 * macs / 1e6,
             (long long)batches[b], fwd_rate, fwd_rate * 2.0 * macs / 1e9, fb_rate, fb_rate * 4.0 * macs / 1e9,
             median(peak, rounds), 100.0 * median(ratio, rounds));
      fflush(stdout);
      gt_model_free(m);
      gt_backend_free(be);
    }
    gt_graph_free(g);
  }
  printf("\nFLOPs: 2 per multiply-add of the forward; fwd+bwd counts the input-gradient backward as much again.\n");
  return 0;
}

/* Test helper: a classifier on a backend with the points to attack (see attack_bench.h). */
#include "support/attack_bench.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "gauntlet/cuda.h"
#include "gt_test.h"

gt_backend *gt_bench_backend(const char *name, int threads) {
  gt_error err = {0};
  gt_backend *be = NULL;
  gt_status st;
  if (!strcmp(name, "cpu")) st = gt_backend_cpu_create(&be, threads, &err);
  else if (!strcmp(name, "cuda-emu")) st = gt_backend_cuda_emu_create(&be, &err);
  else st = gt_backend_create(name, &be, &err);
  GT_CHECK(st == GT_OK, "%s backend: %s", name, err.message);
  return st == GT_OK ? be : NULL;
}

static int load_data(gt_bench *b, const gt_bench_spec *spec) {
  gt_error err = {0};
  if (gt_dataset_load("fmnist:test", &b->ds, &err) != GT_OK) {
    if (spec->skip_without_data) gt_test_skip("Fashion-MNIST not available: %s", err.message);
    else GT_CHECK(0, "Fashion-MNIST: %s", err.message);
    return 0;
  }
  return GT_CHECK(gt_dataset_take_first(b->ds, spec->n, &err) == GT_OK, "%s", err.message);
}

int gt_bench_open(gt_bench *b, const gt_bench_spec *spec) {
  gt_error err = {0};
  char path[512];
  memset(b, 0, sizeof *b);
  if (spec->n > 0 && !load_data(b, spec)) return 0;
  if (spec->model) snprintf(path, sizeof path, "%s/models/%s.onnx", GT_FIXTURES_DIR, spec->model);
  else snprintf(path, sizeof path, "%s", spec->path ? spec->path : "");
  if (!GT_CHECK(gt_graph_load_classifier(path, 0, NULL, NULL, &b->g, &err) == GT_OK, "%s: %s", path, err.message))
    return 0;
  b->be = gt_bench_backend(spec->backend, spec->threads);
  if (!b->be) return 0;
  if (!GT_CHECK(gt_model_create(b->g, b->be, spec->max_batch, &b->m, &err) == GT_OK, "%s", err.message)) return 0;
  b->d = gt_model_input_numel(b->m);
  return 1;
}

void gt_bench_close(gt_bench *b) {
  gt_model_free(b->m);
  gt_backend_free(b->be);
  gt_graph_free(b->g);
  gt_dataset_free(b->ds);
  memset(b, 0, sizeof *b);
}

gt_attack_points gt_bench_points(const gt_bench *b) {
  gt_attack_points p = {.n = b->ds->n, .x = b->ds->images, .labels = b->ds->labels};
  return p;
}

int gt_bench_run(gt_bench *b, const char *attack, const gt_attack_config *cfg, float *x_adv, gt_attack_result *res) {
  gt_error err = {0};
  memset(res, 0, sizeof *res);
  return GT_CHECK(gt_attack_run_dataset(attack, cfg, b->m, b->ds, x_adv, res, &err) == GT_OK, "%s: %s", attack,
                  err.message);
}

double gt_bench_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

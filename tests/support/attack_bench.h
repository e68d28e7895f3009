/* Test helper: a classifier on a backend with the points to attack, for the tests that run
 * attacks on the committed torch fixtures (tests/fixtures/models/<name>.onnx) and the first n
 * Fashion-MNIST test points, or on an ONNX file a test wrote.
 *
 *   gt_bench b;
 *   if (gt_bench_open(&b, &(gt_bench_spec){.model = "cnn", .backend = "cpu", .threads = 1,
 *                                          .max_batch = 64, .n = 24, .skip_without_data = 1}))
 *     ... gt_bench_run(&b, "pgd", &cfg, x_adv, &res) ... compare res with the test's own bounds
 *   gt_bench_close(&b);
 *
 * Every step is a check of the running case (gt_test.h): a failure is recorded with its message. */
#ifndef GAUNTLET_TEST_ATTACK_BENCH_H
#define GAUNTLET_TEST_ATTACK_BENCH_H

#include <stdint.h>

#include "gauntlet/attack.h"
#include "gauntlet/backend.h"
#include "gauntlet/data.h"
#include "gauntlet/model.h"

typedef struct gt_bench_spec {
  const char *model;     /* a committed fixture by name ("cnn", "mlp"), or NULL and path */
  const char *path;      /* an ONNX classifier file, when model is NULL */
  const char *backend;   /* "ref", "cpu" or "cuda-emu" */
  int threads;           /* cpu: its thread count; 0: the backend's default */
  int64_t max_batch;     /* the model's largest batch */
  int64_t n;             /* the first n Fashion-MNIST test points; 0: no data set */
  int skip_without_data; /* 1: a data set that cannot be loaded skips the case instead of failing it */
} gt_bench_spec;

typedef struct gt_bench {
  gt_graph *g;
  gt_backend *be;
  gt_model *m;
  gt_dataset *ds; /* NULL when opened with n = 0 */
  int64_t d;      /* input elements per point (c * h * w) */
} gt_bench;

/* Loads the data set (first, so that a missing one skips before any other work), the classifier,
 * the backend and the model. Returns 1 when all are ready, 0 after a failed check or a skip; call
 * gt_bench_close in both cases. */
int gt_bench_open(gt_bench *b, const gt_bench_spec *spec);
void gt_bench_close(gt_bench *b);

/* A backend by name as in gt_bench_spec, or NULL after a failed check. */
gt_backend *gt_bench_backend(const char *name, int threads);

/* The loaded points as attack input: no ids (their dataset indices), no targets. */
gt_attack_points gt_bench_points(const gt_bench *b);

/* Runs attack on the loaded points; 1 when it ran, 0 after a failed check ("<attack>: <error>"). */
int gt_bench_run(gt_bench *b, const char *attack, const gt_attack_config *cfg, float *x_adv, gt_attack_result *res);

/* A monotonic clock in seconds, for the times the tests print. */
double gt_bench_seconds(void);

#endif

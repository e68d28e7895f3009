/* The models a benchmark runs when none are named on its command line: the test fixtures cnn,
 * resnet and mlp (tests/fixtures/models), shared by bench_attacks and bench_gpu. */
#ifndef GAUNTLET_BENCH_MODELS_H
#define GAUNTLET_BENCH_MODELS_H

#include <stdio.h>

#define BENCH_DEFAULT_MODELS 3

/* Appends the fixture paths to models[] when *n_models is 0; models needs room for 3. */
static inline void bench_default_models(const char **models, int *n_models) {
  static char paths[BENCH_DEFAULT_MODELS][512];
  static const char *names[BENCH_DEFAULT_MODELS] = {"cnn", "resnet", "mlp"};
  if (*n_models != 0) return;
  for (int i = 0; i < BENCH_DEFAULT_MODELS; i++) {
    snprintf(paths[i], sizeof paths[i], "%s/models/%s.onnx", GT_FIXTURES_DIR, names[i]);
    models[(*n_models)++] = paths[i];
  }
}

#endif

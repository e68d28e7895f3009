/* Attack throughput on the cpu backend: PGD-40 and APGD-CE-100 at batch 256 on the reference
 * models, in sample-steps per second (one gradient step of one point), and the share of time spent
 * outside the model's forward and backward passes (the attack's own vector work, compaction,
 * bookkeeping), from the model's own clock of time inside its passes (gt_model_pass_counts).
 * A small eps keeps most points robust, so batches stay near full and every step is counted.
 *
 * Prints Markdown table rows ready to paste: with --rounds R, the medians over R runs of each attack.
 * --cpu-time measures the process's CPU time (all threads) instead of wall time, both for the whole
 * run and inside the model's passes: on a shared machine it leaves out the time other processes
 * held the cores.
 *
 *   bench_attacks [--n N] [--eps E] [--threads T] [--rounds R] [--cpu-time] [model.onnx ...]
 *   defaults: 256 points, eps 0.01, all cores, 1 round, wall time, the cnn, resnet and mlp fixtures */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gauntlet/attack.h"
#include "gauntlet/data.h"
#include "gauntlet/model.h"
#include "bench_models.h"

static double now(int cpu_time) {
  struct timespec ts;
  clock_gettime(cpu_time ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double model_seconds(const gt_model *m, int cpu_time) {
  gt_pass_counts c = gt_model_pass_counts(m);
  return cpu_time ? c.cpu_seconds : c.seconds;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

#define MAX_ROUNDS 99

int main(int argc, char **argv) {
  int64_t n = 256;
  float eps = 0.01f;
  int threads = 0, rounds = 1, cpu_time = 0, usage = 0;
  const char *models[16];
  int n_models = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--n") && i + 1 < argc) n = atoll(argv[++i]);
    else if (!strcmp(argv[i], "--eps") && i + 1 < argc) eps = (float)atof(argv[++i]);
    else if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--rounds") && i + 1 < argc) rounds = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--cpu-time")) cpu_time = 1;
    else if (argv[i][0] == '-') usage = 1;
    else if (n_models < 16) models[n_models++] = argv[i];
  }
  if (usage || rounds < 1 || rounds > MAX_ROUNDS) {
    fprintf(stderr, "usage: bench_attacks [--n N] [--eps E] [--threads T] [--rounds R (1..%d)] [--cpu-time] "
                    "[model.onnx ...]\n", MAX_ROUNDS);
    return 2;
  }
  bench_default_models(models, &n_models);
  gt_error err = {0};
  gt_dataset *ds = NULL;
  if (gt_dataset_load("fmnist:test", &ds, &err) != GT_OK || gt_dataset_take_first(ds, n, &err) != GT_OK) {
    fprintf(stderr, "bench_attacks: %s\n", err.message);
    return 1;
  }
  if (threads <= 0) threads = omp_get_max_threads();
  printf("bench_attacks: cpu backend, %d threads, batch %lld, %s, median of %d rounds\n\n", threads, (long long)n,
         cpu_time ? "process CPU time" : "wall time", rounds);
  printf("| model | attack | points | eps | seconds | sample-steps/s | fwd/bwd passes | time outside model passes |\n");
  printf("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
  for (int i = 0; i < n_models; i++) {
    gt_graph *g = NULL;
    gt_backend *be = NULL;
    gt_model *m = NULL;
    if (gt_graph_load_classifier(models[i], 0, NULL, NULL, &g, &err) != GT_OK ||
        gt_backend_cpu_create(&be, threads, &err) != GT_OK || gt_model_create(g, be, n, &m, &err) != GT_OK) {
      fprintf(stderr, "bench_attacks: %s\n", err.message);
      return 1;
    }
    static const char *attacks[2] = {"pgd", "apgd-ce"};
    static const int steps[2] = {40, 100};
    for (int a = 0; a < 2; a++) {
      gt_attack_config cfg;
      gt_attack_config_init(&cfg);
      cfg.eps = eps;
      cfg.steps = steps[a];
      cfg.batch = n;
      gt_attack_result res;
      memset(&res, 0, sizeof res);
      double secs[MAX_ROUNDS], share[MAX_ROUNDS];
      for (int r = 0; r < rounds; r++) {
        gt_attack_result_free(&res);
        double t0 = now(cpu_time), model0 = model_seconds(m, cpu_time);
        if (gt_attack_run_dataset(attacks[a], &cfg, m, ds, NULL, &res, &err) != GT_OK) {
          fprintf(stderr, "bench_attacks: %s\n", err.message);
          return 1;
        }
        secs[r] = now(cpu_time) - t0;
        share[r] = 1.0 - (model_seconds(m, cpu_time) - model0) / secs[r];
      }
      double seconds = median(secs, rounds);
      const char *base = strrchr(models[i], '/') ? strrchr(models[i], '/') + 1 : models[i];
      printf("| %s | %s-%d | %lld | %g | %.2f | %.0f | %lld / %lld | %.1f%% |\n", base, attacks[a], steps[a],
             (long long)n, (double)eps, seconds, (double)res.total.backward / seconds, (long long)res.total.forward,
             (long long)res.total.backward, 100.0 * median(share, rounds));
      fflush(stdout);
      gt_attack_result_free(&res);
    }
    gt_model_free(m);
    gt_backend_free(be);
    gt_graph_free(g);
  }
  gt_dataset_free(ds);
  return 0;
}

/* Strength relations on the committed torch models (Carlini et al.'s sanity checks), and how far
 * attack results agree across backends and thread counts:
 *  - per sample, PGD breaks the points FGSM breaks (exceptions reported, at most 1% of points);
 *  - robust accuracy does not increase with eps;
 *  - cpu gives the same bytes with 1 and 2 threads; cpu and ref agree on success per point up to
 *    floating-point effects (disagreements counted and reported, at most 2%). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gauntlet/attack.h"
#include "gauntlet/backend.h"
#include "gauntlet/data.h"
#include "gauntlet/model.h"
#include "gt_test.h"
#include "support/attack_bench.h"

/* A committed model on a backend (cpu: threads, 0 = its default) with the first n test points. */
static int bench_open(gt_bench *b, const char *model, const char *backend, int threads, int64_t n) {
  return gt_bench_open(b, &(gt_bench_spec){.model = model, .backend = backend, .threads = threads, .max_batch = 64,
                                           .n = n});
}

static int run(gt_bench *b, const char *attack, float eps, int steps, float *x_adv, gt_attack_result *res) {
  gt_attack_config cfg;
  gt_attack_config_init(&cfg);
  cfg.eps = eps;
  cfg.steps = steps;
  cfg.seed = 5;
  return gt_bench_run(b, attack, &cfg, x_adv, res);
}

static void iterative_beats_single_step(const char *model) {
  gt_bench b;
  if (bench_open(&b, model, "cpu", 0, 200)) {
    gt_attack_result fgsm, pgd;
    if (run(&b, "fgsm", 0.05f, 0, NULL, &fgsm) && run(&b, "pgd", 0.05f, 20, NULL, &pgd)) {
      int64_t exceptions = 0;
      for (int64_t i = 0; i < b.ds->n; i++)
        if (fgsm.success[i] && !pgd.success[i]) {
          exceptions++;
          fprintf(stderr, "  %s: point %lld broken by FGSM, not by PGD-20\n", model, (long long)i);
        }
      fprintf(stderr, "  %s Linf 0.05, 200 points: robust FGSM %lld, PGD-20 %lld, exceptions %lld\n", model,
              (long long)fgsm.n_robust, (long long)pgd.n_robust, (long long)exceptions);
      GT_CHECK(pgd.n_robust <= fgsm.n_robust, "PGD robust %lld > FGSM robust %lld", (long long)pgd.n_robust,
               (long long)fgsm.n_robust);
      GT_CHECK(exceptions * 100 <= b.ds->n, "%lld points broken by FGSM but not PGD", (long long)exceptions);
    }
    gt_attack_result_free(&fgsm);
    gt_attack_result_free(&pgd);
  }
  gt_bench_close(&b);
}

static void test_iterative_cnn(void) { iterative_beats_single_step("cnn"); }
static void test_iterative_mlp(void) { iterative_beats_single_step("mlp"); }

static void test_monotone_in_eps(void) {
  gt_bench b;
  if (bench_open(&b, "cnn", "cpu", 0, 120)) {
    static const float eps[] = {0.0f, 0.01f, 0.02f, 0.05f, 0.1f, 0.3f};
    int64_t prev = -1;
    for (size_t e = 0; e < sizeof eps / sizeof eps[0]; e++) {
      gt_attack_result r;
      if (!run(&b, "apgd-ce", eps[e], 20, NULL, &r)) break;
      fprintf(stderr, "  cnn apgd-ce-20 eps %.2f: robust %lld of %lld\n", (double)eps[e], (long long)r.n_robust,
              (long long)r.n);
      if (e == 0) GT_CHECK(r.n_robust == r.n_clean_correct, "eps 0 broke %lld points", (long long)(r.n_clean_correct - r.n_robust));
      if (prev >= 0) GT_CHECK(r.n_robust <= prev, "robust %lld at eps %g > %lld at the smaller eps", (long long)r.n_robust, (double)eps[e], (long long)prev);
      if (e + 1 == sizeof eps / sizeof eps[0]) GT_CHECK(r.n_robust == 0, "eps 0.3 leaves %lld robust on a standard model", (long long)r.n_robust);
      prev = r.n_robust;
      gt_attack_result_free(&r);
    }
  }
  gt_bench_close(&b);
}

static void test_thread_counts(void) {
  gt_bench one, two;
  int ok = bench_open(&one, "cnn", "cpu", 1, 64);
  ok = bench_open(&two, "cnn", "cpu", 2, 64) && ok;
  if (ok) {
    int64_t d = gt_model_input_numel(one.m);
    float *a = malloc((size_t)(64 * d) * sizeof(float)), *c = malloc((size_t)(64 * d) * sizeof(float));
    gt_attack_result ra, rc;
    if (run(&one, "pgd", 0.03f, 10, a, &ra) && run(&two, "pgd", 0.03f, 10, c, &rc)) {
      GT_CHECK(!memcmp(a, c, (size_t)(64 * d) * sizeof(float)), "x_adv differs between 1 and 2 threads");
      GT_CHECK(!memcmp(ra.success, rc.success, 64 * sizeof(int32_t)), "success differs between 1 and 2 threads");
    }
    gt_attack_result_free(&ra);
    gt_attack_result_free(&rc);
    free(a);
    free(c);
  }
  gt_bench_close(&one);
  gt_bench_close(&two);
}

/* ref and cpu round differently (BLAS sums in another order), so iterates drift apart by float
 * effects; the per-point verdicts must still agree almost everywhere. */
static void test_backends_agree(void) {
  gt_bench r, c;
  int ok = bench_open(&r, "mlp", "ref", 0, 100);
  ok = bench_open(&c, "mlp", "cpu", 0, 100) && ok;
  if (ok) {
    int64_t d = gt_model_input_numel(r.m);
    float *xr = malloc((size_t)(100 * d) * sizeof(float)), *xc = malloc((size_t)(100 * d) * sizeof(float));
    gt_attack_result rr, rc;
    if (run(&r, "pgd", 0.03f, 10, xr, &rr) && run(&c, "pgd", 0.03f, 10, xc, &rc)) {
      int64_t disagree = 0;
      double max_diff = 0;
      for (int64_t i = 0; i < 100; i++) {
        disagree += rr.success[i] != rc.success[i];
        if (rr.success[i] && rc.success[i])
          for (int64_t j = 0; j < d; j++) max_diff = fmax(max_diff, fabs((double)xr[i * d + j] - xc[i * d + j]));
      }
      fprintf(stderr, "  mlp pgd-10 Linf 0.03, 100 points: ref robust %lld, cpu robust %lld, verdicts differ on %lld, "
              "max |x_adv ref - cpu| on points both broke %.3g\n",
              (long long)rr.n_robust, (long long)rc.n_robust, (long long)disagree, max_diff);
      GT_CHECK(disagree <= 2, "ref and cpu disagree on %lld of 100 points", (long long)disagree);
      GT_CHECK(rr.n_clean_correct == rc.n_clean_correct, "clean accuracy differs");
    }
    gt_attack_result_free(&rr);
    gt_attack_result_free(&rc);
    free(xr);
    free(xc);
  }
  gt_bench_close(&r);
  gt_bench_close(&c);
}

int main(void) {
  gt_test_run("cnn: PGD breaks what FGSM breaks", test_iterative_cnn);
  gt_test_run("mlp: PGD breaks what FGSM breaks", test_iterative_mlp);
  gt_test_run("robust accuracy non-increasing in eps, 0 at eps 0.3", test_monotone_in_eps);
  gt_test_run("cpu: same bytes with 1 and 2 threads", test_thread_counts);
  gt_test_run("ref and cpu agree per point", test_backends_agree);
  return gt_test_finish();
}

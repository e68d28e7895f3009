/* End to end on the emulated CUDA backend: attacks on the torch fixture models (mlp, cnn) run on
 * `cuda-emu` and on `cpu` with the same seed, and must reach the same verdicts: the same clean
 * predictions, the same robust accuracy and the same success per point.
 *
 * Tolerance, and why. The two backends compute the same math in a different order (cuBLAS-shaped
 * sgemm calls and per-sample device reductions against OpenBLAS row blocks and OpenMP loops), so
 * iterates may differ in the last bits, and a point whose final logits sit on the decision
 * boundary may fall either way. A disagreement on a point is accepted only as such a tie: the
 * x_adv of the backend that broke the point, evaluated on BOTH backends, has a margin
 * |z_label - max_{k != label} z_k| below GT_TIE_MARGIN (1e-3, about 1e3 float ulps of logits of
 * size ~10: far above rounding differences, far below the margins of decided points). Robust
 * counts may then differ by at most the number of accepted ties; every other difference fails.
 * The maximum |x_adv cpu - x_adv cuda-emu| over points both broke is printed for information (0 on
 * the project machine, 2026-11-24: both backends end in the same OpenBLAS kernels there; the tie
 * rule is for other BLAS builds and for `test_backend_ops -b cuda`-style runs on a device).
 * The cpu backend runs on 1 thread: its results do not depend on the thread count
 * (test_attacks_strength checks that), and OpenMP threads spin badly on a loaded CI machine. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gauntlet/attack.h"
#include "gauntlet/backend.h"
#include "gauntlet/data.h"
#include "gauntlet/ensemble.h"
#include "gauntlet/model.h"
#include "gt_test.h"
#include "support/attack_bench.h"

#define GT_TIE_MARGIN 1e-3

/* One fixture model with its points on cpu (1 thread) and on cuda-emu. */
typedef struct pair {
  const char *model;
  gt_bench cpu, emu;
  const gt_dataset *ds; /* the cpu side's; the emu side loads the same points */
  int64_t d;
} pair;

static int pair_open(pair *p, const char *model, int64_t n) {
  memset(p, 0, sizeof *p);
  p->model = model;
  gt_bench_spec spec = {.model = model, .backend = "cpu", .threads = 1, .max_batch = 32, .n = n};
  if (!gt_bench_open(&p->cpu, &spec)) return 0;
  spec.backend = "cuda-emu";
  if (!gt_bench_open(&p->emu, &spec)) return 0;
  p->ds = p->cpu.ds;
  p->d = p->cpu.d;
  return 1;
}

static void pair_close(pair *p) {
  gt_bench_close(&p->cpu);
  gt_bench_close(&p->emu);
}

/* |z_label - max other| of one point on one backend, or -1 on failure. */
static double margin_on(gt_bench *s, const float *x, int32_t label, int64_t d) {
  gt_error err = {0};
  gt_backend *be = s->be;
  int k = gt_model_num_classes(s->m);
  void *x_dev = NULL;
  float z[64];
  double margin = -1.0;
  if (k > 64 || be->iface->buffer_alloc(be, (size_t)d * sizeof(float), &x_dev, &err) != GT_OK) return -1.0;
  if (be->iface->copy_to_device(be, x_dev, x, (size_t)d * sizeof(float), &err) == GT_OK &&
      gt_model_forward(s->m, x_dev, 1, &err) == GT_OK &&
      be->iface->copy_to_host(be, z, gt_model_logits(s->m), (size_t)k * sizeof(float), &err) == GT_OK) {
    double other = -INFINITY;
    for (int c = 0; c < k; c++)
      if (c != label && z[c] > other) other = z[c];
    margin = fabs((double)z[label] - other);
  }
  be->iface->buffer_free(be, x_dev);
  return margin;
}

/* The comparison the header describes, for one attack's results on both backends. */
static void compare(pair *p, const char *what, const gt_attack_result *rc, const gt_attack_result *re,
                    const float *xc, const float *xe) {
  int64_t n = p->ds->n, ties = 0, bad = 0;
  double max_diff = 0.0;
  GT_CHECK(rc->n_clean_correct == re->n_clean_correct, "%s %s: clean correct cpu %lld, cuda-emu %lld", p->model,
           what, (long long)rc->n_clean_correct, (long long)re->n_clean_correct);
  GT_CHECK(!memcmp(rc->clean_pred, re->clean_pred, (size_t)n * sizeof(int32_t)), "%s %s: clean predictions differ",
           p->model, what);
  for (int64_t i = 0; i < n; i++) {
    if (rc->success[i] == re->success[i]) {
      if (rc->success[i])
        for (int64_t j = 0; j < p->d; j++) max_diff = fmax(max_diff, fabs((double)xc[i * p->d + j] - xe[i * p->d + j]));
      continue;
    }
    const float *x = rc->success[i] ? xc + i * p->d : xe + i * p->d;
    double m_cpu = margin_on(&p->cpu, x, p->ds->labels[i], p->d);
    double m_emu = margin_on(&p->emu, x, p->ds->labels[i], p->d);
    int tie = m_cpu >= 0 && m_emu >= 0 && m_cpu < GT_TIE_MARGIN && m_emu < GT_TIE_MARGIN;
    fprintf(stderr, "  %s %s: point %lld broken on %s only; margins of its x_adv: cpu %.3g, cuda-emu %.3g (%s)\n",
            p->model, what, (long long)i, rc->success[i] ? "cpu" : "cuda-emu", m_cpu, m_emu,
            tie ? "a tie" : "NOT a tie");
    ties += tie;
    bad += !tie;
  }
  fprintf(stderr, "  %s %s, %lld points: robust cpu %lld, cuda-emu %lld; ties %lld; max |x_adv diff| %.3g\n", p->model,
          what, (long long)n, (long long)rc->n_robust, (long long)re->n_robust, (long long)ties, max_diff);
  GT_CHECK(bad == 0, "%s %s: %lld points differ beyond floating-point ties", p->model, what, (long long)bad);
  GT_CHECK(llabs((long long)(rc->n_robust - re->n_robust)) <= ties, "%s %s: robust cpu %lld vs cuda-emu %lld",
           p->model, what, (long long)rc->n_robust, (long long)re->n_robust);
  GT_CHECK(rc->n_robust <= rc->n_clean_correct && rc->n_unconfirmed == 0 && re->n_unconfirmed == 0 &&
               rc->n_nonfinite == 0 && re->n_nonfinite == 0 && rc->n_over_eps == 0 && re->n_over_eps == 0,
           "%s %s: unconfirmed, non-finite or over-eps points", p->model, what);
}

typedef struct attack_case {
  const char *attack;
  gt_norm norm;
  float eps;
  int steps;
} attack_case;

static void attack_both(pair *p, const attack_case *a) {
  gt_attack_config cfg;
  gt_attack_config_init(&cfg);
  cfg.norm = a->norm;
  cfg.eps = a->eps;
  cfg.steps = a->steps;
  cfg.seed = 7;
  int64_t n = p->ds->n;
  float *xc = malloc((size_t)(n * p->d) * sizeof(float)), *xe = malloc((size_t)(n * p->d) * sizeof(float));
  gt_attack_result rc, re;
  memset(&rc, 0, sizeof rc);
  memset(&re, 0, sizeof re);
  char what[96];
  snprintf(what, sizeof what, "%s %s eps %g", a->attack, gt_norm_name(a->norm), (double)a->eps);
  if (GT_CHECK(xc && xe, "out of memory") &&
      gt_bench_run(&p->cpu, a->attack, &cfg, xc, &rc) && gt_bench_run(&p->emu, a->attack, &cfg, xe, &re))
    compare(p, what, &rc, &re, xc, xe);
  gt_attack_result_free(&rc);
  gt_attack_result_free(&re);
  free(xc);
  free(xe);
}

static const attack_case g_attacks[] = {
    {"fgsm", GT_NORM_LINF, 0.08f, 0},    {"pgd", GT_NORM_LINF, 0.05f, 10}, {"pgd", GT_NORM_L2, 1.0f, 10},
    {"apgd-ce", GT_NORM_LINF, 0.05f, 10}, {"fab", GT_NORM_LINF, 0.05f, 10}, {"square", GT_NORM_LINF, 0.08f, 100},
};

static void attacks_on(const char *model, int64_t n) {
  pair p;
  if (pair_open(&p, model, n))
    for (size_t i = 0; i < sizeof g_attacks / sizeof g_attacks[0]; i++) attack_both(&p, &g_attacks[i]);
  pair_close(&p);
}

static void test_mlp(void) { attacks_on("mlp", 48); }
static void test_cnn(void) { attacks_on("cnn", 24); }

/* AutoAttack standard (APGD-CE, APGD-T, FAB-T, Square) on a few points, with fewer iterations per
 * member than the reference so that the emulated run stays short; the members' code paths are
 * the same. */
static void test_autoattack(void) {
  pair p;
  if (pair_open(&p, "cnn", 8)) {
    gt_error err = {0};
    gt_ensemble e;
    if (GT_CHECK(gt_autoattack_plan(GT_AA_STANDARD, GT_NORM_LINF, 0.05f, 3, &e, &err) == GT_OK, "%s", err.message)) {
      for (int i = 0; i < e.n_members; i++) {
        e.members[i].config.steps = strcmp(e.members[i].attack, "square") ? 5 : 50;
        if (e.members[i].config.targeted == GT_TARGET_TOP)
          e.members[i].config.n_target_ranks = 2;
      }
      gt_attack_points pts = gt_bench_points(&p.cpu);
      int64_t n = p.ds->n;
      float *xc = malloc((size_t)(n * p.d) * sizeof(float)), *xe = malloc((size_t)(n * p.d) * sizeof(float));
      gt_ensemble_result rc, re;
      memset(&rc, 0, sizeof rc);
      memset(&re, 0, sizeof re);
      if (GT_CHECK(xc && xe, "out of memory") &&
          GT_CHECK(gt_ensemble_run(&e, p.cpu.m, &pts, xc, &rc, &err) == GT_OK, "cpu: %s", err.message) &&
          GT_CHECK(gt_ensemble_run(&e, p.emu.m, &pts, xe, &re, &err) == GT_OK, "cuda-emu: %s", err.message)) {
        compare(&p, e.name, &rc.total, &re.total, xc, xe);
        for (int m = 0; m < rc.n_members && m < re.n_members; m++)
          GT_CHECK(rc.attacked[m] == re.attacked[m], "member %s attacked %lld points on cpu, %lld on cuda-emu",
                   rc.member[m], (long long)rc.attacked[m], (long long)re.attacked[m]);
      }
      gt_ensemble_result_free(&rc);
      gt_ensemble_result_free(&re);
      free(xc);
      free(xe);
    }
  }
  pair_close(&p);
}

int main(void) {
  gt_test_run("mlp: attacks on cuda-emu match cpu", test_mlp);
  gt_test_run("cnn: attacks on cuda-emu match cpu", test_cnn);
  gt_test_run("cnn: autoattack on cuda-emu matches cpu", test_autoattack);
  return gt_test_finish();
}

/* The ensemble runner and the AutoAttack plans: reference order and settings per version and norm,
 * per-sample worst case (each member only on points still robust, counts adding up), at least as
 * strong as each member alone, and the same bytes for the same seed. */
#include <stdlib.h>
#include <string.h>

#include "gauntlet/data.h"
#include "gauntlet/ensemble.h"
#include "gauntlet/model.h"
#include "gt_test.h"
#include "support/attack_bench.h"

#define N_POINTS 48

static int has_attack(const char *name) { return gt_attack_find(name) != NULL; }

static void test_plans(void) {
  static const char *const needed[] = {"apgd-ce", "apgd-dlr", "apgd-t", "fab", "fab-t", "square"};
  for (size_t i = 0; i < sizeof needed / sizeof needed[0]; i++)
    if (!has_attack(needed[i])) {
      gt_test_skip("attack %s is not registered yet", needed[i]);
      return;
    }
  gt_error err = {0};
  gt_ensemble e;
  GT_CHECK(gt_autoattack_plan(GT_AA_STANDARD, GT_NORM_LINF, 8.0f / 255, 7, &e, &err) == GT_OK, "%s", err.message);
  static const char *const standard[] = {"apgd-ce", "apgd-t", "fab-t", "square"};
  GT_CHECK(e.n_members == 4, "standard Linf has %d members", e.n_members);
  for (int m = 0; m < e.n_members && m < 4; m++) {
    GT_CHECK(!strcmp(e.members[m].attack, standard[m]), "member %d is %s", m, e.members[m].attack);
    GT_CHECK(e.members[m].config.seed == 7 && e.members[m].config.eps == 8.0f / 255, "seed/eps of %s", standard[m]);
  }
  GT_CHECK(e.members[0].config.steps == 100 && e.members[0].config.restarts == 1, "APGD-CE 100 steps, 1 restart");
  GT_CHECK(e.members[1].config.targeted == GT_TARGET_TOP && e.members[1].config.n_target_ranks == 9 &&
               e.members[1].config.loss == GT_LOSS_DLR,
           "APGD-T: 9 target classes, DLR");
  GT_CHECK(e.members[2].config.targeted == GT_TARGET_TOP && e.members[2].config.n_target_ranks == 9, "FAB-T 9 targets");
  GT_CHECK(e.members[3].config.steps == 5000, "Square 5000 queries");

  GT_CHECK(gt_autoattack_plan(GT_AA_STANDARD, GT_NORM_L1, 12.0f, 0, &e, &err) == GT_OK, "%s", err.message);
  GT_CHECK(e.n_members >= 2 && !strcmp(e.members[0].attack, "apgd-ce") && e.members[0].config.restarts == 5 &&
               !strcmp(e.members[1].attack, "apgd-t") && e.members[1].config.n_target_ranks == 5,
           "standard L1: APGD-CE x5 then APGD-T with 5 targets");

  GT_CHECK(gt_autoattack_plan(GT_AA_PLUS, GT_NORM_L2, 0.5f, 0, &e, &err) == GT_OK, "%s", err.message);
  static const char *const plus[] = {"apgd-ce", "apgd-dlr", "fab", "square", "apgd-t", "fab-t"};
  GT_CHECK(e.n_members == 6, "plus has %d members", e.n_members);
  for (int m = 0; m < e.n_members && m < 6; m++)
    GT_CHECK(!strcmp(e.members[m].attack, plus[m]), "plus member %d is %s", m, e.members[m].attack);
  GT_CHECK(e.members[0].config.restarts == 5 && e.members[1].config.restarts == 5 && e.members[2].config.restarts == 5,
           "plus: 5 restarts for APGD-CE, APGD-DLR, FAB");

  GT_CHECK(gt_autoattack_plan(GT_AA_RAND, GT_NORM_LINF, 0.1f, 0, &e, &err) == GT_OK, "%s", err.message);
  GT_CHECK(e.n_members == 2 && e.members[0].config.eot == 20 && e.members[1].config.eot == 20 &&
               e.members[1].config.loss == GT_LOSS_DLR,
           "rand: APGD-CE and APGD-DLR with EOT 20");
  gt_autoattack_version v;
  GT_CHECK(gt_autoattack_version_parse("plus", &v, &err) == GT_OK && v == GT_AA_PLUS, "parse plus");
  GT_CHECK(gt_autoattack_version_parse("ultra", &v, &err) == GT_ERR_USAGE && strstr(err.message, "ultra"), "bad version");
}

/* The cnn fixture on cpu with the first N_POINTS test points. */
static int cnn_open(gt_bench *s) {
  return gt_bench_open(s, &(gt_bench_spec){.model = "cnn", .backend = "cpu", .max_batch = 32, .n = N_POINTS});
}

/* A small custom ensemble of the basic attacks, weak enough that members after the first still work. */
static void small_ensemble(gt_ensemble *e) {
  memset(e, 0, sizeof *e);
  snprintf(e->name, sizeof e->name, "test-ensemble");
  static const char *const names[] = {"fgsm", "mifgsm", "pgd"};
  for (int m = 0; m < 3; m++) {
    gt_attack_config_init(&e->members[m].config);
    e->members[m].attack = names[m];
    e->members[m].config.eps = 0.04f;
    e->members[m].config.seed = 11;
    e->members[m].config.batch = 32;
    e->members[m].config.steps = m == 0 ? 0 : 5;
  }
  e->n_members = 3;
}

static void test_worst_case(void) {
  gt_bench s;
  if (!cnn_open(&s)) {
    gt_bench_close(&s);
    return;
  }
  gt_error err = {0};
  gt_ensemble e;
  small_ensemble(&e);
  gt_attack_points pts = gt_bench_points(&s);
  int64_t d = gt_model_input_numel(s.m);
  float *adv1 = malloc((size_t)(N_POINTS * d) * sizeof(float)), *adv2 = malloc((size_t)(N_POINTS * d) * sizeof(float));
  gt_ensemble_result r1, r2;
  memset(&r1, 0, sizeof r1);
  memset(&r2, 0, sizeof r2);
  if (GT_CHECK(gt_ensemble_run(&e, s.m, &pts, adv1, &r1, &err) == GT_OK, "%s", err.message)) {
    int64_t prev = r1.total.n_clean_correct;
    gt_oracle_counts sum = {0, 0};
    for (int m = 0; m < r1.n_members; m++) {
      GT_CHECK(r1.robust_after[m] <= prev, "robust count rises after member %d", m);
      GT_CHECK(r1.attacked[m] == prev, "member %d attacked %lld points, %lld were robust", m,
               (long long)r1.attacked[m], (long long)prev);
      prev = r1.robust_after[m];
      sum.forward += r1.passes[m].forward;
      sum.backward += r1.passes[m].backward;
    }
    GT_CHECK(r1.total.n_robust == r1.robust_after[r1.n_members - 1], "final robust count");
    GT_CHECK(sum.forward == r1.total.total.forward && sum.backward == r1.total.total.backward,
             "member passes add up to the total");
    GT_CHECK(r1.total.n_unconfirmed == 0 && r1.total.n_over_eps == 0, "unconfirmed %lld, over eps %lld",
             (long long)r1.total.n_unconfirmed, (long long)r1.total.n_over_eps);
    fprintf(stderr, "  clean %lld, robust after fgsm %lld, mifgsm %lld, pgd %lld of %d\n",
            (long long)r1.total.n_clean_correct, (long long)r1.robust_after[0], (long long)r1.robust_after[1],
            (long long)r1.robust_after[2], N_POINTS);
    /* At least as strong as each member alone. */
    for (int m = 0; m < e.n_members; m++) {
      gt_attack_result alone;
      memset(&alone, 0, sizeof alone);
      if (GT_CHECK(gt_attack_run(e.members[m].attack, &e.members[m].config, s.m, &pts, NULL, &alone, &err) == GT_OK,
                   "%s", err.message))
        GT_CHECK(r1.total.n_robust <= alone.n_robust, "ensemble robust %lld > %s alone %lld",
                 (long long)r1.total.n_robust, e.members[m].attack, (long long)alone.n_robust);
      gt_attack_result_free(&alone);
    }
    /* Same seed, same bytes. */
    if (GT_CHECK(gt_ensemble_run(&e, s.m, &pts, adv2, &r2, &err) == GT_OK, "%s", err.message)) {
      GT_CHECK(!memcmp(adv1, adv2, (size_t)(N_POINTS * d) * sizeof(float)), "x_adv differs between two runs");
      GT_CHECK(!memcmp(r1.total.success, r2.total.success, N_POINTS * sizeof(int32_t)), "success differs");
    }
  }
  gt_ensemble_result_free(&r1);
  gt_ensemble_result_free(&r2);
  free(adv1);
  free(adv2);
  gt_bench_close(&s);
}

static void test_mixed_eot_refused(void) {
  gt_bench s;
  if (cnn_open(&s)) {
    gt_error err = {0};
    gt_ensemble e;
    small_ensemble(&e);
    e.members[1].config.eot = 4;
    gt_attack_points pts = gt_bench_points(&s);
    gt_ensemble_result r;
    GT_CHECK(gt_ensemble_run(&e, s.m, &pts, NULL, &r, &err) == GT_ERR_USAGE && strstr(err.message, "EOT"),
             "mixed EOT: %s", err.message);
  }
  gt_bench_close(&s);
}

int main(void) {
  gt_test_run("autoattack plans follow the reference", test_plans);
  gt_test_run("per-sample worst case, counts add up, at least as strong as each member", test_worst_case);
  gt_test_run("members with different EOT are refused", test_mixed_eot_refused);
  return gt_test_finish();
}

/* The sweep's result flags (src/sweep/result_flags.c) on hand-made per-point outcomes and on a real
 * model: FGSM or the black-box attack beating every iterative / white-box member fires, with the
 * evidence as a share of points; when FGSM ran first, the iterative members after it get their
 * chance on its points, and on a normal model they take them all (no flag). */
#include <stdlib.h>
#include <string.h>

#include "gauntlet/data.h"
#include "gauntlet/model.h"
#include "gt_test.h"
#include "sweep/result_flags.h"

static void member(gt_ensemble *e, const char *attack, int steps) {
  gt_ensemble_member *m = &e->members[e->n_members++];
  m->attack = attack;
  gt_attack_config_init(&m->config);
  m->config.eps = 0.1f;
  m->config.steps = steps;
  m->config.batch = 16;
}

static const gt_flag *find(const gt_flag *flags, int n, gt_flag_kind kind) {
  for (int i = 0; i < n; i++)
    if (flags[i].kind == kind) return &flags[i];
  return NULL;
}

/* pgd, fgsm, square in this order: the members that could have broken a point ran before the one
 * that did, so no model pass is needed and the counts come from broken_by alone. */
static void test_beaten_when_stronger_members_ran_first(void) {
  gt_ensemble plan = {.name = "custom"};
  member(&plan, "pgd", 10);
  member(&plan, "fgsm", 1);
  member(&plan, "square", 100);
  int8_t broken_by[8] = {-1, 0, 1, 1, 2, -1, 0, -1};
  float x[8] = {0};
  int32_t labels[8] = {0};
  gt_attack_points pts = {.n = 8, .x = x, .labels = labels};
  gt_flag flags[GT_MAX_FLAGS];
  int n = 0;
  gt_error err = {0};
  GT_CHECK(gt_sweep_beats_flags(&plan, NULL, &pts, broken_by, flags, GT_MAX_FLAGS, &n, &err) == GT_OK, "%s", err.message);
  const gt_flag *single = find(flags, n, GT_FLAG_SINGLE_STEP_BEATS), *black = find(flags, n, GT_FLAG_BLACK_BOX_BEATS);
  GT_CHECK(single && single->evidence == 2.0 / 8, "FGSM beat pgd on 2 of 8 points");
  GT_CHECK(black && black->evidence == 1.0 / 8 && black->threshold == GT_BLACK_BOX_THRESHOLD, "square beat both on 1 of 8");
  GT_CHECK(single && strstr(single->detail, "2 of 8") != NULL, "detail with the numbers: %s", single ? single->detail : "");
}

static void test_quiet_without_beating(void) {
  gt_ensemble plan = {.name = "custom"};
  member(&plan, "pgd", 10);
  member(&plan, "fgsm", 1);
  member(&plan, "square", 100);
  int8_t broken_by[4] = {0, 0, -1, -1};
  float x[4] = {0};
  int32_t labels[4] = {0};
  gt_attack_points pts = {.n = 4, .x = x, .labels = labels};
  gt_flag flags[GT_MAX_FLAGS];
  int n = 0;
  gt_error err = {0};
  GT_CHECK(gt_sweep_beats_flags(&plan, NULL, &pts, broken_by, flags, GT_MAX_FLAGS, &n, &err) == GT_OK, "%s", err.message);
  GT_CHECK(n == 0, "no flag when only the iterative attack broke points (%d)", n);
}

/* fgsm first, pgd after it: pgd never saw FGSM's points in the suite, so it is run on them; on the
 * linear fixture a 40-step PGD breaks every point FGSM broke. */
static void test_iterative_after_fgsm_gets_its_chance(void) {
  gt_dataset *ds = NULL;
  gt_graph *g = NULL;
  gt_backend *be = NULL;
  gt_model *m = NULL;
  gt_error err = {0};
  int ok = GT_CHECK(gt_dataset_load("npy:" GT_FIXTURES_DIR "/models/cnn.x.npy," GT_FIXTURES_DIR "/models/cnn.y.npy", &ds,
                                    &err) == GT_OK, "%s", err.message);
  ok = ok && GT_CHECK(gt_graph_load_classifier(GT_FIXTURES_DIR "/models/linear.onnx", 0, NULL, NULL, &g, &err) == GT_OK,
                      "%s", err.message);
  ok = ok && GT_CHECK(gt_backend_cpu_create(&be, 1, &err) == GT_OK, "%s", err.message);
  ok = ok && GT_CHECK(gt_model_create(g, be, 16, &m, &err) == GT_OK, "%s", err.message);
  if (ok) {
    gt_ensemble plan = {.name = "custom"};
    member(&plan, "fgsm", 1);
    member(&plan, "pgd", 40);
    gt_attack_points pts = {.n = ds->n, .x = ds->images, .labels = ds->labels};
    uint8_t robust[16];
    int8_t broken_by[16];
    int32_t adv_pred[16];
    gt_suite_stats stats;
    memset(robust, 1, sizeof robust);
    memset(broken_by, -1, sizeof broken_by);
    GT_CHECK(gt_suite_run(&plan, 3u, m, &pts, robust, broken_by, adv_pred, NULL, &stats, NULL, &err) == GT_OK, "%s",
             err.message);
    int by_fgsm = 0;
    for (int i = 0; i < 16; i++) by_fgsm += broken_by[i] == 0;
    GT_CHECK(by_fgsm > 0, "FGSM broke some points at eps 0.1 (%d)", by_fgsm);
    GT_CHECK(stats.robust_after[1] <= stats.robust_after[0], "cumulative robust counts");
    gt_flag flags[GT_MAX_FLAGS];
    int n = 0;
    GT_CHECK(gt_sweep_beats_flags(&plan, m, &pts, broken_by, flags, GT_MAX_FLAGS, &n, &err) == GT_OK, "%s", err.message);
    GT_CHECK(n == 0, "PGD breaks FGSM's points too: no flag (%d, %s)", n, n ? flags[0].detail : "");
  }
  gt_model_free(m);
  gt_backend_free(be);
  gt_graph_free(g);
  gt_dataset_free(ds);
}

int main(void) {
  gt_test_run("beaten_when_stronger_members_ran_first", test_beaten_when_stronger_members_ran_first);
  gt_test_run("quiet_without_beating", test_quiet_without_beating);
  gt_test_run("iterative_after_fgsm_gets_its_chance", test_iterative_after_fgsm_gets_its_chance);
  return gt_test_finish();
}

/* CI gates (gauntlet/gates.h) on leaderboards built in memory: minimums pass and fail, the most
 * specific rule wins, baseline drops are detected and incompatible baselines refused, JUnit XML is
 * well-formed (xmllint) and carries the failing case, the step summary lists every gate, and the
 * leaderboard.json reader rejects bad files with the key path. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "gates/smoke.h"
#include "gauntlet/gates.h"
#include "gauntlet/sweep.h"
#include "gt_test.h"

/* ---- a small leaderboard: models cnn and mlp at Linf eps 0.1 and 0.2 ---- */

static void entry_set(gt_lb_entry *e, const char *name, double eps, const char *eps_text, double clean, double robust) {
  memset(e, 0, sizeof(*e));
  snprintf(e->name, sizeof e->name, "%s", name);
  snprintf(e->dataset, sizeof e->dataset, "fashion-mnist");
  snprintf(e->threat_model, sizeof e->threat_model, "Linf");
  snprintf(e->suite, sizeof e->suite, "custom");
  snprintf(e->eps_text, sizeof e->eps_text, "%s", eps_text);
  snprintf(e->points_sha256, sizeof e->points_sha256, "%064d", 7);
  e->eps = eps;
  e->clean_acc = clean;
  e->autoattack_acc = robust;
  e->reported = NAN;
  e->external = NAN;
  e->n_points = 100;
  e->seconds = 1.5;
}

/* robust[model][eps] for models {cnn, mlp} and eps {0.1, 0.2}. */
static void board_make(gt_leaderboard *lb, const double robust[2][2]) {
  memset(lb, 0, sizeof(*lb));
  snprintf(lb->title, sizeof lb->title, "test board");
  lb->n_tables = 2;
  lb->tables = calloc(2, sizeof(*lb->tables));
  const double eps[2] = {0.1, 0.2};
  const char *eps_text[2] = {"0.1", "0.2"};
  for (int t = 0; t < 2; t++) {
    gt_lb_table *tb = &lb->tables[t];
    snprintf(tb->threat_model, sizeof tb->threat_model, "Linf");
    snprintf(tb->eps_text, sizeof tb->eps_text, "%s", eps_text[t]);
    tb->eps = eps[t];
    tb->n_entries = 2;
    tb->entries = calloc(2, sizeof(*tb->entries));
    entry_set(&tb->entries[0], "cnn", eps[t], eps_text[t], 0.90, robust[0][t]);
    entry_set(&tb->entries[1], "mlp", eps[t], eps_text[t], 0.85, robust[1][t]);
  }
}

static const double base_robust[2][2] = {{0.60, 0.30}, {0.50, 0.20}};

static gt_gate_rule global_rule(double min_clean, double min_robust) {
  gt_gate_rule r;
  gt_gate_rule_init(&r);
  r.min_clean = min_clean;
  r.min_robust = min_robust;
  return r;
}

static int failed_count(const gt_gate_report *r, gt_gate_kind kind) {
  int n = 0;
  for (int i = 0; i < r->n_cases; i++)
    for (int k = 0; k < r->cases[i].n_checks; k++)
      n += r->cases[i].checks[k].kind == kind && !r->cases[i].checks[k].passed;
  return n;
}

static void test_minimums(void) {
  gt_leaderboard lb;
  board_make(&lb, base_robust);
  gt_gate_config cfg;
  gt_gate_config_init(&cfg);
  gt_error err = {0};
  gt_gate_rule r = global_rule(0.80, 0.15);
  GT_CHECK(gt_gate_config_add_rule(&cfg, &r, &err) == GT_OK, "%s", err.message);
  gt_gate_report rep;
  GT_CHECK(gt_gates_evaluate(&lb, &cfg, NULL, &rep, &err) == GT_OK, "%s", err.message);
  GT_CHECK(rep.n_cases == 4 && rep.n_checks == 8 && rep.n_failed == 0, "all pass: %d cases %d checks %d failed",
           rep.n_cases, rep.n_checks, rep.n_failed);
  gt_gate_report_free(&rep);

  /* min robust 0.25 fails mlp@0.2 (0.20) only; min clean 0.88 fails mlp at both eps. */
  gt_gate_config_init(&cfg);
  r = global_rule(0.88, 0.25);
  gt_gate_config_add_rule(&cfg, &r, &err);
  GT_CHECK(gt_gates_evaluate(&lb, &cfg, NULL, &rep, &err) == GT_OK, "%s", err.message);
  GT_CHECK(rep.n_failed == 3, "failed checks %d, want 3", rep.n_failed);
  GT_CHECK(failed_count(&rep, GT_GATE_MIN_CLEAN) == 2 && failed_count(&rep, GT_GATE_MIN_ROBUST) == 1, "kinds");
  const gt_gate_case *c = &rep.cases[3];
  GT_CHECK(!strcmp(c->model, "mlp") && !strcmp(c->eps_text, "0.2") && c->failed, "the failing case is mlp at 0.2");
  char line[512];
  gt_gate_check_describe(c, &c->checks[1], line, sizeof line);
  GT_CHECK(strstr(line, "mlp") && strstr(line, "Linf") && strstr(line, "0.2") && strstr(line, "0.2000") &&
               strstr(line, "0.2500") && strstr(line, "FAILED"),
           "description names model, threat model, eps, value and threshold: %s", line);
  gt_gate_report_free(&rep);

  /* A value exactly at the minimum passes. */
  gt_gate_config_init(&cfg);
  r = global_rule(NAN, 0.20);
  gt_gate_config_add_rule(&cfg, &r, &err);
  gt_gates_evaluate(&lb, &cfg, NULL, &rep, &err);
  GT_CHECK(rep.n_failed == 0 && rep.n_checks == 4, "at the minimum: %d failed of %d", rep.n_failed, rep.n_checks);
  gt_gate_report_free(&rep);

  r = global_rule(1.5, NAN);
  GT_CHECK(gt_gate_config_add_rule(&cfg, &r, &err) == GT_ERR_USAGE && strstr(err.message, "1.5"),
           "a minimum above 1 is refused: %s", err.message);
  gt_leaderboard_free(&lb);
}

static void test_specific_rule_wins(void) {
  gt_leaderboard lb;
  board_make(&lb, base_robust);
  gt_gate_config cfg;
  gt_gate_config_init(&cfg);
  gt_error err = {0};
  gt_gate_rule everyone = global_rule(NAN, 0.40), weak;
  gt_gate_rule_init(&weak);
  snprintf(weak.model, sizeof weak.model, "mlp");
  weak.min_robust = 0.10;
  gt_gate_rule one_point;
  gt_gate_rule_init(&one_point);
  snprintf(one_point.model, sizeof one_point.model, "cnn");
  snprintf(one_point.threat_model, sizeof one_point.threat_model, "Linf");
  one_point.has_eps = 1;
  one_point.eps = 0.2;
  one_point.min_robust = 0.25;
  gt_gate_config_add_rule(&cfg, &everyone, &err);
  gt_gate_config_add_rule(&cfg, &weak, &err);
  gt_gate_config_add_rule(&cfg, &one_point, &err);
  gt_gate_report rep;
  GT_CHECK(gt_gates_evaluate(&lb, &cfg, NULL, &rep, &err) == GT_OK, "%s", err.message);
  /* cnn@0.1: 0.60 >= 0.40; cnn@0.2: 0.30 >= 0.25 (specific rule); mlp: >= 0.10 (model rule). */
  GT_CHECK(rep.n_failed == 0 && rep.n_checks == 4, "specific rules override the global one: %d failed", rep.n_failed);
  GT_CHECK_CLOSE(rep.cases[2].checks[0].threshold, 0.25, 0, 0, "cnn@0.2 threshold");
  GT_CHECK_CLOSE(rep.cases[1].checks[0].threshold, 0.10, 0, 0, "mlp@0.1 threshold");
  gt_gate_report_free(&rep);
  gt_leaderboard_free(&lb);
}

static void test_baseline(void) {
  gt_leaderboard lb, old;
  const double now[2][2] = {{0.55, 0.30}, {0.50, 0.21}};
  board_make(&lb, now);
  board_make(&old, base_robust);
  gt_gate_config cfg;
  gt_gate_config_init(&cfg);
  cfg.max_drop = 0.02;
  gt_error err = {0};
  gt_gate_report rep;
  GT_CHECK(gt_gates_evaluate(&lb, &cfg, NULL, &rep, &err) == GT_ERR_USAGE && strstr(err.message, "baseline"),
           "max drop without a baseline: %s", err.message);
  GT_CHECK(gt_gates_evaluate(&lb, &cfg, &old, &rep, &err) == GT_OK, "%s", err.message);
  /* cnn@0.1 dropped 0.05 > 0.02; the others dropped 0 or rose. */
  GT_CHECK(rep.n_checks == 4 && rep.n_failed == 1 && failed_count(&rep, GT_GATE_MAX_DROP) == 1, "%d of %d failed",
           rep.n_failed, rep.n_checks);
  const gt_gate_check *k = &rep.cases[0].checks[0];
  GT_CHECK(rep.cases[0].failed && k->kind == GT_GATE_MAX_DROP, "cnn@0.1 fails on the drop");
  GT_CHECK_CLOSE(k->value, 0.05, 1e-12, 0, "drop");
  GT_CHECK_CLOSE(k->baseline, 0.60, 0, 0, "baseline robust accuracy");
  char line[512];
  gt_gate_check_describe(&rep.cases[0], k, line, sizeof line);
  GT_CHECK(strstr(line, "cnn") && strstr(line, "0.0500") && strstr(line, "0.0200") && strstr(line, "0.6000"),
           "drop description: %s", line);
  gt_gate_report_free(&rep);

  /* A model the baseline does not know is counted, not failed. */
  snprintf(lb.tables[0].entries[1].name, sizeof lb.tables[0].entries[1].name, "new-model");
  GT_CHECK(gt_gates_evaluate(&lb, &cfg, &old, &rep, &err) == GT_OK && rep.n_without_baseline == 1 && rep.n_checks == 3,
           "unmatched entry: %d without baseline", rep.n_without_baseline);
  gt_gate_report_free(&rep);

  /* Refusals: other points, another suite, another dataset, nothing in common. */
  snprintf(old.tables[1].entries[0].points_sha256, sizeof old.tables[1].entries[0].points_sha256, "%064d", 8);
  GT_CHECK(gt_gates_evaluate(&lb, &cfg, &old, &rep, &err) == GT_ERR_UNSUPPORTED && strstr(err.message, "points") &&
               strstr(err.message, "refused") && strstr(err.message, "cnn"),
           "other points: %s", err.message);
  gt_leaderboard_free(&old);
  board_make(&old, base_robust);
  snprintf(old.tables[0].entries[0].suite, sizeof old.tables[0].entries[0].suite, "smoke");
  GT_CHECK(gt_gates_evaluate(&lb, &cfg, &old, &rep, &err) == GT_ERR_UNSUPPORTED && strstr(err.message, "suite") &&
               strstr(err.message, "smoke"),
           "other suite: %s", err.message);
  gt_leaderboard_free(&old);
  board_make(&old, base_robust);
  snprintf(old.tables[0].entries[0].dataset, sizeof old.tables[0].entries[0].dataset, "cifar10");
  GT_CHECK(gt_gates_evaluate(&lb, &cfg, &old, &rep, &err) == GT_OK && rep.n_without_baseline == 2,
           "an entry of another dataset does not match: %d without baseline", rep.n_without_baseline);
  gt_gate_report_free(&rep);
  gt_leaderboard_free(&old);
  board_make(&old, base_robust);
  for (int t = 0; t < 2; t++) old.tables[t].eps = old.tables[t].entries[0].eps = old.tables[t].entries[1].eps = 0.3;
  GT_CHECK(gt_gates_evaluate(&lb, &cfg, &old, &rep, &err) == GT_ERR_UNSUPPORTED && strstr(err.message, "no entry"),
           "nothing in common: %s", err.message);
  gt_leaderboard_free(&old);
  gt_leaderboard_free(&lb);
}

/* ---- outputs ---- */

static int xmllint_ok(const char *path, char *why, size_t size) {
  char cmd[1024], out[4096];
  snprintf(cmd, sizeof cmd, "xmllint --noout '%s'", path);
  return gt_test_run_command(cmd, out, sizeof out, why, size);
}

static void test_junit(void) {
  char probe[256];
  if (gt_test_run_command("xmllint --version", probe, sizeof probe, probe, sizeof probe) != 0) {
    gt_test_skip("xmllint not installed (Debian package libxml2-utils): JUnit well-formedness not checked");
    return;
  }
  gt_leaderboard lb;
  board_make(&lb, base_robust);
  /* Hostile names: markup, quotes, a control character and invalid UTF-8 must not break the XML. */
  snprintf(lb.tables[1].entries[1].name, sizeof lb.tables[1].entries[1].name, "m<l>p&\"'\x01\xff\xc3(é)]]>");
  gt_gate_config cfg;
  gt_gate_config_init(&cfg);
  gt_error err = {0};
  gt_gate_rule r = global_rule(NAN, 0.25);
  gt_gate_config_add_rule(&cfg, &r, &err);
  gt_gate_report rep;
  GT_CHECK(gt_gates_evaluate(&lb, &cfg, NULL, &rep, &err) == GT_OK, "%s", err.message);
  char path[512], why[4096];
  gt_test_tmp_path("gates-junit.xml", path, sizeof path);
  FILE *f = fopen(path, "wb");
  GT_CHECK(f && gt_gates_junit_write(f, &rep, "gates test", &err) == GT_OK, "%s", err.message);
  if (f) fclose(f);
  GT_CHECK(xmllint_ok(path, why, sizeof why) == 0, "xmllint rejects the JUnit file: %s", why);
  char *xml = gt_test_read_file(path);
  GT_CHECK(xml && strstr(xml, "tests=\"4\" failures=\"1\""), "counts: %s", xml ? xml : "");
  GT_CHECK(xml && strstr(xml, "m&lt;l&gt;p&amp;&quot;&apos;??") && strstr(xml, "(é)]]&gt;"),
           "escaped hostile name: %s", xml ? xml : "");
  const char *fail = xml ? strstr(xml, "<failure") : NULL;
  GT_CHECK(fail && strstr(fail, "robust accuracy 0.2000 &lt; minimum 0.2500"), "failure carries the numbers: %s",
           fail ? fail : "");
  GT_CHECK(xml && strstr(xml, "name=\"cnn Linf eps=0.1\""), "one testcase per entry");
  gt_gate_report_free(&rep);

  /* Without gates every case is skipped, never silently passed; a smoke run says so. */
  gt_gate_config_init(&cfg);
  lb.smoke = 1;
  gt_gates_evaluate(&lb, &cfg, NULL, &rep, &err);
  f = fopen(path, "wb");
  GT_CHECK(f && gt_gates_junit_write(f, &rep, NULL, &err) == GT_OK, "%s", err.message);
  if (f) fclose(f);
  GT_CHECK(xmllint_ok(path, why, sizeof why) == 0, "xmllint: %s", why);
  free(xml);
  xml = gt_test_read_file(path);
  GT_CHECK(xml && strstr(xml, "skipped=\"4\"") && strstr(xml, "smoke preset") &&
               strstr(xml, "name=\"smoke\" value=\"true\""),
           "skipped and smoke: %s", xml ? xml : "");
  free(xml);
  gt_gate_report_free(&rep);
  gt_leaderboard_free(&lb);
}

static void test_summary(void) {
  gt_leaderboard lb;
  board_make(&lb, base_robust);
  lb.smoke = 1;
  snprintf(lb.tables[0].entries[0].name, sizeof lb.tables[0].entries[0].name, "a|b");
  gt_gate_config cfg;
  gt_gate_config_init(&cfg);
  gt_error err = {0};
  gt_gate_rule r = global_rule(0.86, NAN);
  gt_gate_config_add_rule(&cfg, &r, &err);
  gt_gate_report rep;
  gt_gates_evaluate(&lb, &cfg, NULL, &rep, &err);
  char path[512];
  gt_test_tmp_path("gates-summary.md", path, sizeof path);
  FILE *f = fopen(path, "wb");
  GT_CHECK(f && gt_gates_summary_write(f, &lb, &rep, &err) == GT_OK, "%s", err.message);
  if (f) fclose(f);
  char *md = gt_test_read_file(path);
  GT_CHECK(md && strstr(md, "Smoke run"), "smoke banner: %s", md ? md : "");
  GT_CHECK(md && strstr(md, "FAILED: 2 of 4 gates"), "gate count: %s", md ? md : "");
  GT_CHECK(md && strstr(md, "| mlp | fashion-mnist | Linf | 0.2 | min_clean | 85.00% | 86.00% | **FAIL** |"), "failing row: %s",
           md ? md : "");
  GT_CHECK(md && strstr(md, "| a\\|b |"), "pipe escaped in a cell: %s", md ? md : "");
  GT_CHECK(md && strstr(md, "## Leaderboard") && strstr(md, "| Rank | Model"), "leaderboard tables: %s", md ? md : "");
  free(md);
  gt_gate_report_free(&rep);
  gt_leaderboard_free(&lb);
}

static void test_smoke_preset(void) {
  const char *text =
      "{\"models\":[{\"name\":\"cnn\",\"path\":\"cnn.onnx\"}],"
      "\"datasets\":[{\"data\":\"fmnist:test\",\"n\":1000},{\"data\":\"fmnist:train\",\"n\":10},{\"data\":\"x\"}],"
      "\"threat_models\":[{\"norm\":\"Linf\",\"eps\":[\"8/255\"]}],"
      "\"attacks\":{\"suite\":\"autoattack\"},\"probes\":{\"points\":500,\"check_iterations\":true}}";
  cJSON *c = cJSON_Parse(text);
  gt_error err = {0};
  if (!GT_CHECK(c && gt_smoke_preset_apply(c, "smoke", &err) == GT_OK, "%s", err.message)) return;
  cJSON *ds = cJSON_GetObjectItem(c, "datasets");
  GT_CHECK(cJSON_GetObjectItem(cJSON_GetArrayItem(ds, 0), "n")->valuedouble == GT_SMOKE_POINTS, "n capped");
  GT_CHECK(cJSON_GetObjectItem(cJSON_GetArrayItem(ds, 1), "n")->valuedouble == 10, "a smaller n is kept");
  cJSON *n2 = cJSON_GetObjectItem(cJSON_GetArrayItem(ds, 2), "n");
  GT_CHECK(n2 && n2->valuedouble == GT_SMOKE_POINTS, "'all points' becomes the cap");
  cJSON *attacks = cJSON_GetObjectItem(c, "attacks");
  GT_CHECK(cJSON_IsArray(attacks) && cJSON_GetArraySize(attacks) == 2, "two attacks");
  GT_CHECK(!strcmp(cJSON_GetObjectItem(cJSON_GetArrayItem(attacks, 0), "attack")->valuestring, "apgd-ce") &&
               cJSON_GetObjectItem(cJSON_GetArrayItem(attacks, 0), "steps")->valuedouble == GT_SMOKE_APGD_STEPS &&
               !strcmp(cJSON_GetObjectItem(cJSON_GetArrayItem(attacks, 1), "attack")->valuestring, "fgsm"),
           "APGD-CE then FGSM");
  cJSON *probes = cJSON_GetObjectItem(c, "probes");
  GT_CHECK(cJSON_GetObjectItem(probes, "points")->valuedouble == GT_SMOKE_POINTS &&
               cJSON_IsFalse(cJSON_GetObjectItem(probes, "check_iterations")),
           "probes capped");
  cJSON *preset = cJSON_GetObjectItem(c, "preset");
  GT_CHECK(cJSON_IsString(preset) && !strcmp(preset->valuestring, "smoke"), "marked as a smoke config");
  cJSON_Delete(c);

  c = cJSON_Parse("{\"datasets\":[{\"data\":\"fmnist:test\",\"indices\":\"idx.txt\"}]}");
  GT_CHECK(gt_smoke_preset_apply(c, "smoke", &err) == GT_ERR_USAGE && strstr(err.message, "datasets[0].indices"),
           "index files refused: %s", err.message);
  GT_CHECK(gt_smoke_preset_apply(c, "quick", &err) == GT_ERR_USAGE && strstr(err.message, "quick"),
           "unknown preset: %s", err.message);
  cJSON_Delete(c);
}

/* ---- leaderboard.json: the sweep's writer, read back ---- */

static void board_fill_all(gt_leaderboard *lb) {
  board_make(lb, base_robust);
  snprintf(lb->created_utc, sizeof lb->created_utc, "2026-11-24T21:00:00Z");
  snprintf(lb->config_hash, sizeof lb->config_hash, "%064d", 3);
  snprintf(lb->gauntlet_version, sizeof lb->gauntlet_version, "0.1.0");
  snprintf(lb->git_commit, sizeof lb->git_commit, "abc123");
  lb->smoke = 1;
  for (int t = 0; t < lb->n_tables; t++) {
    snprintf(lb->tables[t].dataset, sizeof lb->tables[t].dataset, "fashion-mnist");
    for (int i = 0; i < lb->tables[t].n_entries; i++) {
      gt_lb_entry *e = &lb->tables[t].entries[i];
      snprintf(e->link, sizeof e->link, "https://example.org/%d", i);
      snprintf(e->authors, sizeof e->authors, "A. \"Author\" & B. <Author>");
      e->additional_data = i;
      e->number_forward_passes = 1234 + i;
      snprintf(e->venue, sizeof e->venue, "venue é");
      snprintf(e->architecture, sizeof e->architecture, "arch-%d", i);
      e->clean_acc = 0.8765432;
      e->autoattack_acc = 0.4321987 - 0.1 * t;
      e->reported = 0.45;
      e->external = i ? NAN : 0.4;
      e->unreliable = 1;
      snprintf(e->footnote, sizeof e->footnote, "line one\nline two");
      e->smoke = 1;
      e->n_attacks = 2;
      snprintf(e->attacks[0].name, sizeof e->attacks[0].name, "apgd-ce");
      e->attacks[0].robust_acc = 0.5, e->attacks[0].seconds = 1.25, e->attacks[0].forward = 21, e->attacks[0].backward = 20;
      snprintf(e->attacks[1].name, sizeof e->attacks[1].name, "fgsm");
      e->attacks[1].robust_acc = e->autoattack_acc, e->attacks[1].seconds = 0.5, e->attacks[1].forward = 1;
      e->n_curve = 2;
      for (int k = 0; k < 2; k++) {
        e->curve[k].eps = 0.1 * (k + 1);
        snprintf(e->curve[k].eps_text, sizeof e->curve[k].eps_text, "0.%d", k + 1);
        e->curve[k].robust_acc = 0.6 - 0.2 * k;
      }
      e->seed = 42;
      snprintf(e->model_sha256, sizeof e->model_sha256, "%064d", 11 + i);
      snprintf(e->config_hash, sizeof e->config_hash, "%064d", 3);
      snprintf(e->gauntlet_version, sizeof e->gauntlet_version, "0.1.0");
      snprintf(e->git_commit, sizeof e->git_commit, "abc123");
      snprintf(e->backend, sizeof e->backend, "cpu");
      snprintf(e->device, sizeof e->device, "test CPU");
      e->n_flags = 2;
      e->flags[0] = (gt_flag){GT_FLAG_ZERO_GRADIENTS, 0.25, 0.1, "4 of 16 points"};
      e->flags[1] = (gt_flag){GT_FLAG_SMOKE, 16, 100, "smoke preset"};
      e->examples.k = 2, e->examples.c = 1, e->examples.h = 28, e->examples.w = 28;
      snprintf(e->examples.npy_path, sizeof e->examples.npy_path, "examples/x_%d.npy", i);
      e->examples.label[0] = 3, e->examples.label[1] = 7;
      e->examples.clean_pred[0] = 3, e->examples.clean_pred[1] = 1;
      e->examples.adv_pred[0] = 5, e->examples.adv_pred[1] = 1;
    }
  }
}

/* cJSON prints the shortest text that reads back within a relative DBL_EPSILON, not bit-exact. */
static int same(double a, double b) { return fabs(a - b) <= 1e-14 * fmax(1.0, fabs(b)); }

static void entry_compare(const gt_lb_entry *a, const gt_lb_entry *b, const char *at) {
  GT_CHECK(!strcmp(a->name, b->name) && !strcmp(a->link, b->link) && !strcmp(a->authors, b->authors) &&
               !strcmp(a->dataset, b->dataset) && !strcmp(a->venue, b->venue) &&
               !strcmp(a->architecture, b->architecture) && !strcmp(a->eps_text, b->eps_text) &&
               !strcmp(a->footnote, b->footnote) && !strcmp(a->threat_model, b->threat_model) &&
               !strcmp(a->suite, b->suite) && !strcmp(a->model_sha256, b->model_sha256) &&
               !strcmp(a->points_sha256, b->points_sha256) && !strcmp(a->config_hash, b->config_hash) &&
               !strcmp(a->gauntlet_version, b->gauntlet_version) && !strcmp(a->git_commit, b->git_commit) &&
               !strcmp(a->backend, b->backend) && !strcmp(a->device, b->device),
           "%s: strings", at);
  GT_CHECK(a->additional_data == b->additional_data && a->number_forward_passes == b->number_forward_passes &&
               a->unreliable == b->unreliable && a->smoke == b->smoke && a->n_points == b->n_points && a->seed == b->seed,
           "%s: integers and booleans", at);
  GT_CHECK_CLOSE(b->eps, a->eps, 1e-14, 0, "eps");
  GT_CHECK_CLOSE(b->clean_acc, a->clean_acc, 1e-14, 0, "clean accuracy at full precision");
  GT_CHECK_CLOSE(b->autoattack_acc, a->autoattack_acc, 1e-14, 0, "robust accuracy at full precision");
  GT_CHECK_CLOSE(b->reported, a->reported, 5e-5, 0, "reported (a percent string)");
  GT_CHECK(isnan(a->external) == isnan(b->external) && (isnan(a->external) || fabs(a->external - b->external) < 5e-5),
           "%s: external", at);
  GT_CHECK_CLOSE(b->seconds, a->seconds, 1e-14, 0, "seconds");
  GT_CHECK(a->n_attacks == b->n_attacks && a->n_curve == b->n_curve && a->n_flags == b->n_flags, "%s: counts", at);
  for (int k = 0; k < a->n_attacks && k < b->n_attacks; k++)
    GT_CHECK(!strcmp(a->attacks[k].name, b->attacks[k].name) && same(a->attacks[k].robust_acc, b->attacks[k].robust_acc) &&
                 same(a->attacks[k].seconds, b->attacks[k].seconds) && a->attacks[k].forward == b->attacks[k].forward &&
                 a->attacks[k].backward == b->attacks[k].backward,
             "%s: attack %d", at, k);
  for (int k = 0; k < a->n_curve && k < b->n_curve; k++)
    GT_CHECK(same(a->curve[k].eps, b->curve[k].eps) && !strcmp(a->curve[k].eps_text, b->curve[k].eps_text) &&
                 same(a->curve[k].robust_acc, b->curve[k].robust_acc),
             "%s: curve point %d", at, k);
  for (int k = 0; k < a->n_flags && k < b->n_flags; k++)
    GT_CHECK(a->flags[k].kind == b->flags[k].kind && same(a->flags[k].evidence, b->flags[k].evidence) &&
                 same(a->flags[k].threshold, b->flags[k].threshold) && !strcmp(a->flags[k].detail, b->flags[k].detail),
             "%s: flag %d", at, k);
  const gt_lb_examples *x = &a->examples, *y = &b->examples;
  GT_CHECK(x->k == y->k && x->c == y->c && x->h == y->h && x->w == y->w && !strcmp(x->npy_path, y->npy_path) &&
               !memcmp(x->label, y->label, sizeof x->label) && !memcmp(x->clean_pred, y->clean_pred, sizeof x->label) &&
               !memcmp(x->adv_pred, y->adv_pred, sizeof x->label),
           "%s: examples", at);
}

static void test_reader_round_trip(void) {
  gt_leaderboard lb, back;
  board_fill_all(&lb);
  char path[512];
  gt_test_tmp_path("gates-lb.json", path, sizeof path);
  gt_error err = {0};
  if (!GT_CHECK(gt_leaderboard_json_write(&lb, path, &err) == GT_OK, "%s", err.message)) return;
  if (!GT_CHECK(gt_leaderboard_read(path, &back, &err) == GT_OK, "%s", err.message)) return;
  GT_CHECK(!strcmp(lb.title, back.title) && !strcmp(lb.created_utc, back.created_utc) && lb.smoke == back.smoke &&
               !strcmp(lb.config_hash, back.config_hash) && !strcmp(lb.git_commit, back.git_commit) &&
               lb.n_tables == back.n_tables,
           "board fields");
  for (int t = 0; t < lb.n_tables && t < back.n_tables; t++) {
    const gt_lb_table *a = &lb.tables[t], *b = &back.tables[t];
    GT_CHECK(!strcmp(a->dataset, b->dataset) && !strcmp(a->threat_model, b->threat_model) &&
                 !strcmp(a->eps_text, b->eps_text) && a->eps == b->eps && a->n_entries == b->n_entries,
             "table %d", t);
    for (int i = 0; i < a->n_entries && i < b->n_entries; i++) {
      char at[64];
      snprintf(at, sizeof at, "table %d entry %d", t, i);
      entry_compare(&a->entries[i], &b->entries[i], at);
    }
  }
  gt_leaderboard_free(&back);
  gt_leaderboard_free(&lb);
}

/* Replaces the first `from` in the written file with `to` and expects the reader to fail with
 * every word of `want` in the message. */
static void reader_expect_error(const char *good, const char *from, const char *to, const char *want1,
                                const char *want2) {
  const char *at = strstr(good, from);
  if (!GT_CHECK(at, "the written file has no '%s'", from)) return;
  char path[512];
  gt_test_tmp_path("gates-bad-lb.json", path, sizeof path);
  FILE *f = fopen(path, "wb");
  if (!f) return;
  fwrite(good, 1, (size_t)(at - good), f);
  fputs(to, f);
  fputs(at + strlen(from), f);
  fclose(f);
  gt_leaderboard lb;
  gt_error err = {0};
  gt_status st = gt_leaderboard_read(path, &lb, &err);
  GT_CHECK(st != GT_OK && strstr(err.message, "gates-bad-lb.json") && strstr(err.message, want1) &&
               (!want2 || strstr(err.message, want2)),
           "'%s' -> '%s': status %d: %s", from, to, st, err.message);
  if (st == GT_OK) gt_leaderboard_free(&lb);
}

static void test_reader_bad_inputs(void) {
  gt_leaderboard lb;
  board_fill_all(&lb);
  char path[512];
  gt_test_tmp_path("gates-lb.json", path, sizeof path);
  gt_error err = {0};
  gt_leaderboard_json_write(&lb, path, &err);
  gt_leaderboard_free(&lb);
  char *copy = gt_test_read_file(path);
  if (!GT_CHECK(copy && strlen(copy) > 100, "written file")) {
    free(copy);
    return;
  }
  reader_expect_error(copy, "\"gauntlet-leaderboard\"", "\"something-else\"", "format", "something-else");
  reader_expect_error(copy, "\"format_version\":\t1", "\"format_version\":\t2", "format_version", NULL);
  reader_expect_error(copy, "\"tables\":\t[", "\"tables\":\t\"none\", \"old\":\t[", "tables", "array");
  reader_expect_error(copy, "\"clean_acc\":\t\"87.65\"", "\"clean_acc\":\t\"187.65\"", "tables[0].entries[0].clean_acc",
                      "percentage");
  reader_expect_error(copy, "\"clean_acc\":\t\"87.65\"", "\"clean_acc\":\t87.65", "tables[0].entries[0].clean_acc",
                      "string");
  reader_expect_error(copy, "\"name\":\t\"zero_gradients\"", "\"name\":\t\"shiny\"", "flags[0].name", "shiny");
  reader_expect_error(copy, "\"points_sha256\"", "\"points_sha\"", "gauntlet.points_sha256", "missing");
  reader_expect_error(copy, "\"robust_accuracy\":\t0.5,", "\"robust_accuracy\":\t1.5,", "attacks[0].robust_accuracy",
                      NULL);
  reader_expect_error(copy, "\"dataset\":\t\"fashion-mnist\",\n\t\t\t\"threat_model\"",
                      "\"dataset\":\t\"mnist\",\n\t\t\t\"threat_model\"", "tables[0].entries[0]", "table");
  reader_expect_error(copy, "\"k\":\t2", "\"k\":\t3", "examples.label", "expected 3");
  /* Too many attacks for the model's arrays. */
  char many[2048] = "\"attacks\":\t[";
  for (int i = 0; i < GT_LB_MAX_ATTACKS + 1; i++)
    strcat(many, "{\"name\":\"fgsm\",\"robust_accuracy\":0.5},");
  reader_expect_error(copy, "\"attacks\":\t[", many, "attacks", "more than");
  /* A truncated file and a NUL byte. */
  gt_test_tmp_path("gates-bad-lb.json", path, sizeof path);
  FILE *f = fopen(path, "wb");
  if (f) {
    fwrite(copy, 1, strlen(copy) / 2, f);
    fclose(f);
  }
  gt_leaderboard back;
  GT_CHECK(gt_leaderboard_read(path, &back, &err) == GT_ERR_FORMAT && strstr(err.message, "offset"), "truncated: %s",
           err.message);
  f = fopen(path, "wb");
  if (f) {
    fwrite("{\"a\":1}\0{}", 1, 10, f);
    fclose(f);
  }
  GT_CHECK(gt_leaderboard_read(path, &back, &err) == GT_ERR_FORMAT && strstr(err.message, "NUL"), "NUL: %s", err.message);
  GT_CHECK(gt_leaderboard_read("/nonexistent/lb.json", &back, &err) == GT_ERR_IO && strstr(err.message, "/nonexistent"),
           "missing: %s", err.message);
  free(copy);
}

int main(void) {
  gt_test_run("minimums", test_minimums);
  gt_test_run("specific_rule_wins", test_specific_rule_wins);
  gt_test_run("baseline", test_baseline);
  gt_test_run("junit", test_junit);
  gt_test_run("summary", test_summary);
  gt_test_run("smoke_preset", test_smoke_preset);
  gt_test_run("reader_round_trip", test_reader_round_trip);
  gt_test_run("reader_bad_inputs", test_reader_bad_inputs);
  return gt_test_finish();
}

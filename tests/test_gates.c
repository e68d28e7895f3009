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
  GT_CHECK(!gt_gate_config_active(&cfg), "an empty configuration checks nothing");
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

static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  static char buf[1 << 16];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  buf[n] = 0;
  fclose(f);
  return buf;
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
  const char *xml = slurp(path);
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
  xml = slurp(path);
  GT_CHECK(xml && strstr(xml, "skipped=\"4\"") && strstr(xml, "smoke preset") &&
               strstr(xml, "name=\"smoke\" value=\"true\""),
           "skipped and smoke: %s", xml ? xml : "");
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
  const char *md = slurp(path);
  GT_CHECK(md && strstr(md, "Smoke run"), "smoke banner: %s", md ? md : "");
  GT_CHECK(md && strstr(md, "FAILED: 2 of 4 gates"), "gate count: %s", md ? md : "");
  GT_CHECK(md && strstr(md, "| mlp | Linf | 0.2 | min_clean | 85.00% | 86.00% | **FAIL** |"), "failing row: %s",
           md ? md : "");
  GT_CHECK(md && strstr(md, "| a\\|b |"), "pipe escaped in a cell: %s", md ? md : "");
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

int main(void) {
  gt_test_run("minimums", test_minimums);
  gt_test_run("specific_rule_wins", test_specific_rule_wins);
  gt_test_run("baseline", test_baseline);
  gt_test_run("junit", test_junit);
  gt_test_run("summary", test_summary);
  gt_test_run("smoke_preset", test_smoke_preset);
  return gt_test_finish();
}

/* CI gates from the command line, on a smoke run of the linear fixture model (16 points):
 * the smoke marks in leaderboard.json, leaderboard.md and report.html; gates that pass (exit 0)
 * and fail (exit 3, every failing gate on stderr); the JUnit file (xmllint) and the step summary;
 * baseline drops and refused baselines; config "gates" sections; usage errors and bad baseline
 * files. `gauntlet report OUTDIR` re-checks gates without attacking again, which keeps this fast. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "gt_test.h"
#include "support/json_schema.h"

#define FIX GT_FIXTURES_DIR "/models"
#define SCHEMAS GT_FIXTURES_DIR "/../../schemas"

static char g_out[1 << 16], g_err[1 << 16];
static char g_dir[512], g_config[600], g_outdir[600];

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...) {
  char args[4096], cmd[4600];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(args, sizeof args, fmt, ap);
  va_end(ap);
  snprintf(cmd, sizeof cmd, "'%s' %s", GT_CLI_PATH, args);
  return gt_test_run_command(cmd, g_out, sizeof g_out, g_err, sizeof g_err);
}

static void spit(const char *path, const char *text) {
  FILE *f = fopen(path, "wb");
  if (!f) return;
  fputs(text, f);
  fclose(f);
}

static int count(const char *hay, const char *needle) {
  int n = 0;
  for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle)) n++;
  return n;
}

/* A sweep config for the linear model on the 16 fixture points; extra is spliced in as keys. */
static void config_write(const char *path, const char *outdir, const char *extra) {
  char text[4096];
  snprintf(text, sizeof text,
           "{\"title\": \"gates <test> & co\", \"models\": [{\"name\": \"linear\", \"path\": \"%s/linear.onnx\"}],"
           " \"datasets\": [{\"name\": \"fashion-mnist\", \"data\": \"npy:%s/cnn.x.npy,%s/cnn.y.npy\"}],"
           " \"threat_models\": [{\"norm\": \"Linf\", \"eps\": [0.02, \"8/255\"]}],"
           " \"attacks\": {\"suite\": \"autoattack\"}, \"batch\": 16, \"probes\": {\"points\": 16},"
           " \"output\": \"%s\"%s%s}",
           FIX, FIX, FIX, outdir, extra ? ", " : "", extra ? extra : "");
  spit(path, text);
}

static int g_ready;

/* One smoke run shared by the cases below. */
static void setup(void) {
  gt_test_tmp_path("cli-gates", g_dir, sizeof g_dir);
  char cmd[1200], o[256], e[256];
  snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", g_dir, g_dir);
  gt_test_run_command(cmd, o, sizeof o, e, sizeof e);
  snprintf(g_config, sizeof g_config, "%s/sweep.json", g_dir);
  snprintf(g_outdir, sizeof g_outdir, "%s/out", g_dir);
  config_write(g_config, g_outdir, NULL);
  int rc = run("run '%s' --preset smoke --quiet --min-clean 0.01 --junit '%s/pass.xml'", g_config, g_dir);
  g_ready = GT_CHECK(rc == 0, "smoke run: exit %d: %s", rc, g_err);
  GT_CHECK(strstr(g_err, "all 2 gates passed") && strstr(g_err, "smoke run"), "pass message: %s", g_err);
}

static void test_smoke_marks(void) {
  if (!g_ready) {
    gt_test_skip("the smoke run failed");
    return;
  }
  char path[700];
  snprintf(path, sizeof path, "%s/leaderboard.json", g_outdir);
  char *text = gt_test_read_file(path);
  cJSON *lb = text ? cJSON_Parse(text) : NULL;
  if (!GT_CHECK(lb, "leaderboard.json unreadable")) {
    free(text);
    return;
  }
  GT_CHECK(cJSON_IsTrue(cJSON_GetObjectItem(lb, "smoke")), "top-level smoke");
  int entries = 0;
  cJSON *t, *e;
  cJSON_ArrayForEach(t, cJSON_GetObjectItem(lb, "tables")) cJSON_ArrayForEach(e, cJSON_GetObjectItem(t, "entries")) {
    entries++;
    cJSON *g = cJSON_GetObjectItem(e, "gauntlet"), *f;
    GT_CHECK(cJSON_IsTrue(cJSON_GetObjectItem(e, "unreliable")), "entry unreliable");
    GT_CHECK(cJSON_IsTrue(cJSON_GetObjectItem(g, "smoke")), "entry smoke");
    GT_CHECK(!strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(g, "suite")), "smoke"), "suite smoke");
    GT_CHECK(cJSON_GetObjectItem(g, "n_points")->valuedouble == 16, "a smaller dataset is used whole");
    int smoke_flag = 0;
    cJSON_ArrayForEach(f, cJSON_GetObjectItem(g, "flags")) {
      const char *kind = cJSON_GetStringValue(cJSON_GetObjectItem(f, "name"));
      const char *detail = cJSON_GetStringValue(cJSON_GetObjectItem(f, "detail"));
      smoke_flag += kind && detail && !strcmp(kind, "smoke_preset") && !strncmp(detail, "smoke preset", 12);
    }
    GT_CHECK(smoke_flag == 1, "the smoke_preset flag with the reason \"smoke preset\"");
    cJSON *attacks = cJSON_GetObjectItem(g, "attacks");
    GT_CHECK(cJSON_GetArraySize(attacks) == 2 &&
                 !strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(attacks, 0), "name")), "apgd-ce") &&
                 !strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(attacks, 1), "name")), "fgsm"),
             "the smoke suite replaced autoattack");
  }
  GT_CHECK(entries == 2, "two entries, got %d", entries);
  cJSON_Delete(lb);
  free(text);
  char msg[512];
  GT_CHECK(gt_schema_validate_files(SCHEMAS "/leaderboard.schema.json", path, msg, sizeof msg) == 0,
           "smoke leaderboard.json vs schema: %s", msg);
  snprintf(path, sizeof path, "%s/leaderboard.md", g_outdir);
  text = gt_test_read_file(path);
  GT_CHECK(text && strstr(text, "**Smoke run**") && strstr(text, "smoke_preset"), "leaderboard.md marks the smoke run");
  free(text);
  snprintf(path, sizeof path, "%s/report.html", g_outdir);
  text = gt_test_read_file(path);
  GT_CHECK(text && strstr(text, "class=\"banner smoke\"") && strstr(text, "Smoke run"), "report.html smoke banner");
  free(text);
}

static void test_gate_fail(void) {
  if (!g_ready) {
    gt_test_skip("the smoke run failed");
    return;
  }
  int rc = run("report '%s' --min-clean 0.99 --min-robust 0.99 --junit '%s/fail.xml' --summary '%s/summary.md'", g_outdir,
               g_dir, g_dir);
  GT_CHECK(rc == 3, "failing gates exit 3, got %d: %s", rc, g_err);
  /* linear's clean accuracy on these points is below 0.99, and so is every robust accuracy. */
  GT_CHECK(count(g_err, "gate failed:") == 4, "every failing gate listed: %s", g_err);
  GT_CHECK(strstr(g_err, "model linear on fashion-mnist, Linf eps 0.02: robust accuracy") &&
               strstr(g_err, "model linear on fashion-mnist, Linf eps 8/255: clean accuracy") && strstr(g_err, "< minimum 0.9900") &&
               strstr(g_err, "4 of 4 gates failed (exit code 3)"),
           "failures carry model, threat model, eps, value, threshold: %s", g_err);
  char path[700], why[4096], out[256];
  snprintf(path, sizeof path, "xmllint --noout '%s/fail.xml'", g_dir);
  if (gt_test_run_command("xmllint --version", out, sizeof out, why, sizeof why) != 0) {
    gt_test_skip("xmllint not installed (Debian package libxml2-utils): JUnit well-formedness not checked");
  } else {
    GT_CHECK(gt_test_run_command(path, out, sizeof out, why, sizeof why) == 0, "JUnit is not well-formed: %s", why);
  }
  snprintf(path, sizeof path, "%s/fail.xml", g_dir);
  char *xml = gt_test_read_file(path);
  GT_CHECK(xml && strstr(xml, "tests=\"2\" failures=\"2\"") && strstr(xml, "name=\"linear Linf eps=8/255 [smoke]\"") &&
               strstr(xml, "<failure type=\"gate\" message=\"model linear on fashion-mnist, Linf eps 8/255: clean accuracy") &&
               strstr(xml, "gates &lt;test&gt; &amp; co"),
           "the failing case with its numbers, title escaped: %s", xml ? xml : "");
  free(xml);
  snprintf(path, sizeof path, "%s/summary.md", g_dir);
  char *md = gt_test_read_file(path);
  GT_CHECK(md && strstr(md, "FAILED: 4 of 4 gates") && strstr(md, "Smoke run") && strstr(md, "| Rank | Model") &&
               count(md, "**FAIL**") == 4,
           "step summary: gates and the leaderboard table: %s", md ? md : "");
  free(md);
  snprintf(path, sizeof path, "%s/pass.xml", g_dir);
  xml = gt_test_read_file(path);
  GT_CHECK(xml && strstr(xml, "failures=\"0\"") && count(xml, "<testcase") == 2, "passing JUnit from the run");
  free(xml);
}

/* The baseline: this run's leaderboard.json, edited. */
static void baseline_write(const char *path, const char *key, const char *string_value, double robust_up) {
  char src[700];
  snprintf(src, sizeof src, "%s/leaderboard.json", g_outdir);
  char *text = gt_test_read_file(src);
  cJSON *lb = text ? cJSON_Parse(text) : NULL;
  free(text);
  if (!lb) return;
  cJSON *t, *e;
  cJSON_ArrayForEach(t, cJSON_GetObjectItem(lb, "tables")) cJSON_ArrayForEach(e, cJSON_GetObjectItem(t, "entries")) {
    cJSON *g = cJSON_GetObjectItem(e, "gauntlet");
    if (key) cJSON_ReplaceItemInObject(g, key, cJSON_CreateString(string_value));
    cJSON *r = cJSON_GetObjectItem(g, "robust_accuracy");
    if (robust_up > 0 && !strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(t, "eps")), "0.02"))
      cJSON_SetNumberValue(r, r->valuedouble + robust_up);
  }
  char *out = cJSON_Print(lb);
  spit(path, out);
  free(out);
  cJSON_Delete(lb);
}

static void test_baseline(void) {
  if (!g_ready) {
    gt_test_skip("the smoke run failed");
    return;
  }
  char base[700];
  snprintf(base, sizeof base, "%s/baseline.json", g_dir);
  baseline_write(base, NULL, NULL, 0);
  GT_CHECK(run("report '%s' --baseline '%s' --max-drop 0.02", g_outdir, base) == 0 && strstr(g_err, "all 2 gates passed"),
           "the same run as baseline passes: %s", g_err);
  baseline_write(base, NULL, NULL, 0.25);
  int rc = run("report '%s' --baseline '%s' --max-drop 0.02", g_outdir, base);
  GT_CHECK(rc == 3 && count(g_err, "gate failed:") == 1 && strstr(g_err, "model linear on fashion-mnist, Linf eps 0.02: robust accuracy dropped by 0.2500") &&
               strstr(g_err, "maximum drop 0.0200"),
           "a drop of 0.25 fails: exit %d: %s", rc, g_err);
  baseline_write(base, "points_sha256", "0000000000000000000000000000000000000000000000000000000000000000", 0);
  rc = run("report '%s' --baseline '%s' --max-drop 0.02", g_outdir, base);
  GT_CHECK(rc == 1 && strstr(g_err, "baseline refused") && strstr(g_err, "points"), "other points: exit %d: %s", rc, g_err);
  baseline_write(base, "suite", "autoattack-standard", 0);
  rc = run("report '%s' --baseline '%s' --max-drop 0.02", g_outdir, base);
  GT_CHECK(rc == 1 && strstr(g_err, "baseline refused") && strstr(g_err, "autoattack-standard"),
           "another suite: exit %d: %s", rc, g_err);
  /* Bad baseline files: the message names the file and the place. */
  spit(base, "{\"format\": \"gauntlet-leaderboard\", \"format_version\": 1, \"tables\": [");
  rc = run("report '%s' --baseline '%s' --max-drop 0.02", g_outdir, base);
  GT_CHECK(rc == 1 && strstr(g_err, "baseline.json") && strstr(g_err, "not valid JSON"), "truncated: %s", g_err);
  baseline_write(base, "n_points", "many", 0);
  rc = run("report '%s' --baseline '%s' --max-drop 0.02", g_outdir, base);
  GT_CHECK(rc == 1 && strstr(g_err, "tables[0].entries[0].gauntlet.n_points"), "wrong type: %s", g_err);
  rc = run("report '%s' --baseline '%s/nope.json' --max-drop 0.02", g_outdir, g_dir);
  GT_CHECK(rc == 1 && strstr(g_err, "nope.json"), "missing baseline: %s", g_err);
}

static void test_usage(void) {
  GT_CHECK(run("report /nonexistent --max-drop 0.02") == 2 && strstr(g_err, "--baseline"), "max-drop alone: %s", g_err);
  GT_CHECK(run("report /nonexistent --min-robust 1.5") == 2 && strstr(g_err, "--min-robust"), "above 1: %s", g_err);
  GT_CHECK(run("report /nonexistent --min-clean high") == 2 && strstr(g_err, "high"), "not a number: %s", g_err);
  GT_CHECK(run("run '%s' --preset quick", g_config) == 2 && strstr(g_err, "quick"), "unknown preset: %s", g_err);
  GT_CHECK(run("--help") == 0 && strstr(g_out, "3 a CI gate failed"), "exit code 3 in the usage: %s", g_out);
  GT_CHECK(run("run --help") == 0 && strstr(g_out, "--preset") && strstr(g_out, "--junit") && strstr(g_out, "--max-drop"),
           "run --help lists the CI options: %s", g_out);
}

static void test_config_gates(void) {
  if (!g_ready) {
    gt_test_skip("the smoke run failed");
    return;
  }
  char config[700], out[700];
  snprintf(config, sizeof config, "%s/gated.json", g_dir);
  snprintf(out, sizeof out, "%s/gated-out", g_dir);
  /* A general minimum nobody meets, relaxed for eps 0.02 by a specific rule: only 8/255 fails. */
  config_write(config, out,
               "\"gates\": {\"min_robust\": 0.99, \"rules\": [{\"model\": \"linear\", \"threat_model\": \"linf\", "
               "\"eps\": 0.02, \"min_robust\": 0.0}]}");
  char msg[512];
  GT_CHECK(gt_schema_validate_files(SCHEMAS "/sweep.schema.json", config, msg, sizeof msg) == 0,
           "a gates section follows schemas/sweep.schema.json: %s", msg);
  int rc = run("run '%s' --preset smoke --quiet", config);
  GT_CHECK(rc == 3 && count(g_err, "gate failed:") == 1 && strstr(g_err, "eps 8/255"), "config gates: exit %d: %s", rc,
           g_err);
  /* Gates are not in the config hash: changing them does not block --resume. */
  config_write(config, out, "\"gates\": {\"min_robust\": 0.0}");
  rc = run("run '%s' --preset smoke --quiet --resume", config);
  GT_CHECK(rc == 0 && strstr(g_out, "0 run now"), "resume with other gates: exit %d: %s %s", rc, g_out, g_err);
  config_write(config, out, "\"gates\": {\"min_robustness\": 0.5}");
  GT_CHECK(gt_schema_validate_files(SCHEMAS "/sweep.schema.json", config, msg, sizeof msg) != 0 &&
               strstr(msg, "min_robustness"),
           "the schema rejects an unknown gates key too: %s", msg);
  rc = run("run '%s' --preset smoke --quiet", config);
  GT_CHECK(rc == 1 && strstr(g_err, "gates.min_robustness") && strstr(g_err, "gated.json"), "unknown key: %s", g_err);
  config_write(config, out, "\"gates\": {\"rules\": [{\"model\": \"linear\", \"min_clean\": 2}]}");
  rc = run("run '%s' --preset smoke --quiet", config);
  GT_CHECK(rc == 1 && strstr(g_err, "gates.rules[0].min_clean"), "out of range: %s", g_err);
  config_write(config, out, "\"gates\": {\"max_drop\": 0.1}");
  rc = run("run '%s' --preset smoke --quiet", config);
  GT_CHECK(rc == 1 && strstr(g_err, "baseline"), "max_drop without baseline: %s", g_err);
}

int main(void) {
  gt_test_run("setup_smoke_run", setup);
  gt_test_run("smoke_marks", test_smoke_marks);
  gt_test_run("gate_fail", test_gate_fail);
  gt_test_run("baseline", test_baseline);
  gt_test_run("usage", test_usage);
  gt_test_run("config_gates", test_config_gates);
  return gt_test_finish();
}

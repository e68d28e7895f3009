/* `gauntlet run` / `gauntlet report` end to end on the fixture models (16 points, short attacks):
 * outputs validate against schemas/leaderboard.schema.json, a SIGKILL mid-sweep then --resume gives
 * the same leaderboard as an uninterrupted run, SIGTERM stops cleanly with a resume message, a
 * journal is never overwritten nor resumed with another config, the eps-reuse rule never raises
 * robust accuracy above a single-eps run, and the reliability flags fire on a saturated model. */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "gauntlet/npy.h"
#include "gt_test.h"
#include "support/clip_models.h"
#include "support/json_schema.h"
#include "support/onnx_builder.h"
#include "support/sweep_cli.h"

#define FIX GT_FIXTURES_DIR "/models"
#define SCHEMA GT_FIXTURES_DIR "/../../schemas/leaderboard.schema.json"
#define N_JOURNAL_LINES 9 /* header + 2 models x (clean + 3 jobs) */

/* The test sweep: threads 1 keeps it fast on a loaded machine (OpenMP teams fight for the cores). */
static const char *write_config(const char *name, const char *eps_linf, int with_l2, int seed, char *path, size_t size) {
  gt_test_tmp_path(name, path, size);
  FILE *f = fopen(path, "w");
  if (!f) return NULL;
  fprintf(f,
          "{\"title\": \"sweep test\",\n"
          " \"models\": [{\"name\": \"linear\", \"path\": \"%s/linear.onnx\", \"architecture\": \"Linear\", \"reported\": 12.5},\n"
          "            {\"name\": \"cnn\", \"path\": \"%s/cnn.onnx\", \"link\": \"https://example.org/cnn\"}],\n"
          " \"datasets\": [{\"name\": \"fashion-mnist\", \"data\": \"npy:%s/cnn.x.npy,%s/cnn.y.npy\"}],\n"
          " \"threat_models\": [{\"norm\": \"Linf\", \"eps\": [%s]}%s],\n"
          " \"attacks\": [{\"attack\": \"fgsm\"}, {\"attack\": \"apgd-ce\", \"steps\": 10}, {\"attack\": \"square\", \"steps\": 20}],\n"
          " \"seed\": %d, \"batch\": 16, \"threads\": 1, \"examples\": 4, \"probes\": {\"points\": 16}}\n",
          FIX, FIX, FIX, FIX, eps_linf, with_l2 ? ", {\"norm\": \"L2\", \"eps\": [1.0]}" : "", seed);
  fclose(f);
  return path;
}

static int run_cli(const char *args, char *out, size_t out_size, char *err, size_t err_size) {
  char cmd[4096];
  snprintf(cmd, sizeof cmd, "%s %s", GT_CLI_PATH, args);
  return gt_test_run_command(cmd, out, out_size, err, err_size);
}

static char g_full[512]; /* the uninterrupted run, compared against by later cases */

static void test_full_run(void) {
  char cfg[512], out[8192], err[8192], args[2048], path[700], msg[512];
  write_config("sweep_run.json", "0.1, 0.03", 1, 3, cfg, sizeof cfg);
  sweep_fresh_dir("sweep_full", g_full, sizeof g_full);
  snprintf(args, sizeof args, "run %s --out %s", cfg, g_full);
  int rc = run_cli(args, out, sizeof out, err, sizeof err);
  GT_CHECK(rc == 0, "rc %d: %s", rc, err);
  GT_CHECK(strstr(out, "leaderboard.json") && strstr(out, "leaderboard.md") && strstr(out, "report.html"),
           "prints where the outputs are: %s", out);
  GT_CHECK(strstr(err, "gauntlet run: job 1/8") != NULL, "plain progress lines when stderr is not a terminal: %s", err);
  GT_CHECK(strstr(err, "backend auto: using cpu") != NULL, "the auto choice is said: %s", err);
  snprintf(path, sizeof path, "%s/results.jsonl", g_full);
  GT_CHECK(sweep_count_lines(path) == N_JOURNAL_LINES, "journal has %d lines", sweep_count_lines(path));
  snprintf(path, sizeof path, "%s/leaderboard.json", g_full);
  GT_CHECK(gt_schema_validate_files(SCHEMA, path, msg, sizeof msg) == 0, "leaderboard.json vs schema: %s", msg);
  cJSON *lb = sweep_read_json(path);
  GT_CHECK(lb != NULL, "leaderboard.json parses");
  if (!lb) return;
  cJSON *tables = cJSON_GetObjectItem(lb, "tables");
  GT_CHECK(cJSON_GetArraySize(tables) == 3, "3 tables (Linf 0.03, Linf 0.1, L2 1), got %d", cJSON_GetArraySize(tables));
  cJSON *t0 = cJSON_GetArrayItem(tables, 0);
  GT_CHECK(!strcmp(cJSON_GetObjectItem(t0, "eps")->valuestring, "0.03"), "ascending eps first");
  cJSON *entries = cJSON_GetObjectItem(t0, "entries");
  GT_CHECK(cJSON_GetArraySize(entries) == 2, "two models per table");
  double prev = 101; /* percent strings */
  cJSON *e;
  cJSON_ArrayForEach(e, entries) {
    double acc = atof(cJSON_GetObjectItem(e, "autoattack_acc")->valuestring);
    GT_CHECK(acc <= prev, "ranked by robust accuracy: %g after %g", acc, prev);
    prev = acc;
    cJSON *g = cJSON_GetObjectItem(e, "gauntlet");
    GT_CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(g, "attacks")) == 3, "per-attack robust accuracy");
    GT_CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(g, "curve")) == 2, "curve over the Linf eps");
    /* the normal fixture models raise no flag */
    GT_CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(g, "flags")) == 0, "%s: no flag on a normal model",
             cJSON_GetObjectItem(e, "name")->valuestring);
    GT_CHECK(cJSON_IsFalse(cJSON_GetObjectItem(e, "unreliable")), "not unreliable");
    /* the config leaves the backend to "auto": no GPU here, so the record names cpu, never "auto" */
    GT_CHECK(!strcmp(cJSON_GetObjectItem(g, "backend")->valuestring, "cpu"), "backend as run: %s",
             cJSON_GetObjectItem(g, "backend")->valuestring);
    if (!strcmp(cJSON_GetObjectItem(e, "name")->valuestring, "linear"))
      GT_CHECK(!strcmp(cJSON_GetObjectItem(e, "reported")->valuestring, "12.50"), "reported as a percent string");
  }
  /* examples at the largest Linf eps */
  cJSON *t1 = cJSON_GetArrayItem(tables, 1);
  cJSON *ex = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(t1, "entries"), 0), "gauntlet"),
                                  "examples");
  GT_CHECK(cJSON_IsObject(ex), "examples at the largest eps");
  if (cJSON_IsObject(ex)) {
    snprintf(path, sizeof path, "%s/%s", g_full, cJSON_GetObjectItem(ex, "npy")->valuestring);
    float *data = NULL;
    int ndim = 0;
    int64_t shape[8];
    gt_error gerr = {0};
    int k = cJSON_GetObjectItem(ex, "k")->valueint;
    GT_CHECK(gt_npy_read_f32(path, &data, &ndim, shape, &gerr) == GT_OK, "%s", gerr.message);
    GT_CHECK(ndim == 4 && shape[0] == 2 * k && shape[1] == 1 && shape[2] == 28, "examples shape [2k,1,28,28]");
    free(data);
  }
  cJSON_Delete(lb);
  snprintf(path, sizeof path, "%s/leaderboard.md", g_full);
  FILE *f = fopen(path, "r");
  char md[4096] = "";
  if (f) md[fread(md, 1, sizeof md - 1, f)] = '\0', fclose(f);
  GT_CHECK(strstr(md, "| Rank | Model |") && strstr(md, "## fashion-mnist, Linf, eps = 0.03"), "markdown tables: %s", md);
  snprintf(path, sizeof path, "%s/report.html", g_full);
  GT_CHECK(access(path, R_OK) == 0, "report.html written");

  /* gauntlet report re-renders the same leaderboard from the journal alone */
  char before[700];
  snprintf(before, sizeof before, "%s/leaderboard.json", g_full);
  cJSON *a = sweep_read_json(before);
  snprintf(args, sizeof args, "report %s", g_full);
  rc = run_cli(args, out, sizeof out, err, sizeof err);
  GT_CHECK(rc == 0, "report rc %d: %s", rc, err);
  cJSON *b = sweep_read_json(before);
  GT_CHECK(a && b && cJSON_Compare(a, b, 1), "report rebuilds an identical leaderboard.json");
  cJSON_Delete(a);
  cJSON_Delete(b);
}

static void test_journal_protection(void) {
  char cfg[512], other[512], out[4096], err[4096], args[2048];
  write_config("sweep_run.json", "0.1, 0.03", 1, 3, cfg, sizeof cfg);
  write_config("sweep_run_seed4.json", "0.1, 0.03", 1, 4, other, sizeof other);
  snprintf(args, sizeof args, "run %s --out %s --quiet", cfg, g_full);
  int rc = run_cli(args, out, sizeof out, err, sizeof err);
  GT_CHECK(rc == 2 && strstr(err, "--resume"), "an existing journal is not overwritten: rc %d, %s", rc, err);
  snprintf(args, sizeof args, "run %s --out %s --resume --quiet", other, g_full);
  rc = run_cli(args, out, sizeof out, err, sizeof err);
  GT_CHECK(rc == 2 && strstr(err, "another config"), "resume with another config refused: rc %d, %s", rc, err);
  snprintf(args, sizeof args, "run %s --out %s --resume --quiet", cfg, g_full);
  rc = run_cli(args, out, sizeof out, err, sizeof err);
  GT_CHECK(rc == 0 && strstr(out, "0 run now, 8 from the journal"), "resuming a finished sweep runs nothing: %s", out);
}

/* Same leaderboard as the uninterrupted run, times aside. */
static void compare_with_full(const char *dir) {
  char a_path[700], b_path[700];
  snprintf(a_path, sizeof a_path, "%s/leaderboard.json", g_full);
  snprintf(b_path, sizeof b_path, "%s/leaderboard.json", dir);
  cJSON *a = sweep_read_json(a_path), *b = sweep_read_json(b_path);
  GT_CHECK(a && b, "both leaderboards parse");
  sweep_strip_times(a);
  sweep_strip_times(b);
  /* the journal header of each run records its own creation; everything else must agree */
  GT_CHECK(a && b && cJSON_Compare(a, b, 1), "the resumed sweep gives the uninterrupted leaderboard");
  cJSON_Delete(a);
  cJSON_Delete(b);
}

/* Starts the test sweep into a fresh folder `name`, sends sig once the first job is journaled,
 * then resumes it; returns the interrupted run's wait status, its stderr in text and the journal
 * lines it left. */
static int interrupt_and_resume(const char *name, int sig, char *text, size_t size, int *lines) {
  char cfg[512], dir[512], journal[700], errp[700], out[4096], err[4096], args[2048];
  write_config("sweep_run.json", "0.1, 0.03", 1, 3, cfg, sizeof cfg);
  sweep_fresh_dir(name, dir, sizeof dir);
  snprintf(errp, sizeof errp, "%s.err", dir);
  snprintf(journal, sizeof journal, "%s/results.jsonl", dir);
  pid_t pid = sweep_spawn(GT_CLI_PATH, cfg, dir, NULL, errp);
  GT_CHECK(sweep_wait_for_lines(journal, 3, pid), "the first job was journaled before the run ended"); /* header, clean, job */
  kill(pid, sig);
  int status = 0;
  waitpid(pid, &status, 0);
  *lines = sweep_count_lines(journal);
  fprintf(stderr, "  %s: stopped with %d of %d journal lines written\n", name, *lines, N_JOURNAL_LINES);
  FILE *f = fopen(errp, "r");
  text[0] = '\0';
  if (f) text[fread(text, 1, size - 1, f)] = '\0', fclose(f);
  snprintf(args, sizeof args, "run %s --out %s --resume --quiet", cfg, dir);
  int rc = run_cli(args, out, sizeof out, err, sizeof err);
  GT_CHECK(rc == 0, "resume rc %d: %s", rc, err);
  GT_CHECK(sweep_count_lines(journal) == N_JOURNAL_LINES, "journal complete after resume: %d lines", sweep_count_lines(journal));
  compare_with_full(dir);
  return status;
}

static void test_resume_after_sigkill(void) {
  char text[4096];
  int lines = 0, status = interrupt_and_resume("sweep_killed", SIGKILL, text, sizeof text, &lines);
  GT_CHECK(WIFSIGNALED(status) || lines < N_JOURNAL_LINES, "killed mid-sweep");
}

static void test_sigterm_stops_cleanly(void) {
  char text[4096];
  int lines = 0, status = interrupt_and_resume("sweep_term", SIGTERM, text, sizeof text, &lines);
  GT_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 128 + SIGTERM, "exit code 143, status %d", status);
  GT_CHECK(strstr(text, "stopped by SIGTERM") && strstr(text, "Resume with: ") && strstr(text, "--resume"),
           "stop message says how to resume: %s", text);
  GT_CHECK(lines >= 3 && lines < N_JOURNAL_LINES, "finished jobs kept, the rest not run: %d lines", lines);
}

/* Robust accuracy of `model` at Linf eps text `eps` in a leaderboard. */
static double robust_at(const char *dir, const char *model, const char *eps) {
  char path[700];
  snprintf(path, sizeof path, "%s/leaderboard.json", dir);
  cJSON *lb = sweep_read_json(path), *t, *e;
  double v = NAN;
  cJSON_ArrayForEach(t, cJSON_GetObjectItem(lb, "tables")) {
    if (strcmp(cJSON_GetObjectItem(t, "threat_model")->valuestring, "Linf") ||
        strcmp(cJSON_GetObjectItem(t, "eps")->valuestring, eps))
      continue;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(t, "entries"))
      if (!strcmp(cJSON_GetObjectItem(e, "name")->valuestring, model))
        v = cJSON_GetObjectItem(cJSON_GetObjectItem(e, "gauntlet"), "robust_accuracy")->valuedouble;
  }
  cJSON_Delete(lb);
  return v;
}

static void test_eps_reuse_never_higher(void) {
  char cfg[512], dir[512], out[4096], err[4096], args[2048];
  write_config("sweep_single_eps.json", "0.1", 0, 3, cfg, sizeof cfg);
  sweep_fresh_dir("sweep_single", dir, sizeof dir);
  snprintf(args, sizeof args, "run %s --out %s --quiet", cfg, dir);
  int rc = run_cli(args, out, sizeof out, err, sizeof err);
  GT_CHECK(rc == 0, "rc %d: %s", rc, err);
  static const char *const models[] = {"linear", "cnn"};
  for (int m = 0; m < 2; m++) {
    double swept = robust_at(g_full, models[m], "0.1"), single = robust_at(dir, models[m], "0.1");
    fprintf(stderr, "  %s Linf 0.1: sweep [0.03, 0.1] %.4f, single eps %.4f, difference %+.4f\n", models[m], swept,
            single, swept - single);
    GT_CHECK(!isnan(swept) && !isnan(single), "both runs have the entry");
    GT_CHECK(swept <= single + 1e-9, "%s: carrying broken points never raises robust accuracy", models[m]);
  }
}

/* A model whose Clip saturates (gain 1000 in front of it): the input gradient is exactly 0, so the
 * probes flag zero gradients and an unbounded attack that cannot move; a 4x4 dataset it gets right. */
static int write_masked(char *model, char *x, char *y, size_t size) {
  gt_test_tmp_path("sweep_masked.onnx", model, size);
  gt_test_tmp_path("sweep_masked_x.npy", x, size);
  gt_test_tmp_path("sweep_masked_y.npy", y, size);
  gt_ob_model *m = gt_clip_model(1000.0f / 16, -100.0f, 1.0f);
  gt_ob_output(m, "z");
  int rc = gt_ob_write(m, model);
  gt_ob_model_free(m);
  if (rc) return -1;
  /* 32 points uniform in [0.3, 0.7], label 0 (mean > 0.1: class 0) */
  float pts[32 * 16];
  for (int i = 0; i < 32 * 16; i++) pts[i] = 0.3f + 0.4f * (float)((i * 37) % 101) / 100.0f;
  int64_t shape[4] = {32, 1, 4, 4};
  gt_error err = {0};
  if (gt_npy_write_f32(x, pts, 4, shape, &err) != GT_OK) return -1;
  /* labels as '<i4' [32]: a v1.0 header padded to 128 bytes (header length 118), then zeros */
  FILE *f = fopen(y, "wb");
  if (!f) return -1;
  char header[128];
  memset(header, ' ', sizeof header);
  static const char dict[] = "{'descr': '<i4', 'fortran_order': False, 'shape': (32,), }";
  memcpy(header, "\x93NUMPY\x01\x00\x76\x00", 10);
  memcpy(header + 10, dict, sizeof dict - 1);
  header[127] = '\n';
  int32_t labels[32] = {0};
  int ok = fwrite(header, 1, sizeof header, f) == sizeof header && fwrite(labels, sizeof labels, 1, f) == 1;
  fclose(f);
  return ok ? 0 : -1;
}

static void test_flags_fire_on_masked_model(void) {
  char model[600], x[600], y[600], cfg[600], dir[512], out[4096], err[4096], args[2048], path[700], msg[512];
  GT_CHECK(write_masked(model, x, y, sizeof model) == 0, "cannot write the masked model and data");
  gt_test_tmp_path("sweep_masked.json", cfg, sizeof cfg);
  FILE *f = fopen(cfg, "w");
  if (!f) return;
  fprintf(f,
          "{\"models\": [{\"name\": \"saturated\", \"path\": \"%s\"}],"
          " \"datasets\": [{\"name\": \"synthetic\", \"data\": \"npy:%s,%s\"}],"
          " \"threat_models\": [{\"norm\": \"Linf\", \"eps\": [0.1]}],"
          " \"attacks\": [{\"attack\": \"fgsm\"}, {\"attack\": \"pgd\", \"steps\": 10}], \"threads\": 1}\n",
          model, x, y);
  fclose(f);
  sweep_fresh_dir("sweep_masked", dir, sizeof dir);
  snprintf(args, sizeof args, "run %s --out %s --quiet", cfg, dir);
  int rc = run_cli(args, out, sizeof out, err, sizeof err);
  GT_CHECK(rc == 0, "rc %d: %s", rc, err);
  snprintf(path, sizeof path, "%s/leaderboard.json", dir);
  GT_CHECK(gt_schema_validate_files(SCHEMA, path, msg, sizeof msg) == 0, "leaderboard.json vs schema: %s", msg);
  cJSON *lb = sweep_read_json(path);
  cJSON *e = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(lb, "tables"), 0), "entries"), 0);
  GT_CHECK(e != NULL, "one entry");
  if (!e) {
    cJSON_Delete(lb);
    return;
  }
  GT_CHECK(cJSON_IsTrue(cJSON_GetObjectItem(e, "unreliable")), "a fired flag sets unreliable");
  int zero = 0, unbounded = 0;
  cJSON *fl;
  cJSON_ArrayForEach(fl, cJSON_GetObjectItem(cJSON_GetObjectItem(e, "gauntlet"), "flags")) {
    const char *kind = cJSON_GetObjectItem(fl, "name")->valuestring;
    zero |= !strcmp(kind, "zero_gradients");
    unbounded |= !strcmp(kind, "unbounded_not_zero");
    GT_CHECK(strlen(cJSON_GetObjectItem(fl, "detail")->valuestring) > 0, "flag %s says why", kind);
  }
  GT_CHECK(zero && unbounded, "zero_gradients (%d) and unbounded_not_zero (%d) fire", zero, unbounded);
  cJSON_Delete(lb);
}

/* configs/ci-small.json, the config CI and the docs point at, runs and gives schema-valid output. */
static void test_shipped_ci_config(void) {
  char dir[512], out[4096], err[4096], args[2048], path[700], msg[512];
  sweep_fresh_dir("sweep_ci_small", dir, sizeof dir);
  snprintf(args, sizeof args, "run %s/../../configs/ci-small.json --out %s --quiet", GT_FIXTURES_DIR, dir);
  int rc = run_cli(args, out, sizeof out, err, sizeof err);
  GT_CHECK(rc == 0, "rc %d: %s", rc, err);
  snprintf(path, sizeof path, "%s/leaderboard.json", dir);
  GT_CHECK(gt_schema_validate_files(SCHEMA, path, msg, sizeof msg) == 0, "leaderboard.json vs schema: %s", msg);
}

static void test_cli_errors(void) {
  char out[4096], err[4096];
  int rc = run_cli("run", out, sizeof out, err, sizeof err);
  GT_CHECK(rc == 2 && strstr(err, "SWEEP.json"), "run without a config is a usage error: rc %d, %s", rc, err);
  rc = run_cli("report /nonexistent/sweep", out, sizeof out, err, sizeof err);
  GT_CHECK(rc == 1 && strstr(err, "/nonexistent/sweep/results.jsonl"), "report names the missing journal: rc %d, %s", rc,
           err);
  rc = run_cli("run /nonexistent/sweep.json", out, sizeof out, err, sizeof err);
  GT_CHECK(rc == 1 && strstr(err, "/nonexistent/sweep.json"), "a missing config is named: rc %d, %s", rc, err);
}

int main(void) {
  gt_test_run("full_run", test_full_run);
  gt_test_run("journal_protection", test_journal_protection);
  gt_test_run("resume_after_sigkill", test_resume_after_sigkill);
  gt_test_run("sigterm_stops_cleanly", test_sigterm_stops_cleanly);
  gt_test_run("eps_reuse_never_higher", test_eps_reuse_never_higher);
  gt_test_run("flags_fire_on_masked_model", test_flags_fire_on_masked_model);
  gt_test_run("shipped_ci_config", test_shipped_ci_config);
  gt_test_run("cli_errors", test_cli_errors);
  return gt_test_finish();
}

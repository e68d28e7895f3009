/* Out of device memory halves the batch and retries, through the real error path of the CUDA
 * backend: the tests' gauntlet-emu runs the cuda-emu backend with GAUNTLET_CUDA_EMU_MEMORY, beyond
 * which the emulated cudaMalloc fails with cudaErrorMemoryAllocation. `gauntlet attack` under a
 * range of limits either finishes with the unlimited run's results (saying it halved the batch)
 * or, when not even one point fits, fails with a clear message; `gauntlet run` (model reserved
 * and attacked by the sweep's workers) finishes with the unlimited sweep's results. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "gt_test.h"
#include "support/sweep_cli.h"

#define FIX GT_FIXTURES_DIR "/models"
#define DATA "npy:" FIX "/cnn.x.npy," FIX "/cnn.y.npy"

static char g_out[1 << 16], g_err[1 << 16];

static int run_emu(const char *memory, const char *args) {
  char cmd[4096];
  snprintf(cmd, sizeof cmd, "GAUNTLET_CUDA_EMU_MEMORY=%s '%s' %s", memory, GT_CLI_EMU_PATH, args);
  return gt_test_run_command(cmd, g_out, sizeof g_out, g_err, sizeof g_err);
}

static int files_equal(const char *a, const char *b) {
  FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
  int ca = 0, cb = 0, same = fa && fb;
  while (same && (ca = fgetc(fa)) == (cb = fgetc(fb)) && ca != EOF) {
  }
  same = same && ca == cb;
  if (fa) fclose(fa);
  if (fb) fclose(fb);
  return same;
}

static int count(const char *text, const char *what) {
  int n = 0;
  for (const char *p = strstr(text, what); p; p = strstr(p + 1, what)) n++;
  return n;
}

/* APGD-CE at batch 16 with the device's memory limited to `memory`; the adversarial examples go to
 * a file named after it. Returns the exit code; *robust receives the JSON's robust accuracy. */
static int attack(const char *memory, char *adv, size_t size, double *robust) {
  char name[64], args[2048];
  snprintf(name, sizeof name, "retry_adv_%s.npy", memory);
  gt_test_tmp_path(name, adv, size);
  snprintf(args, sizeof args,
           "attack --model %s/cnn.onnx --data %s --attack apgd-ce --steps 10 --eps 0.1 --backend cuda-emu --batch 16 "
           "--json --save-adv %s",
           FIX, DATA, adv);
  int rc = run_emu(memory, args);
  cJSON *j = cJSON_Parse(g_out);
  const cJSON *r = cJSON_GetObjectItem(j, "robust_accuracy");
  *robust = cJSON_IsNumber(r) ? r->valuedouble : -1;
  cJSON_Delete(j);
  return rc;
}

static void test_attack_halves_batch(void) {
  char ref_path[512], adv[512];
  double ref = -1, robust = -1;
  int rc = attack("16G", ref_path, sizeof ref_path, &ref);
  GT_CHECK(rc == 0 && ref >= 0 && !strstr(g_err, "out of memory"), "unlimited: rc %d, %s", rc, g_err);
  /* From "fits" down to "not even one point fits": at batch 16 the model and its attack need a few
   * MiB, at batch 1 about 300 KiB, the weights alone 200 KiB. */
  static const char *const limits[] = {"8M", "3M", "2M", "1M", "512k", "64k"};
  int retried = 0, refused = 0;
  for (int i = 0; i < 6; i++) {
    rc = attack(limits[i], adv, sizeof adv, &robust);
    int halvings = count(g_err, "retrying with batch");
    fprintf(stderr, "  limit %s: rc %d, %d halvings\n", limits[i], rc, halvings);
    if (rc == 0) {
      GT_CHECK(robust == ref, "limit %s: robust accuracy %g, unlimited %g", limits[i], robust, ref);
      GT_CHECK(files_equal(adv, ref_path), "limit %s: the same adversarial examples, byte for byte", limits[i]);
      retried += halvings > 0;
      GT_CHECK(halvings == 0 || strstr(g_err, "gauntlet: out of memory (") != NULL, "limit %s: says why: %s", limits[i],
               g_err);
    } else {
      refused++;
      GT_CHECK(rc == 1 && strstr(g_err, "out of device memory") && count(g_err, "retrying with batch 1") == 1,
               "limit %s: fails cleanly after trying batch 1: rc %d, %s", limits[i], rc, g_err);
    }
  }
  GT_CHECK(retried >= 2, "at least two limits need a smaller batch and finish (%d did)", retried);
  GT_CHECK(refused >= 1 && rc != 0, "64k does not fit one point: the run fails (%d refused)", refused);
}

/* A short sweep for the emulated device. Without probes the clean pass only predicts, so the
 * first attack of a chain is where the memory runs out; with them, the clean pass's probes. */
static void write_config(int probes, char *path, size_t size) {
  gt_test_tmp_path(probes ? "retry_sweep_probes.json" : "retry_sweep.json", path, size);
  FILE *f = fopen(path, "w");
  if (!f) return;
  fprintf(f,
          "{\"models\": [{\"name\": \"linear\", \"path\": \"%s/linear.onnx\"}, {\"name\": \"cnn\", \"path\": \"%s/cnn.onnx\"}],\n"
          " \"datasets\": [{\"name\": \"fashion-mnist\", \"data\": \"%s\"}],\n"
          " \"threat_models\": [{\"norm\": \"Linf\", \"eps\": [0.03, 0.1]}],\n"
          " \"attacks\": [{\"attack\": \"fgsm\"}, {\"attack\": \"apgd-ce\", \"steps\": 10}, {\"attack\": \"square\", \"steps\": 20}],\n"
          " \"seed\": 2, \"batch\": 16, \"examples\": 2, \"probes\": {%s}}\n",
          FIX, FIX, DATA, probes ? "\"points\": 16" : "\"enabled\": false");
  fclose(f);
}

/* The journal's records of `type` for model m (and eps index e for jobs); NULL when absent. */
static const cJSON *find_record(const cJSON *records, const char *type, int m, int e) {
  const cJSON *r;
  cJSON_ArrayForEach(r, records) {
    const char *t = cJSON_GetStringValue(cJSON_GetObjectItem(r, "type"));
    const cJSON *model = cJSON_GetObjectItem(r, "model"), *eps = cJSON_GetObjectItem(r, "eps_index");
    if (t && !strcmp(t, type) && cJSON_IsNumber(model) && model->valueint == m &&
        (!strcmp(type, "clean") || (cJSON_IsNumber(eps) && eps->valueint == e)))
      return r;
  }
  return NULL;
}

/* Per-point outcomes of every record, in a fixed order: "clean 0 0: 1101...", "job 1 1: x0r2...". */
static char *journal_states(const char *dir) {
  char path[700];
  snprintf(path, sizeof path, "%s/results.jsonl", dir);
  char *text = gt_test_read_file(path);
  cJSON *records = cJSON_CreateArray();
  for (char *line = text ? strtok(text, "\n") : NULL; line; line = strtok(NULL, "\n"))
    cJSON_AddItemToArray(records, cJSON_Parse(line));
  free(text);
  size_t cap = 1 << 14, len = 0;
  char *out = calloc(cap, 1);
  static const char *const types[] = {"clean", "job"};
  for (int k = 0; out && k < 2; k++)
    for (int m = 0; m < 2; m++)
      for (int e = 0; e < 2; e++) {
        const cJSON *r = find_record(records, types[k], m, e);
        const char *state = cJSON_GetStringValue(cJSON_GetObjectItem(r, "state"));
        len += (size_t)snprintf(out + len, cap - len, "%s %d %d: %s\n", types[k], m, e, state ? state : "(missing)");
      }
  cJSON_Delete(records);
  return out;
}

/* The leaderboard without wall times and pass counts (the attacks stop a batch early when all of
 * its points are broken, so the passes spent depend on the batch; the results do not). */
static char *results_text(const char *dir) {
  char path[700];
  snprintf(path, sizeof path, "%s/leaderboard.json", dir);
  cJSON *lb = sweep_read_json(path), *t, *e, *a;
  if (!lb) return NULL;
  sweep_strip_times(lb);
  cJSON_ArrayForEach(t, cJSON_GetObjectItem(lb, "tables")) cJSON_ArrayForEach(e, cJSON_GetObjectItem(t, "entries"))
      cJSON_ArrayForEach(a, cJSON_GetObjectItem(cJSON_GetObjectItem(e, "gauntlet"), "attacks")) {
    cJSON_DeleteItemFromObject(a, "forward_passes");
    cJSON_DeleteItemFromObject(a, "backward_passes");
  }
  char *text = cJSON_Print(lb);
  cJSON_Delete(lb);
  return text;
}

static void sweep_halves_batch(int probes) {
  char cfg[512], full[512], limited[512], args[2048];
  write_config(probes, cfg, sizeof cfg);
  sweep_fresh_dir(probes ? "retry_probes_full" : "retry_sweep_full", full, sizeof full);
  sweep_fresh_dir(probes ? "retry_probes_1M" : "retry_sweep_1M", limited, sizeof limited);
  snprintf(args, sizeof args, "run %s --out %s --devices cuda-emu --quiet", cfg, full);
  int rc = run_emu("16G", args);
  GT_CHECK(rc == 0 && !strstr(g_err, "out of memory"), "unlimited: rc %d, %s", rc, g_err);
  snprintf(args, sizeof args, "run %s --out %s --devices cuda-emu --quiet", cfg, limited);
  rc = run_emu("1M", args);
  GT_CHECK(rc == 0, "1 MiB: rc %d, %s", rc, g_err);
  fprintf(stderr, "  1 MiB, probes %s: %d halvings\n", probes ? "on" : "off", count(g_err, "retrying with batch"));
  GT_CHECK(strstr(g_err, "gauntlet run: out of memory on cuda-emu") && strstr(g_err, "retrying with batch 8"),
           "the halving is said, with the device: %s", g_err);
  GT_CHECK(probes || strstr(g_err, "out of memory on cuda-emu in model cnn, Linf eps 0.03 ("),
           "without probes a job's attack runs out and is run again: %s", g_err);
  char *a = results_text(full), *b = results_text(limited);
  GT_CHECK(a && b && !strcmp(a, b), "the leaderboard's results equal the unlimited run's");
  free(a), free(b);
  a = journal_states(full), b = journal_states(limited);
  GT_CHECK(a && b && strlen(a) > 40 && !strcmp(a, b), "every point has the same outcome:\n%s---\n%s", a, b);
  free(a), free(b);
}

static void test_sweep_job_halves_batch(void) { sweep_halves_batch(0); }
static void test_sweep_clean_pass_halves_batch(void) { sweep_halves_batch(1); }

static void test_bad_limit(void) {
  int rc = run_emu("lots", "devices");
  GT_CHECK(rc == 2 && strstr(g_err, "GAUNTLET_CUDA_EMU_MEMORY='lots'"), "a bad limit is named: rc %d, %s", rc, g_err);
}

int main(void) {
  gt_test_run("attack_halves_batch", test_attack_halves_batch);
  gt_test_run("sweep_job_halves_batch", test_sweep_job_halves_batch);
  gt_test_run("sweep_clean_pass_halves_batch", test_sweep_clean_pass_halves_batch);
  gt_test_run("bad_limit", test_bad_limit);
  return gt_test_finish();
}

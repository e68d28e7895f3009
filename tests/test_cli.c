/* The gauntlet CLI as a user meets it: help, usage errors (exit 2), bad input (exit 1, message
 * naming the file), and real runs of `info` and `eval` with --json output checked by parsing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "gauntlet/data.h"
#include "gauntlet/npy.h"
#include "gt_test.h"

#define CNN GT_FIXTURES_DIR "/models/cnn.onnx"

static char g_out[1 << 16], g_err[1 << 16];

static int run(const char *args) {
  char cmd[2048];
  snprintf(cmd, sizeof cmd, "'%s' %s", GT_CLI_PATH, args);
  return gt_test_run_command(cmd, g_out, sizeof g_out, g_err, sizeof g_err);
}

static void test_help_and_usage(void) {
  GT_CHECK(run("--help") == 0 && strstr(g_out, "eval") && strstr(g_out, "info"), "--help: %s", g_out);
  GT_CHECK(run("") == 2, "no command should be a usage error");
  GT_CHECK(run("frobnicate") == 2 && strstr(g_err, "frobnicate"), "unknown command: %s", g_err);
  GT_CHECK(run("eval --help") == 0 && strstr(g_out, "--model") && strstr(g_out, "--json"), "eval --help: %s", g_out);
  GT_CHECK(run("info --help") == 0 && strstr(g_out, "MODEL.onnx"), "info --help: %s", g_out);
  GT_CHECK(run("eval --model " CNN) == 2 && strstr(g_err, "required"), "missing --data: %s", g_err);
  GT_CHECK(run("eval --bogus 1") == 2 && strstr(g_err, "--bogus"), "unknown option: %s", g_err);
  GT_CHECK(run("eval --model " CNN " --data fmnist:test --batch 0") == 2 && strstr(g_err, "--batch"), "batch 0: %s",
           g_err);
  GT_CHECK(run("eval --model " CNN " --data fmnist:test --n ten") == 2 && strstr(g_err, "ten"), "--n ten: %s", g_err);
  GT_CHECK(run("eval --model " CNN " --data fmnist:test --mean 0.5 --std 0.5,0.5") == 2 && strstr(g_err, "--mean"),
           "mean/std mismatch: %s", g_err);
  GT_CHECK(run("--version") == 0 && strstr(g_out, "gauntlet"), "--version: %s", g_out);
}

static void test_bad_inputs(void) {
  GT_CHECK(run("eval --model /nonexistent/m.onnx --data fmnist:test --n 10") == 1 && strstr(g_err, "/nonexistent/m.onnx"),
           "missing model: %s", g_err);
  /* A wrong word on the command line is a usage error (2); a bad file is bad input (1). */
  GT_CHECK(run("eval --model " CNN " --data nosuch:thing") == 2 && strstr(g_err, "nosuch"), "bad scheme: %s", g_err);
  GT_CHECK(run("eval --model " CNN " --data fmnist:test --n 20000") != 0 && strstr(g_err, "20000"), "n too large: %s",
           g_err);
  GT_CHECK(run("eval --model " CNN " --data fmnist:test --backend warp") == 2 && strstr(g_err, "warp"),
           "unknown backend: %s", g_err);
  GT_CHECK(run("eval --model " CNN " --data fmnist:test --n 5 --mean 0.5,0.5 --std 1,1") == 1 &&
               strstr(g_err, "channel"),
           "normalisation channel mismatch: %s", g_err);
  char path[512];
  gt_test_tmp_path("not-a-model.onnx", path, sizeof path);
  FILE *f = fopen(path, "wb");
  if (f) {
    fputs("this is not protobuf at all \xff\xff\xff\xff", f);
    fclose(f);
  }
  char args[1024];
  snprintf(args, sizeof args, "info '%s'", path);
  GT_CHECK(run(args) == 1 && strstr(g_err, "not-a-model.onnx"), "garbage model: %s", g_err);
}

static void test_eval_json(void) {
  GT_CHECK(run("eval --model " CNN " --data fmnist:test --n 300 --batch 64 --json") == 0, "eval failed: %s", g_err);
  cJSON *o = cJSON_Parse(g_out);
  if (!GT_CHECK(o != NULL, "stdout is not one JSON object: %s", g_out)) return;
  cJSON *acc = cJSON_GetObjectItem(o, "accuracy"), *n = cJSON_GetObjectItem(o, "n");
  cJSON *sha = cJSON_GetObjectItem(o, "model_sha256"), *secs = cJSON_GetObjectItem(o, "seconds");
  GT_CHECK(cJSON_IsNumber(acc) && acc->valuedouble > 0.6 && acc->valuedouble <= 1.0, "accuracy %g",
           acc ? acc->valuedouble : -1);
  GT_CHECK(cJSON_IsNumber(n) && n->valuedouble == 300, "n");
  GT_CHECK(cJSON_IsString(sha) && strlen(sha->valuestring) == 64, "sha256");
  GT_CHECK(cJSON_IsNumber(secs) && secs->valuedouble >= 0, "seconds");
  double cpu_acc = acc ? acc->valuedouble : -1;
  cJSON_Delete(o);
  /* The readable reference backend agrees on the same points. */
  GT_CHECK(run("eval --model " CNN " --data fmnist:test --n 300 --backend ref --json") == 0, "%s", g_err);
  o = cJSON_Parse(g_out);
  acc = o ? cJSON_GetObjectItem(o, "accuracy") : NULL;
  GT_CHECK(acc && acc->valuedouble == cpu_acc, "ref accuracy %g vs cpu %g", acc ? acc->valuedouble : -1, cpu_acc);
  cJSON_Delete(o);
  GT_CHECK(run("eval --model " CNN " --data fmnist:test --n 50") == 0 && strstr(g_out, "accuracy"), "text: %s", g_out);
}

static void test_info(void) {
  GT_CHECK(run("info " CNN " --json") == 0, "info failed: %s", g_err);
  cJSON *o = cJSON_Parse(g_out);
  if (!GT_CHECK(o != NULL, "stdout is not JSON: %s", g_out)) return;
  cJSON *runnable = cJSON_GetObjectItem(o, "runnable"), *flops = cJSON_GetObjectItem(o, "flops_per_sample");
  cJSON *ops = cJSON_GetObjectItem(o, "ops"), *params = cJSON_GetObjectItem(o, "parameters");
  GT_CHECK(cJSON_IsTrue(runnable), "not runnable");
  GT_CHECK(cJSON_IsNumber(flops) && flops->valuedouble > 1e5, "flops");
  GT_CHECK(ops && cJSON_GetObjectItem(ops, "Conv") && cJSON_GetObjectItem(ops, "Conv")->valuedouble == 2, "Conv count");
  GT_CHECK(cJSON_IsNumber(params) && params->valuedouble > 50000, "parameters");
  cJSON_Delete(o);
  GT_CHECK(run("info " CNN) == 0 && strstr(g_out, "runnable   yes"), "text info: %s", g_out);
}

static double json_number(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItem(o, key);
  return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static void test_attack_usage(void) {
  GT_CHECK(run("attack --list") == 0 && strstr(g_out, "pgd") && strstr(g_out, "fgsm"), "--list: %s", g_out);
  GT_CHECK(run("attack --model " CNN " --data fmnist:test --attack nosuch --eps 0.1") == 2 && strstr(g_err, "nosuch"),
           "unknown attack: %s", g_err);
  GT_CHECK(run("attack --model " CNN " --data fmnist:test --attack pgd") == 2 && strstr(g_err, "--eps"),
           "bounded attack without eps: %s", g_err);
  GT_CHECK(run("attack --model " CNN " --data fmnist:test --attack mifgsm --norm l1 --eps 1") == 2 &&
               strstr(g_err, "L1"),
           "unsupported norm: %s", g_err);
  GT_CHECK(run("attack --model " CNN " --data fmnist:test --attack pgd --eps -1") == 2 && strstr(g_err, "-1"),
           "negative eps: %s", g_err);
  GT_CHECK(run("attack --model " CNN " --data fmnist:test --attack pgd --eps 0.1 --norm l7") == 2 && strstr(g_err, "l7"),
           "bad norm: %s", g_err);
  GT_CHECK(run("attack --model " CNN " --data fmnist:test --attack autoattack --eps 0.1 --steps 5") == 2 &&
               strstr(g_err, "reference settings"),
           "autoattack with custom steps: %s", g_err);
  GT_CHECK(run("attack --model " CNN " --data fmnist:test --attack pgd --eps 0.1 --version plus") == 2 &&
               strstr(g_err, "--version"),
           "--version on a single attack: %s", g_err);
}

/* A real PGD run: JSON fields, eps respected, and the saved adversarial examples are within eps. */
static void test_attack_pgd_json(void) {
  char npy[512], args[1200];
  gt_test_tmp_path("adv.npy", npy, sizeof npy);
  snprintf(args, sizeof args,
           "attack --model " CNN " --data fmnist:test --n 40 --attack pgd --eps 8/255 --steps 10 --seed 3 "
           "--save-adv '%s' --json",
           npy);
  if (!GT_CHECK(run(args) == 0, "pgd failed: %s", g_err)) return;
  cJSON *o = cJSON_Parse(g_out);
  if (!GT_CHECK(o != NULL, "stdout is not JSON: %s", g_out)) return;
  double clean = json_number(o, "clean_accuracy"), robust = json_number(o, "robust_accuracy");
  double eps = json_number(o, "eps"), maxp = json_number(o, "max_perturbation");
  GT_CHECK(clean > 0.5 && clean <= 1, "clean accuracy %g", clean);
  GT_CHECK(robust >= 0 && robust <= clean, "robust %g vs clean %g", robust, clean);
  GT_CHECK(fabs(eps - 8.0 / 255) < 1e-6, "eps %g", eps);
  GT_CHECK(maxp <= eps + 1e-6, "max perturbation %g > eps %g", maxp, eps);
  GT_CHECK(json_number(o, "n") == 40 && json_number(o, "backward_passes") > 0, "n / passes");
  const cJSON *per = cJSON_GetObjectItem(o, "per_attack");
  GT_CHECK(cJSON_IsArray(per) && cJSON_GetArraySize(per) == 1, "per_attack");
  GT_CHECK(cJSON_IsString(cJSON_GetObjectItem(o, "attack")) && cJSON_IsString(cJSON_GetObjectItem(o, "norm")), "names");
  cJSON_Delete(o);
  float *adv = NULL;
  int ndim = 0;
  int64_t shape[GT_MAX_DIMS];
  gt_error err = {0};
  gt_dataset *ds = NULL;
  if (GT_CHECK(gt_npy_read_f32(npy, &adv, &ndim, shape, &err) == GT_OK, "%s", err.message) &&
      GT_CHECK(ndim == 4 && shape[0] == 40 && shape[1] == 1 && shape[2] == 28 && shape[3] == 28, "saved shape") &&
      GT_CHECK(gt_dataset_load("fmnist:test", &ds, &err) == GT_OK, "%s", err.message)) {
    double worst = 0;
    for (int64_t i = 0; i < 40 * 784; i++) {
      double delta = fabs((double)adv[i] - ds->images[i]);
      if (delta > worst) worst = delta;
      if (adv[i] < 0 || adv[i] > 1) worst = INFINITY;
    }
    GT_CHECK(worst <= 8.0 / 255 + 1e-6, "saved x_adv is %g from x (eps %g)", worst, 8.0 / 255);
  }
  free(adv);
  gt_dataset_free(ds);
  /* Same seed, same bytes of output (the timing field aside). */
  static char first[sizeof g_out];
  run("attack --model " CNN " --data fmnist:test --n 40 --attack pgd --eps 8/255 --steps 10 --seed 3 --json");
  memcpy(first, g_out, sizeof first);
  run("attack --model " CNN " --data fmnist:test --n 40 --attack pgd --eps 8/255 --steps 10 --seed 3 --json");
  cJSON *a = cJSON_Parse(first), *b = cJSON_Parse(g_out);
  if (a && b) {
    cJSON_DeleteItemFromObject(a, "seconds");
    cJSON_DeleteItemFromObject(b, "seconds");
    char *ta = cJSON_PrintUnformatted(a), *tb = cJSON_PrintUnformatted(b);
    GT_CHECK(ta && tb && !strcmp(ta, tb), "two runs with one seed differ:\n%s\n%s", ta, tb);
    free(ta);
    free(tb);
  }
  cJSON_Delete(a);
  cJSON_Delete(b);
}

/* Without OMP_WAIT_POLICY / GOMP_SPINCOUNT the CLI executes itself once more with a short
 * spin count (src/cli/omp_wait.c); ctest sets OMP_WAIT_POLICY, so this case clears both. The
 * re-executed program must see the same arguments and give the same answer. */
static void test_reexec_with_spincount(void) {
  int rc = run("eval --model '" CNN "' --data npy:'" GT_FIXTURES_DIR "/models/cnn.x.npy','" GT_FIXTURES_DIR
               "/models/cnn.y.npy' --backend cpu --json");
  GT_CHECK(rc == 0, "rc %d: %s", rc, g_err);
  char expected[sizeof g_out];
  snprintf(expected, sizeof expected, "%s", g_out);
  char cmd[2048];
  snprintf(cmd, sizeof cmd,
           "env -u OMP_WAIT_POLICY -u GOMP_SPINCOUNT '%s' eval --model '" CNN "' --data npy:'" GT_FIXTURES_DIR
           "/models/cnn.x.npy','" GT_FIXTURES_DIR "/models/cnn.y.npy' --backend cpu --json",
           GT_CLI_PATH);
  rc = gt_test_run_command(cmd, g_out, sizeof g_out, g_err, sizeof g_err);
  GT_CHECK(rc == 0, "rc %d after the re-exec: %s", rc, g_err);
  const char *a = strstr(expected, "\"correct\""), *b = strstr(g_out, "\"correct\"");
  GT_CHECK(a && b && strncmp(a, b, 20) == 0, "same answer with and without the re-exec: %s vs %s", expected, g_out);
}

int main(void) {
  gt_test_run("help and usage errors", test_help_and_usage);
  gt_test_run("bad inputs give exit 1 naming the file", test_bad_inputs);
  gt_test_run("eval --json on Fashion-MNIST", test_eval_json);
  gt_test_run("info", test_info);
  gt_test_run("attack usage errors", test_attack_usage);
  gt_test_run("attack pgd --json --save-adv", test_attack_pgd_json);
  gt_test_run("re-exec with a short OpenMP spin", test_reexec_with_spincount);
  return gt_test_finish();
}

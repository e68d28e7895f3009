/* The gauntlet CLI as a user meets it: help, usage errors (exit 2), bad input (exit 1, message
 * naming the file), and real runs of `info` and `eval` with --json output checked by parsing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

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

int main(void) {
  gt_test_run("help and usage errors", test_help_and_usage);
  gt_test_run("bad inputs give exit 1 naming the file", test_bad_inputs);
  gt_test_run("eval --json on Fashion-MNIST", test_eval_json);
  gt_test_run("info", test_info);
  return gt_test_finish();
}

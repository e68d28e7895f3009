/* `gauntlet eval`: clean accuracy of an ONNX classifier on a dataset. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "gauntlet/eval.h"

static const gt_cli_option eval_options[] = {
    {"model", "FILE.onnx", "the classifier to evaluate (required)"},
    {"data", "SPEC", "dataset, e.g. fmnist:test, idx:IMAGES,LABELS, cifar10:DIR, png:DIR, npy:X.npy,Y.npy (required)"},
    {"n", "N", "evaluate the first N points (default: all)"},
    {"indices", "FILE", "evaluate the points listed in FILE (one index per line) instead"},
    {"batch", "B", "batch size (default 256; on a GPU, chosen from free memory)"},
    {"backend", "NAME", "auto | cpu | ref | cuda | cuda:N (default auto: cuda when a GPU is usable, else cpu)"},
    {"threads", "T", "CPU threads (default: all cores)"},
    {"mean", "M1,M2,..", "per-channel mean subtracted in front of the model"},
    {"std", "S1,S2,..", "per-channel std divided in front of the model"},
    {"json", NULL, "print one JSON object on stdout"},
    {"help", NULL, "show this help"},
};
#define N_EVAL_OPTIONS ((int)(sizeof eval_options / sizeof eval_options[0]))

static double seconds_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void print_json(const char *model_path, const char *sha, const gt_dataset *ds, int64_t correct,
                       double seconds, const char *backend, int64_t batch) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "model", model_path);
  cJSON_AddStringToObject(o, "model_sha256", sha);
  cJSON_AddStringToObject(o, "data", ds->source ? ds->source : "");
  cJSON_AddNumberToObject(o, "n", (double)ds->n);
  cJSON_AddNumberToObject(o, "correct", (double)correct);
  cJSON_AddNumberToObject(o, "accuracy", ds->n ? (double)correct / (double)ds->n : 0.0);
  cJSON_AddNumberToObject(o, "seconds", seconds);
  cJSON_AddStringToObject(o, "backend", backend);
  cJSON_AddNumberToObject(o, "batch", (double)batch);
  cJSON_AddStringToObject(o, "gauntlet_version", GT_VERSION);
  char *text = cJSON_PrintUnformatted(o);
  if (text) printf("%s\n", text);
  free(text);
  cJSON_Delete(o);
}

int gt_cmd_eval(int argc, char **argv) {
  gt_cli_args args;
  gt_error err = {0};
  gt_status st = gt_cli_parse(&args, eval_options, N_EVAL_OPTIONS, argc, argv, &err);
  if (st != GT_OK) return gt_cli_fail("eval", &err);
  if (gt_cli_flag(&args, "help")) {
    gt_cli_print_help("gauntlet eval --model M.onnx --data SPEC [options]",
                      "Clean accuracy of an ONNX image classifier.", eval_options, N_EVAL_OPTIONS);
    return 0;
  }
  if (!gt_cli_get(&args, "model") || !gt_cli_get(&args, "data")) {
    gt_error_set(&err, GT_ERR_USAGE, "--model and --data are required (see --help)");
    return gt_cli_fail("eval", &err);
  }
  double t0 = seconds_now();
  gt_cli_session s;
  if (gt_cli_session_open(&args, &s, &err) != GT_OK) return gt_cli_fail("eval", &err);
  int64_t correct = 0;
  st = gt_eval_predict(s.model, s.data, NULL, &correct, &err);
  double seconds = seconds_now() - t0;
  int rc = 0;
  if (st != GT_OK) {
    rc = gt_cli_fail("eval", &err);
  } else if (gt_cli_flag(&args, "json")) {
    print_json(gt_cli_get(&args, "model"), s.model_sha256, s.data, correct, seconds, s.backend_name,
               gt_model_max_batch(s.model));
  } else {
    printf("accuracy %.4f (%lld of %lld) on %s\nmodel %s (sha256 %.12s), backend %s, %.2f s\n",
           s.data->n ? (double)correct / (double)s.data->n : 0.0, (long long)correct, (long long)s.data->n,
           s.data->source, gt_cli_get(&args, "model"), s.model_sha256, s.backend_name, seconds);
  }
  gt_cli_session_close(&s);
  return rc;
}

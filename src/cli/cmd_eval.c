/* `gauntlet eval`: clean accuracy of an ONNX classifier on a dataset. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "gauntlet/eval.h"
#include "gauntlet/model.h"
#include "gauntlet/sha256.h"

static const gt_cli_option eval_options[] = {
    {"model", "FILE.onnx", "the classifier to evaluate (required)"},
    {"data", "SPEC", "dataset, e.g. fmnist:test, idx:IMAGES,LABELS, cifar10:DIR, png:DIR, npy:X.npy,Y.npy (required)"},
    {"n", "N", "evaluate the first N points (default: all)"},
    {"indices", "FILE", "evaluate the points listed in FILE (one index per line) instead"},
    {"batch", "B", "batch size (default 256)"},
    {"backend", "NAME", "ref | cpu (default cpu)"},
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
  const char *model_path = gt_cli_get(&args, "model");
  const char *spec = gt_cli_get(&args, "data");
  if (!model_path || !spec) {
    gt_error_set(&err, GT_ERR_USAGE, "--model and --data are required (see --help)");
    return gt_cli_fail("eval", &err);
  }
  int64_t n = 0, batch = 0, threads = 0;
  float mean[16], std[16];
  int n_mean = 0, n_std = 0;
  st = gt_cli_get_int(&args, "n", 1, INT64_MAX, 0, &n, &err);
  if (st == GT_OK) st = gt_cli_get_int(&args, "batch", 1, 1 << 20, 256, &batch, &err);
  if (st == GT_OK) st = gt_cli_get_int(&args, "threads", 0, 1024, 0, &threads, &err);
  if (st == GT_OK) st = gt_cli_get_floats(&args, "mean", mean, 16, &n_mean, &err);
  if (st == GT_OK) st = gt_cli_get_floats(&args, "std", std, 16, &n_std, &err);
  if (st == GT_OK && n_mean != n_std)
    st = gt_error_set(&err, GT_ERR_USAGE, "--mean has %d values and --std %d: give one per channel in both", n_mean, n_std);
  if (st != GT_OK) return gt_cli_fail("eval", &err);
  const char *backend_name = gt_cli_get(&args, "backend") ? gt_cli_get(&args, "backend") : "cpu";

  gt_dataset *ds = NULL;
  gt_graph *graph = NULL;
  gt_backend *be = NULL;
  gt_model *model = NULL;
  char sha[65] = "";
  double t0 = seconds_now();
  st = gt_dataset_load(spec, &ds, &err);
  if (st == GT_OK && gt_cli_get(&args, "indices")) st = gt_dataset_take_index_file(ds, gt_cli_get(&args, "indices"), &err);
  else if (st == GT_OK && n > 0) st = gt_dataset_take_first(ds, n, &err);
  if (st == GT_OK) st = gt_sha256_file(model_path, sha, &err);
  if (st == GT_OK) st = gt_graph_load_classifier(model_path, n_mean, mean, std, &graph, &err);
  if (st == GT_OK) {
    if (threads > 0 && !strcmp(backend_name, "cpu")) st = gt_backend_cpu_create(&be, (int)threads, &err);
    else st = gt_backend_create(backend_name, &be, &err);
  }
  if (st == GT_OK) st = gt_model_create(graph, be, batch < ds->n ? batch : (ds->n > 0 ? ds->n : 1), &model, &err);
  int64_t correct = 0;
  if (st == GT_OK) st = gt_eval_predict(model, ds, NULL, &correct, &err);
  double seconds = seconds_now() - t0;
  int rc = 0;
  if (st != GT_OK) {
    rc = gt_cli_fail("eval", &err);
  } else if (gt_cli_flag(&args, "json")) {
    print_json(model_path, sha, ds, correct, seconds, backend_name, gt_model_max_batch(model));
  } else {
    printf("accuracy %.4f (%lld of %lld) on %s\nmodel %s (sha256 %.12s), backend %s, %.2f s\n",
           ds->n ? (double)correct / (double)ds->n : 0.0, (long long)correct, (long long)ds->n, ds->source,
           model_path, sha, backend_name, seconds);
  }
  gt_model_free(model);
  gt_backend_free(be);
  gt_graph_free(graph);
  gt_dataset_free(ds);
  return rc;
}

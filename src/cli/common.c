/* Shared command plumbing: the model-on-a-dataset session and small parsers. */
#include "cli/common.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gauntlet/cuda.h"
#include "gauntlet/sha256.h"
#include "gauntlet/sweep.h"

void gt_cli_session_close(gt_cli_session *s) {
  gt_model_free(s->model);
  gt_backend_free(s->backend);
  gt_graph_free(s->graph);
  gt_dataset_free(s->data);
  memset(s, 0, sizeof *s);
}

/* Device memory one sample needs during an attack, roughly: every batched value of the graph and
 * its gradient, plus about eight input-sized attack state arrays (x, x0, grad, best, momentum...). */
static size_t bytes_per_sample(const gt_graph *g) {
  size_t floats = 0;
  for (int v = 0; v < g->n_values; v++)
    if (g->values[v].batched) floats += 2 * (size_t)gt_value_sample_numel(&g->values[v]);
  floats += 8 * (size_t)gt_value_sample_numel(&g->values[g->input]);
  return floats * sizeof(float);
}

/* With a CUDA backend and no --batch: the batch that fits in half of the device's free memory
 * (gt_cuda_batch_for_memory). If the device still runs out, the batch is halved and the step
 * retried (gt_model_create_fitting, gt_cli_session_halve_batch); see docs/CUDA.md. */
static int64_t batch_for_device(const char *backend_name, const gt_graph *g, int64_t fallback) {
  int ordinal = 0;
  if (strcmp(backend_name, "cuda") && strncmp(backend_name, "cuda:", 5)) return fallback;
  if (backend_name[4] == ':') ordinal = atoi(backend_name + 5);
  size_t free_bytes = 0;
  gt_error err = {0};
  if (gt_cuda_free_memory(ordinal, &free_bytes, NULL, &err) != GT_OK) return fallback;
  int64_t batch = gt_cuda_batch_for_memory(free_bytes, bytes_per_sample(g), 4096);
  fprintf(stderr, "gauntlet: batch %lld chosen from %zu MiB free on %s (--batch overrides)\n", (long long)batch,
          free_bytes >> 20, backend_name);
  return batch;
}

/* gt_model_retry_fn: a halved batch is said on stderr. */
static void say_retry(void *user, const char *why, int64_t batch) {
  (void)user;
  fprintf(stderr, "gauntlet: out of memory (%s): retrying with batch %lld\n", why, (long long)batch);
}

gt_status gt_cli_session_open(const gt_cli_args *args, gt_cli_session *s, gt_error *err) {
  memset(s, 0, sizeof *s);
  const char *model_path = gt_cli_get(args, "model");
  const char *spec = gt_cli_get(args, "data");
  int64_t n = 0, batch = 0, threads = 0;
  float mean[16], std[16];
  int n_mean = 0, n_std = 0;
  gt_status st = gt_cli_get_int(args, "n", 1, INT64_MAX, 0, &n, err);
  if (st == GT_OK) st = gt_cli_get_int(args, "batch", 1, 1 << 20, 256, &batch, err);
  if (st == GT_OK) st = gt_cli_get_int(args, "threads", 0, 1024, 0, &threads, err);
  if (st == GT_OK) st = gt_cli_get_floats(args, "mean", mean, 16, &n_mean, err);
  if (st == GT_OK) st = gt_cli_get_floats(args, "std", std, 16, &n_std, err);
  if (st == GT_OK && n_mean != n_std)
    st = gt_error_set(err, GT_ERR_USAGE, "--mean has %d values and --std %d: give one per channel in both", n_mean,
                      n_std);
  if (st != GT_OK) return st;
  s->backend_name = gt_cli_get(args, "backend") ? gt_cli_get(args, "backend") : "auto";
  if (!strcmp(s->backend_name, "auto")) {
    /* CUDA when a device is usable, else cpu; the choice and its reason go to stderr. */
    char why[GT_ERROR_MSG_MAX];
    s->backend_name = gt_backend_auto_choice(why, sizeof why);
    fprintf(stderr, "gauntlet: --backend auto: using %s (%s)\n", s->backend_name, why);
  }
  st = gt_dataset_load(spec, &s->data, err);
  if (st == GT_OK && gt_cli_get(args, "indices")) st = gt_dataset_take_index_file(s->data, gt_cli_get(args, "indices"), err);
  else if (st == GT_OK && n > 0) st = gt_dataset_take_first(s->data, n, err);
  if (st == GT_OK) st = gt_sha256_file(model_path, s->model_sha256, err);
  if (st == GT_OK) st = gt_graph_load_classifier(model_path, n_mean, mean, std, &s->graph, err);
  if (st == GT_OK) {
    if (threads > 0 && !strcmp(s->backend_name, "cpu")) st = gt_backend_cpu_create(&s->backend, (int)threads, err);
    else st = gt_backend_create(s->backend_name, &s->backend, err);
  }
  if (st == GT_OK && !gt_cli_get(args, "batch")) batch = batch_for_device(s->backend_name, s->graph, batch);
  if (st == GT_OK) {
    int64_t max_batch = batch < s->data->n ? batch : s->data->n;
    st = gt_model_create_fitting(s->graph, s->backend, max_batch > 0 ? max_batch : 1, say_retry, NULL, &s->model, err);
  }
  if (st != GT_OK) gt_cli_session_close(s);
  return st;
}

gt_status gt_cli_session_halve_batch(gt_cli_session *s, gt_error *err) {
  return gt_model_halve_batch(s->graph, &s->model, say_retry, NULL, err);
}

gt_status gt_cli_parse_eps(const char *what, const char *text, float *out, gt_error *err) {
  gt_status st = gt_sweep_parse_eps(what, text, out, err);
  if (st != GT_OK && err) err->code = GT_ERR_USAGE; /* on the command line it is a usage error */
  return st == GT_OK ? GT_OK : GT_ERR_USAGE;
}

gt_status gt_cli_parse_loss(const char *text, gt_loss_kind *out, gt_error *err) {
  for (int k = 0; k < GT_LOSS_COUNT; k++)
    if (!strcmp(text, gt_loss_name((gt_loss_kind)k))) {
      *out = (gt_loss_kind)k;
      return GT_OK;
    }
  return gt_error_set(err, GT_ERR_USAGE, "unknown loss '%s' (ce, ce-targeted, dlr, dlr-targeted, cw, cw-targeted)", text);
}

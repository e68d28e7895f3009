/* `gauntlet info`: what is inside an ONNX model, and whether Gauntlet can run it. */
#include <stdio.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "gauntlet/model.h"
#include "gauntlet/onnx.h"

static const gt_cli_option info_options[] = {
    {"json", NULL, "print one JSON object on stdout"},
    {"help", NULL, "show this help"},
};
#define N_INFO_OPTIONS ((int)(sizeof info_options / sizeof info_options[0]))

static void format_dims(const gt_onnx_io_info *io, char *buf, size_t size) {
  size_t used = (size_t)snprintf(buf, size, "[");
  for (int d = 0; d < io->ndim && used < size; d++) {
    const char *sep = d ? ", " : "";
    if (io->dims[d] >= 0) used += (size_t)snprintf(buf + used, size - used, "%s%lld", sep, (long long)io->dims[d]);
    else used += (size_t)snprintf(buf + used, size - used, "%s%s", sep, io->dim_params[d] ? io->dim_params[d] : "?");
  }
  if (used < size) snprintf(buf + used, size - used, io->ndim < 0 ? "unknown]" : "]");
}

static cJSON *io_json(const gt_onnx_io_info *ios, int n) {
  cJSON *arr = cJSON_CreateArray();
  for (int i = 0; i < n; i++) {
    cJSON *o = cJSON_CreateObject();
    char dims[256];
    format_dims(&ios[i], dims, sizeof dims);
    cJSON_AddStringToObject(o, "name", ios[i].name);
    cJSON_AddStringToObject(o, "shape", dims);
    cJSON_AddNumberToObject(o, "elem_type", ios[i].elem_type);
    cJSON_AddItemToArray(arr, o);
  }
  return arr;
}

/* The graph Gauntlet would run, or the reason it cannot. */
typedef struct import_result {
  gt_status status;
  gt_error err;
  int n_nodes;
  int64_t macs;
} import_result;

static import_result try_import(const char *path) {
  import_result r = {0};
  gt_graph *g = NULL;
  r.status = gt_graph_load_classifier(path, 0, NULL, NULL, &g, &r.err);
  if (r.status == GT_OK) {
    r.n_nodes = g->n_nodes;
    r.macs = gt_graph_macs_per_sample(g);
  }
  gt_graph_free(g);
  return r;
}

static void print_json(const char *path, const gt_onnx_summary *s, const import_result *r) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "model", path);
  cJSON_AddStringToObject(o, "producer", s->producer ? s->producer : "");
  cJSON_AddNumberToObject(o, "ir_version", (double)s->ir_version);
  cJSON_AddNumberToObject(o, "opset", (double)s->opset);
  cJSON_AddItemToObject(o, "inputs", io_json(s->inputs, s->n_inputs));
  cJSON_AddItemToObject(o, "outputs", io_json(s->outputs, s->n_outputs));
  cJSON_AddNumberToObject(o, "nodes", s->n_nodes);
  cJSON *ops = cJSON_CreateObject();
  for (int i = 0; i < s->n_op_types; i++) cJSON_AddNumberToObject(ops, s->op_types[i].op_type, s->op_types[i].count);
  cJSON_AddItemToObject(o, "ops", ops);
  cJSON_AddNumberToObject(o, "parameters", (double)s->n_params);
  cJSON *unsupported = cJSON_CreateArray();
  for (int i = 0; i < s->n_unsupported; i++) cJSON_AddItemToArray(unsupported, cJSON_CreateString(s->unsupported_ops[i]));
  cJSON_AddItemToObject(o, "unsupported_ops", unsupported);
  cJSON_AddBoolToObject(o, "runnable", r->status == GT_OK);
  if (r->status == GT_OK) {
    cJSON_AddNumberToObject(o, "graph_nodes", r->n_nodes);
    cJSON_AddNumberToObject(o, "flops_per_sample", 2.0 * (double)r->macs);
  } else {
    cJSON_AddStringToObject(o, "error", r->err.message);
  }
  char *text = cJSON_PrintUnformatted(o);
  if (text) printf("%s\n", text);
  free(text);
  cJSON_Delete(o);
}

static void print_text(const char *path, const gt_onnx_summary *s, const import_result *r) {
  printf("model      %s\nproducer   %s\nir/opset   %lld / %lld\n", path, s->producer && *s->producer ? s->producer : "?",
         (long long)s->ir_version, (long long)s->opset);
  char dims[256];
  for (int i = 0; i < s->n_inputs; i++) {
    format_dims(&s->inputs[i], dims, sizeof dims);
    printf("input      %s %s\n", s->inputs[i].name, dims);
  }
  for (int i = 0; i < s->n_outputs; i++) {
    format_dims(&s->outputs[i], dims, sizeof dims);
    printf("output     %s %s\n", s->outputs[i].name, dims);
  }
  printf("parameters %lld in %d initializers\nnodes      %d\nops       ", (long long)s->n_params, s->n_initializers,
         s->n_nodes);
  for (int i = 0; i < s->n_op_types; i++)
    printf(" %s x%d%s", s->op_types[i].op_type, s->op_types[i].count, s->op_types[i].supported ? "" : " (unsupported)");
  printf("\n");
  if (r->status == GT_OK) {
    printf("runnable   yes: %d graph nodes after folding, %.2f MFLOP per sample (forward)\n", r->n_nodes,
           2.0 * (double)r->macs / 1e6);
  } else {
    printf("runnable   no: %s\n", r->err.message);
  }
}

int gt_cmd_info(int argc, char **argv) {
  gt_cli_args args;
  gt_error err = {0};
  if (gt_cli_parse(&args, info_options, N_INFO_OPTIONS, argc, argv, &err) != GT_OK) return gt_cli_fail("info", &err);
  if (gt_cli_flag(&args, "help")) {
    gt_cli_print_help("gauntlet info MODEL.onnx [--json]",
                      "Inputs, outputs, op histogram, parameter count, FLOPs per sample, and unsupported ops.",
                      info_options, N_INFO_OPTIONS);
    return 0;
  }
  if (args.n_positional != 1) {
    gt_error_set(&err, GT_ERR_USAGE, "give exactly one model file (see --help)");
    return gt_cli_fail("info", &err);
  }
  const char *path = args.positional[0];
  gt_onnx_summary *s = NULL;
  if (gt_onnx_inspect(path, &s, &err) != GT_OK) return gt_cli_fail("info", &err);
  import_result r = try_import(path);
  if (gt_cli_flag(&args, "json")) print_json(path, s, &r);
  else print_text(path, s, &r);
  gt_onnx_summary_free(s);
  /* A model that cannot run is still described; the exit code says it cannot run. */
  return r.status == GT_OK ? 0 : gt_cli_exit_code(r.status);
}

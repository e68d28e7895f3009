/* Internal to the import driver (onnx_import.c, onnx_inputs.c, onnx_emit.c, onnx_values.c): the table of
 * named ONNX values and the state of one import. */
#ifndef GAUNTLET_ONNX_IMPORT_H
#define GAUNTLET_ONNX_IMPORT_H

#include "onnx/onnx_internal.h"

typedef enum gt_onnx_value_kind {
  GT_ONNX_VAL_UNSET = 0, /* declared (produced by some node) but not computed yet */
  GT_ONNX_VAL_BATCHED,   /* an activation: graph_id is its gt_graph value */
  GT_ONNX_VAL_CONST      /* a host constant: c; graph_id once it was added to the graph, else -1 */
} gt_onnx_value_kind;

typedef struct gt_onnx_value {
  const char *name;      /* borrowed from the ModelProto */
  gt_onnx_value_kind kind;
  int graph_id;
  gt_onnx_tensor *c;
  int producer;          /* index of the node that writes it, -1 for inputs and initializers */
  int n_uses;            /* node inputs and graph outputs that read it */
} gt_onnx_value;

/* Name -> value, open addressing over a power-of-two slot array. */
typedef struct gt_onnx_values {
  gt_onnx_value *v;
  int n, cap;
  int *slots; /* value index + 1; 0 = empty */
  size_t n_slots;
} gt_onnx_values;

int gt_onnx_values_find(const gt_onnx_values *t, const char *name);
/* Adds a new name (the caller checked it is absent); returns its index or -1 when out of memory. */
int gt_onnx_values_add(gt_onnx_values *t, const char *name);
void gt_onnx_values_free(gt_onnx_values *t);

typedef struct gt_onnx_import {
  const Onnx__GraphProto *graph;
  gt_onnx_source src;
  int64_t opset;
  int64_t batch_static; /* declared batch dim of the runtime input, -1 when symbolic */
  gt_graph *g;
  gt_onnx_values vals;
  char **node_names;    /* display name per node of the file */
  int64_t folded;       /* elements of all constants made by folding so far (capped) */
} gt_onnx_import;

/* onnx_inputs.c: adds a named value (err set and -1 when out of memory); the caller's bound
 * inputs, then the initializers (skipping names already bound, the first n_bound values), then
 * the one runtime input. */
int gt_onnx_add_value(gt_onnx_import *im, const char *name, gt_error *err);
gt_status gt_onnx_add_bound_inputs(gt_onnx_import *im, const gt_onnx_options *opts, gt_error *err);
gt_status gt_onnx_add_initializers(gt_onnx_import *im, int n_bound, gt_error *err);
gt_status gt_onnx_add_runtime_input(gt_onnx_import *im, gt_error *err);

/* Imports node k of the file (its inputs are all computed): lowers it and emits the result. */
gt_status gt_onnx_emit_node(gt_onnx_import *im, int k, gt_error *err);

#endif

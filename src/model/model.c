/* The graph executor: uploads constants, plans one buffer per batched value (views share their
 * input's buffer), runs nodes forward in order and backward in reverse, accumulating input
 * gradients. All buffers are reserved at creation for max_batch samples. */
#include "gauntlet/model.h"

#include "gauntlet/model_train.h"
#include "gauntlet/train_ops.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static double seconds_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* One piece of backend memory that one or more values (a value and its views) live in. */
typedef struct storage {
  float *data;       /* activations; for the graph input: the caller's x for this pass */
  float *grad;       /* dL/d(activation), allocated on the first backward */
  int64_t sample_numel;
  int external;      /* 1 for the graph input: data (and grad) belong to the caller */
} storage;

struct gt_model {
  const gt_graph *graph;
  gt_backend *be;
  int64_t max_batch;
  int64_t n;                 /* batch of the last forward; 0 before any */
  int *value_storage;        /* [n_values] storage id of batched values, -1 for constants */
  storage *storages;
  int n_storages;
  gt_tensor *tensors;        /* [n_values] current shape and data of every value */
  gt_tensor *grad_tensors;   /* [n_values] same shapes, gradient memory */
  const gt_tensor **node_in; /* per node: pointers into tensors, n_inputs each (flattened) */
  int *node_in_offset;       /* [n_nodes] offset into node_in */
  gt_tensor **grad_in;       /* per node: gradient tensors or NULL for constant inputs (flattened) */
  void *scratch;
  size_t scratch_bytes;
  float *dlogits;            /* [max_batch, K] for gt_model_loss_grad */
  float *loss;               /* [max_batch] for gt_model_loss_grad when the caller wants no loss */
  int grads_ready;
  gt_pass_counts counts;
};

static int node_is_view(const gt_model *m, const gt_node *node) {
  return node->op == GT_OP_RESHAPE && m->graph->values[node->inputs[0]].batched;
}

static void free_device(gt_model *m, void *ptr) {
  if (ptr) m->be->iface->buffer_free(m->be, ptr);
}

void gt_model_free(gt_model *m) {
  if (!m) return;
  for (int s = 0; s < m->n_storages; s++) {
    if (m->storages[s].external) continue;
    free_device(m, m->storages[s].data);
    free_device(m, m->storages[s].grad);
  }
  if (m->tensors)
    for (int v = 0; v < m->graph->n_values; v++)
      if (!m->graph->values[v].batched) free_device(m, m->tensors[v].data);
  free_device(m, m->scratch);
  free_device(m, m->dlogits);
  free_device(m, m->loss);
  free(m->value_storage);
  free(m->storages);
  free(m->tensors);
  free(m->grad_tensors);
  free(m->node_in);
  free(m->node_in_offset);
  free(m->grad_in);
  free(m);
}

static gt_status alloc_floats(gt_model *m, int64_t count, float **out, gt_error *err) {
  void *ptr = NULL;
  gt_status st = m->be->iface->buffer_alloc(m->be, (size_t)(count > 0 ? count : 1) * sizeof(float), &ptr, err);
  *out = ptr;
  return st;
}

/* Assigns a storage to every batched value: views share their input's. */
static gt_status plan_storage(gt_model *m, gt_error *err) {
  const gt_graph *g = m->graph;
  size_t n_values = (size_t)(g->n_values > 0 ? g->n_values : 1);
  m->value_storage = malloc(n_values * sizeof(int));
  m->storages = calloc(n_values, sizeof(storage));
  if (!m->value_storage || !m->storages) return gt_error_set(err, GT_ERR_MEMORY, "out of memory planning buffers");
  for (int v = 0; v < g->n_values; v++) m->value_storage[v] = -1;
  m->value_storage[g->input] = m->n_storages;
  m->storages[m->n_storages].external = 1;
  m->storages[m->n_storages++].sample_numel = gt_value_sample_numel(&g->values[g->input]);
  for (int k = 0; k < g->n_nodes; k++) {
    const gt_node *node = &g->nodes[k];
    if (node_is_view(m, node)) {
      m->value_storage[node->output] = m->value_storage[node->inputs[0]];
      continue;
    }
    int64_t numel = gt_value_sample_numel(&g->values[node->output]);
    storage *s = &m->storages[m->n_storages];
    s->sample_numel = numel;
    int64_t total = 0;
    int64_t shape[2] = {m->max_batch, numel};
    gt_status st = gt_shape_numel_checked(2, shape, &total, g->values[node->output].name, err);
    if (st != GT_OK) return st;
    st = alloc_floats(m, total, &s->data, err);
    if (st != GT_OK) return gt_error_prefix(err, "activation of node '%s': ", node->name);
    m->value_storage[node->output] = m->n_storages++;
  }
  return GT_OK;
}

static gt_status upload_constants(gt_model *m, gt_error *err) {
  const gt_graph *g = m->graph;
  for (int v = 0; v < g->n_values; v++) {
    const gt_value *val = &g->values[v];
    gt_tensor_init(&m->tensors[v], NULL, val->ndim, val->shape);
    gt_tensor_init(&m->grad_tensors[v], NULL, val->ndim, val->shape);
    if (val->batched) continue;
    int64_t numel = gt_value_sample_numel(val);
    float *dev = NULL;
    gt_status st = alloc_floats(m, numel, &dev, err);
    if (st != GT_OK) return gt_error_prefix(err, "constant '%s': ", val->name);
    m->tensors[v].data = dev;
    st = m->be->iface->copy_to_device(m->be, dev, val->data, (size_t)numel * sizeof(float), err);
    if (st != GT_OK) return gt_error_prefix(err, "constant '%s': ", val->name);
  }
  return GT_OK;
}

/* Resolves the batch dimension of every batched tensor to n and points it at its storage. */
static void bind_batch(gt_model *m, int64_t n) {
  const gt_graph *g = m->graph;
  for (int v = 0; v < g->n_values; v++) {
    if (!g->values[v].batched) continue;
    storage *s = &m->storages[m->value_storage[v]];
    gt_tensor_init(&m->tensors[v], s->data, g->values[v].ndim, g->values[v].shape);
    m->tensors[v].shape[0] = n;
    gt_tensor_init(&m->tensors[v], s->data, m->tensors[v].ndim, m->tensors[v].shape);
    m->grad_tensors[v] = m->tensors[v];
    m->grad_tensors[v].data = s->grad;
  }
}

static gt_status wire_nodes(gt_model *m, gt_error *err) {
  const gt_graph *g = m->graph;
  int total = 0;
  m->node_in_offset = malloc((size_t)(g->n_nodes + 1) * sizeof(int));
  if (!m->node_in_offset) return gt_error_set(err, GT_ERR_MEMORY, "out of memory wiring nodes");
  for (int k = 0; k < g->n_nodes; k++) {
    m->node_in_offset[k] = total;
    total += g->nodes[k].n_inputs;
  }
  m->node_in_offset[g->n_nodes] = total;
  m->node_in = malloc((size_t)(total ? total : 1) * sizeof *m->node_in);
  m->grad_in = malloc((size_t)(total ? total : 1) * sizeof *m->grad_in);
  if (!m->node_in || !m->grad_in) return gt_error_set(err, GT_ERR_MEMORY, "out of memory wiring nodes");
  for (int k = 0; k < g->n_nodes; k++) {
    const gt_node *node = &g->nodes[k];
    for (int i = 0; i < node->n_inputs; i++) {
      int v = node->inputs[i];
      m->node_in[m->node_in_offset[k] + i] = &m->tensors[v];
      m->grad_in[m->node_in_offset[k] + i] = g->values[v].batched ? &m->grad_tensors[v] : NULL;
    }
  }
  return GT_OK;
}

static gt_op_call node_call(gt_model *m, int k) {
  const gt_node *node = &m->graph->nodes[k];
  gt_op_call call = {
      .node = node,
      .in = &m->node_in[m->node_in_offset[k]],
      .out = &m->tensors[node->output],
      .scratch = m->scratch,
      .scratch_bytes = m->scratch_bytes,
  };
  return call;
}

/* Checks every node is supported by the backend and reserves the largest scratch any op needs. */
static gt_status reserve_scratch(gt_model *m, gt_error *err) {
  const gt_graph *g = m->graph;
  bind_batch(m, m->max_batch);
  size_t need = 0;
  for (int k = 0; k < g->n_nodes; k++) {
    const gt_node *node = &g->nodes[k];
    if (!m->be->iface->forward[node->op] || !m->be->iface->backward[node->op])
      return gt_error_set(err, GT_ERR_UNSUPPORTED, "node '%s': op %s is not implemented by the '%s' backend",
                          node->name, gt_op_name(node->op), m->be->iface->name);
    gt_op_scratch_fn fn = m->be->iface->scratch_bytes[node->op];
    if (!fn) continue;
    gt_op_call call = node_call(m, k);
    size_t bytes = fn(m->be, &call);
    if (bytes > need) need = bytes;
  }
  m->scratch_bytes = need;
  if (need == 0) return GT_OK;
  void *ptr = NULL;
  gt_status st = m->be->iface->buffer_alloc(m->be, need, &ptr, err);
  m->scratch = ptr;
  return st != GT_OK ? gt_error_prefix(err, "scratch of %zu bytes: ", need) : GT_OK;
}

gt_status gt_model_create(const gt_graph *graph, gt_backend *be, int64_t max_batch, gt_model **out, gt_error *err) {
  *out = NULL;
  if (max_batch < 1) return gt_error_set(err, GT_ERR_USAGE, "batch size must be at least 1 (got %lld)", (long long)max_batch);
  gt_status st = gt_graph_validate(graph, err);
  if (st != GT_OK) return st;
  gt_model *m = calloc(1, sizeof *m);
  if (!m) return gt_error_set(err, GT_ERR_MEMORY, "out of memory creating the model");
  m->graph = graph;
  m->be = be;
  m->max_batch = max_batch;
  size_t n_values = (size_t)(graph->n_values > 0 ? graph->n_values : 1);
  m->tensors = calloc(n_values, sizeof *m->tensors);
  m->grad_tensors = calloc(n_values, sizeof *m->grad_tensors);
  if (!m->tensors || !m->grad_tensors) st = gt_error_set(err, GT_ERR_MEMORY, "out of memory creating the model");
  if (st == GT_OK) st = upload_constants(m, err);
  if (st == GT_OK) st = plan_storage(m, err);
  if (st == GT_OK) st = wire_nodes(m, err);
  if (st == GT_OK) st = reserve_scratch(m, err);
  if (st == GT_OK)
    st = alloc_floats(m, max_batch * (int64_t)gt_model_num_classes(m), &m->dlogits, err);
  if (st == GT_OK) st = alloc_floats(m, max_batch, &m->loss, err);
  if (st != GT_OK) {
    gt_model_free(m);
    return st;
  }
  *out = m;
  return GT_OK;
}

gt_backend *gt_model_backend(const gt_model *m) { return m->be; }
int64_t gt_model_max_batch(const gt_model *m) { return m->max_batch; }

int gt_model_num_classes(const gt_model *m) {
  const gt_value *out = &m->graph->values[m->graph->output];
  return (int)gt_value_sample_numel(out);
}

int gt_model_input_rank(const gt_model *m) { return m->graph->values[m->graph->input].ndim - 1; }
const int64_t *gt_model_input_shape(const gt_model *m) { return m->graph->values[m->graph->input].shape + 1; }
int64_t gt_model_input_numel(const gt_model *m) { return gt_value_sample_numel(&m->graph->values[m->graph->input]); }

/* Node k forward; in training mode (bn[k] set) a BatchNorm node normalises with batch statistics. */
static gt_status forward_node(gt_model *m, int k, const gt_train_binding *train, gt_error *err) {
  const gt_node *node = &m->graph->nodes[k];
  gt_op_call call = node_call(m, k);
  if (train && train->bn && train->bn[k]) {
    const gt_train_iface *t = gt_backend_train(m->be, err);
    if (!t) return GT_ERR_UNSUPPORTED;
    return t->batchnorm_forward(m->be, train->bn[k], call.in[0], call.out, err);
  }
  return m->be->iface->forward[node->op](m->be, &call, err);
}

static gt_status run_forward(gt_model *m, const float *x_dev, int64_t n, const gt_train_binding *train, gt_error *err) {
  if (n < 1 || n > m->max_batch)
    return gt_error_set(err, GT_ERR_USAGE, "batch of %lld samples is outside 1..%lld", (long long)n,
                        (long long)m->max_batch);
  const gt_graph *g = m->graph;
  double t0 = seconds_now();
  m->storages[m->value_storage[g->input]].data = (float *)x_dev; /* read only: no op writes its input */
  bind_batch(m, n);
  m->n = n;
  m->grads_ready = 0;
  for (int k = 0; k < g->n_nodes; k++) {
    const gt_node *node = &g->nodes[k];
    if (node_is_view(m, node)) continue;
    gt_status st = forward_node(m, k, train, err);
    if (st != GT_OK) return gt_error_prefix(err, "node '%s' (%s) forward: ", node->name, gt_op_name(node->op));
  }
  m->counts.forward_samples += n;
  m->counts.seconds += seconds_now() - t0;
  return GT_OK;
}

gt_status gt_model_forward(gt_model *m, const float *x_dev, int64_t n, gt_error *err) {
  return run_forward(m, x_dev, n, NULL, err);
}

const float *gt_model_logits(const gt_model *m) { return m->tensors[m->graph->output].data; }

static gt_status ensure_grad_buffers(gt_model *m, gt_error *err) {
  if (m->grads_ready) return GT_OK;
  for (int s = 0; s < m->n_storages; s++) {
    storage *st = &m->storages[s];
    if (st->external || st->grad) continue;
    gt_status rc = alloc_floats(m, m->max_batch * st->sample_numel, &st->grad, err);
    if (rc != GT_OK) return gt_error_prefix(err, "gradient buffers: ");
  }
  m->grads_ready = 1;
  return GT_OK;
}

/* Node k backward: input gradients, and in training mode the gradients of its trained constants
 * (or, for a BatchNorm node in training mode, of gamma and beta together with dx). */
static gt_status backward_node(gt_model *m, int k, const gt_train_binding *train, gt_error *err) {
  const gt_node *node = &m->graph->nodes[k];
  const gt_backend_iface *be = m->be->iface;
  gt_op_call call = node_call(m, k);
  gt_tensor *gout = &m->grad_tensors[node->output];
  gt_tensor *const *gin = &m->grad_in[m->node_in_offset[k]];
  if (!train) return be->backward[node->op](m->be, &call, gout, gin, err);
  const gt_train_iface *t = gt_backend_train(m->be, err);
  if (!t) return GT_ERR_UNSUPPORTED;
  if (train->bn && train->bn[k]) return t->batchnorm_backward(m->be, train->bn[k], call.in[0], gout, gin[0], err);
  gt_status st = be->backward[node->op](m->be, &call, gout, gin, err);
  gt_tensor grad_w[GT_TRAIN_MAX_INPUTS];
  gt_tensor *grad_w_ptr[GT_TRAIN_MAX_INPUTS] = {NULL};
  int any = 0;
  for (int i = 0; st == GT_OK && i < node->n_inputs && i < GT_TRAIN_MAX_INPUTS; i++) {
    int v = node->inputs[i];
    if (m->graph->values[v].batched || !train->value_grad || !train->value_grad[v]) continue;
    grad_w[i] = m->tensors[v];
    grad_w[i].data = train->value_grad[v];
    grad_w_ptr[i] = &grad_w[i];
    any = 1;
  }
  if (st != GT_OK || !any) return st;
  if (node->n_inputs > GT_TRAIN_MAX_INPUTS || !t->weight_backward[node->op])
    return gt_error_set(err, GT_ERR_UNSUPPORTED, "the '%s' backend has no weight gradient for %s", be->name,
                        gt_op_name(node->op));
  call.scratch = train->scratch;
  call.scratch_bytes = train->scratch_bytes;
  return t->weight_backward[node->op](m->be, &call, gout, grad_w_ptr, err);
}

static gt_status run_backward(gt_model *m, const float *dlogits_dev, float *dx_dev, const gt_train_binding *train,
                              gt_error *err) {
  if (m->n < 1) return gt_error_set(err, GT_ERR_USAGE, "backward called before any forward pass");
  const gt_graph *g = m->graph;
  const gt_backend_iface *be = m->be->iface;
  double t0 = seconds_now();
  gt_status st = ensure_grad_buffers(m, err);
  if (st != GT_OK) return st;
  m->storages[m->value_storage[g->input]].grad = dx_dev;
  bind_batch(m, m->n);
  for (int s = 0; s < m->n_storages; s++) {
    st = be->fill_zero(m->be, m->storages[s].grad, (size_t)(m->n * m->storages[s].sample_numel) * sizeof(float), err);
    if (st != GT_OK) return st;
  }
  /* Seed: the output's gradient is dlogits (its storage was zeroed, nothing else has added yet). */
  size_t out_bytes = (size_t)(m->n * gt_model_num_classes(m)) * sizeof(float);
  st = be->copy_device(m->be, m->grad_tensors[g->output].data, dlogits_dev, out_bytes, err);
  if (st != GT_OK) return st;
  for (int k = g->n_nodes - 1; k >= 0; k--) {
    const gt_node *node = &g->nodes[k];
    if (node_is_view(m, node)) continue; /* shares its input's gradient memory */
    st = backward_node(m, k, train, err);
    if (st != GT_OK) return gt_error_prefix(err, "node '%s' (%s) backward: ", node->name, gt_op_name(node->op));
  }
  m->counts.backward_samples += m->n;
  m->counts.seconds += seconds_now() - t0;
  return GT_OK;
}

gt_status gt_model_backward(gt_model *m, const float *dlogits_dev, float *dx_dev, gt_error *err) {
  return run_backward(m, dlogits_dev, dx_dev, NULL, err);
}

gt_status gt_model_loss_grad(gt_model *m, const float *x_dev, int64_t n, gt_loss_kind kind,
                             const int32_t *labels_dev, const int32_t *targets_dev, float *loss_dev,
                             float *dx_dev, gt_error *err) {
  gt_status st = gt_model_forward(m, x_dev, n, err);
  if (st != GT_OK) return st;
  int k = gt_model_num_classes(m);
  gt_tensor logits, loss, dlogits;
  int64_t logits_shape[2] = {n, k};
  gt_tensor_init(&logits, (float *)gt_model_logits(m), 2, logits_shape);
  gt_tensor_init(&loss, loss_dev ? loss_dev : m->loss, 1, &n);
  gt_tensor_init(&dlogits, m->dlogits, 2, logits_shape);
  st = m->be->iface->loss(m->be, kind, &logits, labels_dev, targets_dev, &loss, dx_dev ? &dlogits : NULL, err);
  if (st != GT_OK) return gt_error_prefix(err, "%s loss: ", gt_loss_name(kind));
  if (!dx_dev) return GT_OK;
  return gt_model_backward(m, m->dlogits, dx_dev, err);
}

gt_pass_counts gt_model_pass_counts(const gt_model *m) { return m->counts; }

/* ---- training passes (gauntlet/model_train.h) ---- */

float *gt_model_constant_data(gt_model *m, int value) {
  if (value < 0 || value >= m->graph->n_values || m->graph->values[value].batched) return NULL;
  return m->tensors[value].data;
}

size_t gt_model_weight_scratch_bytes(gt_model *m) {
  const gt_train_iface *t = m->be->iface->train;
  if (!t) return 0;
  bind_batch(m, m->max_batch);
  size_t need = 0;
  for (int k = 0; k < m->graph->n_nodes; k++) {
    gt_op_scratch_fn fn = t->weight_scratch_bytes[m->graph->nodes[k].op];
    if (!fn) continue;
    gt_op_call call = node_call(m, k);
    size_t bytes = fn(m->be, &call);
    if (bytes > need) need = bytes;
  }
  return need;
}

gt_status gt_model_train_forward(gt_model *m, const float *x_dev, int64_t n, const gt_train_binding *train,
                                 gt_error *err) {
  if (!train) return gt_error_set(err, GT_ERR_USAGE, "training forward pass without a training binding");
  return run_forward(m, x_dev, n, train, err);
}

gt_status gt_model_train_backward(gt_model *m, const float *dlogits_dev, float *dx_dev, const gt_train_binding *train,
                                  gt_error *err) {
  if (!train) return gt_error_set(err, GT_ERR_USAGE, "training backward pass without a training binding");
  if (!dx_dev) return gt_error_set(err, GT_ERR_USAGE, "training backward pass without an input-gradient buffer");
  return run_backward(m, dlogits_dev, dx_dev, train, err);
}

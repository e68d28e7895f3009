/* The graph executor: uploads constants, plans one buffer per batched value (views share their
 * input's buffer), runs nodes forward in order and backward in reverse, accumulating input
 * gradients. All buffers are reserved at creation for max_batch samples.
 *
 * Sub-batches: samples never interact (graph.h: the batch is dim 0 of every activation and no op
 * mixes it), so a pass over n samples is a pass over any cut of them. On a cpu backend a batch
 * larger than `chunk` samples is cut into fixed pieces of `chunk` (the last one shorter) and the
 * backend's threads take whole pieces, each running every node on its piece with its own frame
 * (tensor views, op scratch). The threads meet once per pass instead of once per op; ops called
 * inside that parallel region run on one thread (OpenMP nesting is off). gt_model_loss_grad runs
 * forward, loss and backward of a piece in one go, in the frame's own piece-sized activation and
 * gradient buffers (its activations are not needed after its backward), which stay in cache from
 * piece to piece; gt_model_forward / gt_model_backward use the shared whole-batch buffers, since
 * a backward may follow a forward later (several times). The cut depends on the graph only, never
 * on the thread count, so results stay the same bytes for any number of threads. Other backends
 * get the whole batch in one piece.
 *
 * Gradient buffers are not zeroed up front: a storage's piece is zeroed just before the first
 * node in backward order that adds into it (then it is in cache for that node), and the logits'
 * gradient is seeded by a copy.
 *
 * Call flags (gauntlet/backend.h), inference passes only, where the backend's op takes them:
 *  - GT_CALL_RELU (fuse.h): an op whose output only a Relu reads runs with that Relu as one
 *    call writing the Relu's output; the Relu node and the op's own output and gradient buffers
 *    are then left alone. Training passes run every node (weight gradients need the op's own
 *    output gradient), so a training backward must follow a training forward.
 *  - GT_CALL_WRITE_GRAD: a node that is the first writer of all its batched inputs' gradient
 *    storages (distinct ones) writes them instead of the executor zeroing them first. */
#include "gauntlet/model.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backends/cpu/cpu_exec.h"
#include "fuse.h"
#include "gauntlet/model_train.h"
#include "gauntlet/train_ops.h"

/* Activation and gradient bytes one piece may take (measured on the test CNN, 1 thread, batch
 * 256, CPU time: pieces of 8 samples (1.4 MB) ~20% faster than the whole batch at once, 4 and 32
 * a few % slower than 8), and the bounds of a piece: at least 4 samples (the cpu conv's
 * per-sample split starts there), at most 64 (a block of the cpu linear op); multiples of 4. */
#define GT_EXEC_PIECE_BYTES ((int64_t)3 * 512 * 1024)
#define GT_EXEC_PIECE_MIN 4
#define GT_EXEC_PIECE_MAX 64

/* One piece of backend memory that one or more values (a value and its views) live in. */
typedef struct storage {
  float *data;       /* activations; for the graph input: the caller's x for this pass */
  float *grad;       /* dL/d(activation), allocated on the first backward */
  int64_t sample_numel;
  int external;      /* 1 for the graph input: data (and grad) belong to the caller */
} storage;

/* One thread's view of the model for one piece of the batch: tensors for every value (constants
 * shared, batched values pointing into their storage at the piece's first sample) and wiring. */
typedef struct frame {
  gt_tensor *tensors;        /* [n_values] current shape and data of every value */
  gt_tensor *grad_tensors;   /* [n_values] same shapes, gradient memory */
  const gt_tensor **node_in; /* per node: pointers into tensors, n_inputs each (flattened) */
  gt_tensor **grad_in;       /* per node: gradient tensors or NULL for constant inputs (flattened) */
  void *scratch;             /* scratch_bytes of op scratch */
  float **own_data;          /* [n_storages] piece-sized buffers of this frame (NULL: none) */
  float **own_grad;
  float **grad_at;           /* [n_storages] gradient of the bound piece's first sample */
  gt_status st;              /* a failed piece's status and message */
  gt_error err;
} frame;

struct gt_model {
  const gt_graph *graph;
  gt_backend *be;
  int64_t max_batch;
  int64_t n;                 /* batch of the last forward; 0 before any */
  int *value_storage;        /* [n_values] storage id of batched values, -1 for constants */
  storage *storages;
  int n_storages;
  frame *frames;             /* [n_frames]: one per thread running pieces; frame 0 for whole batches */
  int n_frames;
  int64_t chunk;             /* samples per piece; 0: always the whole batch */
  int *node_in_offset;       /* [n_nodes + 1] offset of a node's inputs in node_in / grad_in */
  int *first_writer;         /* [n_storages] backward: first node adding into it, -1 none, -2 seeded */
  int *relu_of;              /* [n_nodes] inference passes: the Relu node k runs with, or -1 (fuse.h) */
  unsigned char *absorbed;   /* [n_nodes] 1: a Relu its producer runs */
  unsigned char *write_grad; /* [n_nodes] 1: inference backward writes its input gradients (no zeroing) */
  int any_fused;             /* some node has a relu_of */
  int fused_acts;            /* 1: the last forward ran fused (its ops' own outputs were not written) */
  size_t scratch_bytes;
  float *dlogits;            /* [max_batch, K] for gt_model_loss_grad */
  float *loss;               /* [max_batch] for gt_model_loss_grad when the caller wants no loss */
  int grads_ready;
  int global_acts;           /* 1: the shared buffers hold the last forward's activations */
  gt_pass_counts counts;
};

/* The clocks of gt_pass_counts: wall time and the process's CPU time. */
typedef struct pass_clock {
  double wall, cpu;
} pass_clock;

static double clock_seconds(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static pass_clock pass_clock_start(void) {
  pass_clock c = {clock_seconds(CLOCK_MONOTONIC), clock_seconds(CLOCK_PROCESS_CPUTIME_ID)};
  return c;
}

static void pass_clock_charge(gt_model *m, pass_clock t0) {
  pass_clock t = pass_clock_start();
  m->counts.seconds += t.wall - t0.wall;
  m->counts.cpu_seconds += t.cpu - t0.cpu;
}

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
  if (m->frames) {
    if (m->frames[0].tensors)
      for (int v = 0; v < m->graph->n_values; v++)
        if (!m->graph->values[v].batched) free_device(m, m->frames[0].tensors[v].data);
    for (int f = 0; f < m->n_frames; f++) {
      free_device(m, m->frames[f].scratch);
      free(m->frames[f].tensors);
      free(m->frames[f].grad_tensors);
      free(m->frames[f].node_in);
      free(m->frames[f].grad_in);
      for (int s = 0; m->frames[f].own_data && m->frames[f].own_grad && s < m->n_storages; s++) {
        free_device(m, m->frames[f].own_data[s]);
        free_device(m, m->frames[f].own_grad[s]);
      }
      free(m->frames[f].own_data);
      free(m->frames[f].own_grad);
      free(m->frames[f].grad_at);
    }
  }
  free_device(m, m->dlogits);
  free_device(m, m->loss);
  free(m->value_storage);
  free(m->storages);
  free(m->frames);
  free(m->node_in_offset);
  free(m->first_writer);
  free(m->relu_of);
  free(m->absorbed);
  free(m->write_grad);
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

/* For each storage, the first node in backward order whose backward adds into it: its piece is
 * zeroed right before that node runs. The logits' storage is seeded instead (-2). */
static gt_status plan_first_writers(gt_model *m, gt_error *err) {
  const gt_graph *g = m->graph;
  m->first_writer = malloc((size_t)(m->n_storages > 0 ? m->n_storages : 1) * sizeof(int));
  if (!m->first_writer) return gt_error_set(err, GT_ERR_MEMORY, "out of memory planning gradients");
  for (int s = 0; s < m->n_storages; s++) m->first_writer[s] = -1;
  m->first_writer[m->value_storage[g->output]] = -2;
  for (int k = g->n_nodes - 1; k >= 0; k--) {
    const gt_node *node = &g->nodes[k];
    if (node_is_view(m, node)) continue;
    for (int i = 0; i < node->n_inputs; i++) {
      int s = m->value_storage[node->inputs[i]];
      if (s >= 0 && m->first_writer[s] == -1) m->first_writer[s] = k;
    }
  }
  return GT_OK;
}

/* Node k may write (GT_CALL_WRITE_GRAD) its batched inputs' gradients: the backend's op takes the
 * flag and k is the first writer of each of those storages, no two inputs sharing one. */
static int can_write_grad(const gt_model *m, int k) {
  const gt_node *node = &m->graph->nodes[k];
  if (!(m->be->iface->call_flags[node->op] & GT_CALL_WRITE_GRAD)) return 0;
  int any = 0;
  for (int i = 0; i < node->n_inputs; i++) {
    int s = m->value_storage[node->inputs[i]];
    if (s < 0) continue;
    if (m->first_writer[s] != k) return 0;
    for (int j = 0; j < i; j++)
      if (m->value_storage[node->inputs[j]] == s) return 0;
    any = 1;
  }
  return any;
}

static gt_status plan_fusion(gt_model *m, gt_error *err) {
  size_t n = (size_t)(m->graph->n_nodes > 0 ? m->graph->n_nodes : 1);
  m->relu_of = malloc(n * sizeof *m->relu_of);
  m->absorbed = malloc(n);
  m->write_grad = malloc(n);
  if (!m->relu_of || !m->absorbed || !m->write_grad)
    return gt_error_set(err, GT_ERR_MEMORY, "out of memory planning fusion");
  gt_exec_plan_relu_fusion(m->graph, m->be, m->relu_of, m->absorbed);
  for (int k = 0; k < m->graph->n_nodes; k++) {
    m->any_fused |= m->relu_of[k] >= 0;
    m->write_grad[k] = (unsigned char)can_write_grad(m, k);
  }
  return GT_OK;
}

/* Samples per piece: as many as keep a piece's activations and gradients within
 * GT_EXEC_PIECE_BYTES, in GT_EXEC_PIECE_MIN .. GT_EXEC_PIECE_MAX (a function of the graph only). */
static int64_t piece_samples(const gt_model *m) {
  int64_t floats = 0;
  for (int s = 0; s < m->n_storages; s++) floats += m->storages[s].sample_numel;
  int64_t bytes = 2 * floats * (int64_t)sizeof(float);
  int64_t n = bytes > 0 ? GT_EXEC_PIECE_BYTES / bytes : GT_EXEC_PIECE_MAX;
  if (n < GT_EXEC_PIECE_MIN) n = GT_EXEC_PIECE_MIN;
  if (n > GT_EXEC_PIECE_MAX) n = GT_EXEC_PIECE_MAX;
  return n / 4 * 4;
}

static gt_status upload_constants(gt_model *m, gt_error *err) {
  const gt_graph *g = m->graph;
  frame *f0 = &m->frames[0];
  for (int v = 0; v < g->n_values; v++) {
    const gt_value *val = &g->values[v];
    gt_tensor_init(&f0->tensors[v], NULL, val->ndim, val->shape);
    gt_tensor_init(&f0->grad_tensors[v], NULL, val->ndim, val->shape);
    if (val->batched) continue;
    int64_t numel = gt_value_sample_numel(val);
    float *dev = NULL;
    gt_status st = alloc_floats(m, numel, &dev, err);
    if (st != GT_OK) return gt_error_prefix(err, "constant '%s': ", val->name);
    f0->tensors[v].data = dev;
    st = m->be->iface->copy_to_device(m->be, dev, val->data, (size_t)numel * sizeof(float), err);
    if (st != GT_OK) return gt_error_prefix(err, "constant '%s': ", val->name);
  }
  for (int f = 1; f < m->n_frames; f++) {
    memcpy(m->frames[f].tensors, f0->tensors, (size_t)g->n_values * sizeof(gt_tensor));
    memcpy(m->frames[f].grad_tensors, f0->grad_tensors, (size_t)g->n_values * sizeof(gt_tensor));
  }
  return GT_OK;
}

/* Points every batched tensor of frame f at samples [n0, n0 + len) of its storage, or, with
 * `own`, at the frame's own piece-sized buffers (all but the input and the logits). */
static void bind_piece(gt_model *m, frame *f, int64_t n0, int64_t len, int own) {
  const gt_graph *g = m->graph;
  for (int v = 0; v < g->n_values; v++) {
    if (!g->values[v].batched) continue;
    int sid = m->value_storage[v];
    const storage *s = &m->storages[sid];
    int mine = own && f->own_data && f->own_data[sid];
    int64_t shape[GT_MAX_DIMS];
    memcpy(shape, g->values[v].shape, sizeof shape);
    shape[0] = len;
    int64_t at = n0 * s->sample_numel;
    gt_tensor_init(&f->tensors[v], mine ? f->own_data[sid] : s->data + at, g->values[v].ndim, shape);
    f->grad_tensors[v] = f->tensors[v];
    f->grad_tensors[v].data = mine ? f->own_grad[sid] : (s->grad ? s->grad + at : NULL);
    f->grad_at[sid] = f->grad_tensors[v].data;
  }
}

/* Piece-sized activation and gradient buffers for every frame (used by gt_model_loss_grad, whose
 * pieces need their activations only until their own backward: reused buffers stay in cache). */
static gt_status alloc_own_buffers(gt_model *m, gt_error *err) {
  int out = m->value_storage[m->graph->output];
  for (int fi = 0; fi < m->n_frames; fi++) {
    frame *f = &m->frames[fi];
    f->own_data = calloc((size_t)m->n_storages, sizeof *f->own_data);
    f->own_grad = calloc((size_t)m->n_storages, sizeof *f->own_grad);
    if (!f->own_data || !f->own_grad) return gt_error_set(err, GT_ERR_MEMORY, "out of memory creating the model");
    for (int s = 0; s < m->n_storages; s++) {
      if (m->storages[s].external || s == out) continue;
      gt_status st = alloc_floats(m, m->chunk * m->storages[s].sample_numel, &f->own_data[s], err);
      if (st == GT_OK) st = alloc_floats(m, m->chunk * m->storages[s].sample_numel, &f->own_grad[s], err);
      if (st != GT_OK) return gt_error_prefix(err, "piece buffers: ");
    }
  }
  return GT_OK;
}

static gt_status alloc_frames(gt_model *m, int n_frames, gt_error *err) {
  const gt_graph *g = m->graph;
  size_t n_values = (size_t)(g->n_values > 0 ? g->n_values : 1);
  m->frames = calloc((size_t)n_frames, sizeof *m->frames);
  if (!m->frames) return gt_error_set(err, GT_ERR_MEMORY, "out of memory creating the model");
  m->n_frames = n_frames;
  m->node_in_offset = malloc((size_t)(g->n_nodes + 1) * sizeof(int));
  if (!m->node_in_offset) return gt_error_set(err, GT_ERR_MEMORY, "out of memory wiring nodes");
  int total = 0;
  for (int k = 0; k < g->n_nodes; k++) {
    m->node_in_offset[k] = total;
    total += g->nodes[k].n_inputs;
  }
  m->node_in_offset[g->n_nodes] = total;
  for (int fi = 0; fi < n_frames; fi++) {
    frame *f = &m->frames[fi];
    f->tensors = calloc(n_values, sizeof *f->tensors);
    f->grad_tensors = calloc(n_values, sizeof *f->grad_tensors);
    f->node_in = malloc((size_t)(total ? total : 1) * sizeof *f->node_in);
    f->grad_in = malloc((size_t)(total ? total : 1) * sizeof *f->grad_in);
    f->grad_at = calloc(n_values, sizeof *f->grad_at); /* n_storages <= n_values */
    if (!f->tensors || !f->grad_tensors || !f->node_in || !f->grad_in || !f->grad_at)
      return gt_error_set(err, GT_ERR_MEMORY, "out of memory creating the model");
    for (int k = 0; k < g->n_nodes; k++) {
      const gt_node *node = &g->nodes[k];
      for (int i = 0; i < node->n_inputs; i++) {
        int v = node->inputs[i];
        f->node_in[m->node_in_offset[k] + i] = &f->tensors[v];
        f->grad_in[m->node_in_offset[k] + i] = g->values[v].batched ? &f->grad_tensors[v] : NULL;
      }
    }
  }
  return GT_OK;
}

static gt_op_call node_call(gt_model *m, frame *f, int k) {
  const gt_node *node = &m->graph->nodes[k];
  gt_op_call call = {
      .node = node,
      .in = &f->node_in[m->node_in_offset[k]],
      .out = &f->tensors[node->output],
      .scratch = f->scratch,
      .scratch_bytes = m->scratch_bytes,
  };
  return call;
}

/* Checks every node is supported by the backend and reserves, per frame, the largest scratch
 * any op needs for a whole batch or a piece. */
static gt_status reserve_scratch(gt_model *m, gt_error *err) {
  const gt_graph *g = m->graph;
  frame *f0 = &m->frames[0];
  size_t need = 0;
  for (int k = 0; k < g->n_nodes; k++) {
    const gt_node *node = &g->nodes[k];
    if (!m->be->iface->forward[node->op] || !m->be->iface->backward[node->op])
      return gt_error_set(err, GT_ERR_UNSUPPORTED, "node '%s': op %s is not implemented by the '%s' backend",
                          node->name, gt_op_name(node->op), m->be->iface->name);
  }
  for (int pass = 0; pass < 2; pass++) {
    bind_piece(m, f0, 0, pass == 0 || m->chunk == 0 ? m->max_batch : m->chunk, 0);
    for (int k = 0; k < g->n_nodes; k++) {
      gt_op_scratch_fn fn = m->be->iface->scratch_bytes[g->nodes[k].op];
      if (!fn) continue;
      gt_op_call call = node_call(m, f0, k);
      size_t bytes = fn(m->be, &call);
      if (bytes > need) need = bytes;
    }
  }
  m->scratch_bytes = need;
  if (need == 0) return GT_OK;
  for (int fi = 0; fi < m->n_frames; fi++) {
    void *ptr = NULL;
    gt_status st = m->be->iface->buffer_alloc(m->be, need, &ptr, err);
    m->frames[fi].scratch = ptr;
    if (st != GT_OK) return gt_error_prefix(err, "scratch of %zu bytes: ", need);
  }
  return GT_OK;
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
  int threads = gt_cpu_exec_threads(be);
  st = alloc_frames(m, threads > 1 ? threads : 1, err);
  if (st == GT_OK) st = upload_constants(m, err);
  if (st == GT_OK) st = plan_storage(m, err);
  if (st == GT_OK) st = plan_first_writers(m, err);
  if (st == GT_OK) st = plan_fusion(m, err);
  if (st == GT_OK && threads > 0) m->chunk = piece_samples(m);
  if (st == GT_OK && m->chunk > 0) st = alloc_own_buffers(m, err);
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

const float *gt_model_logits(const gt_model *m) { return m->storages[m->value_storage[m->graph->output]].data; }

/* ---- one piece: forward, backward, loss + gradient ---- */

/* Node k forward; in training mode (train->bn[k] set) a BatchNorm node normalises with batch statistics. */
static gt_status forward_node(gt_model *m, frame *f, int k, const gt_train_binding *train, gt_error *err) {
  const gt_node *node = &m->graph->nodes[k];
  gt_op_call call = node_call(m, f, k);
  int relu = train ? -1 : m->relu_of[k];
  if (relu >= 0) {
    call.out = &f->tensors[m->graph->nodes[relu].output];
    call.flags = GT_CALL_RELU;
  }
  if (train && train->bn && train->bn[k]) {
    const gt_train_iface *t = gt_backend_train(m->be, err);
    if (!t) return GT_ERR_UNSUPPORTED;
    return t->batchnorm_forward(m->be, train->bn[k], call.in[0], call.out, err);
  }
  return m->be->iface->forward[node->op](m->be, &call, err);
}

/* Node k backward: input gradients, and in training mode the gradients of its trained constants
 * (or, for a BatchNorm node in training mode, of gamma and beta together with dx). */
static gt_status backward_node(gt_model *m, frame *f, int k, const gt_train_binding *train, gt_error *err) {
  const gt_node *node = &m->graph->nodes[k];
  const gt_backend_iface *be = m->be->iface;
  gt_op_call call = node_call(m, f, k);
  gt_tensor *gout = &f->grad_tensors[node->output];
  gt_tensor *const *gin = &f->grad_in[m->node_in_offset[k]];
  if (!train) {
    int relu = m->relu_of[k];
    if (relu >= 0) {
      int v = m->graph->nodes[relu].output;
      call.out = &f->tensors[v];
      call.flags |= GT_CALL_RELU;
      gout = &f->grad_tensors[v];
    }
    if (m->write_grad[k]) call.flags |= GT_CALL_WRITE_GRAD;
    return be->backward[node->op](m->be, &call, gout, gin, err);
  }
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
    grad_w[i] = f->tensors[v];
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

static gt_status forward_piece(gt_model *m, frame *f, int64_t n0, int64_t len, int own, const gt_train_binding *train,
                               gt_error *err) {
  const gt_graph *g = m->graph;
  bind_piece(m, f, n0, len, own);
  for (int k = 0; k < g->n_nodes; k++) {
    const gt_node *node = &g->nodes[k];
    if (node_is_view(m, node) || (!train && m->absorbed[k])) continue;
    gt_status st = forward_node(m, f, k, train, err);
    if (st != GT_OK) return gt_error_prefix(err, "node '%s' (%s) forward: ", node->name, gt_op_name(node->op));
  }
  return GT_OK;
}

/* Zeroes the bound piece of the gradient of every storage whose first writer is node k (k = -1:
 * storages no node writes, e.g. an input nothing differentiable reads). */
static gt_status zero_first_written(gt_model *m, frame *f, int k, int64_t len, gt_error *err) {
  for (int s = 0; s < m->n_storages; s++) {
    if (m->first_writer[s] != k) continue;
    gt_status rc = m->be->iface->fill_zero(m->be, f->grad_at[s],
                                           (size_t)(len * m->storages[s].sample_numel) * sizeof(float), err);
    if (rc != GT_OK) return rc;
  }
  return GT_OK;
}

/* dlogits_dev: [n, K] for the whole batch; this piece reads its rows. */
static gt_status backward_piece(gt_model *m, frame *f, int64_t n0, int64_t len, int own, const float *dlogits_dev,
                                const gt_train_binding *train, gt_error *err) {
  const gt_graph *g = m->graph;
  const gt_backend_iface *be = m->be->iface;
  bind_piece(m, f, n0, len, own);
  int64_t k_cls = gt_model_num_classes(m);
  gt_status st = be->copy_device(m->be, f->grad_tensors[g->output].data, dlogits_dev + n0 * k_cls,
                                 (size_t)(len * k_cls) * sizeof(float), err);
  if (st == GT_OK) st = zero_first_written(m, f, -1, len, err);
  for (int k = g->n_nodes - 1; k >= 0 && st == GT_OK; k--) {
    const gt_node *node = &g->nodes[k];
    if (node_is_view(m, node)) continue; /* shares its input's gradient memory */
    if (!train && m->absorbed[k]) continue; /* run by its producer; its input gradient is unused */
    if (train || !m->write_grad[k]) { /* else the node writes the gradients it would have had zeroed */
      st = zero_first_written(m, f, k, len, err);
      if (st != GT_OK) break;
    }
    st = backward_node(m, f, k, train, err);
    if (st != GT_OK) return gt_error_prefix(err, "node '%s' (%s) backward: ", node->name, gt_op_name(node->op));
  }
  return st;
}

typedef struct loss_args {
  gt_loss_kind kind;
  const int32_t *labels_dev, *targets_dev;
  float *loss_dev; /* [n] */
  int with_grad;
} loss_args;

static gt_status loss_grad_piece(gt_model *m, frame *f, int64_t n0, int64_t len, const loss_args *a, gt_error *err) {
  gt_status st = forward_piece(m, f, n0, len, 1, NULL, err);
  if (st != GT_OK) return st;
  int64_t k = gt_model_num_classes(m);
  gt_tensor loss, dlogits;
  int64_t logits_shape[2] = {len, k};
  gt_tensor_init(&loss, a->loss_dev + n0, 1, &len);
  gt_tensor_init(&dlogits, m->dlogits + n0 * k, 2, logits_shape);
  st = m->be->iface->loss(m->be, a->kind, &f->tensors[m->graph->output], a->labels_dev + n0,
                          a->targets_dev ? a->targets_dev + n0 : NULL, &loss, a->with_grad ? &dlogits : NULL, err);
  if (st != GT_OK) return gt_error_prefix(err, "%s loss: ", gt_loss_name(a->kind));
  return a->with_grad ? backward_piece(m, f, n0, len, 1, m->dlogits, NULL, err) : GT_OK;
}

/* ---- running the pieces of a batch ---- */

typedef enum { RUN_FORWARD, RUN_BACKWARD, RUN_LOSS_GRAD } run_kind;

typedef struct run_args {
  run_kind kind;
  const float *dlogits_dev; /* RUN_BACKWARD */
  loss_args loss;           /* RUN_LOSS_GRAD */
  const gt_train_binding *train; /* training passes: batch statistics and weight gradients, whole batch */
} run_args;

static gt_status run_piece(gt_model *m, frame *f, int64_t n0, int64_t len, const run_args *a, gt_error *err) {
  switch (a->kind) {
    case RUN_FORWARD: return forward_piece(m, f, n0, len, 0, a->train, err);
    case RUN_BACKWARD: return backward_piece(m, f, n0, len, 0, a->dlogits_dev, a->train, err);
    default: return loss_grad_piece(m, f, n0, len, &a->loss, err);
  }
}

/* Runs samples [0, n) as one piece, or as pieces of m->chunk on the frames' threads (any piece
 * may run on any thread: its result does not depend on which). On failure reports the error of
 * one failed piece; pieces not yet started are skipped. */
static gt_status run_batch(gt_model *m, int64_t n, const run_args *a, gt_error *err) {
  /* Training passes take the whole batch: batch statistics mix samples, and weight gradients
   * accumulate into one buffer. */
  int64_t chunk = m->chunk > 0 && n > m->chunk && !a->train ? m->chunk : n;
  int64_t pieces = (n + chunk - 1) / chunk;
  if (pieces == 1) return run_piece(m, &m->frames[0], 0, n, a, err);
  int failed = 0;
  for (int fi = 0; fi < m->n_frames; fi++) m->frames[fi].st = GT_OK;
#pragma omp parallel num_threads(m->n_frames)
  {
    frame *f = &m->frames[omp_get_thread_num()];
#pragma omp for schedule(dynamic, 1)
    for (int64_t p = 0; p < pieces; p++) {
      int stop;
#pragma omp atomic read
      stop = failed;
      if (stop) continue;
      int64_t n0 = p * chunk, len = n - n0 < chunk ? n - n0 : chunk;
      f->st = run_piece(m, f, n0, len, a, &f->err);
      if (f->st != GT_OK) {
#pragma omp atomic write
        failed = 1;
      }
    }
  }
  for (int fi = 0; fi < m->n_frames; fi++)
    if (m->frames[fi].st != GT_OK) {
      *err = m->frames[fi].err;
      return m->frames[fi].st;
    }
  return GT_OK;
}

static gt_status run_forward(gt_model *m, const float *x_dev, int64_t n, const gt_train_binding *train, gt_error *err) {
  if (n < 1 || n > m->max_batch)
    return gt_error_set(err, GT_ERR_USAGE, "batch of %lld samples is outside 1..%lld", (long long)n,
                        (long long)m->max_batch);
  pass_clock t0 = pass_clock_start();
  m->storages[m->value_storage[m->graph->input]].data = (float *)x_dev; /* read only: no op writes its input */
  m->n = n;
  run_args a = {.kind = RUN_FORWARD, .train = train};
  gt_status st = run_batch(m, n, &a, err);
  m->global_acts = st == GT_OK;
  m->fused_acts = !train && m->any_fused;
  if (st != GT_OK) return st;
  m->counts.forward_samples += n;
  pass_clock_charge(m, t0);
  return GT_OK;
}

gt_status gt_model_forward(gt_model *m, const float *x_dev, int64_t n, gt_error *err) {
  return run_forward(m, x_dev, n, NULL, err);
}

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

static gt_status run_backward(gt_model *m, const float *dlogits_dev, float *dx_dev, const gt_train_binding *train,
                              gt_error *err) {
  if (m->n < 1 || !m->global_acts)
    return gt_error_set(err, GT_ERR_USAGE, "backward called without a gt_model_forward pass before it");
  if (train && m->fused_acts)
    return gt_error_set(err, GT_ERR_USAGE, "training backward pass after an inference forward pass (it needs "
                                           "gt_model_train_forward: inference passes skip fused Relu inputs)");
  pass_clock t0 = pass_clock_start();
  gt_status st = ensure_grad_buffers(m, err);
  if (st != GT_OK) return st;
  m->storages[m->value_storage[m->graph->input]].grad = dx_dev;
  run_args a = {.kind = RUN_BACKWARD, .dlogits_dev = dlogits_dev, .train = train};
  st = run_batch(m, m->n, &a, err);
  if (st != GT_OK) return st;
  m->counts.backward_samples += m->n;
  pass_clock_charge(m, t0);
  return GT_OK;
}

gt_status gt_model_backward(gt_model *m, const float *dlogits_dev, float *dx_dev, gt_error *err) {
  return run_backward(m, dlogits_dev, dx_dev, NULL, err);
}

/* Forward, loss and backward of each piece in one go, while its activations are in cache. */
gt_status gt_model_loss_grad(gt_model *m, const float *x_dev, int64_t n, gt_loss_kind kind,
                             const int32_t *labels_dev, const int32_t *targets_dev, float *loss_dev,
                             float *dx_dev, gt_error *err) {
  if (n < 1 || n > m->max_batch)
    return gt_error_set(err, GT_ERR_USAGE, "batch of %lld samples is outside 1..%lld", (long long)n,
                        (long long)m->max_batch);
  pass_clock t0 = pass_clock_start();
  gt_status st = dx_dev ? ensure_grad_buffers(m, err) : GT_OK;
  if (st != GT_OK) return st;
  m->storages[m->value_storage[m->graph->input]].data = (float *)x_dev;
  if (dx_dev) m->storages[m->value_storage[m->graph->input]].grad = dx_dev;
  m->n = n;
  run_args a = {.kind = RUN_LOSS_GRAD,
                .loss = {kind, labels_dev, targets_dev, loss_dev ? loss_dev : m->loss, dx_dev != NULL}};
  st = run_batch(m, n, &a, err);
  m->global_acts = st == GT_OK && m->chunk == 0; /* pieces keep their activations in frame buffers */
  m->fused_acts = m->any_fused;
  if (st != GT_OK) return st;
  m->counts.forward_samples += n;
  if (dx_dev) m->counts.backward_samples += n;
  pass_clock_charge(m, t0);
  return GT_OK;
}

gt_pass_counts gt_model_pass_counts(const gt_model *m) { return m->counts; }

/* ---- training passes (gauntlet/model_train.h) ---- */

float *gt_model_constant_data(gt_model *m, int value) {
  if (value < 0 || value >= m->graph->n_values || m->graph->values[value].batched) return NULL;
  return m->frames[0].tensors[value].data; /* constants are shared by every frame */
}

size_t gt_model_weight_scratch_bytes(gt_model *m) {
  const gt_train_iface *t = m->be->iface->train;
  if (!t) return 0;
  frame *f0 = &m->frames[0];
  bind_piece(m, f0, 0, m->max_batch, 0);
  size_t need = 0;
  for (int k = 0; k < m->graph->n_nodes; k++) {
    gt_op_scratch_fn fn = t->weight_scratch_bytes[m->graph->nodes[k].op];
    if (!fn) continue;
    gt_op_call call = node_call(m, f0, k);
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

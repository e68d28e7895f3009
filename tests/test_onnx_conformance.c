/* ONNX operator conformance: ONNX's own single-op test cases (Debian's libonnx-testdata:
 * GT_ONNX_TESTDATA_DIR/<case>/model.onnx with test_data_set_<k>/input_<i>.pb and output_<i>.pb) run
 * through the importer and the graph executor on the ref and cpu backends; every output element
 * is compared with ONNX's backend-test tolerance |got - want| <= ATOL + RTOL * |want|, where
 * RTOL = 1e-3 and ATOL = 1e-7 are the defaults of ONNX 1.12's test loader (NaN matches NaN, as
 * in numpy's assert_allclose).
 *
 * input_0 becomes the batched input (its dim 0 is the batch); every other graph input is bound
 * as a constant through gt_onnx_options. A case that uses an op Gauntlet does not import is
 * counted, not run. Every other case, on each backend (one gt_test_run per case x backend), must
 * pass, be skipped for a reason found in its files (input_0 or the output not float, several
 * outputs, an integer operand a float binding cannot carry exactly), or be listed in one of the
 * two tables below. A listed case still runs (unless its entry says not to): when it passes, the
 * entry is stale and the run fails, so the tables cannot silently outlive what they excuse. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "gauntlet/backend.h"
#include "gauntlet/model.h"
#include "gauntlet/onnx.h"
#include "gt_test.h"
#include "onnx.pb-c.h"
#include "onnx/onnx_internal.h"

#define RTOL 1e-3
#define ATOL 1e-7
#define MAX_INPUTS 8   /* graph inputs per case (the data's largest is 5) */
#define MAX_SETS 8     /* test_data_set_* folders per case (the data has 1) */
#define ONNX_FLOAT 1   /* TensorProto data type */

typedef struct skip_entry {
  const char *name;   /* the case folder */
  const char *reason;
  int no_run;         /* 1: do not even run it (it would crash or hang) */
} skip_entry;

/* Cases outside the IR's design (include/gauntlet/graph.h, docs/ARCHITECTURE.md): every value
 * is a constant or a batch-first activation whose dim 0 is the batch chosen at run time, every
 * node consumes the one runtime input, pools and convs work on 2-D NCHW images, and Gauntlet
 * runs inference only. In each case below the importer refuses the model with a clear message
 * (the skip line prints it). */
#define PER_SAMPLE_CONST                                                                          \
  "the second operand is a graph input of the full batched shape; bound as a constant it would " \
  "vary along the batch, but IR constants broadcast over the batch (their dim 0 must be 1)"
#define TWO_RUNTIME                                                                               \
  "two runtime inputs combined: the IR has one runtime input, and the second bound as a constant " \
  "carries batch dims"
#define GATHER_CONST "Gather of runtime data: Gather is folded on constants only (no gather op in the IR)"
#define BATCH_MOVED "the batch dim is moved, merged, split or removed: Gauntlet requires batch-first values"
static const skip_entry design_limits[] = {
    /* Elementwise ops and Gemm whose constant operand differs per sample. */
    {"test_add", PER_SAMPLE_CONST, 0},
    {"test_sub", PER_SAMPLE_CONST, 0},
    {"test_sub_example", PER_SAMPLE_CONST, 0},
    {"test_mul", PER_SAMPLE_CONST, 0},
    {"test_mul_example", PER_SAMPLE_CONST, 0},
    {"test_div", PER_SAMPLE_CONST, 0},
    {"test_div_example", PER_SAMPLE_CONST, 0},
    {"test_gemm_default_matrix_bias", "Gemm bias C [3, 4] differs per sample (one row per batch element)", 0},
    /* Two runtime operands. */
    {"test_matmul_3d", "MatMul of two runtime inputs: " TWO_RUNTIME, 0},
    {"test_matmul_4d", "MatMul of two runtime inputs: " TWO_RUNTIME, 0},
    {"test_concat_1d_axis_0", "Concat of two runtime inputs along the batch axis: " TWO_RUNTIME, 0},
    {"test_concat_1d_axis_negative_1", "Concat of two runtime inputs along the batch axis: " TWO_RUNTIME, 0},
    {"test_concat_2d_axis_0", "Concat of two runtime inputs along the batch axis: " TWO_RUNTIME, 0},
    {"test_concat_2d_axis_1", "Concat of two runtime inputs: " TWO_RUNTIME, 0},
    {"test_concat_2d_axis_negative_1", "Concat of two runtime inputs: " TWO_RUNTIME, 0},
    {"test_concat_2d_axis_negative_2", "Concat of two runtime inputs along the batch axis: " TWO_RUNTIME, 0},
    {"test_concat_3d_axis_0", "Concat of two runtime inputs along the batch axis: " TWO_RUNTIME, 0},
    {"test_concat_3d_axis_1", "Concat of two runtime inputs: " TWO_RUNTIME, 0},
    {"test_concat_3d_axis_2", "Concat of two runtime inputs: " TWO_RUNTIME, 0},
    {"test_concat_3d_axis_negative_1", "Concat of two runtime inputs: " TWO_RUNTIME, 0},
    {"test_concat_3d_axis_negative_2", "Concat of two runtime inputs: " TWO_RUNTIME, 0},
    {"test_concat_3d_axis_negative_3", "Concat of two runtime inputs along the batch axis: " TWO_RUNTIME, 0},
    /* The batch leaves dim 0. */
    {"test_flatten_axis0", "Flatten axis 0: " BATCH_MOVED, 0},
    {"test_flatten_axis2", "Flatten axis 2 merges the batch with dim 1: " BATCH_MOVED, 0},
    {"test_flatten_axis3", "Flatten axis 3 merges the batch with dims 1, 2: " BATCH_MOVED, 0},
    {"test_flatten_negative_axis1", "Flatten axis -1 (= 3): " BATCH_MOVED, 0},
    {"test_flatten_negative_axis2", "Flatten axis -2 (= 2): " BATCH_MOVED, 0},
    {"test_flatten_negative_axis4", "Flatten axis -4 (= 0): " BATCH_MOVED, 0},
    {"test_reshape_negative_extended_dims", "Reshape [2,3,4] -> [1,2,3,4]: " BATCH_MOVED, 0},
    {"test_reshape_one_dim", "Reshape [2,3,4] -> [24]: " BATCH_MOVED, 0},
    {"test_reshape_reordered_all_dims", "Reshape [2,3,4] -> [4,2,3]: " BATCH_MOVED, 0},
    {"test_reshape_allowzero_reordered", "an empty batch ([0,3,4]) reshaped to [3,4,0]: " BATCH_MOVED, 0},
    {"test_transpose_default", "Transpose perm [2,1,0]: " BATCH_MOVED, 0},
    {"test_transpose_all_permutations_2", "Transpose perm [1,0,2]: " BATCH_MOVED, 0},
    {"test_transpose_all_permutations_3", "Transpose perm [1,2,0]: " BATCH_MOVED, 0},
    {"test_transpose_all_permutations_4", "Transpose perm [2,0,1]: " BATCH_MOVED, 0},
    {"test_transpose_all_permutations_5", "Transpose perm [2,1,0]: " BATCH_MOVED, 0},
    {"test_gemm_transposeA", "Gemm transA=1 on the runtime A: " BATCH_MOVED, 0},
    {"test_gemm_all_attributes", "Gemm transA=1 on the runtime A: " BATCH_MOVED, 0},
    {"test_squeeze", "Squeeze axis 0: " BATCH_MOVED, 0},
    {"test_unsqueeze_axis_0", "Unsqueeze axis 0: " BATCH_MOVED, 0},
    {"test_slice", "Slice on axis 0 selects samples: " BATCH_MOVED, 0},
    {"test_slice_default_axes", "Slice on axis 0 selects samples: " BATCH_MOVED, 0},
    {"test_slice_default_steps", "Slice on axis 0 selects samples: " BATCH_MOVED, 0},
    {"test_slice_neg_steps", "Slice on axis 0 selects samples: " BATCH_MOVED, 0},
    {"test_slice_negative_axes", "Slice on axis 0 selects samples: " BATCH_MOVED, 0},
    {"test_softmax_axis_0", "Softmax axis 0 normalises across samples, which would couple them", 0},
    /* Ops the importer keeps for constant shape math only. */
    {"test_gather_0", GATHER_CONST, 0},
    {"test_gather_1", GATHER_CONST, 0},
    {"test_gather_2d_indices", GATHER_CONST, 0},
    {"test_gather_negative_indices", GATHER_CONST, 0},
    /* Window ops on other than 2-D images. */
    {"test_averagepool_1d_default", "1-D pooling: the IR pools 2-D NCHW images", 0},
    {"test_averagepool_3d_default", "3-D pooling: the IR pools 2-D NCHW images", 0},
    {"test_maxpool_1d_default", "1-D pooling: the IR pools 2-D NCHW images", 0},
    {"test_maxpool_3d_default", "3-D pooling: the IR pools 2-D NCHW images", 0},
    /* Everything else. */
    {"test_constant", "no graph input: every IR node depends on the one runtime input", 0},
    {"test_slice_start_out_of_bounds", "the output is empty ([20, 0, 5]): IR dims are at least 1", 0},
    {"test_training_dropout", "Dropout training_mode=true (random): Gauntlet runs inference only", 0},
    {"test_training_dropout_default", "Dropout training_mode=true (random): Gauntlet runs inference only", 0},
    {"test_training_dropout_zero_ratio",
     "Dropout training_mode=true (an identity at ratio 0, but training mode is refused as a whole)", 0},
};

/* KNOWN BUGS (to fix): importer or backend results that disagree with ONNX's expected outputs
 * although the case is inside the design. Listed so that the suite stays green while they are
 * fixed; each entry says what goes wrong. None at present (the placeholder keeps C11 happy). */
static const skip_entry known_bugs[] = {
    {NULL, NULL, 0},
};

/* Models stamped with an opset below GT_ONNX_OPSET_MIN (onnx.h accepts 7..18) whose every op
 * has had one version since opset 1, so stamping them opset 7 changes nothing they mean:
 * GlobalAveragePool-1 and GlobalMaxPool-1 are those ops' only versions. They run restamped. */
static const char *const restamp_opset7[] = {
    "test_globalaveragepool",
    "test_globalaveragepool_precomputed",
    "test_globalmaxpool",
    "test_globalmaxpool_precomputed",
};

/* One test_data_set_k: its tensors and the graph imported with inputs 1.. bound to them. */
typedef struct data_set {
  int n_in;
  gt_onnx_tensor_data *in[MAX_INPUTS];
  gt_onnx_tensor_data *out; /* output_0 */
  gt_graph *graph;          /* NULL when the import failed (import_err says why) */
  gt_error import_err;
} data_set;

typedef struct onnx_case {
  const char *name;
  char dir[1100];
  int n_sets;
  data_set sets[MAX_SETS];
  char skip[600];     /* non-empty: skipped for this reason found in the files */
  char prep_err[600]; /* non-empty: the files could not be read (a failure) */
  const skip_entry *listed;
  int listed_bug;     /* 1: listed in known_bugs, 0: in design_limits */
  const char *table;  /* "design limits" or "KNOWN BUGS" for messages */
} onnx_case;

typedef enum outcome { OUT_PASS, OUT_SKIP_FILES, OUT_SKIP_DESIGN, OUT_SKIP_BUG, OUT_FAIL } outcome;

static onnx_case g_case;
static gt_backend *g_be;
static const char *g_be_name;
static outcome g_outcome; /* of the current case x backend run */

static const skip_entry *find_entry(const skip_entry *table, size_t n, const char *name) {
  for (size_t k = 0; k < n; k++)
    if (table[k].name && !strcmp(table[k].name, name)) return &table[k];
  return NULL;
}

static const char *elem_name(int32_t t) {
  static const char *names[] = {"undefined", "float", "uint8", "int8", "uint16", "int16", "int32", "int64",
                                "string", "bool", "float16", "double", "uint32", "uint64", "complex64",
                                "complex128", "bfloat16"};
  return t >= 0 && t < (int32_t)(sizeof names / sizeof names[0]) ? names[t] : "unknown";
}

static int file_exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static void case_clear(onnx_case *c) {
  for (int s = 0; s < c->n_sets; s++) {
    data_set *ds = &c->sets[s];
    for (int i = 0; i < ds->n_in; i++) gt_onnx_tensor_data_free(ds->in[i]);
    gt_onnx_tensor_data_free(ds->out);
    gt_graph_free(ds->graph);
  }
  memset(c, 0, sizeof *c);
}

/* Reasons found in the model's declarations to skip it (empty when none). */
static void check_declarations(const gt_onnx_summary *s, char *skip, size_t size) {
  if (s->n_outputs != 1)
    snprintf(skip, size, "the model has %d outputs; a Gauntlet graph has one", s->n_outputs);
  else if (s->outputs[0].elem_type != ONNX_FLOAT)
    snprintf(skip, size, "output '%s' is %s; Gauntlet computes float", s->outputs[0].name,
             elem_name(s->outputs[0].elem_type));
  else if (s->n_inputs >= 1 && s->inputs[0].elem_type != ONNX_FLOAT)
    snprintf(skip, size, "input_0 '%s' is %s; the batched input is float", s->inputs[0].name,
             elem_name(s->inputs[0].elem_type));
  else if (s->n_inputs > MAX_INPUTS)
    snprintf(skip, size, "the model has %d inputs (the runner binds up to %d)", s->n_inputs, MAX_INPUTS);
}

/* Loads the tensors of test_data_set_k; fills prep_err / skip on problems. */
static void load_set(onnx_case *c, const gt_onnx_summary *s, int k) {
  data_set *ds = &c->sets[k];
  char path[1300];
  gt_error err;
  for (int i = 0; i < s->n_inputs; i++) {
    snprintf(path, sizeof path, "%s/test_data_set_%d/input_%d.pb", c->dir, k, i);
    gt_status st = gt_onnx_tensor_load(path, &ds->in[i], &err);
    if (st == GT_ERR_UNSUPPORTED) {
      snprintf(c->skip, sizeof c->skip, "input_%d: %.500s", i, err.message);
      return;
    }
    if (st != GT_OK) {
      snprintf(c->prep_err, sizeof c->prep_err, "%.590s", err.message);
      return;
    }
    ds->n_in = i + 1;
    const gt_onnx_tensor_data *t = ds->in[i];
    for (int64_t j = 0; t->ints && j < t->numel; j++)
      if ((int64_t)t->data[j] != t->ints[j] || fabsf(t->data[j]) > 16777216.0f) {
        snprintf(c->skip, sizeof c->skip, "input_%d '%s' holds the integer %lld, which a float binding cannot carry",
                 i, s->inputs[i].name, (long long)t->ints[j]);
        return;
      }
  }
  snprintf(path, sizeof path, "%s/test_data_set_%d/input_%d.pb", c->dir, k, s->n_inputs);
  if (file_exists(path)) {
    snprintf(c->prep_err, sizeof c->prep_err, "%.500s: more input files than the model's %d inputs", path, s->n_inputs);
    return;
  }
  snprintf(path, sizeof path, "%s/test_data_set_%d/output_0.pb", c->dir, k);
  gt_status st = gt_onnx_tensor_load(path, &ds->out, &err);
  if (st != GT_OK) {
    snprintf(c->prep_err, sizeof c->prep_err, "%.590s", err.message);
    return;
  }
  if (ds->n_in >= 1 && (ds->in[0]->elem_type != ONNX_FLOAT || ds->out->elem_type != ONNX_FLOAT))
    snprintf(c->skip, sizeof c->skip, "input_0 is %s and output_0 is %s in the data; both must be float",
             elem_name(ds->in[0]->elem_type), elem_name(ds->out->elem_type));
}

static int is_restamped(const char *name) {
  for (size_t k = 0; k < sizeof restamp_opset7 / sizeof restamp_opset7[0]; k++)
    if (!strcmp(restamp_opset7[k], name)) return 1;
  return 0;
}

/* Imports path with its default-domain opset stamped 7 (see restamp_opset7). */
static gt_status load_restamped(const char *path, const gt_onnx_options *opts, gt_graph **g, gt_error *err) {
  uint8_t *bytes = NULL;
  size_t size = 0;
  gt_status st = gt_onnx_read_file(path, &bytes, &size, err);
  if (st != GT_OK) return st;
  Onnx__ModelProto *m = onnx__model_proto__unpack(NULL, size, bytes);
  free(bytes);
  if (!m) return gt_error_set(err, GT_ERR_FORMAT, "%s: cannot unpack the model to restamp it", path);
  for (size_t k = 0; k < m->n_opset_import; k++) {
    Onnx__OperatorSetIdProto *o = m->opset_import[k];
    if (o->domain && o->domain[0] && strcmp(o->domain, "ai.onnx")) continue;
    o->has_version = 1;
    o->version = 7;
  }
  size_t n = onnx__model_proto__get_packed_size(m);
  uint8_t *packed = malloc(n ? n : 1);
  char *dir = gt_onnx_dir_of(path);
  if (!packed || !dir) st = gt_error_set(err, GT_ERR_MEMORY, "%s: out of memory restamping", path);
  if (st == GT_OK) {
    onnx__model_proto__pack(m, packed);
    st = gt_onnx_load_memory(packed, n, path, dir, opts, g, err);
  }
  onnx__model_proto__free_unpacked(m, NULL);
  free(packed);
  free(dir);
  return st;
}

/* Imports the model with inputs 1.. bound to the set's tensors. */
static void import_set(onnx_case *c, const gt_onnx_summary *s, data_set *ds) {
  const char *names[MAX_INPUTS];
  const float *data[MAX_INPUTS];
  const int64_t *shapes[MAX_INPUTS];
  int ranks[MAX_INPUTS];
  int nb = 0;
  for (int i = 1; i < ds->n_in; i++, nb++) {
    names[nb] = s->inputs[i].name;
    data[nb] = ds->in[i]->data;
    shapes[nb] = ds->in[i]->shape;
    ranks[nb] = ds->in[i]->ndim;
  }
  gt_onnx_options opts = {0, nb, names, data, shapes, ranks};
  char path[1200];
  snprintf(path, sizeof path, "%s/model.onnx", c->dir);
  gt_error_clear(&ds->import_err);
  gt_status st = is_restamped(c->name) ? load_restamped(path, &opts, &ds->graph, &ds->import_err)
                                       : gt_onnx_load(path, &opts, &ds->graph, &ds->import_err);
  if (st != GT_OK) ds->graph = NULL;
}

/* Reads everything a case needs once, for both backends (its ops are all supported). */
static void case_prepare(onnx_case *c, const char *name, const gt_onnx_summary *s) {
  c->name = name;
  snprintf(c->dir, sizeof c->dir, "%.500s/%.500s", GT_ONNX_TESTDATA_DIR, name);
  c->listed = find_entry(design_limits, sizeof design_limits / sizeof design_limits[0], name);
  c->table = "design limits";
  if (!c->listed) {
    c->listed = find_entry(known_bugs, sizeof known_bugs / sizeof known_bugs[0], name);
    c->listed_bug = 1;
    c->table = "KNOWN BUGS";
  }
  check_declarations(s, c->skip, sizeof c->skip);
  if (c->skip[0]) return;
  char path[1300];
  for (int k = 0; k < MAX_SETS; k++) {
    snprintf(path, sizeof path, "%s/test_data_set_%d/output_0.pb", c->dir, k);
    if (!file_exists(path)) break;
    c->n_sets = k + 1;
    load_set(c, s, k);
    if (c->skip[0] || c->prep_err[0]) return;
    import_set(c, s, &c->sets[k]);
  }
  if (c->n_sets == 0) snprintf(c->prep_err, sizeof c->prep_err, "%.500s: no test_data_set_0/output_0.pb", c->dir);
}

/* numpy's allclose for one element: NaN equals NaN, infinities must match exactly. */
static int close_enough(float got, float want) {
  if (isnan(want) || isnan(got)) return isnan(want) && isnan(got);
  if (isinf(want) || isinf(got)) return got == want;
  return fabs((double)got - (double)want) <= ATOL + RTOL * fabs((double)want);
}

/* Compares the model's output (shape [N, ...], values) with output_0. Returns 1 when it matches. */
static int compare_output(const gt_value *ov, const float *got, const gt_onnx_tensor_data *want, int64_t batch,
                          char *why, size_t size) {
  char a[128], b[128];
  int64_t shape[GT_MAX_DIMS];
  for (int d = 0; d < ov->ndim; d++) shape[d] = d == 0 ? batch : ov->shape[d];
  int same = ov->ndim == want->ndim;
  for (int d = 0; same && d < ov->ndim; d++) same = shape[d] == want->shape[d];
  if (!same) {
    snprintf(why, size, "output shape %s, ONNX expects %s", gt_shape_format(ov->ndim, shape, a, sizeof a),
             gt_shape_format(want->ndim, want->shape, b, sizeof b));
    return 0;
  }
  int64_t bad = 0, first = -1;
  double max_err = 0;
  for (int64_t k = 0; k < want->numel; k++) {
    if (close_enough(got[k], want->data[k])) continue;
    if (first < 0) first = k;
    bad++;
    double e = fabs((double)got[k] - (double)want->data[k]);
    if (!(e <= max_err)) max_err = e;
  }
  if (bad)
    snprintf(why, size, "%lld of %lld elements differ (first [%lld]: got %.9g, want %.9g; max |err| %.3g)",
             (long long)bad, (long long)want->numel, (long long)first, (double)got[first],
             (double)want->data[first], max_err);
  return bad == 0;
}

/* Runs one data set on the current backend. Returns 1 when the output matches; else why says what failed. */
static int run_set(const data_set *ds, char *why, size_t size) {
  if (!ds->graph) {
    snprintf(why, size, "import: %s", ds->import_err.message);
    return 0;
  }
  if (ds->n_in < 1) {
    snprintf(why, size, "the model imported, but it has no input to batch");
    return 0;
  }
  const gt_graph *g = ds->graph;
  const gt_onnx_tensor_data *x = ds->in[0];
  const gt_value *iv = &g->values[g->input], *ov = &g->values[g->output];
  int same = x->ndim >= 1 && iv->ndim == x->ndim;
  for (int d = 1; same && d < x->ndim; d++) same = iv->shape[d] == x->shape[d];
  if (!same) {
    char a[128], b[128];
    snprintf(why, size, "input_0 has shape %s, the imported graph's input %s",
             gt_shape_format(x->ndim, x->shape, a, sizeof a), gt_shape_format(iv->ndim, iv->shape, b, sizeof b));
    return 0;
  }
  int64_t batch = x->shape[0];
  const gt_backend_iface *io = g_be->iface;
  gt_model *m = NULL;
  void *x_dev = NULL;
  float *y = NULL;
  int ok = 0;
  int64_t y_numel = batch * gt_value_sample_numel(ov);
  gt_error err;
  gt_error_clear(&err);
  gt_status st = gt_model_create(g, g_be, batch, &m, &err);
  if (st == GT_OK) st = io->buffer_alloc(g_be, (size_t)(x->numel ? x->numel : 1) * sizeof(float), &x_dev, &err);
  if (st == GT_OK) st = io->copy_to_device(g_be, x_dev, x->data, (size_t)x->numel * sizeof(float), &err);
  if (st == GT_OK) st = gt_model_forward(m, x_dev, batch, &err);
  if (st == GT_OK && !(y = malloc((size_t)(y_numel ? y_numel : 1) * sizeof *y)))
    st = gt_error_set(&err, GT_ERR_MEMORY, "out of memory for the output");
  if (st == GT_OK) st = io->copy_to_host(g_be, y, gt_model_logits(m), (size_t)y_numel * sizeof *y, &err);
  if (st != GT_OK) snprintf(why, size, "run: %s", err.message);
  else ok = compare_output(ov, y, ds->out, batch, why, size);
  free(y);
  if (x_dev) io->buffer_free(g_be, x_dev);
  gt_model_free(m);
  return ok;
}

/* One gt_test_run: the current case on the current backend. */
static void run_case(void) {
  const onnx_case *c = &g_case;
  outcome listed_skip = c->listed_bug ? OUT_SKIP_BUG : OUT_SKIP_DESIGN;
  if (c->skip[0]) {
    g_outcome = OUT_SKIP_FILES;
    gt_test_skip("%s", c->skip);
    return;
  }
  if (c->listed && c->listed->no_run) {
    g_outcome = listed_skip;
    gt_test_skip("%s (not run): %s", c->table, c->listed->reason);
    return;
  }
  char why[1400] = "";
  int ok = 0, refused = 0;
  if (c->prep_err[0]) snprintf(why, sizeof why, "%s", c->prep_err);
  for (int s = 0; !c->prep_err[0] && s < c->n_sets; s++) {
    refused |= c->sets[s].graph == NULL;
    if (!(ok = run_set(&c->sets[s], why, sizeof why))) break;
  }
  g_outcome = OUT_FAIL;
  if (!c->listed) {
    if (GT_CHECK(ok, "%s", why)) g_outcome = OUT_PASS;
    return;
  }
  if (ok) {
    GT_CHECK(0, "listed in the %s table (\"%s\") but passes on %s: remove the entry", c->table, c->listed->reason,
             g_be_name);
    return;
  }
  /* A design limit must be refused at import with a message, never run to a wrong answer. */
  if (!c->listed_bug && !refused) {
    GT_CHECK(0, "listed as a design limit, but the importer accepted it and then: %s", why);
    return;
  }
  g_outcome = listed_skip;
  gt_test_skip("%s: %s [%s]", c->table, c->listed->reason, why);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Case folder names, sorted; NULL when the data is not installed. */
static char **list_cases(size_t *n) {
  *n = 0;
  DIR *d = opendir(GT_ONNX_TESTDATA_DIR);
  if (!d) return NULL;
  char **names = NULL;
  size_t cap = 0;
  for (struct dirent *e; (e = readdir(d));) {
    if (strncmp(e->d_name, "test_", 5)) continue;
    if (*n == cap) {
      cap = cap ? 2 * cap : 1024;
      char **grown = realloc(names, cap * sizeof *names);
      if (!grown) break;
      names = grown;
    }
    if (!(names[*n] = strdup(e->d_name))) break;
    (*n)++;
  }
  closedir(d);
  if (names) qsort(names, *n, sizeof *names, cmp_str);
  return names;
}

static void test_data_missing(void) {
  gt_test_skip("%s is not installed (Debian's libonnx-testdata)", GT_ONNX_TESTDATA_DIR);
}

/* Packs tp and reads it back through the public reader. */
static gt_status load_packed(const Onnx__TensorProto *tp, gt_onnx_tensor_data **out, gt_error *err) {
  size_t n = onnx__tensor_proto__get_packed_size(tp);
  uint8_t *bytes = malloc(n ? n : 1);
  if (!bytes) return gt_error_set(err, GT_ERR_MEMORY, "out of memory");
  onnx__tensor_proto__pack(tp, bytes);
  gt_status st = gt_onnx_tensor_load_memory(bytes, n, "t.pb", out, err);
  free(bytes);
  return st;
}

/* The tensor-file reader: exact integers, typed errors, and no crash on any truncation. */
static void test_tensor_reader(void) {
  gt_onnx_tensor_data *t = NULL;
  gt_error err;
  int64_t dims[2] = {2, 2}, ints[4] = {-3, 0, 16777217, INT64_MAX};
  Onnx__TensorProto tp = ONNX__TENSOR_PROTO__INIT;
  tp.name = "pads";
  tp.n_dims = 2;
  tp.dims = dims;
  tp.has_data_type = 1;
  tp.data_type = 7; /* int64 */
  tp.n_int64_data = 4;
  tp.int64_data = ints;
  if (GT_CHECK(load_packed(&tp, &t, &err) == GT_OK, "int64: %s", err.message)) {
    GT_CHECK(t->elem_type == 7 && t->ndim == 2 && t->numel == 4 && !strcmp(t->name, "pads"), "int64 header");
    GT_CHECK(t->ints && t->ints[2] == 16777217 && t->ints[3] == INT64_MAX, "int64 values must stay exact");
    GT_CHECK(t->data[0] == -3.0f, "float view %g", (double)t->data[0]);
  }
  gt_onnx_tensor_data_free(t);
  t = NULL;
  uint8_t raw[7] = {0};
  tp.data_type = 1; /* float, from 7 raw bytes: 4 elements need 16 */
  tp.n_int64_data = 0;
  tp.has_raw_data = 1;
  tp.raw_data.len = sizeof raw;
  tp.raw_data.data = raw;
  GT_CHECK(load_packed(&tp, &t, &err) == GT_ERR_FORMAT && !t, "short raw_data must be a format error");
  tp.has_raw_data = 0;
  tp.data_type = 8; /* string */
  GT_CHECK(load_packed(&tp, &t, &err) == GT_ERR_UNSUPPORTED && !t, "string tensors are unsupported");
  GT_CHECK(gt_onnx_tensor_load("/nonexistent/x.pb", &t, &err) == GT_ERR_IO && !t, "missing file: io error");
  char path[1200];
  snprintf(path, sizeof path, "%.1000s/test_conv_with_strides_padding/test_data_set_0/input_0.pb",
           GT_ONNX_TESTDATA_DIR);
  uint8_t *bytes = NULL;
  size_t size = 0;
  if (gt_onnx_read_file(path, &bytes, &size, &err) != GT_OK) {
    gt_test_skip("truncations not tried: %s", err.message);
    return;
  }
  for (size_t cut = 0; cut <= size; cut++) {
    gt_status st = gt_onnx_tensor_load_memory(bytes, cut, "cut.pb", &t, &err);
    GT_CHECK(cut == size ? st == GT_OK : st != GT_OK && !t, "%zu of %zu bytes: %s", cut, size,
             st == GT_OK ? "accepted" : err.message);
    gt_onnx_tensor_data_free(t);
    t = NULL;
  }
  free(bytes);
}

static int g_stats_ok; /* 1 when the counts below add up */

static void test_counts(void) { GT_CHECK(g_stats_ok, "the counts do not add up, or no case passed"); }

int main(void) {
  static const char *backend_names[2] = {"ref", "cpu"};
  gt_backend *backends[2] = {NULL, NULL};
  gt_error err;
  for (int b = 0; b < 2; b++)
    if (gt_backend_create(backend_names[b], &backends[b], &err) != GT_OK) {
      fprintf(stderr, "cannot create backend %s: %s\n", backend_names[b], err.message);
      return 1;
    }
  gt_test_run("TensorProto file reader", test_tensor_reader);
  size_t n = 0;
  char **names = list_cases(&n);
  if (!names || n == 0) {
    gt_test_run("ONNX node test data", test_data_missing);
    for (int b = 0; b < 2; b++) gt_backend_free(backends[b]);
    free(names);
    return gt_test_finish();
  }
  int n_unsupported = 0, n_unreadable = 0, n_supported = 0;
  int per_outcome[OUT_FAIL + 1] = {0};
  for (size_t k = 0; k < n; k++) {
    char path[1200];
    snprintf(path, sizeof path, "%.500s/%.500s/model.onnx", GT_ONNX_TESTDATA_DIR, names[k]);
    gt_onnx_summary *s = NULL;
    if (gt_onnx_inspect(path, &s, &err) != GT_OK) {
      fprintf(stderr, "  cannot inspect %s: %s\n", names[k], err.message);
      n_unreadable++;
      continue;
    }
    if (s->n_unsupported > 0) {
      n_unsupported++;
      gt_onnx_summary_free(s);
      continue;
    }
    n_supported++;
    case_prepare(&g_case, names[k], s);
    outcome worst = OUT_PASS;
    for (int b = 0; b < 2; b++) {
      char run_name[600];
      snprintf(run_name, sizeof run_name, "%s [%s]", names[k], backend_names[b]);
      g_be = backends[b];
      g_be_name = backend_names[b];
      g_outcome = OUT_FAIL;
      gt_test_run(run_name, run_case);
      if (g_outcome > worst) worst = g_outcome;
    }
    per_outcome[worst]++;
    case_clear(&g_case);
    gt_onnx_summary_free(s);
  }
  int skipped = per_outcome[OUT_SKIP_FILES] + per_outcome[OUT_SKIP_DESIGN] + per_outcome[OUT_SKIP_BUG];
  printf("ONNX conformance (%s; rtol %g, atol %g; backends ref and cpu):\n", GT_ONNX_TESTDATA_DIR, RTOL, ATOL);
  printf("  %zu cases: %d with supported ops were run, %d use unsupported ops (counted, not run)%s\n", n, n_supported,
         n_unsupported, n_unreadable ? ", some unreadable (see above)" : "");
  printf("  of the %d run: %d passed, %d skipped with a reason (%d by their files' types or outputs, %d design "
         "limits, %d KNOWN BUGS), %d failed\n",
         n_supported, per_outcome[OUT_PASS], skipped, per_outcome[OUT_SKIP_FILES], per_outcome[OUT_SKIP_DESIGN],
         per_outcome[OUT_SKIP_BUG], per_outcome[OUT_FAIL]);
  g_stats_ok = n_unreadable == 0 && per_outcome[OUT_PASS] > 0 &&
               per_outcome[OUT_PASS] + skipped + per_outcome[OUT_FAIL] == n_supported &&
               n_supported + n_unsupported == (int)n;
  gt_test_run("conformance counts add up", test_counts);
  for (size_t k = 0; k < n; k++) free(names[k]);
  free(names);
  for (int b = 0; b < 2; b++) gt_backend_free(backends[b]);
  return gt_test_finish();
}

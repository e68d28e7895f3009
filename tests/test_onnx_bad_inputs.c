/* Hostile and broken ONNX files: each case asserts the status code, the key words of the message
 * and that the message names the file. Run under ASan/UBSan, these also show that no input
 * crashes the importer (truncations, random bytes, byte flips, deep nesting). */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gauntlet/onnx.h"
#include "gt_test.h"
#include "support/onnx_builder.h"

#define N (-1)

/* A small valid classifier: Conv(+bias) -> Relu -> Flatten -> Gemm, input [N,1,4,4]. */
static gt_ob_model *valid_model(void) {
  gt_ob_model *m = gt_ob_model_create(13);
  int64_t xs[4] = {N, 1, 4, 4}, ws[4] = {2, 1, 3, 3}, bs[1] = {2}, fs[2] = {3, 8}, fb[1] = {3};
  float w[18], b[2] = {0.1f, -0.1f}, f[24], c[3] = {1, 2, 3};
  for (int k = 0; k < 18; k++) w[k] = (float)(k % 5) - 2.0f;
  for (int k = 0; k < 24; k++) f[k] = (float)(k % 7) * 0.1f;
  gt_ob_input(m, "x", GT_OB_FLOAT, 4, xs);
  gt_ob_init_float(m, "W", 4, ws, w);
  gt_ob_init_float(m, "B", 1, bs, b);
  gt_ob_init_float(m, "F", 2, fs, f);
  gt_ob_init_float(m, "C", 1, fb, c);
  gt_ob_node_add(m, "Conv", "conv", "x,W,B", "c"); /* [N,2,2,2] */
  gt_ob_node_add(m, "Relu", "relu", "c", "r");
  gt_ob_node_add(m, "Flatten", "flat", "r", "f");
  gt_ob_attr_int(gt_ob_node_add(m, "Gemm", "fc", "f,F,C", "y"), "transB", 1);
  gt_ob_output(m, "y");
  return m;
}

static const char *tmp(const char *name, char *buf, size_t size) { return gt_test_tmp_path(name, buf, size); }

/* Writes m to a temporary file named name (m is freed), loads it with opts; fills path. */
static gt_status load_file(gt_ob_model *m, const char *name, const gt_onnx_options *opts, char *path, size_t size,
                           gt_error *err) {
  tmp(name, path, size);
  int rc = gt_ob_write(m, path);
  gt_ob_model_free(m);
  GT_CHECK(rc == 0, "cannot write %s", path);
  gt_graph *g = NULL;
  gt_error_clear(err);
  gt_status st = gt_onnx_load(path, opts, &g, err);
  gt_graph_free(g);
  return st;
}

/* status == want, the message names path and holds every keyword (NULL-terminated list). */
static void expect(gt_status st, const gt_error *err, gt_status want, const char *path, const char *k1,
                   const char *k2) {
  GT_CHECK(st == want, "status %s, want %s: %s", gt_status_name(st), gt_status_name(want), err->message);
  GT_CHECK(err->code == st, "err->code %d vs status %d", (int)err->code, (int)st);
  GT_CHECK(strstr(err->message, path) != NULL, "message does not name the file %s: %s", path, err->message);
  if (k1) GT_CHECK(strstr(err->message, k1) != NULL, "message lacks '%s': %s", k1, err->message);
  if (k2) GT_CHECK(strstr(err->message, k2) != NULL, "message lacks '%s': %s", k2, err->message);
}

static void expect_model(gt_ob_model *m, const char *file, gt_status want, const char *k1, const char *k2) {
  char path[512];
  gt_error err;
  gt_status st = load_file(m, file, NULL, path, sizeof path, &err);
  expect(st, &err, want, path, k1, k2);
}

/* ---- the file itself ---- */

static void test_valid_model_loads(void) {
  char path[512];
  gt_error err;
  GT_CHECK(load_file(valid_model(), "valid.onnx", NULL, path, sizeof path, &err) == GT_OK, "%s", err.message);
}

static void test_truncated(void) {
  size_t n = 0;
  gt_ob_model *m = valid_model();
  uint8_t *bytes = gt_ob_pack(m, &n);
  gt_ob_model_free(m);
  size_t cuts[] = {1, 2, 3, 5, 9, 17, n / 4, n / 3, n / 2, 2 * n / 3, 3 * n / 4, n - 9, n - 2, n - 1};
  for (size_t k = 0; k < sizeof cuts / sizeof cuts[0]; k++) {
    char name[64], path[512];
    snprintf(name, sizeof name, "truncated_%zu.onnx", cuts[k]);
    tmp(name, path, sizeof path);
    GT_CHECK(gt_ob_write_bytes(path, bytes, cuts[k]) == 0, "write %s", path);
    gt_graph *g = NULL;
    gt_error err;
    gt_status st = gt_onnx_load(path, NULL, &g, &err);
    expect(st, &err, GT_ERR_FORMAT, path, "not a valid ONNX model", NULL);
    GT_CHECK(g == NULL, "graph returned on failure");
    gt_onnx_summary *s = NULL;
    GT_CHECK(gt_onnx_inspect(path, &s, &err) == GT_ERR_FORMAT && s == NULL, "inspect of a truncated file: %s",
             err.message);
  }
  free(bytes);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static uint32_t rng(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return (uint32_t)(rng_state >> 16);
}

static void test_random_bytes(void) {
  uint8_t buf[4096];
  for (int trial = 0; trial < 40; trial++) {
    size_t n = 1 + rng() % sizeof buf;
    for (size_t k = 0; k < n; k++) buf[k] = (uint8_t)rng();
    gt_graph *g = NULL;
    gt_error err;
    gt_error_clear(&err);
    gt_status st = gt_onnx_load_memory(buf, n, "random.onnx", NULL, NULL, &g, &err);
    GT_CHECK(st == GT_ERR_FORMAT || st == GT_ERR_LIMIT, "trial %d: status %s: %s", trial, gt_status_name(st),
             err.message);
    GT_CHECK(strstr(err.message, "random.onnx") != NULL, "trial %d: %s", trial, err.message);
    gt_graph_free(g);
  }
}

/* Random byte flips in a valid model: any status is fine, but never a crash or an unnamed error. */
static void test_byte_flips(void) {
  size_t n = 0;
  gt_ob_model *m = valid_model();
  uint8_t *orig = gt_ob_pack(m, &n);
  gt_ob_model_free(m);
  uint8_t *bytes = malloc(n);
  if (!bytes) abort();
  int failed = 0;
  for (int trial = 0; trial < 300; trial++) {
    memcpy(bytes, orig, n);
    int flips = 1 + (int)(rng() % 4);
    for (int f = 0; f < flips; f++) bytes[rng() % n] ^= (uint8_t)(1 + rng() % 255);
    gt_graph *g = NULL;
    gt_error err;
    gt_error_clear(&err);
    gt_status st = gt_onnx_load_memory(bytes, n, "flipped.onnx", NULL, NULL, &g, &err);
    if (st != GT_OK) {
      failed++;
      GT_CHECK(st != GT_ERR_INTERNAL && st != GT_ERR_USAGE && strstr(err.message, "flipped.onnx"),
               "trial %d: %s: %s", trial, gt_status_name(st), err.message);
    } else {
      GT_CHECK(gt_graph_validate(g, &err) == GT_OK, "trial %d: invalid graph returned: %s", trial, err.message);
    }
    gt_graph_free(g);
  }
  GT_CHECK(failed > 0, "no flip was ever detected");
  free(bytes);
  free(orig);
}

static void test_empty_and_missing(void) {
  char path[512];
  tmp("empty.onnx", path, sizeof path);
  GT_CHECK(gt_ob_write_bytes(path, "", 0) == 0, "write");
  gt_graph *g = NULL;
  gt_error err;
  expect(gt_onnx_load(path, NULL, &g, &err), &err, GT_ERR_FORMAT, path, "empty", NULL);
  tmp("does_not_exist.onnx", path, sizeof path);
  remove(path);
  expect(gt_onnx_load(path, NULL, &g, &err), &err, GT_ERR_IO, path, "cannot open", NULL);
  gt_onnx_summary *s = NULL;
  expect(gt_onnx_inspect(path, &s, &err), &err, GT_ERR_IO, path, NULL, NULL);
}

/* A sparse file one byte over the 2 GiB cap: refused before anything is read. */
static void test_size_cap(void) {
  char path[512];
  tmp("huge.onnx", path, sizeof path);
  FILE *f = fopen(path, "wb");
  if (!GT_CHECK(f != NULL, "create %s", path)) return;
  int rc = ftruncate(fileno(f), (off_t)GT_ONNX_MAX_FILE_BYTES + 1);
  fclose(f);
  if (rc != 0) {
    gt_test_skip("cannot make a sparse file of %lld bytes here", (long long)GT_ONNX_MAX_FILE_BYTES + 1);
    remove(path);
    return;
  }
  gt_graph *g = NULL;
  gt_error err;
  expect(gt_onnx_load(path, NULL, &g, &err), &err, GT_ERR_LIMIT, path, "refused", "2147483649");
  remove(path);
}

/* Prepends a length-delimited field header for the bytes b[*pos, cap) (written back to front). */
static void wrap_field(uint8_t *b, size_t cap, size_t *pos, unsigned field) {
  size_t len = cap - *pos;
  uint8_t v[10];
  int n = 0;
  do {
    v[n] = (uint8_t)(len & 0x7f);
    len >>= 7;
    if (len) v[n] |= 0x80;
    n++;
  } while (len);
  *pos -= (size_t)n;
  memcpy(b + *pos, v, (size_t)n);
  b[--*pos] = (uint8_t)((field << 3) | 2);
}

/* protobuf nesting 30002 deep (attribute -> node -> graph -> attribute ...): refused, not a stack overflow. */
static void test_deep_nesting(void) {
  const int levels = 30002; /* levels % 3 == 2: the last wrap makes a GraphProto */
  static const unsigned fields[3] = {5, 1, 6}; /* Node.attribute, Graph.node, Attribute.g */
  size_t cap = (size_t)levels * 8 + 16, pos = cap;
  uint8_t *b = malloc(cap);
  if (!b) abort();
  for (int k = 0; k < levels; k++) wrap_field(b, cap, &pos, fields[k % 3]);
  wrap_field(b, cap, &pos, 7); /* Model.graph */
  gt_graph *g = NULL;
  gt_error err;
  gt_status st = gt_onnx_load_memory(b + pos, cap - pos, "deep.onnx", NULL, NULL, &g, &err);
  expect(st, &err, GT_ERR_LIMIT, "deep.onnx", "nested deeper", NULL);
  free(b);
}

/* ---- model-level problems ---- */

static void test_unknown_op(void) {
  gt_ob_model *m = gt_ob_model_create(13);
  int64_t xs[2] = {N, 4};
  gt_ob_input(m, "x", GT_OB_FLOAT, 2, xs);
  gt_ob_node_add(m, "Relu", "r", "x", "a");
  gt_ob_node_add(m, "FancyOp", "fancy_node", "a", "y");
  gt_ob_output(m, "y");
  char path[512];
  tmp("unknown_op.onnx", path, sizeof path);
  GT_CHECK(gt_ob_write(m, path) == 0, "write");
  gt_ob_model_free(m);
  gt_graph *g = NULL;
  gt_error err;
  gt_status st = gt_onnx_load(path, NULL, &g, &err);
  expect(st, &err, GT_ERR_UNSUPPORTED, path, "FancyOp", "fancy_node");
  GT_CHECK(strstr(err.message, "Conv") && strstr(err.message, "Gemm"), "supported list missing: %s", err.message);
  /* inspect still works and lists it */
  gt_onnx_summary *s = NULL;
  if (GT_CHECK(gt_onnx_inspect(path, &s, &err) == GT_OK, "%s", err.message)) {
    GT_CHECK(s->n_unsupported == 1 && !strcmp(s->unsupported_ops[0], "FancyOp"), "unsupported list");
    GT_CHECK(s->n_op_types == 2 && s->op_types[0].supported && !s->op_types[1].supported, "histogram");
    gt_onnx_summary_free(s);
  }
}

static void test_opset_and_domain(void) {
  int64_t opsets[2] = {6, 19};
  for (int k = 0; k < 2; k++) {
    gt_ob_model *m = gt_ob_model_create(opsets[k]);
    int64_t xs[2] = {N, 4};
    gt_ob_input(m, "x", GT_OB_FLOAT, 2, xs);
    gt_ob_node_add(m, "Relu", "r", "x", "y");
    gt_ob_output(m, "y");
    expect_model(m, k ? "opset19.onnx" : "opset6.onnx", GT_ERR_UNSUPPORTED, "opset", k ? "19" : "6");
  }
  gt_ob_model *m = gt_ob_model_create(13);
  gt_ob_opset(m, "com.example", 1);
  int64_t xs[2] = {N, 4};
  gt_ob_input(m, "x", GT_OB_FLOAT, 2, xs);
  gt_ob_node_domain(gt_ob_node_add(m, "Relu", "custom_relu", "x", "y"), "com.example");
  gt_ob_output(m, "y");
  expect_model(m, "custom_domain.onnx", GT_ERR_UNSUPPORTED, "com.example", "custom_relu");
  m = gt_ob_model_create(0);
  gt_ob_opset(m, "com.example", 1);
  gt_ob_input(m, "x", GT_OB_FLOAT, 2, xs);
  gt_ob_node_add(m, "Relu", "r", "x", "y");
  gt_ob_output(m, "y");
  expect_model(m, "only_custom_domain.onnx", GT_ERR_UNSUPPORTED, "com.example", "default");
}

static void test_graph_structure(void) {
  int64_t xs[2] = {N, 4};
  /* undefined input name */
  gt_ob_model *m = gt_ob_model_create(13);
  gt_ob_input(m, "x", GT_OB_FLOAT, 2, xs);
  gt_ob_node_add(m, "Add", "adder", "x,ghost", "y");
  gt_ob_output(m, "y");
  expect_model(m, "undefined_input.onnx", GT_ERR_FORMAT, "ghost", "adder");
  /* cycle: a -> b -> a */
  m = gt_ob_model_create(13);
  gt_ob_input(m, "x", GT_OB_FLOAT, 2, xs);
  gt_ob_node_add(m, "Add", "first", "x,b", "a");
  gt_ob_node_add(m, "Relu", "second", "a", "b");
  gt_ob_node_add(m, "Relu", "out", "b", "y");
  gt_ob_output(m, "y");
  expect_model(m, "cycle.onnx", GT_ERR_FORMAT, "cycle", "first");
  /* a node reading its own output */
  m = gt_ob_model_create(13);
  gt_ob_input(m, "x", GT_OB_FLOAT, 2, xs);
  gt_ob_node_add(m, "Add", "selfloop", "x,y", "y");
  gt_ob_output(m, "y");
  expect_model(m, "self_cycle.onnx", GT_ERR_FORMAT, "cycle", "selfloop");
  /* duplicate output names */
  m = gt_ob_model_create(13);
  gt_ob_input(m, "x", GT_OB_FLOAT, 2, xs);
  gt_ob_node_add(m, "Relu", "r1", "x", "y");
  gt_ob_node_add(m, "Sigmoid", "r2", "x", "y");
  gt_ob_output(m, "y");
  expect_model(m, "duplicate_output.onnx", GT_ERR_FORMAT, "already defined", "r2");
  /* two runtime inputs */
  m = gt_ob_model_create(13);
  gt_ob_input(m, "x", GT_OB_FLOAT, 2, xs);
  gt_ob_input(m, "z", GT_OB_FLOAT, 2, xs);
  gt_ob_node_add(m, "Add", "add", "x,z", "y");
  gt_ob_output(m, "y");
  expect_model(m, "two_inputs.onnx", GT_ERR_FORMAT, "2 runtime inputs", "'z'");
  /* graph output nobody produces */
  m = gt_ob_model_create(13);
  gt_ob_input(m, "x", GT_OB_FLOAT, 2, xs);
  gt_ob_node_add(m, "Relu", "r", "x", "y");
  gt_ob_output(m, "nowhere");
  expect_model(m, "missing_output.onnx", GT_ERR_FORMAT, "nowhere", NULL);
  /* an input dim that is not a size */
  m = gt_ob_model_create(13);
  int64_t bad[2] = {N, 0};
  gt_ob_input(m, "x", GT_OB_FLOAT, 2, bad);
  gt_ob_node_add(m, "Relu", "r", "x", "y");
  gt_ob_output(m, "y");
  expect_model(m, "zero_dim_input.onnx", GT_ERR_FORMAT, "'x'", "dim 1");
}

/* ---- tensors ---- */

static gt_ob_model *model_with_bias_init(void (*add)(gt_ob_model *m)) {
  gt_ob_model *m = gt_ob_model_create(13);
  int64_t xs[2] = {N, 4};
  gt_ob_input(m, "x", GT_OB_FLOAT, 2, xs);
  add(m);
  gt_ob_node_add(m, "Add", "add", "x,bias", "y");
  gt_ob_output(m, "y");
  return m;
}

static void add_absurd_dim(gt_ob_model *m) {
  int64_t dims[1] = {(int64_t)1 << 40};
  gt_ob_init_raw(m, "bias", GT_OB_FLOAT, 1, dims, "abcd", 4);
}
static void add_overflowing_dims(gt_ob_model *m) {
  int64_t dims[3] = {(int64_t)1 << 30, (int64_t)1 << 30, (int64_t)1 << 30};
  gt_ob_init_raw(m, "bias", GT_OB_FLOAT, 3, dims, "abcd", 4);
}
static void add_negative_dim(gt_ob_model *m) {
  int64_t dims[1] = {-3};
  gt_ob_init_raw(m, "bias", GT_OB_FLOAT, 1, dims, "abcd", 4);
}
static void add_short_raw(gt_ob_model *m) {
  int64_t dims[1] = {4};
  gt_ob_init_raw(m, "bias", GT_OB_FLOAT, 1, dims, "0123456789abcde", 15);
}
static void add_long_raw(gt_ob_model *m) {
  int64_t dims[1] = {4};
  gt_ob_init_raw(m, "bias", GT_OB_FLOAT, 1, dims, "0123456789abcdef0", 17);
}
static void add_typed_mismatch(gt_ob_model *m) {
  int64_t dims[1] = {4};
  float v[3] = {1, 2, 3};
  gt_ob_init_float_typed(m, "bias", 1, dims, 3, v);
}
static void add_too_many_dims(gt_ob_model *m) {
  int64_t dims[7] = {1, 1, 1, 1, 1, 1, 4};
  gt_ob_init_raw(m, "bias", GT_OB_FLOAT, 7, dims, "0123456789abcdef", 16);
}

static void test_tensor_checks(void) {
  expect_model(model_with_bias_init(add_absurd_dim), "absurd_dim.onnx", GT_ERR_LIMIT, "'bias'", "1099511627776");
  expect_model(model_with_bias_init(add_overflowing_dims), "overflow_dims.onnx", GT_ERR_LIMIT, "'bias'",
               "more than");
  expect_model(model_with_bias_init(add_negative_dim), "negative_dim.onnx", GT_ERR_FORMAT, "'bias'", "negative");
  expect_model(model_with_bias_init(add_short_raw), "short_raw.onnx", GT_ERR_FORMAT, "raw_data has 15 bytes", "16");
  expect_model(model_with_bias_init(add_long_raw), "long_raw.onnx", GT_ERR_FORMAT, "raw_data has 17 bytes", "'bias'");
  expect_model(model_with_bias_init(add_typed_mismatch), "typed_count.onnx", GT_ERR_FORMAT, "3 values in float_data",
               "'bias'");
  expect_model(model_with_bias_init(add_too_many_dims), "rank7.onnx", GT_ERR_LIMIT, "rank 7", "'bias'");
}

/* ---- external data ---- */

static const char *ext_location; /* set before each external-data model is built */
static int64_t ext_offset;

static void add_external(gt_ob_model *m) {
  int64_t dims[1] = {4};
  gt_ob_init_external(m, "bias", GT_OB_FLOAT, 1, dims, ext_location, ext_offset, 16);
}

/* Writes the model into dir/<file> and loads it with external data allowed or not. */
static gt_status load_external(const char *dir, const char *file, const char *location, int64_t offset, int allow,
                               char *path, size_t size, gt_error *err) {
  ext_location = location;
  ext_offset = offset;
  gt_ob_model *m = model_with_bias_init(add_external);
  snprintf(path, size, "%s/%s", dir, file);
  GT_CHECK(gt_ob_write(m, path) == 0, "write %s", path);
  gt_ob_model_free(m);
  gt_onnx_options opts = {allow, 0, NULL, NULL, NULL, NULL};
  gt_graph *g = NULL;
  gt_error_clear(err);
  gt_status st = gt_onnx_load(path, &opts, &g, err);
  if (st == GT_OK) {
    const gt_node *n = &g->nodes[0];
    const gt_value *b = &g->values[n->inputs[1]];
    GT_CHECK(b->data && b->data[0] == 1.0f && b->data[3] == 4.0f, "external values not read");
  }
  gt_graph_free(g);
  return st;
}

static void test_external_data(void) {
  char dir[512], outside[512], path[600], file[600];
  tmp("ext_model_dir", dir, sizeof dir);
  mkdir(dir, 0755);
  tmp("ext_outside.bin", outside, sizeof outside);
  float w[4] = {1, 2, 3, 4};
  uint8_t blob[32] = {0};
  memcpy(blob + 16, w, sizeof w); /* little-endian host: the floats at offset 16 */
  snprintf(file, sizeof file, "%s/weights.bin", dir);
  GT_CHECK(gt_ob_write_bytes(file, blob, sizeof blob) == 0, "write weights");
  GT_CHECK(gt_ob_write_bytes(outside, blob, sizeof blob) == 0, "write outside");
  snprintf(file, sizeof file, "%s/escape.bin", dir);
  remove(file);
  GT_CHECK(symlink(outside, file) == 0, "symlink");
  gt_error err;

  /* positive control: allowed and inside the folder */
  GT_CHECK(load_external(dir, "ok.onnx", "weights.bin", 16, 1, path, sizeof path, &err) == GT_OK, "%s",
           err.message);
  /* refused by default */
  gt_status st = load_external(dir, "refused.onnx", "weights.bin", 16, 0, path, sizeof path, &err);
  expect(st, &err, GT_ERR_UNSUPPORTED, path, "external", "refused");
  /* absolute path, '..', symlink escape, offset past the end: refused even when allowed */
  st = load_external(dir, "absolute.onnx", outside, 16, 1, path, sizeof path, &err);
  expect(st, &err, GT_ERR_FORMAT, path, "absolute", NULL);
  st = load_external(dir, "dotdot.onnx", "../ext_outside.bin", 16, 1, path, sizeof path, &err);
  expect(st, &err, GT_ERR_FORMAT, path, "'..'", NULL);
  st = load_external(dir, "dotdot2.onnx", "sub/../../ext_outside.bin", 16, 1, path, sizeof path, &err);
  expect(st, &err, GT_ERR_FORMAT, path, "'..'", NULL);
  st = load_external(dir, "symlink.onnx", "escape.bin", 16, 1, path, sizeof path, &err);
  expect(st, &err, GT_ERR_FORMAT, path, "outside", NULL);
  st = load_external(dir, "past_end.onnx", "weights.bin", 24, 1, path, sizeof path, &err);
  expect(st, &err, GT_ERR_FORMAT, path, "past the end", NULL);
  st = load_external(dir, "huge_offset.onnx", "weights.bin", INT64_MAX, 1, path, sizeof path, &err);
  expect(st, &err, GT_ERR_FORMAT, path, "past the end", NULL);
  st = load_external(dir, "missing_file.onnx", "nope.bin", 0, 1, path, sizeof path, &err);
  expect(st, &err, GT_ERR_IO, path, "nope.bin", NULL);
}

/* ---- nodes ---- */

static void test_node_checks(void) {
  int64_t xs4[4] = {N, 3, 8, 8}, ws[4] = {4, 2, 3, 3};
  float w[72] = {0};
  /* wrong attribute type */
  gt_ob_model *m = gt_ob_model_create(13);
  gt_ob_input(m, "x", GT_OB_FLOAT, 4, xs4);
  gt_ob_init_float(m, "W", 4, ws, w);
  gt_ob_attr_float(gt_ob_node_add(m, "Conv", "typed_conv", "x,W", "y"), "group", 1.0f);
  gt_ob_output(m, "y");
  expect_model(m, "attr_type.onnx", GT_ERR_FORMAT, "attribute 'group'", "typed_conv");
  /* Conv channel mismatch: W expects 2 channels, x has 3 */
  m = gt_ob_model_create(13);
  gt_ob_input(m, "x", GT_OB_FLOAT, 4, xs4);
  gt_ob_init_float(m, "W", 4, ws, w);
  gt_ob_node_add(m, "Conv", "mismatch_conv", "x,W", "y");
  gt_ob_output(m, "y");
  expect_model(m, "conv_channels.onnx", GT_ERR_SHAPE, "mismatch_conv", "channels");
  /* Add that does not broadcast */
  m = gt_ob_model_create(13);
  int64_t xs3[3] = {N, 3, 4}, cs[1] = {5};
  float c[5] = {0};
  gt_ob_input(m, "x", GT_OB_FLOAT, 3, xs3);
  gt_ob_init_float(m, "c", 1, cs, c);
  gt_ob_node_add(m, "Add", "bad_add", "x,c", "y");
  gt_ob_output(m, "y");
  expect_model(m, "broadcast.onnx", GT_ERR_SHAPE, "[N, 3, 4]", "[5]");
  /* Gemm K mismatch */
  m = gt_ob_model_create(13);
  int64_t xs2[2] = {N, 4}, bs[2] = {5, 3};
  float b[15] = {0};
  gt_ob_input(m, "x", GT_OB_FLOAT, 2, xs2);
  gt_ob_init_float(m, "B", 2, bs, b);
  gt_ob_node_add(m, "Gemm", "bad_gemm", "x,B", "y");
  gt_ob_output(m, "y");
  expect_model(m, "gemm_k.onnx", GT_ERR_SHAPE, "bad_gemm", "K");
  /* Concat with different non-axis dims */
  m = gt_ob_model_create(13);
  gt_ob_input(m, "x", GT_OB_FLOAT, 3, xs3);
  gt_ob_attr_ints(gt_ob_node_add(m, "Transpose", "t", "x", "xt"), "perm", 3, (int64_t[]){0, 2, 1});
  gt_ob_attr_int(gt_ob_node_add(m, "Concat", "bad_cat", "x,xt", "y"), "axis", 1);
  gt_ob_output(m, "y");
  expect_model(m, "concat.onnx", GT_ERR_SHAPE, "bad_cat", "outside axis");
  /* an attribute list far too long */
  m = gt_ob_model_create(13);
  int64_t many[100] = {0};
  gt_ob_input(m, "x", GT_OB_FLOAT, 4, xs4);
  gt_ob_node *p = gt_ob_node_add(m, "MaxPool", "long_pads", "x", "y");
  gt_ob_attr_ints(p, "kernel_shape", 2, (int64_t[]){2, 2});
  gt_ob_attr_ints(p, "pads", 100, many);
  gt_ob_output(m, "y");
  expect_model(m, "long_attr.onnx", GT_ERR_LIMIT, "long_pads", "'pads'");
  /* a pool window larger than the input */
  m = gt_ob_model_create(13);
  gt_ob_input(m, "x", GT_OB_FLOAT, 4, xs4);
  gt_ob_attr_ints(gt_ob_node_add(m, "MaxPool", "big_pool", "x", "y"), "kernel_shape", 2, (int64_t[]){9, 9});
  gt_ob_output(m, "y");
  expect_model(m, "big_window.onnx", GT_ERR_SHAPE, "big_pool", "larger than");
  /* Reshape whose target changes the element count */
  m = gt_ob_model_create(13);
  gt_ob_input(m, "x", GT_OB_FLOAT, 2, xs2);
  gt_ob_init_int64(m, "t", 1, (int64_t[]){2}, (int64_t[]){0, 5});
  gt_ob_node_add(m, "Reshape", "bad_reshape", "x,t", "y");
  gt_ob_output(m, "y");
  expect_model(m, "reshape.onnx", GT_ERR_SHAPE, "bad_reshape", "per sample");
  /* ConstantOfShape asking for a huge constant */
  m = gt_ob_model_create(13);
  gt_ob_input(m, "x", GT_OB_FLOAT, 2, xs2);
  gt_ob_init_int64(m, "s", 1, (int64_t[]){2}, (int64_t[]){1 << 20, 1 << 20});
  gt_ob_node_add(m, "ConstantOfShape", "huge_const", "s", "k");
  gt_ob_node_add(m, "Add", "add", "x,k", "y");
  gt_ob_output(m, "y");
  expect_model(m, "huge_constant.onnx", GT_ERR_LIMIT, "huge_const", "elements");
  /* Gather index out of range while folding shapes */
  m = gt_ob_model_create(13);
  gt_ob_input(m, "x", GT_OB_FLOAT, 2, xs2);
  gt_ob_init_int64(m, "i", 0, NULL, (int64_t[]){7});
  gt_ob_node_add(m, "Shape", "shape", "x", "s");
  gt_ob_node_add(m, "Gather", "far_gather", "s,i", "d");
  gt_ob_node_add(m, "Reshape", "rs", "x,d", "y");
  gt_ob_output(m, "y");
  expect_model(m, "gather_range.onnx", GT_ERR_FORMAT, "far_gather", "out of range");
}

int main(void) {
  gt_test_run("control: a valid model loads", test_valid_model_loads);
  gt_test_run("truncated copies", test_truncated);
  gt_test_run("random bytes", test_random_bytes);
  gt_test_run("random byte flips in a valid model", test_byte_flips);
  gt_test_run("empty and missing files", test_empty_and_missing);
  gt_test_run("deeply nested protobuf", test_deep_nesting);
  gt_test_run("file above the size cap", test_size_cap);
  gt_test_run("unknown op", test_unknown_op);
  gt_test_run("opset out of range, custom domain", test_opset_and_domain);
  gt_test_run("undefined input, cycles, duplicates, two inputs", test_graph_structure);
  gt_test_run("tensor dims and data lengths", test_tensor_checks);
  gt_test_run("external data", test_external_data);
  gt_test_run("node attribute and shape checks", test_node_checks);
  return gt_test_finish();
}

/* Core utilities: SHA-256 test vectors, shape arithmetic caps, error messages, graph validation. */
#include <stdint.h>
#include <string.h>

#include "gauntlet/graph.h"
#include "gauntlet/sha256.h"
#include "gauntlet/tensor.h"
#include "gt_test.h"

static void sha_of(const char *text, size_t repeat, char hex[65]) {
  gt_sha256 h;
  gt_sha256_init(&h);
  for (size_t i = 0; i < repeat; i++) gt_sha256_update(&h, text, strlen(text));
  gt_sha256_final_hex(&h, hex);
}

static void test_sha256_vectors(void) {
  char hex[65];
  sha_of("", 1, hex);
  GT_CHECK(!strcmp(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"), "empty: %s", hex);
  sha_of("abc", 1, hex);
  GT_CHECK(!strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"), "abc: %s", hex);
  sha_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1, hex);
  GT_CHECK(!strcmp(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"), "448 bits: %s", hex);
  sha_of("a", 1000000, hex); /* crosses many block boundaries one byte at a time */
  GT_CHECK(!strcmp(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"), "million a: %s", hex);
}

static void test_sha256_file(void) {
  char path[512], hex[65];
  gt_test_tmp_path("sha.txt", path, sizeof path);
  FILE *f = fopen(path, "wb");
  GT_CHECK(f != NULL, "cannot create %s", path);
  if (!f) return;
  fputs("abc", f);
  fclose(f);
  gt_error err = {0};
  GT_CHECK(gt_sha256_file(path, hex, &err) == GT_OK, "%s", err.message);
  GT_CHECK(!strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"), "file: %s", hex);
  gt_status st = gt_sha256_file("/nonexistent/model.onnx", hex, &err);
  GT_CHECK(st == GT_ERR_IO && strstr(err.message, "/nonexistent/model.onnx"), "missing file: %s", err.message);
}

static void test_shape_caps(void) {
  gt_error err = {0};
  int64_t n = 0;
  int64_t ok[4] = {2, 3, 28, 28};
  GT_CHECK(gt_shape_numel_checked(4, ok, &n, "x", &err) == GT_OK && n == 2 * 3 * 28 * 28, "numel %lld", (long long)n);
  int64_t negative[2] = {3, -1};
  GT_CHECK(gt_shape_numel_checked(2, negative, &n, "w", &err) == GT_ERR_LIMIT && strstr(err.message, "w:"),
           "negative dim: %s", err.message);
  int64_t huge[3] = {1 << 20, 1 << 20, 1 << 20}; /* overflows the element cap, not int64 */
  GT_CHECK(gt_shape_numel_checked(3, huge, &n, "big", &err) == GT_ERR_LIMIT && strstr(err.message, "more than"),
           "huge: %s", err.message);
  int64_t rank7[7] = {1, 1, 1, 1, 1, 1, 1};
  GT_CHECK(gt_shape_numel_checked(7, rank7, &n, "r", &err) == GT_ERR_LIMIT, "rank 7 accepted");
  char buf[64];
  GT_CHECK(!strcmp(gt_shape_format(4, ok, buf, sizeof buf), "[2, 3, 28, 28]"), "format: %s", buf);
}

static void test_error_prefix(void) {
  gt_error err = {0};
  gt_error_set(&err, GT_ERR_FORMAT, "node '%s': bad", "conv1");
  gt_error_prefix(&err, "%s: ", "m.onnx");
  GT_CHECK(!strcmp(err.message, "m.onnx: node 'conv1': bad") && err.code == GT_ERR_FORMAT, "%s", err.message);
  char long_name[2000];
  memset(long_name, 'x', sizeof long_name - 1);
  long_name[sizeof long_name - 1] = '\0';
  gt_error_prefix(&err, "%s", long_name); /* must truncate, never overflow */
  GT_CHECK(strlen(err.message) == GT_ERROR_MSG_MAX - 1, "length %zu", strlen(err.message));
}

static void test_graph_validate(void) {
  gt_error err = {0};
  gt_graph *g = gt_graph_create();
  int64_t in_shape[2] = {GT_DIM_BATCH, 4};
  int x = gt_graph_add_value(g, "x", 1, 2, in_shape, NULL, &err);
  int y = gt_graph_add_value(g, "y", 1, 2, in_shape, NULL, &err);
  int z = gt_graph_add_value(g, "z", 1, 2, in_shape, NULL, &err);
  g->input = x;
  g->output = z;
  int relu_in[1] = {y}; /* reads y before it is computed */
  gt_graph_add_node(g, GT_OP_RELU, "early", 1, relu_in, z, &err);
  int tanh_in[1] = {x};
  gt_graph_add_node(g, GT_OP_TANH, "late", 1, tanh_in, y, &err);
  gt_status st = gt_graph_validate(g, &err);
  GT_CHECK(st == GT_ERR_FORMAT && strstr(err.message, "early"), "out-of-order graph: %s", err.message);
  /* swap into order: now valid */
  gt_node tmp = g->nodes[0];
  g->nodes[0] = g->nodes[1];
  g->nodes[1] = tmp;
  GT_CHECK(gt_graph_validate(g, &err) == GT_OK, "%s", err.message);
  GT_CHECK(gt_graph_check_classifier(g, &err) == GT_ERR_SHAPE, "rank-2 input accepted as an image classifier");
  gt_graph_free(g);
}

int main(void) {
  gt_test_run("sha256 FIPS vectors", test_sha256_vectors);
  gt_test_run("sha256 of a file", test_sha256_file);
  gt_test_run("shape caps", test_shape_caps);
  gt_test_run("error prefix", test_error_prefix);
  gt_test_run("graph validation", test_graph_validate);
  return gt_test_finish();
}

/* ONNX importer tests: small models written with tests/support/onnx_builder (packed to bytes and
 * loaded with gt_onnx_load_memory) check each op's attribute and shape handling, constant and
 * shape-sub-graph folding, BatchNorm folding, input normalisation and MAC counts; then the torch
 * fixtures (when generated) and every model of ONNX's node test data (parsed without crashing). */
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gauntlet/graph.h"
#include "gauntlet/onnx.h"
#include "gt_test.h"
#include "onnx/onnx_internal.h"
#include "support/onnx_builder.h"

#define N (-1) /* the symbolic batch dim in builder shapes */

static gt_status load_opts(gt_ob_model *m, const gt_onnx_options *opts, gt_graph **g, gt_error *err) {
  size_t n = 0;
  uint8_t *bytes = gt_ob_pack(m, &n);
  gt_ob_model_free(m);
  gt_error_clear(err);
  gt_status st = gt_onnx_load_memory(bytes, n, "test.onnx", NULL, opts, g, err);
  free(bytes);
  return st;
}

static gt_status load(gt_ob_model *m, gt_graph **g, gt_error *err) { return load_opts(m, NULL, g, err); }

static int count_op(const gt_graph *g, gt_op_kind op) {
  int n = 0;
  for (int k = 0; k < g->n_nodes; k++) n += g->nodes[k].op == op;
  return n;
}

/* 1 when v has exactly this shape (GT_DIM_BATCH where the batch is). */
static int shape_is(const gt_value *v, int ndim, const int64_t *shape) {
  if (v->ndim != ndim) return 0;
  for (int d = 0; d < ndim; d++)
    if (v->shape[d] != shape[d]) return 0;
  return 1;
}

static const char *shape_of(const gt_value *v, char *buf, size_t size) {
  return gt_shape_format(v->ndim, v->shape, buf, size);
}

static const gt_value *output_of(const gt_graph *g) { return &g->values[g->output]; }

/* Loads m, expecting success and a single node of kind op (or none when op < 0). */
static const gt_node *load_single(gt_ob_model *m, gt_graph **g, int op) {
  gt_error err;
  gt_status st = load(m, g, &err);
  if (!GT_CHECK(st == GT_OK, "load: %s", err.message)) return NULL;
  if (op < 0) {
    GT_CHECK((*g)->n_nodes == 0, "expected no nodes, got %d", (*g)->n_nodes);
    return NULL;
  }
  if (!GT_CHECK((*g)->n_nodes == 1 && (*g)->nodes[0].op == (gt_op_kind)op, "expected one %s node, got %d nodes",
                gt_op_name((gt_op_kind)op), (*g)->n_nodes))
    return NULL;
  return &(*g)->nodes[0];
}

/* ---- Conv and pools ---- */

static void conv_auto_pad_case(const char *auto_pad, int top, int bottom, int left, int right) {
  gt_ob_model *m = gt_ob_model_create(13);
  int64_t xs[4] = {N, 3, 6, 8}, ws[4] = {4, 3, 3, 3}, bs[1] = {4}, strides[2] = {2, 2};
  float w[108], b[4] = {1, 2, 3, 4};
  for (int k = 0; k < 108; k++) w[k] = (float)k * 0.01f;
  gt_ob_input(m, "x", GT_OB_FLOAT, 4, xs);
  gt_ob_init_float(m, "W", 4, ws, w);
  gt_ob_init_float(m, "B", 1, bs, b);
  gt_ob_node *c = gt_ob_node_add(m, "Conv", "conv", "x,W,B", "y");
  gt_ob_attr_string(c, "auto_pad", auto_pad);
  gt_ob_attr_ints(c, "strides", 2, strides);
  gt_ob_output(m, "y");
  gt_graph *g = NULL;
  const gt_node *n = load_single(m, &g, GT_OP_CONV);
  if (n) {
    int64_t want[4] = {GT_DIM_BATCH, 4, 3, 4};
    char s[64];
    GT_CHECK(shape_is(output_of(g), 4, want), "%s: output %s, want [-1, 4, 3, 4]", auto_pad,
             shape_of(output_of(g), s, sizeof s));
    const gt_conv_params *p = &n->p.conv;
    GT_CHECK(p->pad_top == top && p->pad_bottom == bottom && p->pad_left == left && p->pad_right == right,
             "%s: pads t%d b%d l%d r%d, want t%d b%d l%d r%d", auto_pad, p->pad_top, p->pad_bottom, p->pad_left,
             p->pad_right, top, bottom, left, right);
    GT_CHECK(p->stride_h == 2 && p->stride_w == 2 && p->kernel_h == 3 && p->kernel_w == 3 && p->groups == 1,
             "%s: stride/kernel/groups wrong", auto_pad);
    GT_CHECK(n->n_inputs == 3, "conv has %d inputs", n->n_inputs);
    const gt_value *wv = &g->values[n->inputs[1]], *bv = &g->values[n->inputs[2]];
    GT_CHECK(!wv->batched && wv->ndim == 4 && wv->data && wv->data[107] == w[107], "W not carried over");
    GT_CHECK(!bv->batched && bv->data && bv->data[3] == 4.0f, "B not carried over");
    GT_CHECK(gt_graph_macs_per_sample(g) == 4 * 3 * 4 * 27, "macs %lld", (long long)gt_graph_macs_per_sample(g));
  }
  gt_graph_free(g);
}

static void test_conv_auto_pad(void) {
  /* H 6 -> 3 with stride 2: total pad (3-1)*2+3-6 = 1; W 8 -> 4: total 3*2+3-8 = 1. */
  conv_auto_pad_case("SAME_UPPER", 0, 1, 0, 1);
  conv_auto_pad_case("SAME_LOWER", 1, 0, 1, 0);
}

static void test_conv_groups_dilation_pads(void) {
  gt_ob_model *m = gt_ob_model_create(11);
  int64_t xs[4] = {N, 4, 10, 10}, ws[4] = {6, 2, 3, 3}, pads[4] = {1, 2, 1, 2}, dil[2] = {2, 2};
  float w[108] = {0};
  gt_ob_input(m, "x", GT_OB_FLOAT, 4, xs);
  gt_ob_init_float(m, "W", 4, ws, w);
  gt_ob_node *c = gt_ob_node_add(m, "Conv", "gconv", "x,W", "y");
  gt_ob_attr_int(c, "group", 2);
  gt_ob_attr_ints(c, "pads", 4, pads);
  gt_ob_attr_ints(c, "dilations", 2, dil);
  gt_ob_output(m, "y");
  gt_graph *g = NULL;
  const gt_node *n = load_single(m, &g, GT_OP_CONV);
  if (n) {
    /* dilated kernel extent 5: H (10+2-5)+1 = 8, W (10+4-5)+1 = 10 */
    int64_t want[4] = {GT_DIM_BATCH, 6, 8, 10};
    char s[64];
    GT_CHECK(shape_is(output_of(g), 4, want), "output %s", shape_of(output_of(g), s, sizeof s));
    GT_CHECK(n->p.conv.groups == 2 && n->p.conv.dilation_h == 2 && n->p.conv.pad_left == 2 &&
                 n->p.conv.pad_right == 2 && n->p.conv.pad_top == 1 && n->n_inputs == 2,
             "params wrong");
  }
  gt_graph_free(g);
}

static gt_ob_model *pool_model(const char *op, int64_t h, int64_t k, int64_t s, int64_t pad, int ceil_mode) {
  gt_ob_model *m = gt_ob_model_create(13);
  int64_t xs[4] = {N, 2, h, h}, ks[2] = {k, k}, ss[2] = {s, s}, ps[4] = {pad, pad, pad, pad};
  gt_ob_input(m, "x", GT_OB_FLOAT, 4, xs);
  gt_ob_node *p = gt_ob_node_add(m, op, "pool", "x", "y");
  gt_ob_attr_ints(p, "kernel_shape", 2, ks);
  gt_ob_attr_ints(p, "strides", 2, ss);
  gt_ob_attr_ints(p, "pads", 4, ps);
  gt_ob_attr_int(p, "ceil_mode", ceil_mode);
  gt_ob_output(m, "y");
  return m;
}

static void pool_case(const char *op, int64_t h, int64_t k, int64_t s, int64_t pad, int ceil_mode, int64_t want_hw) {
  gt_graph *g = NULL;
  const gt_node *n = load_single(pool_model(op, h, k, s, pad, ceil_mode), &g, strcmp(op, "MaxPool") ? GT_OP_AVGPOOL
                                                                                                    : GT_OP_MAXPOOL);
  if (n) {
    int64_t want[4] = {GT_DIM_BATCH, 2, want_hw, want_hw};
    char sh[64];
    GT_CHECK(shape_is(output_of(g), 4, want), "%s h%lld k%lld s%lld p%lld ceil %d: output %s, want %lld", op,
             (long long)h, (long long)k, (long long)s, (long long)pad, ceil_mode, shape_of(output_of(g), sh, sizeof sh),
             (long long)want_hw);
    GT_CHECK(n->p.pool.kernel_h == k && n->p.pool.stride_w == s && n->p.pool.pad_bottom == pad, "params wrong");
  }
  gt_graph_free(g);
}

static void test_pool_shapes(void) {
  pool_case("MaxPool", 5, 2, 2, 0, 0, 2);
  pool_case("MaxPool", 5, 2, 2, 0, 1, 3);
  /* ceil_mode whose last window would start in the right padding: dropped (5+2-2)/2 ceil +1 = 4 -> 3 */
  pool_case("MaxPool", 5, 2, 2, 1, 1, 3);
  pool_case("AveragePool", 7, 3, 2, 1, 0, 4);
  pool_case("AveragePool", 6, 3, 2, 0, 1, 3);
}

static void test_pool_attributes(void) {
  gt_graph *g = NULL;
  gt_error err;
  /* count_include_pad and GlobalAveragePool */
  gt_ob_model *m = gt_ob_model_create(13);
  int64_t xs[4] = {N, 3, 5, 7}, ks[2] = {3, 3}, ps[4] = {1, 1, 1, 1};
  gt_ob_input(m, "x", GT_OB_FLOAT, 4, xs);
  gt_ob_node *p = gt_ob_node_add(m, "AveragePool", "avg", "x", "a");
  gt_ob_attr_ints(p, "kernel_shape", 2, ks);
  gt_ob_attr_ints(p, "pads", 4, ps);
  gt_ob_attr_int(p, "count_include_pad", 1);
  gt_ob_node_add(m, "GlobalAveragePool", "gap", "a", "y");
  gt_ob_output(m, "y");
  GT_CHECK(load(m, &g, &err) == GT_OK, "load: %s", err.message);
  if (g) {
    GT_CHECK(g->n_nodes == 2 && g->nodes[0].p.pool.count_include_pad == 1, "count_include_pad lost");
    const gt_node *gap = &g->nodes[1];
    int64_t want[4] = {GT_DIM_BATCH, 3, 1, 1};
    GT_CHECK(gap->op == GT_OP_AVGPOOL && gap->p.pool.kernel_h == 5 && gap->p.pool.kernel_w == 7 &&
                 shape_is(output_of(g), 4, want),
             "global pool is not a 5x7 AVGPOOL to [N,3,1,1]");
  }
  gt_graph_free(g);

  /* MaxPool's Indices output, when used, is refused */
  m = gt_ob_model_create(13);
  int64_t xs2[4] = {N, 1, 4, 4}, k2[2] = {2, 2};
  gt_ob_input(m, "x", GT_OB_FLOAT, 4, xs2);
  p = gt_ob_node_add(m, "MaxPool", "mp", "x", "y,idx");
  gt_ob_attr_ints(p, "kernel_shape", 2, k2);
  gt_ob_output(m, "y");
  gt_ob_output(m, "idx");
  g = NULL;
  GT_CHECK(load(m, &g, &err) == GT_ERR_UNSUPPORTED && strstr(err.message, "Indices") && strstr(err.message, "mp"),
           "indices: %s", err.message);
  gt_graph_free(g);
}

/* ---- Gemm and MatMul ---- */

static void gemm_case(int trans_b, const int64_t *cdims, int c_ndim) {
  gt_ob_model *m = gt_ob_model_create(13);
  int64_t xs[2] = {N, 3}, bs[2] = {trans_b ? 2 : 3, trans_b ? 3 : 2};
  float b[6] = {1, 2, 3, 4, 5, 6}, c[2] = {10, 20};
  gt_ob_input(m, "x", GT_OB_FLOAT, 2, xs);
  gt_ob_init_float(m, "B", 2, bs, b);
  gt_ob_init_float(m, "C", c_ndim, cdims, c);
  gt_ob_node *n = gt_ob_node_add(m, "Gemm", "fc", "x,B,C", "y");
  gt_ob_attr_float(n, "alpha", 2.0f);
  gt_ob_attr_float(n, "beta", 0.5f);
  gt_ob_attr_int(n, "transB", trans_b);
  gt_ob_output(m, "y");
  gt_graph *g = NULL;
  const gt_node *node = load_single(m, &g, GT_OP_LINEAR);
  if (node && GT_CHECK(node->n_inputs == 3, "linear has %d inputs", node->n_inputs)) {
    const gt_value *w = &g->values[node->inputs[1]], *bias = &g->values[node->inputs[2]];
    int64_t wshape[2] = {2, 3}, oshape[2] = {GT_DIM_BATCH, 2};
    GT_CHECK(shape_is(w, 2, wshape) && shape_is(output_of(g), 2, oshape), "W or output shape wrong");
    for (int i = 0; i < 2; i++)
      for (int j = 0; j < 3; j++) {
        float want = 2.0f * (trans_b ? b[i * 3 + j] : b[j * 2 + i]);
        GT_CHECK_CLOSE(w->data[i * 3 + j], want, 0, 0, "W = alpha * op(B)^T");
      }
    int scalar = c_ndim == 0 || (cdims[c_ndim - 1] == 1);
    for (int i = 0; i < 2; i++) GT_CHECK_CLOSE(bias->data[i], 0.5f * c[scalar ? 0 : i], 0, 0, "b = beta * C");
  }
  gt_graph_free(g);
}

static void test_gemm_folding(void) {
  int64_t m1[1] = {2}, m2[2] = {1, 2}, s1[1] = {1};
  gemm_case(1, m1, 1);
  gemm_case(0, m1, 1);
  gemm_case(1, m2, 2);
  gemm_case(0, s1, 1);
  gemm_case(1, NULL, 0);
}

static void test_matmul(void) {
  gt_ob_model *m = gt_ob_model_create(13);
  int64_t xs[3] = {N, 5, 3}, bs[2] = {3, 4};
  float b[12];
  for (int k = 0; k < 12; k++) b[k] = (float)k;
  gt_ob_input(m, "x", GT_OB_FLOAT, 3, xs);
  gt_ob_init_float(m, "B", 2, bs, b);
  gt_ob_node_add(m, "MatMul", "mm", "x,B", "y");
  gt_ob_output(m, "y");
  gt_graph *g = NULL;
  const gt_node *n = load_single(m, &g, GT_OP_LINEAR);
  if (n) {
    int64_t want[3] = {GT_DIM_BATCH, 5, 4};
    const gt_value *w = &g->values[n->inputs[1]];
    GT_CHECK(shape_is(output_of(g), 3, want) && w->ndim == 2 && w->shape[0] == 4 && w->shape[1] == 3,
             "shapes wrong");
    GT_CHECK(w->data[1 * 3 + 2] == b[2 * 4 + 1], "W is not B^T");
    GT_CHECK(gt_graph_macs_per_sample(g) == 5 * 4 * 3, "macs %lld", (long long)gt_graph_macs_per_sample(g));
  }
  gt_graph_free(g);

  /* batched x batched is refused with a clear message */
  m = gt_ob_model_create(13);
  int64_t xs2[2] = {N, 4};
  gt_ob_input(m, "x", GT_OB_FLOAT, 2, xs2);
  gt_ob_node_add(m, "MatMul", "mm2", "x,x", "y");
  gt_ob_output(m, "y");
  gt_error err;
  g = NULL;
  GT_CHECK(load(m, &g, &err) == GT_ERR_UNSUPPORTED && strstr(err.message, "mm2") && strstr(err.message, "constant B"),
           "%s", err.message);
  gt_graph_free(g);
}

/* ---- elementwise ---- */

static void test_broadcast_binary(void) {
  gt_ob_model *m = gt_ob_model_create(13);
  int64_t xs[4] = {N, 3, 4, 5}, cs[2] = {4, 1}, ks[4] = {1, 3, 1, 1}, is[1] = {1};
  float c[4] = {1, 2, 3, 4}, k[3] = {5, 6, 7};
  int64_t two[1] = {2};
  gt_ob_input(m, "x", GT_OB_FLOAT, 4, xs);
  gt_ob_init_float(m, "c", 2, cs, c);
  gt_ob_init_float(m, "k", 4, ks, k);
  gt_ob_init_int64(m, "two", 1, is, two);
  gt_ob_node_add(m, "Add", "add", "x,c", "a");
  gt_ob_node_add(m, "Sub", "sub", "k,a", "b");   /* constant first: order kept */
  gt_ob_node_add(m, "Div", "div", "b,two", "y"); /* int64 constant converted */
  gt_ob_output(m, "y");
  gt_graph *g = NULL;
  gt_error err;
  GT_CHECK(load(m, &g, &err) == GT_OK, "load: %s", err.message);
  if (g && GT_CHECK(g->n_nodes == 3, "%d nodes", g->n_nodes)) {
    int64_t want[4] = {GT_DIM_BATCH, 3, 4, 5};
    GT_CHECK(shape_is(output_of(g), 4, want), "output shape");
    const gt_node *sub = &g->nodes[1], *div = &g->nodes[2];
    GT_CHECK(sub->op == GT_OP_SUB && !g->values[sub->inputs[0]].batched && g->values[sub->inputs[1]].batched,
             "Sub operands reordered");
    const gt_value *t = &g->values[div->inputs[1]];
    GT_CHECK(!t->batched && t->data && t->data[0] == 2.0f, "int64 constant not converted");
  }
  gt_graph_free(g);

  /* a constant whose dim along the batch is not 1 is refused; one of higher rank with leading 1s is trimmed */
  m = gt_ob_model_create(13);
  int64_t xs2[2] = {N, 3}, c2[2] = {2, 3}, c3[3] = {1, 1, 3};
  float z[6] = {0};
  gt_ob_input(m, "x", GT_OB_FLOAT, 2, xs2);
  gt_ob_init_float(m, "c", 2, c2, z);
  gt_ob_node_add(m, "Mul", "mul", "x,c", "y");
  gt_ob_output(m, "y");
  g = NULL;
  GT_CHECK(load(m, &g, &err) == GT_ERR_UNSUPPORTED && strstr(err.message, "batch"), "%s", err.message);
  gt_graph_free(g);
  m = gt_ob_model_create(13);
  gt_ob_input(m, "x", GT_OB_FLOAT, 2, xs2);
  gt_ob_init_float(m, "c", 3, c3, z);
  gt_ob_node_add(m, "Mul", "mul", "x,c", "y");
  gt_ob_output(m, "y");
  g = NULL;
  const gt_node *n = load_single(m, &g, GT_OP_MUL);
  if (n) {
    int64_t want[2] = {GT_DIM_BATCH, 3};
    GT_CHECK(shape_is(output_of(g), 2, want) && g->values[n->inputs[1]].ndim == 2, "leading 1s not trimmed");
  }
  gt_graph_free(g);
}

static void test_activations(void) {
  gt_ob_model *m = gt_ob_model_create(13);
  int64_t xs[2] = {N, 4}, s0[1] = {0};
  float lo = -1.5f, hi = 2.5f;
  gt_ob_input(m, "x", GT_OB_FLOAT, 2, xs);
  gt_ob_init_float(m, "lo", 0, s0, &lo);
  gt_ob_init_float(m, "hi", 0, s0, &hi);
  gt_ob_attr_float(gt_ob_node_add(m, "LeakyRelu", "lrelu", "x", "a"), "alpha", 0.2f);
  gt_ob_node_add(m, "Sigmoid", "sig", "a", "b");
  gt_ob_node_add(m, "Tanh", "tanh", "b", "c");
  gt_ob_node_add(m, "Clip", "clip", "c,lo,hi", "d");
  gt_ob_node_add(m, "Clip", "clip_max_only", "d,,hi", "e");
  gt_ob_node_add(m, "Relu", "relu", "e", "f");
  gt_ob_node_add(m, "Identity", "id", "f", "g");
  gt_ob_node_add(m, "Dropout", "drop", "g", "h");
  gt_ob_attr_int(gt_ob_node_add(m, "Cast", "cast", "h", "y"), "to", 1);
  gt_ob_output(m, "y");
  gt_graph *g = NULL;
  gt_error err;
  GT_CHECK(load(m, &g, &err) == GT_OK, "load: %s", err.message);
  if (g && GT_CHECK(g->n_nodes == 6, "%d nodes (Identity, Dropout, Cast are aliases)", g->n_nodes)) {
    GT_CHECK(g->nodes[0].op == GT_OP_LEAKY_RELU && g->nodes[0].p.leaky_relu.alpha == 0.2f, "leaky alpha");
    GT_CHECK(g->nodes[3].op == GT_OP_CLIP && g->nodes[3].p.clip.min == -1.5f && g->nodes[3].p.clip.max == 2.5f,
             "clip bounds from inputs");
    GT_CHECK(g->nodes[4].p.clip.min == -INFINITY && g->nodes[4].p.clip.max == 2.5f, "clip without min");
    GT_CHECK(g->output == g->nodes[5].output && g->nodes[5].op == GT_OP_RELU, "output not the relu's");
  }
  gt_graph_free(g);

  /* Neg is a MUL by a constant -1 */
  m = gt_ob_model_create(13);
  gt_ob_input(m, "x", GT_OB_FLOAT, 2, xs);
  gt_ob_node_add(m, "Neg", "neg", "x", "y");
  gt_ob_output(m, "y");
  g = NULL;
  const gt_node *neg = load_single(m, &g, GT_OP_MUL);
  if (neg) {
    const gt_value *c = &g->values[neg->inputs[1]];
    GT_CHECK(neg->inputs[0] == g->input && !c->batched && c->data[0] == -1.0f, "neg as x * -1");
  }
  gt_graph_free(g);

  /* opset 6: Clip bounds are attributes */
  m = gt_ob_model_create(7);
  gt_ob_input(m, "x", GT_OB_FLOAT, 2, xs);
  gt_ob_node *c = gt_ob_node_add(m, "Clip", "clip", "x", "y");
  gt_ob_attr_float(c, "min", 0.0f);
  gt_ob_attr_float(c, "max", 6.0f);
  gt_ob_output(m, "y");
  g = NULL;
  const gt_node *n = load_single(m, &g, GT_OP_CLIP);
  if (n) GT_CHECK(n->p.clip.min == 0.0f && n->p.clip.max == 6.0f, "clip attributes");
  gt_graph_free(g);
}

/* ---- layout ops ---- */

static void test_layout_ops(void) {
  int64_t xs[4] = {N, 2, 3, 4}, perm[4] = {0, 2, 3, 1}, ax1[1] = {1}, ax_last[1] = {-1};
  gt_ob_model *m = gt_ob_model_create(11);
  gt_ob_input(m, "x", GT_OB_FLOAT, 4, xs);
  gt_ob_attr_ints(gt_ob_node_add(m, "Transpose", "nhwc", "x", "t"), "perm", 4, perm);
  gt_ob_attr_ints(gt_ob_node_add(m, "Unsqueeze", "unsq", "t", "u"), "axes", 1, ax_last);
  gt_ob_attr_ints(gt_ob_node_add(m, "Squeeze", "sq", "u", "v"), "axes", 1, ax_last);
  gt_ob_attr_int(gt_ob_node_add(m, "Concat", "cat", "v,v", "w"), "axis", 3);                 /* [N,3,4,4] */
  gt_ob_attr_int(gt_ob_node_add(m, "Flatten", "flat", "w", "f"), "axis", 1);                 /* [N,48] */
  gt_ob_attr_int(gt_ob_node_add(m, "Softmax", "sm", "f", "y"), "axis", 1);
  gt_ob_output(m, "y");
  gt_graph *g = NULL;
  gt_error err;
  GT_CHECK(load(m, &g, &err) == GT_OK, "load: %s", err.message);
  if (g && GT_CHECK(g->n_nodes == 6, "%d nodes", g->n_nodes)) {
    const gt_node *t = &g->nodes[0], *cat = &g->nodes[3], *sm = &g->nodes[5];
    int64_t ts[4] = {GT_DIM_BATCH, 3, 4, 2}, cs[4] = {GT_DIM_BATCH, 3, 4, 4}, ys[2] = {GT_DIM_BATCH, 48};
    GT_CHECK(t->op == GT_OP_TRANSPOSE && t->p.transpose.perm[1] == 2 && t->p.transpose.perm[3] == 1 &&
                 shape_is(&g->values[t->output], 4, ts),
             "transpose");
    GT_CHECK(g->nodes[1].op == GT_OP_RESHAPE && g->nodes[2].op == GT_OP_RESHAPE, "squeeze/unsqueeze are reshapes");
    GT_CHECK(cat->op == GT_OP_CONCAT && cat->p.concat.axis == 3 && shape_is(&g->values[cat->output], 4, cs),
             "concat");
    GT_CHECK(sm->op == GT_OP_SOFTMAX && sm->p.softmax.axis == 1 && sm->p.softmax.coerce_2d == 1 &&
                 shape_is(output_of(g), 2, ys),
             "softmax (opset 11 coerces to 2-D)");
  }
  gt_graph_free(g);

  /* opset 13: Unsqueeze/Squeeze axes come from an input; Softmax defaults to the last axis */
  m = gt_ob_model_create(13);
  int64_t xs2[2] = {N, 5}, one[1] = {1};
  gt_ob_input(m, "x", GT_OB_FLOAT, 2, xs2);
  gt_ob_init_int64(m, "ax", 1, one, ax1);
  gt_ob_node_add(m, "Unsqueeze", "unsq", "x,ax", "u"); /* [N,1,5] */
  gt_ob_node_add(m, "Softmax", "sm", "u", "s");
  gt_ob_node_add(m, "Squeeze", "sq", "s,ax", "y");
  gt_ob_output(m, "y");
  g = NULL;
  GT_CHECK(load(m, &g, &err) == GT_OK, "load: %s", err.message);
  if (g && GT_CHECK(g->n_nodes == 3, "%d nodes", g->n_nodes)) {
    int64_t us[3] = {GT_DIM_BATCH, 1, 5};
    GT_CHECK(shape_is(&g->values[g->nodes[0].output], 3, us), "unsqueeze shape");
    GT_CHECK(g->nodes[1].p.softmax.axis == 2 && g->nodes[1].p.softmax.coerce_2d == 0, "softmax opset 13");
    GT_CHECK(shape_is(output_of(g), 2, xs2), "squeeze back to [N,5]");
  }
  gt_graph_free(g);

  /* the batch dim must stay first */
  m = gt_ob_model_create(13);
  int64_t bad_perm[2] = {1, 0};
  gt_ob_input(m, "x", GT_OB_FLOAT, 2, xs2);
  gt_ob_attr_ints(gt_ob_node_add(m, "Transpose", "swap", "x", "y"), "perm", 2, bad_perm);
  gt_ob_output(m, "y");
  g = NULL;
  GT_CHECK(load(m, &g, &err) == GT_ERR_UNSUPPORTED && strstr(err.message, "swap") && strstr(err.message, "batch"),
           "%s", err.message);
  gt_graph_free(g);
}

static void test_pad_and_slice(void) {
  gt_ob_model *m = gt_ob_model_create(13);
  int64_t xs[4] = {N, 2, 5, 6}, ps[1] = {8}, pads[8] = {0, 0, 1, 2, 0, 0, 3, 4}, s1[1] = {1};
  int64_t starts[2] = {1, 2}, ends[2] = {-1, INT64_MAX}, axes[2] = {2, 3}, two[1] = {2};
  float v = 0.5f;
  int64_t s0[1] = {0};
  gt_ob_input(m, "x", GT_OB_FLOAT, 4, xs);
  gt_ob_init_int64(m, "pads", 1, ps, pads);
  gt_ob_init_float(m, "val", 0, s0, &v);
  gt_ob_init_int64(m, "starts", 1, two, starts);
  gt_ob_init_int64(m, "ends", 1, two, ends);
  gt_ob_init_int64(m, "axes", 1, two, axes);
  gt_ob_node_add(m, "Pad", "pad", "x,pads,val", "p");              /* [N,2,9,12] */
  gt_ob_attr_string(gt_ob_node_add(m, "Pad", "refl", "p,pads", "r"), "mode", "reflect"); /* [N,2,13,18] */
  gt_ob_node_add(m, "Slice", "crop", "r,starts,ends,axes", "y");   /* H 1..12 -> 11, W 2.. -> 16 */
  gt_ob_output(m, "y");
  (void)s1;
  gt_graph *g = NULL;
  gt_error err;
  GT_CHECK(load(m, &g, &err) == GT_OK, "load: %s", err.message);
  if (g && GT_CHECK(g->n_nodes == 3, "%d nodes", g->n_nodes)) {
    const gt_node *p = &g->nodes[0], *r = &g->nodes[1], *c = &g->nodes[2];
    int64_t want[4] = {GT_DIM_BATCH, 2, 11, 16};
    char s[64];
    GT_CHECK(p->op == GT_OP_PAD && p->p.pad.mode == GT_PAD_CONSTANT && p->p.pad.value == 0.5f &&
                 p->p.pad.begin[2] == 1 && p->p.pad.end[3] == 4,
             "pad params");
    GT_CHECK(r->p.pad.mode == GT_PAD_REFLECT, "reflect mode");
    GT_CHECK(c->op == GT_OP_PAD && c->p.pad.begin[2] == -1 && c->p.pad.end[2] == -1 && c->p.pad.begin[3] == -2 &&
                 c->p.pad.end[3] == 0,
             "slice as a crop: begin %lld/%lld end %lld/%lld", (long long)c->p.pad.begin[2],
             (long long)c->p.pad.begin[3], (long long)c->p.pad.end[2], (long long)c->p.pad.end[3]);
    GT_CHECK(shape_is(output_of(g), 4, want), "output %s", shape_of(output_of(g), s, sizeof s));
  }
  gt_graph_free(g);

  /* opset 2 style: pads and value as attributes */
  m = gt_ob_model_create(7);
  int64_t xs2[2] = {N, 3}, p2[4] = {0, 1, 0, 2};
  gt_ob_input(m, "x", GT_OB_FLOAT, 2, xs2);
  gt_ob_node *pn = gt_ob_node_add(m, "Pad", "pad", "x", "y");
  gt_ob_attr_ints(pn, "pads", 4, p2);
  gt_ob_attr_string(pn, "mode", "edge");
  gt_ob_output(m, "y");
  g = NULL;
  const gt_node *n = load_single(m, &g, GT_OP_PAD);
  if (n) {
    int64_t want[2] = {GT_DIM_BATCH, 6};
    GT_CHECK(n->p.pad.mode == GT_PAD_EDGE && shape_is(output_of(g), 2, want), "opset 7 pad");
  }
  gt_graph_free(g);
}

/* ---- folding ---- */

/* x.view(x.size(0), -1) as torch writes it (opset 13: Unsqueeze axes as an input). */
static gt_ob_model *view_model(int64_t opset, int mul_batch) {
  gt_ob_model *m = gt_ob_model_create(opset);
  int64_t xs[4] = {N, 2, 3, 4}, one[1] = {1}, zero = 0, minus1 = -1, ax0 = 0, two = 2;
  gt_ob_input(m, "x", GT_OB_FLOAT, 4, xs);
  gt_ob_node_add(m, "Shape", "shape", "x", "s");
  gt_ob_attr_tensor_int64(gt_ob_node_add(m, "Constant", "c0", "", "idx"), "value", 0, NULL, &zero);
  gt_ob_node_add(m, "Gather", "gather", "s,idx", "n");
  const char *batch = "n";
  if (mul_batch) {
    gt_ob_attr_tensor_int64(gt_ob_node_add(m, "Constant", "c2", "", "two"), "value", 0, NULL, &two);
    gt_ob_node_add(m, "Mul", "twice", "n,two", "n2");
    batch = "n2";
  }
  char ins[32];
  snprintf(ins, sizeof ins, "%s%s", batch, opset >= 13 ? ",axes" : "");
  if (opset >= 13) gt_ob_init_int64(m, "axes", 1, one, &ax0);
  gt_ob_node *u = gt_ob_node_add(m, "Unsqueeze", "unsq", ins, "nu");
  if (opset < 13) gt_ob_attr_ints(u, "axes", 1, &ax0);
  gt_ob_attr_tensor_int64(gt_ob_node_add(m, "Constant", "cm1", "", "m1"), "value", 1, one, &minus1);
  gt_ob_attr_int(gt_ob_node_add(m, "Concat", "cat", "nu,m1", "target"), "axis", 0);
  gt_ob_node_add(m, "Reshape", "view", "x,target", "y");
  gt_ob_output(m, "y");
  return m;
}

static void test_torch_view_folds(void) {
  int64_t opsets[2] = {11, 13};
  for (int k = 0; k < 2; k++) {
    gt_graph *g = NULL;
    const gt_node *n = load_single(view_model(opsets[k], 0), &g, GT_OP_RESHAPE);
    if (n) {
      int64_t want[2] = {GT_DIM_BATCH, 24};
      char s[64];
      GT_CHECK(shape_is(output_of(g), 2, want), "opset %lld: output %s", (long long)opsets[k],
               shape_of(output_of(g), s, sizeof s));
      GT_CHECK(n->inputs[0] == g->input, "reshape does not read the input");
    }
    gt_graph_free(g);
  }
  gt_graph *g = NULL;
  gt_error err;
  GT_CHECK(load(view_model(13, 1), &g, &err) == GT_ERR_UNSUPPORTED && strstr(err.message, "batch size") &&
               strstr(err.message, "twice"),
           "arithmetic on the batch: %s", err.message);
  gt_graph_free(g);
}

/* x [N, 2, last] and the shape arithmetic torch writes for a view: Concat(Unsqueeze(Gather(Shape(x),
 * 0)), Slice(Shape(x), 1, 2), Where(Equal(k, -1), ones, k)) with k = [-1] and ones =
 * ConstantOfShape([1]) = [1], i.e. [N, 2, 1], concatenated into `target`. */
static gt_ob_model *shape_math_model(int64_t last, const char *target) {
  gt_ob_model *m = gt_ob_model_create(13);
  int64_t xs[3] = {N, 2, last}, one[1] = {1}, zero = 0, start = 1, end = 2, minus1 = -1, ones_shape = 1;
  gt_ob_input(m, "x", GT_OB_FLOAT, 3, xs);
  gt_ob_init_int64(m, "i0", 0, NULL, &zero);
  gt_ob_init_int64(m, "ax0", 1, one, &zero);
  gt_ob_init_int64(m, "st", 1, one, &start);
  gt_ob_init_int64(m, "en", 1, one, &end);
  gt_ob_init_int64(m, "k", 1, one, &minus1);
  gt_ob_init_int64(m, "m1", 0, NULL, &minus1);
  gt_ob_init_int64(m, "oshape", 1, one, &ones_shape);
  gt_ob_node_add(m, "Shape", "shape", "x", "s");
  gt_ob_node_add(m, "Gather", "g0", "s,i0", "n");
  gt_ob_node_add(m, "Unsqueeze", "u", "n,ax0", "nu");
  gt_ob_node_add(m, "Slice", "sl", "s,st,en", "c");
  gt_ob_node_add(m, "Equal", "eq", "k,m1", "isneg");
  int64_t one_value = 1;
  gt_ob_attr_tensor_int64(gt_ob_node_add(m, "ConstantOfShape", "cos", "oshape", "ones"), "value", 1, one,
                          &one_value);
  gt_ob_node_add(m, "Where", "wh", "isneg,ones,k", "last");
  gt_ob_attr_int(gt_ob_node_add(m, "Concat", "cat", "nu,c,last", target), "axis", 0);
  return m;
}

static void test_shape_math_folding(void) {
  /* The target [N, 2, 1] through a Cast to int32 and back, on x [N, 2, 6]. */
  gt_ob_model *m = shape_math_model(6, "t64");
  gt_ob_attr_int(gt_ob_node_add(m, "Cast", "cast", "t64", "t32"), "to", 6);
  gt_ob_attr_int(gt_ob_node_add(m, "Cast", "cast_back", "t32", "target"), "to", 7);
  gt_ob_node_add(m, "Reshape", "view", "x,target", "y");
  gt_ob_output(m, "y");
  gt_graph *g = NULL;
  /* [N,2,6] reshaped to [N,2,1] would lose elements: the -1 became 1, so a SHAPE error is right */
  gt_error err;
  GT_CHECK(load(m, &g, &err) == GT_ERR_SHAPE && strstr(err.message, "view") && strstr(err.message, "per sample"),
           "%s", err.message);
  gt_graph_free(g);

  /* the same with x [N,2,1]: folds to a plain alias (no node at all) */
  m = shape_math_model(1, "target");
  gt_ob_node_add(m, "Reshape", "view", "x,target", "r");
  gt_ob_node_add(m, "Relu", "relu", "r", "y");
  gt_ob_output(m, "y");
  g = NULL;
  const gt_node *n = load_single(m, &g, GT_OP_RELU);
  if (n) GT_CHECK(n->inputs[0] == g->input, "reshape to the same shape should be an alias");
  gt_graph_free(g);
}

static void test_reshape_forms(void) {
  struct {
    int64_t target[3];
    int n;
    int64_t in0; /* declared batch dim: -1 symbolic, else a number */
    gt_status want;
    int64_t out1;
  } cases[] = {
      {{-1, 6}, 2, N, GT_OK, 6},                /* x.view(-1, 6) */
      {{0, 3, 2}, 3, N, GT_OK, 3},              /* 0 copies the batch */
      {{1, 6}, 2, 1, GT_OK, 6},                 /* fixed-batch export: leading 1 is the batch */
      {{2, -1}, 2, N, GT_ERR_UNSUPPORTED, 0},   /* would move the batch */
      {{-1, 4}, 2, N, GT_ERR_UNSUPPORTED, 0},   /* -1 would merge samples */
      {{0, 5}, 2, N, GT_ERR_SHAPE, 0},          /* element count mismatch */
  };
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    gt_ob_model *m = gt_ob_model_create(13);
    int64_t xs[3] = {cases[k].in0, 2, 3}, ts[1] = {cases[k].n};
    gt_ob_input(m, "x", GT_OB_FLOAT, 3, xs);
    gt_ob_init_int64(m, "t", 1, ts, cases[k].target);
    gt_ob_node_add(m, "Reshape", "rs", "x,t", "y");
    gt_ob_output(m, "y");
    gt_graph *g = NULL;
    gt_error err;
    gt_status st = load(m, &g, &err);
    GT_CHECK(st == cases[k].want, "case %zu: status %s (%s)", k, gt_status_name(st), err.message);
    if (st == GT_OK && g)
      GT_CHECK(output_of(g)->shape[0] == GT_DIM_BATCH && output_of(g)->shape[1] == cases[k].out1, "case %zu shape",
               k);
    if (st != GT_OK) GT_CHECK(strstr(err.message, "rs") != NULL, "case %zu: node not named: %s", k, err.message);
    gt_graph_free(g);
  }
}

static void test_constant_folding(void) {
  /* W of a conv computed from constants: Constant * 2 + Transpose; a conv on constants folded through ref */
  gt_ob_model *m = gt_ob_model_create(13);
  int64_t xs[4] = {N, 1, 2, 2}, ks[4] = {1, 1, 2, 2}, cs[4] = {1, 1, 3, 3}, s0[1] = {0}, perm[4] = {0, 1, 3, 2};
  float k[4] = {1, 2, 3, 4}, img[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, two = 2.0f;
  gt_ob_input(m, "x", GT_OB_FLOAT, 4, xs);
  gt_ob_init_float(m, "img", 4, cs, img);
  gt_ob_init_float(m, "two", 0, s0, &two);
  gt_ob_attr_tensor_float(gt_ob_node_add(m, "Constant", "kc", "", "k"), "value", 4, ks, k);
  gt_ob_node_add(m, "Mul", "k2", "k,two", "kk");                                  /* [2,4,6,8] */
  gt_ob_attr_ints(gt_ob_node_add(m, "Transpose", "kt", "kk", "kT"), "perm", 4, perm); /* [2,6,4,8] */
  gt_ob_node_add(m, "Conv", "cconv", "img,kT", "yc");                             /* [1,1,2,2] constant */
  gt_ob_node_add(m, "Add", "add", "x,yc", "y");
  gt_ob_output(m, "y");
  gt_graph *g = NULL;
  const gt_node *n = load_single(m, &g, GT_OP_ADD);
  if (n) {
    const gt_value *c = &g->values[n->inputs[1]];
    /* conv of img with [[2,6],[4,8]]: out[0][0] = 1*2+2*6+4*4+5*8 = 70, etc. */
    float want[4] = {70, 90, 130, 150};
    GT_CHECK(!c->batched && c->ndim == 4, "folded conv is not a constant");
    for (int i = 0; i < 4 && c->data; i++) GT_CHECK_CLOSE(c->data[i], want[i], 1e-5, 0, "conv folded by ref");
  }
  gt_graph_free(g);
}

/* ---- BatchNorm folding and normalisation ---- */

static gt_ob_model *conv_bn_model(int extra_consumer, int with_bias) {
  gt_ob_model *m = gt_ob_model_create(13);
  int64_t xs[4] = {N, 2, 4, 4}, ws[4] = {3, 2, 1, 1}, cs[1] = {3};
  float w[6] = {1, -2, 3, 0.5f, -1, 2}, b[3] = {0.1f, -0.2f, 0.3f};
  float gamma[3] = {1.5f, 0.5f, -2}, beta[3] = {0.1f, 0.2f, 0.3f}, mean[3] = {1, -1, 0.5f}, var[3] = {4, 0.25f, 1};
  gt_ob_input(m, "x", GT_OB_FLOAT, 4, xs);
  gt_ob_init_float(m, "W", 4, ws, w);
  if (with_bias) gt_ob_init_float(m, "B", 1, cs, b);
  gt_ob_init_float(m, "gamma", 1, cs, gamma);
  gt_ob_init_float(m, "beta", 1, cs, beta);
  gt_ob_init_float(m, "mean", 1, cs, mean);
  gt_ob_init_float(m, "var", 1, cs, var);
  gt_ob_node_add(m, "Conv", "conv", with_bias ? "x,W,B" : "x,W", "c");
  gt_ob_attr_float(gt_ob_node_add(m, "BatchNormalization", "bn", "c,gamma,beta,mean,var", "y0"), "epsilon", 0.01f);
  if (extra_consumer) {
    gt_ob_node_add(m, "Add", "add", "y0,c", "y");
    gt_ob_output(m, "y");
  } else {
    gt_ob_output(m, "y0");
  }
  return m;
}

static void test_batchnorm_fold(void) {
  for (int with_bias = 0; with_bias < 2; with_bias++) {
    gt_graph *g = NULL;
    const gt_node *n = load_single(conv_bn_model(0, with_bias), &g, GT_OP_CONV);
    if (n && GT_CHECK(n->n_inputs == 3, "folded conv has %d inputs", n->n_inputs)) {
      float w[6] = {1, -2, 3, 0.5f, -1, 2}, b[3] = {0.1f, -0.2f, 0.3f};
      float gamma[3] = {1.5f, 0.5f, -2}, beta[3] = {0.1f, 0.2f, 0.3f}, mean[3] = {1, -1, 0.5f};
      float var[3] = {4, 0.25f, 1};
      const gt_value *wv = &g->values[n->inputs[1]], *bv = &g->values[n->inputs[2]];
      for (int m = 0; m < 3; m++) {
        float scale = (float)(gamma[m] / sqrt((double)var[m] + (double)0.01f));
        float shift = (float)((double)beta[m] - (double)mean[m] * (double)scale);
        for (int c = 0; c < 2; c++) GT_CHECK_CLOSE(wv->data[m * 2 + c], w[m * 2 + c] * scale, 1e-6, 1e-6, "W'");
        GT_CHECK_CLOSE(bv->data[m], (with_bias ? b[m] : 0.0f) * scale + shift, 1e-6, 1e-6, "b'");
      }
      GT_CHECK(g->output == n->output && n->inputs[0] == g->input, "wiring after the fold");
      GT_CHECK(gt_graph_validate(g, NULL) == GT_OK, "graph invalid after folding");
      for (int v = 0; v < g->n_values; v++)
        GT_CHECK(v == g->input || v == g->output || !g->values[v].batched, "orphan batched value '%s' left",
                 g->values[v].name);
    }
    gt_graph_free(g);
  }
  /* the conv output has a second reader: no fold */
  gt_graph *g = NULL;
  gt_error err;
  GT_CHECK(load(conv_bn_model(1, 1), &g, &err) == GT_OK, "load: %s", err.message);
  if (g) GT_CHECK(count_op(g, GT_OP_BATCHNORM) == 1 && count_op(g, GT_OP_CONV) == 1, "must not fold");
  gt_graph_free(g);
}

static void test_prepend_normalization(void) {
  gt_graph *g = NULL;
  gt_error err;
  GT_CHECK(load(conv_bn_model(0, 1), &g, &err) == GT_OK, "load: %s", err.message);
  if (!g) return;
  float mean[2] = {0.5f, 0.25f}, std[2] = {0.2f, 0.4f}, bad_std[2] = {0.2f, 0.0f};
  GT_CHECK(gt_graph_prepend_normalization(g, 3, mean, std, &err) == GT_ERR_SHAPE, "channel mismatch accepted");
  GT_CHECK(gt_graph_prepend_normalization(g, 2, mean, bad_std, &err) == GT_ERR_USAGE, "std 0 accepted");
  GT_CHECK(g->n_nodes == 1, "a refused normalisation changed the graph");
  int x = g->input;
  GT_CHECK(gt_graph_prepend_normalization(g, 2, mean, std, &err) == GT_OK, "%s", err.message);
  if (GT_CHECK(g->n_nodes == 3, "%d nodes", g->n_nodes)) {
    const gt_node *sub = &g->nodes[0], *div = &g->nodes[1], *conv = &g->nodes[2];
    GT_CHECK(sub->op == GT_OP_SUB && sub->inputs[0] == x && div->op == GT_OP_DIV &&
                 div->inputs[0] == sub->output && conv->inputs[0] == div->output,
             "normalisation not wired in front");
    const gt_value *mv = &g->values[sub->inputs[1]], *sv = &g->values[div->inputs[1]];
    int64_t cshape[3] = {2, 1, 1};
    GT_CHECK(shape_is(mv, 3, cshape) && mv->data[1] == 0.25f && sv->data[0] == 0.2f, "mean/std constants");
    GT_CHECK(gt_graph_validate(g, &err) == GT_OK, "%s", err.message);
    GT_CHECK(g->input == x, "input changed");
  }
  gt_graph_free(g);
}

/* ---- bound inputs, op list ---- */

static void test_bound_inputs(void) {
  gt_ob_model *m = gt_ob_model_create(13);
  int64_t xs[4] = {N, 1, 3, 3}, ws[4] = {2, 1, 2, 2};
  gt_ob_input(m, "x", GT_OB_FLOAT, 4, xs);
  gt_ob_input(m, "W", GT_OB_FLOAT, 4, ws);
  gt_ob_node_add(m, "Conv", "conv", "x,W", "y");
  gt_ob_output(m, "y");
  size_t n = 0;
  uint8_t *bytes = gt_ob_pack(m, &n);
  gt_ob_model_free(m);
  float w[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  const char *names[1] = {"W"};
  const float *data[1] = {w};
  const int64_t *shapes[1] = {ws};
  int ranks[1] = {4};
  gt_onnx_options opts = {0, 1, names, data, shapes, ranks};
  gt_graph *g = NULL;
  gt_error err;
  GT_CHECK(gt_onnx_load_memory(bytes, n, "bound.onnx", NULL, &opts, &g, &err) == GT_OK, "%s", err.message);
  if (g && GT_CHECK(g->n_nodes == 1, "nodes")) GT_CHECK(g->values[g->nodes[0].inputs[1]].data[7] == 8.0f, "bound W");
  gt_graph_free(g);
  g = NULL;
  GT_CHECK(gt_onnx_load_memory(bytes, n, "bound.onnx", NULL, NULL, &g, &err) == GT_ERR_FORMAT &&
               strstr(err.message, "2 runtime inputs"),
           "%s", err.message);
  const char *wrong[1] = {"nope"};
  opts.bound_input_names = wrong;
  GT_CHECK(gt_onnx_load_memory(bytes, n, "bound.onnx", NULL, &opts, &g, &err) == GT_ERR_USAGE &&
               strstr(err.message, "nope"),
           "%s", err.message);
  free(bytes);
}

static void test_supported_ops_list(void) {
  const char *list = gt_onnx_supported_ops();
  int n = gt_onnx_op_table_size(), commas = 0;
  for (const char *p = list; *p; p++) commas += *p == ',';
  GT_CHECK(commas + 1 == n, "list has %d names, table %d", commas + 1, n);
  for (int k = 0; k < n; k++) {
    const char *op = gt_onnx_op_at(k)->op_type;
    size_t len = strlen(op);
    const char *hit = strstr(list, op);
    while (hit && ((hit != list && hit[-1] != ' ') || (hit[len] && hit[len] != ','))) hit = strstr(hit + 1, op);
    GT_CHECK(hit != NULL, "'%s' missing from the supported list", op);
    if (k) GT_CHECK(strcmp(gt_onnx_op_at(k - 1)->op_type, op) < 0, "table not sorted at %s", op);
  }
  GT_CHECK(gt_onnx_op_supported("Conv") && !gt_onnx_op_supported("LSTM"), "gt_onnx_op_supported");
}

/* ---- torch fixtures ---- */

static void fixture_case(const char *name) {
  char path[512];
  snprintf(path, sizeof path, "%s/models/%s.onnx", GT_FIXTURES_DIR, name);
  FILE *f = fopen(path, "rb");
  if (!f) {
    gt_test_skip("%s not generated yet", path);
    return;
  }
  fclose(f);
  gt_graph *g = NULL;
  gt_error err;
  gt_status st = gt_onnx_load(path, NULL, &g, &err);
  if (!GT_CHECK(st == GT_OK, "%s: %s", name, err.message)) return;
  const gt_value *in = &g->values[g->input], *out = output_of(g);
  int64_t want_in[4] = {GT_DIM_BATCH, 1, 28, 28}, want_out[2] = {GT_DIM_BATCH, 10};
  char s1[64], s2[64];
  GT_CHECK(shape_is(in, 4, want_in) && shape_is(out, 2, want_out), "%s: input %s output %s", name,
           shape_of(in, s1, sizeof s1), shape_of(out, s2, sizeof s2));
  GT_CHECK(gt_graph_validate(g, &err) == GT_OK && gt_graph_check_classifier(g, &err) == GT_OK, "%s: %s", name,
           err.message);
  gt_onnx_summary *s = NULL;
  st = gt_onnx_inspect(path, &s, &err);
  if (GT_CHECK(st == GT_OK, "inspect %s: %s", name, err.message)) {
    char hist[1024] = "";
    size_t used = 0;
    int file_bn = 0;
    for (int k = 0; k < s->n_op_types; k++) {
      used += (size_t)snprintf(hist + used, used < sizeof hist ? sizeof hist - used : 0, " %s=%d",
                               s->op_types[k].op_type, s->op_types[k].count);
      if (!strcmp(s->op_types[k].op_type, "BatchNormalization")) file_bn = s->op_types[k].count;
    }
    fprintf(stderr, "  %s: opset %lld, %s, %lld params, %d nodes ->%d IR nodes, %lld MACs; ops:%s\n", name,
            (long long)s->opset, s->producer, (long long)s->n_params, s->n_nodes, g->n_nodes,
            (long long)gt_graph_macs_per_sample(g), hist);
    GT_CHECK(s->n_unsupported == 0, "%s: %d unsupported ops", name, s->n_unsupported);
    GT_CHECK(s->n_inputs == 1 && s->inputs[0].ndim == 4 && s->inputs[0].dims[0] == -1 &&
                 s->inputs[0].dim_params[0] != NULL && s->inputs[0].dims[3] == 28,
             "%s: input summary", name);
    GT_CHECK(s->n_params > 0 && s->n_nodes >= g->n_nodes - 2, "%s: summary counts", name);
    GT_CHECK(count_op(g, GT_OP_BATCHNORM) <= file_bn, "%s: batchnorms multiplied", name);
    gt_onnx_summary_free(s);
  }
  gt_graph_free(g);
}

static void test_fixture_cnn(void) { fixture_case("cnn"); }
static void test_fixture_resnet(void) { fixture_case("resnet"); }
static void test_fixture_mlp(void) { fixture_case("mlp"); }
static void test_fixture_opmix(void) { fixture_case("opmix"); }
static void test_fixture_linear(void) { fixture_case("linear"); }

/* ---- ONNX node test data: every model parses without crashing ---- */

/* Reads test_data_set_0/input_<k>.pb as a float constant (NULL when absent or unreadable). */
static gt_onnx_tensor *read_input_pb(const char *dir, int k) {
  char path[1200];
  snprintf(path, sizeof path, "%.1000s/test_data_set_0/input_%d.pb", dir, k);
  uint8_t *bytes = NULL;
  size_t size = 0;
  gt_error err;
  if (gt_onnx_read_file(path, &bytes, &size, &err) != GT_OK) return NULL;
  Onnx__TensorProto *tp = onnx__tensor_proto__unpack(NULL, size, bytes);
  free(bytes);
  if (!tp) return NULL;
  gt_onnx_tensor *t = NULL, *f = NULL;
  gt_onnx_source src = {path, NULL, 0};
  if (gt_onnx_tensor_decode(tp, &src, "input", &t, &err) == GT_OK) {
    /* integer inputs are bound as floats (whole numbers), as gt_onnx_options allows */
    int64_t n = t->numel;
    f = t->f ? t : gt_onnx_tensor_new(GT_ONNX_FLOAT, t->ndim, t->shape, "input", &err);
    for (int64_t j = 0; f && f != t && j < n; j++) f->f[j] = (float)t->i[j];
    if (f != t) gt_onnx_tensor_free(t);
  }
  onnx__tensor_proto__free_unpacked(tp, NULL);
  return f;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void test_onnx_testdata_sweep(void) {
  DIR *d = opendir(GT_ONNX_TESTDATA_DIR);
  if (!d) {
    gt_test_skip("%s is not installed", GT_ONNX_TESTDATA_DIR);
    return;
  }
  char **names = NULL;
  size_t n = 0, cap = 0;
  for (struct dirent *e; (e = readdir(d));) {
    if (e->d_name[0] == '.') continue;
    if (n == cap) {
      cap = cap ? 2 * cap : 256;
      names = realloc(names, cap * sizeof *names);
      if (!names) abort();
    }
    names[n++] = strdup(e->d_name);
  }
  closedir(d);
  qsort(names, n, sizeof *names, cmp_str);
  int counts[GT_ERR_INTERNAL + 1] = {0}, inspected = 0;
  for (size_t k = 0; k < n; k++) {
    char dir[1024], path[1100];
    snprintf(dir, sizeof dir, "%.500s/%.500s", GT_ONNX_TESTDATA_DIR, names[k]);
    snprintf(path, sizeof path, "%.1024s/model.onnx", dir);
    gt_onnx_summary *s = NULL;
    gt_error err;
    gt_status st = gt_onnx_inspect(path, &s, &err);
    if (st == GT_ERR_IO) continue; /* a folder without model.onnx */
    inspected++;
    GT_CHECK(st == GT_OK, "inspect %s: %s", names[k], err.message);
    /* Bind every graph input after the first to its test data, as a conformance runner does. */
    gt_onnx_tensor *bound[8] = {0};
    const char *bnames[8];
    const float *bdata[8];
    const int64_t *bshapes[8];
    int branks[8], nb = 0;
    for (int i = 1; s && i < s->n_inputs && nb < 8; i++) {
      gt_onnx_tensor *t = read_input_pb(dir, i);
      if (!t) continue;
      bound[nb] = t;
      bnames[nb] = s->inputs[i].name;
      bdata[nb] = t->f;
      bshapes[nb] = t->shape;
      branks[nb] = t->ndim;
      nb++;
    }
    gt_onnx_options opts = {0, nb, bnames, bdata, bshapes, branks};
    gt_graph *g = NULL;
    st = gt_onnx_load(path, &opts, &g, &err);
    counts[st]++;
    GT_CHECK(st == GT_OK || st == GT_ERR_UNSUPPORTED || st == GT_ERR_FORMAT || st == GT_ERR_SHAPE ||
                 st == GT_ERR_LIMIT,
             "%s: unexpected status %s: %s", names[k], gt_status_name(st), err.message);
    if (st != GT_OK)
      GT_CHECK(strstr(err.message, path) != NULL, "%s: message lacks the path: %s", names[k], err.message);
    if (st == GT_OK) GT_CHECK(gt_graph_validate(g, &err) == GT_OK, "%s: %s", names[k], err.message);
    gt_graph_free(g);
    for (int i = 0; i < nb; i++) gt_onnx_tensor_free(bound[i]);
    gt_onnx_summary_free(s);
  }
  for (size_t k = 0; k < n; k++) free(names[k]);
  free(names);
  fprintf(stderr, "  %d models: %d load, %d unsupported, %d format, %d shape, %d limit\n", inspected, counts[GT_OK],
          counts[GT_ERR_UNSUPPORTED], counts[GT_ERR_FORMAT], counts[GT_ERR_SHAPE], counts[GT_ERR_LIMIT]);
  GT_CHECK(inspected > 0 && counts[GT_OK] > 0, "nothing loaded");
}

int main(void) {
  gt_test_run("conv auto_pad SAME_UPPER/SAME_LOWER stride 2", test_conv_auto_pad);
  gt_test_run("conv groups, dilations, explicit pads", test_conv_groups_dilation_pads);
  gt_test_run("pool output sizes incl. ceil_mode", test_pool_shapes);
  gt_test_run("pool attributes, global pool, indices refused", test_pool_attributes);
  gt_test_run("gemm transB/alpha/beta folding", test_gemm_folding);
  gt_test_run("matmul with constant B", test_matmul);
  gt_test_run("broadcasting binary ops", test_broadcast_binary);
  gt_test_run("activations, clip, neg, identity/dropout/cast aliases", test_activations);
  gt_test_run("transpose, squeeze, unsqueeze, concat, flatten, softmax", test_layout_ops);
  gt_test_run("pad modes and slice as crop", test_pad_and_slice);
  gt_test_run("torch x.view(x.size(0), -1) folds to one reshape", test_torch_view_folds);
  gt_test_run("shape math: gather, slice, equal, where, constant_of_shape, cast", test_shape_math_folding);
  gt_test_run("reshape target forms", test_reshape_forms);
  gt_test_run("constant folding incl. a conv through ref", test_constant_folding);
  gt_test_run("batchnorm folds into conv with exact weights", test_batchnorm_fold);
  gt_test_run("prepend normalization", test_prepend_normalization);
  gt_test_run("bound inputs", test_bound_inputs);
  gt_test_run("supported ops list matches the table", test_supported_ops_list);
  gt_test_run("fixture cnn.onnx", test_fixture_cnn);
  gt_test_run("fixture resnet.onnx", test_fixture_resnet);
  gt_test_run("fixture mlp.onnx", test_fixture_mlp);
  gt_test_run("fixture opmix.onnx", test_fixture_opmix);
  gt_test_run("fixture linear.onnx", test_fixture_linear);
  gt_test_run("ONNX node test data parses", test_onnx_testdata_sweep);
  return gt_test_finish();
}

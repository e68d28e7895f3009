/* The built-in architectures as gt_graph values (gauntlet/train.h lists them), freshly
 * initialised: He-uniform weights U(-sqrt(6 / fan_in), +sqrt(6 / fan_in)) for layers followed by a
 * ReLU, U(-1 / sqrt(fan_in), ..) for the classifier, zero biases, batch norm gamma 1 and beta 0.
 * Draws: row `value id` of the TRAIN_INIT stream of the seed, so a weight does not depend on
 * the other layers' sizes. Shapes in comments are per sample. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gauntlet/hd/rng.h"
#include "train/train_internal.h"

typedef struct builder {
  gt_graph *g;
  uint64_t seed;
  int cur;               /* current batched value */
  int c, h, w;           /* its shape (rank 4) or c = features (rank 2, h = w = 0) */
  gt_arch_graph *out;
  gt_error *err;
  gt_status st;
  int cap_trained, cap_bns;
} builder;

static void fail_memory(builder *b) {
  if (b->st == GT_OK) b->st = gt_error_set(b->err, GT_ERR_MEMORY, "out of memory building the network");
}

static void mark_trained(builder *b, int value) {
  gt_arch_graph *a = b->out;
  if (a->n_trained == b->cap_trained) {
    int cap = b->cap_trained ? 2 * b->cap_trained : 16;
    int *p = realloc(a->trained_values, (size_t)cap * sizeof *p);
    if (!p) return fail_memory(b);
    a->trained_values = p;
    b->cap_trained = cap;
  }
  a->trained_values[a->n_trained++] = value;
}

/* A constant: bound > 0 draws U(-bound, bound); otherwise every element is `fill`. */
static int add_const(builder *b, const char *name, int ndim, const int64_t *shape, float bound, float fill,
                     int trained) {
  if (b->st != GT_OK) return -1;
  int64_t numel = 1;
  for (int d = 0; d < ndim; d++) numel *= shape[d];
  float *data = malloc((size_t)numel * sizeof(float));
  if (!data) {
    fail_memory(b);
    return -1;
  }
  if (bound > 0.0f) {
    gt_rng_site site = {.seed = b->seed, .stream = GT_RNG_STREAM_TRAIN_INIT, .sample = (uint64_t)b->g->n_values};
    gt_rng_fill_row(GT_RNG_UNIFORM_SYM, &site, numel, data);
    for (int64_t i = 0; i < numel; i++) data[i] *= bound;
  } else {
    for (int64_t i = 0; i < numel; i++) data[i] = fill;
  }
  int id = gt_graph_add_value(b->g, name, 0, ndim, shape, data, b->err);
  free(data);
  if (id < 0) b->st = GT_ERR_MEMORY;
  else if (trained) mark_trained(b, id);
  return id;
}

/* A node with a fresh batched output of the current shape; returns its node pointer. */
static gt_node *add_node(builder *b, gt_op_kind op, const char *name, int n_in, const int *in) {
  if (b->st != GT_OK) return NULL;
  int64_t shape[4] = {GT_DIM_BATCH, b->c, b->h, b->w};
  int out = gt_graph_add_value(b->g, name, 1, b->h > 0 ? 4 : 2, shape, NULL, b->err);
  if (out < 0) {
    b->st = GT_ERR_MEMORY;
    return NULL;
  }
  gt_node *node = gt_graph_add_node(b->g, op, name, n_in, in, out, b->err);
  if (!node) {
    b->st = GT_ERR_MEMORY;
    return NULL;
  }
  b->cur = out;
  return node;
}

static int64_t out_len(int64_t in, int k, int stride, int pad) { return (in + 2 * pad - k) / stride + 1; }

/* [c, h, w] -> [m, h', w'] (square kernel k, zero padding pad on every side). Returns the output. */
static int conv(builder *b, const char *name, int from, int m, int k, int stride, int pad, int bias, int relu_after) {
  char wname[96], bname[96];
  snprintf(wname, sizeof wname, "%s.weight", name);
  snprintf(bname, sizeof bname, "%s.bias", name);
  int64_t wshape[4] = {m, b->c, k, k};
  float fan_in = (float)(b->c * k * k);
  int in[3] = {from, add_const(b, wname, 4, wshape, relu_after ? sqrtf(6.0f / fan_in) : 1.0f / sqrtf(fan_in), 0, 1),
               -1};
  if (bias) {
    int64_t bshape[1] = {m};
    in[2] = add_const(b, bname, 1, bshape, 0.0f, 0.0f, 1);
  }
  b->h = (int)out_len(b->h, k, stride, pad);
  b->w = (int)out_len(b->w, k, stride, pad);
  b->c = m;
  gt_node *node = add_node(b, GT_OP_CONV, name, bias ? 3 : 2, in);
  if (!node) return -1;
  gt_conv_params *p = &node->p.conv;
  p->kernel_h = p->kernel_w = k;
  p->stride_h = p->stride_w = stride;
  p->pad_top = p->pad_left = p->pad_bottom = p->pad_right = pad;
  p->dilation_h = p->dilation_w = 1;
  p->groups = 1;
  return b->cur;
}

static int batchnorm(builder *b, const char *name, int from) {
  char sname[96], tname[96];
  snprintf(sname, sizeof sname, "%s.scale", name);
  snprintf(tname, sizeof tname, "%s.shift", name);
  int64_t shape[1] = {b->c};
  int in[3] = {from, add_const(b, sname, 1, shape, 0.0f, 1.0f, 0), add_const(b, tname, 1, shape, 0.0f, 0.0f, 0)};
  if (!add_node(b, GT_OP_BATCHNORM, name, 3, in)) return -1;
  gt_arch_graph *a = b->out;
  if (a->n_bns == b->cap_bns) {
    int cap = b->cap_bns ? 2 * b->cap_bns : 8;
    gt_train_bn *p = realloc(a->bns, (size_t)cap * sizeof *p);
    if (!p) {
      fail_memory(b);
      return -1;
    }
    a->bns = p;
    b->cap_bns = cap;
  }
  gt_train_bn *bn = &a->bns[a->n_bns++];
  memset(bn, 0, sizeof *bn);
  bn->node = b->g->n_nodes - 1;
  bn->scale_value = in[1];
  bn->shift_value = in[2];
  bn->state.channels = b->c;
  bn->state.eps = GT_TRAIN_BN_EPS;
  bn->state.momentum = GT_TRAIN_BN_MOMENTUM;
  return b->cur;
}

static int unary(builder *b, gt_op_kind op, const char *name, int from) {
  int in[1] = {from};
  return add_node(b, op, name, 1, in) ? b->cur : -1;
}

static int maxpool2(builder *b, const char *name, int from) {
  int in[1] = {from};
  b->h /= 2;
  b->w /= 2;
  gt_node *node = add_node(b, GT_OP_MAXPOOL, name, 1, in);
  if (!node) return -1;
  gt_pool_params *p = &node->p.pool;
  memset(p, 0, sizeof *p);
  p->kernel_h = p->kernel_w = p->stride_h = p->stride_w = 2;
  p->dilation_h = p->dilation_w = 1;
  return b->cur;
}

/* Global average pool [c, h, w] -> [c, 1, 1]. */
static int global_avgpool(builder *b, const char *name, int from) {
  int in[1] = {from};
  int kh = b->h, kw = b->w;
  b->h = b->w = 1;
  gt_node *node = add_node(b, GT_OP_AVGPOOL, name, 1, in);
  if (!node) return -1;
  gt_pool_params *p = &node->p.pool;
  memset(p, 0, sizeof *p);
  p->kernel_h = kh;
  p->kernel_w = kw;
  p->stride_h = p->stride_w = 1;
  p->dilation_h = p->dilation_w = 1;
  return b->cur;
}

/* [c, h, w] -> [c*h*w] (ONNX Flatten, axis 1). */
static int flatten(builder *b, const char *name, int from) {
  int in[1] = {from};
  b->c = b->c * b->h * b->w;
  b->h = b->w = 0;
  return add_node(b, GT_OP_RESHAPE, name, 1, in) ? b->cur : -1;
}

static int linear(builder *b, const char *name, int from, int m, int relu_after) {
  char wname[96], bname[96];
  snprintf(wname, sizeof wname, "%s.weight", name);
  snprintf(bname, sizeof bname, "%s.bias", name);
  int64_t wshape[2] = {m, b->c}, bshape[1] = {m};
  float fan_in = (float)b->c;
  int in[3] = {from, add_const(b, wname, 2, wshape, relu_after ? sqrtf(6.0f / fan_in) : 1.0f / sqrtf(fan_in), 0, 1),
               add_const(b, bname, 1, bshape, 0.0f, 0.0f, 1)};
  b->c = m;
  return add_node(b, GT_OP_LINEAR, name, 3, in) ? b->cur : -1;
}

static int add(builder *b, const char *name, int x, int y) {
  int in[2] = {x, y};
  return add_node(b, GT_OP_ADD, name, 2, in) ? b->cur : -1;
}

static void small_cnn(builder *b, int k) {
  int v = conv(b, "conv1", b->cur, 16, 3, 1, 1, 1, 1);   /* [16, H, W] */
  v = unary(b, GT_OP_RELU, "relu1", v);
  v = maxpool2(b, "pool1", v);                           /* [16, H/2, W/2] */
  v = conv(b, "conv2", v, 32, 3, 1, 1, 1, 1);            /* [32, H/2, W/2] */
  v = unary(b, GT_OP_RELU, "relu2", v);
  v = maxpool2(b, "pool2", v);                           /* [32, H/4, W/4] */
  v = flatten(b, "flatten", v);                          /* [32 * H/4 * W/4] */
  v = linear(b, "fc1", v, 128, 1);
  v = unary(b, GT_OP_RELU, "relu3", v);
  linear(b, "fc2", v, k, 0);                             /* [K] */
}

/* relu(bn(conv3x3(relu(bn(conv3x3_s(x))))) + shortcut(x)), shortcut = bn(conv1x1_s(x)) when the
 * shape changes, else x. */
static int res_block(builder *b, const char *name, int from, int m, int stride) {
  char n1[64], n2[64];
  int c_in = b->c, h_in = b->h, w_in = b->w;
  snprintf(n1, sizeof n1, "%s.conv1", name);
  int v = conv(b, n1, from, m, 3, stride, 1, 0, 1);
  snprintf(n1, sizeof n1, "%s.bn1", name);
  v = batchnorm(b, n1, v);
  snprintf(n1, sizeof n1, "%s.relu1", name);
  v = unary(b, GT_OP_RELU, n1, v);
  snprintf(n1, sizeof n1, "%s.conv2", name);
  v = conv(b, n1, v, m, 3, 1, 1, 0, 1);
  snprintf(n1, sizeof n1, "%s.bn2", name);
  v = batchnorm(b, n1, v);
  int shortcut = from;
  if (stride != 1 || c_in != m) {
    int c_out = b->c, h_out = b->h, w_out = b->w;
    b->c = c_in, b->h = h_in, b->w = w_in;
    snprintf(n2, sizeof n2, "%s.down", name);
    shortcut = conv(b, n2, from, m, 1, stride, 0, 0, 0);
    snprintf(n2, sizeof n2, "%s.down_bn", name);
    shortcut = batchnorm(b, n2, shortcut);
    b->c = c_out, b->h = h_out, b->w = w_out;
  }
  snprintf(n1, sizeof n1, "%s.add", name);
  v = add(b, n1, v, shortcut);
  snprintf(n1, sizeof n1, "%s.relu2", name);
  return unary(b, GT_OP_RELU, n1, v);
}

static void resnet_tiny(builder *b, int k) {
  int v = conv(b, "stem.conv", b->cur, 8, 3, 1, 1, 0, 1); /* [8, H, W] */
  v = batchnorm(b, "stem.bn", v);
  v = unary(b, GT_OP_RELU, "stem.relu", v);
  v = res_block(b, "block1", v, 8, 1);                    /* [8, H, W] */
  v = res_block(b, "block2", v, 16, 2);                   /* [16, H/2, W/2] */
  v = res_block(b, "block3", v, 32, 2);                   /* [32, H/4, W/4] */
  v = global_avgpool(b, "pool", v);                       /* [32, 1, 1] */
  v = flatten(b, "flatten", v);                           /* [32] */
  linear(b, "fc", v, k, 0);                               /* [K] */
}

void gt_arch_graph_release(gt_arch_graph *a) {
  free(a->trained_values);
  free(a->bns);
  a->trained_values = NULL;
  a->bns = NULL;
}

gt_status gt_arch_build(gt_arch arch, int c, int h, int w, int n_classes, uint64_t seed, gt_arch_graph *out,
                        gt_error *err) {
  memset(out, 0, sizeof *out);
  if (c < 1 || c > 64 || h < 4 || w < 4 || h > 4096 || w > 4096 || n_classes < 2 || n_classes > GT_DATASET_MAX_CLASSES)
    return gt_error_set(err, GT_ERR_USAGE, "cannot build %s for images [%d, %d, %d] and %d classes (needs 1..64 channels, "
                        "sides 4..4096, 2..%d classes)", gt_arch_name(arch), c, h, w, n_classes, GT_DATASET_MAX_CLASSES);
  builder b = {.seed = seed, .out = out, .err = err, .st = GT_OK, .c = c, .h = h, .w = w};
  b.g = gt_graph_create();
  if (!b.g) return gt_error_set(err, GT_ERR_MEMORY, "out of memory building the network");
  int64_t in_shape[4] = {GT_DIM_BATCH, c, h, w};
  b.cur = gt_graph_add_value(b.g, "input", 1, 4, in_shape, NULL, err);
  if (b.cur < 0) b.st = GT_ERR_MEMORY;
  b.g->input = b.cur;
  if (arch == GT_ARCH_SMALL_CNN) small_cnn(&b, n_classes);
  else resnet_tiny(&b, n_classes);
  if (b.st == GT_OK) {
    b.g->output = b.cur;
    b.g->opset = 13;
    b.st = gt_graph_validate(b.g, err);
  }
  if (b.st != GT_OK) {
    gt_graph_free(b.g);
    gt_arch_graph_release(out);
    return b.st;
  }
  out->graph = b.g;
  return GT_OK;
}

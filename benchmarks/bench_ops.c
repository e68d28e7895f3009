/* Micro-benchmark of the cpu backend (not a test): GFLOP/s of conv forward and of forward +
 * input backward at batch 1, 32 and 256 for two 3x3 convolutions (16->32 on 14x14, 1->8 on
 * 28x28), of a small conv model through the graph executor at batch 256, and of one large
 * cblas_sgemm (1024^3) measured in the same run as the machine's reference rate. It also times
 * what the backend did NOT choose, so the choices can be re-checked on any machine: the portable
 * paths (im2col + sgemm, ctx->avx2 off) next to the AVX2 kernels on CPUs that have them, and the
 * threading scheme of one batched im2col + one threaded sgemm per conv (src/backends/cpu/backend.c).
 * Prints a Markdown table.   Usage: bench_ops [threads [cpu-time]]   (default: all cores, wall time) */
#include <cblas.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backends/cpu/cpu_ops.h"
#include "gauntlet/backend.h"
#include "gauntlet/graph.h"
#include "gauntlet/model.h"

#define BUDGET_S 0.6 /* seconds of timed calls per measurement */

/* "bench_ops 1 cpu-time": process CPU time instead of wall time, steadier for one thread on a
 * shared machine (it leaves out the time other processes held the core). */
static int g_cpu_time;

static double now_s(void) {
  struct timespec t;
  clock_gettime(g_cpu_time ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Best seconds per call of fn over short rounds (at least 10 ms): the machine may be shared, and
 * the best round is the least disturbed one. */
static double time_call(void (*fn)(void *), void *arg) {
  fn(arg); /* warm-up: first-touch of buffers, BLAS thread start */
  int per_round = 1;
  double t0 = now_s();
  fn(arg);
  double one = now_s() - t0;
  if (one < 0.01) per_round = (int)(0.01 / (one > 1e-7 ? one : 1e-7)) + 1;
  double best = 1e30, spent = 0.0;
  for (int round = 0; (round < 5 || spent < BUDGET_S) && round < 400; round++) {
    t0 = now_s();
    for (int i = 0; i < per_round; i++) fn(arg);
    double dt = now_s() - t0;
    spent += dt;
    if (dt / per_round < best) best = dt / per_round;
  }
  return best;
}

static void fill(float *v, int64_t n, unsigned seed) {
  for (int64_t i = 0; i < n; i++) {
    seed = seed * 1103515245u + 12345u;
    v[i] = (float)((seed >> 8) & 0xffff) / 65536.0f - 0.5f;
  }
}

static float *alloc_floats(int64_t n) {
  float *p = malloc((size_t)(n > 0 ? n : 1) * sizeof(float));
  if (!p) {
    fprintf(stderr, "bench_ops: out of memory for %lld floats\n", (long long)n);
    exit(1);
  }
  return p;
}

/* ---- one conv on the cpu backend ---- */

typedef struct conv_run {
  gt_backend *be;
  gt_node node;
  gt_tensor x, w, b, y, dy, dx;
  const gt_tensor *in[3];
  gt_tensor *grad_in[3];
  gt_op_call call;
  int64_t n, c, h, w_, m; /* 3x3, stride 1, pad 1: OH = H, OW = W */
  /* the alternative scheme's buffers */
  float *col_all, *wide;
} conv_run;

static void conv_setup(conv_run *r, gt_backend *be, int64_t n, int64_t c, int64_t h, int64_t w, int64_t m) {
  memset(r, 0, sizeof *r);
  r->be = be, r->n = n, r->c = c, r->h = h, r->w_ = w, r->m = m;
  r->node.op = GT_OP_CONV;
  r->node.name = "bench_conv";
  r->node.n_inputs = 3;
  r->node.p.conv = (gt_conv_params){3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1};
  int64_t xs[4] = {n, c, h, w}, ws[4] = {m, c, 3, 3}, ys[4] = {n, m, h, w};
  gt_tensor_init(&r->x, alloc_floats(n * c * h * w), 4, xs);
  gt_tensor_init(&r->w, alloc_floats(m * c * 9), 4, ws);
  gt_tensor_init(&r->b, alloc_floats(m), 1, &m);
  gt_tensor_init(&r->y, alloc_floats(n * m * h * w), 4, ys);
  gt_tensor_init(&r->dy, alloc_floats(n * m * h * w), 4, ys);
  gt_tensor_init(&r->dx, alloc_floats(n * c * h * w), 4, xs);
  fill(r->x.data, n * c * h * w, 1);
  fill(r->w.data, m * c * 9, 2);
  fill(r->b.data, m, 3);
  fill(r->dy.data, n * m * h * w, 4);
  memset(r->dx.data, 0, (size_t)(n * c * h * w) * sizeof(float));
  r->in[0] = &r->x, r->in[1] = &r->w, r->in[2] = &r->b;
  r->grad_in[0] = &r->dx;
  r->call = (gt_op_call){.node = &r->node, .in = r->in, .out = &r->y};
  /* scratch for both paths (bench_ops times the portable one too) */
  gt_cpu_ctx *ctx = be->ctx;
  ctx->avx2 = 0;
  size_t bytes = be->iface->scratch_bytes[GT_OP_CONV](be, &r->call);
  ctx->avx2 = 1;
  size_t avx2_bytes = be->iface->scratch_bytes[GT_OP_CONV](be, &r->call);
  if (avx2_bytes > bytes) bytes = avx2_bytes;
  r->call.scratch = bytes ? alloc_floats((int64_t)(bytes / sizeof(float)) + 1) : NULL;
  r->call.scratch_bytes = bytes;
  /* The alternative scheme: col [C*9, N*H*W] and one [max(M, C*9), N*H*W] work matrix. */
  int64_t rows = m > c * 9 ? m : c * 9;
  r->col_all = alloc_floats(c * 9 * n * h * w);
  r->wide = alloc_floats(rows * n * h * w);
}

static void conv_teardown(conv_run *r) {
  free(r->x.data), free(r->w.data), free(r->b.data), free(r->y.data), free(r->dy.data), free(r->dx.data);
  free(r->call.scratch), free(r->col_all), free(r->wide);
}

static void check(gt_status st, const gt_error *err) {
  if (st != GT_OK) {
    fprintf(stderr, "bench_ops: %s\n", err->message);
    exit(1);
  }
}

static void conv_forward(void *arg) {
  conv_run *r = arg;
  gt_error err = {0};
  check(r->be->iface->forward[GT_OP_CONV](r->be, &r->call, &err), &err);
}

static void conv_forward_backward(void *arg) {
  conv_run *r = arg;
  gt_error err = {0};
  check(r->be->iface->forward[GT_OP_CONV](r->be, &r->call, &err), &err);
  check(r->be->iface->backward[GT_OP_CONV](r->be, &r->call, &r->dy, r->grad_in, &err), &err);
}

/* The scheme not chosen: im2col of the whole batch side by side (OpenMP over samples), ONE
 * threaded sgemm W [M, C*9] . col [C*9, N*HW] -> wide [M, N*HW], then a scatter into y [N, M, HW]. */
static void alt_forward(void *arg) {
  conv_run *r = arg;
  int64_t hw = r->h * r->w_, ld = r->n * hw, kc = r->c * 9;
  gt_cpu_patch p = {r->h, r->w_, r->h, r->w_, 3, 3, 1, 1, 1, 1, 1, 1};
  int nt = gt_cpu_threads(r->be);
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int64_t s = 0; s < r->n; s++)
    gt_cpu_im2col(&p, r->x.data + s * r->c * hw, 0, r->c, 0, hw, r->col_all + s * hw, ld);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)r->m, (int)ld, (int)kc, 1.0f, r->w.data, (int)kc,
              r->col_all, (int)ld, 0.0f, r->wide, (int)ld);
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int64_t t = 0; t < r->n * r->m; t++) {
    int64_t s = t / r->m, m = t % r->m;
    float *dst = r->y.data + t * hw;
    const float *src = r->wide + m * ld + s * hw;
    for (int64_t i = 0; i < hw; i++) dst[i] = src[i] + r->b.data[m];
  }
}

/* ...and its backward: gather dy into [M, N*HW], ONE threaded sgemm W^T . dy -> dcol, col2im. */
static void alt_forward_backward(void *arg) {
  conv_run *r = arg;
  alt_forward(arg);
  int64_t hw = r->h * r->w_, ld = r->n * hw, kc = r->c * 9;
  gt_cpu_patch p = {r->h, r->w_, r->h, r->w_, 3, 3, 1, 1, 1, 1, 1, 1};
  int nt = gt_cpu_threads(r->be);
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int64_t t = 0; t < r->n * r->m; t++) {
    int64_t s = t / r->m, m = t % r->m;
    memcpy(r->wide + m * ld + s * hw, r->dy.data + t * hw, (size_t)hw * sizeof(float));
  }
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)kc, (int)ld, (int)r->m, 1.0f, r->w.data, (int)kc,
              r->wide, (int)ld, 0.0f, r->col_all, (int)ld);
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int64_t s = 0; s < r->n; s++) gt_cpu_col2im(&p, r->col_all + s * hw, ld, 0, r->c, r->dx.data + s * r->c * hw);
}

/* ---- a small conv model through the executor ---- */

typedef struct model_run {
  gt_model *model;
  float *x, *dx;
  int32_t *labels;
  int64_t n;
} model_run;

static int add_const(gt_graph *g, const char *name, int ndim, const int64_t *shape, unsigned seed) {
  int64_t n = 1;
  for (int d = 0; d < ndim; d++) n *= shape[d];
  float *v = alloc_floats(n);
  fill(v, n, seed);
  for (int64_t i = 0; i < n; i++) v[i] *= 0.2f;
  int id = gt_graph_add_value(g, name, 0, ndim, shape, v, NULL);
  free(v);
  return id;
}

/* x [N,1,28,28] -> conv 1->16 3x3 pad 1 -> relu -> maxpool 2 -> conv 16->32 3x3 pad 1 -> relu
 * -> maxpool 2 -> reshape [N,1568] -> linear 1568->10. Sets *macs to its multiply-adds per sample. */
static gt_graph *build_model(int64_t *macs) {
  gt_graph *g = gt_graph_create();
  if (!g) return NULL;
  int64_t s_x[4] = {-1, 1, 28, 28}, s1[4] = {-1, 16, 28, 28}, s2[4] = {-1, 16, 14, 14}, s3[4] = {-1, 32, 14, 14};
  int64_t s4[4] = {-1, 32, 7, 7}, s5[2] = {-1, 1568}, s6[2] = {-1, 10};
  int64_t w1s[4] = {16, 1, 3, 3}, b1s[1] = {16}, w2s[4] = {32, 16, 3, 3}, b2s[1] = {32}, w3s[2] = {10, 1568};
  int64_t b3s[1] = {10};
  int x = gt_graph_add_value(g, "x", 1, 4, s_x, NULL, NULL);
  int w1 = add_const(g, "w1", 4, w1s, 5), b1 = add_const(g, "b1", 1, b1s, 6);
  int w2 = add_const(g, "w2", 4, w2s, 7), b2 = add_const(g, "b2", 1, b2s, 8);
  int w3 = add_const(g, "w3", 2, w3s, 9), b3 = add_const(g, "b3", 1, b3s, 10);
  int v0 = gt_graph_add_value(g, "c1", 1, 4, s1, NULL, NULL), v1 = gt_graph_add_value(g, "r1", 1, 4, s1, NULL, NULL);
  int v2 = gt_graph_add_value(g, "p1", 1, 4, s2, NULL, NULL), v3 = gt_graph_add_value(g, "c2", 1, 4, s3, NULL, NULL);
  int v4 = gt_graph_add_value(g, "r2", 1, 4, s3, NULL, NULL), v5 = gt_graph_add_value(g, "p2", 1, 4, s4, NULL, NULL);
  int v6 = gt_graph_add_value(g, "f", 1, 2, s5, NULL, NULL), v7 = gt_graph_add_value(g, "logits", 1, 2, s6, NULL, NULL);
  g->input = x;
  g->output = v7;
  gt_conv_params conv = {3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1};
  gt_pool_params pool = {2, 2, 2, 2, 0, 0, 0, 0, 1, 1, 0};
  gt_node *node;
  if ((node = gt_graph_add_node(g, GT_OP_CONV, "conv1", 3, (const int[]){x, w1, b1}, v0, NULL))) node->p.conv = conv;
  gt_graph_add_node(g, GT_OP_RELU, "relu1", 1, (const int[]){v0}, v1, NULL);
  if ((node = gt_graph_add_node(g, GT_OP_MAXPOOL, "pool1", 1, (const int[]){v1}, v2, NULL))) node->p.pool = pool;
  if ((node = gt_graph_add_node(g, GT_OP_CONV, "conv2", 3, (const int[]){v2, w2, b2}, v3, NULL))) node->p.conv = conv;
  gt_graph_add_node(g, GT_OP_RELU, "relu2", 1, (const int[]){v3}, v4, NULL);
  if ((node = gt_graph_add_node(g, GT_OP_MAXPOOL, "pool2", 1, (const int[]){v4}, v5, NULL))) node->p.pool = pool;
  gt_graph_add_node(g, GT_OP_RESHAPE, "flatten", 1, (const int[]){v5}, v6, NULL);
  gt_graph_add_node(g, GT_OP_LINEAR, "fc", 3, (const int[]){v6, w3, b3}, v7, NULL);
  *macs = 16 * 784 * 9 + 32 * 196 * 16 * 9 + 10 * 1568;
  return g;
}

static void model_forward_backward(void *arg) {
  model_run *r = arg;
  gt_error err = {0};
  check(gt_model_loss_grad(r->model, r->x, r->n, GT_LOSS_CE, r->labels, NULL, NULL, r->dx, &err), &err);
}

static void model_forward(void *arg) {
  model_run *r = arg;
  gt_error err = {0};
  check(gt_model_forward(r->model, r->x, r->n, &err), &err);
}

/* ---- the reference rate ---- */

typedef struct sgemm_run {
  int n;
  float *a, *b, *c;
} sgemm_run;

static void sgemm_call(void *arg) {
  sgemm_run *r = arg;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, r->n, r->n, r->n, 1.0f, r->a, r->n, r->b, r->n, 0.0f, r->c,
              r->n);
}

static double sgemm_gflops(int threads) {
  sgemm_run r = {1024, NULL, NULL, NULL};
  int64_t nn = (int64_t)r.n * r.n;
  r.a = alloc_floats(nn), r.b = alloc_floats(nn), r.c = alloc_floats(nn);
  fill(r.a, nn, 11);
  fill(r.b, nn, 12);
  openblas_set_num_threads(threads);
  double t = time_call(sgemm_call, &r);
  openblas_set_num_threads(1); /* back to the cpu backend's setting */
  free(r.a), free(r.b), free(r.c);
  return 2.0 * (double)nn * r.n / t / 1e9;
}

/* One line of the table. */
typedef struct row {
  char what[128];
  int64_t batch;
  double fwd, fwd_bwd; /* GFLOP/s; fwd_bwd < 0: not measured */
} row;

int main(int argc, char **argv) {
  int threads = argc > 1 ? atoi(argv[1]) : 0;
  g_cpu_time = argc > 2 && !strcmp(argv[2], "cpu-time");
  gt_error err = {0};
  gt_backend *be = NULL;
  check(gt_backend_cpu_create(&be, threads, &err), &err);
  int nt = gt_cpu_threads(be);
  /* The reference rate is measured first and again last; the better of the two counts, so a busy
   * moment cannot flatter the ratios. */
  double peak = sgemm_gflops(nt), peak1 = sgemm_gflops(1);
  row rows[32];
  gt_cpu_ctx *ctx = be->ctx;
  int both = gt_cpu_has_avx2_fma(); /* also time the portable paths */
  int n_rows = 0;

  static const struct { const char *name; int64_t c, h, w, m; } convs[] = {
      {"conv 3x3 16->32 on 14x14", 16, 14, 14, 32},
      {"conv 3x3 1->8 on 28x28", 1, 28, 28, 8},
  };
  static const int64_t batches[] = {1, 32, 256};
  for (size_t k = 0; k < sizeof convs / sizeof convs[0]; k++) {
    double flops1 = 2.0 * (double)(convs[k].m * convs[k].h * convs[k].w * convs[k].c * 9); /* per sample, one way */
    for (size_t b = 0; b < sizeof batches / sizeof batches[0]; b++) {
      conv_run r;
      conv_setup(&r, be, batches[b], convs[k].c, convs[k].h, convs[k].w, convs[k].m);
      row *rw = &rows[n_rows++];
      snprintf(rw->what, sizeof rw->what, "%s (cpu backend)", convs[k].name);
      rw->batch = r.n;
      rw->fwd = flops1 * (double)r.n / time_call(conv_forward, &r) / 1e9;
      rw->fwd_bwd = 2.0 * flops1 * (double)r.n / time_call(conv_forward_backward, &r) / 1e9;
      if (both) {
        ctx->avx2 = 0;
        rw = &rows[n_rows++];
        snprintf(rw->what, sizeof rw->what, "%s (portable path: im2col + sgemm)", convs[k].name);
        rw->batch = r.n;
        rw->fwd = flops1 * (double)r.n / time_call(conv_forward, &r) / 1e9;
        rw->fwd_bwd = 2.0 * flops1 * (double)r.n / time_call(conv_forward_backward, &r) / 1e9;
        ctx->avx2 = 1;
      }
      if (r.n == 256) {
        /* The scheme not chosen: BLAS threads on, one big sgemm. */
        openblas_set_num_threads(nt);
        rw = &rows[n_rows++];
        snprintf(rw->what, sizeof rw->what, "%s (alternative: batched im2col + one threaded sgemm)", convs[k].name);
        rw->batch = r.n;
        rw->fwd = flops1 * (double)r.n / time_call(alt_forward, &r) / 1e9;
        rw->fwd_bwd = 2.0 * flops1 * (double)r.n / time_call(alt_forward_backward, &r) / 1e9;
        openblas_set_num_threads(1);
      }
      conv_teardown(&r);
    }
  }

  int64_t macs = 0;
  gt_graph *g = build_model(&macs);
  if (!g) {
    fprintf(stderr, "bench_ops: cannot build the model graph\n");
    return 1;
  }
  model_run mr = {NULL, NULL, NULL, NULL, 256};
  mr.x = alloc_floats(mr.n * 784);
  mr.dx = alloc_floats(mr.n * 784);
  mr.labels = malloc((size_t)mr.n * sizeof(int32_t));
  if (!mr.labels) return 1;
  fill(mr.x, mr.n * 784, 13);
  for (int64_t i = 0; i < mr.n; i++) mr.labels[i] = (int32_t)(i % 10);
  for (int portable = 0; portable <= both; portable++) {
    ctx->avx2 = !portable; /* before the model reserves its scratch */
    check(gt_model_create(g, be, mr.n, &mr.model, &err), &err);
    row *rw = &rows[n_rows++];
    snprintf(rw->what, sizeof rw->what, "conv model (conv 1->16, pool, conv 16->32, pool, linear; executor + CE loss)%s",
             portable ? ", portable paths" : "");
    rw->batch = mr.n;
    rw->fwd = 2.0 * (double)macs * (double)mr.n / time_call(model_forward, &mr) / 1e9;
    rw->fwd_bwd = 4.0 * (double)macs * (double)mr.n / time_call(model_forward_backward, &mr) / 1e9;
    gt_model_free(mr.model);
  }
  ctx->avx2 = 1;
  gt_graph_free(g);
  free(mr.x), free(mr.dx), free(mr.labels);

  double again = sgemm_gflops(nt), again1 = sgemm_gflops(1);
  if (again > peak) peak = again;
  if (again1 > peak1) peak1 = again1;
  printf("cpu backend, %d threads (%d cores); %s\n\n", nt, omp_get_num_procs(), openblas_get_config());
  printf("| what | batch | forward GFLOP/s | forward + input backward GFLOP/s | fwd+bwd vs large sgemm |\n");
  printf("|---|---:|---:|---:|---:|\n");
  printf("| cblas_sgemm 1024^3, %d BLAS threads (reference rate) | - | %.1f | - | 100%% |\n", nt, peak);
  printf("| cblas_sgemm 1024^3, 1 BLAS thread | - | %.1f | - | - |\n", peak1);
  for (int i = 0; i < n_rows; i++)
    printf("| %s | %lld | %.1f | %.1f | %.0f%% |\n", rows[i].what, (long long)rows[i].batch, rows[i].fwd,
           rows[i].fwd_bwd, 100.0 * rows[i].fwd_bwd / peak);
  printf("\nGFLOP/s count 2 x multiply-adds of the layers' formulas (not im2col, padding or tile waste); forward + "
         "input backward counts the forward and the input gradient (as many multiply-adds again). The last column divides by the %d-thread sgemm rate (the better of a "
         "measurement before and one after the rest). Each figure is the best of many short rounds.\n", nt);
  gt_backend_free(be);
  return 0;
}

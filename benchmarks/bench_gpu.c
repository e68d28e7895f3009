/* One attack step (forward + input-gradient backward of the CE loss) on a CUDA device, measured
 * against the time floor of the device's matrix and memory rates (benchmarks/GPU.md explains the
 * model). Built only with the CUDA backend; without a device it prints the floors and fails with
 * a message (exit 1).
 *
 *   bench_gpu [--backend cuda[:N]] [--batch 512] [--steps 50] [--fp32-tflops 67] [--tf32-tflops 495]
 *             [--hbm-tbs 3.35] [model.onnx ...]                  (default: cnn, resnet, mlp fixtures)
 *
 * Rates default to an H100 SXM (assumptions, see GPU.md): FP32 67 TFLOP/s, TF32 tensor cores
 * 495 TFLOP/s dense, HBM3 3.35 TB/s. The floor of a step is max(FLOPs / rate, bytes / bandwidth).
 * Steps are queued back to back and synchronised once at the end, as an attack's step loop runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gauntlet/backend.h"
#include "gauntlet/graph.h"
#include "gauntlet/model.h"
#include "bench_models.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Work of one step at batch n, from the graph: FLOPs and the bytes the executor moves through
 * device memory when every op is its own kernel (each op reads its inputs and writes its output
 * once; backward reads dy, the saved tensors it needs, and reads + writes dx; gradients are
 * zeroed once; conv column matrices are written and read back; weights are read once per pass). */
typedef struct step_cost {
  double flops, bytes, col_bytes;
} step_cost;

static int op_backward_reads_input(gt_op_kind op) {
  switch (op) {
    case GT_OP_MUL: case GT_OP_DIV: case GT_OP_RELU: case GT_OP_LEAKY_RELU: case GT_OP_SIGMOID:
    case GT_OP_TANH: case GT_OP_CLIP: case GT_OP_MAXPOOL: case GT_OP_SOFTMAX: case GT_OP_BATCHNORM:
      return 1;
    default:
      return 0;
  }
}

static step_cost step_cost_of(const gt_graph *g, int64_t n) {
  step_cost c = {0, 0, 0};
  double f = 4.0 * (double)n; /* bytes per float per sample-batch */
  c.flops = 4.0 * (double)gt_graph_macs_per_sample(g) * (double)n; /* 2 fwd + 2 input-grad bwd per MAC */
  for (int k = 0; k < g->n_nodes; k++) {
    const gt_node *node = &g->nodes[k];
    const gt_value *out = &g->values[node->output];
    if (node->op == GT_OP_RESHAPE) continue; /* a view: no kernel, shared gradient */
    double out_e = (double)gt_value_sample_numel(out);
    double fwd = out_e, bwd = out_e; /* write y; read dy */
    for (int i = 0; i < node->n_inputs; i++) {
      const gt_value *v = &g->values[node->inputs[i]];
      double e = (double)gt_value_sample_numel(v);
      if (!v->batched) {
        c.bytes += 2.0 * 4.0 * e; /* weights: read in forward and in backward */
        continue;
      }
      fwd += e;
      bwd += 2.0 * e + 1.0 * e; /* dx read + written, and zeroed once by the executor */
      if (op_backward_reads_input(node->op)) bwd += e;
    }
    if (node->op == GT_OP_CONV && node->n_inputs >= 2) {
      const gt_value *x = &g->values[node->inputs[0]], *w = &g->values[node->inputs[1]];
      const gt_conv_params *p = &node->p.conv;
      int pointwise = w->shape[2] == 1 && w->shape[3] == 1 && p->stride_h == 1 && p->stride_w == 1 &&
                      p->pad_top == 0 && p->pad_left == 0 && p->pad_bottom == 0 && p->pad_right == 0;
      if (!pointwise && out->ndim == 4 && x->ndim == 4) {
        /* col [C*kh*kw, OH*OW] per sample: written and read in forward, and again in backward */
        double col = (double)x->shape[1] * w->shape[2] * w->shape[3] * out->shape[2] * out->shape[3];
        c.col_bytes += 4.0 * col * f;
        fwd += 2.0 * col;
        bwd += 2.0 * col;
      }
    }
    c.bytes += (fwd + bwd) * f;
  }
  return c;
}

typedef struct rates {
  double fp32, tf32, hbm; /* FLOP/s, FLOP/s, bytes/s */
} rates;

static double floor_s(const step_cost *c, double flop_rate, double bw) {
  double a = c->flops / flop_rate, b = c->bytes / bw;
  return a > b ? a : b;
}

/* Mean seconds per step over `steps` queued steps (one synchronisation at the end), or < 0. */
static double measure(gt_model *m, int64_t batch, int steps, gt_error *err) {
  gt_backend *be = gt_model_backend(m);
  int64_t numel = gt_model_input_numel(m);
  size_t x_bytes = (size_t)(batch * numel) * sizeof(float);
  float *x = malloc(x_bytes);
  int32_t *y = malloc((size_t)batch * sizeof(int32_t));
  void *x_dev = NULL, *dx_dev = NULL, *y_dev = NULL;
  double result = -1.0;
  if (!x || !y) goto done;
  for (int64_t i = 0; i < batch * numel; i++) x[i] = (float)((i * 2654435761u) % 1000) / 1000.0f;
  for (int64_t i = 0; i < batch; i++) y[i] = (int32_t)(i % gt_model_num_classes(m));
  if (be->iface->buffer_alloc(be, x_bytes, &x_dev, err) != GT_OK ||
      be->iface->buffer_alloc(be, x_bytes, &dx_dev, err) != GT_OK ||
      be->iface->buffer_alloc(be, (size_t)batch * sizeof(int32_t), &y_dev, err) != GT_OK ||
      be->iface->copy_to_device(be, x_dev, x, x_bytes, err) != GT_OK ||
      be->iface->copy_to_device(be, y_dev, y, (size_t)batch * sizeof(int32_t), err) != GT_OK)
    goto done;
  for (int warm = 0; warm < 3; warm++) /* cuBLAS heuristics, pool blocks, module loading */
    if (gt_model_loss_grad(m, x_dev, batch, GT_LOSS_CE, y_dev, NULL, NULL, dx_dev, err) != GT_OK) goto done;
  if (be->iface->synchronize(be, err) != GT_OK) goto done;
  double t0 = now();
  for (int s = 0; s < steps; s++)
    if (gt_model_loss_grad(m, x_dev, batch, GT_LOSS_CE, y_dev, NULL, NULL, dx_dev, err) != GT_OK) goto done;
  if (be->iface->synchronize(be, err) != GT_OK) goto done;
  result = (now() - t0) / steps;
done:
  if (x_dev) be->iface->buffer_free(be, x_dev);
  if (dx_dev) be->iface->buffer_free(be, dx_dev);
  if (y_dev) be->iface->buffer_free(be, y_dev);
  free(x);
  free(y);
  return result;
}

int main(int argc, char **argv) {
  const char *backend_name = "cuda";
  int64_t batch = 512;
  int steps = 50;
  rates r = {67e12, 495e12, 3.35e12};
  const char *models[16];
  int n_models = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--backend") && i + 1 < argc) backend_name = argv[++i];
    else if (!strcmp(argv[i], "--batch") && i + 1 < argc) batch = atoll(argv[++i]);
    else if (!strcmp(argv[i], "--steps") && i + 1 < argc) steps = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--fp32-tflops") && i + 1 < argc) r.fp32 = atof(argv[++i]) * 1e12;
    else if (!strcmp(argv[i], "--tf32-tflops") && i + 1 < argc) r.tf32 = atof(argv[++i]) * 1e12;
    else if (!strcmp(argv[i], "--hbm-tbs") && i + 1 < argc) r.hbm = atof(argv[++i]) * 1e12;
    else if (argv[i][0] == '-') {
      fprintf(stderr, "usage: bench_gpu [--backend cuda[:N]] [--batch N] [--steps N] [--fp32-tflops R] "
                      "[--tf32-tflops R] [--hbm-tbs R] [model.onnx ...]\n");
      return 2;
    } else if (n_models < 16) models[n_models++] = argv[i];
  }
  if (batch < 1 || steps < 1 || r.fp32 <= 0 || r.tf32 <= 0 || r.hbm <= 0) {
    fprintf(stderr, "bench_gpu: batch, steps and rates must be positive\n");
    return 2;
  }
  bench_default_models(models, &n_models);

  /* The device comes second: the floors print even where there is none. */
  gt_graph *graphs[16] = {0};
  step_cost costs[16];
  printf("Attack step (CE forward + input-gradient backward) at batch %lld; rates assumed: FP32 %.0f TFLOP/s, "
         "TF32 %.0f TFLOP/s, memory %.2f TB/s\n\n",
         (long long)batch, r.fp32 / 1e12, r.tf32 / 1e12, r.hbm / 1e12);
  printf("| model | GFLOP/step | MB/step | of which im2col MB | floor FP32 (ms) | floor TF32 (ms) | bound by | "
         "floor without im2col (ms) |\n");
  printf("| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |\n");
  for (int i = 0; i < n_models; i++) {
    gt_error err = {0};
    if (gt_graph_load_classifier(models[i], 0, NULL, NULL, &graphs[i], &err) != GT_OK) {
      fprintf(stderr, "bench_gpu: %s\n", err.message);
      return 1;
    }
    costs[i] = step_cost_of(graphs[i], batch);
    const char *base = strrchr(models[i], '/') ? strrchr(models[i], '/') + 1 : models[i];
    double fp32 = floor_s(&costs[i], r.fp32, r.hbm), tf32 = floor_s(&costs[i], r.tf32, r.hbm);
    step_cost direct = costs[i]; /* an implicit-GEMM conv never writes the column matrix out */
    direct.bytes -= direct.col_bytes;
    printf("| %s | %.2f | %.1f | %.1f | %.4f | %.4f | %s | %.4f |\n", base, costs[i].flops / 1e9,
           costs[i].bytes / 1e6, costs[i].col_bytes / 1e6, fp32 * 1e3, tf32 * 1e3,
           costs[i].flops / r.fp32 > costs[i].bytes / r.hbm ? "FP32 math" : "memory",
           floor_s(&direct, r.fp32, r.hbm) * 1e3);
  }
  fflush(stdout);

  gt_error err = {0};
  gt_backend *be = NULL;
  if (gt_backend_create(backend_name, &be, &err) != GT_OK) {
    fprintf(stderr, "bench_gpu: no CUDA device to measure on (backend '%s'): %s\n", backend_name, err.message);
    for (int i = 0; i < n_models; i++) gt_graph_free(graphs[i]);
    return 1;
  }
  printf("\nMeasured on backend %s, %d queued steps per model:\n\n", be->iface->name, steps);
  printf("| model | step (ms) | floor FP32 (ms) | step / floor | samples/s |\n| --- | ---: | ---: | ---: | ---: |\n");
  int status = 0;
  for (int i = 0; i < n_models && status == 0; i++) {
    gt_model *m = NULL;
    if (gt_model_create(graphs[i], be, batch, &m, &err) != GT_OK) {
      fprintf(stderr, "bench_gpu: %s\n", err.message);
      status = 1;
      break;
    }
    double t = measure(m, batch, steps, &err);
    if (t < 0) {
      fprintf(stderr, "bench_gpu: %s\n", err.message);
      status = 1;
    } else {
      double fl = floor_s(&costs[i], r.fp32, r.hbm);
      const char *base = strrchr(models[i], '/') ? strrchr(models[i], '/') + 1 : models[i];
      printf("| %s | %.4f | %.4f | %.1fx | %.0f |\n", base, t * 1e3, fl * 1e3, t / fl, (double)batch / t);
      fflush(stdout);
    }
    gt_model_free(m);
  }
  gt_backend_free(be);
  for (int i = 0; i < n_models; i++) gt_graph_free(graphs[i]);
  return status;
}

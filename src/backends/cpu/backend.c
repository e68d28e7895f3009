/* The cpu backend: 64-byte aligned host memory and the vtable of fast CPU ops (OpenBLAS sgemm,
 * im2col, OpenMP loops). Every op computes what the ref backend computes, up to float rounding.
 *
 * Threading scheme: OpenMP threads own the cores; BLAS runs single-threaded inside them.
 *  - gt_backend_cpu_create calls openblas_set_num_threads(1) (a process-wide setting of the
 *    pthreads OpenBLAS), and every op parallelises with OpenMP (num_threads(ctx->n_threads)):
 *    conv over (sample, group) tasks, each thread with its own slice of the preallocated scratch
 *    for its im2col matrix and its own sgemm; linear over fixed blocks of rows; elementwise and
 *    pooling ops over rows or planes. The two thread pools (OpenMP's and OpenBLAS's) never spin
 *    against each other on the same cores.
 *  - Why: benchmarks/bench_ops.c times both schemes in one run. On the project machine (2-core
 *    EPYC, AVX2/FMA; 1024^3 sgemm at 68 GFLOP/s on 2 threads) a 3x3 conv 16->32 on 14x14 at
 *    batch 256, forward + input backward, ran at 37 GFLOP/s this way and at 23 GFLOP/s as one
 *    batched im2col + one threaded sgemm + a layout transpose (1->8 on 28x28: 16 against 7): the
 *    batched column matrix leaves the cache, and the transposes are extra passes over memory.
 *  - Large batches: the executor (src/model/model.c, asking gt_cpu_exec_threads) runs them as
 *    fixed pieces of samples, one whole pass per piece, the pieces side by side on the threads;
 *    an op called inside that parallel region runs on one thread (OpenMP nesting is off).
 *  - Determinism: how work is cut into tasks depends on the shapes only, never on the number of
 *    threads, and no float sum crosses tasks; so the output bytes are the same for any n_threads.
 *    (Convolutions of a batch below GT_CPU_CONV_WIDE_BATCH are cut inside the sample instead, by
 *    fixed column blocks and by channels, still independently of the thread count.) */
#include "cpu_ops.h"
#include "cpu_exec.h"
#include "../vecops_tables.h"
#include "backends/train_common.h"

#include <cblas.h>
#include <omp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int gt_cpu_has_avx2_fma(void) {
  static int known = -1;
  int v;
#pragma omp atomic read
  v = known;
  if (v < 0) {
    __builtin_cpu_init();
    v = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#pragma omp atomic write
    known = v;
  }
  return v;
}

int gt_cpu_avx2(const gt_backend *be) {
  const gt_cpu_ctx *ctx = be ? (const gt_cpu_ctx *)be->ctx : NULL;
  return ctx && ctx->avx2 && gt_cpu_has_avx2_fma();
}

int gt_cpu_threads(const gt_backend *be) {
  const gt_cpu_ctx *ctx = be ? (const gt_cpu_ctx *)be->ctx : NULL;
  return ctx && ctx->n_threads > 0 ? ctx->n_threads : 1;
}

/* 64-byte alignment: a cache line, and what AVX-512 loads would want. New memory is filled with
 * NaN bytes (0xFF), as the ref backend does, so reading memory nobody wrote shows up in tests. */
static gt_status cpu_buffer_alloc(gt_backend *be, size_t bytes, void **ptr, gt_error *err) {
  if (!ptr) return gt_error_set(err, GT_ERR_USAGE, "cpu buffer_alloc: no output pointer");
  *ptr = NULL;
  if (bytes > SIZE_MAX - 64) return gt_error_set(err, GT_ERR_LIMIT, "cpu buffer_alloc: %zu bytes is too many", bytes);
  size_t rounded = (bytes + 63) / 64 * 64;
  void *p = NULL;
  if (posix_memalign(&p, 64, rounded ? rounded : 64) != 0 || !p)
    return gt_error_set(err, GT_ERR_MEMORY, "cpu buffer_alloc: out of memory for %zu bytes", bytes);
  memset(p, 0xFF, rounded);
  *ptr = p;
  return GT_OK;
}

static void cpu_buffer_free(gt_backend *be, void *ptr) { free(ptr); }

/* Fills and copies of 512 KiB and more (an attack's [256, 784] state is 800 KB) are split into
 * fixed 256 KiB pieces over the threads: one core alone does not reach the memory bandwidth. */
#define GT_CPU_MEM_PIECE ((size_t)256 * 1024)

static void par_memset(void *ptr, size_t bytes, int nt) {
  if (bytes < 2 * GT_CPU_MEM_PIECE || nt < 2) {
    memset(ptr, 0, bytes);
    return;
  }
  int64_t pieces = (int64_t)((bytes + GT_CPU_MEM_PIECE - 1) / GT_CPU_MEM_PIECE);
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int64_t k = 0; k < pieces; k++) {
    size_t at = (size_t)k * GT_CPU_MEM_PIECE, len = bytes - at < GT_CPU_MEM_PIECE ? bytes - at : GT_CPU_MEM_PIECE;
    memset((char *)ptr + at, 0, len);
  }
}

static gt_status cpu_copy(const gt_backend *be, const char *what, void *dst, const void *src, size_t bytes,
                          gt_error *err) {
  if (bytes == 0) return GT_OK;
  if (!dst || !src) return gt_error_set(err, GT_ERR_USAGE, "cpu %s: NULL pointer for %zu bytes", what, bytes);
  uintptr_t d = (uintptr_t)dst, s = (uintptr_t)src;
  int overlap = d < s + bytes && s < d + bytes;
  int nt = gt_cpu_threads(be);
  if (overlap || bytes < 2 * GT_CPU_MEM_PIECE || nt < 2) {
    memmove(dst, src, bytes); /* memmove: device-to-device copies within one buffer may overlap */
    return GT_OK;
  }
  int64_t pieces = (int64_t)((bytes + GT_CPU_MEM_PIECE - 1) / GT_CPU_MEM_PIECE);
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int64_t k = 0; k < pieces; k++) {
    size_t at = (size_t)k * GT_CPU_MEM_PIECE, len = bytes - at < GT_CPU_MEM_PIECE ? bytes - at : GT_CPU_MEM_PIECE;
    memcpy((char *)dst + at, (const char *)src + at, len);
  }
  return GT_OK;
}

static gt_status cpu_copy_to_device(gt_backend *be, void *dst, const void *src, size_t bytes, gt_error *err) {
  return cpu_copy(be, "copy_to_device", dst, src, bytes, err);
}

static gt_status cpu_copy_to_host(gt_backend *be, void *dst, const void *src, size_t bytes, gt_error *err) {
  return cpu_copy(be, "copy_to_host", dst, src, bytes, err);
}

static gt_status cpu_copy_device(gt_backend *be, void *dst, const void *src, size_t bytes, gt_error *err) {
  return cpu_copy(be, "copy_device", dst, src, bytes, err);
}

static gt_status cpu_fill_zero(gt_backend *be, void *ptr, size_t bytes, gt_error *err) {
  if (bytes == 0) return GT_OK;
  if (!ptr) return gt_error_set(err, GT_ERR_USAGE, "cpu fill_zero: NULL pointer for %zu bytes", bytes);
  par_memset(ptr, bytes, gt_cpu_threads(be)); /* all-zero bytes are 0.0f and int32 0 */
  return GT_OK;
}

/* Every op has finished when it returns: there is no queue to wait for. */
static gt_status cpu_synchronize(gt_backend *be, gt_error *err) { return GT_OK; }

static void cpu_destroy(gt_backend *be) {
  if (!be) return;
  free(be->ctx);
  free(be);
}

static const gt_backend_iface cpu_iface = {
    .name = "cpu",
    .buffer_alloc = cpu_buffer_alloc,
    .buffer_free = cpu_buffer_free,
    .copy_to_device = cpu_copy_to_device,
    .copy_to_host = cpu_copy_to_host,
    .copy_device = cpu_copy_device,
    .fill_zero = cpu_fill_zero,
    .synchronize = cpu_synchronize,
    .destroy = cpu_destroy,
    .forward =
        {
            [GT_OP_CONV] = gt_cpu_conv_forward,
            [GT_OP_LINEAR] = gt_cpu_linear_forward,
            [GT_OP_ADD] = gt_cpu_binary_forward,
            [GT_OP_SUB] = gt_cpu_binary_forward,
            [GT_OP_MUL] = gt_cpu_binary_forward,
            [GT_OP_DIV] = gt_cpu_binary_forward,
            [GT_OP_RELU] = gt_cpu_unary_forward,
            [GT_OP_LEAKY_RELU] = gt_cpu_unary_forward,
            [GT_OP_SIGMOID] = gt_cpu_unary_forward,
            [GT_OP_TANH] = gt_cpu_unary_forward,
            [GT_OP_CLIP] = gt_cpu_unary_forward,
            [GT_OP_MAXPOOL] = gt_cpu_maxpool_forward,
            [GT_OP_AVGPOOL] = gt_cpu_avgpool_forward,
            [GT_OP_BATCHNORM] = gt_cpu_batchnorm_forward,
            [GT_OP_RESHAPE] = gt_cpu_reshape_forward,
            [GT_OP_TRANSPOSE] = gt_cpu_transpose_forward,
            [GT_OP_CONCAT] = gt_cpu_concat_forward,
            [GT_OP_PAD] = gt_cpu_pad_forward,
            [GT_OP_SOFTMAX] = gt_cpu_softmax_forward,
        },
    .backward =
        {
            [GT_OP_CONV] = gt_cpu_conv_backward,
            [GT_OP_LINEAR] = gt_cpu_linear_backward,
            [GT_OP_ADD] = gt_cpu_binary_backward,
            [GT_OP_SUB] = gt_cpu_binary_backward,
            [GT_OP_MUL] = gt_cpu_binary_backward,
            [GT_OP_DIV] = gt_cpu_binary_backward,
            [GT_OP_RELU] = gt_cpu_unary_backward,
            [GT_OP_LEAKY_RELU] = gt_cpu_unary_backward,
            [GT_OP_SIGMOID] = gt_cpu_unary_backward,
            [GT_OP_TANH] = gt_cpu_unary_backward,
            [GT_OP_CLIP] = gt_cpu_unary_backward,
            [GT_OP_MAXPOOL] = gt_cpu_maxpool_backward,
            [GT_OP_AVGPOOL] = gt_cpu_avgpool_backward,
            [GT_OP_BATCHNORM] = gt_cpu_batchnorm_backward,
            [GT_OP_RESHAPE] = gt_cpu_reshape_backward,
            [GT_OP_TRANSPOSE] = gt_cpu_transpose_backward,
            [GT_OP_CONCAT] = gt_cpu_concat_backward,
            [GT_OP_PAD] = gt_cpu_pad_backward,
            [GT_OP_SOFTMAX] = gt_cpu_softmax_backward,
        },
    .scratch_bytes =
        {
            [GT_OP_CONV] = gt_cpu_conv_scratch,
        },
    .call_flags =
        {
            [GT_OP_CONV] = GT_CALL_RELU | GT_CALL_WRITE_GRAD,
            [GT_OP_MAXPOOL] = GT_CALL_WRITE_GRAD,
            [GT_OP_LINEAR] = GT_CALL_WRITE_GRAD,
            [GT_OP_RELU] = GT_CALL_WRITE_GRAD,
            [GT_OP_LEAKY_RELU] = GT_CALL_WRITE_GRAD,
            [GT_OP_SIGMOID] = GT_CALL_WRITE_GRAD,
            [GT_OP_TANH] = GT_CALL_WRITE_GRAD,
            [GT_OP_CLIP] = GT_CALL_WRITE_GRAD,
        },
    .loss = gt_cpu_loss,
    .vec = &gt_cpu_vec_iface, /* vecops.c: the attack vector ops */
    .train = &gt_cpu_train_iface, /* train.c: weight gradients, batch norm training, SGD */
};

/* One small sgemm with a long inner dimension (64 x 64 x 300) on every thread of the team, once.
 * Measured on the project machine (OpenBLAS 0.3.21, pthreads build, Zen kernels): without it,
 * the per-sample sgemms of a conv (e.g. 32 x 196 x 144) run at ~14 GFLOP/s per core for the life
 * of the process; after it, at ~34. Any sgemm whose inner dimension spans more than one of
 * OpenBLAS's blocks has the effect (it lasts per thread); the cause inside OpenBLAS (its lazily
 * mapped work buffer is the likely place) was not pinned down. Skipped if memory is short: it
 * only costs speed. */
static void warm_up_blas(int n_threads) {
#pragma omp parallel num_threads(n_threads)
  {
    float *a = calloc(64 * 300, sizeof(float)), *b = calloc(300 * 64, sizeof(float));
    float *c = calloc(64 * 64, sizeof(float));
    if (a && b && c)
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 64, 64, 300, 1.0f, a, 300, b, 64, 0.0f, c, 64);
    free(a);
    free(b);
    free(c);
  }
}

int gt_cpu_exec_threads(const gt_backend *be) { return be && be->iface == &cpu_iface ? gt_cpu_threads(be) : 0; }

gt_status gt_backend_cpu_create(gt_backend **out, int n_threads, gt_error *err) {
  if (!out) return gt_error_set(err, GT_ERR_USAGE, "gt_backend_cpu_create: no output pointer");
  *out = NULL;
  if (n_threads > 4096)
    return gt_error_set(err, GT_ERR_USAGE, "gt_backend_cpu_create: %d threads is more than 4096", n_threads);
  gt_backend *be = calloc(1, sizeof *be);
  gt_cpu_ctx *ctx = calloc(1, sizeof *ctx);
  if (!be || !ctx) {
    free(be);
    free(ctx);
    return gt_error_set(err, GT_ERR_MEMORY, "gt_backend_cpu_create: out of memory");
  }
  ctx->n_threads = n_threads > 0 ? n_threads : omp_get_max_threads();
  if (ctx->n_threads < 1) ctx->n_threads = 1;
  ctx->avx2 = 1;
  /* The scheme above: BLAS runs inside OpenMP threads, one core each. */
  openblas_set_num_threads(1);
  warm_up_blas(ctx->n_threads);
  be->iface = &cpu_iface;
  be->ctx = ctx;
  *out = be;
  return GT_OK;
}

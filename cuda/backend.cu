/* The CUDA backend's vtable (gauntlet/backend.h): "cuda" under nvcc, "cuda-emu" in the emulation
 * build. Memory comes from a caching pool (context.h); copies, fills and kernels run on one stream
 * per backend; copy_to_host and synchronize wait for it. The op tables are filled from
 * cuda/ops/table_*.cu; loss and vector ops come from cuda/loss.cu and cuda/vecops*.cu, the training
 * table from cuda/train/. */
#include "context.h"
#include "gauntlet/cuda.h"
#include "ops/cuda_ops.h"
#include "train/cuda_train.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

gt_cuda_ctx *gt_cuda_ctx_of(gt_backend *be) { return (gt_cuda_ctx *)be->ctx; }

/* Sizes are rounded so that buffers of nearly the same size share blocks. The emulation build
 * keeps exact sizes, so AddressSanitizer sees every byte past the end of a buffer. */
static size_t pool_round(size_t bytes) {
#ifdef GT_CUDA_EMU
  return bytes ? bytes : 1;
#else
  return bytes <= 512 ? 512 : (bytes + 511) / 512 * 512;
#endif
}

static void pool_release_cached(gt_cuda_pool *p) {
  size_t kept = 0;
  for (size_t i = 0; i < p->n; i++) {
    if (p->blocks[i].in_use) {
      p->blocks[kept++] = p->blocks[i];
      continue;
    }
    cudaFree(p->blocks[i].ptr);
  }
  p->n = kept;
  p->cached_bytes = 0;
}

static gt_status cuda_buffer_alloc(gt_backend *be, size_t bytes, void **ptr, gt_error *err) {
  if (!ptr) return gt_error_set(err, GT_ERR_USAGE, "cuda buffer_alloc: no output pointer");
  *ptr = NULL;
  gt_cuda_ctx *ctx = gt_cuda_ctx_of(be);
  gt_cuda_pool *p = &ctx->pool;
  if (bytes > ((size_t)1 << 40)) return gt_error_set(err, GT_ERR_LIMIT, "cuda buffer_alloc: %zu bytes is too many", bytes);
  size_t need = pool_round(bytes);
  for (size_t i = 0; i < p->n; i++) {
    if (p->blocks[i].in_use || p->blocks[i].bytes != need) continue;
    p->blocks[i].in_use = 1;
    p->cached_bytes -= need;
    p->live_bytes += need;
#ifdef GT_CUDA_EMU
    memset(p->blocks[i].ptr, 0xFF, need); /* reused memory holds garbage, as on a device */
#endif
    *ptr = p->blocks[i].ptr;
    return GT_OK;
  }
  if (p->n == p->cap) {
    size_t cap = p->cap ? 2 * p->cap : 64;
    gt_cuda_block *b = (gt_cuda_block *)realloc(p->blocks, cap * sizeof *b);
    if (!b) return gt_error_set(err, GT_ERR_MEMORY, "cuda buffer_alloc: out of host memory for the pool");
    p->blocks = b;
    p->cap = cap;
  }
  void *d = NULL;
  cudaError_t e = cudaMalloc(&d, need);
  if (e == cudaErrorMemoryAllocation && p->cached_bytes > 0) {
    (void)cudaGetLastError(); /* an allocation failure is not sticky: clear it and retry */
    pool_release_cached(p);
    e = cudaMalloc(&d, need);
  }
  if (e != cudaSuccess) {
    (void)cudaGetLastError();
    if (e == cudaErrorMemoryAllocation)
      return gt_error_set(err, GT_ERR_MEMORY,
                          "%s buffer_alloc: out of device memory for %zu bytes (%zu MiB already in use on device %d)",
                          ctx->iface.name, bytes, p->live_bytes >> 20, ctx->device);
    return gt_cuda_fail(err, "cudaMalloc", e, __FILE__, __LINE__);
  }
  p->blocks[p->n++] = gt_cuda_block{d, need, 1};
  p->live_bytes += need;
  *ptr = d;
  return GT_OK;
}

static void cuda_buffer_free(gt_backend *be, void *ptr) {
  if (!ptr) return;
  gt_cuda_pool *p = &gt_cuda_ctx_of(be)->pool;
  for (size_t i = 0; i < p->n; i++) {
    if (p->blocks[i].ptr != ptr || !p->blocks[i].in_use) continue;
    p->blocks[i].in_use = 0;
    p->live_bytes -= p->blocks[i].bytes;
    p->cached_bytes += p->blocks[i].bytes;
    return;
  }
}

static gt_status cuda_copy(gt_backend *be, const char *what, void *dst, const void *src, size_t bytes,
                           cudaMemcpyKind kind, gt_error *err) {
  if (bytes == 0) return GT_OK;
  if (!dst || !src) return gt_error_set(err, GT_ERR_USAGE, "cuda %s: NULL pointer for %zu bytes", what, bytes);
  cudaStream_t s = gt_cuda_stream(be);
  GT_CUDA_TRY(cudaMemcpyAsync(dst, src, bytes, kind, s));
  /* The caller reads host memory right after copy_to_host returns. */
  if (kind == cudaMemcpyDeviceToHost) GT_CUDA_TRY(cudaStreamSynchronize(s));
  return GT_OK;
}

static gt_status cuda_copy_to_device(gt_backend *be, void *dst, const void *src, size_t bytes, gt_error *err) {
  return cuda_copy(be, "copy_to_device", dst, src, bytes, cudaMemcpyHostToDevice, err);
}

static gt_status cuda_copy_to_host(gt_backend *be, void *dst, const void *src, size_t bytes, gt_error *err) {
  return cuda_copy(be, "copy_to_host", dst, src, bytes, cudaMemcpyDeviceToHost, err);
}

static gt_status cuda_copy_device(gt_backend *be, void *dst, const void *src, size_t bytes, gt_error *err) {
  return cuda_copy(be, "copy_device", dst, src, bytes, cudaMemcpyDeviceToDevice, err);
}

static gt_status cuda_fill_zero(gt_backend *be, void *ptr, size_t bytes, gt_error *err) {
  if (bytes == 0) return GT_OK;
  if (!ptr) return gt_error_set(err, GT_ERR_USAGE, "cuda fill_zero: NULL pointer for %zu bytes", bytes);
  GT_CUDA_TRY(cudaMemsetAsync(ptr, 0, bytes, gt_cuda_stream(be)));
  return GT_OK;
}

static gt_status cuda_synchronize(gt_backend *be, gt_error *err) {
  GT_CUDA_TRY(cudaStreamSynchronize(gt_cuda_stream(be)));
  return GT_OK;
}

static void cuda_destroy(gt_backend *be) {
  if (!be) return;
  gt_cuda_ctx *ctx = gt_cuda_ctx_of(be);
  if (ctx) {
    if (ctx->stream) cudaStreamSynchronize(ctx->stream);
    for (size_t i = 0; i < ctx->pool.n; i++) cudaFree(ctx->pool.blocks[i].ptr);
    cudaFree(ctx->train_ws);
    free(ctx->pool.blocks);
    if (ctx->blas) cublasDestroy(ctx->blas);
    if (ctx->stream) cudaStreamDestroy(ctx->stream);
    free(ctx);
  }
  free(be);
}

/* Sets up device `ordinal`: stream, cuBLAS handle bound to it, vtable. */
static gt_status cuda_setup(gt_cuda_ctx *ctx, int ordinal, gt_error *err) {
  ctx->device = ordinal;
  GT_CUDA_TRY(cudaSetDevice(ordinal));
  cudaDeviceProp prop;
  GT_CUDA_TRY(cudaGetDeviceProperties(&prop, ordinal));
  snprintf(ctx->name, sizeof ctx->name, "%s", prop.name);
  GT_CUDA_TRY(cudaStreamCreateWithFlags(&ctx->stream, cudaStreamNonBlocking));
  GT_CUBLAS_TRY(cublasCreate(&ctx->blas));
  GT_CUBLAS_TRY(cublasSetStream(ctx->blas, ctx->stream));
  const char *sync = getenv("GAUNTLET_CUDA_SYNC");
  ctx->sync = sync && strcmp(sync, "1") == 0;
  gt_backend_iface *t = &ctx->iface;
#ifdef GT_CUDA_EMU
  t->name = "cuda-emu";
#else
  t->name = "cuda";
#endif
  t->buffer_alloc = cuda_buffer_alloc;
  t->buffer_free = cuda_buffer_free;
  t->copy_to_device = cuda_copy_to_device;
  t->copy_to_host = cuda_copy_to_host;
  t->copy_device = cuda_copy_device;
  t->fill_zero = cuda_fill_zero;
  t->synchronize = cuda_synchronize;
  t->destroy = cuda_destroy;
  gt_cuda_fill_core_ops(t);
  gt_cuda_fill_layout_ops(t);
  t->train = &gt_cuda_train_iface;
  return GT_OK;
}

static gt_status cuda_create(int ordinal, gt_backend **out, gt_error *err) {
  if (!out) return gt_error_set(err, GT_ERR_USAGE, "cuda backend: no output pointer");
  *out = NULL;
  gt_backend *be = (gt_backend *)calloc(1, sizeof *be);
  gt_cuda_ctx *ctx = (gt_cuda_ctx *)calloc(1, sizeof *ctx);
  if (!be || !ctx) {
    free(be);
    free(ctx);
    return gt_error_set(err, GT_ERR_MEMORY, "cuda backend: out of host memory");
  }
  be->ctx = ctx;
  be->iface = &ctx->iface;
  gt_status st = cuda_setup(ctx, ordinal, err);
  if (st != GT_OK) {
    gt_error_prefix(err, "creating the CUDA backend on device %d: ", ordinal);
    cuda_destroy(be);
    return st;
  }
  *out = be;
  return GT_OK;
}

/* ---- the plugin's C entry points (gauntlet/cuda.h), resolved by src/backends/cuda_loader.c ---- */

extern "C" GT_CUDA_EXPORT int gt_cuda_plugin_abi(void) { return GT_CUDA_PLUGIN_ABI; }

extern "C" GT_CUDA_EXPORT gt_status gt_cuda_plugin_device_count(int *count, gt_error *err) {
  *count = 0;
  int n = 0;
  cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess) {
    (void)cudaGetLastError();
    return gt_error_set(err, GT_ERR_UNSUPPORTED, "no usable CUDA device: cudaGetDeviceCount failed with %s (error %d)",
                        cudaGetErrorString(e), (int)e);
  }
  *count = n;
  return GT_OK;
}

extern "C" GT_CUDA_EXPORT gt_status gt_cuda_plugin_device_info(int ordinal, gt_cuda_device_info *info, gt_error *err) {
  memset(info, 0, sizeof *info);
  info->ordinal = ordinal;
  cudaDeviceProp prop;
  GT_CUDA_TRY(cudaGetDeviceProperties(&prop, ordinal));
  snprintf(info->name, sizeof info->name, "%s", prop.name);
  info->cc_major = prop.major;
  info->cc_minor = prop.minor;
  info->multiprocessors = prop.multiProcessorCount;
  info->total_bytes = prop.totalGlobalMem;
  GT_CUDA_TRY(cudaSetDevice(ordinal));
  GT_CUDA_TRY(cudaMemGetInfo(&info->free_bytes, &info->total_bytes));
  return GT_OK;
}

extern "C" GT_CUDA_EXPORT gt_status gt_cuda_plugin_create(int ordinal, gt_backend **out, gt_error *err) {
  return cuda_create(ordinal, out, err);
}

#ifdef GT_CUDA_EMU
extern "C" gt_status gt_backend_cuda_emu_create(gt_backend **out, gt_error *err) { return cuda_create(0, out, err); }
#endif

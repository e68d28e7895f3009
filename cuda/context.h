/* The CUDA backend's context (be->ctx): device, stream, cuBLAS handle, the sync flag and the
 * memory pool, plus small helpers every op file uses. */
#ifndef GT_CUDA_CONTEXT_H
#define GT_CUDA_CONTEXT_H

#include <stddef.h>

#include "gt_cuda.h"

/* One device allocation the pool owns; free blocks are kept for reuse instead of cudaFree. */
typedef struct gt_cuda_block {
  void *ptr;
  size_t bytes; /* rounded size */
  int in_use;
} gt_cuda_block;

/* A caching allocator: buffer_free keeps the block, buffer_alloc reuses a free block of the same
 * rounded size before calling cudaMalloc, so the steady state of an attack loop (the same buffers
 * freed and asked for again) never reaches cudaMalloc, which synchronises the device. */
typedef struct gt_cuda_pool {
  gt_cuda_block *blocks;
  size_t n, cap;
  size_t live_bytes, cached_bytes;
} gt_cuda_pool;

typedef struct gt_cuda_ctx {
  int device;            /* CUDA device ordinal */
  cudaStream_t stream;   /* every kernel, copy and cuBLAS call of this backend runs on it */
  cublasHandle_t blas;   /* bound to stream */
  int sync;              /* GAUNTLET_CUDA_SYNC=1 at creation: synchronise after every launch */
  char name[256];        /* device name */
  gt_cuda_pool pool;
  void *train_ws;         /* the training reductions' workspace (cuda/train/workspace.cu), grown on demand */
  size_t train_ws_bytes;
  gt_backend_iface iface; /* this backend's vtable (op tables filled at creation) */
} gt_cuda_ctx;

gt_cuda_ctx *gt_cuda_ctx_of(gt_backend *be);

static inline cudaStream_t gt_cuda_stream(gt_backend *be) { return gt_cuda_ctx_of(be)->stream; }

/* Copies `bytes` of device memory to a new host buffer (*host, free() it), synchronously: for
 * argument checks that must read small [n] arrays (indices, labels, radii) before a kernel runs. */
gt_status gt_cuda_fetch(gt_backend *be, const void *dev, size_t bytes, void **host, gt_error *err);

/* Fills the op tables of iface: the core ops (cuda/ops/table_core.cu) and the layout ops
 * (cuda/ops/table_layout.cu). */
void gt_cuda_fill_core_ops(gt_backend_iface *iface);
void gt_cuda_fill_layout_ops(gt_backend_iface *iface);

#endif

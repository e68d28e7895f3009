/* The device workspace of the training reductions (channel_sums.h): one buffer per backend, kept
 * in its context and grown when a call needs more, so a training step in the steady state
 * allocates nothing. Work on the backend's one stream runs in order, so each call may reuse the
 * buffer the previous call's kernels used; growing frees the old buffer (cudaFree waits for the
 * device first). */
#include "cuda_train.h"

/* Partial sums per channel: enough to keep the device busy on a wide channel, few enough that
 * the finishing thread's loop stays short. */
#define GT_CUDA_CHAN_PARTS 256
/* Smallest workspace: the small reductions of a network share one buffer from the first call. */
#define GT_CUDA_WORKSPACE_MIN ((size_t)1 << 16)

static gt_status workspace(gt_backend *be, size_t bytes, void **out, gt_error *err) {
  gt_cuda_ctx *ctx = gt_cuda_ctx_of(be);
  if (bytes > ctx->train_ws_bytes) {
    size_t grow = bytes > GT_CUDA_WORKSPACE_MIN ? bytes : GT_CUDA_WORKSPACE_MIN;
    GT_CUDA_TRY(cudaFree(ctx->train_ws));
    ctx->train_ws = NULL;
    ctx->train_ws_bytes = 0;
    cudaError_t e = cudaMalloc(&ctx->train_ws, grow);
    if (e != cudaSuccess) {
      (void)cudaGetLastError(); /* an allocation failure is not sticky */
      ctx->train_ws = NULL;
      return gt_cuda_fail(err, "cudaMalloc (training workspace)", e, __FILE__, __LINE__);
    }
    ctx->train_ws_bytes = grow;
  }
  *out = ctx->train_ws;
  return GT_OK;
}

gt_status gt_cuda_chan_begin(gt_backend *be, int64_t outer, int64_t channels, int64_t inner, int64_t extra_floats,
                             gt_cuda_chan *ch, gt_error *err) {
  int64_t m = outer * inner;
  ch->outer = outer;
  ch->channels = channels;
  ch->inner = inner;
  ch->parts = m < GT_CUDA_CHAN_PARTS ? (m > 0 ? m : 1) : GT_CUDA_CHAN_PARTS;
  size_t part_bytes = (size_t)(channels * ch->parts * 2) * sizeof(double);
  void *ws = NULL;
  gt_status st = workspace(be, part_bytes + (size_t)extra_floats * sizeof(float), &ws, err);
  if (st != GT_OK) return st;
  ch->part = (double *)ws;
  ch->extra = (float *)((char *)ws + part_bytes);
  return GT_OK;
}

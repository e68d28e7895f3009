/* Error reporting of the CUDA backend: checked runtime / cuBLAS calls, the launch check, and the
 * synchronous fetch of small device arrays for argument checks. */
#include "context.h"

#include <stdlib.h>

gt_status gt_cuda_fail(gt_error *err, const char *expr, cudaError_t e, const char *file, int line) {
  gt_status code = e == cudaErrorMemoryAllocation ? GT_ERR_MEMORY : GT_ERR_BACKEND;
  return gt_error_set(err, code, "CUDA call %s failed: %s (error %d) at %s:%d", expr, cudaGetErrorString(e), (int)e,
                      file, line);
}

gt_status gt_cublas_fail(gt_error *err, const char *expr, cublasStatus_t s, const char *file, int line) {
  gt_status code = s == CUBLAS_STATUS_ALLOC_FAILED ? GT_ERR_MEMORY : GT_ERR_BACKEND;
  return gt_error_set(err, code, "cuBLAS call %s failed: %s (status %d) at %s:%d", expr, cublasGetStatusString(s),
                      (int)s, file, line);
}

gt_status gt_cuda_launch_check(gt_backend *be, gt_error *err, const char *file, int line) {
  cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess) return gt_cuda_fail(err, "kernel launch", e, file, line);
  gt_cuda_ctx *ctx = gt_cuda_ctx_of(be);
  if (ctx->sync) {
    e = cudaStreamSynchronize(ctx->stream);
    if (e != cudaSuccess) return gt_cuda_fail(err, "kernel (GAUNTLET_CUDA_SYNC=1)", e, file, line);
  }
  return GT_OK;
}

gt_status gt_cuda_fetch(gt_backend *be, const void *dev, size_t bytes, void **host, gt_error *err) {
  *host = NULL;
  void *h = malloc(bytes ? bytes : 1);
  if (!h) return gt_error_set(err, GT_ERR_MEMORY, "cuda: out of host memory for %zu bytes", bytes);
  cudaStream_t s = gt_cuda_stream(be);
  cudaError_t e = cudaMemcpyAsync(h, dev, bytes, cudaMemcpyDeviceToHost, s);
  if (e == cudaSuccess) e = cudaStreamSynchronize(s);
  if (e != cudaSuccess) {
    free(h);
    return gt_cuda_fail(err, "cudaMemcpyAsync (argument check)", e, __FILE__, __LINE__);
  }
  *host = h;
  return GT_OK;
}

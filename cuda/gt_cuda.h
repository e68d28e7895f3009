/* The one internal header of the CUDA backend: every .cu file includes it.
 * Under nvcc it brings in the CUDA runtime and cuBLAS; with GT_CUDA_EMU defined (the emulation
 * build, .cu files compiled by the host C++ compiler) it brings in cuda/emu/cuda_emu.h instead,
 * which provides the same names on host memory with a sequential launch.
 *
 * Conventions every kernel file follows:
 *  - launch with GT_LAUNCH(kernel, grid, block, shmem_bytes, stream, args...) and follow every
 *    launch with GT_LAUNCH_CHECK() (needs `gt_backend *be` and `gt_error *err` in scope);
 *  - wrap every runtime call in GT_CUDA_TRY(...) and every cuBLAS call in GT_CUBLAS_TRY(...)
 *    (need `gt_error *err` in scope; they return from the calling function on failure);
 *  - prefer grid-stride kernels (GT_KERNEL_LOOP) sized with gt_cuda_blocks, without barriers,
 *    shuffles or atomics, so the sequential emulated launch runs them exactly; a kernel whose
 *    block threads cooperate through __shared__ memory and __syncthreads is launched with
 *    GT_LAUNCH_BLOCK (threaded emulation); warp shuffles and atomics are not emulable. */
#ifndef GT_CUDA_H
#define GT_CUDA_H

#ifdef GT_CUDA_EMU
#include "emu/cuda_emu.h"
#else
#include <cublas_v2.h>
#include <cuda_runtime.h>
#define GT_LAUNCH_IMPL(kernel, grid, block, shmem_bytes, stream, ...) \
  kernel<<<(grid), (block), (shmem_bytes), (stream)>>>(__VA_ARGS__)
#define GT_LAUNCH_BLOCK_IMPL GT_LAUNCH_IMPL
#endif

/* One level of indirection so that a macro giving several launch arguments at once (GT_VEC_GRID)
 * is expanded before the arguments are split. */
#define GT_LAUNCH(...) GT_LAUNCH_IMPL(__VA_ARGS__)

/* The same launch for kernels whose block threads cooperate (__shared__ + __syncthreads): on a
 * device identical to GT_LAUNCH; under emulation the threaded launch (one host thread per CUDA
 * thread of a block, a real barrier), since the sequential one cannot run barriers. */
#define GT_LAUNCH_BLOCK(...) GT_LAUNCH_BLOCK_IMPL(__VA_ARGS__)

#include <stdint.h>

#include "gauntlet/backend.h"
#include "gauntlet/status.h"

/* The plugin's entry points stay visible; everything else in libgauntlet_cuda.so is hidden. */
#define GT_CUDA_EXPORT __attribute__((visibility("default")))

/* Threads per block of the grid-stride kernels. */
#define GT_CUDA_THREADS 256

/* Grid size for a grid-stride kernel over n items: ceil(n / threads), at least 1 and capped
 * (the kernel's loop covers the rest). */
static inline unsigned gt_cuda_blocks(int64_t n, int threads) {
  int64_t b = (n + threads - 1) / threads;
  if (b < 1) b = 1;
  if (b > 65535) b = 65535;
  return (unsigned)b;
}

/* for (i over [0, n) in steps of the whole grid), inside a kernel. */
#define GT_KERNEL_LOOP(i, n)                                                        \
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < (int64_t)(n); \
       i += (int64_t)blockDim.x * gridDim.x)

/* Fill err with "<expr> failed: <CUDA error> (<file>:<line>)" and return the status: GT_ERR_MEMORY
 * for out-of-memory (callers may retry with a smaller batch), GT_ERR_BACKEND otherwise. */
gt_status gt_cuda_fail(gt_error *err, const char *expr, cudaError_t e, const char *file, int line);
gt_status gt_cublas_fail(gt_error *err, const char *expr, cublasStatus_t s, const char *file, int line);

/* cudaGetLastError after a launch, and a stream synchronisation when the backend was created with
 * GAUNTLET_CUDA_SYNC=1 (pins an asynchronous fault to the launch that caused it). */
gt_status gt_cuda_launch_check(gt_backend *be, gt_error *err, const char *file, int line);

#define GT_CUDA_TRY(expr)                                                        \
  do {                                                                           \
    cudaError_t gt_cuda_e_ = (expr);                                             \
    if (gt_cuda_e_ != cudaSuccess) return gt_cuda_fail(err, #expr, gt_cuda_e_, __FILE__, __LINE__); \
  } while (0)

#define GT_CUBLAS_TRY(expr)                                                      \
  do {                                                                           \
    cublasStatus_t gt_cublas_s_ = (expr);                                        \
    if (gt_cublas_s_ != CUBLAS_STATUS_SUCCESS)                                   \
      return gt_cublas_fail(err, #expr, gt_cublas_s_, __FILE__, __LINE__);       \
  } while (0)

#define GT_LAUNCH_CHECK()                                                        \
  do {                                                                           \
    gt_status gt_launch_st_ = gt_cuda_launch_check(be, err, __FILE__, __LINE__); \
    if (gt_launch_st_ != GT_OK) return gt_launch_st_;                            \
  } while (0)

#endif

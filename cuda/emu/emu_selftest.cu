/* Hooks for tests of the emulation itself (emulation build only): a memory limit for the
 * out-of-memory paths, and launches the sequential emulation must refuse (a kernel with a barrier,
 * an empty grid), to show that such kernels fail loudly instead of passing. */
#ifdef GT_CUDA_EMU
#include "../context.h"
#include "gauntlet/cuda.h"

__global__ void gt_emu_barrier_kernel(float *x) {
  x[threadIdx.x] = 1.0f;
  __syncthreads();
  x[threadIdx.x] += x[(threadIdx.x + 1) % blockDim.x];
}

__global__ void gt_emu_nop_kernel(float *x) { x[0] = 0.0f; }

extern "C" void gt_cuda_emu_set_memory_limit(size_t bytes) { gt_emu_set_memory_limit(bytes); }

extern "C" gt_status gt_cuda_emu_selftest_launch(gt_backend *be, int which, gt_error *err) {
  float *x = NULL;
  GT_CUDA_TRY(cudaMalloc((void **)&x, 64 * sizeof(float)));
  if (which == 0) GT_LAUNCH(gt_emu_barrier_kernel, 1, 64, 0, gt_cuda_stream(be), x);
  else GT_LAUNCH(gt_emu_nop_kernel, 0, 64, 0, gt_cuda_stream(be), x);
  gt_status st = gt_cuda_launch_check(be, err, __FILE__, __LINE__);
  cudaFree(x);
  return st;
}
#endif

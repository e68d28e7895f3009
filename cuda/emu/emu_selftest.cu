/* Hooks for tests of the emulation itself (emulation build only): a memory limit for the
 * out-of-memory paths; launches the sequential emulation must refuse (a kernel with a barrier, an
 * empty grid); and a block reduction through shared memory and barriers, which the threaded
 * emulation (GT_LAUNCH_BLOCK) must run correctly. */
#ifdef GT_CUDA_EMU
#include "../context.h"
#include "gauntlet/cuda.h"

/* out[0] = sum of x[0..n) by one block: per-thread partial sums, then a tree in shared memory.
 * Threads past the first `active` return at once (they must not hang the others' barriers). */
__global__ void gt_emu_block_sum_kernel(const float *x, int n, unsigned active, float *out) {
  __shared__ float part[256];
  unsigned t = threadIdx.x;
  if (t >= active) return;
  float acc = 0.0f;
  for (int i = (int)t; i < n; i += (int)active) acc += x[i];
  part[t] = acc;
  __syncthreads();
  for (unsigned s = active / 2; s > 0; s /= 2) {
    if (t < s) part[t] += part[t + s];
    __syncthreads();
  }
  if (t == 0) out[0] = part[0];
}

__global__ void gt_emu_nop_kernel(float *x) { x[0] = 0.0f; }

extern "C" void gt_cuda_emu_set_memory_limit(size_t bytes) { gt_emu_set_memory_limit(bytes); }

static gt_status selftest(gt_backend *be, int which, float *x, float *result, gt_error *err) {
  cudaStream_t s = gt_cuda_stream(be);
  for (int i = 0; i < 1000; i++) x[i] = (float)i;
  if (which == 0) GT_LAUNCH(gt_emu_block_sum_kernel, 1, 256, 0, s, x, 1000, 256u, x + 1000);
  else if (which == 1) GT_LAUNCH(gt_emu_nop_kernel, 0, 64, 0, s, x);
  else GT_LAUNCH_BLOCK(gt_emu_block_sum_kernel, 1, 256, 0, s, x, 1000, which == 2 ? 256u : 128u, x + 1000);
  gt_status st = gt_cuda_launch_check(be, err, __FILE__, __LINE__);
  *result = x[1000];
  return st;
}

extern "C" gt_status gt_cuda_emu_selftest_launch(gt_backend *be, int which, float *result, gt_error *err) {
  float *x = NULL;
  GT_CUDA_TRY(cudaMalloc((void **)&x, 1001 * sizeof(float)));
  gt_status st = selftest(be, which, x, result, err);
  cudaFree(x);
  return st;
}
#endif

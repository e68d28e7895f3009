/* The CUDA backend as the rest of Gauntlet sees it: a plugin (libgauntlet_cuda.so) that
 * src/backends/cuda_loader.c dlopen()s only when a CUDA backend is asked for, so CPU-only runs
 * never map the CUDA and cuBLAS libraries. Without the library, a driver or a device, every
 * function here returns GT_ERR_UNSUPPORTED with a message saying why; nothing crashes. */
#ifndef GAUNTLET_CUDA_H
#define GAUNTLET_CUDA_H

#include <stddef.h>
#include <stdint.h>

#include "gauntlet/backend.h"
#include "gauntlet/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gt_cuda_device_info {
  int ordinal;
  char name[256];
  size_t total_bytes, free_bytes;
  int cc_major, cc_minor; /* compute capability */
  int multiprocessors;
} gt_cuda_device_info;

/* Number of CUDA devices (> 0) or GT_ERR_UNSUPPORTED with the reason there is none (no plugin
 * library, no driver, cudaGetDeviceCount failed, zero devices). */
gt_status gt_cuda_device_count(int *count, gt_error *err);

/* Name, memory and compute capability of device `ordinal`. */
gt_status gt_cuda_device_info_get(int ordinal, gt_cuda_device_info *info, gt_error *err);

/* Free and total memory of device `ordinal`, in bytes. */
gt_status gt_cuda_free_memory(int ordinal, size_t *free_bytes, size_t *total_bytes, gt_error *err);

/* A "cuda" backend on device `ordinal` (gt_backend_create accepts "cuda" and "cuda:N"). */
gt_status gt_backend_cuda_create(int ordinal, gt_backend **out, gt_error *err);

/* What `--backend auto` means here: "cuda" when a CUDA device is usable, else "cpu"; why names the
 * device or the reason there is none (one line, for stderr). */
const char *gt_backend_auto_choice(char *why, size_t why_size);

/* The batch size for a device with `free_bytes` free when one sample needs `bytes_per_sample`
 * (activations, gradients and attack state together): the largest power of two that fills at
 * most half of the free memory, within [1, cap]. */
int64_t gt_cuda_batch_for_memory(size_t free_bytes, size_t bytes_per_sample, int64_t cap);

/* The emulated CUDA backend ("cuda-emu"): the same kernels run on the host. Defined only in
 * libgauntlet_cuda_emu, which only tests link. */
gt_status gt_backend_cuda_emu_create(gt_backend **out, gt_error *err);

/* Tests of the emulation (libgauntlet_cuda_emu only): emulated device memory beyond `bytes` fails
 * as out of memory; and launches checked like every launch (GT_LAUNCH_CHECK), of a block sum of
 * 0..999 through shared memory and __syncthreads into *result: which 0 through the sequential
 * launch (must fail: not emulable), 2 through the threaded one (must give 499500), 3 the same with
 * half of the block's threads returning at once; which 1 is an empty grid (must fail). */
void gt_cuda_emu_set_memory_limit(size_t bytes);
gt_status gt_cuda_emu_selftest_launch(gt_backend *be, int which, float *result, gt_error *err);

/* ---- the plugin's entry points, looked up by name with dlsym ---- */
#define GT_CUDA_PLUGIN_ABI 1
#define GT_CUDA_PLUGIN_LIBRARY "libgauntlet_cuda.so"
int gt_cuda_plugin_abi(void);
gt_status gt_cuda_plugin_device_count(int *count, gt_error *err);
gt_status gt_cuda_plugin_device_info(int ordinal, gt_cuda_device_info *info, gt_error *err);
gt_status gt_cuda_plugin_create(int ordinal, gt_backend **out, gt_error *err);

#ifdef __cplusplus
}
#endif
#endif

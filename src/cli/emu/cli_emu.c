/* The test build of the CLI (gauntlet-emu: built with the tests, never installed). It registers
 * the backend "cuda-emu" (the CUDA backend's kernels run on the host, cuda/emu) and reads
 * GAUNTLET_CUDA_EMU_MEMORY, the emulated device's memory in bytes (suffix k, M or G: binary
 * units), beyond which cudaMalloc fails with cudaErrorMemoryAllocation. So tests reach the out of
 * memory paths of real `gauntlet attack` and `gauntlet run` invocations (docs/CUDA.md). */
#include "cli/emu/cli_emu.h"

#include <stdio.h>
#include <stdlib.h>

#include "gauntlet/cuda.h"

/* "4096", "64k", "3M", "1G" -> bytes; 0 when text is not such a number. */
static size_t parse_bytes(const char *text) {
  char *end = NULL;
  unsigned long long v = strtoull(text, &end, 10);
  if (end == text || v == 0) return 0;
  unsigned shift = 0;
  if (*end == 'k' || *end == 'K') shift = 10, end++;
  else if (*end == 'M') shift = 20, end++;
  else if (*end == 'G') shift = 30, end++;
  if (*end || v > (~0ULL >> (shift + 1))) return 0;
  return (size_t)(v << shift);
}

int gt_cli_cuda_emu_setup(void) {
  gt_error err = {0};
  if (gt_backend_register("cuda-emu", gt_backend_cuda_emu_create, &err) != GT_OK) {
    fprintf(stderr, "gauntlet: %s\n", err.message);
    return 2;
  }
  const char *memory = getenv("GAUNTLET_CUDA_EMU_MEMORY");
  if (!memory) return 0;
  size_t bytes = parse_bytes(memory);
  if (bytes == 0) {
    fprintf(stderr, "gauntlet: GAUNTLET_CUDA_EMU_MEMORY='%s': expected a number of bytes > 0, optionally with k, M or G\n",
            memory);
    return 2;
  }
  gt_cuda_emu_set_memory_limit(bytes);
  return 0;
}

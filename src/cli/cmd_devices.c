/* `gauntlet devices`: the backends this build has and the CUDA devices it can use (name, memory,
 * compute capability), or why there are none; and what `--backend auto` would pick. */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "gauntlet/cuda.h"

int gt_cmd_devices(int argc, char **argv) {
  if (argc > 0 && (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h"))) {
    printf("usage: gauntlet devices\n\nLists the backends (ref, cpu, cuda) and the CUDA devices, or why there are none.\n");
    return 0;
  }
  if (argc > 0) {
    fprintf(stderr, "gauntlet devices: unexpected argument '%s' (it takes none)\n", argv[0]);
    return 2;
  }
  gt_error err = {0};
  int count = 0;
  gt_status st = gt_cuda_device_count(&count, &err);
  printf("backends:\n");
  printf("  ref    available  naive reference loops (the specification)\n");
  printf("  cpu    available  OpenMP + OpenBLAS\n");
  if (st == GT_OK) printf("  cuda   available  %d device%s (cuda or cuda:N)\n", count, count == 1 ? "" : "s");
  else printf("  cuda   unavailable\n");
  printf("\nCUDA devices:\n");
  if (st != GT_OK) printf("  none: %s\n", err.message);
  for (int i = 0; st == GT_OK && i < count; i++) {
    gt_cuda_device_info info;
    gt_error e = {0};
    if (gt_cuda_device_info_get(i, &info, &e) != GT_OK) {
      printf("  cuda:%d  (cannot be queried: %s)\n", i, e.message);
      continue;
    }
    printf("  cuda:%d  %s  %.1f GiB (%.1f GiB free)  compute capability %d.%d  %d SMs\n", i, info.name,
           (double)info.total_bytes / (1 << 30), (double)info.free_bytes / (1 << 30), info.cc_major, info.cc_minor,
           info.multiprocessors);
  }
  printf("\n--backend auto picks: %s\n", st == GT_OK ? "cuda (device 0)" : "cpu");
  return 0;
}

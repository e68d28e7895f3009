/* A short OpenMP spin for the CLI. libgomp's default lets a waiting thread spin ~300k rounds
 * before it sleeps; attacks run thousands of small passes (Square: one forward of ~150 rows per
 * query), so on a shared 2-core machine the idle thread's spinning steals the core the working
 * thread or another process needs. Measured (2026-11-24, square, small-cnn-pgd, 200 points, eps
 * 0.03, 600 queries, 2 threads): with two busy processes beside it 21 s wall / 21 s CPU by
 * default, 14 s / 13 s with GOMP_SPINCOUNT=10000 (passive: 14.5 s); alone 8.3 s / 16 s against
 * 6.6 s / 13 s. Results do not change: only how threads wait.
 * libgomp reads its environment once, when it is loaded, before main; so the setting is made by
 * executing the program again with it in the environment. A user's own OMP_WAIT_POLICY or
 * GOMP_SPINCOUNT wins, and when /proc/self/exe cannot be executed the program goes on as is. */
#include "cli/omp_wait.h"

#include <stdlib.h>
#include <unistd.h>

#define GT_CLI_SPINCOUNT "10000"

void gt_cli_omp_wait_setup(char **argv) {
  if (getenv("OMP_WAIT_POLICY") || getenv("GOMP_SPINCOUNT")) return;
  if (setenv("GOMP_SPINCOUNT", GT_CLI_SPINCOUNT, 1) != 0) return;
  execv("/proc/self/exe", argv);
}

/* How long the CLI's OpenMP threads spin before they sleep (see omp_wait.c). */
#ifndef GAUNTLET_CLI_OMP_WAIT_H
#define GAUNTLET_CLI_OMP_WAIT_H

/* Returns only when the wait policy is settled (it may re-execute the program first). */
void gt_cli_omp_wait_setup(char **argv);

#endif

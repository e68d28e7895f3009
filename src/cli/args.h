/* Command-line option parsing for the gauntlet commands: `--name value`, `--name=value` and
 * flags, checked against the options each command declares. Usage errors carry a message;
 * the command prints it and exits with code 2. */
#ifndef GAUNTLET_CLI_ARGS_H
#define GAUNTLET_CLI_ARGS_H

#include <stdint.h>

#include "gauntlet/status.h"

#define GT_CLI_MAX_OPTIONS 48

typedef struct gt_cli_option {
  const char *name;    /* without the leading dashes */
  const char *value;   /* metavariable ("N", "FILE"), or NULL for a flag */
  const char *help;
} gt_cli_option;

typedef struct gt_cli_args {
  const gt_cli_option *options;
  int n_options;
  const char *values[GT_CLI_MAX_OPTIONS]; /* NULL when absent; "" for a given flag */
  const char *positional[8];
  int n_positional;
} gt_cli_args;

/* Parses argv[0..argc) (the words after the command name). */
gt_status gt_cli_parse(gt_cli_args *args, const gt_cli_option *options, int n_options, int argc, char **argv,
                       gt_error *err);

const char *gt_cli_get(const gt_cli_args *args, const char *name);
int gt_cli_flag(const gt_cli_args *args, const char *name);
/* Typed getters: the default when absent; a usage error naming the option when malformed. */
gt_status gt_cli_get_int(const gt_cli_args *args, const char *name, int64_t min, int64_t max, int64_t fallback,
                         int64_t *out, gt_error *err);
/* A comma-separated list of floats ("0.485,0.456,0.406"); *count receives how many (<= cap). */
gt_status gt_cli_get_floats(const gt_cli_args *args, const char *name, float *out, int cap, int *count,
                            gt_error *err);

void gt_cli_print_help(const char *usage, const char *summary, const gt_cli_option *options, int n_options);

/* Exit codes, documented in the README: 0 ok, 1 bad input or failure, 2 usage. */
int gt_cli_exit_code(gt_status st);
/* Prints "gauntlet <command>: error: <message>" to stderr and returns the exit code. */
int gt_cli_fail(const char *command, const gt_error *err);

#endif

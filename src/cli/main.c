/* gauntlet: the command-line front end. One file per command; this one dispatches. */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/omp_wait.h"
#ifdef GT_CLI_CUDA_EMU
#include "cli/emu/cli_emu.h"
#endif

typedef struct command {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *summary;
} command;

static const command commands[] = {
    {"info", gt_cmd_info, "describe an ONNX model: inputs, outputs, ops, parameters, FLOPs, unsupported ops"},
    {"eval", gt_cmd_eval, "clean accuracy of a model on a dataset"},
    {"attack", gt_cmd_attack, "robust accuracy under one attack (see `gauntlet attack --list`)"},
    {"run", gt_cmd_run, "run a sweep config: models x datasets x threat models x eps -> leaderboard"},
    {"report", gt_cmd_report, "rebuild a sweep's leaderboard and report from its journal"},
    {"train", gt_cmd_train, "train a built-in baseline (standard, PGD or TRADES) and export it as ONNX"},
    {"devices", gt_cmd_devices, "list the backends and CUDA devices (name, memory, compute capability)"},
};
#define N_COMMANDS ((int)(sizeof commands / sizeof commands[0]))

static void print_usage(FILE *to) {
  fprintf(to, "usage: gauntlet <command> [options]   (gauntlet <command> --help for its options)\n\ncommands:\n");
  for (int i = 0; i < N_COMMANDS; i++) fprintf(to, "  %-8s %s\n", commands[i].name, commands[i].summary);
  fprintf(to, "\nexit codes: 0 success, 1 bad input or failure (the message names the file and the problem), 2 usage,\n            3 a CI gate failed (run, report; docs/CI.md), 130/143 a sweep stopped by SIGINT/SIGTERM (resume with --resume)\n");
}

int main(int argc, char **argv) {
  gt_cli_omp_wait_setup(argv);
#ifdef GT_CLI_CUDA_EMU /* the tests' build, gauntlet-emu */
  if (gt_cli_cuda_emu_setup() != 0) return 2;
#endif
  if (argc < 2) {
    print_usage(stderr);
    return 2;
  }
  if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
    print_usage(stdout);
    return 0;
  }
  if (!strcmp(argv[1], "--version")) {
    printf("gauntlet %s (commit %s)\n", GT_VERSION, GT_GIT_COMMIT);
    return 0;
  }
  for (int i = 0; i < N_COMMANDS; i++)
    if (!strcmp(argv[1], commands[i].name)) return commands[i].run(argc - 2, argv + 2);
  fprintf(stderr, "gauntlet: unknown command '%s'\n\n", argv[1]);
  print_usage(stderr);
  return 2;
}

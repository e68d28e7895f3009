/* The test build of the CLI (gauntlet-emu): the "cuda-emu" backend and its memory limit. */
#ifndef GAUNTLET_CLI_EMU_H
#define GAUNTLET_CLI_EMU_H

/* Registers "cuda-emu" and applies GAUNTLET_CUDA_EMU_MEMORY; returns 0, or 2 after a message. */
int gt_cli_cuda_emu_setup(void);

#endif

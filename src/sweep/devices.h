/* The sweep's devices: one host worker per entry of the config's "devices" (or of --devices), or
 * one worker on "backend" when there is no list. Names are "cpu", "ref", "cuda:N" ("cuda" is
 * cuda:0), or a backend the program registered (gt_backend_register: the tests' "cuda-emu").
 * Rules (docs/SWEEP.md): all entries of one backend kind, since cpu and CUDA results differ in
 * rounding and a result must not depend on which worker ran it; a CUDA device at most once (one
 * worker per GPU); host backends may repeat (several workers sharing the cores). */
#ifndef GT_SWEEP_DEVICES_H
#define GT_SWEEP_DEVICES_H

#include <cjson/cJSON.h>

#include "gauntlet/sweep.h"
#include "sweep/json_get.h"

/* One worker's device, resolved when the sweep starts. */
typedef struct gt_sweep_device {
  char spec[32];        /* "cpu", "cuda:1", "cuda-emu": what the worker creates */
  char kind[32];        /* the journal's "backend": "cpu", "cuda", "cuda-emu" (no ordinal) */
  char name[128];       /* the journal's "device": the CPU model or the GPU's name */
  int ordinal;          /* CUDA device number, -1 for host backends */
  int threads;          /* cpu: OpenMP threads of this worker */
} gt_sweep_device;

/* Checks one entry and writes its normal form ("cuda" -> "cuda:0") to out; on failure returns a
 * non-zero status and sets *problem to a sentence about text (no place). */
gt_status gt_sweep_device_normalize(const char *text, char *out, size_t size, const char **problem);

/* The config's "devices" key of root (absent: none): names or CUDA device numbers, each checked;
 * errors name the key path. */
gt_status gt_sweep_devices_parse(const cJSON *root, const gt_jpath *top, gt_sweep_config *cfg, gt_error *err);

/* Checks cfg->devices as a whole (kinds, repeats, the "backend" key); where names the place in
 * errors ("sweep.json: devices", "--devices"). */
gt_status gt_sweep_devices_check(const gt_sweep_config *cfg, const char *where, gt_error *err);

/* A CUDA ordinal against the number of devices the machine has: the message of a missing one. */
gt_status gt_sweep_device_check_ordinal(const char *spec, int ordinal, int count, gt_error *err);

/* The workers of a sweep: cfg->devices, or the one device "backend" means ("auto" resolved; why
 * receives the reason of that choice, "" otherwise). Checks that CUDA devices exist. out has room
 * for GT_SWEEP_MAX_DEVICES. */
gt_status gt_sweep_devices_plan(const gt_sweep_config *cfg, gt_sweep_device *out, int *n, char *why, size_t why_size,
                                gt_error *err);

#endif

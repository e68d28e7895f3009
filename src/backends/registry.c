/* Backends by name, freeing, and which ops a backend lacks (so "what runs where" is data). */
#include "gauntlet/backend.h"
#include "gauntlet/cuda.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Names registered by the program (gt_backend_register); written at start-up only. */
static struct {
  char name[32];
  gt_backend_factory create;
} registered[GT_BACKEND_MAX_REGISTERED];
static int n_registered;

static int registered_index(const char *name) {
  for (int i = 0; name && i < n_registered; i++)
    if (!strcmp(registered[i].name, name)) return i;
  return -1;
}

int gt_backend_is_registered(const char *name) { return registered_index(name) >= 0; }

gt_status gt_backend_register(const char *name, gt_backend_factory create, gt_error *err) {
  if (!name || !create || !name[0] || strlen(name) >= sizeof registered[0].name)
    return gt_error_set(err, GT_ERR_USAGE, "gt_backend_register: a name of 1 to %zu characters and a function",
                        sizeof registered[0].name - 1);
  if (!strcmp(name, "ref") || !strcmp(name, "cpu") || !strcmp(name, "auto") || !strncmp(name, "cuda:", 5) ||
      !strcmp(name, "cuda"))
    return gt_error_set(err, GT_ERR_USAGE, "gt_backend_register: '%s' is a built-in backend name", name);
  int i = registered_index(name);
  if (i < 0 && n_registered == GT_BACKEND_MAX_REGISTERED)
    return gt_error_set(err, GT_ERR_LIMIT, "gt_backend_register: more than %d backends", GT_BACKEND_MAX_REGISTERED);
  if (i < 0) i = n_registered++;
  snprintf(registered[i].name, sizeof registered[i].name, "%s", name);
  registered[i].create = create;
  return GT_OK;
}

gt_status gt_backend_create(const char *name, gt_backend **out, gt_error *err) {
  if (!out) return gt_error_set(err, GT_ERR_USAGE, "gt_backend_create: no output pointer");
  *out = NULL;
  if (!name) return gt_error_set(err, GT_ERR_USAGE, "gt_backend_create: no backend name");
  int r = registered_index(name);
  if (r >= 0) return registered[r].create(out, err);
  if (strcmp(name, "ref") == 0) return gt_backend_ref_create(out, err);
  if (strcmp(name, "cpu") == 0) return gt_backend_cpu_create(out, 0, err);
  /* "cuda" is device 0, "cuda:N" device N; both load the CUDA plugin (cuda_loader.c). */
  if (strcmp(name, "cuda") == 0) return gt_backend_cuda_create(0, out, err);
  if (strncmp(name, "cuda:", 5) == 0) {
    char *end = NULL;
    long ordinal = strtol(name + 5, &end, 10);
    if (end == name + 5 || *end || ordinal < 0 || ordinal > 1023)
      return gt_error_set(err, GT_ERR_USAGE, "backend '%s': expected cuda:N with a device number N", name);
    return gt_backend_cuda_create((int)ordinal, out, err);
  }
  return gt_error_set(err, GT_ERR_USAGE, "unknown backend '%s' (available: ref, cpu, cuda, cuda:N)", name);
}

void gt_backend_free(gt_backend *be) {
  if (be && be->iface && be->iface->destroy) be->iface->destroy(be);
}

/* Returns how many ops are missing in total, even when that is more than cap. */
int gt_backend_missing_ops(const gt_backend *be, gt_op_kind *missing, int cap) {
  int count = 0;
  if (!be || !be->iface) return 0;
  for (int op = 0; op < GT_OP_COUNT; op++) {
    if (be->iface->forward[op] && be->iface->backward[op]) continue;
    if (missing && count < cap) missing[count] = (gt_op_kind)op;
    count++;
  }
  return count;
}

/* The sweep's devices (sweep/devices.h): names checked when the config or --devices is read, the
 * workers planned when the sweep starts. */
#include "sweep/devices.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gauntlet/cuda.h"
#include "sweep/json_get.h"

#define KNOWN_DEVICES "cpu, ref, cuda:N"

/* "cpu", "ref", "cuda" (for cuda:N) or a registered name: what the journal calls the backend. */
static void kind_of(const char *spec, char *out, size_t size) {
  if (!strncmp(spec, "cuda:", 5) || !strcmp(spec, "cuda")) snprintf(out, size, "cuda");
  else snprintf(out, size, "%s", spec);
}

gt_status gt_sweep_device_normalize(const char *text, char *out, size_t size, const char **problem) {
  *problem = NULL;
  if (!strcmp(text, "cpu") || !strcmp(text, "ref") || gt_backend_is_registered(text)) {
    snprintf(out, size, "%s", text);
    return GT_OK;
  }
  if (!strcmp(text, "cuda")) {
    snprintf(out, size, "cuda:0");
    return GT_OK;
  }
  if (!strcmp(text, "auto")) {
    *problem = "'auto' is not a device: list devices (" KNOWN_DEVICES "), or leave \"devices\" out for the backend's choice";
    return GT_ERR_FORMAT;
  }
  if (!strncmp(text, "cuda:", 5)) {
    const char *d = text + 5;
    size_t len = strspn(d, "0123456789");
    if (len == 0 || d[len] || len > 4) {
      *problem = "a CUDA device is cuda:N with N a device number (0, 1, ...)";
      return GT_ERR_FORMAT;
    }
    snprintf(out, size, "cuda:%d", atoi(d));
    return GT_OK;
  }
  *problem = "unknown device (the devices: " KNOWN_DEVICES ")";
  return GT_ERR_FORMAT;
}


gt_status gt_sweep_devices_check(const gt_sweep_config *cfg, const char *where, gt_error *err) {
  char kind[32], other[32], backend_kind[32];
  for (int i = 0; i < cfg->n_devices; i++) {
    kind_of(cfg->devices[i], kind, sizeof kind);
    kind_of(cfg->devices[0], other, sizeof other);
    if (strcmp(kind, other))
      return gt_error_set(err, GT_ERR_FORMAT,
                          "%s: %s and %s are different backends; list devices of one kind (cpu and CUDA results differ "
                          "in rounding, and a result must not depend on the worker that ran it)",
                          where, cfg->devices[0], cfg->devices[i]);
    for (int j = 0; j < i; j++)
      if (!strcmp(kind, "cuda") && !strcmp(cfg->devices[i], cfg->devices[j]))
        return gt_error_set(err, GT_ERR_FORMAT,
                            "%s: %s is listed twice; one worker per GPU (host backends such as cpu may repeat: each "
                            "entry is one more worker sharing the cores)",
                            where, cfg->devices[i]);
  }
  if (cfg->n_devices == 0 || !strcmp(cfg->backend, "auto")) return GT_OK;
  kind_of(cfg->backend, backend_kind, sizeof backend_kind);
  kind_of(cfg->devices[0], kind, sizeof kind);
  if (strcmp(kind, backend_kind))
    return gt_error_set(err, GT_ERR_FORMAT,
                        "%s: %s is not a device of the backend '%s' the config names; list %s devices, or set "
                        "\"backend\" to \"auto\"",
                        where, cfg->devices[0], cfg->backend, backend_kind);
  return GT_OK;
}

/* "devices": names ("cuda:1", "cpu") or CUDA device numbers (1 for "cuda:1"). */
gt_status gt_sweep_devices_parse(const cJSON *root, const gt_jpath *top, gt_sweep_config *cfg, gt_error *err) {
  const cJSON *devices = cJSON_GetObjectItemCaseSensitive(root, "devices");
  if (!devices) return GT_OK;
  gt_jpath dp;
  gt_jpath_key(&dp, top, "devices");
  int n = cJSON_GetArraySize(devices);
  if (!cJSON_IsArray(devices) || n < 1 || n > GT_SWEEP_MAX_DEVICES)
    return gt_jpath_fail(&dp, err, "expected an array of 1 to %d devices (\"cuda:0\", \"cpu\" or CUDA device numbers)",
                         GT_SWEEP_MAX_DEVICES);
  for (int i = 0; i < n; i++) {
    const cJSON *v = cJSON_GetArrayItem(devices, i);
    gt_jpath ip;
    gt_jpath_index(&ip, &dp, i);
    char text[32];
    if (cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble <= 9999 && v->valuedouble == floor(v->valuedouble))
      snprintf(text, sizeof text, "cuda:%d", v->valueint);
    else if (cJSON_IsString(v) && strlen(v->valuestring) < sizeof text)
      snprintf(text, sizeof text, "%s", v->valuestring);
    else
      return gt_jpath_fail(&ip, err, "expected a device name (\"cuda:0\", \"cpu\") or a CUDA device number");
    const char *problem = NULL;
    if (gt_sweep_device_normalize(text, cfg->devices[i], sizeof cfg->devices[i], &problem))
      return gt_jpath_fail(&ip, err, "'%s': %s", text, problem);
  }
  cfg->n_devices = n;
  char where[GT_SWEEP_PATH_MAX + 16];
  snprintf(where, sizeof where, "%s: devices", cfg->path);
  return gt_sweep_devices_check(cfg, where, err);
}

gt_status gt_sweep_devices_set(gt_sweep_config *cfg, const char *list, gt_error *err) {
  int n = 0;
  const char *p = list;
  for (;;) {
    size_t len = strcspn(p, ",");
    char text[32];
    if (len == 0 || len >= sizeof text)
      return gt_error_set(err, GT_ERR_USAGE, "--devices: entry %d is %s; give names separated by commas (cuda:0,cuda:1)",
                          n + 1, len ? "too long" : "empty");
    if (n == GT_SWEEP_MAX_DEVICES)
      return gt_error_set(err, GT_ERR_USAGE, "--devices: more than %d devices", GT_SWEEP_MAX_DEVICES);
    snprintf(text, sizeof text, "%.*s", (int)len, p);
    const char *problem = NULL;
    if (gt_sweep_device_normalize(text, cfg->devices[n], sizeof cfg->devices[n], &problem))
      return gt_error_set(err, GT_ERR_USAGE, "--devices: entry %d '%s': %s", n + 1, text, problem);
    n++;
    if (!p[len]) break;
    p += len + 1;
  }
  cfg->n_devices = n;
  /* the list replaces the config's backend too: its kind is the list's */
  kind_of(cfg->devices[0], cfg->backend, sizeof cfg->backend);
  gt_status st = gt_sweep_devices_check(cfg, "--devices", err);
  if (st && err) err->code = GT_ERR_USAGE; /* on the command line it is a usage error */
  return st ? GT_ERR_USAGE : GT_OK;
}

gt_status gt_sweep_device_check_ordinal(const char *spec, int ordinal, int count, gt_error *err) {
  if (ordinal < count) return GT_OK;
  if (count == 1) return gt_error_set(err, GT_ERR_USAGE, "devices: %s does not exist: this machine has 1 CUDA device (cuda:0)", spec);
  return gt_error_set(err, GT_ERR_USAGE, "devices: %s does not exist: this machine has %d CUDA devices (cuda:0 to cuda:%d)",
                      spec, count, count - 1);
}

/* The journal's "device": the GPU's name, the CPU model, or the registered backend's name. */
static void device_name(const gt_sweep_device *d, char *out, size_t size) {
  if (d->ordinal >= 0) {
    gt_cuda_device_info info;
    gt_error ignored;
    snprintf(out, size, "CUDA device %d", d->ordinal);
    if (gt_cuda_device_info_get(d->ordinal, &info, &ignored) == GT_OK) snprintf(out, size, "%.127s", info.name);
    return;
  }
  if (strcmp(d->spec, "cpu") && strcmp(d->spec, "ref")) {
    snprintf(out, size, "%s", d->spec);
    return;
  }
  snprintf(out, size, "CPU");
  FILE *f = fopen("/proc/cpuinfo", "r");
  char line[512];
  while (f && fgets(line, sizeof line, f)) {
    if (strncmp(line, "model name", 10)) continue;
    char *colon = strchr(line, ':');
    if (!colon) break;
    colon++;
    while (*colon == ' ') colon++;
    colon[strcspn(colon, "\n")] = '\0';
    snprintf(out, size, "%s", colon);
    break;
  }
  if (f) fclose(f);
}

gt_status gt_sweep_devices_plan(const gt_sweep_config *cfg, gt_sweep_device *out, int *n, char *why, size_t why_size,
                                gt_error *err) {
  why[0] = '\0';
  *n = cfg->n_devices;
  for (int i = 0; i < cfg->n_devices; i++) snprintf(out[i].spec, sizeof out[i].spec, "%s", cfg->devices[i]);
  if (*n == 0) {
    const char *backend = cfg->backend;
    if (!strcmp(backend, "auto")) backend = gt_backend_auto_choice(why, why_size);
    const char *problem = NULL;
    if (gt_sweep_device_normalize(backend, out[0].spec, sizeof out[0].spec, &problem))
      return gt_error_set(err, GT_ERR_USAGE, "backend '%s': %s", backend, problem);
    *n = 1;
  }
  int cuda_count = -1, cpu_workers = 0;
  for (int i = 0; i < *n; i++) cpu_workers += !strcmp(out[i].spec, "cpu");
  for (int i = 0; i < *n; i++) {
    gt_sweep_device *d = &out[i];
    kind_of(d->spec, d->kind, sizeof d->kind);
    d->ordinal = strncmp(d->spec, "cuda:", 5) ? -1 : atoi(d->spec + 5);
    if (d->ordinal >= 0 && cuda_count < 0) {
      gt_status st = gt_cuda_device_count(&cuda_count, err);
      if (st) return gt_error_prefix(err, "devices: %s: ", d->spec);
    }
    if (d->ordinal >= 0) {
      gt_status st = gt_sweep_device_check_ordinal(d->spec, d->ordinal, cuda_count, err);
      if (st) return st;
    }
    /* "threads" is per worker; 0 shares the cores out among the cpu workers */
    d->threads = cfg->threads;
    if (d->threads == 0 && cpu_workers > 1) d->threads = omp_get_max_threads() / cpu_workers;
    if (cpu_workers > 1 && d->threads < 1) d->threads = 1;
    device_name(d, d->name, sizeof d->name);
  }
  return GT_OK;
}

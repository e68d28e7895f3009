/* Run-time loading of the CUDA backend (gauntlet/cuda.h). libgauntlet_cuda.so links the CUDA
 * runtime and cuBLAS (hundreds of MB mapped, up to a second at start): it is dlopen()ed only when
 * a CUDA backend or a device query is asked for, first next to the executable, then through the
 * library search path. Before that, a cheap probe of the driver itself (libcuda.so.1: cuInit,
 * cuDeviceGetCount, a few milliseconds) decides whether there can be a GPU at all, so that
 * `--backend auto` on a machine without one never pays for loading the plugin.
 * Missing driver, missing plugin, cudaGetDeviceCount failing (35: insufficient driver, 34: stub
 * library) or zero devices are all "no GPU": GT_ERR_UNSUPPORTED with the reason, never a crash. */
#include "gauntlet/cuda.h"

#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct cuda_plugin {
  int tried;
  void *handle;
  char why[GT_ERROR_MSG_MAX]; /* why there is no plugin, when handle is NULL */
  int (*abi)(void);
  gt_status (*device_count)(int *, gt_error *);
  gt_status (*device_info)(int, gt_cuda_device_info *, gt_error *);
  gt_status (*create)(int, gt_backend **, gt_error *);
} cuda_plugin;

static cuda_plugin plugin;
static pthread_mutex_t plugin_lock = PTHREAD_MUTEX_INITIALIZER;

/* dlopen of the library in the executable's directory, else by name (LD_LIBRARY_PATH, ld.so.cache).
 * GAUNTLET_CUDA_LIBRARY names another file (tests of the loader). */
static void *open_library(char *why, size_t why_size) {
  const char *forced = getenv("GAUNTLET_CUDA_LIBRARY");
  if (forced && *forced) {
    void *h = dlopen(forced, RTLD_NOW | RTLD_LOCAL);
    if (!h) snprintf(why, why_size, "cannot load the CUDA backend %.400s (GAUNTLET_CUDA_LIBRARY): %.400s", forced, dlerror());
    return h;
  }
  char exe[PATH_MAX];
  ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (len > 0) {
    exe[len] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash && (size_t)(slash - exe) + 1 + strlen(GT_CUDA_PLUGIN_LIBRARY) < sizeof exe) {
      strcpy(slash + 1, GT_CUDA_PLUGIN_LIBRARY);
      if (access(exe, F_OK) == 0) {
        void *h = dlopen(exe, RTLD_NOW | RTLD_LOCAL);
        if (h) return h;
        snprintf(why, why_size, "cannot load the CUDA backend %.400s: %.400s", exe, dlerror());
        return NULL;
      }
    }
  }
  void *h = dlopen(GT_CUDA_PLUGIN_LIBRARY, RTLD_NOW | RTLD_LOCAL);
  if (!h)
    snprintf(why, why_size,
             "the CUDA backend library %s was not found next to the program or on the library path "
             "(this build has no CUDA backend, or it was built without nvcc): %s",
             GT_CUDA_PLUGIN_LIBRARY, dlerror());
  return h;
}

static void plugin_load(void) {
  if (plugin.tried) return;
  plugin.tried = 1;
  void *h = open_library(plugin.why, sizeof plugin.why);
  if (!h) return;
  /* dlsym returns void *; going through memcpy keeps ISO C's object/function pointer rule. */
  void *sym[4] = {dlsym(h, "gt_cuda_plugin_abi"), dlsym(h, "gt_cuda_plugin_device_count"),
                  dlsym(h, "gt_cuda_plugin_device_info"), dlsym(h, "gt_cuda_plugin_create")};
  for (int i = 0; i < 4; i++)
    if (!sym[i]) {
      snprintf(plugin.why, sizeof plugin.why, "the CUDA backend library lacks its entry points: %s", dlerror());
      dlclose(h);
      return;
    }
  memcpy(&plugin.abi, &sym[0], sizeof sym[0]);
  memcpy(&plugin.device_count, &sym[1], sizeof sym[1]);
  memcpy(&plugin.device_info, &sym[2], sizeof sym[2]);
  memcpy(&plugin.create, &sym[3], sizeof sym[3]);
  if (plugin.abi() != GT_CUDA_PLUGIN_ABI) {
    snprintf(plugin.why, sizeof plugin.why, "the CUDA backend library has interface version %d, this program needs %d",
             plugin.abi(), GT_CUDA_PLUGIN_ABI);
    dlclose(h);
    return;
  }
  plugin.handle = h;
}

/* The driver probe: the number of devices libcuda.so.1 reports, or -1 with the reason in why.
 * Skipped (returns 1) when GAUNTLET_CUDA_LIBRARY forces a plugin: the plugin's own
 * cudaGetDeviceCount then decides (this is how tests reach its error path without a driver). */
static int driver_probe(char *why, size_t why_size) {
  const char *forced = getenv("GAUNTLET_CUDA_LIBRARY");
  if (forced && *forced) return 1;
  void *h = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    snprintf(why, why_size, "no NVIDIA driver: libcuda.so.1 cannot be loaded (%.300s)", dlerror());
    return -1;
  }
  int (*cu_init)(unsigned) = NULL, (*cu_count)(int *) = NULL;
  void *a = dlsym(h, "cuInit"), *b = dlsym(h, "cuDeviceGetCount");
  memcpy(&cu_init, &a, sizeof a);
  memcpy(&cu_count, &b, sizeof b);
  int n = 0, r = cu_init && cu_count ? cu_init(0) : -1;
  if (r == 0) r = cu_count(&n);
  /* The driver stays loaded: the plugin would load it again right away. */
  if (r != 0) {
    snprintf(why, why_size, "the NVIDIA driver is present but unusable: cuInit/cuDeviceGetCount returned %d%s", r,
             r == 34 ? " (a stub library)" : (r == 100 ? " (no device)" : ""));
    return -1;
  }
  if (n < 1) snprintf(why, why_size, "the NVIDIA driver reports no CUDA device");
  return n;
}

static gt_status plugin_get(gt_error *err) {
  pthread_mutex_lock(&plugin_lock);
  if (!plugin.tried && driver_probe(plugin.why, sizeof plugin.why) < 1) plugin.tried = 1;
  plugin_load();
  pthread_mutex_unlock(&plugin_lock);
  if (!plugin.handle) return gt_error_set(err, GT_ERR_UNSUPPORTED, "CUDA unavailable: %s", plugin.why);
  return GT_OK;
}

gt_status gt_cuda_device_count(int *count, gt_error *err) {
  if (!count) return gt_error_set(err, GT_ERR_USAGE, "gt_cuda_device_count: no output pointer");
  *count = 0;
  gt_status st = plugin_get(err);
  if (st == GT_OK) st = plugin.device_count(count, err);
  if (st == GT_OK && *count < 1) st = gt_error_set(err, GT_ERR_UNSUPPORTED, "the CUDA driver reports no device");
  return st;
}

/* Checks that `ordinal` names a device (the plugin is then loaded). */
static gt_status check_ordinal(int ordinal, gt_error *err) {
  int count = 0;
  gt_status st = gt_cuda_device_count(&count, err);
  if (st != GT_OK) return st;
  if (ordinal < 0 || ordinal >= count)
    return gt_error_set(err, GT_ERR_USAGE, "CUDA device %d does not exist (devices: 0..%d)", ordinal, count - 1);
  return GT_OK;
}

gt_status gt_cuda_device_info_get(int ordinal, gt_cuda_device_info *info, gt_error *err) {
  if (!info) return gt_error_set(err, GT_ERR_USAGE, "gt_cuda_device_info_get: no output pointer");
  gt_status st = check_ordinal(ordinal, err);
  return st == GT_OK ? plugin.device_info(ordinal, info, err) : st;
}

gt_status gt_cuda_free_memory(int ordinal, size_t *free_bytes, size_t *total_bytes, gt_error *err) {
  gt_cuda_device_info info;
  gt_status st = gt_cuda_device_info_get(ordinal, &info, err);
  if (st != GT_OK) return st;
  if (free_bytes) *free_bytes = info.free_bytes;
  if (total_bytes) *total_bytes = info.total_bytes;
  return GT_OK;
}

gt_status gt_backend_cuda_create(int ordinal, gt_backend **out, gt_error *err) {
  if (!out) return gt_error_set(err, GT_ERR_USAGE, "gt_backend_cuda_create: no output pointer");
  *out = NULL;
  gt_status st = check_ordinal(ordinal, err);
  return st == GT_OK ? plugin.create(ordinal, out, err) : st;
}

const char *gt_backend_auto_choice(char *why, size_t why_size) {
  gt_error err = {0};
  int count = 0;
  if (gt_cuda_device_count(&count, &err) == GT_OK) {
    gt_cuda_device_info info;
    if (gt_cuda_device_info_get(0, &info, &err) == GT_OK) {
      snprintf(why, why_size, "CUDA device 0: %s", info.name);
      return "cuda";
    }
  }
  snprintf(why, why_size, "no usable GPU: %s", err.message);
  return "cpu";
}

int64_t gt_cuda_batch_for_memory(size_t free_bytes, size_t bytes_per_sample, int64_t cap) {
  if (cap < 1) cap = 1;
  if (bytes_per_sample == 0) return cap;
  size_t fit = free_bytes / 2 / bytes_per_sample;
  int64_t batch = 1;
  while (batch * 2 <= cap && (size_t)(batch * 2) <= fit) batch *= 2;
  return batch;
}

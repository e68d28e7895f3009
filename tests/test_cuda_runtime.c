/* The CUDA backend's run-time plumbing, on a machine without a GPU: the threaded emulation runs a
 * block reduction with barriers while the sequential one refuses it, empty grids fail, and device
 * out-of-memory is GT_ERR_MEMORY; the
 * loader treats "no driver", "stub driver", "no plugin" and cudaGetDeviceCount errors as "no GPU"
 * with a clear message (never a crash); `gauntlet devices` lists them; `--backend auto` falls
 * back to cpu and says so; the batch size from free memory. (The kernels themselves:
 * test_backend_ops.) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gauntlet/cuda.h"
#include "gauntlet/vecops.h"
#include "gt_test.h"

static char g_out[1 << 16], g_err[1 << 16];

static int run(const char *env, const char *args) {
  char cmd[4096];
  snprintf(cmd, sizeof cmd, "%s '%s' %s", env, GT_CLI_PATH, args);
  return gt_test_run_command(cmd, g_out, sizeof g_out, g_err, sizeof g_err);
}

static void test_emulation_launches(void) {
  gt_backend *be = NULL;
  gt_error err = {0};
  if (!GT_CHECK(gt_backend_cuda_emu_create(&be, &err) == GT_OK, "%s", err.message)) return;
  float sum = 0.0f;
  gt_status st = gt_cuda_emu_selftest_launch(be, 0, &sum, &err);
  GT_CHECK(st == GT_ERR_BACKEND && strstr(err.message, "not emulable") && strstr(err.message, "__syncthreads"),
           "a kernel with a barrier must fail under the sequential launch: %d %s", st, err.message);
  st = gt_cuda_emu_selftest_launch(be, 1, &sum, &err);
  GT_CHECK(st == GT_ERR_BACKEND && strstr(err.message, "invalid configuration"), "empty grid: %d %s", st, err.message);
  for (int which = 2; which <= 3; which++) {
    sum = 0.0f;
    st = gt_cuda_emu_selftest_launch(be, which, &sum, &err);
    GT_CHECK(st == GT_OK && sum == 499500.0f, "threaded launch %d: status %d, sum %.1f (want 499500): %s", which, st,
             (double)sum, err.message);
  }
  gt_backend_free(be);
}

static void test_out_of_memory(void) {
  gt_backend *be = NULL;
  gt_error err = {0};
  if (!GT_CHECK(gt_backend_cuda_emu_create(&be, &err) == GT_OK, "%s", err.message)) return;
  gt_cuda_emu_set_memory_limit((size_t)1 << 20);
  void *a = NULL, *b = NULL;
  GT_CHECK(be->iface->buffer_alloc(be, 600 << 10, &a, &err) == GT_OK, "first 600 KiB: %s", err.message);
  gt_status st = be->iface->buffer_alloc(be, 600 << 10, &b, &err);
  GT_CHECK(st == GT_ERR_MEMORY && strstr(err.message, "out of device memory"), "second 600 KiB: %d %s", st,
           err.message);
  /* A freed block is cached, and the pool gives cached blocks back before failing. */
  be->iface->buffer_free(be, a);
  GT_CHECK(be->iface->buffer_alloc(be, 700 << 10, &b, &err) == GT_OK, "after free: %s", err.message);
  be->iface->buffer_free(be, b);
  gt_cuda_emu_set_memory_limit((size_t)16 << 30);
  gt_backend_free(be);
}

static void test_sync_mode(void) {
  /* GAUNTLET_CUDA_SYNC=1 synchronises after every launch; results are the same. */
  setenv("GAUNTLET_CUDA_SYNC", "1", 1);
  gt_backend *be = NULL;
  gt_error err = {0};
  if (!GT_CHECK(gt_backend_cuda_emu_create(&be, &err) == GT_OK, "%s", err.message)) return;
  float host[5] = {0}, *dev = NULL;
  GT_CHECK(be->iface->buffer_alloc(be, sizeof host, (void **)&dev, &err) == GT_OK, "%s", err.message);
  GT_CHECK(be->iface->vec->fill(be, dev, 5, 2.5f, &err) == GT_OK, "fill: %s", err.message);
  GT_CHECK(be->iface->copy_to_host(be, host, dev, sizeof host, &err) == GT_OK, "%s", err.message);
  GT_CHECK(host[0] == 2.5f && host[4] == 2.5f, "fill gave %g %g", (double)host[0], (double)host[4]);
  GT_CHECK(be->iface->vec->fill(be, dev, -1, 0.0f, &err) == GT_ERR_USAGE, "negative count accepted");
  be->iface->buffer_free(be, dev);
  gt_backend_free(be);
  unsetenv("GAUNTLET_CUDA_SYNC");
}

static void test_no_gpu_in_process(void) {
  gt_backend *be = (gt_backend *)1;
  gt_error err = {0};
  gt_status st = gt_backend_create("cuda", &be, &err);
  if (st == GT_OK) {
    gt_test_skip("a CUDA device is present: the no-GPU path cannot be checked here");
    gt_backend_free(be);
    return;
  }
  GT_CHECK(st == GT_ERR_UNSUPPORTED && be == NULL && err.message[0], "cuda without a GPU: %d '%s'", st, err.message);
  GT_CHECK(gt_backend_create("cuda:x", &be, &err) == GT_ERR_USAGE && strstr(err.message, "cuda:N"), "%s", err.message);
  int count = 7;
  GT_CHECK(gt_cuda_device_count(&count, &err) == GT_ERR_UNSUPPORTED && count == 0, "count %d", count);
  char why[512];
  GT_CHECK(!strcmp(gt_backend_auto_choice(why, sizeof why), "cpu") && strstr(why, "no usable GPU"), "auto: %s", why);
}

static void test_devices_command(void) {
  GT_CHECK(run("", "devices") == 0, "devices: %s", g_err);
  if (strstr(g_out, "cuda   available")) {
    gt_test_skip("a CUDA device is present: the no-GPU listings cannot be checked here");
    return;
  }
  GT_CHECK(strstr(g_out, "ref    available") && strstr(g_out, "cuda   unavailable") && strstr(g_out, "none: ") &&
               strstr(g_out, "auto picks: cpu"),
           "devices without a GPU: %s", g_out);
  GT_CHECK(run("GAUNTLET_CUDA_LIBRARY=/nonexistent/libgauntlet_cuda.so", "devices") == 0 &&
               strstr(g_out, "cannot load the CUDA backend /nonexistent"),
           "missing plugin: %s", g_out);
  GT_CHECK(run("", "devices --bogus") == 2, "devices takes no arguments");
  /* The plugin itself, without a driver: cudaGetDeviceCount fails (35, or 34 with a stub). */
  char plugin[1024], env[1200];
  snprintf(plugin, sizeof plugin, "%s", GT_CLI_PATH);
  char *slash = strrchr(plugin, '/');
  if (slash) snprintf(slash + 1, sizeof plugin - (size_t)(slash + 1 - plugin), "libgauntlet_cuda.so");
  if (access(plugin, F_OK) == 0) {
    snprintf(env, sizeof env, "GAUNTLET_CUDA_LIBRARY='%s'", plugin);
    GT_CHECK(run(env, "devices") == 0 && strstr(g_out, "cudaGetDeviceCount failed") && strstr(g_out, "auto picks: cpu"),
             "plugin without a driver: %s", g_out);
  } else {
    printf("  (no libgauntlet_cuda.so in this build: nvcc absent or a sanitizer build; plugin path not run)\n");
  }
  /* A stub driver (the toolkit's stubs/libcuda.so, which answers 34) is not a GPU either. */
  const char *stub = "/usr/local/cuda/lib64/stubs/libcuda.so";
  if (access(stub, F_OK) == 0) {
    char dir[256], cmd[700];
    snprintf(dir, sizeof dir, "%s/stub-driver", GT_TMP_DIR);
    snprintf(cmd, sizeof cmd, "mkdir -p '%s' && ln -sf '%s' '%s/libcuda.so.1'", dir, stub, dir);
    GT_CHECK(system(cmd) == 0, "%s", cmd);
    snprintf(env, sizeof env, "LD_LIBRARY_PATH='%s'", dir);
    GT_CHECK(run(env, "devices") == 0 && strstr(g_out, "returned 34"), "stub driver: %s", g_out);
  }
}

static void test_auto_backend(void) {
  GT_CHECK(run("", "eval --model " GT_FIXTURES_DIR "/models/cnn.onnx --data fmnist:test --n 20") == 0, "eval: %s",
           g_err);
  if (strstr(g_err, "using cuda")) {
    gt_test_skip("a CUDA device is present");
    return;
  }
  GT_CHECK(strstr(g_err, "--backend auto: using cpu") && strstr(g_err, "no usable GPU"), "stderr: %s", g_err);
  GT_CHECK(strstr(g_out, "accuracy") != NULL, "stdout: %s", g_out);
  GT_CHECK(run("", "eval --model " GT_FIXTURES_DIR "/models/cnn.onnx --data fmnist:test --n 20 --backend cuda") == 1 &&
               strstr(g_err, "CUDA"),
           "--backend cuda without a GPU must fail with a message: %s", g_err);
}

static void test_batch_from_memory(void) {
  GT_CHECK(gt_cuda_batch_for_memory((size_t)1 << 30, 1 << 20, 4096) == 512, "1 GiB, 1 MiB per sample");
  GT_CHECK(gt_cuda_batch_for_memory((size_t)1 << 30, 3 << 20, 4096) == 128, "1 GiB, 3 MiB per sample");
  GT_CHECK(gt_cuda_batch_for_memory(1000, 1 << 20, 4096) == 1, "too little memory still gives 1");
  GT_CHECK(gt_cuda_batch_for_memory((size_t)80 << 30, 1024, 4096) == 4096, "the cap");
}

int main(void) {
  gt_test_run("emulation: barrier kernels run threaded, fail sequential; empty grids fail", test_emulation_launches);
  gt_test_run("emulation: device out of memory is GT_ERR_MEMORY", test_out_of_memory);
  gt_test_run("GAUNTLET_CUDA_SYNC=1", test_sync_mode);
  gt_test_run("no GPU: backend creation fails cleanly", test_no_gpu_in_process);
  gt_test_run("gauntlet devices", test_devices_command);
  gt_test_run("--backend auto falls back to cpu", test_auto_backend);
  gt_test_run("batch size from free memory", test_batch_from_memory);
  return gt_test_finish();
}

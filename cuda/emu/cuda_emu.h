/* The CUDA emulation shim: lets the host C++ compiler build the backend's .cu files unchanged
 * (cuda/gt_cuda.h includes this instead of <cuda_runtime.h> when GT_CUDA_EMU is defined), so that
 * the kernels run, and are tested, on a machine without a GPU.
 *  - Launches (GT_LAUNCH) loop over the real grid x block, one emulated thread after the other,
 *    with blockIdx / threadIdx / blockDim / gridDim as thread-local globals.
 *  - Device memory is host memory; fresh cudaMalloc memory is filled with NaN bytes (0xFF), since
 *    a real cudaMalloc does not zero, so reading memory nobody wrote shows up in tests. A limit on
 *    device memory can be set (gt_emu_set_memory_limit) to test out-of-memory paths.
 *  - cuBLAS calls map onto CBLAS with the SAME column-major arguments, after the argument checks
 *    cuBLAS itself makes, so the real call sites are exercised.
 *  - Kernels that need the threads of a block side by side (__shared__ memory with __syncthreads)
 *    are launched with GT_LAUNCH_BLOCK: the threaded emulation runs one host thread per CUDA
 *    thread of a block, blocks one after another, with a real barrier for __syncthreads and
 *    __shared__ variables as statics (one block at a time uses them).
 *  - What an emulation cannot run faithfully is never silently accepted: __syncthreads under the
 *    sequential launch, warp shuffles and atomics make the launch fail with cudaErrorNotSupported
 *    ("not emulable"), which GT_LAUNCH_CHECK reports. */
#ifndef GT_CUDA_EMU_H
#define GT_CUDA_EMU_H

#ifndef __cplusplus
#error "cuda_emu.h is C++: compile .cu files with the host C++ compiler (-x c++ -DGT_CUDA_EMU)"
#endif

#include <cblas.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __restrict__ __restrict
/* Block-shared memory: a static, which the one block running at a time shares among its threads
 * (GT_LAUNCH_BLOCK); emulation builds run one launch at a time per process. */
#define __shared__ static

struct dim3 {
  unsigned x, y, z;
  constexpr dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};

inline thread_local dim3 threadIdx, blockIdx, blockDim, gridDim;

/* The error codes this project meets, with the values of the CUDA runtime. */
typedef enum cudaError {
  cudaSuccess = 0,
  cudaErrorInvalidValue = 1,
  cudaErrorMemoryAllocation = 2,
  cudaErrorInvalidConfiguration = 9,
  cudaErrorStubLibrary = 34,
  cudaErrorInsufficientDriver = 35,
  cudaErrorNoDevice = 100,
  cudaErrorInvalidDevice = 101,
  cudaErrorNotSupported = 801
} cudaError_t;

typedef enum cudaMemcpyKind {
  cudaMemcpyHostToHost = 0,
  cudaMemcpyHostToDevice = 1,
  cudaMemcpyDeviceToHost = 2,
  cudaMemcpyDeviceToDevice = 3,
  cudaMemcpyDefault = 4
} cudaMemcpyKind;

#define cudaStreamNonBlocking 0x01

typedef struct gt_emu_stream *cudaStream_t;

typedef struct cudaDeviceProp {
  char name[256];
  size_t totalGlobalMem;
  int major, minor;
  int multiProcessorCount;
} cudaDeviceProp;

/* ---- emulator state (one emulated device per process) ---- */

struct gt_emu_state {
  std::mutex lock;
  std::unordered_map<void *, size_t> sizes; /* live allocations */
  size_t used = 0;
  size_t limit = (size_t)16 << 30; /* what cudaMemGetInfo reports as total */
};

inline gt_emu_state &gt_emu(void) {
  static gt_emu_state state;
  return state;
}

inline thread_local cudaError_t gt_emu_last_error = cudaSuccess;
/* Set by device code that the launch cannot run faithfully (from any emulated thread). */
inline std::atomic<const char *> gt_emu_not_emulable_what{nullptr};

/* Emulated device memory beyond `bytes` fails with cudaErrorMemoryAllocation (tests of the
 * out-of-memory paths). */
inline void gt_emu_set_memory_limit(size_t bytes) {
  std::lock_guard<std::mutex> g(gt_emu().lock);
  gt_emu().limit = bytes;
}

inline const char *cudaGetErrorString(cudaError_t e) {
  switch (e) {
    case cudaSuccess: return "no error";
    case cudaErrorInvalidValue: return "invalid argument";
    case cudaErrorMemoryAllocation: return "out of memory";
    case cudaErrorInvalidConfiguration: return "invalid configuration argument";
    case cudaErrorStubLibrary: return "CUDA driver is a stub library";
    case cudaErrorInsufficientDriver: return "CUDA driver version is insufficient for CUDA runtime version";
    case cudaErrorNoDevice: return "no CUDA-capable device is detected";
    case cudaErrorInvalidDevice: return "invalid device ordinal";
    case cudaErrorNotSupported:
      return gt_emu_not_emulable_what.load() ? gt_emu_not_emulable_what.load() : "operation not supported";
  }
  return "unknown error";
}

inline cudaError_t gt_emu_fail(cudaError_t e) {
  gt_emu_last_error = e;
  return e;
}

inline cudaError_t cudaGetLastError(void) {
  cudaError_t e = gt_emu_last_error;
  gt_emu_last_error = cudaSuccess;
  return e;
}

inline cudaError_t cudaPeekAtLastError(void) { return gt_emu_last_error; }

inline cudaError_t cudaGetDeviceCount(int *count) {
  if (!count) return gt_emu_fail(cudaErrorInvalidValue);
  *count = 1;
  return cudaSuccess;
}

inline cudaError_t cudaSetDevice(int device) { return device == 0 ? cudaSuccess : gt_emu_fail(cudaErrorInvalidDevice); }

inline cudaError_t cudaGetDevice(int *device) {
  if (!device) return gt_emu_fail(cudaErrorInvalidValue);
  *device = 0;
  return cudaSuccess;
}

inline cudaError_t cudaGetDeviceProperties(cudaDeviceProp *prop, int device) {
  if (!prop) return gt_emu_fail(cudaErrorInvalidValue);
  if (device != 0) return gt_emu_fail(cudaErrorInvalidDevice);
  std::memset(prop, 0, sizeof *prop);
  std::snprintf(prop->name, sizeof prop->name, "emulated CUDA device (host memory, sequential launch)");
  prop->totalGlobalMem = gt_emu().limit;
  prop->major = 8;
  prop->minor = 0;
  prop->multiProcessorCount = 1;
  return cudaSuccess;
}

inline cudaError_t cudaDriverGetVersion(int *v) {
  if (!v) return gt_emu_fail(cudaErrorInvalidValue);
  *v = 0;
  return cudaSuccess;
}

inline cudaError_t cudaRuntimeGetVersion(int *v) {
  if (!v) return gt_emu_fail(cudaErrorInvalidValue);
  *v = 0;
  return cudaSuccess;
}

inline cudaError_t cudaMemGetInfo(size_t *free_bytes, size_t *total_bytes) {
  std::lock_guard<std::mutex> g(gt_emu().lock);
  if (free_bytes) *free_bytes = gt_emu().limit > gt_emu().used ? gt_emu().limit - gt_emu().used : 0;
  if (total_bytes) *total_bytes = gt_emu().limit;
  return cudaSuccess;
}

inline cudaError_t cudaMalloc(void **ptr, size_t bytes) {
  if (!ptr) return gt_emu_fail(cudaErrorInvalidValue);
  *ptr = nullptr;
  gt_emu_state &s = gt_emu();
  std::lock_guard<std::mutex> g(s.lock);
  if (s.used > s.limit || bytes > s.limit - s.used) return gt_emu_fail(cudaErrorMemoryAllocation);
  void *p = std::malloc(bytes ? bytes : 1);
  if (!p) return gt_emu_fail(cudaErrorMemoryAllocation);
  std::memset(p, 0xFF, bytes); /* NaN in every float: cudaMalloc does not zero */
  s.sizes[p] = bytes;
  s.used += bytes;
  *ptr = p;
  return cudaSuccess;
}

inline cudaError_t cudaFree(void *ptr) {
  if (!ptr) return cudaSuccess;
  gt_emu_state &s = gt_emu();
  std::lock_guard<std::mutex> g(s.lock);
  auto it = s.sizes.find(ptr);
  if (it == s.sizes.end()) return gt_emu_fail(cudaErrorInvalidValue); /* not from cudaMalloc */
  s.used -= it->second;
  s.sizes.erase(it);
  std::free(ptr);
  return cudaSuccess;
}

inline cudaError_t cudaMemcpy(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind) {
  if (bytes == 0) return cudaSuccess;
  if (!dst || !src || (int)kind < 0 || kind > cudaMemcpyDefault) return gt_emu_fail(cudaErrorInvalidValue);
  std::memmove(dst, src, bytes);
  return cudaSuccess;
}

inline cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind, cudaStream_t) {
  return cudaMemcpy(dst, src, bytes, kind);
}

inline cudaError_t cudaMemset(void *dst, int value, size_t bytes) {
  if (bytes == 0) return cudaSuccess;
  if (!dst) return gt_emu_fail(cudaErrorInvalidValue);
  std::memset(dst, value, bytes);
  return cudaSuccess;
}

inline cudaError_t cudaMemsetAsync(void *dst, int value, size_t bytes, cudaStream_t) {
  return cudaMemset(dst, value, bytes);
}

/* Streams: every emulated launch has finished when it returns, so a stream is only a token. */
struct gt_emu_stream {
  int unused;
};

inline cudaError_t cudaStreamCreateWithFlags(cudaStream_t *s, unsigned) {
  if (!s) return gt_emu_fail(cudaErrorInvalidValue);
  *s = new gt_emu_stream();
  return cudaSuccess;
}

inline cudaError_t cudaStreamCreate(cudaStream_t *s) { return cudaStreamCreateWithFlags(s, 0); }

inline cudaError_t cudaStreamDestroy(cudaStream_t s) {
  delete s;
  return cudaSuccess;
}

inline cudaError_t cudaStreamSynchronize(cudaStream_t) { return cudaSuccess; }
inline cudaError_t cudaDeviceSynchronize(void) { return cudaSuccess; }

/* ---- launches ---- */

/* Called by device code that the sequential launch cannot run faithfully: the launch then fails
 * with cudaErrorNotSupported naming `what`. */
inline void gt_emu_not_emulable(const char *what) {
  const char *none = nullptr;
  gt_emu_not_emulable_what.compare_exchange_strong(none, what);
}

/* The barrier of the block being run by the threaded emulation (one generation per round). */
struct gt_emu_barrier {
  std::mutex m;
  std::condition_variable cv;
  unsigned count = 0, size = 0, generation = 0;
  void wait() {
    std::unique_lock<std::mutex> l(m);
    unsigned gen = generation;
    if (++count == size) {
      count = 0;
      generation++;
      cv.notify_all();
      return;
    }
    cv.wait(l, [&] { return gen != generation; });
  }
  /* A thread that has returned from the kernel no longer takes part (as on a device), so the
   * others are not left waiting for it. */
  void leave() {
    std::lock_guard<std::mutex> l(m);
    size--;
    if (count > 0 && count == size) {
      count = 0;
      generation++;
      cv.notify_all();
    }
  }
};

inline thread_local gt_emu_barrier *gt_emu_block_barrier = nullptr;

inline void __syncthreads(void) {
  if (gt_emu_block_barrier) gt_emu_block_barrier->wait();
  else gt_emu_not_emulable("not emulable: a kernel called __syncthreads under the sequential launch (use GT_LAUNCH_BLOCK)");
}

#define GT_EMU_WARP_OP(name)                                                                        \
  template <class T, class... Rest>                                                                 \
  inline T name(unsigned, T v, Rest...) {                                                           \
    gt_emu_not_emulable("not emulable: a kernel used the warp shuffle " #name);                    \
    return v;                                                                                       \
  }
GT_EMU_WARP_OP(__shfl_sync)
GT_EMU_WARP_OP(__shfl_down_sync)
GT_EMU_WARP_OP(__shfl_up_sync)
GT_EMU_WARP_OP(__shfl_xor_sync)
#undef GT_EMU_WARP_OP

/* Atomics run one at a time here, so their result would be one ordering among the device's many:
 * refused rather than checked. */
template <class T>
inline T atomicAdd(T *addr, T v) {
  gt_emu_not_emulable("not emulable: a kernel used atomicAdd (its order is not the device's)");
  T old = *addr;
  *addr = old + v;
  return old;
}

/* The configuration checks a real launch makes; on failure the launch's error is set. */
inline bool gt_emu_config_ok(dim3 grid, dim3 block, size_t shmem) {
  unsigned long long threads = (unsigned long long)block.x * block.y * block.z;
  if (grid.x == 0 || grid.y == 0 || grid.z == 0 || threads == 0 || threads > 1024 || block.z > 64 ||
      grid.y > 65535 || grid.z > 65535 || shmem > 48 * 1024) {
    gt_emu_fail(cudaErrorInvalidConfiguration);
    return false;
  }
  return true;
}

/* Runs kernel body f once per (block, thread) of the launch, in order, after the configuration
 * checks a real launch makes. */
template <class F>
inline void gt_emu_launch(dim3 grid, dim3 block, size_t shmem, F &&f) {
  if (!gt_emu_config_ok(grid, block, shmem)) return;
  gt_emu_not_emulable_what = nullptr;
  gridDim = grid;
  blockDim = block;
  for (unsigned bz = 0; bz < grid.z; bz++)
    for (unsigned by = 0; by < grid.y; by++)
      for (unsigned bx = 0; bx < grid.x; bx++)
        for (unsigned tz = 0; tz < block.z; tz++)
          for (unsigned ty = 0; ty < block.y; ty++)
            for (unsigned tx = 0; tx < block.x; tx++) {
              blockIdx = dim3(bx, by, bz);
              threadIdx = dim3(tx, ty, tz);
              f();
            }
  if (gt_emu_not_emulable_what) gt_emu_fail(cudaErrorNotSupported);
}

/* The threaded launch: the threads of one block run side by side (one host thread each) and meet
 * at __syncthreads; blocks run one after another. */
template <class F>
inline void gt_emu_launch_block(dim3 grid, dim3 block, size_t shmem, F &&f) {
  if (!gt_emu_config_ok(grid, block, shmem)) return;
  unsigned threads = block.x * block.y * block.z;
  gt_emu_not_emulable_what = nullptr;
  for (unsigned bz = 0; bz < grid.z; bz++)
    for (unsigned by = 0; by < grid.y; by++)
      for (unsigned bx = 0; bx < grid.x; bx++) {
        gt_emu_barrier barrier;
        barrier.size = threads;
        std::vector<std::thread> team;
        team.reserve((size_t)threads);
        for (unsigned t = 0; t < threads; t++)
          team.emplace_back([&, t]() {
            gridDim = grid;
            blockDim = block;
            blockIdx = dim3(bx, by, bz);
            threadIdx = dim3(t % block.x, (t / block.x) % block.y, t / (block.x * block.y));
            gt_emu_block_barrier = &barrier;
            f();
            barrier.leave();
            gt_emu_block_barrier = nullptr;
          });
        for (std::thread &th : team) th.join();
      }
  if (gt_emu_not_emulable_what) gt_emu_fail(cudaErrorNotSupported);
}

#define GT_LAUNCH_BLOCK_IMPL(kernel, grid, block, shmem_bytes, stream, ...)                                \
  do {                                                                                                     \
    (void)(stream);                                                                                        \
    gt_emu_launch_block(dim3(grid), dim3(block), (size_t)(shmem_bytes), [&]() { kernel(__VA_ARGS__); });  \
  } while (0)

#define GT_LAUNCH_IMPL(kernel, grid, block, shmem_bytes, stream, ...)                                 \
  do {                                                                                          \
    (void)(stream);                                                                             \
    gt_emu_launch(dim3(grid), dim3(block), (size_t)(shmem_bytes), [&]() { kernel(__VA_ARGS__); }); \
  } while (0)

/* ---- cuBLAS on CBLAS ---- */

typedef enum cublasStatus_t {
  CUBLAS_STATUS_SUCCESS = 0,
  CUBLAS_STATUS_NOT_INITIALIZED = 1,
  CUBLAS_STATUS_ALLOC_FAILED = 3,
  CUBLAS_STATUS_INVALID_VALUE = 7
} cublasStatus_t;

typedef enum cublasOperation_t { CUBLAS_OP_N = 0, CUBLAS_OP_T = 1, CUBLAS_OP_C = 2 } cublasOperation_t;
typedef enum cublasMath_t { CUBLAS_DEFAULT_MATH = 0, CUBLAS_TF32_TENSOR_OP_MATH = 3 } cublasMath_t;

struct gt_emu_blas {
  cudaStream_t stream;
};
typedef struct gt_emu_blas *cublasHandle_t;

inline const char *cublasGetStatusString(cublasStatus_t s) {
  switch (s) {
    case CUBLAS_STATUS_SUCCESS: return "CUBLAS_STATUS_SUCCESS";
    case CUBLAS_STATUS_NOT_INITIALIZED: return "CUBLAS_STATUS_NOT_INITIALIZED";
    case CUBLAS_STATUS_ALLOC_FAILED: return "CUBLAS_STATUS_ALLOC_FAILED";
    case CUBLAS_STATUS_INVALID_VALUE: return "CUBLAS_STATUS_INVALID_VALUE";
  }
  return "CUBLAS_STATUS_UNKNOWN";
}

inline cublasStatus_t cublasCreate(cublasHandle_t *h) {
  if (!h) return CUBLAS_STATUS_INVALID_VALUE;
  *h = new gt_emu_blas();
  return CUBLAS_STATUS_SUCCESS;
}

inline cublasStatus_t cublasDestroy(cublasHandle_t h) {
  delete h;
  return CUBLAS_STATUS_SUCCESS;
}

inline cublasStatus_t cublasSetStream(cublasHandle_t h, cudaStream_t s) {
  if (!h) return CUBLAS_STATUS_NOT_INITIALIZED;
  h->stream = s;
  return CUBLAS_STATUS_SUCCESS;
}

inline cublasStatus_t cublasSetMathMode(cublasHandle_t h, cublasMath_t) {
  return h ? CUBLAS_STATUS_SUCCESS : CUBLAS_STATUS_NOT_INITIALIZED;
}

/* C = alpha op(A) op(B) + beta C, column-major, with cuBLAS's argument rules. */
inline cublasStatus_t cublasSgemm(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
                                  const float *alpha, const float *A, int lda, const float *B, int ldb,
                                  const float *beta, float *C, int ldc) {
  if (!h) return CUBLAS_STATUS_NOT_INITIALIZED;
  int rows_a = ta == CUBLAS_OP_N ? m : k, rows_b = tb == CUBLAS_OP_N ? k : n;
  if (m < 0 || n < 0 || k < 0 || !alpha || !beta || lda < (rows_a > 1 ? rows_a : 1) ||
      ldb < (rows_b > 1 ? rows_b : 1) || ldc < (m > 1 ? m : 1) || (int)ta < 0 || ta > CUBLAS_OP_C ||
      (int)tb < 0 || tb > CUBLAS_OP_C)
    return CUBLAS_STATUS_INVALID_VALUE;
  if (m == 0 || n == 0) return CUBLAS_STATUS_SUCCESS;
  if (k == 0 || *alpha == 0.0f) {
    for (int j = 0; j < n; j++)
      for (int i = 0; i < m; i++) C[(size_t)j * ldc + i] = *beta == 0.0f ? 0.0f : *beta * C[(size_t)j * ldc + i];
    return CUBLAS_STATUS_SUCCESS;
  }
  cblas_sgemm(CblasColMajor, ta == CUBLAS_OP_N ? CblasNoTrans : CblasTrans, tb == CUBLAS_OP_N ? CblasNoTrans : CblasTrans,
              m, n, k, *alpha, A, lda, B, ldb, *beta, C, ldc);
  return CUBLAS_STATUS_SUCCESS;
}

inline cublasStatus_t cublasSgemmStridedBatched(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m,
                                                int n, int k, const float *alpha, const float *A, int lda,
                                                long long stride_a, const float *B, int ldb, long long stride_b,
                                                const float *beta, float *C, int ldc, long long stride_c, int batch) {
  if (batch < 0) return CUBLAS_STATUS_INVALID_VALUE;
  for (int i = 0; i < batch; i++) {
    cublasStatus_t s = cublasSgemm(h, ta, tb, m, n, k, alpha, A + i * stride_a, lda, B + i * stride_b, ldb, beta,
                                   C + i * stride_c, ldc);
    if (s != CUBLAS_STATUS_SUCCESS) return s;
  }
  return CUBLAS_STATUS_SUCCESS;
}

#endif

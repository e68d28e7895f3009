/* GT_HD marks functions that compile as both host and device code: __host__ __device__ under
 * nvcc, plain static inline in C and in the emulation build. Per-element math lives in these
 * headers once, and every backend (ref, cpu, cuda) calls it. */
#ifndef GAUNTLET_HD_COMMON_H
#define GAUNTLET_HD_COMMON_H

#if defined(__CUDACC__)
#define GT_HD static __host__ __device__ __forceinline__
#else
#define GT_HD static inline
#endif

#include <math.h>

#endif

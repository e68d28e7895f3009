/* Deterministic per-channel sums on the device for the training kernels, without atomics or
 * barriers (so the sequential emulated launch runs them exactly). v [outer, C, inner] has
 * M = outer * inner values per channel, position q = n * inner + i at ((n * C) + c) * inner + i.
 *  1. parts kernel, one thread per (channel c, part p < P): the terms of positions q = p, p + P,
 *     p + 2P, ... summed in double (neighbouring threads read neighbouring positions);
 *  2. finish kernel, one thread per channel: its P parts summed in order, the two totals handed to
 *     a finisher (store a mean, add into a gradient, ...).
 * P depends on M only (gt_cuda_chan_begin), so the sums depend on the shapes, never on the launch;
 * they are the ref backend's double sums up to the order of the double additions.
 * Terms:    __device__ void operator()(int64_t c, int64_t at, double *a, double *b) const;
 * Finisher: __device__ void operator()(int64_t c, double a, double b) const. */
#ifndef GT_CUDA_CHANNEL_SUMS_H
#define GT_CUDA_CHANNEL_SUMS_H

#include "cuda_train.h"

template <class Terms>
static __global__ void chan_parts_kernel(Terms terms, int64_t outer, int64_t channels, int64_t inner, int64_t parts,
                                         double *__restrict__ part) {
  GT_KERNEL_LOOP(t, channels * parts) {
    int64_t c = t / parts, m = outer * inner;
    double a = 0.0, b = 0.0;
    for (int64_t q = t % parts; q < m; q += parts) {
      int64_t n = q / inner;
      terms(c, (n * channels + c) * inner + (q - n * inner), &a, &b);
    }
    part[2 * t] = a;
    part[2 * t + 1] = b;
  }
}

template <class Finish>
static __global__ void chan_finish_kernel(Finish finish, const double *__restrict__ part, int64_t channels,
                                          int64_t parts) {
  GT_KERNEL_LOOP(c, channels) {
    double a = 0.0, b = 0.0;
    for (int64_t p = 0; p < parts; p++) {
      a += part[2 * (c * parts + p)];
      b += part[2 * (c * parts + p) + 1];
    }
    finish(c, a, b);
  }
}

/* Runs both kernels of the reduction ch (from gt_cuda_chan_begin). */
template <class Terms, class Finish>
static gt_status gt_cuda_chan_sums(gt_backend *be, const gt_cuda_chan *ch, Terms terms, Finish finish,
                                   gt_error *err) {
  if (ch->channels == 0) return GT_OK;
  cudaStream_t stream = gt_cuda_stream(be);
  GT_LAUNCH(chan_parts_kernel<Terms>, gt_cuda_blocks(ch->channels * ch->parts, GT_CUDA_THREADS), GT_CUDA_THREADS, 0,
            stream, terms, ch->outer, ch->channels, ch->inner, ch->parts, ch->part);
  GT_LAUNCH_CHECK();
  GT_LAUNCH(chan_finish_kernel<Finish>, gt_cuda_blocks(ch->channels, GT_CUDA_THREADS), GT_CUDA_THREADS, 0, stream,
            finish, ch->part, ch->channels, ch->parts);
  GT_LAUNCH_CHECK();
  return GT_OK;
}

/* Terms: a += v (a sum of x, or of dy for a bias). */
struct gt_chan_sum {
  const float *v;
  __device__ void operator()(int64_t c, int64_t at, double *a, double *b) const { *a += v[at]; }
};

/* Terms: a += x * dy, b += dy (inference BatchNorm's scale and shift). */
struct gt_chan_xdy {
  const float *x, *dy;
  __device__ void operator()(int64_t c, int64_t at, double *a, double *b) const {
    *a += (double)x[at] * (double)dy[at];
    *b += dy[at];
  }
};

/* Finisher: first[c] += a, second[c] += b (either may be NULL). */
struct gt_chan_add {
  float *first, *second;
  __device__ void operator()(int64_t c, double a, double b) const {
    if (first) first[c] += (float)a;
    if (second) second[c] += (float)b;
  }
};

#endif

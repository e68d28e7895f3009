/* Internal to the cpu backend: the direct convolution of conv_direct.c (unit strides, AVX2 + FMA),
 * which conv.c uses for a conv's forward and input gradient when the CPU has those instructions.
 * The caller packs the weights once per call and gives each thread a slice of scratch for the
 * planes of the sample (and group) it works on. */
#ifndef GAUNTLET_CPU_CONV_DIRECT_H
#define GAUNTLET_CPU_CONV_DIRECT_H

#include <stdint.h>

/* in [cin, ih, iw] -> out [cout, oh, ow] with a kh x kw kernel, dilations dh, dw, unit strides,
 * pads pt, pl (the far pads follow from the sizes); and the layout chosen (conv_direct.c). */
typedef struct gt_cpu_direct {
  int64_t cin, ih, iw, cout, oh, ow;
  int64_t kh, kw, dh, dw, pt, pl;
  int combine;    /* 1: row planes + column combine (cout < 4); 0: column planes */
  int64_t width;  /* cells per row of the planes and of the kernels' output: ow, or iw (combine) */
  int64_t copies; /* planes per input channel: kw, or 1 (combine) */
  int64_t kch;    /* channels the kernels compute: cout, or cout * kw (combine) */
  int64_t mr;     /* kernel channels per tile: 4, 3 or 1 */
  int64_t blocks; /* ceil(kch / mr) */
  int64_t ps;     /* floats per plane */
} gt_cpu_direct;

/* Fills d; returns 0 when the shapes are outside what the kernels do (a pad beyond the kernel's
 * reach on either side, which the transposed pass could not express; empty sizes). */
int gt_cpu_direct_geom(int64_t cin, int64_t ih, int64_t iw, int64_t cout, int64_t oh, int64_t ow, int64_t kh,
                       int64_t kw, int64_t dh, int64_t dw, int64_t pt, int64_t pl, gt_cpu_direct *d);

/* Scratch floats: packed weights (one call), one thread's slice (one sample and group). */
int64_t gt_cpu_direct_weight_floats(const gt_cpu_direct *d);
int64_t gt_cpu_direct_slice_floats(const gt_cpu_direct *d);

/* Packs w [cout, cin, kh, kw] (forward), or the forward weights w [cin, cout, kh, kw] of the
 * conv whose input gradient this pass computes, flipped (backward). */
void gt_cpu_direct_pack_forward(const gt_cpu_direct *d, const float *w, float *packed);
void gt_cpu_direct_pack_backward(const gt_cpu_direct *d, const float *w, float *packed);

/* One sample (and group): out [cout, oh, ow] written as sum (+ bias[o]) (ReLU when relu), or,
 * with add, the sum added. With mask [cin, ih, iw] (a ReLU's output) the input is taken times
 * gt_relu_grad(mask). */
void gt_cpu_direct_sample(const gt_cpu_direct *d, const float *in, const float *mask, const float *packed,
                          const float *bias, int relu, int add, float *slice, float *out);

/* The same cut in tiles, for threads sharing one sample (column planes only: !d->combine): each
 * thread builds the planes in its own slice, then runs its tiles; tiles write disjoint cells. */
int64_t gt_cpu_direct_tiles(const gt_cpu_direct *d);
void gt_cpu_direct_planes(const gt_cpu_direct *d, const float *in, const float *mask, float *slice);
void gt_cpu_direct_run(const gt_cpu_direct *d, const float *slice, const float *packed, const float *bias, int relu,
                       int add, int64_t t0, int64_t t1, float *out);

#endif

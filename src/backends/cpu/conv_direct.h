/* Internal to the cpu backend: the direct convolution of conv_direct.c (unit strides, AVX2 + FMA),
 * which conv.c uses for a conv's forward and input gradient when the CPU has those instructions.
 * One call of gt_cpu_direct_run covers a range of tiles of one sample (and group); the caller
 * builds the column planes and packs the weights first, in scratch. */
#ifndef GAUNTLET_CPU_CONV_DIRECT_H
#define GAUNTLET_CPU_CONV_DIRECT_H

#include <stdint.h>

/* in [cin, ih, iw] -> out [cout, oh, ow] with a kh x kw kernel, dilations dh, dw, unit strides,
 * pads pt, pl (the far pads follow from the sizes). */
typedef struct gt_cpu_direct {
  int64_t cin, ih, iw, cout, oh, ow;
  int64_t kh, kw, dh, dw, pt, pl;
  int64_t mr;     /* output channels per tile: 4, or 1 when cout < 4 */
  int64_t blocks; /* ceil(cout / mr) */
  int64_t ps;     /* floats per column plane */
} gt_cpu_direct;

/* 1 when this CPU runs the kernels (AVX2 and FMA); checked once. */
int gt_cpu_direct_supported(void);

/* Fills d; returns 0 when the shapes are outside what the kernels do (a pad beyond the kernel's
 * reach on either side, which the transposed pass could not express; empty sizes). */
int gt_cpu_direct_geom(int64_t cin, int64_t ih, int64_t iw, int64_t cout, int64_t oh, int64_t ow, int64_t kh,
                       int64_t kw, int64_t dh, int64_t dw, int64_t pt, int64_t pl, gt_cpu_direct *d);

/* Scratch floats: packed weights (one call), column planes (one sample and group). */
int64_t gt_cpu_direct_weight_floats(const gt_cpu_direct *d);
int64_t gt_cpu_direct_plane_floats(const gt_cpu_direct *d);

/* Packs w [cout, cin, kh, kw] (forward), or the forward weights w [cin, cout, kh, kw] of the
 * conv whose input gradient this pass computes, flipped (backward). */
void gt_cpu_direct_pack_forward(const gt_cpu_direct *d, const float *w, float *packed);
void gt_cpu_direct_pack_backward(const gt_cpu_direct *d, const float *w, float *packed);

/* Builds the column planes of in [cin, ih, iw]; with mask [cin, ih, iw] (a ReLU's output), each
 * value is multiplied by gt_relu_grad(mask) on the way. */
void gt_cpu_direct_planes(const gt_cpu_direct *d, const float *in, const float *mask, float *planes);

/* Tiles of one output plane set; tiles [t0, t1) write disjoint output cells. */
int64_t gt_cpu_direct_tiles(const gt_cpu_direct *d);

/* out [cout, oh, ow]: written as sum (+ bias[o]) (ReLU when relu), or, with add, the sum added. */
void gt_cpu_direct_run(const gt_cpu_direct *d, const float *planes, const float *packed, const float *bias, int relu,
                       int add, int64_t t0, int64_t t1, float *out);

#endif

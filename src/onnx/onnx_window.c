/* Sliding-window geometry shared by Conv, MaxPool and AveragePool: strides, dilations, pads or
 * auto_pad (NOTSET, SAME_UPPER, SAME_LOWER, VALID), and the output size incl. ceil_mode. */
#include <string.h>

#include "onnx/onnx_internal.h"

/* Reads an INTS attribute of exactly `want` values (def for each when absent). */
static gt_status read_pair(const gt_onnx_node_ctx *nc, const char *name, int want, int64_t def, int64_t min,
                           int64_t *out, gt_error *err) {
  int64_t v[4];
  int n = 0;
  gt_status st = gt_onnx_attr_ints(nc, name, v, 4, &n, err);
  if (st != GT_OK) return st;
  if (n < 0) {
    for (int k = 0; k < want; k++) out[k] = def;
    return GT_OK;
  }
  if (n != want)
    return gt_onnx_node_fail(nc, err, GT_ERR_FORMAT, "attribute '%s' has %d values; a 2-D window needs %d", name, n,
                             want);
  for (int k = 0; k < want; k++) {
    if (v[k] < min || v[k] > GT_MAX_DIM_SIZE)
      return gt_onnx_node_fail(nc, err, GT_ERR_FORMAT, "attribute '%s' value %lld is outside %lld..%lld", name,
                               (long long)v[k], (long long)min, (long long)GT_MAX_DIM_SIZE);
    out[k] = v[k];
  }
  return GT_OK;
}

gt_status gt_onnx_window_read(const gt_onnx_node_ctx *nc, const int64_t *in_hw, const int64_t *kernel,
                              int ceil_mode, gt_onnx_window *w, gt_error *err) {
  memset(w, 0, sizeof *w);
  int64_t pads[4];
  char auto_pad[32];
  gt_status st = read_pair(nc, "strides", 2, 1, 1, w->stride, err);
  if (st == GT_OK) st = read_pair(nc, "dilations", 2, 1, 1, w->dilation, err);
  if (st == GT_OK) st = read_pair(nc, "pads", 4, 0, 0, pads, err);
  if (st == GT_OK) st = gt_onnx_attr_string(nc, "auto_pad", "NOTSET", auto_pad, sizeof auto_pad, err);
  if (st != GT_OK) return st;
  int same_upper = !strcmp(auto_pad, "SAME_UPPER"), same_lower = !strcmp(auto_pad, "SAME_LOWER");
  int valid = !strcmp(auto_pad, "VALID");
  if (!same_upper && !same_lower && !valid && strcmp(auto_pad, "NOTSET") && auto_pad[0])
    return gt_onnx_node_fail(nc, err, GT_ERR_FORMAT, "attribute 'auto_pad' has unknown value '%s'", auto_pad);
  for (int a = 0; a < 2; a++) {
    int64_t in = in_hw[a], k = kernel[a], s = w->stride[a], d = w->dilation[a];
    if (k < 1 || k > GT_MAX_DIM_SIZE)
      return gt_onnx_node_fail(nc, err, GT_ERR_FORMAT, "kernel size %lld is outside 1..%lld", (long long)k,
                               (long long)GT_MAX_DIM_SIZE);
    int64_t ek = (k - 1) * d + 1; /* extent of the dilated kernel */
    int64_t pb = pads[a], pe = pads[a + 2], out;
    if (same_upper || same_lower) {
      out = (in + s - 1) / s;
      int64_t total = (out - 1) * s + ek - in;
      if (total < 0) total = 0;
      pb = same_upper ? total / 2 : total - total / 2;
      pe = total - pb;
    } else {
      if (valid) pb = pe = 0;
      int64_t span = in + pb + pe - ek;
      if (span < 0)
        return gt_onnx_node_fail(nc, err, GT_ERR_SHAPE,
                                 "window of %lld (kernel %lld, dilation %lld) is larger than the padded input %lld "
                                 "along spatial axis %d",
                                 (long long)ek, (long long)k, (long long)d, (long long)(in + pb + pe), a);
      out = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
      /* ceil_mode: the last window must start inside the input or its leading padding. */
      if (ceil_mode && (out - 1) * s >= in + pb) out--;
    }
    w->kernel[a] = k;
    w->pad_begin[a] = pb;
    w->pad_end[a] = pe;
    w->out[a] = out;
    if (pb > GT_MAX_DIM_SIZE || pe > GT_MAX_DIM_SIZE || out < 1 || out > GT_MAX_DIM_SIZE)
      return gt_onnx_node_fail(nc, err, GT_ERR_SHAPE, "output size %lld along spatial axis %d is not usable",
                               (long long)out, a);
  }
  return GT_OK;
}

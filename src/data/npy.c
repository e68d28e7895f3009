/* NumPy .npy images and labels for gt_dataset (the header parser is in src/core/npy.c).
 *
 * Images: '|u1' (scaled by 1/255) or '<f4' (must already lie in [0,1]); rank 3 [N, H, W] is one
 * channel; rank 4 is NHWC when the last dim is 1, 3 or 4 and dim 1 is not, otherwise NCHW (so an
 * ambiguous [N, 3, H, 3] is read as NCHW). Labels: '<i8', '<i4', '<i2' or '|u1', shape [N] or [N, 1]. */
#include <stdlib.h>
#include <string.h>

#include "data/loaders.h"
#include "gauntlet/npy.h"
#include "gauntlet/tensor.h"

static uint32_t le_u32(const uint8_t *b) {
  return (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) | ((uint32_t)b[3] << 24);
}

/* Image layout from the header: n, c, h, w and whether the data is NHWC. */
static gt_status npy_image_layout(const gt_npy_header *h, const char *path, int64_t dims[4], int *nhwc, gt_error *err) {
  char buf[128];
  *nhwc = 0;
  if (h->ndim == 3) {
    dims[0] = h->shape[0], dims[1] = 1, dims[2] = h->shape[1], dims[3] = h->shape[2];
    return GT_OK;
  }
  if (h->ndim != 4)
    return gt_error_set(err, GT_ERR_SHAPE, "%s: images have shape %s; expected rank 3 [N, H, W] or rank 4", path,
                        gt_shape_format(h->ndim, h->shape, buf, sizeof buf));
  int last_is_channels = h->shape[3] == 1 || h->shape[3] == 3 || h->shape[3] == 4;
  int dim1_is_channels = h->shape[1] == 1 || h->shape[1] == 3 || h->shape[1] == 4;
  *nhwc = last_is_channels && !dim1_is_channels;
  dims[0] = h->shape[0];
  dims[1] = *nhwc ? h->shape[3] : h->shape[1];
  dims[2] = *nhwc ? h->shape[1] : h->shape[2];
  dims[3] = *nhwc ? h->shape[2] : h->shape[3];
  return GT_OK;
}

/* Converts one image (file order) into dst [c, h, w]; float values outside [0,1] (or NaN) fail,
 * naming the flat element index in the file. */
static gt_status npy_convert_image(const uint8_t *src, const gt_npy_header *h, const char *path, const int64_t dims[4],
                                   int nhwc, int64_t first_index, float *dst, gt_error *err) {
  int64_t c = dims[1], hw = dims[2] * dims[3], count = c * hw;
  for (int64_t i = 0; i < count; i++) {
    float v;
    if (h->itemsize == 1) {
      v = (float)src[i] / 255.0f;
    } else {
      uint32_t bits = le_u32(src + 4 * i);
      memcpy(&v, &bits, sizeof v);
      if (!(v >= 0.0f && v <= 1.0f))
        return gt_error_set(err, GT_ERR_FORMAT, "%s: image value %g at flat index %lld is outside [0,1]", path,
                            (double)v, (long long)(first_index + i));
    }
    /* NHWC file index i = pixel * c + channel goes to channel * hw + pixel. */
    int64_t to = nhwc ? (i % c) * hw + i / c : i;
    dst[to] = v;
  }
  return GT_OK;
}

static gt_status npy_read_images(FILE *f, const char *path, const gt_npy_header *h, const int64_t dims[4], int nhwc,
                                 gt_dataset *ds, gt_error *err) {
  int64_t sample = dims[1] * dims[2] * dims[3];
  uint8_t *buf = malloc((size_t)(sample * h->itemsize));
  if (!buf) return gt_error_set(err, GT_ERR_MEMORY, "%s: out of memory", path);
  gt_status st = GT_OK;
  for (int64_t i = 0; i < ds->n && st == GT_OK; i++) {
    if (fread(buf, (size_t)h->itemsize, (size_t)sample, f) != (size_t)sample)
      st = gt_error_set(err, GT_ERR_IO, "%s: read error in image %lld (offset %lld)", path, (long long)i,
                        (long long)(h->data_offset + i * sample * h->itemsize));
    else
      st = npy_convert_image(buf, h, path, dims, nhwc, i * sample, ds->images + i * sample, err);
  }
  free(buf);
  return st;
}

static gt_status npy_read_labels(FILE *f, const char *path, const gt_npy_header *h, gt_dataset *ds, gt_error *err) {
  size_t bytes = (size_t)(h->numel * h->itemsize);
  uint8_t *buf = malloc(bytes);
  if (!buf) return gt_error_set(err, GT_ERR_MEMORY, "%s: out of memory", path);
  gt_status st = GT_OK;
  if (fread(buf, 1, bytes, f) != bytes) st = gt_error_set(err, GT_ERR_IO, "%s: read error in the labels", path);
  for (int64_t i = 0; i < ds->n && st == GT_OK; i++) {
    const uint8_t *b = buf + i * h->itemsize;
    int64_t v;
    if (h->itemsize == 1) {
      v = b[0];
    } else if (h->itemsize == 2) {
      v = (int16_t)(uint16_t)(b[0] | (b[1] << 8));
    } else if (h->itemsize == 4) {
      v = (int32_t)le_u32(b);
    } else {
      v = (int64_t)(((uint64_t)le_u32(b + 4) << 32) | le_u32(b));
    }
    if (v < 0 || v >= GT_DATASET_MAX_CLASSES)
      st = gt_error_set(err, GT_ERR_FORMAT, "%s: label %lld at index %lld (offset %lld) is outside 0..%d", path,
                        (long long)v, (long long)i, (long long)(h->data_offset + i * h->itemsize),
                        GT_DATASET_MAX_CLASSES - 1);
    else
      ds->labels[i] = (int32_t)v;
  }
  free(buf);
  return st;
}

gt_status gt_data_load_npy(const char *images_path, const char *labels_path, gt_dataset **out, gt_error *err) {
  static const char *const image_types[] = {"|u1", "<u1", "<f4"};
  static const int image_sizes[] = {1, 1, 4};
  static const char *const label_types[] = {"<i8", "<i4", "<i2", "|u1"};
  static const int label_sizes[] = {8, 4, 2, 1};
  FILE *fx = NULL, *fy = NULL;
  int64_t size_x = 0, size_y = 0, dims[4] = {0};
  int nhwc = 0;
  gt_npy_header hx = {0}, hy = {0};
  char buf[128];
  gt_status st = gt_data_open_file(images_path, &fx, &size_x, err);
  if (st == GT_OK) st = gt_npy_read_header(fx, images_path, size_x, image_types, image_sizes, 3, &hx, err);
  if (st == GT_OK) st = npy_image_layout(&hx, images_path, dims, &nhwc, err);
  if (st == GT_OK) st = gt_data_open_file(labels_path, &fy, &size_y, err);
  if (st == GT_OK) st = gt_npy_read_header(fy, labels_path, size_y, label_types, label_sizes, 4, &hy, err);
  if (st == GT_OK && !(hy.ndim == 1 || (hy.ndim == 2 && hy.shape[1] == 1)))
    st = gt_error_set(err, GT_ERR_SHAPE, "%s: labels have shape %s; expected [N] or [N, 1]", labels_path,
                      gt_shape_format(hy.ndim, hy.shape, buf, sizeof buf));
  if (st == GT_OK && hy.shape[0] != dims[0])
    st = gt_error_set(err, GT_ERR_SHAPE, "%s holds %lld images but %s holds %lld labels: the counts must match",
                      images_path, (long long)dims[0], labels_path, (long long)hy.shape[0]);
  gt_dataset *ds = NULL;
  if (st == GT_OK) st = gt_data_alloc(dims[0], dims[1], dims[2], dims[3], images_path, &ds, err);
  if (st == GT_OK) st = npy_read_labels(fy, labels_path, &hy, ds, err);
  if (st == GT_OK) st = npy_read_images(fx, images_path, &hx, dims, nhwc, ds, err);
  if (fx) fclose(fx);
  if (fy) fclose(fy);
  if (st != GT_OK) {
    gt_dataset_free(ds);
    return st;
  }
  gt_data_classes_from_labels(ds);
  *out = ds;
  return GT_OK;
}

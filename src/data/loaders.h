/* Private to src/data: the per-format loaders that gt_dataset_load dispatches to, and the
 * helpers they share (allocation under the size caps, byte-to-[0,1] conversion, file opening). */
#ifndef GAUNTLET_DATA_LOADERS_H
#define GAUNTLET_DATA_LOADERS_H

#include <stdint.h>
#include <stdio.h>

#include "gauntlet/data.h"

/* A dataset with images [n, c, h, w] and labels [n] allocated (contents undefined); `what`
 * names the source in errors. n, c, h, w must be >= 1 and n*c*h*w within GT_MAX_ELEMENTS. */
gt_status gt_data_alloc(int64_t n, int64_t c, int64_t h, int64_t w, const char *what, gt_dataset **out,
                        gt_error *err);

/* dst[i] = src[i] / 255, exactly as the float division gives it. */
void gt_data_u8_to_unit(const uint8_t *src, float *dst, size_t n);

/* n_classes = 1 + the largest label (labels are already known to lie in 0..GT_DATASET_MAX_CLASSES-1). */
void gt_data_classes_from_labels(gt_dataset *ds);

/* Opens a regular file for binary reading and gives its size in bytes (GT_ERR_IO otherwise). */
gt_status gt_data_open_file(const char *path, FILE **f, int64_t *size, gt_error *err);

/* IDX pair (idx.c): images [N, H, W] and labels [N], unsigned bytes, each gzipped or raw. */
gt_status gt_data_load_idx(const char *images_path, const char *labels_path, gt_dataset **out, gt_error *err);

/* CIFAR binary batches (cifar.c), concatenated in the given order. cifar100 selects the
 * 2-label-byte CIFAR-100 record (fine label kept) instead of CIFAR-10's 1 label byte. */
gt_status gt_data_load_cifar(const char *const *paths, int n_paths, int cifar100, gt_dataset **out,
                             gt_error *err);

/* Folder of class folders of PNG files (png.c). */
gt_status gt_data_load_png(const char *dir, gt_dataset **out, gt_error *err);

/* NumPy images and labels (npy.c). */
gt_status gt_data_load_npy(const char *images_path, const char *labels_path, gt_dataset **out, gt_error *err);

#endif

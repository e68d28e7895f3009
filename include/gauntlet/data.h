/* Datasets: images as float32 NCHW in [0,1] with int32 labels, held in host memory.
 *
 * A dataset spec names the source:
 *   fmnist:test | fmnist:train      Debian's Fashion-MNIST (/usr/share/datasets/fashion-mnist)
 *   idx:IMAGES,LABELS               any MNIST-style IDX pair, gzipped or not
 *   cifar10:DIR | cifar100:DIR      CIFAR binary batches (test_batch.bin / test.bin)
 *   png:DIR                         DIR/<class name>/*.png, classes in sorted name order
 *   npy:X.npy,Y.npy                 uint8 or float32 images, NCHW or NHWC; integer labels
 * Every loader bound-checks sizes against the file and reports file, offset and problem. */
#ifndef GAUNTLET_DATA_H
#define GAUNTLET_DATA_H

#include <stdint.h>

#include "gauntlet/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gt_dataset {
  int64_t n;            /* number of points */
  int c, h, w;          /* image shape */
  float *images;        /* [n, c, h, w], values in [0,1] */
  int32_t *labels;      /* [n] */
  int n_classes;        /* 1 + the largest label (or the class-folder count for png:) */
  char *source;         /* the spec it was loaded from, for reports */
} gt_dataset;

/* Loads the dataset named by spec. */
gt_status gt_dataset_load(const char *spec, gt_dataset **out, gt_error *err);

/* Keeps the first n points (n <= ds->n, else GT_ERR_USAGE). */
gt_status gt_dataset_take_first(gt_dataset *ds, int64_t n, gt_error *err);

/* Keeps the points whose indices are listed in a text file (one integer per line, '#' comments),
 * in the file's order; an index out of range names the line. */
gt_status gt_dataset_take_index_file(gt_dataset *ds, const char *path, gt_error *err);

void gt_dataset_free(gt_dataset *ds);

#ifdef __cplusplus
}
#endif
#endif

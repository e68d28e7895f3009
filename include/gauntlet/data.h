/* Datasets: images as float32 NCHW in [0,1] with int32 labels, held in host memory.
 *
 * A dataset spec names the source:
 *   fmnist:test | fmnist:train      Fashion-MNIST, gzipped IDX files {t10k,train}-{images-idx3,labels-idx1}-ubyte.gz
 *                                   in $GAUNTLET_FMNIST_DIR, else /usr/share/datasets/fashion-mnist (Debian's)
 *   mnist:DIR[:test|:train]         the same four MNIST file names in DIR, gzipped (.gz) or not; default test
 *   idx:IMAGES,LABELS               any MNIST-style IDX pair (unsigned bytes, images [N, H, W]), gzipped or not
 *   cifar10:DIR[:test|:train]       CIFAR-10 binary batches: DIR/test_batch.bin, or DIR/data_batch_{1..5}.bin;
 *                                   records of 1 label byte + 3072 image bytes (3 x 32 x 32, planes R, G, B)
 *   cifar100:DIR[:test|:train]      CIFAR-100 binary: DIR/test.bin or DIR/train.bin; records of coarse label,
 *                                   fine label (the one kept), 3072 image bytes
 *   png:DIR                         DIR/<class name>/<image>.png, classes in sorted (byte-wise) name order, images
 *                                   in sorted name order within a class; names starting with '.' are ignored.
 *                                   All images share one size. All gray -> 1 channel; otherwise 3 (gray images
 *                                   are repeated into R, G, B); alpha is dropped; 8- and 16-bit samples.
 *   npy:X.npy,Y.npy                 NumPy .npy v1/v2/v3, C order. X: '|u1' (scaled by 1/255) or '<f4' (must
 *                                   already lie in [0,1]); rank 3 [N, H, W] (one channel) or rank 4. A rank-4 X
 *                                   is NHWC when its last dim is 1, 3 or 4 and dim 1 is not; otherwise NCHW.
 *                                   Y: '<i8', '<i4', '<i2' or '|u1', shape [N] or [N, 1].
 * Labels must lie in 0..GT_DATASET_MAX_CLASSES-1. n_classes is 1 + the largest label, except for cifar10/100
 * (10 and 100, fixed by the format) and png: (the number of class folders).
 * Every loader bound-checks sizes against the file and reports file, offset (or record, line) and problem. */
#ifndef GAUNTLET_DATA_H
#define GAUNTLET_DATA_H

#include <stdint.h>

#include "gauntlet/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Labels are class indices 0..GT_DATASET_MAX_CLASSES-1; anything else is rejected as corrupt. */
#define GT_DATASET_MAX_CLASSES 256

typedef struct gt_dataset {
  int64_t n;            /* number of points */
  int c, h, w;          /* image shape */
  float *images;        /* [n, c, h, w], values in [0,1] */
  int32_t *labels;      /* [n] */
  int n_classes;        /* see the rule above */
  char *source;         /* the spec it was loaded from, for reports */
} gt_dataset;

/* Loads the dataset named by spec. An unknown scheme is GT_ERR_USAGE and lists the known ones. */
gt_status gt_dataset_load(const char *spec, gt_dataset **out, gt_error *err);

/* Keeps the first n points (0 <= n <= ds->n, else GT_ERR_USAGE). n_classes is kept. */
gt_status gt_dataset_take_first(gt_dataset *ds, int64_t n, gt_error *err);

/* Keeps the points whose indices are listed in a text file (one integer per line; '#' starts a
 * comment; blank lines allowed; repeats allowed), in the file's order. A line that is not an
 * integer, or an index outside 0..n-1, is GT_ERR_FORMAT naming the line; a file with no index
 * is GT_ERR_FORMAT. On failure ds is unchanged. n_classes is kept. */
gt_status gt_dataset_take_index_file(gt_dataset *ds, const char *path, gt_error *err);

void gt_dataset_free(gt_dataset *ds);

#ifdef __cplusplus
}
#endif
#endif

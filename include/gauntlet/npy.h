/* NumPy .npy files: header parsing shared by the dataset loader and readers/writers of float32
 * arrays (model reference fixtures, saved adversarial examples).
 *
 * File layout (format versions 1.0, 2.0, 3.0): the magic "\x93NUMPY", major and minor version
 * bytes, the header length (uint16 LE for v1, uint32 LE for v2/v3), then the header: a Python
 * dict literal such as {'descr': '<f4', 'fortran_order': False, 'shape': (10, 28, 28), }
 * padded with spaces and a newline; the C-order data follows. */
#ifndef GAUNTLET_NPY_H
#define GAUNTLET_NPY_H

#include <stdint.h>
#include <stdio.h>

#include "gauntlet/status.h"
#include "gauntlet/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GT_NPY_MAX_STRING 32

typedef struct gt_npy_header {
  char descr[GT_NPY_MAX_STRING + 1];
  int fortran_order;
  int ndim;
  int64_t shape[GT_MAX_DIMS];
  int64_t data_offset; /* where the data starts in the file */
  int64_t numel;
  int itemsize;
} gt_npy_header;

/* Reads and checks the preamble and header of an open file of file_size bytes, then checks that
 * the data the header describes exactly fills the rest of the file. `dtypes` lists the accepted
 * descr strings, `itemsizes` their sizes. Leaves f at the start of the data. */
gt_status gt_npy_read_header(FILE *f, const char *path, int64_t file_size, const char *const *dtypes,
                             const int *itemsizes, int n_dtypes, gt_npy_header *h, gt_error *err);

/* A whole little-endian float32 ('<f4') array: *data (malloc'd, caller frees), rank and shape. */
gt_status gt_npy_read_f32(const char *path, float **data, int *ndim, int64_t shape[GT_MAX_DIMS], gt_error *err);

/* Writes a float32 array as a version 1.0 .npy file. */
gt_status gt_npy_write_f32(const char *path, const float *data, int ndim, const int64_t *shape, gt_error *err);

#ifdef __cplusplus
}
#endif
#endif

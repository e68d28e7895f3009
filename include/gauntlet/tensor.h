/* Float32 tensors: an explicit shape and strides over memory owned by a backend.
 * Only the backend that owns `data` may dereference it (it may be device memory);
 * graph and attack code pass tensors around and call backend ops on them. */
#ifndef GAUNTLET_TENSOR_H
#define GAUNTLET_TENSOR_H

#include <stdint.h>
#include <stddef.h>

#include "gauntlet/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GT_MAX_DIMS 6

/* Caps that keep hostile model and data files from asking for absurd memory. */
#define GT_MAX_ELEMENTS ((int64_t)1 << 31)   /* elements in one tensor */
#define GT_MAX_DIM_SIZE ((int64_t)1 << 30)   /* one dimension */

typedef struct gt_tensor {
  int ndim;
  int64_t shape[GT_MAX_DIMS];
  int64_t strides[GT_MAX_DIMS]; /* in elements; contiguous row-major unless said otherwise */
  float *data;                  /* backend memory */
} gt_tensor;

/* Fills shape and contiguous row-major strides; data is left as given. */
void gt_tensor_init(gt_tensor *t, float *data, int ndim, const int64_t *shape);

int64_t gt_tensor_numel(const gt_tensor *t);
int gt_tensor_is_contiguous(const gt_tensor *t);

/* Product of dims with overflow and cap checks; GT_ERR_LIMIT names `what` on failure. */
gt_status gt_shape_numel_checked(int ndim, const int64_t *shape, int64_t *numel, const char *what,
                                 gt_error *err);

/* "[2, 3, 28, 28]" into buf (always terminated). */
const char *gt_shape_format(int ndim, const int64_t *shape, char *buf, size_t size);

#ifdef __cplusplus
}
#endif
#endif

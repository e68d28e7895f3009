/* The CUDA backend's row copies for compaction (gauntlet/vecops.h): gather, scatter and masked
 * copy of rows of row_bytes bytes. One thread per 4-byte word when rows are whole words (floats,
 * int32, int64 alike), else per byte; each destination word has exactly one writer (scatter's
 * indices are checked distinct), so no atomics. */
#include "vecops_cuda.h"

/* dst row j <- src row map(j), for the rows j with a source; T is the copy unit. mode 0: gather
 * (src row idx[j]); 1: scatter (dst row idx[j] <- src row j); 2: masked (row j where mask[j]). */
template <class T>
__global__ void gt_vec_rows_kernel(int mode, const T *src, const int32_t *idx, int64_t rows, int64_t units, T *dst) {
  GT_KERNEL_LOOP(e, rows * units) {
    int64_t j = e / units, u = e % units;
    if (mode == 0) dst[j * units + u] = src[(int64_t)idx[j] * units + u];
    else if (mode == 1) dst[(int64_t)idx[j] * units + u] = src[j * units + u];
    else if (idx[j]) dst[j * units + u] = src[j * units + u];
  }
}

static gt_status launch_rows(gt_backend *be, int mode, const void *src, const int32_t *idx, int64_t rows,
                             size_t row_bytes, void *dst, gt_error *err) {
  if (rows == 0) return GT_OK;
  if (row_bytes % 4 == 0) {
    int64_t units = (int64_t)(row_bytes / 4);
    GT_LAUNCH(gt_vec_rows_kernel<uint32_t>, GT_VEC_GRID(rows * units), mode, (const uint32_t *)src, idx, rows, units,
              (uint32_t *)dst);
  } else {
    int64_t units = (int64_t)row_bytes;
    GT_LAUNCH(gt_vec_rows_kernel<unsigned char>, GT_VEC_GRID(rows * units), mode, (const unsigned char *)src, idx,
              rows, units, (unsigned char *)dst);
  }
  GT_LAUNCH_CHECK();
  return GT_OK;
}

gt_status gt_cuda_vec_gather_rows(gt_backend *be, const void *src, int64_t n_src, const int32_t *idx, int64_t n_idx,
                                  size_t row_bytes, void *dst, gt_error *err) {
  gt_host_copy h;
  gt_status st = gt_vec_check_row_bytes(GT_VEC_WHO, "gather_rows", n_src > n_idx ? n_src : n_idx, row_bytes, err);
  if (st == GT_OK) st = gt_vec_fetch(be, idx, n_idx, h, err);
  if (st == GT_OK) st = gt_vec_check_gather(GT_VEC_WHO, src, n_src, h.as<int32_t>(), n_idx, row_bytes, dst, err);
  if (st != GT_OK) return st;
  return launch_rows(be, 0, src, idx, n_idx, row_bytes, dst, err);
}

gt_status gt_cuda_vec_scatter_rows(gt_backend *be, const void *src, const int32_t *idx, int64_t n_idx,
                                   size_t row_bytes, void *dst, int64_t n_dst, gt_error *err) {
  gt_host_copy h;
  gt_status st = gt_vec_check_row_bytes(GT_VEC_WHO, "scatter_rows", n_dst > n_idx ? n_dst : n_idx, row_bytes, err);
  if (st == GT_OK) st = gt_vec_fetch(be, idx, n_idx, h, err);
  if (st == GT_OK) st = gt_vec_check_scatter(GT_VEC_WHO, src, h.as<int32_t>(), n_idx, row_bytes, dst, n_dst, err);
  if (st != GT_OK) return st;
  return launch_rows(be, 1, src, idx, n_idx, row_bytes, dst, err);
}

gt_status gt_cuda_vec_copy_rows_masked(gt_backend *be, const int32_t *mask, const void *src, int64_t n,
                                       size_t row_bytes, void *dst, gt_error *err) {
  gt_status st = gt_vec_check_copy_masked(GT_VEC_WHO, mask, src, n, row_bytes, dst, err);
  if (st != GT_OK) return st;
  return launch_rows(be, 2, src, mask, n, row_bytes, dst, err);
}

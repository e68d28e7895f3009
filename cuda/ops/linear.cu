/* Linear (Gemm / MatMul with a constant weight) on the device: one cuBLAS sgemm over all rows.
 *   x [N, ..., K], W [M, K], optional b [M]  ->  y [N, ..., M];  R = numel(x) / K rows.
 *   y [R, M] = x [R, K] . W^T (+ b)   is, column-major,   y^T [M, R] = W [M, K] . x^T [K, R]:
 *     sgemm(T, N, M, R, K, W (ld K), x (ld K), y (ld M)), after y = b row by row (beta = 1).
 *   dx [R, K] += dy [R, M] . W        is   dx^T [K, R] += W^T [K, M] . dy^T [M, R]:
 *     sgemm(N, N, K, R, M, W (ld K), dy (ld M), beta = 1, dx (ld K)). */
#include "cuda_ops.h"
#include "backends/op_layout.h"

static __global__ void bias_rows_kernel(const float *__restrict__ b, int64_t m, int64_t total, float *__restrict__ y) {
  GT_KERNEL_LOOP(e, total) y[e] = b[e % m];
}

gt_status gt_cuda_linear_forward(gt_backend *be, const gt_op_call *call, gt_error *err) {
  int64_t rows, k, m;
  gt_status st = gt_op_linear_geom_of(GT_CUDA_BACKEND_NAME, call, &rows, &k, &m, err);
  if (st != GT_OK) return st;
  int64_t total = rows * m;
  if (total == 0) return GT_OK;
  const float *x = call->in[0]->data, *wt = call->in[1]->data;
  const float *bias = call->node->n_inputs == 3 ? call->in[2]->data : NULL;
  float *y = call->out->data;
  gt_cuda_ctx *ctx = gt_cuda_ctx_of(be);
  if (bias) {
    GT_LAUNCH(bias_rows_kernel, gt_cuda_blocks(total, GT_CUDA_THREADS), GT_CUDA_THREADS, 0, ctx->stream, bias, m,
              total, y);
    GT_LAUNCH_CHECK();
  }
  if (k == 0) { /* an empty sum: y is the bias, or 0 */
    if (!bias) GT_CUDA_TRY(cudaMemsetAsync(y, 0, (size_t)total * sizeof(float), ctx->stream));
    return GT_OK;
  }
  const float one = 1.0f, zero = 0.0f;
  GT_CUBLAS_TRY(cublasSgemm(ctx->blas, CUBLAS_OP_T, CUBLAS_OP_N, (int)m, (int)rows, (int)k, &one, wt, (int)k, x,
                            (int)k, bias ? &one : &zero, y, (int)m));
  return GT_OK;
}

gt_status gt_cuda_linear_backward(gt_backend *be, const gt_op_call *call, const gt_tensor *grad_out,
                                  gt_tensor *const *grad_in, gt_error *err) {
  int64_t rows, k, m;
  gt_status st = gt_op_linear_geom_of(GT_CUDA_BACKEND_NAME, call, &rows, &k, &m, err);
  if (st == GT_OK) st = gt_cuda_check_backward(call, 2, 3, grad_out, grad_in, err);
  if (st == GT_OK) st = gt_cuda_refuse_weight_grads(call, grad_in, 1, err);
  if (st != GT_OK) return st;
  if (!grad_in[0] || rows == 0 || k == 0 || m == 0) return GT_OK;
  gt_cuda_ctx *ctx = gt_cuda_ctx_of(be);
  const float one = 1.0f;
  GT_CUBLAS_TRY(cublasSgemm(ctx->blas, CUBLAS_OP_N, CUBLAS_OP_N, (int)k, (int)rows, (int)m, &one, call->in[1]->data,
                            (int)k, grad_out->data, (int)m, &one, grad_in[0]->data, (int)k));
  return GT_OK;
}

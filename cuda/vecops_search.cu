/* The CUDA backend's vector ops of the search-based attacks (gauntlet/vecops.h): Square's initial
 * points and random square updates, FAB's hyperplane projection, and Carlini & Wagner's tanh
 * change of variables and Adam step. One thread per row with the row functions of
 * gauntlet/hd/{square,hyperplane,tanh_adam}.h. */
#include "vecops_cuda.h"

#include "gauntlet/hd/hyperplane.h"
#include "gauntlet/hd/square.h"
#include "gauntlet/hd/tanh_adam.h"

__global__ void gt_vec_square_kernel(gt_vec_square sq, int step) {
  int64_t d = sq.c * sq.h * sq.w;
  GT_KERNEL_LOOP(i, sq.n) {
    gt_rng_site site = {sq.seed, sq.stream, sq.restart, sq.step, (uint64_t)sq.sample_ids[i]};
    gt_square_row(sq.norm, step, step ? sq.x + i * d : NULL, sq.x0 + i * d, sq.c, sq.h, sq.w, sq.side, sq.eps, &site,
                  sq.out + i * d);
  }
}

static gt_status cuda_square(gt_backend *be, const gt_vec_square *sq, int step, gt_error *err) {
  const char *op = step ? "square_step" : "square_init";
  if (!sq) return gt_error_set(err, GT_ERR_USAGE, GT_VEC_WHO " vec %s: no arguments", op);
  gt_vec_square mirror = *sq;
  gt_host_copy ids;
  gt_status st = sq->n < 0 ? gt_vec_check_rows(GT_VEC_WHO, op, sq->n, 1, err) : GT_OK;
  if (st == GT_OK) st = gt_vec_fetch(be, sq->sample_ids, sq->n, ids, err);
  if (st != GT_OK) return st;
  mirror.sample_ids = ids.as<int64_t>();
  st = gt_vec_check_square(GT_VEC_WHO, op, &mirror, step, err);
  if (st != GT_OK || sq->n == 0) return st;
  GT_LAUNCH(gt_vec_square_kernel, GT_VEC_GRID(sq->n), *sq, step);
  GT_LAUNCH_CHECK();
  return GT_OK;
}

gt_status gt_cuda_vec_square_init(gt_backend *be, const gt_vec_square *sq, gt_error *err) {
  return cuda_square(be, sq, 0, err);
}

gt_status gt_cuda_vec_square_step(gt_backend *be, const gt_vec_square *sq, gt_error *err) {
  return cuda_square(be, sq, 1, err);
}

__global__ void gt_vec_hyperplane_kernel(gt_norm norm, const float *x, const float *w, const float *a, const float *f,
                                         int64_t n, int64_t d, float *out) {
  GT_KERNEL_LOOP(i, n) {
    gt_hyperplane_project_row(norm, x + i * d, w + i * d, a ? a + i * d : NULL, f[i], d, out + i * d);
  }
}

gt_status gt_cuda_vec_project_hyperplane(gt_backend *be, gt_norm norm, const float *x, const float *w, const float *a,
                                         const float *f, int64_t n, int64_t d, float *out, gt_error *err) {
  gt_status st = gt_vec_check_hyperplane(GT_VEC_WHO, norm, x, w, f, n, d, out, err);
  if (st != GT_OK || n == 0) return st;
  GT_LAUNCH(gt_vec_hyperplane_kernel, GT_VEC_GRID(n), norm, x, w, a, f, n, d, out);
  GT_LAUNCH_CHECK();
  return GT_OK;
}

__global__ void gt_vec_tanh_init_kernel(const float *x0, int64_t n, int64_t d, float *w, float *x) {
  GT_KERNEL_LOOP(i, n) { gt_tanh_init_row(x0 + i * d, d, w + i * d, x + i * d); }
}

gt_status gt_cuda_vec_tanh_init(gt_backend *be, const float *x0, int64_t n, int64_t d, float *w, float *x,
                                gt_error *err) {
  gt_status st = gt_vec_check_tanh_init(GT_VEC_WHO, x0, n, d, w, x, err);
  if (st != GT_OK || n == 0) return st;
  GT_LAUNCH(gt_vec_tanh_init_kernel, GT_VEC_GRID(n), x0, n, d, w, x);
  GT_LAUNCH_CHECK();
  return GT_OK;
}

__global__ void gt_vec_tanh_adam_kernel(gt_vec_tanh_adam a, gt_adam_params p) {
  int64_t d = a.d;
  GT_KERNEL_LOOP(i, a.n) {
    gt_tanh_adam_row(a.w + i * d, a.m + i * d, a.v + i * d, a.x0 + i * d, a.grad + i * d, a.coef[i], &p, d,
                     a.x + i * d);
  }
}

gt_status gt_cuda_vec_tanh_adam_step(gt_backend *be, const gt_vec_tanh_adam *a, gt_error *err) {
  if (!a) return gt_error_set(err, GT_ERR_USAGE, GT_VEC_WHO " vec tanh_adam_step: no arguments");
  gt_vec_tanh_adam mirror = *a;
  gt_host_copy coef;
  gt_status st = gt_vec_check_rows(GT_VEC_WHO, "tanh_adam_step", a->n, a->d, err);
  if (st == GT_OK) st = gt_vec_fetch(be, a->coef, a->n, coef, err);
  if (st != GT_OK) return st;
  if (a->coef) mirror.coef = coef.as<float>();
  st = gt_vec_check_tanh_adam(GT_VEC_WHO, &mirror, err);
  if (st != GT_OK || a->n == 0) return st;
  gt_adam_params p = {a->lr, a->beta1, a->beta2, a->adam_eps, (float)gt_adam_correction(a->beta1, a->step),
                      (float)gt_adam_correction(a->beta2, a->step)};
  GT_LAUNCH(gt_vec_tanh_adam_kernel, GT_VEC_GRID(a->n), *a, p);
  GT_LAUNCH_CHECK();
  return GT_OK;
}

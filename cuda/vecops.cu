/* The CUDA backend's vector ops for attacks (gauntlet/vecops.h), part 1: fills, norms, directions,
 * the fused ascent step, APGD's momentum step, projections, axpby and the counter-based random
 * fill; and the table.
 * Row ops run one thread per row (sample) with the row functions of gauntlet/hd/{project,rng}.h,
 * sequentially within the row: each row equals the cpu backend's, and no kernel needs barriers or
 * atomics. Elementwise ops run one thread per element. */
#include "vecops_cuda.h"

#include "gauntlet/hd/momentum.h"
#include "gauntlet/hd/project.h"
#include "gauntlet/hd/rng.h"
#include "gauntlet/hd/rowstats.h"

template <class T>
__global__ void gt_vec_fill_kernel(T *dst, int64_t count, T value) {
  GT_KERNEL_LOOP(i, count) { dst[i] = value; }
}

template <class T>
static gt_status vec_fill(gt_backend *be, const char *op, T *dst, int64_t count, T value, gt_error *err) {
  gt_status st = gt_vec_check_fill(GT_VEC_WHO, op, dst, count, err);
  if (st != GT_OK || count == 0) return st;
  GT_LAUNCH(gt_vec_fill_kernel<T>, GT_VEC_GRID(count), dst, count, value);
  GT_LAUNCH_CHECK();
  return GT_OK;
}

static gt_status cuda_fill(gt_backend *be, float *dst, int64_t count, float value, gt_error *err) {
  return vec_fill<float>(be, "fill", dst, count, value, err);
}

static gt_status cuda_fill_i32(gt_backend *be, int32_t *dst, int64_t count, int32_t value, gt_error *err) {
  return vec_fill<int32_t>(be, "fill_i32", dst, count, value, err);
}

__global__ void gt_vec_norms_kernel(gt_norm norm, const float *x, const float *x0, int64_t n, int64_t d, float *out) {
  GT_KERNEL_LOOP(i, n) { out[i] = (float)gt_lp_norm_row(norm, x + i * d, x0 ? x0 + i * d : NULL, d); }
}

static gt_status cuda_norms(gt_backend *be, gt_norm norm, const float *x, const float *x0, int64_t n, int64_t d,
                            float *out, gt_error *err) {
  gt_status st = gt_vec_check_norms(GT_VEC_WHO, norm, x, n, d, out, err);
  if (st != GT_OK || n == 0) return st;
  GT_LAUNCH(gt_vec_norms_kernel, GT_VEC_GRID(n), norm, x, x0, n, d, out);
  GT_LAUNCH_CHECK();
  return GT_OK;
}

__global__ void gt_vec_direction_kernel(gt_norm norm, const float *grad, const float *x, const int32_t *l1_k,
                                        int64_t n, int64_t d, float *dir) {
  GT_KERNEL_LOOP(i, n) {
    int l1 = norm == GT_NORM_L1;
    gt_dir_row(norm, grad + i * d, l1 ? x + i * d : NULL, l1 ? l1_k[i] : 1, d, dir + i * d);
  }
}

static gt_status cuda_direction(gt_backend *be, gt_norm norm, const float *grad, const float *x, const int32_t *l1_k,
                                int64_t n, int64_t d, float *dir, gt_error *err) {
  int l1 = norm == GT_NORM_L1;
  gt_host_copy k;
  gt_status st = gt_vec_check_rows(GT_VEC_WHO, "direction", n, d, err);
  if (st == GT_OK && l1) st = gt_vec_fetch(be, l1_k, n, k, err);
  if (st == GT_OK) st = gt_vec_check_direction(GT_VEC_WHO, norm, grad, x, l1 ? k.as<int32_t>() : l1_k, n, d, dir, err);
  if (st != GT_OK || n == 0) return st;
  GT_LAUNCH(gt_vec_direction_kernel, GT_VEC_GRID(n), norm, grad, x, l1_k, n, d, dir);
  GT_LAUNCH_CHECK();
  return GT_OK;
}

__global__ void gt_vec_step_kernel(gt_vec_step s) {
  GT_KERNEL_LOOP(i, s.n) {
    int64_t o = i * s.d;
    gt_proj_step_row(s.norm, s.x + o, s.grad + o, s.x0 + o, s.alpha[i], s.eps[i], s.norm == GT_NORM_L1 ? s.l1_k[i] : 1,
                     s.d, s.out + o);
  }
}

/* Host copies of a step's [n] step sizes and radii (once n x d is known to be in bounds), which the
 * shared checks of ascent_step and momentum_step read. */
static gt_status fetch_step_sizes(gt_backend *be, const char *op, int64_t n, int64_t d, const float *alpha,
                                  const float *eps, gt_host_copy &h_alpha, gt_host_copy &h_eps, gt_error *err) {
  gt_status st = gt_vec_check_rows(GT_VEC_WHO, op, n, d, err);
  if (st == GT_OK) st = gt_vec_fetch(be, alpha, n, h_alpha, err);
  if (st == GT_OK) st = gt_vec_fetch(be, eps, n, h_eps, err);
  return st;
}

static gt_status cuda_ascent_step(gt_backend *be, const gt_vec_step *s, gt_error *err) {
  if (!s) return gt_error_set(err, GT_ERR_USAGE, GT_VEC_WHO " vec ascent_step: no arguments");
  /* The shared check reads alpha, eps and l1_k: it runs on a mirror holding host copies of them. */
  gt_vec_step mirror = *s;
  gt_host_copy alpha, eps, k;
  gt_status st = fetch_step_sizes(be, "ascent_step", s->n, s->d, s->alpha, s->eps, alpha, eps, err);
  if (st == GT_OK && s->norm == GT_NORM_L1) st = gt_vec_fetch(be, s->l1_k, s->n, k, err);
  if (st != GT_OK) return st;
  mirror.alpha = alpha.as<float>();
  mirror.eps = eps.as<float>();
  mirror.l1_k = s->norm == GT_NORM_L1 ? k.as<int32_t>() : s->l1_k;
  st = gt_vec_check_step(GT_VEC_WHO, &mirror, err);
  if (st != GT_OK || s->n == 0) return st;
  GT_LAUNCH(gt_vec_step_kernel, GT_VEC_GRID(s->n), *s);
  GT_LAUNCH_CHECK();
  return GT_OK;
}

/* APGD's momentum step: Linf one thread per element, L2 one thread per row (its row norms). */
__global__ void gt_vec_momentum_linf_kernel(gt_vec_momentum m, gt_momentum c) {
  GT_KERNEL_LOOP(e, m.n * m.d) {
    int64_t i = e / m.d;
    float next = gt_momentum_linf_elem(c, m.first, m.x[e], m.x_prev[e], m.grad[e], m.x0[e], m.alpha[i], m.eps[i]);
    m.x_prev[e] = m.x[e];
    m.x[e] = next;
  }
}

__global__ void gt_vec_momentum_l2_kernel(gt_vec_momentum m, gt_momentum c) {
  GT_KERNEL_LOOP(i, m.n) {
    int64_t o = i * m.d;
    gt_momentum_l2_row(c, m.first, m.x + o, m.x_prev + o, m.grad + o, m.x0 + o, m.alpha[i], m.eps[i], m.d);
  }
}

static gt_status cuda_momentum_step(gt_backend *be, const gt_vec_momentum *m, gt_error *err) {
  if (!m) return gt_error_set(err, GT_ERR_USAGE, GT_VEC_WHO " vec momentum_step: no arguments");
  gt_vec_momentum mirror = *m; /* the shared check reads alpha and eps: host copies */
  gt_host_copy alpha, eps;
  gt_status st = fetch_step_sizes(be, "momentum_step", m->n, m->d, m->alpha, m->eps, alpha, eps, err);
  if (st != GT_OK) return st;
  mirror.alpha = alpha.as<float>();
  mirror.eps = eps.as<float>();
  st = gt_vec_check_momentum(GT_VEC_WHO, &mirror, err);
  if (st != GT_OK || m->n == 0) return st;
  gt_momentum c = gt_momentum_coefs(m->momentum);
  if (m->norm == GT_NORM_L2) {
    GT_LAUNCH(gt_vec_momentum_l2_kernel, GT_VEC_GRID(m->n), *m, c);
  } else {
    GT_LAUNCH(gt_vec_momentum_linf_kernel, GT_VEC_GRID(m->n * m->d), *m, c);
  }
  GT_LAUNCH_CHECK();
  return GT_OK;
}

__global__ void gt_vec_project_kernel(gt_norm norm, const float *x, const float *x0, const float *eps, int64_t n,
                                      int64_t d, float *out) {
  GT_KERNEL_LOOP(i, n) { gt_proj_row(norm, x + i * d, x0 + i * d, eps[i], d, out + i * d); }
}

static gt_status cuda_project(gt_backend *be, gt_norm norm, const float *x, const float *x0, const float *eps,
                              int64_t n, int64_t d, float *out, gt_error *err) {
  gt_host_copy e;
  gt_status st = gt_vec_check_rows(GT_VEC_WHO, "project", n, d, err);
  if (st == GT_OK) st = gt_vec_fetch(be, eps, n, e, err);
  if (st == GT_OK) st = gt_vec_check_project(GT_VEC_WHO, norm, x, x0, e.as<float>(), n, d, out, err);
  if (st != GT_OK || n == 0) return st;
  GT_LAUNCH(gt_vec_project_kernel, GT_VEC_GRID(n), norm, x, x0, eps, n, d, out);
  GT_LAUNCH_CHECK();
  return GT_OK;
}

__global__ void gt_vec_axpby_kernel(const float *a, const float *x, const float *b, const float *y, int64_t n,
                                    int64_t d, float *out) {
  GT_KERNEL_LOOP(e, n * d) {
    int64_t i = e / d;
    out[e] = a[i] * x[e] + b[i] * y[e];
  }
}

static gt_status cuda_axpby(gt_backend *be, const float *a, const float *x, const float *b, const float *y, int64_t n,
                            int64_t d, float *out, gt_error *err) {
  gt_status st = gt_vec_check_axpby(GT_VEC_WHO, a, x, b, y, n, d, out, err);
  if (st != GT_OK || n == 0) return st;
  GT_LAUNCH(gt_vec_axpby_kernel, GT_VEC_GRID(n * d), a, x, b, y, n, d, out);
  GT_LAUNCH_CHECK();
  return GT_OK;
}

__global__ void gt_vec_random_kernel(gt_vec_random r) {
  GT_KERNEL_LOOP(i, r.n) {
    gt_rng_site site = {r.seed, r.stream, r.restart, r.step, (uint64_t)r.sample_ids[i]};
    gt_rng_fill_row(r.dist, &site, r.d, r.out + i * r.d);
  }
}

static gt_status cuda_random_fill(gt_backend *be, const gt_vec_random *r, gt_error *err) {
  if (!r) return gt_error_set(err, GT_ERR_USAGE, GT_VEC_WHO " vec random_fill: no arguments");
  gt_vec_random mirror = *r;
  gt_host_copy ids;
  gt_status st = gt_vec_check_rows(GT_VEC_WHO, "random_fill", r->n, r->d, err);
  if (st == GT_OK) st = gt_vec_fetch(be, r->sample_ids, r->n, ids, err);
  if (st != GT_OK) return st;
  mirror.sample_ids = ids.as<int64_t>();
  st = gt_vec_check_random(GT_VEC_WHO, &mirror, err);
  if (st != GT_OK || r->n == 0) return st;
  GT_LAUNCH(gt_vec_random_kernel, GT_VEC_GRID(r->n), *r);
  GT_LAUNCH_CHECK();
  return GT_OK;
}

__global__ void gt_vec_count_nonzero_kernel(const float *x, const float *x0, int64_t n, int64_t d, float *out) {
  GT_KERNEL_LOOP(i, n) { out[i] = (float)gt_l0_count_row(x + i * d, x0 ? x0 + i * d : NULL, d); }
}

static gt_status cuda_count_nonzero(gt_backend *be, const float *x, const float *x0, int64_t n, int64_t d, float *out,
                                    gt_error *err) {
  gt_status st = gt_vec_check_count_nonzero(GT_VEC_WHO, x, n, d, out, err);
  if (st != GT_OK || n == 0) return st;
  GT_LAUNCH(gt_vec_count_nonzero_kernel, GT_VEC_GRID(n), x, x0, n, d, out);
  GT_LAUNCH_CHECK();
  return GT_OK;
}

const gt_vec_iface gt_cuda_vec_iface = {
    cuda_fill,
    cuda_fill_i32,
    cuda_norms,
    cuda_direction,
    cuda_ascent_step,
    cuda_project,
    cuda_axpby,
    gt_cuda_vec_gather_rows,
    gt_cuda_vec_scatter_rows,
    gt_cuda_vec_copy_rows_masked,
    cuda_random_fill,
    gt_cuda_vec_success,
    gt_cuda_vec_argmax,
    gt_cuda_vec_topk_classes,
    gt_cuda_vec_track_max,
    cuda_count_nonzero,
    gt_cuda_vec_logit_loss,
    gt_cuda_vec_square_init,
    gt_cuda_vec_square_step,
    gt_cuda_vec_project_hyperplane,
    gt_cuda_vec_tanh_init,
    gt_cuda_vec_tanh_adam_step,
    cuda_momentum_step,
};

/* The cpu backend's vector ops for attacks (gauntlet/vecops.h): the ref loops, run with OpenMP over
 * rows (samples), after the shared argument checks (../vecops_common.c). Each row is computed by
 * one thread with the same row function as ref (gauntlet/hd/{project,momentum,rng,logits,rowstats}.h),
 * sequentially within the row, so the bytes equal ref's for any thread count. */
#include <string.h>

#include "../vecops_tables.h"
#include "cpu_ops.h"
#include "gauntlet/hd/hyperplane.h"
#include "gauntlet/hd/logits.h"
#include "gauntlet/hd/loss.h"
#include "gauntlet/hd/momentum.h"
#include "gauntlet/hd/project.h"
#include "gauntlet/hd/rng.h"
#include "gauntlet/hd/rowstats.h"
#include "gauntlet/hd/square.h"
#include "gauntlet/hd/tanh_adam.h"

#define WHO "cpu"

/* The Linf rows: the element functions of gauntlet/hd/{project,momentum}.h, which compute both
 * values of every select so that these loops vectorise (no branch per element), in `omp simd`
 * loops: out may alias x, and each element is read before it is written, so lanes never see a
 * store of another lane. Built twice, for AVX2 (8 lanes, three-operand instructions: about a third
 * of the SSE2 instructions per element) and for any x86-64; the loader picks one for the machine.
 * No FMA in either: the same roundings, so the same bytes as ref. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define LINF_ROW_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define LINF_ROW_CLONES
#endif

LINF_ROW_CLONES static void linf_step_row(const float *x, const float *g, const float *x0, float alpha, float eps,
                                          int64_t d, float *out) {
#pragma omp simd
  for (int64_t i = 0; i < d; i++) out[i] = gt_proj_linf_step_elem(x[i], g[i], x0[i], alpha, eps);
}

/* gt_momentum_row for Linf; x and xp are distinct rows. One loop per value of `first`, so that the
 * select on it folds away. */
LINF_ROW_CLONES static void linf_momentum_row(gt_momentum c, int first, float *x, float *xp, const float *g,
                                              const float *x0, float alpha, float eps, int64_t d) {
  if (first) {
#pragma omp simd
    for (int64_t i = 0; i < d; i++) {
      float next = gt_momentum_linf_elem(c, 1, x[i], xp[i], g[i], x0[i], alpha, eps);
      xp[i] = x[i];
      x[i] = next;
    }
    return;
  }
#pragma omp simd
  for (int64_t i = 0; i < d; i++) {
    float next = gt_momentum_linf_elem(c, 0, x[i], xp[i], g[i], x0[i], alpha, eps);
    xp[i] = x[i];
    x[i] = next;
  }
}

LINF_ROW_CLONES static void linf_project_row(const float *x, const float *x0, float eps, int64_t d, float *out) {
#pragma omp simd
  for (int64_t i = 0; i < d; i++) out[i] = gt_proj_linf_elem(x[i], x0[i], eps);
}

/* Whether a loop over n rows of about `work` operations each is worth a parallel region. */
static int worth_threads(int64_t n, int64_t work) { return n > 1 && n * work >= GT_CPU_PAR_MIN; }

static gt_status cpu_fill(gt_backend *be, float *dst, int64_t count, float value, gt_error *err) {
  gt_status st = gt_vec_check_fill(WHO, "fill", dst, count, err);
  if (st != GT_OK) return st;
  for (int64_t i = 0; i < count; i++) dst[i] = value;
  return GT_OK;
}

static gt_status cpu_fill_i32(gt_backend *be, int32_t *dst, int64_t count, int32_t value, gt_error *err) {
  gt_status st = gt_vec_check_fill(WHO, "fill_i32", dst, count, err);
  if (st != GT_OK) return st;
  for (int64_t i = 0; i < count; i++) dst[i] = value;
  return GT_OK;
}

static gt_status cpu_norms(gt_backend *be, gt_norm norm, const float *x, const float *x0, int64_t n, int64_t d,
                           float *out, gt_error *err) {
  gt_status st = gt_vec_check_norms(WHO, norm, x, n, d, out, err);
  if (st != GT_OK) return st;
#pragma omp parallel for schedule(static) num_threads(gt_cpu_threads(be)) if (worth_threads(n, d))
  for (int64_t i = 0; i < n; i++) out[i] = (float)gt_lp_norm_row(norm, x + i * d, x0 ? x0 + i * d : NULL, d);
  return GT_OK;
}

static gt_status cpu_direction(gt_backend *be, gt_norm norm, const float *grad, const float *x, const int32_t *l1_k,
                               int64_t n, int64_t d, float *dir, gt_error *err) {
  gt_status st = gt_vec_check_direction(WHO, norm, grad, x, l1_k, n, d, dir, err);
  if (st != GT_OK) return st;
  int l1 = norm == GT_NORM_L1;
#pragma omp parallel for schedule(static) num_threads(gt_cpu_threads(be)) if (worth_threads(n, l1 ? 32 * d : d))
  for (int64_t i = 0; i < n; i++)
    gt_dir_row(norm, grad + i * d, l1 ? x + i * d : NULL, l1 ? l1_k[i] : 1, d, dir + i * d);
  return GT_OK;
}

static gt_status cpu_ascent_step(gt_backend *be, const gt_vec_step *s, gt_error *err) {
  gt_status st = gt_vec_check_step(WHO, s, err);
  if (st != GT_OK) return st;
  int l1 = s->norm == GT_NORM_L1;
#pragma omp parallel for schedule(static) num_threads(gt_cpu_threads(be)) if (worth_threads(s->n, l1 ? 64 * s->d : s->d))
  for (int64_t i = 0; i < s->n; i++) {
    int64_t o = i * s->d;
    if (s->norm == GT_NORM_LINF) {
      linf_step_row(s->x + o, s->grad + o, s->x0 + o, s->alpha[i], s->eps[i], s->d, s->out + o);
      continue;
    }
    gt_proj_step_row(s->norm, s->x + o, s->grad + o, s->x0 + o, s->alpha[i], s->eps[i], l1 ? s->l1_k[i] : 1, s->d,
                     s->out + o);
  }
  return GT_OK;
}

/* Linf: one vectorised pass over x, x_prev, grad and x0; L2: the shared row (four passes). */
static gt_status cpu_momentum_step(gt_backend *be, const gt_vec_momentum *m, gt_error *err) {
  gt_status st = gt_vec_check_momentum(WHO, m, err);
  if (st != GT_OK) return st;
  gt_momentum c = gt_momentum_coefs(m->momentum);
  int l2 = m->norm == GT_NORM_L2;
#pragma omp parallel for schedule(static) num_threads(gt_cpu_threads(be)) if (worth_threads(m->n, l2 ? 8 * m->d : m->d))
  for (int64_t i = 0; i < m->n; i++) {
    int64_t o = i * m->d;
    if (l2)
      gt_momentum_l2_row(c, m->first, m->x + o, m->x_prev + o, m->grad + o, m->x0 + o, m->alpha[i], m->eps[i], m->d);
    else
      linf_momentum_row(c, m->first, m->x + o, m->x_prev + o, m->grad + o, m->x0 + o, m->alpha[i], m->eps[i], m->d);
  }
  return GT_OK;
}

static gt_status cpu_project(gt_backend *be, gt_norm norm, const float *x, const float *x0, const float *eps,
                             int64_t n, int64_t d, float *out, gt_error *err) {
  gt_status st = gt_vec_check_project(WHO, norm, x, x0, eps, n, d, out, err);
  if (st != GT_OK) return st;
#pragma omp parallel for schedule(static) num_threads(gt_cpu_threads(be)) if (worth_threads(n, norm == GT_NORM_L1 ? 32 * d : d))
  for (int64_t i = 0; i < n; i++) {
    if (norm == GT_NORM_LINF)
      linf_project_row(x + i * d, x0 + i * d, eps[i], d, out + i * d);
    else
      gt_proj_row(norm, x + i * d, x0 + i * d, eps[i], d, out + i * d);
  }
  return GT_OK;
}

static gt_status cpu_axpby(gt_backend *be, const float *a, const float *x, const float *b, const float *y, int64_t n,
                           int64_t d, float *out, gt_error *err) {
  gt_status st = gt_vec_check_axpby(WHO, a, x, b, y, n, d, out, err);
  if (st != GT_OK) return st;
#pragma omp parallel for schedule(static) num_threads(gt_cpu_threads(be)) if (worth_threads(n, d))
  for (int64_t i = 0; i < n; i++) {
    float ai = a[i], bi = b[i];
    const float *xi = x + i * d, *yi = y + i * d;
    float *oi = out + i * d;
#pragma omp simd /* out may alias x or y at the same index only */
    for (int64_t j = 0; j < d; j++) oi[j] = ai * xi[j] + bi * yi[j];
  }
  return GT_OK;
}

static gt_status cpu_gather_rows(gt_backend *be, const void *src, int64_t n_src, const int32_t *idx, int64_t n_idx,
                                 size_t row_bytes, void *dst, gt_error *err) {
  gt_status st = gt_vec_check_gather(WHO, src, n_src, idx, n_idx, row_bytes, dst, err);
  if (st != GT_OK) return st;
#pragma omp parallel for schedule(static) num_threads(gt_cpu_threads(be)) if (worth_threads(n_idx, (int64_t)row_bytes / 4))
  for (int64_t j = 0; j < n_idx; j++)
    memcpy((char *)dst + (size_t)j * row_bytes, (const char *)src + (size_t)idx[j] * row_bytes, row_bytes);
  return GT_OK;
}

static gt_status cpu_scatter_rows(gt_backend *be, const void *src, const int32_t *idx, int64_t n_idx, size_t row_bytes,
                                  void *dst, int64_t n_dst, gt_error *err) {
  gt_status st = gt_vec_check_scatter(WHO, src, idx, n_idx, row_bytes, dst, n_dst, err);
  if (st != GT_OK) return st;
  /* Indices are distinct (checked), so rows never collide between threads. */
#pragma omp parallel for schedule(static) num_threads(gt_cpu_threads(be)) if (worth_threads(n_idx, (int64_t)row_bytes / 4))
  for (int64_t j = 0; j < n_idx; j++)
    memcpy((char *)dst + (size_t)idx[j] * row_bytes, (const char *)src + (size_t)j * row_bytes, row_bytes);
  return GT_OK;
}

static gt_status cpu_copy_rows_masked(gt_backend *be, const int32_t *mask, const void *src, int64_t n, size_t row_bytes,
                                      void *dst, gt_error *err) {
  gt_status st = gt_vec_check_copy_masked(WHO, mask, src, n, row_bytes, dst, err);
  if (st != GT_OK) return st;
#pragma omp parallel for schedule(static) num_threads(gt_cpu_threads(be)) if (worth_threads(n, (int64_t)row_bytes / 4))
  for (int64_t i = 0; i < n; i++)
    if (mask[i]) memcpy((char *)dst + (size_t)i * row_bytes, (const char *)src + (size_t)i * row_bytes, row_bytes);
  return GT_OK;
}

static gt_status cpu_random_fill(gt_backend *be, const gt_vec_random *r, gt_error *err) {
  gt_status st = gt_vec_check_random(WHO, r, err);
  if (st != GT_OK) return st;
#pragma omp parallel for schedule(static) num_threads(gt_cpu_threads(be)) if (worth_threads(r->n, 8 * r->d))
  for (int64_t i = 0; i < r->n; i++) {
    gt_rng_site site = {r->seed, r->stream, r->restart, r->step, (uint64_t)r->sample_ids[i]};
    gt_rng_fill_row(r->dist, &site, r->d, r->out + i * r->d);
  }
  return GT_OK;
}

static gt_status cpu_success(gt_backend *be, const float *logits, int64_t n, int k, const int32_t *labels,
                             const int32_t *targets, int32_t *flags, gt_error *err) {
  gt_status st = gt_vec_check_success(WHO, logits, n, k, labels, targets, flags, err);
  if (st != GT_OK) return st;
  for (int64_t i = 0; i < n; i++)
    flags[i] = gt_logits_success(logits + i * k, k, labels[i], targets ? targets[i] : -1);
  return GT_OK;
}

static gt_status cpu_argmax(gt_backend *be, const float *logits, int64_t n, int k, int32_t *out, gt_error *err) {
  gt_status st = gt_vec_check_logit_rows(WHO, "argmax", logits, n, k, "out", out, err);
  if (st != GT_OK) return st;
  for (int64_t i = 0; i < n; i++) out[i] = gt_logits_argmax(logits + i * k, k);
  return GT_OK;
}

static gt_status cpu_topk_classes(gt_backend *be, const float *logits, int64_t n, int k, int kk, int32_t *out,
                                  gt_error *err) {
  gt_status st = gt_vec_check_topk(WHO, logits, n, k, kk, out, err);
  if (st != GT_OK) return st;
#pragma omp parallel for schedule(static) num_threads(gt_cpu_threads(be)) if (worth_threads(n, (int64_t)k * kk))
  for (int64_t i = 0; i < n; i++) gt_logits_topk(logits + i * k, k, kk, out + i * kk);
  return GT_OK;
}

static gt_status cpu_track_max(gt_backend *be, const float *value, int64_t n, float *best, int32_t *improved,
                               float *last, int32_t *rises, gt_error *err) {
  gt_status st = gt_vec_check_track_max(WHO, value, n, best, last, rises, err);
  if (st != GT_OK) return st;
  for (int64_t i = 0; i < n; i++) {
    int up = gt_track_max_elem(value[i], best + i, last ? last + i : NULL, rises ? rises + i : NULL);
    if (improved) improved[i] = up;
  }
  return GT_OK;
}

static gt_status cpu_count_nonzero(gt_backend *be, const float *x, const float *x0, int64_t n, int64_t d, float *out,
                                   gt_error *err) {
  gt_status st = gt_vec_check_count_nonzero(WHO, x, n, d, out, err);
  if (st != GT_OK) return st;
#pragma omp parallel for schedule(static) num_threads(gt_cpu_threads(be)) if (worth_threads(n, d))
  for (int64_t i = 0; i < n; i++) out[i] = (float)gt_l0_count_row(x + i * d, x0 ? x0 + i * d : NULL, d);
  return GT_OK;
}

static gt_status cpu_logit_loss(gt_backend *be, gt_loss_kind kind, const float *logits, int64_t n, int k,
                               const int32_t *labels, const int32_t *targets, float *out, gt_error *err) {
  gt_status st = gt_vec_check_logit_loss(WHO, kind, logits, n, k, labels, targets, out, err);
  if (st != GT_OK) return st;
  int targeted = gt_loss_is_targeted(kind);
#pragma omp parallel for schedule(static) num_threads(gt_cpu_threads(be)) if (worth_threads(n, 4 * (int64_t)k))
  for (int64_t i = 0; i < n; i++)
    out[i] = gt_loss_row(kind, logits + i * k, k, labels[i], targeted ? targets[i] : -1, NULL);
  return GT_OK;
}

/* Both Square ops: one row per sample, its draws at its own site. */
static gt_status cpu_square(gt_backend *be, const gt_vec_square *sq, int step, gt_error *err) {
  gt_status st = gt_vec_check_square(WHO, step ? "square_step" : "square_init", sq, step, err);
  if (st != GT_OK) return st;
  int64_t d = sq->c * sq->h * sq->w;
#pragma omp parallel for schedule(static) num_threads(gt_cpu_threads(be)) if (worth_threads(sq->n, 4 * d))
  for (int64_t i = 0; i < sq->n; i++) {
    gt_rng_site site = {sq->seed, sq->stream, sq->restart, sq->step, (uint64_t)sq->sample_ids[i]};
    gt_square_row(sq->norm, step, step ? sq->x + i * d : NULL, sq->x0 + i * d, sq->c, sq->h, sq->w, sq->side, sq->eps,
                  &site, sq->out + i * d);
  }
  return GT_OK;
}

static gt_status cpu_square_init(gt_backend *be, const gt_vec_square *sq, gt_error *err) {
  return cpu_square(be, sq, 0, err);
}

static gt_status cpu_square_step(gt_backend *be, const gt_vec_square *sq, gt_error *err) {
  return cpu_square(be, sq, 1, err);
}

/* A Linf / L2 projection makes a handful of passes over the row (three when the box does not
 * bind), L1 seven. */
static gt_status cpu_project_hyperplane(gt_backend *be, gt_norm norm, const float *x, const float *w, const float *a,
                                        const float *f, int64_t n, int64_t d, float *out, gt_error *err) {
  gt_status st = gt_vec_check_hyperplane(WHO, norm, x, w, f, n, d, out, err);
  if (st != GT_OK) return st;
#pragma omp parallel for schedule(static) num_threads(gt_cpu_threads(be)) if (worth_threads(n, 8 * d))
  for (int64_t i = 0; i < n; i++)
    gt_hyperplane_project_row(norm, x + i * d, w + i * d, a ? a + i * d : NULL, f[i], d, out + i * d);
  return GT_OK;
}

/* C&W's change of variables and Adam step (gauntlet/hd/tanh_adam.h), one row per sample. */
static gt_status cpu_tanh_init(gt_backend *be, const float *x0, int64_t n, int64_t d, float *w, float *x,
                               gt_error *err) {
  gt_status st = gt_vec_check_tanh_init(WHO, x0, n, d, w, x, err);
  if (st != GT_OK) return st;
#pragma omp parallel for schedule(static) num_threads(gt_cpu_threads(be)) if (worth_threads(n, 8 * d))
  for (int64_t i = 0; i < n; i++) gt_tanh_init_row(x0 + i * d, d, w + i * d, x + i * d);
  return GT_OK;
}

static gt_status cpu_tanh_adam_step(gt_backend *be, const gt_vec_tanh_adam *a, gt_error *err) {
  gt_status st = gt_vec_check_tanh_adam(WHO, a, err);
  if (st != GT_OK) return st;
  gt_adam_params p = {a->lr, a->beta1, a->beta2, a->adam_eps, (float)gt_adam_correction(a->beta1, a->step),
                      (float)gt_adam_correction(a->beta2, a->step)};
  int64_t d = a->d;
#pragma omp parallel for schedule(static) num_threads(gt_cpu_threads(be)) if (worth_threads(a->n, 24 * a->d))
  for (int64_t i = 0; i < a->n; i++)
    gt_tanh_adam_row(a->w + i * d, a->m + i * d, a->v + i * d, a->x0 + i * d, a->grad + i * d, a->coef[i], &p, d,
                     a->x + i * d);
  return GT_OK;
}

const gt_vec_iface gt_cpu_vec_iface = {
    .tanh_init = cpu_tanh_init,
    .tanh_adam_step = cpu_tanh_adam_step,
    .momentum_step = cpu_momentum_step,
    .logit_loss = cpu_logit_loss,
    .square_init = cpu_square_init,
    .square_step = cpu_square_step,
    .fill = cpu_fill,
    .fill_i32 = cpu_fill_i32,
    .norms = cpu_norms,
    .direction = cpu_direction,
    .ascent_step = cpu_ascent_step,
    .project = cpu_project,
    .axpby = cpu_axpby,
    .gather_rows = cpu_gather_rows,
    .scatter_rows = cpu_scatter_rows,
    .copy_rows_masked = cpu_copy_rows_masked,
    .random_fill = cpu_random_fill,
    .success = cpu_success,
    .argmax = cpu_argmax,
    .topk_classes = cpu_topk_classes,
    .track_max = cpu_track_max,
    .count_nonzero = cpu_count_nonzero,
    .project_hyperplane = cpu_project_hyperplane,
};

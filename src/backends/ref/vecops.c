/* The ref backend's vector ops for attacks (gauntlet/vecops.h): plain loops over rows that call
 * the shared row math of gauntlet/hd/{project,momentum,rng,logits,rowstats}.h, after the shared
 * argument checks (../vecops_common.c). The specification the cpu and cuda tables are compared
 * against. */
#include <string.h>

#include "../vecops_tables.h"
#include "gauntlet/hd/hyperplane.h"
#include "gauntlet/hd/logits.h"
#include "gauntlet/hd/loss.h"
#include "gauntlet/hd/momentum.h"
#include "gauntlet/hd/project.h"
#include "gauntlet/hd/rng.h"
#include "gauntlet/hd/rowstats.h"
#include "gauntlet/hd/square.h"
#include "gauntlet/hd/tanh_adam.h"

#define WHO "ref"

static gt_status ref_fill(gt_backend *be, float *dst, int64_t count, float value, gt_error *err) {
  gt_status st = gt_vec_check_fill(WHO, "fill", dst, count, err);
  if (st != GT_OK) return st;
  for (int64_t i = 0; i < count; i++) dst[i] = value;
  return GT_OK;
}

static gt_status ref_fill_i32(gt_backend *be, int32_t *dst, int64_t count, int32_t value, gt_error *err) {
  gt_status st = gt_vec_check_fill(WHO, "fill_i32", dst, count, err);
  if (st != GT_OK) return st;
  for (int64_t i = 0; i < count; i++) dst[i] = value;
  return GT_OK;
}

static gt_status ref_norms(gt_backend *be, gt_norm norm, const float *x, const float *x0, int64_t n, int64_t d,
                           float *out, gt_error *err) {
  gt_status st = gt_vec_check_norms(WHO, norm, x, n, d, out, err);
  if (st != GT_OK) return st;
  for (int64_t i = 0; i < n; i++) out[i] = (float)gt_lp_norm_row(norm, x + i * d, x0 ? x0 + i * d : NULL, d);
  return GT_OK;
}

static gt_status ref_direction(gt_backend *be, gt_norm norm, const float *grad, const float *x, const int32_t *l1_k,
                               int64_t n, int64_t d, float *dir, gt_error *err) {
  gt_status st = gt_vec_check_direction(WHO, norm, grad, x, l1_k, n, d, dir, err);
  if (st != GT_OK) return st;
  for (int64_t i = 0; i < n; i++)
    gt_dir_row(norm, grad + i * d, norm == GT_NORM_L1 ? x + i * d : NULL, norm == GT_NORM_L1 ? l1_k[i] : 1, d,
               dir + i * d);
  return GT_OK;
}

static gt_status ref_ascent_step(gt_backend *be, const gt_vec_step *s, gt_error *err) {
  gt_status st = gt_vec_check_step(WHO, s, err);
  if (st != GT_OK) return st;
  for (int64_t i = 0; i < s->n; i++) {
    int64_t o = i * s->d;
    gt_proj_step_row(s->norm, s->x + o, s->grad + o, s->x0 + o, s->alpha[i], s->eps[i],
                     s->norm == GT_NORM_L1 ? s->l1_k[i] : 1, s->d, s->out + o);
  }
  return GT_OK;
}

static gt_status ref_momentum_step(gt_backend *be, const gt_vec_momentum *m, gt_error *err) {
  gt_status st = gt_vec_check_momentum(WHO, m, err);
  if (st != GT_OK) return st;
  gt_momentum c = gt_momentum_coefs(m->momentum);
  for (int64_t i = 0; i < m->n; i++) {
    int64_t o = i * m->d;
    gt_momentum_row(m->norm, c, m->first, m->x + o, m->x_prev + o, m->grad + o, m->x0 + o, m->alpha[i], m->eps[i],
                    m->d);
  }
  return GT_OK;
}

static gt_status ref_project(gt_backend *be, gt_norm norm, const float *x, const float *x0, const float *eps,
                             int64_t n, int64_t d, float *out, gt_error *err) {
  gt_status st = gt_vec_check_project(WHO, norm, x, x0, eps, n, d, out, err);
  if (st != GT_OK) return st;
  for (int64_t i = 0; i < n; i++) gt_proj_row(norm, x + i * d, x0 + i * d, eps[i], d, out + i * d);
  return GT_OK;
}

static gt_status ref_axpby(gt_backend *be, const float *a, const float *x, const float *b, const float *y, int64_t n,
                           int64_t d, float *out, gt_error *err) {
  gt_status st = gt_vec_check_axpby(WHO, a, x, b, y, n, d, out, err);
  if (st != GT_OK) return st;
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = 0; j < d; j++) out[i * d + j] = a[i] * x[i * d + j] + b[i] * y[i * d + j];
  return GT_OK;
}

static gt_status ref_gather_rows(gt_backend *be, const void *src, int64_t n_src, const int32_t *idx, int64_t n_idx,
                                 size_t row_bytes, void *dst, gt_error *err) {
  gt_status st = gt_vec_check_gather(WHO, src, n_src, idx, n_idx, row_bytes, dst, err);
  if (st != GT_OK) return st;
  for (int64_t j = 0; j < n_idx; j++)
    memcpy((char *)dst + (size_t)j * row_bytes, (const char *)src + (size_t)idx[j] * row_bytes, row_bytes);
  return GT_OK;
}

static gt_status ref_scatter_rows(gt_backend *be, const void *src, const int32_t *idx, int64_t n_idx, size_t row_bytes,
                                  void *dst, int64_t n_dst, gt_error *err) {
  gt_status st = gt_vec_check_scatter(WHO, src, idx, n_idx, row_bytes, dst, n_dst, err);
  if (st != GT_OK) return st;
  for (int64_t j = 0; j < n_idx; j++)
    memcpy((char *)dst + (size_t)idx[j] * row_bytes, (const char *)src + (size_t)j * row_bytes, row_bytes);
  return GT_OK;
}

static gt_status ref_copy_rows_masked(gt_backend *be, const int32_t *mask, const void *src, int64_t n, size_t row_bytes,
                                      void *dst, gt_error *err) {
  gt_status st = gt_vec_check_copy_masked(WHO, mask, src, n, row_bytes, dst, err);
  if (st != GT_OK) return st;
  for (int64_t i = 0; i < n; i++)
    if (mask[i]) memcpy((char *)dst + (size_t)i * row_bytes, (const char *)src + (size_t)i * row_bytes, row_bytes);
  return GT_OK;
}

static gt_status ref_random_fill(gt_backend *be, const gt_vec_random *r, gt_error *err) {
  gt_status st = gt_vec_check_random(WHO, r, err);
  if (st != GT_OK) return st;
  for (int64_t i = 0; i < r->n; i++) {
    gt_rng_site site = {r->seed, r->stream, r->restart, r->step, (uint64_t)r->sample_ids[i]};
    gt_rng_fill_row(r->dist, &site, r->d, r->out + i * r->d);
  }
  return GT_OK;
}

static gt_status ref_success(gt_backend *be, const float *logits, int64_t n, int k, const int32_t *labels,
                             const int32_t *targets, int32_t *flags, gt_error *err) {
  gt_status st = gt_vec_check_success(WHO, logits, n, k, labels, targets, flags, err);
  if (st != GT_OK) return st;
  for (int64_t i = 0; i < n; i++)
    flags[i] = gt_logits_success(logits + i * k, k, labels[i], targets ? targets[i] : -1);
  return GT_OK;
}

static gt_status ref_argmax(gt_backend *be, const float *logits, int64_t n, int k, int32_t *out, gt_error *err) {
  gt_status st = gt_vec_check_logit_rows(WHO, "argmax", logits, n, k, "out", out, err);
  if (st != GT_OK) return st;
  for (int64_t i = 0; i < n; i++) out[i] = gt_logits_argmax(logits + i * k, k);
  return GT_OK;
}

static gt_status ref_topk_classes(gt_backend *be, const float *logits, int64_t n, int k, int kk, int32_t *out,
                                  gt_error *err) {
  gt_status st = gt_vec_check_topk(WHO, logits, n, k, kk, out, err);
  if (st != GT_OK) return st;
  for (int64_t i = 0; i < n; i++) gt_logits_topk(logits + i * k, k, kk, out + i * kk);
  return GT_OK;
}

static gt_status ref_track_max(gt_backend *be, const float *value, int64_t n, float *best, int32_t *improved,
                               float *last, int32_t *rises, gt_error *err) {
  gt_status st = gt_vec_check_track_max(WHO, value, n, best, last, rises, err);
  if (st != GT_OK) return st;
  for (int64_t i = 0; i < n; i++) {
    int up = gt_track_max_elem(value[i], best + i, last ? last + i : NULL, rises ? rises + i : NULL);
    if (improved) improved[i] = up;
  }
  return GT_OK;
}

static gt_status ref_count_nonzero(gt_backend *be, const float *x, const float *x0, int64_t n, int64_t d, float *out,
                                   gt_error *err) {
  gt_status st = gt_vec_check_count_nonzero(WHO, x, n, d, out, err);
  if (st != GT_OK) return st;
  for (int64_t i = 0; i < n; i++) out[i] = (float)gt_l0_count_row(x + i * d, x0 ? x0 + i * d : NULL, d);
  return GT_OK;
}

static gt_status ref_logit_loss(gt_backend *be, gt_loss_kind kind, const float *logits, int64_t n, int k,
                               const int32_t *labels, const int32_t *targets, float *out, gt_error *err) {
  gt_status st = gt_vec_check_logit_loss(WHO, kind, logits, n, k, labels, targets, out, err);
  if (st != GT_OK) return st;
  int targeted = gt_loss_is_targeted(kind);
  for (int64_t i = 0; i < n; i++)
    out[i] = gt_loss_row(kind, logits + i * k, k, labels[i], targeted ? targets[i] : -1, NULL);
  return GT_OK;
}

/* Both Square ops: one row per sample, its draws at its own site. */
static gt_status ref_square(gt_backend *be, const gt_vec_square *sq, int step, gt_error *err) {
  gt_status st = gt_vec_check_square(WHO, step ? "square_step" : "square_init", sq, step, err);
  if (st != GT_OK) return st;
  int64_t d = sq->c * sq->h * sq->w;
  for (int64_t i = 0; i < sq->n; i++) {
    gt_rng_site site = {sq->seed, sq->stream, sq->restart, sq->step, (uint64_t)sq->sample_ids[i]};
    gt_square_row(sq->norm, step, step ? sq->x + i * d : NULL, sq->x0 + i * d, sq->c, sq->h, sq->w, sq->side, sq->eps,
                  &site, sq->out + i * d);
  }
  return GT_OK;
}

static gt_status ref_square_init(gt_backend *be, const gt_vec_square *sq, gt_error *err) {
  return ref_square(be, sq, 0, err);
}

static gt_status ref_square_step(gt_backend *be, const gt_vec_square *sq, gt_error *err) {
  return ref_square(be, sq, 1, err);
}

static gt_status ref_project_hyperplane(gt_backend *be, gt_norm norm, const float *x, const float *w, const float *a,
                                        const float *f, int64_t n, int64_t d, float *out, gt_error *err) {
  gt_status st = gt_vec_check_hyperplane(WHO, norm, x, w, f, n, d, out, err);
  if (st != GT_OK) return st;
  for (int64_t i = 0; i < n; i++)
    gt_hyperplane_project_row(norm, x + i * d, w + i * d, a ? a + i * d : NULL, f[i], d, out + i * d);
  return GT_OK;
}

/* C&W's change of variables and Adam step (gauntlet/hd/tanh_adam.h), one row per sample. */
static gt_status ref_tanh_init(gt_backend *be, const float *x0, int64_t n, int64_t d, float *w, float *x,
                               gt_error *err) {
  gt_status st = gt_vec_check_tanh_init(WHO, x0, n, d, w, x, err);
  if (st != GT_OK) return st;
  for (int64_t i = 0; i < n; i++) gt_tanh_init_row(x0 + i * d, d, w + i * d, x + i * d);
  return GT_OK;
}

static gt_status ref_tanh_adam_step(gt_backend *be, const gt_vec_tanh_adam *a, gt_error *err) {
  gt_status st = gt_vec_check_tanh_adam(WHO, a, err);
  if (st != GT_OK) return st;
  gt_adam_params p = {a->lr, a->beta1, a->beta2, a->adam_eps, (float)gt_adam_correction(a->beta1, a->step),
                      (float)gt_adam_correction(a->beta2, a->step)};
  int64_t d = a->d;
  for (int64_t i = 0; i < a->n; i++)
    gt_tanh_adam_row(a->w + i * d, a->m + i * d, a->v + i * d, a->x0 + i * d, a->grad + i * d, a->coef[i], &p, d,
                     a->x + i * d);
  return GT_OK;
}

const gt_vec_iface gt_ref_vec_iface = {
    .tanh_init = ref_tanh_init,
    .tanh_adam_step = ref_tanh_adam_step,
    .momentum_step = ref_momentum_step,
    .logit_loss = ref_logit_loss,
    .square_init = ref_square_init,
    .square_step = ref_square_step,
    .fill = ref_fill,
    .fill_i32 = ref_fill_i32,
    .norms = ref_norms,
    .direction = ref_direction,
    .ascent_step = ref_ascent_step,
    .project = ref_project,
    .axpby = ref_axpby,
    .gather_rows = ref_gather_rows,
    .scatter_rows = ref_scatter_rows,
    .copy_rows_masked = ref_copy_rows_masked,
    .random_fill = ref_random_fill,
    .success = ref_success,
    .argmax = ref_argmax,
    .topk_classes = ref_topk_classes,
    .track_max = ref_track_max,
    .count_nonzero = ref_count_nonzero,
    .project_hyperplane = ref_project_hyperplane,
};

/* The argument checks of the vector ops, in one place for every backend's table (ref and cpu
 * call them on their arguments, cuda on a host mirror of the small arrays they read), and the
 * accessor that tells callers whether a backend has vector ops at all. */
#include "vecops_tables.h"

#include <math.h>
#include <stdlib.h>

const gt_vec_iface *gt_backend_vec(const gt_backend *be, gt_error *err) {
  if (!be || !be->iface) {
    gt_error_set(err, GT_ERR_USAGE, "no backend given");
    return NULL;
  }
  if (!be->iface->vec) {
    gt_error_set(err, GT_ERR_UNSUPPORTED, "the '%s' backend has no vector ops: attacks cannot run on it",
                 be->iface->name);
    return NULL;
  }
  return be->iface->vec;
}

gt_status gt_vec_check_rows(const char *who, const char *op, int64_t n, int64_t d, gt_error *err) {
  if (n < 0) return gt_error_set(err, GT_ERR_USAGE, "%s vec %s: n = %lld rows is negative", who, op, (long long)n);
  if (d < 1) return gt_error_set(err, GT_ERR_USAGE, "%s vec %s: row length d = %lld, need >= 1", who, op, (long long)d);
  if (d > GT_MAX_ELEMENTS || (n > 0 && n > GT_MAX_ELEMENTS / d))
    return gt_error_set(err, GT_ERR_LIMIT, "%s vec %s: %lld x %lld elements is beyond the cap of %lld", who, op,
                        (long long)n, (long long)d, (long long)GT_MAX_ELEMENTS);
  return GT_OK;
}

gt_status gt_vec_check_ptr(const char *who, const char *op, const char *name, const void *ptr, int64_t n,
                           gt_error *err) {
  if (n > 0 && !ptr) return gt_error_set(err, GT_ERR_USAGE, "%s vec %s: %s is NULL", who, op, name);
  return GT_OK;
}

gt_status gt_vec_check_norm(const char *who, const char *op, gt_norm norm, gt_error *err) {
  if ((int)norm < 0 || norm >= GT_NORM_COUNT)
    return gt_error_set(err, GT_ERR_USAGE, "%s vec %s: unknown norm %d", who, op, (int)norm);
  return GT_OK;
}

gt_status gt_vec_check_radii(const char *who, const char *op, const float *eps, int64_t n, gt_error *err) {
  for (int64_t i = 0; i < n; i++)
    if (!(eps[i] >= 0.0f))
      return gt_error_set(err, GT_ERR_USAGE, "%s vec %s: eps[%lld] = %g, need >= 0", who, op, (long long)i,
                          (double)eps[i]);
  return GT_OK;
}

gt_status gt_vec_check_l1_k(const char *who, const char *op, const int32_t *l1_k, int64_t n, gt_error *err) {
  gt_status st = gt_vec_check_ptr(who, op, "l1_k", l1_k, n, err);
  if (st != GT_OK) return st;
  for (int64_t i = 0; i < n; i++)
    if (l1_k[i] < 1)
      return gt_error_set(err, GT_ERR_USAGE, "%s vec %s: l1_k[%lld] = %d, need >= 1", who, op, (long long)i,
                          (int)l1_k[i]);
  return GT_OK;
}

gt_status gt_vec_check_classes(const char *who, const char *op, const char *name, const int32_t *classes,
                               int64_t n, int k, gt_error *err) {
  if (k < 1) return gt_error_set(err, GT_ERR_USAGE, "%s vec %s: %d classes", who, op, k);
  gt_status st = gt_vec_check_ptr(who, op, name, classes, n, err);
  if (st != GT_OK) return st;
  for (int64_t i = 0; i < n; i++)
    if (classes[i] < 0 || classes[i] >= k)
      return gt_error_set(err, GT_ERR_USAGE, "%s vec %s: %s[%lld] = %d is outside 0..%d", who, op, name,
                          (long long)i, (int)classes[i], k - 1);
  return GT_OK;
}

gt_status gt_vec_check_index(const char *who, const char *op, const int32_t *idx, int64_t n_idx, int64_t limit,
                             int distinct, gt_error *err) {
  if (n_idx < 0) return gt_error_set(err, GT_ERR_USAGE, "%s vec %s: %lld indices", who, op, (long long)n_idx);
  if (limit < 0) return gt_error_set(err, GT_ERR_USAGE, "%s vec %s: %lld rows", who, op, (long long)limit);
  gt_status st = gt_vec_check_ptr(who, op, "idx", idx, n_idx, err);
  if (st != GT_OK) return st;
  unsigned char *seen = NULL;
  if (distinct && n_idx > 0) {
    seen = calloc((size_t)(limit > 0 ? limit : 1), 1);
    if (!seen) return gt_error_set(err, GT_ERR_MEMORY, "%s vec %s: out of memory checking indices", who, op);
  }
  for (int64_t j = 0; j < n_idx && st == GT_OK; j++) {
    if (idx[j] < 0 || idx[j] >= limit)
      st = gt_error_set(err, GT_ERR_USAGE, "%s vec %s: idx[%lld] = %d is outside 0..%lld", who, op, (long long)j,
                        (int)idx[j], (long long)limit - 1);
    else if (seen && seen[idx[j]]++)
      st = gt_error_set(err, GT_ERR_USAGE, "%s vec %s: idx[%lld] = %d repeats an earlier index", who, op,
                        (long long)j, (int)idx[j]);
  }
  free(seen);
  return st;
}

gt_status gt_vec_check_row_bytes(const char *who, const char *op, int64_t rows, size_t row_bytes, gt_error *err) {
  if (rows < 0) return gt_error_set(err, GT_ERR_USAGE, "%s vec %s: %lld rows", who, op, (long long)rows);
  if (row_bytes < 1) return gt_error_set(err, GT_ERR_USAGE, "%s vec %s: rows of 0 bytes", who, op);
  if (row_bytes > (size_t)GT_MAX_ELEMENTS * 8 || (rows > 0 && (uint64_t)rows > ((uint64_t)GT_MAX_ELEMENTS * 8) / row_bytes))
    return gt_error_set(err, GT_ERR_LIMIT, "%s vec %s: %lld rows of %zu bytes is beyond the cap", who, op,
                        (long long)rows, row_bytes);
  return GT_OK;
}

/* Step sizes: alpha[i] is not NaN. */
static gt_status check_alpha(const char *who, const char *op, const float *alpha, int64_t n, gt_error *err) {
  for (int64_t i = 0; i < n; i++)
    if (isnan(alpha[i])) return gt_error_set(err, GT_ERR_USAGE, "%s vec %s: alpha[%lld] is NaN", who, op, (long long)i);
  return GT_OK;
}

gt_status gt_vec_check_step(const char *who, const gt_vec_step *s, gt_error *err) {
  const char *op = "ascent_step";
  if (!s) return gt_error_set(err, GT_ERR_USAGE, "%s vec %s: no arguments", who, op);
  gt_status st = gt_vec_check_norm(who, op, s->norm, err);
  if (st == GT_OK) st = gt_vec_check_rows(who, op, s->n, s->d, err);
  if (st == GT_OK) st = gt_vec_check_ptr(who, op, "x", s->x, s->n, err);
  if (st == GT_OK) st = gt_vec_check_ptr(who, op, "grad", s->grad, s->n, err);
  if (st == GT_OK) st = gt_vec_check_ptr(who, op, "x0", s->x0, s->n, err);
  if (st == GT_OK) st = gt_vec_check_ptr(who, op, "alpha", s->alpha, s->n, err);
  if (st == GT_OK) st = gt_vec_check_ptr(who, op, "eps", s->eps, s->n, err);
  if (st == GT_OK) st = gt_vec_check_ptr(who, op, "out", s->out, s->n, err);
  if (st == GT_OK) st = gt_vec_check_radii(who, op, s->eps, s->n, err);
  if (st == GT_OK) st = check_alpha(who, op, s->alpha, s->n, err);
  if (st == GT_OK && s->norm == GT_NORM_L1) st = gt_vec_check_l1_k(who, op, s->l1_k, s->n, err);
  return st;
}

gt_status gt_vec_check_momentum(const char *who, const gt_vec_momentum *m, gt_error *err) {
  const char *op = "momentum_step";
  if (!m) return gt_error_set(err, GT_ERR_USAGE, "%s vec %s: no arguments", who, op);
  gt_status st = gt_vec_check_norm(who, op, m->norm, err);
  if (st == GT_OK && m->norm != GT_NORM_LINF && m->norm != GT_NORM_L2)
    st = gt_error_set(err, GT_ERR_USAGE, "%s vec %s: %s has no momentum step (Linf or L2)", who, op,
                      gt_norm_name(m->norm));
  if (st == GT_OK) st = gt_vec_check_rows(who, op, m->n, m->d, err);
  if (st == GT_OK) st = gt_vec_check_ptr(who, op, "x", m->x, m->n, err);
  if (st == GT_OK) st = gt_vec_check_ptr(who, op, "x_prev", m->x_prev, m->n, err);
  if (st == GT_OK) st = gt_vec_check_ptr(who, op, "grad", m->grad, m->n, err);
  if (st == GT_OK) st = gt_vec_check_ptr(who, op, "x0", m->x0, m->n, err);
  if (st == GT_OK) st = gt_vec_check_ptr(who, op, "alpha", m->alpha, m->n, err);
  if (st == GT_OK) st = gt_vec_check_ptr(who, op, "eps", m->eps, m->n, err);
  if (st == GT_OK && m->n > 0 && m->x == m->x_prev)
    st = gt_error_set(err, GT_ERR_USAGE, "%s vec %s: x_prev may not alias x", who, op);
  if (st == GT_OK && !(m->momentum >= 0.0f && m->momentum <= 1.0f))
    st = gt_error_set(err, GT_ERR_USAGE, "%s vec %s: momentum %g is outside [0, 1]", who, op, (double)m->momentum);
  if (st == GT_OK) st = gt_vec_check_radii(who, op, m->eps, m->n, err);
  if (st == GT_OK) st = check_alpha(who, op, m->alpha, m->n, err);
  return st;
}

gt_status gt_vec_check_random(const char *who, const gt_vec_random *r, gt_error *err) {
  const char *op = "random_fill";
  if (!r) return gt_error_set(err, GT_ERR_USAGE, "%s vec %s: no arguments", who, op);
  if ((int)r->dist < GT_RNG_UNIFORM || r->dist > GT_RNG_SIGN)
    return gt_error_set(err, GT_ERR_USAGE, "%s vec %s: unknown distribution %d", who, op, (int)r->dist);
  if (r->stream > GT_RNG_MAX_STREAM)
    return gt_error_set(err, GT_ERR_USAGE, "%s vec %s: stream %u is above %u", who, op, r->stream, GT_RNG_MAX_STREAM);
  if (r->restart > GT_RNG_MAX_RESTART)
    return gt_error_set(err, GT_ERR_USAGE, "%s vec %s: restart %u is above %u", who, op, r->restart,
                        GT_RNG_MAX_RESTART);
  gt_status st = gt_vec_check_rows(who, op, r->n, r->d, err);
  if (st == GT_OK) st = gt_vec_check_ptr(who, op, "sample_ids", r->sample_ids, r->n, err);
  if (st == GT_OK) st = gt_vec_check_ptr(who, op, "out", r->out, r->n, err);
  if (st == GT_OK && r->d > ((int64_t)1 << 34))
    st = gt_error_set(err, GT_ERR_LIMIT, "%s vec %s: %lld draws per row is beyond 2^34", who, op, (long long)r->d);
  for (int64_t i = 0; st == GT_OK && i < r->n; i++)
    if (r->sample_ids[i] < 0 || (uint64_t)r->sample_ids[i] > GT_RNG_MAX_SAMPLE)
      st = gt_error_set(err, GT_ERR_USAGE, "%s vec %s: sample id %lld (row %lld) is outside 0..2^32-1", who, op,
                        (long long)r->sample_ids[i], (long long)i);
  return st;
}

gt_status gt_vec_check_logit_rows(const char *who, const char *op, const float *logits, int64_t n, int k,
                                  const char *out_name, const void *out, gt_error *err) {
  gt_status st = gt_vec_check_rows(who, op, n, k, err);
  if (st == GT_OK) st = gt_vec_check_ptr(who, op, "logits", logits, n, err);
  if (st == GT_OK) st = gt_vec_check_ptr(who, op, out_name, out, n, err);
  return st;
}

gt_status gt_vec_check_topk(const char *who, const float *logits, int64_t n, int k, int kk, const int32_t *out,
                            gt_error *err) {
  gt_status st = gt_vec_check_rows(who, "topk_classes", n, k, err);
  if (st == GT_OK && (kk < 1 || kk > k))
    return gt_error_set(err, GT_ERR_USAGE, "%s vec topk_classes: %d classes asked of %d", who, kk, k);
  if (st == GT_OK) st = gt_vec_check_logit_rows(who, "topk_classes", logits, n, k, "out", out, err);
  return st;
}

/* ---- the whole argument set of one op each (the ops' order in gauntlet/vecops.h) ---- */

gt_status gt_vec_check_fill(const char *who, const char *op, const void *dst, int64_t count, gt_error *err) {
  gt_status st = gt_vec_check_rows(who, op, count, 1, err);
  if (st == GT_OK) st = gt_vec_check_ptr(who, op, "dst", dst, count, err);
  return st;
}

gt_status gt_vec_check_norms(const char *who, gt_norm norm, const float *x, int64_t n, int64_t d, const float *out,
                             gt_error *err) {
  const char *op = "norms";
  gt_status st = gt_vec_check_norm(who, op, norm, err);
  if (st == GT_OK) st = gt_vec_check_rows(who, op, n, d, err);
  if (st == GT_OK) st = gt_vec_check_ptr(who, op, "x", x, n, err);
  if (st == GT_OK) st = gt_vec_check_ptr(who, op, "out", out, n, err);
  return st;
}

gt_status gt_vec_check_direction(const char *who, gt_norm norm, const float *grad, const float *x,
                                 const int32_t *l1_k, int64_t n, int64_t d, const float *dir, gt_error *err) {
  const char *op = "direction";
  gt_status st = gt_vec_check_norm(who, op, norm, err);
  if (st == GT_OK) st = gt_vec_check_rows(who, op, n, d, err);
  if (st == GT_OK) st = gt_vec_check_ptr(who, op, "grad", grad, n, err);
  if (st == GT_OK) st = gt_vec_check_ptr(who, op, "dir", dir, n, err);
  if (st == GT_OK && norm == GT_NORM_L1) st = gt_vec_check_ptr(who, op, "x", x, n, err);
  if (st == GT_OK && norm == GT_NORM_L1) st = gt_vec_check_l1_k(who, op, l1_k, n, err);
  return st;
}

gt_status gt_vec_check_project(const char *who, gt_norm norm, const float *x, const float *x0, const float *eps,
                               int64_t n, int64_t d, const float *out, gt_error *err) {
  const char *op = "project";
  gt_status st = gt_vec_check_norm(who, op, norm, err);
  if (st == GT_OK) st = gt_vec_check_rows(who, op, n, d, err);
  if (st == GT_OK) st = gt_vec_check_ptr(who, op, "x", x, n, err);
  if (st == GT_OK) st = gt_vec_check_ptr(who, op, "x0", x0, n, err);
  if (st == GT_OK) st = gt_vec_check_ptr(who, op, "eps", eps, n, err);
  if (st == GT_OK) st = gt_vec_check_ptr(who, op, "out", out, n, err);
  if (st == GT_OK) st = gt_vec_check_radii(who, op, eps, n, err);
  return st;
}

gt_status gt_vec_check_axpby(const char *who, const float *a, const float *x, const float *b, const float *y,
                             int64_t n, int64_t d, const float *out, gt_error *err) {
  const char *op = "axpby";
  gt_status st = gt_vec_check_rows(who, op, n, d, err);
  if (st == GT_OK) st = gt_vec_check_ptr(who, op, "a", a, n, err);
  if (st == GT_OK) st = gt_vec_check_ptr(who, op, "x", x, n, err);
  if (st == GT_OK) st = gt_vec_check_ptr(who, op, "b", b, n, err);
  if (st == GT_OK) st = gt_vec_check_ptr(who, op, "y", y, n, err);
  if (st == GT_OK) st = gt_vec_check_ptr(who, op, "out", out, n, err);
  return st;
}

gt_status gt_vec_check_gather(const char *who, const void *src, int64_t n_src, const int32_t *idx, int64_t n_idx,
                              size_t row_bytes, const void *dst, gt_error *err) {
  const char *op = "gather_rows";
  gt_status st = gt_vec_check_row_bytes(who, op, n_src > n_idx ? n_src : n_idx, row_bytes, err);
  if (st == GT_OK) st = gt_vec_check_index(who, op, idx, n_idx, n_src, 0, err);
  if (st == GT_OK) st = gt_vec_check_ptr(who, op, "src", src, n_idx, err);
  if (st == GT_OK) st = gt_vec_check_ptr(who, op, "dst", dst, n_idx, err);
  return st;
}

gt_status gt_vec_check_scatter(const char *who, const void *src, const int32_t *idx, int64_t n_idx,
                               size_t row_bytes, const void *dst, int64_t n_dst, gt_error *err) {
  const char *op = "scatter_rows";
  gt_status st = gt_vec_check_row_bytes(who, op, n_dst > n_idx ? n_dst : n_idx, row_bytes, err);
  if (st == GT_OK) st = gt_vec_check_index(who, op, idx, n_idx, n_dst, 1, err);
  if (st == GT_OK) st = gt_vec_check_ptr(who, op, "src", src, n_idx, err);
  if (st == GT_OK) st = gt_vec_check_ptr(who, op, "dst", dst, n_idx, err);
  return st;
}

gt_status gt_vec_check_copy_masked(const char *who, const int32_t *mask, const void *src, int64_t n,
                                   size_t row_bytes, const void *dst, gt_error *err) {
  const char *op = "copy_rows_masked";
  gt_status st = gt_vec_check_row_bytes(who, op, n, row_bytes, err);
  if (st == GT_OK) st = gt_vec_check_ptr(who, op, "mask", mask, n, err);
  if (st == GT_OK) st = gt_vec_check_ptr(who, op, "src", src, n, err);
  if (st == GT_OK) st = gt_vec_check_ptr(who, op, "dst", dst, n, err);
  return st;
}

gt_status gt_vec_check_success(const char *who, const float *logits, int64_t n, int k, const int32_t *labels,
                               const int32_t *targets, const int32_t *flags, gt_error *err) {
  const char *op = "success";
  gt_status st = gt_vec_check_logit_rows(who, op, logits, n, k, "flags", flags, err);
  if (st == GT_OK) st = gt_vec_check_classes(who, op, "labels", labels, n, k, err);
  if (st == GT_OK && targets) st = gt_vec_check_classes(who, op, "targets", targets, n, k, err);
  return st;
}

gt_status gt_vec_check_track_max(const char *who, const float *value, int64_t n, const float *best,
                                 const float *last, const int32_t *rises, gt_error *err) {
  const char *op = "track_max";
  gt_status st = gt_vec_check_rows(who, op, n, 1, err);
  if (st == GT_OK) st = gt_vec_check_ptr(who, op, "value", value, n, err);
  if (st == GT_OK) st = gt_vec_check_ptr(who, op, "best", best, n, err);
  if (st == GT_OK && (!last) != (!rises))
    st = gt_error_set(err, GT_ERR_USAGE, "%s vec %s: last and rises must be both given or both NULL", who, op);
  return st;
}

gt_status gt_vec_check_count_nonzero(const char *who, const float *x, int64_t n, int64_t d, const float *out,
                                     gt_error *err) {
  const char *op = "count_nonzero";
  gt_status st = gt_vec_check_rows(who, op, n, d, err);
  if (st == GT_OK) st = gt_vec_check_ptr(who, op, "x", x, n, err);
  if (st == GT_OK) st = gt_vec_check_ptr(who, op, "out", out, n, err);
  return st;
}

gt_status gt_vec_check_hyperplane(const char *who, gt_norm norm, const float *x, const float *w, const float *f,
                                  int64_t n, int64_t d, const float *out, gt_error *err) {
  const char *op = "project_hyperplane";
  gt_status st = gt_vec_check_norm(who, op, norm, err);
  if (st == GT_OK) st = gt_vec_check_rows(who, op, n, d, err);
  if (st == GT_OK) st = gt_vec_check_ptr(who, op, "x", x, n, err);
  if (st == GT_OK) st = gt_vec_check_ptr(who, op, "w", w, n, err);
  if (st == GT_OK) st = gt_vec_check_ptr(who, op, "f", f, n, err);
  if (st == GT_OK) st = gt_vec_check_ptr(who, op, "out", out, n, err);
  return st;
}

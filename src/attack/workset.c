/* The working set of an iterative attack (gauntlet/workset.h): per-row device columns compacted
 * together as rows break, the scatter of finished rows into the batch, random starts, and the
 * per-row pass accounting. */
#include "gauntlet/workset.h"

#include <stdlib.h>
#include <string.h>

static void free_dev(gt_workset *ws, void *p) {
  if (p) ws->be->iface->buffer_free(ws->be, p);
}

void gt_workset_free(gt_workset *ws) {
  if (!ws) return;
  for (int c = 0; c < ws->n_cols; c++) {
    free_dev(ws, *ws->cols[c].ptr);
    free_dev(ws, ws->cols[c].spare);
    *ws->cols[c].ptr = NULL;
  }
  free_dev(ws, ws->ones);
  free_dev(ws, ws->coef);
  free_dev(ws, ws->flags);
  free_dev(ws, ws->idx_dev);
  free_dev(ws, ws->idx2_dev);
  free_dev(ws, ws->tmp);
  free(ws->pos);
  free(ws->coef_host);
  free(ws->flags_host);
  free(ws->idx_host);
  free(ws->idx2_host);
  free(ws);
}

static gt_status alloc_rows(gt_workset *ws, int64_t rows, size_t row_bytes, void **out, gt_error *err) {
  *out = NULL;
  if (row_bytes == 0 || (uint64_t)rows > (uint64_t)(GT_MAX_ELEMENTS * 8) / row_bytes)
    return gt_error_set(err, GT_ERR_LIMIT, "working set: %lld rows of %zu bytes is beyond the cap", (long long)rows,
                        row_bytes);
  return ws->be->iface->buffer_alloc(ws->be, (size_t)rows * row_bytes, out, err);
}

gt_status gt_workset_add_column(gt_workset *ws, void **col, size_t row_bytes, gt_error *err) {
  if (!ws || !col) return gt_error_set(err, GT_ERR_USAGE, "gt_workset_add_column: NULL argument");
  if (ws->n_cols >= GT_WORKSET_MAX_COLUMNS)
    return gt_error_set(err, GT_ERR_LIMIT, "working set: more than %d columns", GT_WORKSET_MAX_COLUMNS);
  gt_workset_column *c = &ws->cols[ws->n_cols];
  *col = NULL;
  gt_status st = alloc_rows(ws, ws->cap, row_bytes, col, err);
  if (st == GT_OK) st = alloc_rows(ws, ws->cap, row_bytes, &c->spare, err);
  if (st != GT_OK) {
    free_dev(ws, *col);
    *col = NULL;
    c->spare = NULL;
    return st;
  }
  c->ptr = col;
  c->row_bytes = row_bytes;
  ws->n_cols++;
  return GT_OK;
}

gt_status gt_workset_create(gt_oracle *oracle, gt_workset **out, gt_error *err) {
  if (!out || !oracle) return gt_error_set(err, GT_ERR_USAGE, "gt_workset_create: NULL argument");
  *out = NULL;
  gt_workset *ws = calloc(1, sizeof *ws);
  if (!ws) return gt_error_set(err, GT_ERR_MEMORY, "out of memory creating a working set");
  ws->be = gt_oracle_backend(oracle);
  ws->vec = gt_oracle_vec(oracle);
  ws->cap = gt_oracle_max_batch(oracle);
  ws->d = gt_oracle_input_numel(oracle);
  ws->k = gt_oracle_num_classes(oracle);
  size_t row = (size_t)ws->d * sizeof(float);
  gt_status st = gt_workset_add_column(ws, (void **)&ws->x0, row, err);
  if (st == GT_OK) st = gt_workset_add_column(ws, (void **)&ws->x, row, err);
  if (st == GT_OK) st = gt_workset_add_column(ws, (void **)&ws->labels, sizeof(int32_t), err);
  if (st == GT_OK) st = gt_workset_add_column(ws, (void **)&ws->targets_buf, sizeof(int32_t), err);
  if (st == GT_OK) st = gt_workset_add_column(ws, (void **)&ws->ids, sizeof(int64_t), err);
  ws->n_owned = ws->n_cols;
  if (st == GT_OK) st = alloc_rows(ws, ws->cap, sizeof(float), (void **)&ws->ones, err);
  if (st == GT_OK) st = alloc_rows(ws, ws->cap, sizeof(float), (void **)&ws->coef, err);
  if (st == GT_OK) st = alloc_rows(ws, ws->cap, sizeof(int32_t), (void **)&ws->flags, err);
  if (st == GT_OK) st = alloc_rows(ws, ws->cap, sizeof(int32_t), (void **)&ws->idx_dev, err);
  if (st == GT_OK) st = alloc_rows(ws, ws->cap, sizeof(int32_t), (void **)&ws->idx2_dev, err);
  if (st == GT_OK) st = alloc_rows(ws, ws->cap, row, (void **)&ws->tmp, err);
  if (st == GT_OK) st = ws->vec->fill(ws->be, ws->ones, ws->cap, 1.0f, err);
  if (st == GT_OK) {
    size_t cap = (size_t)ws->cap;
    ws->pos = malloc(cap * sizeof(int32_t));
    ws->coef_host = malloc(cap * sizeof(float));
    ws->flags_host = malloc(cap * sizeof(int32_t));
    ws->idx_host = malloc(cap * sizeof(int32_t));
    ws->idx2_host = malloc(cap * sizeof(int32_t));
    if (!ws->pos || !ws->coef_host || !ws->flags_host || !ws->idx_host || !ws->idx2_host)
      st = gt_error_set(err, GT_ERR_MEMORY, "out of memory creating a working set of %lld rows", (long long)ws->cap);
  }
  if (st != GT_OK) {
    gt_workset_free(ws);
    return st;
  }
  *out = ws;
  return GT_OK;
}

/* Public pointers that depend on the batch: targets and hit exist only for targeted batches. */
static void sync_pointers(gt_workset *ws) {
  ws->targets = ws->batch && ws->batch->targets ? ws->targets_buf : NULL;
  ws->hit = ws->batch && ws->batch->hit ? ws->targets : NULL;
}

gt_status gt_workset_begin(gt_workset *ws, gt_attack_batch *batch, gt_error *err) {
  if (!ws || !batch) return gt_error_set(err, GT_ERR_USAGE, "gt_workset_begin: NULL argument");
  if (batch->n < 1 || batch->n > ws->cap || batch->d != ws->d)
    return gt_error_set(err, GT_ERR_USAGE, "working set: batch of %lld x %lld does not fit %lld x %lld",
                        (long long)batch->n, (long long)batch->d, (long long)ws->cap, (long long)ws->d);
  if (batch->hit && batch->hit != batch->targets)
    return gt_error_set(err, GT_ERR_USAGE, "working set: batch->hit must be NULL or batch->targets");
  ws->batch = batch;
  ws->n = batch->n;
  const gt_backend_iface *b = ws->be->iface;
  size_t rows = (size_t)batch->n;
  gt_status st = b->copy_device(ws->be, ws->x0, batch->x, rows * (size_t)ws->d * sizeof(float), err);
  if (st == GT_OK) st = b->copy_device(ws->be, ws->x, batch->x, rows * (size_t)ws->d * sizeof(float), err);
  if (st == GT_OK) st = b->copy_device(ws->be, ws->labels, batch->labels, rows * sizeof(int32_t), err);
  if (st == GT_OK && batch->targets)
    st = b->copy_device(ws->be, ws->targets_buf, batch->targets, rows * sizeof(int32_t), err);
  if (st == GT_OK) st = b->copy_device(ws->be, ws->ids, batch->sample_ids, rows * sizeof(int64_t), err);
  for (int64_t i = 0; i < ws->n; i++) ws->pos[i] = (int32_t)i;
  sync_pointers(ws);
  return st;
}

gt_status gt_workset_random_start(gt_workset *ws, gt_start_kind kind, gt_norm norm, float eps, uint64_t seed,
                                  float *scratch, gt_error *err) {
  if (kind == GT_START_BOX && norm != GT_NORM_LINF)
    return gt_error_set(err, GT_ERR_USAGE, "random start: the uniform box start is for Linf, not %s", gt_norm_name(norm));
  if (ws->n == 0) return GT_OK;
  const gt_vec_iface *v = ws->vec;
  gt_vec_random r = {
      .dist = (kind == GT_START_BOX || norm == GT_NORM_LINF) ? GT_RNG_UNIFORM_SYM : GT_RNG_NORMAL,
      .seed = seed,
      .stream = GT_RNG_STREAM_START,
      .restart = ws->batch->restart,
      .step = 0,
      .sample_ids = ws->ids,
      .n = ws->n,
      .d = ws->d,
      .out = scratch,
  };
  gt_status st = v->random_fill(ws->be, &r, err);
  if (st != GT_OK) return st;
  if (kind == GT_START_BOX) {
    for (int64_t i = 0; i < ws->n; i++) ws->coef_host[i] = eps;
  } else {
    /* Scale each draw onto the sphere of radius eps: coef = eps / ||t||. */
    st = v->norms(ws->be, norm, scratch, NULL, ws->n, ws->d, ws->coef, err);
    if (st == GT_OK)
      st = ws->be->iface->copy_to_host(ws->be, ws->coef_host, ws->coef, (size_t)ws->n * sizeof(float), err);
    if (st != GT_OK) return st;
    for (int64_t i = 0; i < ws->n; i++) ws->coef_host[i] = ws->coef_host[i] > 0.0f ? eps / ws->coef_host[i] : 0.0f;
  }
  st = ws->be->iface->copy_to_device(ws->be, ws->coef, ws->coef_host, (size_t)ws->n * sizeof(float), err);
  if (st == GT_OK) st = v->axpby(ws->be, ws->ones, ws->x0, ws->coef, scratch, ws->n, ws->d, ws->x, err);
  if (st == GT_OK) st = v->fill(ws->be, ws->coef, ws->n, eps, err);
  if (st == GT_OK) st = v->project(ws->be, norm, ws->x, ws->x0, ws->coef, ws->n, ws->d, ws->x, err);
  return st;
}

void gt_workset_charge(gt_workset *ws, int64_t forward, int64_t backward) {
  for (int64_t i = 0; i < ws->n; i++) {
    ws->batch->forward[ws->pos[i]] += forward;
    ws->batch->backward[ws->pos[i]] += backward;
  }
}

gt_status gt_workset_check(gt_workset *ws, const float *logits, gt_error *err) {
  if (ws->n == 0) return GT_OK;
  gt_status st = ws->vec->success(ws->be, logits, ws->n, ws->k, ws->labels, ws->hit, ws->flags, err);
  if (st != GT_OK) return st;
  return ws->be->iface->copy_to_host(ws->be, ws->flags_host, ws->flags, (size_t)ws->n * sizeof(int32_t), err);
}

static gt_status upload_idx(gt_workset *ws, int32_t *dev, const int32_t *host, int64_t count, gt_error *err) {
  return ws->be->iface->copy_to_device(ws->be, dev, host, (size_t)count * sizeof(int32_t), err);
}

/* Moves active rows x_src[rows[j]] (j < count; rows in idx_host) to batch->x_adv[pos[rows[j]]]. */
static gt_status scatter_to_batch(gt_workset *ws, const float *x_src, int64_t count, gt_error *err) {
  size_t row = (size_t)ws->d * sizeof(float);
  for (int64_t j = 0; j < count; j++) ws->idx2_host[j] = ws->pos[ws->idx_host[j]];
  gt_status st = upload_idx(ws, ws->idx_dev, ws->idx_host, count, err);
  if (st == GT_OK) st = upload_idx(ws, ws->idx2_dev, ws->idx2_host, count, err);
  if (st == GT_OK) st = ws->vec->gather_rows(ws->be, x_src, ws->n, ws->idx_dev, count, row, ws->tmp, err);
  if (st == GT_OK)
    st = ws->vec->scatter_rows(ws->be, ws->tmp, ws->idx2_dev, count, row, ws->batch->x_adv, ws->batch->n, err);
  return st;
}

gt_status gt_workset_retire(gt_workset *ws, const int32_t *done_host, const float *x_src, gt_error *err) {
  int64_t n_done = 0;
  for (int64_t i = 0; i < ws->n; i++)
    if (done_host[i]) ws->idx_host[n_done++] = (int32_t)i;
  if (n_done == 0) return GT_OK;
  gt_status st = scatter_to_batch(ws, x_src, n_done, err);
  if (st != GT_OK) return st;
  for (int64_t j = 0; j < n_done; j++) ws->batch->success[ws->pos[ws->idx_host[j]]] = 1;
  /* Keep the rest, in order: compact pos on the host and every column on the device. */
  int64_t n_keep = 0;
  for (int64_t i = 0; i < ws->n; i++)
    if (!done_host[i]) {
      ws->idx_host[n_keep] = (int32_t)i;
      ws->pos[n_keep] = ws->pos[i];
      n_keep++;
    }
  if (n_keep > 0) {
    st = upload_idx(ws, ws->idx_dev, ws->idx_host, n_keep, err);
    for (int c = 0; st == GT_OK && c < ws->n_cols; c++) {
      gt_workset_column *col = &ws->cols[c];
      st = ws->vec->gather_rows(ws->be, *col->ptr, ws->n, ws->idx_dev, n_keep, col->row_bytes, col->spare, err);
      if (st != GT_OK) break;
      void *t = *col->ptr;
      *col->ptr = col->spare;
      col->spare = t;
    }
  }
  ws->n = n_keep;
  sync_pointers(ws);
  return st;
}

gt_status gt_workset_end(gt_workset *ws, gt_error *err) {
  int64_t n = ws->n;
  if (n == 0) return GT_OK;
  for (int64_t i = 0; i < n; i++) ws->idx_host[i] = (int32_t)i;
  gt_status st = scatter_to_batch(ws, ws->x, n, err);
  ws->n = 0;
  return st;
}

/* FAB's final search (attacks/fab.h): after the iterations, each row with an adversarial point
 * searches the segment from its clean point x0 to that point for a closer one, as the original FAB
 * code's final search does: a1 = x0 (not adversarial), a2 = best (adversarial); each of
 * FAB_SEARCH_STEPS steps takes the point where the margin M = z_l - z_y (l = a2's class) would
 * reach a small positive target tau if it were linear along the segment,
 *   t = (m1 + 2 tau) / (m1 + m2),  m1 = z_y(a1) - z_l(a1),  m2 = z_l(a2) - z_y(a2),
 *   a3 = (1 - t) a1 + t a2          (t = 1 when that falls outside [0, 1]),
 * and replaces a2 by a3 when a3 is adversarial with a margin of at least tau (FAB_SEARCH_MARGIN),
 * a1 otherwise. The reference aims at M = 0 and accepts any adversarial a3; aiming a hair beyond
 * keeps the returned point adversarial when the run loop re-evaluates it in another batch. a2 only
 * moves towards x0, so its norm never grows.
 * It runs on the rows that have an adversarial point only, gathered into scratch:
 *   z3 = x0, z1 = a1, w = a2, z2 = a3 ([nf, d]); host logits y1_h, y2_h, y3_h ([nf, k]).
 * Costs 2 + FAB_SEARCH_STEPS forward passes per such row. */
#include <math.h>

#include "fab.h"
#include "gauntlet/hd/logits.h"

/* Adversarial margin of a logits row: max_{j != y} z_j - z_y, or with a class to hit (t >= 0)
 * z_t - max_{j != t} z_j; positive exactly when the row is a success. */
static float margin_of(const float *z, int k, int y, int t) {
  int own = t >= 0 ? t : y;
  float other = -INFINITY;
  for (int j = 0; j < k; j++)
    if (j != own && z[j] > other) other = z[j];
  return t >= 0 ? z[t] - other : other - z[y];
}

/* The margin a search point must have: FAB_SEARCH_MARGIN (1 + max |z_j|). */
static float margin_needed(const float *z, int k) {
  float top = 0.0f;
  for (int j = 0; j < k; j++) {
    float a = z[j] < 0.0f ? -z[j] : z[j];
    if (a > top) top = a;
  }
  return FAB_SEARCH_MARGIN * (1.0f + top);
}

/* Logits of nf rows of x into the host array out [nf, k]. */
static gt_status logits_to_host(fab_state *s, const float *x, int64_t nf, float *out, gt_error *err) {
  gt_status st = gt_oracle_logits(s->o, x, nf, s->logits, err);
  if (st == GT_OK) st = gt_fab_download(s, out, s->logits, nf * s->k, sizeof(float), err);
  return st;
}

static gt_status gather_found(fab_state *s, int64_t nf, gt_error *err) {
  gt_workset *ws = s->ws;
  gt_backend *be = gt_oracle_backend(s->o);
  const gt_vec_iface *v = gt_oracle_vec(s->o);
  size_t row = (size_t)ws->d * sizeof(float);
  gt_status st = gt_fab_upload(s, s->idx, s->idx_h, nf, sizeof(int32_t), err);
  if (st == GT_OK) st = v->gather_rows(be, ws->x0, ws->n, s->idx, nf, row, s->z3, err);
  if (st == GT_OK) st = v->gather_rows(be, ws->x0, ws->n, s->idx, nf, row, s->z1, err);
  if (st == GT_OK) st = v->gather_rows(be, s->best, ws->n, s->idx, nf, row, s->w, err);
  if (st == GT_OK && ws->hit) st = v->gather_rows(be, ws->hit, ws->n, s->idx, nf, sizeof(int32_t), s->tgt_f, err);
  if (st == GT_OK && ws->hit) st = gt_fab_download(s, s->hit_h, s->tgt_f, nf, sizeof(int32_t), err);
  for (int64_t c = 0; !ws->hit && c < nf; c++) s->hit_h[c] = -1;
  return st;
}

/* One search step on nf rows: a3 from the host logits of a1 (y1_h) and a2 (y2_h). */
static gt_status search_step(fab_state *s, int64_t nf, gt_error *err) {
  gt_workset *ws = s->ws;
  gt_backend *be = gt_oracle_backend(s->o);
  const gt_vec_iface *v = gt_oracle_vec(s->o);
  int k = s->k;
  size_t row = (size_t)ws->d * sizeof(float);
  for (int64_t c = 0; c < nf; c++) {
    int y = s->labels_h[ws->pos[s->idx_h[c]]], l = s->la2_h[c];
    const float *y1 = s->y1_h + c * k, *y2 = s->y2_h + c * k;
    float m1 = y1[y] - y1[l], m2 = y2[l] - y2[y];
    float t = (m1 + 2.0f * margin_needed(y2, k)) / (m1 + m2 + FAB_SEARCH_GUARD);
    if (!(t >= 0.0f && t <= 1.0f)) t = 1.0f;
    s->ca_h[c] = 1.0f - t;
    s->cb_h[c] = t;
  }
  gt_status st = gt_fab_upload(s, s->ca, s->ca_h, nf, sizeof(float), err);
  if (st == GT_OK) st = gt_fab_upload(s, s->cb, s->cb_h, nf, sizeof(float), err);
  if (st == GT_OK) st = v->axpby(be, s->ca, s->z1, s->cb, s->w, nf, ws->d, s->z2, err);
  if (st == GT_OK) st = logits_to_host(s, s->z2, nf, s->y3_h, err);
  if (st != GT_OK) return st;
  for (int64_t c = 0; c < nf; c++) {
    const float *y3 = s->y3_h + c * k;
    int y = s->labels_h[ws->pos[s->idx_h[c]]];
    s->flag_h[c] = margin_of(y3, k, y, s->hit_h[c]) >= margin_needed(y3, k);
  }
  /* Accepted a3 replace a2, the others replace a1. */
  st = gt_fab_upload(s, s->mask, s->flag_h, nf, sizeof(int32_t), err);
  if (st == GT_OK) st = v->copy_rows_masked(be, s->mask, s->z2, nf, row, s->w, err);
  for (int64_t c = 0; c < nf; c++) s->mask_h[c] = !s->flag_h[c];
  if (st == GT_OK) st = gt_fab_upload(s, s->mask, s->mask_h, nf, sizeof(int32_t), err);
  if (st == GT_OK) st = v->copy_rows_masked(be, s->mask, s->z2, nf, row, s->z1, err);
  if (st != GT_OK) return st;
  for (int64_t c = 0; c < nf; c++) {
    const float *y3 = s->y3_h + c * k;
    float *dst = s->flag_h[c] ? s->y2_h + c * k : s->y1_h + c * k;
    for (int j = 0; j < k; j++) dst[j] = y3[j];
    if (s->flag_h[c]) s->la2_h[c] = gt_logits_argmax(y3, k);
  }
  return GT_OK;
}

gt_status gt_fab_final_search(fab_state *s, gt_error *err) {
  gt_workset *ws = s->ws;
  gt_backend *be = gt_oracle_backend(s->o);
  const gt_vec_iface *v = gt_oracle_vec(s->o);
  int64_t nf = 0;
  for (int64_t i = 0; i < ws->n; i++)
    if (s->best_norm_h[ws->pos[i]] < INFINITY) s->idx_h[nf++] = (int32_t)i;
  if (nf == 0) return GT_OK;
  for (int64_t c = 0; c < nf; c++) s->batch_forward[ws->pos[s->idx_h[c]]] += 2 + FAB_SEARCH_STEPS;
  gt_status st = gather_found(s, nf, err);
  if (st == GT_OK) st = logits_to_host(s, s->z1, nf, s->y1_h, err);
  if (st == GT_OK) st = logits_to_host(s, s->w, nf, s->y2_h, err);
  if (st != GT_OK) return st;
  for (int64_t c = 0; c < nf; c++) s->la2_h[c] = gt_logits_argmax(s->y2_h + c * s->k, s->k);
  for (int step = 0; st == GT_OK && step < FAB_SEARCH_STEPS; step++) st = search_step(s, nf, err);
  /* a2 back into best, with its norm. */
  if (st == GT_OK) st = v->norms(be, s->cfg.norm, s->w, s->z3, nf, ws->d, s->f, err);
  if (st == GT_OK) st = gt_fab_download(s, s->nrm_h, s->f, nf, sizeof(float), err);
  if (st == GT_OK) st = v->scatter_rows(be, s->w, s->idx, nf, (size_t)ws->d * sizeof(float), s->best, ws->n, err);
  if (st != GT_OK) return st;
  for (int64_t c = 0; c < nf; c++) s->best_norm_h[ws->pos[s->idx_h[c]]] = s->nrm_h[c];
  return GT_OK;
}

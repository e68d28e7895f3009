/* The leaderboard from the journal alone (gauntlet/sweep.h): the config travels in the journal's
 * header, every number in its records, so `gauntlet report OUTDIR` needs nothing else. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gates/smoke.h"
#include "gauntlet/sweep.h"
#include "sweep/journal.h"
#include "sweep/records.h"

static void copy_str(char *dst, size_t size, const char *src) { snprintf(dst, size, "%s", src ? src : ""); }

static double reported_for(const gt_sweep_model *m, const char *threat, float eps) {
  double all = NAN;
  for (int r = 0; r < m->n_reported; r++) {
    const gt_sweep_reported *rep = &m->reported[r];
    if (!rep->key[0]) {
      all = rep->value;
      continue;
    }
    const char *colon = strchr(rep->key, ':');
    float e;
    gt_error sub = {0};
    if (colon && (size_t)(colon - rep->key) == strlen(threat) && !strncmp(rep->key, threat, strlen(threat)) &&
        gt_sweep_parse_eps("eps", colon + 1, &e, &sub) == GT_OK && e == eps)
      return rep->value;
  }
  return all;
}

static void fill_examples(gt_lb_examples *ex, const cJSON *o) {
  memset(ex, 0, sizeof *ex);
  int k = (int)gt_rec_number(o, "k", 0);
  const char *npy = gt_rec_string(o, "npy");
  if (k <= 0 || k > 16 || !npy) return;
  ex->k = k;
  ex->c = (int)gt_rec_number(o, "c", 0);
  ex->h = (int)gt_rec_number(o, "h", 0);
  ex->w = (int)gt_rec_number(o, "w", 0);
  copy_str(ex->npy_path, sizeof ex->npy_path, npy);
  const cJSON *label = cJSON_GetObjectItemCaseSensitive(o, "label"), *cp = cJSON_GetObjectItemCaseSensitive(o, "clean_pred"),
              *ap = cJSON_GetObjectItemCaseSensitive(o, "adv_pred");
  for (int j = 0; j < k; j++) {
    const cJSON *l = cJSON_GetArrayItem(label, j), *c = cJSON_GetArrayItem(cp, j), *a = cJSON_GetArrayItem(ap, j);
    ex->label[j] = cJSON_IsNumber(l) ? l->valueint : -1;
    ex->clean_pred[j] = cJSON_IsNumber(c) ? c->valueint : -1;
    ex->adv_pred[j] = cJSON_IsNumber(a) ? a->valueint : -1;
  }
}

typedef struct build_ctx {
  const gt_sweep_config *cfg;
  const cJSON *header, *records;
} build_ctx;

static void fill_entry(const build_ctx *b, int mi, int di, int ti, int ei, const cJSON *job, gt_lb_entry *e) {
  const gt_sweep_model *m = &b->cfg->models[mi];
  const gt_sweep_threat *th = &b->cfg->threats[ti];
  const cJSON *clean = gt_journal_find(b->records, "clean", mi, di, -1, -1);
  memset(e, 0, sizeof *e);
  copy_str(e->name, sizeof e->name, m->name);
  copy_str(e->link, sizeof e->link, m->link);
  copy_str(e->authors, sizeof e->authors, m->authors);
  e->additional_data = m->additional_data;
  copy_str(e->dataset, sizeof e->dataset, b->cfg->datasets[di].name);
  copy_str(e->venue, sizeof e->venue, m->venue);
  copy_str(e->architecture, sizeof e->architecture, m->architecture);
  copy_str(e->eps_text, sizeof e->eps_text, th->eps_text[ei]);
  e->eps = th->eps[ei];
  double n = gt_rec_number(job, "n", 0);
  e->n_points = (int64_t)n;
  if (n <= 0) n = 1;
  e->clean_acc = clean ? gt_rec_number(clean, "clean_correct", 0) / n : NAN;
  copy_str(e->threat_model, sizeof e->threat_model, gt_norm_name(th->norm));
  e->reported = reported_for(m, e->threat_model, th->eps[ei]);
  e->autoattack_acc = gt_rec_number(job, "robust", 0) / n;
  e->external = NAN;
  copy_str(e->footnote, sizeof e->footnote, m->footnote);
  copy_str(e->suite, sizeof e->suite, gt_rec_string(job, "suite"));
  const cJSON *a;
  cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(job, "attacks")) {
    if (e->n_attacks >= GT_LB_MAX_ATTACKS) break;
    gt_lb_attack *at = &e->attacks[e->n_attacks++];
    copy_str(at->name, sizeof at->name, gt_rec_string(a, "name"));
    at->robust_acc = gt_rec_number(a, "robust", 0) / n;
    at->seconds = gt_rec_number(a, "seconds", 0);
    at->forward = (int64_t)llround(gt_rec_number(a, "forward", 0) / n);
    at->backward = (int64_t)llround(gt_rec_number(a, "backward", 0) / n);
  }
  /* RobustBench's meaning: forward passes the model needs for one prediction (1 unless the model
   * itself averages several, which Gauntlet's deterministic graphs never do). The attacks' cost
   * is in attacks[].forward. */
  e->number_forward_passes = 1;
  for (int k = 0; k < th->n_eps && e->n_curve < GT_LB_MAX_EPS; k++) {
    const cJSON *r = gt_journal_find(b->records, "job", mi, di, ti, k);
    if (!r) continue;
    gt_lb_curve_point *cp = &e->curve[e->n_curve++];
    cp->eps = th->eps[k];
    copy_str(cp->eps_text, sizeof cp->eps_text, th->eps_text[k]);
    cp->robust_acc = gt_rec_number(r, "robust", 0) / fmax(1, gt_rec_number(r, "n", 1));
  }
  e->seed = b->cfg->seed;
  copy_str(e->model_sha256, sizeof e->model_sha256, gt_rec_string(job, "model_sha256"));
  copy_str(e->points_sha256, sizeof e->points_sha256, gt_rec_string(job, "points_sha256"));
  copy_str(e->config_hash, sizeof e->config_hash, b->cfg->hash);
  copy_str(e->gauntlet_version, sizeof e->gauntlet_version, gt_rec_string(b->header, "gauntlet_version"));
  copy_str(e->git_commit, sizeof e->git_commit, gt_rec_string(b->header, "git_commit"));
  copy_str(e->backend, sizeof e->backend, gt_rec_string(job, "backend"));
  copy_str(e->device, sizeof e->device, gt_rec_string(job, "device"));
  e->seconds = gt_rec_number(job, "seconds", 0);
  /* flags: the model's probes, the threat model's probes (journaled with its first eps), this job's */
  if (clean) gt_flags_from_json(cJSON_GetObjectItemCaseSensitive(clean, "flags"), e->flags, GT_MAX_FLAGS, &e->n_flags);
  const cJSON *first = gt_journal_find(b->records, "job", mi, di, ti, 0);
  if (first && first != job)
    gt_flags_from_json(cJSON_GetObjectItemCaseSensitive(first, "probe_flags"), e->flags, GT_MAX_FLAGS, &e->n_flags);
  gt_flags_from_json(cJSON_GetObjectItemCaseSensitive(job, "probe_flags"), e->flags, GT_MAX_FLAGS, &e->n_flags);
  gt_flags_from_json(cJSON_GetObjectItemCaseSensitive(job, "flags"), e->flags, GT_MAX_FLAGS, &e->n_flags);
  e->unreliable = e->n_flags > 0;
  if (b->cfg->smoke) gt_smoke_mark_entry(e);
  fill_examples(&e->examples, cJSON_GetObjectItemCaseSensitive(job, "examples"));
}

static int compare_entries(const void *pa, const void *pb) {
  const gt_lb_entry *a = pa, *b = pb;
  if (a->autoattack_acc != b->autoattack_acc) return a->autoattack_acc > b->autoattack_acc ? -1 : 1;
  if (a->clean_acc != b->clean_acc) return a->clean_acc > b->clean_acc ? -1 : 1;
  return strcmp(a->name, b->name);
}

static gt_status build_tables(const build_ctx *b, gt_leaderboard *lb, gt_error *err) {
  const gt_sweep_config *cfg = b->cfg;
  int cap = 0;
  for (int t = 0; t < cfg->n_threats; t++) cap += cfg->threats[t].n_eps;
  cap *= cfg->n_datasets;
  lb->tables = calloc((size_t)(cap > 0 ? cap : 1), sizeof *lb->tables);
  if (!lb->tables) return gt_error_set(err, GT_ERR_MEMORY, "out of memory for the leaderboard");
  for (int di = 0; di < cfg->n_datasets; di++)
    for (int ti = 0; ti < cfg->n_threats; ti++)
      for (int ei = 0; ei < cfg->threats[ti].n_eps; ei++) {
        gt_lb_table *t = &lb->tables[lb->n_tables];
        t->entries = calloc((size_t)cfg->n_models, sizeof *t->entries);
        if (!t->entries) return gt_error_set(err, GT_ERR_MEMORY, "out of memory for the leaderboard");
        for (int mi = 0; mi < cfg->n_models; mi++) {
          const cJSON *job = gt_journal_find(b->records, "job", mi, di, ti, ei);
          if (job) fill_entry(b, mi, di, ti, ei, job, &t->entries[t->n_entries++]);
        }
        if (t->n_entries == 0) {
          free(t->entries);
          t->entries = NULL;
          continue;
        }
        qsort(t->entries, (size_t)t->n_entries, sizeof *t->entries, compare_entries);
        copy_str(t->dataset, sizeof t->dataset, cfg->datasets[di].name);
        copy_str(t->threat_model, sizeof t->threat_model, gt_norm_name(cfg->threats[ti].norm));
        t->eps = cfg->threats[ti].eps[ei];
        copy_str(t->eps_text, sizeof t->eps_text, cfg->threats[ti].eps_text[ei]);
        lb->n_tables++;
      }
  return GT_OK;
}

gt_status gt_sweep_leaderboard_build(const char *outdir, gt_leaderboard *lb, gt_error *err) {
  memset(lb, 0, sizeof *lb);
  cJSON *header = NULL, *records = NULL;
  gt_status st = gt_journal_read(outdir, &header, &records, NULL, err);
  if (st) return st;
  gt_sweep_config *cfg = calloc(1, sizeof *cfg);
  char *text = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(header, "config"));
  if (!cfg || !text) st = gt_error_set(err, GT_ERR_MEMORY, "out of memory reading the journal of %s", outdir);
  if (!st) {
    snprintf(cfg->path, sizeof cfg->path, "%s/results.jsonl: config", outdir);
    st = gt_sweep_config_parse(text, "", cfg, err);
  }
  if (!st && strcmp(cfg->hash, gt_rec_string(header, "config_hash")))
    st = gt_error_set(err, GT_ERR_FORMAT, "%s/results.jsonl: the config in the header does not match its hash", outdir);
  if (!st) {
    copy_str(lb->title, sizeof lb->title, cfg->title);
    lb->smoke = cfg->smoke;
    copy_str(lb->created_utc, sizeof lb->created_utc, gt_rec_string(header, "created_utc"));
    copy_str(lb->config_hash, sizeof lb->config_hash, cfg->hash);
    copy_str(lb->gauntlet_version, sizeof lb->gauntlet_version, gt_rec_string(header, "gauntlet_version"));
    copy_str(lb->git_commit, sizeof lb->git_commit, gt_rec_string(header, "git_commit"));
    build_ctx b = {.cfg = cfg, .header = header, .records = records};
    st = build_tables(&b, lb, err);
  }
  if (st) gt_leaderboard_free(lb);
  free(text);
  free(cfg);
  cJSON_Delete(header);
  cJSON_Delete(records);
  return st;
}

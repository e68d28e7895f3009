/* leaderboard.json: RobustBench's fields per entry in their formats (percent strings with two
 * decimals, eps as written, "" when unknown), ours under "gauntlet" (fractions, seconds, passes per
 * point, hashes, flags). Layout: docs/SWEEP.md; schema: schemas/leaderboard.schema.json. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "gauntlet/sweep.h"

/* RobustBench's percent string: 0.9108 -> "91.08"; NaN -> "". */
static void add_percent(cJSON *o, const char *key, double frac) {
  char buf[32] = "";
  if (!isnan(frac)) snprintf(buf, sizeof buf, "%.2f", 100.0 * frac);
  cJSON_AddStringToObject(o, key, buf);
}

/* eps are float32 in memory: print the short decimal people wrote (0.1, not 0.10000000149). */
static double tidy(double v) {
  char buf[32];
  snprintf(buf, sizeof buf, "%.7g", v);
  return strtod(buf, NULL);
}

static cJSON *int_array(const int32_t *v, int n) {
  cJSON *a = cJSON_CreateArray();
  for (int i = 0; i < n; i++) cJSON_AddItemToArray(a, cJSON_CreateNumber(v[i]));
  return a;
}

static cJSON *ours(const gt_lb_entry *e) {
  cJSON *g = cJSON_CreateObject();
  cJSON_AddStringToObject(g, "threat_model", e->threat_model);
  cJSON_AddNumberToObject(g, "eps_value", tidy(e->eps));
  cJSON_AddStringToObject(g, "suite", e->suite);
  cJSON_AddBoolToObject(g, "smoke", e->smoke);
  cJSON_AddNumberToObject(g, "n_points", (double)e->n_points);
  cJSON_AddNumberToObject(g, "clean_accuracy", e->clean_acc);
  cJSON_AddNumberToObject(g, "robust_accuracy", e->autoattack_acc);
  cJSON *attacks = cJSON_AddArrayToObject(g, "attacks");
  for (int i = 0; i < e->n_attacks; i++) {
    cJSON *a = cJSON_CreateObject();
    cJSON_AddStringToObject(a, "name", e->attacks[i].name);
    cJSON_AddNumberToObject(a, "robust_accuracy", e->attacks[i].robust_acc);
    cJSON_AddNumberToObject(a, "seconds", e->attacks[i].seconds);
    cJSON_AddNumberToObject(a, "forward_passes", (double)e->attacks[i].forward);
    cJSON_AddNumberToObject(a, "backward_passes", (double)e->attacks[i].backward);
    cJSON_AddItemToArray(attacks, a);
  }
  cJSON *curve = cJSON_AddArrayToObject(g, "curve");
  for (int i = 0; i < e->n_curve; i++) {
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "eps", e->curve[i].eps_text);
    cJSON_AddNumberToObject(p, "eps_value", tidy(e->curve[i].eps));
    cJSON_AddNumberToObject(p, "robust_accuracy", e->curve[i].robust_acc);
    cJSON_AddItemToArray(curve, p);
  }
  cJSON_AddNumberToObject(g, "seed", (double)e->seed);
  cJSON_AddStringToObject(g, "model_sha256", e->model_sha256);
  cJSON_AddStringToObject(g, "points_sha256", e->points_sha256);
  cJSON_AddStringToObject(g, "config_hash", e->config_hash);
  cJSON_AddStringToObject(g, "gauntlet_version", e->gauntlet_version);
  cJSON_AddStringToObject(g, "git_commit", e->git_commit);
  cJSON_AddStringToObject(g, "backend", e->backend);
  cJSON_AddStringToObject(g, "device", e->device);
  cJSON_AddNumberToObject(g, "seconds", e->seconds);
  cJSON *flags = cJSON_AddArrayToObject(g, "flags");
  for (int i = 0; i < e->n_flags; i++) {
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "name", gt_flag_name(e->flags[i].kind));
    cJSON_AddNumberToObject(f, "evidence", e->flags[i].evidence);
    cJSON_AddNumberToObject(f, "threshold", e->flags[i].threshold);
    cJSON_AddStringToObject(f, "detail", e->flags[i].detail);
    cJSON_AddStringToObject(f, "explanation", gt_flag_explanation(e->flags[i].kind));
    cJSON_AddItemToArray(flags, f);
  }
  const gt_lb_examples *ex = &e->examples;
  if (ex->k > 0) {
    cJSON *x = cJSON_AddObjectToObject(g, "examples");
    cJSON_AddNumberToObject(x, "k", ex->k);
    cJSON_AddStringToObject(x, "npy", ex->npy_path);
    int32_t shape[3] = {ex->c, ex->h, ex->w};
    cJSON_AddItemToObject(x, "shape", int_array(shape, 3));
    cJSON_AddItemToObject(x, "label", int_array(ex->label, ex->k));
    cJSON_AddItemToObject(x, "clean_pred", int_array(ex->clean_pred, ex->k));
    cJSON_AddItemToObject(x, "adv_pred", int_array(ex->adv_pred, ex->k));
  } else {
    cJSON_AddNullToObject(g, "examples");
  }
  return g;
}

static cJSON *entry_json(const gt_lb_entry *e) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "name", e->name);
  cJSON_AddStringToObject(o, "link", e->link);
  cJSON_AddStringToObject(o, "authors", e->authors);
  cJSON_AddBoolToObject(o, "additional_data", e->additional_data);
  cJSON_AddNumberToObject(o, "number_forward_passes", (double)e->number_forward_passes);
  cJSON_AddStringToObject(o, "dataset", e->dataset);
  cJSON_AddStringToObject(o, "venue", e->venue);
  cJSON_AddStringToObject(o, "architecture", e->architecture);
  cJSON_AddStringToObject(o, "eps", e->eps_text);
  add_percent(o, "clean_acc", e->clean_acc);
  add_percent(o, "reported", e->reported);
  add_percent(o, "autoattack_acc", e->autoattack_acc);
  add_percent(o, "external", e->external);
  cJSON_AddBoolToObject(o, "unreliable", e->unreliable);
  cJSON_AddStringToObject(o, "footnote", e->footnote);
  cJSON_AddItemToObject(o, "gauntlet", ours(e));
  return o;
}

gt_status gt_leaderboard_json_write(const gt_leaderboard *lb, const char *path, gt_error *err) {
  cJSON *root = cJSON_CreateObject();
  cJSON_AddStringToObject(root, "format", "gauntlet-leaderboard");
  cJSON_AddNumberToObject(root, "format_version", 1);
  cJSON_AddStringToObject(root, "title", lb->title);
  cJSON_AddStringToObject(root, "created_utc", lb->created_utc);
  cJSON_AddBoolToObject(root, "smoke", lb->smoke);
  cJSON_AddStringToObject(root, "config_hash", lb->config_hash);
  cJSON_AddStringToObject(root, "gauntlet_version", lb->gauntlet_version);
  cJSON_AddStringToObject(root, "git_commit", lb->git_commit);
  cJSON *tables = cJSON_AddArrayToObject(root, "tables");
  for (int t = 0; t < lb->n_tables; t++) {
    const gt_lb_table *tb = &lb->tables[t];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "dataset", tb->dataset);
    cJSON_AddStringToObject(o, "threat_model", tb->threat_model);
    cJSON_AddStringToObject(o, "eps", tb->eps_text);
    cJSON_AddNumberToObject(o, "eps_value", tidy(tb->eps));
    cJSON *entries = cJSON_AddArrayToObject(o, "entries");
    for (int i = 0; i < tb->n_entries; i++) cJSON_AddItemToArray(entries, entry_json(&tb->entries[i]));
    cJSON_AddItemToArray(tables, o);
  }
  char *text = cJSON_Print(root);
  cJSON_Delete(root);
  if (!text) return gt_error_set(err, GT_ERR_MEMORY, "%s: out of memory", path);
  size_t len = strlen(text);
  char *withnl = realloc(text, len + 2);
  if (!withnl) {
    free(text);
    return gt_error_set(err, GT_ERR_MEMORY, "%s: out of memory", path);
  }
  withnl[len] = '\n';
  gt_status st = gt_file_write_atomic(path, withnl, len + 1, err);
  free(withnl);
  return st;
}

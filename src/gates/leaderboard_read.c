/* Reading leaderboard.json (as src/sweep/lb_json.c writes it) back into the data model: the
 * baseline of a CI regression gate. The file is user input: every value is checked for its type,
 * length and range, array sizes against the model's caps, and every error names the file and the
 * key path ("tables[1].entries[0].gauntlet.points_sha256"). Keys this version does not know are
 * ignored, so a baseline written by a newer Gauntlet of the same format version still reads. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "gates/gates_internal.h"
#include "sweep/json_get.h"

#define LB_FORMAT "gauntlet-leaderboard"
#define LB_FORMAT_VERSION 1
#define LB_MAX_FILE_BYTES (64L << 20)
#define LB_MAX_TABLES 4096
#define LB_MAX_ENTRIES 100000

/* RobustBench's percent string ("91.08") as a fraction; "" or absent is NaN. */
static gt_status percent(const cJSON *obj, const char *key, const gt_jpath *p, int required, double *out,
                         gt_error *err) {
  char text[32] = "";
  gt_status st = gt_json_string(obj, key, p, required, text, sizeof text, err);
  *out = NAN;
  if (st != GT_OK || !text[0]) return st;
  char *end = NULL;
  double v = strtod(text, &end);
  gt_jpath kp;
  gt_jpath_key(&kp, p, key);
  if (*end || !(v >= 0 && v <= 100)) return gt_jpath_fail(&kp, err, "'%s' is not a percentage in [0, 100]", text);
  *out = v / 100.0;
  return GT_OK;
}

/* obj[key] as an array of at most cap items; absent is an empty array unless required. */
static gt_status array(const cJSON *obj, const char *key, const gt_jpath *p, int required, int cap, const cJSON **out,
                       int *n, gt_error *err) {
  gt_jpath kp;
  gt_jpath_key(&kp, p, key);
  const cJSON *a = cJSON_GetObjectItemCaseSensitive(obj, key);
  *out = NULL;
  *n = 0;
  if (!a || cJSON_IsNull(a)) return required ? gt_jpath_fail(&kp, err, "required key is missing") : GT_OK;
  if (!cJSON_IsArray(a)) return gt_jpath_fail(&kp, err, "expected an array, got %s", gt_json_type_name(a));
  int count = cJSON_GetArraySize(a);
  if (count > cap) return gt_jpath_fail(&kp, err, "%d items, more than the %d this version holds", count, cap);
  *out = a;
  *n = count;
  return GT_OK;
}

static gt_status object(const cJSON *v, const gt_jpath *p, gt_error *err) {
  return cJSON_IsObject(v) ? GT_OK : gt_jpath_fail(p, err, "expected an object, got %s", gt_json_type_name(v));
}

static gt_status int_list(const cJSON *obj, const char *key, const gt_jpath *p, int n, int64_t max, int32_t *out,
                          gt_error *err) {
  const cJSON *a;
  int count;
  gt_status st = array(obj, key, p, 1, n, &a, &count, err);
  if (st != GT_OK) return st;
  gt_jpath kp;
  gt_jpath_key(&kp, p, key);
  if (count != n) return gt_jpath_fail(&kp, err, "%d items, expected %d", count, n);
  for (int i = 0; i < n; i++) {
    const cJSON *v = cJSON_GetArrayItem(a, i);
    if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || v->valuedouble < -1 || v->valuedouble > (double)max)
      return gt_jpath_fail(&kp, err, "item %d is not an integer in [-1, %lld]", i, (long long)max);
    out[i] = (int32_t)v->valuedouble;
  }
  return GT_OK;
}

static gt_status read_examples(const cJSON *g, const gt_jpath *p, gt_lb_examples *x, gt_error *err) {
  gt_jpath xp;
  gt_jpath_key(&xp, p, "examples");
  const cJSON *o = cJSON_GetObjectItemCaseSensitive(g, "examples");
  if (!o || cJSON_IsNull(o)) return GT_OK;
  gt_status st = object(o, &xp, err);
  int64_t k = 0;
  int32_t shape[3];
  if (!st) st = gt_json_int(o, "k", &xp, 1, 0, 16, &k, err);
  if (!st) st = gt_json_string(o, "npy", &xp, 1, x->npy_path, sizeof x->npy_path, err);
  if (!st) st = int_list(o, "shape", &xp, 3, 1 << 16, shape, err);
  if (!st) st = int_list(o, "label", &xp, (int)k, 1 << 20, x->label, err);
  if (!st) st = int_list(o, "clean_pred", &xp, (int)k, 1 << 20, x->clean_pred, err);
  if (!st) st = int_list(o, "adv_pred", &xp, (int)k, 1 << 20, x->adv_pred, err);
  if (st) return st;
  x->k = (int)k;
  x->c = shape[0], x->h = shape[1], x->w = shape[2];
  return GT_OK;
}

/* Reads one object of an array into item; p names it ("...attacks[2]"). */
typedef gt_status (*item_reader)(const cJSON *it, const gt_jpath *p, void *item, gt_error *err);

/* obj[key]: an array of at most cap objects, read by fn into items[0..*n) of size bytes each. */
static gt_status read_items(const cJSON *obj, const char *key, const gt_jpath *p, int cap, void *items, size_t size,
                            int *n, item_reader fn, gt_error *err) {
  const cJSON *a, *it;
  gt_status st = array(obj, key, p, 0, cap, &a, n, err);
  gt_jpath kp, ip;
  gt_jpath_key(&kp, p, key);
  int i = 0;
  if (a) cJSON_ArrayForEach(it, a) {
      gt_jpath_index(&ip, &kp, i);
      if (!st) st = object(it, &ip, err);
      if (!st) st = fn(it, &ip, (char *)items + size * (size_t)i, err);
      i++;
    }
  return st;
}

static gt_status read_attack(const cJSON *it, const gt_jpath *p, void *item, gt_error *err) {
  gt_lb_attack *at = item;
  gt_status st = gt_json_string(it, "name", p, 1, at->name, sizeof at->name, err);
  if (!st) st = gt_json_number(it, "robust_accuracy", p, 1, 0, 1, &at->robust_acc, err);
  if (!st) st = gt_json_number(it, "seconds", p, 0, 0, 1e12, &at->seconds, err);
  if (!st) st = gt_json_int(it, "forward_passes", p, 0, 0, INT64_MAX / 2, &at->forward, err);
  if (!st) st = gt_json_int(it, "backward_passes", p, 0, 0, INT64_MAX / 2, &at->backward, err);
  return st;
}

static gt_status read_curve_point(const cJSON *it, const gt_jpath *p, void *item, gt_error *err) {
  gt_lb_curve_point *c = item;
  gt_status st = gt_json_string(it, "eps", p, 1, c->eps_text, sizeof c->eps_text, err);
  if (!st) st = gt_json_number(it, "eps_value", p, 1, 0, 1e9, &c->eps, err);
  if (!st) st = gt_json_number(it, "robust_accuracy", p, 1, 0, 1, &c->robust_acc, err);
  return st;
}

static gt_status read_flag(const cJSON *it, const gt_jpath *p, void *item, gt_error *err) {
  gt_flag *f = item;
  char name[64];
  gt_jpath kp;
  gt_status st = gt_json_string(it, "name", p, 1, name, sizeof name, err);
  if (!st && gt_flag_parse(name, &f->kind) != 0)
    st = gt_jpath_fail(gt_jpath_key(&kp, p, "name"), err, "'%s' is not a known flag", name);
  if (!st) st = gt_json_number(it, "evidence", p, 0, -1e300, 1e300, &f->evidence, err);
  if (!st) st = gt_json_number(it, "threshold", p, 0, -1e300, 1e300, &f->threshold, err);
  if (!st) st = gt_json_string(it, "detail", p, 0, f->detail, sizeof f->detail, err);
  return st;
}

/* Ours, under "gauntlet": full-precision fractions replace the percent strings. */
static gt_status read_ours(const cJSON *o, const gt_jpath *p, gt_lb_entry *e, gt_error *err) {
  gt_jpath gp;
  gt_jpath_key(&gp, p, "gauntlet");
  const cJSON *g = cJSON_GetObjectItemCaseSensitive(o, "gauntlet");
  gt_status st = g ? object(g, &gp, err) : gt_jpath_fail(&gp, err, "required key is missing");
  int64_t seed = 0;
  if (!st) st = gt_json_string(g, "threat_model", &gp, 1, e->threat_model, sizeof e->threat_model, err);
  if (!st) st = gt_json_number(g, "eps_value", &gp, 1, 0, 1e9, &e->eps, err);
  if (!st) st = gt_json_string(g, "suite", &gp, 1, e->suite, sizeof e->suite, err);
  if (!st) st = gt_json_bool(g, "smoke", &gp, 0, &e->smoke, err);
  if (!st) st = gt_json_int(g, "n_points", &gp, 1, 0, INT64_MAX / 2, &e->n_points, err);
  if (!st) st = gt_json_number(g, "clean_accuracy", &gp, 0, 0, 1, &e->clean_acc, err);
  if (!st) st = gt_json_number(g, "robust_accuracy", &gp, 0, 0, 1, &e->autoattack_acc, err);
  if (!st) st = gt_json_int(g, "seed", &gp, 0, 0, INT64_MAX / 2, &seed, err);
  if (!st) st = gt_json_string(g, "model_sha256", &gp, 0, e->model_sha256, sizeof e->model_sha256, err);
  if (!st) st = gt_json_string(g, "points_sha256", &gp, 1, e->points_sha256, sizeof e->points_sha256, err);
  if (!st) st = gt_json_string(g, "config_hash", &gp, 0, e->config_hash, sizeof e->config_hash, err);
  if (!st) st = gt_json_string(g, "gauntlet_version", &gp, 0, e->gauntlet_version, sizeof e->gauntlet_version, err);
  if (!st) st = gt_json_string(g, "git_commit", &gp, 0, e->git_commit, sizeof e->git_commit, err);
  if (!st) st = gt_json_string(g, "backend", &gp, 0, e->backend, sizeof e->backend, err);
  if (!st) st = gt_json_string(g, "device", &gp, 0, e->device, sizeof e->device, err);
  if (!st) st = gt_json_number(g, "seconds", &gp, 0, 0, 1e12, &e->seconds, err);
  if (!st)
    st = read_items(g, "attacks", &gp, GT_LB_MAX_ATTACKS, e->attacks, sizeof e->attacks[0], &e->n_attacks, read_attack,
                    err);
  if (!st) st = read_items(g, "curve", &gp, GT_LB_MAX_EPS, e->curve, sizeof e->curve[0], &e->n_curve, read_curve_point, err);
  if (!st) st = read_items(g, "flags", &gp, GT_MAX_FLAGS, e->flags, sizeof e->flags[0], &e->n_flags, read_flag, err);
  if (!st) st = read_examples(g, &gp, &e->examples, err);
  e->seed = (uint64_t)seed;
  return st;
}

static gt_status read_entry(const cJSON *o, const gt_jpath *p, gt_lb_entry *e, gt_error *err) {
  gt_status st = object(o, p, err);
  if (!st) st = gt_json_string(o, "name", p, 1, e->name, sizeof e->name, err);
  if (!st) st = gt_json_string(o, "link", p, 0, e->link, sizeof e->link, err);
  if (!st) st = gt_json_string(o, "authors", p, 0, e->authors, sizeof e->authors, err);
  if (!st) st = gt_json_bool(o, "additional_data", p, 0, &e->additional_data, err);
  if (!st) st = gt_json_int(o, "number_forward_passes", p, 0, 0, INT64_MAX / 2, &e->number_forward_passes, err);
  if (!st) st = gt_json_string(o, "dataset", p, 1, e->dataset, sizeof e->dataset, err);
  if (!st) st = gt_json_string(o, "venue", p, 0, e->venue, sizeof e->venue, err);
  if (!st) st = gt_json_string(o, "architecture", p, 0, e->architecture, sizeof e->architecture, err);
  if (!st) st = gt_json_string(o, "eps", p, 1, e->eps_text, sizeof e->eps_text, err);
  if (!st) st = percent(o, "clean_acc", p, 1, &e->clean_acc, err);
  if (!st) st = percent(o, "reported", p, 0, &e->reported, err);
  if (!st) st = percent(o, "autoattack_acc", p, 1, &e->autoattack_acc, err);
  if (!st) st = percent(o, "external", p, 0, &e->external, err);
  if (!st) st = gt_json_bool(o, "unreliable", p, 0, &e->unreliable, err);
  if (!st) st = gt_json_string(o, "footnote", p, 0, e->footnote, sizeof e->footnote, err);
  if (!st) st = read_ours(o, p, e, err);
  return st;
}

static gt_status read_table(const cJSON *o, const gt_jpath *p, gt_lb_table *t, gt_error *err) {
  gt_status st = object(o, p, err);
  if (!st) st = gt_json_string(o, "dataset", p, 1, t->dataset, sizeof t->dataset, err);
  if (!st) st = gt_json_string(o, "threat_model", p, 1, t->threat_model, sizeof t->threat_model, err);
  if (!st) st = gt_json_string(o, "eps", p, 1, t->eps_text, sizeof t->eps_text, err);
  if (!st) st = gt_json_number(o, "eps_value", p, 1, 0, 1e9, &t->eps, err);
  const cJSON *entries, *it;
  int n = 0;
  if (!st) st = array(o, "entries", p, 1, LB_MAX_ENTRIES, &entries, &n, err);
  if (st || n == 0) return st;
  t->entries = calloc((size_t)n, sizeof(*t->entries));
  if (!t->entries) return gt_jpath_fail(p, err, "out of memory for %d entries", n);
  cJSON_ArrayForEach(it, entries) {
    gt_jpath kp, ep;
    gt_jpath_key(&kp, p, "entries");
    gt_jpath_index(&ep, &kp, t->n_entries);
    gt_lb_entry *e = &t->entries[t->n_entries++];
    st = read_entry(it, &ep, e, err);
    if (st) return st;
    /* The gates match entries through their own fields: they must agree with the table's. */
    if (strcmp(e->dataset, t->dataset) || strcmp(e->threat_model, t->threat_model) || !gt_gates_eps_equal(e->eps, t->eps))
      return gt_jpath_fail(&ep, err, "dataset, threat model or eps differ from the table's (%s, %s, %s)", t->dataset,
                           t->threat_model, t->eps_text);
  }
  return GT_OK;
}

static gt_status read_board(const cJSON *root, const char *path, gt_leaderboard *lb, gt_error *err) {
  gt_jpath top = {.where = path, .path = ""};
  char format[64] = "";
  int64_t version = 0;
  gt_status st = object(root, &top, err);
  if (!st) st = gt_json_string(root, "format", &top, 1, format, sizeof format, err);
  if (!st && strcmp(format, LB_FORMAT))
    st = gt_jpath_fail(gt_jpath_key(&(gt_jpath){0}, &top, "format"), err, "'%s' is not a Gauntlet leaderboard (%s)",
                       format, LB_FORMAT);
  if (!st) st = gt_json_int(root, "format_version", &top, 1, 1, 1000000, &version, err);
  if (!st && version != LB_FORMAT_VERSION)
    st = gt_error_set(err, GT_ERR_UNSUPPORTED, "%s: format_version %lld; this Gauntlet reads version %d", path,
                      (long long)version, LB_FORMAT_VERSION);
  if (!st) st = gt_json_string(root, "title", &top, 0, lb->title, sizeof lb->title, err);
  if (!st) st = gt_json_string(root, "created_utc", &top, 0, lb->created_utc, sizeof lb->created_utc, err);
  if (!st) st = gt_json_bool(root, "smoke", &top, 0, &lb->smoke, err);
  if (!st) st = gt_json_string(root, "config_hash", &top, 0, lb->config_hash, sizeof lb->config_hash, err);
  if (!st) st = gt_json_string(root, "gauntlet_version", &top, 0, lb->gauntlet_version, sizeof lb->gauntlet_version, err);
  if (!st) st = gt_json_string(root, "git_commit", &top, 0, lb->git_commit, sizeof lb->git_commit, err);
  const cJSON *tables, *it;
  int n = 0;
  if (!st) st = array(root, "tables", &top, 1, LB_MAX_TABLES, &tables, &n, err);
  if (st || n == 0) return st;
  lb->tables = calloc((size_t)n, sizeof(*lb->tables));
  if (!lb->tables) return gt_error_set(err, GT_ERR_MEMORY, "%s: out of memory for %d tables", path, n);
  cJSON_ArrayForEach(it, tables) {
    gt_jpath kp, tp;
    gt_jpath_key(&kp, &top, "tables");
    gt_jpath_index(&tp, &kp, lb->n_tables);
    st = read_table(it, &tp, &lb->tables[lb->n_tables++], err);
    if (st) return st;
  }
  return GT_OK;
}

static gt_status read_text(const char *path, char **text, gt_error *err) {
  *text = NULL;
  FILE *f = fopen(path, "rb");
  if (!f) return gt_error_set(err, GT_ERR_IO, "%s: cannot open", path);
  long size = -1;
  if (fseek(f, 0, SEEK_END) == 0) size = ftell(f);
  if (size < 0 || fseek(f, 0, SEEK_SET) != 0) {
    fclose(f);
    return gt_error_set(err, GT_ERR_IO, "%s: cannot determine the file size (not a regular file?)", path);
  }
  if (size > LB_MAX_FILE_BYTES) {
    fclose(f);
    return gt_error_set(err, GT_ERR_LIMIT, "%s: %ld bytes, more than the %ld a leaderboard may have", path, size,
                        LB_MAX_FILE_BYTES);
  }
  char *buf = malloc((size_t)size + 1);
  size_t got = buf ? fread(buf, 1, (size_t)size, f) : 0;
  fclose(f);
  if (!buf) return gt_error_set(err, GT_ERR_MEMORY, "%s: out of memory", path);
  if (got != (size_t)size) {
    free(buf);
    return gt_error_set(err, GT_ERR_IO, "%s: short read", path);
  }
  buf[size] = 0;
  size_t nul = strlen(buf);
  if (nul != (size_t)size) {
    free(buf);
    return gt_error_set(err, GT_ERR_FORMAT, "%s: a NUL byte at offset %zu: not JSON text", path, nul);
  }
  *text = buf;
  return GT_OK;
}

gt_status gt_leaderboard_read(const char *path, gt_leaderboard *lb, gt_error *err) {
  memset(lb, 0, sizeof(*lb));
  char *text;
  gt_status st = read_text(path, &text, err);
  if (st != GT_OK) return st;
  const char *end = NULL;
  cJSON *root = cJSON_ParseWithOpts(text, &end, 1);
  if (!root) {
    size_t offset = end && end >= text ? (size_t)(end - text) : 0;
    free(text);
    return gt_error_set(err, GT_ERR_FORMAT, "%s: not valid JSON (offset %zu)", path, offset);
  }
  free(text);
  st = read_board(root, path, lb, err);
  cJSON_Delete(root);
  if (st != GT_OK) gt_leaderboard_free(lb);
  return st;
}

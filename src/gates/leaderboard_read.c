/* Reading leaderboard.json back into the data model (gauntlet/leaderboard.h): the baseline of a
 * CI regression gate. The file is user input, so every key is checked for its type and range, and
 * every error names the file and the key path ("tables[1].entries[0].clean_acc"). */
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "gates/gates_internal.h"

#define LB_MAX_FILE_BYTES (64L << 20)
#define LB_MAX_TABLES 4096
#define LB_MAX_ENTRIES 100000

typedef struct reader {
  const char *path;
  gt_error *err;
} reader;

static gt_status bad(const reader *r, const char *where, const char *key, const char *problem) {
  return gt_error_set(r->err, GT_ERR_FORMAT, "%s: %s%s%s: %s", r->path, where, where[0] && key[0] ? "." : "", key,
                      problem);
}

/* ---- typed fields: one table per object kind ---- */

typedef enum field_type {
  F_STR,    /* char[size] */
  F_BOOL,   /* int: JSON true/false */
  F_INT,    /* int */
  F_I64,    /* int64_t: a JSON integer */
  F_U64,    /* uint64_t: a JSON integer or a decimal string (seeds above 2^53) */
  F_NUM,    /* double: a finite number */
  F_FRAC,   /* double: a fraction in [0,1] */
  F_PCT,    /* double: RobustBench's percent string "91.08" (or a number) -> fraction; "" -> NaN */
} field_type;

typedef struct field {
  const char *key;
  field_type type;
  size_t offset;
  size_t size;
  int required;
} field;

static gt_status read_field(const reader *r, const char *where, const cJSON *obj, const field *f, void *base) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, f->key);
  char *dst = (char *)base + f->offset;
  if (!v || cJSON_IsNull(v)) {
    if (f->required) return bad(r, where, f->key, "missing");
    if (f->type == F_NUM || f->type == F_FRAC || f->type == F_PCT) *(double *)dst = NAN;
    return GT_OK;
  }
  switch (f->type) {
    case F_STR:
      if (!cJSON_IsString(v)) return bad(r, where, f->key, "not a string");
      if (strlen(v->valuestring) >= f->size) return bad(r, where, f->key, "string too long");
      memcpy(dst, v->valuestring, strlen(v->valuestring) + 1);
      return GT_OK;
    case F_BOOL:
      if (!cJSON_IsBool(v)) return bad(r, where, f->key, "not true or false");
      *(int *)dst = cJSON_IsTrue(v);
      return GT_OK;
    case F_INT:
    case F_I64: {
      double max = f->type == F_INT ? (double)INT_MAX : 9007199254740992.0; /* 2^53: exact in a double */
      if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || v->valuedouble < 0 || v->valuedouble > max)
        return bad(r, where, f->key, "not a non-negative integer in range");
      if (f->type == F_INT) *(int *)dst = (int)v->valuedouble;
      else *(int64_t *)dst = (int64_t)v->valuedouble;
      return GT_OK;
    }
    case F_U64: {
      if (cJSON_IsString(v)) {
        char *end = NULL;
        unsigned long long u = strtoull(v->valuestring, &end, 10);
        if (!v->valuestring[0] || *end || v->valuestring[0] == '-') return bad(r, where, f->key, "not a decimal integer");
        *(uint64_t *)dst = (uint64_t)u;
        return GT_OK;
      }
      if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || v->valuedouble < 0 ||
          v->valuedouble > 9007199254740992.0)
        return bad(r, where, f->key, "not a non-negative integer");
      *(uint64_t *)dst = (uint64_t)v->valuedouble;
      return GT_OK;
    }
    case F_NUM:
    case F_FRAC:
      if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble)) return bad(r, where, f->key, "not a finite number");
      if (f->type == F_FRAC && (v->valuedouble < 0 || v->valuedouble > 1))
        return bad(r, where, f->key, "not a fraction in [0,1]");
      *(double *)dst = v->valuedouble;
      return GT_OK;
    case F_PCT: {
      double pct;
      if (cJSON_IsNumber(v)) {
        pct = v->valuedouble;
      } else if (cJSON_IsString(v)) {
        if (!v->valuestring[0]) {
          *(double *)dst = NAN;
          return GT_OK;
        }
        char *end = NULL;
        pct = strtod(v->valuestring, &end);
        if (*end) return bad(r, where, f->key, "not a percentage like \"91.08\"");
      } else {
        return bad(r, where, f->key, "not a percentage string");
      }
      if (!(pct >= 0 && pct <= 100)) return bad(r, where, f->key, "percentage outside [0,100]");
      *(double *)dst = pct / 100.0;
      return GT_OK;
    }
  }
  return bad(r, where, f->key, "internal: unknown field type");
}

static gt_status read_fields(const reader *r, const char *where, const cJSON *obj, const field *fields, int n,
                             void *base) {
  if (!cJSON_IsObject(obj)) return bad(r, where, "", "not an object");
  for (int i = 0; i < n; i++) {
    gt_status st = read_field(r, where, obj, &fields[i], base);
    if (st != GT_OK) return st;
  }
  return GT_OK;
}

#define FIELD(T, key, type, member, req) {key, type, offsetof(T, member), sizeof(((T *)0)->member), req}
#define N_FIELDS(a) ((int)(sizeof(a) / sizeof((a)[0])))

static const field entry_fields[] = {
    /* RobustBench's fields */
    FIELD(gt_lb_entry, "name", F_STR, name, 1),
    FIELD(gt_lb_entry, "link", F_STR, link, 0),
    FIELD(gt_lb_entry, "authors", F_STR, authors, 0),
    FIELD(gt_lb_entry, "additional_data", F_BOOL, additional_data, 0),
    FIELD(gt_lb_entry, "number_forward_passes", F_I64, number_forward_passes, 0),
    FIELD(gt_lb_entry, "dataset", F_STR, dataset, 1),
    FIELD(gt_lb_entry, "venue", F_STR, venue, 0),
    FIELD(gt_lb_entry, "architecture", F_STR, architecture, 0),
    FIELD(gt_lb_entry, "eps", F_STR, eps_text, 1),
    FIELD(gt_lb_entry, "clean_acc", F_PCT, clean_acc, 1),
    FIELD(gt_lb_entry, "reported", F_PCT, reported, 0),
    FIELD(gt_lb_entry, "autoattack_acc", F_PCT, autoattack_acc, 1),
    FIELD(gt_lb_entry, "external", F_PCT, external, 0),
    FIELD(gt_lb_entry, "unreliable", F_BOOL, unreliable, 0),
    FIELD(gt_lb_entry, "footnote", F_STR, footnote, 0),
    /* ours */
    FIELD(gt_lb_entry, "eps_value", F_NUM, eps, 1),
    FIELD(gt_lb_entry, "threat_model", F_STR, threat_model, 1),
    FIELD(gt_lb_entry, "suite", F_STR, suite, 1),
    FIELD(gt_lb_entry, "smoke", F_BOOL, smoke, 0),
    FIELD(gt_lb_entry, "n_points", F_I64, n_points, 1),
    FIELD(gt_lb_entry, "seed", F_U64, seed, 0),
    FIELD(gt_lb_entry, "model_sha256", F_STR, model_sha256, 0),
    FIELD(gt_lb_entry, "points_sha256", F_STR, points_sha256, 1),
    FIELD(gt_lb_entry, "config_hash", F_STR, config_hash, 0),
    FIELD(gt_lb_entry, "gauntlet_version", F_STR, gauntlet_version, 0),
    FIELD(gt_lb_entry, "git_commit", F_STR, git_commit, 0),
    FIELD(gt_lb_entry, "backend", F_STR, backend, 0),
    FIELD(gt_lb_entry, "device", F_STR, device, 0),
    FIELD(gt_lb_entry, "seconds", F_NUM, seconds, 0),
};

static const field attack_fields[] = {
    FIELD(gt_lb_attack, "name", F_STR, name, 1),          FIELD(gt_lb_attack, "robust_acc", F_FRAC, robust_acc, 1),
    FIELD(gt_lb_attack, "seconds", F_NUM, seconds, 0),    FIELD(gt_lb_attack, "forward", F_I64, forward, 0),
    FIELD(gt_lb_attack, "backward", F_I64, backward, 0),
};

static const field curve_fields[] = {
    FIELD(gt_lb_curve_point, "eps", F_NUM, eps, 1),
    FIELD(gt_lb_curve_point, "eps_text", F_STR, eps_text, 0),
    FIELD(gt_lb_curve_point, "robust_acc", F_FRAC, robust_acc, 1),
};

static const field flag_fields[] = {
    FIELD(gt_flag, "evidence", F_NUM, evidence, 0),
    FIELD(gt_flag, "threshold", F_NUM, threshold, 0),
    FIELD(gt_flag, "detail", F_STR, detail, 0),
};

static const field table_fields[] = {
    FIELD(gt_lb_table, "threat_model", F_STR, threat_model, 1),
    FIELD(gt_lb_table, "eps", F_NUM, eps, 1),
    FIELD(gt_lb_table, "eps_text", F_STR, eps_text, 0),
};

static const field board_fields[] = {
    FIELD(gt_leaderboard, "title", F_STR, title, 0),
    FIELD(gt_leaderboard, "created_utc", F_STR, created_utc, 0),
    FIELD(gt_leaderboard, "smoke", F_BOOL, smoke, 0),
};

/* ---- arrays ---- */

/* The array at obj[key] with at most cap items (missing is an empty array unless required). */
static gt_status get_array(const reader *r, const char *where, const cJSON *obj, const char *key, int cap, int required,
                           const cJSON **out, int *n) {
  const cJSON *a = cJSON_GetObjectItemCaseSensitive(obj, key);
  *out = NULL;
  *n = 0;
  if (!a) return required ? bad(r, where, key, "missing") : GT_OK;
  if (!cJSON_IsArray(a)) return bad(r, where, key, "not an array");
  int count = cJSON_GetArraySize(a);
  if (count > cap) {
    char msg[96];
    snprintf(msg, sizeof msg, "%d items, more than the %d this version can hold", count, cap);
    return bad(r, where, key, msg);
  }
  *out = a;
  *n = count;
  return GT_OK;
}

static gt_status read_flags(const reader *r, const char *where, const cJSON *obj, gt_lb_entry *e) {
  const cJSON *a, *it;
  gt_status st = get_array(r, where, obj, "flags", GT_MAX_FLAGS, 0, &a, &e->n_flags);
  if (st != GT_OK || !a) return st;
  int i = 0;
  cJSON_ArrayForEach(it, a) {
    char at[192];
    snprintf(at, sizeof at, "%s.flags[%d]", where, i);
    gt_flag *fl = &e->flags[i++];
    st = read_fields(r, at, it, flag_fields, N_FIELDS(flag_fields), fl);
    if (st != GT_OK) return st;
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(it, "name");
    if (!cJSON_IsString(name) || gt_flag_parse(name->valuestring, &fl->kind) != 0)
      return bad(r, at, "name", "missing or not a known flag name");
  }
  return GT_OK;
}

static gt_status read_entry(const reader *r, const char *where, const cJSON *obj, gt_lb_entry *e) {
  gt_status st = read_fields(r, where, obj, entry_fields, N_FIELDS(entry_fields), e);
  if (st != GT_OK) return st;
  const cJSON *a, *it;
  st = get_array(r, where, obj, "attacks", GT_LB_MAX_ATTACKS, 0, &a, &e->n_attacks);
  if (st != GT_OK) return st;
  int i = 0;
  if (a) cJSON_ArrayForEach(it, a) {
      char at[192];
      snprintf(at, sizeof at, "%s.attacks[%d]", where, i);
      st = read_fields(r, at, it, attack_fields, N_FIELDS(attack_fields), &e->attacks[i++]);
      if (st != GT_OK) return st;
    }
  st = get_array(r, where, obj, "curve", GT_LB_MAX_EPS, 0, &a, &e->n_curve);
  if (st != GT_OK) return st;
  i = 0;
  if (a) cJSON_ArrayForEach(it, a) {
      char at[192];
      snprintf(at, sizeof at, "%s.curve[%d]", where, i);
      st = read_fields(r, at, it, curve_fields, N_FIELDS(curve_fields), &e->curve[i++]);
      if (st != GT_OK) return st;
    }
  return read_flags(r, where, obj, e);
}

static gt_status read_board(const reader *r, const cJSON *root, gt_leaderboard *lb) {
  gt_status st = read_fields(r, "", root, board_fields, N_FIELDS(board_fields), lb);
  if (st != GT_OK) return st;
  const cJSON *tables, *t;
  int n_tables;
  st = get_array(r, "", root, "tables", LB_MAX_TABLES, 1, &tables, &n_tables);
  if (st != GT_OK) return st;
  if (n_tables > 0) {
    lb->tables = calloc((size_t)n_tables, sizeof(*lb->tables));
    if (!lb->tables) return gt_error_set(r->err, GT_ERR_MEMORY, "%s: out of memory for %d tables", r->path, n_tables);
  }
  cJSON_ArrayForEach(t, tables) {
    char at[64];
    snprintf(at, sizeof at, "tables[%d]", lb->n_tables);
    gt_lb_table *tb = &lb->tables[lb->n_tables++];
    st = read_fields(r, at, t, table_fields, N_FIELDS(table_fields), tb);
    if (st != GT_OK) return st;
    const cJSON *entries, *e;
    int n_entries;
    st = get_array(r, at, t, "entries", LB_MAX_ENTRIES, 1, &entries, &n_entries);
    if (st != GT_OK) return st;
    if (n_entries > 0) {
      tb->entries = calloc((size_t)n_entries, sizeof(*tb->entries));
      if (!tb->entries) return gt_error_set(r->err, GT_ERR_MEMORY, "%s: %s: out of memory", r->path, at);
    }
    cJSON_ArrayForEach(e, entries) {
      char eat[96];
      snprintf(eat, sizeof eat, "%s.entries[%d]", at, tb->n_entries);
      gt_lb_entry *entry = &tb->entries[tb->n_entries++];
      st = read_entry(r, eat, e, entry);
      if (st != GT_OK) return st;
      if (strcmp(entry->threat_model, tb->threat_model) != 0 || !gt_gates_eps_equal(entry->eps, tb->eps))
        return bad(r, eat, "threat_model", "entry's threat model and eps differ from its table's");
    }
  }
  return GT_OK;
}

/* ---- the file ---- */

static gt_status read_text(const char *path, char **text, gt_error *err) {
  *text = NULL;
  FILE *f = fopen(path, "rb");
  if (!f) return gt_error_set(err, GT_ERR_IO, "%s: cannot open", path);
  long size = -1;
  if (fseek(f, 0, SEEK_END) == 0) size = ftell(f);
  if (size < 0 || fseek(f, 0, SEEK_SET) != 0) {
    fclose(f);
    return gt_error_set(err, GT_ERR_IO, "%s: cannot determine the file size", path);
  }
  if (size > LB_MAX_FILE_BYTES) {
    fclose(f);
    return gt_error_set(err, GT_ERR_LIMIT, "%s: %ld bytes, more than the %ld a leaderboard may have", path, size,
                        LB_MAX_FILE_BYTES);
  }
  char *buf = malloc((size_t)size + 1);
  if (!buf) {
    fclose(f);
    return gt_error_set(err, GT_ERR_MEMORY, "%s: out of memory", path);
  }
  size_t got = fread(buf, 1, (size_t)size, f);
  fclose(f);
  if (got != (size_t)size) {
    free(buf);
    return gt_error_set(err, GT_ERR_IO, "%s: short read", path);
  }
  buf[size] = 0;
  size_t nul = strlen(buf);
  if (nul != (size_t)size) {
    free(buf);
    return gt_error_set(err, GT_ERR_FORMAT, "%s: contains a NUL byte at offset %zu: not a JSON text", path, nul);
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
  reader r = {path, err};
  st = read_board(&r, root, lb);
  cJSON_Delete(root);
  if (st != GT_OK) gt_leaderboard_free(lb);
  return st;
}

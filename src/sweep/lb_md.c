/* leaderboard.md: one Markdown table per (dataset, threat model, eps), ready to paste into a README. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gauntlet/sweep.h"

typedef struct md_buf {
  char *text;
  size_t len, cap;
  int failed;
} md_buf;

static void put(md_buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char tmp[2048];
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n < 0 || b->failed) return;
  size_t need = (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1;
  if (b->len + need + 1 > b->cap) {
    size_t cap = (b->cap ? b->cap * 2 : 4096) + need;
    char *t = realloc(b->text, cap);
    if (!t) {
      b->failed = 1;
      return;
    }
    b->text = t, b->cap = cap;
  }
  memcpy(b->text + b->len, tmp, need);
  b->len += need;
  b->text[b->len] = '\0';
}

/* Table cells: '|' and newlines would break the row. */
static void put_cell(md_buf *b, const char *s) {
  char out[600];
  size_t j = 0;
  for (size_t i = 0; s[i] && j + 3 < sizeof out; i++) {
    if (s[i] == '|') out[j++] = '\\', out[j++] = '|';
    else out[j++] = s[i] == '\n' || s[i] == '\r' ? ' ' : s[i];
  }
  out[j] = '\0';
  put(b, " %s |", out);
}

static void put_percent(md_buf *b, double v) {
  if (isnan(v)) put(b, " - |");
  else put(b, " %.2f |", 100.0 * v);
}

static void put_table(md_buf *b, const gt_lb_table *t) {
  put(b, "\n## %s, %s, eps = %s\n\n", t->dataset, t->threat_model, t->eps_text);
  const gt_lb_entry *first = &t->entries[0];
  put(b, "| Rank | Model | Architecture | Clean (%%) | Robust (%%) | Reported (%%) |");
  for (int a = 0; a < first->n_attacks; a++) put(b, " after %s |", first->attacks[a].name);
  put(b, " Flags |\n|---:|---|---|---:|---:|---:|");
  for (int a = 0; a < first->n_attacks; a++) put(b, "---:|");
  put(b, "---|\n");
  for (int i = 0; i < t->n_entries; i++) {
    const gt_lb_entry *e = &t->entries[i];
    put(b, "| %d |", i + 1);
    if (e->link[0]) {
      char cell[700];
      snprintf(cell, sizeof cell, "[%s](%s)", e->name, e->link);
      put_cell(b, cell);
    } else {
      put_cell(b, e->name);
    }
    put_cell(b, e->architecture);
    put_percent(b, e->clean_acc);
    put_percent(b, e->autoattack_acc);
    put_percent(b, e->reported);
    for (int a = 0; a < first->n_attacks; a++) put_percent(b, a < e->n_attacks ? e->attacks[a].robust_acc : NAN);
    char flags[400] = "";
    for (int f = 0; f < e->n_flags; f++)
      snprintf(flags + strlen(flags), sizeof flags - strlen(flags), "%s%s", f ? ", " : "", gt_flag_name(e->flags[f].kind));
    put_cell(b, e->n_flags ? flags : "-");
    put(b, "\n");
  }
  put(b, "\n%s, %lld points, seed %llu, %s on %s.", first->suite, (long long)first->n_points,
      (unsigned long long)first->seed, first->backend, first->device);
  for (int i = 0; i < t->n_entries; i++)
    for (int f = 0; f < t->entries[i].n_flags; f++)
      put(b, "\n- **%s**, %s: %s.", t->entries[i].name, gt_flag_name(t->entries[i].flags[f].kind),
          t->entries[i].flags[f].detail);
  put(b, "\n");
}

gt_status gt_leaderboard_md_text(const gt_leaderboard *lb, char **text, size_t *len, gt_error *err) {
  md_buf b = {0};
  put(&b, "# %s\n\nRobust accuracy is the worst case over the attack suite, per point. Created %s by Gauntlet %s "
          "(commit %s), config %.12s.\n",
      lb->title, lb->created_utc, lb->gauntlet_version, lb->git_commit, lb->config_hash);
  if (lb->smoke) put(&b, "\n**Smoke run**: a short check, not a full evaluation.\n");
  for (int t = 0; t < lb->n_tables; t++) put_table(&b, &lb->tables[t]);
  if (lb->n_tables == 0) put(&b, "\nNo finished job yet.\n");
  if (b.failed || !b.text) {
    free(b.text);
    return gt_error_set(err, GT_ERR_MEMORY, "out of memory rendering leaderboard.md");
  }
  *text = b.text;
  *len = b.len;
  return GT_OK;
}

gt_status gt_leaderboard_md_write(const gt_leaderboard *lb, const char *path, gt_error *err) {
  char *text = NULL;
  size_t len = 0;
  gt_status st = gt_leaderboard_md_text(lb, &text, &len, err);
  if (st == GT_OK) st = gt_file_write_atomic(path, text, len, err);
  else gt_error_prefix(err, "%s: ", path);
  free(text);
  return st;
}

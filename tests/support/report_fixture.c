/* The synthetic leaderboard of report_fixture.h. */
#include "report_fixture.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "gauntlet/npy.h"

float report_fixture_pixel(int i, int k, int j) {
  float clean = (float)((j * 37 + (i % k) * 11) % 101) / 100.0f;
  if (i < k) return clean;
  /* adversarial: a +-0.05 x (1..3) change on every third element, clipped to [0,1] */
  float delta = j % 3 == 0 ? 0.05f * (float)(1 + (j / 3 + i) % 3) * ((j & 1) ? -1.0f : 1.0f) : 0.0f;
  float v = clean + delta;
  return v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v);
}

static int examples_write(gt_lb_examples *ex, const char *outdir, const char *file, int k, int c, int h, int w) {
  int64_t shape[4] = {2 * k, c, h, w};
  size_t per = (size_t)c * (size_t)h * (size_t)w;
  float *data = malloc(2 * (size_t)k * per * sizeof *data);
  if (!data) return -1;
  for (int i = 0; i < 2 * k; i++)
    for (size_t j = 0; j < per; j++) data[(size_t)i * per + j] = report_fixture_pixel(i, k, (int)j);
  char path[1024];
  snprintf(ex->npy_path, sizeof ex->npy_path, "examples/%s", file);
  snprintf(path, sizeof path, "%s/%s", outdir, ex->npy_path);
  gt_error err = {0};
  gt_status st = gt_npy_write_f32(path, data, 4, shape, &err);
  free(data);
  if (st != GT_OK) {
    fprintf(stderr, "fixture: %s\n", err.message);
    return -1;
  }
  ex->k = k;
  ex->c = c;
  ex->h = h;
  ex->w = w;
  for (int i = 0; i < k; i++) {
    ex->label[i] = i + 1;
    ex->clean_pred[i] = i + 1;
    ex->adv_pred[i] = i % 2 ? i + 1 : 9 - i; /* even examples broken */
  }
  return 0;
}

static void entry_fill(gt_lb_entry *e, int model, const char *tm, int eps_index, int n_eps, const double *eps,
                       const char *const *eps_text, int smoke) {
  memset(e, 0, sizeof *e);
  snprintf(e->name, sizeof e->name, "%s", model == 0 ? FIXTURE_HOSTILE_NAME : FIXTURE_SAFE_NAME);
  snprintf(e->link, sizeof e->link, "%s", model == 0 ? FIXTURE_HOSTILE_LINK : FIXTURE_SAFE_LINK);
  snprintf(e->authors, sizeof e->authors, "%s", model == 0 ? "Mallory \"M\" <m@x>" : "Alice, Bob");
  snprintf(e->dataset, sizeof e->dataset, "fashion-mnist");
  snprintf(e->venue, sizeof e->venue, "%s", model == 0 ? "arXiv" : "ICML 2030");
  snprintf(e->architecture, sizeof e->architecture, "%s", model == 0 ? "MLP" : "ResNet-18");
  snprintf(e->eps_text, sizeof e->eps_text, "%s", eps_text[eps_index]);
  snprintf(e->threat_model, sizeof e->threat_model, "%s", tm);
  snprintf(e->suite, sizeof e->suite, "%s", smoke ? "smoke" : "autoattack-standard");
  if (model == 0) snprintf(e->footnote, sizeof e->footnote, "%s", FIXTURE_HOSTILE_FOOTNOTE);
  e->eps = eps[eps_index];
  e->additional_data = model;
  e->number_forward_passes = 1000 + 10 * model;
  e->clean_acc = model == 0 ? 0.915 : 0.88;
  e->reported = model == 0 ? 0.7 : NAN;
  e->external = NAN;
  e->smoke = smoke;
  e->n_points = 200;
  e->seed = 42;
  e->seconds = 12.5 + model;
  snprintf(e->model_sha256, sizeof e->model_sha256, "%064d", model);
  snprintf(e->gauntlet_version, sizeof e->gauntlet_version, "0.1.0");
  snprintf(e->git_commit, sizeof e->git_commit, "abcdef123456");
  snprintf(e->backend, sizeof e->backend, "cpu");
  snprintf(e->device, sizeof e->device, "Test CPU");
  /* Robust accuracy falls with eps; the safe model is the more robust one. */
  for (int i = 0; i < n_eps; i++) {
    e->curve[i].eps = eps[i];
    snprintf(e->curve[i].eps_text, sizeof e->curve[i].eps_text, "%s", eps_text[i]);
    e->curve[i].robust_acc = (model == 0 ? 0.6 : 0.7) - 0.15 * i;
  }
  e->n_curve = n_eps;
  e->autoattack_acc = e->curve[eps_index].robust_acc;
  static const char *const attacks[3] = {"apgd-ce", "apgd-t", "square"};
  e->n_attacks = 3;
  for (int a = 0; a < 3; a++) {
    snprintf(e->attacks[a].name, sizeof e->attacks[a].name, "%s", attacks[a]);
    e->attacks[a].robust_acc = e->autoattack_acc + 0.02 * (2 - a);
    e->attacks[a].seconds = 1.0 + a;
    e->attacks[a].forward = 100 * (a + 1);
    e->attacks[a].backward = 100 * (a + 1);
  }
  if (model == 0) {
    e->n_flags = 1;
    e->flags[0].kind = GT_FLAG_ZERO_GRADIENTS;
    e->flags[0].evidence = 0.155;
    e->flags[0].threshold = 0.05;
    snprintf(e->flags[0].detail, sizeof e->flags[0].detail, "%s", FIXTURE_HOSTILE_DETAIL);
  }
  if (smoke && e->n_flags < GT_MAX_FLAGS) {
    gt_flag *f = &e->flags[e->n_flags++];
    f->kind = GT_FLAG_SMOKE;
    snprintf(f->detail, sizeof f->detail, "smoke preset: 2 attacks, 200 points");
  }
  e->unreliable = e->n_flags > 0;
}

int report_fixture_make(gt_leaderboard *lb, const char *outdir, int smoke) {
  static const char *const tms[2] = {"Linf", "L2"};
  static const double eps[2][3] = {{2.0 / 255, 4.0 / 255, 8.0 / 255}, {0.25, 0.5, 1.0}};
  static const char *const eps_text[2][3] = {{"2/255", "4/255", "8/255"}, {"0.25", "0.5", "1.0"}};
  memset(lb, 0, sizeof *lb);
  snprintf(lb->title, sizeof lb->title, "Fixture <b>board</b>");
  snprintf(lb->created_utc, sizeof lb->created_utc, "2026-11-24T21:00:00Z");
  lb->smoke = smoke;
  lb->n_tables = FIXTURE_TABLES;
  lb->tables = calloc(FIXTURE_TABLES, sizeof *lb->tables);
  if (!lb->tables) return -1;
  char dir[1024];
  snprintf(dir, sizeof dir, "%s/examples", outdir);
  mkdir(dir, 0777);
  for (int t = 0; t < FIXTURE_TABLES; t++) {
    gt_lb_table *table = &lb->tables[t];
    int tm = t / 3, ei = t % 3;
    snprintf(table->threat_model, sizeof table->threat_model, "%s", tms[tm]);
    snprintf(table->eps_text, sizeof table->eps_text, "%s", eps_text[tm][ei]);
    table->eps = eps[tm][ei];
    table->n_entries = FIXTURE_MODELS;
    table->entries = calloc(FIXTURE_MODELS, sizeof *table->entries);
    if (!table->entries) return -1;
    /* ranked best first: the safe model (1) is the more robust */
    for (int r = 0; r < FIXTURE_MODELS; r++) {
      int model = 1 - r;
      gt_lb_entry *e = &table->entries[r];
      entry_fill(e, model, tms[tm], ei, 3, eps[tm], eps_text[tm], smoke);
      if (ei != 2) continue; /* the sweep saves examples at the largest eps */
      char file[64];
      snprintf(file, sizeof file, "m%d_%s.npy", model, tms[tm]);
      int rc = model == 0 ? examples_write(&e->examples, outdir, file, 2, 1, FIXTURE_GRAY_H, FIXTURE_GRAY_W)
                          : examples_write(&e->examples, outdir, file, 3, 3, FIXTURE_RGB_H, FIXTURE_RGB_W);
      if (rc != 0) return -1;
    }
  }
  return 0;
}

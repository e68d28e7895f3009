/* The sweep checks that need files, all done before any attack runs: every model loads as a
 * classifier whose input fits every dataset, every dataset loads and holds its n points, every
 * index file reads. Errors name the key path of the config. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "gauntlet/data.h"
#include "gauntlet/model.h"
#include "gauntlet/sweep.h"

static gt_status check_dataset(const gt_sweep_config *cfg, int i, gt_dataset **out, gt_error *err) {
  const gt_sweep_dataset *d = &cfg->datasets[i];
  gt_dataset *ds = NULL;
  gt_status st = gt_dataset_load(d->spec, &ds, err);
  if (st) return gt_error_prefix(err, "%s: datasets[%d].data: ", cfg->path, i);
  if (d->indices[0]) {
    FILE *f = fopen(d->indices, "r");
    if (!f) st = gt_error_set(err, GT_ERR_IO, "%s: datasets[%d].indices: cannot open %s: %s", cfg->path, i,
                              d->indices, strerror(errno));
    else fclose(f);
    if (!st && (st = gt_dataset_take_index_file(ds, d->indices, err)))
      gt_error_prefix(err, "%s: datasets[%d].indices: ", cfg->path, i);
  } else if (d->n > ds->n && !cfg->smoke) { /* the smoke preset's cap of 100 may exceed a small dataset */
    st = gt_error_set(err, GT_ERR_FORMAT, "%s: datasets[%d].n: %lld points asked, %s has %lld", cfg->path, i,
                      (long long)d->n, d->spec, (long long)ds->n);
  }
  if (st) gt_dataset_free(ds);
  else *out = ds;
  return st;
}

static gt_status check_model(const gt_sweep_config *cfg, int i, gt_dataset *const *data, gt_error *err) {
  const gt_sweep_model *m = &cfg->models[i];
  FILE *f = fopen(m->path, "rb");
  if (!f) return gt_error_set(err, GT_ERR_IO, "%s: models[%d].path: cannot open %s: %s", cfg->path, i, m->path,
                              strerror(errno));
  fclose(f);
  gt_graph *g = NULL;
  gt_status st = gt_graph_load_classifier(m->path, m->n_norm, m->mean, m->std, &g, err);
  if (st) return gt_error_prefix(err, "%s: models[%d]: ", cfg->path, i);
  const gt_value *in = &g->values[g->input], *outv = &g->values[g->output];
  int64_t classes = outv->shape[outv->ndim - 1];
  for (int j = 0; j < cfg->n_datasets && !st; j++) {
    const gt_dataset *ds = data[j];
    if (in->ndim != 4 || in->shape[1] != ds->c || in->shape[2] != ds->h || in->shape[3] != ds->w)
      st = gt_error_set(err, GT_ERR_SHAPE,
                        "%s: models[%d] (%s) takes [N,%lld,%lld,%lld] images; datasets[%d] has [%d,%d,%d]", cfg->path, i,
                        m->name, (long long)in->shape[1], (long long)in->shape[2], (long long)in->shape[3], j, ds->c,
                        ds->h, ds->w);
    else if (classes < ds->n_classes)
      st = gt_error_set(err, GT_ERR_SHAPE, "%s: models[%d] (%s) has %lld classes; datasets[%d] has labels up to %d",
                        cfg->path, i, m->name, (long long)classes, j, ds->n_classes - 1);
  }
  gt_graph_free(g);
  return st;
}

gt_status gt_sweep_config_validate(const gt_sweep_config *cfg, gt_error *err) {
  gt_dataset *data[GT_SWEEP_MAX_DATASETS] = {0};
  gt_status st = GT_OK;
  for (int j = 0; j < cfg->n_datasets && !st; j++) st = check_dataset(cfg, j, &data[j], err);
  for (int i = 0; i < cfg->n_models && !st; i++) st = check_model(cfg, i, data, err);
  for (int j = 0; j < cfg->n_datasets; j++) gt_dataset_free(data[j]);
  return st;
}

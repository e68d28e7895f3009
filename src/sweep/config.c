/* The sweep config: JSON -> gt_sweep_config, every key checked, errors naming the key path.
 * Keys and their meaning: docs/SWEEP.md and schemas/sweep.schema.json. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "gauntlet/sha256.h"
#include "gauntlet/sweep.h"
#include "gates/sweep_ci.h"
#include "sweep/devices.h"
#include "sweep/json_get.h"

gt_status gt_sweep_parse_eps(const char *what, const char *text, float *out, gt_error *err) {
  char *end = NULL;
  errno = 0;
  double v = strtod(text, &end);
  if (end != text && *end == '/') {
    const char *den_text = end + 1;
    double den = strtod(den_text, &end);
    if (end == den_text || den == 0) v = NAN;
    else v /= den;
  }
  if (errno || end == text || *end != '\0' || !isfinite(v) || v < 0)
    return gt_error_set(err, GT_ERR_FORMAT, "%s: '%s' is not a number >= 0 (write 0.03 or 8/255)", what, text);
  *out = (float)v;
  return GT_OK;
}

/* base/path unless path is absolute or base is empty. */
static gt_status resolve_path(const char *base, const char *path, char *out, size_t size, const gt_jpath *p,
                              gt_error *err) {
  int n = (path[0] == '/' || !base || !base[0]) ? snprintf(out, size, "%s", path)
                                               : snprintf(out, size, "%s/%s", base, path);
  if (n < 0 || (size_t)n >= size) return gt_jpath_fail(p, err, "path too long");
  return GT_OK;
}

/* Resolves the file parts of a data spec: npy:A,B and idx:A,B (both), mnist:/cifar10:/cifar100:DIR[:split],
 * png:DIR. fmnist:split has none. */
static gt_status resolve_spec(const char *base, const char *spec, char *out, size_t size, const gt_jpath *p,
                              gt_error *err) {
  const char *colon = strchr(spec, ':');
  if (!colon || !base || !base[0]) return resolve_path(NULL, spec, out, size, p, err);
  size_t scheme_len = (size_t)(colon - spec) + 1;
  char scheme[32];
  if (scheme_len >= sizeof scheme) return resolve_path(NULL, spec, out, size, p, err);
  memcpy(scheme, spec, scheme_len);
  scheme[scheme_len] = '\0';
  const char *rest = colon + 1;
  char a[GT_SWEEP_PATH_MAX], b[GT_SWEEP_PATH_MAX];
  if (!strcmp(scheme, "npy:") || !strcmp(scheme, "idx:")) {
    const char *comma = strchr(rest, ',');
    if (!comma) return resolve_path(NULL, spec, out, size, p, err); /* the loader reports it */
    char first[GT_SWEEP_PATH_MAX];
    snprintf(first, sizeof first, "%.*s", (int)(comma - rest), rest);
    if (resolve_path(base, first, a, sizeof a, p, err) || resolve_path(base, comma + 1, b, sizeof b, p, err))
      return err->code;
    int n = snprintf(out, size, "%s%s,%s", scheme, a, b);
    return n < 0 || (size_t)n >= size ? gt_jpath_fail(p, err, "path too long") : GT_OK;
  }
  if (!strcmp(scheme, "mnist:") || !strcmp(scheme, "cifar10:") || !strcmp(scheme, "cifar100:") ||
      !strcmp(scheme, "png:")) {
    const char *split = strrchr(rest, ':');
    if (split && strcmp(split, ":test") && strcmp(split, ":train")) split = NULL;
    char dir[GT_SWEEP_PATH_MAX];
    snprintf(dir, sizeof dir, "%.*s", (int)(split ? (size_t)(split - rest) : strlen(rest)), rest);
    if (resolve_path(base, dir, a, sizeof a, p, err)) return err->code;
    int n = snprintf(out, size, "%s%s%s", scheme, a, split ? split : "");
    return n < 0 || (size_t)n >= size ? gt_jpath_fail(p, err, "path too long") : GT_OK;
  }
  return resolve_path(NULL, spec, out, size, p, err);
}

static gt_status parse_floats(const cJSON *arr, const gt_jpath *p, float *out, int cap, int *count, gt_error *err) {
  if (!cJSON_IsArray(arr)) return gt_jpath_fail(p, err, "expected an array of numbers, got %s", gt_json_type_name(arr));
  int n = cJSON_GetArraySize(arr);
  if (n < 1 || n > cap) return gt_jpath_fail(p, err, "expected 1 to %d numbers, got %d", cap, n);
  for (int i = 0; i < n; i++) {
    const cJSON *v = cJSON_GetArrayItem(arr, i);
    gt_jpath ip;
    gt_jpath_index(&ip, p, i);
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
      return gt_jpath_fail(&ip, err, "expected a number, got %s", gt_json_type_name(v));
    out[i] = (float)v->valuedouble;
  }
  *count = n;
  return GT_OK;
}

static gt_status parse_reported(const cJSON *v, const gt_jpath *p, gt_sweep_model *m, gt_error *err) {
  if (cJSON_IsNumber(v)) {
    if (!(v->valuedouble >= 0 && v->valuedouble <= 100))
      return gt_jpath_fail(p, err, "%g is not a percentage in [0, 100]", v->valuedouble);
    m->reported[0].key[0] = '\0';
    m->reported[0].value = v->valuedouble / 100.0;
    m->n_reported = 1;
    return GT_OK;
  }
  if (!cJSON_IsObject(v))
    return gt_jpath_fail(p, err, "expected a percentage or an object {\"Linf:8/255\": 53.1}, got %s",
                         gt_json_type_name(v));
  for (const cJSON *c = v->child; c; c = c->next) {
    gt_jpath kp;
    gt_jpath_key(&kp, p, c->string);
    if (m->n_reported >= GT_SWEEP_MAX_REPORTED) return gt_jpath_fail(&kp, err, "more than %d entries", GT_SWEEP_MAX_REPORTED);
    const char *colon = strchr(c->string, ':');
    gt_norm norm;
    char norm_text[16];
    float eps;
    gt_error sub = {0};
    snprintf(norm_text, sizeof norm_text, "%.*s", colon ? (int)(colon - c->string) : 0, c->string);
    if (!colon || strlen(c->string) >= sizeof m->reported[0].key || gt_norm_parse(norm_text, &norm, &sub) != GT_OK ||
        gt_sweep_parse_eps("eps", colon + 1, &eps, &sub) != GT_OK)
      return gt_jpath_fail(&kp, err, "keys are \"<norm>:<eps>\" such as \"Linf:8/255\"");
    if (!cJSON_IsNumber(c) || !(c->valuedouble >= 0 && c->valuedouble <= 100))
      return gt_jpath_fail(&kp, err, "expected a percentage in [0, 100], got %s", gt_json_type_name(c));
    gt_sweep_reported *r = &m->reported[m->n_reported++];
    snprintf(r->key, sizeof r->key, "%s:%s", gt_norm_name(norm), colon + 1);
    r->value = c->valuedouble / 100.0;
  }
  return GT_OK;
}

static gt_status parse_model(const cJSON *o, const gt_jpath *p, const char *base, gt_sweep_model *m, gt_error *err) {
  static const char *const keys[] = {"name", "path", "mean", "std", "architecture", "link", "authors", "venue",
                                     "additional_data", "reported", "footnote", NULL};
  gt_status st = gt_json_check_object(o, p, keys, err);
  char path[GT_SWEEP_PATH_MAX];
  gt_jpath kp;
  if (!st) st = gt_json_string(o, "name", p, 1, m->name, sizeof m->name, err);
  if (!st && !m->name[0]) st = gt_jpath_fail(gt_jpath_key(&kp, p, "name"), err, "must not be empty");
  if (!st) st = gt_json_string(o, "path", p, 1, path, sizeof path, err);
  if (!st) st = resolve_path(base, path, m->path, sizeof m->path, gt_jpath_key(&kp, p, "path"), err);
  if (!st) st = gt_json_string(o, "architecture", p, 0, m->architecture, sizeof m->architecture, err);
  if (!st) st = gt_json_string(o, "link", p, 0, m->link, sizeof m->link, err);
  if (!st) st = gt_json_string(o, "authors", p, 0, m->authors, sizeof m->authors, err);
  if (!st) st = gt_json_string(o, "venue", p, 0, m->venue, sizeof m->venue, err);
  if (!st) st = gt_json_string(o, "footnote", p, 0, m->footnote, sizeof m->footnote, err);
  if (!st) st = gt_json_bool(o, "additional_data", p, 0, &m->additional_data, err);
  const cJSON *mean = cJSON_GetObjectItemCaseSensitive(o, "mean"), *std = cJSON_GetObjectItemCaseSensitive(o, "std");
  if (!st && (mean || std)) {
    int n_mean = 0, n_std = 0;
    gt_jpath mp, sp;
    gt_jpath_key(&mp, p, "mean");
    gt_jpath_key(&sp, p, "std");
    if (!mean || !std) return gt_jpath_fail(mean ? &sp : &mp, err, "mean and std go together: give both");
    st = parse_floats(mean, &mp, m->mean, 16, &n_mean, err);
    if (!st) st = parse_floats(std, &sp, m->std, 16, &n_std, err);
    if (!st && n_mean != n_std) st = gt_jpath_fail(&sp, err, "%d values for %d of mean", n_std, n_mean);
    for (int i = 0; !st && i < n_std; i++)
      if (!(m->std[i] > 0)) st = gt_jpath_fail(&sp, err, "std values must be > 0");
    m->n_norm = n_mean;
  }
  const cJSON *rep = cJSON_GetObjectItemCaseSensitive(o, "reported");
  if (!st && rep) st = parse_reported(rep, gt_jpath_key(&kp, p, "reported"), m, err);
  return st;
}

static void default_dataset_name(const char *spec, char *out, size_t size) {
  if (!strncmp(spec, "fmnist:", 7)) snprintf(out, size, "fashion-mnist");
  else if (!strncmp(spec, "mnist:", 6)) snprintf(out, size, "mnist");
  else if (!strncmp(spec, "cifar100:", 9)) snprintf(out, size, "cifar100");
  else if (!strncmp(spec, "cifar10:", 8)) snprintf(out, size, "cifar10");
  else {
    const char *colon = strchr(spec, ':');
    snprintf(out, size, "%.*s", colon ? (int)(colon - spec) : (int)strlen(spec), spec);
  }
}

static gt_status parse_dataset(const cJSON *o, const gt_jpath *p, const char *base, gt_sweep_dataset *d,
                               gt_error *err) {
  static const char *const keys[] = {"name", "data", "n", "indices", NULL};
  gt_status st = gt_json_check_object(o, p, keys, err);
  char spec[GT_SWEEP_PATH_MAX], indices[GT_SWEEP_PATH_MAX] = "";
  gt_jpath kp;
  if (!st) st = gt_json_string(o, "data", p, 1, spec, sizeof spec, err);
  if (!st) st = resolve_spec(base, spec, d->spec, sizeof d->spec, gt_jpath_key(&kp, p, "data"), err);
  if (!st) st = gt_json_int(o, "n", p, 0, 1, INT64_MAX / 2, &d->n, err);
  if (!st) st = gt_json_string(o, "indices", p, 0, indices, sizeof indices, err);
  if (!st && indices[0] && d->n > 0)
    st = gt_jpath_fail(gt_jpath_key(&kp, p, "indices"), err, "give n or indices, not both");
  if (!st && indices[0]) st = resolve_path(base, indices, d->indices, sizeof d->indices, gt_jpath_key(&kp, p, "indices"), err);
  default_dataset_name(spec, d->name, sizeof d->name);
  if (!st) st = gt_json_string(o, "name", p, 0, d->name, sizeof d->name, err);
  return st;
}

static gt_status parse_threat(const cJSON *o, const gt_jpath *p, gt_sweep_threat *t, gt_error *err) {
  static const char *const keys[] = {"norm", "eps", NULL};
  gt_status st = gt_json_check_object(o, p, keys, err);
  char norm[16];
  gt_jpath np, ep;
  gt_jpath_key(&np, p, "norm");
  gt_jpath_key(&ep, p, "eps");
  if (!st) st = gt_json_string(o, "norm", p, 1, norm, sizeof norm, err);
  gt_error sub = {0};
  if (!st && gt_norm_parse(norm, &t->norm, &sub) != GT_OK)
    st = gt_jpath_fail(&np, err, "unknown norm '%s' (Linf, L2, L1)", norm);
  if (st) return st;
  const cJSON *eps = cJSON_GetObjectItemCaseSensitive(o, "eps");
  if (!eps) return gt_jpath_fail(&ep, err, "required key is missing");
  if (!cJSON_IsArray(eps)) return gt_jpath_fail(&ep, err, "expected an array of eps, got %s", gt_json_type_name(eps));
  int n = cJSON_GetArraySize(eps);
  if (n < 1 || n > GT_LB_MAX_EPS) return gt_jpath_fail(&ep, err, "expected 1 to %d eps, got %d", GT_LB_MAX_EPS, n);
  for (int i = 0; i < n; i++) {
    const cJSON *v = cJSON_GetArrayItem(eps, i);
    gt_jpath ip;
    gt_jpath_index(&ip, &ep, i);
    float e;
    char text[24];
    if (cJSON_IsNumber(v)) {
      if (!isfinite(v->valuedouble) || v->valuedouble < 0)
        return gt_jpath_fail(&ip, err, "eps must be a finite number >= 0, got %g", v->valuedouble);
      e = (float)v->valuedouble;
      snprintf(text, sizeof text, "%.7g", v->valuedouble);
    } else if (cJSON_IsString(v)) {
      if (gt_sweep_parse_eps("eps", v->valuestring, &e, &sub) != GT_OK || strlen(v->valuestring) >= sizeof text)
        return gt_jpath_fail(&ip, err, "'%s' is not an eps >= 0 (write 0.03 or 8/255)", v->valuestring);
      snprintf(text, sizeof text, "%s", v->valuestring);
    } else {
      return gt_jpath_fail(&ip, err, "expected a number or a string like \"8/255\", got %s", gt_json_type_name(v));
    }
    if (e <= 0) return gt_jpath_fail(&ip, err, "eps must be > 0 (clean accuracy is computed anyway)");
    /* insertion into the ascending list */
    int at = t->n_eps;
    for (int j = 0; j < t->n_eps; j++)
      if (t->eps[j] == e) return gt_jpath_fail(&ip, err, "eps %s is listed twice", text);
    while (at > 0 && t->eps[at - 1] > e) {
      t->eps[at] = t->eps[at - 1];
      memcpy(t->eps_text[at], t->eps_text[at - 1], sizeof t->eps_text[at]);
      at--;
    }
    t->eps[at] = e;
    memcpy(t->eps_text[at], text, sizeof text);
    t->n_eps++;
  }
  return GT_OK;
}

static gt_status parse_attack(const cJSON *o, const gt_jpath *p, gt_sweep_attack *a, gt_error *err) {
  static const char *const keys[] = {"attack", "steps", "restarts", "step_size", "loss", "targeted", "target_ranks",
                                     "eot", "random_start", "decay", NULL};
  gt_status st = gt_json_check_object(o, p, keys, err);
  gt_jpath kp;
  gt_attack_config_init(&a->config);
  if (!st) st = gt_json_string(o, "attack", p, 1, a->name, sizeof a->name, err);
  if (st) return st;
  const gt_attack *at = gt_attack_find(a->name);
  if (!at) {
    gt_jpath_key(&kp, p, "attack");
    return gt_jpath_fail(&kp, err, "unknown attack '%s' (`gauntlet attack --list` lists them)", a->name);
  }
  gt_attack_config *c = &a->config;
  gt_error sub = {0};
  char text[32];
  double decay = 1.0;
  if ((st = gt_json_int32(o, "steps", p, 1, 1000000, &c->steps, err))) return st;
  if ((st = gt_json_int32(o, "restarts", p, 1, 10000, &c->restarts, err))) return st;
  if ((st = gt_json_int32(o, "target_ranks", p, 1, 1000, &c->n_target_ranks, err))) return st;
  if ((st = gt_json_int32(o, "eot", p, 1, 10000, &c->eot, err))) return st;
  if ((st = gt_json_number(o, "decay", p, 0, 0, 100, &decay, err))) return st;
  c->decay = (float)decay;
  if ((st = gt_json_bool(o, "random_start", p, 0, &c->random_start, err))) return st;
  const cJSON *ss = cJSON_GetObjectItemCaseSensitive(o, "step_size");
  gt_jpath_key(&kp, p, "step_size");
  if (ss && cJSON_IsNumber(ss)) {
    if (!(ss->valuedouble > 0) || !isfinite(ss->valuedouble)) return gt_jpath_fail(&kp, err, "must be > 0");
    c->step_size = (float)ss->valuedouble;
  } else if (ss && cJSON_IsString(ss)) {
    if (gt_sweep_parse_eps("step_size", ss->valuestring, &c->step_size, &sub) || !(c->step_size > 0))
      return gt_jpath_fail(&kp, err, "'%s' is not a step size > 0", ss->valuestring);
  } else if (ss) {
    return gt_jpath_fail(&kp, err, "expected a number or a string like \"2/255\", got %s", gt_json_type_name(ss));
  }
  text[0] = '\0';
  if (gt_json_string(o, "loss", p, 0, text, sizeof text, err)) return err->code;
  if (text[0]) {
    int found = 0;
    for (int k = 0; k < GT_LOSS_COUNT && !found; k++)
      if (!strcmp(text, gt_loss_name((gt_loss_kind)k))) c->loss = (gt_loss_kind)k, found = 1;
    gt_jpath_key(&kp, p, "loss");
    if (!found) return gt_jpath_fail(&kp, err, "unknown loss '%s' (ce, dlr, cw and their -targeted twins)", text);
  }
  text[0] = '\0';
  if (gt_json_string(o, "targeted", p, 0, text, sizeof text, err)) return err->code;
  if (text[0]) {
    gt_jpath_key(&kp, p, "targeted");
    if (gt_target_mode_parse(text, &c->targeted, &sub) || c->targeted == GT_TARGET_GIVEN)
      return gt_jpath_fail(&kp, err, "'%s' is not a target mode (none, random, least-likely, top)", text);
    if (c->targeted != GT_TARGET_NONE && !at->targeted)
      return gt_jpath_fail(&kp, err, "attack '%s' has no targeted mode", at->name);
  }
  snprintf(a->name, sizeof a->name, "%s", at->name);
  return GT_OK;
}

static gt_status parse_attacks(const cJSON *v, const gt_jpath *p, gt_sweep_config *cfg, gt_error *err) {
  if (cJSON_IsObject(v)) {
    static const char *const keys[] = {"suite", "version", NULL};
    gt_status st = gt_json_check_object(v, p, keys, err);
    char suite[32] = "", version[32] = "standard";
    if (!st) st = gt_json_string(v, "suite", p, 1, suite, sizeof suite, err);
    if (!st) st = gt_json_string(v, "version", p, 0, version, sizeof version, err);
    if (st) return st;
    gt_jpath kp;
    gt_error sub = {0};
    gt_jpath_key(&kp, p, "suite");
    if (strcmp(suite, "autoattack")) return gt_jpath_fail(&kp, err, "unknown suite '%s' (autoattack)", suite);
    gt_jpath_key(&kp, p, "version");
    if (gt_autoattack_version_parse(version, &cfg->version, &sub))
      return gt_jpath_fail(&kp, err, "unknown autoattack version '%s' (standard, plus, rand)", version);
    cfg->use_autoattack = 1;
    snprintf(cfg->suite, sizeof cfg->suite, "autoattack-%s", gt_autoattack_version_name(cfg->version));
    return GT_OK;
  }
  if (!cJSON_IsArray(v))
    return gt_jpath_fail(p, err, "expected {\"suite\": \"autoattack\", \"version\": ...} or an array of attacks, got %s",
                         gt_json_type_name(v));
  int n = cJSON_GetArraySize(v);
  if (n < 1 || n > GT_ENSEMBLE_MAX_MEMBERS)
    return gt_jpath_fail(p, err, "expected 1 to %d attacks, got %d", GT_ENSEMBLE_MAX_MEMBERS, n);
  for (int i = 0; i < n; i++) {
    gt_jpath ip;
    gt_jpath_index(&ip, p, i);
    gt_status st = parse_attack(cJSON_GetArrayItem(v, i), &ip, &cfg->attacks[i], err);
    if (st) return st;
  }
  cfg->n_attacks = n;
  snprintf(cfg->suite, sizeof cfg->suite, "custom");
  return GT_OK;
}

/* Every attack of the suite must run under every threat model of the sweep. */
static gt_status check_attack_norms(const gt_sweep_config *cfg, gt_error *err) {
  for (int t = 0; t < cfg->n_threats; t++) {
    const gt_sweep_threat *th = &cfg->threats[t];
    if (cfg->use_autoattack) {
      gt_ensemble plan;
      gt_error sub = {0};
      if (gt_autoattack_plan(cfg->version, th->norm, th->eps[0], cfg->seed, &plan, &sub) != GT_OK)
        return gt_error_set(err, GT_ERR_FORMAT, "%s: attacks: threat_models[%d]: %s", cfg->path, t, sub.message);
      continue;
    }
    for (int a = 0; a < cfg->n_attacks; a++) {
      const gt_attack *at = gt_attack_find(cfg->attacks[a].name);
      if (!(at->norms & GT_NORM_BIT(th->norm)))
        return gt_error_set(err, GT_ERR_FORMAT, "%s: attacks[%d]: attack '%s' does not support the %s norm of threat_models[%d]",
                            cfg->path, a, at->name, gt_norm_name(th->norm), t);
    }
  }
  return GT_OK;
}

typedef gt_status (*item_parser)(const cJSON *o, const gt_jpath *p, const char *base, void *item, gt_error *err);

static gt_status parse_list(const cJSON *root, const char *key, const gt_jpath *top, int cap, size_t item_size,
                            void *items, int *count, const char *base, item_parser fn, gt_error *err) {
  gt_jpath p;
  gt_jpath_key(&p, top, key);
  const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, key);
  if (!arr) return gt_jpath_fail(&p, err, "required key is missing");
  if (!cJSON_IsArray(arr)) return gt_jpath_fail(&p, err, "expected an array, got %s", gt_json_type_name(arr));
  int n = cJSON_GetArraySize(arr);
  if (n < 1 || n > cap) return gt_jpath_fail(&p, err, "expected 1 to %d entries, got %d", cap, n);
  for (int i = 0; i < n; i++) {
    gt_jpath ip;
    gt_jpath_index(&ip, &p, i);
    gt_status st = fn(cJSON_GetArrayItem(arr, i), &ip, base, (char *)items + (size_t)i * item_size, err);
    if (st) return st;
  }
  *count = n;
  return GT_OK;
}

static gt_status model_item(const cJSON *o, const gt_jpath *p, const char *base, void *item, gt_error *err) {
  return parse_model(o, p, base, item, err);
}
static gt_status dataset_item(const cJSON *o, const gt_jpath *p, const char *base, void *item, gt_error *err) {
  return parse_dataset(o, p, base, item, err);
}
static gt_status threat_item(const cJSON *o, const gt_jpath *p, const char *base, void *item, gt_error *err) {
  return parse_threat(o, p, item, err);
}

static gt_status parse_probes(const cJSON *root, const gt_jpath *top, gt_sweep_config *cfg, gt_error *err) {
  static const char *const keys[] = {"enabled", "points", "check_iterations", "recheck_points", NULL};
  const cJSON *o = cJSON_GetObjectItemCaseSensitive(root, "probes");
  if (!o) return GT_OK;
  gt_jpath p;
  gt_jpath_key(&p, top, "probes");
  gt_status st = gt_json_check_object(o, &p, keys, err);
  if (!st) st = gt_json_bool(o, "enabled", &p, 0, &cfg->probes, err);
  if (!st) st = gt_json_bool(o, "check_iterations", &p, 0, &cfg->check_iterations, err);
  if (!st) st = gt_json_int(o, "points", &p, 0, 1, 1000000, &cfg->probe_points, err);
  if (!st) st = gt_json_int32(o, "recheck_points", &p, 0, 100000, &cfg->recheck_points, err);
  return st;
}

/* auto, cpu, ref, cuda or cuda:N (whether a device exists is decided when the sweep runs). */
static int backend_name_valid(const char *name) {
  if (!strcmp(name, "auto") || !strcmp(name, "cpu") || !strcmp(name, "ref") || !strcmp(name, "cuda")) return 1;
  if (strncmp(name, "cuda:", 5) || !name[5]) return 0;
  for (const char *c = name + 5; *c; c++)
    if (*c < '0' || *c > '9') return 0;
  return strlen(name + 5) <= 4;
}

static gt_status parse_root(cJSON *root, const char *base, gt_sweep_config *cfg, gt_error *err) {
  static const char *const keys[] = {"title", "models", "datasets", "threat_models", "attacks", "seed", "batch",
                                     "backend", "threads", "devices", "output", "examples", "probes", "preset",
                                     "gates", NULL};
  gt_jpath top = {.where = cfg->path, .path = ""};
  gt_status st = gt_json_check_object(root, &top, keys, err);
  if (st) return st;
  snprintf(cfg->title, sizeof cfg->title, "Gauntlet leaderboard");
  if ((st = gt_json_string(root, "title", &top, 0, cfg->title, sizeof cfg->title, err))) return st;
  if ((st = parse_list(root, "models", &top, GT_SWEEP_MAX_MODELS, sizeof cfg->models[0], cfg->models, &cfg->n_models,
                       base, model_item, err)))
    return st;
  for (int i = 0; i < cfg->n_models; i++)
    for (int j = 0; j < i; j++)
      if (!strcmp(cfg->models[i].name, cfg->models[j].name))
        return gt_error_set(err, GT_ERR_FORMAT, "%s: models[%d].name: '%s' is also the name of models[%d]", cfg->path, i,
                            cfg->models[i].name, j);
  if ((st = parse_list(root, "datasets", &top, GT_SWEEP_MAX_DATASETS, sizeof cfg->datasets[0], cfg->datasets,
                       &cfg->n_datasets, base, dataset_item, err)))
    return st;
  if ((st = parse_list(root, "threat_models", &top, GT_SWEEP_MAX_THREATS, sizeof cfg->threats[0], cfg->threats,
                       &cfg->n_threats, base, threat_item, err)))
    return st;
  for (int i = 0; i < cfg->n_threats; i++)
    for (int j = 0; j < i; j++)
      if (cfg->threats[i].norm == cfg->threats[j].norm)
        return gt_error_set(err, GT_ERR_FORMAT, "%s: threat_models[%d].norm: %s is also threat_models[%d]; list all its eps there",
                            cfg->path, i, gt_norm_name(cfg->threats[i].norm), j);
  int64_t v = 0;
  if ((st = gt_json_int(root, "seed", &top, 0, 0, INT64_MAX / 2, &v, err))) return st;
  cfg->seed = (uint64_t)v;
  const cJSON *attacks = cJSON_GetObjectItemCaseSensitive(root, "attacks");
  gt_jpath ap;
  gt_jpath_key(&ap, &top, "attacks");
  if (!attacks) return gt_jpath_fail(&ap, err, "required key is missing");
  if ((st = parse_attacks(attacks, &ap, cfg, err))) return st;
  if ((st = check_attack_norms(cfg, err))) return st;
  cfg->batch = 256;
  if ((st = gt_json_int(root, "batch", &top, 0, 1, 1 << 20, &cfg->batch, err))) return st;
  snprintf(cfg->backend, sizeof cfg->backend, "auto");
  if ((st = gt_json_string(root, "backend", &top, 0, cfg->backend, sizeof cfg->backend, err))) return st;
  if (!backend_name_valid(cfg->backend)) {
    gt_jpath kp;
    gt_jpath_key(&kp, &top, "backend");
    return gt_jpath_fail(&kp, err, "unknown backend '%s' (auto, cpu, ref, cuda, cuda:N)", cfg->backend);
  }
  if ((st = gt_json_int32(root, "threads", &top, 0, 1024, &cfg->threads, err))) return st;
  if ((st = gt_sweep_devices_parse(root, &top, cfg, err))) return st;
  cfg->examples = GT_SWEEP_MAX_EXAMPLES;
  if ((st = gt_json_int32(root, "examples", &top, 0, GT_SWEEP_MAX_EXAMPLES, &cfg->examples, err))) return st;
  cfg->probes = 1;
  cfg->probe_points = 200;
  cfg->recheck_points = 32;
  if ((st = parse_probes(root, &top, cfg, err))) return st;
  char output[GT_SWEEP_PATH_MAX] = "gauntlet-results";
  if ((st = gt_json_string(root, "output", &top, 0, output, sizeof output, err))) return st;
  gt_jpath op;
  gt_jpath_key(&op, &top, "output");
  if ((st = resolve_path(base, output, cfg->output, sizeof cfg->output, &op, err))) return st;
  return gt_sweep_ci_parse(root, &top, base, cfg, err);
}

gt_status gt_sweep_config_parse(const char *text, const char *base_dir, gt_sweep_config *cfg, gt_error *err) {
  char path[GT_SWEEP_PATH_MAX], preset[sizeof cfg->preset];
  snprintf(path, sizeof path, "%s", cfg->path);
  snprintf(preset, sizeof preset, "%s", cfg->preset);
  memset(cfg, 0, sizeof *cfg);
  snprintf(cfg->path, sizeof cfg->path, "%s", path);
  snprintf(cfg->preset, sizeof cfg->preset, "%s", preset);
  const char *where = cfg->path[0] ? cfg->path : "sweep config";
  const char *end = NULL;
  cJSON *root = cJSON_ParseWithOpts(text, &end, 1);
  if (!root) {
    long offset = end ? (long)(end - text) : 0;
    return gt_error_set(err, GT_ERR_FORMAT, "%s: not valid JSON near byte %ld", where, offset);
  }
  if (!cfg->path[0]) snprintf(cfg->path, sizeof cfg->path, "%s", where);
  gt_status st = gt_sweep_ci_prepare(root, cfg, err);
  if (st == GT_OK) st = parse_root(root, base_dir, cfg, err);
  if (st == GT_OK) {
    /* the hash covers everything that changes results: all keys but where they are written, the
     * devices they run on and the gates that judge them */
    cJSON_DeleteItemFromObjectCaseSensitive(root, "output");
    cJSON_DeleteItemFromObjectCaseSensitive(root, "gates");
    cJSON_DeleteItemFromObjectCaseSensitive(root, "devices"); /* where jobs run, not what they give */
    if (!cJSON_PrintPreallocated(root, cfg->canonical, (int)sizeof cfg->canonical, 0))
      st = gt_error_set(err, GT_ERR_LIMIT, "%s: the config is longer than %zu bytes", where, sizeof cfg->canonical);
    gt_sha256 h;
    gt_sha256_init(&h);
    gt_sha256_update(&h, cfg->canonical, strlen(cfg->canonical));
    gt_sha256_final_hex(&h, cfg->hash);
  }
  cJSON_Delete(root);
  return st;
}

gt_status gt_sweep_config_load(const char *path, gt_sweep_config *cfg, gt_error *err) {
  FILE *f = fopen(path, "rb");
  if (!f) return gt_error_set(err, GT_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
  char *text = NULL;
  long size = -1;
  if (fseek(f, 0, SEEK_END) == 0) size = ftell(f);
  gt_status st = GT_OK;
  if (size < 0 || size > (1 << 24)) st = gt_error_set(err, GT_ERR_LIMIT, "%s: not a config file (size %ld)", path, size);
  if (st == GT_OK && !(text = malloc((size_t)size + 1))) st = gt_error_set(err, GT_ERR_MEMORY, "%s: out of memory", path);
  if (st == GT_OK && (fseek(f, 0, SEEK_SET) || fread(text, 1, (size_t)size, f) != (size_t)size))
    st = gt_error_set(err, GT_ERR_IO, "%s: read failed", path);
  fclose(f);
  if (st == GT_OK) {
    text[size] = '\0';
    char base[GT_SWEEP_PATH_MAX];
    snprintf(base, sizeof base, "%s", path);
    char *slash = strrchr(base, '/');
    if (slash) *slash = '\0';
    else snprintf(base, sizeof base, ".");
    snprintf(cfg->path, sizeof cfg->path, "%s", path);
    st = gt_sweep_config_parse(text, base, cfg, err);
  }
  free(text);
  return st;
}

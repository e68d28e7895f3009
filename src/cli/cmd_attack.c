/* `gauntlet attack`: one attack (or the ensemble) on a model and dataset: robust accuracy, cost,
 * perturbation sizes; optionally the adversarial examples as .npy. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "gauntlet/attack.h"
#include "gauntlet/ensemble.h"
#include "gauntlet/npy.h"
#include "gauntlet/sha256.h"

static const gt_cli_option attack_options[] = {
    {"model", "FILE.onnx", "the classifier to attack (required)"},
    {"data", "SPEC", "dataset (see `gauntlet eval --help`) (required)"},
    {"attack", "NAME", "attack name, or autoattack (required; `gauntlet attack --list` lists them)"},
    {"version", "V", "autoattack only: standard | plus | rand (default standard)"},
    {"norm", "linf|l2|l1", "threat model (default linf)"},
    {"eps", "E", "radius, a number or a fraction like 8/255 (required for bounded attacks)"},
    {"n", "N", "attack the first N points (default: all)"},
    {"indices", "FILE", "attack the points listed in FILE instead"},
    {"seed", "S", "random seed (default 0)"},
    {"steps", "K", "iterations (default: the attack's)"},
    {"restarts", "R", "restarts (default: the attack's)"},
    {"step-size", "A", "step size in units of the norm (default: the attack's)"},
    {"loss", "NAME", "ce | dlr | cw (default: the attack's)"},
    {"targeted", "MODE", "none | random | least-likely | top (default none)"},
    {"target-ranks", "K", "with --targeted top: how many of the next-highest classes (default 9)"},
    {"eot", "K", "average gradients over K passes, for randomised models (default 1)"},
    {"batch", "B", "batch size (default 256; on a GPU, chosen from free memory)"},
    {"backend", "NAME", "auto | cpu | ref | cuda | cuda:N (default auto: cuda when a GPU is usable, else cpu)"},
    {"threads", "T", "CPU threads (default: all cores)"},
    {"mean", "M1,M2,..", "per-channel mean subtracted in front of the model"},
    {"std", "S1,S2,..", "per-channel std divided in front of the model"},
    {"save-adv", "FILE.npy", "write the adversarial examples [n,C,H,W] (clean points where not broken)"},
    {"json", NULL, "print one JSON object on stdout"},
    {"list", NULL, "list the attacks and their norms"},
    {"help", NULL, "show this help"},
};
#define N_ATTACK_OPTIONS ((int)(sizeof attack_options / sizeof attack_options[0]))

static void list_attacks(void) {
  printf("%-12s %-14s %-9s %s\n", "attack", "norms", "kind", "summary");
  for (int i = 0; i < gt_attack_count(); i++) {
    const gt_attack *a = gt_attack_get(i);
    char norms[32] = "";
    for (int p = 0; p < GT_NORM_COUNT; p++)
      if (a->norms & GT_NORM_BIT(p)) snprintf(norms + strlen(norms), sizeof norms - strlen(norms), "%s%s", *norms ? "," : "", gt_norm_name((gt_norm)p));
    printf("%-12s %-14s %-9s %s\n", a->name, norms, a->goal == GT_GOAL_MIN_NORM ? "min-norm" : "bounded", a->summary);
  }
}

/* A float as the short decimal people wrote (0.1f prints as 0.1, not 0.10000000149). */
static double tidy(float v) {
  char buf[32];
  snprintf(buf, sizeof buf, "%.7g", (double)v);
  return strtod(buf, NULL);
}

static int compare_floats(const void *a, const void *b) {
  float x = *(const float *)a, y = *(const float *)b;
  return (x > y) - (x < y);
}

/* Median of the perturbation norms of broken points (min-norm attacks), or -1 when none. */
static double median_norm(const gt_attack_result *res) {
  float *v = malloc((size_t)(res->n ? res->n : 1) * sizeof(float));
  int64_t m = 0;
  for (int64_t i = 0; v && i < res->n; i++)
    if (res->success[i]) v[m++] = res->norm[i];
  double med = -1;
  if (m > 0) {
    qsort(v, (size_t)m, sizeof(float), compare_floats);
    med = m % 2 ? v[m / 2] : 0.5 * ((double)v[m / 2 - 1] + v[m / 2]);
  }
  free(v);
  return med;
}

static void print_result(const gt_cli_args *args, const gt_cli_session *s, const gt_attack_result *res,
                         const gt_ensemble_result *ens, double seconds, double median, int json) {
  const gt_attack_config *c = &res->config;
  double n = (double)res->n;
  double clean = n > 0 ? (double)res->n_clean_correct / n : 0, robust = n > 0 ? (double)res->n_robust / n : 0;
  if (!json) {
    printf("%s %s eps %g on %lld points of %s\nclean accuracy  %.4f\nrobust accuracy %.4f\n", res->attack,
           gt_norm_name(c->norm), (double)c->eps, (long long)res->n, s->data->source, clean, robust);
    printf("passes          %lld forward, %lld backward (samples)\nmax perturbation %.6g", (long long)res->total.forward,
           (long long)res->total.backward, (double)res->max_norm);
    if (median >= 0) printf(", median %.6g", median);
    printf("\ntime            %.2f s on %s, seed %llu\n", seconds, s->backend_name, (unsigned long long)c->seed);
    for (int m = 0; ens && m < ens->n_members; m++)
      printf("  after %-10s robust accuracy %.4f  (%lld points attacked, %.2f s)\n", ens->member[m],
             n > 0 ? (double)ens->robust_after[m] / n : 0, (long long)ens->attacked[m], ens->seconds[m]);
    return;
  }
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "attack", res->attack);
  cJSON_AddStringToObject(o, "norm", gt_norm_name(c->norm));
  cJSON_AddNumberToObject(o, "eps", tidy(c->eps));
  cJSON_AddNumberToObject(o, "n", n);
  cJSON_AddNumberToObject(o, "clean_accuracy", clean);
  cJSON_AddNumberToObject(o, "robust_accuracy", robust);
  cJSON *per = cJSON_CreateArray();
  for (int m = 0; m < (ens ? ens->n_members : 1); m++) {
    cJSON *entry = cJSON_CreateObject();
    cJSON_AddStringToObject(entry, "attack", ens ? ens->member[m] : res->attack);
    cJSON_AddNumberToObject(entry, "robust_accuracy", ens && n > 0 ? (double)ens->robust_after[m] / n : robust);
    if (ens) {
      cJSON_AddNumberToObject(entry, "points_attacked", (double)ens->attacked[m]);
      cJSON_AddNumberToObject(entry, "seconds", ens->seconds[m]);
      cJSON_AddNumberToObject(entry, "forward_passes", (double)ens->passes[m].forward);
      cJSON_AddNumberToObject(entry, "backward_passes", (double)ens->passes[m].backward);
    }
    cJSON_AddItemToArray(per, entry);
  }
  cJSON_AddItemToObject(o, "per_attack", per);
  cJSON_AddNumberToObject(o, "seconds", seconds);
  cJSON_AddNumberToObject(o, "forward_passes", (double)res->total.forward);
  cJSON_AddNumberToObject(o, "backward_passes", (double)res->total.backward);
  cJSON_AddNumberToObject(o, "max_perturbation", tidy(res->max_norm));
  if (median >= 0) cJSON_AddNumberToObject(o, "median_perturbation", median);
  cJSON_AddNumberToObject(o, "steps", c->steps);
  cJSON_AddNumberToObject(o, "restarts", c->restarts);
  cJSON_AddNumberToObject(o, "step_size", tidy(c->step_size));
  cJSON_AddStringToObject(o, "loss", gt_loss_name(c->loss));
  cJSON_AddStringToObject(o, "targeted", gt_target_mode_name(c->targeted));
  cJSON_AddNumberToObject(o, "eot", c->eot);
  cJSON_AddNumberToObject(o, "seed", (double)c->seed);
  cJSON_AddNumberToObject(o, "unconfirmed", (double)res->n_unconfirmed);
  cJSON_AddStringToObject(o, "model", gt_cli_get(args, "model"));
  cJSON_AddStringToObject(o, "model_sha256", s->model_sha256);
  cJSON_AddStringToObject(o, "data", s->data->source);
  cJSON_AddStringToObject(o, "backend", s->backend_name);
  cJSON_AddStringToObject(o, "gauntlet_version", GT_VERSION);
  char *text = cJSON_PrintUnformatted(o);
  if (text) printf("%s\n", text);
  free(text);
  cJSON_Delete(o);
}

/* autoattack runs the reference settings: only the threat model, eps, seed and version are the user's. */
static gt_status plan_autoattack(const gt_cli_args *args, gt_ensemble *plan, gt_error *err) {
  static const char *const fixed[] = {"steps", "restarts", "step-size", "loss", "targeted", "target-ranks", "eot"};
  for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
    if (gt_cli_get(args, fixed[i]))
      return gt_error_set(err, GT_ERR_USAGE,
                          "--%s: autoattack runs the reference settings; run its attacks one by one to change them",
                          fixed[i]);
  gt_norm norm = GT_NORM_LINF;
  float eps = 0;
  int64_t seed = 0;
  gt_autoattack_version version = GT_AA_STANDARD;
  gt_status st = GT_OK;
  if (gt_cli_get(args, "norm")) st = gt_norm_parse(gt_cli_get(args, "norm"), &norm, err);
  if (st == GT_OK && !gt_cli_get(args, "eps")) st = gt_error_set(err, GT_ERR_USAGE, "--eps is required by autoattack");
  if (st == GT_OK) st = gt_cli_parse_eps("--eps", gt_cli_get(args, "eps"), &eps, err);
  if (st == GT_OK) st = gt_cli_get_int(args, "seed", 0, INT64_MAX, 0, &seed, err);
  if (st == GT_OK && gt_cli_get(args, "version")) st = gt_autoattack_version_parse(gt_cli_get(args, "version"), &version, err);
  if (st == GT_OK) st = gt_autoattack_plan(version, norm, eps, (uint64_t)seed, plan, err);
  return st;
}

static gt_status read_config(const gt_cli_args *args, const gt_attack *attack, gt_attack_config *cfg, gt_error *err) {
  gt_attack_config_init(cfg);
  int64_t v = 0;
  gt_status st = GT_OK;
  if (gt_cli_get(args, "norm")) st = gt_norm_parse(gt_cli_get(args, "norm"), &cfg->norm, err);
  if (st == GT_OK && gt_cli_get(args, "eps")) st = gt_cli_parse_eps("--eps", gt_cli_get(args, "eps"), &cfg->eps, err);
  if (st == GT_OK && attack->goal == GT_GOAL_BOUNDED && !gt_cli_get(args, "eps"))
    st = gt_error_set(err, GT_ERR_USAGE, "--eps is required by the bounded attack '%s'", attack->name);
  if (st == GT_OK) st = gt_cli_get_int(args, "seed", 0, INT64_MAX, 0, &v, err), cfg->seed = (uint64_t)v;
  if (st == GT_OK) st = gt_cli_get_int(args, "steps", 1, 1000000, 0, &v, err), cfg->steps = (int)v;
  if (st == GT_OK) st = gt_cli_get_int(args, "restarts", 1, 10000, 0, &v, err), cfg->restarts = (int)v;
  if (st == GT_OK) st = gt_cli_get_int(args, "eot", 1, 10000, 0, &v, err), cfg->eot = (int)v;
  if (st == GT_OK) st = gt_cli_get_int(args, "target-ranks", 1, 1000, 0, &v, err), cfg->n_target_ranks = (int)v;
  if (st == GT_OK && gt_cli_get(args, "step-size"))
    st = gt_cli_parse_eps("--step-size", gt_cli_get(args, "step-size"), &cfg->step_size, err);
  if (st == GT_OK && gt_cli_get(args, "targeted")) st = gt_target_mode_parse(gt_cli_get(args, "targeted"), &cfg->targeted, err);
  if (st == GT_OK && gt_cli_get(args, "loss")) st = gt_cli_parse_loss(gt_cli_get(args, "loss"), &cfg->loss, err);
  if (st == GT_OK && !(attack->norms & GT_NORM_BIT(cfg->norm)))
    st = gt_error_set(err, GT_ERR_USAGE, "attack '%s' does not support the %s norm", attack->name, gt_norm_name(cfg->norm));
  if (st == GT_OK && cfg->targeted != GT_TARGET_NONE && !attack->targeted)
    st = gt_error_set(err, GT_ERR_USAGE, "attack '%s' has no targeted mode", attack->name);
  return st;
}

static double seconds_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int gt_cmd_attack(int argc, char **argv) {
  gt_cli_args args;
  gt_error err = {0};
  if (gt_cli_parse(&args, attack_options, N_ATTACK_OPTIONS, argc, argv, &err) != GT_OK) return gt_cli_fail("attack", &err);
  if (gt_cli_flag(&args, "help")) {
    gt_cli_print_help("gauntlet attack --model M.onnx --data SPEC --attack NAME --norm linf|l2|l1 --eps E [options]",
                      "Robust accuracy of a model under one attack.", attack_options, N_ATTACK_OPTIONS);
    return 0;
  }
  if (gt_cli_flag(&args, "list")) {
    list_attacks();
    return 0;
  }
  const char *name = gt_cli_get(&args, "attack");
  if (!name || !gt_cli_get(&args, "model") || !gt_cli_get(&args, "data")) {
    gt_error_set(&err, GT_ERR_USAGE, "--model, --data and --attack are required (see --help)");
    return gt_cli_fail("attack", &err);
  }
  int ensemble = !strcmp(name, "autoattack");
  const gt_attack *attack = gt_attack_find(name);
  if (!attack && !ensemble) {
    gt_error_set(&err, GT_ERR_USAGE, "unknown attack '%s' (`gauntlet attack --list` lists them)", name);
    return gt_cli_fail("attack", &err);
  }
  if (!ensemble && gt_cli_get(&args, "version")) {
    gt_error_set(&err, GT_ERR_USAGE, "--version belongs to autoattack");
    return gt_cli_fail("attack", &err);
  }
  gt_attack_config cfg;
  gt_ensemble plan;
  gt_status st = ensemble ? plan_autoattack(&args, &plan, &err) : read_config(&args, attack, &cfg, &err);
  if (st != GT_OK) return gt_cli_fail("attack", &err);
  gt_cli_session s;
  double t0 = seconds_now();
  if (gt_cli_session_open(&args, &s, &err) != GT_OK) return gt_cli_fail("attack", &err);
  if (!ensemble) cfg.batch = gt_model_max_batch(s.model);
  for (int m = 0; ensemble && m < plan.n_members; m++) plan.members[m].config.batch = gt_model_max_batch(s.model);
  int64_t d = gt_model_input_numel(s.model);
  const char *save = gt_cli_get(&args, "save-adv");
  float *x_adv = save ? malloc((size_t)(s.data->n * d) * sizeof(float)) : NULL;
  gt_attack_result res;
  gt_ensemble_result ens;
  memset(&res, 0, sizeof res);
  memset(&ens, 0, sizeof ens);
  st = save && !x_adv ? gt_error_set(&err, GT_ERR_MEMORY, "out of memory for --save-adv") : GT_OK;
  /* Device out of memory (GT_ERR_MEMORY from the attack's buffers, which the model's batch
   * sizes): a model with half the batch, and the attack again. Results per point do not depend
   * on the batch (gauntlet/vecops.h), so the retry changes only the speed. */
  while (st == GT_OK) {
    if (ensemble) {
      gt_attack_points pts = {.n = s.data->n, .x = s.data->images, .labels = s.data->labels};
      st = gt_ensemble_run(&plan, s.model, &pts, x_adv, &ens, &err);
    } else {
      st = gt_attack_run_dataset(name, &cfg, s.model, s.data, x_adv, &res, &err);
    }
    if (st != GT_ERR_MEMORY || (st = gt_cli_session_halve_batch(&s, &err)) != GT_OK) break;
    gt_attack_result_free(&res);
    gt_ensemble_result_free(&ens);
    memset(&res, 0, sizeof res);
    memset(&ens, 0, sizeof ens);
    if (!ensemble) cfg.batch = gt_model_max_batch(s.model);
    for (int m = 0; ensemble && m < plan.n_members; m++) plan.members[m].config.batch = gt_model_max_batch(s.model);
  }
  double seconds = seconds_now() - t0;
  if (st == GT_OK && save) {
    int64_t shape[4] = {s.data->n, s.data->c, s.data->h, s.data->w};
    st = gt_npy_write_f32(save, x_adv, 4, shape, &err);
  }
  int rc = 0;
  if (st != GT_OK) rc = gt_cli_fail("attack", &err);
  else if (ensemble) print_result(&args, &s, &ens.total, &ens, seconds, -1, gt_cli_flag(&args, "json"));
  else print_result(&args, &s, &res, NULL, seconds, attack->goal == GT_GOAL_MIN_NORM ? median_norm(&res) : -1,
                    gt_cli_flag(&args, "json"));
  gt_attack_result_free(&res);
  gt_ensemble_result_free(&ens);
  free(x_adv);
  gt_cli_session_close(&s);
  return rc;
}

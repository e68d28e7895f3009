/* `gauntlet train`: trains a built-in architecture (standard, PGD or TRADES adversarial training)
 * and writes it as ONNX with a JSON sidecar and a sha256 file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "gauntlet/cuda.h"
#include "gauntlet/sha256.h"
#include "gauntlet/train.h"

static const gt_cli_option train_options[] = {
    {"arch", "NAME", "small-cnn | resnet-tiny (default small-cnn)"},
    {"adv", "KIND", "none | pgd | trades (default none)"},
    {"data", "SPEC", "training set, e.g. fmnist:train (required)"},
    {"test", "SPEC", "test set for per-epoch accuracy (default: SPEC with :train replaced by :test; 'none': no test)"},
    {"n", "N", "train on the first N points only"},
    {"test-n", "N", "test on the first N test points only"},
    {"epochs", "E", "epochs (default 1)"},
    {"batch", "B", "batch size (default 128)"},
    {"lr", "LR", "peak learning rate (default 0.05)"},
    {"momentum", "M", "SGD momentum (default 0.9)"},
    {"weight-decay", "WD", "weight decay (default 5e-4)"},
    {"schedule", "NAME", "cosine | step (default cosine, per iteration)"},
    {"step-epochs", "K", "step schedule: decay every K epochs (default epochs / 3)"},
    {"step-gamma", "G", "step schedule: decay factor (default 0.1)"},
    {"eps", "EPS", "pgd/trades: Linf radius (default 0.1; fractions like 8/255 work)"},
    {"steps", "S", "pgd/trades: inner attack steps (default 10)"},
    {"step-size", "A", "pgd/trades: inner step size (default 2.5 * eps / steps)"},
    {"no-random-start", NULL, "pgd: start the inner attack at the clean point"},
    {"beta", "BETA", "trades: weight of the KL term (default 6)"},
    {"seed", "S", "seed of initialisation, data order and inner random starts (default 0)"},
    {"out", "FILE.onnx", "where to write the model (required); FILE.json and FILE.onnx.sha256 next to it"},
    {"backend", "NAME", "cpu | cuda | cuda:N | auto (CUDA when a GPU is usable, else cpu) | ref (default cpu)"},
    {"threads", "T", "CPU threads (default: all cores)"},
    {"quiet", NULL, "no per-epoch progress on stderr"},
    {"help", NULL, "show this help"},
};
#define N_TRAIN_OPTIONS ((int)(sizeof train_options / sizeof train_options[0]))

static double seconds_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void print_progress(const gt_train_epoch *e, void *user) {
  fprintf(stderr, "epoch %d/%d  loss %.4f  train acc %.4f", e->epoch, e->epochs, e->loss, e->train_accuracy);
  if (e->test_accuracy >= 0.0) fprintf(stderr, "  test acc %.4f", e->test_accuracy);
  fprintf(stderr, "  lr %.5f  %.1f s\n", e->lr, e->seconds);
}

static gt_status get_float(const gt_cli_args *args, const char *name, float *out, gt_error *err) {
  if (!gt_cli_get(args, name)) return GT_OK;
  int count = 0;
  return gt_cli_get_floats(args, name, out, 1, &count, err);
}

static gt_status read_config(const gt_cli_args *args, gt_train_config *cfg, gt_error *err) {
  gt_train_config_init(cfg);
  gt_status st = GT_OK;
  if (gt_cli_get(args, "arch")) st = gt_arch_parse(gt_cli_get(args, "arch"), &cfg->arch, err);
  if (st == GT_OK && gt_cli_get(args, "adv")) st = gt_adv_parse(gt_cli_get(args, "adv"), &cfg->adv, err);
  if (st == GT_OK && gt_cli_get(args, "schedule"))
    st = gt_lr_schedule_parse(gt_cli_get(args, "schedule"), &cfg->schedule, err);
  int64_t v = 0;
  if (st == GT_OK) st = gt_cli_get_int(args, "epochs", 1, 100000, cfg->epochs, &v, err);
  cfg->epochs = (int)v;
  if (st == GT_OK) st = gt_cli_get_int(args, "batch", 1, 65536, cfg->batch, &cfg->batch, err);
  if (st == GT_OK) st = gt_cli_get_int(args, "steps", 1, 1000, cfg->adv_steps, &v, err);
  cfg->adv_steps = (int)v;
  if (st == GT_OK) st = gt_cli_get_int(args, "step-epochs", 1, 100000, 0, &v, err);
  cfg->step_epochs = (int)v;
  if (st == GT_OK) st = gt_cli_get_int(args, "seed", 0, INT64_MAX, 0, &v, err);
  cfg->seed = (uint64_t)v;
  if (st == GT_OK) st = get_float(args, "lr", &cfg->lr, err);
  if (st == GT_OK) st = get_float(args, "momentum", &cfg->momentum, err);
  if (st == GT_OK) st = get_float(args, "weight-decay", &cfg->weight_decay, err);
  if (st == GT_OK) st = get_float(args, "step-gamma", &cfg->step_gamma, err);
  if (st == GT_OK) st = get_float(args, "step-size", &cfg->adv_step_size, err);
  if (st == GT_OK) st = get_float(args, "beta", &cfg->trades_beta, err);
  if (st == GT_OK && gt_cli_get(args, "eps")) st = gt_cli_parse_eps("--eps", gt_cli_get(args, "eps"), &cfg->eps, err);
  if (gt_cli_flag(args, "no-random-start")) cfg->random_start = 0;
  if (st == GT_OK) st = gt_train_config_check(cfg, err);
  if (st != GT_OK && err->code != GT_ERR_USAGE) err->code = GT_ERR_USAGE;
  return st == GT_OK ? GT_OK : GT_ERR_USAGE;
}

/* The command line as typed, for the sidecar. */
static char *command_line(int argc, char **argv) {
  size_t n = strlen("gauntlet train") + 1;
  for (int i = 0; i < argc; i++) n += strlen(argv[i]) + 3;
  char *s = malloc(n);
  if (!s) return NULL;
  strcpy(s, "gauntlet train");
  for (int i = 0; i < argc; i++) {
    int quote = strchr(argv[i], ' ') != NULL;
    strcat(s, quote ? " '" : " ");
    strcat(s, argv[i]);
    if (quote) strcat(s, "'");
  }
  return s;
}

/* "x:train" -> "x:test"; anything else -> NULL (no default test set). */
static char *default_test_spec(const char *train) {
  size_t n = strlen(train);
  if (n < 6 || strcmp(train + n - 6, ":train") != 0) return NULL;
  char *s = malloc(n + 1);
  if (!s) return NULL;
  memcpy(s, train, n - 6);
  strcpy(s + n - 6, ":test");
  return s;
}

/* FILE.onnx -> FILE.json, else FILE + ".json"; FILE.onnx.sha256. */
static char *sibling(const char *out, const char *suffix, int replace_onnx) {
  size_t n = strlen(out);
  char *s = malloc(n + strlen(suffix) + 1);
  if (!s) return NULL;
  strcpy(s, out);
  if (replace_onnx && n > 5 && !strcmp(out + n - 5, ".onnx")) s[n - 5] = 0;
  strcat(s, suffix);
  return s;
}

static gt_status write_sha_file(const char *onnx_path, const char *sha_path, gt_error *err) {
  char hex[65];
  gt_status st = gt_sha256_file(onnx_path, hex, err);
  if (st != GT_OK) return st;
  const char *base = strrchr(onnx_path, '/');
  base = base ? base + 1 : onnx_path;
  FILE *f = fopen(sha_path, "w");
  if (!f) return gt_error_set(err, GT_ERR_IO, "%s: cannot create the file", sha_path);
  int bad = fprintf(f, "%s  %s\n", hex, base) < 0;
  if (fclose(f) != 0) bad = 1;
  return bad ? gt_error_set(err, GT_ERR_IO, "%s: write failed", sha_path) : GT_OK;
}

typedef struct train_run {
  gt_dataset *train, *test;
  gt_backend *be;
  const char *backend; /* its name, after --backend auto chose */
  gt_trainer *trainer;
  char *test_spec, *command, *json_path, *sha_path;
} train_run;

static void run_close(train_run *r) {
  gt_trainer_free(r->trainer);
  gt_backend_free(r->be);
  gt_dataset_free(r->train);
  gt_dataset_free(r->test);
  free(r->test_spec);
  free(r->command);
  free(r->json_path);
  free(r->sha_path);
}

static gt_status open_data(const gt_cli_args *args, train_run *r, gt_error *err) {
  int64_t n = 0, test_n = 0, threads = 0;
  gt_status st = gt_cli_get_int(args, "n", 1, INT64_MAX, 0, &n, err);
  if (st == GT_OK) st = gt_cli_get_int(args, "test-n", 1, INT64_MAX, 0, &test_n, err);
  if (st == GT_OK) st = gt_cli_get_int(args, "threads", 0, 1024, 0, &threads, err);
  if (st != GT_OK) return st;
  const char *test = gt_cli_get(args, "test");
  if (test && strcmp(test, "none") != 0) r->test_spec = strdup(test);
  else if (!test) r->test_spec = default_test_spec(gt_cli_get(args, "data"));
  st = gt_dataset_load(gt_cli_get(args, "data"), &r->train, err);
  if (st == GT_OK && n > 0 && n < r->train->n) st = gt_dataset_take_first(r->train, n, err);
  if (st == GT_OK && r->test_spec) st = gt_dataset_load(r->test_spec, &r->test, err);
  if (st == GT_OK && r->test && test_n > 0 && test_n < r->test->n) st = gt_dataset_take_first(r->test, test_n, err);
  /* The default stays cpu (not auto as for eval): a recorded command then gives the same bytes
   * on any machine; a GPU gives other (equally valid) rounding. */
  r->backend = gt_cli_get(args, "backend") ? gt_cli_get(args, "backend") : "cpu";
  if (st == GT_OK && !strcmp(r->backend, "auto")) {
    char why[GT_ERROR_MSG_MAX];
    r->backend = gt_backend_auto_choice(why, sizeof why);
    fprintf(stderr, "gauntlet: --backend auto: using %s (%s)\n", r->backend, why);
  }
  if (st == GT_OK) {
    if (threads > 0 && !strcmp(r->backend, "cpu")) st = gt_backend_cpu_create(&r->be, (int)threads, err);
    else st = gt_backend_create(r->backend, &r->be, err);
  }
  return st;
}

int gt_cmd_train(int argc, char **argv) {
  gt_cli_args args;
  gt_error err = {0};
  gt_status st = gt_cli_parse(&args, train_options, N_TRAIN_OPTIONS, argc, argv, &err);
  if (st != GT_OK) return gt_cli_fail("train", &err);
  if (gt_cli_flag(&args, "help")) {
    gt_cli_print_help("gauntlet train --data SPEC --out FILE.onnx [options]",
                      "Train a built-in classifier (standard, PGD or TRADES adversarial training) and export it as ONNX.",
                      train_options, N_TRAIN_OPTIONS);
    return 0;
  }
  gt_train_config cfg;
  if (!gt_cli_get(&args, "data") || !gt_cli_get(&args, "out")) {
    gt_error_set(&err, GT_ERR_USAGE, "--data and --out are required (see --help)");
    return gt_cli_fail("train", &err);
  }
  if (read_config(&args, &cfg, &err) != GT_OK) return gt_cli_fail("train", &err);
  train_run r = {0};
  const char *out = gt_cli_get(&args, "out");
  r.command = command_line(argc, argv);
  r.json_path = sibling(out, ".json", 1);
  r.sha_path = sibling(out, ".sha256", 0);
  if (!r.command || !r.json_path || !r.sha_path) st = gt_error_set(&err, GT_ERR_MEMORY, "out of memory");
  if (st == GT_OK) st = open_data(&args, &r, &err);
  if (st == GT_OK)
    st = gt_trainer_create(&cfg, r.be, r.train->c, r.train->h, r.train->w, r.train->n_classes, &r.trainer, &err);
  double t0 = seconds_now();
  if (st == GT_OK)
    st = gt_trainer_fit(r.trainer, r.train, r.test, gt_cli_flag(&args, "quiet") ? NULL : print_progress, NULL, &err);
  gt_train_summary sum = {.command = r.command, .train_data = r.train ? r.train->source : NULL,
                          .test_data = r.test ? r.test->source : NULL, .train_points = r.train ? r.train->n : 0,
                          .test_points = r.test ? r.test->n : 0, .test_accuracy = -1.0,
                          .seconds = seconds_now() - t0, .backend = r.backend};
  if (st == GT_OK) st = gt_trainer_accuracy(r.trainer, r.train, &sum.train_accuracy, &err);
  if (st == GT_OK && r.test) st = gt_trainer_accuracy(r.trainer, r.test, &sum.test_accuracy, &err);
  if (st == GT_OK) st = gt_trainer_export_onnx(r.trainer, out, &err);
  if (st == GT_OK) st = gt_trainer_write_sidecar(r.trainer, out, r.json_path, &sum, &err);
  if (st == GT_OK) st = write_sha_file(out, r.sha_path, &err);
  if (st == GT_OK) {
    printf("wrote %s (%s, %s), %s and %s\n", out, gt_arch_name(cfg.arch), gt_adv_name(cfg.adv), r.json_path,
           r.sha_path);
    printf("train accuracy %.4f", sum.train_accuracy);
    if (r.test) printf(", test accuracy %.4f", sum.test_accuracy);
    printf(", %.1f s training\n", sum.seconds);
  }
  run_close(&r);
  return st == GT_OK ? 0 : gt_cli_fail("train", &err);
}

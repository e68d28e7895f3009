/* The trainer (gauntlet/train.h) end to end: parameter gradients of whole networks (batch norm in
 * training mode included) against finite differences, a tiny Fashion-MNIST run whose loss goes
 * down, same seed -> same bytes of the ONNX file (standard, PGD, TRADES), the exported file loaded
 * back by Gauntlet giving the trained network's logits, python3-onnx's checker where installed,
 * and `gauntlet train` usage errors, a real run and the backend choice (auto, cuda). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "gauntlet/hd/loss.h"
#include "gauntlet/hd/rng.h"
#include "gauntlet/sha256.h"
#include "gt_test.h"
#include "train/train_internal.h"

/* n images [1, s, s] whose class (of 3) is the brightest third of the rows, plus noise. */
static gt_dataset *synthetic(int64_t n, int s, uint64_t seed) {
  gt_dataset *ds = calloc(1, sizeof *ds);
  ds->n = n;
  ds->c = 1, ds->h = s, ds->w = s;
  ds->n_classes = 3;
  ds->images = malloc((size_t)(n * s * s) * sizeof(float));
  ds->labels = malloc((size_t)n * sizeof(int32_t));
  ds->source = strdup("synthetic");
  for (int64_t i = 0; i < n; i++) {
    gt_rng_site site = {.seed = seed, .stream = 9, .sample = (uint64_t)i};
    float *img = ds->images + i * s * s;
    gt_rng_fill_row(GT_RNG_UNIFORM, &site, s * s, img);
    int y = (int)(i % 3);
    ds->labels[i] = y;
    for (int r = y * s / 3; r < (y + 1) * s / 3; r++)
      for (int c = 0; c < s; c++) img[r * s + c] = 0.5f + 0.5f * img[r * s + c];
    for (int j = 0; j < s * s; j++) img[j] *= 0.8f;
  }
  return ds;
}

static gt_backend *backend(const char *name) {
  gt_backend *be = NULL;
  gt_error err;
  if (gt_backend_create(name, &be, &err) != GT_OK) fprintf(stderr, "%s\n", err.message);
  return be;
}

/* Mean CE of a training forward pass on (x, y); with grads = 1 also runs the backward pass. */
static double batch_loss(gt_trainer *t, const float *x, const int32_t *y, int64_t n, int grads) {
  gt_error err;
  if (gt_model_train_forward(t->model, x, n, &t->binding, &err) != GT_OK) return NAN;
  const float *z = gt_model_logits(t->model); /* ref backend: host memory */
  float dz[64 * 16];
  double loss = 0.0;
  for (int64_t i = 0; i < n; i++) {
    loss += gt_loss_ce(z + i * t->k, t->k, y[i], dz + i * t->k);
    for (int j = 0; j < t->k; j++) dz[i * t->k + j] /= (float)n;
  }
  if (grads && gt_model_train_backward(t->model, dz, t->dx_dev, &t->binding, &err) != GT_OK) return NAN;
  return loss / (double)n;
}

/* h is small because batch norm puts many pre-activations next to the ReLU kink (with h = 1e-3 a
 * few of them cross it and the difference quotient is off by 10%); the ref backend's float
 * rounding still leaves the quotient within 1e-3 of the slope at this h. */
static void check_param_fd(gt_trainer *t, float *param, const float *grad, int64_t numel, const float *x,
                           const int32_t *y, int64_t n, const char *what) {
  const float h = 1e-4f;
  int checked = 0;
  for (int64_t j = 0; j < numel && checked < 6; j += numel / 5 + 1, checked++) {
    float keep = param[j];
    param[j] = keep + h;
    double up = batch_loss(t, x, y, n, 0);
    param[j] = keep - h;
    double down = batch_loss(t, x, y, n, 0);
    param[j] = keep;
    GT_CHECK_CLOSE(grad[j], (up - down) / (2.0 * h), 2e-3, 3e-2, what);
  }
}

/* Every trained tensor of both architectures against central differences of the batch loss. */
static void test_param_gradients(void) {
  gt_backend *be = backend("ref");
  gt_arch archs[2] = {GT_ARCH_SMALL_CNN, GT_ARCH_RESNET_TINY};
  for (int a = 0; a < 2; a++) {
    gt_train_config cfg;
    gt_train_config_init(&cfg);
    cfg.arch = archs[a];
    cfg.batch = 6;
    cfg.seed = 3;
    gt_trainer *t = NULL;
    gt_error err;
    GT_CHECK(gt_trainer_create(&cfg, be, 1, 8, 8, 3, &t, &err) == GT_OK, "create: %s", err.message);
    if (!t) continue;
    gt_dataset *ds = synthetic(6, 8, 1);
    for (int i = 0; i < t->n_params; i++) memset(t->params[i].grad_dev, 0, (size_t)t->params[i].numel * sizeof(float));
    for (int i = 0; i < t->n_bns; i++) {
      memset(t->bns[i].state.dgamma, 0, (size_t)t->bns[i].state.channels * sizeof(float));
      memset(t->bns[i].state.dbeta, 0, (size_t)t->bns[i].state.channels * sizeof(float));
      /* Non-trivial gamma and beta, so their gradients are not the gamma = 1 special case. */
      for (int64_t c = 0; c < t->bns[i].state.channels; c++) {
        ((float *)t->bns[i].state.gamma)[c] = 1.0f + 0.1f * (float)c;
        ((float *)t->bns[i].state.beta)[c] = 0.05f * (float)c;
      }
    }
    double loss = batch_loss(t, ds->images, ds->labels, 6, 1);
    GT_CHECK(isfinite(loss), "%s: loss %g", gt_arch_name(cfg.arch), loss);
    for (int i = 0; i < t->n_params; i++) {
      char what[128];
      snprintf(what, sizeof what, "%s %s", gt_arch_name(cfg.arch), t->graph->values[t->params[i].value].name);
      check_param_fd(t, gt_model_constant_data(t->model, t->params[i].value), t->params[i].grad_dev,
                     t->params[i].numel, ds->images, ds->labels, 6, what);
    }
    for (int i = 0; i < t->n_bns; i++) {
      char what[128];
      snprintf(what, sizeof what, "%s %s gamma", gt_arch_name(cfg.arch), t->graph->nodes[t->bns[i].node].name);
      check_param_fd(t, (float *)t->bns[i].state.gamma, t->bns[i].state.dgamma, t->bns[i].state.channels, ds->images,
                     ds->labels, 6, what);
      snprintf(what, sizeof what, "%s %s beta", gt_arch_name(cfg.arch), t->graph->nodes[t->bns[i].node].name);
      check_param_fd(t, (float *)t->bns[i].state.beta, t->bns[i].state.dbeta, t->bns[i].state.channels, ds->images,
                     ds->labels, 6, what);
    }
    GT_CHECK(a == 0 || t->n_bns >= 7, "resnet-tiny has its batch norms (%d)", t->n_bns);
    gt_dataset_free(ds);
    gt_trainer_free(t);
  }
  gt_backend_free(be);
}

/* Mean CE of the inference form over a dataset. */
static double dataset_loss(gt_trainer *t, const gt_dataset *ds) {
  gt_model *m = NULL;
  gt_error err;
  if (gt_trainer_model(t, &m, &err) != GT_OK) return NAN;
  double loss = 0.0;
  float z[64 * 10];
  int64_t b = t->batch < 64 ? t->batch : 64;
  for (int64_t first = 0; first < ds->n; first += b) {
    int64_t n = ds->n - first < b ? ds->n - first : b;
    if (gt_model_forward(m, ds->images + first * t->d, n, &err) != GT_OK) return NAN;
    memcpy(z, gt_model_logits(m), (size_t)(n * t->k) * sizeof(float)); /* cpu: host memory */
    for (int64_t i = 0; i < n; i++) loss += gt_loss_ce(z + i * t->k, t->k, ds->labels[first + i], NULL);
  }
  return loss / (double)ds->n;
}

static void record_epoch(const gt_train_epoch *e, void *user) { ((gt_train_epoch *)user)[e->epoch - 1] = *e; }

static void test_tiny_fmnist(void) {
  gt_dataset *ds = NULL;
  gt_error err;
  if (gt_dataset_load("fmnist:train", &ds, &err) != GT_OK) {
    gt_test_skip("Fashion-MNIST is not installed (%s)", err.message);
    return;
  }
  gt_dataset_take_first(ds, 320, &err);
  gt_backend *be = backend("cpu");
  gt_train_config cfg;
  gt_train_config_init(&cfg);
  cfg.batch = 32;
  cfg.seed = 1;
  gt_trainer *t = NULL;
  GT_CHECK(gt_trainer_create(&cfg, be, ds->c, ds->h, ds->w, ds->n_classes, &t, &err) == GT_OK, "%s", err.message);
  if (t) {
    double before = dataset_loss(t, ds);
    gt_train_epoch epochs[1];
    memset(epochs, 0, sizeof epochs);
    GT_CHECK(gt_trainer_fit(t, ds, ds, record_epoch, epochs, &err) == GT_OK, "fit: %s", err.message);
    double after = dataset_loss(t, ds);
    GT_CHECK(after < 0.8 * before, "mean CE on the training points: %g before, %g after one epoch", before, after);
    GT_CHECK(epochs[0].epoch == 1 && epochs[0].test_accuracy > 0.3, "epoch 1 reported, test accuracy %g",
             epochs[0].test_accuracy);
    double acc = 0.0;
    GT_CHECK(gt_trainer_accuracy(t, ds, &acc, &err) == GT_OK && fabs(acc - epochs[0].test_accuracy) < 1e-12,
             "accuracy %g equals the epoch report %g", acc, epochs[0].test_accuracy);
  }
  gt_trainer_free(t);
  gt_backend_free(be);
  gt_dataset_free(ds);
}

/* Trains a small run and exports it; returns the file's bytes (malloc'd) and size. */
static unsigned char *train_and_export(gt_arch arch, gt_adv_kind adv, uint64_t seed, const char *path, size_t *size,
                                       gt_trainer **keep) {
  gt_backend *be = backend("cpu");
  gt_dataset *ds = synthetic(40, 12, 5);
  gt_train_config cfg;
  gt_train_config_init(&cfg);
  cfg.arch = arch;
  cfg.adv = adv;
  cfg.adv_steps = 2;
  cfg.batch = 16;
  cfg.seed = seed;
  gt_trainer *t = NULL;
  gt_error err;
  unsigned char *bytes = NULL;
  *size = 0;
  gt_status st = gt_trainer_create(&cfg, be, 1, 12, 12, 3, &t, &err);
  if (st == GT_OK) st = gt_trainer_fit(t, ds, NULL, NULL, NULL, &err);
  if (st == GT_OK) st = gt_trainer_export_onnx(t, path, &err);
  GT_CHECK(st == GT_OK, "%s %s: %s", gt_arch_name(arch), gt_adv_name(adv), err.message);
  FILE *f = st == GT_OK ? fopen(path, "rb") : NULL;
  if (f) {
    fseek(f, 0, SEEK_END);
    *size = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    bytes = malloc(*size);
    if (fread(bytes, 1, *size, f) != *size) *size = 0;
    fclose(f);
  }
  gt_dataset_free(ds);
  if (keep) {
    *keep = t; /* the caller frees trainer and backend */
  } else {
    gt_trainer_free(t);
    gt_backend_free(be);
  }
  return bytes;
}

static void test_determinism(void) {
  struct { gt_arch arch; gt_adv_kind adv; } runs[3] = {
      {GT_ARCH_SMALL_CNN, GT_ADV_PGD}, {GT_ARCH_RESNET_TINY, GT_ADV_NONE}, {GT_ARCH_SMALL_CNN, GT_ADV_TRADES}};
  for (int r = 0; r < 3; r++) {
    char p1[512], p2[512], p3[512];
    gt_test_tmp_path("det1.onnx", p1, sizeof p1);
    gt_test_tmp_path("det2.onnx", p2, sizeof p2);
    gt_test_tmp_path("det3.onnx", p3, sizeof p3);
    size_t n1, n2, n3;
    unsigned char *a = train_and_export(runs[r].arch, runs[r].adv, 7, p1, &n1, NULL);
    unsigned char *b = train_and_export(runs[r].arch, runs[r].adv, 7, p2, &n2, NULL);
    unsigned char *c = train_and_export(runs[r].arch, runs[r].adv, 8, p3, &n3, NULL);
    GT_CHECK(a && b && n1 > 1000 && n1 == n2 && !memcmp(a, b, n1), "%s %s: same seed, same bytes (%zu, %zu)",
             gt_arch_name(runs[r].arch), gt_adv_name(runs[r].adv), n1, n2);
    GT_CHECK(c && (n3 != n1 || memcmp(a, c, n1) != 0), "%s %s: another seed, other bytes",
             gt_arch_name(runs[r].arch), gt_adv_name(runs[r].adv));
    free(a);
    free(b);
    free(c);
  }
}

/* The exported file, imported as any ONNX model (BatchNorm folded into the Conv before it),
 * gives the trained network's logits. */
static void test_export_roundtrip(void) {
  gt_arch archs[2] = {GT_ARCH_SMALL_CNN, GT_ARCH_RESNET_TINY};
  for (int a = 0; a < 2; a++) {
    char path[512];
    gt_test_tmp_path(a ? "rt_resnet.onnx" : "rt_cnn.onnx", path, sizeof path);
    size_t size = 0;
    gt_trainer *t = NULL;
    free(train_and_export(archs[a], GT_ADV_NONE, 11, path, &size, &t));
    if (!t) continue;
    gt_error err;
    gt_graph *g = NULL;
    gt_model *loaded = NULL, *trained = NULL;
    GT_CHECK(gt_graph_load_classifier(path, 0, NULL, NULL, &g, &err) == GT_OK, "load %s: %s", path, err.message);
    if (g) GT_CHECK(gt_model_create(g, t->be, 16, &loaded, &err) == GT_OK, "%s", err.message);
    GT_CHECK(gt_trainer_model(t, &trained, &err) == GT_OK, "%s", err.message);
    gt_dataset *ds = synthetic(16, 12, 99);
    float z1[16 * 3], z2[16 * 3];
    if (loaded && trained) {
      GT_CHECK(gt_model_forward(trained, ds->images, 16, &err) == GT_OK, "%s", err.message);
      memcpy(z1, gt_model_logits(trained), sizeof z1);
      GT_CHECK(gt_model_forward(loaded, ds->images, 16, &err) == GT_OK, "%s", err.message);
      memcpy(z2, gt_model_logits(loaded), sizeof z2);
      double worst = 0.0, scale = 0.0;
      for (int i = 0; i < 48; i++) {
        worst = fmax(worst, fabs((double)z1[i] - z2[i]));
        scale = fmax(scale, fabs((double)z1[i]));
      }
      GT_CHECK(scale > 1e-3 && worst <= 1e-5 * (1.0 + scale), "%s: logits differ by %g (scale %g)",
               gt_arch_name(archs[a]), worst, scale);
    }
    gt_dataset_free(ds);
    gt_model_free(loaded);
    gt_graph_free(g);
    gt_backend *be = t->be;
    gt_trainer_free(t);
    gt_backend_free(be);
  }
}

/* Debian's python3-onnx: the full checker (with shape inference) accepts both architectures. */
static void test_onnx_checker(void) {
  char out[4096], errbuf[4096];
  if (gt_test_run_command("/usr/bin/python3 -c 'import onnx'", out, sizeof out, errbuf, sizeof errbuf) != 0) {
    gt_test_skip("python3-onnx is not installed: the ONNX checker was not run on exported files");
    return;
  }
  const char *names[2] = {"rt_cnn.onnx", "rt_resnet.onnx"};
  for (int a = 0; a < 2; a++) {
    char path[512], cmd[1400];
    gt_test_tmp_path(names[a], path, sizeof path);
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -c 'import onnx,sys; m=onnx.load(sys.argv[1]); onnx.checker.check_model(m, "
             "full_check=True); i=m.graph.input[0].type.tensor_type.shape.dim[0]; assert i.dim_param==\"N\", i; "
             "assert m.opset_import[0].version==13; print(\"ok\")' '%s'",
             path);
    int rc = gt_test_run_command(cmd, out, sizeof out, errbuf, sizeof errbuf);
    GT_CHECK(rc == 0 && strstr(out, "ok"), "onnx checker on %s: rc %d: %s", path, rc, errbuf);
  }
}

static char g_out[1 << 15], g_err[1 << 15];

static int cli(const char *args) {
  char cmd[2048];
  snprintf(cmd, sizeof cmd, "'%s' train %s", GT_CLI_PATH, args);
  return gt_test_run_command(cmd, g_out, sizeof g_out, g_err, sizeof g_err);
}

/* The "backend" string of a sidecar (malloc'd), or NULL. */
static char *sidecar_backend(const char *json_path) {
  char *text = gt_test_read_file(json_path);
  cJSON *o = text ? cJSON_Parse(text) : NULL;
  const cJSON *b = cJSON_GetObjectItem(o, "backend");
  char *out = cJSON_IsString(b) ? strdup(b->valuestring) : NULL;
  cJSON_Delete(o);
  free(text);
  return out;
}

/* --backend auto: CUDA when a GPU is usable, else cpu, said on stderr and recorded in the sidecar.
 * --backend cuda trains where a GPU is usable; elsewhere the loader says why, never the training
 * table (the CUDA backend has one). */
static void test_cli_backends(void) {
  char path[512], json[600], args[1200];
  gt_test_tmp_path("cli_auto.onnx", path, sizeof path);
  snprintf(json, sizeof json, "%.*s.json", (int)(strlen(path) - 5), path);
  snprintf(args, sizeof args, "--data fmnist:train --n 32 --test-n 32 --batch 32 --quiet --backend auto --out '%s'",
           path);
  GT_CHECK(cli(args) == 0 && strstr(g_err, "--backend auto: using "), "auto: %s", g_err);
  const char *chosen = strstr(g_err, "--backend auto: using cuda") ? "cuda" : "cpu";
  char *recorded = sidecar_backend(json);
  GT_CHECK(recorded && !strcmp(recorded, chosen), "sidecar backend %s, auto chose %s", recorded ? recorded : "(none)",
           chosen);
  free(recorded);
  snprintf(args, sizeof args, "--data fmnist:train --n 32 --test-n 32 --batch 32 --quiet --backend cuda --out '%s'",
           path);
  int rc = cli(args);
  GT_CHECK(rc == 0 || (rc == 1 && strstr(g_err, "CUDA") && !strstr(g_err, "training ops")), "--backend cuda: rc %d: %s",
           rc, g_err);
  printf("  --backend auto chose %s; --backend cuda exit code %d\n", chosen, rc);
}

static void test_cli(void) {
  GT_CHECK(cli("--help") == 0 && strstr(g_out, "--adv"), "help: %s", g_out);
  GT_CHECK(cli("--data fmnist:train") == 2 && strstr(g_err, "--out"), "missing --out: %s", g_err);
  GT_CHECK(cli("--data fmnist:train --out x.onnx --arch vgg") == 2 && strstr(g_err, "vgg"), "bad arch: %s", g_err);
  GT_CHECK(cli("--data fmnist:train --out x.onnx --adv fgsm") == 2 && strstr(g_err, "fgsm"), "bad adv: %s", g_err);
  GT_CHECK(cli("--data fmnist:train --out x.onnx --epochs 0") == 2, "epochs 0: %s", g_err);
  GT_CHECK(cli("--data fmnist:train --out x.onnx --adv pgd --eps 2") == 2 && strstr(g_err, "eps"), "eps 2: %s", g_err);
  GT_CHECK(cli("--data mnist:/nonexistent/dir --out x.onnx") == 1 && strstr(g_err, "/nonexistent/dir"),
           "missing data: %s", g_err);
  gt_dataset *probe = NULL;
  gt_error err;
  if (gt_dataset_load("fmnist:test", &probe, &err) != GT_OK) {
    gt_test_skip("Fashion-MNIST is not installed: no real `gauntlet train` run (%s)", err.message);
    return;
  }
  gt_dataset_free(probe);
  char path[512], args[1200], json[600];
  gt_test_tmp_path("cli_model.onnx", path, sizeof path);
  snprintf(args, sizeof args, "--data fmnist:train --n 64 --test-n 64 --batch 32 --seed 4 --out '%s'", path);
  GT_CHECK(cli(args) == 0, "train run: %s", g_err);
  GT_CHECK(strstr(g_err, "epoch 1/1") && strstr(g_err, "test acc"), "progress on stderr: %s", g_err);
  snprintf(json, sizeof json, "%.*s.json", (int)(strlen(path) - 5), path);
  FILE *f = fopen(json, "r");
  GT_CHECK(f != NULL, "sidecar %s", json);
  if (!f) return;
  char text[8192];
  size_t n = fread(text, 1, sizeof text - 1, f);
  fclose(f);
  text[n] = 0;
  cJSON *o = cJSON_Parse(text);
  char hex[65];
  GT_CHECK(gt_sha256_file(path, hex, &err) == GT_OK, "%s", err.message);
  const cJSON *sha = cJSON_GetObjectItem(o, "sha256"), *cmd = cJSON_GetObjectItem(o, "command");
  GT_CHECK(cJSON_IsString(sha) && !strcmp(sha->valuestring, hex), "sidecar sha256 matches the file");
  GT_CHECK(cJSON_IsString(cmd) && strstr(cmd->valuestring, "gauntlet train --data fmnist:train --n 64"),
           "sidecar command");
  GT_CHECK(cJSON_IsNumber(cJSON_GetObjectItem(o, "test_accuracy")) &&
               cJSON_IsNumber(cJSON_GetObjectItem(o, "train_accuracy")),
           "sidecar accuracies");
  cJSON_Delete(o);
  char eval[1200];
  snprintf(eval, sizeof eval, "'%s' eval --model '%s' --data fmnist:test --n 64", GT_CLI_PATH, path);
  GT_CHECK(gt_test_run_command(eval, g_out, sizeof g_out, g_err, sizeof g_err) == 0, "eval of the trained file: %s",
           g_err);
  test_cli_backends();
}

int main(void) {
  gt_test_run("parameter gradients vs finite differences (small-cnn, resnet-tiny)", test_param_gradients);
  gt_test_run("one epoch on 320 Fashion-MNIST points lowers the loss", test_tiny_fmnist);
  gt_test_run("same seed -> same ONNX bytes (pgd, batch norm, trades)", test_determinism);
  gt_test_run("exported ONNX loads back with the same logits", test_export_roundtrip);
  gt_test_run("python3-onnx checker accepts the exported files", test_onnx_checker);
  gt_test_run("gauntlet train CLI", test_cli);
  return gt_test_finish();
}

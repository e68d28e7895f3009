/* Sweep config errors (gauntlet/sweep.h): one case per kind of mistake, each reported before any
 * work with the key path and the problem; a good config parses with its defaults, sorted eps and a
 * hash that ignores the output folder. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gauntlet/sweep.h"
#include "gt_test.h"

#define FIX GT_FIXTURES_DIR "/models"
#define DATA "npy:" FIX "/cnn.x.npy," FIX "/cnn.y.npy"

/* A valid config with one piece replaced: models, datasets, threats, attacks, extra top-level keys. */
static char *make(const char *models, const char *datasets, const char *threats, const char *attacks, const char *extra) {
  static char buf[8192];
  snprintf(buf, sizeof buf, "{\"models\": %s, \"datasets\": %s, \"threat_models\": %s, \"attacks\": %s%s%s}",
           models ? models : "[{\"name\": \"cnn\", \"path\": \"" FIX "/cnn.onnx\"}]",
           datasets ? datasets : "[{\"data\": \"" DATA "\", \"n\": 8}]",
           threats ? threats : "[{\"norm\": \"Linf\", \"eps\": [0.1, \"8/255\"]}]",
           attacks ? attacks : "[{\"attack\": \"fgsm\"}, {\"attack\": \"pgd\", \"steps\": 5}]", extra ? ", " : "",
           extra ? extra : "");
  return buf;
}

static gt_sweep_config *cfg_alloc(void) { return calloc(1, sizeof(gt_sweep_config)); }

/* Parses (and, when files is set, validates) text; expects failure with every needle in the message. */
static void expect_error(const char *text, int files, const char *needle1, const char *needle2) {
  gt_sweep_config *cfg = cfg_alloc();
  gt_error err = {0};
  gt_status st = gt_sweep_config_parse(text, "", cfg, &err);
  if (st == GT_OK && files) st = gt_sweep_config_validate(cfg, &err);
  GT_CHECK(st != GT_OK, "accepted: %s", text);
  GT_CHECK(strstr(err.message, needle1) != NULL, "message '%s' lacks '%s'", err.message, needle1);
  if (needle2) GT_CHECK(strstr(err.message, needle2) != NULL, "message '%s' lacks '%s'", err.message, needle2);
  free(cfg);
}

static void test_valid_config(void) {
  gt_sweep_config *cfg = cfg_alloc(), *other = cfg_alloc();
  gt_error err = {0};
  GT_CHECK(gt_sweep_config_parse(make(NULL, NULL, NULL, NULL, "\"output\": \"a\""), "", cfg, &err) == GT_OK, "%s",
           err.message);
  GT_CHECK(gt_sweep_config_validate(cfg, &err) == GT_OK, "%s", err.message);
  GT_CHECK(cfg->n_models == 1 && cfg->n_attacks == 2 && cfg->batch == 256 && cfg->probes == 1, "defaults");
  GT_CHECK(cfg->threats[0].n_eps == 2 && cfg->threats[0].eps[0] < cfg->threats[0].eps[1], "eps sorted ascending");
  GT_CHECK(!strcmp(cfg->threats[0].eps_text[0], "8/255"), "eps text kept: %s", cfg->threats[0].eps_text[0]);
  GT_CHECK(!strcmp(cfg->datasets[0].name, "npy"), "default dataset name %s", cfg->datasets[0].name);
  GT_CHECK(gt_sweep_config_parse(make(NULL, NULL, NULL, NULL, "\"output\": \"b\""), "", other, &err) == GT_OK, "%s",
           err.message);
  GT_CHECK(!strcmp(cfg->hash, other->hash), "the output folder does not change the hash");
  GT_CHECK(gt_sweep_config_parse(make(NULL, NULL, NULL, NULL, "\"seed\": 1"), "", other, &err) == GT_OK, "%s", err.message);
  GT_CHECK(strcmp(cfg->hash, other->hash) != 0, "the seed changes the hash");
  GT_CHECK(gt_sweep_config_parse(make(NULL, NULL, NULL, "{\"suite\": \"autoattack\"}", NULL), "", other, &err) == GT_OK,
           "%s", err.message);
  GT_CHECK(other->use_autoattack && !strcmp(other->suite, "autoattack-standard"), "suite %s", other->suite);
  GT_CHECK(!strcmp(cfg->backend, "auto"), "the default backend is auto, got %s", cfg->backend);
  static const char *const backends[] = {"cpu", "ref", "cuda", "cuda:1"};
  for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++) {
    char extra[64];
    snprintf(extra, sizeof extra, "\"backend\": \"%s\"", backends[i]);
    GT_CHECK(gt_sweep_config_parse(make(NULL, NULL, NULL, NULL, extra), "", other, &err) == GT_OK, "%s: %s", extra,
             err.message);
  }
  free(cfg);
  free(other);
}

static void test_not_json(void) { expect_error("{\"models\": [", 0, "not valid JSON", NULL); }

static void test_unknown_key(void) {
  expect_error(make(NULL, NULL, NULL, NULL, "\"sed\": 1"), 0, "sed: unknown key", NULL);
  expect_error(make("[{\"name\": \"a\", \"path\": \"x.onnx\", \"arch\": \"r\"}]", NULL, NULL, NULL, NULL), 0,
               "models[0].arch: unknown key", NULL);
}

static void test_wrong_type(void) {
  expect_error(make(NULL, NULL, NULL, NULL, "\"seed\": \"zero\""), 0, "seed: expected an integer", NULL);
  expect_error(make("[{\"name\": \"a\", \"path\": 3}]", NULL, NULL, NULL, NULL), 0, "models[0].path: expected a string", NULL);
  expect_error(make(NULL, NULL, "[{\"norm\": \"Linf\", \"eps\": [true]}]", NULL, NULL), 0, "threat_models[0].eps[0]",
               "expected a number or a string");
}

static void test_missing_key(void) {
  expect_error("{\"models\": [], \"datasets\": []}", 0, "models", "expected 1 to");
  expect_error(make("[{\"name\": \"a\"}]", NULL, NULL, NULL, NULL), 0, "models[0].path: required key is missing", NULL);
}

static void test_negative_eps(void) {
  expect_error(make(NULL, NULL, "[{\"norm\": \"L2\", \"eps\": [0.5, -1]}]", NULL, NULL), 0, "threat_models[0].eps[1]",
               ">= 0");
  expect_error(make(NULL, NULL, "[{\"norm\": \"L2\", \"eps\": [\"8/0\"]}]", NULL, NULL), 0, "threat_models[0].eps[0]", "8/0");
  expect_error(make(NULL, NULL, "[{\"norm\": \"L2\", \"eps\": [0.5, 0.5]}]", NULL, NULL), 0, "threat_models[0].eps[1]",
               "twice");
}

static void test_unknown_attack_and_norm(void) {
  expect_error(make(NULL, NULL, NULL, "[{\"attack\": \"pgd\"}, {\"attack\": \"bogus\"}]", NULL), 0,
               "attacks[1].attack: unknown attack 'bogus'", NULL);
  expect_error(make(NULL, NULL, NULL, "{\"suite\": \"autoattack\", \"version\": \"fast\"}", NULL), 0, "attacks.version",
               "fast");
  expect_error(make(NULL, NULL, "[{\"norm\": \"L3\", \"eps\": [1]}]", NULL, NULL), 0, "threat_models[0].norm", "L3");
  expect_error(make(NULL, NULL, NULL, "[{\"attack\": \"pgd\", \"steps\": 0}]", NULL), 0, "attacks[0].steps", "outside");
}

static void test_n_larger_than_dataset(void) {
  expect_error(make(NULL, "[{\"data\": \"" DATA "\", \"n\": 17}]", NULL, NULL, NULL), 1, "datasets[0].n",
               "17 points asked");
}

static void test_missing_files(void) {
  expect_error(make("[{\"name\": \"a\", \"path\": \"/nonexistent/m.onnx\"}]", NULL, NULL, NULL, NULL), 1,
               "models[0].path", "/nonexistent/m.onnx");
  expect_error(make(NULL, "[{\"data\": \"npy:/nonexistent/x.npy,/nonexistent/y.npy\"}]", NULL, NULL, NULL), 1,
               "datasets[0].data", "nonexistent");
  expect_error(make(NULL, "[{\"data\": \"" DATA "\", \"indices\": \"/nonexistent/idx.txt\"}]", NULL, NULL, NULL), 1,
               "datasets[0].indices", "idx.txt");
}

static void test_inconsistent_values(void) {
  expect_error(make("[{\"name\": \"a\", \"path\": \"m.onnx\"}, {\"name\": \"a\", \"path\": \"n.onnx\"}]", NULL, NULL,
                    NULL, NULL),
               0, "models[1].name", "also the name of models[0]");
  expect_error(make("[{\"name\": \"a\", \"path\": \"m.onnx\", \"mean\": [0.5]}]", NULL, NULL, NULL, NULL), 0,
               "models[0].std", "give both");
  expect_error(make(NULL, "[{\"data\": \"" DATA "\", \"n\": 4, \"indices\": \"i.txt\"}]", NULL, NULL, NULL), 0,
               "datasets[0].indices", "not both");
  expect_error(make(NULL, NULL, NULL, NULL, "\"examples\": 9"), 0, "examples", "outside");
  expect_error(make(NULL, NULL, NULL, NULL, "\"backend\": \"tpu\""), 0, "backend", "tpu");
  expect_error(make(NULL, NULL, NULL, NULL, "\"backend\": \"cuda:x\""), 0, "backend", "cuda:N");
  expect_error(make(NULL, NULL, NULL, NULL, "\"backend\": \"cuda:\""), 0, "backend", "cuda:N");
  /* a model whose channels do not fit the dataset: normalisation with 3 channels on 1-channel input */
  expect_error(make("[{\"name\": \"a\", \"path\": \"" FIX "/cnn.onnx\", \"mean\": [0,0,0], \"std\": [1,1,1]}]", NULL,
                    NULL, NULL, NULL),
               1, "models[0]", NULL);
}

static void test_load_resolves_paths(void) {
  char path[512];
  gt_test_tmp_path("sweep_config_rel.json", path, sizeof path);
  FILE *f = fopen(path, "w");
  GT_CHECK(f != NULL, "cannot write %s", path);
  if (!f) return;
  fputs("{\"models\": [{\"name\": \"m\", \"path\": \"sub/m.onnx\"}], \"datasets\": [{\"data\": \"npy:x.npy,y.npy\"}],"
        " \"threat_models\": [{\"norm\": \"L2\", \"eps\": [1]}], \"attacks\": [{\"attack\": \"pgd\"}], \"output\": \"out\"}",
        f);
  fclose(f);
  gt_sweep_config *cfg = cfg_alloc();
  gt_error err = {0};
  GT_CHECK(gt_sweep_config_load(path, cfg, &err) == GT_OK, "%s", err.message);
  char want[600];
  snprintf(want, sizeof want, "%s/sub/m.onnx", GT_TMP_DIR);
  GT_CHECK(!strcmp(cfg->models[0].path, want), "model path %s, want %s", cfg->models[0].path, want);
  snprintf(want, sizeof want, "npy:%s/x.npy,%s/y.npy", GT_TMP_DIR, GT_TMP_DIR);
  GT_CHECK(!strcmp(cfg->datasets[0].spec, want), "spec %s, want %s", cfg->datasets[0].spec, want);
  snprintf(want, sizeof want, "%s/out", GT_TMP_DIR);
  GT_CHECK(!strcmp(cfg->output, want), "output %s", cfg->output);
  free(cfg);
}

/* The shipped quickstart and full-size configs load and pass every pre-flight check (models and
 * the Debian Fashion-MNIST set exist, n fits); skipped where that dataset is not installed. */
static void test_shipped_configs_validate(void) {
  static const char *const names[] = {"quickstart.json", "fmnist-full.json"};
  FILE *probe = fopen("/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz", "rb");
  if (!probe) {
    gt_test_skip("Debian's dataset-fashion-mnist is not installed");
    return;
  }
  fclose(probe);
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    char path[1024];
    snprintf(path, sizeof path, "%s/../../configs/%s", GT_FIXTURES_DIR, names[i]);
    gt_sweep_config *cfg = cfg_alloc();
    gt_error err = {0};
    gt_status st = gt_sweep_config_load(path, cfg, &err);
    if (st == GT_OK) st = gt_sweep_config_validate(cfg, &err);
    GT_CHECK(st == GT_OK, "%s: %s", names[i], err.message);
    GT_CHECK(cfg->n_models == 3 && !strcmp(cfg->backend, "auto"), "%s: 3 shipped models on backend auto", names[i]);
    free(cfg);
  }
}

int main(void) {
  gt_test_run("valid_config", test_valid_config);
  gt_test_run("not_json", test_not_json);
  gt_test_run("unknown_key", test_unknown_key);
  gt_test_run("wrong_type", test_wrong_type);
  gt_test_run("missing_key", test_missing_key);
  gt_test_run("negative_eps", test_negative_eps);
  gt_test_run("unknown_attack_and_norm", test_unknown_attack_and_norm);
  gt_test_run("n_larger_than_dataset", test_n_larger_than_dataset);
  gt_test_run("missing_files", test_missing_files);
  gt_test_run("inconsistent_values", test_inconsistent_values);
  gt_test_run("load_resolves_paths", test_load_resolves_paths);
  gt_test_run("shipped_configs_validate", test_shipped_configs_validate);
  return gt_test_finish();
}

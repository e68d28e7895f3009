/* Dataset specs: parse "scheme:argument", dispatch to the per-format loader, and the helpers
 * every loader shares (capped allocation, byte scaling, file opening, freeing). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/loaders.h"
#include "gauntlet/tensor.h"

#define GT_FMNIST_DEFAULT_DIR "/usr/share/datasets/fashion-mnist"
#define GT_KNOWN_SCHEMES "fmnist, mnist, idx, cifar10, cifar100, png, npy"

gt_status gt_data_alloc(int64_t n, int64_t c, int64_t h, int64_t w, const char *what, gt_dataset **out,
                        gt_error *err) {
  int64_t shape[4] = {n, c, h, w};
  int64_t numel = 0;
  gt_status st = gt_shape_numel_checked(4, shape, &numel, what, err);
  if (st != GT_OK) return st;
  if (n < 1 || c < 1 || h < 1 || w < 1) {
    char buf[96];
    return gt_error_set(err, GT_ERR_FORMAT, "%s: empty dataset: images have shape %s", what,
                        gt_shape_format(4, shape, buf, sizeof buf));
  }
  gt_dataset *ds = calloc(1, sizeof *ds);
  if (ds) {
    ds->images = malloc((size_t)numel * sizeof(float));
    ds->labels = malloc((size_t)n * sizeof(int32_t));
  }
  if (!ds || !ds->images || !ds->labels) {
    gt_dataset_free(ds);
    return gt_error_set(err, GT_ERR_MEMORY, "%s: out of memory for %lld image values", what, (long long)numel);
  }
  ds->n = n;
  ds->c = (int)c;
  ds->h = (int)h;
  ds->w = (int)w;
  *out = ds;
  return GT_OK;
}

void gt_data_u8_to_unit(const uint8_t *src, float *dst, size_t n) {
  /* A table keeps the exact v / 255.0f values while avoiding a division per pixel; it is built
   * per call (256 divisions) so that concurrent loaders share no state. */
  float table[256];
  for (int v = 0; v < 256; v++) table[v] = (float)v / 255.0f;
  for (size_t i = 0; i < n; i++) dst[i] = table[src[i]];
}

void gt_data_classes_from_labels(gt_dataset *ds) {
  int32_t top = 0;
  for (int64_t i = 0; i < ds->n; i++)
    if (ds->labels[i] > top) top = ds->labels[i];
  ds->n_classes = (int)top + 1;
}

gt_status gt_data_open_file(const char *path, FILE **f, int64_t *size, gt_error *err) {
  FILE *fp = fopen(path, "rb");
  if (!fp) return gt_error_set(err, GT_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
  struct stat sb;
  if (fstat(fileno(fp), &sb) != 0 || !S_ISREG(sb.st_mode)) {
    fclose(fp);
    return gt_error_set(err, GT_ERR_IO, "%s: not a regular file", path);
  }
  *f = fp;
  *size = (int64_t)sb.st_size;
  return GT_OK;
}

void gt_dataset_free(gt_dataset *ds) {
  if (!ds) return;
  free(ds->images);
  free(ds->labels);
  free(ds->source);
  free(ds);
}

/* "a/b" into a fresh string; NULL when out of memory. */
static char *path_join(const char *dir, const char *name) {
  size_t len = strlen(dir) + strlen(name) + 2;
  char *p = malloc(len);
  if (p) snprintf(p, len, "%s/%s", dir, name);
  return p;
}

/* Strips a trailing ":test" or ":train" from arg (in place); *train tells which (test when absent). */
static void strip_split_suffix(char *arg, int *train) {
  size_t len = strlen(arg);
  *train = 0;
  if (len > 6 && !strcmp(arg + len - 6, ":train")) {
    arg[len - 6] = '\0';
    *train = 1;
  } else if (len > 5 && !strcmp(arg + len - 5, ":test")) {
    arg[len - 5] = '\0';
  }
}

/* DIR/name.gz, or DIR/name when only the uncompressed file exists. */
static char *mnist_file(const char *dir, const char *name) {
  char gz[128];
  snprintf(gz, sizeof gz, "%s.gz", name);
  char *plain = path_join(dir, name);
  if (plain && access(plain, F_OK) == 0) {
    char *zipped = path_join(dir, gz);
    int has_gz = zipped && access(zipped, F_OK) == 0;
    if (has_gz) {
      free(plain);
      return zipped;
    }
    free(zipped);
    return plain;
  }
  free(plain);
  return path_join(dir, gz);
}

static gt_status load_mnist_dir(const char *dir, int train, gt_dataset **out, gt_error *err) {
  const char *prefix = train ? "train" : "t10k";
  char name[64];
  snprintf(name, sizeof name, "%s-images-idx3-ubyte", prefix);
  char *images = mnist_file(dir, name);
  snprintf(name, sizeof name, "%s-labels-idx1-ubyte", prefix);
  char *labels = mnist_file(dir, name);
  gt_status st = (images && labels) ? gt_data_load_idx(images, labels, out, err)
                                    : gt_error_set(err, GT_ERR_MEMORY, "%s: out of memory", dir);
  free(images);
  free(labels);
  return st;
}

static gt_status load_cifar_dir(const char *dir, int train, int cifar100, gt_dataset **out, gt_error *err) {
  const char *names10[5] = {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin",
                            "data_batch_5.bin"};
  const char *name_test = cifar100 ? "test.bin" : "test_batch.bin";
  const char *name_train100 = "train.bin";
  const char *const *names = train ? (cifar100 ? &name_train100 : names10) : &name_test;
  int count = (train && !cifar100) ? 5 : 1;
  char *paths[5] = {0};
  gt_status st = GT_OK;
  for (int i = 0; i < count && st == GT_OK; i++) {
    paths[i] = path_join(dir, names[i]);
    if (!paths[i]) st = gt_error_set(err, GT_ERR_MEMORY, "%s: out of memory", dir);
  }
  if (st == GT_OK) st = gt_data_load_cifar((const char *const *)paths, count, cifar100, out, err);
  for (int i = 0; i < count; i++) free(paths[i]);
  return st;
}

/* Splits "A,B" at its last comma into two strings inside arg. */
static gt_status split_pair(char *arg, const char *spec, char **first, char **second, gt_error *err) {
  char *comma = strrchr(arg, ',');
  if (!comma || comma == arg || comma[1] == '\0')
    return gt_error_set(err, GT_ERR_USAGE, "dataset spec '%s': expected two paths separated by a comma", spec);
  *comma = '\0';
  *first = arg;
  *second = comma + 1;
  return GT_OK;
}

static gt_status dispatch(const char *spec, const char *scheme, char *arg, gt_dataset **out, gt_error *err) {
  int train = 0;
  char *a = NULL, *b = NULL;
  if (!strcmp(scheme, "fmnist")) {
    if (strcmp(arg, "test") && strcmp(arg, "train"))
      return gt_error_set(err, GT_ERR_USAGE, "dataset spec '%s': fmnist takes 'test' or 'train'", spec);
    const char *dir = getenv("GAUNTLET_FMNIST_DIR");
    if (!dir || !*dir) dir = GT_FMNIST_DEFAULT_DIR;
    return load_mnist_dir(dir, !strcmp(arg, "train"), out, err);
  }
  if (!strcmp(scheme, "mnist")) {
    strip_split_suffix(arg, &train);
    return load_mnist_dir(arg, train, out, err);
  }
  if (!strcmp(scheme, "cifar10") || !strcmp(scheme, "cifar100")) {
    strip_split_suffix(arg, &train);
    return load_cifar_dir(arg, train, !strcmp(scheme, "cifar100"), out, err);
  }
  if (!strcmp(scheme, "png")) return gt_data_load_png(arg, out, err);
  if (!strcmp(scheme, "idx") || !strcmp(scheme, "npy")) {
    gt_status st = split_pair(arg, spec, &a, &b, err);
    if (st != GT_OK) return st;
    return !strcmp(scheme, "idx") ? gt_data_load_idx(a, b, out, err) : gt_data_load_npy(a, b, out, err);
  }
  return gt_error_set(err, GT_ERR_USAGE, "dataset spec '%s': unknown scheme '%s' (known: %s)", spec, scheme,
                      GT_KNOWN_SCHEMES);
}

gt_status gt_dataset_load(const char *spec, gt_dataset **out, gt_error *err) {
  *out = NULL;
  if (!spec) return gt_error_set(err, GT_ERR_USAGE, "no dataset spec given (known schemes: %s)", GT_KNOWN_SCHEMES);
  const char *colon = strchr(spec, ':');
  if (!colon || colon[1] == '\0')
    return gt_error_set(err, GT_ERR_USAGE, "dataset spec '%s': expected scheme:argument (known schemes: %s)", spec,
                        GT_KNOWN_SCHEMES);
  char *copy = strdup(spec);
  if (!copy) return gt_error_set(err, GT_ERR_MEMORY, "out of memory");
  copy[colon - spec] = '\0';
  gt_dataset *ds = NULL;
  gt_status st = dispatch(spec, copy, copy + (colon - spec) + 1, &ds, err);
  free(copy);
  if (st != GT_OK) return st;
  ds->source = strdup(spec);
  if (!ds->source) {
    gt_dataset_free(ds);
    return gt_error_set(err, GT_ERR_MEMORY, "out of memory");
  }
  *out = ds;
  return GT_OK;
}

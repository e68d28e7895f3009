/* Dataset loaders: Fashion-MNIST from Debian's files, IDX gz vs raw, CIFAR-10/100, PNG trees,
 * NumPy .npy, subsets, and one test per kind of bad input (status code + message naming the
 * file and the problem). Every file but Fashion-MNIST is written here, under GT_TMP_DIR. */
#include <math.h>
#include <png.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "gauntlet/data.h"
#include "gt_test.h"

/* ---------- helpers: paths, files, checks ---------- */

static const char *tmp(const char *name, char *buf) {
  return gt_test_tmp_path(name, buf, 512);
}

static void make_dir(const char *path) { mkdir(path, 0755); }

static int write_bytes(const char *path, const void *data, size_t len) {
  FILE *f = fopen(path, "wb");
  if (!f) return 0;
  size_t n = len ? fwrite(data, 1, len, f) : 0;
  return fclose(f) == 0 && n == len;
}

static int write_gz(const char *path, const void *data, size_t len) {
  gzFile f = gzopen(path, "wb");
  if (!f) return 0;
  int n = len ? gzwrite(f, data, (unsigned)len) : 0;
  return gzclose(f) == Z_OK && (size_t)n == len;
}

/* Whole file into a malloc'd buffer (gzip or raw, via zlib's transparent reader). */
static uint8_t *read_gz_all(const char *path, size_t *len) {
  gzFile f = gzopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 1 << 20, used = 0;
  uint8_t *buf = malloc(cap);
  int n;
  while (buf && (n = gzread(f, buf + used, (unsigned)(cap - used))) > 0) {
    used += (size_t)n;
    if (used == cap) {
      uint8_t *bigger = realloc(buf, cap *= 2);
      if (!bigger) free(buf);
      buf = bigger;
    }
  }
  gzclose(f);
  *len = used;
  return buf;
}

/* 1 when msg contains every NULL-terminated keyword. */
static int has_all(const char *msg, ...) {
  va_list ap;
  va_start(ap, msg);
  const char *k;
  int ok = 1;
  while ((k = va_arg(ap, const char *)) != NULL)
    if (!strstr(msg, k)) ok = 0;
  va_end(ap);
  return ok;
}

/* Loads spec expecting failure with `code`; the message must contain each keyword. */
#define EXPECT_FAIL(spec, code, ...)                                                                          \
  do {                                                                                                        \
    gt_error e_ = {0};                                                                                        \
    gt_dataset *d_ = NULL;                                                                                    \
    gt_status s_ = gt_dataset_load((spec), &d_, &e_);                                                         \
    GT_CHECK(s_ == (code) && d_ == NULL && has_all(e_.message, __VA_ARGS__, (const char *)NULL),              \
             "%s: got %s (wanted %s): %s", (spec), gt_status_name(s_), gt_status_name(code), e_.message);     \
    gt_dataset_free(d_);                                                                                      \
  } while (0)

/* ---------- IDX builders ---------- */

/* IDX header: 0, 0, dtype, rank, big-endian dims; returns its length. */
static size_t idx_header(uint8_t *out, int dtype, int rank, const uint32_t *dims) {
  out[0] = 0, out[1] = 0, out[2] = (uint8_t)dtype, out[3] = (uint8_t)rank;
  for (int d = 0; d < rank; d++) {
    out[4 + 4 * d] = (uint8_t)(dims[d] >> 24);
    out[5 + 4 * d] = (uint8_t)(dims[d] >> 16);
    out[6 + 4 * d] = (uint8_t)(dims[d] >> 8);
    out[7 + 4 * d] = (uint8_t)dims[d];
  }
  return 4 + 4 * (size_t)rank;
}

/* A tiny images file [n, 2, 3] with pixel (i, k) = 10 i + k, and a labels file with label i % 4. */
static size_t idx_images(uint8_t *buf, uint32_t n) {
  uint32_t dims[3] = {n, 2, 3};
  size_t len = idx_header(buf, 0x08, 3, dims);
  for (uint32_t i = 0; i < n; i++)
    for (int k = 0; k < 6; k++) buf[len++] = (uint8_t)(10 * i + (uint32_t)k);
  return len;
}

static size_t idx_labels(uint8_t *buf, uint32_t n) {
  size_t len = idx_header(buf, 0x08, 1, &n);
  for (uint32_t i = 0; i < n; i++) buf[len++] = (uint8_t)(i % 4);
  return len;
}

static void check_tiny_idx(const gt_dataset *ds, uint32_t n, const char *what) {
  GT_CHECK(ds->n == n && ds->c == 1 && ds->h == 2 && ds->w == 3, "%s: n %lld c %d h %d w %d", what, (long long)ds->n,
           ds->c, ds->h, ds->w);
  for (uint32_t i = 0; i < n && i < (uint32_t)ds->n; i++) {
    GT_CHECK(ds->labels[i] == (int32_t)(i % 4), "%s: label %u = %d", what, i, ds->labels[i]);
    for (int k = 0; k < 6; k++)
      GT_CHECK(ds->images[i * 6 + (uint32_t)k] == (float)(10 * i + (uint32_t)k) / 255.0f, "%s: pixel %u,%d", what, i,
               k);
  }
}

/* ---------- Fashion-MNIST ---------- */

static int fmnist_present(void) {
  char path[512];
  snprintf(path, sizeof path, "%s/t10k-images-idx3-ubyte.gz", GT_FMNIST_DIR);
  return access(path, R_OK) == 0;
}

static double seconds_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void check_fmnist(const gt_dataset *ds, int64_t n, int per_class) {
  GT_CHECK(ds->n == n && ds->c == 1 && ds->h == 28 && ds->w == 28, "shape %lld x %d x %d x %d", (long long)ds->n,
           ds->c, ds->h, ds->w);
  GT_CHECK(ds->n_classes == 10, "n_classes %d", ds->n_classes);
  int counts[10] = {0}, bad_labels = 0;
  for (int64_t i = 0; i < ds->n; i++) {
    if (ds->labels[i] < 0 || ds->labels[i] > 9) bad_labels++;
    else counts[ds->labels[i]]++;
  }
  GT_CHECK(bad_labels == 0, "%d labels outside 0..9", bad_labels);
  for (int k = 0; k < 10; k++) GT_CHECK(counts[k] == per_class, "class %d has %d points", k, counts[k]);
  int64_t bad_values = 0;
  float lo = 1, hi = 0;
  for (int64_t i = 0; i < ds->n * 28 * 28; i++) {
    float v = ds->images[i];
    if (!(v >= 0 && v <= 1)) bad_values++;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  GT_CHECK(bad_values == 0 && lo == 0.0f && hi == 1.0f, "%lld values outside [0,1]; range %g..%g",
           (long long)bad_values, lo, hi);
  /* Both splits start with an ankle boot (class 9). */
  GT_CHECK(ds->labels[0] == 9, "first label %d", ds->labels[0]);
}

static void test_fmnist_test(void) {
  if (!fmnist_present()) {
    gt_test_skip("no Fashion-MNIST in %s", GT_FMNIST_DIR);
    return;
  }
  setenv("GAUNTLET_FMNIST_DIR", GT_FMNIST_DIR, 1);
  gt_error err = {0};
  gt_dataset *ds = NULL;
  double t0 = seconds_now();
  gt_status st = gt_dataset_load("fmnist:test", &ds, &err);
  double took = seconds_now() - t0;
  GT_CHECK(st == GT_OK, "%s", err.message);
  if (st != GT_OK) return;
  fprintf(stderr, "  fmnist:test loaded in %.3f s\n", took);
  /* Well under a second normally; the bound leaves room for sanitizer builds on a slow machine. */
  GT_CHECK(took < 3.0, "loading took %.2f s", took);
  check_fmnist(ds, 10000, 1000);
  GT_CHECK(ds->source && !strcmp(ds->source, "fmnist:test"), "source %s", ds->source ? ds->source : "(null)");
  gt_dataset_free(ds);
}

static void test_fmnist_train(void) {
  if (!fmnist_present()) {
    gt_test_skip("no Fashion-MNIST in %s", GT_FMNIST_DIR);
    return;
  }
  setenv("GAUNTLET_FMNIST_DIR", GT_FMNIST_DIR, 1);
  gt_error err = {0};
  gt_dataset *ds = NULL;
  GT_CHECK(gt_dataset_load("fmnist:train", &ds, &err) == GT_OK, "%s", err.message);
  if (ds) check_fmnist(ds, 60000, 6000);
  gt_dataset_free(ds);
  EXPECT_FAIL("fmnist:validation", GT_ERR_USAGE, "fmnist", "test", "train");
}

/* The gzipped files and raw copies written here must give identical data, via idx: and mnist:. */
static void test_idx_gz_and_raw_agree(void) {
  if (!fmnist_present()) {
    gt_test_skip("no Fashion-MNIST in %s", GT_FMNIST_DIR);
    return;
  }
  char dir[512], raw_x[600], raw_y[600], src[512], spec[1300];
  make_dir(tmp("data_raw_mnist", dir));
  snprintf(raw_x, sizeof raw_x, "%s/t10k-images-idx3-ubyte", dir);
  snprintf(raw_y, sizeof raw_y, "%s/t10k-labels-idx1-ubyte", dir);
  size_t len = 0;
  snprintf(src, sizeof src, "%s/t10k-images-idx3-ubyte.gz", GT_FMNIST_DIR);
  uint8_t *bytes = read_gz_all(src, &len);
  GT_CHECK(bytes && len == 16 + 10000 * 784 && write_bytes(raw_x, bytes, len), "raw images copy (%zu bytes)", len);
  free(bytes);
  snprintf(src, sizeof src, "%s/t10k-labels-idx1-ubyte.gz", GT_FMNIST_DIR);
  bytes = read_gz_all(src, &len);
  GT_CHECK(bytes && len == 8 + 10000 && write_bytes(raw_y, bytes, len), "raw labels copy (%zu bytes)", len);
  free(bytes);

  gt_error err = {0};
  gt_dataset *gz = NULL, *raw = NULL, *dir_ds = NULL;
  snprintf(spec, sizeof spec, "idx:%s/t10k-images-idx3-ubyte.gz,%s/t10k-labels-idx1-ubyte.gz", GT_FMNIST_DIR,
           GT_FMNIST_DIR);
  GT_CHECK(gt_dataset_load(spec, &gz, &err) == GT_OK, "%s", err.message);
  snprintf(spec, sizeof spec, "idx:%s,%s", raw_x, raw_y);
  GT_CHECK(gt_dataset_load(spec, &raw, &err) == GT_OK, "%s", err.message);
  snprintf(spec, sizeof spec, "mnist:%s:test", dir);
  GT_CHECK(gt_dataset_load(spec, &dir_ds, &err) == GT_OK, "%s", err.message);
  if (gz && raw && dir_ds) {
    GT_CHECK(gz->n == 10000 && raw->n == gz->n && dir_ds->n == gz->n, "n %lld %lld", (long long)gz->n,
             (long long)raw->n);
    size_t bytes_images = (size_t)gz->n * 784 * sizeof(float);
    GT_CHECK(!memcmp(gz->images, raw->images, bytes_images) && !memcmp(gz->images, dir_ds->images, bytes_images),
             "images differ between gz and raw");
    GT_CHECK(!memcmp(gz->labels, raw->labels, (size_t)gz->n * 4) &&
                 !memcmp(gz->labels, dir_ds->labels, (size_t)gz->n * 4),
             "labels differ between gz and raw");
  }
  gt_dataset_free(gz);
  gt_dataset_free(raw);
  gt_dataset_free(dir_ds);
}

/* GAUNTLET_FMNIST_DIR redirects fmnist: to another folder. */
static void test_fmnist_env_override(void) {
  char dir[512], path[600];
  uint8_t buf[256];
  make_dir(tmp("data_env_fmnist", dir));
  snprintf(path, sizeof path, "%s/t10k-images-idx3-ubyte.gz", dir);
  GT_CHECK(write_gz(path, buf, idx_images(buf, 5)), "write %s", path);
  snprintf(path, sizeof path, "%s/t10k-labels-idx1-ubyte.gz", dir);
  GT_CHECK(write_gz(path, buf, idx_labels(buf, 5)), "write %s", path);
  setenv("GAUNTLET_FMNIST_DIR", dir, 1);
  gt_error err = {0};
  gt_dataset *ds = NULL;
  GT_CHECK(gt_dataset_load("fmnist:test", &ds, &err) == GT_OK, "%s", err.message);
  if (ds) {
    check_tiny_idx(ds, 5, "env");
    GT_CHECK(ds->n_classes == 4, "n_classes %d", ds->n_classes);
  }
  gt_dataset_free(ds);
  /* No train files there: the error names the missing file. */
  EXPECT_FAIL("fmnist:train", GT_ERR_IO, "train-images-idx3-ubyte.gz", "data_env_fmnist");
  setenv("GAUNTLET_FMNIST_DIR", GT_FMNIST_DIR, 1);
}

/* ---------- CIFAR ---------- */

/* Record r: label, then pixel p of plane ch = (r * 7 + ch * 31 + p) % 256. */
static void cifar_record(uint8_t *rec, int label_bytes, const int *labels, int r) {
  for (int b = 0; b < label_bytes; b++) rec[b] = (uint8_t)labels[b];
  for (int p = 0; p < 3072; p++) rec[label_bytes + p] = (uint8_t)((r * 7 + (p / 1024) * 31 + p) % 256);
}

static int write_cifar(const char *path, int label_bytes, int first_record, int n, const int *labels_per_record) {
  size_t rec = (size_t)(label_bytes + 3072);
  uint8_t *buf = malloc(rec * (size_t)n);
  if (!buf) return 0;
  for (int r = 0; r < n; r++)
    cifar_record(buf + rec * (size_t)r, label_bytes, labels_per_record + label_bytes * r, first_record + r);
  int ok = write_bytes(path, buf, rec * (size_t)n);
  free(buf);
  return ok;
}

static void check_cifar_pixels(const gt_dataset *ds, int64_t i, int record_id) {
  int bad = 0;
  for (int p = 0; p < 3072; p++)
    if (ds->images[i * 3072 + p] != (float)((record_id * 7 + (p / 1024) * 31 + p) % 256) / 255.0f) bad++;
  GT_CHECK(bad == 0, "point %lld: %d pixels differ", (long long)i, bad);
}

static void test_cifar10(void) {
  char dir[512], path[600], spec[600];
  make_dir(tmp("data_cifar10", dir));
  int test_labels[3] = {3, 0, 9};
  snprintf(path, sizeof path, "%s/test_batch.bin", dir);
  GT_CHECK(write_cifar(path, 1, 0, 3, test_labels), "write %s", path);
  /* Train: five batches of 1, 2, 1, 1, 1 records, labels 0..5, record ids 100.. */
  int sizes[5] = {1, 2, 1, 1, 1}, label = 0, id = 100;
  for (int b = 0; b < 5; b++) {
    int labels[2] = {label, label + 1};
    snprintf(path, sizeof path, "%s/data_batch_%d.bin", dir, b + 1);
    GT_CHECK(write_cifar(path, 1, id, sizes[b], labels), "write %s", path);
    label += sizes[b];
    id += sizes[b];
  }
  gt_error err = {0};
  gt_dataset *ds = NULL;
  snprintf(spec, sizeof spec, "cifar10:%s", dir);
  GT_CHECK(gt_dataset_load(spec, &ds, &err) == GT_OK, "%s", err.message);
  if (ds) {
    GT_CHECK(ds->n == 3 && ds->c == 3 && ds->h == 32 && ds->w == 32 && ds->n_classes == 10, "shape/classes");
    for (int i = 0; i < 3 && i < ds->n; i++) {
      GT_CHECK(ds->labels[i] == test_labels[i], "label %d = %d", i, ds->labels[i]);
      check_cifar_pixels(ds, i, i);
    }
  }
  gt_dataset_free(ds);
  ds = NULL;
  snprintf(spec, sizeof spec, "cifar10:%s:train", dir);
  GT_CHECK(gt_dataset_load(spec, &ds, &err) == GT_OK, "%s", err.message);
  if (ds) {
    GT_CHECK(ds->n == 6, "n %lld", (long long)ds->n);
    for (int i = 0; i < 6 && i < ds->n; i++) {
      GT_CHECK(ds->labels[i] == i, "train label %d = %d", i, ds->labels[i]);
      check_cifar_pixels(ds, i, 100 + i);
    }
  }
  gt_dataset_free(ds);
}

static void test_cifar100(void) {
  char dir[512], path[600], spec[600];
  make_dir(tmp("data_cifar100", dir));
  int test_labels[4] = {19, 99, 0, 42}; /* (coarse, fine) pairs */
  int train_labels[2] = {5, 77};
  snprintf(path, sizeof path, "%s/test.bin", dir);
  GT_CHECK(write_cifar(path, 2, 0, 2, test_labels), "write %s", path);
  snprintf(path, sizeof path, "%s/train.bin", dir);
  GT_CHECK(write_cifar(path, 2, 50, 1, train_labels), "write %s", path);
  gt_error err = {0};
  gt_dataset *ds = NULL;
  snprintf(spec, sizeof spec, "cifar100:%s:test", dir);
  GT_CHECK(gt_dataset_load(spec, &ds, &err) == GT_OK, "%s", err.message);
  if (ds) {
    GT_CHECK(ds->n == 2 && ds->c == 3 && ds->n_classes == 100, "n %lld classes %d", (long long)ds->n, ds->n_classes);
    GT_CHECK(ds->n == 2 && ds->labels[0] == 99 && ds->labels[1] == 42, "fine labels kept");
    check_cifar_pixels(ds, 0, 0);
    check_cifar_pixels(ds, 1, 1);
  }
  gt_dataset_free(ds);
  ds = NULL;
  snprintf(spec, sizeof spec, "cifar100:%s:train", dir);
  GT_CHECK(gt_dataset_load(spec, &ds, &err) == GT_OK, "%s", err.message);
  if (ds) {
    GT_CHECK(ds->n == 1 && ds->labels[0] == 77, "train label");
    check_cifar_pixels(ds, 0, 50);
  }
  gt_dataset_free(ds);
}

/* ---------- PNG ---------- */

typedef struct png_spec {
  int w, h, color_type, bit_depth, interlace;
  const uint8_t *samples; /* rows of packed samples as PNG stores them (16-bit big endian) */
  const png_color *palette;
  int n_palette;
} png_spec;

static int write_png(const char *path, const png_spec *s) {
  FILE *f = fopen(path, "wb");
  if (!f) return 0;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
  png_infop info = png ? png_create_info_struct(png) : NULL;
  if (!png || !info || setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    fclose(f);
    return 0;
  }
  png_init_io(png, f);
  png_set_IHDR(png, info, (png_uint_32)s->w, (png_uint_32)s->h, s->bit_depth, s->color_type,
               s->interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  if (s->palette) png_set_PLTE(png, info, s->palette, s->n_palette);
  png_write_info(png, info);
  png_bytep rows[16];
  size_t rowbytes = png_get_rowbytes(png, info);
  for (int y = 0; y < s->h; y++) rows[y] = (png_bytep)(s->samples + (size_t)y * rowbytes);
  png_write_image(png, rows);
  png_write_end(png, NULL);
  png_destroy_write_struct(&png, &info);
  return fclose(f) == 0;
}

/* All-gray tree: 8-bit, 16-bit, gray+alpha and 1-bit images -> one channel. */
/* Writes specs[i] to root/names[i]. */
static void write_pngs(const char *root, const char *const *names, const png_spec *specs, int count) {
  char path[700];
  for (int i = 0; i < count; i++) {
    snprintf(path, sizeof path, "%s/%s", root, names[i]);
    GT_CHECK(write_png(path, &specs[i]), "write %s", path);
  }
}

/* Loads spec and checks its shape, class count and labels [n]; NULL after a failed load. */
static gt_dataset *load_checked(const char *spec, int64_t n, int c, int h, int w, int k, const int *labels) {
  gt_error err = {0};
  gt_dataset *ds = NULL;
  GT_CHECK(gt_dataset_load(spec, &ds, &err) == GT_OK, "%s", err.message);
  if (!ds) return NULL;
  GT_CHECK(ds->n == n && ds->c == c && ds->h == h && ds->w == w && ds->n_classes == k, "n %lld c %d h %d w %d k %d",
           (long long)ds->n, ds->c, ds->h, ds->w, ds->n_classes);
  for (int64_t i = 0; i < n && i < ds->n; i++)
    GT_CHECK(ds->labels[i] == labels[i], "label %lld = %d", (long long)i, ds->labels[i]);
  return ds;
}

/* Loads png:<root> and checks it as load_checked does, and every element against want [n, c*h*w]. */
static void check_png_tree(const char *root, int64_t n, int c, int h, int w, int k, const int *labels,
                           const float *want) {
  char spec[600];
  snprintf(spec, sizeof spec, "png:%s", root);
  gt_dataset *ds = load_checked(spec, n, c, h, w, k, labels);
  if (!ds) return;
  int64_t d = (int64_t)c * h * w;
  for (int64_t i = 0; i < n && i < ds->n; i++)
    for (int64_t e = 0; e < d; e++)
      GT_CHECK(ds->images[i * d + e] == want[i * d + e], "image %lld element %lld: %.9g vs %.9g", (long long)i,
               (long long)e, ds->images[i * d + e], want[i * d + e]);
  gt_dataset_free(ds);
}

static void test_png_gray_tree(void) {
  char root[512], path[700];
  make_dir(tmp("data_png_gray", root));
  snprintf(path, sizeof path, "%s/a_g8", root), make_dir(path);
  snprintf(path, sizeof path, "%s/b_g16", root), make_dir(path);
  snprintf(path, sizeof path, "%s/c_low", root), make_dir(path);
  /* 3 wide, 2 high. */
  static const uint8_t g8[6] = {0, 10, 20, 30, 40, 255};
  static const uint8_t g16[12] = {0, 0, 0, 1, 1, 1, 0xff, 0xff, 0x03, 0xe8, 0x9c, 0x40}; /* 0,1,257,65535,1000,40000 */
  static const uint8_t ga[12] = {5, 255, 6, 0, 7, 128, 8, 1, 9, 2, 10, 3};
  static const uint8_t g1[2] = {0xa0, 0x40}; /* bits 101 / 010 */
  png_spec specs[4] = {{3, 2, PNG_COLOR_TYPE_GRAY, 8, 0, g8, NULL, 0},
                       {3, 2, PNG_COLOR_TYPE_GRAY, 16, 0, g16, NULL, 0},
                       {3, 2, PNG_COLOR_TYPE_GRAY_ALPHA, 8, 0, ga, NULL, 0},
                       {3, 2, PNG_COLOR_TYPE_GRAY, 1, 0, g1, NULL, 0}};
  const char *names[4] = {"a_g8/x.png", "b_g16/x.png", "c_low/a.PNG", "c_low/b.png"};
  write_pngs(root, names, specs, 4);
  snprintf(path, sizeof path, "%s/c_low/notes.txt", root);
  write_bytes(path, "ignored", 7);
  const float want[4][6] = {
      {0, 10 / 255.0f, 20 / 255.0f, 30 / 255.0f, 40 / 255.0f, 1},
      {0, 1 / 65535.0f, 257 / 65535.0f, 1, 1000 / 65535.0f, 40000 / 65535.0f},
      {5 / 255.0f, 6 / 255.0f, 7 / 255.0f, 8 / 255.0f, 9 / 255.0f, 10 / 255.0f},
      {1, 0, 1, 0, 1, 0}};
  const int want_labels[4] = {0, 1, 2, 2};
  check_png_tree(root, 4, 1, 2, 3, 3, want_labels, &want[0][0]);
}

/* Mixed tree: RGB, RGBA, interlaced 16-bit RGB, palette and gray -> three channels. */
static void test_png_mixed_tree(void) {
  char root[512], path[700];
  make_dir(tmp("data_png_mixed", root));
  snprintf(path, sizeof path, "%s/bird", root), make_dir(path);
  snprintf(path, sizeof path, "%s/cat", root), make_dir(path);
  snprintf(path, sizeof path, "%s/.hidden", root), make_dir(path);
  snprintf(path, sizeof path, "%s/README.txt", root);
  write_bytes(path, "not a class", 11);
  /* 2 wide, 2 high. */
  static const uint8_t rgb[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 250, 251, 252};
  static const uint8_t rgba[16] = {10, 20, 30, 0, 40, 50, 60, 255, 70, 80, 90, 7, 100, 110, 120, 9};
  static const uint8_t rgb16[24] = {0, 0, 0, 1, 0, 2, 1, 0, 2, 0, 3, 0, 0xff, 0xff, 0, 0, 0x80, 0, 0, 7, 0, 8, 0, 9};
  static const png_color palette[3] = {{200, 100, 50}, {0, 0, 0}, {255, 128, 1}};
  static const uint8_t pal[4] = {2, 0, 1, 2};
  static const uint8_t gray[4] = {0, 85, 170, 255};
  png_spec specs[5] = {{2, 2, PNG_COLOR_TYPE_RGB, 8, 0, rgb, NULL, 0},
                       {2, 2, PNG_COLOR_TYPE_RGB_ALPHA, 8, 0, rgba, NULL, 0},
                       {2, 2, PNG_COLOR_TYPE_RGB, 16, 1, rgb16, NULL, 0},
                       {2, 2, PNG_COLOR_TYPE_PALETTE, 8, 0, pal, palette, 3},
                       {2, 2, PNG_COLOR_TYPE_GRAY, 8, 0, gray, NULL, 0}};
  const char *names[5] = {"bird/1_rgb.png", "bird/2_rgba.png", "bird/3_rgb16i.png", "cat/a_pal.png", "cat/b_gray.png"};
  write_pngs(root, names, specs, 5);
  /* want[i][channel][pixel] */
  float want[5][3][4];
  for (int p = 0; p < 4; p++)
    for (int k = 0; k < 3; k++) {
      want[0][k][p] = rgb[p * 3 + k] / 255.0f;
      want[1][k][p] = rgba[p * 4 + k] / 255.0f;
      want[2][k][p] = ((rgb16[(p * 3 + k) * 2] << 8) | rgb16[(p * 3 + k) * 2 + 1]) / 65535.0f;
      const png_color *c = &palette[pal[p]];
      want[3][k][p] = (k == 0 ? c->red : k == 1 ? c->green : c->blue) / 255.0f;
      want[4][k][p] = gray[p] / 255.0f;
    }
  const int want_labels[5] = {0, 0, 0, 1, 1};
  check_png_tree(root, 5, 3, 2, 2, 2, want_labels, &want[0][0][0]);
}

/* ---------- NumPy ---------- */

/* A .npy file: the header dict padded to a multiple of 64 bytes, then data. */
static int write_npy(const char *path, int major, const char *dict, const void *data, size_t len) {
  size_t prelude = major == 1 ? 10 : 12, dict_len = strlen(dict);
  size_t total_head = (prelude + dict_len + 1 + 63) / 64 * 64;
  size_t header_len = total_head - prelude;
  uint8_t *buf = malloc(total_head + len);
  if (!buf) return 0;
  memcpy(buf, "\x93NUMPY", 6);
  buf[6] = (uint8_t)major, buf[7] = 0;
  buf[8] = (uint8_t)header_len, buf[9] = (uint8_t)(header_len >> 8);
  if (major != 1) buf[10] = 0, buf[11] = 0;
  memset(buf + prelude, ' ', header_len);
  memcpy(buf + prelude, dict, dict_len);
  buf[total_head - 1] = '\n';
  if (len) memcpy(buf + total_head, data, len);
  int ok = write_bytes(path, buf, total_head + len);
  free(buf);
  return ok;
}

static void put_f32(uint8_t *p, float v) {
  uint32_t bits;
  memcpy(&bits, &v, 4);
  for (int b = 0; b < 4; b++) p[b] = (uint8_t)(bits >> (8 * b));
}

static void put_le(uint8_t *p, int64_t v, int bytes) {
  for (int b = 0; b < bytes; b++) p[b] = (uint8_t)((uint64_t)v >> (8 * b));
}

/* uint8 NCHW [2, 3, 2, 2] with int64 labels: values i / 255 in place. */
static void test_npy_u1_nchw(void) {
  char x[512], y[512], spec[1100];
  uint8_t data[24], labels[16];
  for (int i = 0; i < 24; i++) data[i] = (uint8_t)(i * 11);
  put_le(labels, 7, 8), put_le(labels + 8, 2, 8);
  GT_CHECK(write_npy(tmp("data_u1.npy", x), 1, "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 3, 2, 2), }",
                     data, 24),
           "write");
  GT_CHECK(write_npy(tmp("data_u1_y.npy", y), 1, "{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", labels,
                     16),
           "write");
  snprintf(spec, sizeof spec, "npy:%s,%s", x, y);
  const int want_labels[2] = {7, 2};
  gt_dataset *ds = load_checked(spec, 2, 3, 2, 2, 8, want_labels);
  if (!ds) return;
  for (int i = 0; i < 24; i++)
    GT_CHECK(ds->images[i] == (float)(i * 11) / 255.0f, "value %d: %.9g", i, ds->images[i]);
  gt_dataset_free(ds);
}

/* float32 NHWC [2, 2, 2, 3] (v2 header, keys reordered) with int32 [N, 1] labels: transposed to NCHW. */
static void test_npy_f4_nhwc(void) {
  char x[512], y[512], spec[1100];
  uint8_t data[24 * 4], labels[8];
  for (int i = 0; i < 24; i++) put_f32(data + 4 * i, (float)i / 32.0f);
  put_le(labels, 1, 4), put_le(labels + 4, 0, 4);
  GT_CHECK(write_npy(tmp("data_f4.npy", x), 2, "{'shape': (2, 2, 2, 3), 'fortran_order': False, 'descr': '<f4'}",
                     data, sizeof data),
           "write");
  GT_CHECK(write_npy(tmp("data_f4_y.npy", y), 3, "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 1), }",
                     labels, sizeof labels),
           "write");
  snprintf(spec, sizeof spec, "npy:%s,%s", x, y);
  const int want_labels[2] = {1, 0};
  gt_dataset *ds = load_checked(spec, 2, 3, 2, 2, 2, want_labels);
  if (!ds) return;
  /* File index ((n * 2 + y) * 2 + x) * 3 + ch lands at ((n * 3 + ch) * 2 + y) * 2 + x. */
  for (int n = 0; n < 2; n++)
    for (int ch = 0; ch < 3; ch++)
      for (int p = 0; p < 4; p++) {
        int from = (n * 4 + p) * 3 + ch, to = (n * 3 + ch) * 4 + p;
        GT_CHECK(ds->images[to] == (float)from / 32.0f, "n %d ch %d p %d: %.9g", n, ch, p, ds->images[to]);
      }
  gt_dataset_free(ds);
}

/* Rank 3 [N, H, W] uint8 with int16 and uint8 labels: one channel. */
static void test_npy_rank3(void) {
  char x[512], y[512], spec[1100];
  uint8_t data[12] = {0, 255, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, labels16[6], labels8[3] = {4, 0, 2};
  put_le(labels16, 4, 2), put_le(labels16 + 2, 0, 2), put_le(labels16 + 4, 2, 2);
  GT_CHECK(write_npy(tmp("data_r3.npy", x), 1, "{'descr': '|u1', 'fortran_order': False, 'shape': (3, 2, 2), }",
                     data, 12),
           "write");
  const char *types[2] = {"<i2", "|u1"};
  const uint8_t *blobs[2] = {labels16, labels8};
  for (int t = 0; t < 2; t++) {
    char dict[200];
    snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (3,), }", types[t]);
    GT_CHECK(write_npy(tmp("data_r3_y.npy", y), 1, dict, blobs[t], t ? 3 : 6), "write");
    snprintf(spec, sizeof spec, "npy:%s,%s", x, y);
    gt_error err = {0};
    gt_dataset *ds = NULL;
    GT_CHECK(gt_dataset_load(spec, &ds, &err) == GT_OK, "%s: %s", types[t], err.message);
    if (!ds) continue;
    GT_CHECK(ds->n == 3 && ds->c == 1 && ds->h == 2 && ds->w == 2 && ds->n_classes == 5, "%s: shape", types[t]);
    GT_CHECK(ds->labels[0] == 4 && ds->labels[1] == 0 && ds->labels[2] == 2, "%s: labels", types[t]);
    GT_CHECK(ds->images[1] == 1.0f && ds->images[11] == 10 / 255.0f, "%s: values", types[t]);
    gt_dataset_free(ds);
  }
}

/* ---------- subsets ---------- */

static gt_dataset *tiny_idx_dataset(uint32_t n) {
  char x[512], y[512], spec[1100];
  uint8_t buf[1024];
  write_bytes(tmp("data_sub_x.idx", x), buf, idx_images(buf, n));
  write_bytes(tmp("data_sub_y.idx", y), buf, idx_labels(buf, n));
  snprintf(spec, sizeof spec, "idx:%s,%s", x, y);
  gt_error err = {0};
  gt_dataset *ds = NULL;
  GT_CHECK(gt_dataset_load(spec, &ds, &err) == GT_OK, "%s", err.message);
  return ds;
}

static void test_take_first(void) {
  gt_dataset *ds = tiny_idx_dataset(10);
  if (!ds) return;
  gt_error err = {0};
  GT_CHECK(gt_dataset_take_first(ds, 11, &err) == GT_ERR_USAGE && ds->n == 10, "11 of 10 accepted");
  GT_CHECK(gt_dataset_take_first(ds, -1, &err) == GT_ERR_USAGE, "-1 accepted");
  GT_CHECK(gt_dataset_take_first(ds, 4, &err) == GT_OK, "%s", err.message);
  check_tiny_idx(ds, 4, "first 4");
  GT_CHECK(ds->n_classes == 4, "n_classes kept: %d", ds->n_classes);
  gt_dataset_free(ds);
}

static void test_take_index_file(void) {
  gt_dataset *ds = tiny_idx_dataset(10);
  if (!ds) return;
  char path[512];
  const char *text = "# chosen points\n7\n\n  2   # the third\n\t9\r\n7\n";
  GT_CHECK(write_bytes(tmp("data_idx_ok.txt", path), text, strlen(text)), "write");
  gt_error err = {0};
  GT_CHECK(gt_dataset_take_index_file(ds, path, &err) == GT_OK, "%s", err.message);
  const int want[4] = {7, 2, 9, 7};
  GT_CHECK(ds->n == 4, "n %lld", (long long)ds->n);
  for (int i = 0; i < 4 && i < ds->n; i++) {
    GT_CHECK(ds->labels[i] == want[i] % 4, "label %d", i);
    GT_CHECK(ds->images[i * 6 + 5] == (float)(10 * want[i] + 5) / 255.0f, "image %d", i);
  }
  gt_dataset_free(ds);
}

static void test_bad_index_files(void) {
  gt_dataset *ds = tiny_idx_dataset(10);
  if (!ds) return;
  char path[512];
  struct {
    const char *text, *k1, *k2;
    gt_status code;
  } cases[] = {
      {"1\n2\nthree\n", "line 3", "not an integer", GT_ERR_FORMAT},
      {"1\n# x\n\n12\n", "line 4", "out of range", GT_ERR_FORMAT},
      {"0\n10\n", "line 2", "index 10 is out of range 0..9", GT_ERR_FORMAT},
      {"-1\n", "line 1", "out of range", GT_ERR_FORMAT},
      {"4 5\n", "line 1", "not an integer", GT_ERR_FORMAT},
      {"3.5\n", "line 1", "not an integer", GT_ERR_FORMAT},
      {"99999999999999999999999\n", "line 1", "not an integer", GT_ERR_FORMAT},
      {"# nothing\n\n", "no index", "data_idx_bad.txt", GT_ERR_FORMAT},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    write_bytes(tmp("data_idx_bad.txt", path), cases[i].text, strlen(cases[i].text));
    gt_error err = {0};
    gt_status st = gt_dataset_take_index_file(ds, path, &err);
    GT_CHECK(st == cases[i].code && has_all(err.message, "data_idx_bad.txt", cases[i].k1, cases[i].k2, NULL),
             "case %zu: %s: %s", i, gt_status_name(st), err.message);
    GT_CHECK(ds->n == 10, "case %zu changed the dataset", i);
  }
  gt_error err = {0};
  GT_CHECK(gt_dataset_take_index_file(ds, "/nonexistent/idx.txt", &err) == GT_ERR_IO &&
               strstr(err.message, "/nonexistent/idx.txt"),
           "missing index file: %s", err.message);
  gt_dataset_free(ds);
}

/* ---------- bad inputs ---------- */

static void test_bad_specs(void) {
  EXPECT_FAIL("foo:bar", GT_ERR_USAGE, "unknown scheme 'foo'", "fmnist", "idx", "cifar10", "cifar100", "png", "npy");
  EXPECT_FAIL("fmnist", GT_ERR_USAGE, "scheme:argument", "fmnist");
  EXPECT_FAIL("idx:only_one_path", GT_ERR_USAGE, "comma");
  EXPECT_FAIL("idx:/nonexistent/x.gz,/nonexistent/y.gz", GT_ERR_IO, "/nonexistent/x.gz", "cannot open");
  EXPECT_FAIL("cifar10:/nonexistent/cifar", GT_ERR_IO, "/nonexistent/cifar/test_batch.bin");
  EXPECT_FAIL("png:/nonexistent/tree", GT_ERR_IO, "/nonexistent/tree", "folder");
  EXPECT_FAIL("npy:/nonexistent/x.npy,/nonexistent/y.npy", GT_ERR_IO, "/nonexistent/x.npy");
}

/* Writes `len` bytes as images file data_bad_x.idx with good labels for 3 points; returns the spec. */
static const char *bad_idx_spec(const uint8_t *images, size_t len, int gz, char *spec, size_t size) {
  char x[512], y[512];
  uint8_t buf[64];
  tmp(gz ? "data_bad_x.idx.gz" : "data_bad_x.idx", x);
  if (gz) write_gz(x, images, len);
  else write_bytes(x, images, len);
  write_bytes(tmp("data_bad_y.idx", y), buf, idx_labels(buf, 3));
  snprintf(spec, size, "idx:%s,%s", x, y);
  return spec;
}

static void test_bad_idx(void) {
  char spec[1100];
  uint8_t buf[256];
  size_t len = idx_images(buf, 3);

  buf[0] = 0x12;
  EXPECT_FAIL(bad_idx_spec(buf, len, 0, spec, sizeof spec), GT_ERR_FORMAT, "data_bad_x.idx", "bad magic", "offset 0");
  buf[0] = 0;
  buf[2] = 0x0D;
  EXPECT_FAIL(bad_idx_spec(buf, len, 1, spec, sizeof spec), GT_ERR_UNSUPPORTED, "data_bad_x.idx.gz", "dtype code 0x0d",
              "float32");
  buf[2] = 0x07;
  EXPECT_FAIL(bad_idx_spec(buf, len, 0, spec, sizeof spec), GT_ERR_FORMAT, "data_bad_x.idx", "unknown dtype code 0x07");
  buf[2] = 0x08;
  buf[3] = 2;
  EXPECT_FAIL(bad_idx_spec(buf, len, 0, spec, sizeof spec), GT_ERR_FORMAT, "data_bad_x.idx", "rank 2", "expected 3");
  buf[3] = 3;

  /* Truncated: inside the magic, inside the dims, inside the data (raw and gzipped). */
  EXPECT_FAIL(bad_idx_spec(buf, 3, 0, spec, sizeof spec), GT_ERR_FORMAT, "data_bad_x.idx", "truncated header");
  EXPECT_FAIL(bad_idx_spec(buf, 10, 0, spec, sizeof spec), GT_ERR_FORMAT, "data_bad_x.idx", "truncated header",
              "offset 10");
  EXPECT_FAIL(bad_idx_spec(buf, len - 1, 0, spec, sizeof spec), GT_ERR_FORMAT, "data_bad_x.idx", "truncated data",
              "offset 33", "34 bytes");
  EXPECT_FAIL(bad_idx_spec(buf, len - 5, 1, spec, sizeof spec), GT_ERR_FORMAT, "data_bad_x.idx.gz", "(gzip)",
              "truncated data");
  /* Data after the end the header describes. */
  buf[len] = 1;
  EXPECT_FAIL(bad_idx_spec(buf, len + 1, 0, spec, sizeof spec), GT_ERR_FORMAT, "data_bad_x.idx", "offset 34",
              "unexpected data");

  /* Absurd dimensions: one beyond the dimension cap, and a product beyond the element cap. */
  uint32_t huge[3] = {0xffffffffu, 28, 28}, wide[3] = {100000, 1000, 1000};
  size_t hl = idx_header(buf, 0x08, 3, huge);
  EXPECT_FAIL(bad_idx_spec(buf, hl, 0, spec, sizeof spec), GT_ERR_LIMIT, "data_bad_x.idx", "dimension 0");
  hl = idx_header(buf, 0x08, 3, wide);
  EXPECT_FAIL(bad_idx_spec(buf, hl, 0, spec, sizeof spec), GT_ERR_LIMIT, "data_bad_x.idx", "more than");
  uint32_t none[3] = {0, 28, 28};
  hl = idx_header(buf, 0x08, 3, none);
  EXPECT_FAIL(bad_idx_spec(buf, hl, 0, spec, sizeof spec), GT_ERR_FORMAT, "data_bad_x.idx", "empty");

  /* Count mismatch: 4 images, 3 labels. */
  len = idx_images(buf, 4);
  EXPECT_FAIL(bad_idx_spec(buf, len, 0, spec, sizeof spec), GT_ERR_SHAPE, "data_bad_x.idx", "data_bad_y.idx",
              "4 images", "3 labels");
}

/* A gzip stream whose deflate data is damaged: a zlib error, reported as corrupt gzip. */
static void test_bad_gzip(void) {
  char x[512], y[512], spec[1100];
  uint8_t images[16 + 50 * 6], labels[64];
  size_t len = idx_images(images, 50);
  write_gz(tmp("data_corrupt.idx.gz", x), images, len);
  write_bytes(tmp("data_corrupt_y.idx", y), labels, idx_labels(labels, 50));
  size_t gz_len = 0;
  FILE *f = fopen(x, "rb");
  uint8_t gz[1024];
  if (f) {
    gz_len = fread(gz, 1, sizeof gz, f);
    fclose(f);
  }
  GT_CHECK(gz_len > 30, "gzip file of %zu bytes", gz_len);
  for (size_t i = 12; i + 8 < gz_len; i += 3) gz[i] ^= 0x5a; /* leave the gzip header, scramble the rest */
  write_bytes(x, gz, gz_len);
  snprintf(spec, sizeof spec, "idx:%s,%s", x, y);
  EXPECT_FAIL(spec, GT_ERR_FORMAT, "data_corrupt.idx.gz", "gzip");
}

static void test_bad_cifar(void) {
  char dir[512], path[600], spec[600];
  make_dir(tmp("data_cifar_bad", dir));
  snprintf(path, sizeof path, "%s/test_batch.bin", dir);
  snprintf(spec, sizeof spec, "cifar10:%s", dir);
  int labels[3] = {1, 10, 2};
  GT_CHECK(write_cifar(path, 1, 0, 3, labels), "write");
  EXPECT_FAIL(spec, GT_ERR_FORMAT, "test_batch.bin", "record 1", "offset 3073", "label 10", "0..9");
  /* Truncated: two whole records and 100 bytes. */
  labels[1] = 4;
  GT_CHECK(write_cifar(path, 1, 0, 3, labels), "write");
  GT_CHECK(truncate(path, 3073 * 2 + 100) == 0, "truncate");
  EXPECT_FAIL(spec, GT_ERR_FORMAT, "test_batch.bin", "truncated", "record 2", "offset 6146");
  GT_CHECK(write_bytes(path, "", 0), "write");
  EXPECT_FAIL(spec, GT_ERR_FORMAT, "test_batch.bin", "empty");
  /* CIFAR-100: fine label beyond 99, coarse beyond 19. */
  int l100[2] = {3, 100};
  snprintf(path, sizeof path, "%s/test.bin", dir);
  GT_CHECK(write_cifar(path, 2, 0, 1, l100), "write");
  snprintf(spec, sizeof spec, "cifar100:%s", dir);
  EXPECT_FAIL(spec, GT_ERR_FORMAT, "test.bin", "record 0", "label 100", "0..99");
  l100[0] = 20, l100[1] = 5;
  GT_CHECK(write_cifar(path, 2, 0, 1, l100), "write");
  EXPECT_FAIL(spec, GT_ERR_FORMAT, "test.bin", "record 0", "coarse label 20");
  /* The train split needs all five batches. */
  snprintf(spec, sizeof spec, "cifar10:%s:train", dir);
  EXPECT_FAIL(spec, GT_ERR_IO, "data_batch_1.bin");
}

static const uint8_t g2x2[4] = {1, 2, 3, 4};

static void test_bad_png(void) {
  char root[512], path[700], spec[600];
  png_spec small = {2, 2, PNG_COLOR_TYPE_GRAY, 8, 0, g2x2, NULL, 0};
  static const uint8_t g3x2[6] = {0};
  png_spec wide = {3, 2, PNG_COLOR_TYPE_GRAY, 8, 0, g3x2, NULL, 0};

  /* Empty root; then a class folder with no .png in it. */
  make_dir(tmp("data_png_empty", root));
  snprintf(path, sizeof path, "%s/cls", root);
  rmdir(path); /* left by an earlier run */
  snprintf(spec, sizeof spec, "png:%s", root);
  EXPECT_FAIL(spec, GT_ERR_FORMAT, "data_png_empty", "empty png folder", "no class folders");
  snprintf(path, sizeof path, "%s/cls", root), make_dir(path);
  EXPECT_FAIL(spec, GT_ERR_FORMAT, "data_png_empty", "empty png folder", "no .png images");

  /* Wrong size: the second image is 3x2 where the first is 2x2. */
  make_dir(tmp("data_png_size", root));
  snprintf(path, sizeof path, "%s/a", root), make_dir(path);
  snprintf(path, sizeof path, "%s/a/1.png", root);
  GT_CHECK(write_png(path, &small), "write");
  snprintf(path, sizeof path, "%s/a/2.png", root);
  GT_CHECK(write_png(path, &wide), "write");
  snprintf(spec, sizeof spec, "png:%s", root);
  EXPECT_FAIL(spec, GT_ERR_SHAPE, "data_png_size/a/2.png", "wrong size", "3x2", "data_png_size/a/1.png");

  /* Corrupt: not a PNG; truncated inside the image data; a damaged CRC. */
  make_dir(tmp("data_png_corrupt", root));
  snprintf(path, sizeof path, "%s/a", root), make_dir(path);
  snprintf(path, sizeof path, "%s/a/x.png", root);
  snprintf(spec, sizeof spec, "png:%s", root);
  write_bytes(path, "hello, not a png", 16);
  EXPECT_FAIL(spec, GT_ERR_FORMAT, "data_png_corrupt/a/x.png", "corrupt png", "signature");
  GT_CHECK(write_png(path, &small), "write");
  uint8_t bytes[4096];
  FILE *f = fopen(path, "rb");
  size_t n = f ? fread(bytes, 1, sizeof bytes, f) : 0;
  if (f) fclose(f);
  GT_CHECK(n > 60, "png of %zu bytes", n);
  write_bytes(path, bytes, 8 + 25 + 12); /* signature, IHDR, the IDAT chunk header and 4 bytes: cut */
  EXPECT_FAIL(spec, GT_ERR_FORMAT, "data_png_corrupt/a/x.png", "corrupt png", "truncated", "offset 45");
  bytes[8 + 25 + 10] ^= 0xff; /* a byte of the IDAT chunk body: its CRC no longer matches */
  write_bytes(path, bytes, n);
  EXPECT_FAIL(spec, GT_ERR_FORMAT, "data_png_corrupt/a/x.png", "corrupt png");
  bytes[8 + 25 + 10] ^= 0xff;
  bytes[16] = 0x7f; /* IHDR width 0x7f000002: beyond libpng's limits (also a CRC mismatch) */
  write_bytes(path, bytes, n);
  EXPECT_FAIL(spec, GT_ERR_FORMAT, "data_png_corrupt/a/x.png", "corrupt png");
}

/* Writes images x (dict, data) and labels y (dict, data); returns the spec. */
static const char *npy_pair(const char *x_dict, const void *x, size_t x_len, const char *y_dict, const void *y,
                            size_t y_len, char *spec, size_t size) {
  char px[512], py[512];
  write_npy(tmp("data_bad_x.npy", px), 1, x_dict, x, x_len);
  write_npy(tmp("data_bad_y.npy", py), 1, y_dict, y, y_len);
  snprintf(spec, size, "npy:%s,%s", px, py);
  return spec;
}

static void test_bad_npy_header(void) {
  char spec[1100], px[512];
  uint8_t x[8] = {0}, y[16] = {0};
  const char *ydict = "{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }";
  struct {
    const char *dict, *k1, *k2;
  } cases[] = {
      {"{'descr': '|u1', 'fortran_order': Maybe, 'shape': (2, 2, 2), }", "malformed npy header", "True or False"},
      {"{'descr': '|u1', 'fortran_order': False, }", "malformed npy header", "missing key 'shape'"},
      {"{'descr': '|u1', 'fortran_order': False, 'shape': (2, 2, 2), 'extra': 1}", "malformed npy header",
       "unexpected key"},
      {"{'descr': '|u1', 'descr': '|u1', 'fortran_order': False, 'shape': (2, 2, 2)}", "malformed npy header",
       "repeated key"},
      {"{'descr': '|u1', 'fortran_order': False, 'shape': (2, x, 2), }", "malformed npy header", "integer"},
      {"{'descr': '|u1', 'fortran_order': False, 'shape': (2, 2, 2) junk", "malformed npy header", "offset"},
      {"{'descr': '|u1, 'fortran_order': False, 'shape': (2, 2, 2)}", "malformed npy header", "offset"},
      {"{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,)}", "malformed npy header", "structured"},
      {"{'descr': '|u1', 'fortran_order': False, 'shape': (2, 99999999999, 2), }", "malformed npy header",
       "absurdly large"},
      {"[1, 2]", "malformed npy header", "offset 10"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    EXPECT_FAIL(npy_pair(cases[i].dict, x, 8, ydict, y, 16, spec, sizeof spec), GT_ERR_FORMAT, "data_bad_x.npy",
                cases[i].k1, cases[i].k2);

  /* Supported syntax, unsupported content. */
  EXPECT_FAIL(npy_pair("{'descr': '|u1', 'fortran_order': True, 'shape': (2, 2, 2), }", x, 8, ydict, y, 16, spec,
                       sizeof spec),
              GT_ERR_UNSUPPORTED, "data_bad_x.npy", "fortran_order");
  EXPECT_FAIL(npy_pair("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2, 2), }", x, 8, ydict, y, 16, spec,
                       sizeof spec),
              GT_ERR_UNSUPPORTED, "data_bad_x.npy", "dtype '<f8'", "'<f4'");
  EXPECT_FAIL(npy_pair("{'descr': '|u1', 'fortran_order': False, 'shape': (2, 2, 2), }", x, 8,
                       "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", y, 8, spec, sizeof spec),
              GT_ERR_UNSUPPORTED, "data_bad_y.npy", "dtype '<f4'", "'<i8'");
  EXPECT_FAIL(npy_pair("{'descr': '|u1', 'fortran_order': False, 'shape': (8,), }", x, 8, ydict, y, 16, spec,
                       sizeof spec),
              GT_ERR_SHAPE, "data_bad_x.npy", "rank 3");

  /* Bad magic, unknown version, a header length beyond the file. */
  npy_pair("{'descr': '|u1', 'fortran_order': False, 'shape': (2, 2, 2), }", x, 8, ydict, y, 16, spec, sizeof spec);
  tmp("data_bad_x.npy", px);
  uint8_t raw[200];
  FILE *f = fopen(px, "rb");
  size_t n = f ? fread(raw, 1, sizeof raw, f) : 0;
  if (f) fclose(f);
  GT_CHECK(n == 128 + 8, "npy of %zu bytes", n); /* 10 + 60-char dict + newline, padded to 128 */
  raw[1] = 'X';
  write_bytes(px, raw, n);
  EXPECT_FAIL(spec, GT_ERR_FORMAT, "data_bad_x.npy", "bad magic");
  raw[1] = 'N', raw[6] = 4;
  write_bytes(px, raw, n);
  EXPECT_FAIL(spec, GT_ERR_UNSUPPORTED, "data_bad_x.npy", "version 4.0");
  raw[6] = 1, raw[9] = 0x10; /* header length 0x1036 > file */
  write_bytes(px, raw, n);
  EXPECT_FAIL(spec, GT_ERR_FORMAT, "data_bad_x.npy", "truncated npy header");
  write_bytes(px, raw, 7);
  EXPECT_FAIL(spec, GT_ERR_FORMAT, "data_bad_x.npy", "truncated npy header");
}

static void test_bad_npy_content(void) {
  char spec[1100];
  uint8_t x[4 * 8], y[24] = {0}; /* 16 bytes of labels, and room for one extra byte */
  const char *xdict_u1 = "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 2, 2), }";
  const char *ydict = "{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }";
  memset(x, 0, sizeof x);
  put_le(y, 0, 8), put_le(y + 8, 1, 8);

  /* Sizes against file length: short data, extra data. */
  EXPECT_FAIL(npy_pair(xdict_u1, x, 7, ydict, y, 16, spec, sizeof spec), GT_ERR_FORMAT, "data_bad_x.npy",
              "npy sizes do not match the file length", "needs 8 bytes", "has 7", "truncated");
  EXPECT_FAIL(npy_pair(xdict_u1, x, 8, ydict, y, 17, spec, sizeof spec), GT_ERR_FORMAT, "data_bad_y.npy",
              "file length", "extra bytes");
  /* Absurd shape: beyond the element cap. */
  EXPECT_FAIL(npy_pair("{'descr': '|u1', 'fortran_order': False, 'shape': (100000, 1000, 1000), }", x, 8, ydict, y,
                       16, spec, sizeof spec),
              GT_ERR_LIMIT, "data_bad_x.npy", "more than");
  /* Labels: negative, too large; counts that differ. */
  put_le(y + 8, -1, 8);
  EXPECT_FAIL(npy_pair(xdict_u1, x, 8, ydict, y, 16, spec, sizeof spec), GT_ERR_FORMAT, "data_bad_y.npy",
              "label -1 at index 1", "0..255");
  put_le(y + 8, 300, 8);
  EXPECT_FAIL(npy_pair(xdict_u1, x, 8, ydict, y, 16, spec, sizeof spec), GT_ERR_FORMAT, "data_bad_y.npy",
              "label 300 at index 1");
  put_le(y + 8, 1, 8);
  EXPECT_FAIL(npy_pair(xdict_u1, x, 8, "{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }", y, 8, spec,
                       sizeof spec),
              GT_ERR_SHAPE, "data_bad_x.npy", "data_bad_y.npy", "2 images", "1 labels");
  /* float32 outside [0,1]: 1.5 at flat index 5, then NaN at 6. */
  const char *xdict_f4 = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2, 2), }";
  for (int i = 0; i < 8; i++) put_f32(x + 4 * i, 0.25f);
  put_f32(x + 4 * 5, 1.5f);
  EXPECT_FAIL(npy_pair(xdict_f4, x, 32, ydict, y, 16, spec, sizeof spec), GT_ERR_FORMAT, "data_bad_x.npy",
              "flat index 5", "outside [0,1]");
  put_f32(x + 4 * 5, 1.0f);
  put_f32(x + 4 * 6, NAN);
  EXPECT_FAIL(npy_pair(xdict_f4, x, 32, ydict, y, 16, spec, sizeof spec), GT_ERR_FORMAT, "data_bad_x.npy",
              "flat index 6", "outside [0,1]");
  put_f32(x + 4 * 6, -0.0f);
  gt_error err = {0};
  gt_dataset *ds = NULL;
  GT_CHECK(gt_dataset_load(npy_pair(xdict_f4, x, 32, ydict, y, 16, spec, sizeof spec), &ds, &err) == GT_OK,
           "values within [0,1] rejected: %s", err.message);
  gt_dataset_free(ds);
}

int main(void) {
  gt_test_run("fmnist_test", test_fmnist_test);
  gt_test_run("fmnist_train", test_fmnist_train);
  gt_test_run("idx_gz_and_raw_agree", test_idx_gz_and_raw_agree);
  gt_test_run("fmnist_env_override", test_fmnist_env_override);
  gt_test_run("cifar10", test_cifar10);
  gt_test_run("cifar100", test_cifar100);
  gt_test_run("png_gray_tree", test_png_gray_tree);
  gt_test_run("png_mixed_tree", test_png_mixed_tree);
  gt_test_run("npy_u1_nchw", test_npy_u1_nchw);
  gt_test_run("npy_f4_nhwc", test_npy_f4_nhwc);
  gt_test_run("npy_rank3", test_npy_rank3);
  gt_test_run("take_first", test_take_first);
  gt_test_run("take_index_file", test_take_index_file);
  gt_test_run("bad_index_files", test_bad_index_files);
  gt_test_run("bad_specs", test_bad_specs);
  gt_test_run("bad_idx", test_bad_idx);
  gt_test_run("bad_gzip", test_bad_gzip);
  gt_test_run("bad_cifar", test_bad_cifar);
  gt_test_run("bad_png", test_bad_png);
  gt_test_run("bad_npy_header", test_bad_npy_header);
  gt_test_run("bad_npy_content", test_bad_npy_content);
  return gt_test_finish();
}

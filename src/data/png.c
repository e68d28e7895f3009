/* A folder of class folders of PNG images: DIR/<class>/<image>.png.
 *
 * Classes are the sub-folders of DIR in byte-wise sorted name order (label = position); images
 * are the *.png files (any case) of each class folder in sorted name order; names starting with
 * '.' are skipped. Two passes: the first reads only the headers (size, colour), so that a size
 * mismatch is found before decoding and the channel count is known (1 if every image is gray,
 * else 3 with gray images repeated into R, G, B); the second decodes into the dataset. Palette
 * images are expanded, low bit depths widened, alpha dropped; 16-bit samples are scaled by 1/65535. */
#include <dirent.h>
#include <errno.h>
#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "data/loaders.h"
#include "gauntlet/tensor.h"

typedef struct png_entry {
  char *path;
  int label;
} png_entry;

typedef struct png_entries {
  png_entry *items;
  int64_t n, cap;
} png_entries;

/* One libpng read. Everything that changes between setjmp and a libpng error lives here, in the
 * caller's memory, so none of it is an indeterminate local after the longjmp. */
typedef struct png_job {
  const char *path;
  FILE *f;
  png_structp png;
  png_infop info;
  uint8_t *pixels;
  png_bytep *rows;
  int out_of_memory;
  uint32_t width, height;
  uint32_t want_width, want_height; /* when decoding: the size the first pass saw */
  int is_color;
  int64_t offset;     /* bytes read so far, for truncation messages */
  char read_note[96]; /* a short-read message handed to png_error */
  char message[200];
} png_job;

/* libpng's reader, counting bytes so that a short file is reported with its length. */
static void png_on_read(png_structp png, png_bytep data, size_t len) {
  png_job *job = png_get_io_ptr(png);
  size_t got = fread(data, 1, len, job->f);
  job->offset += (int64_t)got;
  if (got != len) {
    if (ferror(job->f))
      snprintf(job->read_note, sizeof job->read_note, "read error at offset %lld", (long long)job->offset);
    else
      snprintf(job->read_note, sizeof job->read_note, "truncated: the file ends at offset %lld",
               (long long)job->offset);
    png_error(png, job->read_note);
  }
}

static void png_on_error(png_structp png, png_const_charp msg) {
  png_job *job = png_get_error_ptr(png);
  snprintf(job->message, sizeof job->message, "%s", msg ? msg : "unknown libpng error");
  png_longjmp(png, 1);
}

static void png_on_warning(png_structp png, png_const_charp msg) {
  /* Library code never prints; warnings (e.g. a bad ancillary chunk) do not stop the read. */
}

static float png_sample(const uint8_t *p, int depth16) {
  return depth16 ? (float)((p[0] << 8) | p[1]) / 65535.0f : (float)p[0] / 255.0f;
}

/* Decoded rows [height][width * channels samples] into dst [c_out, h, w]. */
static void png_convert(const png_job *job, int channels, int depth16, int c_out, float *dst) {
  size_t hw = (size_t)job->width * job->height;
  int bytes = depth16 ? 2 : 1;
  int color = channels >= 3;
  for (uint32_t y = 0; y < job->height; y++) {
    const uint8_t *row = job->rows[y];
    for (uint32_t x = 0; x < job->width; x++) {
      const uint8_t *px = row + (size_t)x * channels * bytes;
      size_t at = (size_t)y * job->width + x;
      for (int k = 0; k < c_out; k++) dst[k * hw + at] = png_sample(px + (color ? k * bytes : 0), depth16);
    }
  }
}

/* The libpng part: returns 0 on a libpng error (message in job->message) or when out of memory.
 * With dst NULL only the header is read. */
static int png_run(png_job *job, int c_out, float *dst) {
  if (setjmp(png_jmpbuf(job->png))) return 0;
  png_set_read_fn(job->png, job, png_on_read);
  png_set_sig_bytes(job->png, 8);
  png_read_info(job->png, job->info);
  job->width = png_get_image_width(job->png, job->info);
  job->height = png_get_image_height(job->png, job->info);
  int color_type = png_get_color_type(job->png, job->info);
  int bit_depth = png_get_bit_depth(job->png, job->info);
  job->is_color = (color_type & PNG_COLOR_MASK_COLOR) != 0;
  if (!dst) return 1;
  /* The file may have changed since the first pass; never write past this image's slot. */
  if (job->width != job->want_width || job->height != job->want_height)
    png_error(job->png, "the image size changed since the folder was first scanned");
  if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(job->png);
  if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(job->png);
  png_set_interlace_handling(job->png);
  png_read_update_info(job->png, job->info);
  int channels = png_get_channels(job->png, job->info);
  int depth16 = png_get_bit_depth(job->png, job->info) == 16;
  size_t rowbytes = png_get_rowbytes(job->png, job->info);
  job->pixels = malloc(rowbytes * job->height);
  job->rows = malloc(sizeof *job->rows * job->height);
  if (!job->pixels || !job->rows) {
    job->out_of_memory = 1;
    return 0;
  }
  for (uint32_t y = 0; y < job->height; y++) job->rows[y] = job->pixels + (size_t)y * rowbytes;
  png_read_image(job->png, job->rows);
  png_read_end(job->png, NULL);
  png_convert(job, channels, depth16, c_out, dst);
  return 1;
}

/* Reads one file: its header into job (dst NULL), or the whole image, which must be w x h,
 * into dst [c_out, h, w]. */
static gt_status png_read_one(png_job *job, const char *path, uint32_t w, uint32_t h, int c_out, float *dst,
                              gt_error *err) {
  memset(job, 0, sizeof *job);
  job->path = path;
  job->offset = 8;
  job->want_width = w;
  job->want_height = h;
  job->f = fopen(path, "rb");
  if (!job->f) return gt_error_set(err, GT_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
  uint8_t sig[8];
  if (fread(sig, 1, sizeof sig, job->f) != sizeof sig || png_sig_cmp(sig, 0, sizeof sig) != 0) {
    fclose(job->f);
    return gt_error_set(err, GT_ERR_FORMAT, "%s: corrupt png: bad signature at offset 0 (not a PNG file)", path);
  }
  job->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, job, png_on_error, png_on_warning);
  job->info = job->png ? png_create_info_struct(job->png) : NULL;
  gt_status st = GT_OK;
  if (!job->png || !job->info)
    st = gt_error_set(err, GT_ERR_MEMORY, "%s: out of memory for libpng", path);
  else if (!png_run(job, c_out, dst))
    st = job->out_of_memory ? gt_error_set(err, GT_ERR_MEMORY, "%s: out of memory for a %ux%u image", path,
                                           (unsigned)job->width, (unsigned)job->height)
                            : gt_error_set(err, GT_ERR_FORMAT, "%s: corrupt png: %s", path, job->message);
  png_destroy_read_struct(&job->png, job->info ? &job->info : NULL, NULL);
  free(job->pixels);
  free(job->rows);
  fclose(job->f);
  return st;
}

static char *path_join(const char *dir, const char *name) {
  size_t len = strlen(dir) + strlen(name) + 2;
  char *p = malloc(len);
  if (p) snprintf(p, len, "%s/%s", dir, name);
  return p;
}

static int compare_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static int is_png_name(const char *name) {
  size_t len = strlen(name);
  return len > 4 && !strcasecmp(name + len - 4, ".png");
}

static void free_names(char **names, int64_t n) {
  for (int64_t i = 0; i < n; i++) free(names[i]);
  free(names);
}

/* Sorted names in dir of sub-folders (want_dirs) or of regular *.png files; dot names skipped. */
static gt_status list_sorted(const char *dir, int want_dirs, char ***out, int64_t *count, gt_error *err) {
  DIR *d = opendir(dir);
  if (!d) return gt_error_set(err, GT_ERR_IO, "%s: cannot open folder: %s", dir, strerror(errno));
  char **names = NULL;
  int64_t n = 0, cap = 0;
  gt_status st = GT_OK;
  struct dirent *e;
  while (st == GT_OK && (e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.' || (!want_dirs && !is_png_name(e->d_name))) continue;
    char *full = path_join(dir, e->d_name);
    struct stat sb;
    int keep = full && stat(full, &sb) == 0 && (want_dirs ? S_ISDIR(sb.st_mode) : S_ISREG(sb.st_mode));
    free(full);
    if (!keep) continue;
    if (n == cap) {
      int64_t grown = cap ? cap * 2 : 64;
      char **bigger = realloc(names, (size_t)grown * sizeof *bigger);
      if (!bigger) {
        st = gt_error_set(err, GT_ERR_MEMORY, "%s: out of memory listing the folder", dir);
        break;
      }
      names = bigger;
      cap = grown;
    }
    names[n] = strdup(e->d_name);
    if (!names[n]) st = gt_error_set(err, GT_ERR_MEMORY, "%s: out of memory listing the folder", dir);
    else n++;
  }
  closedir(d);
  if (st != GT_OK) {
    free_names(names, n);
    return st;
  }
  if (n) qsort(names, (size_t)n, sizeof *names, compare_names);
  *out = names;
  *count = n;
  return GT_OK;
}

static gt_status entries_add(png_entries *list, const char *dir, const char *name, int label, gt_error *err) {
  if (list->n == list->cap) {
    int64_t grown = list->cap ? list->cap * 2 : 256;
    png_entry *bigger = realloc(list->items, (size_t)grown * sizeof *bigger);
    if (!bigger) return gt_error_set(err, GT_ERR_MEMORY, "%s: out of memory listing images", dir);
    list->items = bigger;
    list->cap = grown;
  }
  char *path = path_join(dir, name);
  if (!path) return gt_error_set(err, GT_ERR_MEMORY, "%s: out of memory listing images", dir);
  list->items[list->n++] = (png_entry){path, label};
  return GT_OK;
}

/* All images of all classes, in label order then name order; *n_classes the class-folder count. */
static gt_status collect_entries(const char *dir, png_entries *list, int *n_classes, gt_error *err) {
  char **classes = NULL;
  int64_t n_dirs = 0;
  gt_status st = list_sorted(dir, 1, &classes, &n_dirs, err);
  if (st != GT_OK) return st;
  if (n_dirs == 0)
    st = gt_error_set(err, GT_ERR_FORMAT, "%s: empty png folder: no class folders (expected %s/<class>/<image>.png)",
                      dir, dir);
  else if (n_dirs > GT_DATASET_MAX_CLASSES)
    st = gt_error_set(err, GT_ERR_LIMIT, "%s: %lld class folders, more than the cap of %d", dir, (long long)n_dirs,
                      GT_DATASET_MAX_CLASSES);
  for (int64_t k = 0; k < n_dirs && st == GT_OK; k++) {
    char *class_dir = path_join(dir, classes[k]);
    char **images = NULL;
    int64_t n_images = 0;
    st = class_dir ? list_sorted(class_dir, 0, &images, &n_images, err)
                   : gt_error_set(err, GT_ERR_MEMORY, "%s: out of memory", dir);
    for (int64_t i = 0; i < n_images && st == GT_OK; i++) st = entries_add(list, class_dir, images[i], (int)k, err);
    if (st == GT_OK && list->n > GT_MAX_DIM_SIZE)
      st = gt_error_set(err, GT_ERR_LIMIT, "%s: more than %lld images", dir, (long long)GT_MAX_DIM_SIZE);
    free_names(images, n_images);
    free(class_dir);
  }
  if (st == GT_OK && list->n == 0)
    st = gt_error_set(err, GT_ERR_FORMAT, "%s: empty png folder: no .png images in its %lld class folders", dir,
                      (long long)n_dirs);
  *n_classes = (int)n_dirs;
  free_names(classes, n_dirs);
  return st;
}

/* First pass: every header; one size for all; colour if any image has colour. */
static gt_status probe_all(const png_entries *list, uint32_t *w, uint32_t *h, int *any_color, gt_error *err) {
  png_job job;
  *any_color = 0;
  for (int64_t i = 0; i < list->n; i++) {
    gt_status st = png_read_one(&job, list->items[i].path, 0, 0, 1, NULL, err);
    if (st != GT_OK) return st;
    if (i == 0) {
      *w = job.width;
      *h = job.height;
    } else if (job.width != *w || job.height != *h) {
      return gt_error_set(err, GT_ERR_SHAPE,
                          "%s: png of the wrong size: %ux%u (width x height), but the first image %s is %ux%u",
                          list->items[i].path, (unsigned)job.width, (unsigned)job.height, list->items[0].path,
                          (unsigned)*w, (unsigned)*h);
    }
    *any_color |= job.is_color;
  }
  return GT_OK;
}

gt_status gt_data_load_png(const char *dir, gt_dataset **out, gt_error *err) {
  png_entries list = {0};
  int n_classes = 0, any_color = 0;
  uint32_t w = 0, h = 0;
  gt_dataset *ds = NULL;
  gt_status st = collect_entries(dir, &list, &n_classes, err);
  if (st == GT_OK) st = probe_all(&list, &w, &h, &any_color, err);
  int c = any_color ? 3 : 1;
  if (st == GT_OK) st = gt_data_alloc(list.n, c, h, w, dir, &ds, err);
  png_job job;
  for (int64_t i = 0; i < list.n && st == GT_OK; i++) {
    st = png_read_one(&job, list.items[i].path, w, h, c, ds->images + i * c * (int64_t)h * w, err);
    if (st == GT_OK) ds->labels[i] = list.items[i].label;
  }
  for (int64_t i = 0; i < list.n; i++) free(list.items[i].path);
  free(list.items);
  if (st != GT_OK) {
    gt_dataset_free(ds);
    return st;
  }
  ds->n_classes = n_classes;
  *out = ds;
  return GT_OK;
}

/* CIFAR-10 / CIFAR-100 binary batches.
 *
 * A batch is a sequence of fixed-size records, with no header:
 *   CIFAR-10:  1 label byte (0..9),                                   then 3072 image bytes
 *   CIFAR-100: 1 coarse label byte (0..19), 1 fine label byte (0..99), then 3072 image bytes
 * The image bytes are already [3, 32, 32] planes (R, then G, then B), i.e. CHW as we store it. */
#include <stdlib.h>
#include <string.h>

#include "data/loaders.h"

#define CIFAR_SIDE 32
#define CIFAR_PIXELS (3 * CIFAR_SIDE * CIFAR_SIDE)
#define CIFAR_CHUNK_RECORDS 1024
#define CIFAR_MAX_FILES 5

typedef struct cifar_format {
  int label_bytes;  /* 1 or 2 */
  int n_classes;    /* of the label we keep: the last label byte */
  int n_coarse;     /* CIFAR-100's first byte, checked but not kept */
} cifar_format;

/* Checks one file's size against the record size; *records is how many it holds. */
static gt_status cifar_count(const char *path, int64_t size, int64_t record, int64_t *records, gt_error *err) {
  if (size == 0)
    return gt_error_set(err, GT_ERR_FORMAT, "%s: empty file, no %lld-byte records", path, (long long)record);
  if (size % record != 0)
    return gt_error_set(err, GT_ERR_FORMAT,
                        "%s: truncated: %lld bytes is not a whole number of %lld-byte records (record %lld at offset "
                        "%lld is cut short)",
                        path, (long long)size, (long long)record, (long long)(size / record),
                        (long long)(size / record * record));
  *records = size / record;
  return GT_OK;
}

/* Reads one file's records into ds from point `first` on. */
static gt_status cifar_read(FILE *f, const char *path, const cifar_format *fmt, int64_t records, gt_dataset *ds,
                            int64_t first, uint8_t *chunk, gt_error *err) {
  int64_t record = fmt->label_bytes + CIFAR_PIXELS;
  for (int64_t done = 0; done < records;) {
    int64_t want = records - done < CIFAR_CHUNK_RECORDS ? records - done : CIFAR_CHUNK_RECORDS;
    size_t got = fread(chunk, (size_t)record, (size_t)want, f);
    if ((int64_t)got < want)
      return gt_error_set(err, ferror(f) ? GT_ERR_IO : GT_ERR_FORMAT, "%s: record %lld at offset %lld: %s", path,
                          (long long)(done + (int64_t)got), (long long)((done + (int64_t)got) * record),
                          ferror(f) ? "read error" : "truncated (the file shrank while being read)");
    for (int64_t r = 0; r < want; r++) {
      const uint8_t *rec = chunk + r * record;
      int64_t index = done + r;
      if (fmt->label_bytes == 2 && rec[0] >= fmt->n_coarse)
        return gt_error_set(err, GT_ERR_FORMAT, "%s: record %lld at offset %lld: coarse label %d is outside 0..%d",
                            path, (long long)index, (long long)(index * record), rec[0], fmt->n_coarse - 1);
      int label = rec[fmt->label_bytes - 1];
      if (label >= fmt->n_classes)
        return gt_error_set(err, GT_ERR_FORMAT, "%s: record %lld at offset %lld: label %d is outside 0..%d", path,
                            (long long)index, (long long)(index * record + fmt->label_bytes - 1), label,
                            fmt->n_classes - 1);
      ds->labels[first + index] = label;
      gt_data_u8_to_unit(rec + fmt->label_bytes, ds->images + (first + index) * CIFAR_PIXELS, CIFAR_PIXELS);
    }
    done += want;
  }
  return GT_OK;
}

gt_status gt_data_load_cifar(const char *const *paths, int n_paths, int cifar100, gt_dataset **out,
                             gt_error *err) {
  const cifar_format fmt = cifar100 ? (cifar_format){2, 100, 20} : (cifar_format){1, 10, 0};
  const int64_t record = fmt.label_bytes + CIFAR_PIXELS;
  if (n_paths < 1 || n_paths > CIFAR_MAX_FILES)
    return gt_error_set(err, GT_ERR_INTERNAL, "cifar: %d batch files (1..%d expected)", n_paths, CIFAR_MAX_FILES);
  FILE *files[CIFAR_MAX_FILES] = {0};
  int64_t counts[CIFAR_MAX_FILES] = {0};
  int64_t total = 0;
  gt_status st = GT_OK;
  /* All sizes first, so that the dataset is allocated once and a bad last batch fails early. */
  for (int i = 0; i < n_paths && st == GT_OK; i++) {
    int64_t size = 0;
    st = gt_data_open_file(paths[i], &files[i], &size, err);
    if (st == GT_OK) st = cifar_count(paths[i], size, record, &counts[i], err);
    total += counts[i];
  }
  gt_dataset *ds = NULL;
  uint8_t *chunk = NULL;
  if (st == GT_OK) st = gt_data_alloc(total, 3, CIFAR_SIDE, CIFAR_SIDE, paths[0], &ds, err);
  if (st == GT_OK) {
    chunk = malloc((size_t)(CIFAR_CHUNK_RECORDS * record));
    if (!chunk) st = gt_error_set(err, GT_ERR_MEMORY, "%s: out of memory", paths[0]);
  }
  int64_t first = 0;
  for (int i = 0; i < n_paths && st == GT_OK; i++) {
    st = cifar_read(files[i], paths[i], &fmt, counts[i], ds, first, chunk, err);
    first += counts[i];
  }
  for (int i = 0; i < n_paths; i++)
    if (files[i]) fclose(files[i]);
  free(chunk);
  if (st != GT_OK) {
    gt_dataset_free(ds);
    return st;
  }
  ds->n_classes = fmt.n_classes;
  *out = ds;
  return GT_OK;
}

/* Dataset subsets: the first n points, or the points listed in an index file. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gauntlet/data.h"
#include "gauntlet/tensor.h"

gt_status gt_dataset_take_first(gt_dataset *ds, int64_t n, gt_error *err) {
  if (!ds) return gt_error_set(err, GT_ERR_USAGE, "take_first: no dataset");
  if (n < 0 || n > ds->n)
    return gt_error_set(err, GT_ERR_USAGE, "%s: cannot take the first %lld points of %lld",
                        ds->source ? ds->source : "dataset", (long long)n, (long long)ds->n);
  /* Shrinking in place keeps the prefix; a failed realloc just leaves the larger block. */
  if (n > 0 && n < ds->n) {
    size_t sample = (size_t)ds->c * (size_t)ds->h * (size_t)ds->w;
    float *images = realloc(ds->images, (size_t)n * sample * sizeof(float));
    if (images) ds->images = images;
    int32_t *labels = realloc(ds->labels, (size_t)n * sizeof(int32_t));
    if (labels) ds->labels = labels;
  }
  ds->n = n;
  return GT_OK;
}

/* Parses one line: *has is 0 for a blank/comment line, else *value is the integer on it.
 * Returns 0 when the line holds something other than one integer. */
static int parse_index_line(char *line, int *has, long long *value) {
  char *hash = strchr(line, '#');
  if (hash) *hash = '\0';
  char *p = line;
  while (isspace((unsigned char)*p)) p++;
  *has = *p != '\0';
  if (!*has) return 1;
  if (!isdigit((unsigned char)*p) && *p != '-' && *p != '+') return 0;
  errno = 0;
  char *end = NULL;
  *value = strtoll(p, &end, 10);
  if (end == p || errno == ERANGE) return 0;
  while (isspace((unsigned char)*end)) end++;
  return *end == '\0';
}

/* Reads every index of the file into a growing array, checking each against 0..n-1 and the
 * count against max_count (repeats could otherwise ask for more than the element cap). */
static gt_status read_indices(FILE *f, const char *path, int64_t n, int64_t max_count, int64_t **out, int64_t *count,
                              gt_error *err) {
  char *line = NULL;
  size_t cap_line = 0;
  int64_t *idx = NULL;
  int64_t used = 0, cap = 0;
  long long line_no = 0;
  gt_status st = GT_OK;
  ssize_t got;
  while (st == GT_OK && (got = getline(&line, &cap_line, f)) != -1) {
    line_no++;
    if (memchr(line, '\0', (size_t)got)) {
      st = gt_error_set(err, GT_ERR_FORMAT, "%s: line %lld: contains a NUL byte (not a text file?)", path, line_no);
      break;
    }
    int has = 0;
    long long v = 0;
    if (!parse_index_line(line, &has, &v)) {
      line[strcspn(line, "\r\n")] = '\0';
      st = gt_error_set(err, GT_ERR_FORMAT, "%s: line %lld: '%.60s' is not an integer index", path, line_no, line);
    } else if (has && (v < 0 || v >= n)) {
      st = gt_error_set(err, GT_ERR_FORMAT, "%s: line %lld: index %lld is out of range 0..%lld", path, line_no, v,
                        (long long)n - 1);
    } else if (has && used >= max_count) {
      st = gt_error_set(err, GT_ERR_LIMIT, "%s: line %lld: more than %lld indices (the element cap)", path, line_no,
                        (long long)max_count);
    } else if (has) {
      if (used == cap) {
        int64_t grown = cap ? cap * 2 : 256;
        int64_t *bigger = realloc(idx, (size_t)grown * sizeof *bigger);
        if (!bigger) {
          st = gt_error_set(err, GT_ERR_MEMORY, "%s: line %lld: out of memory", path, line_no);
          break;
        }
        idx = bigger;
        cap = grown;
      }
      idx[used++] = v;
    }
  }
  if (st == GT_OK && ferror(f)) st = gt_error_set(err, GT_ERR_IO, "%s: read error after line %lld", path, line_no);
  if (st == GT_OK && used == 0) st = gt_error_set(err, GT_ERR_FORMAT, "%s: the index file lists no index", path);
  free(line);
  if (st != GT_OK) {
    free(idx);
    return st;
  }
  *out = idx;
  *count = used;
  return GT_OK;
}

gt_status gt_dataset_take_index_file(gt_dataset *ds, const char *path, gt_error *err) {
  if (!ds || !path) return gt_error_set(err, GT_ERR_USAGE, "take_index_file: no dataset or no path");
  FILE *f = fopen(path, "r");
  if (!f) return gt_error_set(err, GT_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
  size_t sample = (size_t)ds->c * (size_t)ds->h * (size_t)ds->w;
  int64_t *idx = NULL, count = 0;
  gt_status st = read_indices(f, path, ds->n, GT_MAX_ELEMENTS / (int64_t)sample, &idx, &count, err);
  fclose(f);
  if (st != GT_OK) return st;
  float *images = malloc((size_t)count * sample * sizeof(float));
  int32_t *labels = malloc((size_t)count * sizeof(int32_t));
  if (!images || !labels) {
    free(images);
    free(labels);
    free(idx);
    return gt_error_set(err, GT_ERR_MEMORY, "%s: out of memory for %lld points", path, (long long)count);
  }
  for (int64_t i = 0; i < count; i++) {
    memcpy(images + (size_t)i * sample, ds->images + (size_t)idx[i] * sample, sample * sizeof(float));
    labels[i] = ds->labels[idx[i]];
  }
  free(idx);
  free(ds->images);
  free(ds->labels);
  ds->images = images;
  ds->labels = labels;
  ds->n = count;
  return GT_OK;
}

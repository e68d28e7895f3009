/* Tensors whose bytes live in a separate file next to the model (ONNX "external data").
 *
 * Refused unless the caller allows it; when allowed, the location must be a relative path
 * without '..' components that resolves (after symlinks, via realpath) inside the model's
 * folder, and offset/length must lie within that file. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "onnx/onnx_internal.h"

/* Strict decimal parse of a non-negative integer; 0 on junk or overflow. */
static int parse_size(const char *s, int64_t *out) {
  if (!s || !*s) return 0;
  int64_t v = 0;
  for (const char *p = s; *p; p++) {
    if (*p < '0' || *p > '9') return 0;
    if (v > (INT64_MAX - (*p - '0')) / 10) return 0;
    v = v * 10 + (*p - '0');
  }
  *out = v;
  return 1;
}

/* 1 when some '/'-separated component of loc is "..". */
static int has_dotdot(const char *loc) {
  const char *p = loc;
  while (*p) {
    const char *slash = strchr(p, '/');
    size_t n = slash ? (size_t)(slash - p) : strlen(p);
    if (n == 2 && p[0] == '.' && p[1] == '.') return 1;
    if (!slash) break;
    p = slash + 1;
  }
  return 0;
}

static int inside(const char *real, const char *base_real) {
  size_t n = strlen(base_real);
  if (n == 1 && base_real[0] == '/') return real[0] == '/';
  return strncmp(real, base_real, n) == 0 && real[n] == '/';
}

static gt_status read_region(const char *display, const char *what, const char *loc, const char *real,
                             int64_t offset, int has_length, int64_t length, size_t bytes, uint8_t **out,
                             gt_error *err) {
  if (has_length && (uint64_t)length != bytes)
    return gt_error_set(err, GT_ERR_FORMAT, "%s: %s: external length %lld does not match the %zu bytes its dims need",
                        display, what, (long long)length, bytes);
  FILE *f = fopen(real, "rb");
  if (!f) return gt_error_set(err, GT_ERR_IO, "%s: %s: cannot open external data file '%s': %s", display, what, loc,
                              strerror(errno));
  struct stat st;
  if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
    fclose(f);
    return gt_error_set(err, GT_ERR_FORMAT, "%s: %s: external data '%s' is not a regular file", display, what, loc);
  }
  int64_t size = (int64_t)st.st_size;
  if (offset > size || (int64_t)bytes > size - offset) {
    fclose(f);
    return gt_error_set(err, GT_ERR_FORMAT,
                        "%s: %s: external data offset %lld + %zu bytes is past the end of '%s' (%lld bytes)", display,
                        what, (long long)offset, bytes, loc, (long long)size);
  }
  uint8_t *buf = malloc(bytes ? bytes : 1);
  if (!buf) {
    fclose(f);
    return gt_error_set(err, GT_ERR_MEMORY, "%s: %s: out of memory for %zu external bytes", display, what, bytes);
  }
  size_t got = 0;
  if (fseeko(f, (off_t)offset, SEEK_SET) == 0 && bytes) got = fread(buf, 1, bytes, f);
  fclose(f);
  if (got != bytes) {
    free(buf);
    return gt_error_set(err, GT_ERR_IO, "%s: %s: read %zu of %zu bytes from '%s'", display, what, got, bytes, loc);
  }
  *out = buf;
  return GT_OK;
}

gt_status gt_onnx_external_read(const Onnx__TensorProto *tp, const gt_onnx_source *src, const char *what,
                                size_t bytes, uint8_t **out, gt_error *err) {
  *out = NULL;
  const char *display = src->display;
  if (!src->allow_external)
    return gt_error_set(err, GT_ERR_UNSUPPORTED,
                        "%s: %s stores its data in an external file; external data is refused by default "
                        "(allow_external_data is off)",
                        display, what);
  if (!src->base_dir)
    return gt_error_set(err, GT_ERR_UNSUPPORTED,
                        "%s: %s stores its data in an external file, but the model has no folder to look in", display,
                        what);
  const char *loc = NULL;
  int64_t offset = 0, length = 0;
  int has_length = 0;
  for (size_t k = 0; k < tp->n_external_data; k++) {
    const Onnx__StringStringEntryProto *e = tp->external_data[k];
    if (!e || !e->key) continue;
    if (!strcmp(e->key, "location")) {
      loc = e->value;
    } else if (!strcmp(e->key, "offset")) {
      if (!parse_size(e->value, &offset))
        return gt_error_set(err, GT_ERR_FORMAT, "%s: %s: external data offset '%s' is not a non-negative integer",
                            display, what, e->value ? e->value : "");
    } else if (!strcmp(e->key, "length")) {
      if (!parse_size(e->value, &length))
        return gt_error_set(err, GT_ERR_FORMAT, "%s: %s: external data length '%s' is not a non-negative integer",
                            display, what, e->value ? e->value : "");
      has_length = 1;
    }
  }
  if (!loc || !loc[0])
    return gt_error_set(err, GT_ERR_FORMAT, "%s: %s: external data without a location", display, what);
  if (loc[0] == '/')
    return gt_error_set(err, GT_ERR_FORMAT, "%s: %s: external data location '%s' is an absolute path (refused)",
                        display, what, loc);
  if (has_dotdot(loc))
    return gt_error_set(err, GT_ERR_FORMAT, "%s: %s: external data location '%s' contains '..' (refused)", display,
                        what, loc);
  size_t n = strlen(src->base_dir) + strlen(loc) + 2;
  char *joined = malloc(n);
  char *base_real = realpath(src->base_dir, NULL);
  char *real = NULL;
  gt_status st = GT_OK;
  if (!joined || !base_real) {
    st = joined ? gt_error_set(err, GT_ERR_IO, "%s: cannot resolve the model folder '%s': %s", display,
                               src->base_dir, strerror(errno))
                : gt_error_set(err, GT_ERR_MEMORY, "%s: out of memory", display);
  } else {
    snprintf(joined, n, "%s/%s", src->base_dir, loc);
    real = realpath(joined, NULL);
    if (!real)
      st = gt_error_set(err, GT_ERR_IO, "%s: %s: cannot open external data file '%s': %s", display, what, loc,
                        strerror(errno));
    else if (!inside(real, base_real))
      st = gt_error_set(err, GT_ERR_FORMAT, "%s: %s: external data '%s' resolves outside the model's folder (refused)",
                        display, what, loc);
    else
      st = read_region(display, what, loc, real, offset, has_length, length, bytes, out, err);
  }
  free(joined);
  free(base_real);
  free(real);
  return st;
}

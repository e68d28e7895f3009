/* MNIST-style IDX files (gzipped or raw): images [N, H, W] and labels [N] as unsigned bytes.
 *
 * Layout: bytes 0-1 zero, byte 2 the dtype code (0x08 = unsigned byte), byte 3 the rank, then one
 * big-endian uint32 per dimension, then the data in C order. zlib's gz* reader detects gzip by its
 * magic (1f 8b) and reads other files as they are, so one code path serves both. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "data/loaders.h"
#include "gauntlet/tensor.h"

#define IDX_UBYTE 0x08
#define IDX_CHUNK (1 << 20)

typedef struct idx_file {
  int64_t dims[3];
  int ndim;
  uint8_t *data; /* the numel bytes after the header */
  int64_t numel;
} idx_file;

static const char *idx_dtype_name(int code) {
  switch (code) {
    case 0x08: return "unsigned byte";
    case 0x09: return "signed byte";
    case 0x0B: return "int16";
    case 0x0C: return "int32";
    case 0x0D: return "float32";
    case 0x0E: return "float64";
  }
  return NULL;
}

/* Reads up to len bytes; returns how many arrived (fewer at end of file or on error). */
static int64_t gz_read_full(gzFile f, uint8_t *buf, int64_t len) {
  int64_t got = 0;
  while (got < len) {
    int64_t want = len - got < IDX_CHUNK ? len - got : IDX_CHUNK;
    int n = gzread(f, buf + got, (unsigned)want);
    if (n <= 0) break;
    got += n;
  }
  return got;
}

/* Explains a short read at uncompressed offset `at`: a corrupt gzip stream, an I/O error, or truncation. */
static gt_status idx_short_read(gzFile f, const char *path, const char *part, int64_t at, int64_t expected,
                                gt_error *err) {
  int code = Z_OK;
  const char *msg = gzerror(f, &code);

  if (code == Z_ERRNO)
    return gt_error_set(err, GT_ERR_IO, "%s: read error at offset %lld: %s", path, (long long)at, strerror(errno));
  if (code != Z_OK && code != Z_BUF_ERROR) {
    /* zlib's message starts with the path it was given: drop it, ours already names the file. */
    size_t n = strlen(path);
    if (msg && !strncmp(msg, path, n) && !strncmp(msg + n, ": ", 2)) msg += n + 2;
    return gt_error_set(err, GT_ERR_FORMAT, "%s: corrupt gzip data at uncompressed offset %lld: %s", path,
                        (long long)at, msg ? msg : "?");
  }
  if (!gzdirect(f))
    return gt_error_set(err, GT_ERR_FORMAT,
                        "%s (gzip): truncated %s: the uncompressed data ends at offset %lld but should hold %lld bytes",
                        path, part, (long long)at, (long long)expected);
  return gt_error_set(err, GT_ERR_FORMAT, "%s: truncated %s: the file ends at offset %lld but should hold %lld bytes",
                      path, part, (long long)at, (long long)expected);
}

static gt_status idx_check_header(const uint8_t head[4], const char *path, int want_ndim, gt_error *err) {
  if (head[0] != 0 || head[1] != 0)
    return gt_error_set(err, GT_ERR_FORMAT,
                        "%s: bad magic at offset 0: bytes 0x%02x 0x%02x, an IDX file starts with 0x00 0x00", path,
                        head[0], head[1]);
  if (head[2] != IDX_UBYTE) {
    const char *name = idx_dtype_name(head[2]);
    if (name)
      return gt_error_set(err, GT_ERR_UNSUPPORTED,
                          "%s: offset 2: dtype code 0x%02x (%s) is not supported, only 0x08 (unsigned byte)", path,
                          head[2], name);
    return gt_error_set(err, GT_ERR_FORMAT, "%s: offset 2: unknown dtype code 0x%02x (expected 0x08, unsigned byte)",
                        path, head[2]);
  }
  if (head[3] != want_ndim)
    return gt_error_set(err, GT_ERR_FORMAT, "%s: offset 3: rank %d, expected %d (%s)", path, head[3], want_ndim,
                        want_ndim == 3 ? "images [N, H, W]" : "labels [N]");
  return GT_OK;
}

/* Reads the data bytes, growing the buffer as they arrive so that a header that lies about its
 * size costs only as much memory as the file really holds. */
static gt_status idx_read_body(gzFile f, const char *path, int64_t offset, idx_file *out, gt_error *err) {
  int64_t cap = out->numel < IDX_CHUNK ? out->numel : IDX_CHUNK;
  int64_t got = 0;
  uint8_t *buf = malloc((size_t)cap);
  if (!buf) return gt_error_set(err, GT_ERR_MEMORY, "%s: out of memory", path);
  while (got < out->numel) {
    if (got == cap) {
      int64_t grown = cap > out->numel / 2 ? out->numel : cap * 2;
      uint8_t *bigger = realloc(buf, (size_t)grown);
      if (!bigger) {
        free(buf);
        return gt_error_set(err, GT_ERR_MEMORY, "%s: out of memory for %lld bytes", path, (long long)grown);
      }
      buf = bigger;
      cap = grown;
    }
    int64_t n = gz_read_full(f, buf + got, cap - got);
    got += n;
    if (got < cap) {
      free(buf);
      return idx_short_read(f, path, "data", offset + got, offset + out->numel, err);
    }
  }
  uint8_t extra;
  if (gz_read_full(f, &extra, 1) == 1) {
    free(buf);
    return gt_error_set(err, GT_ERR_FORMAT,
                        "%s: unexpected data after offset %lld, where the header says the file ends", path,
                        (long long)(offset + out->numel));
  }
  out->data = buf;
  return GT_OK;
}

static gt_status idx_read(const char *path, int want_ndim, idx_file *out, gt_error *err) {
  struct stat sb;
  if (stat(path, &sb) != 0) return gt_error_set(err, GT_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
  if (!S_ISREG(sb.st_mode)) return gt_error_set(err, GT_ERR_IO, "%s: not a regular file", path);
  gzFile f = gzopen(path, "rb");
  if (!f) return gt_error_set(err, GT_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
  gzbuffer(f, 1 << 17);
  uint8_t head[4 + 4 * 3];
  int64_t head_len = 4 + 4 * (int64_t)want_ndim;
  gt_status st = GT_OK;
  int64_t got = gz_read_full(f, head, 4);
  if (got < 4) st = idx_short_read(f, path, "header", got, 4, err);
  if (st == GT_OK) st = idx_check_header(head, path, want_ndim, err);
  if (st == GT_OK) {
    got = gz_read_full(f, head + 4, head_len - 4);
    if (got < head_len - 4) st = idx_short_read(f, path, "header", 4 + got, head_len, err);
  }
  if (st == GT_OK) {
    out->ndim = want_ndim;
    for (int d = 0; d < want_ndim; d++) {
      const uint8_t *p = head + 4 + 4 * d;
      out->dims[d] = ((int64_t)p[0] << 24) | ((int64_t)p[1] << 16) | ((int64_t)p[2] << 8) | (int64_t)p[3];
    }
    st = gt_shape_numel_checked(want_ndim, out->dims, &out->numel, path, err);
  }
  if (st == GT_OK && out->numel == 0)
    st = gt_error_set(err, GT_ERR_FORMAT, "%s: offset 4: the header describes an empty array", path);
  if (st == GT_OK) st = idx_read_body(f, path, head_len, out, err);
  gzclose(f);
  return st;
}

gt_status gt_data_load_idx(const char *images_path, const char *labels_path, gt_dataset **out, gt_error *err) {
  idx_file images = {0}, labels = {0};
  gt_status st = idx_read(images_path, 3, &images, err);
  if (st == GT_OK) st = idx_read(labels_path, 1, &labels, err);
  if (st == GT_OK && images.dims[0] != labels.dims[0])
    st = gt_error_set(err, GT_ERR_SHAPE, "%s holds %lld images but %s holds %lld labels: the counts must match",
                      images_path, (long long)images.dims[0], labels_path, (long long)labels.dims[0]);
  gt_dataset *ds = NULL;
  if (st == GT_OK) st = gt_data_alloc(images.dims[0], 1, images.dims[1], images.dims[2], images_path, &ds, err);
  if (st == GT_OK) {
    gt_data_u8_to_unit(images.data, ds->images, (size_t)images.numel);
    for (int64_t i = 0; i < ds->n; i++) ds->labels[i] = labels.data[i];
    gt_data_classes_from_labels(ds);
    *out = ds;
  }
  free(images.data);
  free(labels.data);
  return st;
}

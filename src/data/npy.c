/* NumPy .npy images and labels.
 *
 * File layout (format versions 1.0, 2.0, 3.0): the magic "\x93NUMPY", major and minor version
 * bytes, the header length (uint16 LE for v1, uint32 LE for v2/v3), then the header: a Python
 * dict literal such as {'descr': '<f4', 'fortran_order': False, 'shape': (10, 28, 28), }
 * padded with spaces and a newline; the C-order data follows.
 *
 * Images: '|u1' (scaled by 1/255) or '<f4' (must already lie in [0,1]); rank 3 [N, H, W] is one
 * channel; rank 4 is NHWC when the last dim is 1, 3 or 4 and dim 1 is not, otherwise NCHW (so an
 * ambiguous [N, 3, H, 3] is read as NCHW). Labels: '<i8', '<i4', '<i2' or '|u1', shape [N] or [N, 1]. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "data/loaders.h"
#include "gauntlet/tensor.h"

#define NPY_MAX_HEADER (1 << 20)
#define NPY_MAX_STRING 32

typedef struct npy_header {
  char descr[NPY_MAX_STRING + 1];
  int fortran_order;
  int ndim;
  int64_t shape[GT_MAX_DIMS];
  int64_t data_offset; /* where the data starts in the file */
  int64_t numel;
  int itemsize;
} npy_header;

/* A cursor over the header text; offsets in errors are file offsets. */
typedef struct npy_parser {
  const char *text;
  size_t len, pos;
  int64_t base;
  const char *path;
  gt_error *err;
} npy_parser;

static gt_status npy_fail(npy_parser *p, const char *problem) {
  return gt_error_set(p->err, GT_ERR_FORMAT, "%s: malformed npy header at offset %lld: %s", p->path,
                      (long long)(p->base + (int64_t)p->pos), problem);
}

static void npy_skip_space(npy_parser *p) {
  while (p->pos < p->len && isspace((unsigned char)p->text[p->pos])) p->pos++;
}

static int npy_peek(npy_parser *p) { return p->pos < p->len ? (unsigned char)p->text[p->pos] : -1; }

static gt_status npy_expect(npy_parser *p, char c, const char *problem) {
  npy_skip_space(p);
  if (npy_peek(p) != c) return npy_fail(p, problem);
  p->pos++;
  return GT_OK;
}

/* A quoted string without escapes, at most NPY_MAX_STRING characters. */
static gt_status npy_string(npy_parser *p, char *out) {
  npy_skip_space(p);
  int quote = npy_peek(p);
  if (quote != '\'' && quote != '"') return npy_fail(p, "expected a quoted string");
  size_t start = ++p->pos;
  while (p->pos < p->len && p->text[p->pos] != quote) {
    if (p->text[p->pos] == '\\') return npy_fail(p, "escapes in strings are not supported");
    p->pos++;
  }
  if (p->pos >= p->len) return npy_fail(p, "unterminated string");
  size_t n = p->pos - start;
  if (n > NPY_MAX_STRING) return npy_fail(p, "string too long");
  memcpy(out, p->text + start, n);
  out[n] = '\0';
  p->pos++;
  return GT_OK;
}

static gt_status npy_bool(npy_parser *p, int *out) {
  npy_skip_space(p);
  if (p->len - p->pos >= 4 && !strncmp(p->text + p->pos, "True", 4)) {
    p->pos += 4;
    *out = 1;
  } else if (p->len - p->pos >= 5 && !strncmp(p->text + p->pos, "False", 5)) {
    p->pos += 5;
    *out = 0;
  } else {
    return npy_fail(p, "expected True or False for 'fortran_order'");
  }
  return GT_OK;
}

/* "()", "(5,)", "(2, 3)": non-negative integers, each kept within GT_MAX_DIM_SIZE while parsing. */
static gt_status npy_shape(npy_parser *p, npy_header *h) {
  gt_status st = npy_expect(p, '(', "expected '(' to start 'shape'");
  if (st != GT_OK) return st;
  h->ndim = 0;
  for (;;) {
    npy_skip_space(p);
    if (npy_peek(p) == ')') break;
    if (!isdigit(npy_peek(p))) return npy_fail(p, "expected a non-negative integer in 'shape'");
    if (h->ndim == GT_MAX_DIMS) return npy_fail(p, "'shape' has more dimensions than Gauntlet supports");
    int64_t v = 0;
    while (isdigit(npy_peek(p))) {
      v = v * 10 + (p->text[p->pos++] - '0');
      if (v > GT_MAX_DIM_SIZE) return npy_fail(p, "a dimension in 'shape' is absurdly large");
    }
    if (npy_peek(p) == 'L') p->pos++; /* Python 2 long literal */
    h->shape[h->ndim++] = v;
    npy_skip_space(p);
    if (npy_peek(p) == ',') {
      p->pos++;
    } else if (npy_peek(p) != ')') {
      return npy_fail(p, "expected ',' or ')' in 'shape'");
    }
  }
  p->pos++;
  return GT_OK;
}

/* The dict with exactly the keys descr, fortran_order and shape, in any order. */
static gt_status npy_parse_dict(npy_parser *p, npy_header *h) {
  int seen_descr = 0, seen_fortran = 0, seen_shape = 0;
  gt_status st = npy_expect(p, '{', "expected '{'");
  for (;;) {
    if (st != GT_OK) return st;
    npy_skip_space(p);
    if (npy_peek(p) == '}') break;
    char key[NPY_MAX_STRING + 1];
    size_t key_pos = p->pos;
    st = npy_string(p, key);
    if (st == GT_OK) st = npy_expect(p, ':', "expected ':' after a key");
    if (st != GT_OK) return st;
    int *seen = !strcmp(key, "descr") ? &seen_descr : !strcmp(key, "fortran_order") ? &seen_fortran
                : !strcmp(key, "shape") ? &seen_shape : NULL;
    if (!seen || *seen) {
      p->pos = key_pos;
      return npy_fail(p, seen ? "repeated key" : "unexpected key (expected descr, fortran_order, shape)");
    }
    *seen = 1;
    if (seen == &seen_descr) {
      npy_skip_space(p);
      if (npy_peek(p) != '\'' && npy_peek(p) != '"')
        return npy_fail(p, "'descr' must be a simple dtype string such as '<f4' (structured arrays are not supported)");
      st = npy_string(p, h->descr);
    } else if (seen == &seen_fortran) {
      st = npy_bool(p, &h->fortran_order);
    } else {
      st = npy_shape(p, h);
    }
    if (st != GT_OK) return st;
    npy_skip_space(p);
    if (npy_peek(p) == ',') {
      p->pos++;
    } else if (npy_peek(p) != '}') {
      return npy_fail(p, "expected ',' or '}' after a value");
    }
  }
  p->pos++;
  npy_skip_space(p);
  if (p->pos != p->len) return npy_fail(p, "unexpected text after the closing '}'");
  if (!seen_descr || !seen_fortran || !seen_shape)
    return npy_fail(p, !seen_descr ? "missing key 'descr'" : !seen_fortran ? "missing key 'fortran_order'"
                                                                            : "missing key 'shape'");
  return GT_OK;
}

static uint32_t le_u32(const uint8_t *b) {
  return (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) | ((uint32_t)b[3] << 24);
}

/* Reads and checks the preamble and header, then checks that the data the header describes
 * exactly fills the rest of the file. `dtypes` lists the accepted descr strings; `itemsizes` theirs. */
static gt_status npy_read_header(FILE *f, const char *path, int64_t file_size, const char *const *dtypes,
                                 const int *itemsizes, int n_dtypes, npy_header *h, gt_error *err) {
  uint8_t pre[12];
  if (file_size < 10 || fread(pre, 1, 10, f) != 10)
    return gt_error_set(err, GT_ERR_FORMAT, "%s: truncated npy header: the file has %lld bytes", path,
                        (long long)file_size);
  if (memcmp(pre, "\x93NUMPY", 6) != 0)
    return gt_error_set(err, GT_ERR_FORMAT, "%s: bad magic at offset 0: not a NumPy .npy file", path);
  int major = pre[6], minor = pre[7];
  if (major < 1 || major > 3)
    return gt_error_set(err, GT_ERR_UNSUPPORTED, "%s: offset 6: npy format version %d.%d is not supported (1-3)",
                        path, major, minor);
  int64_t header_len = 0, prelude = major == 1 ? 10 : 12;
  if (major == 1) {
    header_len = pre[8] | (pre[9] << 8);
  } else {
    if (file_size < 12 || fread(pre + 10, 1, 2, f) != 2)
      return gt_error_set(err, GT_ERR_FORMAT, "%s: truncated npy header: the file has %lld bytes", path,
                          (long long)file_size);
    header_len = le_u32(pre + 8);
  }
  if (header_len > NPY_MAX_HEADER)
    return gt_error_set(err, GT_ERR_LIMIT, "%s: offset 8: npy header length %lld is beyond the %d-byte cap", path,
                        (long long)header_len, NPY_MAX_HEADER);
  if (prelude + header_len > file_size)
    return gt_error_set(err, GT_ERR_FORMAT, "%s: truncated npy header: it claims %lld bytes, the file has %lld", path,
                        (long long)header_len, (long long)(file_size - prelude));
  char *text = malloc((size_t)header_len + 1);
  if (!text) return gt_error_set(err, GT_ERR_MEMORY, "%s: out of memory", path);
  gt_status st = GT_OK;
  if (fread(text, 1, (size_t)header_len, f) != (size_t)header_len)
    st = gt_error_set(err, GT_ERR_IO, "%s: read error in the npy header", path);
  text[header_len] = '\0';
  if (st == GT_OK) {
    npy_parser p = {text, (size_t)header_len, 0, prelude, path, err};
    st = memchr(text, '\0', (size_t)header_len) ? npy_fail(&p, "NUL byte in the header") : npy_parse_dict(&p, h);
  }
  free(text);
  if (st != GT_OK) return st;
  h->data_offset = prelude + header_len;
  h->itemsize = 0;
  for (int i = 0; i < n_dtypes; i++)
    if (!strcmp(h->descr, dtypes[i])) h->itemsize = itemsizes[i];
  if (!h->itemsize) {
    char list[128] = "";
    for (int i = 0; i < n_dtypes; i++)
      snprintf(list + strlen(list), sizeof list - strlen(list), "%s'%s'", i ? ", " : "", dtypes[i]);
    return gt_error_set(err, GT_ERR_UNSUPPORTED, "%s: npy dtype '%s' is not supported here (supported: %s)", path,
                        h->descr, list);
  }
  if (h->fortran_order)
    return gt_error_set(err, GT_ERR_UNSUPPORTED, "%s: npy fortran_order is True; only C order is supported", path);
  st = gt_shape_numel_checked(h->ndim, h->shape, &h->numel, path, err);
  if (st != GT_OK) return st;
  int64_t data_bytes = h->numel * h->itemsize; /* numel <= 2^31, itemsize <= 8: no overflow */
  if (data_bytes != file_size - h->data_offset) {
    char buf[128];
    return gt_error_set(err, GT_ERR_FORMAT,
                        "%s: npy sizes do not match the file length: shape %s of '%s' needs %lld bytes after offset "
                        "%lld, the file has %lld (%s)",
                        path, gt_shape_format(h->ndim, h->shape, buf, sizeof buf), h->descr, (long long)data_bytes,
                        (long long)h->data_offset, (long long)(file_size - h->data_offset),
                        data_bytes > file_size - h->data_offset ? "truncated" : "extra bytes at the end");
  }
  return GT_OK;
}

/* Image layout from the header: n, c, h, w and whether the data is NHWC. */
static gt_status npy_image_layout(const npy_header *h, const char *path, int64_t dims[4], int *nhwc, gt_error *err) {
  char buf[128];
  *nhwc = 0;
  if (h->ndim == 3) {
    dims[0] = h->shape[0], dims[1] = 1, dims[2] = h->shape[1], dims[3] = h->shape[2];
    return GT_OK;
  }
  if (h->ndim != 4)
    return gt_error_set(err, GT_ERR_SHAPE, "%s: images have shape %s; expected rank 3 [N, H, W] or rank 4", path,
                        gt_shape_format(h->ndim, h->shape, buf, sizeof buf));
  int last_is_channels = h->shape[3] == 1 || h->shape[3] == 3 || h->shape[3] == 4;
  int dim1_is_channels = h->shape[1] == 1 || h->shape[1] == 3 || h->shape[1] == 4;
  *nhwc = last_is_channels && !dim1_is_channels;
  dims[0] = h->shape[0];
  dims[1] = *nhwc ? h->shape[3] : h->shape[1];
  dims[2] = *nhwc ? h->shape[1] : h->shape[2];
  dims[3] = *nhwc ? h->shape[2] : h->shape[3];
  return GT_OK;
}

/* Converts one image (file order) into dst [c, h, w]; float values outside [0,1] (or NaN) fail,
 * naming the flat element index in the file. */
static gt_status npy_convert_image(const uint8_t *src, const npy_header *h, const char *path, const int64_t dims[4],
                                   int nhwc, int64_t first_index, float *dst, gt_error *err) {
  int64_t c = dims[1], hw = dims[2] * dims[3], count = c * hw;
  for (int64_t i = 0; i < count; i++) {
    float v;
    if (h->itemsize == 1) {
      v = (float)src[i] / 255.0f;
    } else {
      uint32_t bits = le_u32(src + 4 * i);
      memcpy(&v, &bits, sizeof v);
      if (!(v >= 0.0f && v <= 1.0f))
        return gt_error_set(err, GT_ERR_FORMAT, "%s: image value %g at flat index %lld is outside [0,1]", path,
                            (double)v, (long long)(first_index + i));
    }
    /* NHWC file index i = pixel * c + channel goes to channel * hw + pixel. */
    int64_t to = nhwc ? (i % c) * hw + i / c : i;
    dst[to] = v;
  }
  return GT_OK;
}

static gt_status npy_read_images(FILE *f, const char *path, const npy_header *h, const int64_t dims[4], int nhwc,
                                 gt_dataset *ds, gt_error *err) {
  int64_t sample = dims[1] * dims[2] * dims[3];
  uint8_t *buf = malloc((size_t)(sample * h->itemsize));
  if (!buf) return gt_error_set(err, GT_ERR_MEMORY, "%s: out of memory", path);
  gt_status st = GT_OK;
  for (int64_t i = 0; i < ds->n && st == GT_OK; i++) {
    if (fread(buf, (size_t)h->itemsize, (size_t)sample, f) != (size_t)sample)
      st = gt_error_set(err, GT_ERR_IO, "%s: read error in image %lld (offset %lld)", path, (long long)i,
                        (long long)(h->data_offset + i * sample * h->itemsize));
    else
      st = npy_convert_image(buf, h, path, dims, nhwc, i * sample, ds->images + i * sample, err);
  }
  free(buf);
  return st;
}

static gt_status npy_read_labels(FILE *f, const char *path, const npy_header *h, gt_dataset *ds, gt_error *err) {
  size_t bytes = (size_t)(h->numel * h->itemsize);
  uint8_t *buf = malloc(bytes);
  if (!buf) return gt_error_set(err, GT_ERR_MEMORY, "%s: out of memory", path);
  gt_status st = GT_OK;
  if (fread(buf, 1, bytes, f) != bytes) st = gt_error_set(err, GT_ERR_IO, "%s: read error in the labels", path);
  for (int64_t i = 0; i < ds->n && st == GT_OK; i++) {
    const uint8_t *b = buf + i * h->itemsize;
    int64_t v;
    if (h->itemsize == 1) {
      v = b[0];
    } else if (h->itemsize == 2) {
      v = (int16_t)(uint16_t)(b[0] | (b[1] << 8));
    } else if (h->itemsize == 4) {
      v = (int32_t)le_u32(b);
    } else {
      v = (int64_t)(((uint64_t)le_u32(b + 4) << 32) | le_u32(b));
    }
    if (v < 0 || v >= GT_DATASET_MAX_CLASSES)
      st = gt_error_set(err, GT_ERR_FORMAT, "%s: label %lld at index %lld (offset %lld) is outside 0..%d", path,
                        (long long)v, (long long)i, (long long)(h->data_offset + i * h->itemsize),
                        GT_DATASET_MAX_CLASSES - 1);
    else
      ds->labels[i] = (int32_t)v;
  }
  free(buf);
  return st;
}

gt_status gt_data_load_npy(const char *images_path, const char *labels_path, gt_dataset **out, gt_error *err) {
  static const char *const image_types[] = {"|u1", "<u1", "<f4"};
  static const int image_sizes[] = {1, 1, 4};
  static const char *const label_types[] = {"<i8", "<i4", "<i2", "|u1"};
  static const int label_sizes[] = {8, 4, 2, 1};
  FILE *fx = NULL, *fy = NULL;
  int64_t size_x = 0, size_y = 0, dims[4] = {0};
  int nhwc = 0;
  npy_header hx = {0}, hy = {0};
  char buf[128];
  gt_status st = gt_data_open_file(images_path, &fx, &size_x, err);
  if (st == GT_OK) st = npy_read_header(fx, images_path, size_x, image_types, image_sizes, 3, &hx, err);
  if (st == GT_OK) st = npy_image_layout(&hx, images_path, dims, &nhwc, err);
  if (st == GT_OK) st = gt_data_open_file(labels_path, &fy, &size_y, err);
  if (st == GT_OK) st = npy_read_header(fy, labels_path, size_y, label_types, label_sizes, 4, &hy, err);
  if (st == GT_OK && !(hy.ndim == 1 || (hy.ndim == 2 && hy.shape[1] == 1)))
    st = gt_error_set(err, GT_ERR_SHAPE, "%s: labels have shape %s; expected [N] or [N, 1]", labels_path,
                      gt_shape_format(hy.ndim, hy.shape, buf, sizeof buf));
  if (st == GT_OK && hy.shape[0] != dims[0])
    st = gt_error_set(err, GT_ERR_SHAPE, "%s holds %lld images but %s holds %lld labels: the counts must match",
                      images_path, (long long)dims[0], labels_path, (long long)hy.shape[0]);
  gt_dataset *ds = NULL;
  if (st == GT_OK) st = gt_data_alloc(dims[0], dims[1], dims[2], dims[3], images_path, &ds, err);
  if (st == GT_OK) st = npy_read_labels(fy, labels_path, &hy, ds, err);
  if (st == GT_OK) st = npy_read_images(fx, images_path, &hx, dims, nhwc, ds, err);
  if (fx) fclose(fx);
  if (fy) fclose(fy);
  if (st != GT_OK) {
    gt_dataset_free(ds);
    return st;
  }
  gt_data_classes_from_labels(ds);
  *out = ds;
  return GT_OK;
}

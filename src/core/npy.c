/* NumPy .npy header parsing (see gauntlet/npy.h), and float32 array reading and writing. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gauntlet/npy.h"
#include "gauntlet/tensor.h"

#define NPY_MAX_HEADER (1 << 20)

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

/* A quoted string without escapes, at most GT_NPY_MAX_STRING characters. */
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
  if (n > GT_NPY_MAX_STRING) return npy_fail(p, "string too long");
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
static gt_status npy_shape(npy_parser *p, gt_npy_header *h) {
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
static gt_status npy_parse_dict(npy_parser *p, gt_npy_header *h) {
  int seen_descr = 0, seen_fortran = 0, seen_shape = 0;
  gt_status st = npy_expect(p, '{', "expected '{'");
  for (;;) {
    if (st != GT_OK) return st;
    npy_skip_space(p);
    if (npy_peek(p) == '}') break;
    char key[GT_NPY_MAX_STRING + 1];
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
gt_status gt_npy_read_header(FILE *f, const char *path, int64_t file_size, const char *const *dtypes,
                                 const int *itemsizes, int n_dtypes, gt_npy_header *h, gt_error *err) {
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


gt_status gt_npy_read_f32(const char *path, float **data, int *ndim, int64_t shape[GT_MAX_DIMS], gt_error *err) {
  static const char *const types[] = {"<f4"};
  static const int sizes[] = {4};
  *data = NULL;
  FILE *f = fopen(path, "rb");
  if (!f) return gt_error_set(err, GT_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
  gt_npy_header h;
  memset(&h, 0, sizeof h);
  gt_status st = GT_OK;
  int64_t size = 0;
  if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
    st = gt_error_set(err, GT_ERR_IO, "%s: cannot determine the file size", path);
  if (st == GT_OK) st = gt_npy_read_header(f, path, size, types, sizes, 1, &h, err);
  float *values = NULL;
  if (st == GT_OK && !(values = malloc((size_t)(h.numel ? h.numel : 1) * sizeof(float))))
    st = gt_error_set(err, GT_ERR_MEMORY, "%s: out of memory for %lld floats", path, (long long)h.numel);
  if (st == GT_OK && fread(values, sizeof(float), (size_t)h.numel, f) != (size_t)h.numel)
    st = gt_error_set(err, GT_ERR_IO, "%s: read error in the data at offset %lld", path, (long long)h.data_offset);
  fclose(f);
  if (st != GT_OK) {
    free(values);
    return st;
  }
  /* The data is little-endian; so is every machine Gauntlet builds for (x86-64, aarch64). */
  *data = values;
  *ndim = h.ndim;
  for (int d = 0; d < h.ndim; d++) shape[d] = h.shape[d];
  return GT_OK;
}

gt_status gt_npy_write_f32(const char *path, const float *data, int ndim, const int64_t *shape, gt_error *err) {
  int64_t numel = 0;
  gt_status st = gt_shape_numel_checked(ndim, shape, &numel, path, err);
  if (st != GT_OK) return st;
  char dict[256];
  size_t used = (size_t)snprintf(dict, sizeof dict, "{'descr': '<f4', 'fortran_order': False, 'shape': (");
  for (int d = 0; d < ndim; d++) used += (size_t)snprintf(dict + used, sizeof dict - used, "%lld,%s", (long long)shape[d], d + 1 < ndim ? " " : "");
  used += (size_t)snprintf(dict + used, sizeof dict - used, "), }");
  /* Pad with spaces so that magic + version + length + header is a multiple of 64, ending in '\n'. */
  size_t total = 10 + used + 1;
  size_t padded = (total + 63) / 64 * 64;
  size_t header_len = padded - 10;
  FILE *f = fopen(path, "wb");
  if (!f) return gt_error_set(err, GT_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
  unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(header_len & 0xff),
                           (unsigned char)(header_len >> 8)};
  int ok = fwrite(pre, 1, 10, f) == 10 && fwrite(dict, 1, used, f) == used;
  for (size_t i = used; ok && i + 1 < header_len; i++) ok = fputc(' ', f) != EOF;
  ok = ok && fputc('\n', f) != EOF;
  ok = ok && fwrite(data, sizeof(float), (size_t)numel, f) == (size_t)numel;
  ok = (fclose(f) == 0) && ok;
  return ok ? GT_OK : gt_error_set(err, GT_ERR_IO, "%s: write error: %s", path, strerror(errno));
}

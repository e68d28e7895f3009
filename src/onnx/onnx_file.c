/* Reading a model file whole (with a size cap) and unpacking its protobuf with protobuf-c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "onnx/onnx_internal.h"

gt_status gt_onnx_read_file(const char *path, uint8_t **bytes, size_t *size, gt_error *err) {
  *bytes = NULL;
  *size = 0;
  FILE *f = fopen(path, "rb");
  if (!f) return gt_error_set(err, GT_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
  struct stat st;
  if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
    fclose(f);
    return gt_error_set(err, GT_ERR_IO, "%s: not a regular file", path);
  }
  if ((int64_t)st.st_size > GT_ONNX_MAX_FILE_BYTES) {
    fclose(f);
    return gt_error_set(err, GT_ERR_LIMIT, "%s: file is %lld bytes; models above %lld bytes are refused", path,
                        (long long)st.st_size, (long long)GT_ONNX_MAX_FILE_BYTES);
  }
  size_t n = (size_t)st.st_size;
  uint8_t *buf = malloc(n ? n : 1);
  if (!buf) {
    fclose(f);
    return gt_error_set(err, GT_ERR_MEMORY, "%s: out of memory reading %zu bytes", path, n);
  }
  size_t got = n ? fread(buf, 1, n, f) : 0;
  int failed = ferror(f);
  fclose(f);
  if (got != n || failed) {
    free(buf);
    return gt_error_set(err, GT_ERR_IO, "%s: read %zu of %zu bytes", path, got, n);
  }
  *bytes = buf;
  *size = n;
  return GT_OK;
}

gt_status gt_onnx_unpack(const void *bytes, size_t size, const char *display, Onnx__ModelProto **out,
                         gt_error *err) {
  *out = NULL;
  if (size == 0) return gt_error_set(err, GT_ERR_FORMAT, "%s: not a valid ONNX model (the file is empty)", display);
  if ((int64_t)size > GT_ONNX_MAX_FILE_BYTES)
    return gt_error_set(err, GT_ERR_LIMIT, "%s: %zu bytes; models above %lld bytes are refused", display, size,
                        (long long)GT_ONNX_MAX_FILE_BYTES);
  gt_status st = gt_onnx_wire_check(bytes, size, display, err);
  if (st != GT_OK) return st;
  Onnx__ModelProto *m = onnx__model_proto__unpack(NULL, size, bytes);
  if (!m)
    return gt_error_set(err, GT_ERR_FORMAT, "%s: not a valid ONNX model (truncated or corrupt protobuf)", display);
  if (!m->graph) {
    onnx__model_proto__free_unpacked(m, NULL);
    return gt_error_set(err, GT_ERR_FORMAT, "%s: not a valid ONNX model (no graph in the file)", display);
  }
  *out = m;
  return GT_OK;
}

int64_t gt_onnx_model_opset(const Onnx__ModelProto *m) {
  for (size_t k = 0; k < m->n_opset_import; k++) {
    const Onnx__OperatorSetIdProto *o = m->opset_import[k];
    if (!o) continue;
    if (!o->domain || !o->domain[0] || !strcmp(o->domain, "ai.onnx")) return o->has_version ? o->version : 0;
  }
  return 0;
}

char *gt_onnx_dir_of(const char *path) {
  const char *slash = strrchr(path, '/');
  if (!slash) {
    char *d = malloc(2);
    if (d) memcpy(d, ".", 2);
    return d;
  }
  size_t n = (size_t)(slash - path);
  if (n == 0) n = 1; /* "/model.onnx": the root folder */
  char *d = malloc(n + 1);
  if (!d) return NULL;
  memcpy(d, path, n);
  d[n] = '\0';
  return d;
}

/* gt_error helpers: formatting and prefixing of one-line error messages. */
#include "gauntlet/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

gt_status gt_error_set(gt_error *err, gt_status code, const char *fmt, ...) {
  if (!err) return code;
  err->code = code;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->message, sizeof err->message, fmt, ap);
  va_end(ap);
  return code;
}

gt_status gt_error_prefix(gt_error *err, const char *fmt, ...) {
  if (!err) return GT_ERR_INTERNAL;
  char prefix[GT_ERROR_MSG_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(prefix, sizeof prefix, fmt, ap);
  va_end(ap);
  /* Join by hand: the result is cut at GT_ERROR_MSG_MAX on purpose. */
  char joined[GT_ERROR_MSG_MAX];
  size_t n_prefix = strnlen(prefix, sizeof joined - 1);
  size_t n_rest = strnlen(err->message, sizeof joined - 1 - n_prefix);
  memcpy(joined, prefix, n_prefix);
  memcpy(joined + n_prefix, err->message, n_rest);
  joined[n_prefix + n_rest] = '\0';
  memcpy(err->message, joined, sizeof joined);
  return err->code;
}

void gt_error_clear(gt_error *err) {
  if (!err) return;
  err->code = GT_OK;
  err->message[0] = '\0';
}

const char *gt_status_name(gt_status code) {
  switch (code) {
    case GT_OK: return "ok";
    case GT_ERR_USAGE: return "usage";
    case GT_ERR_IO: return "io";
    case GT_ERR_FORMAT: return "format";
    case GT_ERR_UNSUPPORTED: return "unsupported";
    case GT_ERR_SHAPE: return "shape";
    case GT_ERR_LIMIT: return "limit";
    case GT_ERR_MEMORY: return "memory";
    case GT_ERR_BACKEND: return "backend";
    case GT_ERR_INTERNAL: return "internal";
  }
  return "unknown";
}

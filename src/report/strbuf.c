/* A growing text buffer for the report writers: appends never fail loudly, an allocation failure
 * is remembered and checked once when the page is complete. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/report_internal.h"

void gt_strbuf_free(gt_strbuf *b) {
  free(b->data);
  memset(b, 0, sizeof(*b));
}

static int strbuf_reserve(gt_strbuf *b, size_t extra) {
  if (b->failed) return 0;
  if (extra > SIZE_MAX / 2 - b->len) {
    b->failed = 1;
    return 0;
  }
  size_t need = b->len + extra + 1;
  if (need <= b->cap) return 1;
  size_t cap = b->cap ? b->cap : 4096;
  while (cap < need) cap *= 2;
  char *p = realloc(b->data, cap);
  if (!p) {
    b->failed = 1;
    return 0;
  }
  b->data = p;
  b->cap = cap;
  return 1;
}

void gt_strbuf_append(gt_strbuf *b, const char *s, size_t n) {
  if (!strbuf_reserve(b, n)) return;
  memcpy(b->data + b->len, s, n);
  b->len += n;
  b->data[b->len] = '\0';
}

void gt_strbuf_puts(gt_strbuf *b, const char *s) { gt_strbuf_append(b, s, strlen(s)); }

void gt_strbuf_printf(gt_strbuf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) {
    b->failed = 1;
  } else if (strbuf_reserve(b, (size_t)n)) {
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap2);
    b->len += (size_t)n;
  }
  va_end(ap2);
}

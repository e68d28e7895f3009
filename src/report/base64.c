/* Base64 (RFC 4648) for the data: URIs that embed the example grids in the self-contained page. */
#include "report/report_internal.h"

void gt_base64_append(gt_strbuf *b, const uint8_t *data, size_t n) {
  static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  char quad[4];
  for (size_t i = 0; i < n; i += 3) {
    uint32_t v = (uint32_t)data[i] << 16;
    if (i + 1 < n) v |= (uint32_t)data[i + 1] << 8;
    if (i + 2 < n) v |= data[i + 2];
    quad[0] = digits[(v >> 18) & 63];
    quad[1] = digits[(v >> 12) & 63];
    quad[2] = i + 1 < n ? digits[(v >> 6) & 63] : '=';
    quad[3] = i + 2 < n ? digits[v & 63] : '=';
    gt_strbuf_append(b, quad, 4);
  }
}

/* HTML escaping and link filtering for strings that come from configs and models: names, links,
 * authors, footnotes and flag details are written by strangers, so none of them may open a tag,
 * close an attribute or become a javascript: link. */
#include <math.h>
#include <string.h>
#include <strings.h>

#include "report/report_internal.h"

void gt_html_escape(gt_strbuf *b, const char *s) {
  if (!s) return;
  const char *run = s;
  for (const char *p = s;; p++) {
    unsigned char ch = (unsigned char)*p;
    const char *rep = NULL;
    switch (ch) {
      case '&': rep = "&amp;"; break;
      case '<': rep = "&lt;"; break;
      case '>': rep = "&gt;"; break;
      case '"': rep = "&quot;"; break;
      case '\'': rep = "&#39;"; break;
      default:
        if (ch != 0 && ((ch < 0x20 && ch != '\t' && ch != '\n') || ch == 0x7f)) rep = " ";
        break;
    }
    if (!rep && ch != 0) continue;
    gt_strbuf_append(b, run, (size_t)(p - run));
    if (ch == 0) return;
    gt_strbuf_puts(b, rep);
    run = p + 1;
  }
}

int gt_html_link_is_safe(const char *s) {
  if (!s) return 0;
  size_t skip;
  if (strncasecmp(s, "https://", 8) == 0)
    skip = 8;
  else if (strncasecmp(s, "http://", 7) == 0)
    skip = 7;
  else
    return 0;
  if (s[skip] == '\0' || s[skip] == '/') return 0; /* needs a host */
  for (const unsigned char *p = (const unsigned char *)s; *p; p++)
    if (*p <= 0x20 || *p == 0x7f) return 0;
  return 1;
}

void gt_html_link(gt_strbuf *b, const char *href, const char *text) {
  if (!gt_html_link_is_safe(href)) {
    gt_html_escape(b, text);
    return;
  }
  gt_strbuf_puts(b, "<a href=\"");
  gt_html_escape(b, href);
  gt_strbuf_puts(b, "\" rel=\"noopener noreferrer\">");
  gt_html_escape(b, text);
  gt_strbuf_puts(b, "</a>");
}

void gt_html_percent(gt_strbuf *b, double fraction) {
  if (isnan(fraction))
    gt_strbuf_puts(b, "&ndash;");
  else
    gt_strbuf_printf(b, "%.2f", 100.0 * fraction);
}

/* XML text for JUnit files: markup characters escaped, and every byte sequence XML 1.0 forbids
 * (control characters, invalid or overlong UTF-8, surrogates, U+FFFE/U+FFFF) replaced by '?', so
 * a model name or footnote from a config can never make the file malformed. */
#include <stdint.h>

#include "gates/gates_internal.h"

/* Length of the valid UTF-8 sequence XML allows at s (1..4), or 0 when it is not one. */
static int utf8_char_len(const unsigned char *s) {
  unsigned c = s[0];
  if (c < 0x80) return (c >= 0x20 || c == '\t' || c == '\n' || c == '\r') ? 1 : 0;
  int len;
  uint32_t cp;
  if (c >= 0xC2 && c <= 0xDF) len = 2, cp = c & 0x1F;
  else if (c >= 0xE0 && c <= 0xEF) len = 3, cp = c & 0x0F;
  else if (c >= 0xF0 && c <= 0xF4) len = 4, cp = c & 0x07;
  else return 0;
  for (int i = 1; i < len; i++) {
    if ((s[i] & 0xC0) != 0x80) return 0; /* also stops at the terminating NUL */
    cp = (cp << 6) | (s[i] & 0x3F);
  }
  if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF))) return 0;
  if ((cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE || cp == 0xFFFF) return 0;
  return len;
}

void gt_xml_put(FILE *f, const char *text) {
  const unsigned char *s = (const unsigned char *)text;
  while (*s) {
    switch (*s) {
      case '&': fputs("&amp;", f), s++; continue;
      case '<': fputs("&lt;", f), s++; continue;
      case '>': fputs("&gt;", f), s++; continue;
      case '"': fputs("&quot;", f), s++; continue;
      case '\'': fputs("&apos;", f), s++; continue;
      default: break;
    }
    int len = utf8_char_len(s);
    if (len == 0) {
      fputc('?', f);
      s++;
    } else {
      fwrite(s, 1, (size_t)len, f);
      s += len;
    }
  }
}

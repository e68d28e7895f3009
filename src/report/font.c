/* A 3x5 bitmap font for the labels under the example images (libpng draws no text). Each glyph is
 * five octal digits, one per row from the top; in a row, 4 is the left pixel, 2 the middle, 1 the
 * right. Lower-case letters draw as upper-case. */
#include <ctype.h>

#include "report/report_internal.h"

static unsigned glyph_bits(char ch) {
  static const unsigned digits[10] = {075557, 026227, 071747, 071717, 055711,
                                      074717, 074757, 071111, 075757, 075717};
  static const unsigned letters[26] = {025755, 065656, 074447, 065556, 074647, 074644, 074557,
                                       055755, 072227, 011157, 055655, 044447, 057755, 065555,
                                       025552, 075744, 025563, 065655, 034216, 072222, 055557,
                                       055552, 055775, 055255, 055222, 071247};
  unsigned char u = (unsigned char)ch;
  if (isdigit(u)) return digits[u - '0'];
  if (isalpha(u)) return letters[toupper(u) - 'A'];
  switch (ch) {
    case ' ': return 0;
    case '-': return 000700;
    case '=': return 007070;
    case ':': return 002020;
    case '.': return 000002;
    default: return 071302; /* '?' */
  }
}

int gt_font_draw(uint8_t *img, int w, int h, int c, int x, int y, int x_end, int scale, const uint8_t rgb[3],
                 const char *text) {
  if (x_end > w) x_end = w;
  for (const char *p = text; *p; p++) {
    unsigned bits = glyph_bits(*p);
    for (int row = 0; row < GT_FONT_H; row++) {
      unsigned row_bits = (bits >> (3 * (GT_FONT_H - 1 - row))) & 7u;
      for (int col = 0; col < GT_FONT_W; col++) {
        if (!(row_bits & (4u >> col))) continue;
        for (int dy = 0; dy < scale; dy++) {
          int py = y + row * scale + dy;
          if (py < 0 || py >= h) continue;
          for (int dx = 0; dx < scale; dx++) {
            int px = x + col * scale + dx;
            if (px < 0 || px >= x_end) continue;
            uint8_t *dst = img + ((size_t)py * (size_t)w + (size_t)px) * (size_t)c;
            for (int ch = 0; ch < c; ch++) dst[ch] = rgb[c == 1 ? 0 : ch];
          }
        }
      }
    }
    x += (GT_FONT_W + 1) * scale;
  }
  return x;
}

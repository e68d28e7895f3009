/* Pieces of the HTML report shared between src/report files: a growing text buffer, HTML
 * escaping, base64, the SVG curve plot, the example-grid PNG encoder and its bitmap font. */
#ifndef GAUNTLET_REPORT_INTERNAL_H
#define GAUNTLET_REPORT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "gauntlet/leaderboard.h"
#include "gauntlet/status.h"

/* A growing NUL-terminated buffer. An allocation failure sets `failed` and later appends do
 * nothing, so writers check once at the end instead of after every append. */
typedef struct gt_strbuf {
  char *data;
  size_t len, cap;
  int failed;
} gt_strbuf;

void gt_strbuf_free(gt_strbuf *b);
void gt_strbuf_append(gt_strbuf *b, const char *s, size_t n);
void gt_strbuf_puts(gt_strbuf *b, const char *s);
void gt_strbuf_printf(gt_strbuf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Appends s with & < > " ' escaped and control characters (other than tab and newline) replaced by
 * spaces: safe both as element text and inside a quoted attribute value. */
void gt_html_escape(gt_strbuf *b, const char *s);
/* 1 when s is an absolute http:// or https:// URL without whitespace or control characters: the
 * only links the report turns into <a href>. */
int gt_html_link_is_safe(const char *s);
/* Appends <a href="s">text</a> when s is a safe link, else just the escaped text. */
void gt_html_link(gt_strbuf *b, const char *href, const char *text);
/* Appends a fraction in [0,1] as a percent with 2 decimals ("91.08"), or an en dash when NaN. */
void gt_html_percent(gt_strbuf *b, double fraction);

/* Standard base64 (RFC 4648, with '=' padding) of n bytes. */
void gt_base64_append(gt_strbuf *b, const uint8_t *data, size_t n);

/* One line of the robust-accuracy-vs-eps plot. */
typedef struct gt_svg_series {
  const char *name;
  int n;
  const gt_lb_curve_point *points;
} gt_svg_series;

/* Appends an inline <svg> plot of robust accuracy (0-100 %) against eps: axes with ticks, one
 * <polyline class="curve"> per series with point markers, a legend with the escaped names. */
void gt_svg_curves(gt_strbuf *b, const char *title, const gt_svg_series *series, int n_series);

/* The example grid of an entry as PNG bytes (malloc'd into *png, caller frees); see report.h. */
gt_status gt_report_grid_png_encode(const gt_lb_entry *e, const char *outdir, uint8_t **png, size_t *png_size,
                                    gt_error *err);

/* Writes n bytes to path through path.tmp.<pid> and a rename. */
gt_status gt_report_file_write_atomic(const char *path, const void *data, size_t n, gt_error *err);

/* The bitmap font: glyphs are GT_FONT_W x GT_FONT_H pixels; covers digits, the upper-case letters,
 * space and - = : . ? ; other characters draw as '?'. */
#define GT_FONT_W 3
#define GT_FONT_H 5
/* Draws text into an interleaved 8-bit image (channels c, row stride w*c) at (x, y), every font
 * pixel a scale x scale block of colour rgb (gray images use rgb[0]); clipped to the image and to
 * x < x_end. Returns the x after the last glyph. */
int gt_font_draw(uint8_t *img, int w, int h, int c, int x, int y, int x_end, int scale, const uint8_t rgb[3],
                 const char *text);

#endif

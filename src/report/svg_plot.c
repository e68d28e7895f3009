/* Robust accuracy (percent, 0-100) against eps as inline SVG: one plot per threat model in the
 * report, one polyline per model, ticks at "nice" eps values (1, 2 or 5 times a power of ten),
 * a legend on the right. Pure text output, so the page needs no plotting library. */
#include <math.h>
#include <string.h>

#include "report/report_internal.h"

#define PLOT_W 480.0 /* plotting area, in SVG user units */
#define PLOT_H 260.0
#define MARGIN_L 56.0
#define MARGIN_T 34.0
#define MARGIN_B 46.0
#define LEGEND_W 280.0
#define LEGEND_ROW 18.0

static const char *const palette[10] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                        "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

/* The smallest 1, 2 or 5 x 10^k step that cuts [0, span] into at most 6 intervals. */
static double nice_step(double span) {
  double raw = span / 6.0;
  double p = pow(10.0, floor(log10(raw)));
  if (raw <= p) return p;
  if (raw <= 2.0 * p) return 2.0 * p;
  if (raw <= 5.0 * p) return 5.0 * p;
  return 10.0 * p;
}

static int point_usable(const gt_lb_curve_point *p) { return isfinite(p->eps) && isfinite(p->robust_acc); }

static void plot_axes(gt_strbuf *b, double x_max, double step) {
  double x0 = MARGIN_L, y0 = MARGIN_T + PLOT_H;
  gt_strbuf_printf(b, "<g class=\"axes\" font-size=\"11\" fill=\"#333\">\n");
  for (int pct = 0; pct <= 100; pct += 20) {
    double y = y0 - PLOT_H * pct / 100.0;
    gt_strbuf_printf(b,
                     "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e3e3e3\"/>"
                     "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%d</text>\n",
                     x0, y, x0 + PLOT_W, y, x0 - 6, y + 4, pct);
  }
  int n_ticks = (int)floor(x_max / step + 0.5);
  for (int i = 0; i <= n_ticks; i++) {
    double v = i * step, x = x0 + PLOT_W * v / x_max;
    gt_strbuf_printf(b,
                     "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>"
                     "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%.4g</text>\n",
                     x, y0, x, y0 + 5, x, y0 + 18, v);
  }
  gt_strbuf_printf(b,
                   "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>"
                   "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n",
                   x0, y0, x0 + PLOT_W, y0, x0, y0, x0, MARGIN_T);
  gt_strbuf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">eps</text>\n", x0 + PLOT_W / 2,
                   y0 + 36);
  gt_strbuf_printf(b,
                   "<text x=\"14\" y=\"%.1f\" text-anchor=\"middle\" transform=\"rotate(-90 14 %.1f)\">"
                   "robust accuracy (%%)</text>\n</g>\n",
                   MARGIN_T + PLOT_H / 2, MARGIN_T + PLOT_H / 2);
}

/* Legend text: at most LEGEND_CHARS characters (UTF-8 code points) so it fits the legend column;
 * longer names end in an ellipsis (the markers' tooltips keep the full name). */
#define LEGEND_CHARS 30
static void legend_name(gt_strbuf *b, const char *name) {
  char prefix[4 * LEGEND_CHARS + 1];
  const unsigned char *p = (const unsigned char *)name;
  size_t len = 0;
  for (int chars = 0; p[len] && chars < LEGEND_CHARS; chars++) {
    size_t n = 1; /* the lead byte and its continuation bytes */
    while (p[len + n] && (p[len + n] & 0xC0) == 0x80) n++;
    if (len + n >= sizeof prefix) break;
    len += n;
  }
  memcpy(prefix, name, len);
  prefix[len] = '\0';
  gt_html_escape(b, prefix);
  if (name[len]) gt_strbuf_puts(b, "&hellip;");
}

static void plot_series(gt_strbuf *b, const gt_svg_series *s, int index, double x_max) {
  const char *colour = palette[index % 10];
  const char *dash = index >= 10 ? " stroke-dasharray=\"6 3\"" : "";
  /* Points in ascending eps (insertion sort of indices: at most GT_LB_MAX_EPS points). */
  int order[GT_LB_MAX_EPS], n = 0;
  for (int i = 0; i < s->n && i < GT_LB_MAX_EPS; i++) {
    if (!point_usable(&s->points[i])) continue;
    int j = n++;
    while (j > 0 && s->points[order[j - 1]].eps > s->points[i].eps) {
      order[j] = order[j - 1];
      j--;
    }
    order[j] = i;
  }
  gt_strbuf_printf(b, "<g class=\"series\" data-model=\"");
  gt_html_escape(b, s->name);
  gt_strbuf_printf(b, "\">\n<polyline class=\"curve\" fill=\"none\" stroke=\"%s\" stroke-width=\"2.5\"%s points=\"",
                   colour, dash);
  for (int i = 0; i < n; i++) {
    const gt_lb_curve_point *p = &s->points[order[i]];
    gt_strbuf_printf(b, "%s%.2f,%.2f", i ? " " : "", MARGIN_L + PLOT_W * p->eps / x_max,
                     MARGIN_T + PLOT_H * (1.0 - p->robust_acc));
  }
  gt_strbuf_puts(b, "\"/>\n");
  for (int i = 0; i < n; i++) {
    const gt_lb_curve_point *p = &s->points[order[i]];
    gt_strbuf_printf(b, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"3.5\" fill=\"%s\"><title>", MARGIN_L + PLOT_W * p->eps / x_max,
                     MARGIN_T + PLOT_H * (1.0 - p->robust_acc), colour);
    gt_html_escape(b, s->name);
    gt_strbuf_puts(b, ", eps ");
    gt_html_escape(b, p->eps_text);
    gt_strbuf_printf(b, ": %.2f%%</title></circle>\n", 100.0 * p->robust_acc);
  }
  double ly = MARGIN_T + 8 + LEGEND_ROW * index, lx = MARGIN_L + PLOT_W + 16;
  gt_strbuf_printf(b,
                   "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2.5\"%s/>"
                   "<text class=\"legend\" x=\"%.1f\" y=\"%.1f\" font-size=\"12\">",
                   lx, ly, lx + 22, ly, colour, dash, lx + 28, ly + 4);
  legend_name(b, s->name);
  gt_strbuf_puts(b, "</text>\n</g>\n");
}

void gt_svg_curves(gt_strbuf *b, const char *title, const gt_svg_series *series, int n_series) {
  double x_max = 0.0;
  for (int s = 0; s < n_series; s++)
    for (int i = 0; i < series[s].n; i++)
      if (point_usable(&series[s].points[i]) && series[s].points[i].eps > x_max) x_max = series[s].points[i].eps;
  if (!(x_max > 0.0)) x_max = 1.0;
  double step = nice_step(x_max);
  x_max = ceil(x_max / step - 1e-9) * step;

  double legend_h = MARGIN_T + 8 + LEGEND_ROW * n_series;
  double height = MARGIN_T + PLOT_H + MARGIN_B;
  if (legend_h > height) height = legend_h;
  double width = MARGIN_L + PLOT_W + LEGEND_W;
  gt_strbuf_printf(b,
                   "<svg class=\"curves\" width=\"%.0f\" height=\"%.0f\" "
                   "viewBox=\"0 0 %.0f %.0f\" role=\"img\" font-family=\"sans-serif\">\n<title>",
                   width, height, width, height);
  gt_html_escape(b, title);
  gt_strbuf_printf(b, "</title>\n<text x=\"%.1f\" y=\"18\" font-size=\"14\" font-weight=\"bold\">", MARGIN_L);
  gt_html_escape(b, title);
  gt_strbuf_puts(b, "</text>\n");
  plot_axes(b, x_max, step);
  for (int s = 0; s < n_series; s++) plot_series(b, &series[s], s, x_max);
  gt_strbuf_puts(b, "</svg>\n");
}

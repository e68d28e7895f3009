/* The HTML report and example grids: escaping of strangers' strings, base64, the SVG curves, PNG
 * grid pixels, and a whole page rendered from a synthetic leaderboard (structure, no external
 * resources, embedded PNGs that decode, the smoke banner). */
#include <math.h>
#include <png.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gauntlet/report.h"
#include "gt_test.h"
#include "report/report_internal.h"
#include "support/report_fixture.h"

static char *file_read(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = malloc((size_t)n + 1);
  if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
    free(buf);
    buf = NULL;
  }
  if (buf) buf[n] = '\0';
  if (size) *size = (size_t)n;
  fclose(f);
  return buf;
}

static int count_of(const char *hay, const char *needle) {
  int n = 0;
  size_t len = strlen(needle);
  for (const char *p = strstr(hay, needle); p; p = strstr(p + len, needle)) n++;
  return n;
}

static char *escaped(const char *s) {
  gt_strbuf b = {0};
  gt_html_escape(&b, s);
  return b.data;
}

/* Decodes base64 up to the first character outside the alphabet; returns the byte count or -1. */
static long base64_decode(const char *s, uint8_t *out, size_t cap) {
  static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  uint32_t acc = 0;
  int bits = 0;
  size_t n = 0;
  for (; *s && *s != '='; s++) {
    const char *d = strchr(digits, *s);
    if (!d || !*s) break;
    acc = (acc << 6) | (uint32_t)(d - digits);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (n >= cap) return -1;
      out[n++] = (uint8_t)(acc >> bits);
    }
  }
  return (long)n;
}

/* Decodes a PNG into 8-bit pixels of the format it has (gray or RGB); returns NULL if invalid. */
static uint8_t *png_decode(const void *data, size_t size, int *w, int *h, int *c) {
  png_image img;
  memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&img, data, size)) return NULL;
  *c = (img.format & PNG_FORMAT_FLAG_COLOR) ? 3 : 1;
  img.format = *c == 3 ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
  uint8_t *px = malloc(PNG_IMAGE_SIZE(img));
  if (!px || !png_image_finish_read(&img, NULL, px, 0, NULL)) {
    free(px);
    png_image_free(&img);
    return NULL;
  }
  *w = (int)img.width;
  *h = (int)img.height;
  return px;
}

static void fresh_dir(const char *name, char *dir, size_t size) {
  gt_test_tmp_path(name, dir, size);
  char cmd[1200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", dir, dir);
  GT_CHECK(system(cmd) == 0, "%s", cmd);
}

static void test_escape(void) {
  char *s = escaped("a<b>&\"'\x01z\tok\n");
  GT_CHECK(s && strcmp(s, "a&lt;b&gt;&amp;&quot;&#39; z\tok\n") == 0, "escaped: %s", s ? s : "(null)");
  free(s);
  s = escaped("");
  GT_CHECK(s && s[0] == '\0', "empty string");
  free(s);
  s = escaped("caf\xc3\xa9 plain");
  GT_CHECK(s && strcmp(s, "caf\xc3\xa9 plain") == 0, "UTF-8 passes through: %s", s ? s : "(null)");
  free(s);

  GT_CHECK(gt_html_link_is_safe("https://example.org/x?a=1"), "https link");
  GT_CHECK(gt_html_link_is_safe("HTTP://example.org"), "upper-case http");
  GT_CHECK(!gt_html_link_is_safe("javascript:alert(1)"), "javascript: link");
  GT_CHECK(!gt_html_link_is_safe("JaVaScRiPt:alert(1)"), "mixed-case javascript");
  GT_CHECK(!gt_html_link_is_safe(" https://example.org"), "leading space");
  GT_CHECK(!gt_html_link_is_safe("https://"), "no host");
  GT_CHECK(!gt_html_link_is_safe("https:///path"), "empty host");
  GT_CHECK(!gt_html_link_is_safe("https://a b"), "space inside");
  GT_CHECK(!gt_html_link_is_safe("https://a\nb"), "newline inside");
  GT_CHECK(!gt_html_link_is_safe("data:text/html,x"), "data: link");
  GT_CHECK(!gt_html_link_is_safe("//example.org"), "scheme-relative");
  GT_CHECK(!gt_html_link_is_safe(""), "empty");

  gt_strbuf b = {0};
  gt_html_link(&b, "https://e.org/?a=1&b=\"2\"", "n<1>");
  gt_strbuf_puts(&b, "|");
  gt_html_link(&b, "javascript:x()", "j\"s");
  GT_CHECK(b.data && strcmp(b.data,
                            "<a href=\"https://e.org/?a=1&amp;b=&quot;2&quot;\" rel=\"noopener noreferrer\">n&lt;1&gt;</a>"
                            "|j&quot;s") == 0,
           "links: %s", b.data ? b.data : "(null)");
  gt_strbuf_free(&b);
  gt_html_percent(&b, 0.91079);
  gt_strbuf_puts(&b, " ");
  gt_html_percent(&b, NAN);
  GT_CHECK(b.data && strcmp(b.data, "91.08 &ndash;") == 0, "percent: %s", b.data ? b.data : "(null)");
  gt_strbuf_free(&b);
}

static void test_base64(void) {
  /* RFC 4648 section 10 test vectors */
  static const char *const in[7] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
  static const char *const out[7] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
  for (int i = 0; i < 7; i++) {
    gt_strbuf b = {0};
    gt_strbuf_puts(&b, "");
    gt_base64_append(&b, (const uint8_t *)in[i], strlen(in[i]));
    const char *got = b.data ? b.data : "";
    GT_CHECK(strcmp(got, out[i]) == 0, "base64(%s) = %s, expected %s", in[i], got, out[i]);
    gt_strbuf_free(&b);
  }
  uint8_t bytes[256], back[256];
  for (int i = 0; i < 256; i++) bytes[i] = (uint8_t)(255 - i);
  gt_strbuf b = {0};
  gt_base64_append(&b, bytes, sizeof bytes);
  long n = base64_decode(b.data, back, sizeof back);
  GT_CHECK(n == 256 && memcmp(bytes, back, 256) == 0, "all byte values round-trip (%ld bytes)", n);
  gt_strbuf_free(&b);
}

static void test_font(void) {
  uint8_t img[5 * 8];
  memset(img, 255, sizeof img);
  const uint8_t black[3] = {0, 0, 0};
  int x = gt_font_draw(img, 8, 5, 1, 0, 0, 8, 1, black, "1?");
  GT_CHECK(x == 8, "two glyphs advance 8 pixels: %d", x);
  /* '1' = rows 010 110 010 010 111 */
  static const char *const one[5] = {".#.", "##.", ".#.", ".#.", "###"};
  for (int y = 0; y < 5; y++)
    for (int c = 0; c < 3; c++)
      GT_CHECK((img[y * 8 + c] == 0) == (one[y][c] == '#'), "glyph '1' pixel (%d, %d) = %d", c, y, img[y * 8 + c]);
  for (int y = 0; y < 5; y++) GT_CHECK(img[y * 8 + 3] == 255, "gap column stays white at row %d", y);
  /* clipping at x_end: nothing drawn at or right of it */
  memset(img, 255, sizeof img);
  gt_font_draw(img, 8, 5, 1, 0, 0, 2, 1, black, "88");
  for (int y = 0; y < 5; y++)
    for (int c = 2; c < 8; c++) GT_CHECK(img[y * 8 + c] == 255, "clipped pixel (%d, %d) drawn", c, y);
}

/* Returns the polyline points of the n-th <polyline class="curve"> in svg, parsed into xs, ys. */
static int polyline_points(const char *svg, int which, double *xs, double *ys, int cap) {
  const char *p = svg;
  for (int i = 0; i <= which; i++) {
    p = strstr(p, "<polyline class=\"curve\"");
    if (!p) return -1;
    p++;
  }
  p = strstr(p, "points=\"");
  if (!p) return -1;
  p += 8;
  int n = 0;
  while (*p != '"' && n < cap) {
    char *end;
    xs[n] = strtod(p, &end);
    if (*end != ',') return -1;
    ys[n] = strtod(end + 1, &end);
    n++;
    p = end;
    while (*p == ' ') p++;
  }
  return n;
}

static void test_svg(void) {
  gt_lb_curve_point a[3] = {{8.0 / 255, "8/255", 0.2}, {2.0 / 255, "2/255", 1.0}, {4.0 / 255, "4/255", NAN}};
  gt_lb_curve_point c[2] = {{2.0 / 255, "2/255", 0.0}, {8.0 / 255, "8/255", 0.5}};
  gt_svg_series s[2] = {{"<a> & \"b\"", 3, a}, {"plain", 2, c}};
  gt_strbuf b = {0};
  gt_svg_curves(&b, "Linf <x>", s, 2);
  GT_CHECK(!b.failed && b.data, "svg written");
  if (!b.data) return;
  GT_CHECK(count_of(b.data, "<svg") == 1 && count_of(b.data, "</svg>") == 1, "one svg element");
  GT_CHECK(count_of(b.data, "<polyline class=\"curve\"") == 2, "one polyline per series");
  GT_CHECK(count_of(b.data, "&lt;a&gt; &amp; &quot;b&quot;") >= 2, "legend and tooltips escape the name");
  GT_CHECK(strstr(b.data, "<a>") == NULL && strstr(b.data, "<x>") == NULL, "no raw names");
  GT_CHECK(count_of(b.data, "<circle") == 4, "markers only at finite points: %d", count_of(b.data, "<circle"));
  double xs[8], ys[8];
  int n = polyline_points(b.data, 0, xs, ys, 8);
  GT_CHECK(n == 2, "first series: the NaN point is skipped (%d points)", n);
  if (n == 2) {
    GT_CHECK(xs[0] < xs[1], "points in ascending eps: %g %g", xs[0], xs[1]);
    GT_CHECK(ys[0] < ys[1], "100%% is above 20%%: %g %g", ys[0], ys[1]);
    /* plot area: 260 units tall from y = 34; 100 % at the top, 20 % at 34 + 0.8 * 260 */
    GT_CHECK_CLOSE(ys[0], 34.0, 0.01, 0, "y of 100%");
    GT_CHECK_CLOSE(ys[1], 34.0 + 0.8 * 260.0, 0.01, 0, "y of 20%");
  }
  n = polyline_points(b.data, 1, xs, ys, 8);
  GT_CHECK(n == 2, "second series has 2 points (%d)", n);
  if (n == 2) {
    GT_CHECK_CLOSE(ys[0], 294.0, 0.01, 0, "y of 0%");
    /* x axis runs 0..0.04 (nice ticks around 8/255 = 0.0314) over 480 units from x = 56 */
    GT_CHECK_CLOSE(xs[1], 56.0 + 480.0 * (8.0 / 255) / 0.04, 0.01, 0, "x of 8/255");
  }
  GT_CHECK(strstr(b.data, ">0.04</text>") && strstr(b.data, ">0.02</text>"), "x ticks at nice values");
  GT_CHECK(strstr(b.data, ">100</text>") && strstr(b.data, ">40</text>"), "y ticks in percent");
  gt_strbuf_free(&b);

  /* a long name is cut at 30 characters (UTF-8 code points) in the legend, whole in the tooltips */
  char long_name[128] = "";
  for (int i = 0; i < 40; i++) strcat(long_name, "\xc3\xa9");
  char cut[128] = "";
  for (int i = 0; i < 30; i++) strcat(cut, "\xc3\xa9");
  strcat(cut, "&hellip;</text>");
  gt_svg_series one = {long_name, 2, c};
  gt_svg_curves(&b, "t", &one, 1);
  GT_CHECK(b.data && strstr(b.data, cut) != NULL, "legend cut with an ellipsis");
  GT_CHECK(b.data && count_of(b.data, long_name) == 3, "full name in the group and tooltips");
  gt_strbuf_free(&b);
}

/* One example grid, decoded, against the fixture's pixels. */
static void check_grid(const uint8_t *px, int gw, int gh, int gc, int k, int c, int h, int w) {
  int pad = 2, band = 2 * 6 + 1;
  GT_CHECK(gc == c, "grid channels %d, expected %d", gc, c);
  GT_CHECK(gw == 3 * w + 4 * pad && gh == pad + k * (h + band + pad), "grid size %d x %d", gw, gh);
  if (gc != c || gw != 3 * w + 4 * pad || gh != pad + k * (h + band + pad)) return;
  int plane = h * w, bad_clean = 0, bad_adv = 0, bad_diff = 0, white_diff = 0;
  for (int i = 0; i < k; i++) {
    int y0 = pad + i * (h + band + pad);
    float m = 0.0f;
    for (int j = 0; j < c * plane; j++) {
      float d = fabsf(report_fixture_pixel(k + i, k, j) - report_fixture_pixel(i, k, j));
      if (d > m) m = d;
    }
    for (int ch = 0; ch < c; ch++) {
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          int j = ch * plane + y * w + x;
          float clean = report_fixture_pixel(i, k, j), adv = report_fixture_pixel(k + i, k, j);
          const uint8_t *row = px + (size_t)(y0 + y) * (size_t)gw * (size_t)c;
          int v_clean = row[(pad + x) * c + ch], v_adv = row[(2 * pad + w + x) * c + ch];
          int v_diff = row[(3 * pad + 2 * w + x) * c + ch];
          bad_clean += v_clean != (int)lrintf(clean * 255.0f);
          bad_adv += v_adv != (int)lrintf(adv * 255.0f);
          int want = (int)lrintf(fabsf(adv - clean) / m * 255.0f);
          bad_diff += abs(v_diff - want) > 1;
          white_diff += v_diff == 255;
        }
      }
    }
  }
  GT_CHECK(bad_clean == 0, "%d clean pixels differ from the input", bad_clean);
  GT_CHECK(bad_adv == 0, "%d adversarial pixels differ from the input", bad_adv);
  GT_CHECK(bad_diff == 0, "%d perturbation pixels off |adv - clean| / max", bad_diff);
  GT_CHECK(white_diff >= k, "each example's largest change is white (%d white pixels)", white_diff);
  /* label band under the first clean image has text (black) pixels */
  int dark = 0;
  for (int y = pad + h; y < pad + h + band; y++)
    for (int x = pad; x < pad + w; x++) dark += px[((size_t)y * (size_t)gw + (size_t)x) * (size_t)c] == 0;
  GT_CHECK(dark > 3, "labels drawn under the clean image (%d dark pixels)", dark);
  if (c == 3) {
    /* example 0 is broken (prediction != label): its adversarial label is red */
    int red = 0;
    for (int y = pad + h; y < pad + h + band; y++)
      for (int x = 2 * pad + w; x < 2 * pad + 2 * w; x++) {
        const uint8_t *p = px + ((size_t)y * (size_t)gw + (size_t)x) * 3;
        red += p[0] == 200 && p[1] == 0 && p[2] == 0;
      }
    GT_CHECK(red > 3, "wrong prediction drawn in red (%d red pixels)", red);
  }
}

static const gt_lb_entry *fixture_entry(const gt_leaderboard *lb, int table, const char *name) {
  for (int i = 0; i < lb->tables[table].n_entries; i++)
    if (strcmp(lb->tables[table].entries[i].name, name) == 0) return &lb->tables[table].entries[i];
  return NULL;
}

static void test_grid_png(void) {
  char dir[512], png_path[700];
  fresh_dir("report-grid", dir, sizeof dir);
  gt_leaderboard lb;
  GT_CHECK(report_fixture_make(&lb, dir, 0) == 0, "fixture");
  struct {
    int table;
    const char *name;
    int k, c, h, w;
  } cases[2] = {{2, FIXTURE_HOSTILE_NAME, 2, 1, FIXTURE_GRAY_H, FIXTURE_GRAY_W},
                {5, FIXTURE_SAFE_NAME, 3, 3, FIXTURE_RGB_H, FIXTURE_RGB_W}};
  for (int t = 0; t < 2; t++) {
    const gt_lb_entry *e = fixture_entry(&lb, cases[t].table, cases[t].name);
    GT_CHECK(e && e->examples.k == cases[t].k, "fixture entry with examples");
    if (!e) continue;
    snprintf(png_path, sizeof png_path, "%s/grid%d.png", dir, t);
    gt_error err = {0};
    gt_status st = gt_report_grid_png_write(e, dir, png_path, &err);
    GT_CHECK(st == GT_OK, "grid written: %s", err.message);
    size_t size = 0;
    char *bytes = file_read(png_path, &size);
    int w = 0, h = 0, c = 0;
    uint8_t *px = bytes ? png_decode(bytes, size, &w, &h, &c) : NULL;
    GT_CHECK(px != NULL, "%s decodes as a PNG", png_path);
    if (px) check_grid(px, w, h, c, cases[t].k, cases[t].c, cases[t].h, cases[t].w);
    free(px);
    free(bytes);
  }

  /* bad examples: a shape that does not match, a missing file, an impossible k */
  gt_lb_entry bad = *fixture_entry(&lb, 2, FIXTURE_SAFE_NAME);
  gt_error err = {0};
  bad.examples.h += 1;
  snprintf(png_path, sizeof png_path, "%s/bad.png", dir);
  GT_CHECK(gt_report_grid_png_write(&bad, dir, png_path, &err) == GT_ERR_SHAPE &&
               strstr(err.message, "m1_Linf.npy") && strstr(err.message, "shape"),
           "shape mismatch: %s", err.message);
  bad.examples.h -= 1;
  snprintf(bad.examples.npy_path, sizeof bad.examples.npy_path, "examples/none.npy");
  GT_CHECK(gt_report_grid_png_write(&bad, dir, png_path, &err) != GT_OK && strstr(err.message, "none.npy"),
           "missing file: %s", err.message);
  bad.examples.k = 17;
  GT_CHECK(gt_report_grid_png_write(&bad, dir, png_path, &err) == GT_ERR_FORMAT && strstr(err.message, "k = 17"),
           "k out of range: %s", err.message);
  GT_CHECK(access(png_path, F_OK) != 0, "no PNG left behind by failures");
  gt_leaderboard_free(&lb);
}

/* Every <tag ...> named `tag` whose attribute `attr` does not start with `prefix`. */
static int tags_with_bad_attr(const char *html, const char *tag, const char *attr, const char *prefix) {
  int bad = 0;
  char open[32], key[32];
  snprintf(open, sizeof open, "<%s", tag);
  snprintf(key, sizeof key, " %s=\"", attr);
  for (const char *p = strstr(html, open); p; p = strstr(p + 1, open)) {
    const char *end = strchr(p, '>');
    const char *a = strstr(p, key);
    if (a && end && a < end && strncmp(a + strlen(key), prefix, strlen(prefix)) != 0) bad++;
  }
  return bad;
}

static void check_page(const char *html, const char *dir, int smoke) {
  /* structure */
  GT_CHECK(strncmp(html, "<!DOCTYPE html>", 15) == 0, "doctype first");
  GT_CHECK(count_of(html, "<table class=\"lb\"") == FIXTURE_TABLES, "%d tables", count_of(html, "<table class=\"lb\""));
  GT_CHECK(count_of(html, "<tr><td") == FIXTURE_TABLES * FIXTURE_MODELS, "%d body rows", count_of(html, "<tr><td"));
  GT_CHECK(count_of(html, "<thead>") == FIXTURE_TABLES, "one header per table");
  GT_CHECK(count_of(html, "<svg") == 2, "one curve plot per threat model: %d", count_of(html, "<svg"));
  GT_CHECK(count_of(html, "<polyline class=\"curve\"") == 4, "one curve per model and threat model: %d",
           count_of(html, "<polyline class=\"curve\""));
  GT_CHECK(count_of(html, ">after apgd-t (%)</th>") == FIXTURE_TABLES, "per-attack columns");
  GT_CHECK(strstr(html, "<td class=\"num\" data-sort=\"0.915000\">91.50</td>") != NULL, "clean accuracy cell");
  GT_CHECK(strstr(html, ", eps = 8/255</h3>") && strstr(html, ", eps = 0.25</h3>"), "table headings");
  GT_CHECK(strstr(html, "<time>2026-11-24T21:00:00Z</time>") != NULL, "created time");
  GT_CHECK(count_of(html, "<dt>apgd-t</dt><dd>2.0 s, 200 forward, 200 backward</dd>") ==
               FIXTURE_TABLES * FIXTURE_MODELS,
           "per-attack cost in the provenance");
  GT_CHECK(strstr(html, "<title>Fixture &lt;b&gt;board&lt;/b&gt;</title>") != NULL, "escaped title");

  /* hostile strings: escaped, never live */
  char *name = escaped(FIXTURE_HOSTILE_NAME), *foot = escaped(FIXTURE_HOSTILE_FOOTNOTE);
  char *detail = escaped(FIXTURE_HOSTILE_DETAIL), *safe = escaped(FIXTURE_SAFE_LINK);
  GT_CHECK(strstr(html, "Evil &lt;script&gt;alert(1)&lt;/script&gt; &quot;q&quot; &#39;x&#39; &amp; co") != NULL,
           "hostile name escaped");
  GT_CHECK(count_of(html, name) >= FIXTURE_TABLES, "hostile name in every table");
  GT_CHECK(count_of(html, foot) == FIXTURE_TABLES && count_of(html, detail) == FIXTURE_TABLES,
           "footnote and flag detail escaped in every table");
  GT_CHECK(count_of(html, "<script") == 1 && strstr(html, "<script>(function(){"), "only our own script");
  GT_CHECK(strstr(html, "alert(1)</script>") == NULL && strstr(html, "<img src=x") == NULL, "no live hostile tags");
  GT_CHECK(strstr(html, "javascript:") == NULL, "javascript: link not written at all");
  GT_CHECK(tags_with_bad_attr(html, "a", "href", "https://") == 0, "only http(s) links");
  GT_CHECK(count_of(html, "<a href=\"") == FIXTURE_TABLES, "the safe model is linked in every table");
  char want[600];
  snprintf(want, sizeof want, "<a href=\"%s\"", safe);
  GT_CHECK(strstr(html, want) != NULL, "safe link with escaped &: %s", want);
  free(name);
  free(foot);
  free(detail);
  free(safe);

  /* flags with explanations */
  GT_CHECK(count_of(html, "<span class=\"flag-name\">zero_gradients</span>") == FIXTURE_TABLES, "flag names");
  GT_CHECK(count_of(html, "The input gradient is exactly zero for many correctly classified points") ==
               FIXTURE_TABLES,
           "flag explanations");
  int smoke_flags = count_of(html, "<span class=\"flag-name\">smoke_preset</span>");
  GT_CHECK(smoke_flags == (smoke ? FIXTURE_TABLES * FIXTURE_MODELS : 0), "smoke flags: %d", smoke_flags);
  GT_CHECK((strstr(html, "class=\"banner smoke\"") != NULL) == smoke, "smoke banner iff a smoke run");
  GT_CHECK(smoke || count_of(html, ">none</td>") == FIXTURE_TABLES, "unflagged model shows no flags");

  /* self-contained: no fetch of anything outside the page */
  GT_CHECK(strstr(html, "Content-Security-Policy\" content=\"default-src 'none'; img-src data:;") != NULL, "CSP");
  static const char *const banned[] = {"<link", "<iframe", "<object", "<embed", "<video", "<audio",
                                       "<source", "@import", "url(", "<base"};
  for (size_t i = 0; i < sizeof banned / sizeof banned[0]; i++)
    GT_CHECK(strstr(html, banned[i]) == NULL, "external-resource construct %s present", banned[i]);
  GT_CHECK(tags_with_bad_attr(html, "img", "src", "data:image/png;base64,") == 0, "images are data: URIs");
  GT_CHECK(tags_with_bad_attr(html, "script", "src", "") == 0 && !strstr(html, "<script src"), "no script src");

  /* embedded grids: 2 models x 2 threat models, valid PNGs equal to the files written next to the page */
  int grids = 0;
  const char *key = "<img src=\"data:image/png;base64,";
  for (const char *p = strstr(html, key); p; p = strstr(p + 1, key)) {
    size_t cap = 1 << 20;
    uint8_t *png = malloc(cap);
    long n = png ? base64_decode(p + strlen(key), png, cap) : -1;
    int w = 0, h = 0, c = 0;
    uint8_t *px = n > 0 ? png_decode(png, (size_t)n, &w, &h, &c) : NULL;
    GT_CHECK(px != NULL, "data URI %d decodes as a PNG (%ld bytes)", grids, n);
    if (px) {
      int gray = c == 1;
      if (gray)
        check_grid(px, w, h, c, 2, 1, FIXTURE_GRAY_H, FIXTURE_GRAY_W);
      else
        check_grid(px, w, h, c, 3, 3, FIXTURE_RGB_H, FIXTURE_RGB_W);
    }
    free(px);
    free(png);
    grids++;
  }
  GT_CHECK(grids == 4, "%d embedded grids", grids);
  static const char *const files[4] = {"ResNet-18_baseline_Linf.png", "ResNet-18_baseline_L2.png",
                                       "Evil__script_alert_1___script___q___x____co_Linf.png",
                                       "Evil__script_alert_1___script___q___x____co_L2.png"};
  for (int i = 0; i < 4; i++) {
    char path[1024];
    snprintf(path, sizeof path, "%s/examples/%s", dir, files[i]);
    size_t size = 0;
    char *bytes = file_read(path, &size);
    GT_CHECK(bytes != NULL, "grid file %s written", path);
    if (!bytes) continue;
    gt_strbuf b64 = {0};
    gt_base64_append(&b64, (const uint8_t *)bytes, size);
    GT_CHECK(b64.data && strstr(html, b64.data) != NULL, "%s is the embedded grid", files[i]);
    gt_strbuf_free(&b64);
    free(bytes);
  }
}

static void render_and_check(const char *name, int smoke) {
  char dir[512], path[700];
  fresh_dir(name, dir, sizeof dir);
  gt_leaderboard lb;
  GT_CHECK(report_fixture_make(&lb, dir, smoke) == 0, "fixture");
  gt_error err = {0};
  gt_status st = gt_report_html_write(&lb, dir, &err);
  GT_CHECK(st == GT_OK, "report written: %s", err.message);
  snprintf(path, sizeof path, "%s/report.html", dir);
  char *html = file_read(path, NULL);
  GT_CHECK(html != NULL, "%s exists", path);
  if (html) check_page(html, dir, smoke);
  free(html);
  char cmd[1200], out[256] = "", errs[256] = "";
  snprintf(cmd, sizeof cmd, "find '%s' -name '*.tmp.*' | wc -l", dir);
  gt_test_run_command(cmd, out, sizeof out, errs, sizeof errs);
  GT_CHECK(atoi(out) == 0, "no temporary files left: %s", out);
  gt_leaderboard_free(&lb);
}

static void test_page(void) { render_and_check("report-page", 0); }
static void test_page_smoke(void) { render_and_check("report-smoke", 1); }

/* A missing example file is a message in the page, not a failed report; an empty board renders. */
static void test_page_degraded(void) {
  char dir[512], path[700];
  fresh_dir("report-degraded", dir, sizeof dir);
  gt_leaderboard lb;
  GT_CHECK(report_fixture_make(&lb, dir, 0) == 0, "fixture");
  snprintf(path, sizeof path, "%s/examples/m0_L2.npy", dir);
  GT_CHECK(remove(path) == 0, "remove %s", path);
  gt_error err = {0};
  GT_CHECK(gt_report_html_write(&lb, dir, &err) == GT_OK, "report written: %s", err.message);
  snprintf(path, sizeof path, "%s/report.html", dir);
  char *html = file_read(path, NULL);
  GT_CHECK(html && count_of(html, "example grid unavailable: ") == 1 && count_of(html, "m0_L2.npy") == 1,
           "missing grid reported in the page");
  GT_CHECK(html && count_of(html, "<img src=\"data:image/png;base64,") == 3, "the other grids remain");
  free(html);
  gt_leaderboard_free(&lb);

  gt_leaderboard empty = {0};
  GT_CHECK(gt_report_html_write(&empty, dir, &err) == GT_OK, "empty board: %s", err.message);
  html = file_read(path, NULL);
  GT_CHECK(html && strstr(html, "No results yet.") && strstr(html, "</html>"), "empty board page");
  free(html);
  GT_CHECK(gt_report_html_write(&empty, "", &err) == GT_ERR_USAGE, "empty outdir refused");
  gt_lb_table broken = {.n_entries = 2, .entries = NULL};
  gt_leaderboard inconsistent = {.n_tables = 1, .tables = &broken};
  GT_CHECK(gt_report_html_write(&inconsistent, dir, &err) == GT_ERR_USAGE && strstr(err.message, "table 0"),
           "entries missing: %s", err.message);
  snprintf(path, sizeof path, "%s/no/such/dir", dir);
  GT_CHECK(gt_report_html_write(&empty, path, &err) == GT_ERR_IO && strstr(err.message, path),
           "unwritable outdir: %s", err.message);
}

/* Fills s (capacity size) with 1..size-1 random non-zero bytes, or with `plain` when rng is NULL. */
static void fill_string(char *s, size_t size, const char *plain, uint32_t *rng) {
  if (!rng) {
    snprintf(s, size, "%s", plain);
    return;
  }
  size_t n = 1 + (*rng = *rng * 1664525u + 1013904223u) % (uint32_t)(size - 1);
  for (size_t i = 0; i < n; i++) {
    *rng = *rng * 1664525u + 1013904223u;
    s[i] = (char)(1 + (*rng >> 24) % 255);
  }
  s[n] = '\0';
  if (strncasecmp(s, "http", 4) == 0) s[0] = 'x'; /* keep links unsafe in both renderings */
}

/* Every string from a config or model replaced: by plain words (rng NULL) or by random bytes. */
static void strings_replace(gt_leaderboard *lb, uint32_t seed, int random) {
  uint32_t state = seed, *rng = random ? &state : NULL;
  char model_names[FIXTURE_MODELS][128], attack_names[3][48];
  for (int m = 0; m < FIXTURE_MODELS; m++) {
    char plain[8];
    snprintf(plain, sizeof plain, "m%d", m);
    fill_string(model_names[m], sizeof model_names[m], plain, rng);
  }
  for (int a = 0; a < 3; a++) {
    char plain[8];
    snprintf(plain, sizeof plain, "a%d", a);
    fill_string(attack_names[a], sizeof attack_names[a], plain, rng);
  }
  fill_string(lb->title, sizeof lb->title, "t", rng);
  fill_string(lb->created_utc, sizeof lb->created_utc, "c", rng);
  for (int t = 0; t < lb->n_tables; t++) {
    fill_string(lb->tables[t].eps_text, sizeof lb->tables[t].eps_text, "e", rng);
    for (int i = 0; i < lb->tables[t].n_entries; i++) {
      gt_lb_entry *e = &lb->tables[t].entries[i];
      int model = strcmp(e->name, FIXTURE_HOSTILE_NAME) == 0 ? 0 : 1;
      memcpy(e->name, model_names[model], sizeof e->name);
      fill_string(e->link, sizeof e->link, "l", rng);
      fill_string(e->authors, sizeof e->authors, "a", rng);
      fill_string(e->venue, sizeof e->venue, "v", rng);
      fill_string(e->architecture, sizeof e->architecture, "r", rng);
      fill_string(e->footnote, sizeof e->footnote, "f", rng);
      fill_string(e->eps_text, sizeof e->eps_text, "e", rng);
      fill_string(e->dataset, sizeof e->dataset, "d", rng);
      fill_string(e->suite, sizeof e->suite, "s", rng);
      fill_string(e->config_hash, sizeof e->config_hash, "h", rng);
      fill_string(e->gauntlet_version, sizeof e->gauntlet_version, "g", rng);
      fill_string(e->git_commit, sizeof e->git_commit, "g", rng);
      fill_string(e->device, sizeof e->device, "d", rng);
      for (int a = 0; a < e->n_attacks && a < 3; a++) memcpy(e->attacks[a].name, attack_names[a], sizeof attack_names[a]);
      for (int c = 0; c < e->n_curve; c++) fill_string(e->curve[c].eps_text, sizeof e->curve[c].eps_text, "e", rng);
      for (int f = 0; f < e->n_flags; f++) fill_string(e->flags[f].detail, sizeof e->flags[f].detail, "x", rng);
    }
  }
}

/* Markup characters in the page come only from the page's own structure: rendering random bytes
 * in every stranger's string gives exactly as many < > " ' as rendering plain words. */
static void test_page_random_strings(void) {
  long counts[2][4];
  for (int random = 0; random < 2; random++) {
    char dir[512], path[700];
    fresh_dir(random ? "report-random" : "report-plain", dir, sizeof dir);
    gt_leaderboard lb;
    GT_CHECK(report_fixture_make(&lb, dir, 0) == 0, "fixture");
    strings_replace(&lb, 12345u, random);
    gt_error err = {0};
    GT_CHECK(gt_report_html_write(&lb, dir, &err) == GT_OK, "report written: %s", err.message);
    snprintf(path, sizeof path, "%s/report.html", dir);
    char *html = file_read(path, NULL);
    GT_CHECK(html != NULL, "%s", path);
    memset(counts[random], 0, sizeof counts[random]);
    for (const char *p = html ? html : ""; *p; p++) {
      counts[random][0] += *p == '<';
      counts[random][1] += *p == '>';
      counts[random][2] += *p == '"';
      counts[random][3] += *p == '\'';
    }
    if (random) GT_CHECK(html && count_of(html, "<img src=\"data:image/png;base64,") == 4, "grids with random names");
    free(html);
    gt_leaderboard_free(&lb);
  }
  static const char marks[4] = {'<', '>', '"', '\''};
  for (int k = 0; k < 4; k++)
    GT_CHECK(counts[0][k] == counts[1][k], "'%c': %ld with plain strings, %ld with random bytes", marks[k], counts[0][k],
             counts[1][k]);
}

int main(void) {
  gt_test_run("escape", test_escape);
  gt_test_run("base64", test_base64);
  gt_test_run("font", test_font);
  gt_test_run("svg", test_svg);
  gt_test_run("grid_png", test_grid_png);
  gt_test_run("page", test_page);
  gt_test_run("page_smoke", test_page_smoke);
  gt_test_run("page_degraded", test_page_degraded);
  gt_test_run("page_random_strings", test_page_random_strings);
  return gt_test_finish();
}

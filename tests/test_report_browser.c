/* report.html in a real browser: Debian's headless chromium loads the page from a synthetic
 * leaderboard, runs its script (sorting from the address's #sort=...), and dumps the DOM and a
 * screenshot. Checks: the tables, rows and SVG curves exist after parsing, hostile strings stayed
 * text (no extra <script> elements), the sort applied, and the screenshot shows the curves' colours.
 * Skipped (exit 77) with a message when chromium is not installed. */
#include <png.h>
#include <stdlib.h>
#include <string.h>

#include "gauntlet/report.h"
#include "gt_test.h"
#include "support/report_fixture.h"

#define DOM_MAX (1 << 20)

static char g_dir[512];
static char *g_dom;

static int count_of(const char *hay, const char *needle) {
  int n = 0;
  size_t len = strlen(needle);
  for (const char *p = strstr(hay, needle); p; p = strstr(p + len, needle)) n++;
  return n;
}

static int chromium_run(const char *args, const char *url, char *out, size_t out_size) {
  char cmd[4096], err[4096];
  /* --no-sandbox: ctest may run as root (containers), where chromium's sandbox refuses to start. */
  snprintf(cmd, sizeof cmd,
           "timeout 120 chromium --headless --no-sandbox --disable-gpu --no-first-run --hide-scrollbars "
           "--user-data-dir='%s/profile' %s '%s'",
           g_dir, args, url);
  int rc = gt_test_run_command(cmd, out, out_size, err, sizeof err);
  GT_CHECK(rc == 0, "chromium exited with %d: %s", rc, err);
  return rc;
}

static void test_dom(void) {
  char url[1024];
  /* sort the first table (Linf, 2/255) by its Model column, ascending: the page writes the safe
   * model first (it ranks first), so the sorted DOM puts the hostile one ("Evil ...") first */
  snprintf(url, sizeof url, "file://%s/report.html#sort=t0:1:asc", g_dir);
  if (chromium_run("--dump-dom", url, g_dom, DOM_MAX) != 0) return;
  GT_CHECK(strstr(g_dom, "data-sort-ready=\"1\"") != NULL, "the page's script ran (CSP hash accepted)");
  GT_CHECK(count_of(g_dom, "<table class=\"lb\"") == FIXTURE_TABLES, "%d tables in the DOM",
           count_of(g_dom, "<table class=\"lb\""));
  GT_CHECK(count_of(g_dom, "<tr><td") == FIXTURE_TABLES * FIXTURE_MODELS, "%d body rows in the DOM",
           count_of(g_dom, "<tr><td"));
  GT_CHECK(count_of(g_dom, "<polyline class=\"curve\"") == 4, "%d curves in the DOM",
           count_of(g_dom, "<polyline class=\"curve\""));
  GT_CHECK(count_of(g_dom, "<script") == 1, "hostile strings stayed text: %d script elements",
           count_of(g_dom, "<script"));
  GT_CHECK(count_of(g_dom, "<img") == 4, "%d example grids", count_of(g_dom, "<img"));
  const char *t0 = strstr(g_dom, "id=\"t0\"");
  const char *evil = t0 ? strstr(t0, "<tr><td class=\"num\" data-sort=\"2\">") : NULL;
  const char *safe = t0 ? strstr(t0, "<tr><td class=\"num\" data-sort=\"1\">") : NULL;
  GT_CHECK(evil && safe && evil < safe, "table t0 sorted by model name (rank 2 row first)");
  GT_CHECK(count_of(g_dom, "aria-sort=\"ascending\"") == 1, "one sorted column");
  const char *t1 = strstr(g_dom, "id=\"t1\"");
  evil = t1 ? strstr(t1, "<tr><td class=\"num\" data-sort=\"2\">") : NULL;
  safe = t1 ? strstr(t1, "<tr><td class=\"num\" data-sort=\"1\">") : NULL;
  GT_CHECK(evil && safe && safe < evil, "other tables keep their ranking");
}

/* Pixels within `tol` of colour rgb in an RGB image. */
static long colour_count(const uint8_t *px, long n, int r, int g, int b, int tol) {
  long hits = 0;
  for (long i = 0; i < n; i++) {
    const uint8_t *p = px + 3 * i;
    hits += abs(p[0] - r) <= tol && abs(p[1] - g) <= tol && abs(p[2] - b) <= tol;
  }
  return hits;
}

static void test_screenshot(void) {
  char url[1024], args[1024], shot[700], out[4096];
  snprintf(url, sizeof url, "file://%s/report.html", g_dir);
  snprintf(shot, sizeof shot, "%s/shot.png", g_dir);
  snprintf(args, sizeof args, "--window-size=1100,900 --screenshot='%s'", shot);
  if (chromium_run(args, url, out, sizeof out) != 0) return;
  png_image img;
  memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  int ok = png_image_begin_read_from_file(&img, shot);
  GT_CHECK(ok, "%s is a PNG: %s", shot, img.message);
  if (!ok) return;
  img.format = PNG_FORMAT_RGB;
  uint8_t *px = malloc(PNG_IMAGE_SIZE(img));
  ok = px && png_image_finish_read(&img, NULL, px, 0, NULL);
  GT_CHECK(ok, "screenshot decodes: %s", img.message);
  if (ok) {
    long n = (long)img.width * (long)img.height;
    long white = colour_count(px, n, 255, 255, 255, 0);
    GT_CHECK(img.width == 1100 && img.height == 900, "screenshot %u x %u", img.width, img.height);
    GT_CHECK(n - white > n / 50, "page not blank: %ld of %ld pixels are not white", n - white, n);
    /* the first two palette colours: the two models' curves in the Linf plot at the top */
    long blue = colour_count(px, n, 0x1f, 0x77, 0xb4, 6), orange = colour_count(px, n, 0xff, 0x7f, 0x0e, 6);
    GT_CHECK(blue > 200 && orange > 200, "curves drawn: %ld blue and %ld orange pixels", blue, orange);
    /* header cells of the first table (#f0f0f0) are in view */
    GT_CHECK(colour_count(px, n, 0xf0, 0xf0, 0xf0, 0) > 1000, "table header background visible");
  }
  free(px);
}

static void skip_without_chromium(void) {
  gt_test_skip("chromium is not installed: install Debian's 'chromium' to check report.html in a browser");
}

int main(void) {
  char out[512], err[512];
  if (gt_test_run_command("command -v chromium", out, sizeof out, err, sizeof err) != 0) {
    gt_test_run("chromium", skip_without_chromium);
    gt_test_finish();
    return 77;
  }
  gt_test_tmp_path("report-browser", g_dir, sizeof g_dir);
  char cmd[1200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", g_dir, g_dir);
  gt_leaderboard lb;
  gt_error e = {0};
  g_dom = malloc(DOM_MAX);
  if (system(cmd) != 0 || !g_dom || report_fixture_make(&lb, g_dir, 0) != 0 ||
      gt_report_html_write(&lb, g_dir, &e) != GT_OK) {
    fprintf(stderr, "cannot prepare the report in %s: %s\n", g_dir, e.message);
    free(g_dom);
    return 1;
  }
  gt_leaderboard_free(&lb);
  gt_test_run("dom", test_dom);
  gt_test_run("screenshot", test_screenshot);
  free(g_dom);
  return gt_test_finish();
}

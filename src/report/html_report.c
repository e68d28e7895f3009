/* report.html: the page people read after a sweep. Self-contained: styles, the sorting script, the
 * SVG curves and the example grids (PNG as data: URIs) are all inline, and a Content-Security-Policy
 * forbids every network fetch and every script except ours (allowed by its SHA-256), so a string
 * that slipped through escaping still could not run.
 *
 * Layout: title, creation time and provenance; a banner on smoke runs; per threat model its curve
 * plot and one table per eps (ranked best first as the page is written, so it reads correctly
 * without JavaScript; the script sorts by any column on a click, and by "#sort=<table>:<col>:<dir>"
 * in the address); the example grids per model and threat model. Example grids are also written as
 * PNG files under examples/. A grid that cannot be made (a missing .npy) is shown as a message in
 * the page rather than failing the whole report. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "gauntlet/report.h"
#include "gauntlet/sha256.h"
#include "report/report_internal.h"

static const char page_style[] =
    "body{font-family:sans-serif;margin:24px;color:#222;max-width:1400px}"
    "h1{margin-bottom:4px}.meta{color:#555;margin-top:0}"
    ".banner{background:#fff3cd;border:2px solid #e0a800;padding:10px 14px;margin:12px 0;font-weight:bold}"
    "table.lb{border-collapse:collapse;margin:8px 0 24px;font-size:13px}"
    "table.lb th,table.lb td{border:1px solid #ccc;padding:4px 8px;vertical-align:top}"
    "table.lb th{background:#f0f0f0;white-space:nowrap}"
    "html.js table.lb th{cursor:pointer}html.js table.lb th:hover{background:#e2e8f0}"
    "th[aria-sort=ascending]::after{content:' \\25B2'}th[aria-sort=descending]::after{content:' \\25BC'}"
    "td.num{text-align:right;font-variant-numeric:tabular-nums}"
    ".sub{color:#666;font-size:12px}.note{color:#555;font-size:12px;font-style:italic}"
    ".unreliable{color:#b00;font-weight:bold}.flag-name{font-family:monospace}"
    "details ul{margin:4px 0;padding-left:18px;max-width:520px}dl{margin:4px 0;font-size:12px}"
    "dt{font-weight:bold}dd{margin:0 0 4px 8px;font-family:monospace;word-break:break-all}"
    "figure{display:inline-block;margin:8px 16px 16px 0;vertical-align:top}"
    "figure img{image-rendering:pixelated;border:1px solid #ccc}figcaption{font-size:12px;max-width:480px}"
    ".error{color:#b00}.scroll{overflow-x:auto}";

/* Sorting script. Numeric columns (th data-type="num") compare each cell's data-sort number
 * (-Infinity for unknown values); text columns compare data-sort strings. */
static const char page_script[] =
    "(function(){"
    "function sortTable(t,col,dir){"
    "var th=t.tHead.rows[0].cells,num=th[col].getAttribute('data-type')==='num',body=t.tBodies[0];"
    "var rows=Array.prototype.slice.call(body.rows);"
    "rows.sort(function(a,b){var x=a.cells[col].getAttribute('data-sort'),y=b.cells[col].getAttribute('data-sort'),c;"
    "if(num){c=parseFloat(x)-parseFloat(y);if(isNaN(c))c=x===y?0:(parseFloat(x)<parseFloat(y)?-1:1);}"
    "else c=x<y?-1:(x>y?1:0);return dir==='asc'?c:-c;});"
    "rows.forEach(function(r){body.appendChild(r);});"
    "for(var i=0;i<th.length;i++)th[i].removeAttribute('aria-sort');"
    "th[col].setAttribute('aria-sort',dir==='asc'?'ascending':'descending');}"
    "var tables=document.querySelectorAll('table.lb');"
    "Array.prototype.forEach.call(tables,function(t){"
    "Array.prototype.forEach.call(t.tHead.rows[0].cells,function(th,col){"
    "th.tabIndex=0;function go(){var cur=th.getAttribute('aria-sort'),"
    "dir=cur?(cur==='ascending'?'desc':'asc'):(th.getAttribute('data-type')==='num'?'desc':'asc');"
    "sortTable(t,col,dir);}"
    "th.addEventListener('click',go);"
    "th.addEventListener('keydown',function(e){if(e.key==='Enter'||e.key===' '){e.preventDefault();go();}});});});"
    "var m=/^#sort=([A-Za-z0-9_-]+):([0-9]+):(asc|desc)$/.exec(location.hash),t=m&&document.getElementById(m[1]);"
    "if(t&&t.tHead&&+m[2]<t.tHead.rows[0].cells.length)sortTable(t,+m[2],m[3]);"
    "document.documentElement.className='js';"
    "document.documentElement.setAttribute('data-sort-ready','1');"
    "})();";

/* 'sha256-<base64 digest>' of the script, for the Content-Security-Policy. */
static void script_hash_source(gt_strbuf *b) {
  gt_sha256 h;
  char hex[65];
  uint8_t digest[32];
  gt_sha256_init(&h);
  gt_sha256_update(&h, page_script, strlen(page_script));
  gt_sha256_final_hex(&h, hex);
  for (int i = 0; i < 32; i++) {
    unsigned v = 0;
    sscanf(hex + 2 * i, "%2x", &v);
    digest[i] = (uint8_t)v;
  }
  gt_strbuf_puts(b, "'sha256-");
  gt_base64_append(b, digest, sizeof digest);
  gt_strbuf_puts(b, "'");
}

static void page_head(gt_strbuf *b, const gt_leaderboard *lb) {
  gt_strbuf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; "
                    "style-src 'unsafe-inline'; script-src ");
  script_hash_source(b);
  gt_strbuf_puts(b, "\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
  gt_html_escape(b, lb->title[0] ? lb->title : "Gauntlet leaderboard");
  gt_strbuf_printf(b, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>", page_style);
  gt_html_escape(b, lb->title[0] ? lb->title : "Gauntlet leaderboard");
  gt_strbuf_puts(b, "</h1>\n<p class=\"meta\">Created <time>");
  gt_html_escape(b, lb->created_utc);
  gt_strbuf_puts(b, "</time>");
  for (int t = 0; t < lb->n_tables; t++) {
    if (lb->tables[t].n_entries < 1) continue;
    const gt_lb_entry *e = &lb->tables[t].entries[0];
    gt_strbuf_puts(b, " by Gauntlet ");
    gt_html_escape(b, e->gauntlet_version);
    gt_strbuf_puts(b, " (commit ");
    gt_html_escape(b, e->git_commit);
    gt_strbuf_puts(b, ")");
    if (e->config_hash[0]) {
      gt_strbuf_puts(b, ", config ");
      gt_html_escape(b, e->config_hash);
    }
    break;
  }
  gt_strbuf_puts(b, "</p>\n");
  if (lb->smoke)
    gt_strbuf_puts(b, "<div class=\"banner smoke\" role=\"alert\">Smoke run: a short attack on few points for "
                      "per-commit checks. These numbers are upper bounds, not a full robustness evaluation; do "
                      "not publish or compare them.</div>\n");
}

/* Attack names of a table's entries, in order of first appearance (the suite order). */
static int table_attacks(const gt_lb_table *t, const char *names[], int cap) {
  int n = 0;
  for (int i = 0; i < t->n_entries; i++) {
    const gt_lb_entry *e = &t->entries[i];
    for (int a = 0; a < e->n_attacks && a < GT_LB_MAX_ATTACKS; a++) {
      int seen = 0;
      for (int j = 0; j < n && !seen; j++) seen = strcmp(names[j], e->attacks[a].name) == 0;
      if (!seen && n < cap) names[n++] = e->attacks[a].name;
    }
  }
  return n;
}

static void cell_percent(gt_strbuf *b, double fraction) {
  if (isnan(fraction))
    gt_strbuf_puts(b, "<td class=\"num\" data-sort=\"-Infinity\">");
  else
    gt_strbuf_printf(b, "<td class=\"num\" data-sort=\"%.6f\">", fraction);
  gt_html_percent(b, fraction);
  gt_strbuf_puts(b, "</td>");
}

static void cell_text_sort(gt_strbuf *b, const char *sort_key) {
  gt_strbuf_puts(b, "<td data-sort=\"");
  gt_html_escape(b, sort_key);
  gt_strbuf_puts(b, "\">");
}

static void provenance_item(gt_strbuf *b, const char *label, const char *value) {
  gt_strbuf_printf(b, "<dt>%s</dt><dd>", label);
  gt_html_escape(b, value);
  gt_strbuf_puts(b, "</dd>");
}

static void model_cell(gt_strbuf *b, const gt_lb_entry *e) {
  cell_text_sort(b, e->name);
  gt_html_link(b, e->link, e->name);
  gt_strbuf_puts(b, "<div class=\"sub\">");
  gt_html_escape(b, e->architecture);
  if (e->venue[0]) {
    gt_strbuf_puts(b, " &middot; ");
    gt_html_escape(b, e->venue);
  }
  if (e->authors[0]) {
    gt_strbuf_puts(b, " &middot; ");
    gt_html_escape(b, e->authors);
  }
  gt_strbuf_puts(b, "</div>");
  if (e->footnote[0]) {
    gt_strbuf_puts(b, "<div class=\"note\">");
    gt_html_escape(b, e->footnote);
    gt_strbuf_puts(b, "</div>");
  }
  char seed[32];
  snprintf(seed, sizeof seed, "%llu", (unsigned long long)e->seed);
  gt_strbuf_puts(b, "<details><summary>provenance</summary><dl>");
  provenance_item(b, "dataset", e->dataset);
  provenance_item(b, "suite", e->suite);
  provenance_item(b, "seed", seed);
  provenance_item(b, "model sha256", e->model_sha256);
  provenance_item(b, "points sha256", e->points_sha256);
  provenance_item(b, "config hash", e->config_hash);
  provenance_item(b, "backend", e->backend);
  provenance_item(b, "device", e->device);
  provenance_item(b, "gauntlet", e->gauntlet_version);
  provenance_item(b, "commit", e->git_commit);
  /* what each attack of the suite cost: wall time and passes per point */
  for (int a = 0; a < e->n_attacks && a < GT_LB_MAX_ATTACKS; a++) {
    const gt_lb_attack *at = &e->attacks[a];
    gt_strbuf_puts(b, "<dt>");
    gt_html_escape(b, at->name);
    gt_strbuf_printf(b, "</dt><dd>%.1f s, %lld forward, %lld backward</dd>", at->seconds, (long long)at->forward,
                     (long long)at->backward);
  }
  gt_strbuf_puts(b, "</dl></details></td>");
}

static void flags_cell(gt_strbuf *b, const gt_lb_entry *e) {
  gt_strbuf_printf(b, "<td class=\"flags\" data-sort=\"%d\">", e->n_flags);
  if (e->n_flags < 1) {
    gt_strbuf_puts(b, e->unreliable ? "<span class=\"unreliable\">unreliable</span>" : "none");
    gt_strbuf_puts(b, "</td>");
    return;
  }
  gt_strbuf_printf(b, "<details><summary class=\"unreliable\">unreliable: %d flag%s</summary><ul>", e->n_flags,
                   e->n_flags == 1 ? "" : "s");
  for (int f = 0; f < e->n_flags && f < GT_MAX_FLAGS; f++) {
    const gt_flag *fl = &e->flags[f];
    const char *name = gt_flag_name(fl->kind), *why = gt_flag_explanation(fl->kind);
    gt_strbuf_puts(b, "<li class=\"flag\"><span class=\"flag-name\">");
    gt_html_escape(b, name ? name : "unknown_flag");
    gt_strbuf_puts(b, "</span>: ");
    gt_html_escape(b, fl->detail);
    gt_strbuf_puts(b, "<div class=\"sub flag-explanation\">");
    gt_html_escape(b, why ? why : "");
    gt_strbuf_puts(b, "</div></li>");
  }
  gt_strbuf_puts(b, "</ul></details></td>");
}

static void table_write(gt_strbuf *b, const gt_lb_table *t, int index) {
  const char *attacks[GT_LB_MAX_ATTACKS * 4];
  int n_attacks = table_attacks(t, attacks, (int)(sizeof attacks / sizeof attacks[0]));
  int has_external = 0;
  for (int i = 0; i < t->n_entries; i++) has_external |= !isnan(t->entries[i].external);

  gt_strbuf_puts(b, "<h3>");
  gt_html_escape(b, t->threat_model);
  gt_strbuf_puts(b, ", eps = ");
  gt_html_escape(b, t->eps_text);
  gt_strbuf_printf(b, "</h3>\n<div class=\"scroll\"><table class=\"lb\" id=\"t%d\">\n<thead><tr>"
                      "<th data-type=\"num\">Rank</th><th data-type=\"text\">Model</th>"
                      "<th data-type=\"num\">Clean (%%)</th><th data-type=\"num\">Robust (%%)</th>",
                   index);
  if (has_external) gt_strbuf_puts(b, "<th data-type=\"num\">External (%)</th>");
  gt_strbuf_puts(b, "<th data-type=\"num\">Reported (%)</th>");
  for (int a = 0; a < n_attacks; a++) {
    gt_strbuf_puts(b, "<th data-type=\"num\" class=\"attack\">after ");
    gt_html_escape(b, attacks[a]);
    gt_strbuf_puts(b, " (%)</th>");
  }
  gt_strbuf_puts(b, "<th data-type=\"text\">Extra data</th><th data-type=\"num\">Attack passes / point</th>"
                    "<th data-type=\"num\">Points</th><th data-type=\"num\">Time (s)</th>"
                    "<th data-type=\"num\">Flags</th></tr></thead>\n<tbody>\n");
  for (int i = 0; i < t->n_entries; i++) {
    const gt_lb_entry *e = &t->entries[i];
    gt_strbuf_printf(b, "<tr><td class=\"num\" data-sort=\"%d\">%d</td>", i + 1, i + 1);
    model_cell(b, e);
    cell_percent(b, e->clean_acc);
    cell_percent(b, e->autoattack_acc);
    if (has_external) cell_percent(b, e->external);
    cell_percent(b, e->reported);
    for (int a = 0; a < n_attacks; a++) {
      double acc = NAN;
      for (int j = 0; j < e->n_attacks && j < GT_LB_MAX_ATTACKS; j++)
        if (strcmp(e->attacks[j].name, attacks[a]) == 0) acc = e->attacks[j].robust_acc;
      cell_percent(b, acc);
    }
    gt_strbuf_printf(b, "<td data-sort=\"%s\">%s</td>", e->additional_data ? "yes" : "no",
                     e->additional_data ? "yes" : "no");
    long long passes = 0; /* forward + backward passes per point over the whole suite: the attack's cost */
    for (int j = 0; j < e->n_attacks && j < GT_LB_MAX_ATTACKS; j++)
      passes += (long long)(e->attacks[j].forward + e->attacks[j].backward);
    gt_strbuf_printf(b, "<td class=\"num\" data-sort=\"%lld\">%lld</td>", passes, passes);
    gt_strbuf_printf(b, "<td class=\"num\" data-sort=\"%lld\">%lld</td>", (long long)e->n_points,
                     (long long)e->n_points);
    gt_strbuf_printf(b, "<td class=\"num\" data-sort=\"%.3f\">%.1f</td>", e->seconds, e->seconds);
    flags_cell(b, e);
    gt_strbuf_puts(b, "</tr>\n");
  }
  gt_strbuf_puts(b, "</tbody>\n</table></div>\n");
}

/* The curves of one threat model: each model once, with the curve of its first entry. */
static gt_status threat_model_curves(gt_strbuf *b, const gt_leaderboard *lb, const char *tm, gt_error *err) {
  int cap = 0;
  for (int t = 0; t < lb->n_tables; t++)
    if (strcmp(lb->tables[t].threat_model, tm) == 0) cap += lb->tables[t].n_entries;
  gt_svg_series *series = calloc(cap > 0 ? (size_t)cap : 1, sizeof *series);
  if (!series) return gt_error_set(err, GT_ERR_MEMORY, "report: out of memory for the %s curves", tm);
  int n = 0;
  for (int t = 0; t < lb->n_tables; t++) {
    if (strcmp(lb->tables[t].threat_model, tm) != 0) continue;
    for (int i = 0; i < lb->tables[t].n_entries; i++) {
      const gt_lb_entry *e = &lb->tables[t].entries[i];
      int seen = 0;
      for (int j = 0; j < n && !seen; j++) seen = strcmp(series[j].name, e->name) == 0;
      if (seen) continue;
      series[n].name = e->name;
      series[n].n = e->n_curve < 0 ? 0 : (e->n_curve > GT_LB_MAX_EPS ? GT_LB_MAX_EPS : e->n_curve);
      series[n].points = e->curve;
      n++;
    }
  }
  char title[64];
  snprintf(title, sizeof title, "Robust accuracy vs eps (%s)", tm);
  gt_strbuf_puts(b, "<figure class=\"plot\">");
  gt_svg_curves(b, title, series, n);
  gt_strbuf_puts(b, "</figure>\n");
  free(series);
  return GT_OK;
}

/* "<model>_<tm>" with every byte outside [A-Za-z0-9._-] replaced by '_' (no path separators, no
 * hidden files); "-2", "-3", ... when two models would share a file name. */
static void grid_file_name(char *out, size_t size, const char *model, const char *tm, char (*used)[160], int n_used) {
  char base[160];
  snprintf(base, sizeof base, "%.100s_%.8s", model[0] ? model : "model", tm);
  for (char *p = base; *p; p++) {
    unsigned char ch = (unsigned char)*p;
    int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
             ch == '_' || (ch == '.' && p != base);
    if (!ok) *p = '_';
  }
  snprintf(out, size, "%s", base);
  for (int suffix = 2;; suffix++) {
    int taken = 0;
    for (int i = 0; i < n_used && !taken; i++) taken = strcmp(used[i], out) == 0;
    if (!taken) return;
    snprintf(out, size, "%.140s-%d", base, suffix);
  }
}

/* Shown width of a grid: small images (28 x 28) magnified up to 4x (pixelated, see the style). */
static int grid_display_width(const uint8_t *png, size_t size) {
  if (size < 24) return 0;
  /* PNG signature (8 bytes), IHDR length and type (8), then the big-endian width. */
  uint32_t w = (uint32_t)png[16] << 24 | (uint32_t)png[17] << 16 | (uint32_t)png[18] << 8 | png[19];
  uint32_t scale = w > 0 && w < 480 ? 480 / w : 1;
  if (scale > 4) scale = 4;
  if (scale < 1) scale = 1;
  return (int)(w * scale);
}

/* One figure per (model, threat model) that has examples: the entry with the largest eps. */
static gt_status examples_section(gt_strbuf *b, const gt_leaderboard *lb, const char *outdir, gt_error *err) {
  int total = 0;
  for (int t = 0; t < lb->n_tables; t++) total += lb->tables[t].n_entries;
  const gt_lb_entry **picked = calloc(total > 0 ? (size_t)total : 1, sizeof *picked);
  char(*used)[160] = calloc(total > 0 ? (size_t)total : 1, sizeof *used);
  if (!picked || !used) {
    free(picked);
    free(used);
    return gt_error_set(err, GT_ERR_MEMORY, "report: out of memory for the example grids");
  }
  int n = 0;
  for (int t = 0; t < lb->n_tables; t++) {
    for (int i = 0; i < lb->tables[t].n_entries; i++) {
      const gt_lb_entry *e = &lb->tables[t].entries[i];
      if (e->examples.k <= 0) continue;
      int j = 0;
      while (j < n && !(strcmp(picked[j]->name, e->name) == 0 && strcmp(picked[j]->threat_model, e->threat_model) == 0))
        j++;
      if (j == n)
        picked[n++] = e;
      else if (e->eps > picked[j]->eps)
        picked[j] = e;
    }
  }
  if (n > 0)
    gt_strbuf_puts(b, "<section id=\"examples\">\n<h2>Example images</h2>\n<p>Each row: the clean image (Y: "
                      "true label, P: prediction), the adversarial image (P: prediction, red when wrong) and the "
                      "perturbation |adversarial &minus; clean| amplified so its largest change is white (X: "
                      "amplification).</p>\n");
  for (int j = 0; j < n; j++) {
    const gt_lb_entry *e = picked[j];
    char file[160], path[4096];
    grid_file_name(file, sizeof file, e->name, e->threat_model, used, j);
    snprintf(used[j], sizeof used[j], "%s", file);
    int len = snprintf(path, sizeof path, "%s/examples/%s.png", outdir, file);
    gt_strbuf_puts(b, "<figure class=\"examples\">");
    uint8_t *png = NULL;
    size_t png_size = 0;
    gt_error grid_err = {0};
    gt_status gst = (len < 0 || (size_t)len >= sizeof path)
                        ? gt_error_set(&grid_err, GT_ERR_LIMIT, "%s: output path too long", outdir)
                        : gt_report_grid_png_encode(e, outdir, &png, &png_size, &grid_err);
    if (gst == GT_OK) gst = gt_report_file_write_atomic(path, png, png_size, &grid_err);
    if (gst == GT_OK) {
      gt_strbuf_puts(b, "<img src=\"data:image/png;base64,");
      gt_base64_append(b, png, png_size);
      gt_strbuf_printf(b, "\" width=\"%d\" alt=\"example grid of ", grid_display_width(png, png_size));
      gt_html_escape(b, e->name);
      gt_strbuf_puts(b, "\">");
    } else {
      gt_strbuf_puts(b, "<p class=\"error\">example grid unavailable: ");
      gt_html_escape(b, grid_err.message);
      gt_strbuf_puts(b, "</p>");
    }
    free(png);
    gt_strbuf_puts(b, "<figcaption>");
    gt_html_escape(b, e->name);
    gt_strbuf_puts(b, ", ");
    gt_html_escape(b, e->threat_model);
    gt_strbuf_puts(b, " eps = ");
    gt_html_escape(b, e->eps_text);
    gt_strbuf_puts(b, "</figcaption></figure>\n");
  }
  if (n > 0) gt_strbuf_puts(b, "</section>\n");
  free(picked);
  free(used);
  return GT_OK;
}

static gt_status dir_ensure(const char *path, gt_error *err) {
  if (mkdir(path, 0777) == 0 || errno == EEXIST) return GT_OK;
  return gt_error_set(err, GT_ERR_IO, "%s: cannot create the folder: %s", path, strerror(errno));
}

gt_status gt_report_html_write(const gt_leaderboard *lb, const char *outdir, gt_error *err) {
  if (!lb || !outdir || !outdir[0]) return gt_error_set(err, GT_ERR_USAGE, "report: no leaderboard or output folder");
  if (lb->n_tables < 0 || (lb->n_tables > 0 && !lb->tables))
    return gt_error_set(err, GT_ERR_USAGE, "report: leaderboard with %d tables and no table array", lb->n_tables);
  for (int t = 0; t < lb->n_tables; t++)
    if (lb->tables[t].n_entries < 0 || (lb->tables[t].n_entries > 0 && !lb->tables[t].entries))
      return gt_error_set(err, GT_ERR_USAGE, "report: table %d claims %d entries without an entry array", t,
                          lb->tables[t].n_entries);
  char path[4096];
  int len = snprintf(path, sizeof path, "%s/examples", outdir);
  if (len < 0 || (size_t)len >= sizeof path - 16) return gt_error_set(err, GT_ERR_LIMIT, "%s: path too long", outdir);
  gt_status st = dir_ensure(outdir, err);
  if (st == GT_OK) st = dir_ensure(path, err);
  if (st != GT_OK) return st;

  gt_strbuf b = {0};
  page_head(&b, lb);
  if (lb->n_tables == 0) gt_strbuf_puts(&b, "<p>No results yet.</p>\n");
  /* Threat models in the order of their first table; each gets its curves, then its tables. */
  for (int t = 0; t < lb->n_tables && st == GT_OK; t++) {
    const char *tm = lb->tables[t].threat_model;
    int first = 1;
    for (int u = 0; u < t && first; u++) first = strcmp(lb->tables[u].threat_model, tm) != 0;
    if (!first) continue;
    gt_strbuf_printf(&b, "<section class=\"threat-model\" id=\"tm%d\">\n<h2>", t);
    gt_html_escape(&b, tm);
    gt_strbuf_puts(&b, "</h2>\n");
    st = threat_model_curves(&b, lb, tm, err);
    for (int u = t; u < lb->n_tables && st == GT_OK; u++)
      if (strcmp(lb->tables[u].threat_model, tm) == 0) table_write(&b, &lb->tables[u], u);
    gt_strbuf_puts(&b, "</section>\n");
  }
  if (st == GT_OK) st = examples_section(&b, lb, outdir, err);
  gt_strbuf_printf(&b, "<script>%s</script>\n</body>\n</html>\n", page_script);
  if (st == GT_OK && b.failed) st = gt_error_set(err, GT_ERR_MEMORY, "report: out of memory while writing the page");
  if (st == GT_OK) {
    snprintf(path, sizeof path, "%s/report.html", outdir);
    st = gt_report_file_write_atomic(path, b.data, b.len, err);
  }
  gt_strbuf_free(&b);
  return st;
}

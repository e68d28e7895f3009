/* The human-readable report of a sweep: one self-contained report.html (no network, no external
 * files: styles, sorting script, SVG curves and PNG example grids are all inline) and the example
 * grids as PNG files next to it.
 *
 * Every string that comes from a config or a model (names, links, authors, footnotes, attack
 * names, flag details) is HTML-escaped; only http(s) links become <a href>. */
#ifndef GAUNTLET_REPORT_H
#define GAUNTLET_REPORT_H

#include "gauntlet/leaderboard.h"
#include "gauntlet/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Writes OUTDIR/report.html (through a temporary name and a rename, so a reader never sees half
 * a page) and, for every entry with examples, OUTDIR/examples/<model>_<threat model>.png (the grid
 * of the largest eps of that model and threat model; file names keep [A-Za-z0-9._-] and replace
 * the rest with '_'). Example .npy paths in the entries are relative to outdir. */
gt_status gt_report_html_write(const gt_leaderboard *lb, const char *outdir, gt_error *err);

/* Writes the example grid of one entry as an 8-bit PNG at png_path (temporary name + rename).
 * The entry's examples.npy_path (relative to outdir, float32 [2k, c, h, w] in [0,1]) holds k
 * clean then k adversarial images. One row per example: clean, adversarial, and the amplified
 * perturbation |adv - clean| scaled so that the row's largest difference becomes 1; under each
 * image its label (clean: true label and prediction, adversarial: prediction) in a small bitmap
 * font. c = 1 gives a gray PNG, c = 3 an RGB one. */
gt_status gt_report_grid_png_write(const gt_lb_entry *e, const char *outdir, const char *png_path, gt_error *err);

#ifdef __cplusplus
}
#endif
#endif

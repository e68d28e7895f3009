/* A synthetic leaderboard for the report tests: 2 models x 2 threat models (Linf, L2) x 3 eps,
 * one model with hostile strings (<script>, quotes, a javascript: link) and reliability flags,
 * example images saved as .npy in the output folder (gray for one model, RGB for the other). */
#ifndef GAUNTLET_TEST_REPORT_FIXTURE_H
#define GAUNTLET_TEST_REPORT_FIXTURE_H

#include "gauntlet/leaderboard.h"

#define FIXTURE_HOSTILE_NAME "Evil <script>alert(1)</script> \"q\" 'x' & co"
#define FIXTURE_HOSTILE_LINK "javascript:alert(1)"
#define FIXTURE_HOSTILE_FOOTNOTE "</td><script src=\"http://evil.example/x.js\"></script>"
#define FIXTURE_HOSTILE_DETAIL "<img src=x onerror=alert(2)> of 200 points"
#define FIXTURE_SAFE_NAME "ResNet-18 baseline"
#define FIXTURE_SAFE_LINK "https://example.org/paper?a=1&b=2"
#define FIXTURE_TABLES 6
#define FIXTURE_MODELS 2
#define FIXTURE_GRAY_H 8 /* the hostile model's examples: k = 2, 1 x 8 x 6 */
#define FIXTURE_GRAY_W 6
#define FIXTURE_RGB_H 5 /* the safe model's examples: k = 3, 3 x 5 x 7 */
#define FIXTURE_RGB_W 7

/* Fills lb (free with gt_leaderboard_free) and writes the example .npy files under outdir/examples
 * (outdir must exist). Returns 0 on success. */
int report_fixture_make(gt_leaderboard *lb, const char *outdir, int smoke);

/* Pixel value of the fixture's example images: image i of 2k (clean then adversarial), element j. */
float report_fixture_pixel(int i, int k, int j);

#endif

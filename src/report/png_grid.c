/* The example grid of one leaderboard entry as a PNG (libpng's simplified writer).
 *
 * Input: the sweep's .npy of float32 [2k, c, h, w] in [0,1], rows 0..k-1 clean and k..2k-1
 * adversarial. Output: one row per example with three cells (clean | adversarial | amplified
 * perturbation |adv - clean| / max over that example, so its largest change is white), each cell
 * an image at 1:1 pixels over a white band with labels in the bitmap font: "Y<label>" and
 * "P<prediction>" under the clean image, "P<prediction>" under the adversarial one (red in RGB
 * grids when it differs from the label), "X<amplification>" under the perturbation. */
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gauntlet/npy.h"
#include "gauntlet/report.h"
#include "report/report_internal.h"

#define GRID_MAX_SIDE 1024 /* cap on h and w from the leaderboard (hostile or corrupt journals) */

typedef struct grid_layout {
  int k, c, h, w;
  int scale, pad, band;     /* font scale, gap between cells, label band height */
  int width, height;        /* whole grid */
} grid_layout;

static void grid_layout_make(grid_layout *g, int k, int c, int h, int w) {
  g->k = k;
  g->c = c;
  g->h = h;
  g->w = w;
  g->scale = w / 40 > 1 ? w / 40 : 1;
  g->pad = 2 * g->scale;
  g->band = 2 * (GT_FONT_H + 1) * g->scale + g->scale;
  g->width = 3 * w + 4 * g->pad;
  g->height = g->pad + k * (h + g->band + g->pad);
}

static uint8_t unit_to_u8(float v) {
  if (!(v > 0.0f)) return 0; /* also NaN */
  if (v >= 1.0f) return 255;
  return (uint8_t)lrintf(v * 255.0f);
}

static float unit_clamp(float v) {
  if (!(v > 0.0f)) return 0.0f;
  return v > 1.0f ? 1.0f : v;
}

/* Copies one planar [c, h, w] image, mapped by `scale` (1 for images, 1/max for perturbations),
 * into the interleaved grid at (x0, y0). When `minus` is given the cell shows |src - minus|. */
static void grid_put_image(uint8_t *img, const grid_layout *g, int x0, int y0, const float *src, const float *minus,
                           float scale) {
  size_t plane = (size_t)g->h * (size_t)g->w;
  for (int y = 0; y < g->h; y++) {
    for (int x = 0; x < g->w; x++) {
      uint8_t *dst = img + ((size_t)(y0 + y) * (size_t)g->width + (size_t)(x0 + x)) * (size_t)g->c;
      for (int ch = 0; ch < g->c; ch++) {
        size_t i = (size_t)ch * plane + (size_t)y * (size_t)g->w + (size_t)x;
        float v = unit_clamp(src[i]);
        if (minus) v = fabsf(v - unit_clamp(minus[i]));
        dst[ch] = unit_to_u8(v * scale);
      }
    }
  }
}

static float perturbation_max(const float *clean, const float *adv, size_t n) {
  float m = 0.0f;
  for (size_t i = 0; i < n; i++) {
    float d = fabsf(unit_clamp(adv[i]) - unit_clamp(clean[i]));
    if (d > m) m = d;
  }
  return m;
}

static void label_text(char *buf, size_t size, char prefix, int32_t value) {
  if (value < 0)
    snprintf(buf, size, "%c-", prefix);
  else
    snprintf(buf, size, "%c%ld", prefix, (long)value);
}

static void grid_draw(uint8_t *img, const grid_layout *g, const gt_lb_examples *ex, const float *data) {
  static const uint8_t black[3] = {0, 0, 0}, red[3] = {200, 0, 0};
  size_t numel = (size_t)g->c * (size_t)g->h * (size_t)g->w;
  int line = (GT_FONT_H + 1) * g->scale;
  char text[32];
  for (int i = 0; i < g->k; i++) {
    const float *clean = data + (size_t)i * numel, *adv = data + (size_t)(g->k + i) * numel;
    int y0 = g->pad + i * (g->h + g->band + g->pad), ty = y0 + g->h + g->scale;
    int x_clean = g->pad, x_adv = 2 * g->pad + g->w, x_diff = 3 * g->pad + 2 * g->w;
    float m = perturbation_max(clean, adv, numel);
    grid_put_image(img, g, x_clean, y0, clean, NULL, 1.0f);
    grid_put_image(img, g, x_adv, y0, adv, NULL, 1.0f);
    grid_put_image(img, g, x_diff, y0, adv, clean, m > 0.0f ? 1.0f / m : 0.0f);

    label_text(text, sizeof text, 'Y', ex->label[i]);
    gt_font_draw(img, g->width, g->height, g->c, x_clean, ty, x_clean + g->w, g->scale, black, text);
    label_text(text, sizeof text, 'P', ex->clean_pred[i]);
    gt_font_draw(img, g->width, g->height, g->c, x_clean, ty + line, x_clean + g->w, g->scale, black, text);
    label_text(text, sizeof text, 'P', ex->adv_pred[i]);
    const uint8_t *colour = ex->adv_pred[i] != ex->label[i] ? red : black;
    gt_font_draw(img, g->width, g->height, g->c, x_adv, ty, x_adv + g->w, g->scale, colour, text);
    if (m > 0.0f)
      snprintf(text, sizeof text, "X%.0f", (double)(1.0f / m));
    else
      snprintf(text, sizeof text, "X0");
    gt_font_draw(img, g->width, g->height, g->c, x_diff, ty, x_diff + g->w, g->scale, black, text);
  }
}

/* Reads the entry's example tensor and checks it against the shape the leaderboard claims. */
static gt_status examples_read(const gt_lb_entry *e, const char *outdir, float **data, gt_error *err) {
  const gt_lb_examples *ex = &e->examples;
  if (ex->k < 1 || ex->k > 16)
    return gt_error_set(err, GT_ERR_FORMAT, "entry '%s': examples.k = %d (expected 1..16)", e->name, ex->k);
  if (ex->c != 1 && ex->c != 3)
    return gt_error_set(err, GT_ERR_UNSUPPORTED, "entry '%s': examples have %d channels (grids take 1 or 3)",
                        e->name, ex->c);
  if (ex->h < 1 || ex->w < 1 || ex->h > GRID_MAX_SIDE || ex->w > GRID_MAX_SIDE)
    return gt_error_set(err, GT_ERR_LIMIT, "entry '%s': example images of %d x %d pixels (expected 1..%d)",
                        e->name, ex->h, ex->w, GRID_MAX_SIDE);
  if (ex->npy_path[0] == '\0')
    return gt_error_set(err, GT_ERR_USAGE, "entry '%s': examples.npy_path is empty", e->name);
  char path[4096];
  int n = ex->npy_path[0] == '/' ? snprintf(path, sizeof path, "%s", ex->npy_path)
                                 : snprintf(path, sizeof path, "%s/%s", outdir, ex->npy_path);
  if (n < 0 || (size_t)n >= sizeof path)
    return gt_error_set(err, GT_ERR_LIMIT, "entry '%s': example path too long", e->name);
  int ndim = 0;
  int64_t shape[GT_MAX_DIMS];
  gt_status st = gt_npy_read_f32(path, data, &ndim, shape, err);
  if (st != GT_OK) return st;
  if (ndim != 4 || shape[0] != 2 * ex->k || shape[1] != ex->c || shape[2] != ex->h || shape[3] != ex->w) {
    free(*data);
    *data = NULL;
    return gt_error_set(err, GT_ERR_SHAPE, "%s: shape does not match the leaderboard's examples [%d, %d, %d, %d]",
                        path, 2 * ex->k, ex->c, ex->h, ex->w);
  }
  return GT_OK;
}

gt_status gt_report_grid_png_encode(const gt_lb_entry *e, const char *outdir, uint8_t **png, size_t *png_size,
                                    gt_error *err) {
  *png = NULL;
  *png_size = 0;
  float *data = NULL;
  gt_status st = examples_read(e, outdir, &data, err);
  if (st != GT_OK) return st;
  const gt_lb_examples *ex = &e->examples;
  grid_layout g;
  grid_layout_make(&g, ex->k, ex->c, ex->h, ex->w);
  size_t stride = (size_t)g.width * (size_t)g.c;
  uint8_t *img = malloc(stride * (size_t)g.height);
  if (!img) {
    free(data);
    return gt_error_set(err, GT_ERR_MEMORY, "entry '%s': out of memory for the example grid", e->name);
  }
  memset(img, 255, stride * (size_t)g.height);
  grid_draw(img, &g, ex, data);
  free(data);

  png_image image;
  memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  image.width = (png_uint_32)g.width;
  image.height = (png_uint_32)g.height;
  image.format = g.c == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
  png_alloc_size_t size = 0;
  uint8_t *out = NULL;
  int ok = png_image_write_get_memory_size(image, size, 0, img, (png_int_32)stride, NULL);
  if (ok) {
    out = malloc(size);
    ok = out && png_image_write_to_memory(&image, out, &size, 0, img, (png_int_32)stride, NULL);
  }
  free(img);
  if (!ok) {
    free(out);
    st = gt_error_set(err, GT_ERR_INTERNAL, "entry '%s': libpng could not encode the example grid: %s", e->name,
                      image.message[0] ? image.message : "out of memory");
    png_image_free(&image);
    return st;
  }
  *png = out;
  *png_size = size;
  return GT_OK;
}

gt_status gt_report_grid_png_write(const gt_lb_entry *e, const char *outdir, const char *png_path, gt_error *err) {
  uint8_t *png = NULL;
  size_t size = 0;
  gt_status st = gt_report_grid_png_encode(e, outdir, &png, &size, err);
  if (st == GT_OK) st = gt_report_file_write_atomic(png_path, png, size, err);
  free(png);
  return st;
}

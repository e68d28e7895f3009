/* Tests of the backends' vector ops for attacks (gauntlet/vecops.h): every op on the cpu table, at
 * 1, 2 and 3 threads, gives the same bytes as the ref table, on odd sizes and on sizes large enough
 * to run in parallel; the ops do what they say (gathers, masks, per-row RNG independence, APGD's
 * momentum step equal to the ops it replaced); bad arguments are refused with a message. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backends/vecops_tables.h"
#include "gauntlet/backend.h"
#include "gauntlet/hd/loss.h"
#include "gauntlet/hd/momentum.h"
#include "gauntlet/hd/project.h"
#include "gauntlet/vecops.h"
#include "gt_test.h"
#include "support/test_rng.h"

static gt_backend *g_ref;
static gt_backend *g_cpu[3]; /* 1, 2, 3 threads */

typedef struct shape {
  int64_t n, d;
} shape;

/* Odd sizes, a single row, no rows, and sizes that cross the cpu's parallel threshold. */
static const shape g_shapes[] = {{0, 5}, {1, 1}, {7, 13}, {33, 129}, {37, 1031}, {5, 3072}};
#define N_SHAPES ((int)(sizeof g_shapes / sizeof g_shapes[0]))

static uint64_t g_state = 1;
static double urand(void) { return gt_test_lcg_uniform(&g_state); }

static float *fbuf(int64_t count) { return malloc((size_t)(count > 0 ? count : 1) * sizeof(float)); }
static int32_t *ibuf(int64_t count) { return malloc((size_t)(count > 0 ? count : 1) * sizeof(int32_t)); }

/* x0 in [0,1] with some coordinates on the faces; x near it, partly outside the box. */
static void fill_points(float *x0, float *x, int64_t count) {
  for (int64_t i = 0; i < count; i++) {
    double u = urand();
    x0[i] = u < 0.1 ? 0.0f : (u < 0.2 ? 1.0f : (float)urand());
    x[i] = x0[i] + (float)(0.3 * (2 * urand() - 1));
  }
}

static void fill_signed(float *g, int64_t count) {
  for (int64_t i = 0; i < count; i++) g[i] = urand() < 0.05 ? 0.0f : (float)(2 * urand() - 1);
}

/* Runs `call` on ref into out_ref and on every cpu thread count into out_cpu, comparing bytes. */
#define SAME_BYTES(what, a, b, bytes) \
  GT_CHECK(memcmp((a), (b), (bytes)) == 0, "%s: cpu and ref differ", (what))

static void test_norms_project_direction(void) {
  gt_error err = {0};
  g_state = 11;
  for (int s = 0; s < N_SHAPES; s++) {
    int64_t n = g_shapes[s].n, d = g_shapes[s].d, nd = n * d;
    float *x0 = fbuf(nd), *x = fbuf(nd), *g = fbuf(nd), *a = fbuf(nd), *b = fbuf(nd);
    float *eps = fbuf(n), *na = fbuf(n), *nb = fbuf(n);
    int32_t *k = ibuf(n);
    fill_points(x0, x, nd);
    fill_signed(g, nd);
    for (int64_t i = 0; i < n; i++) {
      eps[i] = i % 5 == 0 ? 0.0f : (i % 5 == 1 ? INFINITY : (float)(urand() * 0.02 * (double)d));
      k[i] = 1 + (int32_t)(i % 7);
    }
    for (int norm = 0; norm < GT_NORM_COUNT; norm++) {
      char what[96];
      snprintf(what, sizeof what, "%s n=%lld d=%lld", gt_norm_name((gt_norm)norm), (long long)n, (long long)d);
      GT_CHECK(gt_ref_vec_iface.norms(g_ref, (gt_norm)norm, x, x0, n, d, na, &err) == GT_OK, "%s", err.message);
      for (int64_t i = 0; i < n; i++)
        GT_CHECK(na[i] == (float)gt_lp_norm_row((gt_norm)norm, x + i * d, x0 + i * d, d), "ref norms row %lld",
                 (long long)i);
      GT_CHECK(gt_ref_vec_iface.project(g_ref, (gt_norm)norm, x, x0, eps, n, d, a, &err) == GT_OK, "%s", err.message);
      GT_CHECK(gt_ref_vec_iface.norms(g_ref, (gt_norm)norm, a, x0, n, d, na, &err) == GT_OK, "%s", err.message);
      for (int64_t i = 0; i < n; i++)
        GT_CHECK(na[i] <= eps[i] * (1 + 1e-6f) + 1e-6f, "%s: projected row %lld at %g > eps %g", what, (long long)i,
                 (double)na[i], (double)eps[i]);
      for (int t = 0; t < 3; t++) {
        GT_CHECK(gt_cpu_vec_iface.norms(g_cpu[t], (gt_norm)norm, x, x0, n, d, nb, &err) == GT_OK, "%s", err.message);
        gt_ref_vec_iface.norms(g_ref, (gt_norm)norm, x, x0, n, d, na, &err);
        SAME_BYTES(what, na, nb, (size_t)n * sizeof(float));
        gt_ref_vec_iface.norms(g_ref, (gt_norm)norm, g, NULL, n, d, na, &err);
        gt_cpu_vec_iface.norms(g_cpu[t], (gt_norm)norm, g, NULL, n, d, nb, &err);
        SAME_BYTES("norms without x0", na, nb, (size_t)n * sizeof(float));
        /* project, in place on cpu */
        memcpy(b, x, (size_t)nd * sizeof(float));
        GT_CHECK(gt_cpu_vec_iface.project(g_cpu[t], (gt_norm)norm, b, x0, eps, n, d, b, &err) == GT_OK, "%s",
                 err.message);
        gt_ref_vec_iface.project(g_ref, (gt_norm)norm, x, x0, eps, n, d, a, &err);
        SAME_BYTES("project", a, b, (size_t)nd * sizeof(float));
        /* direction */
        gt_ref_vec_iface.direction(g_ref, (gt_norm)norm, g, x0, k, n, d, a, &err);
        GT_CHECK(gt_cpu_vec_iface.direction(g_cpu[t], (gt_norm)norm, g, x0, k, n, d, b, &err) == GT_OK, "%s",
                 err.message);
        SAME_BYTES("direction", a, b, (size_t)nd * sizeof(float));
      }
    }
    free(x0), free(x), free(g), free(a), free(b), free(eps), free(na), free(nb), free(k);
  }
}

static void test_ascent_step(void) {
  gt_error err = {0};
  g_state = 12;
  for (int s = 0; s < N_SHAPES; s++) {
    int64_t n = g_shapes[s].n, d = g_shapes[s].d, nd = n * d;
    float *x0 = fbuf(nd), *x = fbuf(nd), *g = fbuf(nd), *a = fbuf(nd), *b = fbuf(nd);
    float *eps = fbuf(n), *alpha = fbuf(n), *dist = fbuf(n);
    int32_t *k = ibuf(n);
    fill_points(x0, x, nd);
    for (int64_t j = 0; j < nd; j++) x[j] = gt_proj_box(x[j]);
    fill_signed(g, nd);
    for (int64_t i = 0; i < n; i++) {
      eps[i] = i % 4 == 0 ? 0.0f : (float)(urand() * 0.05 * (double)d);
      alpha[i] = (float)(urand() * 0.2);
      k[i] = 1 + (int32_t)(i % 11);
    }
    for (int norm = 0; norm < GT_NORM_COUNT; norm++) {
      gt_vec_step st = {(gt_norm)norm, n, d, x, g, x0, alpha, eps, k, a};
      GT_CHECK(gt_ref_vec_iface.ascent_step(g_ref, &st, &err) == GT_OK, "%s", err.message);
      gt_ref_vec_iface.norms(g_ref, (gt_norm)norm, a, x0, n, d, dist, &err);
      for (int64_t i = 0; i < n; i++)
        GT_CHECK(dist[i] <= eps[i] * (1 + 1e-6f) + 1e-6f, "%s step row %lld: %g > %g", gt_norm_name((gt_norm)norm),
                 (long long)i, (double)dist[i], (double)eps[i]);
      for (int64_t j = 0; j < nd; j++)
        if (!(a[j] >= 0.0f && a[j] <= 1.0f)) {
          GT_CHECK(0, "step left the box: %g", (double)a[j]);
          break;
        }
      for (int t = 0; t < 3; t++) {
        memcpy(b, x, (size_t)nd * sizeof(float));
        gt_vec_step sc = {(gt_norm)norm, n, d, b, g, x0, alpha, eps, k, b}; /* in place */
        GT_CHECK(gt_cpu_vec_iface.ascent_step(g_cpu[t], &sc, &err) == GT_OK, "%s", err.message);
        SAME_BYTES("ascent_step", a, b, (size_t)nd * sizeof(float));
      }
    }
    free(x0), free(x), free(g), free(a), free(b), free(eps), free(alpha), free(dist), free(k);
  }
}

static void test_axpby_fill_masked(void) {
  gt_error err = {0};
  g_state = 13;
  for (int s = 0; s < N_SHAPES; s++) {
    int64_t n = g_shapes[s].n, d = g_shapes[s].d, nd = n * d;
    float *x = fbuf(nd), *y = fbuf(nd), *a = fbuf(nd), *b = fbuf(nd), *ca = fbuf(n), *cb = fbuf(n);
    int32_t *mask = ibuf(n), *ia = ibuf(nd), *ib = ibuf(nd);
    fill_signed(x, nd);
    fill_signed(y, nd);
    fill_signed(ca, n);
    fill_signed(cb, n);
    for (int64_t i = 0; i < n; i++) mask[i] = urand() < 0.5;
    GT_CHECK(gt_ref_vec_iface.axpby(g_ref, ca, x, cb, y, n, d, a, &err) == GT_OK, "%s", err.message);
    for (int64_t i = 0; i < n; i++)
      GT_CHECK(a[i * d] == ca[i] * x[i * d] + cb[i] * y[i * d], "axpby row %lld", (long long)i);
    for (int t = 0; t < 3; t++) {
      gt_ref_vec_iface.axpby(g_ref, ca, x, cb, y, n, d, a, &err);
      memcpy(b, x, (size_t)nd * sizeof(float));
      GT_CHECK(gt_cpu_vec_iface.axpby(g_cpu[t], ca, b, cb, y, n, d, b, &err) == GT_OK, "%s", err.message);
      SAME_BYTES("axpby", a, b, (size_t)nd * sizeof(float));
      gt_ref_vec_iface.fill(g_ref, a, nd, 0.25f, &err);
      gt_cpu_vec_iface.fill(g_cpu[t], b, nd, 0.25f, &err);
      SAME_BYTES("fill", a, b, (size_t)nd * sizeof(float));
      gt_ref_vec_iface.fill_i32(g_ref, ia, nd, -7, &err);
      gt_cpu_vec_iface.fill_i32(g_cpu[t], ib, nd, -7, &err);
      SAME_BYTES("fill_i32", ia, ib, (size_t)nd * sizeof(int32_t));
      GT_CHECK(nd == 0 || (a[nd - 1] == 0.25f && ib[0] == -7), "fill values");
      memcpy(a, y, (size_t)nd * sizeof(float));
      memcpy(b, y, (size_t)nd * sizeof(float));
      gt_ref_vec_iface.copy_rows_masked(g_ref, mask, x, n, (size_t)d * sizeof(float), a, &err);
      GT_CHECK(gt_cpu_vec_iface.copy_rows_masked(g_cpu[t], mask, x, n, (size_t)d * sizeof(float), b, &err) == GT_OK,
               "%s", err.message);
      SAME_BYTES("copy_rows_masked", a, b, (size_t)nd * sizeof(float));
      for (int64_t i = 0; i < n; i++)
        GT_CHECK(a[i * d + d - 1] == (mask[i] ? x : y)[i * d + d - 1], "masked copy row %lld", (long long)i);
    }
    free(x), free(y), free(a), free(b), free(ca), free(cb), free(mask), free(ia), free(ib);
  }
}

static void test_gather_scatter(void) {
  gt_error err = {0};
  g_state = 14;
  for (int s = 0; s < N_SHAPES; s++) {
    int64_t n = g_shapes[s].n, d = g_shapes[s].d, nd = n * d;
    float *src = fbuf(nd), *a = fbuf(nd), *b = fbuf(nd);
    int64_t *ids = malloc((size_t)(n > 0 ? n : 1) * sizeof(int64_t)), *ida = malloc((size_t)(n > 0 ? n : 1) * 8),
            *idb = malloc((size_t)(n > 0 ? n : 1) * 8);
    int32_t *idx = ibuf(n);
    fill_signed(src, nd);
    /* Every other row, reversed: a distinct subset. */
    int64_t m = 0;
    for (int64_t i = n - 1; i >= 0; i -= 2) idx[m++] = (int32_t)i;
    for (int64_t i = 0; i < n; i++) ids[i] = 1000 + i;
    size_t row = (size_t)d * sizeof(float);
    GT_CHECK(gt_ref_vec_iface.gather_rows(g_ref, src, n, idx, m, row, a, &err) == GT_OK, "%s", err.message);
    for (int64_t j = 0; j < m; j++)
      GT_CHECK(memcmp(a + j * d, src + (int64_t)idx[j] * d, row) == 0, "gather row %lld", (long long)j);
    for (int t = 0; t < 3; t++) {
      GT_CHECK(gt_cpu_vec_iface.gather_rows(g_cpu[t], src, n, idx, m, row, b, &err) == GT_OK, "%s", err.message);
      SAME_BYTES("gather_rows", a, b, (size_t)m * row);
      gt_ref_vec_iface.gather_rows(g_ref, ids, n, idx, m, sizeof(int64_t), ida, &err);
      gt_cpu_vec_iface.gather_rows(g_cpu[t], ids, n, idx, m, sizeof(int64_t), idb, &err);
      SAME_BYTES("gather_rows int64", ida, idb, (size_t)m * sizeof(int64_t));
      GT_CHECK(m == 0 || ida[0] == ids[idx[0]], "int64 gather");
      /* scatter back into a copy: the gathered rows land where they came from */
      float *back_a = fbuf(nd), *back_b = fbuf(nd);
      memset(back_a, 0, (size_t)nd * sizeof(float));
      memset(back_b, 0, (size_t)nd * sizeof(float));
      gt_ref_vec_iface.scatter_rows(g_ref, a, idx, m, row, back_a, n, &err);
      GT_CHECK(gt_cpu_vec_iface.scatter_rows(g_cpu[t], a, idx, m, row, back_b, n, &err) == GT_OK, "%s", err.message);
      SAME_BYTES("scatter_rows", back_a, back_b, (size_t)nd * sizeof(float));
      for (int64_t j = 0; j < m; j++)
        GT_CHECK(memcmp(back_a + (int64_t)idx[j] * d, src + (int64_t)idx[j] * d, row) == 0, "scatter row %lld",
                 (long long)j);
      if (n >= 2) GT_CHECK(back_a[(n - 2) * d] == 0.0f, "scatter wrote a row it was not given");
      free(back_a), free(back_b);
    }
    free(src), free(a), free(b), free(ids), free(ida), free(idb), free(idx);
  }
}

static void test_random_fill(void) {
  gt_error err = {0};
  for (int s = 0; s < N_SHAPES; s++) {
    int64_t n = g_shapes[s].n, d = g_shapes[s].d, nd = n * d;
    float *a = fbuf(nd), *b = fbuf(nd);
    int64_t *ids = malloc((size_t)(n > 0 ? n : 1) * sizeof(int64_t));
    for (int64_t i = 0; i < n; i++) ids[i] = 7 * i + 3;
    for (int dist = GT_RNG_UNIFORM; dist <= GT_RNG_SIGN; dist++) {
      gt_vec_random r = {(gt_rng_dist)dist, 99, GT_RNG_STREAM_START, 2, 5, ids, n, d, a};
      GT_CHECK(gt_ref_vec_iface.random_fill(g_ref, &r, &err) == GT_OK, "%s", err.message);
      for (int t = 0; t < 3; t++) {
        r.out = b;
        GT_CHECK(gt_cpu_vec_iface.random_fill(g_cpu[t], &r, &err) == GT_OK, "%s", err.message);
        SAME_BYTES("random_fill", a, b, (size_t)nd * sizeof(float));
        r.out = a;
      }
      /* A row depends on its sample id only, not on the batch around it. */
      if (n >= 3) {
        gt_vec_random one = r;
        one.sample_ids = ids + 2;
        one.n = 1;
        one.out = b;
        gt_ref_vec_iface.random_fill(g_ref, &one, &err);
        GT_CHECK(memcmp(b, a + 2 * d, (size_t)d * sizeof(float)) == 0, "row 2 changed when drawn alone");
      }
    }
    free(a), free(b), free(ids);
  }
}

static void test_logit_ops(void) {
  gt_error err = {0};
  g_state = 15;
  const int ks[3] = {2, 10, 37};
  for (int s = 0; s < N_SHAPES; s++) {
    for (int kc = 0; kc < 3; kc++) {
      int64_t n = g_shapes[s].n;
      int k = ks[kc];
      float *z = fbuf(n * k);
      int32_t *labels = ibuf(n), *targets = ibuf(n), *fa = ibuf(n), *fb = ibuf(n), *ta = ibuf(n * k), *tb = ibuf(n * k);
      for (int64_t j = 0; j < n * k; j++) z[j] = (float)((int)(urand() * 8)); /* many ties */
      for (int64_t i = 0; i < n; i++) {
        labels[i] = (int32_t)(urand() * k);
        targets[i] = (int32_t)(urand() * k);
      }
      for (int t = 0; t < 3; t++) {
        for (int targeted = 0; targeted < 2; targeted++) {
          const int32_t *tg = targeted ? targets : NULL;
          GT_CHECK(gt_ref_vec_iface.success(g_ref, z, n, k, labels, tg, fa, &err) == GT_OK, "%s", err.message);
          GT_CHECK(gt_cpu_vec_iface.success(g_cpu[t], z, n, k, labels, tg, fb, &err) == GT_OK, "%s", err.message);
          SAME_BYTES("success", fa, fb, (size_t)n * sizeof(int32_t));
        }
        gt_ref_vec_iface.argmax(g_ref, z, n, k, fa, &err);
        gt_cpu_vec_iface.argmax(g_cpu[t], z, n, k, fb, &err);
        SAME_BYTES("argmax", fa, fb, (size_t)n * sizeof(int32_t));
        int kk = k < 10 ? k : 10;
        GT_CHECK(gt_ref_vec_iface.topk_classes(g_ref, z, n, k, kk, ta, &err) == GT_OK, "%s", err.message);
        GT_CHECK(gt_cpu_vec_iface.topk_classes(g_cpu[t], z, n, k, kk, tb, &err) == GT_OK, "%s", err.message);
        SAME_BYTES("topk_classes", ta, tb, (size_t)(n * kk) * sizeof(int32_t));
        for (int64_t i = 0; i < n; i++) {
          GT_CHECK(ta[i * kk] == fa[i], "top-1 is the argmax");
          for (int r = 1; r < kk; r++) {
            float hi = z[i * k + ta[i * kk + r - 1]], lo = z[i * k + ta[i * kk + r]];
            GT_CHECK(hi > lo || (hi == lo && ta[i * kk + r - 1] < ta[i * kk + r]), "rank order row %lld", (long long)i);
          }
        }
      }
      free(z), free(labels), free(targets), free(fa), free(fb), free(ta), free(tb);
    }
  }
}

/* track_max and count_nonzero: cpu == ref, and what they mean on hand-checked values. */
static void test_row_stats(void) {
  gt_error err = {0};
  g_state = 17;
  for (int s = 0; s < N_SHAPES; s++) {
    int64_t n = g_shapes[s].n, d = g_shapes[s].d, nd = n * d;
    float *v = fbuf(n), *best_a = fbuf(n), *best_b = fbuf(n), *last_a = fbuf(n), *last_b = fbuf(n);
    float *x = fbuf(nd), *x0 = fbuf(nd), *ca = fbuf(n), *cb = fbuf(n);
    int32_t *imp_a = ibuf(n), *imp_b = ibuf(n), *rise_a = ibuf(n), *rise_b = ibuf(n);
    fill_points(x0, x, nd);
    for (int64_t j = 0; j < nd; j++)
      if (urand() < 0.5) x[j] = x0[j]; /* about half the coordinates unmoved */
    for (int t = 0; t < 3; t++) {
      for (int64_t i = 0; i < n; i++) {
        v[i] = i % 9 == 4 ? NAN : (float)(2 * urand() - 1);
        best_a[i] = best_b[i] = (float)(2 * urand() - 1);
        last_a[i] = last_b[i] = (float)(2 * urand() - 1);
        rise_a[i] = rise_b[i] = (int32_t)(i % 3);
      }
      float best0[64], last0[64];
      int32_t rise0[64];
      for (int64_t i = 0; i < n && i < 64; i++) best0[i] = best_a[i], last0[i] = last_a[i], rise0[i] = rise_a[i];
      GT_CHECK(gt_ref_vec_iface.track_max(g_ref, v, n, best_a, imp_a, last_a, rise_a, &err) == GT_OK, "%s",
               err.message);
      GT_CHECK(gt_cpu_vec_iface.track_max(g_cpu[t], v, n, best_b, imp_b, last_b, rise_b, &err) == GT_OK, "%s",
               err.message);
      SAME_BYTES("track_max best", best_a, best_b, (size_t)n * sizeof(float));
      SAME_BYTES("track_max improved", imp_a, imp_b, (size_t)n * sizeof(int32_t));
      SAME_BYTES("track_max rises", rise_a, rise_b, (size_t)n * sizeof(int32_t));
      SAME_BYTES("track_max last", last_a, last_b, (size_t)n * sizeof(float));
      for (int64_t i = 0; i < n && i < 64; i++) {
        int up = v[i] > best0[i];
        GT_CHECK(imp_a[i] == up && best_a[i] == (up ? v[i] : best0[i]), "track_max row %lld: improved %d",
                 (long long)i, (int)imp_a[i]);
        GT_CHECK(rise_a[i] == rise0[i] + (v[i] > last0[i]), "track_max row %lld: rises %d", (long long)i,
                 (int)rise_a[i]);
        GT_CHECK(memcmp(&last_a[i], &v[i], sizeof(float)) == 0, "track_max row %lld: last not updated", (long long)i);
      }
      /* Without last / rises: only the maximum moves. */
      GT_CHECK(gt_cpu_vec_iface.track_max(g_cpu[t], v, n, best_b, NULL, NULL, NULL, &err) == GT_OK, "%s",
               err.message);
      SAME_BYTES("track_max again", best_a, best_b, (size_t)n * sizeof(float));
      GT_CHECK(gt_ref_vec_iface.count_nonzero(g_ref, x, x0, n, d, ca, &err) == GT_OK, "%s", err.message);
      GT_CHECK(gt_cpu_vec_iface.count_nonzero(g_cpu[t], x, x0, n, d, cb, &err) == GT_OK, "%s", err.message);
      SAME_BYTES("count_nonzero", ca, cb, (size_t)n * sizeof(float));
      for (int64_t i = 0; i < n; i++) {
        int64_t c = 0, z = 0;
        for (int64_t j = 0; j < d; j++) c += x[i * d + j] != x0[i * d + j], z += x[i * d + j] != 0.0f;
        GT_CHECK(ca[i] == (float)c, "count_nonzero row %lld: %g, expected %lld", (long long)i, (double)ca[i],
                 (long long)c);
        gt_ref_vec_iface.count_nonzero(g_ref, x + i * d, NULL, 1, d, cb, &err);
        GT_CHECK(cb[0] == (float)z, "count_nonzero without x0, row %lld", (long long)i);
      }
    }
    free(v), free(best_a), free(best_b), free(last_a), free(last_b), free(x), free(x0), free(ca), free(cb);
    free(imp_a), free(imp_b), free(rise_a), free(rise_b);
  }
  float one = 1.0f, best = 0.0f, last = 0.0f;
  GT_CHECK(gt_ref_vec_iface.track_max(g_ref, &one, 1, &best, NULL, &last, NULL, &err) == GT_ERR_USAGE &&
               strstr(err.message, "rises"),
           "last without rises: %s", err.message);
}

/* C&W's tanh change of variables and Adam step: cpu == ref bytes over three steps, the start sits on
 * x0, the first step moves every w by about lr against the sign of its gradient (Adam's first step
 * is lr * m / |m|), x stays in [0,1], and bad hyperparameters are refused. */
static void test_tanh_adam(void) {
  gt_error err = {0};
  g_state = 41;
  for (int s = 0; s < N_SHAPES; s++) {
    int64_t n = g_shapes[s].n, d = g_shapes[s].d, nd = n * d;
    float *x0 = fbuf(nd), *xs = fbuf(nd), *g = fbuf(nd), *coef = fbuf(n);
    float *w[2] = {fbuf(nd), fbuf(nd)}, *m[2] = {fbuf(nd), fbuf(nd)}, *v[2] = {fbuf(nd), fbuf(nd)};
    float *x[2] = {fbuf(nd), fbuf(nd)}, *w0 = fbuf(nd);
    fill_points(x0, xs, nd);
    fill_signed(g, nd);
    for (int64_t i = 0; i < n; i++) coef[i] = i % 3 == 0 ? 0.0f : (float)(20 * urand() - 5);
    GT_CHECK(gt_ref_vec_iface.tanh_init(g_ref, x0, n, d, w0, xs, &err) == GT_OK, "%s", err.message);
    for (int64_t j = 0; j < nd; j++)
      GT_CHECK(fabsf(xs[j] - x0[j]) <= 1e-5f && xs[j] >= 0.0f && xs[j] <= 1.0f && isfinite(w0[j]),
               "tanh_init element %lld: x0 %g -> w %g -> x %g", (long long)j, (double)x0[j], (double)w0[j],
               (double)xs[j]);
    for (int t = 0; t < 3; t++) {
      for (int b = 0; b < 2; b++) {
        gt_backend *be = b == 0 ? g_ref : g_cpu[t];
        const gt_vec_iface *vi = b == 0 ? &gt_ref_vec_iface : &gt_cpu_vec_iface;
        GT_CHECK(vi->tanh_init(be, x0, n, d, w[b], x[b], &err) == GT_OK, "%s", err.message);
        vi->fill(be, m[b], nd, 0.0f, &err);
        vi->fill(be, v[b], nd, 0.0f, &err);
        for (int step = 1; step <= 3; step++) {
          gt_vec_tanh_adam a = {.n = n, .d = d, .w = w[b], .m = m[b], .v = v[b], .x0 = x0, .grad = g, .coef = coef,
                                .lr = 0.01f, .beta1 = 0.9f, .beta2 = 0.999f, .adam_eps = 1e-8f, .step = step,
                                .x = x[b]};
          GT_CHECK(vi->tanh_adam_step(be, &a, &err) == GT_OK, "%s", err.message);
          if (b == 0 && step == 1 && t == 0)
            for (int64_t j = 0; j < nd; j++) {
              double tw = tanh((double)w0[j]), xc = 0.5 * (tw + 1.0);
              double gw = (2.0 * (xc - x0[j]) + coef[j / d] * (double)g[j]) * 0.5 * (1.0 - tw * tw);
              if (fabs(gw) < 1e-3) continue;
              double want = (double)w0[j] - 0.01 * (gw > 0 ? 1.0 : -1.0);
              GT_CHECK(fabs((double)w[0][j] - want) < 1e-4, "first Adam step of element %lld: %g, want %g",
                       (long long)j, (double)w[0][j], want);
            }
        }
      }
      char what[64];
      snprintf(what, sizeof what, "tanh_adam n=%lld d=%lld threads %d", (long long)n, (long long)d, t + 1);
      SAME_BYTES(what, w[0], w[1], (size_t)nd * sizeof(float));
      SAME_BYTES(what, m[0], m[1], (size_t)nd * sizeof(float));
      SAME_BYTES(what, v[0], v[1], (size_t)nd * sizeof(float));
      SAME_BYTES(what, x[0], x[1], (size_t)nd * sizeof(float));
      for (int64_t j = 0; j < nd; j++)
        if (!(x[0][j] >= 0.0f && x[0][j] <= 1.0f)) {
          GT_CHECK(0, "%s: x[%lld] = %g leaves [0,1]", what, (long long)j, (double)x[0][j]);
          break;
        }
    }
    if (n > 0) {
      gt_vec_tanh_adam a = {.n = n, .d = d, .w = w[0], .m = m[0], .v = v[0], .x0 = x0, .grad = g, .coef = coef,
                            .lr = 0.01f, .beta1 = 0.9f, .beta2 = 0.999f, .adam_eps = 1e-8f, .step = 0, .x = x[0]};
      GT_CHECK(gt_ref_vec_iface.tanh_adam_step(g_ref, &a, &err) == GT_ERR_USAGE && strstr(err.message, "step"),
               "step 0: %s", err.message);
      a.step = 1;
      a.beta1 = 1.0f;
      GT_CHECK(gt_cpu_vec_iface.tanh_adam_step(g_cpu[0], &a, &err) == GT_ERR_USAGE && strstr(err.message, "beta"),
               "beta1 = 1: %s", err.message);
      a.beta1 = 0.9f;
      a.x = a.w;
      GT_CHECK(gt_ref_vec_iface.tanh_adam_step(g_ref, &a, &err) == GT_ERR_USAGE && strstr(err.message, "distinct"),
               "x aliasing w: %s", err.message);
      GT_CHECK(gt_ref_vec_iface.tanh_init(g_ref, x0, n, d, x0, xs, &err) == GT_ERR_USAGE, "w aliasing x0 accepted");
    }
    free(x0);
    free(xs);
    free(g);
    free(coef);
    free(w0);
    for (int b = 0; b < 2; b++) {
      free(w[b]);
      free(m[b]);
      free(v[b]);
      free(x[b]);
    }
  }
}

static void test_bad_arguments(void) {
  gt_error err = {0};
  float x[8] = {0}, out[8];
  int32_t idx[2] = {0, 5}, dup[2] = {1, 1}, labels[2] = {0, 3};
  int64_t bad_ids[2] = {0, -1};
  float eps_nan[2] = {0.1f, NAN};
  const gt_vec_iface *tables[2] = {&gt_ref_vec_iface, &gt_cpu_vec_iface};
  gt_backend *bes[2] = {g_ref, g_cpu[1]};
  for (int t = 0; t < 2; t++) {
    const gt_vec_iface *v = tables[t];
    gt_backend *be = bes[t];
    GT_CHECK(v->gather_rows(be, x, 4, idx, 2, 8, out, &err) == GT_ERR_USAGE && strstr(err.message, "idx[1]"),
             "out-of-range gather index: %s", err.message);
    GT_CHECK(v->scatter_rows(be, x, dup, 2, 8, out, 4, &err) == GT_ERR_USAGE && strstr(err.message, "repeats"),
             "repeated scatter index: %s", err.message);
    GT_CHECK(v->success(be, x, 2, 3, labels, NULL, idx, &err) == GT_ERR_USAGE && strstr(err.message, "labels[1]"),
             "label out of range: %s", err.message);
    GT_CHECK(v->project(be, GT_NORM_L2, x, x, eps_nan, 2, 4, out, &err) == GT_ERR_USAGE && strstr(err.message, "eps[1]"),
             "NaN eps: %s", err.message);
    GT_CHECK(v->norms(be, GT_NORM_L2, x, NULL, -1, 4, out, &err) == GT_ERR_USAGE, "negative n");
    GT_CHECK(v->norms(be, GT_NORM_L2, x, NULL, 2, 0, out, &err) == GT_ERR_USAGE, "d = 0");
    GT_CHECK(v->norms(be, (gt_norm)7, x, NULL, 2, 4, out, &err) == GT_ERR_USAGE, "unknown norm");
    GT_CHECK(v->norms(be, GT_NORM_L1, x, NULL, (int64_t)1 << 40, 1 << 10, out, &err) == GT_ERR_LIMIT, "huge n*d");
    gt_vec_random r = {GT_RNG_NORMAL, 1, 300, 0, 0, bad_ids, 2, 4, out};
    GT_CHECK(v->random_fill(be, &r, &err) == GT_ERR_USAGE && strstr(err.message, "stream"), "stream 300: %s",
             err.message);
    r.stream = 1;
    GT_CHECK(v->random_fill(be, &r, &err) == GT_ERR_USAGE && strstr(err.message, "sample id"), "negative id: %s",
             err.message);
    int32_t k0[2] = {1, 0};
    gt_vec_step st = {GT_NORM_L1, 2, 4, x, x, x, eps_nan, eps_nan, k0, out};
    GT_CHECK(v->ascent_step(be, &st, &err) == GT_ERR_USAGE, "NaN alpha / eps accepted");
    float ok[2] = {0.1f, 0.1f};
    st.alpha = ok;
    st.eps = ok;
    GT_CHECK(v->ascent_step(be, &st, &err) == GT_ERR_USAGE && strstr(err.message, "l1_k[1]"), "k = 0: %s",
             err.message);
    GT_CHECK(v->topk_classes(be, x, 2, 3, 4, idx, &err) == GT_ERR_USAGE, "top-4 of 3 classes");
  }
}

/* Square's row ops and logit_loss: cpu == ref bytes at every thread count, a row drawn alone equals
 * the same row inside a batch, the Linf window and the L2 norm behave, bad arguments are refused. */
typedef struct sq_shape {
  int64_t n, c, h, w;
} sq_shape;

static void test_square_ops(void) {
  gt_error err = {0};
  const sq_shape shapes[] = {{0, 1, 3, 3}, {1, 1, 1, 1}, {7, 1, 6, 6}, {9, 3, 5, 7}, {33, 1, 28, 28}, {5, 3, 32, 32}};
  g_state = 17;
  for (size_t sh = 0; sh < sizeof shapes / sizeof shapes[0]; sh++) {
    int64_t n = shapes[sh].n, c = shapes[sh].c, h = shapes[sh].h, w = shapes[sh].w, d = c * h * w, nd = n * d;
    int64_t m = h < w ? h : w;
    float *x0 = fbuf(nd), *x = fbuf(nd), *a = fbuf(nd), *b = fbuf(nd), *one = fbuf(d);
    int64_t *ids = malloc((size_t)(n > 0 ? n : 1) * sizeof(int64_t));
    for (int64_t j = 0; j < nd; j++) x0[j] = urand() < 0.1 ? 0.0f : (float)urand();
    for (int64_t i = 0; i < n; i++) ids[i] = 11 * i + 5;
    for (int norm = 0; norm < 2; norm++) {
      gt_vec_square sq = {(gt_norm)norm, n, c, h, w, 0, norm ? 0.9f : 0.07f, NULL, x0, 42, GT_RNG_STREAM_ATTACK,
                          3, 0, ids, x};
      GT_CHECK(gt_ref_vec_iface.square_init(g_ref, &sq, &err) == GT_OK, "%s", err.message);
      for (int t = 0; t < 3; t++) {
        sq.out = b;
        GT_CHECK(gt_cpu_vec_iface.square_init(g_cpu[t], &sq, &err) == GT_OK, "%s", err.message);
        SAME_BYTES("square_init", x, b, (size_t)nd * sizeof(float));
      }
      const int64_t sides[3] = {1, (m + 1) / 2, m};
      for (int si = 0; si < 3; si++) {
        sq.side = sides[si];
        sq.x = x;
        sq.step = (uint32_t)(7 + si);
        sq.out = a;
        GT_CHECK(gt_ref_vec_iface.square_step(g_ref, &sq, &err) == GT_OK, "%s", err.message);
        for (int t = 0; t < 3; t++) {
          sq.out = b;
          GT_CHECK(gt_cpu_vec_iface.square_step(g_cpu[t], &sq, &err) == GT_OK, "%s", err.message);
          SAME_BYTES("square_step", a, b, (size_t)nd * sizeof(float));
        }
        for (int64_t i = 0; i < n; i++) {
          double dist = gt_lp_norm_row((gt_norm)norm, a + i * d, x0 + i * d, d);
          GT_CHECK(dist <= (double)sq.eps + 1e-6, "%s step row %lld at %.9g > eps", gt_norm_name((gt_norm)norm),
                   (long long)i, dist);
        }
        for (int64_t j = 0; j < nd; j++)
          if (!(a[j] >= 0.0f && a[j] <= 1.0f)) {
            GT_CHECK(0, "square step left the box: %g", (double)a[j]);
            break;
          }
        if (norm == GT_NORM_LINF)
          for (int64_t i = 0; i < n; i++) { /* only one s x s window per channel moves */
            int64_t moved = 0;
            for (int64_t j = 0; j < d; j++) moved += a[i * d + j] != x[i * d + j];
            GT_CHECK(moved <= c * sq.side * sq.side, "Linf step moved %lld > %lld coordinates", (long long)moved,
                     (long long)(c * sq.side * sq.side));
          }
        /* A row depends on its sample id only, not on the batch around it. */
        if (n >= 3) {
          gt_vec_square alone = sq;
          alone.n = 1;
          alone.x = x + 2 * d;
          alone.x0 = x0 + 2 * d;
          alone.sample_ids = ids + 2;
          alone.out = one;
          GT_CHECK(gt_ref_vec_iface.square_step(g_ref, &alone, &err) == GT_OK, "%s", err.message);
          GT_CHECK(memcmp(one, a + 2 * d, (size_t)d * sizeof(float)) == 0, "square row 2 changed when drawn alone");
        }
      }
    }
    free(x0), free(x), free(a), free(b), free(one), free(ids);
  }
}

static void test_logit_loss(void) {
  gt_error err = {0};
  g_state = 18;
  const gt_loss_kind kinds[4] = {GT_LOSS_CW, GT_LOSS_CW_TARGETED, GT_LOSS_CE, GT_LOSS_DLR_TARGETED};
  for (int s = 0; s < N_SHAPES; s++) {
    int64_t n = g_shapes[s].n;
    int k = 10;
    float *z = fbuf(n * k), *la = fbuf(n), *lb = fbuf(n);
    int32_t *labels = ibuf(n), *targets = ibuf(n);
    for (int64_t j = 0; j < n * k; j++) z[j] = urand() < 0.2 ? 1.0f : (float)(6 * urand() - 3);
    for (int64_t i = 0; i < n; i++) {
      labels[i] = (int32_t)(urand() * k);
      targets[i] = (labels[i] + 1 + (int32_t)(urand() * (k - 1))) % k;
    }
    for (int kc = 0; kc < 4; kc++) {
      GT_CHECK(gt_ref_vec_iface.logit_loss(g_ref, kinds[kc], z, n, k, labels, targets, la, &err) == GT_OK, "%s",
               err.message);
      for (int64_t i = 0; i < n; i++) {
        float want = gt_loss_row(kinds[kc], z + i * k, k, labels[i], targets[i], NULL);
        GT_CHECK(la[i] == want, "%s row %lld: %g vs %g", gt_loss_name(kinds[kc]), (long long)i, (double)la[i],
                 (double)want);
      }
      for (int t = 0; t < 3; t++) {
        GT_CHECK(gt_cpu_vec_iface.logit_loss(g_cpu[t], kinds[kc], z, n, k, labels, targets, lb, &err) == GT_OK, "%s",
                 err.message);
        SAME_BYTES("logit_loss", la, lb, (size_t)n * sizeof(float));
      }
    }
    /* The margin loss: max_{i != y} z_i - z_y, positive exactly when another class wins. */
    if (n > 0) {
      gt_ref_vec_iface.logit_loss(g_ref, GT_LOSS_CW, z, n, k, labels, NULL, la, &err);
      float best = -INFINITY;
      for (int j = 0; j < k; j++)
        if (j != labels[0] && z[j] > best) best = z[j];
      GT_CHECK(la[0] == best - z[labels[0]], "margin of row 0: %g vs %g", (double)la[0], (double)(best - z[labels[0]]));
    }
    free(z), free(la), free(lb), free(labels), free(targets);
  }
}

static void test_square_bad_arguments(void) {
  gt_error err = {0};
  float x0[16] = {0}, x[16] = {0}, out[16], z[6] = {0};
  int64_t ids[1] = {0}, bad_ids[1] = {-3};
  int32_t labels[2] = {0, 1};
  const gt_vec_iface *tables[2] = {&gt_ref_vec_iface, &gt_cpu_vec_iface};
  gt_backend *bes[2] = {g_ref, g_cpu[1]};
  for (int t = 0; t < 2; t++) {
    const gt_vec_iface *v = tables[t];
    gt_backend *be = bes[t];
    gt_vec_square sq = {GT_NORM_L1, 1, 1, 4, 4, 2, 0.1f, x, x0, 0, GT_RNG_STREAM_ATTACK, 0, 1, ids, out};
    GT_CHECK(v->square_step(be, &sq, &err) == GT_ERR_USAGE && strstr(err.message, "L1"), "L1: %s", err.message);
    sq.norm = GT_NORM_LINF;
    GT_CHECK(v->square_step(be, &sq, &err) == GT_OK, "valid step: %s", err.message);
    sq.side = 5;
    GT_CHECK(v->square_step(be, &sq, &err) == GT_ERR_USAGE && strstr(err.message, "side"), "side 5 of 4: %s",
             err.message);
    sq.side = 0;
    GT_CHECK(v->square_step(be, &sq, &err) == GT_ERR_USAGE && strstr(err.message, "side"), "side 0: %s", err.message);
    GT_CHECK(v->square_init(be, &sq, &err) == GT_OK, "init ignores the side: %s", err.message);
    sq.side = 2;
    sq.out = x;
    GT_CHECK(v->square_step(be, &sq, &err) == GT_ERR_USAGE && strstr(err.message, "alias"), "out == x: %s",
             err.message);
    sq.out = out;
    sq.eps = NAN;
    GT_CHECK(v->square_init(be, &sq, &err) == GT_ERR_USAGE && strstr(err.message, "eps"), "NaN eps: %s", err.message);
    sq.eps = 0.1f;
    sq.h = 0;
    GT_CHECK(v->square_init(be, &sq, &err) == GT_ERR_USAGE, "h = 0");
    sq.h = 4;
    sq.sample_ids = bad_ids;
    GT_CHECK(v->square_init(be, &sq, &err) == GT_ERR_USAGE && strstr(err.message, "sample id"), "id -3: %s",
             err.message);
    sq.sample_ids = ids;
    sq.x = NULL;
    GT_CHECK(v->square_step(be, &sq, &err) == GT_ERR_USAGE && strstr(err.message, "x"), "no x: %s", err.message);
    GT_CHECK(v->logit_loss(be, GT_LOSS_DLR, z, 2, 2, labels, NULL, out, &err) == GT_ERR_USAGE &&
                 strstr(err.message, "classes"),
             "DLR on 2 classes: %s", err.message);
    GT_CHECK(v->logit_loss(be, GT_LOSS_CW_TARGETED, z, 2, 3, labels, NULL, out, &err) == GT_ERR_USAGE &&
                 strstr(err.message, "targets"),
             "targeted without targets: %s", err.message);
    labels[1] = 3;
    GT_CHECK(v->logit_loss(be, GT_LOSS_CW, z, 2, 3, labels, NULL, out, &err) == GT_ERR_USAGE &&
                 strstr(err.message, "labels[1]"),
             "label 3 of 3: %s", err.message);
    labels[1] = 1;
  }
}

static void test_backends_expose_tables(void) {
  gt_error err = {0};
  GT_CHECK(gt_backend_vec(g_ref, &err) == &gt_ref_vec_iface, "the ref backend does not expose its vector ops: %s",
           err.message);
  GT_CHECK(gt_backend_vec(g_cpu[0], &err) == &gt_cpu_vec_iface, "the cpu backend does not expose its vector ops: %s",
           err.message);
}

/* project_hyperplane: cpu == ref at every thread count (in place too), with and without an anchor,
 * on planes that cross the box, miss it, or hold the point already; results in the box. */
static void test_project_hyperplane(void) {
  gt_error err = {0};
  g_state = 19;
  for (int s = 0; s < N_SHAPES; s++) {
    int64_t n = g_shapes[s].n, d = g_shapes[s].d, nd = n * d;
    float *x0 = fbuf(nd), *x = fbuf(nd), *w = fbuf(nd), *a = fbuf(nd), *b = fbuf(nd), *f = fbuf(n);
    fill_points(x0, x, nd);
    for (int64_t j = 0; j < nd; j++) x[j] = gt_proj_box(x[j]);
    fill_signed(w, nd);
    for (int64_t i = 0; i < n; i++) /* from "already on the plane" to "misses the box" */
      f[i] = i % 6 == 0 ? 0.0f : (float)((2 * urand() - 1) * (i % 6 == 1 ? 2.0 * (double)d : 0.3 * sqrt((double)d)));
    for (int norm = 0; norm < GT_NORM_COUNT; norm++)
      for (int anchored = 0; anchored < 2; anchored++) {
        char what[96];
        snprintf(what, sizeof what, "project_hyperplane %s n=%lld d=%lld anchor %d", gt_norm_name((gt_norm)norm),
                 (long long)n, (long long)d, anchored);
        const float *anchor = anchored ? x0 : NULL;
        GT_CHECK(gt_ref_vec_iface.project_hyperplane(g_ref, (gt_norm)norm, x, w, anchor, f, n, d, a, &err) == GT_OK,
                 "%s: %s", what, err.message);
        for (int64_t j = 0; j < nd; j++)
          if (!(a[j] >= 0.0f && a[j] <= 1.0f)) {
            GT_CHECK(0, "%s: left the box: %g", what, (double)a[j]);
            break;
          }
        for (int t = 0; t < 3; t++) {
          memcpy(b, x, (size_t)nd * sizeof(float));
          GT_CHECK(gt_cpu_vec_iface.project_hyperplane(g_cpu[t], (gt_norm)norm, b, w, anchor, f, n, d, b, &err) ==
                       GT_OK,
                   "%s: %s", what, err.message);
          SAME_BYTES(what, a, b, (size_t)nd * sizeof(float));
        }
      }
    GT_CHECK(gt_ref_vec_iface.project_hyperplane(g_ref, GT_NORM_L2, x, NULL, NULL, f, n, d, a, &err) ==
                 (n > 0 ? GT_ERR_USAGE : GT_OK),
             "project_hyperplane without w: %s", err.message);
    free(x0), free(x), free(w), free(a), free(b), free(f);
  }
}

/* ---- APGD's fused momentum step (gt_momentum_row of gauntlet/hd/momentum.h) ----
 * It must give the same bytes as the five vector ops APGD ran before it existed (ascent step, two
 * axpby, a copy, a projection), on ref and on cpu at every thread count, and keep the iterate in
 * the eps-ball and the box. */

/* One problem: iterates in the box near their centres, gradients with zeros, radii with 0 and +inf. */
typedef struct problem {
  int64_t n, d;
  float *x, *xp, *g, *x0, *alpha, *eps;
} problem;

static problem problem_new(int64_t n, int64_t d, gt_norm norm) {
  problem p = {n, d, fbuf(n * d), fbuf(n * d), fbuf(n * d), fbuf(n * d), fbuf(n), fbuf(n)};
  float scale = norm == GT_NORM_L2 ? 0.02f * sqrtf((float)d) : 0.05f;
  for (int64_t i = 0; i < n; i++) {
    p.eps[i] = i % 5 == 1 ? 0.0f : (i % 5 == 2 ? INFINITY : scale * (0.5f + (float)urand()));
    p.alpha[i] = 2.0f * (i % 5 == 2 ? 0.1f : p.eps[i]) * (float)urand();
  }
  for (int64_t j = 0; j < n * d; j++) {
    float u = (float)urand();
    p.x0[j] = u < 0.1f ? 0.0f : (u < 0.2f ? 1.0f : (float)urand());
    p.x[j] = gt_proj_box(p.x0[j] + 0.1f * (2.0f * (float)urand() - 1.0f));
    p.xp[j] = gt_proj_box(p.x0[j] + 0.1f * (2.0f * (float)urand() - 1.0f));
    p.g[j] = (float)urand() < 0.05f ? 0.0f : 2.0f * (float)urand() - 1.0f;
  }
  return p;
}

static void problem_free(problem *p) { free(p->x), free(p->xp), free(p->g), free(p->x0), free(p->alpha), free(p->eps); }

static float *copy_of(const float *src, int64_t count) {
  float *c = fbuf(count);
  memcpy(c, src, (size_t)(count > 0 ? count : 0) * sizeof(float));
  return c;
}

/* x, xp <- APGD's old sequence on table v: z = ascent_step(x); first: xp = x, x = z; else
 * xp = -(1 - a) xp + 2(1 - a) x; z = a z + 1 xp; xp = x; x = project(z). */
static void old_sequence(const gt_vec_iface *v, gt_backend *be, gt_norm norm, const problem *p, int first, float a,
                         float *x, float *xp) {
  gt_error err = {0};
  int64_t n = p->n, d = p->d, nd = n * d;
  float *z = fbuf(nd), *c_new = fbuf(n), *c_keep = fbuf(n), *c_back = fbuf(n), *ones = fbuf(n);
  for (int64_t i = 0; i < n; i++) c_new[i] = a, c_keep[i] = 2.0f * (1.0f - a), c_back[i] = -(1.0f - a), ones[i] = 1;
  gt_vec_step step = {norm, n, d, x, p->g, p->x0, p->alpha, p->eps, NULL, z};
  GT_CHECK(v->ascent_step(be, &step, &err) == GT_OK, "ascent_step: %s", err.message);
  if (first) {
    memcpy(xp, x, (size_t)nd * sizeof(float));
    memcpy(x, z, (size_t)nd * sizeof(float));
  } else {
    GT_CHECK(v->axpby(be, c_back, xp, c_keep, x, n, d, xp, &err) == GT_OK, "axpby: %s", err.message);
    GT_CHECK(v->axpby(be, c_new, z, ones, xp, n, d, z, &err) == GT_OK, "axpby: %s", err.message);
    memcpy(xp, x, (size_t)nd * sizeof(float));
    GT_CHECK(v->project(be, norm, z, p->x0, p->eps, n, d, x, &err) == GT_OK, "project: %s", err.message);
  }
  free(z), free(c_new), free(c_keep), free(c_back), free(ones);
}

static int fused(const gt_vec_iface *v, gt_backend *be, gt_norm norm, const problem *p, int first, float a, float *x,
                 float *xp) {
  gt_error err = {0};
  gt_vec_momentum m = {norm, p->n, p->d, x, xp, p->g, p->x0, p->alpha, p->eps, a, first};
  return GT_CHECK(v->momentum_step(be, &m, &err) == GT_OK, "momentum_step: %s", err.message);
}

static void test_momentum_old_sequence(void) {
  static const gt_norm norms[2] = {GT_NORM_LINF, GT_NORM_L2};
  static const float momenta[3] = {0.75f, 0.3f, 1.0f};
  g_state = 21;
  for (int s = 0; s < N_SHAPES; s++)
    for (int ni = 0; ni < 2; ni++) {
      int64_t n = g_shapes[s].n, d = g_shapes[s].d, nd = n * d;
      problem p = problem_new(n, d, norms[ni]);
      for (int mi = 0; mi < 3; mi++)
        for (int first = 0; first < 2; first++) {
          char what[128];
          snprintf(what, sizeof what, "%s n=%lld d=%lld a=%g first=%d", gt_norm_name(norms[ni]), (long long)n,
                   (long long)d, (double)momenta[mi], first);
          float *want_x = copy_of(p.x, nd), *want_xp = copy_of(p.xp, nd);
          old_sequence(&gt_ref_vec_iface, g_ref, norms[ni], &p, first, momenta[mi], want_x, want_xp);
          for (int t = -1; t < 3; t++) {
            const gt_vec_iface *v = t < 0 ? &gt_ref_vec_iface : &gt_cpu_vec_iface;
            float *x = copy_of(p.x, nd), *xp = copy_of(p.xp, nd);
            if (fused(v, t < 0 ? g_ref : g_cpu[t], norms[ni], &p, first, momenta[mi], x, xp)) {
              GT_CHECK(memcmp(x, want_x, (size_t)nd * sizeof(float)) == 0, "%s, %s: x differs from the old ops", what,
                       t < 0 ? "ref" : "cpu");
              GT_CHECK(memcmp(xp, want_xp, (size_t)nd * sizeof(float)) == 0, "%s, %s: x_prev differs", what,
                       t < 0 ? "ref" : "cpu");
            }
            free(x), free(xp);
          }
          free(want_x), free(want_xp);
        }
      problem_free(&p);
    }
}

/* Many steps in a row: every iterate within eps of x0 (in the norm) and in [0,1]. */
static void test_momentum_ball_and_box(void) {
  static const gt_norm norms[2] = {GT_NORM_LINF, GT_NORM_L2};
  gt_error err = {0};
  g_state = 22;
  for (int ni = 0; ni < 2; ni++) {
    int64_t n = 33, d = 129;
    problem p = problem_new(n, d, norms[ni]);
    float *dist = fbuf(n);
    memcpy(p.x, p.x0, (size_t)(n * d) * sizeof(float));
    for (int step = 0; step < 20; step++) {
      for (int64_t j = 0; j < n * d; j++) p.g[j] = (float)urand() < 0.05f ? 0.0f : 2.0f * (float)urand() - 1.0f;
      fused(&gt_cpu_vec_iface, g_cpu[1], norms[ni], &p, step == 0, 0.75f, p.x, p.xp);
      GT_CHECK(gt_ref_vec_iface.norms(g_ref, norms[ni], p.x, p.x0, n, d, dist, &err) == GT_OK, "%s", err.message);
      for (int64_t i = 0; i < n; i++)
        GT_CHECK(dist[i] <= p.eps[i] * (1 + 1e-6f) + 1e-6f, "%s step %d row %lld: %g > eps %g",
                 gt_norm_name(norms[ni]), step, (long long)i, (double)dist[i], (double)p.eps[i]);
      int in_box = 1;
      for (int64_t j = 0; j < n * d; j++) in_box &= p.x[j] >= 0.0f && p.x[j] <= 1.0f;
      GT_CHECK(in_box, "%s step %d: an iterate left [0,1]", gt_norm_name(norms[ni]), step);
    }
    free(dist);
    problem_free(&p);
  }
}

static void test_momentum_bad_arguments(void) {
  gt_error err = {0};
  float x[8] = {0}, xp[8] = {0}, ok[2] = {0.1f, 0.1f}, bad[2] = {0.1f, NAN};
  const gt_vec_iface *tables[2] = {&gt_ref_vec_iface, &gt_cpu_vec_iface};
  gt_backend *bes[2] = {g_ref, g_cpu[1]};
  for (int t = 0; t < 2; t++) {
    const gt_vec_iface *v = tables[t];
    gt_backend *be = bes[t];
    gt_vec_momentum m = {GT_NORM_LINF, 2, 4, x, xp, x, x, ok, ok, 0.75f, 0};
    GT_CHECK(v->momentum_step(be, NULL, &err) == GT_ERR_USAGE, "no arguments accepted");
    m.norm = GT_NORM_L1;
    GT_CHECK(v->momentum_step(be, &m, &err) == GT_ERR_USAGE && strstr(err.message, "L1"), "L1: %s", err.message);
    m.norm = GT_NORM_L2;
    m.x_prev = x;
    GT_CHECK(v->momentum_step(be, &m, &err) == GT_ERR_USAGE && strstr(err.message, "alias"), "x_prev == x: %s",
             err.message);
    m.x_prev = NULL;
    GT_CHECK(v->momentum_step(be, &m, &err) == GT_ERR_USAGE && strstr(err.message, "x_prev"), "no x_prev: %s",
             err.message);
    m.x_prev = xp;
    m.momentum = 1.5f;
    GT_CHECK(v->momentum_step(be, &m, &err) == GT_ERR_USAGE && strstr(err.message, "momentum"), "a = 1.5: %s",
             err.message);
    m.momentum = NAN;
    GT_CHECK(v->momentum_step(be, &m, &err) == GT_ERR_USAGE && strstr(err.message, "momentum"), "a = NaN: %s",
             err.message);
    m.momentum = 0.75f;
    m.eps = bad;
    GT_CHECK(v->momentum_step(be, &m, &err) == GT_ERR_USAGE && strstr(err.message, "eps[1]"), "NaN eps: %s",
             err.message);
    m.eps = ok;
    m.alpha = bad;
    GT_CHECK(v->momentum_step(be, &m, &err) == GT_ERR_USAGE && strstr(err.message, "alpha[1]"), "NaN alpha: %s",
             err.message);
    m.alpha = ok;
    m.n = -1;
    GT_CHECK(v->momentum_step(be, &m, &err) == GT_ERR_USAGE, "negative n accepted");
    m.n = 0;
    GT_CHECK(v->momentum_step(be, &m, &err) == GT_OK, "n = 0: %s", err.message);
  }
}

int main(void) {
  gt_error err = {0};
  if (gt_backend_ref_create(&g_ref, &err) != GT_OK) {
    fprintf(stderr, "ref backend: %s\n", err.message);
    return 1;
  }
  for (int t = 0; t < 3; t++)
    if (gt_backend_cpu_create(&g_cpu[t], t + 1, &err) != GT_OK) {
      fprintf(stderr, "cpu backend: %s\n", err.message);
      return 1;
    }
  gt_test_run("norms, projections, directions: cpu == ref", test_norms_project_direction);
  gt_test_run("fused ascent step: cpu == ref, in eps and box", test_ascent_step);
  gt_test_run("axpby, fills, masked copies", test_axpby_fill_masked);
  gt_test_run("gather / scatter rows", test_gather_scatter);
  gt_test_run("counter-based random fill", test_random_fill);
  gt_test_run("success flags, argmax, top-k classes", test_logit_ops);
  gt_test_run("running maxima and nonzero counts", test_row_stats);
  gt_test_run("tanh change of variables and Adam step", test_tanh_adam);
  gt_test_run("bad arguments are refused", test_bad_arguments);
  gt_test_run("square ops: cpu == ref, in eps and box, per-row draws", test_square_ops);
  gt_test_run("logit loss: cpu == ref, the row formula", test_logit_loss);
  gt_test_run("square ops: bad arguments are refused", test_square_bad_arguments);
  gt_test_run("hyperplane-and-box projection: cpu == ref", test_project_hyperplane);
  gt_test_run("backends expose their vector ops", test_backends_expose_tables);
  gt_test_run("momentum step == the old five ops, ref and cpu", test_momentum_old_sequence);
  gt_test_run("momentum step stays in the eps-ball and the box", test_momentum_ball_and_box);
  gt_test_run("momentum step: bad arguments are refused", test_momentum_bad_arguments);
  gt_backend_free(g_ref);
  for (int t = 0; t < 3; t++) gt_backend_free(g_cpu[t]);
  return gt_test_finish();
}

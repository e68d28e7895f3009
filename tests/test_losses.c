/* Per-sample losses (gauntlet/hd/loss.h and the ref backend's loss entry): hand-computed values,
 * gradients against finite differences, DLR's invariances, the sign of the C&W margins, targeted
 * variants, deterministic tie-breaking and the rejection of bad labels, targets and class counts.
 * ref memory is host memory, so the tests read the backend's buffers directly. */
#include "gt_test.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gauntlet/backend.h"
#include "support/test_rng.h"
#include "gauntlet/hd/loss.h"
#include "gauntlet/loss.h"

static gt_backend *g_be;

/* ---- a fixed-seed generator (xorshift64*), so every run checks the same logits ---- */

static uint64_t g_rng;

static void rng_seed(uint64_t seed) { g_rng = gt_test_xorshift_seed(seed); }
static float rng_uniform(float lo, float hi) { return gt_test_xorshift_uniform(&g_rng, lo, hi); }

/* Logits whose sorted values are at least `gap` apart (a random permutation of a ladder plus
 * jitter), so that a finite-difference step never reorders them. */
static void random_separated_logits(float *z, int k, float gap) {
  int order[64];
  for (int i = 0; i < k; i++) order[i] = i;
  for (int i = k - 1; i > 0; i--) {
    int j = (int)(rng_uniform(0.0f, 1.0f) * (float)(i + 1));
    if (j > i) j = i;
    int tmp = order[i];
    order[i] = order[j];
    order[j] = tmp;
  }
  for (int i = 0; i < k; i++) z[i] = gap * (float)order[i] - gap * (float)k / 2.0f + rng_uniform(0.0f, gap * 0.4f);
}

/* ---- the backend entry with backend buffers: logits [n, k] -> loss [n], dlogits [n, k] ---- */

typedef struct loss_run {
  gt_status status;
  gt_error err;
  float loss[16];
  float dz[16 * 16];
} loss_run;

static void *dev_alloc(size_t bytes) {
  void *p = NULL;
  gt_error err;
  if (g_be->iface->buffer_alloc(g_be, bytes, &p, &err) != GT_OK) {
    fprintf(stderr, "buffer_alloc failed: %s\n", err.message);
    exit(1);
  }
  return p;
}

/* labels/targets NULL pass NULL to the backend; with_grad asks for dlogits. */
static void run_loss(gt_loss_kind kind, const float *z, int n, int k, const int32_t *labels, const int32_t *targets,
                     int with_grad, loss_run *r) {
  float *z_dev = dev_alloc((size_t)n * k * sizeof(float));
  float *loss_dev = dev_alloc((size_t)n * sizeof(float));
  float *dz_dev = dev_alloc((size_t)n * k * sizeof(float));
  int32_t *y_dev = labels ? dev_alloc((size_t)n * sizeof(int32_t)) : NULL;
  int32_t *t_dev = targets ? dev_alloc((size_t)n * sizeof(int32_t)) : NULL;
  gt_error err;
  g_be->iface->copy_to_device(g_be, z_dev, z, (size_t)n * k * sizeof(float), &err);
  if (labels) g_be->iface->copy_to_device(g_be, y_dev, labels, (size_t)n * sizeof(int32_t), &err);
  if (targets) g_be->iface->copy_to_device(g_be, t_dev, targets, (size_t)n * sizeof(int32_t), &err);
  gt_tensor tz, tl, td;
  gt_tensor_init(&tz, z_dev, 2, (const int64_t[]){n, k});
  gt_tensor_init(&tl, loss_dev, 1, (const int64_t[]){n});
  gt_tensor_init(&td, dz_dev, 2, (const int64_t[]){n, k});
  gt_error_clear(&r->err);
  r->status = g_be->iface->loss(g_be, kind, &tz, y_dev, t_dev, &tl, with_grad ? &td : NULL, &r->err);
  g_be->iface->copy_to_host(g_be, r->loss, loss_dev, (size_t)n * sizeof(float), &err);
  g_be->iface->copy_to_host(g_be, r->dz, dz_dev, (size_t)n * k * sizeof(float), &err);
  g_be->iface->buffer_free(g_be, z_dev);
  g_be->iface->buffer_free(g_be, loss_dev);
  g_be->iface->buffer_free(g_be, dz_dev);
  g_be->iface->buffer_free(g_be, y_dev);
  g_be->iface->buffer_free(g_be, t_dev);
}

/* ---- cases ---- */

static void test_names_and_properties(void) {
  const int min_classes[GT_LOSS_COUNT] = {2, 2, 3, 4, 2, 2};
  const int targeted[GT_LOSS_COUNT] = {0, 1, 0, 1, 0, 1};
  for (int a = 0; a < GT_LOSS_COUNT; a++) {
    const char *name = gt_loss_name((gt_loss_kind)a);
    GT_CHECK(name && strcmp(name, "unknown") != 0, "kind %d has no name", a);
    for (int b = 0; b < a; b++)
      GT_CHECK(strcmp(name, gt_loss_name((gt_loss_kind)b)) != 0, "kinds %d and %d share the name %s", a, b, name);
    GT_CHECK(gt_loss_min_classes((gt_loss_kind)a) == min_classes[a], "%s: min classes %d", name,
             gt_loss_min_classes((gt_loss_kind)a));
    GT_CHECK(gt_loss_is_targeted((gt_loss_kind)a) == targeted[a], "%s: targeted %d", name,
             gt_loss_is_targeted((gt_loss_kind)a));
  }
  GT_CHECK(strcmp(gt_loss_name(GT_LOSS_COUNT), "unknown") == 0, "out-of-range kind named %s",
           gt_loss_name(GT_LOSS_COUNT));
  GT_CHECK(strcmp(gt_loss_name(GT_LOSS_DLR), "dlr") == 0, "DLR is named %s", gt_loss_name(GT_LOSS_DLR));
}

/* z = [1, 2, 3]: logsumexp = 3 + log(1 + e^-1 + e^-2) = 3.40760596, softmax = [.0900306, .2447285, .6652410]. */
static void test_ce_values(void) {
  const float z[3] = {1, 2, 3};
  const double lse = 3.0 + log(1.0 + exp(-1.0) + exp(-2.0));
  const double p[3] = {exp(1.0 - lse), exp(2.0 - lse), exp(3.0 - lse)};
  GT_CHECK_CLOSE(lse, 3.40760596, 1e-7, 0, "logsumexp by hand");
  for (int y = 0; y < 3; y++) {
    float dz[3];
    float l = gt_loss_ce(z, 3, y, dz);
    GT_CHECK_CLOSE(l, lse - z[y], 1e-6, 1e-6, "CE value");
    for (int i = 0; i < 3; i++) GT_CHECK_CLOSE(dz[i], p[i] - (i == y), 1e-6, 1e-6, "CE gradient");
    float lt = gt_loss_ce_targeted(z, 3, y, dz);
    GT_CHECK_CLOSE(lt, z[y] - lse, 1e-6, 1e-6, "targeted CE value");
    for (int i = 0; i < 3; i++) GT_CHECK_CLOSE(dz[i], (i == y) - p[i], 1e-6, 1e-6, "targeted CE gradient");
  }
  GT_CHECK_CLOSE(gt_loss_ce(z, 3, 0, NULL), 2.40760596, 1e-6, 0, "CE([1,2,3], y=0) by hand");
  GT_CHECK_CLOSE(gt_loss_ce(z, 3, 2, NULL), 0.40760596, 1e-6, 0, "CE([1,2,3], y=2) by hand");
  /* Stability: no overflow at large logits, and a tiny loss is not lost to cancellation. */
  const float big[3] = {1000.0f, 0.0f, -1000.0f};
  GT_CHECK_CLOSE(gt_loss_ce(big, 3, 1, NULL), 1000.0, 1e-3, 0, "CE at huge logits");
  float tiny = gt_loss_ce((const float[]){20.0f, 0.0f}, 2, 0, NULL);
  GT_CHECK_CLOSE(tiny, log1p(exp(-20.0)), 0, 1e-4, "CE of a confident correct sample");
  GT_CHECK(isfinite(gt_loss_ce_targeted(big, 3, 2, NULL)), "targeted CE at huge logits is not finite");
}

static void test_dlr_values(void) {
  const float z[3] = {3, 1, 2}; /* sorted: z0 = 3 > z2 = 2 > z1 = 1, denominator 3 - 1 = 2 */
  float dz[3];
  /* y = 0 is the top class: max_{i!=y} is the 2nd-sorted logit z2. L = (z2 - z0) / (z0 - z1). */
  GT_CHECK_CLOSE(gt_loss_dlr(z, 3, 0, dz), -0.5, 1e-7, 0, "DLR y=0");
  const float want0[3] = {-0.25f, -0.25f, 0.5f}; /* d/dz0 = (-(z0-z1) - (z2-z0))/4, d/dz1 = (z2-z0)/4, d/dz2 = 1/2 */
  for (int i = 0; i < 3; i++) GT_CHECK_CLOSE(dz[i], want0[i], 1e-7, 0, "DLR y=0 gradient");
  /* y = 1: L = (z0 - z1) / (z0 - z1) = 1 whatever the logits, so the gradient is exactly 0. */
  GT_CHECK_CLOSE(gt_loss_dlr(z, 3, 1, dz), 1.0, 1e-7, 0, "DLR y=1");
  for (int i = 0; i < 3; i++) GT_CHECK_CLOSE(dz[i], 0.0, 1e-7, 0, "DLR y=1 gradient");
  GT_CHECK_CLOSE(gt_loss_dlr(z, 3, 2, NULL), 0.5, 1e-7, 0, "DLR y=2");
  /* Targeted: z = [4,3,2,1,0], y = 0, t = 2: -(4 - 2) / (4 - (2 + 1)/2) = -2 / 2.5. */
  const float z5[5] = {4, 3, 2, 1, 0};
  GT_CHECK_CLOSE(gt_loss_dlr_targeted(z5, 5, 0, 2, NULL), -0.8, 1e-7, 0, "targeted DLR");
  GT_CHECK_CLOSE(gt_loss_dlr_targeted(z5, 5, 3, 1, NULL), (3.0 - 1.0) / 2.5, 1e-7, 0, "targeted DLR, y not top");
  float dz5[5];
  GT_CHECK_CLOSE(gt_loss_dlr_targeted(z5, 5, 2, 2, dz5), 0.0, 0, 0, "targeted DLR with t == y");
  for (int i = 0; i < 5; i++) GT_CHECK(dz5[i] == 0.0f, "targeted DLR with t == y: gradient %d is %g", i, dz5[i]);
  /* All logits equal: 0 / (0 + 1e-12) = 0, not NaN. */
  const float flat[4] = {1, 1, 1, 1};
  GT_CHECK(gt_loss_dlr(flat, 4, 2, NULL) == 0.0f, "DLR of equal logits is %g", gt_loss_dlr(flat, 4, 2, NULL));
}

static void test_cw_values(void) {
  const float z[3] = {3, 1, 2};
  float dz[3];
  GT_CHECK_CLOSE(gt_loss_cw(z, 3, 0, dz), -1.0, 0, 0, "CW y=0: 2 - 3");
  GT_CHECK(dz[0] == -1.0f && dz[1] == 0.0f && dz[2] == 1.0f, "CW y=0 gradient %g %g %g", dz[0], dz[1], dz[2]);
  GT_CHECK_CLOSE(gt_loss_cw(z, 3, 1, dz), 2.0, 0, 0, "CW y=1: 3 - 1");
  GT_CHECK(dz[0] == 1.0f && dz[1] == -1.0f && dz[2] == 0.0f, "CW y=1 gradient %g %g %g", dz[0], dz[1], dz[2]);
  GT_CHECK_CLOSE(gt_loss_cw_targeted(z, 3, 2, dz), -1.0, 0, 0, "targeted CW t=2: 2 - 3");
  GT_CHECK(dz[0] == -1.0f && dz[1] == 0.0f && dz[2] == 1.0f, "targeted CW gradient %g %g %g", dz[0], dz[1], dz[2]);
  GT_CHECK_CLOSE(gt_loss_cw_targeted(z, 3, 0, NULL), 1.0, 0, 0, "targeted CW t=0: 3 - 2");
}

/* Ties pick the lowest index: the gradient goes to exactly one of the tied logits. */
static void test_ties_deterministic(void) {
  int top[4];
  gt_loss_top4((const float[]){1, 5, 5, 0, 5}, 5, top);
  GT_CHECK(top[0] == 1 && top[1] == 2 && top[2] == 4 && top[3] == 0, "top4 %d %d %d %d", top[0], top[1], top[2],
           top[3]);
  gt_loss_top4((const float[]){2, 7}, 2, top);
  GT_CHECK(top[0] == 1 && top[1] == 0 && top[2] == -1 && top[3] == -1, "top4 of 2 logits %d %d %d %d", top[0],
           top[1], top[2], top[3]);
  float dz[4];
  const float z[3] = {5, 5, 1};
  GT_CHECK(gt_loss_cw(z, 3, 2, dz) == 4.0f, "CW with a tied top");
  GT_CHECK(dz[0] == 1.0f && dz[1] == 0.0f && dz[2] == -1.0f, "CW tie gradient %g %g %g", dz[0], dz[1], dz[2]);
  /* y = 0 ties with class 1: margin 0 and the 'other' class is 1. */
  GT_CHECK(gt_loss_cw(z, 3, 0, dz) == 0.0f, "CW with y tied at the top");
  GT_CHECK(dz[0] == -1.0f && dz[1] == 1.0f && dz[2] == 0.0f, "CW tie gradient %g %g %g", dz[0], dz[1], dz[2]);
  /* DLR, y = 3 below a tie of 0 and 1: numerator and denominator read z0 (pi1), never z1. */
  const float z4[4] = {2, 2, 1, 0};
  GT_CHECK_CLOSE(gt_loss_dlr(z4, 4, 3, dz), (2.0 - 0.0) / (2.0 - 1.0), 1e-6, 0, "DLR with a tied top");
  GT_CHECK(dz[1] == 0.0f && dz[0] != 0.0f, "DLR tie gradient went to %g (index 0) and %g (index 1)", dz[0], dz[1]);
}

/* Finite differences in double around float logits; logits are spread so no step reorders them. */
static void test_gradients_finite_differences(void) {
  rng_seed(11);
  const int k = 10;
  const double h = 1e-2;
  for (int kind = 0; kind < GT_LOSS_COUNT; kind++) {
    for (int trial = 0; trial < 8; trial++) {
      float z[10], dz[10], zp[10];
      random_separated_logits(z, k, 0.5f);
      int y = trial % k, t = (trial * 3 + 1) % k;
      gt_loss_row((gt_loss_kind)kind, z, k, y, t, dz);
      for (int i = 0; i < k; i++) {
        /* The step actually taken in float, not the nominal one. */
        float up = z[i] + (float)h, down = z[i] - (float)h;
        memcpy(zp, z, sizeof zp);
        zp[i] = up;
        double lp = gt_loss_row((gt_loss_kind)kind, zp, k, y, t, NULL);
        zp[i] = down;
        double lm = gt_loss_row((gt_loss_kind)kind, zp, k, y, t, NULL);
        double numeric = (lp - lm) / ((double)up - (double)down);
        char what[96];
        snprintf(what, sizeof what, "%s trial %d logit %d", gt_loss_name((gt_loss_kind)kind), trial, i);
        GT_CHECK_CLOSE(dz[i], numeric, 1e-3, 1e-2, what);
      }
    }
  }
}

/* The backend entry gives the same numbers as the row formulas, for a batch, with dlogits. */
static void test_backend_entry_matches_rows(void) {
  rng_seed(5);
  enum { N = 6, K = 7 };
  float z[N * K];
  int32_t y[N], t[N];
  for (int i = 0; i < N; i++) {
    random_separated_logits(z + i * K, K, 0.3f);
    y[i] = (i * 2) % K;
    t[i] = (i * 2 + 3) % K;
  }
  for (int kind = 0; kind < GT_LOSS_COUNT; kind++) {
    loss_run r, r_nograd;
    const int32_t *tg = gt_loss_is_targeted((gt_loss_kind)kind) ? t : NULL;
    run_loss((gt_loss_kind)kind, z, N, K, y, tg, 1, &r);
    if (!GT_CHECK(r.status == GT_OK, "%s: %s", gt_loss_name((gt_loss_kind)kind), r.err.message)) continue;
    run_loss((gt_loss_kind)kind, z, N, K, y, tg, 0, &r_nograd);
    GT_CHECK(r_nograd.status == GT_OK, "%s without dlogits: %s", gt_loss_name((gt_loss_kind)kind), r_nograd.err.message);
    for (int i = 0; i < N; i++) {
      float dz[K];
      float want = gt_loss_row((gt_loss_kind)kind, z + i * K, K, y[i], t[i], dz);
      GT_CHECK(r.loss[i] == want, "%s sample %d: %g vs %g", gt_loss_name((gt_loss_kind)kind), i, r.loss[i], want);
      GT_CHECK(r_nograd.loss[i] == want, "%s sample %d without dlogits", gt_loss_name((gt_loss_kind)kind), i);
      for (int j = 0; j < K; j++)
        GT_CHECK(r.dz[i * K + j] == dz[j], "%s sample %d dlogit %d", gt_loss_name((gt_loss_kind)kind), i, j);
    }
    /* Without dlogits the gradient buffer stays as allocated (NaN-filled by ref). */
    GT_CHECK(isnan(r_nograd.dz[0]), "dlogits written although not requested");
  }
}

/* DLR(a z + b) = DLR(z) for a > 0: the loss is scale- and shift-free, unlike CE and CW. */
static void test_dlr_invariance(void) {
  rng_seed(7);
  const float scales[3] = {0.25f, 1.0f, 8.0f}, shifts[3] = {-5.0f, 0.0f, 3.0f};
  for (int trial = 0; trial < 20; trial++) {
    float z[10], zs[10];
    random_separated_logits(z, 10, 0.7f);
    int y = trial % 10, t = (trial + 4) % 10;
    float d0 = gt_loss_dlr(z, 10, y, NULL), dt0 = gt_loss_dlr_targeted(z, 10, y, t, NULL);
    for (int a = 0; a < 3; a++)
      for (int b = 0; b < 3; b++) {
        for (int i = 0; i < 10; i++) zs[i] = scales[a] * z[i] + shifts[b];
        GT_CHECK_CLOSE(gt_loss_dlr(zs, 10, y, NULL), d0, 1e-5, 1e-4, "DLR under a z + b");
        GT_CHECK_CLOSE(gt_loss_dlr_targeted(zs, 10, y, t, NULL), dt0, 1e-5, 1e-4, "targeted DLR under a z + b");
      }
    /* Contrast: CE does change with the scale of the logits. */
    for (int i = 0; i < 10; i++) zs[i] = 8.0f * z[i];
    GT_CHECK(fabsf(gt_loss_ce(zs, 10, y, NULL) - gt_loss_ce(z, 10, y, NULL)) > 1e-3f, "CE did not change with scale");
  }
}

static int argmax(const float *z, int k) {
  int best = 0;
  for (int i = 1; i < k; i++)
    if (z[i] > z[best]) best = i;
  return best;
}

/* CW > 0 exactly when misclassified; targeted CW > 0 exactly when classified as the target;
 * the same holds for the DLR numerators (whose denominators are positive). */
static void test_margin_signs(void) {
  rng_seed(3);
  int positives = 0, negatives = 0;
  for (int trial = 0; trial < 200; trial++) {
    float z[6];
    for (int i = 0; i < 6; i++) z[i] = rng_uniform(-3.0f, 3.0f);
    int y = trial % 6, t = (trial / 6) % 6, pred = argmax(z, 6);
    float cw = gt_loss_cw(z, 6, y, NULL), cwt = gt_loss_cw_targeted(z, 6, t, NULL);
    GT_CHECK((cw > 0) == (pred != y), "CW %g, prediction %d, label %d", cw, pred, y);
    GT_CHECK((cwt > 0) == (pred == t), "targeted CW %g, prediction %d, target %d", cwt, pred, t);
    GT_CHECK((gt_loss_dlr(z, 6, y, NULL) > 0) == (pred != y), "DLR sign, prediction %d, label %d", pred, y);
    /* CE_targeted is the negated CE of the target class. */
    GT_CHECK_CLOSE(gt_loss_ce_targeted(z, 6, t, NULL), -gt_loss_ce(z, 6, t, NULL), 1e-5, 1e-5, "CE_T = -CE(t)");
    if (cw > 0) positives++;
    else negatives++;
  }
  GT_CHECK(positives > 20 && negatives > 20, "the random logits did not cover both signs (%d, %d)", positives,
           negatives);
}

static void test_bad_calls_rejected(void) {
  const float z[2 * 4] = {1, 2, 3, 4, 4, 3, 2, 1};
  loss_run r;
  const int32_t good[2] = {0, 3};
  const int32_t bad_labels[3][2] = {{0, 4}, {-1, 0}, {2, 100}};
  for (int i = 0; i < 3; i++) {
    run_loss(GT_LOSS_CE, z, 2, 4, bad_labels[i], NULL, 1, &r);
    GT_CHECK(r.status == GT_ERR_USAGE && strstr(r.err.message, "label"), "labels %d %d: %s: %s", bad_labels[i][0],
             bad_labels[i][1], gt_status_name(r.status), r.err.message);
    GT_CHECK(isnan(r.loss[0]) && isnan(r.loss[1]), "loss written before the labels were checked");
  }
  run_loss(GT_LOSS_CE_TARGETED, z, 2, 4, good, NULL, 1, &r);
  GT_CHECK(r.status == GT_ERR_USAGE && strstr(r.err.message, "target"), "no targets: %s", r.err.message);
  run_loss(GT_LOSS_CW_TARGETED, z, 2, 4, good, (const int32_t[]){1, 4}, 1, &r);
  GT_CHECK(r.status == GT_ERR_USAGE && strstr(r.err.message, "target 4"), "target out of range: %s", r.err.message);
  run_loss(GT_LOSS_DLR_TARGETED, z, 2, 4, good, (const int32_t[]){1, 2}, 1, &r);
  GT_CHECK(r.status == GT_OK, "targeted DLR with 4 classes: %s", r.err.message);
  /* Too few classes: DLR needs 3, targeted DLR 4. */
  run_loss(GT_LOSS_DLR, z, 4, 2, (const int32_t[]){0, 1, 0, 1}, NULL, 1, &r);
  GT_CHECK(r.status == GT_ERR_USAGE && strstr(r.err.message, "at least 3"), "DLR on 2 classes: %s", r.err.message);
  run_loss(GT_LOSS_DLR_TARGETED, z, 2, 3, (const int32_t[]){0, 1}, (const int32_t[]){1, 2}, 1, &r);
  GT_CHECK(r.status == GT_ERR_USAGE && strstr(r.err.message, "at least 4"), "targeted DLR on 3: %s", r.err.message);
  run_loss(GT_LOSS_CE, z, 4, 2, (const int32_t[]){0, 1, 0, 1}, NULL, 1, &r);
  GT_CHECK(r.status == GT_OK, "CE on 2 classes: %s", r.err.message);
  run_loss(GT_LOSS_COUNT, z, 2, 4, good, NULL, 1, &r);
  GT_CHECK(r.status == GT_ERR_USAGE, "unknown kind accepted");
  run_loss(GT_LOSS_CE, z, 2, 4, NULL, NULL, 1, &r);
  GT_CHECK(r.status == GT_ERR_USAGE, "missing labels accepted");
  /* Labels nobody wrote: ref fills fresh memory with 0xFF bytes, i.e. label -1, rejected. */
  int32_t *unwritten = dev_alloc(2 * sizeof(int32_t));
  float *z_dev = dev_alloc(sizeof z), *l_dev = dev_alloc(2 * sizeof(float));
  gt_error err;
  memcpy(z_dev, z, sizeof z);
  gt_tensor tz, tl;
  gt_tensor_init(&tz, z_dev, 2, (const int64_t[]){2, 4});
  gt_tensor_init(&tl, l_dev, 1, (const int64_t[]){2});
  GT_CHECK(g_be->iface->loss(g_be, GT_LOSS_CE, &tz, unwritten, NULL, &tl, NULL, &err) == GT_ERR_USAGE,
           "unwritten labels accepted");
  /* A loss tensor of the wrong size is a shape error. */
  gt_tensor_init(&tl, l_dev, 1, (const int64_t[]){1});
  memset(unwritten, 0, 2 * sizeof(int32_t));
  GT_CHECK(g_be->iface->loss(g_be, GT_LOSS_CE, &tz, unwritten, NULL, &tl, NULL, &err) == GT_ERR_SHAPE,
           "loss [1] for 2 samples accepted");
  g_be->iface->buffer_free(g_be, unwritten);
  g_be->iface->buffer_free(g_be, z_dev);
  g_be->iface->buffer_free(g_be, l_dev);
}

int main(void) {
  gt_error err;
  if (gt_backend_ref_create(&g_be, &err) != GT_OK) {
    fprintf(stderr, "cannot create the ref backend: %s\n", err.message);
    return 1;
  }
  gt_test_run("names_and_properties", test_names_and_properties);
  gt_test_run("ce_values", test_ce_values);
  gt_test_run("dlr_values", test_dlr_values);
  gt_test_run("cw_values", test_cw_values);
  gt_test_run("ties_deterministic", test_ties_deterministic);
  gt_test_run("gradients_finite_differences", test_gradients_finite_differences);
  gt_test_run("backend_entry_matches_rows", test_backend_entry_matches_rows);
  gt_test_run("dlr_invariance", test_dlr_invariance);
  gt_test_run("margin_signs", test_margin_signs);
  gt_test_run("bad_calls_rejected", test_bad_calls_rejected);
  gt_backend_free(g_be);
  return gt_test_finish();
}

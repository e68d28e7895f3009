/* The oracle (gauntlet/oracle.h): logits and loss gradients of a model for attacks, with EOT
 * averaging and pass counting. Buffers for EOT are reserved once, for the model's max batch. */
#include "gauntlet/oracle.h"

#include <stdlib.h>

#define GT_ORACLE_MAX_EOT 10000

struct gt_oracle {
  gt_model *model;
  gt_backend *be;
  const gt_vec_iface *vec;
  int64_t max_batch, d;
  int k, eot;
  /* EOT > 1 only: one pass's loss [max_batch] and gradient [max_batch, d], and the per-sample
   * coefficients 1, 0 and 1/eot [max_batch] that axpby takes. */
  float *pass_loss, *pass_grad, *ones, *zeros, *inv_eot;
  /* gt_oracle_logit_diff_grads only, reserved on its first call: dlogits [max_batch, k] on the
   * device and the host, one pass's logits [max_batch, k] and the differences [k, max_batch] on the
   * host, labels [max_batch] and classes [k, max_batch] on the host. */
  float *diff_dl_dev, *diff_dl_host, *diff_z_host, *diff_acc_host;
  int32_t *diff_labels_host, *diff_classes_host;
  gt_oracle_counts counts;
};

static void free_dev(gt_oracle *o, void *p) {
  if (p) o->be->iface->buffer_free(o->be, p);
}

void gt_oracle_free(gt_oracle *o) {
  if (!o) return;
  free_dev(o, o->pass_loss);
  free_dev(o, o->pass_grad);
  free_dev(o, o->ones);
  free_dev(o, o->zeros);
  free_dev(o, o->inv_eot);
  free_dev(o, o->diff_dl_dev);
  free(o->diff_dl_host);
  free(o->diff_z_host);
  free(o->diff_acc_host);
  free(o->diff_labels_host);
  free(o->diff_classes_host);
  free(o);
}

static gt_status alloc_f32(gt_oracle *o, int64_t count, float **out, gt_error *err) {
  void *p = NULL;
  gt_status st = o->be->iface->buffer_alloc(o->be, (size_t)count * sizeof(float), &p, err);
  *out = p;
  return st;
}

static gt_status reserve_eot(gt_oracle *o, gt_error *err) {
  int64_t rows = o->max_batch;
  int64_t shape[2] = {rows, o->d}, numel = 0;
  gt_status st = gt_shape_numel_checked(2, shape, &numel, "oracle EOT gradient", err);
  if (st == GT_OK) st = alloc_f32(o, rows, &o->pass_loss, err);
  if (st == GT_OK) st = alloc_f32(o, numel, &o->pass_grad, err);
  if (st == GT_OK) st = alloc_f32(o, rows, &o->ones, err);
  if (st == GT_OK) st = alloc_f32(o, rows, &o->zeros, err);
  if (st == GT_OK) st = alloc_f32(o, rows, &o->inv_eot, err);
  if (st == GT_OK) st = o->vec->fill(o->be, o->ones, rows, 1.0f, err);
  if (st == GT_OK) st = o->vec->fill(o->be, o->zeros, rows, 0.0f, err);
  if (st == GT_OK) st = o->vec->fill(o->be, o->inv_eot, rows, 1.0f / (float)o->eot, err);
  return st;
}

gt_status gt_oracle_create(gt_model *model, int eot, gt_oracle **out, gt_error *err) {
  if (!out) return gt_error_set(err, GT_ERR_USAGE, "gt_oracle_create: no output pointer");
  *out = NULL;
  if (!model) return gt_error_set(err, GT_ERR_USAGE, "gt_oracle_create: no model");
  if (eot < 0 || eot > GT_ORACLE_MAX_EOT)
    return gt_error_set(err, GT_ERR_USAGE, "EOT of %d passes is outside 0..%d", eot, GT_ORACLE_MAX_EOT);
  gt_backend *be = gt_model_backend(model);
  const gt_vec_iface *vec = gt_backend_vec(be, err);
  if (!vec) return err ? err->code : GT_ERR_UNSUPPORTED;
  gt_oracle *o = calloc(1, sizeof *o);
  if (!o) return gt_error_set(err, GT_ERR_MEMORY, "out of memory creating the oracle");
  o->model = model;
  o->be = be;
  o->vec = vec;
  o->max_batch = gt_model_max_batch(model);
  o->d = gt_model_input_numel(model);
  o->k = gt_model_num_classes(model);
  o->eot = eot > 1 ? eot : 1;
  if (o->eot > 1) {
    gt_status st = reserve_eot(o, err);
    if (st != GT_OK) {
      gt_oracle_free(o);
      return gt_error_prefix(err, "oracle with EOT %d: ", eot);
    }
  }
  *out = o;
  return GT_OK;
}

gt_backend *gt_oracle_backend(const gt_oracle *o) { return o->be; }
const gt_vec_iface *gt_oracle_vec(const gt_oracle *o) { return o->vec; }
int64_t gt_oracle_max_batch(const gt_oracle *o) { return o->max_batch; }
int64_t gt_oracle_input_numel(const gt_oracle *o) { return o->d; }
const int64_t *gt_oracle_input_shape(const gt_oracle *o, int *rank) {
  if (rank) *rank = gt_model_input_rank(o->model);
  return gt_model_input_shape(o->model);
}
int gt_oracle_num_classes(const gt_oracle *o) { return o->k; }
int gt_oracle_eot(const gt_oracle *o) { return o->eot; }
gt_oracle_counts gt_oracle_get_counts(const gt_oracle *o) { return o->counts; }

static gt_status check_batch(const gt_oracle *o, const char *what, const float *x, int64_t n, gt_error *err) {
  if (n < 1 || n > o->max_batch)
    return gt_error_set(err, GT_ERR_USAGE, "oracle %s: batch of %lld is outside 1..%lld", what, (long long)n,
                        (long long)o->max_batch);
  if (!x) return gt_error_set(err, GT_ERR_USAGE, "oracle %s: no input", what);
  return GT_OK;
}

static gt_status copy_logits(gt_oracle *o, int64_t n, float *logits, gt_error *err) {
  return o->be->iface->copy_device(o->be, logits, gt_model_logits(o->model), (size_t)(n * o->k) * sizeof(float), err);
}

gt_status gt_oracle_logits(gt_oracle *o, const float *x, int64_t n, float *logits, gt_error *err) {
  gt_status st = check_batch(o, "logits", x, n, err);
  if (st != GT_OK) return st;
  if (!logits) return gt_error_set(err, GT_ERR_USAGE, "oracle logits: no output buffer");
  st = gt_model_forward(o->model, x, n, err);
  if (st != GT_OK) return st;
  o->counts.forward += n;
  return copy_logits(o, n, logits, err);
}

gt_status gt_oracle_loss_grad(gt_oracle *o, const float *x, int64_t n, gt_loss_kind kind, const int32_t *labels,
                              const int32_t *targets, float *loss, float *grad, float *logits, gt_error *err) {
  gt_status st = check_batch(o, "loss_grad", x, n, err);
  if (st != GT_OK) return st;
  if ((int)kind < 0 || kind >= GT_LOSS_COUNT)
    return gt_error_set(err, GT_ERR_USAGE, "oracle loss_grad: unknown loss kind %d", (int)kind);
  if (o->k < gt_loss_min_classes(kind))
    return gt_error_set(err, GT_ERR_USAGE, "oracle loss_grad: the %s loss needs at least %d classes, the model has %d",
                        gt_loss_name(kind), gt_loss_min_classes(kind), o->k);
  if (!labels) return gt_error_set(err, GT_ERR_USAGE, "oracle loss_grad: no labels");
  if (gt_loss_is_targeted(kind) && !targets)
    return gt_error_set(err, GT_ERR_USAGE, "oracle loss_grad: the %s loss needs targets", gt_loss_name(kind));
  for (int pass = 0; pass < o->eot; pass++) {
    /* Pass 0 writes the caller's buffers; later passes write scratch and are summed in. */
    float *pass_loss = pass == 0 ? loss : (loss ? o->pass_loss : NULL);
    float *pass_grad = pass == 0 ? grad : (grad ? o->pass_grad : NULL);
    st = gt_model_loss_grad(o->model, x, n, kind, labels, targets, pass_loss, pass_grad, err);
    if (st != GT_OK) return st;
    o->counts.forward += n;
    if (grad) o->counts.backward += n;
    if (pass == 0 && logits) st = copy_logits(o, n, logits, err);
    if (st == GT_OK && pass > 0 && loss) st = o->vec->axpby(o->be, o->ones, loss, o->ones, pass_loss, n, 1, loss, err);
    if (st == GT_OK && pass > 0 && grad)
      st = o->vec->axpby(o->be, o->ones, grad, o->ones, pass_grad, n, o->d, grad, err);
    if (st != GT_OK) return st;
  }
  if (o->eot > 1 && loss) st = o->vec->axpby(o->be, o->inv_eot, loss, o->zeros, loss, n, 1, loss, err);
  if (st == GT_OK && o->eot > 1 && grad)
    st = o->vec->axpby(o->be, o->inv_eot, grad, o->zeros, grad, n, o->d, grad, err);
  return st;
}

gt_status gt_oracle_logits_grad(gt_oracle *o, const float *x, int64_t n, const float *dlogits, float *grad,
                                float *logits, gt_error *err) {
  gt_status st = check_batch(o, "logits_grad", x, n, err);
  if (st != GT_OK) return st;
  if (!dlogits || !grad) return gt_error_set(err, GT_ERR_USAGE, "oracle logits_grad: no dlogits or no gradient buffer");
  for (int pass = 0; pass < o->eot; pass++) {
    /* Pass 0 writes the caller's gradient; later passes write scratch and are summed in. */
    float *pass_grad = pass == 0 ? grad : o->pass_grad;
    st = gt_model_forward(o->model, x, n, err);
    if (st != GT_OK) return st;
    o->counts.forward += n;
    if (pass == 0 && logits) st = copy_logits(o, n, logits, err);
    if (st == GT_OK) st = gt_model_backward(o->model, dlogits, pass_grad, err);
    if (st != GT_OK) return st;
    o->counts.backward += n;
    if (pass > 0) st = o->vec->axpby(o->be, o->ones, grad, o->ones, pass_grad, n, o->d, grad, err);
    if (st != GT_OK) return st;
  }
  if (o->eot > 1) st = o->vec->axpby(o->be, o->inv_eot, grad, o->zeros, grad, n, o->d, grad, err);
  return st;
}

static gt_status reserve_diff(gt_oracle *o, gt_error *err) {
  if (o->diff_dl_dev) return GT_OK;
  size_t rows = (size_t)o->max_batch, nk = rows * (size_t)o->k;
  gt_status st = alloc_f32(o, (int64_t)nk, &o->diff_dl_dev, err);
  if (st != GT_OK) return st;
  o->diff_dl_host = malloc(nk * sizeof(float));
  o->diff_z_host = malloc(nk * sizeof(float));
  o->diff_acc_host = malloc(nk * sizeof(float));
  o->diff_labels_host = malloc(rows * sizeof(int32_t));
  o->diff_classes_host = malloc(nk * sizeof(int32_t));
  if (!o->diff_dl_host || !o->diff_z_host || !o->diff_acc_host || !o->diff_labels_host || !o->diff_classes_host) {
    free_dev(o, o->diff_dl_dev);
    free(o->diff_dl_host);
    free(o->diff_z_host);
    free(o->diff_acc_host);
    free(o->diff_labels_host);
    free(o->diff_classes_host);
    o->diff_dl_dev = o->diff_dl_host = o->diff_z_host = o->diff_acc_host = NULL;
    o->diff_labels_host = o->diff_classes_host = NULL;
    return gt_error_set(err, GT_ERR_MEMORY, "oracle logit differences: out of memory for %lld x %d scratch",
                        (long long)o->max_batch, o->k);
  }
  return GT_OK;
}

/* Reads labels and classes to the host and checks them. */
static gt_status load_diff_classes(gt_oracle *o, int64_t n, const int32_t *labels, const int32_t *classes, int m,
                                   gt_error *err) {
  const gt_backend_iface *b = o->be->iface;
  gt_status st = b->copy_to_host(o->be, o->diff_labels_host, labels, (size_t)n * sizeof(int32_t), err);
  if (st == GT_OK)
    st = b->copy_to_host(o->be, o->diff_classes_host, classes, (size_t)m * (size_t)n * sizeof(int32_t), err);
  if (st != GT_OK) return st;
  for (int64_t i = 0; i < n; i++)
    if (o->diff_labels_host[i] < 0 || o->diff_labels_host[i] >= o->k)
      return gt_error_set(err, GT_ERR_USAGE, "oracle logit differences: label %d of row %lld is outside 0..%d",
                          (int)o->diff_labels_host[i], (long long)i, o->k - 1);
  for (int64_t i = 0; i < (int64_t)m * n; i++)
    if (o->diff_classes_host[i] < 0 || o->diff_classes_host[i] >= o->k)
      return gt_error_set(err, GT_ERR_USAGE, "oracle logit differences: class %d at [%lld, %lld] is outside 0..%d",
                          (int)o->diff_classes_host[i], (long long)(i / n), (long long)(i % n), o->k - 1);
  return GT_OK;
}

/* dlogits of difference j: +1 at the class, -1 at the label (all zero where they are equal); the
 * differences of this pass are added to the running sums. */
static void build_dlogits(gt_oracle *o, int64_t n, int j, int first_pass) {
  int k = o->k;
  for (int64_t i = 0; i < n; i++) {
    float *row = o->diff_dl_host + i * k;
    const float *z = o->diff_z_host + i * k;
    int32_t c = o->diff_classes_host[(int64_t)j * n + i], y = o->diff_labels_host[i];
    for (int t = 0; t < k; t++) row[t] = 0.0f;
    if (c != y) {
      row[c] = 1.0f;
      row[y] = -1.0f;
    }
    float v = c != y ? z[c] - z[y] : 0.0f;
    float *acc = o->diff_acc_host + (int64_t)j * n + i;
    *acc = first_pass ? v : *acc + v;
  }
}

gt_status gt_oracle_logit_diff_grads(gt_oracle *o, const float *x, int64_t n, const int32_t *labels,
                                     const int32_t *classes, int m, float *diff, float *grads, float *logits,
                                     gt_error *err) {
  gt_status st = check_batch(o, "logit differences", x, n, err);
  if (st != GT_OK) return st;
  if (!labels || !classes || !grads)
    return gt_error_set(err, GT_ERR_USAGE, "oracle logit differences: labels, classes and grads are needed");
  if (m < 1 || m > o->k)
    return gt_error_set(err, GT_ERR_USAGE, "oracle logit differences: %d differences asked, need 1..%d", m, o->k);
  st = reserve_diff(o, err);
  if (st == GT_OK) st = load_diff_classes(o, n, labels, classes, m, err);
  if (st != GT_OK) return st;
  const gt_backend_iface *b = o->be->iface;
  size_t nk_bytes = (size_t)(n * o->k) * sizeof(float);
  for (int pass = 0; pass < o->eot; pass++) {
    st = gt_model_forward(o->model, x, n, err);
    if (st != GT_OK) return st;
    o->counts.forward += n;
    st = b->copy_to_host(o->be, o->diff_z_host, gt_model_logits(o->model), nk_bytes, err);
    if (st == GT_OK && pass == 0 && logits) st = copy_logits(o, n, logits, err);
    for (int j = 0; st == GT_OK && j < m; j++) {
      float *block = grads + (size_t)j * (size_t)n * (size_t)o->d;
      build_dlogits(o, n, j, pass == 0);
      st = b->copy_to_device(o->be, o->diff_dl_dev, o->diff_dl_host, nk_bytes, err);
      if (st == GT_OK) st = gt_model_backward(o->model, o->diff_dl_dev, pass == 0 ? block : o->pass_grad, err);
      if (st != GT_OK) break;
      o->counts.backward += n;
      if (pass > 0) st = o->vec->axpby(o->be, o->ones, block, o->ones, o->pass_grad, n, o->d, block, err);
    }
    if (st != GT_OK) return st;
  }
  for (int j = 0; o->eot > 1 && st == GT_OK && j < m; j++) {
    float *block = grads + (size_t)j * (size_t)n * (size_t)o->d;
    st = o->vec->axpby(o->be, o->inv_eot, block, o->zeros, block, n, o->d, block, err);
  }
  if (st != GT_OK || !diff) return st;
  if (o->eot > 1)
    for (int64_t i = 0; i < (int64_t)m * n; i++) o->diff_acc_host[i] /= (float)o->eot;
  return b->copy_to_device(o->be, diff, o->diff_acc_host, (size_t)m * (size_t)n * sizeof(float), err);
}

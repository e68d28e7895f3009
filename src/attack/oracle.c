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

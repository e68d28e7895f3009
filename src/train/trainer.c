/* The training loop (gauntlet/train.h): per batch, an optional inner attack on the inference
 * form, a training forward pass (batch norm on batch statistics), the loss and its logit gradient
 * on the host (logits [n, K] are small), a training backward pass that accumulates weight
 * gradients on the device, and one SGD step per trained tensor. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gauntlet/hd/logits.h"
#include "gauntlet/hd/loss.h"
#include "gauntlet/hd/rng.h"
#include "train/train_internal.h"

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static gt_status dev_alloc(gt_trainer *t, int64_t count, size_t elem, void **out, gt_error *err) {
  return t->be->iface->buffer_alloc(t->be, (size_t)(count > 0 ? count : 1) * elem, out, err);
}

static void dev_free(gt_trainer *t, void *p) {
  if (p) t->be->iface->buffer_free(t->be, p);
}

/* A [count] device array filled with `value`, or copied from host when src is given. */
static gt_status dev_init(gt_trainer *t, int64_t count, float value, float **out, gt_error *err) {
  gt_status st = dev_alloc(t, count, sizeof(float), (void **)out, err);
  if (st != GT_OK) return st;
  return t->vec->fill(t->be, *out, count, value, err);
}

void gt_trainer_free(gt_trainer *t) {
  if (!t) return;
  gt_oracle_free(t->oracle);
  gt_model_free(t->model);
  for (int i = 0; i < t->n_params; i++) {
    dev_free(t, t->params[i].grad_dev);
    dev_free(t, t->params[i].velocity_dev);
  }
  for (int i = 0; i < t->n_bns; i++) {
    gt_bn_train *s = &t->bns[i].state;
    float *arrays[] = {(float *)s->gamma, (float *)s->beta, s->mean, s->invstd, s->running_mean, s->running_var,
                       s->dgamma, s->dbeta, t->bns[i].gamma_velocity_dev, t->bns[i].beta_velocity_dev};
    for (size_t j = 0; j < sizeof arrays / sizeof arrays[0]; j++) dev_free(t, arrays[j]);
  }
  void *bufs[] = {t->x_dev, t->xadv_dev, t->ones_dev, t->coef_dev, t->dx_dev, t->grad_dev, t->dlogits_dev, t->alpha_dev, t->eps_dev,
                  t->labels_dev, t->ids_dev, t->binding.scratch};
  for (size_t j = 0; j < sizeof bufs / sizeof bufs[0]; j++) dev_free(t, bufs[j]);
  free(t->params);
  free(t->bns);
  free(t->value_grad);
  free(t->node_bn);
  free(t->x_host);
  free(t->logits_host);
  free(t->logits2_host);
  free(t->dlogits_host);
  free(t->dlogits2_host);
  free(t->labels_host);
  free(t->ids_host);
  free(t->order);
  gt_graph_free(t->graph);
  free(t);
}

static gt_status setup_params(gt_trainer *t, const gt_arch_graph *a, gt_error *err) {
  const gt_graph *g = t->graph;
  t->value_grad = calloc((size_t)g->n_values, sizeof *t->value_grad);
  t->node_bn = calloc((size_t)(g->n_nodes > 0 ? g->n_nodes : 1), sizeof *t->node_bn);
  t->params = calloc((size_t)(a->n_trained > 0 ? a->n_trained : 1), sizeof *t->params);
  t->bns = calloc((size_t)(a->n_bns > 0 ? a->n_bns : 1), sizeof *t->bns);
  if (!t->value_grad || !t->node_bn || !t->params || !t->bns)
    return gt_error_set(err, GT_ERR_MEMORY, "out of memory setting up the trainer");
  gt_status st = GT_OK;
  for (int i = 0; st == GT_OK && i < a->n_trained; i++) {
    gt_train_param *p = &t->params[t->n_params++];
    p->value = a->trained_values[i];
    p->numel = gt_value_sample_numel(&g->values[p->value]);
    st = dev_init(t, p->numel, 0.0f, &p->grad_dev, err);
    if (st == GT_OK) st = dev_init(t, p->numel, 0.0f, &p->velocity_dev, err);
    t->value_grad[p->value] = p->grad_dev;
  }
  for (int i = 0; st == GT_OK && i < a->n_bns; i++) {
    gt_train_bn *bn = &t->bns[t->n_bns++];
    *bn = a->bns[i];
    gt_bn_train *s = &bn->state;
    int64_t c = s->channels;
    float *gamma = NULL, *beta = NULL;
    st = dev_init(t, c, 1.0f, &gamma, err);
    s->gamma = gamma;
    if (st == GT_OK) st = dev_init(t, c, 0.0f, &beta, err);
    s->beta = beta;
    if (st == GT_OK) st = dev_init(t, c, 0.0f, &s->mean, err);
    if (st == GT_OK) st = dev_init(t, c, 1.0f, &s->invstd, err);
    if (st == GT_OK) st = dev_init(t, c, 0.0f, &s->running_mean, err);
    if (st == GT_OK) st = dev_init(t, c, 1.0f, &s->running_var, err);
    if (st == GT_OK) st = dev_init(t, c, 0.0f, &s->dgamma, err);
    if (st == GT_OK) st = dev_init(t, c, 0.0f, &s->dbeta, err);
    if (st == GT_OK) st = dev_init(t, c, 0.0f, &bn->gamma_velocity_dev, err);
    if (st == GT_OK) st = dev_init(t, c, 0.0f, &bn->beta_velocity_dev, err);
    t->node_bn[bn->node] = s;
  }
  t->binding.value_grad = t->value_grad;
  t->binding.bn = t->node_bn;
  return st;
}

static gt_status setup_buffers(gt_trainer *t, gt_error *err) {
  int64_t b = t->batch, d = t->d, k = t->k;
  gt_status st = dev_alloc(t, b * d, sizeof(float), (void **)&t->x_dev, err);
  if (st == GT_OK) st = dev_alloc(t, b * d, sizeof(float), (void **)&t->xadv_dev, err);
  if (st == GT_OK) st = dev_alloc(t, b * d, sizeof(float), (void **)&t->dx_dev, err);
  if (st == GT_OK) st = dev_alloc(t, b * d, sizeof(float), (void **)&t->grad_dev, err);
  if (st == GT_OK) st = dev_alloc(t, b * k, sizeof(float), (void **)&t->dlogits_dev, err);
  if (st == GT_OK) st = dev_alloc(t, b, sizeof(int32_t), (void **)&t->labels_dev, err);
  if (st == GT_OK) st = dev_alloc(t, b, sizeof(int64_t), (void **)&t->ids_dev, err);
  if (st == GT_OK) st = dev_init(t, b, t->cfg.adv_step_size, &t->alpha_dev, err);
  if (st == GT_OK) st = dev_init(t, b, t->cfg.eps, &t->eps_dev, err);
  if (st == GT_OK) st = dev_init(t, b, 1.0f, &t->ones_dev, err);
  if (st == GT_OK) st = dev_init(t, b, 0.0f, &t->coef_dev, err);
  if (st == GT_OK) {
    t->binding.scratch_bytes = gt_model_weight_scratch_bytes(t->model);
    if (t->binding.scratch_bytes > 0)
      st = t->be->iface->buffer_alloc(t->be, t->binding.scratch_bytes, &t->binding.scratch, err);
  }
  if (st != GT_OK) return st;
  t->x_host = malloc((size_t)(b * d) * sizeof(float));
  t->logits_host = malloc((size_t)(b * k) * sizeof(float));
  t->logits2_host = malloc((size_t)(b * k) * sizeof(float));
  t->dlogits_host = malloc((size_t)(b * k) * sizeof(float));
  t->dlogits2_host = malloc((size_t)(b * k) * sizeof(float));
  t->labels_host = malloc((size_t)b * sizeof(int32_t));
  t->ids_host = malloc((size_t)b * sizeof(int64_t));
  if (!t->x_host || !t->logits_host || !t->logits2_host || !t->dlogits_host || !t->dlogits2_host || !t->labels_host ||
      !t->ids_host)
    return gt_error_set(err, GT_ERR_MEMORY, "out of memory for the trainer's host buffers");
  return GT_OK;
}

gt_status gt_trainer_create(const gt_train_config *cfg, gt_backend *be, int c, int h, int w, int n_classes,
                            gt_trainer **out, gt_error *err) {
  *out = NULL;
  gt_status st = gt_train_config_check(cfg, err);
  if (st != GT_OK) return st;
  gt_trainer *t = calloc(1, sizeof *t);
  if (!t) return gt_error_set(err, GT_ERR_MEMORY, "out of memory creating the trainer");
  t->cfg = *cfg;
  if (t->cfg.adv_step_size == 0.0f) t->cfg.adv_step_size = 2.5f * t->cfg.eps / (float)t->cfg.adv_steps;
  if (t->cfg.schedule == GT_LR_STEP && t->cfg.step_epochs == 0)
    t->cfg.step_epochs = t->cfg.epochs / 3 > 0 ? t->cfg.epochs / 3 : 1;
  t->be = be;
  t->batch = cfg->batch;
  t->train = gt_backend_train(be, err);
  t->vec = t->train ? gt_backend_vec(be, err) : NULL;
  if (!t->train || !t->vec) {
    gt_trainer_free(t);
    return err->code;
  }
  gt_arch_graph a;
  st = gt_arch_build(cfg->arch, c, h, w, n_classes, cfg->seed, &a, err);
  if (st != GT_OK) {
    gt_trainer_free(t);
    return st;
  }
  t->graph = a.graph;
  t->d = (int64_t)c * h * w;
  t->k = n_classes;
  st = gt_model_create(t->graph, be, t->batch, &t->model, err);
  if (st == GT_OK) st = setup_params(t, &a, err);
  gt_arch_graph_release(&a);
  if (st == GT_OK) st = setup_buffers(t, err);
  if (st == GT_OK && cfg->adv != GT_ADV_NONE) st = gt_oracle_create(t->model, 1, &t->oracle, err);
  if (st == GT_OK) st = gt_trainer_fold(t, err);
  if (st != GT_OK) {
    gt_trainer_free(t);
    return st;
  }
  *out = t;
  return GT_OK;
}

static gt_status to_host(gt_trainer *t, void *dst, const void *src, size_t bytes, gt_error *err) {
  return t->be->iface->copy_to_host(t->be, dst, src, bytes, err);
}

static gt_status to_device(gt_trainer *t, void *dst, const void *src, size_t bytes, gt_error *err) {
  return t->be->iface->copy_to_device(t->be, dst, src, bytes, err);
}

gt_status gt_trainer_read_bn(gt_trainer *t, const gt_train_bn *bn, int which, float **out, gt_error *err) {
  const float *src[4] = {bn->state.gamma, bn->state.beta, bn->state.running_mean, bn->state.running_var};
  int64_t c = bn->state.channels;
  *out = malloc((size_t)c * sizeof(float));
  if (!*out) return gt_error_set(err, GT_ERR_MEMORY, "out of memory reading batch-norm state");
  gt_status st = to_host(t, *out, src[which & 3], (size_t)c * sizeof(float), err);
  if (st != GT_OK) {
    free(*out);
    *out = NULL;
  }
  return st;
}

gt_status gt_trainer_read_value(gt_trainer *t, int value, float **out, gt_error *err) {
  int64_t numel = gt_value_sample_numel(&t->graph->values[value]);
  *out = malloc((size_t)numel * sizeof(float));
  if (!*out) return gt_error_set(err, GT_ERR_MEMORY, "out of memory reading a parameter");
  gt_status st = to_host(t, *out, gt_model_constant_data(t->model, value), (size_t)numel * sizeof(float), err);
  if (st != GT_OK) {
    free(*out);
    *out = NULL;
  }
  return st;
}

/* scale = gamma / sqrt(running_var + eps), shift = beta - running_mean * scale: the inference
 * form the executor, the attacks and the ONNX importer (after folding) all compute. */
gt_status gt_trainer_fold(gt_trainer *t, gt_error *err) {
  if (t->folded) return GT_OK;
  gt_status st = GT_OK;
  for (int i = 0; st == GT_OK && i < t->n_bns; i++) {
    gt_train_bn *bn = &t->bns[i];
    float *v[4] = {NULL, NULL, NULL, NULL};
    for (int j = 0; st == GT_OK && j < 4; j++) st = gt_trainer_read_bn(t, bn, j, &v[j], err);
    int64_t c = bn->state.channels;
    for (int64_t ch = 0; st == GT_OK && ch < c; ch++) {
      float scale = v[0][ch] / sqrtf(v[3][ch] + bn->state.eps);
      v[1][ch] = v[1][ch] - v[2][ch] * scale;
      v[0][ch] = scale;
    }
    if (st == GT_OK)
      st = to_device(t, gt_model_constant_data(t->model, bn->scale_value), v[0], (size_t)c * sizeof(float), err);
    if (st == GT_OK)
      st = to_device(t, gt_model_constant_data(t->model, bn->shift_value), v[1], (size_t)c * sizeof(float), err);
    for (int j = 0; j < 4; j++) free(v[j]);
  }
  if (st == GT_OK) t->folded = 1;
  return st;
}

static double lr_at(const gt_trainer *t, int epoch) {
  const gt_train_config *c = &t->cfg;
  if (c->schedule == GT_LR_STEP) return c->lr * pow(c->step_gamma, (double)(epoch / c->step_epochs));
  double frac = t->total_steps > 0 ? (double)t->step / (double)t->total_steps : 0.0;
  return c->lr * 0.5 * (1.0 + cos(3.14159265358979323846 * frac));
}

static gt_status zero_grads(gt_trainer *t, gt_error *err) {
  gt_status st = GT_OK;
  for (int i = 0; st == GT_OK && i < t->n_params; i++)
    st = t->be->iface->fill_zero(t->be, t->params[i].grad_dev, (size_t)t->params[i].numel * sizeof(float), err);
  for (int i = 0; st == GT_OK && i < t->n_bns; i++) {
    size_t bytes = (size_t)t->bns[i].state.channels * sizeof(float);
    st = t->be->iface->fill_zero(t->be, t->bns[i].state.dgamma, bytes, err);
    if (st == GT_OK) st = t->be->iface->fill_zero(t->be, t->bns[i].state.dbeta, bytes, err);
  }
  return st;
}

static gt_status sgd_all(gt_trainer *t, float lr, gt_error *err) {
  gt_status st = GT_OK;
  gt_sgd_step s = {.lr = lr, .momentum = t->cfg.momentum, .weight_decay = t->cfg.weight_decay};
  for (int i = 0; st == GT_OK && i < t->n_params; i++) {
    s.n = t->params[i].numel;
    s.param = gt_model_constant_data(t->model, t->params[i].value);
    s.grad = t->params[i].grad_dev;
    s.velocity = t->params[i].velocity_dev;
    st = t->train->sgd_step(t->be, &s, err);
  }
  for (int i = 0; st == GT_OK && i < t->n_bns; i++) {
    gt_train_bn *bn = &t->bns[i];
    s.n = bn->state.channels;
    s.param = (float *)bn->state.gamma;
    s.grad = bn->state.dgamma;
    s.velocity = bn->gamma_velocity_dev;
    st = t->train->sgd_step(t->be, &s, err);
    if (st != GT_OK) break;
    s.param = (float *)bn->state.beta;
    s.grad = bn->state.dbeta;
    s.velocity = bn->beta_velocity_dev;
    st = t->train->sgd_step(t->be, &s, err);
  }
  t->folded = 0;
  return st;
}

/* Training forward pass on x_dev [n]; logits to host `logits`. */
static gt_status train_forward(gt_trainer *t, const float *x_dev, int64_t n, float *logits, gt_error *err) {
  gt_status st = gt_model_train_forward(t->model, x_dev, n, &t->binding, err);
  if (st == GT_OK) st = to_host(t, logits, gt_model_logits(t->model), (size_t)(n * t->k) * sizeof(float), err);
  return st;
}

static gt_status train_backward(gt_trainer *t, const float *dlogits, int64_t n, gt_error *err) {
  gt_status st = to_device(t, t->dlogits_dev, dlogits, (size_t)(n * t->k) * sizeof(float), err);
  if (st == GT_OK) st = gt_model_train_backward(t->model, t->dlogits_dev, t->dx_dev, &t->binding, err);
  return st;
}

/* Mean CE over the batch into *loss (sum), dlogits = (softmax - onehot) / n; counts correct rows. */
static void ce_rows(const gt_trainer *t, const float *logits, int64_t n, float *dlogits, double *loss, int64_t *correct) {
  for (int64_t i = 0; i < n; i++) {
    const float *z = logits + i * t->k;
    float *dz = dlogits + i * t->k;
    *loss += gt_loss_ce(z, t->k, t->labels_host[i], dz);
    for (int j = 0; j < t->k; j++) dz[j] /= (float)n;
    *correct += gt_logits_argmax(z, t->k) == t->labels_host[i];
  }
}

/* Standard (or Madry) step: CE on the points at x_dev. */
static gt_status step_ce(gt_trainer *t, const float *x_dev, int64_t n, double *loss, int64_t *correct, gt_error *err) {
  gt_status st = zero_grads(t, err);
  if (st == GT_OK) st = train_forward(t, x_dev, n, t->logits_host, err);
  if (st != GT_OK) return st;
  ce_rows(t, t->logits_host, n, t->dlogits_host, loss, correct);
  return train_backward(t, t->dlogits_host, n, err);
}

/* TRADES step: L = mean CE(z, y) + beta * mean KL(p || q), p = softmax(z) on x, q = softmax(z')
 * on x' = xadv_dev.  dL/dz' = beta (q - p) / n;  dL/dz_j = CE part + beta p_j (log p_j - log q_j - KL) / n.
 * Passes: forward x', forward x, backward x, forward x' again (batch statistics not updated), backward x'. */
static gt_status step_trades(gt_trainer *t, int64_t n, double *loss, int64_t *correct, gt_error *err) {
  int k = t->k;
  float beta = t->cfg.trades_beta;
  gt_status st = zero_grads(t, err);
  if (st == GT_OK) st = train_forward(t, t->xadv_dev, n, t->logits2_host, err);
  if (st == GT_OK) st = train_forward(t, t->x_dev, n, t->logits_host, err);
  if (st != GT_OK) return st;
  ce_rows(t, t->logits_host, n, t->dlogits_host, loss, correct);
  for (int64_t i = 0; i < n; i++) {
    float p[GT_DATASET_MAX_CLASSES], q[GT_DATASET_MAX_CLASSES];
    gt_train_softmax_row(t->logits_host + i * k, k, p);
    gt_train_softmax_row(t->logits2_host + i * k, k, q);
    double kl = 0.0;
    for (int j = 0; j < k; j++)
      if (p[j] > 0.0f) kl += (double)p[j] * (log((double)p[j]) - log((double)q[j] + 1e-30));
    *loss += beta * kl;
    for (int j = 0; j < k; j++) {
      double lp = p[j] > 0.0f ? log((double)p[j]) : 0.0;
      t->dlogits_host[i * k + j] += (float)(beta * p[j] * (lp - log((double)q[j] + 1e-30) - kl) / (double)n);
      t->dlogits2_host[i * k + j] = beta * (q[j] - p[j]) / (float)n;
    }
  }
  st = train_backward(t, t->dlogits_host, n, err);
  for (int i = 0; i < t->n_bns; i++) t->bns[i].state.momentum = 0.0f;
  if (st == GT_OK) st = gt_model_train_forward(t->model, t->xadv_dev, n, &t->binding, err);
  for (int i = 0; i < t->n_bns; i++) t->bns[i].state.momentum = GT_TRAIN_BN_MOMENTUM;
  if (st == GT_OK) st = train_backward(t, t->dlogits2_host, n, err);
  return st;
}

/* The data order of one epoch: a Fisher-Yates shuffle whose swap at position i draws word 0 of the
 * site (seed, TRAIN_ORDER, sample i, restart epoch). */
static void shuffle(gt_trainer *t, int64_t n, int epoch) {
  for (int64_t i = 0; i < n; i++) t->order[i] = i;
  for (int64_t i = n - 1; i > 0; i--) {
    gt_rng_site site = {.seed = t->cfg.seed, .stream = GT_RNG_STREAM_TRAIN_ORDER, .restart = (uint32_t)epoch,
                        .sample = (uint64_t)i};
    uint32_t w[4];
    gt_rng_block(&site, 0, w);
    int64_t j = (int64_t)gt_rng_below(w[0], (uint32_t)(i + 1));
    int64_t tmp = t->order[i];
    t->order[i] = t->order[j];
    t->order[j] = tmp;
  }
}

static gt_status check_dataset(const gt_trainer *t, const gt_dataset *ds, const char *what, gt_error *err) {
  const int64_t *in = gt_model_input_shape(t->model);
  if ((int64_t)ds->c * ds->h * ds->w != t->d || ds->c != in[0] || ds->h != in[1] || ds->w != in[2])
    return gt_error_set(err, GT_ERR_SHAPE, "%s set '%s' has images [%d, %d, %d], the network takes [%lld, %lld, %lld]",
                        what, ds->source ? ds->source : "?", ds->c, ds->h, ds->w, (long long)in[0], (long long)in[1],
                        (long long)in[2]);
  for (int64_t i = 0; i < ds->n; i++)
    if (ds->labels[i] < 0 || ds->labels[i] >= t->k)
      return gt_error_set(err, GT_ERR_FORMAT, "%s set '%s': point %lld has label %d, the network has %d classes", what,
                          ds->source ? ds->source : "?", (long long)i, ds->labels[i], t->k);
  return GT_OK;
}

/* One batch: rows order[first .. first + n) of the training set. */
static gt_status train_batch(gt_trainer *t, const gt_dataset *ds, int64_t first, int64_t n, int epoch, double *loss,
                             int64_t *correct, gt_error *err) {
  for (int64_t i = 0; i < n; i++) {
    int64_t src = t->order[first + i];
    memcpy(t->x_host + i * t->d, ds->images + src * t->d, (size_t)t->d * sizeof(float));
    t->labels_host[i] = ds->labels[src];
    t->ids_host[i] = src;
  }
  gt_status st = to_device(t, t->x_dev, t->x_host, (size_t)(n * t->d) * sizeof(float), err);
  if (st == GT_OK) st = to_device(t, t->labels_dev, t->labels_host, (size_t)n * sizeof(int32_t), err);
  if (st == GT_OK) st = to_device(t, t->ids_dev, t->ids_host, (size_t)n * sizeof(int64_t), err);
  if (st != GT_OK) return st;
  switch (t->cfg.adv) {
    case GT_ADV_NONE:
      st = step_ce(t, t->x_dev, n, loss, correct, err);
      break;
    case GT_ADV_PGD:
      st = gt_adv_pgd(t, n, epoch, err);
      if (st == GT_OK) st = step_ce(t, t->xadv_dev, n, loss, correct, err);
      break;
    case GT_ADV_TRADES:
      st = gt_adv_trades(t, n, epoch, err);
      if (st == GT_OK) st = step_trades(t, n, loss, correct, err);
      break;
  }
  if (st != GT_OK) return st;
  st = sgd_all(t, (float)lr_at(t, epoch), err);
  t->step++;
  return st;
}

gt_status gt_trainer_fit(gt_trainer *t, const gt_dataset *train, const gt_dataset *test, gt_train_progress_fn progress,
                         void *user, gt_error *err) {
  gt_status st = check_dataset(t, train, "training", err);
  if (st == GT_OK && test) st = check_dataset(t, test, "test", err);
  if (st != GT_OK) return st;
  if (train->n < 1) return gt_error_set(err, GT_ERR_USAGE, "the training set '%s' is empty", train->source);
  if ((uint64_t)train->n > GT_RNG_MAX_SAMPLE) return gt_error_set(err, GT_ERR_LIMIT, "training set too large");
  free(t->order);
  t->order = malloc((size_t)train->n * sizeof(int64_t));
  if (!t->order) return gt_error_set(err, GT_ERR_MEMORY, "out of memory for the data order");
  int64_t per_epoch = (train->n + t->batch - 1) / t->batch;
  t->step = 0;
  t->total_steps = per_epoch * t->cfg.epochs;
  for (int epoch = 0; epoch < t->cfg.epochs; epoch++) {
    double t0 = now_seconds(), loss = 0.0;
    int64_t correct = 0;
    shuffle(t, train->n, epoch);
    for (int64_t first = 0; st == GT_OK && first < train->n; first += t->batch) {
      int64_t n = train->n - first < t->batch ? train->n - first : t->batch;
      st = train_batch(t, train, first, n, epoch, &loss, &correct, err);
    }
    if (st != GT_OK) return gt_error_prefix(err, "epoch %d: ", epoch + 1);
    gt_train_epoch e = {.epoch = epoch + 1, .epochs = t->cfg.epochs, .loss = loss / (double)train->n,
                        .train_accuracy = (double)correct / (double)train->n, .test_accuracy = -1.0,
                        .lr = lr_at(t, epoch)};
    if (test) st = gt_trainer_accuracy(t, test, &e.test_accuracy, err);
    if (st != GT_OK) return st;
    e.seconds = now_seconds() - t0;
    if (progress) progress(&e, user);
  }
  return gt_trainer_fold(t, err);
}

gt_status gt_trainer_model(gt_trainer *t, gt_model **model, gt_error *err) {
  *model = NULL;
  gt_status st = gt_trainer_fold(t, err);
  if (st == GT_OK) *model = t->model;
  return st;
}

gt_status gt_trainer_accuracy(gt_trainer *t, const gt_dataset *ds, double *accuracy, gt_error *err) {
  *accuracy = 0.0;
  gt_status st = check_dataset(t, ds, "evaluation", err);
  if (st == GT_OK) st = gt_trainer_fold(t, err);
  int64_t correct = 0;
  for (int64_t first = 0; st == GT_OK && first < ds->n; first += t->batch) {
    int64_t n = ds->n - first < t->batch ? ds->n - first : t->batch;
    st = to_device(t, t->x_dev, ds->images + first * t->d, (size_t)(n * t->d) * sizeof(float), err);
    if (st == GT_OK) st = gt_model_forward(t->model, t->x_dev, n, err);
    if (st == GT_OK)
      st = to_host(t, t->logits_host, gt_model_logits(t->model), (size_t)(n * t->k) * sizeof(float), err);
    for (int64_t i = 0; st == GT_OK && i < n; i++)
      correct += gt_logits_argmax(t->logits_host + i * t->k, t->k) == ds->labels[first + i];
  }
  if (st == GT_OK && ds->n > 0) *accuracy = (double)correct / (double)ds->n;
  return st;
}

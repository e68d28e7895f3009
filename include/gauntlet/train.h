/* Training built-in baseline classifiers (`gauntlet train`): two architectures, standard and
 * adversarial training (Madry PGD, TRADES), SGD with momentum and weight decay, a cosine or step
 * learning-rate schedule, export to ONNX with a JSON sidecar.
 *
 * Written against the backend interface only (the graph executor's training passes,
 * gauntlet/model_train.h, and the backend's training table, gauntlet/train_ops.h): parameters,
 * gradients and optimiser state stay in backend memory; the host sees per-batch logits [n, K]
 * (to compute the loss) and the small per-channel batch-norm vectors (to fold them into the
 * inference form the attacks and the exported file use).
 *
 * Determinism: for one seed, backend and thread count the result is the same bytes. Weight
 * initialisation, the data order of every epoch and the random starts of the inner attacks are
 * draws of the counter-based RNG (gauntlet/hd/rng.h), keyed by the seed. */
#ifndef GAUNTLET_TRAIN_H
#define GAUNTLET_TRAIN_H

#include <stdint.h>

#include "gauntlet/backend.h"
#include "gauntlet/data.h"
#include "gauntlet/model.h"
#include "gauntlet/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum gt_arch {
  GT_ARCH_SMALL_CNN,  /* conv3x3(16)-relu-maxpool2, conv3x3(32)-relu-maxpool2, linear(128)-relu, linear(K) */
  GT_ARCH_RESNET_TINY /* conv3x3(8)-bn-relu, residual blocks 8, 16 (stride 2), 32 (stride 2) of two
                         conv3x3-bn with a 1x1 strided conv-bn shortcut where the shape changes,
                         global average pool, linear(K) */
} gt_arch;

typedef enum gt_adv_kind {
  GT_ADV_NONE,   /* standard training on clean points */
  GT_ADV_PGD,    /* Madry et al. 2018: train on PGD points (Linf, full steps, no early stop) */
  GT_ADV_TRADES  /* Zhang et al. 2019: CE(clean) + beta * KL(p(clean) || p(adv)), adv maximises the KL */
} gt_adv_kind;

typedef enum gt_lr_schedule {
  GT_LR_COSINE, /* lr_t = lr * (1 + cos(pi * t / T)) / 2 per iteration */
  GT_LR_STEP    /* lr * gamma^(floor(epoch / step_epochs)) */
} gt_lr_schedule;

typedef struct gt_train_config {
  gt_arch arch;
  gt_adv_kind adv;
  float eps;            /* Linf radius of the inner attack (pgd, trades) */
  int adv_steps;        /* inner iterations; default 10 */
  float adv_step_size;  /* 0: 2.5 * eps / steps (Madry's rule) */
  int random_start;     /* pgd: 1 = uniform start in the eps-ball (default); trades always starts at
                           x + 0.001 N(0, 1) */
  float trades_beta;    /* default 6 */
  int epochs;
  int64_t batch;        /* default 128 */
  float lr;             /* default 0.05 */
  float momentum;       /* default 0.9 */
  float weight_decay;   /* default 5e-4 */
  gt_lr_schedule schedule;
  int step_epochs;      /* GT_LR_STEP: epochs between decays (default: max(1, epochs / 3)) */
  float step_gamma;     /* GT_LR_STEP: factor per decay (default 0.1) */
  uint64_t seed;
} gt_train_config;

/* Defaults as documented above (arch small-cnn, adv none, 1 epoch, seed 0). */
void gt_train_config_init(gt_train_config *cfg);

const char *gt_arch_name(gt_arch arch);
gt_status gt_arch_parse(const char *text, gt_arch *out, gt_error *err);
const char *gt_adv_name(gt_adv_kind adv);
gt_status gt_adv_parse(const char *text, gt_adv_kind *out, gt_error *err);
const char *gt_lr_schedule_name(gt_lr_schedule s);
gt_status gt_lr_schedule_parse(const char *text, gt_lr_schedule *out, gt_error *err);

/* Checks ranges (GT_ERR_USAGE naming the field). */
gt_status gt_train_config_check(const gt_train_config *cfg, gt_error *err);

/* What one epoch did, for progress displays. */
typedef struct gt_train_epoch {
  int epoch, epochs;        /* 1-based */
  double loss;              /* mean training loss over the epoch (on the points trained on) */
  double train_accuracy;    /* accuracy on the points trained on (adversarial ones for pgd/trades) */
  double test_accuracy;     /* clean accuracy on the test set; < 0 when there is none */
  double lr;                /* learning rate at the end of the epoch */
  double seconds;
} gt_train_epoch;

typedef void (*gt_train_progress_fn)(const gt_train_epoch *e, void *user);

typedef struct gt_trainer gt_trainer;

/* A freshly initialised network for images [c, h, w] and n_classes classes, on the backend (which
 * must have a training table and vector ops). The backend must outlive the trainer. */
gt_status gt_trainer_create(const gt_train_config *cfg, gt_backend *be, int c, int h, int w, int n_classes,
                            gt_trainer **out, gt_error *err);
void gt_trainer_free(gt_trainer *t);

/* Trains cfg->epochs epochs on `train` (test may be NULL), calling progress after each epoch. */
gt_status gt_trainer_fit(gt_trainer *t, const gt_dataset *train, const gt_dataset *test, gt_train_progress_fn progress,
                         void *user, gt_error *err);

/* The network in inference form (batch norm with running statistics), ready for attacks and
 * evaluation; valid until the next gt_trainer_fit or gt_trainer_free. */
gt_status gt_trainer_model(gt_trainer *t, gt_model **model, gt_error *err);

/* Clean accuracy of the inference form on a dataset (fraction in [0, 1]). */
gt_status gt_trainer_accuracy(gt_trainer *t, const gt_dataset *ds, double *accuracy, gt_error *err);

/* Writes the network as an ONNX file: opset 13, input "input" [N, C, H, W] with a symbolic batch
 * "N", output "logits" [N, K], BatchNormalization nodes in inference form (scale, bias, running
 * mean and variance). The bytes depend only on the parameters. */
gt_status gt_trainer_export_onnx(gt_trainer *t, const char *path, gt_error *err);

/* The sidecar JSON next to an exported model (path: usually the .onnx path + ".json"). */
typedef struct gt_train_summary {
  const char *command;      /* the training command line, as typed */
  const char *train_data, *test_data; /* dataset specs (test may be NULL) */
  int64_t train_points, test_points;
  double train_accuracy;    /* final, clean, on the training points (inference form) */
  double test_accuracy;     /* final, clean; < 0 when no test set */
  double seconds;           /* wall time of the training */
  const char *backend;
} gt_train_summary;

gt_status gt_trainer_write_sidecar(gt_trainer *t, const char *onnx_path, const char *json_path,
                                   const gt_train_summary *s, gt_error *err);

#ifdef __cplusplus
}
#endif
#endif

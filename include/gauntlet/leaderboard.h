/* The leaderboard data model: what a sweep produces and every renderer reads.
 *
 * One gt_leaderboard per sweep output folder. The sweep driver (src/sweep) fills it from the
 * journal (results.jsonl); the writers turn it into leaderboard.json (RobustBench fields + ours),
 * leaderboard.md, report.html and the CI outputs (JUnit XML, step summary). Keeping this one
 * struct between them means `gauntlet report OUTDIR` re-renders everything without attacking again.
 *
 * Accuracies are fractions in [0,1] in memory; the JSON writer prints RobustBench's percent
 * strings ("91.08") for its fields and fractions for ours. NaN means "not known" (e.g. no
 * reported accuracy). All strings are owned, NUL-terminated, truncated to their buffers. */
#ifndef GAUNTLET_LEADERBOARD_H
#define GAUNTLET_LEADERBOARD_H

#include <stdint.h>

#include "gauntlet/flags.h"
#include "gauntlet/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GT_LB_MAX_ATTACKS 16
#define GT_LB_MAX_EPS 32

/* Robust accuracy after one attack of the suite (cumulative worst case, in suite order). */
typedef struct gt_lb_attack {
  char name[48];          /* "apgd-ce", "apgd-t", "fab-t", "square", "fgsm", ... */
  double robust_acc;      /* fraction of ALL evaluated points still robust after this attack */
  double seconds;         /* wall time this attack spent */
  int64_t forward;        /* model forward passes (per sample) this attack spent */
  int64_t backward;
} gt_lb_attack;

/* One point of the robust-accuracy-vs-eps curve of a (model, threat model). */
typedef struct gt_lb_curve_point {
  double eps;
  char eps_text[24];      /* as the config wrote it: "8/255" or "0.1" */
  double robust_acc;
} gt_lb_curve_point;

/* Example images for the report grid: k points of one (model, threat model) at the largest eps,
 * stored by the sweep as files in the output folder (paths relative to it). */
typedef struct gt_lb_examples {
  int k;                   /* 0: none saved */
  int c, h, w;             /* image shape */
  char npy_path[256];      /* float32 [2k, c, h, w]: rows 0..k-1 clean, k..2k-1 adversarial */
  int32_t label[16];
  int32_t clean_pred[16];
  int32_t adv_pred[16];
} gt_lb_examples;

/* One leaderboard row: a model at one threat model and eps. */
typedef struct gt_lb_entry {
  /* RobustBench's fields */
  char name[128];
  char link[512];
  char authors[512];
  int additional_data;
  int64_t number_forward_passes;   /* per prediction, RobustBench's meaning: 1 for our graphs */
  char dataset[64];                /* "fashion-mnist", "cifar10", ... */
  char venue[128];
  char architecture[128];
  char eps_text[24];               /* "8/255" */
  double eps;
  double clean_acc;
  double reported;                 /* the authors' claimed robust accuracy, NaN if none */
  double autoattack_acc;           /* robust accuracy: worst case over the whole suite */
  double external;                 /* NaN when absent */
  int unreliable;                  /* 1 when any flag fired or the run is a smoke run */
  char footnote[512];

  /* Ours */
  char threat_model[8];            /* "Linf", "L2", "L1" */
  char suite[64];                  /* "autoattack-standard", "custom", "smoke" */
  int smoke;                       /* 1: a smoke-preset run (never a full evaluation) */
  int64_t n_points;
  int n_attacks;
  gt_lb_attack attacks[GT_LB_MAX_ATTACKS];
  int n_curve;                     /* the model's curve over every eps of this threat model */
  gt_lb_curve_point curve[GT_LB_MAX_EPS];
  uint64_t seed;
  char model_sha256[65];
  char points_sha256[65];          /* sha256 of the evaluated points (float32 images then int32 labels) */
  char config_hash[65];
  char gauntlet_version[32];
  char git_commit[48];
  char backend[32];                /* "cpu", "cuda" */
  char device[128];                /* CPU model name or GPU name */
  double seconds;                  /* whole job wall time */
  int n_flags;
  gt_flag flags[GT_MAX_FLAGS];
  gt_lb_examples examples;
} gt_lb_entry;

/* One table: all models on one dataset at one (threat model, eps), ranked by robust accuracy
 * (external when present), best first. Tables are ordered by dataset, threat model (config order),
 * then ascending eps. */
typedef struct gt_lb_table {
  char dataset[64];                /* added by the sweep: tables never mix datasets */
  char threat_model[8];
  double eps;
  char eps_text[24];
  int n_entries;
  gt_lb_entry *entries;
} gt_lb_table;

typedef struct gt_leaderboard {
  char title[128];
  char config_hash[65];            /* added by the sweep: the run as a whole */
  char gauntlet_version[32];
  char git_commit[48];
  char created_utc[32];            /* ISO 8601 */
  int smoke;
  int n_tables;
  gt_lb_table *tables;
} gt_leaderboard;

void gt_leaderboard_free(gt_leaderboard *lb);

#ifdef __cplusplus
}
#endif
#endif

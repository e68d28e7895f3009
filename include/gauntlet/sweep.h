/* Sweeps: models x datasets x threat models x eps under one attack suite, with a journal that
 * never loses a finished job, and the leaderboard built from that journal.
 *
 * Pieces (one file each under src/sweep):
 *  - config.c      the sweep config (JSON): parse, check every key, canonical text and its hash
 *                  (json_get.c: typed reads that name the key path in errors);
 *  - validate.c    the checks that need files (models, datasets, index files) before any work;
 *  - journal.c     OUT/results.jsonl: one JSON line per finished record, fsync'ed; read back;
 *  - run.c         starts one worker thread per device (devices.c) on a shared task list
 *                  (sched.c): per (model, dataset) a clean pass (clean.c), per threat model a chain
 *                  of eps jobs in ascending eps with broken points carried forward (chain.c), on
 *                  the model a worker opened (pair.c); worker.c is a worker's loop (docs/SWEEP.md);
 *  - suite.c       one job's attack suite: members in order on the still-robust points;
 *  - probes.c      the gradient-masking probes (gauntlet/masking.h) with the config's options;
 *  - result_flags.c flags computed from the sweep's own results;
 *  - records.c     journal fields shared by the writer and the reader (flags, names);
 *  - build.c       journal -> gt_leaderboard; lb_json.c, lb_md.c its writers; outputs.c all of them;
 *  - files.c       whole files written through a temporary name, fsync and rename.
 * docs/SWEEP.md describes the config keys, the journal records and the leaderboard format. */
#ifndef GAUNTLET_SWEEP_H
#define GAUNTLET_SWEEP_H

#include <signal.h>
#include <stdint.h>

#include "gauntlet/attack.h"
#include "gauntlet/ensemble.h"
#include "gauntlet/gates.h"
#include "gauntlet/leaderboard.h"
#include "gauntlet/norm.h"
#include "gauntlet/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GT_SWEEP_MAX_MODELS 64
#define GT_SWEEP_MAX_DATASETS 8
#define GT_SWEEP_MAX_THREATS 6
#define GT_SWEEP_MAX_REPORTED 16
#define GT_SWEEP_PATH_MAX 1024
#define GT_SWEEP_MAX_EXAMPLES 8
#define GT_SWEEP_MAX_DEVICES 16

/* The authors' claimed robust accuracy for one (threat model, eps) ("Linf:8/255"), or for every
 * entry of the model when key is "". Value as a fraction. */
typedef struct gt_sweep_reported {
  char key[48];
  double value;
} gt_sweep_reported;

typedef struct gt_sweep_model {
  char name[128];
  char path[GT_SWEEP_PATH_MAX];    /* resolved against the config file's folder */
  int n_norm;                      /* 0: no normalisation in front of the model */
  float mean[16], std[16];
  char architecture[128], link[512], authors[512], venue[128], footnote[512];
  int additional_data;
  int n_reported;
  gt_sweep_reported reported[GT_SWEEP_MAX_REPORTED];
} gt_sweep_model;

typedef struct gt_sweep_dataset {
  char name[64];                   /* leaderboard "dataset" ("fashion-mnist"); default from the spec */
  char spec[GT_SWEEP_PATH_MAX];    /* as `gauntlet eval --data` takes it */
  int64_t n;                       /* first n points; 0: all (or the index file) */
  char indices[GT_SWEEP_PATH_MAX]; /* index file, resolved; "" when absent */
} gt_sweep_dataset;

typedef struct gt_sweep_threat {
  gt_norm norm;
  int n_eps;
  float eps[GT_LB_MAX_EPS];        /* ascending, distinct */
  char eps_text[GT_LB_MAX_EPS][24];
} gt_sweep_threat;

typedef struct gt_sweep_attack {
  char name[48];
  gt_attack_config config;         /* norm, eps, seed, batch filled per job */
} gt_sweep_attack;

typedef struct gt_sweep_config {
  char path[GT_SWEEP_PATH_MAX];    /* the config file ("" when parsed from text) */
  char title[128];
  int n_models, n_datasets, n_threats;
  gt_sweep_model models[GT_SWEEP_MAX_MODELS];
  gt_sweep_dataset datasets[GT_SWEEP_MAX_DATASETS];
  gt_sweep_threat threats[GT_SWEEP_MAX_THREATS];
  /* attacks: the AutoAttack plan of `version` (use_autoattack) or the list below */
  int use_autoattack;
  gt_autoattack_version version;
  int n_attacks;
  gt_sweep_attack attacks[GT_ENSEMBLE_MAX_MEMBERS];
  char suite[48];                  /* "autoattack-standard" or "custom" */
  uint64_t seed;
  int64_t batch;                   /* default 256 */
  char backend[32];                /* auto (default), cpu, ref, cuda, cuda:N */
  int threads;                     /* cpu threads per worker; 0: all cores, shared among the workers */
  /* One host worker per entry (docs/SWEEP.md "Several devices"): "cpu", "ref", "cuda:N" or a
   * registered test backend; none: one worker on backend. Left out of the hash, like output:
   * where a job runs does not change its result. */
  int n_devices;
  char devices[GT_SWEEP_MAX_DEVICES][32];
  char output[GT_SWEEP_PATH_MAX];  /* resolved output folder */
  int examples;                    /* example images per (model, threat model), 0..8; default 8 */
  int recheck_points;              /* carried points re-attacked per job for non_monotone_eps; default 32 */
  int probes;                      /* 1: gradient-masking probes (default) */
  int check_iterations;            /* 1: opt-in doubled-iterations check per eps */
  int64_t probe_points;            /* points the probes use; default 200 */
  /* CI (src/gates, docs/CI.md): "preset" rewrites the config before it is parsed (so it is part of
   * the hash); "gates" judge results and stay out of the hash. */
  char preset[16];                 /* in: a preset the caller applies (--preset), kept like path */
  int smoke;                       /* the smoke preset is in effect: suite "smoke" */
  gt_gate_config gates;
  char canonical[65536];           /* the config as compact JSON without "output" and "gates", hashed */
  char hash[65];                   /* sha256 of canonical */
} gt_sweep_config;

/* Parses a config from JSON text. base_dir resolves relative paths ("" or NULL: as written).
 * Every error names the key path ("models[1].path") and the problem. No file is opened. */
gt_status gt_sweep_config_parse(const char *text, const char *base_dir, gt_sweep_config *cfg, gt_error *err);
/* Reads and parses a config file (relative paths resolve against its folder). */
gt_status gt_sweep_config_load(const char *path, gt_sweep_config *cfg, gt_error *err);

/* The checks that need files, all before any work: model files load as classifiers and fit the
 * datasets' shape and classes, datasets load and hold n points, index files read. Errors name the
 * key path. */
gt_status gt_sweep_config_validate(const gt_sweep_config *cfg, gt_error *err);

/* --devices: a comma-separated list ("cuda:0,cuda:1", "cpu,cpu") replacing the config's devices
 * and backend. Errors (GT_ERR_USAGE) name the entry and the problem. */
gt_status gt_sweep_devices_set(gt_sweep_config *cfg, const char *list, gt_error *err);

/* "0.03" or "8/255" -> a finite value >= 0; what names the place in errors. */
gt_status gt_sweep_parse_eps(const char *what, const char *text, float *out, gt_error *err);

/* ---- running ---- */

/* What the progress display shows; points_left counts points the current attack still has to
 * attack (-1 when unknown), eta_seconds is < 0 when unknown. With several workers each reports
 * its own job in flight. */
typedef struct gt_sweep_progress {
  int job, n_jobs;                 /* 1-based job in flight (in the sweep's fixed order), of all jobs */
  int jobs_finished;               /* run now or found in the journal */
  const char *worker;              /* the reporting worker ("worker 2: cuda:1"); NULL with one worker */
  const char *model, *dataset, *threat, *eps_text;
  const char *attack;              /* "clean" for the clean pass */
  int64_t points_left;
  double elapsed_seconds, eta_seconds;
} gt_sweep_progress;

typedef void (*gt_sweep_progress_fn)(const gt_sweep_progress *p, void *user);

typedef struct gt_sweep_options {
  int resume;                      /* 1: skip the jobs journaled in the output folder */
  volatile sig_atomic_t *stop;     /* set by a signal handler: the sweep stops before the next attack */
  gt_sweep_progress_fn progress;
  void *progress_user;             /* also passed to notice */
  /* A line for the user that is not progress (out of memory: the batch was halved); may be NULL.
   * Called from worker threads, one call at a time. */
  void (*notice)(const char *text, void *user);
  const char *version, *git_commit;
} gt_sweep_options;

typedef struct gt_sweep_summary {
  int n_jobs, n_done, n_skipped;   /* jobs in the sweep, run now, found in the journal */
  int stopped;                     /* 1: stopped by *stop; the in-flight job was dropped */
  char backend[32];                /* the backend the sweep ran on ("auto" resolved; "cuda" for cuda:N) */
  char backend_why[192];           /* for "auto": why that backend ("no CUDA driver", a device name) */
  int n_workers;                   /* one per device */
} gt_sweep_summary;

/* Runs the sweep into cfg->output (created when missing): journal, then leaderboard.json/.md.
 * Without resume an existing journal is an error; with resume a journal of another config is. */
gt_status gt_sweep_run(const gt_sweep_config *cfg, const gt_sweep_options *opt, gt_sweep_summary *summary,
                       gt_error *err);

/* ---- leaderboard ---- */

/* Builds the leaderboard from OUTDIR/results.jsonl alone (the config travels in its header). */
gt_status gt_sweep_leaderboard_build(const char *outdir, gt_leaderboard *lb, gt_error *err);
/* Builds the leaderboard from the journal and writes OUTDIR/leaderboard.json, leaderboard.md and
 * report.html (with the example PNGs under examples/). lb: NULL, or receives the leaderboard (caller frees). */
gt_status gt_sweep_write_outputs(const char *outdir, gt_leaderboard *lb, gt_error *err);

/* The leaderboard as JSON / Markdown files, each through a temporary name and rename. */
gt_status gt_leaderboard_json_write(const gt_leaderboard *lb, const char *path, gt_error *err);
gt_status gt_leaderboard_md_write(const gt_leaderboard *lb, const char *path, gt_error *err);
/* The text of leaderboard.md (malloc'ed, NUL-terminated; len without the NUL), also the tables of
 * the CI step summary. */
gt_status gt_leaderboard_md_text(const gt_leaderboard *lb, char **text, size_t *len, gt_error *err);

/* Writes a whole file: path.tmp, fsync, rename to path, fsync of the folder. */
gt_status gt_file_write_atomic(const char *path, const void *data, size_t size, gt_error *err);

#ifdef __cplusplus
}
#endif
#endif

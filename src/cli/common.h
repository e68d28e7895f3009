/* What several commands share: opening a model on a dataset from the common options
 * (--model --data --n --indices --batch --backend --threads --mean --std), and parsing numbers
 * people write as fractions ("8/255") and loss names. */
#ifndef GAUNTLET_CLI_COMMON_H
#define GAUNTLET_CLI_COMMON_H

#include "cli/args.h"
#include "gauntlet/backend.h"
#include "gauntlet/data.h"
#include "gauntlet/loss.h"
#include "gauntlet/model.h"

typedef struct gt_cli_session {
  gt_dataset *data;
  gt_graph *graph;
  gt_backend *backend;
  gt_model *model;
  const char *backend_name;
  char model_sha256[65];
} gt_cli_session;

/* Loads the dataset (and its subset), hashes and loads the model, creates backend and model.
 * On failure everything opened so far is closed again. */
gt_status gt_cli_session_open(const gt_cli_args *args, gt_cli_session *s, gt_error *err);
void gt_cli_session_close(gt_cli_session *s);
/* After an out-of-memory error (GT_ERR_MEMORY in err): the model again with half its batch, said
 * on stderr; err's code back when the batch is already 1. */
gt_status gt_cli_session_halve_batch(gt_cli_session *s, gt_error *err);

/* "0.03", "8/255" -> a finite value >= 0; `what` names the option in errors. */
gt_status gt_cli_parse_eps(const char *what, const char *text, float *out, gt_error *err);

/* "ce", "dlr", "cw" (and the -targeted names of gauntlet/loss.h). */
gt_status gt_cli_parse_loss(const char *text, gt_loss_kind *out, gt_error *err);

#endif

/* Clean evaluation: predictions and accuracy of a model on a host dataset, batch by batch. */
#ifndef GAUNTLET_EVAL_H
#define GAUNTLET_EVAL_H

#include <stdint.h>

#include "gauntlet/data.h"
#include "gauntlet/model.h"
#include "gauntlet/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Argmax of each row of logits [n, k]; ties go to the lowest index (as torch.argmax does). */
void gt_argmax_rows(const float *logits, int64_t n, int k, int32_t *pred);

/* Runs the model over all ds points in batches of gt_model_max_batch(m). predictions
 * ([ds->n], may be NULL) receives each point's predicted class; *correct the number of points
 * whose prediction equals the label. */
gt_status gt_eval_predict(gt_model *m, const gt_dataset *ds, int32_t *predictions, int64_t *correct,
                          gt_error *err);

#ifdef __cplusplus
}
#endif
#endif

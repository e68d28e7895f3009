/* Test helper: the small ONNX classifiers of the gradient-masking tests, on x [N, 1, 4, 4]:
 *   s = w * sum(x) + b -> (times gain) -> Clip(-1, 1) -> logits "z" = [c, -c, -0.5]
 * (class 0 where the clipped score c > 0). A large w or gain saturates the Clip, so that the input
 * gradient is exactly 0. The output is not declared yet: callers may add nodes after "z", then
 * gt_ob_output and gt_ob_write. */
#ifndef GAUNTLET_TEST_CLIP_MODELS_H
#define GAUNTLET_TEST_CLIP_MODELS_H

#include "support/onnx_builder.h"

gt_ob_model *gt_clip_model(float w, float b, float gain);

#endif

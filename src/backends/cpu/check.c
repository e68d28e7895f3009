/* The scratch check of the cpu ops; the argument checks they share with every backend are in
 * backends/op_check.c. */
#include "cpu_ops.h"

gt_status gt_cpu_check_scratch(const gt_op_call *call, size_t need, gt_error *err) {
  if (need == 0) return GT_OK;
  if (!call->scratch || call->scratch_bytes < need)
    return gt_cpu_fail(call, err, GT_ERR_USAGE, "needs %zu bytes of scratch, was given %zu", need,
                       call->scratch ? call->scratch_bytes : (size_t)0);
  return GT_OK;
}

/* Internal to the backends: the argument checks and index helpers all their ops share (op_check.c).
 * Each backend's private header maps its short names (gt_ref_check_call, gt_cpu_fail, ...) onto
 * these with its own name for messages. */
#ifndef GAUNTLET_BACKENDS_OP_CHECK_H
#define GAUNTLET_BACKENDS_OP_CHECK_H

#include <stdint.h>

#include "gauntlet/backend.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Formats "<backend> <Op> '<node>': <message>" into err and returns code. */
gt_status gt_op_fail(const char *backend, const gt_op_call *call, gt_error *err, gt_status code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

/* The call is usable: a node, min_inputs <= n_inputs <= max_inputs, every tensor present,
 * contiguous, of sane rank and size, with data whenever it has elements. */
gt_status gt_op_check_call(const char *backend, const gt_op_call *call, int min_inputs, int max_inputs, gt_error *err);

/* For backward: the forward checks, grad_out shaped like out, each non-NULL grad_in[i] shaped
 * like in[i]. */
gt_status gt_op_check_backward(const char *backend, const gt_op_call *call, int min_inputs, int max_inputs,
                               const gt_tensor *grad_out, gt_tensor *const *grad_in, gt_error *err);

/* Weight-like inputs (index >= first) are constants: a non-NULL gradient for them is refused. */
gt_status gt_op_refuse_weight_grads(const char *backend, const gt_op_call *call, gt_tensor *const *grad_in, int first,
                                    gt_error *err);

int gt_op_same_shape(const gt_tensor *a, const gt_tensor *b);

/* Multi-index of flat position `flat` in a row-major array of the given shape. */
void gt_op_unravel(int64_t flat, int ndim, const int64_t *shape, int64_t *idx);

/* The numpy broadcast of a binary op (Add, Sub, Mul, Div), collapsed: y's dims of size 1 dropped
 * and neighbouring dims merged while each input is broadcast along both or along neither. Per
 * collapsed dim: its size and the element strides of a (st[0]), b (st[1]) and y (st[2]); an
 * input's stride is 0 along the dims it is broadcast on. Every dim has size > 1. */
typedef struct gt_op_bplan {
  int ndim;
  int64_t shape[GT_MAX_DIMS];
  int64_t st[3][GT_MAX_DIMS];
} gt_op_bplan;

/* Checks the call (two inputs, a binary op, shapes that broadcast to the output) and plans it. */
gt_status gt_op_broadcast_plan(const char *backend, const gt_op_call *call, gt_op_bplan *bp, gt_error *err);

#ifdef __cplusplus
}
#endif
#endif

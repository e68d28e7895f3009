/* The backend interface: one vtable per device kind, ggml-backend style {iface, ctx}.
 *
 * A backend owns memory (buffer_alloc) and executes ops on tensors that live in it.
 * Callers (the graph executor, attacks) never dereference tensor data: everything they do to
 * tensors goes through this table, so a CUDA backend plugs in without changes to callers.
 * Op tables are indexed by gt_op_kind; a NULL entry means "unsupported on this backend",
 * so which ops a backend has is data that tests and `gauntlet devices` can read. */
#ifndef GAUNTLET_BACKEND_H
#define GAUNTLET_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "gauntlet/graph.h"
#include "gauntlet/loss.h"
#include "gauntlet/status.h"
#include "gauntlet/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gt_backend gt_backend;
struct gt_vec_iface; /* gauntlet/vecops.h: the vector ops attacks run on */
struct gt_train_iface; /* gauntlet/train_ops.h: weight gradients and the ops a trainer needs */

/* Ways the graph executor may ask an op to do more than its plain call (gt_op_call.flags), each
 * to save a pass over memory. The executor sets only the flags that the backend lists for the op
 * in gt_backend_iface.call_flags, and only in inference passes (not the training passes). */
enum {
  /* The op's output feeds a Relu that is its only reader, and the op does that Relu too.
   * Forward: out (the Relu's output tensor) = relu(op(in)). Backward: out holds that output and
   * grad_out is dL/d(it); the op back-propagates grad_out * gt_relu_grad(out) from its output. */
  GT_CALL_RELU = 1u << 0,
  /* Backward WRITES the gradient into every grad_in[i] (as if they held zeros before) instead of
   * adding: the executor sets it where it would otherwise have zeroed those buffers just before. */
  GT_CALL_WRITE_GRAD = 1u << 1,
};

/* One op application. Tensors are contiguous and live in the backend's memory; in[i] has the
 * shape of node->inputs[i] with the batch resolved (constants are uploaded once and keep their
 * shape). scratch is backend memory of at least scratch_bytes(call) bytes, reserved up front. */
typedef struct gt_op_call {
  const gt_node *node;
  const gt_tensor *const *in; /* node->n_inputs tensors */
  gt_tensor *out;
  void *scratch;
  size_t scratch_bytes;
  unsigned flags; /* GT_CALL_*: 0 for a plain call */
} gt_op_call;

/* Forward: writes call->out from call->in. */
typedef gt_status (*gt_op_forward_fn)(gt_backend *be, const gt_op_call *call, gt_error *err);

/* Input-gradient backward. call->out holds the forward output (valid), grad_out has its shape.
 * For every batched input i, grad_in[i] is non-NULL and has in[i]'s shape; the op ADDS
 * dL/d in[i] into it (the executor zeroes gradients once, so fan-out sums correctly), or writes
 * it with GT_CALL_WRITE_GRAD.
 * grad_in[i] is NULL for constant inputs: weights are constants during attacks. */
typedef gt_status (*gt_op_backward_fn)(gt_backend *be, const gt_op_call *call, const gt_tensor *grad_out,
                                       gt_tensor *const *grad_in, gt_error *err);

/* Scratch bytes an op needs for this call's shapes (forward and backward together). */
typedef size_t (*gt_op_scratch_fn)(gt_backend *be, const gt_op_call *call);

typedef struct gt_backend_iface {
  const char *name; /* "ref", "cpu", "cuda", "cuda-emu" */

  gt_status (*buffer_alloc)(gt_backend *be, size_t bytes, void **ptr, gt_error *err);
  void (*buffer_free)(gt_backend *be, void *ptr);
  gt_status (*copy_to_device)(gt_backend *be, void *dst, const void *src, size_t bytes, gt_error *err);
  gt_status (*copy_to_host)(gt_backend *be, void *dst, const void *src, size_t bytes, gt_error *err);
  gt_status (*copy_device)(gt_backend *be, void *dst, const void *src, size_t bytes, gt_error *err);
  gt_status (*fill_zero)(gt_backend *be, void *ptr, size_t bytes, gt_error *err);
  gt_status (*synchronize)(gt_backend *be, gt_error *err);
  void (*destroy)(gt_backend *be);

  gt_op_forward_fn forward[GT_OP_COUNT];
  gt_op_backward_fn backward[GT_OP_COUNT];
  gt_op_scratch_fn scratch_bytes[GT_OP_COUNT]; /* NULL: the op needs no scratch */

  /* Per-sample losses on logits [N,K]. labels, targets: int32 [N] in backend memory (targets
   * NULL unless the loss is targeted). Writes loss [N]; writes dlogits [N,K] (dloss_n/dz_n)
   * when dlogits is non-NULL. */
  gt_status (*loss)(gt_backend *be, gt_loss_kind kind, const gt_tensor *logits, const int32_t *labels,
                    const int32_t *targets, gt_tensor *loss, gt_tensor *dlogits, gt_error *err);

  /* Vector ops for attacks (norms, projections, gathers, random fills; gauntlet/vecops.h), or NULL
   * when the backend cannot run attacks. */
  const struct gt_vec_iface *vec;

  /* Training ops (weight gradients, batch norm in training mode, SGD; gauntlet/train_ops.h), or
   * NULL when the backend cannot train. */
  const struct gt_train_iface *train;

  /* GT_CALL_* flags each op honours, in any combination (0: plain calls only). */
  unsigned call_flags[GT_OP_COUNT];
} gt_backend_iface;

struct gt_backend {
  const gt_backend_iface *iface;
  void *ctx;
};

/* Backends available in this build. n_threads <= 0 means "all cores" (OpenMP default). */
gt_status gt_backend_ref_create(gt_backend **out, gt_error *err);
gt_status gt_backend_cpu_create(gt_backend **out, int n_threads, gt_error *err);

/* Creates a backend by name: "ref", "cpu", "cuda", "cuda:N", or a name given to
 * gt_backend_register. */
gt_status gt_backend_create(const char *name, gt_backend **out, gt_error *err);

/* Backends that only some programs link (the tests' "cuda-emu", cuda/emu): after this call,
 * gt_backend_create(name) calls create. Up to GT_BACKEND_MAX_REGISTERED names, none of them a
 * built-in name; registering a name again replaces its function. Call before any thread uses
 * the registry (at program start). */
#define GT_BACKEND_MAX_REGISTERED 4
typedef gt_status (*gt_backend_factory)(gt_backend **out, gt_error *err);
gt_status gt_backend_register(const char *name, gt_backend_factory create, gt_error *err);
/* 1 when name was given to gt_backend_register. */
int gt_backend_is_registered(const char *name);
void gt_backend_free(gt_backend *be);

/* Fills missing[] (up to cap) with the ops whose forward or backward is NULL; returns the count. */
int gt_backend_missing_ops(const gt_backend *be, gt_op_kind *missing, int cap);

#ifdef __cplusplus
}
#endif
#endif

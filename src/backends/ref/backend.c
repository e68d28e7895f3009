/* The ref backend: host memory and the vtable of naive reference ops (the specification every
 * other backend is compared against). Fresh allocations are filled with NaN bytes (0xFF), like
 * the CUDA emulation, so that reading memory nobody wrote shows up as NaN in tests (and as
 * label -1 in int32 buffers, which the loss entry rejects). */
#include "ref_ops.h"

#include <stdlib.h>
#include <string.h>

#include "../vecops_tables.h"
#include "backends/train_common.h"

static gt_status ref_buffer_alloc(gt_backend *be, size_t bytes, void **ptr, gt_error *err) {
  if (!ptr) return gt_error_set(err, GT_ERR_USAGE, "ref buffer_alloc: no output pointer");
  *ptr = malloc(bytes ? bytes : 1);
  if (!*ptr) return gt_error_set(err, GT_ERR_MEMORY, "ref buffer_alloc: out of memory for %zu bytes", bytes);
  /* 0xFFFFFFFF is a quiet NaN as a float. */
  memset(*ptr, 0xFF, bytes);
  return GT_OK;
}

static void ref_buffer_free(gt_backend *be, void *ptr) { free(ptr); }

static gt_status ref_copy(const char *what, void *dst, const void *src, size_t bytes, gt_error *err) {
  if (bytes == 0) return GT_OK;
  if (!dst || !src) return gt_error_set(err, GT_ERR_USAGE, "ref %s: NULL pointer for %zu bytes", what, bytes);
  memmove(dst, src, bytes); /* memmove: device-to-device copies within one buffer may overlap */
  return GT_OK;
}

static gt_status ref_copy_to_device(gt_backend *be, void *dst, const void *src, size_t bytes, gt_error *err) {
  return ref_copy("copy_to_device", dst, src, bytes, err);
}

static gt_status ref_copy_to_host(gt_backend *be, void *dst, const void *src, size_t bytes, gt_error *err) {
  return ref_copy("copy_to_host", dst, src, bytes, err);
}

static gt_status ref_copy_device(gt_backend *be, void *dst, const void *src, size_t bytes, gt_error *err) {
  return ref_copy("copy_device", dst, src, bytes, err);
}

static gt_status ref_fill_zero(gt_backend *be, void *ptr, size_t bytes, gt_error *err) {
  if (bytes == 0) return GT_OK;
  if (!ptr) return gt_error_set(err, GT_ERR_USAGE, "ref fill_zero: NULL pointer for %zu bytes", bytes);
  memset(ptr, 0, bytes); /* all-zero bytes are 0.0f and int32 0 */
  return GT_OK;
}

static gt_status ref_synchronize(gt_backend *be, gt_error *err) { return GT_OK; }

static void ref_destroy(gt_backend *be) { free(be); }

static const gt_backend_iface ref_iface = {
    .name = "ref",
    .buffer_alloc = ref_buffer_alloc,
    .buffer_free = ref_buffer_free,
    .copy_to_device = ref_copy_to_device,
    .copy_to_host = ref_copy_to_host,
    .copy_device = ref_copy_device,
    .fill_zero = ref_fill_zero,
    .synchronize = ref_synchronize,
    .destroy = ref_destroy,
    .forward =
        {
            [GT_OP_CONV] = gt_ref_conv_forward,
            [GT_OP_LINEAR] = gt_ref_linear_forward,
            [GT_OP_ADD] = gt_ref_binary_forward,
            [GT_OP_SUB] = gt_ref_binary_forward,
            [GT_OP_MUL] = gt_ref_binary_forward,
            [GT_OP_DIV] = gt_ref_binary_forward,
            [GT_OP_RELU] = gt_ref_unary_forward,
            [GT_OP_LEAKY_RELU] = gt_ref_unary_forward,
            [GT_OP_SIGMOID] = gt_ref_unary_forward,
            [GT_OP_TANH] = gt_ref_unary_forward,
            [GT_OP_CLIP] = gt_ref_unary_forward,
            [GT_OP_MAXPOOL] = gt_ref_maxpool_forward,
            [GT_OP_AVGPOOL] = gt_ref_avgpool_forward,
            [GT_OP_BATCHNORM] = gt_ref_batchnorm_forward,
            [GT_OP_RESHAPE] = gt_ref_reshape_forward,
            [GT_OP_TRANSPOSE] = gt_ref_transpose_forward,
            [GT_OP_CONCAT] = gt_ref_concat_forward,
            [GT_OP_PAD] = gt_ref_pad_forward,
            [GT_OP_SOFTMAX] = gt_ref_softmax_forward,
        },
    .backward =
        {
            [GT_OP_CONV] = gt_ref_conv_backward,
            [GT_OP_LINEAR] = gt_ref_linear_backward,
            [GT_OP_ADD] = gt_ref_binary_backward,
            [GT_OP_SUB] = gt_ref_binary_backward,
            [GT_OP_MUL] = gt_ref_binary_backward,
            [GT_OP_DIV] = gt_ref_binary_backward,
            [GT_OP_RELU] = gt_ref_unary_backward,
            [GT_OP_LEAKY_RELU] = gt_ref_unary_backward,
            [GT_OP_SIGMOID] = gt_ref_unary_backward,
            [GT_OP_TANH] = gt_ref_unary_backward,
            [GT_OP_CLIP] = gt_ref_unary_backward,
            [GT_OP_MAXPOOL] = gt_ref_maxpool_backward,
            [GT_OP_AVGPOOL] = gt_ref_avgpool_backward,
            [GT_OP_BATCHNORM] = gt_ref_batchnorm_backward,
            [GT_OP_RESHAPE] = gt_ref_reshape_backward,
            [GT_OP_TRANSPOSE] = gt_ref_transpose_backward,
            [GT_OP_CONCAT] = gt_ref_concat_backward,
            [GT_OP_PAD] = gt_ref_pad_backward,
            [GT_OP_SOFTMAX] = gt_ref_softmax_backward,
        },
    /* scratch_bytes: all NULL, ref needs no scratch. */
    .loss = gt_ref_loss,
    .vec = &gt_ref_vec_iface, /* vecops.c: the attack vector ops */
    .train = &gt_ref_train_iface, /* train.c: weight gradients, batch norm training, SGD */
};

gt_status gt_backend_ref_create(gt_backend **out, gt_error *err) {
  if (!out) return gt_error_set(err, GT_ERR_USAGE, "gt_backend_ref_create: no output pointer");
  *out = NULL;
  gt_backend *be = calloc(1, sizeof *be);
  if (!be) return gt_error_set(err, GT_ERR_MEMORY, "gt_backend_ref_create: out of memory");
  be->iface = &ref_iface;
  be->ctx = NULL; /* ref keeps no state */
  *out = be;
  return GT_OK;
}

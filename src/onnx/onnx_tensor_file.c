/* Reading one serialized TensorProto on its own (the input_N.pb / output_N.pb files of ONNX's
 * test data) into a public gt_onnx_tensor_data, through the importer's checked decoder.
 *
 * A TensorProto nests only flat messages (segment, external_data entries), so protobuf-c's
 * recursive unpack cannot be driven deep by a hostile file and the model's wire walk is not
 * needed here; protobuf-c itself checks every length against the buffer. */
#include <stdlib.h>
#include <string.h>

#include "onnx/onnx_internal.h"

void gt_onnx_tensor_data_free(gt_onnx_tensor_data *t) {
  if (!t) return;
  free(t->name);
  free(t->data);
  free(t->ints);
  free(t);
}

/* Moves the decoded host tensor into the public form (float view always, exact ints when integer). */
static gt_status to_public(const Onnx__TensorProto *tp, const gt_onnx_tensor *h, const char *display,
                           gt_onnx_tensor_data **out, gt_error *err) {
  gt_onnx_tensor_data *t = calloc(1, sizeof *t);
  const char *name = tp->name ? tp->name : "";
  size_t name_len = strlen(name) + 1;
  size_t n = (size_t)(h->numel ? h->numel : 1);
  if (t) {
    t->name = malloc(name_len);
    t->data = calloc(n, sizeof *t->data);
    if (h->i) t->ints = calloc(n, sizeof *t->ints);
  }
  if (!t || !t->name || !t->data || (h->i && !t->ints)) {
    gt_onnx_tensor_data_free(t);
    return gt_error_set(err, GT_ERR_MEMORY, "%s: out of memory for a tensor of %lld elements", display,
                        (long long)h->numel);
  }
  memcpy(t->name, name, name_len);
  t->elem_type = h->elem;
  t->ndim = h->ndim;
  for (int d = 0; d < h->ndim; d++) t->shape[d] = h->shape[d];
  t->numel = h->numel;
  for (int64_t k = 0; k < h->numel; k++) {
    if (h->i) {
      t->ints[k] = h->i[k];
      t->data[k] = (float)h->i[k]; /* int64 -> float rounds; defined for every value */
    } else {
      t->data[k] = h->f[k];
    }
  }
  *out = t;
  return GT_OK;
}

gt_status gt_onnx_tensor_load_memory(const void *bytes, size_t size, const char *display_name,
                                     gt_onnx_tensor_data **out, gt_error *err) {
  if (!out) return gt_error_set(err, GT_ERR_USAGE, "gt_onnx_tensor_load_memory: no output pointer");
  *out = NULL;
  if (!display_name) display_name = "<memory>";
  if (!bytes && size) return gt_error_set(err, GT_ERR_USAGE, "%s: no bytes", display_name);
  if ((int64_t)size > GT_ONNX_MAX_FILE_BYTES)
    return gt_error_set(err, GT_ERR_LIMIT, "%s: %zu bytes; tensor files above %lld bytes are refused", display_name,
                        size, (long long)GT_ONNX_MAX_FILE_BYTES);
  /* An empty message is a valid (empty) TensorProto, but it has no data type: the decoder says so. */
  Onnx__TensorProto *tp = onnx__tensor_proto__unpack(NULL, size, size ? bytes : (const void *)"");
  if (!tp)
    return gt_error_set(err, GT_ERR_FORMAT, "%s: not a valid ONNX TensorProto (truncated or corrupt protobuf)",
                        display_name);
  gt_onnx_source src = {.display = display_name, .base_dir = NULL, .allow_external = 0};
  gt_onnx_tensor *h = NULL;
  gt_status st = gt_onnx_tensor_decode(tp, &src, "tensor", &h, err);
  if (st == GT_OK) st = to_public(tp, h, display_name, out, err);
  gt_onnx_tensor_free(h);
  onnx__tensor_proto__free_unpacked(tp, NULL);
  return st;
}

gt_status gt_onnx_tensor_load(const char *path, gt_onnx_tensor_data **out, gt_error *err) {
  if (!out || !path) return gt_error_set(err, GT_ERR_USAGE, "gt_onnx_tensor_load: no path or output pointer");
  *out = NULL;
  uint8_t *bytes = NULL;
  size_t size = 0;
  gt_status st = gt_onnx_read_file(path, &bytes, &size, err);
  if (st != GT_OK) return st;
  st = gt_onnx_tensor_load_memory(bytes, size, path, out, err);
  free(bytes);
  return st;
}

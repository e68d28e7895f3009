/* A non-recursive pass over the protobuf wire format before protobuf-c unpacks it.
 *
 * protobuf-c unpacks nested messages recursively with no depth limit, and ONNX messages can
 * nest without end (a node attribute holds a graph that holds nodes ...), so a small hostile
 * file could exhaust the stack. This walk follows the message fields named by the generated
 * descriptors with an explicit stack, checks every length against its enclosing message, and
 * refuses nesting deeper than GT_ONNX_MAX_NESTING. */
#include "onnx/onnx_internal.h"

typedef struct wire_frame {
  const ProtobufCMessageDescriptor *desc;
  size_t end;
} wire_frame;

/* Reads a varint at *pos (< end); returns 0 when it runs past end or over 10 bytes. */
static int read_varint(const uint8_t *b, size_t end, size_t *pos, uint64_t *out) {
  uint64_t v = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    if (*pos >= end) return 0;
    uint8_t byte = b[(*pos)++];
    if (shift < 64) v |= (uint64_t)(byte & 0x7f) << shift;
    if (!(byte & 0x80)) {
      *out = v;
      return 1;
    }
  }
  return 0;
}

static gt_status corrupt(const char *display, const char *what, size_t pos, gt_error *err) {
  return gt_error_set(err, GT_ERR_FORMAT, "%s: not a valid ONNX model (truncated or corrupt protobuf): %s at byte %zu",
                      display, what, pos);
}

gt_status gt_onnx_wire_check(const uint8_t *bytes, size_t size, const char *display, gt_error *err) {
  wire_frame stack[GT_ONNX_MAX_NESTING];
  int depth = 0;
  stack[0].desc = &onnx__model_proto__descriptor;
  stack[0].end = size;
  size_t pos = 0;
  for (;;) {
    if (pos == stack[depth].end) {
      if (depth == 0) return GT_OK;
      depth--;
      continue;
    }
    size_t end = stack[depth].end;
    size_t tag_pos = pos;
    uint64_t tag = 0, v = 0;
    if (!read_varint(bytes, end, &pos, &tag)) return corrupt(display, "bad field tag", tag_pos, err);
    uint64_t field_no = tag >> 3;
    if (field_no == 0 || field_no > 0x1fffffff) return corrupt(display, "field number 0", tag_pos, err);
    switch (tag & 7) {
      case 0:
        if (!read_varint(bytes, end, &pos, &v)) return corrupt(display, "bad varint", tag_pos, err);
        break;
      case 1:
        if (end - pos < 8) return corrupt(display, "64-bit field past the end of its message", tag_pos, err);
        pos += 8;
        break;
      case 5:
        if (end - pos < 4) return corrupt(display, "32-bit field past the end of its message", tag_pos, err);
        pos += 4;
        break;
      case 2: {
        if (!read_varint(bytes, end, &pos, &v)) return corrupt(display, "bad length", tag_pos, err);
        if (v > end - pos) return corrupt(display, "length past the end of its message", tag_pos, err);
        const ProtobufCFieldDescriptor *f =
            protobuf_c_message_descriptor_get_field(stack[depth].desc, (unsigned)field_no);
        if (f && f->type == PROTOBUF_C_TYPE_MESSAGE && f->descriptor) {
          if (depth + 1 >= GT_ONNX_MAX_NESTING)
            return gt_error_set(err, GT_ERR_LIMIT, "%s: protobuf messages nested deeper than %d levels at byte %zu",
                                display, GT_ONNX_MAX_NESTING, tag_pos);
          depth++;
          stack[depth].desc = f->descriptor;
          stack[depth].end = pos + (size_t)v;
        } else {
          pos += (size_t)v;
        }
        break;
      }
      default:
        return corrupt(display, "unsupported wire type", tag_pos, err);
    }
  }
}

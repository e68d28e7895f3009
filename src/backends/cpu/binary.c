/* Add, Sub, Mul, Div with numpy broadcasting of the two inputs to the output shape.
 *   a [..], b [..]  ->  y [broadcast shape]     either input may be a constant.
 * The shapes are first collapsed: y's dims of size 1 are dropped and neighbouring dims merged
 * while each input is broadcast along both or along neither. Same-shape inputs become one flat
 * dim, a per-channel constant [C, 1, 1] against [N, C, H, W] becomes [N, C, H*W] with the
 * constant broadcast along the last dim, and any other pattern is walked the same general way:
 * rows of the last collapsed dim, cut into fixed chunks that threads share out, with a tight
 * inner loop per (stride of a, stride of b) pattern.
 * The gradient of an input that was broadcast sums over the positions that read each of its
 * elements: one thread per element, the terms in row-major order, summed in double as ref does. */
#include "cpu_ops.h"

#include "gauntlet/hd/binary.h"

#define GT_CPU_BINARY_CHUNK 8192 /* elements per thread task along a row */

/* The collapsed broadcast plan (backends/op_check.h). */
typedef gt_op_bplan bplan;

static gt_status bcast_plan(const gt_op_call *call, bplan *bp, gt_error *err) {
  return gt_op_broadcast_plan("cpu", call, bp, err);
}

/* Element offsets in a, b, y of the start of row r (all collapsed dims but the last). */
static void row_offsets(const bplan *bp, int64_t r, int64_t off[3]) {
  int64_t idx[GT_MAX_DIMS];
  int outer = bp->ndim > 0 ? bp->ndim - 1 : 0;
  gt_cpu_unravel(r, outer, bp->shape, idx);
  for (int i = 0; i < 3; i++) {
    off[i] = 0;
    for (int d = 0; d < outer; d++) off[i] += idx[d] * bp->st[i][d];
  }
}

/* The rows of the last collapsed dim, each cut into chunks of GT_CPU_BINARY_CHUNK: a thread task
 * is one chunk. */
typedef struct row_tasks {
  int64_t inner, rows, per_row, count;
  int64_t ia, ib; /* strides of a and b along the last dim: 0 or 1 */
} row_tasks;

static row_tasks row_tasks_of(const bplan *bp) {
  row_tasks rt;
  int last = bp->ndim - 1;
  rt.inner = bp->ndim > 0 ? bp->shape[last] : 1;
  rt.ia = bp->ndim > 0 ? bp->st[0][last] : 0;
  rt.ib = bp->ndim > 0 ? bp->st[1][last] : 0;
  rt.rows = 1;
  for (int d = 0; d < last; d++) rt.rows *= bp->shape[d];
  rt.per_row = (rt.inner + GT_CPU_BINARY_CHUNK - 1) / GT_CPU_BINARY_CHUNK;
  rt.count = rt.rows * rt.per_row;
  return rt;
}

/* y[i] = EXPR(a[i*ia], b[i*ib]) for i < n, one loop per stride pattern so each vectorises. */
#define BINARY_LOOP(EXPR)                                                        \
  do {                                                                           \
    if (ia && ib) {                                                              \
      for (int64_t i = 0; i < n; i++) y[i] = EXPR(a[i], b[i]);                   \
    } else if (ia) {                                                             \
      float bv = b[0];                                                           \
      for (int64_t i = 0; i < n; i++) y[i] = EXPR(a[i], bv);                     \
    } else if (ib) {                                                             \
      float av = a[0];                                                           \
      for (int64_t i = 0; i < n; i++) y[i] = EXPR(av, b[i]);                     \
    } else {                                                                     \
      for (int64_t i = 0; i < n; i++) y[i] = EXPR(a[0], b[0]);                   \
    }                                                                            \
  } while (0)

#define OP_ADD(u, v) ((u) + (v))
#define OP_SUB(u, v) ((u) - (v))
#define OP_MUL(u, v) ((u) * (v))
#define OP_DIV(u, v) ((u) / (v))

static void forward_chunk(gt_op_kind op, const float *a, int64_t ia, const float *b, int64_t ib, float *y, int64_t n) {
  switch (op) {
    case GT_OP_ADD: BINARY_LOOP(OP_ADD); break;
    case GT_OP_SUB: BINARY_LOOP(OP_SUB); break;
    case GT_OP_MUL: BINARY_LOOP(OP_MUL); break;
    default: BINARY_LOOP(OP_DIV); break;
  }
}

gt_status gt_cpu_binary_forward(gt_backend *be, const gt_op_call *call, gt_error *err) {
  bplan bp;
  gt_status st = bcast_plan(call, &bp, err);
  if (st != GT_OK) return st;
  int64_t total = gt_tensor_numel(call->out);
  if (total == 0) return GT_OK;
  row_tasks rt = row_tasks_of(&bp);
  const float *a = call->in[0]->data, *b = call->in[1]->data;
  float *y = call->out->data;
  gt_op_kind op = call->node->op;
#pragma omp parallel for num_threads(gt_cpu_threads(be)) schedule(static) if (total >= GT_CPU_PAR_MIN)
  for (int64_t task = 0; task < rt.count; task++) {
    int64_t r = task / rt.per_row, j0 = (task % rt.per_row) * GT_CPU_BINARY_CHUNK;
    int64_t n = rt.inner - j0 < GT_CPU_BINARY_CHUNK ? rt.inner - j0 : GT_CPU_BINARY_CHUNK;
    int64_t off[3];
    row_offsets(&bp, r, off);
    forward_chunk(op, a + off[0] + j0 * rt.ia, rt.ia, b + off[1] + j0 * rt.ib, rt.ib, y + off[2] + j0, n);
  }
  return GT_OK;
}

/* dx[i] += dy[i] * partial(a[i*ia], b[i*ib]) for i < n: the input is not broadcast, so each of
 * its elements gets exactly one term. */
static void backward_chunk(gt_op_kind op, int which, const float *a, int64_t ia, const float *b, int64_t ib,
                           const float *dy, float *dx, int64_t n) {
  if (op == GT_OP_ADD || (op == GT_OP_SUB && which == 0)) {
    for (int64_t i = 0; i < n; i++) dx[i] += dy[i];
  } else if (op == GT_OP_SUB) {
    for (int64_t i = 0; i < n; i++) dx[i] += -dy[i];
  } else if (op == GT_OP_MUL && which == 0) {
    for (int64_t i = 0; i < n; i++) dx[i] += dy[i] * b[i * ib];
  } else if (op == GT_OP_MUL) {
    for (int64_t i = 0; i < n; i++) dx[i] += dy[i] * a[i * ia];
  } else {
    for (int64_t i = 0; i < n; i++) dx[i] += dy[i] * gt_binary_partial(op, which, a[i * ia], b[i * ib]);
  }
}

/* The broadcast input's gradient: element e of in[which] gets the sum over the collapsed dims
 * along which it is broadcast (red), at its own index along the others. */
static void backward_reduce(const bplan *bp, gt_op_kind op, int which, const float *a, const float *b,
                            const float *dy, float *dx, int64_t numel, int nt) {
  int own[GT_MAX_DIMS], red[GT_MAX_DIMS], n_own = 0, n_red = 0;
  int64_t own_shape[GT_MAX_DIMS], red_shape[GT_MAX_DIMS], red_outer = 1;
  for (int d = 0; d < bp->ndim; d++) {
    if (bp->st[which][d] != 0) {
      own_shape[n_own] = bp->shape[d];
      own[n_own++] = d;
    } else {
      red_shape[n_red] = bp->shape[d];
      red[n_red++] = d;
    }
  }
  /* The last reduced dim is the tight loop; the others are walked by index. */
  int last = red[n_red - 1];
  int64_t red_len = bp->shape[last];
  for (int k = 0; k < n_red - 1; k++) red_outer *= red_shape[k];
#pragma omp parallel for num_threads(nt) schedule(static) if (numel * red_len * red_outer >= GT_CPU_PAR_MIN)
  for (int64_t e = 0; e < numel; e++) {
    int64_t idx[GT_MAX_DIMS], base[3] = {0, 0, 0};
    gt_cpu_unravel(e, n_own, own_shape, idx);
    for (int k = 0; k < n_own; k++)
      for (int i = 0; i < 3; i++) base[i] += idx[k] * bp->st[i][own[k]];
    double acc = 0.0;
    for (int64_t q = 0; q < red_outer; q++) {
      int64_t ridx[GT_MAX_DIMS], off[3] = {base[0], base[1], base[2]};
      gt_cpu_unravel(q, n_red - 1, red_shape, ridx);
      for (int k = 0; k < n_red - 1; k++)
        for (int i = 0; i < 3; i++) off[i] += ridx[k] * bp->st[i][red[k]];
      for (int64_t j = 0; j < red_len; j++) {
        float av = a[off[0] + j * bp->st[0][last]], bv = b[off[1] + j * bp->st[1][last]];
        acc += (double)dy[off[2] + j * bp->st[2][last]] * (double)gt_binary_partial(op, which, av, bv);
      }
    }
    dx[e] += (float)acc;
  }
}

gt_status gt_cpu_binary_backward(gt_backend *be, const gt_op_call *call, const gt_tensor *grad_out,
                                 gt_tensor *const *grad_in, gt_error *err) {
  bplan bp;
  gt_status st = bcast_plan(call, &bp, err);
  if (st == GT_OK) st = gt_cpu_check_backward(call, 2, 2, grad_out, grad_in, err);
  if (st != GT_OK) return st;
  int64_t total = gt_tensor_numel(call->out);
  if (total == 0) return GT_OK;
  const float *a = call->in[0]->data, *b = call->in[1]->data, *dy = grad_out->data;
  gt_op_kind op = call->node->op;
  int nt = gt_cpu_threads(be);
  row_tasks rt = row_tasks_of(&bp);
  for (int which = 0; which < 2; which++) {
    if (!grad_in[which]) continue;
    float *dx = grad_in[which]->data;
    int64_t numel = gt_tensor_numel(call->in[which]);
    if (numel != total) {
      backward_reduce(&bp, op, which, a, b, dy, dx, numel, nt);
      continue;
    }
    /* Not broadcast: in[which] is laid out exactly like y. */
#pragma omp parallel for num_threads(nt) schedule(static) if (total >= GT_CPU_PAR_MIN)
    for (int64_t task = 0; task < rt.count; task++) {
      int64_t r = task / rt.per_row, j0 = (task % rt.per_row) * GT_CPU_BINARY_CHUNK;
      int64_t n = rt.inner - j0 < GT_CPU_BINARY_CHUNK ? rt.inner - j0 : GT_CPU_BINARY_CHUNK;
      int64_t off[3];
      row_offsets(&bp, r, off);
      backward_chunk(op, which, a + off[0] + j0 * rt.ia, rt.ia, b + off[1] + j0 * rt.ib, rt.ib, dy + off[2] + j0,
                     dx + off[2] + j0, n);
    }
  }
  return GT_OK;
}

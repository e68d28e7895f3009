/* Square: the score-based black-box attack of Andriushchenko, Croce, Flammarion and Hein, "Square
 * Attack: a query-efficient black-box adversarial attack via random search" (ECCV 2020), as
 * AutoAttack runs it. It sees logits only (gt_oracle_logits), never a gradient.
 *
 *   x_best = init (Linf: vertical stripes x0 +- eps per channel and column; L2: a grid of bumps
 *            on the eps-sphere)                                      query 1
 *   for it = 0 .. queries-1:
 *     s      = side for the fraction p(it) (gt_square_p_selection, not rescaled to the budget)
 *     x_new  = one random square update of x_best (Linf: +-2 eps per channel on an s x s window,
 *              then projected; L2: the paired window update that keeps the norm)   query it + 2
 *     x_best = x_new where the margin loss improved (strictly)
 * Row math: gauntlet/hd/square.h, run by the backend's square_init / square_step ops; the margin
 * loss max_{i!=y} z_i - z_y (targeted: z_t - max_{i!=t} z_i) is the C&W kind of gauntlet/hd/loss.h,
 * computed on the device by logit_loss and tracked by track_max.
 *
 * Any-query success: a row is finished, with x_adv = that candidate, at its first misclassified
 * query (the reference's margin <= 0, decided here by the argmax rule of the run loop so that
 * every claimed success is confirmed); finished rows leave the working set.
 *
 * Cost: one forward pass per query and row; a surviving row spends queries + 1 passes (the
 * initial point and `queries` updates, as AutoAttack's loop). Defaults: 5000 queries
 * (cfg.steps), p_init 0.8, one restart; the draws of query q of restart r of a point come from
 * (seed, ATTACK stream, original sample index, r, step q), q = 0 for the initial point. */
#include <math.h>
#include <stdlib.h>

#include "attack/attack_list.h"
#include "attack/attack_util.h"
#include "gauntlet/hd/square.h"
#include "gauntlet/workset.h"

#define SQUARE_DEFAULT_QUERIES 5000
#define SQUARE_MAX_QUERIES 100000000 /* query indices are 32-bit RNG steps */

typedef struct square_state {
  gt_attack_config cfg;
  gt_oracle *o;
  gt_workset *ws;
  int64_t c, h, w;
  gt_loss_kind kind;
  float *x_new;       /* workset column [cap, d]: this query's candidates */
  float *best;        /* workset column [cap]: best margin loss so far (ascended) */
  float *loss;        /* [cap] margin loss of the candidates */
  float *logits;      /* [cap, k] */
  int32_t *improved;  /* [cap] */
} square_state;

static gt_status square_resolve(gt_attack_config *cfg, gt_error *err) {
  if (cfg->steps == 0) cfg->steps = SQUARE_DEFAULT_QUERIES;
  if (cfg->steps < 1 || cfg->steps > SQUARE_MAX_QUERIES)
    return gt_error_set(err, GT_ERR_USAGE, "square: %d queries is outside 1..%d", cfg->steps, SQUARE_MAX_QUERIES);
  if (cfg->eot > 1)
    return gt_error_set(err, GT_ERR_USAGE,
                        "square: EOT %d asked, but square is score-based: EOT averages gradients, which it never uses",
                        cfg->eot);
  /* The margin loss always (AutoAttack's Square); cfg.loss is replaced so the result says so. */
  cfg->loss = cfg->targeted != GT_TARGET_NONE ? GT_LOSS_CW_TARGETED : GT_LOSS_CW;
  cfg->random_start = 1;
  return GT_OK;
}

static void square_destroy(void *state) {
  square_state *s = state;
  if (!s) return;
  gt_workset_free(s->ws); /* frees the x_new and best columns */
  gt_attack_free(s->o, s->loss);
  gt_attack_free(s->o, s->logits);
  gt_attack_free(s->o, s->improved);
  free(s);
}

static gt_status square_create(const gt_attack_config *cfg, gt_oracle *o, void **state, gt_error *err) {
  int rank = 0;
  const int64_t *shape = gt_oracle_input_shape(o, &rank);
  if (rank != 3 || !shape)
    return gt_error_set(err, GT_ERR_UNSUPPORTED, "square: needs image inputs [C, H, W]; the model's input has rank %d",
                        rank);
  square_state *s = calloc(1, sizeof *s);
  if (!s) return gt_error_set(err, GT_ERR_MEMORY, "square: out of memory");
  s->cfg = *cfg;
  s->o = o;
  s->c = shape[0];
  s->h = shape[1];
  s->w = shape[2];
  s->kind = cfg->loss;
  int64_t cap = gt_oracle_max_batch(o), d = gt_oracle_input_numel(o);
  gt_status st = gt_workset_create(o, &s->ws, err);
  if (st == GT_OK) st = gt_workset_add_column(s->ws, (void **)&s->x_new, (size_t)d * sizeof(float), err);
  if (st == GT_OK) st = gt_workset_add_column(s->ws, (void **)&s->best, sizeof(float), err);
  if (st == GT_OK) st = gt_attack_alloc(o, cap, sizeof(float), (void **)&s->loss, err);
  if (st == GT_OK) st = gt_attack_alloc(o, cap * gt_oracle_num_classes(o), sizeof(float), (void **)&s->logits, err);
  if (st == GT_OK) st = gt_attack_alloc(o, cap, sizeof(int32_t), (void **)&s->improved, err);
  if (st != GT_OK) {
    square_destroy(s);
    return st;
  }
  *state = s;
  return GT_OK;
}

/* One query of the active rows at x: logits, one forward pass charged per row, margin loss. */
static gt_status query(square_state *s, const float *x, float *loss, gt_error *err) {
  gt_workset *ws = s->ws;
  gt_status st = gt_oracle_logits(s->o, x, ws->n, s->logits, err);
  if (st != GT_OK) return st;
  gt_workset_charge(ws, 1, 0);
  return gt_oracle_vec(s->o)->logit_loss(gt_oracle_backend(s->o), s->kind, s->logits, ws->n, ws->k, ws->labels,
                                         ws->targets, loss, err);
}

static gt_vec_square square_args(const square_state *s, const gt_attack_batch *b) {
  gt_vec_square sq = {
      .norm = s->cfg.norm,
      .n = s->ws->n,
      .c = s->c,
      .h = s->h,
      .w = s->w,
      .eps = s->cfg.eps,
      .x0 = s->ws->x0,
      .seed = s->cfg.seed,
      .stream = GT_RNG_STREAM_ATTACK,
      .restart = b->restart,
      .sample_ids = s->ws->ids,
  };
  return sq;
}

static gt_status square_run(void *state, gt_oracle *o, gt_attack_batch *b, gt_error *err) {
  square_state *s = state;
  gt_workset *ws = s->ws;
  gt_backend *be = gt_oracle_backend(o);
  const gt_vec_iface *v = gt_oracle_vec(o);
  size_t row = (size_t)ws->d * sizeof(float);
  gt_status st = gt_workset_begin(ws, b, err);
  /* Query 1: the initial point, straight into x (the best point so far) and best. */
  if (st == GT_OK) {
    gt_vec_square sq = square_args(s, b);
    sq.out = ws->x;
    st = v->square_init(be, &sq, err);
  }
  if (st == GT_OK) st = query(s, ws->x, s->best, err);
  if (st == GT_OK) st = gt_workset_check(ws, s->logits, err);
  if (st == GT_OK) st = gt_workset_retire(ws, ws->flags_host, ws->x, err);
  for (int64_t it = 0; st == GT_OK && ws->n > 0 && it < s->cfg.steps; it++) {
    double p = gt_square_p_selection(GT_SQUARE_P_INIT, it);
    gt_vec_square sq = square_args(s, b);
    sq.side = gt_square_side(s->cfg.norm, p, s->c, s->h, s->w);
    sq.x = ws->x;
    sq.step = (uint32_t)(it + 1);
    sq.out = s->x_new;
    st = v->square_step(be, &sq, err);
    if (st == GT_OK) st = query(s, s->x_new, s->loss, err);
    /* Keep the candidate where the loss rose strictly (the reference's margin < margin_min). */
    if (st == GT_OK) st = v->track_max(be, s->loss, ws->n, s->best, s->improved, NULL, NULL, err);
    if (st == GT_OK) st = v->copy_rows_masked(be, s->improved, s->x_new, ws->n, row, ws->x, err);
    if (st == GT_OK) st = gt_workset_check(ws, s->logits, err);
    if (st == GT_OK) st = gt_workset_retire(ws, ws->flags_host, s->x_new, err);
  }
  if (st == GT_OK) st = gt_workset_end(ws, err);
  return st;
}

const gt_attack gt_attack_square = {
    .name = "square",
    .summary = "Square attack: score-based random search with square updates (Andriushchenko et al.)",
    .norms = GT_NORM_BIT(GT_NORM_LINF) | GT_NORM_BIT(GT_NORM_L2),
    .access = GT_ACCESS_SCORES,
    .goal = GT_GOAL_BOUNDED,
    .targeted = 1,
    .resolve = square_resolve,
    .create = square_create,
    .run = square_run,
    .destroy = square_destroy,
};

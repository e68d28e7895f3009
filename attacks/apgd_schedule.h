/* APGD's schedules and per-row checkpoint decisions, on the host (attacks/apgd.c runs the device
 * loop and calls these with [n] values it copied back at a checkpoint). Kept apart so that tests
 * can check the schedules directly.
 *
 * Linf, L2 (Croce & Hein 2020): checkpoints w_j at fractions p_0 = 0, p_1 = 0.22, p_{j+1} = p_j +
 * max(p_j - p_{j-1} - 0.03, 0.06) of the iterations, in AutoAttack's integer form: the first
 * interval is max(int(0.22 N), 1) iterations, each next one max(previous - max(int(0.03 N), 1),
 * max(int(0.06 N), 1)). For N = 100: 22, 41, 57, 70, 80, 87, 93, 99 (the paper's fractions times N;
 * for N = 200 and 1000 too). At a checkpoint a row halves its step size and restarts from its best
 * point when the loss rose in at most rho = 0.75 of the steps since the previous checkpoint, or
 * when its step was not halved at the previous checkpoint and its best loss did not improve since.
 *
 * L1 (Croce & Hein 2021, "Mind the box", as AutoAttack's standard L1 version runs it): three stages
 * at radii 3 eps, 2 eps, eps with ceil(0.3 N), ceil(0.3 N) and the remaining iterations, each stage
 * starting from the previous stage's best point projected onto its ball. Within a stage, every
 * max(int(0.04 n), 1) iterations (n: the stage's iterations) the sparsity k of the steps and the
 * step size adapt to the sparsity of the best point (gt_apgd_l1_checkpoint). */
#ifndef GAUNTLET_ATTACKS_APGD_SCHEDULE_H
#define GAUNTLET_ATTACKS_APGD_SCHEDULE_H

#include <stdint.h>

/* AutoAttack's constants. */
#define GT_APGD_DEFAULT_STEPS 100
#define GT_APGD_RHO 0.75            /* share of rising steps below which the step is halved */
#define GT_APGD_MOMENTUM 0.75f      /* weight of the new step; 1 - it on the previous move */
#define GT_APGD_STEP_LINF_L2 2.0f   /* initial step size in units of eps */
#define GT_APGD_STEP_L1 1.0f
#define GT_APGD_L1_STAGES 3
#define GT_APGD_L1_MIN_STEPS 3      /* one iteration per stage at least */
#define GT_APGD_L1_SHRINK 0.95      /* sparsity drop that resets the step size and restarts */
#define GT_APGD_L1_K_DIVISOR 1.5    /* k = (L0 of the best point) / 1.5 */
#define GT_APGD_L1_STEP_DIVISOR 1.5f
#define GT_APGD_L1_MIN_STEP_FRACTION 0.1f

/* The checkpoints of n_iter iterations (iteration counts w_j <= n_iter, increasing): writes the
 * first min(count, cap) into out and returns count (0 when n_iter < 1). */
int gt_apgd_checkpoints(int n_iter, int *out, int cap);

/* Linf, L2: 1 when a row halves its step size and restarts from its best point at a checkpoint.
 * rises: steps since the previous checkpoint whose loss exceeded the previous iterate's;
 * interval: steps since the previous checkpoint; reduced_last: the row halved at the previous
 * checkpoint (1 before the first one); best_last, best: its best loss then and now. */
int gt_apgd_halve(int32_t rises, int interval, int reduced_last, float best_last, float best);

/* L1: iterations of the three stages (radii 3 eps, 2 eps, eps); n_iter >= GT_APGD_L1_MIN_STEPS. */
void gt_apgd_l1_stages(int n_iter, int iters[GT_APGD_L1_STAGES]);

/* L1: iterations between two adaptations within a stage of stage_iters iterations. */
int gt_apgd_l1_interval(int stage_iters);

/* L1: coordinates per sparse step when the best point moves l0 of the d coordinates: the top
 * l0 / (1.5 d) fraction of the gradient, as AutoAttack counts it (d - int((1 - f) d), clamped to
 * 1..d). */
int32_t gt_apgd_l1_k(double l0, int64_t d);

/* L1 adaptation of one row: l0 is the L0 size of its best point now, *l0_old at the previous
 * adaptation (updated to l0). When the size fell below 0.95 of it, the step size is reset to
 * alpha0 (the stage's initial one) and the function returns 1 (the row restarts from its best
 * point); otherwise the step size is divided by 1.5, never below alpha0 / 10, and it returns 0.
 * *k gets gt_apgd_l1_k(l0, d). */
int gt_apgd_l1_checkpoint(float l0, float *l0_old, float *alpha, float alpha0, int64_t d, int32_t *k);

#endif

/* Internal: the attack descriptors defined in attacks/<family>.c, listed once here so that
 * src/attack/registry.c and the definitions are checked against each other by the compiler.
 * To add an attack: define `const gt_attack gt_attack_<name>` in its file, declare it here and
 * add it to the table in registry.c. */
#ifndef GAUNTLET_ATTACK_LIST_H
#define GAUNTLET_ATTACK_LIST_H

#include "gauntlet/attack.h"

extern const gt_attack gt_attack_fgsm;   /* attacks/fgsm.c */
extern const gt_attack gt_attack_fgm;    /* attacks/fgsm.c: the same attack under its L2 name */
extern const gt_attack gt_attack_bim;    /* attacks/pgd.c */
extern const gt_attack gt_attack_pgd;    /* attacks/pgd.c */
extern const gt_attack gt_attack_mifgsm; /* attacks/mifgsm.c */
extern const gt_attack gt_attack_apgd_ce;  /* attacks/apgd.c */
extern const gt_attack gt_attack_apgd_dlr; /* attacks/apgd.c */
extern const gt_attack gt_attack_apgd_t;   /* attacks/apgd.c */
extern const gt_attack gt_attack_square; /* attacks/square.c */
extern const gt_attack gt_attack_fab;    /* attacks/fab.c */
extern const gt_attack gt_attack_fab_t;  /* attacks/fab.c */

extern const gt_attack gt_attack_cw_l2;    /* attacks/cw.c */
extern const gt_attack gt_attack_deepfool; /* attacks/deepfool.c */
extern const gt_attack gt_attack_fmn;      /* attacks/fmn.c */

#endif

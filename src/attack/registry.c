/* The attack registry: every attack the library knows, by name. */
#include <string.h>

#include "attack_list.h"

static const gt_attack *const registry[] = {
    &gt_attack_fgsm,
    &gt_attack_fgm,
    &gt_attack_bim,
    &gt_attack_pgd,
    &gt_attack_mifgsm,
    &gt_attack_apgd_ce,
    &gt_attack_apgd_dlr,
    &gt_attack_apgd_t,
    &gt_attack_square,
    &gt_attack_fab,
    &gt_attack_fab_t,
    &gt_attack_cw_l2,
    &gt_attack_deepfool,
    &gt_attack_fmn,
};

int gt_attack_count(void) { return (int)(sizeof registry / sizeof registry[0]); }

const gt_attack *gt_attack_get(int index) {
  if (index < 0 || index >= gt_attack_count()) return NULL;
  return registry[index];
}

const gt_attack *gt_attack_find(const char *name) {
  if (!name) return NULL;
  for (int i = 0; i < gt_attack_count(); i++)
    if (strcmp(registry[i]->name, name) == 0) return registry[i];
  return NULL;
}

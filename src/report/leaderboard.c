/* Ownership of the leaderboard data model (gauntlet/leaderboard.h). */
#include "gauntlet/leaderboard.h"

#include <stdlib.h>
#include <string.h>

void gt_leaderboard_free(gt_leaderboard *lb) {
  if (!lb) return;
  for (int t = 0; t < lb->n_tables; t++) free(lb->tables[t].entries);
  free(lb->tables);
  memset(lb, 0, sizeof(*lb));
}

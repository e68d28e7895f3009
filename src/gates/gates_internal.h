/* Helpers shared by the files of src/gates (not part of the public API). */
#ifndef GAUNTLET_GATES_INTERNAL_H
#define GAUNTLET_GATES_INTERNAL_H

#include <stdio.h>

#include "gauntlet/gates.h"

/* Two eps values written differently ("8/255" and 0.0313725) are the same ball. */
int gt_gates_eps_equal(double a, double b);

/* The minimums cfg sets for entry e (NaN when no rule sets one). */
void gt_gates_minimums(const gt_gate_config *cfg, const gt_lb_entry *e, double *min_clean, double *min_robust);

/* Writes text XML-escaped; bytes XML cannot carry become '?'. */
void gt_xml_put(FILE *f, const char *text);

#endif

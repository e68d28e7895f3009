/* JUnit XML for CI systems: one <testcase> per leaderboard entry (model, threat model, eps), a
 * <failure> with the numbers of every failed gate, <skipped> when no gate selects the entry. */
#include <stdio.h>

#include "gates/gates_internal.h"

static void put_attr(FILE *f, const char *name, const char *value) {
  fprintf(f, " %s=\"", name);
  gt_xml_put(f, value);
  fputc('"', f);
}

static void case_write(FILE *f, const gt_gate_case *c, int smoke) {
  char name[256], classname[128], line[512];
  snprintf(name, sizeof name, "%s %s eps=%s%s", c->model, c->threat_model, c->eps_text, smoke ? " [smoke]" : "");
  snprintf(classname, sizeof classname, "gauntlet.gates.%s.%s", c->dataset, c->threat_model);
  fputs("    <testcase", f);
  put_attr(f, "classname", classname);
  put_attr(f, "name", name);
  fprintf(f, " time=\"%.3f\">\n", c->seconds >= 0 ? c->seconds : 0.0);
  if (c->n_checks == 0) {
    fputs("      <skipped message=\"no gate selects this entry\"/>\n", f);
  } else if (c->failed) {
    int first = 0;
    while (c->checks[first].passed) first++;
    /* message: the first failed check; body: every failed check, one per line. */
    gt_gate_check_describe(c, &c->checks[first], line, sizeof line);
    fputs("      <failure type=\"gate\"", f);
    put_attr(f, "message", line);
    fputs(">", f);
    for (int k = first; k < c->n_checks; k++) {
      if (c->checks[k].passed) continue;
      gt_gate_check_describe(c, &c->checks[k], line, sizeof line);
      gt_xml_put(f, line);
      fputc('\n', f);
    }
    fputs("</failure>\n", f);
  }
  fputs("      <system-out>", f);
  snprintf(line, sizeof line, "clean accuracy %.4f, robust accuracy %.4f%s\n", c->clean_acc, c->robust_acc,
           smoke ? " (smoke preset: not a full evaluation)" : "");
  gt_xml_put(f, line);
  for (int k = 0; k < c->n_checks; k++) {
    gt_gate_check_describe(c, &c->checks[k], line, sizeof line);
    gt_xml_put(f, line);
    fputc('\n', f);
  }
  fputs("</system-out>\n    </testcase>\n", f);
}

gt_status gt_gates_junit_write(FILE *f, const gt_gate_report *r, const char *title, gt_error *err) {
  int failures = 0, skipped = 0;
  double seconds = 0;
  for (int i = 0; i < r->n_cases; i++) {
    failures += r->cases[i].failed;
    skipped += r->cases[i].n_checks == 0;
    if (r->cases[i].seconds > 0) seconds += r->cases[i].seconds;
  }
  char suite[256];
  snprintf(suite, sizeof suite, "%s%s", title && title[0] ? title : "gauntlet gates",
           r->smoke ? " (smoke preset)" : "");
  fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites", f);
  put_attr(f, "name", suite);
  fprintf(f, " tests=\"%d\" failures=\"%d\" errors=\"0\" skipped=\"%d\" time=\"%.3f\">\n", r->n_cases, failures,
          skipped, seconds);
  fputs("  <testsuite", f);
  put_attr(f, "name", suite);
  fprintf(f, " tests=\"%d\" failures=\"%d\" errors=\"0\" skipped=\"%d\" time=\"%.3f\">\n", r->n_cases, failures,
          skipped, seconds);
  fprintf(f, "    <properties>\n      <property name=\"smoke\" value=\"%s\"/>\n", r->smoke ? "true" : "false");
  fprintf(f, "      <property name=\"failed_gates\" value=\"%d\"/>\n    </properties>\n", r->n_failed);
  for (int i = 0; i < r->n_cases; i++) case_write(f, &r->cases[i], r->smoke || r->cases[i].smoke);
  fputs("  </testsuite>\n</testsuites>\n", f);
  if (fflush(f) != 0 || ferror(f)) return gt_error_set(err, GT_ERR_IO, "could not write the JUnit XML");
  return GT_OK;
}

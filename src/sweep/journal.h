/* The sweep journal OUT/results.jsonl: a header line (format, config hash, the whole config), then
 * one JSON line per finished record ("clean" per (model, dataset), "job" per (model, dataset,
 * threat model, eps)), each written with one write() and fsync'ed before the sweep goes on. A
 * reader ignores a torn last line (a kill in the middle of a write); the writer cuts it off. */
#ifndef GT_SWEEP_JOURNAL_H
#define GT_SWEEP_JOURNAL_H

#include <cjson/cJSON.h>

#include "gauntlet/sweep.h"

#define GT_JOURNAL_FORMAT 1

typedef struct gt_journal {
  int fd;
  char path[GT_SWEEP_PATH_MAX + 32];
} gt_journal;

/* Reads OUTDIR/results.jsonl: *header (the first line) and *records (an array of the others).
 * GT_ERR_IO when the file is missing; GT_ERR_FORMAT naming the line when a line is corrupt.
 * *valid_bytes receives the length of the complete lines (the torn tail excluded). */
gt_status gt_journal_read(const char *outdir, cJSON **header, cJSON **records, long *valid_bytes, gt_error *err);

/* Opens the journal for appending. A missing journal is created with a header for cfg; an
 * existing one needs resume and the same config hash (else a clear refusal), its torn tail is cut
 * off and its records are returned in *records (an empty array for a new journal). */
gt_status gt_journal_open(const char *outdir, const gt_sweep_config *cfg, int resume, const char *version,
                          const char *git_commit, gt_journal *j, cJSON **records, gt_error *err);

/* Appends one record as a line and fsyncs it. */
gt_status gt_journal_append(gt_journal *j, const cJSON *record, gt_error *err);
void gt_journal_close(gt_journal *j);

/* The record of type "clean" for (model, dataset), or of type "job" for (model, dataset, threat, eps
 * index); NULL when not journaled. */
const cJSON *gt_journal_find(const cJSON *records, const char *type, int model, int dataset, int threat, int eps);

#endif

/* Whole-file writes through a temporary name and a rename, so a reader of the output folder never
 * sees half a report or half a PNG. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "report/report_internal.h"

gt_status gt_report_file_write_atomic(const char *path, const void *data, size_t n, gt_error *err) {
  char tmp[4096];
  int len = snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
  if (len < 0 || (size_t)len >= sizeof tmp) return gt_error_set(err, GT_ERR_LIMIT, "%s: path too long", path);
  FILE *f = fopen(tmp, "wb");
  if (!f) return gt_error_set(err, GT_ERR_IO, "%s: cannot create: %s", tmp, strerror(errno));
  int ok = fwrite(data, 1, n, f) == n;
  ok = (fflush(f) == 0) && ok;
  int saved = errno;
  if (fclose(f) != 0 && ok) {
    ok = 0;
    saved = errno;
  }
  if (!ok) {
    unlink(tmp);
    return gt_error_set(err, GT_ERR_IO, "%s: write failed: %s", tmp, strerror(saved));
  }
  if (rename(tmp, path) != 0) {
    saved = errno;
    unlink(tmp);
    return gt_error_set(err, GT_ERR_IO, "%s: cannot rename %s to it: %s", path, tmp, strerror(saved));
  }
  return GT_OK;
}

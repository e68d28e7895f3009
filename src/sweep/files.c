/* Whole files written so that a reader never sees half of one: a temporary name in the same
 * folder, fsync, rename over the final name, fsync of the folder (so the rename survives a crash). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "gauntlet/sweep.h"

static void sync_parent(const char *path) {
  char dir[GT_SWEEP_PATH_MAX];
  snprintf(dir, sizeof dir, "%s", path);
  char *slash = strrchr(dir, '/');
  if (slash) *slash = '\0';
  else snprintf(dir, sizeof dir, ".");
  int fd = open(dir, O_RDONLY);
  if (fd >= 0) {
    fsync(fd);
    close(fd);
  }
}

gt_status gt_file_write_atomic(const char *path, const void *data, size_t size, gt_error *err) {
  char tmp[GT_SWEEP_PATH_MAX + 16];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return gt_error_set(err, GT_ERR_IO, "%s: cannot create: %s", tmp, strerror(errno));
  const char *p = data;
  size_t left = size;
  while (left > 0) {
    ssize_t w = write(fd, p, left);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      int e = errno;
      close(fd);
      unlink(tmp);
      return gt_error_set(err, GT_ERR_IO, "%s: write failed: %s", tmp, strerror(e));
    }
    p += w;
    left -= (size_t)w;
  }
  if (fsync(fd) != 0 || close(fd) != 0) {
    unlink(tmp);
    return gt_error_set(err, GT_ERR_IO, "%s: cannot flush to disk: %s", tmp, strerror(errno));
  }
  if (rename(tmp, path) != 0) {
    int e = errno;
    unlink(tmp);
    return gt_error_set(err, GT_ERR_IO, "%s: cannot rename to %s: %s", tmp, path, strerror(e));
  }
  sync_parent(path);
  return GT_OK;
}

/* Implementation of the tiny runner declared in gt_test.h. */
#include "gt_test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int g_passed, g_failed, g_skipped;
static int g_case_failures, g_case_skipped;
static const char *g_case_name = "?";

int gt_test_check(int cond, const char *file, int line, const char *expr, const char *fmt, ...) {
  if (cond) return 1;
  g_case_failures++;
  if (g_case_failures <= 20) {
    fprintf(stderr, "  FAIL %s:%d [%s] %s: ", file, line, g_case_name, expr);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
  } else if (g_case_failures == 21) {
    fprintf(stderr, "  (further failures of %s not shown)\n", g_case_name);
  }
  return 0;
}

int gt_test_close(double a, double b, double atol, double rtol) {
  if (isnan(a) || isnan(b)) return 0;
  return fabs(a - b) <= atol + rtol * fabs(b);
}

void gt_test_skip(const char *fmt, ...) {
  g_case_skipped = 1;
  fprintf(stderr, "  SKIP [%s]: ", g_case_name);
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
}

void gt_test_run(const char *name, void (*fn)(void)) {
  g_case_name = name;
  g_case_failures = 0;
  g_case_skipped = 0;
  fn();
  if (g_case_failures) {
    g_failed++;
    fprintf(stderr, "FAILED  %s (%d failed checks)\n", name, g_case_failures);
  } else if (g_case_skipped) {
    g_skipped++;
    fprintf(stderr, "skipped %s\n", name);
  } else {
    g_passed++;
    fprintf(stderr, "ok      %s\n", name);
  }
}

int gt_test_finish(void) {
  fflush(stderr);
  printf("%d passed, %d failed, %d skipped\n", g_passed, g_failed, g_skipped);
  fflush(stdout);
  return g_failed ? 1 : 0;
}

const char *gt_test_tmp_path(const char *name, char *buf, size_t size) {
  snprintf(buf, size, "%s/%s", GT_TMP_DIR, name);
  return buf;
}

static void read_all(const char *path, char *buf, size_t size) {
  if (!buf || size == 0) return;
  buf[0] = '\0';
  FILE *f = fopen(path, "rb");
  if (!f) return;
  size_t n = fread(buf, 1, size - 1, f);
  buf[n] = '\0';
  fclose(f);
}

int gt_test_run_command(const char *cmd, char *out, size_t out_size, char *err, size_t err_size) {
  char out_path[512], err_path[512];
  snprintf(out_path, sizeof out_path, "%s/cmd-%d.out", GT_TMP_DIR, (int)getpid());
  snprintf(err_path, sizeof err_path, "%s/cmd-%d.err", GT_TMP_DIR, (int)getpid());
  size_t len = strlen(cmd) + 2 * sizeof out_path + 32;
  char *full = malloc(len);
  if (!full) return -1;
  snprintf(full, len, "%s >'%s' 2>'%s' </dev/null", cmd, out_path, err_path);
  int status = system(full);
  free(full);
  read_all(out_path, out, out_size);
  read_all(err_path, err, err_size);
  remove(out_path);
  remove(err_path);
  if (status == -1 || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

char *gt_test_read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 1 << 16, len = 0;
  char *buf = malloc(cap);
  while (buf) {
    len += fread(buf + len, 1, cap - 1 - len, f);
    if (len < cap - 1) break;
    char *bigger = realloc(buf, cap * 2);
    if (!bigger) free(buf);
    buf = bigger;
    cap *= 2;
  }
  fclose(f);
  if (buf) buf[len] = '\0';
  return buf;
}

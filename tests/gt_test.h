/* A very small test runner: named cases, checks that record failures with file:line, and the
 * closing line "N passed, N failed, N skipped". Exit code: 0 when nothing failed, 1 otherwise.
 *
 *   static void test_relu(void) { GT_CHECK(x == 1.0f, "x = %g", x); }
 *   int main(void) { gt_test_run("relu", test_relu); return gt_test_finish(); }
 */
#ifndef GAUNTLET_TEST_H
#define GAUNTLET_TEST_H

#include <stdarg.h>
#include <stdio.h>

/* Records a failed check (with a printf-style explanation) in the current case. Returns cond. */
int gt_test_check(int cond, const char *file, int line, const char *expr, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

#define GT_CHECK(cond, ...) gt_test_check(!!(cond), __FILE__, __LINE__, #cond, __VA_ARGS__)

/* Check |a - b| <= atol + rtol * |b|; NaN fails. */
#define GT_CHECK_CLOSE(a, b, atol, rtol, what)                                                          \
  gt_test_check(gt_test_close((double)(a), (double)(b), (atol), (rtol)), __FILE__, __LINE__, #a " ~ " #b, \
                "%s: %.9g vs %.9g", (what), (double)(a), (double)(b))
int gt_test_close(double a, double b, double atol, double rtol);

/* Marks the current case skipped, with a reason printed for people to see. */
void gt_test_skip(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

void gt_test_run(const char *name, void (*fn)(void));

/* Prints the closing line and returns the process exit code. */
int gt_test_finish(void);

/* Helpers for tests that need files: a fresh path under the build's test-tmp folder. */
const char *gt_test_tmp_path(const char *name, char *buf, size_t size);

/* The whole file as a malloc'ed NUL-terminated string (NULL when it cannot be read); free it. */
char *gt_test_read_file(const char *path);

/* Runs a shell command, capturing stdout and stderr (each truncated to its buffer);
 * returns the exit code, or -1 if the command could not be run. */
int gt_test_run_command(const char *cmd, char *out, size_t out_size, char *err, size_t err_size);

#endif

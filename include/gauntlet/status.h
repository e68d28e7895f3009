/* Status codes and error messages returned by every library function.
 * Library code never prints or exits: it fills a gt_error and returns its code;
 * the CLI decides what to print and which exit code to use. */
#ifndef GAUNTLET_STATUS_H
#define GAUNTLET_STATUS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum gt_status {
  GT_OK = 0,
  GT_ERR_USAGE,        /* a caller passed arguments that make no sense */
  GT_ERR_IO,           /* a file could not be opened, read or written */
  GT_ERR_FORMAT,       /* a file is corrupt, truncated or not what it claims */
  GT_ERR_UNSUPPORTED,  /* valid input that Gauntlet does not handle (an op, a dtype) */
  GT_ERR_SHAPE,        /* tensor shapes that do not fit together */
  GT_ERR_LIMIT,        /* a size beyond Gauntlet's caps (hostile or absurd input) */
  GT_ERR_MEMORY,       /* an allocation failed */
  GT_ERR_BACKEND,      /* a backend (device, BLAS, driver) reported a failure */
  GT_ERR_INTERNAL      /* a broken invariant inside Gauntlet: a bug */
} gt_status;

#define GT_ERROR_MSG_MAX 1024

/* Where a failure is described. `message` is one human-readable line that names
 * the file, the place in it (node, offset, key) and the problem. */
typedef struct gt_error {
  gt_status code;
  char message[GT_ERROR_MSG_MAX];
} gt_error;

/* Records code and a printf-style message in err (err may be NULL); returns code.
 * Use as: return gt_error_set(err, GT_ERR_FORMAT, "%s: node %s: ...", path, name); */
gt_status gt_error_set(gt_error *err, gt_status code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Prepends context ("while loading X: ") to an existing message; returns err->code. */
gt_status gt_error_prefix(gt_error *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

void gt_error_clear(gt_error *err);

/* Short stable name of a status code ("format", "io", ...). */
const char *gt_status_name(gt_status code);

#ifdef __cplusplus
}
#endif
#endif

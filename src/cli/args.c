/* Option parsing and error reporting shared by the gauntlet commands. */
#include "cli/args.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int find_option(const gt_cli_option *options, int n, const char *name, size_t len) {
  for (int i = 0; i < n; i++)
    if (strlen(options[i].name) == len && !strncmp(options[i].name, name, len)) return i;
  return -1;
}

gt_status gt_cli_parse(gt_cli_args *args, const gt_cli_option *options, int n_options, int argc, char **argv,
                       gt_error *err) {
  memset(args, 0, sizeof *args);
  args->options = options;
  args->n_options = n_options < GT_CLI_MAX_OPTIONS ? n_options : GT_CLI_MAX_OPTIONS;
  for (int i = 0; i < argc; i++) {
    const char *word = argv[i];
    if (strncmp(word, "--", 2) != 0 || word[2] == '\0') {
      if (args->n_positional == (int)(sizeof args->positional / sizeof args->positional[0]))
        return gt_error_set(err, GT_ERR_USAGE, "too many arguments ('%s')", word);
      args->positional[args->n_positional++] = word;
      continue;
    }
    const char *name = word + 2;
    const char *eq = strchr(name, '=');
    size_t len = eq ? (size_t)(eq - name) : strlen(name);
    int k = find_option(options, args->n_options, name, len);
    if (k < 0) return gt_error_set(err, GT_ERR_USAGE, "unknown option '--%.*s' (see --help)", (int)len, name);
    if (!options[k].value) {
      if (eq) return gt_error_set(err, GT_ERR_USAGE, "option '--%s' takes no value", options[k].name);
      args->values[k] = "";
    } else if (eq) {
      args->values[k] = eq + 1;
    } else {
      if (i + 1 >= argc) return gt_error_set(err, GT_ERR_USAGE, "option '--%s' needs a value %s", options[k].name, options[k].value);
      args->values[k] = argv[++i];
    }
  }
  return GT_OK;
}

const char *gt_cli_get(const gt_cli_args *args, const char *name) {
  int k = find_option(args->options, args->n_options, name, strlen(name));
  return k < 0 ? NULL : args->values[k];
}

int gt_cli_flag(const gt_cli_args *args, const char *name) { return gt_cli_get(args, name) != NULL; }

gt_status gt_cli_get_int(const gt_cli_args *args, const char *name, int64_t min, int64_t max, int64_t fallback,
                         int64_t *out, gt_error *err) {
  const char *text = gt_cli_get(args, name);
  if (!text) {
    *out = fallback;
    return GT_OK;
  }
  char *end = NULL;
  errno = 0;
  long long v = strtoll(text, &end, 10);
  if (errno || end == text || *end != '\0')
    return gt_error_set(err, GT_ERR_USAGE, "--%s: '%s' is not an integer", name, text);
  if (v < min || v > max)
    return gt_error_set(err, GT_ERR_USAGE, "--%s: %lld is outside %lld..%lld", name, v, (long long)min, (long long)max);
  *out = v;
  return GT_OK;
}

gt_status gt_cli_get_floats(const gt_cli_args *args, const char *name, float *out, int cap, int *count,
                            gt_error *err) {
  *count = 0;
  const char *text = gt_cli_get(args, name);
  if (!text) return GT_OK;
  const char *p = text;
  while (*p) {
    char *end = NULL;
    errno = 0;
    float v = strtof(p, &end);
    if (errno || end == p) return gt_error_set(err, GT_ERR_USAGE, "--%s: '%s' is not a comma-separated list of numbers", name, text);
    if (*count == cap) return gt_error_set(err, GT_ERR_USAGE, "--%s: more than %d values", name, cap);
    out[(*count)++] = v;
    p = end;
    if (*p == ',') p++;
    else if (*p != '\0') return gt_error_set(err, GT_ERR_USAGE, "--%s: '%s' is not a comma-separated list of numbers", name, text);
  }
  return GT_OK;
}

void gt_cli_print_help(const char *usage, const char *summary, const gt_cli_option *options, int n_options) {
  printf("usage: %s\n\n%s\n\noptions:\n", usage, summary);
  for (int i = 0; i < n_options; i++) {
    char left[64];
    snprintf(left, sizeof left, "--%s%s%s", options[i].name, options[i].value ? " " : "",
             options[i].value ? options[i].value : "");
    printf("  %-26s %s\n", left, options[i].help);
  }
}

int gt_cli_exit_code(gt_status st) {
  if (st == GT_OK) return 0;
  return st == GT_ERR_USAGE ? 2 : 1;
}

int gt_cli_fail(const char *command, const gt_error *err) {
  fprintf(stderr, "gauntlet %s: error: %s\n", command, err->message);
  return gt_cli_exit_code(err->code);
}

/* The example CI pipelines in docs/ci/ run the commands the README documents: every
 * `scripts/...` and `build/gauntlet ...` command line of each pipeline appears verbatim in
 * README.md, and each pipeline runs the smoke preset with a gate and writes JUnit XML. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gt_test.h"

#define ROOT GT_FIXTURES_DIR "/../.."

/* The command on a pipeline line ("- run: X", "run: X", "- X"), or NULL when the line runs no
 * scripts/ or build/gauntlet command. */
static const char *command_of(char *line) {
  char *s = line;
  while (*s == ' ') s++;
  if (!strncmp(s, "- ", 2)) s += 2;
  if (!strncmp(s, "run: ", 5)) s += 5;
  char *end = s + strlen(s);
  while (end > s && (end[-1] == ' ' || end[-1] == '\r')) *--end = 0;
  if (!strncmp(s, "scripts/", 8) || !strncmp(s, "build/gauntlet ", 15)) return s;
  return NULL;
}

static void check_pipeline(const char *name) {
  char path[512];
  snprintf(path, sizeof path, "%s/docs/ci/%s", ROOT, name);
  char *yml = gt_test_read_file(path), *readme = gt_test_read_file(ROOT "/README.md");
  if (!GT_CHECK(yml && readme, "cannot read %s or README.md", path)) {
    free(yml), free(readme);
    return;
  }
  int commands = 0, smoke_gated = 0, junit = 0, installs = 0, builds = 0;
  for (char *line = strtok(yml, "\n"); line; line = strtok(NULL, "\n")) {
    const char *cmd = command_of(line);
    if (!cmd) continue;
    commands++;
    GT_CHECK(strstr(readme, cmd) != NULL, "%s runs a command README.md does not document: %s", name, cmd);
    installs += !strcmp(cmd, "scripts/install-deps.sh");
    builds += !strcmp(cmd, "scripts/build.sh");
    smoke_gated += strstr(cmd, "gauntlet run ") && strstr(cmd, "--preset smoke") &&
                   (strstr(cmd, "--min-robust ") || strstr(cmd, "--min-clean ") || strstr(cmd, "--max-drop "));
    junit += strstr(cmd, "--junit ") != NULL;
  }
  GT_CHECK(installs == 1 && builds == 1, "%s: installs from Debian (%d) and builds (%d)", name, installs, builds);
  GT_CHECK(smoke_gated == 1 && junit == 1, "%s: one gated smoke run (%d) writing JUnit (%d)", name, smoke_gated,
           junit);
  GT_CHECK(commands >= 3, "%s: %d commands found", name, commands);
  free(yml);
  free(readme);
}

static void test_github(void) { check_pipeline("github-actions.yml"); }
static void test_gitlab(void) { check_pipeline("gitlab-ci.yml"); }

static void test_extractor(void) {
  char a[] = "      - run: scripts/build.sh  ", b[] = "    - build/gauntlet run x.json", c[] = "  run: cat x",
       d[] = "name: scripts/not-a-command";
  const char *ca = command_of(a), *cb = command_of(b);
  GT_CHECK(ca && !strcmp(ca, "scripts/build.sh"), "run: line");
  GT_CHECK(cb && !strcmp(cb, "build/gauntlet run x.json"), "list item");
  GT_CHECK(!command_of(c) && !command_of(d), "other lines are not Gauntlet commands");
}

int main(void) {
  gt_test_run("extractor", test_extractor);
  gt_test_run("github_actions", test_github);
  gt_test_run("gitlab_ci", test_gitlab);
  return gt_test_finish();
}

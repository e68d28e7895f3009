/* gauntlet: the command-line front end. Dispatches to one file per command. */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
  if (argc < 2 || !strcmp(argv[1], "--help")) {
    printf("usage: gauntlet <command> [options]\n");
    return argc < 2 ? 2 : 0;
  }
  fprintf(stderr, "gauntlet: unknown command '%s'\n", argv[1]);
  return 2;
}

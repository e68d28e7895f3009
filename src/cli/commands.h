/* The gauntlet commands: each takes the words after its name and returns the process exit code. */
#ifndef GAUNTLET_CLI_COMMANDS_H
#define GAUNTLET_CLI_COMMANDS_H

int gt_cmd_eval(int argc, char **argv);
int gt_cmd_info(int argc, char **argv);
int gt_cmd_attack(int argc, char **argv);
int gt_cmd_run(int argc, char **argv);
int gt_cmd_report(int argc, char **argv);
int gt_cmd_train(int argc, char **argv);
int gt_cmd_devices(int argc, char **argv);

#endif

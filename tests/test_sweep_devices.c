/* `gauntlet run --devices`: a sweep spread over two host workers ("cpu,cpu", and "cuda-emu,cuda-emu"
 * through the tests' gauntlet-emu) gives the leaderboard of a one-worker run byte for byte (wall
 * times aside), also after a stop mid-way and a resume, with two workers or one; bad device lists
 * are refused with messages that name the entry. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "gt_test.h"
#include "support/json_schema.h"
#include "support/sweep_cli.h"
#include "sweep/devices.h"

#define FIX GT_FIXTURES_DIR "/models"
#define SCHEMAS GT_FIXTURES_DIR "/../../schemas"
#define N_JOURNAL_LINES 9 /* header + 2 models x (clean + Linf 2 eps + L2 1 eps) */

/* Two models, two threat models: 2 clean passes and 4 chains to spread. square_steps sets how long
 * the cnn's jobs take (a stop must land while they run). */
static void write_config(const char *name, int square_steps, const char *extra, char *path, size_t size) {
  gt_test_tmp_path(name, path, size);
  FILE *f = fopen(path, "w");
  if (!f) return;
  fprintf(f,
          "{\"title\": \"devices test\",\n"
          " \"models\": [{\"name\": \"linear\", \"path\": \"%s/linear.onnx\"}, {\"name\": \"cnn\", \"path\": \"%s/cnn.onnx\"}],\n"
          " \"datasets\": [{\"name\": \"fashion-mnist\", \"data\": \"npy:%s/cnn.x.npy,%s/cnn.y.npy\"}],\n"
          " \"threat_models\": [{\"norm\": \"Linf\", \"eps\": [0.03, 0.1]}, {\"norm\": \"L2\", \"eps\": [1.0]}],\n"
          " \"attacks\": [{\"attack\": \"fgsm\"}, {\"attack\": \"apgd-ce\", \"steps\": 20}, {\"attack\": \"square\", \"steps\": %d}],\n"
          " \"seed\": 5, \"batch\": 16, \"threads\": 1, \"examples\": 4, \"probes\": {\"points\": 16}%s}\n",
          FIX, FIX, FIX, FIX, square_steps, extra ? extra : "");
  fclose(f);
}

static int run_cli(const char *cli, const char *args, char *out, size_t out_size, char *err, size_t err_size) {
  char cmd[4096];
  snprintf(cmd, sizeof cmd, "%s %s", cli, args);
  return gt_test_run_command(cmd, out, out_size, err, err_size);
}

static char g_config[512], g_reference[512]; /* the sweep of the cpu cases and its one-worker run */

/* The two runs agree byte for byte: leaderboard.json without wall times, leaderboard.md but for
 * its creation time, and every example file. */
static void check_same_outputs(const char *dir, const char *ref, const char *what) {
  char *a = sweep_leaderboard_text(ref), *b = sweep_leaderboard_text(dir);
  GT_CHECK(a && b && !strcmp(a, b), "%s: leaderboard.json equals the one-worker run's byte for byte", what);
  free(a), free(b);
  static const char *const files[] = {"leaderboard.md", "examples/cnn_fashion-mnist_Linf.npy",
                                      "examples/cnn_fashion-mnist_L2.npy", "examples/linear_fashion-mnist_Linf.npy",
                                      "examples/linear_fashion-mnist_L2.npy"};
  for (int i = 0; i < 5; i++) {
    char pa[1200], pb[1200];
    snprintf(pa, sizeof pa, "%s/%s", ref, files[i]);
    snprintf(pb, sizeof pb, "%s/%s", dir, files[i]);
    char *x = gt_test_read_file(pa), *y = gt_test_read_file(pb);
    if (x && y && i == 0) { /* "Created 2026-11-24T10:00:00Z by": the creation time differs */
      char *cx = strstr(x, "Created "), *cy = strstr(y, "Created ");
      if (cx && cy) memset(cx, ' ', strcspn(cx, "\n")), memset(cy, ' ', strcspn(cy, "\n"));
    }
    GT_CHECK(x && y && !strcmp(x, y), "%s: %s equals the one-worker run's", what, files[i]);
    free(x), free(y);
  }
}

/* Which workers wrote the records of a journal (bit w-1 for worker w). */
static unsigned journal_workers(const char *dir) {
  char path[1200];
  snprintf(path, sizeof path, "%s/results.jsonl", dir);
  char *text = gt_test_read_file(path);
  unsigned seen = 0;
  for (char *line = text ? strtok(text, "\n") : NULL; line; line = strtok(NULL, "\n")) {
    cJSON *r = cJSON_Parse(line);
    const cJSON *w = cJSON_GetObjectItem(r, "worker");
    if (cJSON_IsNumber(w) && w->valueint >= 1 && w->valueint <= 16) seen |= 1u << (w->valueint - 1);
    cJSON_Delete(r);
  }
  free(text);
  return seen;
}

static void test_one_worker_reference(void) {
  char out[4096], err[8192], args[2048];
  write_config("devices.json", 1000, NULL, g_config, sizeof g_config);
  sweep_fresh_dir("devices_one", g_reference, sizeof g_reference);
  snprintf(args, sizeof args, "run %s --out %s --quiet", g_config, g_reference);
  int rc = run_cli(GT_CLI_PATH, args, out, sizeof out, err, sizeof err);
  GT_CHECK(rc == 0, "rc %d: %s", rc, err);
  GT_CHECK(journal_workers(g_reference) == 1u, "one worker wrote every record");
}

static void test_two_cpu_workers(void) {
  char dir[512], out[4096], err[8192], args[2048];
  sweep_fresh_dir("devices_two", dir, sizeof dir);
  snprintf(args, sizeof args, "run %s --out %s --devices cpu,cpu", g_config, dir);
  int rc = run_cli(GT_CLI_PATH, args, out, sizeof out, err, sizeof err);
  GT_CHECK(rc == 0, "rc %d: %s", rc, err);
  GT_CHECK(strstr(err, "2 workers on cpu, cpu") != NULL, "the workers are said: %s", err);
  GT_CHECK(strstr(err, "[worker 1: cpu]") && strstr(err, "[worker 2: cpu]"), "progress names each worker: %s", err);
  GT_CHECK(journal_workers(dir) == 3u, "both workers journaled records (workers seen: %#x)", journal_workers(dir));
  check_same_outputs(dir, g_reference, "cpu,cpu");
}

/* Starts the sweep on `devices`, sends sig once the first job is journaled, then resumes it with
 * `resume_devices` (NULL: the config's single device); the outputs must be the reference's. */
static void stop_and_resume(const char *name, const char *devices, int sig, const char *resume_devices) {
  char dir[512], journal[700], errp[700], out[4096], err[8192], args[2048];
  sweep_fresh_dir(name, dir, sizeof dir);
  snprintf(errp, sizeof errp, "%s.err", dir);
  snprintf(journal, sizeof journal, "%s/results.jsonl", dir);
  const char *extra[] = {"--devices", devices, NULL};
  pid_t pid = sweep_spawn(GT_CLI_PATH, g_config, dir, extra, errp);
  GT_CHECK(sweep_wait_for_lines(journal, 3, pid), "%s: a job was journaled before the run ended", name);
  kill(pid, sig);
  int status = 0;
  waitpid(pid, &status, 0);
  int lines = sweep_count_lines(journal);
  fprintf(stderr, "  %s: stopped with %d of %d journal lines written\n", name, lines, N_JOURNAL_LINES);
  GT_CHECK(lines >= 3 && lines < N_JOURNAL_LINES, "%s: stopped mid-way (%d lines)", name, lines);
  if (sig == SIGTERM) {
    char *text = gt_test_read_file(errp);
    GT_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 128 + SIGTERM, "%s: exit code 143, status %d", name, status);
    GT_CHECK(text && strstr(text, "stopped by SIGTERM") && strstr(text, "--resume") && strstr(text, "--devices cpu,cpu"),
             "%s: the resume command keeps the devices: %s", name, text ? text : "");
    free(text);
  }
  snprintf(args, sizeof args, "run %s --out %s --resume --quiet%s%s", g_config, dir, resume_devices ? " --devices " : "",
           resume_devices ? resume_devices : "");
  int rc = run_cli(GT_CLI_PATH, args, out, sizeof out, err, sizeof err);
  GT_CHECK(rc == 0, "%s: resume rc %d: %s", name, rc, err);
  GT_CHECK(sweep_count_lines(journal) == N_JOURNAL_LINES, "%s: journal complete after resume: %d lines", name,
           sweep_count_lines(journal));
  check_same_outputs(dir, g_reference, name);
}

static void test_sigterm_two_workers_resume_two(void) { stop_and_resume("devices_term", "cpu,cpu", SIGTERM, "cpu,cpu"); }

static void test_sigkill_two_workers_resume_one(void) { stop_and_resume("devices_kill", "cpu,cpu", SIGKILL, NULL); }

/* The same on the emulated CUDA device: two workers, each with its own backend created in its
 * own thread, against one. */
static void test_two_cuda_emu_workers(void) {
  char cfg[512], one[512], two[512], out[4096], err[8192], args[2048];
  write_config("devices_emu.json", 20, NULL, cfg, sizeof cfg);
  sweep_fresh_dir("devices_emu_one", one, sizeof one);
  sweep_fresh_dir("devices_emu_two", two, sizeof two);
  snprintf(args, sizeof args, "run %s --out %s --devices cuda-emu --quiet", cfg, one);
  int rc = run_cli(GT_CLI_EMU_PATH, args, out, sizeof out, err, sizeof err);
  GT_CHECK(rc == 0, "rc %d: %s", rc, err);
  snprintf(args, sizeof args, "run %s --out %s --devices cuda-emu,cuda-emu --quiet", cfg, two);
  rc = run_cli(GT_CLI_EMU_PATH, args, out, sizeof out, err, sizeof err);
  GT_CHECK(rc == 0, "rc %d: %s", rc, err);
  GT_CHECK(journal_workers(two) == 3u, "both workers journaled records (workers seen: %#x)", journal_workers(two));
  char *a = sweep_leaderboard_text(one), *b = sweep_leaderboard_text(two);
  GT_CHECK(a && b && !strcmp(a, b), "cuda-emu,cuda-emu: the leaderboard of one worker byte for byte");
  GT_CHECK(a && strstr(a, "\"backend\":\t\"cuda-emu\""), "the entries name the backend");
  free(a), free(b);
}

static void test_bad_device_lists(void) {
  static const struct {
    const char *devices, *expect;
  } cases[] = {
      {"gpu0", "--devices: entry 1 'gpu0': unknown device (the devices: cpu, ref, cuda:N)"},
      {"cpu,", "--devices: entry 2 is empty"},
      {"cuda:x", "entry 1 'cuda:x': a CUDA device is cuda:N"},
      {"auto", "'auto' is not a device"},
      {"cuda:0,cuda:1,cuda:0", "cuda:0 is listed twice; one worker per GPU"},
      {"cpu,cuda:0", "cpu and cuda:0 are different backends"},
      {"cuda-emu", "entry 1 'cuda-emu': unknown device"}, /* only the tests' gauntlet-emu has it */
  };
  char out[4096], err[8192], args[2048];
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    snprintf(args, sizeof args, "run %s --out %s/never --devices '%s'", g_config, g_reference, cases[i].devices);
    int rc = run_cli(GT_CLI_PATH, args, out, sizeof out, err, sizeof err);
    GT_CHECK(rc == 2 && strstr(err, cases[i].expect), "--devices %s: rc %d, %s", cases[i].devices, rc, err);
  }
  /* no GPU here: a CUDA device is refused with the reason, before anything is written */
  snprintf(args, sizeof args, "run %s --out %s/never --devices cuda:1", g_config, g_reference);
  int rc = run_cli(GT_CLI_PATH, args, out, sizeof out, err, sizeof err);
  GT_CHECK(rc != 0 && strstr(err, "devices: cuda:1: ") && strstr(err, "CUDA"), "missing GPU: rc %d, %s", rc, err);
  char never[700];
  snprintf(never, sizeof never, "%s/never", g_reference);
  GT_CHECK(access(never, F_OK) != 0, "nothing written for a device that does not exist");
  /* in the config: the key path names the entry */
  char cfg[512];
  write_config("devices_bad.json", 20, ", \"devices\": [\"cpu\", \"tpu\"]", cfg, sizeof cfg);
  snprintf(args, sizeof args, "run %s --out %s/never", cfg, g_reference);
  rc = run_cli(GT_CLI_PATH, args, out, sizeof out, err, sizeof err);
  GT_CHECK(rc == 1 && strstr(err, "devices_bad.json: devices[1]: 'tpu': unknown device"), "config: rc %d, %s", rc, err);
  write_config("devices_bad.json", 20, ", \"backend\": \"cpu\", \"devices\": [0, 1]", cfg, sizeof cfg);
  rc = run_cli(GT_CLI_PATH, args, out, sizeof out, err, sizeof err);
  GT_CHECK(rc == 1 && strstr(err, "cuda:0 is not a device of the backend 'cpu'"), "config backend: rc %d, %s", rc, err);
}

/* "devices" in the config: two workers, the same config hash (devices are not hashed, so the
 * leaderboard is the reference's byte for byte), and the schema agrees. */
static void test_config_devices(void) {
  char cfg[512], dir[512], out[4096], err[8192], args[2048], msg[512];
  write_config("devices_in_config.json", 1000, ", \"devices\": [\"cpu\", \"cpu\"]", cfg, sizeof cfg);
  GT_CHECK(gt_schema_validate_files(SCHEMAS "/sweep.schema.json", cfg, msg, sizeof msg) == 0, "schema: %s", msg);
  sweep_fresh_dir("devices_in_config", dir, sizeof dir);
  snprintf(args, sizeof args, "run %s --out %s --quiet", cfg, dir);
  int rc = run_cli(GT_CLI_PATH, args, out, sizeof out, err, sizeof err);
  GT_CHECK(rc == 0 && strstr(err, "2 workers on cpu, cpu"), "rc %d: %s", rc, err);
  check_same_outputs(dir, g_reference, "config devices");
}

/* Device numbers and names parse to one form; the whole list is checked. */
static void test_config_parse(void) {
  static const char *const base = "{\"models\": [{\"name\": \"m\", \"path\": \"m.onnx\"}], \"datasets\": [{\"data\": "
                                  "\"npy:x.npy,y.npy\"}], \"threat_models\": [{\"norm\": \"Linf\", \"eps\": [0.1]}], "
                                  "\"attacks\": [{\"attack\": \"fgsm\"}], \"devices\": ";
  static const struct {
    const char *devices, *expect; /* expect: the normal forms, or a piece of the error */
  } cases[] = {
      {"[1, \"cuda:3\", \"cuda\"]", "cuda:1 cuda:3 cuda:0"},
      {"[\"cpu\", \"cpu\", \"cpu\"]", "cpu cpu cpu"},
      {"[0, \"cuda\"]", "devices: cuda:0 is listed twice"},
      {"[]", "devices: expected an array of 1 to 16 devices"},
      {"[-1]", "devices[0]: expected a device name"},
      {"[\"cuda:1x\"]", "devices[0]: 'cuda:1x': a CUDA device is cuda:N"},
  };
  gt_sweep_config *cfg = calloc(1, sizeof *cfg);
  for (size_t i = 0; cfg && i < sizeof cases / sizeof cases[0]; i++) {
    char text[2048], got[GT_ERROR_MSG_MAX] = "";
    snprintf(text, sizeof text, "%s%s}", base, cases[i].devices);
    gt_error err = {0};
    memset(cfg, 0, sizeof *cfg);
    if (gt_sweep_config_parse(text, "", cfg, &err) == GT_OK)
      for (int d = 0; d < cfg->n_devices; d++) snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s", d ? " " : "", cfg->devices[d]);
    else
      snprintf(got, sizeof got, "%s", err.message);
    GT_CHECK(strstr(got, cases[i].expect) != NULL, "devices %s: got '%s', want '%s'", cases[i].devices, got, cases[i].expect);
  }
  free(cfg);
}

/* A device number beyond the machine's count, as the sweep checks it (no GPU here to count). */
static void test_ordinal_beyond_count(void) {
  gt_error err = {0};
  GT_CHECK(gt_sweep_device_check_ordinal("cuda:1", 1, 2, &err) == GT_OK, "cuda:1 of 2 exists");
  GT_CHECK(gt_sweep_device_check_ordinal("cuda:2", 2, 2, &err) != GT_OK &&
               strstr(err.message, "devices: cuda:2 does not exist: this machine has 2 CUDA devices (cuda:0 to cuda:1)"),
           "%s", err.message);
  GT_CHECK(gt_sweep_device_check_ordinal("cuda:1", 1, 1, &err) != GT_OK &&
               strstr(err.message, "has 1 CUDA device (cuda:0)"),
           "%s", err.message);
}

int main(void) {
  gt_test_run("one_worker_reference", test_one_worker_reference);
  gt_test_run("two_cpu_workers", test_two_cpu_workers);
  gt_test_run("sigterm_two_workers_resume_two", test_sigterm_two_workers_resume_two);
  gt_test_run("sigkill_two_workers_resume_one", test_sigkill_two_workers_resume_one);
  gt_test_run("two_cuda_emu_workers", test_two_cuda_emu_workers);
  gt_test_run("bad_device_lists", test_bad_device_lists);
  gt_test_run("config_devices", test_config_devices);
  gt_test_run("config_parse", test_config_parse);
  gt_test_run("ordinal_beyond_count", test_ordinal_beyond_count);
  return gt_test_finish();
}

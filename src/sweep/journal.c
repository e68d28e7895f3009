/* The sweep journal (sweep/journal.h). */
#include "sweep/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void journal_path(const char *outdir, char *out, size_t size) {
  snprintf(out, size, "%s/results.jsonl", outdir);
}

static gt_status read_file(const char *path, char **text, long *size, gt_error *err) {
  FILE *f = fopen(path, "rb");
  if (!f) return gt_error_set(err, GT_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
  long n = -1;
  if (fseek(f, 0, SEEK_END) == 0) n = ftell(f);
  gt_status st = GT_OK;
  if (n < 0 || n > (1L << 30)) st = gt_error_set(err, GT_ERR_LIMIT, "%s: cannot read (size %ld)", path, n);
  if (!st && !(*text = malloc((size_t)n + 1))) st = gt_error_set(err, GT_ERR_MEMORY, "%s: out of memory", path);
  if (!st && (fseek(f, 0, SEEK_SET) || fread(*text, 1, (size_t)n, f) != (size_t)n)) {
    st = gt_error_set(err, GT_ERR_IO, "%s: read failed", path);
    free(*text);
    *text = NULL;
  }
  fclose(f);
  if (!st) (*text)[n] = '\0', *size = n;
  return st;
}

gt_status gt_journal_read(const char *outdir, cJSON **header, cJSON **records, long *valid_bytes, gt_error *err) {
  char path[GT_SWEEP_PATH_MAX + 32];
  journal_path(outdir, path, sizeof path);
  *header = NULL;
  *records = NULL;
  char *text = NULL;
  long size = 0;
  gt_status st = read_file(path, &text, &size, err);
  if (st) return st;
  cJSON *recs = cJSON_CreateArray();
  long pos = 0;
  int line = 0;
  while (!st && pos < size) {
    char *nl = memchr(text + pos, '\n', (size_t)(size - pos));
    if (!nl) break; /* torn tail: a kill during the write; ignored */
    *nl = '\0';
    line++;
    cJSON *v = cJSON_Parse(text + pos);
    if (!v || !cJSON_IsObject(v) || !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(v, "type"))) {
      st = gt_error_set(err, GT_ERR_FORMAT, "%s: line %d is not a journal record (JSON object with a \"type\")", path, line);
      cJSON_Delete(v);
      break;
    }
    const char *type = cJSON_GetObjectItemCaseSensitive(v, "type")->valuestring;
    if (line == 1) {
      const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(v, "format");
      if (strcmp(type, "header") || !cJSON_IsNumber(fmt) || fmt->valueint != GT_JOURNAL_FORMAT ||
          !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(v, "config_hash")) ||
          !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(v, "config"))) {
        st = gt_error_set(err, GT_ERR_FORMAT, "%s: line 1 is not a Gauntlet journal header of format %d", path,
                          GT_JOURNAL_FORMAT);
        cJSON_Delete(v);
        break;
      }
      *header = v;
    } else {
      cJSON_AddItemToArray(recs, v);
    }
    pos = (long)(nl - text) + 1;
  }
  free(text);
  if (!st && !*header) st = gt_error_set(err, GT_ERR_FORMAT, "%s: no complete header line", path);
  if (st) {
    cJSON_Delete(*header);
    cJSON_Delete(recs);
    *header = NULL;
    return st;
  }
  *records = recs;
  if (valid_bytes) *valid_bytes = pos;
  return GT_OK;
}

static gt_status write_line(gt_journal *j, const cJSON *record, gt_error *err) {
  char *text = cJSON_PrintUnformatted(record);
  if (!text) return gt_error_set(err, GT_ERR_MEMORY, "%s: out of memory printing a record", j->path);
  size_t len = strlen(text);
  char *line = realloc(text, len + 2);
  if (!line) {
    free(text);
    return gt_error_set(err, GT_ERR_MEMORY, "%s: out of memory printing a record", j->path);
  }
  line[len] = '\n';
  size_t left = len + 1;
  const char *p = line;
  gt_status st = GT_OK;
  while (left > 0 && !st) {
    ssize_t w = write(j->fd, p, left);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) st = gt_error_set(err, GT_ERR_IO, "%s: write failed: %s", j->path, strerror(errno));
    else p += w, left -= (size_t)w;
  }
  free(line);
  if (!st && fsync(j->fd) != 0) st = gt_error_set(err, GT_ERR_IO, "%s: fsync failed: %s", j->path, strerror(errno));
  return st;
}

gt_status gt_journal_append(gt_journal *j, const cJSON *record, gt_error *err) {
  return write_line(j, record, err);
}

void gt_journal_close(gt_journal *j) {
  if (j->fd >= 0) close(j->fd);
  j->fd = -1;
}

static gt_status create_journal(const gt_sweep_config *cfg, const char *version, const char *git_commit, gt_journal *j,
                                gt_error *err) {
  j->fd = open(j->path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND, 0644);
  if (j->fd < 0) return gt_error_set(err, GT_ERR_IO, "%s: cannot create: %s", j->path, strerror(errno));
  cJSON *h = cJSON_CreateObject();
  cJSON_AddStringToObject(h, "type", "header");
  cJSON_AddNumberToObject(h, "format", GT_JOURNAL_FORMAT);
  cJSON_AddStringToObject(h, "config_hash", cfg->hash);
  cJSON_AddStringToObject(h, "config_path", cfg->path);
  cJSON_AddStringToObject(h, "gauntlet_version", version ? version : "unknown");
  cJSON_AddStringToObject(h, "git_commit", git_commit ? git_commit : "unknown");
  char when[32];
  time_t now = time(NULL);
  strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
  cJSON_AddStringToObject(h, "created_utc", when);
  cJSON_AddItemToObject(h, "config", cJSON_Parse(cfg->canonical));
  gt_status st = write_line(j, h, err);
  cJSON_Delete(h);
  return st;
}

/* 1 when the file holds at least one '\n' (a complete header line). */
static int has_complete_line(const char *path) {
  FILE *f = fopen(path, "rb");
  int c, found = 0;
  while (f && !found && (c = fgetc(f)) != EOF) found = c == '\n';
  if (f) fclose(f);
  return found;
}

gt_status gt_journal_open(const char *outdir, const gt_sweep_config *cfg, int resume, const char *version,
                          const char *git_commit, gt_journal *j, cJSON **records, gt_error *err) {
  j->fd = -1;
  *records = NULL;
  journal_path(outdir, j->path, sizeof j->path);
  if (access(j->path, F_OK) == 0 && !has_complete_line(j->path)) unlink(j->path); /* killed while writing the header */
  if (access(j->path, F_OK) != 0) {
    gt_status st = create_journal(cfg, version, git_commit, j, err);
    if (st) gt_journal_close(j);
    else *records = cJSON_CreateArray();
    return st;
  }
  if (!resume)
    return gt_error_set(err, GT_ERR_USAGE,
                        "%s already holds a sweep journal: add --resume to continue it, or choose another output folder",
                        j->path);
  cJSON *header = NULL;
  long valid = 0;
  gt_status st = gt_journal_read(outdir, &header, records, &valid, err);
  if (st) return st;
  const char *hash = cJSON_GetObjectItemCaseSensitive(header, "config_hash")->valuestring;
  if (strcmp(hash, cfg->hash))
    st = gt_error_set(err, GT_ERR_USAGE,
                      "cannot resume: %s was written by another config (hash %.12s, %s has %.12s); "
                      "resume with the config that started it, or choose another output folder",
                      j->path, hash, cfg->path, cfg->hash);
  cJSON_Delete(header);
  if (!st) {
    j->fd = open(j->path, O_WRONLY | O_APPEND);
    if (j->fd < 0) st = gt_error_set(err, GT_ERR_IO, "%s: cannot open for appending: %s", j->path, strerror(errno));
    else if (ftruncate(j->fd, valid) != 0) /* cut a torn last line off */
      st = gt_error_set(err, GT_ERR_IO, "%s: cannot truncate: %s", j->path, strerror(errno));
  }
  if (st) {
    gt_journal_close(j);
    cJSON_Delete(*records);
    *records = NULL;
  }
  return st;
}

static int int_field(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsNumber(v) ? v->valueint : -1;
}

const cJSON *gt_journal_find(const cJSON *records, const char *type, int model, int dataset, int threat, int eps) {
  const cJSON *r;
  cJSON_ArrayForEach(r, records) {
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(r, "type");
    if (!cJSON_IsString(t) || strcmp(t->valuestring, type)) continue;
    if (int_field(r, "model") != model || int_field(r, "dataset") != dataset) continue;
    if (!strcmp(type, "job") && (int_field(r, "threat") != threat || int_field(r, "eps_index") != eps)) continue;
    return r;
  }
  return NULL;
}

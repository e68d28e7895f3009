/* The importer's table of named values: a growable array plus an open-addressing hash index. */
#include <stdlib.h>
#include <string.h>

#include "onnx/onnx_import.h"

static uint64_t hash_name(const char *s) {
  uint64_t h = 1469598103934665603ULL; /* FNV-1a */
  for (; *s; s++) {
    h ^= (unsigned char)*s;
    h *= 1099511628211ULL;
  }
  return h;
}

int gt_onnx_values_find(const gt_onnx_values *t, const char *name) {
  if (!t->n_slots || !name) return -1;
  size_t mask = t->n_slots - 1;
  for (size_t i = hash_name(name) & mask;; i = (i + 1) & mask) {
    int s = t->slots[i];
    if (!s) return -1;
    if (!strcmp(t->v[s - 1].name, name)) return s - 1;
  }
}

static int rehash(gt_onnx_values *t, size_t n_slots) {
  int *slots = calloc(n_slots, sizeof *slots);
  if (!slots) return 0;
  size_t mask = n_slots - 1;
  for (int k = 0; k < t->n; k++) {
    size_t i = hash_name(t->v[k].name) & mask;
    while (slots[i]) i = (i + 1) & mask;
    slots[i] = k + 1;
  }
  free(t->slots);
  t->slots = slots;
  t->n_slots = n_slots;
  return 1;
}

int gt_onnx_values_add(gt_onnx_values *t, const char *name) {
  if (t->n == t->cap) {
    int cap = t->cap ? 2 * t->cap : 64;
    gt_onnx_value *grown = realloc(t->v, (size_t)cap * sizeof *grown);
    if (!grown) return -1;
    t->v = grown;
    t->cap = cap;
  }
  /* Keep the load factor at most 1/2. */
  if ((size_t)(t->n + 1) * 2 > t->n_slots && !rehash(t, t->n_slots ? 2 * t->n_slots : 128)) return -1;
  gt_onnx_value *v = &t->v[t->n];
  memset(v, 0, sizeof *v);
  v->name = name;
  v->graph_id = -1;
  v->producer = -1;
  size_t mask = t->n_slots - 1;
  size_t i = hash_name(name) & mask;
  while (t->slots[i]) i = (i + 1) & mask;
  t->slots[i] = t->n + 1;
  return t->n++;
}

void gt_onnx_values_free(gt_onnx_values *t) {
  for (int k = 0; k < t->n; k++) gt_onnx_tensor_free(t->v[k].c);
  free(t->v);
  free(t->slots);
  memset(t, 0, sizeof *t);
}

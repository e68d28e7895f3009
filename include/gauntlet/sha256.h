/* SHA-256 (FIPS 180-4) for model and data fingerprints in reports. */
#ifndef GAUNTLET_SHA256_H
#define GAUNTLET_SHA256_H

#include <stddef.h>
#include <stdint.h>

#include "gauntlet/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gt_sha256 {
  uint32_t state[8];
  uint64_t total_bytes;
  uint8_t block[64];
  size_t block_used;
} gt_sha256;

void gt_sha256_init(gt_sha256 *h);
void gt_sha256_update(gt_sha256 *h, const void *data, size_t size);
/* Writes 64 lowercase hex digits and a terminating NUL into hex[65]. */
void gt_sha256_final_hex(gt_sha256 *h, char hex[65]);

/* Hex digest of a whole file. */
gt_status gt_sha256_file(const char *path, char hex[65], gt_error *err);

#ifdef __cplusplus
}
#endif
#endif

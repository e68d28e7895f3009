#!/usr/bin/env bash
# The README's test command: builds and runs the whole suite twice, once optimised and once under
# AddressSanitizer + UndefinedBehaviorSanitizer. Exits non-zero if anything fails.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
jobs="$(nproc)"

echo "== release build: ctest"
GAUNTLET_BUILD_DIR="$root/build" "$root/scripts/build.sh"
ctest --test-dir "$root/build" --output-on-failure -j"$jobs"

echo "== sanitizer build (ASan + UBSan): ctest"
GAUNTLET_BUILD_DIR="$root/build-asan" "$root/scripts/build.sh" -DGAUNTLET_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir "$root/build-asan" --output-on-failure -j"$jobs"

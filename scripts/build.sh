#!/usr/bin/env bash
# Configures and builds Gauntlet into build/ (Release, warnings as errors).
# Extra arguments go to cmake's configure step, e.g. scripts/build.sh -DGAUNTLET_SANITIZE=ON.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${GAUNTLET_BUILD_DIR:-$root/build}"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DGAUNTLET_WERROR=ON "$@" >/dev/null
cmake --build "$build" -j"$(nproc)"

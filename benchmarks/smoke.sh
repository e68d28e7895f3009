#!/usr/bin/env bash
# Benchmark of the CI smoke preset (docs/CI.md): wall time of
#   gauntlet run configs/ci-smoke.json --preset smoke
# (the shipped small CNN, Fashion-MNIST test set, Linf eps 0.05 and 0.1: a clean pass, the
# gradient-masking probes and APGD-CE (20 steps) + FGSM on the first 100 points), from a fresh
# output folder, with the CPU backend on every core. Target: under 60 s on a 2-core CPU runner.
# Usage: benchmarks/smoke.sh [runs]   (needs build/gauntlet: scripts/build.sh)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
gauntlet="${GAUNTLET:-$root/build/gauntlet}"
runs="${1:-3}"
[ -x "$gauntlet" ] || { echo "smoke.sh: $gauntlet not found; run scripts/build.sh first" >&2; exit 1; }
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
echo "smoke benchmark: $(nproc) cores, $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1), $(date -u +%Y-%m-%dT%H:%MZ)"
best=""
for i in $(seq 1 "$runs"); do
  rm -rf "$out/run"
  start=$(date +%s.%N)
  "$gauntlet" run "$root/configs/ci-smoke.json" --preset smoke --quiet --out "$out/run" --min-robust 0.05 >/dev/null
  end=$(date +%s.%N)
  secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')
  echo "run $i: ${secs} s"
  if [ -z "$best" ] || awk -v s="$secs" -v b="$best" 'BEGIN { exit !(s < b) }'; then best=$secs; fi
done
echo "best of $runs: ${best} s (target < 60 s)"

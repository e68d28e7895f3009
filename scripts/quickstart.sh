#!/usr/bin/env bash
# The README's first command: installs dependencies from Debian, builds Gauntlet, and runs the
# main job: a sweep of the shipped models on Fashion-MNIST (configs/quickstart.json) that writes
# a leaderboard and an HTML report under results/quickstart.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"
out="$root/results/quickstart"
resume=()
# A second run continues (or just re-renders) the first one; the journal refuses another config.
if [ -f "$out/results.jsonl" ]; then resume=(--resume); fi
echo "== gauntlet run configs/quickstart.json: the shipped models x Linf/L2 eps under AutoAttack (standard)"
"$root/build/gauntlet" run "$root/configs/quickstart.json" --out "$out" "${resume[@]}"
echo
echo "leaderboard.json: $out/leaderboard.json"
echo "leaderboard.md:   $out/leaderboard.md"
echo "report.html:      $out/report.html"

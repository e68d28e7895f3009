#!/usr/bin/env bash
# The README's first command: installs dependencies from Debian, builds Gauntlet, and runs the
# main job on the shipped defaults.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"
echo "== gauntlet eval: the shipped small CNN on the Fashion-MNIST test set"
"$root/build/gauntlet" eval --model "$root/tests/fixtures/models/cnn.onnx" --data fmnist:test

#!/usr/bin/env bash
# Installs Gauntlet's build, run and test dependencies from Debian's archive.
# Called by the README's first command and by .ci/run; safe to run again.
set -euo pipefail
packages=(
  build-essential cmake pkg-config
  libopenblas-dev libcjson-dev libpng-dev zlib1g-dev
  libprotobuf-c-dev protobuf-c-compiler libonnx-dev
  dataset-fashion-mnist libonnx-testdata
  # headless browser for tests/test_report_browser.c (report.html rendered for real); about 80 MB,
  # 14 s to install on the project machine (2026-11-24); the test skips visibly without it
  chromium
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}"

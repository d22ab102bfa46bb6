#!/usr/bin/env bash
# Builds esm and runs every test (ctest) under three presets: dev (g++, Debug, warnings as
# errors), asan (AddressSanitizer + UBSan) and clang (clang++ 14). Installs missing Debian
# packages first. Usage: scripts/test.sh [preset...]   (default: dev asan clang)
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh

presets=("$@")
[ ${#presets[@]} -gt 0 ] || presets=(dev asan clang)
jobs=$(nproc 2>/dev/null || echo 2)

for preset in "${presets[@]}"; do
  echo "==> [$preset] configure"
  cmake --preset "$preset" >/dev/null
  echo "==> [$preset] build"
  cmake --build --preset "$preset" -j "$jobs"
  echo "==> [$preset] test"
  ctest --preset "$preset" -j "$jobs"
done
echo "==> all tests passed under: ${presets[*]}"

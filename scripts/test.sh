#!/usr/bin/env bash
# Builds esm and runs every test (ctest) under two presets: dev (g++ 12, Debug, warnings as
# errors, header self-containment, benchmarks' smoke runs) and asan (clang++ 14 with
# AddressSanitizer + UBSan, warnings as errors, each fuzz target for 10 s). Together they build
# with both compilers. Installs missing Debian packages first.
# Usage: scripts/test.sh [preset...]   (default: dev asan; `clang` is plain clang++ 14)
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh

presets=("$@")
[ ${#presets[@]} -gt 0 ] || presets=(dev asan)
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

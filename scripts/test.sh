#!/usr/bin/env bash
# Builds esm and runs every test (ctest) under two presets: dev (g++ 12, Debug, warnings as
# errors, header self-containment, benchmarks' smoke runs) and asan (clang++ 14 with
# AddressSanitizer + UBSan, warnings as errors, each fuzz target for 2,000 inputs). Together they build
# with both compilers, and their trace digests (ctest determinism.digests) must be equal.
# Installs missing Debian packages first.
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
# Determinism across compilers (issue 14 point 8): each preset's ctest determinism.digests wrote
# the trace digests of the same fixed runs; g++ (dev) and clang (asan, clang) must agree.
digests=()
for preset in "${presets[@]}"; do
  [ -f "build/$preset/determinism/digests.txt" ] && digests+=("build/$preset/determinism/digests.txt")
done
if [ ${#digests[@]} -ge 2 ]; then
  echo "==> trace digests: ${digests[*]}"
  for other in "${digests[@]:1}"; do
    if ! diff -u "${digests[0]}" "$other"; then
      echo "==> FAILED: the trace digests of ${digests[0]} and $other differ: a seed no longer gives the same run on both compilers" >&2
      exit 1
    fi
  done
  echo "==> trace digests agree ($(wc -l < "${digests[0]}") runs)"
fi
echo "==> all tests passed under: ${presets[*]}"

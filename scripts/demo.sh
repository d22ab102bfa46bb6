#!/usr/bin/env bash
# Builds esm's examples (dev preset) and runs the main demo. Installs missing Debian packages first.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake --preset dev >/dev/null
cmake --build --preset dev -j "$(nproc 2>/dev/null || echo 2)" --target esm_demo
exec ./build/dev/examples/esm_demo "$@"

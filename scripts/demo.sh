#!/usr/bin/env bash
# Installs missing Debian packages, builds esm-sim (release preset) and runs the main demo: the
# capacity-planning scenario examples/scenarios/capacity-10-shards.json, one simulated hour of 10
# Kinesis shards at 1,000 records/s each. Prints the report; the timeline, the JSON summary and the
# charts go to build/esm-sim-demo/. Extra arguments go to esm-sim (e.g. --sweep key=v1,v2).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc 2>/dev/null || echo 2)" --target esm-sim
exec ./build/release/tools/esm-sim/esm-sim examples/scenarios/capacity-10-shards.json --out build/esm-sim-demo "$@"

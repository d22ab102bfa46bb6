#!/usr/bin/env bash
# Installs, with apt-get, the Debian packages esm needs to build, test and benchmark.
# Runs as root, or through sudo when it is available. Installs only what is missing.
set -euo pipefail

packages=(cmake ninja-build g++ clang libclang-rt-14-dev catch2 libgtest-dev libfmt-dev libbenchmark-dev nlohmann-json3-dev librsvg2-bin)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  echo "install-deps: missing packages (${missing[*]}) and not root; run as root or install sudo" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]} (apt-get; log in ${TMPDIR:-/tmp}/esm-install-deps.log)"
export DEBIAN_FRONTEND=noninteractive
log="${TMPDIR:-/tmp}/esm-install-deps.log"
if ! { "${as_root[@]}" apt-get update -qq && \
       "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "install-deps: apt-get failed (see above)" >&2
  exit 1
fi

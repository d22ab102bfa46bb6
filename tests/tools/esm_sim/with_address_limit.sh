#!/bin/sh
# Runs a command under an address-space limit (RLIMIT_AS, in KiB): with_address_limit.sh KIB COMMAND...
kib=$1
shift
ulimit -v "$kib" || exit 125
exec "$@"

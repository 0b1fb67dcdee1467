#!/bin/sh
# stress-ng-memory-short: most of the free memory written and verified for a while ($1, default 5m).
# STRESS_VM_BYTES overrides how much (default 75% of available memory, across one worker per CPU).
set -eu
command -v stress-ng >/dev/null 2>&1 || { echo "stress-ng-memory-short: stress-ng is not installed in this environment" >&2; exit 3; }
exec stress-ng --vm 0 --vm-bytes "${STRESS_VM_BYTES:-75%}" --vm-keep --verify --log-brief --metrics-brief --timeout "${1:-5m}"

#!/bin/sh
# stress-ng-cpu-short: every CPU busy with verified matrix work for a while ($1, default 5m).
set -eu
command -v stress-ng >/dev/null 2>&1 || { echo "stress-ng-cpu-short: stress-ng is not installed in this environment" >&2; exit 3; }
exec stress-ng --matrix 0 --ignite-cpu --log-brief --metrics-brief --times --tz --verify --timeout "${1:-5m}"

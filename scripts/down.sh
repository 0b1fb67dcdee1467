#!/usr/bin/env bash
# `make down`: stop the Plinth that `make up` started (by its PID).
set -euo pipefail
cd "$(dirname "$0")/.."
DATA_DIR=${DATA_DIR:-.plinth}
pidfile="$DATA_DIR/plinth.pid"
if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
  pid=$(cat "$pidfile")
  kill "$pid"
  for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
  echo "Plinth stopped."
else
  echo "Plinth is not running."
fi
rm -f "$pidfile"

#!/usr/bin/env bash
# `make up`: install what is missing, create the admin on first run, start Plinth in the background on
# the embedded store, wait until it answers, print the URL and credentials.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA_DIR=${DATA_DIR:-.plinth}
PORT=${PORT:-5240}

need_apt=()
command -v node >/dev/null || need_apt+=(nodejs npm)
if ((${#need_apt[@]})); then
  echo "Installing ${need_apt[*]} from Debian…"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}"
fi
major=$(node -p 'process.versions.node.split(".")[0]')
if ((major < 20)); then echo "Plinth needs Node.js 20 or newer (found $(node --version))." >&2; exit 1; fi
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi

mkdir -p "$DATA_DIR"
chmod 700 "$DATA_DIR"
if [ -f "$DATA_DIR/region.json" ] && kill -0 "$(node -p "require('./$DATA_DIR/region.json').pid")" 2>/dev/null; then
  echo "Plinth is already running ($(node -p "require('./$DATA_DIR/region.json').url"))."
else
  if [ ! -f "$DATA_DIR/admin-password" ]; then
    pass=$(node -e 'console.log(require("crypto").randomBytes(12).toString("base64url"))')
    ./bin/plinth createadmin --data-dir "$DATA_DIR" --username admin --password "$pass" --email admin@localhost >/dev/null
    (umask 077; echo "$pass" > "$DATA_DIR/admin-password")
  fi
  nohup ./bin/plinth start --data-dir "$DATA_DIR" --port "$PORT" >>"$DATA_DIR/plinth.log" 2>&1 &
  echo $! > "$DATA_DIR/plinth.pid"
  for _ in $(seq 1 120); do
    if curl -fsS "http://127.0.0.1:$PORT/MAAS/api/2.0/version/" >/dev/null 2>&1; then break; fi
    if ! kill -0 "$(cat "$DATA_DIR/plinth.pid")" 2>/dev/null; then echo "Plinth failed to start; see $DATA_DIR/plinth.log" >&2; tail -20 "$DATA_DIR/plinth.log" >&2; exit 1; fi
    sleep 0.5
  done
fi
key=$(./bin/plinth apikey --data-dir "$DATA_DIR" --username admin | head -1)
cat <<MSG

Plinth is up.
  URL:       http://127.0.0.1:$PORT/MAAS/
  API:       http://127.0.0.1:$PORT/MAAS/api/2.0/
  Username:  admin
  Password:  $(cat "$DATA_DIR/admin-password")
  API key:   $key
  Logs:      $DATA_DIR/plinth.log        Stop: make down

Try:  ./bin/plinth login admin http://127.0.0.1:$PORT/MAAS/ '$key'
      ./bin/plinth admin machines read
MSG

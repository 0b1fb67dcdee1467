#!/bin/sh
# 30-lldp: what the switches announce on each link (LLDP), as lldpd's XML. Physical interfaces are
# brought up and lldpd (receive-only) is started when it is not running; switches announce every 30 s
# by default, so the script waits LLDP_WAIT seconds (default 35) before asking.
set -eu
command -v lldpctl >/dev/null 2>&1 || { echo "30-lldp: lldpd is not installed in this environment" >&2; exit 3; }
for n in /sys/class/net/*; do
  [ -e "$n/device" ] && ip link set dev "${n##*/}" up 2>/dev/null || true
done
if ! lldpctl >/dev/null 2>&1; then
  lldpd -r
  sleep "${LLDP_WAIT:-35}"
fi
exec lldpctl -f xml

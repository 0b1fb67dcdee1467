#!/bin/sh
# 20-lshw: lshw's XML inventory; the region keeps it for tag definitions (XPath over //node).
set -eu
command -v lshw >/dev/null 2>&1 || { echo "20-lshw: lshw is not installed in this environment" >&2; exit 3; }
exec lshw -xml -quiet

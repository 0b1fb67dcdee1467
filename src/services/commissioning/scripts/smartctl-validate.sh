#!/bin/sh
# smartctl-validate: the storage device's SMART health (run once per disk; $1 is the device path).
# A device without SMART (virtual disks, some USB bridges) passes with a note: there is nothing to judge.
set -u
dev=${1:?usage: smartctl-validate /dev/DEVICE}
command -v smartctl >/dev/null 2>&1 || { echo "smartctl-validate: smartmontools is not installed in this environment" >&2; exit 3; }
info=$(smartctl --info "$dev" 2>&1)
if printf '%s\n' "$info" | grep -qiE 'SMART support is: *(Unavailable|Disabled)|Unable to detect device type|lacks SMART capability|Unknown USB bridge'; then
  printf '%s\n' "$info"
  echo "SMART is not available on $dev; nothing to validate."
  exit 0
fi
smartctl --xall "$dev"
rc=$?
# smartctl's exit status is a bit mask (smartctl(8)): 1-2 could not ask, 8 failing now, 16 pre-failure
# attributes at or below threshold, 64/128 errors in the error or self-test log.
if [ $((rc & 3)) -ne 0 ]; then echo "smartctl-validate: could not read SMART data from $dev (status $rc)" >&2; exit 2; fi
if [ $((rc & 8)) -ne 0 ]; then echo "smartctl-validate: $dev reports that it is FAILING" >&2; exit 1; fi
if [ $((rc & 16)) -ne 0 ]; then echo "smartctl-validate: $dev has pre-failure attributes at or below threshold" >&2; exit 1; fi
if [ $((rc & 192)) -ne 0 ]; then echo "smartctl-validate: $dev has errors in its error or self-test log" >&2; exit 1; fi
echo "SMART health of $dev: PASSED"

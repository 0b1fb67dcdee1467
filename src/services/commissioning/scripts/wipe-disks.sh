#!/bin/sh
# wipe-disks: erase disks on release. Usage: wipe-disks [--quick-erase] [--secure-erase] [DEVICE...]
# (default: every physical disk). The modes follow MAAS's erase options:
#   --secure-erase  the drive erases itself: NVMe `nvme format -s1`, ATA `hdparm --security-erase`;
#                   where that is not supported it falls back to quick (with --quick-erase) or full;
#   --quick-erase   signatures (wipefs) plus the first and last MiB;
#   neither         full: zero the whole device (BLKZEROOUT when the device offers it, else dd).
set -u
quick=0; secure=0; devs=
for a in "$@"; do
  case "$a" in
    --quick-erase) quick=1 ;; --secure-erase) secure=1 ;;
    -*) echo "wipe-disks: unknown option $a" >&2; exit 2 ;;
    *) devs="$devs $a" ;;
  esac
done
if [ -z "$devs" ]; then
  for b in /sys/block/*; do
    n=${b##*/}
    case "$n" in loop*|ram*|zram*|dm-*|md*|nbd*|fd*|sr*|bcache*|drbd*) continue ;; esac
    [ -e "$b/device" ] && [ "$(cat "$b/ro")" != 1 ] && devs="$devs /dev/$n"
  done
fi
MIB=1048576
size_of() { blockdev --getsize64 "$1" 2>/dev/null || echo $(( $(cat "/sys/class/block/${1##*/}/size") * 512 )); }

secure_nvme() {
  command -v nvme >/dev/null 2>&1 || return 1
  # OACS bit 1: the controller supports Format NVM.
  oacs=$(nvme id-ctrl "$1" 2>/dev/null | awk -F: '/^oacs/ {gsub(/ /, "", $2); print $2}')
  [ -n "$oacs" ] && [ $(( oacs & 2 )) -ne 0 ] || return 1
  nvme format "$1" -s 1 -f 2>/dev/null || nvme format "$1" -s 1
}
secure_ata() {
  command -v hdparm >/dev/null 2>&1 || return 1
  id=$(hdparm -I "$1" 2>/dev/null) || return 1
  sec=$(printf '%s\n' "$id" | sed -n '/^Security:/,/^[A-Z]/p')
  printf '%s\n' "$sec" | grep -q 'supported' || return 1
  for bad in '[[:space:]]enabled' '[[:space:]]locked' '[[:space:]]frozen'; do
    printf '%s\n' "$sec" | grep -E "^[[:space:]]+$bad" | grep -qv 'not' && return 1
  done
  hdparm --user-master u --security-set-pass plinth "$1" >/dev/null || return 1
  if printf '%s\n' "$sec" | grep -q 'supported: enhanced erase'; then
    hdparm --user-master u --security-erase-enhanced plinth "$1"
  else
    hdparm --user-master u --security-erase plinth "$1"
  fi
}
quick_erase() {
  size=$(size_of "$1")
  for p in "$1"?* "$1"p[0-9]*; do [ -b "$p" ] && wipefs -a -q "$p"; done
  wipefs -a -q "$1" || true
  dd if=/dev/zero of="$1" bs=$MIB count=1 conv=notrunc,fsync status=none || return 1
  [ "$size" -gt $((2 * MIB)) ] || return 0
  dd if=/dev/zero of="$1" bs=$MIB count=1 seek=$(( size / MIB - 1 )) conv=notrunc,fsync status=none
}
full_erase() {
  size=$(size_of "$1")
  blkdiscard -z "$1" 2>/dev/null && return 0
  dd if=/dev/zero of="$1" bs=$MIB count=$(( (size + MIB - 1) / MIB )) conv=notrunc,fsync status=none 2>/dev/null
  [ "$(size_of "$1")" = "$size" ] # a short write past the end is expected; the device must still be there
}

failed=
for d in $devs; do
  [ -b "$d" ] || { echo "wipe-disks: $d is not a block device" >&2; failed="$failed $d"; continue; }
  how=
  if [ $secure = 1 ]; then
    case "${d##*/}" in nvme*) secure_nvme "$d" && how=secure ;; *) secure_ata "$d" && how=secure ;; esac
    [ -n "$how" ] || echo "$d: secure erase is not supported; falling back to $( [ $quick = 1 ] && echo quick || echo full ) erase"
  fi
  if [ -z "$how" ] && [ $quick = 1 ]; then quick_erase "$d" && how=quick; fi
  if [ -z "$how" ] && [ $quick = 0 ]; then full_erase "$d" && how=full; fi
  if [ -n "$how" ]; then echo "$d: $how erase done"; else echo "wipe-disks: erasing $d failed" >&2; failed="$failed $d"; fi
done
[ -z "$failed" ] || { echo "wipe-disks: failed on$failed" >&2; exit 1; }

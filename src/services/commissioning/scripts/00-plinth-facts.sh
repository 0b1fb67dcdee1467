#!/bin/sh
# 00-plinth-facts: the machine's hardware as one JSON document on stdout (schema: ../facts.ts).
# Reads /proc, /sys and /dev/disk only (udevadm when present, for what only udev knows: disk serials,
# models and firmware revisions of SATA/SAS disks); changes nothing.
# SYSFS/PROCFS/DEVROOT may point elsewhere (tests feed captured trees); they default to the real ones.
set -u
SYS=${SYSFS:-/sys}
PROC=${PROCFS:-/proc}
DEV=${DEVROOT:-/dev}

# A JSON string: backslashes and quotes escaped, control characters dropped, surrounding blanks trimmed.
js() {
  printf '"%s"' "$(printf '%s' "$1" | tr -d '\000-\010\012-\037' | tr '\t' ' ' \
    | sed -e 's/^ *//' -e 's/ *$//' -e 's/\\/\\\\/g' -e 's/"/\\"/g')"
}
# The first line of a file, or nothing (unreadable, absent).
rd() { [ -r "$1" ] && head -n 1 "$1" 2>/dev/null | tr -d '\000'; return 0; }
# A JSON string of a file's first line, or null.
jf() { v=$(rd "$1"); if [ -n "$v" ]; then js "$v"; else printf null; fi; }
# A number, or null when the text is not a non-negative integer.
jn() { case "$1" in ''|*[!0-9]*) printf null ;; *) printf '%s' "$1" ;; esac; }
jb() { if [ "$1" = 1 ]; then printf true; else printf false; fi; }
# "0-3,8,10-11" -> "0,1,2,3,8,10,11"
expand_list() {
  printf '%s\n' "$1" | tr ',' '\n' | while IFS=- read -r a b; do
    [ -n "$a" ] || continue
    [ -n "${b:-}" ] || b=$a
    i=$a; while [ "$i" -le "$b" ]; do printf '%s\n' "$i"; i=$((i + 1)); done
  done | paste -sd, -
}

arch() {
  case "$(uname -m)" in
    x86_64) echo amd64 ;; aarch64) echo arm64 ;; ppc64le) echo ppc64el ;; i?86) echo i386 ;;
    armv7l|armv8l) echo armhf ;; s390x) echo s390x ;; riscv64) echo riscv64 ;; *) uname -m ;;
  esac
}

cpu_json() {
  count=$(grep -c '^processor' "$PROC/cpuinfo")
  model=$(grep -m1 -E '^(model name|cpu model|Model|cpu)[[:space:]]*:' "$PROC/cpuinfo" | cut -d: -f2-)
  khz=$(rd "$SYS/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq")
  if [ -n "$khz" ]; then mhz=$((khz / 1000)); else
    mhz=$(grep -m1 '^cpu MHz' "$PROC/cpuinfo" | cut -d: -f2 | tr -d ' ' | cut -d. -f1)
  fi
  sockets=$(grep '^physical id' "$PROC/cpuinfo" | sort -u | wc -l)
  printf '{"model":%s,"count":%s,"speed_mhz":%s,"sockets":%s}' "$(js "${model:-unknown}")" "$(jn "$count")" "$(jn "${mhz:-}")" "$(jn "$sockets")"
}

# Installed memory in MiB: online memory blocks when the kernel lists them (close to the DIMMs), else MemTotal.
mem_blocks_mib() { # $1: directory holding memoryN entries
  bs=$(rd "$SYS/devices/system/memory/block_size_bytes")
  [ -n "$bs" ] || return 1
  n=0
  for m in "$1"/memory[0-9]*; do
    [ -e "$m/online" ] || continue
    [ "$(rd "$m/online")" = 1 ] && n=$((n + 1))
  done
  [ "$n" -gt 0 ] || return 1
  echo $(( n * $(printf '%d' "0x$bs") / 1048576 ))
}
memory_mib() {
  mem_blocks_mib "$SYS/devices/system/memory" && return
  echo $(( $(awk '/^MemTotal:/ {print $2}' "$PROC/meminfo") / 1024 ))
}

numa_json() {
  first=1; printf '['
  for n in "$SYS"/devices/system/node/node[0-9]*; do
    [ -d "$n" ] || continue
    idx=${n##*node}
    mib=$(mem_blocks_mib "$n") || mib=$(( $(awk '/MemTotal:/ {print $4}' "$n/meminfo") / 1024 ))
    [ $first = 1 ] || printf ','; first=0
    printf '{"index":%s,"cpus":[%s],"memory_mib":%s}' "$idx" "$(expand_list "$(rd "$n/cpulist")")" "$(jn "$mib")"
  done
  printf ']'
}

firmware_json() {
  if [ -d "$SYS/firmware/efi" ]; then t=uefi; else t=bios; fi
  d="$SYS/class/dmi/id"
  printf '{"type":"%s","vendor":%s,"version":%s,"date":%s}' "$t" "$(jf "$d/bios_vendor")" "$(jf "$d/bios_version")" "$(jf "$d/bios_date")"
}

dmi_json() {
  d="$SYS/class/dmi/id"
  printf '{"system":{"vendor":%s,"product":%s,"family":%s,"version":%s,"sku":%s,"serial":%s,"uuid":%s},' \
    "$(jf "$d/sys_vendor")" "$(jf "$d/product_name")" "$(jf "$d/product_family")" "$(jf "$d/product_version")" \
    "$(jf "$d/product_sku")" "$(jf "$d/product_serial")" "$(jf "$d/product_uuid")"
  printf '"board":{"vendor":%s,"product":%s,"serial":%s,"version":%s},' \
    "$(jf "$d/board_vendor")" "$(jf "$d/board_name")" "$(jf "$d/board_serial")" "$(jf "$d/board_version")"
  printf '"chassis":{"vendor":%s,"type":%s,"serial":%s,"version":%s}}' \
    "$(jf "$d/chassis_vendor")" "$(jf "$d/chassis_type")" "$(jf "$d/chassis_serial")" "$(jf "$d/chassis_version")"
}

# The bus device behind a sysfs device: virtio devices hang below the PCI (or MMIO) function that carries them.
bus_dev() {
  p=$(readlink -f "$1")
  case "${p##*/}" in virtio[0-9]*) p=${p%/*} ;; esac
  printf '%s' "$p"
}
bus_of() { s=$(readlink -f "$1/subsystem"); printf '%s' "${s##*/}"; }
numa_of() { v=$(rd "$1/numa_node"); case "$v" in ''|-*) printf null ;; *) jn "$v" ;; esac; }

nics_json() {
  first=1; printf '['
  for n in "$SYS"/class/net/*; do
    [ -e "$n/device" ] || continue # virtual interfaces (lo, bridges, bonds, tunnels) have no device
    name=${n##*/}
    dev=$(bus_dev "$n/device")
    drv=$(readlink -f "$n/device/driver" 2>/dev/null); drv=${drv##*/}
    speed=$(rd "$n/speed"); case "$speed" in ''|-*) speed= ;; esac
    case "$(rd "$n/operstate")" in up) link=up ;; down|lowerlayerdown|dormant) link=down ;; *) link=unknown ;; esac
    [ "$(rd "$n/carrier")" = 1 ] && link=up
    [ $first = 1 ] || printf ','; first=0
    printf '{"name":%s,"mac":%s,"driver":%s,"speed_mbps":%s,"link":"%s","mtu":%s,"bus":%s,"address":%s,"vendor_id":%s,"product_id":%s,"numa_node":%s}' \
      "$(js "$name")" "$(jf "$n/address")" "$(if [ -n "$drv" ]; then js "$drv"; else printf null; fi)" "$(jn "$speed")" "$link" \
      "$(jn "$(rd "$n/mtu")")" "$(js "$(bus_of "$dev")")" "$(js "${dev##*/}")" "$(jf "$dev/vendor")" "$(jf "$dev/device")" "$(numa_of "$dev")"
  done
  printf ']'
}

# A udev property of a disk, when udevadm is there.
udev_prop() {
  command -v udevadm >/dev/null 2>&1 || return 0
  udevadm info --query=property --name="$DEV/$1" 2>/dev/null | sed -n "s/^$2=//p" | head -n 1
}

# The stable path MAAS records: a /dev/disk/by-id link (not wwn-/eui. when another exists), else by-path.
id_path_of() {
  best=; fallback=
  for l in "$DEV"/disk/by-id/* "$DEV"/disk/by-path/*; do
    [ -L "$l" ] || continue
    t=$(readlink "$l"); [ "${t##*/}" = "$1" ] || continue
    case "$l" in
      */by-id/wwn-*|*/by-id/nvme-eui.*|*/by-id/nvme-nvme.*) [ -n "$fallback" ] || fallback=$l ;;
      */by-path/*) [ -n "$best" ] || [ -n "$fallback" ] || fallback=$l ;;
      *) if [ -z "$best" ] || [ ${#l} -lt ${#best} ]; then best=$l; fi ;;
    esac
  done
  printf '%s' "${best:-$fallback}"
}

disks_json() {
  first=1; printf '['
  for b in "$SYS"/block/*; do
    name=${b##*/}
    case "$name" in loop*|ram*|zram*|dm-*|md*|nbd*|fd*|sr*|bcache*|drbd*) continue ;; esac
    [ "$(rd "$b/ro")" = 1 ] && continue
    [ -e "$b/device" ] || continue
    size=$(( $(rd "$b/size") * 512 ))
    [ "$size" -gt 0 ] || continue
    model=$(udev_prop "$name" ID_MODEL_ENC | sed 's/\\x20/ /g'); [ -n "$model" ] || model=$(rd "$b/device/model")
    serial=$(udev_prop "$name" ID_SERIAL_SHORT); [ -n "$serial" ] || serial=$(rd "$b/device/serial"); [ -n "$serial" ] || serial=$(rd "$b/serial")
    fw=$(udev_prop "$name" ID_REVISION); [ -n "$fw" ] || fw=$(rd "$b/device/firmware_rev"); [ -n "$fw" ] || fw=$(rd "$b/device/rev")
    idp=$(id_path_of "$name")
    dev=$(bus_dev "$b/device")
    [ $first = 1 ] || printf ','; first=0
    printf '{"name":%s,"model":%s,"serial":%s,"size":%s,"block_size":%s,"rotational":%s,"removable":%s,"id_path":%s,"firmware_version":%s,"bus":%s,"numa_node":%s}' \
      "$(js "$name")" "$(js "$model")" "$(js "$serial")" "$size" "$(jn "$(rd "$b/queue/logical_block_size")")" \
      "$(jb "$(rd "$b/queue/rotational")")" "$(jb "$(rd "$b/removable")")" \
      "$(if [ -n "$idp" ]; then js "$idp"; else printf null; fi)" "$(if [ -n "$fw" ]; then js "$fw"; else printf null; fi)" \
      "$(js "$(bus_of "$dev")")" "$(numa_of "$dev")"
  done
  printf ']'
}

printf '{"version":1,"architecture":"%s","kernel":%s,"cpu":%s,"memory_mib":%s,"numa":%s,"firmware":%s,"dmi":%s,"nics":%s,"disks":%s}\n' \
  "$(arch)" "$(js "$(uname -r)")" "$(cpu_json)" "$(jn "$(memory_mib)")" "$(numa_json)" "$(firmware_json)" "$(dmi_json)" "$(nics_json)" "$(disks_json)"

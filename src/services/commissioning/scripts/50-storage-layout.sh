#!/bin/sh
# 50-storage-layout: what the machine's disks hold now, as a Plinth storage document (JSON on stdout):
# partition tables, partitions (offset and size in bytes), filesystems (type, label, UUID), software
# RAID arrays and LVM volume groups. The region stores it as the machine's "custom" layout.
# Arguments: the disks to describe (e.g. sda vdb); default every physical disk. Reads only.
# SYSFS/DEVROOT may point elsewhere (tests feed prepared trees); they default to /sys and /dev.
set -u
SYS=${SYSFS:-/sys}
DEV=${DEVROOT:-/dev}
MAP=$(mktemp) || exit 1
trap 'rm -f "$MAP"' EXIT

js() { printf '"%s"' "$(printf '%s' "$1" | tr -d '\000-\037' | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g')"; }
rd() { [ -r "$1" ] && head -n 1 "$1" 2>/dev/null; return 0; }
# blkid's view of one device (probing the device itself, not the cache): TYPE, LABEL, UUID, PTTYPE.
probe() { blkid -p -o export "$DEV/$1" 2>/dev/null | sed -n "s/^$2=//p" | head -n 1; }
# A document name for a kernel device name (sda2 -> sda-part1), as recorded in $MAP.
docname() { n=$(awk -v k="$1" '$1 == k {print $2; exit}' "$MAP"); printf '%s' "${n:-$1}"; }

# The filesystem on a device as a document object, or nothing when it carries none we model.
fs_json() {
  t=$(probe "$1" TYPE)
  case "$t" in
    ext2|ext4|xfs|btrfs|swap) ;; ext3) t=ext4 ;; vfat) t=fat32 ;; *) return 0 ;;
  esac
  printf '"filesystem":{"fstype":"%s"' "$t"
  l=$(probe "$1" LABEL); [ -n "$l" ] && printf ',"label":%s' "$(js "$l")"
  u=$(probe "$1" UUID); [ -n "$u" ] && printf ',"uuid":%s' "$(js "$u")"
  mp=$(awk -v d="/dev/$1" '$1 == d {print $2; exit}' /proc/mounts 2>/dev/null)
  [ -n "$mp" ] && printf ',"mount_point":%s' "$(js "$mp")"
  printf '}'
}

# Partition table and partitions, or a whole-device filesystem, of one device (disk, md array).
content_json() {
  dev=$1; pt=$(probe "$dev" PTTYPE)
  case "$pt" in gpt) pt=gpt ;; dos) pt=mbr ;; *) pt= ;; esac
  if [ -z "$pt" ]; then f=$(fs_json "$dev"); [ -n "$f" ] && printf ',%s' "$f"; return 0; fi
  printf ',"ptable":"%s","partitions":[' "$pt"
  i=0
  for p in $(for x in "$SYS/block/$dev"/*/partition; do [ -e "$x" ] && echo "$(rd "$x") ${x%/partition}"; done | sort -n | cut -d' ' -f2); do
    part=${p##*/}
    # Extended MBR partitions only hold logical ones; they are not partitions of their own here.
    [ "$(rd "$p/size")" -le 2 ] && continue
    i=$((i + 1)); echo "$part $dev-part$i" >> "$MAP"
    [ $i = 1 ] || printf ','
    printf '{"offset":%s,"size":%s' "$(( $(rd "$p/start") * 512 ))" "$(( $(rd "$p/size") * 512 ))"
    f=$(fs_json "$part"); [ -n "$f" ] && printf ',%s' "$f"
    printf '}'
  done
  printf ']'
}

disks() {
  if [ $# -gt 0 ]; then for d in "$@"; do echo "${d#/dev/}"; done; return; fi
  for b in "$SYS"/block/*; do
    n=${b##*/}
    case "$n" in loop*|ram*|zram*|dm-*|md*|nbd*|fd*|sr*|bcache*|drbd*) continue ;; esac
    [ -e "$b/device" ] && [ "$(rd "$b/ro")" != 1 ] && echo "$n"
  done
}

printf '{"disks":['
first=1
for d in $(disks "$@"); do
  [ -e "$SYS/block/$d" ] || { echo "50-storage-layout: no block device $d" >&2; exit 2; }
  [ $first = 1 ] || printf ','; first=0
  printf '{"disk":%s' "$(js "$d")"; content_json "$d"; printf '}'
done

printf '],"raids":['
first=1
for md in "$SYS"/block/md*; do
  [ -d "$md/md" ] || continue
  n=${md##*/}; lvl=$(rd "$md/md/level")
  case "$lvl" in raid0|raid1|raid5|raid6|raid10) lvl="raid-${lvl#raid}" ;; *) continue ;; esac
  act=; spare=
  for m in "$md"/md/dev-*; do
    [ -e "$m/block" ] || continue
    b=$(readlink -f "$m/block"); mn=$(docname "${b##*/}")
    case "$(rd "$m/state")" in *spare*) spare="$spare,$(js "$mn")" ;; *) act="$act,$(js "$mn")" ;; esac
  done
  [ $first = 1 ] || printf ','; first=0
  printf '{"name":%s,"level":"%s","devices":[%s],"spares":[%s]' "$(js "$n")" "$lvl" "${act#,}" "${spare#,}"
  content_json "$n"; printf '}'
done

printf '],"volume_groups":['
first=1
if command -v vgs >/dev/null 2>&1; then
  for vg in $(vgs --noheadings -o vg_name 2>/dev/null); do
    pvs=$(pvs --noheadings -o pv_name,vg_name 2>/dev/null | awk -v g="$vg" '$2 == g {print $1}')
    devs=; for p in $pvs; do r=$(readlink -f "$p"); devs="$devs,$(js "$(docname "${r##*/}")")"; done
    [ $first = 1 ] || printf ','; first=0
    printf '{"name":%s,"devices":[%s],"logical_volumes":[' "$(js "$vg")" "${devs#,}"
    lf=1
    lvs --noheadings --units b --nosuffix -o lv_name,lv_size "$vg" 2>/dev/null | while read -r lv sz; do
      [ $lf = 1 ] || printf ','; lf=0
      r=$(readlink -f "/dev/$vg/$lv"); f=$(fs_json "${r##*/}")
      printf '{"name":%s,"size":%s%s}' "$(js "$lv")" "${sz%%.*}" "${f:+,$f}"
    done
    printf ']}'
  done
fi
printf ']}\n'

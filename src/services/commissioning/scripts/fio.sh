#!/bin/sh
# fio: short random read and random write benchmark of one storage device ($1). DESTRUCTIVE: the write
# pass overwrites data on the device. FIO_RUNTIME (seconds per pass, default 30) and FIO_SIZE (the span
# tested, default the whole device) may shorten it. Results go to $RESULT_PATH as YAML when it is set.
set -eu
dev=${1:?usage: fio /dev/DEVICE}
command -v fio >/dev/null 2>&1 || { echo "fio: fio is not installed in this environment" >&2; exit 3; }
run() { # $1: randread | randwrite -> terse v3 line
  fio --name="$1" --filename="$dev" --rw="$1" --bs=4k --iodepth=32 --ioengine=libaio --direct=1 \
    --runtime="${FIO_RUNTIME:-30}" --time_based --group_reporting --minimal ${FIO_SIZE:+--size="$FIO_SIZE"}
}
r=$(run randread); w=$(run randwrite)
# terse v3: field 7 read bandwidth KiB/s, 8 read IOPS; 48 write bandwidth KiB/s, 49 write IOPS.
rbw=$(echo "$r" | cut -d';' -f7); riops=$(echo "$r" | cut -d';' -f8)
wbw=$(echo "$w" | cut -d';' -f48); wiops=$(echo "$w" | cut -d';' -f49)
echo "$dev random read:  $riops IOPS, $rbw KiB/s"
echo "$dev random write: $wiops IOPS, $wbw KiB/s"
if [ -n "${RESULT_PATH:-}" ]; then
  printf 'results:\n  random_read: %s\n  random_read_iops: %s\n  random_write: %s\n  random_write_iops: %s\n' \
    "$rbw KiB/s" "$riops" "$wbw KiB/s" "$wiops" > "$RESULT_PATH"
fi

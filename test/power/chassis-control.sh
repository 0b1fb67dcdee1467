#!/bin/sh
# TEST DOUBLE for machine hardware we do not have: the chassis (power and boot device) behind the
# emulated BMC. OpenIPMI's ipmi_sim runs this through its `chassis_control` line as
#   chassis-control.sh STATE_FILE get power|boot ...   -> prints "power:0|1", "boot:<dev>"
#   chassis-control.sh STATE_FILE set power 0|1 | reset 1 | shutdown 1 | boot none|pxe|default|cdrom|bios
# and the power tests read STATE_FILE ("power=<0|1>" and "boot=<dev>" lines) to see what the BMC did.
# `shutdown` (soft off through ACPI) powers off at once, as a co-operative OS would; `reset` leaves power on.
# Every call is appended to STATE_FILE.log.
state="$1"; shift
power=0
boot=none
[ -f "$state" ] && . "$state"
echo "$*" >> "$state.log"
cmd="$1"; shift
case "$cmd" in
get)
  for item in "$@"; do
    case "$item" in
      power) echo "power:$power" ;;
      boot) echo "boot:$boot" ;;
    esac
  done ;;
set)
  while [ $# -ge 2 ]; do
    case "$1" in
      power) power="$2" ;;
      shutdown) [ "$2" = 1 ] && power=0 ;;
      boot) boot="$2" ;;
      reset) : ;;
    esac
    shift 2
  done
  printf 'power=%s\nboot=%s\n' "$power" "$boot" > "$state.tmp" && mv "$state.tmp" "$state" ;;
*)
  echo "unknown command $cmd" >&2; exit 1 ;;
esac

#!/usr/bin/env bash
# The README's lab walkthrough, as one script that prints each command and times each step:
# images, a one-machine lab, DHCP on its network, power on by the BMC → enlisted, commission → Ready,
# deploy with your SSH key → Deployed, SSH in. Needs root (the lab and the image builder) and what
# `.ci/run` installs. Run after `make up`:   sudo scripts/lab-demo.sh     (scripts/lab-demo.sh down: remove the lab)
set -euo pipefail
cd "$(dirname "$0")/.."
DATA_DIR=${DATA_DIR:-.plinth}
PORT=${PORT:-5240}
P="./bin/plinth"
PROFILE=${PROFILE:-admin}

if [ "${1:-}" = down ]; then exec $P lab down --data-dir "$DATA_DIR"; fi

T0=$(date +%s.%N)
LAST=$T0
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
# step NAME: prints the step's name; done_: prints its time and the total so far.
step() { printf '\n== %s\n' "$1"; LAST=$(date +%s.%N); }
done_() { printf '   %s s (total %s s)\n' "$(since "$LAST")" "$(since "$T0")"; }
show() { printf '$ %s\n' "$*" >&2; "$@"; }
# JSON on stdin → the value of a JavaScript expression over it (`it`).
j() { node -e "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{const it=JSON.parse(s);const v=($1);process.stdout.write(String(v))})"; }

step "log in (the admin's API key from the data directory)"
KEY=$($P apikey --data-dir "$DATA_DIR" --username admin | head -1)
show $P login "$PROFILE" "http://127.0.0.1:$PORT/MAAS/" "$KEY" >/dev/null
[ -f ~/.ssh/id_ed25519.pub ] || ssh-keygen -q -t ed25519 -N '' -f ~/.ssh/id_ed25519
if ! $P "$PROFILE" sshkeys read | grep -qF "$(cut -d' ' -f2 ~/.ssh/id_ed25519.pub)"; then
  show $P "$PROFILE" sshkeys create key@=$HOME/.ssh/id_ed25519.pub >/dev/null
fi
done_

step "build the ephemeral environment (cached after the first build)"
show $P images build --data-dir "$DATA_DIR" --only ephemeral
done_
# The Debian image is needed only at deploy: it builds while the machine enlists and commissions.
echo "\$ $P images build --data-dir $DATA_DIR --only debian > $DATA_DIR/debian-image.log 2>&1 &"
$P images build --data-dir "$DATA_DIR" --only debian > "$DATA_DIR/debian-image.log" 2>&1 &
DEBIAN_BUILD=$!

step "a lab of one BIOS machine with its BMC"
show $P lab up --data-dir "$DATA_DIR" --machines 1 >/dev/null
LAB=$($P lab status --data-dir "$DATA_DIR")
CIDR=$(echo "$LAB" | j 'it.network.provisioning.cidr')
NET=${CIDR%.*}
MAC=$(echo "$LAB" | j 'it.machines[0].macs[0]')
BMC=$(echo "$LAB" | j '[it.machines[0].bmc.address, it.machines[0].bmc.user, it.machines[0].bmc.password].join(" ")')
read -r BMC_IP BMC_USER BMC_PASS <<<"$BMC"
echo "   network $CIDR, machine $MAC, BMC $BMC_IP"
done_

step "DHCP on the lab's network: dynamic .200–.254, reserved .1–.10"
until SUBNET=$($P "$PROFILE" subnets read | j "(it.find(s => s.cidr === '$CIDR') || {}).id ?? ''") && [ -n "$SUBNET" ]; do sleep 1; done
RACK=$($P "$PROFILE" rack-controllers read | j 'it[0].system_id')
FABRIC=$($P "$PROFILE" subnet read "$SUBNET" | j 'it.vlan.fabric_id')
VID=$($P "$PROFILE" subnet read "$SUBNET" | j 'it.vlan.vid')
show $P "$PROFILE" ipranges create type=dynamic start_ip="$NET.200" end_ip="$NET.254" subnet="$SUBNET" >/dev/null
show $P "$PROFILE" ipranges create type=reserved start_ip="$NET.1" end_ip="$NET.10" subnet="$SUBNET" >/dev/null
show $P "$PROFILE" maas set-config name=kernel_opts value='console=tty0 console=ttyS0,115200' >/dev/null
show $P "$PROFILE" vlan update "$FABRIC" "$VID" dhcp_on=true primary_rack="$RACK" >/dev/null
done_

step "power the machine on by its BMC → it network-boots and enlists itself (New)"
show ipmitool -I lanplus -C 3 -H "$BMC_IP" -U "$BMC_USER" -P "$BMC_PASS" chassis bootdev pxe >/dev/null
show ipmitool -I lanplus -C 3 -H "$BMC_IP" -U "$BMC_USER" -P "$BMC_PASS" chassis power on
SID=$(show $P wait "$PROFILE" "$MAC" New --timeout 20)
echo "   enlisted as $SID"
done_

step "commission → Ready"
show $P "$PROFILE" machine commission "$SID" >/dev/null
show $P wait "$PROFILE" "$SID" Ready --timeout 30 >/dev/null
done_

step "wait for the Debian image"
if ! wait $DEBIAN_BUILD; then tail -20 "$DATA_DIR/debian-image.log" >&2; exit 1; fi
tail -1 "$DATA_DIR/debian-image.log"
done_

step "deploy Debian 12 with your SSH key → Deployed"
show $P "$PROFILE" machine deploy "$SID" >/dev/null
show $P wait "$PROFILE" "$SID" Deployed --timeout 40 >/dev/null
IP=$($P "$PROFILE" machine read "$SID" | j 'it.ip_addresses[0]')
done_

step "SSH in as debian@$IP"
SSH=(ssh -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=5 -o BatchMode=yes "debian@$IP")
until "${SSH[@]}" true 2>/dev/null; do sleep 2; done
show "${SSH[@]}" 'hostname; df -h /; ip -br addr'
done_
printf '\nDone: %s deployed, %s s in all. Remove the lab with: sudo scripts/lab-demo.sh down\n' "$SID" "$(since "$T0")"

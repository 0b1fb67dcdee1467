#!/bin/sh
# Plinth's initramfs /init (busybox ash). It reads the kernel command line the way MAAS's
# ephemeral environment expects (maas-api-spec.md §6.2):
#   BOOTIF=01-aa-bb-cc-dd-ee-ff     the interface the machine booted from (appended by the bootloader)
#   ip=::::<hostname>:BOOTIF        nfsroot-style client:server:gw:netmask:hostname:device[:autoconf]
#   root=squash:http://…/squashfs   the root image, downloaded into RAM
#   overlayroot=tmpfs               a tmpfs overlay over the read-only image (the default)
# then configures the network, fetches and mounts the root and switch_roots into /sbin/init.
# The network stays up across switch_root, and the lease is handed to the real root (klibc-style
# /run/net-<iface>.conf for cloud-init, a systemd-networkd .network for the boot interface) so
# cloud-init's local stage can already reach cloud-config-url.
#
# Sourced with PLINTH_INIT_LIB=1 it only defines its functions (the tests call parse_cmdline).

log() { echo "plinth-initramfs: $*"; }

# A failed boot stops at a shell on the console rather than a kernel panic, so an operator can look.
panic() {
	log "FATAL: $*"
	log "dropping to a shell"
	exec setsid cttyhack sh
}

# parse_cmdline TEXT — sets ROOT_URL ROOT_OTHER BOOTIF_MAC IP_MODE IP_CLIENT IP_GW IP_MASK IP_HOST
# IP_DEV OVERLAYROOT from a kernel command line.
parse_cmdline() {
	ROOT_URL='' ROOT_OTHER='' BOOTIF_MAC='' IP_MODE=dhcp IP_CLIENT='' IP_GW='' IP_MASK='' IP_HOST='' IP_DEV='' OVERLAYROOT=tmpfs
	# No globbing: tokens like ['MAAS']}end_cc must not be expanded against the filesystem.
	set -f
	after_dashes=''
	for tok in $1; do
		# The bootloader appends BOOTIF after everything, extra options included; other options past
		# `---` (or `--`) are for the installed system.
		case "$tok" in
		BOOTIF=*) BOOTIF_MAC=$(bootif_mac "${tok#BOOTIF=}"); continue ;;
		--|---) after_dashes=1; continue ;;
		esac
		[ -z "$after_dashes" ] || continue
		case "$tok" in
		root=squash:*) ROOT_URL=${tok#root=squash:} ;;
		root=*) ROOT_OTHER=${tok#root=} ;;
		ip=*) parse_ip "${tok#ip=}" ;;
		overlayroot=*) OVERLAYROOT=${tok#overlayroot=} ;;
		esac
	done
	set +f
}

# BOOTIF is "<ARP hardware type>-<mac with dashes>" (01 = Ethernet); some loaders omit the type.
bootif_mac() {
	v=$(echo "$1" | tr 'A-F' 'a-f')
	case "$v" in
	??-??-??-??-??-??-??) v=${v#??-} ;;
	esac
	echo "$v" | tr '-' ':'
}

parse_ip() {
	case "$1" in
	off | none) IP_MODE=off; return ;;
	dhcp | on | any | both | '') IP_MODE=dhcp; return ;;
	esac
	old_ifs=$IFS
	IFS=:
	# shellcheck disable=SC2086 # splitting on ':' is the point
	set -- $1
	IFS=$old_ifs
	IP_CLIENT=$1 IP_GW=$3 IP_MASK=$4 IP_HOST=$5 IP_DEV=$6
	case "${7:-}" in
	off | none) IP_MODE=static ;;
	*) if [ -n "$IP_CLIENT" ] && [ -n "$IP_MASK" ]; then IP_MODE=static; else IP_MODE=dhcp; fi ;;
	esac
}

# Interface name for a MAC address, waiting up to 15 s for the driver to register it.
iface_by_mac() {
	n=0
	while [ $n -lt 30 ]; do
		for d in /sys/class/net/*; do
			[ "$(cat "$d/address" 2>/dev/null)" = "$1" ] && { echo "${d##*/}"; return 0; }
		done
		n=$((n + 1))
		sleep 0.5
	done
	return 1
}

load_modules() {
	[ -f /lib/modules/load-order ] || return 0
	while read -r mod args; do
		# shellcheck disable=SC2086 # module parameters are separate words
		insmod "$mod" $args 2>/dev/null || true
	done </lib/modules/load-order
}

# Candidate interfaces, the booted one first when BOOTIF names it.
pick_ifaces() {
	if [ -n "$IP_DEV" ] && [ "$IP_DEV" != BOOTIF ]; then echo "$IP_DEV"; return; fi
	if [ -n "$BOOTIF_MAC" ]; then
		iface_by_mac "$BOOTIF_MAC" && return
		log "no interface has BOOTIF's address $BOOTIF_MAC; trying all"
	fi
	sleep 2
	for d in /sys/class/net/*; do [ "${d##*/}" = lo ] || echo "${d##*/}"; done
}

configure_net() {
	for ifc in $(pick_ifaces); do
		ip link set "$ifc" up
		if [ "$IP_MODE" = static ]; then
			ip addr add "$IP_CLIENT/$IP_MASK" dev "$ifc" || continue
			[ -z "$IP_GW" ] || ip route add default via "$IP_GW" dev "$ifc"
			printf "DEVICE='%s'\nPROTO='none'\nIPV4ADDR='%s'\nIPV4NETMASK='%s'\nIPV4GATEWAY='%s'\n" \
				"$ifc" "$IP_CLIENT" "$IP_MASK" "$IP_GW" >"/run/net-$ifc.conf"
			BOOT_IFACE=$ifc
			return 0
		fi
		try=1
		while [ $try -le 5 ]; do
			log "DHCP on $ifc (attempt $try)"
			if udhcpc -i "$ifc" -s /bin/plinth-udhcpc -f -q -n -t 4 -T 2 ${IP_HOST:+-x hostname:"$IP_HOST"}; then
				BOOT_IFACE=$ifc
				return 0
			fi
			try=$((try + 1))
		done
	done
	return 1
}

fetch_root() {
	mkdir -p /run/plinth
	# The image lives in RAM on its own tmpfs: it may use most of memory, /run proper must not.
	mount -t tmpfs -o size=95%,mode=0700 plinth-image /run/plinth || return 1
	n=1
	while [ $n -le 10 ]; do
		log "fetching $ROOT_URL (attempt $n)"
		if timeout 900 wget -q -O /run/plinth/root.squashfs "$ROOT_URL" && [ -s /run/plinth/root.squashfs ]; then
			log "fetched $(wc -c </run/plinth/root.squashfs) bytes"
			return 0
		fi
		rm -f /run/plinth/root.squashfs
		sleep $((n < 5 ? n : 5))
		n=$((n + 1))
	done
	return 1
}

mount_root() {
	mkdir -p /root-ro /root-rw /newroot
	mount -t squashfs -o ro,loop /run/plinth/root.squashfs /root-ro || return 1
	if [ "$OVERLAYROOT" = disabled ]; then
		mount -o bind,ro /root-ro /newroot || return 1
		return 0
	fi
	mount -t tmpfs -o mode=0755 root-rw /root-rw || return 1
	mkdir -p /root-rw/upper /root-rw/work
	mount -t overlay -o lowerdir=/root-ro,upperdir=/root-rw/upper,workdir=/root-rw/work overlay /newroot || return 1
	# Where Ubuntu's overlayroot leaves them: an installer copies the pristine image from root-ro.
	mkdir -p /newroot/media/root-ro /newroot/media/root-rw
	mount -o move /root-ro /newroot/media/root-ro
	mount -o move /root-rw /newroot/media/root-rw
}

# Hand the network over: hostname, resolver, and a networkd unit that keeps the boot interface.
handover_net() {
	host=$IP_HOST
	[ -n "$host" ] || host=$(sed -n "s/^HOSTNAME='\(.*\)'$/\1/p" "/run/net-$BOOT_IFACE.conf" 2>/dev/null)
	if [ -n "$host" ]; then
		hostname "$host"
		echo "$host" >/newroot/etc/hostname
	fi
	if [ -s /etc/resolv.conf ]; then
		rm -f /newroot/etc/resolv.conf
		cp /etc/resolv.conf /newroot/etc/resolv.conf
	fi
	mac=$(cat "/sys/class/net/$BOOT_IFACE/address")
	mkdir -p /run/systemd/network
	dhcp=ipv4
	[ "$IP_MODE" = static ] && dhcp=no
	printf '[Match]\nMACAddress=%s\n\n[Network]\nDHCP=%s\nKeepConfiguration=dhcp\n' "$mac" "$dhcp" \
		>/run/systemd/network/05-plinth-bootif.network
	[ "$IP_MODE" = static ] && printf 'Address=%s/%s\n%s\n' "$IP_CLIENT" "$IP_MASK" "${IP_GW:+Gateway=$IP_GW}" \
		>>/run/systemd/network/05-plinth-bootif.network
	return 0
}

main() {
	export PATH=/bin:/sbin
	/bin/busybox --install -s /bin
	mkdir -p /proc /sys /dev /run /tmp
	mount -t proc proc /proc
	mount -t sysfs sysfs /sys
	mount -t devtmpfs devtmpfs /dev 2>/dev/null
	mount -t tmpfs -o mode=0755,nosuid,nodev run /run
	parse_cmdline "$(cat /proc/cmdline)"
	log "starting (root=${ROOT_URL:-$ROOT_OTHER} ip=$IP_MODE bootif=${BOOTIF_MAC:-none})"
	[ -n "$ROOT_URL" ] || panic "no root=squash:URL on the kernel command line (root=$ROOT_OTHER is not supported)"
	[ "$IP_MODE" != off ] || panic "ip=off: this initramfs fetches the root over IPv4 and needs a network"
	load_modules
	configure_net || panic "no network: DHCP failed on every interface"
	log "network up on $BOOT_IFACE"
	fetch_root || panic "could not download $ROOT_URL"
	mount_root || panic "could not mount the root image"
	log "root mounted (squashfs, overlayroot=$OVERLAYROOT)"
	handover_net
	for m in dev run sys proc; do
		mkdir -p "/newroot/$m"
		mount -o move "/$m" "/newroot/$m"
	done
	exec switch_root /newroot /sbin/init
}

# Only ever as PID 1 of an initramfs: run anywhere else it would remount the host's /proc and /run.
if [ "${PLINTH_INIT_LIB:-}" != 1 ]; then
	[ "$$" = 1 ] || { echo "plinth-initramfs: not PID 1; refusing to run outside an initramfs" >&2; exit 1; }
	main "$@"
fi

#!/bin/sh
# busybox udhcpc event script for Plinth's initramfs. udhcpc passes the lease in the environment
# (interface ip subnet mask router dns domain hostname lease broadcast serverid). Besides
# configuring the interface, it records the lease as a klibc-style /run/net-<iface>.conf: cloud-init
# reads that file (with ip= on the command line) to learn how the initramfs brought the network up.
#
# Sourced with PLINTH_INIT_LIB=1 it only defines klibc_conf (the tests call it).

# klibc_conf — prints the lease from udhcpc's environment in ipconfig's /run/net-*.conf format.
klibc_conf() {
	set -- $dns
	printf "DEVICE='%s'\n" "$interface"
	printf "PROTO='dhcp'\n"
	printf "IPV4ADDR='%s'\n" "$ip"
	printf "IPV4BROADCAST='%s'\n" "${broadcast:-}"
	printf "IPV4NETMASK='%s'\n" "$subnet"
	printf "IPV4GATEWAY='%s'\n" "${router%% *}"
	printf "IPV4DNS0='%s'\n" "${1:-0.0.0.0}"
	printf "IPV4DNS1='%s'\n" "${2:-0.0.0.0}"
	printf "HOSTNAME='%s'\n" "${hostname:-}"
	printf "DNSDOMAIN='%s'\n" "${domain%% *}"
	printf "ROOTSERVER='%s'\n" "${serverid:-}"
	printf "DHCPLEASETIME='%s'\n" "${lease:-0}"
	printf "DOMAINSEARCH='%s'\n" "${search:-${domain:-}}"
}

event() {
	case "$1" in
	deconfig)
		ip addr flush dev "$interface"
		ip link set "$interface" up
		;;
	bound | renew)
		ip addr flush dev "$interface"
		ip addr add "$ip/${mask:-24}" ${broadcast:+broadcast "$broadcast"} dev "$interface"
		if [ -n "${router:-}" ]; then
			ip route replace default via "${router%% *}" dev "$interface"
		fi
		: >/etc/resolv.conf
		[ -z "${domain:-}" ] || echo "search $domain" >>/etc/resolv.conf
		for s in ${dns:-}; do echo "nameserver $s" >>/etc/resolv.conf; done
		klibc_conf >"/run/net-$interface.conf"
		echo "plinth-initramfs: lease $ip/${mask:-24} on $interface from ${serverid:-?} (router ${router:-none})"
		;;
	esac
	return 0
}

[ "${PLINTH_INIT_LIB:-}" = 1 ] || event "$@"

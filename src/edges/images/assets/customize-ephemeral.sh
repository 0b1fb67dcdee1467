#!/bin/sh
# mmdebstrap customize hook for the ephemeral environment. $1: the root; $2: the agent bundle or ''.
# Runs on the host (root mode), before mmdebstrap's cleanup (which empties /etc/machine-id, apt lists
# and caches).
set -eu
root=$1
agent=${2:-}
# Debian's update-initramfs back in place (essential-ephemeral.sh diverted it for the install).
rm -f "$root/usr/sbin/update-initramfs"
chroot "$root" dpkg-divert --quiet --local --rename --remove /usr/sbin/update-initramfs

# The MAAS datasource takes its settings from cloud-config-url on the kernel command line: cloud-init
# fetches it in the local stage and writes 91_kernel_cmdline_url.cfg. Refuse a cloud-init that lacks it.
grep -q 'cloud-config-url' "$root"/usr/lib/python3/dist-packages/cloudinit/cmd/main.py || {
	echo "this cloud-init does not read cloud-config-url from the kernel command line" >&2
	exit 1
}

# One datasource: ds-identify then enables cloud-init without probing (a single-entry list is taken
# as found), and the kernel command line's cc: pins the same.
cat >"$root/etc/cloud/cloud.cfg.d/90_plinth_ephemeral.cfg" <<'CFG'
# Plinth ephemeral environment: the region's metadata service is the only source.
datasource_list: [ MAAS ]
# No locale generation in a throw-away environment (and no locales package to do it with): without
# this, cloud-init's locale module fails, and a failed cloud-init stage fails the machine's action.
locale: false
CFG

# The initramfs brings the boot interface up as eth0 and hands its lease over; renaming an interface
# that is up fails, so predictable names are off in this environment.
mkdir -p "$root/etc/systemd/network"
ln -sf /dev/null "$root/etc/systemd/network/99-default.link"
chroot "$root" systemctl enable systemd-networkd.service >/dev/null 2>&1
# networkd's wait-online would hold boot for every other (unconfigured) NIC; the network generator
# would turn ip=::::<host>:BOOTIF into units for an interface literally named BOOTIF (and fails on it).
chroot "$root" systemctl mask systemd-networkd-wait-online.service systemd-network-generator.service >/dev/null 2>&1

# The initramfs writes hostname and resolver from the DHCP lease.
: >"$root/etc/hostname"
rm -f "$root/etc/resolv.conf"

# Our initramfs replaces Debian's; the kernel stays (installers may copy it).
rm -f "$root"/boot/initrd.img-* "$root/initrd.img" "$root/initrd.img.old"

mkdir -p "$root/usr/lib/plinth"
if [ -n "$agent" ]; then
	cp "$agent" "$root/usr/lib/plinth/agent.mjs"
	chmod 0644 "$root/usr/lib/plinth/agent.mjs"
	cat >"$root/usr/bin/plinth-agent" <<'SH'
#!/bin/sh
exec node /usr/lib/plinth/agent.mjs "$@"
SH
	chmod 0755 "$root/usr/bin/plinth-agent"
fi

# No root password and no host keys in the image: sshd gets fresh keys per boot from cloud-init.
rm -f "$root"/etc/ssh/ssh_host_*
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/debconf/*-old

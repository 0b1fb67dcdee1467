#!/bin/sh
# mmdebstrap customize hook for the deployable Debian image (a root tarball an installer untars onto
# the machine's disks). $1: the root. mmdebstrap's cleanup afterwards empties /etc/machine-id.
set -eu
root=$1

# MAAS only, like curtin's 90_maas_datasource.cfg; the installer adds the credentials next to it.
cat >"$root/etc/cloud/cloud.cfg.d/90_maas_datasource.cfg" <<'CFG'
datasource_list: [ MAAS ]
CFG

# cloud-init's default user, spelled out rather than inherited: `debian`, passwordless sudo, no password.
cat >"$root/etc/cloud/cloud.cfg.d/91_plinth_default_user.cfg" <<'CFG'
system_info:
  default_user:
    name: debian
    lock_passwd: true
    gecos: Debian
    groups: [adm, audio, cdrom, dialout, dip, floppy, netdev, plugdev, sudo, video]
    sudo: ["ALL=(ALL) NOPASSWD:ALL"]
    shell: /bin/bash
CFG

# Per-machine identity is created on first boot: machine-id by systemd, SSH host keys by cloud-init.
: >"$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id" "$root"/etc/ssh/ssh_host_*
: >"$root/etc/hostname"
rm -f "$root/etc/resolv.conf"
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/debconf/*-old

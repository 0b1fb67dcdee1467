#!/bin/sh
# mmdebstrap essential hook for the ephemeral environment ($1: the root): runs after the essential
# set is installed and before the remaining packages are.
# Plinth makes the environment's initramfs itself (initramfs.ts) and the customize hook deletes
# Debian's, but the kernel package's hook and the triggers of initramfs-tools, udev, lvm2 and mdadm
# would each still run mkinitramfs (MODULES=most, zstd: 20-45 s on two cores). update-initramfs is
# diverted to a no-op for the install; the customize hook puts Debian's back.
set -eu
root=$1
chroot "$root" dpkg-divert --quiet --local --rename --divert /usr/sbin/update-initramfs.plinth-build --add /usr/sbin/update-initramfs
printf '#!/bin/sh\n# Plinth image build: no initramfs while packages install (Plinth makes its own).\nexit 0\n' >"$root/usr/sbin/update-initramfs"
chmod 0755 "$root/usr/sbin/update-initramfs"

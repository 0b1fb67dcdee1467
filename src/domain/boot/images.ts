/**
 * Where boot images live under a rack's images directory (served at `/images/` on port 5248).
 * The region names files by this layout in every boot decision; the image builder and the rack's
 * image cache publish into it. Only complete images are ever placed here (they are renamed in).
 *
 *   ephemeral/<arch>/<series>/boot-kernel   the ephemeral environment's kernel
 *   ephemeral/<arch>/<series>/boot-initrd   its initramfs (fetches and mounts the squashfs)
 *   ephemeral/<arch>/<series>/squashfs      its root filesystem
 *   <osystem>/<arch>/<series>/root-tgz      a deployable OS (root tarball, MAAS's "tgz" type)
 */
import type { BootImage } from './types.ts';

export const EPHEMERAL_FILES = { kernel: 'boot-kernel', initrd: 'boot-initrd', squashfs: 'squashfs' } as const;
export const DEPLOY_ROOT_TGZ = 'root-tgz';

export function ephemeralImage(arch: string, series: string): BootImage {
  const dir = `ephemeral/${arch}/${series}`;
  return { kernel: `${dir}/${EPHEMERAL_FILES.kernel}`, initrd: `${dir}/${EPHEMERAL_FILES.initrd}`, squashfs: `${dir}/${EPHEMERAL_FILES.squashfs}` };
}

export const deployImagePath = (osystem: string, arch: string, series: string) => `${osystem}/${arch}/${series}/${DEPLOY_ROOT_TGZ}`;

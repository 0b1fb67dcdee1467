/**
 * Which boot configuration a bootloader is asking for, from the path it requests (maas-api-spec.md
 * §6.2). The same names are served over TFTP and over HTTP on port 5248:
 *
 * | path                                   | loader   | kind      |
 * |----------------------------------------|----------|-----------|
 * | `ipxe.cfg`                             | ipxe     | preloader |
 * | `ipxe.cfg-<mac>`                       | ipxe     | mac       |
 * | `ipxe.cfg-default-<arch>`              | ipxe     | default   |
 * | `grub/grub.cfg`                        | grub     | preloader |
 * | `grub/grub.cfg-<mac>`                  | grub     | mac       |
 * | `grub/grub.cfg-default-<arch>`         | grub     | default   |
 * | `pxelinux.cfg/01-<mac-with-dashes>`    | pxelinux | mac       |
 * | `pxelinux.cfg/<uuid>`                  | pxelinux | uuid      |
 * | `pxelinux.cfg/default[(.|-)<arch>[-<subarch>]]` | pxelinux | default |
 *
 * MACs are accepted with `:` or `-` separators (iPXE's `${mac}` and `${mac:hexhyp}`, GRUB's
 * `${net_default_mac}`) and returned in lower-case colon form. Architectures as firmware and
 * loaders name them (`x86_64`, `aarch64`, GRUB's `${grub_cpu}`) are mapped to Debian names.
 * PXELINUX also asks for hexadecimal IP prefixes (C0A80001, C0A8000, …): those are not ours.
 */
import type { Loader } from './types.ts';

export type BootFileRequest =
  | { loader: 'ipxe' | 'grub'; kind: 'preloader' }
  | { loader: Loader; kind: 'mac'; mac: string }
  | { loader: Loader; kind: 'default'; arch?: string; subarch?: string }
  | { loader: 'pxelinux'; kind: 'uuid'; uuid: string };

const ARCH_ALIASES: Record<string, string> = {
  x86_64: 'amd64', x64: 'amd64', amd64: 'amd64', i386: 'i386', i686: 'i386',
  arm64: 'arm64', aarch64: 'arm64', arm: 'armhf', armhf: 'armhf',
  powerpc: 'ppc64el', ppc64le: 'ppc64el', ppc64el: 'ppc64el', s390x: 's390x', riscv64: 'riscv64',
};

/** Debian architecture name for a firmware/loader architecture name, or undefined if unknown. */
export function debianArch(name: string): string | undefined {
  return ARCH_ALIASES[name.toLowerCase()];
}

const MAC = /^([0-9a-f]{2})([:-])([0-9a-f]{2})\2([0-9a-f]{2})\2([0-9a-f]{2})\2([0-9a-f]{2})\2([0-9a-f]{2})$/i;

function mac(text: string): string | undefined {
  const m = MAC.exec(text);
  return m ? [m[1], m[3], m[4], m[5], m[6], m[7]].join(':').toLowerCase() : undefined;
}

const SUBARCH = /^[a-z0-9][a-z0-9_.+-]{0,31}$/i;

function archRequest(loader: Loader, text: string): BootFileRequest | null {
  const dash = text.indexOf('-');
  const arch = debianArch(dash < 0 ? text : text.slice(0, dash));
  const subarch = dash < 0 ? undefined : text.slice(dash + 1);
  if (!arch || (subarch !== undefined && !SUBARCH.test(subarch))) return null;
  return subarch === undefined ? { loader, kind: 'default', arch } : { loader, kind: 'default', arch, subarch: subarch.toLowerCase() };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Parses a request path (leading slashes ignored); null when it names no boot configuration. */
export function parseBootPath(path: string): BootFileRequest | null {
  const p = path.replace(/^\/+/, '');
  const prefixed = (prefix: string, loader: 'ipxe' | 'grub'): BootFileRequest | null => {
    if (p === prefix) return { loader, kind: 'preloader' };
    if (!p.startsWith(`${prefix}-`)) return null;
    const rest = p.slice(prefix.length + 1);
    if (rest.startsWith('default-')) return archRequest(loader, rest.slice('default-'.length));
    const m = mac(rest);
    return m ? { loader, kind: 'mac', mac: m } : null;
  };
  if (p.startsWith('ipxe.cfg')) return prefixed('ipxe.cfg', 'ipxe');
  if (p.startsWith('grub/grub.cfg')) return prefixed('grub/grub.cfg', 'grub');
  if (!p.startsWith('pxelinux.cfg/')) return null;
  const name = p.slice('pxelinux.cfg/'.length);
  if (name === 'default') return { loader: 'pxelinux', kind: 'default' };
  if (name.startsWith('default.') || name.startsWith('default-')) return archRequest('pxelinux', name.slice('default.'.length));
  if (name.startsWith('01-')) {
    const m = mac(name.slice(3));
    return m ? { loader: 'pxelinux', kind: 'mac', mac: m } : null;
  }
  if (UUID.test(name)) return { loader: 'pxelinux', kind: 'uuid', uuid: name.toLowerCase() };
  return null;
}

/** The path a bootloader asks for a request (the inverse of parseBootPath, with colon MACs for iPXE and GRUB). */
export function bootPath(req: BootFileRequest): string {
  const base = req.loader === 'ipxe' ? 'ipxe.cfg' : req.loader === 'grub' ? 'grub/grub.cfg' : 'pxelinux.cfg';
  switch (req.kind) {
    case 'preloader':
      return base;
    case 'mac':
      return req.loader === 'pxelinux' ? `${base}/01-${req.mac.replace(/:/g, '-')}` : `${base}-${req.mac}`;
    case 'default': {
      const suffix = req.arch ? `${req.arch}${req.subarch ? `-${req.subarch}` : ''}` : '';
      if (req.loader === 'pxelinux') return suffix ? `${base}/default-${suffix}` : `${base}/default`;
      return `${base}-default-${suffix || 'amd64'}`;
    }
    case 'uuid':
      return `${base}/${req.uuid}`;
  }
}

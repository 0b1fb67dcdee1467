/** Boot decisions the golden tests render (and the HTTP tests serve). */
import type { BootDecision, EphemeralDecision } from '../../src/domain/boot/index.ts';

const server = { host: '10.213.0.1', port: 5248 };
const image = {
  kernel: '3f2a/ubuntu/amd64/ga-24.04/noble/stable/boot-kernel',
  initrd: '3f2a/ubuntu/amd64/ga-24.04/noble/stable/boot-initrd',
  squashfs: '3f2a/ubuntu/amd64/ga-24.04/noble/stable/squashfs',
};

export const ephemeralBase: EphemeralDecision = {
  purpose: 'commissioning',
  firmware: 'bios',
  arch: 'amd64',
  subarch: 'generic',
  hostname: 'node-1',
  domain: 'maas',
  server,
  image,
  preseedUrl: 'http://10.213.0.1:5248/MAAS/metadata/latest/by-id/abc123/?op=get_preseed',
  log: { host: '10.213.0.1', port: 5247 },
};

export const CASES: Array<[string, BootDecision]> = [
  ['enlist-bios', {
    purpose: 'enlist', firmware: 'bios', arch: 'amd64', subarch: 'generic', server, image,
    preseedUrl: 'http://10.213.0.1:5248/MAAS/metadata/latest/enlist-preseed/?op=get_enlist_preseed',
    log: { host: '10.213.0.1', port: 5247 },
  }],
  ['commissioning-uefi', { ...ephemeralBase, firmware: 'uefi' }],
  ['xinstall-bios', { ...ephemeralBase, purpose: 'xinstall', extraOpts: 'console=ttyS0,115200 quiet note="two words"' }],
  ['rescue-uefi-ipv6', { ...ephemeralBase, purpose: 'rescue', firmware: 'uefi', ipv6: true, image: { kernel: image.kernel, initrd: image.initrd }, log: undefined }],
  ['local-bios', { purpose: 'local', firmware: 'bios', arch: 'amd64', subarch: 'generic', hostname: 'node-1', domain: 'maas' }],
  ['local-uefi-arm64', { purpose: 'local', firmware: 'uefi', arch: 'arm64', subarch: 'generic', hostname: 'node-2' }],
  ['poweroff-bios', { purpose: 'poweroff', firmware: 'bios', arch: 'amd64', subarch: 'generic', hostname: 'node-3' }],
];

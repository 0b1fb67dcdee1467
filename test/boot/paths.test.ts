/** Boot-config request names: what each loader asks for, parsed (table-driven), and back. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bootPath, parseBootPath, type BootFileRequest } from '../../src/domain/boot/index.ts';

const MAC = '52:54:00:ab:cd:ef';
const table: Array<[string, BootFileRequest | null]> = [
  ['ipxe.cfg', { loader: 'ipxe', kind: 'preloader' }],
  ['/ipxe.cfg', { loader: 'ipxe', kind: 'preloader' }],
  ['ipxe.cfg-52:54:00:ab:cd:ef', { loader: 'ipxe', kind: 'mac', mac: MAC }],
  ['ipxe.cfg-52-54-00-AB-CD-EF', { loader: 'ipxe', kind: 'mac', mac: MAC }],
  ['ipxe.cfg-52:54-00:ab:cd:ef', null],
  ['ipxe.cfg-525400abcdef', null],
  ['ipxe.cfg-default-amd64', { loader: 'ipxe', kind: 'default', arch: 'amd64' }],
  ['ipxe.cfg-default-x86_64', { loader: 'ipxe', kind: 'default', arch: 'amd64' }],
  ['ipxe.cfg-default-amd64-hwe-22.04', { loader: 'ipxe', kind: 'default', arch: 'amd64', subarch: 'hwe-22.04' }],
  ['ipxe.cfg-default-vax', null],
  ['ipxe.cfgx', null],
  ['grub/grub.cfg', { loader: 'grub', kind: 'preloader' }],
  ['grub/grub.cfg-52:54:00:ab:cd:ef', { loader: 'grub', kind: 'mac', mac: MAC }],
  ['grub/grub.cfg-default-x86_64', { loader: 'grub', kind: 'default', arch: 'amd64' }],
  ['grub/grub.cfg-default-arm64', { loader: 'grub', kind: 'default', arch: 'arm64' }],
  ['grub/grub.cfg-default-', null],
  ['pxelinux.cfg/01-52-54-00-ab-cd-ef', { loader: 'pxelinux', kind: 'mac', mac: MAC }],
  ['pxelinux.cfg/52-54-00-ab-cd-ef', null],
  ['pxelinux.cfg/default', { loader: 'pxelinux', kind: 'default' }],
  ['pxelinux.cfg/default.amd64', { loader: 'pxelinux', kind: 'default', arch: 'amd64' }],
  ['pxelinux.cfg/default-amd64-generic', { loader: 'pxelinux', kind: 'default', arch: 'amd64', subarch: 'generic' }],
  ['pxelinux.cfg/0D6A1C3E-5B2F-4C1A-9E8D-7F6A5B4C3D2E', { loader: 'pxelinux', kind: 'uuid', uuid: '0d6a1c3e-5b2f-4c1a-9e8d-7f6a5b4c3d2e' }],
  ['pxelinux.cfg/C0A80001', null],
  ['pxelinux.cfg/', null],
  ['images/x', null],
  ['', null],
];

for (const [path, expected] of table) {
  test(`parseBootPath(${JSON.stringify(path)})`, () => assert.deepEqual(parseBootPath(path), expected));
}

test('bootPath is the inverse of parseBootPath', () => {
  for (const [, req] of table) {
    if (req) assert.deepEqual(parseBootPath(bootPath(req)), req.kind === 'default' && req.loader !== 'pxelinux' && !req.arch ? { ...req, arch: 'amd64' } : req);
  }
});

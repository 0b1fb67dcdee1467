/**
 * Boot-config rendering: golden files for every purpose on every loader, the pre-loaders, and the
 * safety checks (a decision that could inject bootloader commands is refused, never rendered).
 * Regenerate the golden files after a deliberate change with PLINTH_UPDATE_GOLDEN=1.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  BootConfigError, grubQuote, kernelCommandLineText, LOADERS, renderBootConfig, renderPreloader, splitOptions,
  type BootDecision, type EphemeralDecision,
} from '../../src/domain/boot/index.ts';
import { CASES, ephemeralBase } from './cases.ts';

const goldenDir = join(import.meta.dirname, 'golden');
const update = process.env.PLINTH_UPDATE_GOLDEN === '1';
const EXT = { ipxe: 'ipxe', grub: 'grub.cfg', pxelinux: 'pxelinux.cfg' } as const;

function golden(file: string, actual: string): void {
  const path = join(goldenDir, file);
  if (update) writeFileSync(path, actual);
  assert.equal(actual, readFileSync(path, 'utf8'), `${file} differs from the golden file`);
}

describe('golden boot configurations', () => {
  for (const [name, decision] of CASES) {
    for (const loader of LOADERS) {
      test(`${name} for ${loader}`, () => golden(`${name}.${EXT[loader]}`, renderBootConfig(loader, decision)));
    }
  }
  test('iPXE pre-loader (ipxe.cfg)', () => golden('preloader.ipxe', renderPreloader('ipxe', { host: '10.213.0.1', port: 5248 })));
  test('GRUB pre-loader (grub/grub.cfg)', () => golden('preloader.grub.cfg', renderPreloader('grub', { host: '10.213.0.1', port: 5248 })));
});

describe('what the scripts must contain', () => {
  const render = (loader: 'ipxe' | 'grub' | 'pxelinux', d: BootDecision) => renderBootConfig(loader, d);
  test('every iPXE script starts with the #!ipxe signature', () => {
    for (const [, d] of CASES) assert.match(render('ipxe', d), /^#!ipxe\n/);
    assert.match(renderPreloader('ipxe', { host: 'fd00::1', port: 8080 }), /^#!ipxe\n.*imgfetch --name machine http:\/\/\[fd00::1\]:8080\/ipxe\.cfg-\$\{mac\}/s);
  });
  test('local boot: sanboot on BIOS, exit 1 on UEFI (lab notes)', () => {
    const local = { purpose: 'local', arch: 'amd64', subarch: 'generic' } as const;
    assert.match(render('ipxe', { ...local, firmware: 'bios' }), /\nsanboot --no-describe --drive 0x80\n$/);
    assert.match(render('ipxe', { ...local, firmware: 'uefi' }), /\nexit 1\n$/);
  });
  test('BOOTIF comes before the --- separator; extra options after it', () => {
    const d: EphemeralDecision = { ...ephemeralBase, extraOpts: 'console=ttyS0' };
    assert.match(render('ipxe', d), /BOOTIF=01-\$\{mac:hexhyp\} --- console=ttyS0\n/);
    assert.match(render('grub', d), /BOOTIF=01-\$\{net_default_mac\} --- console=ttyS0\n/);
  });
  test('the kernel command line carries the spec\'s pieces', () => {
    const text = kernelCommandLineText(ephemeralBase);
    for (const piece of [
      'root=squash:http://10.213.0.1:5248/images/3f2a/ubuntu/amd64/ga-24.04/noble/stable/squashfs',
      'ip=::::node-1:BOOTIF', 'ip6=off', "cc:{'datasource_list': ['MAAS']}end_cc",
      'cloud-config-url=http://10.213.0.1:5248/MAAS/metadata/latest/by-id/abc123/?op=get_preseed',
      'log_host=10.213.0.1', 'log_port=5247', 'overlayroot=tmpfs',
    ]) assert.ok(text.includes(piece), `missing ${piece}`);
    assert.ok(kernelCommandLineText({ ...ephemeralBase, ipv6: true }).includes('ip=off ip6=dhcp'));
  });
});

describe('quoting', () => {
  const table: Array<[string, string]> = [
    ['console=ttyS0,115200', 'console=ttyS0,115200'],
    ["cc:{'datasource_list':", "'cc:{'\\''datasource_list'\\'':'"],
    ['note="two words"', "'note=\"two words\"'"],
    ['$x', "'$x'"],
  ];
  for (const [word, quoted] of table) test(`grubQuote(${word})`, () => assert.equal(grubQuote(word), quoted));
  test('kernel options split like the kernel does (quotes keep spaces)', () => {
    assert.deepEqual(splitOptions(' a  b="c d" e=f"g h"i '), ['a', 'b="c d"', 'e=f"g h"i']);
    assert.deepEqual(splitOptions(''), []);
  });
});

describe('refused decisions', () => {
  const bad: Array<[string, Partial<EphemeralDecision>, RegExp]> = [
    ['newline in extra options (would start an iPXE command)', { extraOpts: 'quiet\nshell' }, /extraOpts may not contain control characters/],
    ['${ in extra options', { extraOpts: 'x=${net0/ip}' }, /extraOpts may not contain "\$\{"/],
    ['unbalanced quote', { extraOpts: 'a="b' }, /unbalanced double quote/],
    ['.. in an image path', { image: { kernel: '../../etc/shadow', initrd: 'i' } }, /image\.kernel must be a relative path/],
    ['absolute image path', { image: { kernel: '/boot/vmlinuz', initrd: 'i' } }, /image\.kernel must be a relative path/],
    ['space in an image path', { image: { kernel: 'a b', initrd: 'i' } }, /image\.kernel may only contain/],
    ['hostname with a space', { hostname: 'node 1' }, /hostname must be a DNS label/],
    ['preseed URL that is not http', { preseedUrl: 'file:///etc/passwd' }, /preseedUrl must be an http/],
    ['preseed URL with a space', { preseedUrl: 'http://x/ y' }, /preseedUrl may not contain whitespace/],
    ['bad server port', { server: { host: '10.0.0.1', port: 70000 } }, /server\.port must be an integer/],
    ['bad server host', { server: { host: 'a b', port: 80 } }, /server\.host must be an IP address/],
    ['bad firmware', { firmware: 'coreboot' as 'bios' }, /firmware must be bios or uefi/],
  ];
  for (const [name, patch, message] of bad) {
    test(name, () => {
      const d = { ...ephemeralBase, ...patch } as EphemeralDecision;
      for (const loader of LOADERS) {
        assert.throws(() => renderBootConfig(loader, d), (err: unknown) => err instanceof BootConfigError && message.test(err.message));
      }
    });
  }
  test('a bad pre-loader server is refused', () => {
    assert.throws(() => renderPreloader('ipxe', { host: 'x\nshell', port: 80 }), BootConfigError);
  });
});

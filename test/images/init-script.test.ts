/**
 * The initramfs /init and DHCP script, run as shell libraries under busybox sh (PLINTH_INIT_LIB=1
 * defines the functions without booting anything). The command lines are the ones Plinth's boot
 * configs give the ephemeral environment (src/domain/boot/cmdline.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kernelCommandLineText } from '../../src/domain/boot/cmdline.ts';
import type { EphemeralDecision } from '../../src/domain/boot/types.ts';
import { ASSETS } from '../../src/edges/images/initramfs.ts';

const VARS = ['ROOT_URL', 'ROOT_OTHER', 'BOOTIF_MAC', 'IP_MODE', 'IP_CLIENT', 'IP_GW', 'IP_MASK', 'IP_HOST', 'IP_DEV', 'OVERLAYROOT'];

function parse(cmdline: string, cwd = tmpdir()): Record<string, string> {
  const script = `. "${join(ASSETS, 'init.sh')}"; parse_cmdline "$1"; ${VARS.map((v) => `echo "${v}=$${v}"`).join('; ')}`;
  const out = execFileSync('busybox', ['sh', '-c', script, 'sh', cmdline], { env: { PLINTH_INIT_LIB: '1', PATH: process.env.PATH }, cwd }).toString();
  return Object.fromEntries(out.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

const decision: EphemeralDecision = {
  purpose: 'commissioning', firmware: 'bios', arch: 'amd64', subarch: 'generic', hostname: 'node-7',
  server: { host: '10.213.0.1', port: 5248 },
  image: { kernel: 'ephemeral/amd64/bookworm/boot-kernel', initrd: 'ephemeral/amd64/bookworm/boot-initrd', squashfs: 'ephemeral/amd64/bookworm/squashfs' },
  preseedUrl: 'http://10.213.0.1:5248/MAAS/metadata/latest/by-id/abc123/?op=get_preseed',
  log: { host: '10.213.0.1', port: 5247 }, extraOpts: 'console=ttyS0 root=/dev/bogus',
};

test("Plinth's own command line: squash root, BOOTIF picks the interface, hostname from ip=, nothing after --", () => {
  // A directory holding a file that the cc:…end_cc token would glob-match if globbing were on.
  const cwd = mkdtempSync(join(tmpdir(), 'plinth-glob-'));
  writeFileSync(join(cwd, "['MAAS']}end_cc"), '');
  writeFileSync(join(cwd, 'M'), '');
  const line = `${kernelCommandLineText(decision)} BOOTIF=01-52-54-00-AB-cd-0E`;
  const v = parse(line, cwd);
  assert.equal(v.ROOT_URL, 'http://10.213.0.1:5248/images/ephemeral/amd64/bookworm/squashfs');
  assert.equal(v.ROOT_OTHER, '', 'root= after -- belongs to the installed system');
  assert.equal(v.BOOTIF_MAC, '52:54:00:ab:cd:0e');
  assert.equal(v.IP_MODE, 'dhcp');
  assert.equal(v.IP_HOST, 'node-7');
  assert.equal(v.IP_DEV, 'BOOTIF');
  assert.equal(v.OVERLAYROOT, 'tmpfs');
});

test('ip= variants: static nfsroot form, dhcp keywords, off, BOOTIF without the type prefix', () => {
  const s = parse('ip=10.1.1.5::10.1.1.1:255.255.255.0:h1:eth1:off root=squash:http://a/b');
  assert.deepEqual([s.IP_MODE, s.IP_CLIENT, s.IP_GW, s.IP_MASK, s.IP_HOST, s.IP_DEV], ['static', '10.1.1.5', '10.1.1.1', '255.255.255.0', 'h1', 'eth1']);
  assert.equal(parse('ip=dhcp').IP_MODE, 'dhcp');
  assert.equal(parse('ip=off ip6=dhcp').IP_MODE, 'off');
  assert.equal(parse('ip=:::::eth0:dhcp').IP_DEV, 'eth0');
  assert.equal(parse('BOOTIF=52-54-00-00-00-01').BOOTIF_MAC, '52:54:00:00:00:01');
  const other = parse('root=/dev/sda1 overlayroot=disabled');
  assert.deepEqual([other.ROOT_URL, other.ROOT_OTHER, other.OVERLAYROOT], ['', '/dev/sda1', 'disabled']);
});

test('the DHCP script writes a klibc-style net conf cloud-init can read', () => {
  const env = {
    PLINTH_INIT_LIB: '1', PATH: process.env.PATH, interface: 'eth0', ip: '10.213.0.50', subnet: '255.255.255.0', mask: '24',
    router: '10.213.0.1 10.213.0.2', dns: '10.213.0.1 9.9.9.9', domain: 'maas', hostname: 'node-7', lease: '600', serverid: '10.213.0.1',
  };
  const out = execFileSync('busybox', ['sh', '-c', `. "${join(ASSETS, 'udhcpc.sh')}"; klibc_conf`], { env }).toString();
  const conf = Object.fromEntries(out.trim().split('\n').map((l) => /^(\w+)='(.*)'$/.exec(l)!.slice(1, 3)));
  assert.equal(conf.DEVICE, 'eth0');
  assert.equal(conf.PROTO, 'dhcp');
  assert.equal(conf.IPV4ADDR, '10.213.0.50');
  assert.equal(conf.IPV4NETMASK, '255.255.255.0');
  assert.equal(conf.IPV4GATEWAY, '10.213.0.1');
  assert.equal(conf.IPV4DNS0, '10.213.0.1');
  assert.equal(conf.IPV4DNS1, '9.9.9.9');
  assert.equal(conf.HOSTNAME, 'node-7');
  assert.equal(conf.DNSDOMAIN, 'maas');
  assert.equal(conf.DHCPLEASETIME, '600');
});

test('/init refuses to run anywhere but as PID 1 of an initramfs', () => {
  const r = spawnSync('busybox', ['sh', join(ASSETS, 'init.sh')], { env: { PATH: process.env.PATH } });
  assert.equal(r.status, 1);
  assert.match(r.stderr.toString(), /not PID 1/);
});

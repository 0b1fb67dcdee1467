/** The builder's pure parts: cache key, manifest pieces, cpio writer, module lists, mount checks. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheKey, canonicalJson, parsePackageList, type BuildInputs } from '../../src/edges/images/manifest.ts';
import { cpioNewc } from '../../src/edges/images/cpio.ts';
import { parseShowDepends } from '../../src/edges/images/initramfs.ts';
import { mountsUnder } from '../../src/edges/images/workspace.ts';
import { mmdebstrapArgs } from '../../src/edges/images/bootstrap.ts';
import { packagesOf } from '../../src/edges/images/profiles.ts';

const inputs: BuildInputs = {
  kind: 'ephemeral', suite: 'bookworm', arch: 'amd64', mirror: 'http://deb.example.org/debian',
  packages: ['b', 'a'], builderVersion: '1', scripts: 'abc', agent: null,
};

test('cache key: stable, independent of key and package order, changes with any input', () => {
  const k = cacheKey(inputs);
  assert.match(k, /^[0-9a-f]{16}$/);
  assert.equal(cacheKey({ ...inputs, packages: ['a', 'b'] }), k);
  const reordered = Object.fromEntries(Object.entries(inputs).reverse()) as unknown as BuildInputs;
  assert.equal(cacheKey(reordered), k);
  for (const change of [{ suite: 'trixie' }, { mirror: 'http://other.example.org/debian' }, { packages: ['a'] },
    { builderVersion: '2' }, { scripts: 'abd' }, { agent: 'ff' }, { kind: 'debian' as const }]) {
    assert.notEqual(cacheKey({ ...inputs, ...change }), k, JSON.stringify(change));
  }
  assert.equal(canonicalJson({ b: 1, a: [1, { d: 2, c: 3 }] }), '{"a":[1,{"c":3,"d":2}],"b":1}');
});

test('package lists: dpkg-query output sorted, profiles carry what the brief names', () => {
  assert.deepEqual(parsePackageList('zlib1g\t1:1.2.13\nbash\t5.2.15-2+b2\n\ngarbage\n'), [
    { name: 'bash', version: '5.2.15-2+b2' }, { name: 'zlib1g', version: '1:1.2.13' },
  ]);
  const eph = packagesOf('ephemeral');
  for (const p of ['cloud-init', 'nodejs', 'linux-image-amd64', 'lldpd', 'bcache-tools', 'busybox-static', 'hdparm', 'sudo']) assert.ok(eph.includes(p), p);
  const deb = packagesOf('debian');
  for (const p of ['grub-pc-bin', 'grub-efi-amd64-bin', 'grub2-common', 'sudo', 'cloud-init']) assert.ok(deb.includes(p), p);
});

test('cpio newc: busybox cpio lists and extracts files, links and directories', () => {
  const archive = cpioNewc([
    { type: 'dir', path: 'bin' },
    { type: 'file', path: 'bin/hello', data: Buffer.from('#!/bin/sh\necho hi\n'), mode: 0o755 },
    { type: 'symlink', path: 'sbin', target: 'bin' },
    { type: 'char', path: 'console', major: 5, minor: 1 },
    { type: 'file', path: 'odd', data: Buffer.from('x') },
  ]);
  assert.equal(archive.length % 4, 0);
  assert.equal(archive.subarray(0, 6).toString(), '070701');
  assert.match(archive.subarray(-200).toString('latin1'), /TRAILER!!!/);
  const listing = execFileSync('busybox', ['cpio', '-t'], { input: archive }).toString();
  assert.deepEqual(listing.trim().split('\n'), ['bin', 'bin/hello', 'sbin', 'console', 'odd']);
  const dir = mkdtempSync(join(tmpdir(), 'plinth-cpio-'));
  // Extract without the device node (non-root runs cannot mknod).
  const noDev = cpioNewc([{ type: 'dir', path: 'bin' }, { type: 'file', path: 'bin/hello', data: Buffer.from('hi\n'), mode: 0o755 }]);
  execFileSync('busybox', ['cpio', '-i', '-d'], { input: noDev, cwd: dir });
  assert.equal(readFileSync(join(dir, 'bin/hello'), 'utf8'), 'hi\n');
});

test('modprobe --show-depends: root prefix stripped, built-ins and duplicates dropped, options kept', () => {
  const root = '/tmp/r/root';
  const seen = new Set<string>();
  const a = parseShowDepends([
    `insmod ${root}/lib/modules/6.1.0-9-amd64/kernel/drivers/virtio/virtio.ko `,
    `insmod ${root}/lib/modules/6.1.0-9-amd64/kernel/drivers/net/virtio_net.ko napi_tx=1`,
    'builtin af_packet',
  ].join('\n'), seen);
  const b = parseShowDepends(`insmod ${root}/lib/modules/6.1.0-9-amd64/kernel/drivers/virtio/virtio.ko\n`, seen);
  assert.deepEqual(a, [
    { path: '/lib/modules/6.1.0-9-amd64/kernel/drivers/virtio/virtio.ko', args: '' },
    { path: '/lib/modules/6.1.0-9-amd64/kernel/drivers/net/virtio_net.ko', args: 'napi_tx=1' },
  ]);
  assert.deepEqual(b, []);
});

test('mounts under a build directory are found deepest first (nothing else)', () => {
  const info = [
    '22 27 0:21 / /proc rw - proc proc rw',
    '90 27 0:50 / /x/tmp/root rw - tmpfs t rw',
    '91 90 0:51 / /x/tmp/root/proc rw - proc proc rw',
    '92 90 8:1 /cache /x/tmp/root/var/cache/apt/archives rw - ext4 /dev/vda rw',
    '93 27 0:52 / /x/tmp2 rw - tmpfs t rw',
  ].join('\n');
  assert.deepEqual(mountsUnder('/x/tmp/', info), ['/x/tmp/root/var/cache/apt/archives', '/x/tmp/root/proc', '/x/tmp/root']);
});

test('mmdebstrap command line: root mode, cache bind-mounted and unmounted around the hook, lean dpkg', () => {
  const args = mmdebstrapArgs({
    suite: 'bookworm', arch: 'amd64', mirror: 'http://deb.example.org/debian', packages: ['a', 'b'],
    rootDir: '/o/root', cacheDir: "/c/it's", customize: 'sh hook "$1"', logFile: '/o/log',
  });
  assert.ok(args.includes('--mode=root') && args.includes('--include=a,b') && args.includes('--skip=essential/unlink'));
  assert.ok(args.includes('--dpkgopt=path-exclude=/usr/share/doc/*'));
  const setup = args.find((a) => a.startsWith('--setup-hook='))!;
  assert.match(setup, /mount --bind '\/c\/it'\\''s' "\$1\/var\/cache\/apt\/archives"/);
  const hooks = args.filter((a) => a.startsWith('--customize-hook='));
  assert.deepEqual(hooks, ['--customize-hook=sh hook "$1"', '--customize-hook=umount "$1/var/cache/apt/archives"']);
  assert.deepEqual(args.slice(-3), ['bookworm', '/o/root', 'deb http://deb.example.org/debian bookworm main']);
  assert.ok(!args.some((a) => a.startsWith('--essential-hook=')));
  const withEssential = mmdebstrapArgs({
    suite: 'bookworm', arch: 'amd64', mirror: 'http://deb.example.org/debian', packages: ['a'],
    rootDir: '/o/root', cacheDir: '/c', customize: 'sh hook "$1"', essential: 'sh early "$1"', logFile: '/o/log',
  });
  assert.ok(withEssential.indexOf('--essential-hook=sh early "$1"') >= 0 && withEssential.indexOf('--essential-hook=sh early "$1"') < withEssential.indexOf('--customize-hook=sh hook "$1"'));
});

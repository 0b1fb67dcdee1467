/**
 * The installer with a disk image (MAAS's ddgz): the bundled agent fetches the image from a stand-in
 * for the region (test/agent/fake-region.ts), writes it with `gzip -dc | dd` onto the plan's boot
 * device — here a plain file, not a disk — and turns network boot off; no partitioning, mounting or
 * bootloader stage. A download whose sha256 differs from the plan's fails the install. As root, a real
 * partitioned image (ext4 root with cloud-init) is written onto a loop device, and the installer must
 * leave the MAAS datasource and network config in the image's root: without them the installed system
 * never reports to the region.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parsePlan, type AgentInstallPlan } from '../../src/agent/commands/install-plan.ts';
import { bundleAgent, FakeRegion, runAgent } from './fake-region.ts';

const dir = mkdtempSync(join(tmpdir(), 'plinth-ddgz-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const CREDS = { consumer_key: 'CK', token_key: 'TK', token_secret: 'TS' };
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function ddPlan(over: Partial<AgentInstallPlan['image']> = {}, disk = '/dev/sda'): AgentInstallPlan {
  return {
    system_id: 'dd0001', hostname: 'node-dd', domain: 'maas', target: '/target', storage: [], mounts: [], fstab: [], boot_device: disk,
    image: { osystem: 'custom', series: 'img', arch: 'amd64', format: 'ddgz', url: 'http://10.0.0.1:5248/images/custom/amd64/img/root-dd.gz', sha256: 'a'.repeat(64), ...over },
    network: { netplan: 'network:\n  version: 2\n', ifupdown: '' },
    cloud_init: { hostname: 'node-dd', fqdn: 'node-dd.maas', ssh_keys: [], user_data_b64: null, metadata_url: 'http://10.0.0.1:5248/MAAS/metadata/' },
    kernel_opts: '', ephemeral: false,
  };
}

test('plan checks for disk images: a boot device and a sha256 are required', () => {
  assert.equal(parsePlan(JSON.parse(JSON.stringify(ddPlan()))).image.format, 'ddgz');
  const noDisk = JSON.parse(JSON.stringify(ddPlan()));
  noDisk.boot_device = null;
  assert.throws(() => parsePlan(noDisk), /ddgz needs boot_device/);
  assert.throws(() => parsePlan(JSON.parse(JSON.stringify(ddPlan({ sha256: null })))), /ddgz needs image\.sha256/);
  assert.throws(() => parsePlan(JSON.parse(JSON.stringify(ddPlan({ sha256: 'XYZ' })))), /image\.sha256 is not a sha256/);
  const other = JSON.parse(JSON.stringify(ddPlan()));
  other.image.format = 'ddxz';
  assert.throws(() => parsePlan(other), /image\.format 'ddxz' is not tgz \(a root tarball\) or ddgz/);
});

describe('the bundled installer writing a disk image', () => {
  let bundle = '';
  before(() => { bundle = bundleAgent(dir); });

  async function run(plan: AgentInstallPlan, image: Buffer) {
    const fake = new FakeRegion({ [CREDS.token_key]: CREDS.token_secret });
    await fake.start();
    plan.image.url = `${fake.url}/images/custom/amd64/img/root-dd.gz`;
    fake.routes.set('GET /MAAS/metadata/curtin/latest/plinth/install-plan', { body: JSON.stringify(plan), type: 'application/json' });
    fake.routes.set('GET /images/custom/amd64/img/root-dd.gz', { body: image, type: 'application/gzip' });
    fake.routes.set('POST /MAAS/metadata/curtin/latest/?op=signal', { body: 'OK' });
    fake.routes.set(`POST /MAAS/metadata/status/${plan.system_id}`, { status: 204 });
    fake.routes.set(`POST /MAAS/metadata/latest/by-id/${plan.system_id}/?op=netboot_off`, { body: 'OK' });
    const cfgFile = join(dir, `cfg-${plan.image.sha256}.cfg`);
    writeFileSync(cfgFile, `datasource:\n  MAAS:\n    metadata_url: ${fake.url}/MAAS/metadata/curtin/\n    consumer_key: CK\n    token_key: TK\n    token_secret: TS\n`);
    const root = mkdtempSync(join(dir, 'root-')); mkdirSync(join(root, 'tmp'));
    try {
      const r = await runAgent(bundle, ['--config', cfgFile, '--root-dir', root]);
      return { r, fake, events: fake.events().map((e) => `${e.event_type} ${e.name}${e.result ? ` ${e.result}` : ''}`) };
    } finally { await fake.stop(); }
  }

  test('gzip -dc | dd onto the boot device, then network boot off; nothing else', async () => {
    // A "disk": an MBR boot signature and some sectors of data, 3 MiB.
    const disk = randomBytes(3 * 1024 * 1024);
    disk[510] = 0x55; disk[511] = 0xaa;
    const image = gzipSync(disk);
    const target = join(dir, 'disk.img');
    writeFileSync(target, Buffer.alloc(16, 0xff)); // what was on the "disk" before
    const started = Date.now();
    const { r, fake, events } = await run(ddPlan({ sha256: sha(image) }, target), image);
    assert.equal(r.code, 0, r.out);
    assert.ok(readFileSync(target).equals(disk), 'the disk holds the decompressed image');
    assert.deepEqual(events, ['start cmd-install', 'start cmd-install/stage-extract', 'finish cmd-install/stage-extract SUCCESS',
      'start cmd-install/stage-config', 'finish cmd-install/stage-config WARN', 'start cmd-install/stage-netboot-off', 'finish cmd-install/stage-netboot-off SUCCESS', 'finish cmd-install SUCCESS']);
    assert.ok(fake.requests.some((q) => q.url === '/MAAS/metadata/latest/by-id/dd0001/?op=netboot_off'));
    assert.deepEqual(fake.signals(), []);
    const log = Buffer.from(fake.events().at(-1).files[0].content, 'base64').toString();
    assert.match(log, /gzip -dc \| dd of=.*disk\.img bs=4M conv=fsync/);
    const warn = fake.events().find((e) => e.name === 'cmd-install/stage-config' && e.event_type === 'finish');
    assert.match(warn.description, /no partition of .*disk\.img holds a Linux root .*cannot be told where the metadata service is/);
    console.log(`# ddgz install onto a file: ${((Date.now() - started) / 1000).toFixed(2)} s`);
  });

  test('a download whose sha256 is not the plan\'s: the install fails naming it, FAILED is signalled', async () => {
    const image = gzipSync(randomBytes(64 * 1024));
    const target = join(dir, 'disk2.img');
    const { r, fake, events } = await run(ddPlan({ sha256: 'c'.repeat(64) }, target), image);
    assert.equal(r.code, 1, r.out);
    assert.deepEqual(events.slice(-2), ['finish cmd-install/stage-extract FAILURE', 'finish cmd-install FAILURE']);
    const [sig] = fake.signals();
    assert.equal(sig.status, 'FAILED');
    assert.match(sig.error, new RegExp(`^stage-extract: the image .* has sha256 ${sha(image)}, the plan says c{64}$`));
    assert.ok(!fake.requests.some((q) => q.url.includes('netboot_off')), 'the machine is not booted from that disk');
  });

  const isRoot = process.getuid?.() === 0 && spawnSync('losetup', ['--version']).status === 0 && spawnSync('mkfs.ext4', ['-V']).status === 0;
  const sh = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: 'utf8' }).trim();

  /** A 48 MiB disk image: MBR, an EFI-like vfat partition, then an ext4 root (with cloud-init or not). */
  function makeImage(name: string, cloudInit: boolean): Buffer {
    const file = join(dir, `${name}.img`);
    writeFileSync(file, ''); truncateSync(file, 48 * 1024 * 1024);
    execFileSync('sfdisk', ['-q', file], { input: 'label: dos\n,8M,c\n,,L\n' });
    const loop = sh('losetup', ['--find', '--show', '--partscan', file]);
    const mnt = mkdtempSync(join(dir, 'mnt-'));
    try {
      spawnSync('partx', ['-a', loop]); // some kernels leave a loop device's partitions to be added by hand
      sh('mkfs.vfat', [`${loop}p1`]);
      sh('mkfs.ext4', ['-q', '-F', `${loop}p2`]);
      sh('mount', [`${loop}p2`, mnt]);
      try {
        mkdirSync(join(mnt, 'etc/cloud/cloud.cfg.d'), { recursive: true });
        writeFileSync(join(mnt, 'etc/os-release'), 'ID=debian\nVERSION_ID="12"\n');
        if (cloudInit) { mkdirSync(join(mnt, 'usr/bin'), { recursive: true }); writeFileSync(join(mnt, 'usr/bin/cloud-init'), '#!/bin/sh\n', { mode: 0o755 }); }
      } finally { sh('umount', [mnt]); }
    } finally { sh('losetup', ['-d', loop]); rmSync(mnt, { recursive: true, force: true }); }
    return gzipSync(readFileSync(file));
  }

  /** A blank 48 MiB "disk" on a loop device; the callback sees its path; detached after. */
  async function onLoopDisk<T>(name: string, fn: (loop: string) => Promise<T>): Promise<T> {
    const file = join(dir, `${name}-target.img`);
    writeFileSync(file, ''); truncateSync(file, 48 * 1024 * 1024);
    const loop = sh('losetup', ['--find', '--show', '--partscan', file]);
    try { return await fn(loop); } finally { spawnSync('losetup', ['-d', loop]); }
  }

  test('a partitioned image on a loop disk: its ext4 root gets the MAAS datasource (0600) and the network config', { skip: !isRoot && 'needs root, losetup and mkfs.ext4' }, async () => {
    const image = makeImage('with-ci', true);
    await onLoopDisk('with-ci', async (loop) => {
      const plan = ddPlan({ sha256: sha(image) }, loop);
      plan.network.netplan = 'network:\n  version: 2\n  ethernets:\n    eth0:\n      addresses: [10.0.0.5/24]\n';
      const { r, fake, events } = await run(plan, image);
      assert.equal(r.code, 0, r.out);
      assert.ok(events.includes('finish cmd-install/stage-config SUCCESS'), events.join('\n'));
      const mnt = mkdtempSync(join(dir, 'check-'));
      sh('mount', ['-o', 'ro', `${loop}p2`, mnt]);
      try {
        const ds = join(mnt, 'etc/cloud/cloud.cfg.d/90_plinth_datasource.cfg');
        assert.equal(statSync(ds).mode & 0o777, 0o600, 'the datasource holds the token: root only');
        const text = readFileSync(ds, 'utf8');
        assert.match(text, /datasource_list: \[ MAAS \]/);
        assert.match(text, /metadata_url: "http:\/\/10\.0\.0\.1:5248\/MAAS\/metadata\/"/, 'the plan\'s metadata URL, as the plain (non-curtin) path');
        assert.match(text, /token_key: "TK"/);
        assert.match(text, /endpoint: "http:\/\/10\.0\.0\.1:5248\/MAAS\/metadata\/status\/dd0001"/);
        assert.match(readFileSync(join(mnt, 'etc/cloud/cloud.cfg.d/50-plinth-networking.cfg'), 'utf8'), /addresses: \[10\.0\.0\.5\/24\]/);
      } finally { sh('umount', [mnt]); rmSync(mnt, { recursive: true, force: true }); }
      assert.ok(fake.requests.some((q) => q.url.endsWith('?op=netboot_off')));
      assert.deepEqual(fake.signals(), []);
    });
  });

  test('an image whose root has no cloud-init: written, with a warning that it will not report', { skip: !isRoot && 'needs root, losetup and mkfs.ext4' }, async () => {
    const image = makeImage('no-ci', false);
    await onLoopDisk('no-ci', async (loop) => {
      const { r, fake, events } = await run(ddPlan({ sha256: sha(image) }, loop), image);
      assert.equal(r.code, 0, r.out);
      assert.ok(events.includes('finish cmd-install/stage-config WARN'), events.join('\n'));
      const warn = fake.events().find((e) => e.name === 'cmd-install/stage-config' && e.event_type === 'finish');
      assert.match(warn.description, new RegExp(`root \\(${loop}p2\\) has no cloud-init: it cannot report to the region`));
    });
  });
});

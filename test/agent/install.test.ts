/**
 * The installer. Its pure parts table-tested (bootloader commands for BIOS and UEFI, kernel options,
 * the cloud-init files, plan checks); then the bundled agent installing for real onto a loop device
 * (root only): a sparse 1 GiB file, storage steps from the REAL domain planner for a one-disk flat
 * layout (MBR, one ext4 root), a busybox-static root tarball, against a stand-in for the region (test/agent/fake-region.ts)
 * serving the plan and the image and recording the status events, signals and netboot_off.
 *
 * GRUB itself is not exercised here: the test image has no grub-install (the stage reports WARN), and
 * this host has no GRUB for a loop disk. The lab's end-to-end deploy boots what grub-install wrote.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, copyFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configFrom } from '../../src/agent/config.ts';
import { bootloaderCommands, datasourceConfig, GRUB_CONSOLE_DEFAULTS, kernelOptions, networkConfig, withKernelOptions } from '../../src/agent/commands/install-files.ts';
import { parsePlan, type AgentInstallPlan } from '../../src/agent/commands/install-plan.ts';
import { planStorage } from '../../src/domain/storage/planner.ts';
import { commandsFor } from '../../src/domain/storage/plan-render.ts';
import { GiB, MiB } from '../../src/domain/storage/units.ts';
import type { StorageTree } from '../../src/domain/storage/types.ts';
import { bundleAgent, FakeRegion, runAgent } from './fake-region.ts';

const dir = mkdtempSync(join(tmpdir(), 'plinth-install-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const CREDS = { consumer_key: 'CK', token_key: 'TK', token_secret: 'TS' };
const cfg = { ...CREDS, consumer_secret: '', metadata_url: 'http://10.0.0.1:5248/MAAS/metadata/curtin/' };

function basePlan(over: Partial<AgentInstallPlan> = {}): AgentInstallPlan {
  return {
    system_id: 'abc123', hostname: 'node1', domain: 'maas', target: '/target', storage: [], mounts: [], fstab: [], boot_device: '/dev/sda',
    image: { osystem: 'debian', series: 'bookworm', arch: 'amd64', format: 'tgz', url: 'http://10.0.0.1:5248/images/x/root.tgz' },
    network: { netplan: 'network:\n  version: 2\n  ethernets:\n    eth0:\n      dhcp4: true\n', ifupdown: 'auto eth0\niface eth0 inet dhcp\n' },
    cloud_init: { hostname: 'node1', fqdn: 'node1.maas', ssh_keys: [], user_data_b64: null, metadata_url: 'http://10.0.0.1:5248/MAAS/metadata/' },
    kernel_opts: '', ephemeral: false, ...over,
  };
}

describe('installer pieces', () => {
  test('bootloader commands: BIOS to the boot disk, UEFI to the removable path without NVRAM, all in the chroot', () => {
    const binds = ['/dev', '/proc', '/sys', '/run'].flatMap((m) => [['mkdir', '-p', `/target${m}`], ['mount', '--bind', m, `/target${m}`]]);
    const cases: Array<[Parameters<typeof bootloaderCommands>[0], string[][] | RegExp]> = [
      [{ target: '/target', uefi: false, arch: 'amd64', bootDevice: '/dev/sda' },
        [...binds, ['chroot', '/target', 'grub-install', '--target=i386-pc', '/dev/sda'], ['chroot', '/target', 'update-grub']]],
      [{ target: '/target/', uefi: true, arch: 'amd64', bootDevice: '/dev/sda' },
        [...binds, ['chroot', '/target', 'grub-install', '--target=x86_64-efi', '--efi-directory=/boot/efi', '--removable', '--no-nvram'], ['chroot', '/target', 'update-grub']]],
      [{ target: '/target', uefi: true, arch: 'arm64', bootDevice: null }, [...binds, ['chroot', '/target', 'grub-install', '--target=arm64-efi', '--efi-directory=/boot/efi', '--removable', '--no-nvram'], ['chroot', '/target', 'update-grub']]],
      [{ target: '/target', uefi: false, arch: 'amd64', bootDevice: null }, /names no boot disk/],
      [{ target: '/target', uefi: false, arch: 'arm64', bootDevice: '/dev/sda' }, /No BIOS GRUB target for architecture arm64/],
      [{ target: '/target', uefi: true, arch: 's390x', bootDevice: '/dev/sda' }, /No UEFI GRUB target/],
    ];
    for (const [input, want] of cases) {
      if (want instanceof RegExp) assert.throws(() => bootloaderCommands(input), want);
      else assert.deepEqual(bootloaderCommands(input), want, JSON.stringify(input));
    }
  });

  test('kernel command line: the serial console and kernel_opts, added once, other lines kept', () => {
    const opts = kernelOptions('quiet console=ttyS0,115200n8 nomodeset');
    assert.deepEqual(opts, ['console=tty0', 'console=ttyS0,115200n8', 'quiet', 'nomodeset']);
    const cases: Array<[string | null, string]> = [
      [null, 'GRUB_CMDLINE_LINUX_DEFAULT="console=tty0 console=ttyS0,115200n8 quiet nomodeset"\n'],
      ['GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX_DEFAULT="quiet"\nGRUB_CMDLINE_LINUX=""\n',
        'GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX_DEFAULT="quiet console=tty0 console=ttyS0,115200n8 nomodeset"\nGRUB_CMDLINE_LINUX=""\n'],
      ["GRUB_CMDLINE_LINUX_DEFAULT='console=tty0 console=ttyS0,115200n8 quiet nomodeset'\n", 'GRUB_CMDLINE_LINUX_DEFAULT="console=tty0 console=ttyS0,115200n8 quiet nomodeset"\n'],
    ];
    for (const [input, want] of cases) assert.equal(withKernelOptions(input, opts), want);
  });

  test('GRUB menu on serial and text console, never gfxterm (no video adapter on many servers and on the lab VMs)', () => {
    assert.match(GRUB_CONSOLE_DEFAULTS, /^GRUB_TERMINAL="serial console"$/m);
    assert.match(GRUB_CONSOLE_DEFAULTS, /^GRUB_SERIAL_COMMAND="serial --unit=0 --speed=115200"$/m);
    assert.doesNotMatch(GRUB_CONSOLE_DEFAULTS, /gfxterm/);
  });

  test('cloud-init files: the datasource on the plain metadata path with the agent\'s own credentials; netplan under network:', () => {
    const ds = datasourceConfig(basePlan({ cloud_init: { ...basePlan().cloud_init, metadata_url: 'http://10.0.0.1:5248/MAAS/metadata/curtin/' } }), cfg);
    assert.match(ds, /^datasource_list: \[ MAAS \]$/m);
    assert.deepEqual(configFrom([{ name: '90_plinth_datasource.cfg', text: ds }]), { ...CREDS, consumer_secret: '', metadata_url: 'http://10.0.0.1:5248/MAAS/metadata/' });
    assert.match(ds, /endpoint: "http:\/\/10\.0\.0\.1:5248\/MAAS\/metadata\/status\/abc123"/);
    assert.equal(networkConfig('network:\n  version: 2\n'), '# Written by the Plinth installer; cloud-init renders it.\nnetwork:\n  version: 2\n');
    assert.equal(networkConfig('version: 2\nethernets: {}\n'), '# Written by the Plinth installer; cloud-init renders it.\nnetwork:\n  version: 2\n  ethernets: {}\n');
  });

  test('a plan the installer would misread is refused before any disk is touched', () => {
    const ok = JSON.parse(JSON.stringify(basePlan()));
    assert.equal(parsePlan(ok).target, '/target');
    const bad: Array<[(p: any) => void, RegExp]> = [
      [(p) => { p.target = '/'; }, /target is the root directory/],
      [(p) => { p.storage = [{ name: 'x', commands: [{ argv: 'rm -rf /' }] }]; }, /storage\[0\]\.commands\[0\]\.argv is not a list/],
      [(p) => { p.mounts = [{ source: '/dev/sda1', target: '/elsewhere', fstype: 'ext4', options: '' }]; }, /outside the target/],
      [(p) => { p.image.format = 'ddxz'; }, /not tgz/],
      [(p) => { p.hostname = 'a b'; }, /not a host name/],
      [(p) => { p.storage = [{ name: 'x', commands: [{ write: { path: '../etc/passwd', content: '', append: false } }] }]; }, /not an absolute path/],
    ];
    for (const [mutate, want] of bad) {
      const p = JSON.parse(JSON.stringify(basePlan()));
      mutate(p);
      assert.throws(() => parsePlan(p), want);
    }
  });
});

/** The fake region with the installer's routes; `plan` is served on the curtin tree. */
async function installRegion(plan: AgentInstallPlan, image: Buffer | null) {
  const fake = new FakeRegion({ [CREDS.token_key]: CREDS.token_secret });
  await fake.start();
  fake.routes.set('GET /MAAS/metadata/curtin/latest/plinth/install-plan', { body: JSON.stringify(plan), type: 'application/json' });
  if (image) fake.routes.set('GET /images/root.tgz', { body: image, type: 'application/gzip' });
  fake.routes.set('POST /MAAS/metadata/curtin/latest/?op=signal', { body: 'OK' });
  fake.routes.set(`POST /MAAS/metadata/status/${plan.system_id}`, { status: 204 });
  fake.routes.set(`POST /MAAS/metadata/latest/by-id/${plan.system_id}/?op=netboot_off`, { body: 'OK' });
  const cfgFile = join(dir, `cfg-${Date.now()}.cfg`);
  writeFileSync(cfgFile, `#cloud-config\n${JSON.stringify({ datasource: { MAAS: { ...CREDS, metadata_url: `${fake.url}/MAAS/metadata/curtin/` } } }, null, 2)}\n`);
  return { fake, cfgFile };
}

const brief = (events: any[]) => events.map((e) => `${e.event_type} ${e.name}${e.result ? ` ${e.result}` : ''}`);

describe('the bundled installer', () => {
  let bundle = '';
  before(() => { bundle = bundleAgent(dir); });

  test('a failing step: FAILURE naming it, the install log attached, FAILED signalled, the machine kept up', async () => {
    const plan = basePlan({ target: join(dir, 'never'), storage: [{ name: 'wipe: wipefs --all --force /dev/nothing', commands: [{ argv: ['false'] }] }] });
    const { fake, cfgFile } = await installRegion(plan, null);
    try {
      const root = mkdtempSync(join(dir, 'root-')); mkdirSync(join(root, 'tmp'));
      const r = await runAgent(bundle, ['--config', cfgFile, '--root-dir', root]);
      assert.equal(r.code, 1, r.out);
      const ev = fake.events();
      assert.deepEqual(brief(ev), ['start cmd-install', 'start cmd-install/stage-partitioning', 'finish cmd-install/stage-partitioning FAILURE', 'finish cmd-install FAILURE']);
      assert.ok(ev.every((e) => e.origin === 'curtin'));
      const last = ev.at(-1);
      assert.equal(last.description, 'stage-partitioning: false exited with status 1');
      assert.equal(last.files[0].path, '/tmp/install.log');
      assert.match(Buffer.from(last.files[0].content, 'base64').toString(), /wipe: wipefs --all --force \/dev\/nothing\n.*\$ false\n.*stage-partitioning failed/s);
      assert.deepEqual(fake.signals(), [{ op: 'signal', status: 'FAILED', error: 'stage-partitioning: false exited with status 1' }]);
      assert.ok(existsSync(join(root, 'tmp/block-poweroff')), 'the preseed\'s reboot is blocked');
      assert.ok(!fake.requests.some((q) => q.url.includes('netboot_off')));
      assert.ok(fake.requests.every((q) => q.token === CREDS.token_key && !q.badSignature));
    } finally { await fake.stop(); }
  });

  const isRoot = process.getuid?.() === 0 && spawnSync('losetup', ['--version']).status === 0;
  test('installs onto a loop device: real partitions and ext4, image, fstab by UUID, cloud-init and network files', { skip: !isRoot && 'needs root and losetup' }, async () => {
    const file = join(dir, 'disk.img');
    execFileSync('truncate', ['-s', '1G', file]);
    const loop = execFileSync('losetup', ['--find', '--show', '--partscan', file], { encoding: 'utf8' }).trim();
    const target = join(dir, 'target');
    const check = join(dir, 'check');
    let fake: FakeRegion | undefined;
    try {
      // Storage steps from the real planner: one 1 GiB disk, flat layout, BIOS.
      const name = loop.replace('/dev/', '');
      // The flat layout's shape (MBR, one ext4 root partition labelled root) built by hand: the layout
      // itself wants a 3 GiB root, more than this sparse 1 GiB disk.
      const tree: StorageTree = {
        firmware: 'bios', architecture: 'amd64/generic', boot_disk_id: 1, volume_groups: [], raids: [], cache_sets: [], bcaches: [],
        block_devices: [{ id: 1, name, type: 'physical', model: 'loop', serial: 'L1', id_path: null, size: GiB, block_size: 512, uuid: null, tags: [], partition_table: 'MBR', source: null }],
        partitions: [{ id: 1, device_id: 1, number: 1, offset: MiB, size: GiB - 2 * MiB, bootable: true, uuid: '6a0e4c1f-2b8d-4e57-9c3a-0d1e2f3a4b5c', tags: [], boot_code: null }],
        filesystems: [{ id: 1, fstype: 'ext4', uuid: '1b4e28ba-2fa1-11d2-883f-0016d3cca427', label: 'root', mount_point: '/', mount_options: null, on: { kind: 'partition', id: 1 }, group_id: null }],
      };
      const sp = planStorage(tree, { target });
      assert.ok(sp.plan, JSON.stringify(sp.errors));
      const plan = basePlan({ target, boot_device: loop, image: { ...basePlan().image, url: '' } });
      for (const op of sp.plan.operations) {
        if (op.op === 'mount') plan.mounts.push({ source: op.source, target: op.target, fstype: op.fstype, options: op.options });
        else if (op.op === 'fstab') plan.fstab.push([op.spec, op.mount_point, op.vfstype, op.options, op.dump, op.pass].join('\t'));
        else plan.storage.push({ name: op.op, commands: commandsFor(op) as AgentInstallPlan['storage'][0]['commands'] });
      }
      const rootUuid = sp.plan.operations.find((o) => o.op === 'mkfs')!;
      // A tiny root: busybox-static and its sh link.
      const tree0 = join(dir, 'rootfs');
      mkdirSync(join(tree0, 'bin'), { recursive: true }); mkdirSync(join(tree0, 'etc'));
      copyFileSync('/bin/busybox', join(tree0, 'bin/busybox'));
      symlinkSync('busybox', join(tree0, 'bin/sh'));
      writeFileSync(join(tree0, 'etc/fstab'), '# image fstab\n');
      const image = execFileSync('tar', ['-C', tree0, '--numeric-owner', '-czf', '-', '.']);
      const f = (await installRegion(plan, image)).fake;
      fake = f;
      plan.image.url = `${f.url}/images/root.tgz`;
      f.routes.set('GET /MAAS/metadata/curtin/latest/plinth/install-plan', { body: JSON.stringify(plan), type: 'application/json' });
      const cfgFile = join(dir, 'deploy.cfg');
      writeFileSync(cfgFile, `datasource:\n  MAAS:\n    metadata_url: ${f.url}/MAAS/metadata/curtin/\n    consumer_key: CK\n    token_key: TK\n    token_secret: TS\n`);
      const root = mkdtempSync(join(dir, 'root-')); mkdirSync(join(root, 'tmp'));

      const started = Date.now();
      const r = await runAgent(bundle, ['--config', cfgFile, '--root-dir', root]);
      const seconds = (Date.now() - started) / 1000;
      assert.equal(r.code, 0, r.out);
      const ev = f.events();
      const stages = ['partitioning', 'mount', 'extract', 'config', 'network', 'bootloader', 'unmount', 'netboot-off'];
      assert.deepEqual(brief(ev), ['start cmd-install', ...stages.flatMap((s) => [`start cmd-install/stage-${s}`,
        `finish cmd-install/stage-${s} ${s === 'bootloader' || s === 'network' ? 'WARN' : 'SUCCESS'}`]), 'finish cmd-install SUCCESS']);
      assert.match(ev.find((e) => e.name === 'cmd-install/stage-bootloader' && e.event_type === 'finish').description, /no grub-install/);
      assert.ok(ev.at(-1).files[0].content.length > 0, 'the install log goes with the last event');
      assert.ok(f.requests.some((q) => q.method === 'POST' && q.url === `/MAAS/metadata/latest/by-id/${plan.system_id}/?op=netboot_off`));
      assert.deepEqual(f.signals(), []);
      assert.ok(!readFileSync('/proc/mounts', 'utf8').includes(target), 'everything was unmounted');
      assert.ok(!existsSync(join(root, 'tmp/block-poweroff')));

      // The result, mounted again: the partition blkid sees has the planned UUID, which fstab names.
      const part = plan.mounts[0].source;
      assert.equal(execFileSync('blkid', ['-s', 'UUID', '-o', 'value', part], { encoding: 'utf8' }).trim(), (rootUuid as { uuid: string }).uuid);
      mkdirSync(check);
      execFileSync('mount', ['-o', 'ro', part, check]);
      try {
        const fstab = readFileSync(join(check, 'etc/fstab'), 'utf8');
        assert.match(fstab, new RegExp(`^UUID=${(rootUuid as { uuid: string }).uuid}\\t/\\text4\\t`, 'm'));
        assert.ok(!fstab.includes('image fstab'));
        assert.equal(readFileSync(join(check, 'etc/hostname'), 'utf8'), 'node1\n');
        assert.match(readFileSync(join(check, 'etc/hosts'), 'utf8'), /^127\.0\.1\.1\tnode1\.maas node1$/m);
        const ds = readFileSync(join(check, 'etc/cloud/cloud.cfg.d/90_plinth_datasource.cfg'), 'utf8');
        assert.deepEqual(configFrom([{ name: 'ds', text: ds }]), { ...CREDS, consumer_secret: '', metadata_url: 'http://10.0.0.1:5248/MAAS/metadata/' });
        assert.match(readFileSync(join(check, 'etc/cloud/cloud.cfg.d/50-plinth-networking.cfg'), 'utf8'), /^network:\n  version: 2\n/m);
        assert.equal(readFileSync(join(check, 'etc/network/interfaces'), 'utf8'), plan.network.ifupdown, 'no cloud-init in the image: ifupdown too');
        assert.ok(existsSync(join(check, 'bin/busybox')));
        assert.equal(execFileSync(join(check, 'bin/busybox'), ['echo', 'installed'], { encoding: 'utf8' }), 'installed\n');
      } finally { execFileSync('umount', [check]); }
      console.log(`# loop install: ${seconds.toFixed(2)} s`);

      // The same disk again with the image gone: extract fails after real partitioning and mounting,
      // the mounts are undone, the failure names the stage.
      f.routes.delete('GET /images/root.tgz');
      f.requests = [];
      const again = await runAgent(bundle, ['--config', cfgFile, '--root-dir', root]);
      assert.equal(again.code, 1, again.out);
      const err = `stage-extract: the image ${plan.image.url} answered HTTP 404`;
      assert.deepEqual(f.signals(), [{ op: 'signal', status: 'FAILED', error: err }]);
      assert.equal(f.events().at(-1).description, err);
      assert.ok(!readFileSync('/proc/mounts', 'utf8').includes(target), 'the failed install unmounted the target');
    } finally {
      await fake?.stop();
      for (const m of [check, target]) spawnSync('umount', ['-R', m]);
      spawnSync('losetup', ['-d', loop]);
      rmSync(file, { force: true });
    }
  });
});

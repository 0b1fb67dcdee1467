/**
 * A real build of the ephemeral environment (cached under .cache/images, so once per machine) and a
 * real boot of it: QEMU (TCG) with the built kernel and initrd and Plinth's kernel command line, on a
 * tap in a network namespace where udhcpd answers DHCP and the test's HTTP server serves the squashfs
 * and the cloud-config. Passes when the console shows the root mounted and cloud-init running, and
 * cloud-init fetched cloud-config-url and asked the MAAS metadata service for its instance id.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildImage, type BuildResult } from '../../src/edges/images/index.ts';
import { sha256File } from '../../src/edges/images/manifest.ts';
import { resolveAgent } from '../../src/edges/images/agent.ts';
import { kernelCommandLineText } from '../../src/domain/boot/cmdline.ts';
import { ephemeralImage } from '../../src/domain/boot/images.ts';
import type { EphemeralDecision } from '../../src/domain/boot/types.ts';
import { bootNet, buildSkipReason, CACHE, waitFor, type BootNet } from './support.ts';

const skip = await buildSkipReason();
const say = (l: string) => process.stdout.write(`# ${l}\n`);
let built: BuildResult;
let agent: string | undefined;

before(async () => {
  if (skip) return;
  // Bundle the agent once: both builds below then have the same inputs even while src/agent changes.
  agent = (await resolveAgent(undefined, join(CACHE.cacheDir, '..', 'agent'), say))?.path;
  built = await buildImage({ kind: 'ephemeral', suite: 'bookworm', arch: 'amd64', ...CACHE, agent, say });
  say(`ephemeral build: ${built.cached ? 'cached' : 'from scratch'} in ${built.seconds.toFixed(1)} s`);
});

test('ephemeral build: outputs, manifest, cached rebuild', { skip, timeout: 3_600_000 }, async () => {
  const m = built.manifest;
  assert.deepEqual(m.outputs.map((o) => o.name), ['vmlinuz', 'initrd', 'squashfs']);
  for (const o of m.outputs) {
    assert.ok(o.size > 0, o.name);
    if (o.name !== 'squashfs') assert.equal(await sha256File(join(built.dir, o.name)), o.sha256, o.name);
    say(`${o.name}: ${(o.size / 1048576).toFixed(1)} MiB`);
  }
  assert.ok(m.packages.some((p) => p.name === 'cloud-init' && /^22\./.test(p.version)), 'cloud-init 22.x');
  assert.ok(m.packages.some((p) => p.name === 'nodejs'));
  assert.match(m.kernel ?? '', /-amd64$/);
  // Published under the region's layout.
  const img = ephemeralImage('amd64', 'bookworm');
  for (const f of [img.kernel, img.initrd, img.squashfs!]) assert.ok(existsSync(join(CACHE.outDir, f)), f);

  const t0 = Date.now();
  const again = await buildImage({ kind: 'ephemeral', suite: 'bookworm', arch: 'amd64', ...CACHE, agent, say });
  assert.equal(again.cached, true);
  assert.equal(again.dir, built.dir);
  say(`cached rebuild: ${((Date.now() - t0) / 1000).toFixed(2)} s`);

  // The squashfs's contents: lean, MAAS datasource, our agent wrapper when there is an agent.
  const list = execFileSync('unsquashfs', ['-l', '-d', '', join(built.dir, 'squashfs')], { maxBuffer: 256 << 20 }).toString();
  const has = (path: string) => list.includes(`\n${path}\n`);
  assert.ok(has('/etc/cloud/cloud.cfg.d/90_plinth_ephemeral.cfg'), 'MAAS-only datasource config');
  assert.ok(has('/usr/sbin/init') && has('/etc/systemd/network/99-default.link'), 'systemd init, no interface renaming');
  assert.ok(!/\n\/usr\/share\/man\/man1\//.test(list), 'no man pages');
  assert.ok(!/\n\/var\/lib\/apt\/lists\/[^\n]*Packages/.test(list), 'no apt lists');
  assert.ok(!/\n\/etc\/ssh\/ssh_host_/.test(list), 'no SSH host keys');
  assert.ok(!/\n\/boot\/initrd\.img/.test(list), "no Debian initrd (ours replaces it)");
  assert.ok(has('/usr/bin/sudo'), 'sudo, for the default user in rescue mode');
  // update-initramfs was a no-op while packages installed (essential-ephemeral.sh): Debian's is back.
  const cat = (path: string) => execFileSync('unsquashfs', ['-cat', join(built.dir, 'squashfs'), path]).toString();
  assert.match(cat('/usr/sbin/update-initramfs'), /generate_initramfs/, "Debian's update-initramfs, not the build's stub");
  assert.ok(!has('/usr/sbin/update-initramfs.plinth-build'));
  assert.doesNotMatch(cat('/var/lib/dpkg/diversions'), /update-initramfs/, 'no diversion left behind');
  if (m.inputs.agent) assert.ok(has('/usr/bin/plinth-agent') && has('/usr/lib/plinth/agent.mjs'), 'agent');
});

let net: BootNet | undefined;
let docroot: string | undefined;
after(() => {
  net?.close();
  if (docroot) rmSync(docroot, { recursive: true, force: true });
});

test('the ephemeral image boots in QEMU: DHCP, squashfs over HTTP, overlay root, systemd, cloud-init with MAAS', { skip, timeout: 900_000 }, async () => {
  docroot = mkdtempSync(join(tmpdir(), 'plinth-docroot-'));
  symlinkSync(CACHE.outDir, join(docroot, 'images'));
  const preseedDir = join(docroot, 'MAAS/metadata/latest/by-id/abc123');
  mkdirSync(preseedDir, { recursive: true });
  writeFileSync(join(preseedDir, 'index'), [
    '#cloud-config', 'datasource:', '  MAAS:', '    metadata_url: http://10.219.0.1:5248/MAAS/metadata/', '',
  ].join('\n'));
  net = await bootNet(docroot);
  const img = ephemeralImage('amd64', 'bookworm');
  const decision: EphemeralDecision = {
    purpose: 'commissioning', firmware: 'bios', arch: 'amd64', subarch: 'generic', hostname: 'imgtest',
    server: { host: net.addr, port: 5248 }, image: img,
    preseedUrl: `http://${net.addr}:5248/MAAS/metadata/latest/by-id/abc123/?op=get_preseed`,
  };
  const mac = '52:54:00:12:34:56';
  // What a bootloader passes: Plinth's command line, then the console and BOOTIF it appends.
  const append = `${kernelCommandLineText(decision)} console=ttyS0 BOOTIF=01-${mac.replace(/:/g, '-')}`;
  const consoleLog = join(net.dir, 'console.log');
  writeFileSync(consoleLog, '');
  const t0 = Date.now();
  net.start('qemu-system-x86_64', [
    '-machine', 'q35,accel=tcg', '-cpu', 'max', '-smp', '2', '-m', '1536', '-display', 'none', '-no-reboot',
    '-monitor', 'none', '-serial', `file:${consoleLog}`,
    '-kernel', join(CACHE.outDir, img.kernel), '-initrd', join(CACHE.outDir, img.initrd), '-append', append,
    '-netdev', 'tap,id=n0,ifname=tap0,script=no,downscript=no', '-device', `virtio-net-pci,netdev=n0,mac=${mac}`,
  ], 'qemu.log');
  const con = () => readFileSync(consoleLog, 'utf8');
  const reqs = () => net!.requests.join('\n');
  const marks: Record<string, number> = {};
  const mark = async (what: string, read: () => string, re: RegExp, ms: number) => {
    try {
      await waitFor(read, (s) => re.test(s), ms - (Date.now() - t0), what);
      marks[what] = (Date.now() - t0) / 1000;
      say(`${what}: ${marks[what].toFixed(1)} s`);
    } catch (e) {
      say(`console tail:\n${con().split('\n').slice(-40).join('\n')}\nrequests:\n${reqs()}`);
      throw e;
    }
  };
  const LIMIT = 600_000;
  await mark('lease', con, /plinth-initramfs: lease 10\.219\.0\.\d+\/24 on eth0/, LIMIT);
  await mark('squashfs fetched', reqs, /GET \/images\/ephemeral\/amd64\/bookworm\/squashfs 200/, LIMIT);
  await mark('root mounted', con, /plinth-initramfs: root mounted \(squashfs, overlayroot=tmpfs\)/, LIMIT);
  await mark('systemd started', con, /Welcome to .*Debian GNU\/Linux 12/, LIMIT);
  await mark("cloud-init init-local", con, /Cloud-init v\. 22\.[\d.]+ running 'init-local'/, LIMIT);
  await mark('cloud-config-url fetched', reqs, /GET \/MAAS\/metadata\/latest\/by-id\/abc123\/\?op=get_preseed 200/, LIMIT);
  await mark("cloud-init init (network stage)", con, /Cloud-init v\. 22\.[\d.]+ running 'init'/, LIMIT);
  await mark('MAAS datasource asked for instance-id', reqs, /GET \/MAAS\/metadata\/2012-03-01\/meta-data\/instance-id/, LIMIT);
  assert.doesNotMatch(con(), /FAILED/, 'no unit failed to start');
  assert.match(con(), /plinth-initramfs: starting \(root=http:\/\/10\.219\.0\.1:5248\/images\/ephemeral\/amd64\/bookworm\/squashfs ip=dhcp bootif=52:54:00:12:34:56\)/);
});

/**
 * A real build of the deployable Debian image (cached under .cache/images) and a look inside its
 * root tarball: kernel and initrd, both GRUB platforms' files, cloud-init limited to MAAS with the
 * `debian` default user, and no per-machine identity (machine-id, SSH host keys).
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync } from 'node:fs';
import { join } from 'node:path';
import { buildImage, type BuildResult } from '../../src/edges/images/index.ts';
import { deployImagePath } from '../../src/domain/boot/images.ts';
import { buildSkipReason, CACHE } from './support.ts';

const skip = await buildSkipReason();
const say = (l: string) => process.stdout.write(`# ${l}\n`);
let built: BuildResult;

before(async () => {
  if (skip) return;
  built = await buildImage({ kind: 'debian', suite: 'bookworm', arch: 'amd64', ...CACHE, say });
  say(`debian build: ${built.cached ? 'cached' : 'from scratch'} in ${built.seconds.toFixed(1)} s`);
});

const tgz = () => join(built.dir, 'root.tgz');
const member = (path: string) => execFileSync('tar', ['-xzOf', tgz(), path]).toString();

test('root.tgz: kernel, initrd, GRUB for BIOS and UEFI, cloud-init for MAAS, no machine identity', { skip, timeout: 3_600_000 }, () => {
  const m = built.manifest;
  assert.deepEqual(m.outputs.map((o) => o.name), ['root.tgz']);
  say(`root.tgz: ${(m.outputs[0].size / 1048576).toFixed(1)} MiB, ${m.packages.length} packages`);
  const list = execFileSync('tar', ['-tzf', tgz()], { maxBuffer: 256 << 20 }).toString().split('\n');
  const has = (re: RegExp) => list.some((l) => re.test(l));
  assert.ok(has(new RegExp(`^\\./boot/vmlinuz-${m.kernel}$`)), 'kernel');
  assert.ok(has(new RegExp(`^\\./boot/initrd\\.img-${m.kernel}$`)), 'initrd');
  assert.ok(has(/^\.\/usr\/lib\/grub\/i386-pc\/normal\.mod$/), 'grub-pc-bin');
  assert.ok(has(/^\.\/usr\/lib\/grub\/x86_64-efi\/normal\.mod$/), 'grub-efi-amd64-bin');
  assert.ok(has(/^\.\/usr\/sbin\/grub-install$/), 'grub2-common');
  assert.ok(has(/^\.\/usr\/bin\/sudo$/) && has(/^\.\/usr\/sbin\/sshd$/) && has(/^\.\/usr\/sbin\/ifup$/));
  assert.ok(!has(/^\.\/etc\/ssh\/ssh_host_/), 'no SSH host keys');
  assert.ok(!has(/^\.\/usr\/share\/man\/man1\/./), 'no man pages');
  assert.equal(member('./etc/machine-id'), '');
  assert.match(member('./etc/cloud/cloud.cfg.d/90_maas_datasource.cfg'), /^datasource_list: \[ MAAS \]$/m);
  const user = member('./etc/cloud/cloud.cfg.d/91_plinth_default_user.cfg');
  assert.match(user, /name: debian/);
  assert.match(user, /sudo: \["ALL=\(ALL\) NOPASSWD:ALL"\]/);
  assert.ok(m.packages.some((p) => p.name === 'grub-efi-amd64-bin'));
  // Published under the region's layout.
  const published = join(CACHE.outDir, deployImagePath('debian', 'amd64', 'bookworm'));
  assert.ok(existsSync(published) && lstatSync(join(CACHE.outDir, 'debian/amd64/bookworm')).isSymbolicLink());
});

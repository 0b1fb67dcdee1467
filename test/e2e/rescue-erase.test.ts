/**
 * End to end: what a deployed machine goes through besides its deployment, on one lab machine (BIOS),
 * through the API. Rescue mode on a deployed machine: it boots the ephemeral environment, the installed
 * root is there to mount, and leaving rescue boots the installed system again. Release with secure
 * erase: the lab's virtio disks have no secure erase, so wipe-disks falls back to a full erase of both
 * disks and says so. Ephemeral deploy: the machine runs from RAM, and its disks read back as zeros.
 * Heavy (five network boots, ~15 min under TCG): runs with PLINTH_E2E=full.
 */
import { describe, it, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { consoleTail, e2eSkipReason, ensureImages, startLab, startPlinth, until, type Plinth } from './harness.ts';
import { autoAddressAndFlatLayout, dhcpOn, enlistByBmc, history, powerIsOff, waitStatus } from './steps.ts';

const run = promisify(execFile);
const MARK = 'plinth-e2e-mark';

describe('end to end: rescue mode, release with secure erase, ephemeral deploy', { skip: e2eSkipReason('full') }, () => {
  let lab: Awaited<ReturnType<typeof startLab>> | undefined;
  let plinth: Plinth | undefined;
  let sid = '';
  let keyDir = '';
  const ssh = (address: string, cmd: string) => run('ssh', ['-i', join(keyDir, 'id'), '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null',
    '-o', 'ConnectTimeout=5', '-o', 'LogLevel=ERROR', `debian@${address}`, cmd]);
  /** Waits until SSH answers, then runs `cmd`. */
  const sshWhenUp = async (address: string, cmd: string) => {
    await until(`SSH to ${address}`, () => ssh(address, 'true').then(() => true, () => false), 300_000, 3000);
    return (await ssh(address, cmd)).stdout;
  };
  const address = async () => (await plinth!.api('GET', `machines/${sid}/`)).json().ip_addresses[0] as string;
  const action = async (op: string, fields: Array<[string, string]> = []) => {
    const r = await plinth!.api('POST', `machines/${sid}/?op=${op}`, fields);
    assert.equal(r.status, 200, `${op}: ${r.text}`);
  };

  before(async () => {
    keyDir = mkdtempSync(join(tmpdir(), 'plinth-e2e-ssh-'));
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(keyDir, 'id'), '-C', 'e2e@plinth']);
  });
  after(async () => { await plinth?.close(); await lab?.close(); if (keyDir) rmSync(keyDir, { recursive: true, force: true }); });

  const step = (name: string, fn: () => Promise<void>, minutes = 20) => it(name, { timeout: minutes * 60_000 }, async () => {
    const t0 = Date.now();
    await fn().catch(async (err) => {
      const kept = join(process.cwd(), '.cache', 'e2e-logs', `rescue-erase-${Date.now()}-console.log`);
      mkdirSync(dirname(kept), { recursive: true });
      try { copyFileSync(lab!.status.machines[0].consoleLog, kept); } catch { /* no console yet */ }
      throw new Error(`${(err as Error).message}\n(full console: ${kept})\n${plinth ? await history(plinth.api, sid) : ''}--- console ---\n${lab ? consoleTail(lab.status) : ''}`);
    });
    process.stderr.write(`  ${((Date.now() - t0) / 1000).toFixed(1).padStart(7)} s  ${name}\n`);
  });

  step('images; lab; DHCP on; enlisted; commissioned → Ready; deployed → Deployed', async () => {
    await ensureImages((line) => process.stderr.write(`  [images] ${line}\n`));
    lab = await startLab({ machines: 1, firmware: 'bios', memoryMiB: 1536 });
    plinth = await startPlinth({ sshKey: readFileSync(join(keyDir, 'id.pub'), 'utf8').trim() });
    const { api } = plinth;
    const d = await dhcpOn(api, lab.status, { dynamic: [200, 254], reserved: [1, 10] });
    plinth.region.dhcpPush.nudge();
    await until('the rack to serve the subnet', async () => plinth!.rack.services.rackAddressFor(`${d.prefix}.200`) !== null, 20_000, 250);
    sid = await enlistByBmc(api, lab.status, 0, (found) => { sid = found; });
    await until('power off after enlistment', () => powerIsOff(lab!.status), 300_000, 3000);
    await action('commission');
    await waitStatus(api, sid, 'Ready', 900_000);
    await autoAddressAndFlatLayout(api, sid, lab.status.machines[0].macs[0], d.subnet.id);
    await action('deploy', [['osystem', 'debian'], ['distro_series', 'bookworm']]);
    await waitStatus(api, sid, 'Deployed', 1_200_000);
    // A mark on the second disk, for rescue to find and the erase to remove. Then sync: rescue mode
    // power-cycles the machine (hard, as MAAS's IPMI driver does by default), and what the first boot
    // wrote seconds ago (SSH host keys, cloud-init's state) would otherwise be lost from ext4's cache.
    await sshWhenUp(await address(), `printf ${MARK} | sudo dd of=/dev/vdb bs=512 seek=2048 conv=notrunc,fsync status=none && sudo sync`);
  }, 60);

  step('rescue mode: the ephemeral environment, with the installed root and the mark on disk', async () => {
    await action('rescue_mode');
    const m = await waitStatus(plinth!.api, sid, 'Rescue mode', 900_000);
    assert.equal(m.status, 16);
    const out = await sshWhenUp(await address(),
      'findmnt -n -o SOURCE,FSTYPE /; sudo blkid -o value -s TYPE /dev/vda1; sudo mount -o ro /dev/vda1 /mnt && grep ^ID= /mnt/etc/os-release; '
      + 'sudo umount /mnt; sudo dd if=/dev/vdb bs=512 skip=2048 count=1 status=none | tr -d "\\0"');
    const [root, fstype, osId, mark] = out.trim().split('\n');
    assert.doesNotMatch(root, /vda/, `rescue runs from RAM, not from the installed disk: ${out}`);
    assert.equal(fstype, 'ext4', out);
    assert.equal(osId, 'ID=debian', out);
    assert.equal(mark, MARK, out);
  });

  step('exit rescue mode → Deployed, booting the installed system again', async () => {
    await action('exit_rescue_mode');
    await waitStatus(plinth!.api, sid, 'Deployed', 600_000);
    const root = await sshWhenUp(await address(), 'findmnt -n -o SOURCE /');
    assert.match(root.trim(), /^\/dev\/vda1$/, root);
  });

  step('release with secure erase → Ready, powered off; secure erase unsupported here, so both disks are erased in full', async () => {
    await action('release', [['erase', 'true'], ['secure_erase', 'true'], ['quick_erase', 'false']]);
    await waitStatus(plinth!.api, sid, 'Ready', 1_200_000);
    await until('power off', () => powerIsOff(lab!.status), 120_000, 2000);
    const sets = (await plinth!.api('GET', `nodes/${sid}/results/?type=release&include_output=true`)).json();
    const wipe = sets.flatMap((s: any) => s.results).filter((r: any) => r.name === 'wipe-disks').pop();
    assert.ok(wipe, JSON.stringify(sets).slice(0, 500));
    assert.equal(wipe.status_name, 'Passed');
    const output = Buffer.from(wipe.output, 'base64').toString();
    for (const disk of ['/dev/vda', '/dev/vdb']) {
      assert.match(output, new RegExp(`${disk}: secure erase is not supported; falling back to full erase`), output);
      assert.match(output, new RegExp(`${disk}: full erase done`), output);
    }
  });

  step('ephemeral deploy → Deployed: runs from RAM, and the erased disks read back as zeros', async () => {
    await action('deploy', [['osystem', 'debian'], ['distro_series', 'bookworm'], ['ephemeral_deploy', 'true']]);
    await waitStatus(plinth!.api, sid, 'Deployed', 900_000);
    const out = await sshWhenUp(await address(),
      'findmnt -n -o SOURCE /; for d in vda vdb; do sudo blkid -p /dev/$d >/dev/null && echo "$d: signature"; '
      + 'sudo cmp -s -n 16777216 /dev/$d /dev/zero && echo "$d: zeros"; done');
    assert.doesNotMatch(out.split('\n')[0], /vda/, out);
    assert.deepEqual(out.trim().split('\n').slice(1), ['vda: zeros', 'vdb: zeros'], out);
    await action('release');
    await waitStatus(plinth!.api, sid, 'Ready', 600_000);
  });
});

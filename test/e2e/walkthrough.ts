/**
 * The operator's walkthrough (issue 8 §1), through the API only, on a lab machine of the given
 * firmware: DHCP on the provisioning VLAN (dynamic .200–.254, reserved .1–.10); power on by the BMC →
 * PXE through Plinth's rack → enlisted as New with its BMC discovered; rename; commission → Ready with
 * the right CPU, memory, disks and NIC; AUTO address on the boot interface; one ext4 root partition on
 * the first disk, the second untouched; deploy with the admin's SSH key → Deployed; SSH in as the
 * image's default user; check df and the network config against the model; release with erase →
 * Ready and powered off. Each step's time is recorded for the report.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { consoleTail, startLab, startPlinth, until, type Plinth } from './harness.ts';
import { autoAddressAndFlatLayout, dhcpOn, enlistByBmc, history, powerIsOff, waitStatus } from './steps.ts';
import type { LabStatus } from '../../src/edges/lab/index.ts';

const run = promisify(execFile);

export interface StepTime { step: string; seconds: number }

export async function walkthrough(firmware: 'bios' | 'uefi', record: (t: StepTime) => void): Promise<void> {
  const keyDir = mkdtempSync(join(tmpdir(), 'plinth-e2e-ssh-'));
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(keyDir, 'id'), '-C', 'e2e@plinth']);
  const publicKey = readFileSync(join(keyDir, 'id.pub'), 'utf8').trim();

  // The lab first: the rack announces the interfaces it has when it links to the region.
  const lab = await startLab({ firmware, memoryMiB: firmware === 'uefi' ? 1536 : 1536 });
  let plinth: Plinth | undefined;
  let machineId: string | undefined;
  const step = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    try {
      const v = await fn();
      record({ step: name, seconds: (Date.now() - t0) / 1000 });
      return v;
    } catch (err) {
      // Keep the whole serial console: the lab's state directory is removed on the way out.
      const kept = join(process.cwd(), '.cache', 'e2e-logs', `${firmware}-${Date.now()}-console.log`);
      mkdirSync(dirname(kept), { recursive: true });
      try { copyFileSync(lab.status.machines[0].consoleLog, kept); } catch { /* no console yet */ }
      throw new Error(`${name}: ${(err as Error).message}\n(full console: ${kept})\n${plinth ? await history(plinth.api, machineId) : ''}--- console of ${lab.status.machines[0].name} ---\n${consoleTail(lab.status)}`);
    }
  };
  try {
    plinth = await startPlinth({ sshKey: publicKey });
    const { api } = plinth;
    const s: LabStatus = lab.status;
    const mac = s.machines[0].macs[0];

    const { subnet } = await step('rack registered; DHCP on: dynamic .200–.254, reserved .1–.10', async () => {
      const d = await dhcpOn(api, s, { dynamic: [200, 254], reserved: [1, 10] });
      plinth!.region.dhcpPush.nudge();
      await until('the rack to serve the subnet', async () => plinth!.rack.services.rackAddressFor(`${d.prefix}.200`) !== null, 20_000, 250);
      return d;
    });

    const sid = await step('power on by the BMC → enlisted as New with its BMC', async () => {
      const id = await enlistByBmc(api, s, 0, (found) => { machineId = found; });
      machineId = id;
      const m = (await api('GET', `machines/${id}/`)).json();
      assert.equal(m.power_type, 'ipmi');
      const params = (await api('GET', `machines/${id}/?op=power_parameters`)).json();
      assert.equal(params.power_address, s.machines[0].bmc.address);
      return id;
    });
    await step('enlistment powers the machine off', () => until('power off after enlistment', () => powerIsOff(s), 300_000, 3000));

    await step('rename', async () => {
      const r = await api('PUT', `machines/${sid}/`, [['hostname', `e2e-${firmware}`]]);
      assert.equal(r.json().hostname, `e2e-${firmware}`);
    });

    await step('commission → Ready with CPU, memory, disks and NIC', async () => {
      const r = await api('POST', `machines/${sid}/?op=commission`);
      assert.equal(r.status, 200, r.text);
      const m = await waitStatus(api, sid, 'Ready', 600_000);
      assert.equal(m.cpu_count, 1);
      assert.ok(m.memory >= 1400 && m.memory <= 1536, `memory ${m.memory}`);
      assert.equal(m.physicalblockdevice_set.length, 2);
      assert.ok(m.interface_set.some((i: any) => i.mac_address === mac));
    });

    await step('AUTO address on the boot interface; flat layout on the first disk', () => autoAddressAndFlatLayout(api, sid, mac, subnet.id));

    const deployed = await step('deploy with the admin\'s SSH key → Deployed', async () => {
      const r = await api('POST', `machines/${sid}/?op=deploy`, [['osystem', 'debian'], ['distro_series', 'bookworm']]);
      assert.equal(r.status, 200, r.text);
      return waitStatus(api, sid, 'Deployed', 900_000);
    });
    const address = deployed.ip_addresses[0];

    await step('SSH in as debian: df and network config match the model', async () => {
      const ssh = (cmd: string) => run('ssh', ['-i', join(keyDir, 'id'), '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'ConnectTimeout=5', `debian@${address}`, cmd]);
      await until('SSH', async () => (await ssh('true').then(() => true, () => false)), 300_000, 3000);
      const df = (await ssh('df -P / | tail -1')).stdout;
      assert.match(df, /^\/dev\/(vda|sda)1?\S*\s/m, df);
      const ipOut = (await ssh('ip -4 -o addr show')).stdout;
      assert.ok(ipOut.includes(`${address}/`), ipOut);
      const lsblk = (await ssh('lsblk -n -o NAME,FSTYPE /dev/vdb')).stdout;
      assert.doesNotMatch(lsblk, /ext4|xfs|vfat/, `second disk must be untouched: ${lsblk}`);
    });

    await step('release with erase → Ready and powered off', async () => {
      const r = await api('POST', `machines/${sid}/?op=release`, [['erase', 'true'], ['quick_erase', 'true']]);
      assert.equal(r.status, 200, r.text);
      await waitStatus(api, sid, 'Ready', 600_000);
      await until('power off', () => powerIsOff(s), 120_000, 2000);
    });
  } finally {
    await plinth?.close();
    await lab.close();
    rmSync(keyDir, { recursive: true, force: true });
  }
}

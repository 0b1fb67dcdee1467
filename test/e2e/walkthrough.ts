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
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { consoleTail, startLab, startPlinth, StopWaiting, until, type Plinth } from './harness.ts';
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
  /** The machine's last events and its workflow, attached to a failed step (what Plinth was doing). */
  const history = async (): Promise<string> => {
    if (!plinth || !machineId) return '';
    try {
      const ev = (await plinth.api('GET', `events/?op=query&id=${machineId}&limit=40`)).json();
      const lines = (ev.events ?? []).map((e: any) => `${e.created} ${e.level} ${e.type}: ${e.description}`).reverse();
      return `--- events of ${machineId} ---\n${lines.join('\n')}\n`;
    } catch (e) { return `(events unavailable: ${(e as Error).message})\n`; }
  };
  const selfCommissioned = async (sid: string) => {
    const ev = (await plinth!.api('GET', `events/?op=query&id=${sid}&limit=100`)).json();
    return (ev.events ?? []).some((e: any) => e.type === 'Commissioning finished');
  };
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
      throw new Error(`${name}: ${(err as Error).message}\n(full console: ${kept})\n${await history()}--- console of ${lab.status.machines[0].name} ---\n${consoleTail(lab.status)}`);
    }
  };
  try {
    plinth = await startPlinth({ sshKey: publicKey });
    const { api } = plinth;
    const s: LabStatus = lab.status;
    const mac = s.machines[0].macs[0];
    const rackIface = `${s.name}-rp`;

    const { subnet, vlan, rackId } = await step('rack registered with its provisioning subnet', () => until('the rack and its subnet', async () => {
      const racks = (await api('GET', 'rackcontrollers/')).json();
      const rack = racks.find((r: any) => r.interface_set.some((i: any) => i.name === rackIface));
      const subnets = (await api('GET', 'subnets/')).json();
      const sn = subnets.find((x: any) => x.cidr === s.network.provisioning.cidr);
      return rack && sn ? { subnet: sn, vlan: sn.vlan, rackId: rack.system_id as string } : null;
    }, 30_000, 500));

    await step('DHCP on: dynamic .200–.254, reserved .1–.10', async () => {
      const prefix = s.network.provisioning.cidr.split('.').slice(0, 3).join('.');
      for (const [type, a, b] of [['dynamic', 200, 254], ['reserved', 1, 10]] as const) {
        const r = await api('POST', 'ipranges/', [['subnet', String(subnet.id)], ['type', type], ['start_ip', `${prefix}.${a}`], ['end_ip', `${prefix}.${b}`]]);
        assert.equal(r.status, 200, r.text);
      }
      // As a lab operator does: machines' consoles are their serial ports (seen by `plinth lab console`).
      const opts = await api('POST', 'maas/?op=set_config', [['name', 'kernel_opts'], ['value', 'console=tty0 console=ttyS0,115200']]);
      assert.equal(opts.status, 200, opts.text);
      const on = await api('PUT', `vlans/${vlan.id}/`, [['dhcp_on', 'true'], ['primary_rack', rackId]]);
      assert.equal(on.status, 200, on.text);
      plinth!.region.dhcpPush.nudge();
      await until('the rack to serve the subnet', async () => plinth!.rack.services.rackAddressFor(`${prefix}.200`) !== null, 20_000, 250);
    });

    const ipmi = (...args: string[]) => run('ipmitool', ['-I', 'lanplus', '-H', s.machines[0].bmc.address, '-U', s.machines[0].bmc.user, '-P', s.machines[0].bmc.password, '-C', '3', ...args]);
    const sid = await step('power on by the BMC → enlisted as New with its BMC', async () => {
      await ipmi('chassis', 'bootdev', 'pxe');
      await ipmi('chassis', 'power', 'on');
      // Enlistment creates the machine and commissions it once (MAAS's self-commissioning); it settles as New.
      const m = await until('the machine to enlist and settle as New', async () => {
        const found = (await api('GET', `machines/?mac_address=${mac}`)).json()[0];
        if (found) machineId = found.system_id;
        if (found && /^Failed/.test(found.status_name)) throw new StopWaiting(`${found.status_name}: ${found.status_message}`);
        // New is seen twice: right after enlisting, and when the self-commissioning that follows settles.
        return found?.status_name === 'New' && await selfCommissioned(found.system_id) && found;
      }, 600_000, 2000);
      machineId = m.system_id;
      assert.equal(m.power_type, 'ipmi');
      const params = (await api('GET', `machines/${m.system_id}/?op=power_parameters`)).json();
      assert.equal(params.power_address, s.machines[0].bmc.address);
      return m.system_id as string;
    });
    await step('enlistment powers the machine off', () => until('power off after enlistment', async () => /Power is off/.test((await ipmi('chassis', 'power', 'status')).stdout), 300_000, 3000));

    await step('rename', async () => {
      const r = await api('PUT', `machines/${sid}/`, [['hostname', `e2e-${firmware}`]]);
      assert.equal(r.json().hostname, `e2e-${firmware}`);
    });

    await step('commission → Ready with CPU, memory, disks and NIC', async () => {
      const r = await api('POST', `machines/${sid}/?op=commission`);
      assert.equal(r.status, 200, r.text);
      const m = await until('Ready', async () => { const x = (await api('GET', `machines/${sid}/`)).json(); if (/^Failed/.test(x.status_name)) throw new StopWaiting(`${x.status_name}: ${x.status_message}`); return x.status_name === 'Ready' && x; }, 600_000, 3000);
      assert.equal(m.cpu_count, 1);
      assert.ok(m.memory >= 1400 && m.memory <= 1536, `memory ${m.memory}`);
      assert.equal(m.physicalblockdevice_set.length, 2);
      assert.ok(m.interface_set.some((i: any) => i.mac_address === mac));
    });

    const { ip } = await step('AUTO address on the boot interface; flat layout on the first disk', async () => {
      const m = (await api('GET', `machines/${sid}/`)).json();
      const iface = m.interface_set.find((i: any) => i.mac_address === mac);
      for (const l of iface.links) await api('POST', `nodes/${sid}/interfaces/${iface.id}/?op=unlink_subnet`, [['id', String(l.id)]]);
      const link = await api('POST', `nodes/${sid}/interfaces/${iface.id}/?op=link_subnet`, [['mode', 'AUTO'], ['subnet', String(subnet.id)]]);
      assert.equal(link.status, 200, link.text);
      const first = [...m.physicalblockdevice_set].sort((a: any, b: any) => a.name.localeCompare(b.name))[0];
      await api('POST', `nodes/${sid}/blockdevices/${first.id}/?op=set_boot_disk`);
      const lay = await api('POST', `machines/${sid}/?op=set_storage_layout`, [['storage_layout', 'flat']]);
      assert.equal(lay.status, 200, lay.text);
      return { ip: '' };
    });

    const deployed = await step('deploy with the admin\'s SSH key → Deployed', async () => {
      const r = await api('POST', `machines/${sid}/?op=deploy`, [['osystem', 'debian'], ['distro_series', 'bookworm']]);
      assert.equal(r.status, 200, r.text);
      return until('Deployed', async () => { const x = (await api('GET', `machines/${sid}/`)).json(); if (/^Failed/.test(x.status_name)) throw new StopWaiting(`${x.status_name}: ${x.status_message}`); return x.status_name === 'Deployed' && x; }, 900_000, 3000);
    });
    const address = ip || deployed.ip_addresses[0];

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
      await until('Ready', async () => { const x = (await api('GET', `machines/${sid}/`)).json(); if (/^Failed/.test(x.status_name)) throw new StopWaiting(`${x.status_name}: ${x.status_message}`); return x.status_name === 'Ready'; }, 600_000, 3000);
      await until('power off', async () => /Power is off/.test((await ipmi('chassis', 'power', 'status')).stdout), 120_000, 2000);
    });
  } finally {
    await plinth?.close();
    await lab.close();
  }
}

/**
 * Steps the end-to-end tests share, through the API only: DHCP on the lab's provisioning VLAN, power on
 * by a lab BMC and wait for enlistment, wait for a status (stopping at once on a Failed one), the
 * machine's recent events for a failed step's message.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { StopWaiting, until, type Api } from './harness.ts';
import type { LabStatus } from '../../src/edges/lab/index.ts';

const run = promisify(execFile);

export interface DhcpSetup { subnet: any; vlan: any; rackId: string; prefix: string }

/** Waits for the rack to announce the lab's provisioning subnet, then turns DHCP on there. */
export async function dhcpOn(api: Api, lab: LabStatus, o: { dynamic: [number, number]; reserved?: [number, number] }): Promise<DhcpSetup> {
  const rackIface = `${lab.name}-rp`;
  const { subnet, rackId } = await until('the rack and its subnet', async () => {
    const racks = (await api('GET', 'rackcontrollers/')).json();
    const rack = racks.find((r: any) => r.interface_set.some((i: any) => i.name === rackIface));
    const sn = (await api('GET', 'subnets/')).json().find((x: any) => x.cidr === lab.network.provisioning.cidr);
    return rack && sn ? { subnet: sn, rackId: rack.system_id as string } : null;
  }, 60_000, 500);
  const prefix = lab.network.provisioning.cidr.split('.').slice(0, 3).join('.');
  const ranges: Array<[string, [number, number]]> = [['dynamic', o.dynamic], ...(o.reserved ? [['reserved', o.reserved] as [string, [number, number]]] : [])];
  for (const [type, [a, b]] of ranges) {
    const r = await api('POST', 'ipranges/', [['subnet', String(subnet.id)], ['type', type], ['start_ip', `${prefix}.${a}`], ['end_ip', `${prefix}.${b}`]]);
    assert.equal(r.status, 200, r.text);
  }
  // As a lab operator does: machines' consoles are their serial ports (seen by `plinth lab console`).
  const opts = await api('POST', 'maas/?op=set_config', [['name', 'kernel_opts'], ['value', 'console=tty0 console=ttyS0,115200']]);
  assert.equal(opts.status, 200, opts.text);
  const on = await api('PUT', `vlans/${subnet.vlan.id}/`, [['dhcp_on', 'true'], ['primary_rack', rackId]]);
  assert.equal(on.status, 200, on.text);
  return { subnet, vlan: subnet.vlan, rackId, prefix };
}

/** ipmitool against lab machine i's BMC (IPMI over LAN, RMCP+). */
export function ipmi(lab: LabStatus, i = 0) {
  const b = lab.machines[i].bmc;
  return (...args: string[]) => run('ipmitool', ['-I', 'lanplus', '-H', b.address, '-U', b.user, '-P', b.password, '-C', '3', ...args]);
}

export async function machineJson(api: Api, sid: string): Promise<any> {
  return (await api('GET', `machines/${sid}/`)).json();
}

/** Waits until the machine's status_name is `want`; a Failed status stops the wait at once. */
export async function waitStatus(api: Api, sid: string, want: string, timeoutMs: number): Promise<any> {
  return until(want, async () => {
    const m = await machineJson(api, sid);
    if (/^Failed/.test(m.status_name) && !/^Failed/.test(want)) throw new StopWaiting(`${m.status_name}: ${m.status_message}`);
    return m.status_name === want && m;
  }, timeoutMs, 3000);
}

export async function events(api: Api, sid: string, limit = 100): Promise<Array<{ id: number; type: string; description: string; level: string; created: string }>> {
  return (await api('GET', `events/?op=query&id=${sid}&limit=${limit}`)).json().events ?? [];
}

/** The machine's last events, oldest first, for a failed step's message. */
export async function history(api: Api, sid: string | undefined): Promise<string> {
  if (!sid) return '';
  try {
    const lines = (await events(api, sid, 40)).map((e) => `${e.created} ${e.level} ${e.type}: ${e.description}`).reverse();
    return `--- events of ${sid} ---\n${lines.join('\n')}\n`;
  } catch (e) { return `(events unavailable: ${(e as Error).message})\n`; }
}

/**
 * Powers lab machine i on by its BMC (network boot) and waits until it has enlisted itself and its
 * self-commissioning settled as New (the enlisted machine is New twice: on enlisting and after).
 */
export async function enlistByBmc(api: Api, lab: LabStatus, i: number, found: (sid: string) => void = () => {}, timeoutMs = 600_000): Promise<string> {
  const mac = lab.machines[i].macs[0];
  await ipmi(lab, i)('chassis', 'bootdev', 'pxe');
  await ipmi(lab, i)('chassis', 'power', 'on');
  const m = await until(`${lab.machines[i].name} to enlist and settle as New`, async () => {
    const x = (await api('GET', `machines/?mac_address=${mac}`)).json()[0];
    if (!x) return null;
    found(x.system_id);
    if (/^Failed/.test(x.status_name)) throw new StopWaiting(`${x.status_name}: ${x.status_message}`);
    return x.status_name === 'New' && (await events(api, x.system_id)).some((e) => e.type === 'Commissioning finished') && x;
  }, timeoutMs, 2000);
  return m.system_id as string;
}

export async function powerIsOff(lab: LabStatus, i = 0): Promise<boolean> {
  return /Power is off/.test((await ipmi(lab, i)('chassis', 'power', 'status')).stdout);
}

/** The boot interface gets an AUTO (static, from the subnet) address; the first disk is the boot disk with the flat layout. */
export async function autoAddressAndFlatLayout(api: Api, sid: string, mac: string, subnetId: number): Promise<void> {
  const m = await machineJson(api, sid);
  const iface = m.interface_set.find((i: any) => i.mac_address === mac);
  for (const l of iface.links) await api('POST', `nodes/${sid}/interfaces/${iface.id}/?op=unlink_subnet`, [['id', String(l.id)]]);
  const link = await api('POST', `nodes/${sid}/interfaces/${iface.id}/?op=link_subnet`, [['mode', 'AUTO'], ['subnet', String(subnetId)]]);
  assert.equal(link.status, 200, link.text);
  const first = [...m.physicalblockdevice_set].sort((a: any, b: any) => a.name.localeCompare(b.name))[0];
  await api('POST', `nodes/${sid}/blockdevices/${first.id}/?op=set_boot_disk`);
  const lay = await api('POST', `machines/${sid}/?op=set_storage_layout`, [['storage_layout', 'flat']]);
  assert.equal(lay.status, 200, lay.text);
}

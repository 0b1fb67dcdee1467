/**
 * Machines for allocation tests: enlisted through the API (as a client would), then given the
 * hardware facts commissioning would have recorded (disks, extra interfaces, CPU/memory) and made
 * Ready directly in the store, since commissioning real hardware is not what these tests are about.
 */
import { insertBlockDevice } from '../../src/store/repos/machine-write.ts';
import type { TestRegion } from '../helpers/region.ts';

export interface DiskSpec { name: string; gb: number; tags?: string[]; boot?: boolean }
export interface IfaceSpec { name: string; fabric?: string; vid?: number; tags?: string[]; speed?: number; type?: string }
export interface MachineSpec {
  hostname: string; cpu: number; mem: number; arch?: string; zone?: string; pool?: string; tags?: string[];
  disks?: DiskSpec[]; ifaces?: IfaceSpec[]; status?: number;
}
export interface Seeded { id: number; system_id: string; disks: Record<string, number>; ifaces: Record<string, number> }

let mac = 0;
const nextMac = () => { mac++; return `52:54:00:${((mac >> 16) & 255).toString(16).padStart(2, '0')}:${((mac >> 8) & 255).toString(16).padStart(2, '0')}:${(mac & 255).toString(16).padStart(2, '0')}`; };

export async function ensureFabricVlan(r: TestRegion, fabric: string, vid: number, classType: string | null = null): Promise<number> {
  const db = r.svc.db;
  let f = (await db.query<{ id: number }>('select id from fabrics where name = $1', [fabric]))[0];
  if (!f) f = (await db.query<{ id: number }>('insert into fabrics (name, class_type) values ($1, $2) returning id', [fabric, classType]))[0];
  let v = (await db.query<{ id: number }>('select id from vlans where fabric_id = $1 and vid = $2', [f.id, vid]))[0];
  if (!v) v = (await db.query<{ id: number }>('insert into vlans (fabric_id, vid, name) values ($1, $2, $3) returning id', [f.id, vid, vid === 0 ? 'untagged' : `vlan-${vid}`]))[0];
  return v.id;
}

export async function seedMachine(r: TestRegion, s: MachineSpec): Promise<Seeded> {
  const fields: Array<[string, string]> = [['architecture', s.arch ?? 'amd64/generic'], ['mac_addresses', nextMac()], ['hostname', s.hostname]];
  if (s.zone) fields.push(['zone', s.zone]);
  if (s.pool) fields.push(['pool', s.pool]);
  const res = await r.api('POST', 'machines/', fields);
  if (res.status !== 200) throw new Error(`seeding ${s.hostname}: ${res.status} ${res.text}`);
  const sid = res.json().system_id as string;
  const db = r.svc.db;
  const [{ id }] = await db.query<{ id: number }>('update nodes set cpu_count = $2, memory = $3, status = $4 where system_id = $1 returning id',
    [sid, s.cpu, s.mem, s.status ?? 4]);
  const out: Seeded = { id, system_id: sid, disks: {}, ifaces: {} };
  for (const d of s.disks ?? []) {
    await insertBlockDevice(db, id, { name: d.name, model: 'QEMU HARDDISK', serial: `${s.hostname}-${d.name}`, idPath: null,
      size: d.gb * 1e9, blockSize: 512, tags: d.tags ?? [], isBoot: d.boot ?? false });
  }
  for (const d of await db.query<{ id: number; name: string }>('select id, name from block_devices where node_id = $1', [id])) out.disks[d.name] = d.id;
  const [eth0] = await db.query<{ id: number }>("select id from interfaces where node_id = $1 and name = 'eth0'", [id]);
  for (const i of s.ifaces ?? []) {
    const vlan = i.fabric ? await ensureFabricVlan(r, i.fabric, i.vid ?? 0) : null;
    if (i.name === 'eth0') {
      await db.query('update interfaces set vlan_id = coalesce($2, vlan_id), tags = $3, link_speed = $4 where id = $1', [eth0.id, vlan, i.tags ?? [], i.speed ?? 0]);
    } else {
      await db.query('insert into interfaces (node_id, name, type, mac_address, vlan_id, tags, link_speed) values ($1, $2, $3, $4, $5, $6, $7)',
        [id, i.name, i.type ?? 'physical', nextMac(), vlan, i.tags ?? [], i.speed ?? 0]);
    }
  }
  for (const i of await db.query<{ id: number; name: string }>('select id, name from interfaces where node_id = $1', [id])) out.ifaces[i.name] = i.id;
  for (const t of s.tags ?? []) {
    if ((await r.api('GET', `tags/${t}/`)).status === 404) await r.api('POST', 'tags/', [['name', t]]);
    await r.api('POST', `tags/${t}/?op=update_nodes`, [['add', sid]]);
  }
  return out;
}

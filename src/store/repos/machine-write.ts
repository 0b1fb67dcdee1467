/** Writes to machines and their parts. Columns are whitelisted; values always travel as parameters. */
import type { Queryable } from '../db.ts';
import type { NodeRow } from './machines.ts';

const WRITABLE = [
  'hostname', 'description', 'domain_id', 'zone_id', 'pool_id', 'architecture', 'min_hwe_kernel', 'hwe_kernel',
  'status', 'previous_status', 'status_expires', 'status_message', 'status_action', 'owner_id', 'locked',
  'power_type', 'power_parameters', 'power_state', 'cpu_count', 'cpu_speed', 'memory', 'swap_size', 'osystem',
  'distro_series', 'netboot', 'ephemeral_deploy', 'error_description', 'hardware_uuid', 'bios_boot_method',
  'hardware_info', 'workload_annotations', 'agent_name', 'enable_ssh',
] as const;
export type NodePatch = Partial<Pick<NodeRow, (typeof WRITABLE)[number]>>;

const JSON_COLUMNS = new Set(['power_parameters', 'hardware_info', 'workload_annotations']);

function columns(patch: NodePatch): [string[], unknown[]] {
  const cols: string[] = [];
  const vals: unknown[] = [];
  for (const c of WRITABLE) {
    if (!(c in patch)) continue;
    const v = patch[c];
    cols.push(c);
    vals.push(JSON_COLUMNS.has(c) ? JSON.stringify(v) : v);
  }
  return [cols, vals];
}

export async function insertNode(q: Queryable, systemId: string, fields: NodePatch & { hostname: string; zone_id: number }): Promise<NodeRow> {
  const [cols, vals] = columns(fields);
  const placeholders = cols.map((c, i) => (JSON_COLUMNS.has(c) ? `$${i + 2}::jsonb` : `$${i + 2}`));
  return (await q.query<NodeRow>(
    `insert into nodes (system_id, ${cols.join(', ')}) values ($1, ${placeholders.join(', ')}) returning *`,
    [systemId, ...vals],
  ))[0];
}

export async function updateNode(q: Queryable, id: number, patch: NodePatch): Promise<void> {
  const [cols, vals] = columns(patch);
  if (!cols.length) return;
  const sets = cols.map((c, i) => `${c} = $${i + 2}${JSON_COLUMNS.has(c) ? '::jsonb' : ''}`);
  await q.query(`update nodes set ${sets.join(', ')}, updated = now() where id = $1`, [id, ...vals]);
}

export async function insertInterface(q: Queryable, nodeId: number, i: { name: string; mac: string; vlanId: number | null; isBoot: boolean }) {
  await q.query(
    "insert into interfaces (node_id, name, type, mac_address, vlan_id, is_boot) values ($1, $2, 'physical', $3, $4, $5)",
    [nodeId, i.name, i.mac, i.vlanId, i.isBoot],
  );
}

export async function insertBlockDevice(q: Queryable, nodeId: number, d: {
  name: string; model: string; serial: string; idPath: string | null; size: number; blockSize: number; tags: string[]; isBoot: boolean;
}) {
  await q.query(
    `insert into block_devices (node_id, name, model, serial, id_path, size, block_size, tags, is_boot)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [nodeId, d.name, d.model, d.serial, d.idPath, d.size, d.blockSize, d.tags, d.isBoot],
  );
}

/** What the metadata service needs to know about the machine asking (loaded once per request). */
import type { Queryable } from '../context.ts';

export interface MetadataNode {
  id: number; system_id: string; hostname: string; fqdn: string; status: number; node_type: number;
  owner_id: number | null; enable_ssh: boolean; power_type: string; netboot: boolean; architecture: string | null;
}

const SELECT = `select n.id, n.system_id, n.hostname, n.hostname || '.' || d.name as fqdn, n.status, n.node_type,
  n.owner_id, n.enable_ssh, n.power_type, n.netboot, n.architecture from nodes n join domains d on d.id = n.domain_id`;

export async function metadataNodeById(q: Queryable, id: number): Promise<MetadataNode | undefined> {
  return (await q.query<MetadataNode>(`${SELECT} where n.id = $1`, [id]))[0];
}

export async function metadataNodeBySystemId(q: Queryable, systemId: string): Promise<MetadataNode | undefined> {
  return (await q.query<MetadataNode>(`${SELECT} where n.system_id = $1`, [systemId]))[0];
}

/** The owner's SSH public keys (what `public-keys` serves). */
export async function ownerSshKeys(q: Queryable, node: MetadataNode): Promise<string[]> {
  if (node.owner_id === null) return [];
  return (await q.query<{ key: string }>('select key from sshkeys where user_id = $1 order by id', [node.owner_id])).map((r) => r.key);
}

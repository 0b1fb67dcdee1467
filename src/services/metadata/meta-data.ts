/**
 * `meta-data/`: who the machine is (instance-id = system_id, local-hostname = FQDN), the owner's SSH
 * keys, and vendor data (cloud-config Plinth adds for every machine: NTP). The enlistment variant
 * answers for a machine not known yet.
 */
import { NodeStatus as S } from '../../domain/machine/status.ts';
import { getConfig } from '../config.ts';
import type { ServiceContext } from '../context.ts';
import { ownerSshKeys, type MetadataNode } from './node-view.ts';

export const ENLIST_META_DATA: Record<string, string> = { 'instance-id': 'i-maas-enlistment', 'local-hostname': 'maas-enlisting-node' };

/** Keys are offered unless the machine commissions without SSH access asked for. */
async function publicKeys(ctx: ServiceContext, node: MetadataNode): Promise<string[]> {
  if (node.status === S.COMMISSIONING && !node.enable_ssh) return [];
  return ownerSshKeys(ctx.db, node);
}

export async function metaDataIndex(ctx: ServiceContext, node: MetadataNode): Promise<string[]> {
  const items = ['instance-id', 'local-hostname', 'vendor-data', 'x509'];
  if ((await publicKeys(ctx, node)).length) items.push('public-keys');
  return items.sort();
}

async function vendorData(ctx: ServiceContext): Promise<string> {
  const ntp = await getConfig(ctx.db, 'ntp_servers');
  const servers = typeof ntp === 'string' ? ntp.split(/\s+/).filter(Boolean) : [];
  const cloudConfig = servers.length ? { ntp: { servers } } : {};
  // JSON is YAML: cloud-init reads both documents with its YAML loader.
  return JSON.stringify({ 'cloud-init': `#cloud-config\n${JSON.stringify(cloudConfig, null, 2)}\n` }, null, 2) + '\n';
}

/** One meta-data item as text with its content type, or null (404). */
export async function metaDataItem(ctx: ServiceContext, node: MetadataNode, item: string): Promise<{ type: string; body: string } | null> {
  const text = (body: string) => ({ type: 'text/plain; charset=utf-8', body });
  switch (item) {
    case 'instance-id': return text(node.system_id);
    case 'local-hostname': return text(node.fqdn);
    case 'public-keys': return text((await publicKeys(ctx, node)).join('\n'));
    case 'x509': return text(''); // Plinth keeps no SSL keys for users
    case 'vendor-data': return { type: 'application/x-yaml; charset=utf-8', body: await vendorData(ctx) };
    default: return null;
  }
}

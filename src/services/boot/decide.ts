/**
 * The region's answer to "a machine is network-booting: what should it do?" (MAAS's GetBootConfig).
 * The rack asks with what it saw (MAC, architecture, firmware, the address the machine reached it
 * at); the purpose follows the machine's status (maas-api-spec.md §6.2) and an unknown MAC enlists.
 * A machine that a workflow is waiting on gets a fresh status timeout and a "PXE request" event.
 */
import type { BootDecision, BootPurpose, Firmware } from '../../domain/boot/types.ts';
import { ephemeralImage } from '../../domain/boot/images.ts';
import { splitOptions } from '../../domain/boot/cmdline.ts';
import { NodeStatus as S } from '../../domain/machine/status.ts';
import { normalizeMac } from '../../domain/machine/mac.ts';
import { reportAccepted } from '../../domain/lifecycle/reports.ts';
import { PlinthError } from '../../domain/errors.ts';
import type { Queryable } from '../../store/db.ts';
import { getConfig } from '../config.ts';
import type { ServiceContext } from '../context.ts';
import { machineReported } from '../lifecycle/reported.ts';

export interface BootRequest {
  /** The booting interface's MAC, when the bootloader sent one. */
  mac?: string;
  /** Debian architecture (amd64, arm64, …); defaults to amd64. */
  arch?: string;
  subarch?: string;
  firmware: Firmware;
  /** The rack address the machine talked to: images and the metadata service are reached there. */
  rackHost: string;
  /** The rack's HTTP boot port (default 5248). */
  httpPort?: number;
}

interface NodeRow {
  id: number; system_id: string; hostname: string; status: number; netboot: boolean; architecture: string;
  domain: string | null; node_type: number; ephemeral_deploy: boolean;
}

const COMMISSIONING_LIKE: number[] = [S.NEW, S.COMMISSIONING, S.DISK_ERASING, S.RELEASING, S.TESTING];
const RESCUE: number[] = [S.ENTERING_RESCUE_MODE, S.RESCUE_MODE];

/** MAAS's `get_boot_purpose`, with rescue distinguished from commissioning (it boots with SSH for the owner). */
export function bootPurpose(node: Pick<NodeRow, 'status' | 'netboot' | 'node_type' | 'ephemeral_deploy'> | null): BootPurpose {
  if (!node) return 'enlist';
  if (node.node_type !== 0) return 'local';
  if (COMMISSIONING_LIKE.includes(node.status)) return 'commissioning';
  if (RESCUE.includes(node.status)) return 'rescue';
  if (node.status === S.DEPLOYING) return node.netboot || node.ephemeral_deploy ? 'xinstall' : 'local';
  if (node.status === S.DEPLOYED) return node.ephemeral_deploy ? 'xinstall' : 'local';
  return 'poweroff';
}

async function nodeByMac(q: Queryable, mac: string): Promise<NodeRow | null> {
  const rows = await q.query<NodeRow>(
    `select n.id, n.system_id, n.hostname, n.status, n.netboot, n.architecture, d.name as domain, n.node_type, n.ephemeral_deploy
       from interfaces i join nodes n on n.id = i.node_id left join domains d on d.id = n.domain_id
      where i.mac_address = $1 and i.type = 'physical' limit 1`, [mac]);
  return rows[0] ?? null;
}

/** MAAS's rule: the first (by name) of the machine's tags with kernel_opts replaces the global kernel_opts. */
async function kernelOptions(q: Queryable, nodeId: number | null): Promise<string> {
  const tag = nodeId === null ? undefined : (await q.query<{ kernel_opts: string }>(
    `select t.kernel_opts from node_tags nt join tags t on t.id = nt.tag_id
      where nt.node_id = $1 and t.kernel_opts <> '' order by t.name limit 1`, [nodeId]))[0];
  const chosen = tag?.kernel_opts ?? ((await getConfig(q, 'kernel_opts')) as string | null) ?? '';
  return splitOptions(chosen).join(' ');
}

const hostForUrl = (h: string) => (h.includes(':') && !h.startsWith('[') ? `[${h}]` : h);

export async function decideBoot(ctx: ServiceContext, req: BootRequest): Promise<BootDecision> {
  const q = ctx.db;
  const mac = req.mac ? normalizeMac(req.mac) : null;
  const node = mac ? await nodeByMac(q, mac) : null;
  const purpose = bootPurpose(node);
  const arch = node?.architecture.split('/')[0] || req.arch || 'amd64';
  const subarch = node?.architecture.split('/')[1] || req.subarch || 'generic';
  const base = { firmware: req.firmware, arch, subarch, hostname: node?.hostname, domain: node?.domain ?? undefined };
  if (node && reportAccepted('booting', node.status)) {
    await machineReported(ctx, node.system_id, { kind: 'booting', message: `${req.firmware === 'uefi' ? 'UEFI' : 'BIOS'} network boot from ${mac}` })
      .catch((err) => { if (!(err instanceof PlinthError)) throw err; });
  }
  if (purpose === 'local' || purpose === 'poweroff') return { ...base, purpose };
  const port = req.httpPort ?? 5248;
  const metadata = `http://${hostForUrl(req.rackHost)}:${port}/MAAS/metadata/latest`;
  const preseedUrl = node ? `${metadata}/by-id/${node.system_id}/?op=get_preseed` : `${metadata}/enlist-preseed/?op=get_enlist_preseed`;
  const series = String(await getConfig(q, 'commissioning_distro_series'));
  return {
    ...base,
    purpose,
    server: { host: req.rackHost, port },
    image: ephemeralImage(arch, series),
    preseedUrl,
    ipv6: req.rackHost.includes(':'),
    extraOpts: await kernelOptions(q, node?.id ?? null) || undefined,
  };
}

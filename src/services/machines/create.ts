/**
 * Creating a machine: from the API (an operator, with MACs, architecture, power settings) or anonymously
 * (enlistment from the ephemeral environment). Hostname, system_id and the boot interface are chosen
 * here; the machine starts NEW (or DEPLOYED when registering an already-running machine).
 */
import { randomInt } from 'node:crypto';
import { architectureError, normalizeArchitecture } from '../../domain/machine/architecture.ts';
import { invalid } from '../../domain/errors.ts';
import { friendlyHostname, validateHostname } from '../../domain/machine/hostname.ts';
import { normalizeMac } from '../../domain/machine/mac.ts';
import { NodeStatus } from '../../domain/machine/status.ts';
import { systemIdFromInt, SYSTEM_ID_SPAN } from '../../domain/machine/system-id.ts';
import { EventLevel } from '../../domain/events.ts';
import { insertInterface, insertNode } from '../../store/repos/machine-write.ts';
import { nodesRepo, type NodeRow } from '../../store/repos/machines.ts';
import { domainsRepo, poolsRepo, zonesRepo } from '../../store/repos/places.ts';
import type { Actor, Queryable, ServiceContext } from '../context.ts';
import { recordEvent } from '../events.ts';
import { checkPower } from './power-params.ts';
import { startCommissioning } from '../lifecycle/commission.ts';
import { powerUsable } from '../ports/power.ts';

export interface NewMachine {
  architecture?: string; mac_addresses: string[]; hostname?: string; description?: string; domain?: string;
  zone?: string; pool?: string; power_type?: string; power_parameters?: Record<string, string>;
  deployed?: boolean; min_hwe_kernel?: string;
  /** Start commissioning at once: admins' machines with usable power do unless false; enlistment only when true. */
  commission?: boolean;
}

const UNTAGGED_VLAN = 5001;

export async function resolvePlacement(q: Queryable, m: { domain?: string; zone?: string; pool?: string }) {
  const errors: Record<string, string[]> = {};
  const domain = m.domain ? await domainsRepo.byName(q, m.domain) : await domainsRepo.default(q);
  if (!domain) errors.domain = [`Select a valid choice. ${m.domain} is not one of the available choices.`];
  const zone = await zonesRepo.byName(q, m.zone ?? 'default');
  if (!zone) errors.zone = [`Select a valid choice. ${m.zone} is not one of the available choices.`];
  const pool = await poolsRepo.byName(q, m.pool ?? 'default');
  if (!pool) errors.pool = [`Select a valid choice. ${m.pool} is not one of the available choices.`];
  if (Object.keys(errors).length) throw invalid(errors);
  return { domain: domain!, zone: zone!, pool: pool! };
}

export async function createMachine(ctx: ServiceContext, actor: Actor | null, m: NewMachine): Promise<NodeRow> {
  const errors: Record<string, string[]> = {};
  const arch = m.architecture ? normalizeArchitecture(m.architecture) : null;
  if (!m.architecture) errors.architecture = ['This field is required.'];
  else if (!arch) errors.architecture = [architectureError(m.architecture)];
  const macs = m.mac_addresses.flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
  if (!macs.length) errors.mac_addresses = ['This field is required.'];
  const normalized = macs.map((s) => normalizeMac(s));
  const bad = macs.filter((_, i) => !normalized[i]);
  if (bad.length) errors.mac_addresses = [`One or more MAC addresses is invalid. ('${bad.join("', '")}')`];
  if (new Set(normalized).size !== normalized.length) errors.mac_addresses = ['Duplicate MAC addresses given.'];
  if (m.hostname !== undefined) {
    const e = validateHostname(m.hostname);
    if (e) errors.hostname = [e];
  }
  const power = checkPower(m.power_type, m.power_parameters ?? {});
  if ('errors' in power) Object.assign(errors, power.errors);
  if (Object.keys(errors).length) throw invalid(errors);

  const node = await ctx.db.tx(async (q) => {
    const { domain, zone, pool } = await resolvePlacement(q, m);
    for (const mac of normalized as string[]) {
      const owner = await nodesRepo.macOwner(q, mac);
      if (owner) throw invalid({ mac_addresses: [`Mac address ${mac} already in use on ${owner.hostname}.`] });
    }
    let hostname = m.hostname;
    if (hostname && (await nodesRepo.hostnameTaken(q, hostname, domain.id)))
      throw invalid({ hostname: [`Node with hostname "${hostname}" already exists`] });
    for (let i = 0; !hostname && i < 50; i++) {
      const candidate = i < 10 ? friendlyHostname(randomInt(1 << 30), randomInt(1 << 30)) : `${friendlyHostname(randomInt(1 << 30), randomInt(1 << 30))}-${randomInt(1000)}`;
      if (!(await nodesRepo.hostnameTaken(q, candidate, domain.id))) hostname = candidate;
    }
    const deployed = m.deployed === true;
    const row = await insertNode(q, await freeSystemId(q), {
      hostname: hostname!, description: m.description ?? '', domain_id: domain.id, zone_id: zone.id, pool_id: pool.id,
      architecture: arch, min_hwe_kernel: m.min_hwe_kernel ?? '',
      status: deployed ? NodeStatus.DEPLOYED : NodeStatus.NEW,
      owner_id: deployed && actor ? actor.id : null,
      power_type: 'power' in power ? power.power.type : '',
      power_parameters: 'power' in power ? power.power.params : {},
      netboot: !deployed,
    });
    for (const [i, mac] of (normalized as string[]).entries())
      await insertInterface(q, row.id, { name: `eth${i}`, mac, vlanId: UNTAGGED_VLAN, isBoot: i === 0 });
    await recordEvent(q, {
      nodeId: row.id, hostname: row.hostname, username: actor?.username ?? '', level: EventLevel.INFO,
      typeName: deployed ? 'Deployed' : 'New', description: actor ? `Created by ${actor.username}` : 'Enlisted', status: true,
    });
    const commission = !deployed && (actor
      ? actor.isAdmin && m.commission !== false && powerUsable(ctx, row.power_type)
      : m.commission === true);
    if (commission) await startCommissioning(q, ctx, actor, row, { enlisting: !actor });
    return row;
  });
  ctx.wakeWorkflows?.();
  ctx.log.info({ system_id: node.system_id, hostname: node.hostname, by: actor?.username ?? 'anonymous' }, 'machine created');
  return node;
}

async function freeSystemId(q: Queryable): Promise<string> {
  for (;;) {
    const id = systemIdFromInt(randomInt(SYSTEM_ID_SPAN));
    if (!(await nodesRepo.bySystemId(q, id))) return id;
  }
}

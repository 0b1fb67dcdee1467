/**
 * A rack says hello: create or update its node (node_type 2), record that it is linked to this
 * region, and write its interfaces into the network model (interfaces.ts: the same placement its
 * later `interfaces.report` calls go through).
 */
import { randomInt } from 'node:crypto';
import { conflict } from '../../domain/errors.ts';
import { normalizeMac } from '../../domain/machine/mac.ts';
import { systemIdFromInt, SYSTEM_ID_SPAN } from '../../domain/machine/system-id.ts';
import { EventLevel } from '../../domain/events.ts';
import { domainsRepo, zonesRepo } from '../../store/repos/places.ts';
import type { Queryable, ServiceContext } from '../context.ts';
import { recordEvent } from '../events.ts';
import { RACK_INTERFACES_LOCK, syncRackInterfaces, type ReportedInterface } from './interfaces.ts';

export interface RackHello {
  system_id?: string;
  hostname: string;
  version: string;
  interfaces: ReportedInterface[];
}

interface NodeRef { id: number; system_id: string; node_type: number; hostname: string }

async function findNode(q: Queryable, h: RackHello, macs: string[]): Promise<NodeRef | undefined> {
  const cols = 'n.id, n.system_id, n.node_type, n.hostname';
  if (h.system_id) {
    const r = (await q.query<NodeRef>(`select ${cols} from nodes n where n.system_id = $1 and n.node_type in (2, 3, 4)`, [h.system_id]))[0];
    if (r) return r;
  }
  if (macs.length) {
    const r = (await q.query<NodeRef>(`select ${cols} from nodes n join interfaces i on i.node_id = n.id
      where i.type = 'physical' and i.mac_address = any($1::text[]) order by n.id limit 1`, [macs]))[0];
    if (r) return r;
  }
  return (await q.query<NodeRef>(`select ${cols} from nodes n where n.hostname = $1 and n.node_type in (2, 4) limit 1`, [h.hostname]))[0];
}

async function createNode(q: Queryable, hostname: string): Promise<NodeRef> {
  const domain = (await domainsRepo.default(q))!;
  const zone = (await zonesRepo.byName(q, 'default'))!;
  const taken = await q.query<{ node_type: number }>('select node_type from nodes where hostname = $1 and domain_id = $2', [hostname, domain.id]);
  if (taken.length) throw conflict(`A node named ${hostname} already exists; rename the rack host or delete that node.`);
  for (;;) {
    const sid = systemIdFromInt(randomInt(SYSTEM_ID_SPAN));
    if ((await q.query('select 1 from nodes where system_id = $1', [sid])).length) continue;
    return (await q.query<NodeRef>(
      `insert into nodes (system_id, node_type, hostname, domain_id, zone_id, netboot)
       values ($1, 2, $2, $3, $4, false) returning id, system_id, node_type, hostname`, [sid, hostname, domain.id, zone.id]))[0];
  }
}

export async function registerRack(ctx: ServiceContext, h: RackHello, link: { region: string }): Promise<{ system_id: string; hostname: string; created: boolean }> {
  const macs = h.interfaces.map((i) => normalizeMac(i.mac)).filter((m): m is string => !!m);
  const result = await ctx.db.tx(async (q) => {
    await q.query('select pg_advisory_xact_lock($1::int)', [RACK_INTERFACES_LOCK]);
    let node = await findNode(q, h, macs);
    const created = !node;
    if (!node) node = await createNode(q, h.hostname);
    else {
      // A machine or device that starts a rack becomes a rack controller (a region becomes region+rack).
      const type = node.node_type === 3 || node.node_type === 4 ? 4 : 2;
      await q.query('update nodes set node_type = $2, updated = now() where id = $1', [node.id, type]);
    }
    await syncRackInterfaces(ctx, q, node, h.interfaces);
    await q.query('update nodes set hostname = $2, updated = now() where id = $1 and hostname <> $2', [node.id, h.hostname]);
    await q.query(
      `insert into rack_status (node_id, version, connected, region, connected_at, last_seen) values ($1, $2, true, $3, now(), now())
       on conflict (node_id) do update set version = excluded.version, connected = true, region = excluded.region,
         connected_at = now(), last_seen = now()`, [node.id, h.version, link.region]);
    if (created) {
      await recordEvent(q, { nodeId: node.id, hostname: h.hostname, username: '', level: EventLevel.INFO, typeName: 'Rack registered', description: `Registered from ${link.region}` });
    }
    return { system_id: node.system_id, hostname: h.hostname, created };
  });
  ctx.log.info({ system_id: result.system_id, hostname: result.hostname, created: result.created }, 'rack connected');
  return result;
}

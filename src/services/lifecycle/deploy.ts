/**
 * Deploying: from READY the machine is allocated to the caller first (as MAAS does), then DEPLOYING; the
 * `deploy` workflow sets network boot, powers the machine on and waits for it to report that the
 * installed OS is up. The OS choice and user data are stored now for the boot and metadata services.
 */
import { invalid } from '../../domain/errors.ts';
import { NodeStatus } from '../../domain/machine/status.ts';
import type { NodeRow } from '../../store/repos/machines.ts';
import { getConfig } from '../config.ts';
import { loadTopology } from '../../store/repos/network.ts';
import { claimAutoAddresses } from '../network/links.ts';
import type { Actor, Queryable, ServiceContext } from '../context.ts';
import { beginWorkflow, describeActor, planOrThrow, setStatus, wake, withMachine } from './machine-tx.ts';

export interface DeployOptions {
  osystem?: string; distro_series?: string; hwe_kernel?: string; user_data?: string; ephemeral_deploy?: boolean;
  comment?: string; agent_name?: string;
}

const NAME = /^[a-z0-9][a-z0-9._+-]{0,63}$/i;
const BASE64 = /^[A-Za-z0-9+/\s]*={0,2}\s*$/;

/** User data as given, base64-decoded when it is valid base64 (maas-api-spec.md §5.4). */
export function decodeUserData(text: string): Buffer {
  const compact = text.replace(/\s+/g, '');
  if (compact.length % 4 === 0 && BASE64.test(text)) {
    const bytes = Buffer.from(compact, 'base64');
    if (bytes.toString('base64') === compact) return bytes;
  }
  return Buffer.from(text, 'utf8');
}

/** Checks the deploy parameters and fills defaults from config (default_osystem, default_distro_series). */
export async function resolveDeployOptions(q: Queryable, o: DeployOptions) {
  const errors: Record<string, string[]> = {};
  let osystem = o.osystem?.trim() || undefined;
  let series = o.distro_series?.trim() || undefined;
  if (series?.includes('/')) {
    const [os, s] = series.split('/', 2);
    if (osystem && osystem !== os) errors.distro_series = [`'${series}' names osystem ${os}, but osystem is ${osystem}.`];
    osystem = os; series = s;
  }
  osystem ??= String(await getConfig(q, 'default_osystem'));
  series ??= String(await getConfig(q, 'default_distro_series'));
  if (!NAME.test(osystem)) errors.osystem = [`'${osystem}' is not a valid operating system name.`];
  if (!NAME.test(series)) errors.distro_series = [`'${series}' is not a valid release name.`];
  const hwe = o.hwe_kernel?.trim();
  if (hwe && !NAME.test(hwe)) errors.hwe_kernel = [`'${hwe}' is not a valid kernel name.`];
  if (o.agent_name !== undefined && o.agent_name.length > 255) errors.agent_name = ['Ensure this value has at most 255 characters.'];
  if (Object.keys(errors).length) throw invalid(errors);
  return { osystem, distro_series: series, hwe_kernel: hwe || null };
}

/** Allocates a READY machine to the actor (status ALLOCATED, owner set). */
export async function allocateInTx(q: Queryable, ctx: ServiceContext, actor: Actor, m: NodeRow, o: { comment?: string; agent_name?: string }) {
  await setStatus(q, ctx, m, {
    to: NodeStatus.ALLOCATED, username: actor.username, description: describeActor(actor, o.comment),
    patch: { owner_id: actor.id, agent_name: o.agent_name ?? '' },
  });
  m.owner_id = actor.id; // the owner change replaced the metadata key (migration 015)
}

/** Starts deployment on a locked ALLOCATED machine row. */
export async function startDeployment(q: Queryable, ctx: ServiceContext, actor: Actor, m: NodeRow, o: DeployOptions) {
  const os = await resolveDeployOptions(q, o);
  if (o.user_data !== undefined && o.user_data !== '') {
    await q.query(
      `insert into node_user_data (node_id, data, updated) values ($1, $2, $3)
       on conflict (node_id) do update set data = excluded.data, updated = excluded.updated`,
      [m.id, decodeUserData(o.user_data), ctx.now()],
    );
  } else {
    await q.query('delete from node_user_data where node_id = $1', [m.id]);
  }
  // AUTO links get their addresses now (MAAS claims them when deployment starts; release gives them back).
  await claimAutoAddresses(q, m, await loadTopology(q));
  const deadline = await setStatus(q, ctx, m, {
    to: NodeStatus.DEPLOYING, username: actor.username, description: describeActor(actor, o.comment),
    patch: { ...os, ephemeral_deploy: o.ephemeral_deploy ?? false, netboot: true },
  });
  await beginWorkflow(q, ctx, m, { kind: 'deploy', deadline, createdBy: actor.username, data: { ...os, ephemeral_deploy: o.ephemeral_deploy ?? false } });
}

export async function deploy(ctx: ServiceContext, actor: Actor, systemId: string, o: DeployOptions = {}) {
  await withMachine(ctx, actor, systemId, async (q, m) => {
    const plan = planOrThrow('deploy', m, actor);
    await resolveDeployOptions(q, o); // refuse bad input before any change
    if (plan.allocate) await allocateInTx(q, ctx, actor, m, o);
    await startDeployment(q, ctx, actor, m, o);
  });
  wake(ctx);
}

/**
 * `user-data`: what cloud-init runs. Ephemeral environments (enlisting, commissioning, testing, erasing,
 * rescue, and the deploy environment on the curtin path) get the agent hand-over; an installed system
 * gets its user's data. A deploying machine asking on the normal path is its installed OS booting:
 * that is the `deployed` report (maas-api-spec §5.4); asking on the curtin path is its deployment
 * environment up and handing over to the installer: an `installing` report (the deploy's first sign
 * that the installer starts, which also gives the machine a fresh status timeout).
 */
import { PlinthError } from '../../domain/errors.ts';
import { NodeStatus as S } from '../../domain/machine/status.ts';
import type { ServiceContext } from '../context.ts';
import { machineReported } from '../lifecycle/reported.ts';
import { agentUserData } from './agent-script.ts';
import type { MetadataNode } from './node-view.ts';

const EPHEMERAL: number[] = [S.NEW, S.COMMISSIONING, S.TESTING, S.DISK_ERASING, S.RELEASING, S.ENTERING_RESCUE_MODE, S.RESCUE_MODE];

async function storedUserData(ctx: ServiceContext, nodeId: number): Promise<Buffer | null> {
  const [row] = await ctx.db.query<{ data: Uint8Array }>('select data from node_user_data where node_id = $1', [nodeId]);
  return row ? Buffer.from(row.data) : null;
}

/** The report is progress, not the answer: a machine with no deploy in progress still gets its user data. */
async function installerStarts(ctx: ServiceContext, node: MetadataNode): Promise<void> {
  try {
    await machineReported(ctx, node.system_id, { kind: 'installing', message: 'The deployment environment is up and fetched the installer' });
  } catch (err) {
    if (!(err instanceof PlinthError)) throw err;
    ctx.log.info({ system_id: node.system_id, problem: err.message }, 'installer start not recorded');
  }
}

/** The user data for this machine now, or null (404). */
export async function userDataFor(ctx: ServiceContext, node: MetadataNode, path: 'plain' | 'curtin'): Promise<Buffer | null> {
  if (node.status === S.DEPLOYING && path === 'curtin' && node.node_type === 0) await installerStarts(ctx, node);
  if (EPHEMERAL.includes(node.status) || (node.status === S.DEPLOYING && path === 'curtin')) return agentUserData();
  const data = await storedUserData(ctx, node.id);
  if (node.status === S.DEPLOYING && node.node_type === 0) await machineReported(ctx, node.system_id, { kind: 'deployed' });
  return data;
}

/** Whether `user-data` is listed in the version index. */
export async function hasUserData(ctx: ServiceContext, node: MetadataNode, path: 'plain' | 'curtin'): Promise<boolean> {
  if (EPHEMERAL.includes(node.status) || (node.status === S.DEPLOYING && path === 'curtin')) return true;
  return (await storedUserData(ctx, node.id)) !== null;
}

/**
 * What the installer runs: a machine's storage as the planner's ordered operations and as curtin's
 * storage configuration. `machineStoragePlan` is for the deployment workflow (no caller checks: it
 * acts for the region); `storagePlanFor` is the same for an API caller who may see the machine.
 */
import { noMatch } from '../../domain/errors.ts';
import {
  planStorage, renderPlanScript, toCurtinStorage, type CurtinStorage, type StorageError, type StoragePlan, type StorageTree,
} from '../../domain/storage/index.ts';
import { nodesRepo } from '../../store/repos/machines.ts';
import type { Actor, ServiceContext } from '../context.ts';
import { loadTree } from './edit.ts';
import { readStorage } from './view.ts';

export type MachinePlan =
  | { tree: StorageTree; plan: StoragePlan; script: string; curtin: CurtinStorage; errors?: undefined }
  | { tree: StorageTree; errors: StorageError[]; plan?: undefined };

export function planTree(tree: StorageTree, target?: string): MachinePlan {
  const r = planStorage(tree, { target });
  if (r.errors) return { tree, errors: r.errors };
  return { tree, plan: r.plan, script: renderPlanScript(r.plan), curtin: toCurtinStorage(tree) };
}

export async function machineStoragePlan(ctx: ServiceContext, systemId: string, opts: { target?: string } = {}): Promise<MachinePlan> {
  const node = await nodesRepo.bySystemId(ctx.db, systemId);
  if (!node || node.node_type !== 0) throw noMatch('Machine');
  return planTree(await loadTree(ctx.db, node), opts.target);
}

export async function storagePlanFor(ctx: ServiceContext, actor: Actor, systemId: string, opts: { target?: string } = {}): Promise<MachinePlan> {
  return planTree((await readStorage(ctx, actor, systemId)).tree, opts.target);
}

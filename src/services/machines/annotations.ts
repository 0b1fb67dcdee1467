import { invalid } from '../../domain/errors.ts';
import { updateNode } from '../../store/repos/machine-write.ts';
import type { MachineRecord } from '../../store/repos/machines.ts';
import type { Actor, ServiceContext } from '../context.ts';
import { assertCanEdit } from './access.ts';

/** Workload annotations (owner data): set keys; an empty value removes a key. */
export async function setWorkloadAnnotations(ctx: ServiceContext, actor: Actor, m: MachineRecord, pairs: Record<string, string>) {
  assertCanEdit(actor, m);
  const next = { ...m.workload_annotations };
  for (const [k, v] of Object.entries(pairs)) {
    if (!/^[\w.-]{1,255}$/.test(k)) throw invalid({ [k]: ['Annotation keys may contain letters, digits, dots, hyphens and underscores.'] });
    if (v === '') delete next[k]; else next[k] = v;
  }
  await updateNode(ctx.db, m.id, { workload_annotations: next });
}

/**
 * `recommission`: a custom commissioning script that passed (it may have flashed firmware or loaded a
 * driver) has the built-in commissioning scripts of its run queued again, so the inventory is read
 * after the change (MAAS resets those results to Pending when such a script passes). Plinth does it
 * when the machine next fetches its scripts, which the agent does right after its commissioning
 * scripts pass; each passing result triggers it once (migration 016).
 */
import { EventLevel } from '../../domain/events.ts';
import { scriptRunsRepo } from '../../store/repos/scripts.ts';
import type { Queryable } from '../context.ts';
import { recordEvent } from '../events.ts';
import { storedRunnable } from './runnable.ts';
import { SHIPPED_COMMISSIONING } from './shipped.ts';

const PASSED = 2;

/** Queues the built-in commissioning scripts again when a recommissioning script passed since; the scripts that asked. */
export async function requeueAfterRecommission(q: Queryable, node: { id: number; hostname: string }, setId: number, now: Date): Promise<string[]> {
  const asking = new Set((await storedRunnable(q)).filter((s) => s.kind === 'commissioning' && s.recommission).map((s) => s.name));
  if (!asking.size) return [];
  const passed = (await scriptRunsRepo.states(q, setId)).filter((r) => r.status === PASSED && asking.has(r.name));
  const claimed = new Set(await scriptRunsRepo.claimRecommissions(q, passed.map((r) => r.id), now));
  const names = passed.filter((r) => claimed.has(r.id)).map((r) => r.name);
  if (!names.length) return [];
  await scriptRunsRepo.requeue(q, setId, SHIPPED_COMMISSIONING, now);
  await recordEvent(q, {
    nodeId: node.id, hostname: node.hostname, username: '', level: EventLevel.INFO, typeName: 'Commissioning',
    description: `${names.join(', ')} passed and asked for recommissioning: the built-in commissioning scripts run again.`,
  });
  return names;
}

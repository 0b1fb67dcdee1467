/**
 * The storage a machine gets from commissioning, as MAAS gives it: the region's `default_storage_layout`
 * (flat unless an admin chose lvm, bcache or blank) on the boot disk, replacing what was there — unless
 * the commissioning was asked to skip storage. A machine whose disks cannot take the layout (none, or
 * too small) keeps what it had, and an event says why: it can still be laid out by hand.
 */
import { EventLevel } from '../../domain/events.ts';
import { applyLayout, validateTree } from '../../domain/storage/index.ts';
import type { NodeRow } from '../../store/repos/machines.ts';
import { getConfig } from '../config.ts';
import type { Queryable } from '../context.ts';
import { recordEvent } from '../events.ts';
import { canonicalTree, commitTree, cryptoSeed, loadForEdit } from './edit.ts';

export async function applyDefaultStorageLayout(q: Queryable, m: NodeRow): Promise<void> {
  const layout = String(await getConfig(q, 'default_storage_layout'));
  // Inside the workflow's commit: a failure here must not fail commissioning, only leave storage as it was.
  await q.query('savepoint plinth_default_layout');
  try {
    await apply(q, m, layout);
    await q.query('release savepoint plinth_default_layout');
  } catch (err) {
    await q.query('rollback to savepoint plinth_default_layout');
    await recordEvent(q, { nodeId: m.id, hostname: m.hostname, username: '', level: EventLevel.ERROR, typeName: 'Storage layout',
      description: `Could not apply the default storage layout (${layout}): ${(err as Error).message}` });
  }
}

async function apply(q: Queryable, m: NodeRow, layout: string): Promise<void> {
  const loaded = await loadForEdit(q, m);
  const say = (level: number, description: string) => recordEvent(q, { nodeId: m.id, hostname: m.hostname, username: '', level, typeName: 'Storage layout', description });
  if (!loaded.before.block_devices.some((d) => d.type === 'physical')) {
    await say(EventLevel.WARNING, `No default storage layout (${layout}): commissioning found no disks.`);
    return;
  }
  const out = applyLayout(loaded.before, layout, {}, cryptoSeed);
  const problems = out.errors ?? validateTree(out.tree, { deployable: layout !== 'blank' });
  if (problems.length) {
    await say(EventLevel.WARNING, `Could not apply the default storage layout (${layout}): ${problems.map((e) => e.message).join('; ')}`);
    return;
  }
  if (canonicalTree(loaded.before) === canonicalTree(out.tree!)) return;
  await commitTree(q, m.id, loaded, out.tree!);
  await say(EventLevel.INFO, `Default storage layout applied: ${layout}.`);
}

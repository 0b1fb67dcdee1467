/**
 * The tag evaluation queue (table tag_evaluations, migration 006). Definitions created or changed are
 * queued by a trigger on tags; arriving commissioning data is queued by commissioningDataArrived.
 * A worker claims the oldest item with SKIP LOCKED under a lease (node items first: they are cheap and
 * a machine waiting for its tags is usually about to be allocated), then claims every other visible
 * item for the same tag or node — reading the tag's definition only afterwards covers them all — does
 * the work once, and deletes exactly what it claimed. Items committed later stay for the next pass.
 */
import type { ServiceContext } from '../context.ts';
import { evaluateNodeTags, evaluateTagOnAllNodes } from './evaluate.ts';

export const LEASE_SECONDS = 120;

interface Item { id: number; tag_id: number | null; node_id: number | null }

async function claim(ctx: ServiceContext): Promise<Item | undefined> {
  return (await ctx.db.query<Item>(
    `update tag_evaluations set claimed_until = now() + $1 * interval '1 second'
      where id = (select id from tag_evaluations where claimed_until is null or claimed_until < now()
                   order by (node_id is null), id limit 1 for update skip locked)
      returning id, tag_id, node_id`, [LEASE_SECONDS]))[0];
}

/** Claims the other unclaimed items for the same tag or node: one pass will cover them. */
async function claimSiblings(ctx: ServiceContext, item: Item): Promise<number[]> {
  const [column, value] = item.node_id !== null ? ['node_id', item.node_id] : ['tag_id', item.tag_id];
  const rows = await ctx.db.query<{ id: number }>(
    `update tag_evaluations set claimed_until = now() + $3 * interval '1 second'
      where ${column} = $1 and id <> $2 and (claimed_until is null or claimed_until < now()) returning id`, [value, item.id, LEASE_SECONDS]);
  return [item.id, ...rows.map((r) => r.id)];
}

/** Does one queued item. Returns false when there was nothing to do. Errors leave the item to its lease. */
export async function processNextEvaluation(ctx: ServiceContext): Promise<boolean> {
  const item = await claim(ctx);
  if (!item) return false;
  try {
    const ids = await claimSiblings(ctx, item);
    if (item.node_id !== null) {
      const r = await evaluateNodeTags(ctx, item.node_id);
      if (r.added.length || r.removed.length) ctx.log.info({ node_id: item.node_id, ...r }, 'tags re-evaluated for node');
    } else {
      const extend = async () => {
        await ctx.db.query(`update tag_evaluations set claimed_until = now() + $2 * interval '1 second' where id = any($1::bigint[])`, [ids, LEASE_SECONDS]);
      };
      const r = await evaluateTagOnAllNodes(ctx, item.tag_id!, extend);
      ctx.log.info({ tag_id: item.tag_id, outcome: r }, 'tag definition evaluated on all nodes');
    }
    await ctx.db.query('delete from tag_evaluations where id = any($1::bigint[])', [ids]);
  } catch (err) {
    ctx.log.error({ err, item }, `tag evaluation failed; retried after its ${LEASE_SECONDS}s lease`);
  }
  return true;
}

/** Works until the queue has nothing claimable. Returns how many items were done. */
export async function drainTagEvaluations(ctx: ServiceContext, stop: () => boolean = () => false): Promise<number> {
  let n = 0;
  while (!stop() && (await processNextEvaluation(ctx))) n++;
  return n;
}

export async function pendingTagEvaluations(ctx: ServiceContext): Promise<number> {
  return (await ctx.db.query<{ n: number }>('select count(*)::int as n from tag_evaluations'))[0].n;
}

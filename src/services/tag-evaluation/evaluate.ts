/**
 * Applying tag definitions: which machines carry a defined tag follows from their commissioning
 * details. Two units of work: one node against every defined tag (its details changed), and one tag
 * against every node (its definition changed), the latter in chunks so no transaction runs long.
 *
 * Every write of evaluated tags happens under one transaction-scoped advisory lock and re-reads the
 * details it evaluates after taking it, so a chunk of a tag pass and a node's own evaluation can never
 * interleave into a stale answer.
 */
import { compileDefinition, safeMatches, type CompiledDefinition } from '../../domain/tags/definition.ts';
import { emptyDetails, isDetailKind, mergeDetails, type NodeDetails } from '../../domain/tags/details.ts';
import type { Logger, Queryable, ServiceContext } from '../context.ts';

const EVALUATION_LOCK = 7_504_119; // fixed: serialises writes of evaluated tags across regions
export const CHUNK = 200;

const compiled = new Map<string, CompiledDefinition | null>();
/** Compiled definitions by text (bounded); null for one that no longer compiles (logged once). */
function compile(source: string, log: Logger, tag: string): CompiledDefinition | null {
  if (compiled.has(source)) return compiled.get(source)!;
  let c: CompiledDefinition | null = null;
  try { c = compileDefinition(source); } catch (err) { log.warn({ tag, err: (err as Error).message }, 'tag definition does not compile; not evaluated'); }
  if (compiled.size > 1000) compiled.clear();
  compiled.set(source, c);
  return c;
}

async function loadDetails(q: Queryable, nodeIds: number[]): Promise<Map<number, NodeDetails>> {
  const rows = await q.query<{ node_id: number; kind: string; xml: string }>(
    'select node_id, kind, xml from node_details where node_id = any($1::int[])', [nodeIds]);
  const out = new Map<number, NodeDetails>();
  for (const r of rows) {
    if (!isDetailKind(r.kind)) continue;
    const d = out.get(r.node_id) ?? {};
    d[r.kind] = r.xml;
    out.set(r.node_id, d);
  }
  return out;
}

function documentFor(details: NodeDetails | undefined, nodeId: number, log: Logger) {
  if (!details) return emptyDetails();
  const merged = mergeDetails(details);
  for (const s of merged.skipped) log.warn({ node_id: nodeId, detail: s.kind, problem: s.problem }, 'commissioning detail is not well-formed XML; left out of tag evaluation');
  return merged.doc;
}

async function applyTag(q: Queryable, tagId: number, nodeIds: number[], want: Set<number>) {
  const have = new Set((await q.query<{ node_id: number }>(
    'select node_id from node_tags where tag_id = $1 and node_id = any($2::int[])', [tagId, nodeIds])).map((r) => r.node_id));
  const add = nodeIds.filter((id) => want.has(id) && !have.has(id));
  const remove = nodeIds.filter((id) => !want.has(id) && have.has(id));
  if (add.length) await q.query('insert into node_tags (node_id, tag_id) select unnest($2::int[]), $1 on conflict do nothing', [tagId, add]);
  if (remove.length) await q.query('delete from node_tags where tag_id = $1 and node_id = any($2::int[])', [tagId, remove]);
  return { added: add.length, removed: remove.length };
}

/** Every defined tag against one node's current details. Returns the tag names added and removed. */
export async function evaluateNodeTags(ctx: ServiceContext, nodeId: number): Promise<{ added: string[]; removed: string[] }> {
  return ctx.db.tx(async (q) => {
    await q.query('select pg_advisory_xact_lock($1)', [EVALUATION_LOCK]);
    if (!(await q.query('select 1 from nodes where id = $1', [nodeId])).length) return { added: [], removed: [] };
    const tags = await q.query<{ id: number; name: string; definition: string }>("select id, name, definition from tags where definition <> '' order by id");
    const doc = documentFor((await loadDetails(q, [nodeId])).get(nodeId), nodeId, ctx.log);
    const added: string[] = [];
    const removed: string[] = [];
    for (const t of tags) {
      const def = compile(t.definition, ctx.log, t.name);
      if (!def) continue;
      const r = safeMatches(def, doc);
      if (r.error) ctx.log.warn({ tag: t.name, node_id: nodeId, err: r.error }, 'tag definition failed on this node; treated as no match');
      const change = await applyTag(q, t.id, [nodeId], new Set(r.match ? [nodeId] : []));
      if (change.added) added.push(t.name);
      if (change.removed) removed.push(t.name);
    }
    return { added, removed };
  });
}

export type TagPassResult = 'done' | 'superseded' | 'gone';

/**
 * One tag against every node, CHUNK nodes per transaction. Stops early ('superseded') when the
 * definition changes mid-way: the change queued a newer pass that will redo the work.
 */
export async function evaluateTagOnAllNodes(ctx: ServiceContext, tagId: number, onChunk?: () => Promise<void>): Promise<TagPassResult> {
  const tag = (await ctx.db.query<{ name: string; definition: string }>('select name, definition from tags where id = $1', [tagId]))[0];
  if (!tag) return 'gone';
  // A tag whose definition was cleared became a manual tag: its current machines stay.
  if (tag.definition === '') return 'done';
  const def = compile(tag.definition, ctx.log, tag.name);
  if (!def) return 'done';
  const empty = safeMatches(def, emptyDetails()).match;
  for (let last = 0; ;) {
    const ids = (await ctx.db.query<{ id: number }>('select id from nodes where id > $1 order by id limit $2', [last, CHUNK])).map((r) => r.id);
    if (!ids.length) return 'done';
    const outcome = await ctx.db.tx(async (q) => {
      await q.query('select pg_advisory_xact_lock($1)', [EVALUATION_LOCK]);
      const now = (await q.query<{ definition: string }>('select definition from tags where id = $1', [tagId]))[0];
      if (!now) return 'gone' as const;
      if (now.definition !== tag.definition) return 'superseded' as const;
      const details = await loadDetails(q, ids);
      const want = new Set<number>();
      for (const id of ids) {
        const d = details.get(id);
        const r = d ? safeMatches(def, documentFor(d, id, ctx.log)) : { match: empty };
        if (r.match) want.add(id);
      }
      await applyTag(q, tagId, ids, want);
      return null;
    });
    if (outcome) return outcome;
    last = ids[ids.length - 1];
    await onChunk?.();
  }
}

/**
 * Commissioning details, as the commissioning/metadata use cases hand them over: store each XML
 * output (`lshw -xml`, lldpd's XML) with storeCommissioningXml, then call commissioningDataArrived once
 * the node's commissioning results are in; its tags are re-evaluated in the background.
 * Both take an optional Queryable so callers can do this inside their own transaction.
 */
import { invalid } from '../../domain/errors.ts';
import { isDetailKind, xmlProblem, type DetailKind } from '../../domain/tags/details.ts';
import type { Queryable, ServiceContext } from '../context.ts';
import { kickTagEvaluators } from './worker.ts';

export const MAX_DETAIL_BYTES = 16 * 1024 * 1024;

/**
 * Stores one detail for a node, replacing the previous one of that kind. Text that is not well-formed
 * XML is still stored (it is what the machine reported) but is left out of tag evaluation; the answer
 * says so.
 */
export async function storeCommissioningXml(
  ctx: ServiceContext, nodeId: number, kind: string, xml: string, q: Queryable = ctx.db,
): Promise<{ wellFormed: boolean; problem?: string }> {
  if (!isDetailKind(kind)) throw invalid({ kind: [`Unknown commissioning detail '${kind}': expected lshw or lldp.`] });
  if (Buffer.byteLength(xml) > MAX_DETAIL_BYTES) throw invalid({ [kind]: [`The ${kind} output is larger than ${MAX_DETAIL_BYTES} bytes.`] });
  if (xml.includes('\u0000')) throw invalid({ [kind]: ['Null characters are not allowed.'] });
  const rows = await q.query(
    `insert into node_details (node_id, kind, xml) select id, $2, $3 from nodes where id = $1
     on conflict (node_id, kind) do update set xml = excluded.xml, updated = now() returning 1`, [nodeId, kind satisfies DetailKind, xml]);
  if (!rows.length) throw invalid({ node: [`No node with id ${nodeId}.`] });
  const problem = xmlProblem(xml);
  if (problem) ctx.log.warn({ node_id: nodeId, kind, problem }, 'stored commissioning detail is not well-formed XML');
  return problem ? { wellFormed: false, problem } : { wellFormed: true };
}

/** The stored details of a node (for `machines/<id>/?op=details`-style readers). */
export async function commissioningXml(ctx: ServiceContext, nodeId: number): Promise<Partial<Record<DetailKind, string>>> {
  const rows = await ctx.db.query<{ kind: string; xml: string }>('select kind, xml from node_details where node_id = $1', [nodeId]);
  return Object.fromEntries(rows.filter((r) => isDetailKind(r.kind)).map((r) => [r.kind, r.xml]));
}

/** Queues the re-evaluation of every defined tag on this node and wakes the evaluator. */
export async function commissioningDataArrived(ctx: ServiceContext, nodeId: number, q: Queryable = ctx.db): Promise<void> {
  await q.query('insert into tag_evaluations (node_id) select id from nodes where id = $1', [nodeId]);
  kickTagEvaluators();
}

/**
 * What the region does with a commissioning script's output (the metadata service calls this for each
 * result the machine signals):
 *   00-plinth-facts   -> CPU, memory, firmware, DMI summary; physical interfaces; physical disks
 *   20-lshw, 30-lldp  -> the XML details tag definitions read (tags are re-evaluated)
 *   50-storage-layout -> the machine's "custom" storage layout
 * Other scripts' output is only kept as their result (by the caller).
 *
 * Output that does not parse or does not fit the machine raises ScriptOutputError before anything is
 * written; the caller stores its message on that script result and marks it failed. All writes happen
 * in one transaction: the caller's (under a savepoint, so a failure undoes only ours), else our own.
 */
import { PlinthError } from '../../domain/errors.ts';
import { xmlProblem } from '../../domain/tags/details.ts';
import { updateNode } from '../../store/repos/machine-write.ts';
import type { Queryable, ServiceContext } from '../context.ts';
import { recordEvent } from '../events.ts';
import { storeCustomStorageLayout } from '../storage/custom.ts';
import { commissioningDataArrived, MAX_DETAIL_BYTES, storeCommissioningXml } from '../tag-evaluation/details.ts';
import { machinePatch } from './apply-facts.ts';
import { applyDisks } from './apply-disks.ts';
import { applyNics } from './apply-nics.ts';
import { parseFacts } from './facts.ts';

/** The script's output cannot be used; `message` says why, for the script result and the user. */
export class ScriptOutputError extends Error {
  constructor(readonly script: string, message: string) {
    super(message);
    this.name = 'ScriptOutputError';
  }
}

const MAX_JSON_BYTES = 8 * 1024 * 1024;

/** Whether the region reads this script's output (the others are only stored). */
export const INGESTED_SCRIPTS = ['00-plinth-facts', '20-lshw', '30-lldp', '50-storage-layout'] as const;

type Handler = (ctx: ServiceContext, q: Queryable, node: { id: number; system_id: string }, output: Buffer) => Promise<void>;

const fail = (script: string, message: string): never => { throw new ScriptOutputError(script, message); };

const facts: Handler = async (ctx, q, node, output) => {
  if (output.length > MAX_JSON_BYTES) fail('00-plinth-facts', `The output is larger than ${MAX_JSON_BYTES} bytes.`);
  const parsed = parseFacts(output);
  if ('error' in parsed) return fail('00-plinth-facts', parsed.error);
  const f = parsed.facts;
  const current = (await q.query<{ architecture: string | null; hostname: string }>(
    'select architecture, hostname from nodes where id = $1 for update', [node.id]))[0];
  if (!current) return fail('00-plinth-facts', `Machine ${node.system_id} no longer exists.`);
  const fit = machinePatch(f, current);
  if (fit.error !== undefined) return fail('00-plinth-facts', fit.error);
  await updateNode(q, node.id, fit.patch);
  try {
    const nics = await applyNics(q, node.id, f.nics);
    const disks = await applyDisks(q, node.id, f.disks);
    const gone = [...nics.removed.map((n) => `interface ${n}`), ...disks.removed.map((d) => `disk ${d}`)];
    if (gone.length) {
      await recordEvent(q, {
        nodeId: node.id, hostname: current.hostname, username: '', level: 20, typeName: 'Hardware changed',
        description: `No longer reported by commissioning, removed: ${gone.join(', ')}.`,
      });
    }
  } catch (e) {
    // A conflict with another machine (a MAC it owns) is a finding about this output, not a crash.
    if (e instanceof PlinthError && e.kind === 'validation') fail('00-plinth-facts', e.message);
    throw e;
  }
};

const xml = (kind: 'lshw' | 'lldp', script: string): Handler => async (ctx, q, node, output) => {
  if (output.length > MAX_DETAIL_BYTES) fail(script, `The output is larger than ${MAX_DETAIL_BYTES} bytes.`);
  const text = output.toString('utf8');
  if (!text.trim()) fail(script, `${script} printed nothing; expected ${kind} XML.`);
  const problem = xmlProblem(text);
  if (problem) fail(script, `${script} did not print well-formed XML: ${problem}`);
  await storeCommissioningXml(ctx, node.id, kind, text, q);
  await commissioningDataArrived(ctx, node.id, q);
};

const storageLayout: Handler = async (ctx, q, node, output) => {
  if (output.length > MAX_JSON_BYTES) fail('50-storage-layout', `The output is larger than ${MAX_JSON_BYTES} bytes.`);
  let doc: unknown;
  try {
    doc = JSON.parse(output.toString('utf8'));
  } catch (e) {
    return fail('50-storage-layout', `50-storage-layout did not print JSON: ${(e as Error).message}`);
  }
  try {
    await storeCustomStorageLayout(ctx, node.system_id, doc, 'commissioning', q);
  } catch (e) {
    if (e instanceof PlinthError && e.kind === 'validation') fail('50-storage-layout', `50-storage-layout printed an invalid storage document: ${e.message}`);
    throw e;
  }
};

const HANDLERS: Record<(typeof INGESTED_SCRIPTS)[number], Handler> = {
  '00-plinth-facts': facts,
  '20-lshw': xml('lshw', '20-lshw'),
  '30-lldp': xml('lldp', '30-lldp'),
  '50-storage-layout': storageLayout,
};

export async function ingestScriptOutput(
  ctx: ServiceContext, q: Queryable, node: { id: number; system_id: string }, script: string, output: Buffer,
): Promise<void> {
  const handler = (HANDLERS as Record<string, Handler | undefined>)[script];
  if (!handler) return;
  // Given the pool itself, open a transaction so a failure halfway leaves nothing behind. Inside the
  // caller's transaction, a savepoint undoes our part only: the caller goes on to record the failure.
  if (q === ctx.db) {
    await ctx.db.tx((t) => handler(ctx, t, node, output));
    return;
  }
  await q.query('savepoint plinth_ingest');
  try {
    await handler(ctx, q, node, output);
  } catch (e) {
    await q.query('rollback to savepoint plinth_ingest');
    throw e;
  }
  await q.query('release savepoint plinth_ingest');
}

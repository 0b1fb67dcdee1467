/**
 * `maas-scripts`: the scripts the machine runs now, as an uncompressed tar with `index.json` (MAAS's
 * layout, which maas-run-remote-scripts and Plinth's agent read). Each script gets a pending result row
 * so its results can name it (script_result_id); scripts that already finished are marked so, and a
 * machine that reboots midway does not run them again. Null when there is nothing to run (204).
 */
import { NodeStatus as S } from '../../domain/machine/status.ts';
import { scriptResultsRepo } from '../../store/repos/metadata.ts';
import type { Queryable, ServiceContext } from '../context.ts';
import { dropUnlisted, hardwareOf, runInventoried } from '../scripts/hardware-facts.ts';
import type { HardwareIds } from '../scripts/hardware-match.ts';
import { requeueAfterRecommission } from '../scripts/recommission.ts';
import { storedRunnable } from '../scripts/runnable.ts';
import { actionChoices, scriptsToRun, type ActionChoices, type Script } from './catalogue.ts';
import type { MetadataNode } from './node-view.ts';
import { currentScriptSet } from './script-sets.ts';
import { ustar, type TarEntry } from './ustar.ts';

const FINISHED = new Set([2, 3, 4, 5, 6, 8, 9, 11]);

/** Parameters with the values this run uses: the action's choice where it made one (erase options), else the default. */
function parameters(s: Script, data: Record<string, unknown>) {
  return Object.fromEntries(Object.entries(s.parameters ?? {}).map(([k, p]) => [k, { ...p, value: data[k] ?? p.default ?? null }]));
}

function indexEntry(s: Script, dir: string, resultId: number | null, status: number | null, data: Record<string, unknown>) {
  return {
    name: s.name, script_result_id: resultId, script_version_id: s.script_version_id ?? null, timeout_seconds: s.timeout_seconds,
    parallel: { none: 0, instance: 1, any: 2 }[s.parallel], hardware_type: s.hardware_type, parameters: parameters(s, data), packages: s.packages,
    for_hardware: s.for_hardware ?? [], apply_configured_networking: s.apply_configured_networking ?? false, has_started: status !== null && status !== 0,
    has_finished: status !== null && FINISHED.has(status), default: s.default ?? true, tags: s.tags, may_reboot: s.may_reboot, path: `${dir}/${s.name}`,
  };
}

/**
 * During commissioning: a passed script with `recommission` queues the built-in scripts again, and once
 * this run's built-in scripts have reported, scripts for particular hardware are matched against what
 * they found (null until then; the agent fetches the scripts again after its commissioning scripts
 * pass). Tests alone match against the last commissioning's findings.
 */
async function hardwareNow(q: Queryable, ctx: ServiceContext, node: MetadataNode, choices: ActionChoices): Promise<HardwareIds | null> {
  if (node.status === S.TESTING) return hardwareOf(q, node.id);
  if (node.status !== S.COMMISSIONING) return null;
  const set = await currentScriptSet(q, node.id, 'commissioning', choices.started, ctx.now());
  await requeueAfterRecommission(q, node, set.id, ctx.now());
  return (await runInventoried(q, set.id)) ? hardwareOf(q, node.id) : null;
}

async function entries(q: Queryable, ctx: ServiceContext, node: MetadataNode | null) {
  const choices = node ? await actionChoices(q, node.id) : { data: {}, started: null };
  const status = node ? node.status : 0; // anonymous: enlistment runs the commissioning scripts
  const hardware = node ? await hardwareNow(q, ctx, node, choices) : null;
  const run = await scriptsToRun(q, status, choices, hardware);
  // Pending results of scripts for particular hardware that are not listed now would stay Pending: they go
  // (listed again, with a new result, if the machine turns out to qualify after all).
  const hardwareScripts = node ? (await storedRunnable(q)).filter((s) => s.for_hardware?.length).map((s) => s.name) : [];
  const files: TarEntry[] = [];
  const index = { commissioning_scripts: [] as unknown[], testing_scripts: [] as unknown[], release_scripts: [] as unknown[] };
  const mtime = Math.floor(ctx.now().getTime() / 1000);
  for (const [kind, list] of [['commissioning', run.commissioning], ['testing', run.testing], ['release', run.release]] as const) {
    if (!list.length) continue;
    // Commissioning results go to the commissioning set even when tests follow in the same boot.
    const set = node ? await currentScriptSet(q, node.id, kind, choices.started, ctx.now()) : null;
    if (set && hardwareScripts.length) await dropUnlisted(q, set.id, hardwareScripts, list.map((s) => s.name));
    for (const s of list) {
      const r = set ? await scriptResultsRepo.ensure(q, set.id, s.name) : null;
      index[`${kind}_scripts`].push(indexEntry(s, kind, r?.id ?? null, r?.status ?? null, choices.data));
      files.push({ path: `${kind}/${s.name}`, data: Buffer.from(s.content), mode: 0o755, mtime });
    }
  }
  return { files, index, mtime };
}

export async function maasScriptsTar(ctx: ServiceContext, node: MetadataNode | null): Promise<Buffer | null> {
  const { files, index, mtime } = await ctx.db.tx((q) => entries(q, ctx, node));
  if (!files.length) return null;
  return ustar([...files, { path: 'index.json', data: Buffer.from(JSON.stringify({ '1.0': index })), mtime }]);
}

/** The deprecated `maas-commissioning-scripts`: the commissioning scripts as `commissioning.d/<name>`. */
export async function commissioningScriptsTar(ctx: ServiceContext, node: MetadataNode): Promise<Buffer> {
  const choices = await actionChoices(ctx.db, node.id);
  const list = (await scriptsToRun(ctx.db, 1, choices)).commissioning;
  const mtime = Math.floor(ctx.now().getTime() / 1000);
  return ustar(list.map((s) => ({ path: `commissioning.d/${s.name}`, data: Buffer.from(s.content), mode: 0o755, mtime })));
}

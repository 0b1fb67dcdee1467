/**
 * The status webhook (maas-api-spec §5.3): cloud-init's and curtin's reporting events. Start events and
 * failures go to the machine's event log; a few events move the action on: the installer starting
 * (`cmd-install`), a failed top-level stage, and the erase environment's last stage (`modules-final`).
 * Like MAAS, the poster never learns the outcome (it gets 204 either way): problems are logged.
 */
import { execFileSync } from 'node:child_process';
import { EventLevel } from '../../domain/events.ts';
import { reportAccepted, type ReportKind } from '../../domain/lifecycle/reports.ts';
import { NodeStatus as S } from '../../domain/machine/status.ts';
import { PlinthError } from '../../domain/errors.ts';
import { scriptResultsRepo, scriptSetsRepo } from '../../store/repos/metadata.ts';
import { recordEvent } from '../events.ts';
import type { ServiceContext } from '../context.ts';
import { machineReported } from '../lifecycle/reported.ts';
import { actionChoices, allScripts, setKindFor } from './catalogue.ts';
import { metadataNodeById, type MetadataNode } from './node-view.ts';
import { ScriptStatus, storeResults } from './results.ts';
import { currentScriptSet } from './script-sets.ts';

export interface StatusEvent {
  event_type: string; origin: string; name: string; description: string;
  result?: string; timestamp?: number;
  files?: Array<{ path?: string; name?: string; encoding?: string; compression?: string; content: string; result?: number }>;
}

const FAILED = new Set(['FAIL', 'FAILURE']);
const INSTALL_STAGES = new Set(['cmd-install', 'cmd-install/stage-early', 'cmd-install/stage-late']);
const INSTALL_LOG = '/tmp/install.log';

function decodeFile(f: NonNullable<StatusEvent['files']>[number]): Buffer {
  let data = f.encoding === 'base64' ? Buffer.from(f.content, 'base64') : Buffer.from(f.content);
  if (f.compression === 'bzip2') {
    try {
      data = execFileSync('bzip2', ['-dc'], { input: data, maxBuffer: 256 * 1024 * 1024 });
    } catch {
      // Keep the bytes as sent: unreadable is better than lost.
    }
  }
  return data;
}

/** Whether a COMMISSIONING failure is expected: a script that may reboot the machine is running or passed. */
async function rebootExpected(ctx: ServiceContext, node: MetadataNode): Promise<boolean> {
  const set = await scriptSetsRepo.latest(ctx.db, node.id, 'commissioning');
  if (!set) return false;
  const rows = await scriptResultsRepo.forSets(ctx.db, [set.id]);
  const scripts = await allScripts(ctx.db);
  return rows.some((r) => scripts.find((s) => s.name === r.name)?.may_reboot && (r.status === ScriptStatus.RUNNING || r.status === ScriptStatus.PASSED));
}

function reportFor(node: MetadataNode, e: StatusEvent, failed: boolean): ReportKind | null {
  const topLevel = !e.name.includes('/');
  if (node.status === S.DEPLOYING && e.origin === 'curtin' && INSTALL_STAGES.has(e.name) && !failed) return 'installing';
  if (!topLevel || e.event_type !== 'finish') return null;
  if (failed && [S.COMMISSIONING, S.DEPLOYING, S.DISK_ERASING, S.TESTING, S.ENTERING_RESCUE_MODE].includes(node.status as 1)) return 'failed';
  if (!failed && node.status === S.DISK_ERASING && e.name === 'modules-final') return 'erased';
  return null;
}

export async function statusEvent(ctx: ServiceContext, nodeId: number, e: StatusEvent): Promise<void> {
  const node = await metadataNodeById(ctx.db, nodeId);
  if (!node) return;
  const failed = FAILED.has((e.result ?? '').toUpperCase());
  const now = ctx.now();
  if (e.event_type === 'start' || failed) {
    await recordEvent(ctx.db, {
      nodeId: node.id, hostname: node.hostname, username: '', level: failed ? EventLevel.ERROR : EventLevel.INFO,
      typeName: e.origin === 'curtin' ? 'Node installation' : 'Node status event', description: `'${e.name}' ${e.description}`.slice(0, 1000),
    });
  }
  const kind = setKindFor(node.status);
  const installStart = e.origin === 'curtin' && e.name === 'cmd-install' && e.event_type === 'start';
  if (kind && (e.files?.length || installStart)) {
    await ctx.db.tx(async (q) => {
      const set = await currentScriptSet(q, node.id, kind, (await actionChoices(q, node.id)).started, now);
      if (installStart) await storeResults(q, set, { status: 'WORKING', name: INSTALL_LOG, files: [] }, now);
      for (const f of e.files ?? []) {
        const name = f.path ?? f.name;
        if (!name) continue;
        const exit = typeof f.result === 'number' ? { exit_status: f.result } : {};
        await storeResults(q, set, { status: 'OK', name, files: [{ name, data: decodeFile(f) }], ...exit }, now);
      }
    });
  }
  const report = reportFor(node, e, failed);
  if (!report || !reportAccepted(report, node.status)) return;
  if (report === 'failed' && node.status === S.COMMISSIONING && (await rebootExpected(ctx, node))) return;
  try {
    await machineReported(ctx, node.system_id, { kind: report, message: report === 'failed' ? `${e.origin} ${e.name}: ${e.description}` : undefined });
  } catch (err) {
    if (!(err instanceof PlinthError)) throw err;
    ctx.log.info({ system_id: node.system_id, event: e.name, problem: err.message }, 'status event not applied');
  }
}

/**
 * `signal`: the ephemeral environment reports progress and results (maas-api-spec §5.2). Results and
 * power settings are stored in one transaction; what the signal means for the machine's action is then
 * handed to its workflow as a report (machineReported), which moves the status.
 */
import { conflict } from '../../domain/errors.ts';
import { EventLevel } from '../../domain/events.ts';
import { reportRefusal, type ReportKind } from '../../domain/lifecycle/reports.ts';
import { FAILURE_STATUS, NodeStatus as S } from '../../domain/machine/status.ts';
import { updateNode } from '../../store/repos/machine-write.ts';
import { nodesRepo } from '../../store/repos/machines.ts';
import { scriptResultsRepo, scriptSetsRepo } from '../../store/repos/metadata.ts';
import type { ServiceContext } from '../context.ts';
import { startCommissioning } from '../lifecycle/commission.ts';
import { machineEvent } from '../lifecycle/machine-tx.ts';
import { machineReported } from '../lifecycle/reported.ts';
import { checkPower } from '../machines/power-params.ts';
import { commissioningDataArrived } from '../tag-evaluation/details.ts';
import { actionChoices, setKindFor } from './catalogue.ts';
import { ingestCommissioningOutput } from './ingest.ts';
import { failResult, ScriptStatus, storeResults, type ResultReport } from './results.ts';
import { currentScriptSet } from './script-sets.ts';

export const SIGNAL_STATUSES = ['OK', 'FAILED', 'WORKING', 'COMMISSIONING', 'TESTING', 'TIMEDOUT', 'INSTALLING', 'APPLYING_NETCONF', 'RELEASING'] as const;
export type SignalStatus = (typeof SIGNAL_STATUSES)[number];

export interface SignalInput extends Omit<ResultReport, 'status'> {
  status: SignalStatus; error?: string; power_type?: string; power_parameters?: Record<string, string>;
}

/** Statuses where a signal stores results and may move the action on. */
const ACTIVE: number[] = [S.COMMISSIONING, S.TESTING, S.DEPLOYING, S.DISK_ERASING, S.RELEASING, S.ENTERING_RESCUE_MODE, S.RESCUE_MODE, S.DEPLOYED];
/** Statuses a signal may arrive in without effect (a late or repeated signal). */
const QUIET: number[] = [S.NEW, S.READY, S.BROKEN, S.EXITING_RESCUE_MODE, ...Object.values(FAILURE_STATUS)];
const BAD_RESULT: number[] = [ScriptStatus.FAILED, ScriptStatus.TIMEDOUT, 8, 11];

export async function signal(ctx: ServiceContext, systemId: string, input: SignalInput): Promise<void> {
  const outcome = await ctx.db.tx(async (q) => {
    const m = await nodesRepo.bySystemId(q, systemId, true);
    if (!m) throw conflict(`Machine ${systemId} no longer exists.`);
    const now = ctx.now();
    // Enlistment self-commissioning: the machine enlisted itself and now commissions.
    if (m.status === S.NEW && m.node_type === 0 && input.status === 'COMMISSIONING')
      await startCommissioning(q, ctx, null, m, { enlisting: true });
    else if (m.node_type === 0 && QUIET.includes(m.status)) return null;
    else if (m.node_type === 0 && !ACTIVE.includes(m.status)) throw conflict(reportRefusal(m.status));

    if (m.status === S.DISK_ERASING && input.status === 'OK') await machineEvent(q, m, 'Disks erased', 'The erase scripts finished');
    if (input.error !== undefined) await updateNode(q, m.id, { error_description: input.error });
    if (input.power_type && m.power_type !== 'mscm') {
      const power = checkPower(input.power_type, input.power_parameters ?? {}, true);
      if ('power' in power) await updateNode(q, m.id, { power_type: power.power.type, power_parameters: power.power.params });
      else await machineEvent(q, m, 'Power', `Ignored the power settings the machine detected: ${JSON.stringify('errors' in power ? power.errors : {})}`, '', EventLevel.WARNING);
    }
    // Controllers and devices only ever send commissioning data.
    const kind = m.node_type === 0 ? setKindFor(m.status) : 'commissioning';
    let failedScripts: string[] = [];
    if (kind) {
      const set = await currentScriptSet(q, m.id, kind, (await actionChoices(q, m.id)).started, now);
      const rows = await storeResults(q, set, { ...input, status: input.status }, now);
      await scriptSetsRepo.ping(q, set.id, now);
      if (kind === 'commissioning') {
        for (const row of rows) {
          if (row.status !== ScriptStatus.PASSED) continue;
          const output = row.output.length ? row.output : row.stdout;
          if (!output.length) continue;
          const r = await ingestCommissioningOutput(ctx, q, m, row.name, output);
          if (r.error) await failResult(q, row, r.error, now);
        }
      }
      failedScripts = (await scriptResultsRepo.forSets(q, [set.id])).filter((r) => BAD_RESULT.includes(r.status)).map((r) => r.name);
    }
    return { status: m.status, nodeId: m.id, nodeType: m.node_type, failedScripts };
  });
  ctx.wakeWorkflows?.(); // self-commissioning started a workflow
  if (!outcome || outcome.nodeType !== 0) return;
  const report = reportFor(outcome.status, input, outcome.failedScripts);
  if (!report) return;
  if (report.kind === 'commissioning_done') await commissioningDataArrived(ctx, outcome.nodeId);
  await machineReported(ctx, systemId, report);
}

function reportFor(status: number, input: SignalInput, failed: string[]): { kind: ReportKind; message?: string } | null {
  const failure = (what: string) => ({ kind: 'failed' as const, message: input.error || what });
  const scriptsFailed = (what: string) => ({ kind: 'failed' as const, message: `${what} failed: ${failed.join(', ')}` });
  switch (status) {
    case S.COMMISSIONING:
      if (input.status === 'FAILED') return failure('Commissioning failed.');
      if (input.status !== 'OK' && input.status !== 'TESTING') return null;
      return failed.length ? scriptsFailed('Commissioning scripts') : { kind: 'commissioning_done' };
    case S.TESTING:
      if (input.status === 'FAILED') return failure('Testing failed.');
      if (input.status !== 'OK') return null;
      return failed.length ? scriptsFailed('Tests') : { kind: 'testing_done' };
    case S.DEPLOYING:
      return input.status === 'FAILED' ? failure('Installation failed (refer to the installation log for more information).') : null;
    case S.DISK_ERASING:
      // OK only records the event; the environment's final cloud-init stage (webhook) completes the erase.
      return input.status === 'FAILED' ? failure('Failed to erase disks.') : null;
    case S.ENTERING_RESCUE_MODE:
      if (input.status === 'FAILED') return failure('Failed to enter rescue mode.');
      return input.status === 'OK' || input.status === 'WORKING' ? { kind: 'rescue_ready' } : null;
    default:
      return null;
  }
}

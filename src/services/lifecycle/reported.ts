/**
 * Progress that a machine reports about itself. The metadata service (a later issue) will call this when
 * the ephemeral environment signals, the installer posts events or the installed OS fetches its user data;
 * until then tests call it, standing in for the machine. The report is stored on the machine's running
 * workflow, which wakes and acts on it (finishing, failing, or carrying on waiting).
 */
import { conflict } from '../../domain/errors.ts';
import { EventLevel } from '../../domain/events.ts';
import { refreshesTimeout, reportAccepted, reportRefusal, type ReportKind } from '../../domain/lifecycle/reports.ts';
import { statusDeadline } from '../../domain/lifecycle/timeouts.ts';
import { updateNode, type NodePatch } from '../../store/repos/machine-write.ts';
import type { ServiceContext } from '../context.ts';
import { machineEvent, nodeTimeoutMinutes, wake, withMachine } from './machine-tx.ts';
import { workflowsRepo } from './workflow-store.ts';

export interface MachineReport { kind: ReportKind; message?: string }

const EVENT: Record<ReportKind, string> = {
  booting: 'PXE request', installing: 'Installing', installed: 'Node installation finished',
  commissioning_done: 'Commissioning finished', testing_done: 'Testing finished', deployed: 'Deployed OS is up',
  erased: 'Disks erased', rescue_ready: 'Rescue environment ready', failed: 'Machine reported a failure',
};

export async function machineReported(ctx: ServiceContext, systemId: string, report: MachineReport): Promise<void> {
  await withMachine(ctx, null, systemId, async (q, m) => {
    if (!reportAccepted(report.kind, m.status)) throw conflict(reportRefusal(m.status));
    const wf = await workflowsRepo.active(q, m.id, 'lifecycle');
    if (!wf) throw conflict(`Machine ${m.system_id} is not waiting for a report (no action in progress).`);
    const now = ctx.now();
    const patch: NodePatch = {};
    let deadline: Date | null = null;
    if (refreshesTimeout(report.kind)) {
      deadline = statusDeadline(m.status, await nodeTimeoutMinutes(q), now);
      patch.status_expires = deadline;
    }
    if (report.kind === 'installed') patch.netboot = false;
    if (Object.keys(patch).length) await updateNode(q, m.id, patch);
    await machineEvent(q, m, EVENT[report.kind], report.message ?? '', '', report.kind === 'failed' ? EventLevel.ERROR : EventLevel.INFO);
    await workflowsRepo.addReport(q, wf.id, { kind: report.kind, message: report.message, at: now.toISOString() }, now, deadline);
  });
  wake(ctx);
}

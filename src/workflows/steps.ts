/**
 * Steps the lifecycle workflows share: power commands through the power port, and waiting for what the
 * machine reports. Power for a machine with power type `manual`, with none, or that no rack here can
 * drive, is left to a person: the step says so in an event and the workflow waits for the machine itself.
 */
import { EventLevel } from '../domain/events.ts';
import { machineEvent } from '../services/lifecycle/machine-tx.ts';
import { PowerPortError, type PowerCommand } from '../services/ports/power.ts';
import { updateNode } from '../store/repos/machine-write.ts';
import type { NodeRow } from '../store/repos/machines.ts';
import type { StepCtx, StepDef, StepResult } from './types.ts';

const POWER_LANE_TRIES = 3;
const VERB: Record<string, string> = { on: 'power on', off: 'power off', cycle: 'power cycle', boot: 'set the boot device of', query: 'query the power state of' };

function machineOf(ctx: StepCtx): NodeRow {
  if (!ctx.machine) throw new Error(`workflow ${ctx.wf.id} has no machine`);
  return ctx.machine;
}

/** Whether this region drives the machine's power, or a person has to. */
function powerHandler(ctx: StepCtx, m: NodeRow): 'port' | string {
  if (!m.power_type) return 'it has no power type';
  if (ctx.svc.power?.manual(m.power_type)) return 'its power type is manual';
  if (!ctx.svc.power?.controls(m.power_type)) return `no rack controller here can drive power type ${m.power_type}`;
  return 'port';
}

/** Runs one power command, turning the port's errors into a retry (retryable) or a failure. */
async function powerCommand(ctx: StepCtx, m: NodeRow, command: PowerCommand, opts: { bootDevice?: 'pxe' | 'disk'; offMode?: 'soft' | 'hard' } = {}): Promise<StepResult | { ok: string }> {
  const port = ctx.svc.power!;
  try {
    const r = await port.execute({ powerType: m.power_type, params: m.power_parameters as Record<string, string> },
      command, { ...opts, signal: ctx.signal });
    if (command !== 'boot' && r.state !== 'unknown') await updateNode(ctx.svc.db, m.id, { power_state: r.state });
    if (command !== 'query') {
      const done = command === 'boot' ? `Next boot device set to ${opts.bootDevice}` : `${VERB[command][0].toUpperCase()}${VERB[command].slice(1)} done; power is ${r.state}`;
      await machineEvent(ctx.svc.db, m, 'Power', `${done} (workflow ${ctx.wf.kind}, step ${ctx.wf.step}${ctx.wf.created_by ? `, started by ${ctx.wf.created_by}` : ''})${r.note ? `: ${r.note}` : ''}`);
    }
    return { ok: r.state };
  } catch (err) {
    // Cancelled because the region stops or lost the workflow: not the machine's failure; the runner gives it back.
    if (!(err instanceof PowerPortError) || ctx.signal.aborted) throw err;
    const what = `Failed to ${VERB[command]} the machine: ${err.message}`;
    // A plain power command gives up after a few tries; a lifecycle step keeps trying until its status times out.
    if (!err.retryable || (ctx.wf.lane !== 'lifecycle' && ctx.wf.claims >= POWER_LANE_TRIES)) return { fail: what };
    await machineEvent(ctx.svc.db, m, 'Power problem', `${what}; trying again`, '', EventLevel.WARNING);
    return { wait: new Date(ctx.now.getTime() + ctx.retryDelayMs), note: what };
  }
}

/** An event telling people to do by hand what the step cannot (once per step). */
async function byHand(ctx: StepCtx, m: NodeRow, what: string, why: string) {
  const key = `by_hand_${ctx.wf.step}`;
  if (ctx.data[key]) return;
  ctx.data[key] = true;
  await machineEvent(ctx.svc.db, m, 'Waiting for the machine', `Plinth cannot ${what} this machine (${why}): ${what} it by hand.`);
}

/** Sets the next boot device (where the BMC can; otherwise the machine's boot order decides). */
export const setBootDevice = (name: string, device: 'pxe' | 'disk', when: (d: Record<string, unknown>) => boolean = () => true): StepDef => ({
  name, label: `setting the next boot device to ${device === 'pxe' ? 'the network' : 'the local disk'}`,
  async run(ctx) {
    const m = machineOf(ctx);
    if (!when(ctx.data) || powerHandler(ctx, m) !== 'port' || !ctx.svc.power!.canSetBootDevice(m.power_type)) return { next: true };
    const r = await powerCommand(ctx, m, 'boot', { bootDevice: device });
    return 'ok' in r ? { next: true } : r;
  },
});

/**
 * Boots the machine: power on, or power cycle when it is already on. Re-running after a crash does not
 * cycle a machine that this step already turned on (the marker says the command went out).
 */
export const bootMachine = (name: string, when: (d: Record<string, unknown>) => boolean = () => true): StepDef => ({
  name, label: 'powering the machine on',
  async run(ctx) {
    const m = machineOf(ctx);
    if (!when(ctx.data)) return { next: true };
    const how = powerHandler(ctx, m);
    if (how !== 'port') { await byHand(ctx, m, 'power on', how); return { next: true }; }
    const port = ctx.svc.power!;
    let command: PowerCommand = 'on';
    if (port.queryable(m.power_type)) {
      // Only to choose between on and cycle: if the query fails, powering on says what is wrong.
      const state = await port.execute({ powerType: m.power_type, params: m.power_parameters as Record<string, string> }, 'query', { signal: ctx.signal })
        .then((x) => x.state, () => 'unknown');
      if (state === 'on' && ctx.data[`booted_${name}`]) return { next: true };
      if (state === 'on') command = 'cycle';
    }
    await ctx.mark({ [`booted_${name}`]: true });
    const r = await powerCommand(ctx, m, command);
    return 'ok' in r ? { next: true } : r;
  },
});

/** Powers the machine off (soft or hard). */
export const powerOff = (name: string, when: (d: Record<string, unknown>) => boolean = () => true): StepDef => ({
  name, label: 'powering the machine off',
  async run(ctx) {
    const m = machineOf(ctx);
    if (!when(ctx.data)) return { next: true };
    const how = powerHandler(ctx, m);
    if (how !== 'port') { await byHand(ctx, m, 'power off', how); return { next: true }; }
    const mode = ctx.data.off_mode === 'soft' ? 'soft' : 'hard';
    const r = await powerCommand(ctx, m, 'off', { offMode: mode });
    return 'ok' in r ? { next: true } : r;
  },
});

/** Powers the machine on without changing its boot device (power_on on a deployed machine). */
export const powerOn = (name: string): StepDef => ({
  name, label: 'powering the machine on',
  async run(ctx) {
    const m = machineOf(ctx);
    const how = powerHandler(ctx, m);
    if (how !== 'port') { await byHand(ctx, m, 'power on', how); return { next: true }; }
    const r = await powerCommand(ctx, m, 'on');
    return 'ok' in r ? { next: true } : r;
  },
});

/**
 * Reads the machine's reports from the workflow's cursor: one of `kinds` → next step, a failure → fail.
 * A report of `later` (what a later step waits for) also ends the wait but is left unread, for that step.
 * The cursor is shared by the workflow's steps and saved with the step's outcome.
 */
function readReports(ctx: StepCtx, label: string, kinds: string[], later: string[]): StepResult {
  let cursor = typeof ctx.data.report_cursor === 'number' ? ctx.data.report_cursor : 0;
  const reports = ctx.wf.reports;
  while (cursor < reports.length) {
    const r = reports[cursor];
    if (later.includes(r.kind)) { ctx.data.report_cursor = cursor; return { next: true }; }
    cursor++;
    if (kinds.includes(r.kind)) { ctx.data.report_cursor = cursor; return { next: true }; }
    if (r.kind === 'failed') { ctx.data.report_cursor = cursor; return { fail: r.message ? `The machine reported a failure: ${r.message}` : 'The machine reported a failure.' }; }
  }
  ctx.data.report_cursor = cursor;
  return { wait: 'deadline', note: label };
}

/**
 * Waits until the machine reports one of `kinds` (→ next step) or a failure (→ fail). Reports are
 * consumed in order through a cursor, so one that arrived early (while a power step ran) still counts.
 */
export const awaitReport = (name: string, label: string, kinds: string[], when: (d: Record<string, unknown>) => boolean = () => true): StepDef => ({
  name, label,
  async run(ctx) {
    if (!when(ctx.data)) return { next: true };
    return readReports(ctx, label, kinds, []);
  },
});

/**
 * Waits for a sign that the machine reached a stage on its way (one of `signs`), so that a stall before
 * it is named apart from a stall after it. The sign is not required: a report of `later` (what the next
 * wait is for) ends this wait too — the sign was lost (a status post while the region was down, reports
 * racing) — and stays unread for the step that waits for it.
 */
export const awaitSign = (name: string, label: string, signs: string[], later: string[]): StepDef => ({
  name, label,
  async run(ctx) { return readReports(ctx, label, signs, later); },
});

/**
 * A test region with lifecycle wiring: the power port on a real PowerService (fast retry settings) and
 * a workflow runner that tests drive step by step (`drain`) instead of a timer, with an injectable clock.
 */
import { rackPowerPort } from '../../src/app/region.ts';
import { PowerService } from '../../src/edges/rack/power/service.ts';
import type { PowerPort } from '../../src/services/ports/power.ts';
import { machineReported } from '../../src/services/lifecycle/reported.ts';
import { WorkflowRunner, type RunnerOptions } from '../../src/workflows/runner.ts';
import { startBmcDouble, type BmcDouble } from './bmc-double.ts';
import { startTestRegion, type TestRegion } from '../helpers/region.ts';

export const fastPower = () => rackPowerPort(new PowerService({
  attempts: 2, backoff: { initialMs: 20, maxMs: 50 }, commandTimeoutMs: 3000, verifyTimeoutMs: 2000, verifyIntervalMs: 25, releaseGraceMs: 100,
}));

/**
 * The region's clock. Moving it forward brings deadlines nearer; it also moves OAuth's idea of "now",
 * so a test that advances it talks to the services directly and calls reset() before using the API again.
 */
export interface Clock { now(): Date; advance(ms: number): void; reset(): void }
export function testClock(): Clock {
  let offset = 0;
  return { now: () => new Date(Date.now() + offset), advance(ms) { offset += ms; }, reset() { offset = 0; } };
}

export interface LifecycleRegion extends TestRegion {
  runner: WorkflowRunner;
  clock: Clock;
  sid(res: { json(): any }): string;
  status(systemId: string): Promise<{ status: number; owner: string | null; status_message: string | null; power_state: string; netboot: boolean }>;
}

export async function startLifecycleRegion(kind: 'pglite' | 'postgres', o: { power?: PowerPort | null; runner?: RunnerOptions } = {}): Promise<LifecycleRegion> {
  const clock = testClock();
  const r = await startTestRegion(kind, { now: clock.now });
  if (o.power !== null) r.svc.power = o.power ?? fastPower();
  const runner = new WorkflowRunner(r.svc, { leaseMs: 5000, retryDelayMs: 200, ...o.runner });
  const closeRegion = r.close;
  return Object.assign(r, {
    runner, clock,
    sid: (res: { json(): any }) => res.json().system_id as string,
    async status(systemId: string) {
      const [m] = await r.svc.db.query<any>(
        'select n.status, u.username as owner, n.status_message, n.power_state, n.netboot from nodes n left join users u on u.id = n.owner_id where n.system_id = $1', [systemId]);
      return m;
    },
    close: async () => { await runner.stop(); await closeRegion(); },
  });
}

let mac = 0x100;
/** Fields for a new machine with a fresh MAC. */
export const newMachine = (hostname: string, extra: Array<[string, string]> = []): Array<[string, string]> => {
  mac++;
  const hex = mac.toString(16).padStart(4, '0');
  return [['architecture', 'amd64/generic'], ['mac_addresses', `52:54:00:aa:${hex.slice(0, 2)}:${hex.slice(2)}`], ['hostname', hostname], ...extra];
};

/**
 * A READY machine with webhook power on its own BMC double (kept in `bmcs` for the caller to stop):
 * created (which commissions at once), the runner drained, commissioning reported done, drained again.
 */
export async function readyOnBmcDouble(r: LifecycleRegion, hostname: string, bmcs: BmcDouble[]): Promise<{ sid: string; b: BmcDouble }> {
  const b = await startBmcDouble();
  bmcs.push(b);
  const res = await r.api('POST', 'machines/', newMachine(hostname, b.fields()));
  if (res.status !== 200) throw new Error(`creating ${hostname}: ${res.status} ${res.text}`);
  const sid = r.sid(res);
  await r.runner.drain();
  await machineReported(r.svc, sid, { kind: 'commissioning_done' });
  await r.runner.drain();
  const status = (await r.status(sid)).status;
  if (status !== 4) throw new Error(`${hostname} is not Ready after commissioning (status ${status})`);
  return { sid, b };
}

/**
 * `plinth wait PROFILE MACHINE STATUS`: waits until a machine reaches a status, showing progress —
 * each status change and each new event of the machine, with the time since the wait began.
 *
 * MACHINE is a system_id, a hostname or a MAC address; the machine need not exist yet (a MAC waits
 * for enlistment). An enlisting machine counts as New only once its enlistment scripts finished.
 * Exit codes: 0 the status was reached; 1 the machine went to a Failed status (other than the one
 * waited for), with its reason; 2 the timeout; 3 the API refused (bad key, unknown profile).
 */
import { call } from './request.ts';
import { ClientError } from './commands.ts';
import { apiUrl, type Profile } from './profiles.ts';

export interface WaitOptions {
  profile: Profile;
  machine: string;
  status: string;
  timeoutMs: number;
  pollMs?: number;
  /** Progress lines (stderr in the CLI). */
  say: (line: string) => void;
  now?: () => number;
}

interface MachineView { system_id: string; hostname: string; status_name: string; status_message?: string | null; error_description?: string | null }
interface EventView { id: number; type: string; description: string }

const MAC = /^([0-9a-f]{2}[:-]){5}[0-9a-f]{2}$/i;
const SYSTEM_ID = /^[a-z0-9]{6}$/;

/** The machines query that finds MACHINE: by MAC, by hostname, or by system_id. */
export function selector(machine: string): Array<[string, string]> {
  if (MAC.test(machine)) return [['mac_address', machine.toLowerCase().replace(/-/g, ':')]];
  if (SYSTEM_ID.test(machine)) return [['id', machine]];
  return [['hostname', machine]];
}

async function getJson(p: Profile, path: string, query: Array<[string, string]>): Promise<unknown> {
  const r = await call({ method: 'GET', url: new URL(path, apiUrl(p.url)).toString(), apiKey: p.credentials, fields: query.map(([name, value]) => ({ name, value })) });
  if (r.status === 401 || r.status === 403) throw new ClientError(`the API refused the profile's key (${r.status}): ${r.body.toString().slice(0, 200)}`, 3);
  if (r.status !== 200) throw new Error(`GET ${path} answered ${r.status}: ${r.body.toString().slice(0, 200)}`);
  return JSON.parse(r.body.toString());
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves with the machine once it has `status`; throws ClientError (exit 1 or 2) otherwise. */
export async function waitForStatus(o: WaitOptions): Promise<MachineView> {
  const now = o.now ?? Date.now;
  const t0 = now();
  const stamp = () => `[${String(Math.round((now() - t0) / 1000)).padStart(4)} s]`;
  const want = o.status.toLowerCase();
  let last = '';
  let lastEvent = 0;
  let announced = false;
  // An enlisting machine is New twice: when it enlists, and after its enlistment scripts ran. Only
  // the second one is settled (a commission before that is refused).
  let enlisting = false;
  let toldEnlisting = false;
  for (;;) {
    let m: MachineView | undefined;
    try {
      m = (await getJson(o.profile, 'machines/', selector(o.machine)) as MachineView[])[0];
    } catch (e) {
      if (e instanceof ClientError) throw e;
      o.say(`${stamp()} (the API did not answer: ${(e as Error).message}; trying again)`);
    }
    if (!m && !announced) { o.say(`${stamp()} waiting for ${o.machine} to appear`); announced = true; }
    if (m) {
      try {
        const ev = (await getJson(o.profile, 'events/', [['op', 'query'], ['id', m.system_id], ['limit', '100']]) as { events: EventView[] }).events ?? [];
        const fresh = ev.filter((e) => e.id > lastEvent).reverse();
        for (const e of fresh) {
          if (e.type === 'New' && e.description === 'Enlisted') enlisting = true;
          else if (e.type === 'Commissioning finished' || /^Failed/.test(e.type)) enlisting = false;
        }
        // The first poll shows only the latest event: the machine's older history is not progress.
        for (const e of lastEvent === 0 ? fresh.slice(-1) : fresh) o.say(`${stamp()}   ${e.type}${e.description ? `: ${e.description}` : ''}`);
        if (ev.length) lastEvent = Math.max(lastEvent, ...ev.map((e) => e.id));
      } catch (e) {
        if (e instanceof ClientError) throw e;
      }
      if (m.status_name !== last) {
        o.say(`${stamp()} ${m.hostname} (${m.system_id}): ${m.status_name}`);
        last = m.status_name;
      }
      if (m.status_name.toLowerCase() === want && !(want === 'new' && enlisting)) return m;
      if (want === 'new' && enlisting && !toldEnlisting) { o.say(`${stamp()} enlisting: waiting for its enlistment scripts to finish`); toldEnlisting = true; }
      if (/^failed/i.test(m.status_name)) {
        const why = m.error_description || m.status_message;
        throw new ClientError(`${m.hostname} is ${m.status_name}${why ? `: ${why}` : ''}`, 1);
      }
    }
    if (now() - t0 >= o.timeoutMs) {
      throw new ClientError(`timed out after ${Math.round(o.timeoutMs / 1000)} s waiting for ${o.machine} to be ${o.status}${m ? ` (it is ${m.status_name})` : ' (it did not appear)'}`, 2);
    }
    await sleep(o.pollMs ?? 2000);
  }
}

/**
 * The end-to-end ground: a lab (QEMU machines with emulated BMCs, real namespaces and bridges) whose
 * provisioning network's rack end is in this process's network namespace, and a real Plinth on it —
 * the region (embedded store) and its rack in this process, the rack's DHCP/TFTP/HTTP bound to the
 * usual ports. Images come from `plinth images build` (cached under .cache/images across runs).
 * Nothing is a double: the only virtual thing is the metal.
 */
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { labDown, labUp, type LabStatus, type LabUpOptions } from '../../src/edges/lab/index.ts';
import { startRegion, type RunningRegion } from '../../src/app/region.ts';
import { startRack, type RunningRack } from '../../src/app/rack.ts';
import { createAdmin } from '../../src/services/admin.ts';
import { ensureRackSecret } from '../../src/services/racks/secret.ts';
import { call, type Field } from '../../src/cli/client/request.ts';
import { buildImage } from '../../src/edges/images/index.ts';

export const IMAGES_DIR = resolve('.cache/images');
export const APT_CACHE = resolve('.cache/apt');

/**
 * Why an end-to-end test cannot run here, or undefined. Levels, by PLINTH_E2E:
 *   unset — `default` tests only: the BIOS walkthrough, part of `make test` (~10 min under TCG, plus
 *           the image builds the image tests share); `0` skips it too;
 *   `1`   — also `more`: the UEFI walkthrough;
 *   `full` — also `full`: the faults, the three-machine reset cycle, and rescue / erase / ephemeral deploy.
 */
export function e2eSkipReason(level: 'default' | 'more' | 'full' = 'default'): string | undefined {
  const want = process.env.PLINTH_E2E ?? '';
  if (want === '0') return 'end-to-end tests off (PLINTH_E2E=0)';
  if (level === 'more' && want !== '1' && want !== 'full') return 'UEFI walkthrough: set PLINTH_E2E=1 (or full) to run it';
  if (level === 'full' && want !== 'full') return 'heavier end-to-end variant: set PLINTH_E2E=full to run it';
  if (process.getuid?.() !== 0) return 'needs root (namespaces, bridges, taps, ports 67/69)';
  for (const tool of ['/usr/bin/qemu-system-x86_64', '/usr/bin/mmdebstrap', '/usr/bin/ipmi_sim', '/usr/bin/ipmitool']) {
    if (!existsSync(tool)) return `needs ${tool} (the Debian packages .ci/run installs)`;
  }
  return undefined;
}

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok));
  const port = (s.address() as { port: number }).port;
  await new Promise((ok) => s.close(ok));
  return port;
}

/** Builds (or finds cached) the ephemeral environment and the Debian image; returns seconds per kind. */
export async function ensureImages(log: (line: string) => void = () => {}): Promise<Record<string, { seconds: number; cached: boolean }>> {
  const out: Record<string, { seconds: number; cached: boolean }> = {};
  for (const kind of ['ephemeral', 'debian'] as const) {
    const r = await buildImage({ kind, suite: 'bookworm', arch: 'amd64', outDir: IMAGES_DIR, cacheDir: APT_CACHE, say: log });
    out[kind] = { seconds: r.seconds, cached: r.cached };
  }
  return out;
}

export interface Api {
  (method: string, path: string, fields?: Array<[string, string]>): Promise<{ status: number; text: string; json: () => any }>;
}

export interface Plinth {
  region: RunningRegion;
  rack: RunningRack;
  api: Api;
  apiKey: string;
  dataDir: string;
  close(): Promise<void>;
}

/** Region + rack in this process (what `plinth start` runs), with an admin and its key. */
export async function startPlinth(opts: { sshKey?: string } = {}): Promise<Plinth> {
  const dataDir = mkdtempSync(join(tmpdir(), 'plinth-e2e-'));
  const port = await freePort();
  const region = await startRegion({ dataDir, port, host: '0.0.0.0', quiet: true, logLevel: 'warn' });
  const admin = await createAdmin(region.svc, { username: 'admin', password: 'admin-pass', email: 'admin@example.com', sshKeys: opts.sshKey });
  const secret = (await ensureRackSecret(region.svc)).secret;
  const rack = await startRack({ dataDir: join(dataDir, 'rack'), imagesRoot: IMAGES_DIR, url: region.url, secret, version: 'e2e', logLevel: 'warn' });
  const base = `${region.url}api/2.0/`;
  const api: Api = async (method, path, fields = []) => {
    const list: Field[] = fields.map(([name, value]) => ({ name, value }));
    const r = await call({ method, url: base + path, apiKey: admin.apiKey, fields: list });
    const text = r.body.toString();
    return { status: r.status, text, json: () => JSON.parse(text) };
  };
  return {
    region, rack, api, apiKey: admin.apiKey, dataDir,
    async close() {
      await rack.close();
      await region.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function startLab(o: Partial<LabUpOptions> = {}): Promise<{ status: LabStatus; stateDir: string; close(): Promise<void> }> {
  const stateDir = mkdtempSync(join(tmpdir(), 'plinth-e2e-lab-'));
  const status = await labUp({ stateDir, machines: 1, firmware: 'bios', disks: 2, nics: 1, memoryMiB: 1536, ...o });
  return { status, stateDir, async close() { await labDown(stateDir); rmSync(stateDir, { recursive: true, force: true }); } };
}

/** Thrown inside an `until` check: stop waiting at once (a machine that failed will not recover by itself). */
export class StopWaiting extends Error {}

export async function until<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs: number, everyMs = 1000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      if (err instanceof StopWaiting) throw err;
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The tail of a lab machine's serial console, for failure messages. */
export function consoleTail(lab: LabStatus, i = 0, lines = 40): string {
  try { return readFileSync(lab.machines[i].consoleLog, 'utf8').split('\n').slice(-lines).join('\n'); } catch { return '(no console log)'; }
}

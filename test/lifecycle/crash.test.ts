/**
 * Durable workflows across real region processes (fixtures/region-child.ts), killed with SIGKILL in the
 * middle of a deploy — while its power-on command is in flight to the BMC test double (bmc-double.ts,
 * standing in for hardware we do not have):
 *  - PostgreSQL: a second region process, started while the first still runs, leaves the workflow alone
 *    while the first holds its lease; once the first is dead it takes the workflow over and completes it.
 *  - PGlite: the same region restarted on the same data directory resumes the workflow and completes it.
 * In both, the power-on step that ran again does not power-cycle the machine a second time.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { call } from '../../src/cli/client/request.ts';
import { BACKENDS, createPgDatabase } from '../helpers/backends.ts';
import { startBmcDouble } from './bmc-double.ts';
import { newMachine } from './helpers.ts';

const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'region-child.ts');
const LEASE_MS = 1500;

interface Region {
  pid: number;
  proc: ChildProcess;
  exited: Promise<number | null>;
  api(method: string, path: string, fields?: Array<[string, string]>): Promise<{ status: number; text: string; json(): any }>;
  send(cmd: Record<string, unknown>): Promise<any>;
  sql<T = any>(sql: string, params?: unknown[]): Promise<T[]>;
}

const children = new Set<ChildProcess>();

async function startRegionProcess(o: { dataDir: string; databaseUrl?: string }): Promise<Region> {
  const env = { ...process.env };
  delete env.DATABASE_URL; // the child's store is exactly what `o` names
  const proc = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify({ ...o, leaseMs: LEASE_MS })], { stdio: ['pipe', 'pipe', 'pipe'], env });
  children.add(proc);
  const exited = new Promise<number | null>((res) => proc.on('exit', (code) => { children.delete(proc); res(code); }));
  let stderr = '';
  proc.stderr!.on('data', (d) => { stderr += d; });
  const pending = new Map<number, (x: any) => void>();
  let ready: (x: any) => void;
  const readyP = new Promise<any>((res) => { ready = res; });
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    if (!line.startsWith('@@')) return;
    const msg = JSON.parse(line.slice(2));
    if (msg.ready) ready(msg); else pending.get(msg.id)?.(msg);
  });
  const info = await Promise.race([readyP, exited.then((c) => { throw new Error(`region exited (${c}): ${stderr}`); })]);
  let seq = 0;
  const send = (cmd: Record<string, unknown>) => new Promise<any>((res) => {
    const id = ++seq;
    pending.set(id, res);
    proc.stdin!.write(JSON.stringify({ id, ...cmd }) + '\n');
  });
  return {
    pid: info.pid, proc, exited, send,
    async api(method, path, fields = []) {
      const r = await call({ method, url: `${info.url}api/2.0/${path}`, apiKey: info.key, fields: fields.map(([name, value]) => ({ name, value })) });
      const text = r.body.toString();
      return { status: r.status, text, json: () => JSON.parse(text) };
    },
    async sql(sql, params = []) {
      const r = await send({ cmd: 'sql', sql, params });
      if (!r.ok) throw new Error(r.error);
      return r.rows;
    },
  };
}

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const deployRow = (r: Region, sid: string) => r.sql<{ state: string; step: number; owner: string | null; claims: number }>(
  "select state, step, owner, claims from workflows where kind = 'deploy' and node_id = (select id from nodes where system_id = $1)", [sid]).then((x) => x[0]);
const statusOf = async (r: Region, sid: string) => (await r.api('GET', `machines/${sid}/`)).json().status_name as string;

after(() => { for (const c of children) c.kill('SIGKILL'); });

for (const kind of BACKENDS) {
  describe(`workflows survive a killed region process (${kind})`, () => {
    test('kill -9 mid-deploy; the work is resumed and completes', { timeout: 120_000 }, async () => {
      const bmc = await startBmcDouble();
      const dirA = mkdtempSync(join(tmpdir(), 'plinth-crash-a-'));
      const dirB = mkdtempSync(join(tmpdir(), 'plinth-crash-b-'));
      const pg = kind === 'postgres' ? await createPgDatabase() : undefined;
      let second: Region | undefined;
      try {
        const first = await startRegionProcess({ dataDir: dirA, databaseUrl: pg?.url });
        // A machine with usable power commissions on creation; the test reports for the machine.
        const created = await first.api('POST', 'machines/', newMachine(`crash-${kind}`, bmc.fields()));
        assert.equal(created.status, 200, created.text);
        const sid = created.json().system_id as string;
        await until('commissioning power-on', async () => bmc.state.on >= 1);
        assert.equal((await first.send({ cmd: 'report', system_id: sid, kind: 'commissioning_done' })).ok, true);
        await until('Ready', async () => (await statusOf(first, sid)) === 'Ready');

        // Deploy, and hold the BMC's answer to power-on: the step is in the middle of its command.
        bmc.holdOn = true;
        assert.equal((await first.api('POST', `machines/${sid}/?op=deploy`)).json().status_name, 'Deploying');
        await until('the power-on command at the BMC', async () => bmc.state.on >= 2);
        const held = await deployRow(first, sid);
        assert.equal(held.state, 'running');
        assert.equal(held.step, 1, 'in step power_on');
        assert.match(held.owner ?? '', new RegExp(`:${first.pid}:`));

        if (kind === 'postgres') {
          // A second region process on the same database: while the first heartbeats, it keeps off.
          second = await startRegionProcess({ dataDir: dirB, databaseUrl: pg!.url });
          await new Promise((r) => setTimeout(r, 2 * LEASE_MS));
          assert.match((await deployRow(second, sid)).owner ?? '', new RegExp(`:${first.pid}:`), 'the live owner keeps its workflow');
        }
        first.proc.kill('SIGKILL');
        assert.equal(await first.exited, null);
        bmc.holdOn = false;
        // PGlite: the same region restarted on its data directory. PostgreSQL: the second process.
        second ??= await startRegionProcess({ dataDir: dirA });

        const resumed = await until('the workflow resumed past power_on', async () => {
          const w = await deployRow(second!, sid);
          return w.step >= 2 ? w : undefined;
        });
        assert.equal(resumed.state, 'running');
        assert.ok(resumed.claims >= 2, `claimed again after the crash (claims ${resumed.claims})`);
        assert.equal(bmc.state.on, 2, 'the re-run power-on step did not cycle the machine again');
        assert.equal(bmc.state.boots, 2);

        assert.equal((await second.send({ cmd: 'report', system_id: sid, kind: 'deployed' })).ok, true);
        await until('Deployed', async () => (await statusOf(second!, sid)) === 'Deployed');
        const done = await deployRow(second, sid);
        assert.equal(done.state, 'done');
        const events = (await second.api('GET', `events/?op=query&id=${sid}`)).json().events.map((e: { type: string }) => e.type);
        assert.deepEqual(events.slice(0, 3), ['Deployed', 'Deployed OS is up', 'Deploying']);
        // A region stops cleanly (runner included) on SIGTERM.
        second.proc.kill('SIGTERM');
        assert.equal(await second.exited, 0);
        second = undefined;
      } finally {
        if (second) { second.proc.kill('SIGTERM'); await second.exited; }
        await bmc.stop();
        await pg?.drop();
        rmSync(dirA, { recursive: true, force: true });
        rmSync(dirB, { recursive: true, force: true });
      }
    });
  });
}

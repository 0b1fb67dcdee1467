/**
 * bench/api-list.ts — listing cost with 10,000 machines (2 interfaces and 2 disks each), on PostgreSQL
 * and on PGlite: p50/p99 of `GET machines/` (the full MAAS representation) and of `GET machines/<id>/`,
 * over real HTTP with OAuth-signed requests, plus peak RSS.
 * Targets (2 cores): full listing < 1 s on PostgreSQL; one machine < 5 ms at p99.
 * Run: npx tsx bench/api-list.ts [--machines N] [--list-runs N] [--one-runs N] [--warmup N] [--backends pglite,postgres]
 *
 * The server runs in this process, so the bench re-runs itself under the V8 flags bin/plinth gives a
 * real region (V8_FLAGS there: a larger young generation, see that file); the figures are those an
 * operator gets. The single-machine client is a worker thread with a keep-alive node:http agent: a
 * remote client's CPU time and garbage collection would not land on the server's two cores, and the
 * undici `fetch` client cost ~1 ms of CPU per request here (3x node:http), competing with the server
 * and PostgreSQL for those cores and adding its own collector pauses to the measured latencies.
 */
import { buildRegionServer } from '../src/edges/http/region-server.ts';
import { HANDLERS } from '../src/edges/maas/handlers/index.ts';
import { createAdmin } from '../src/services/admin.ts';
import { signRequest } from '../src/edges/maas/wire/oauth.ts';
import type { Db } from '../src/store/db.ts';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { openTestStore } from '../test/helpers/backends.ts';

const V8_FLAGS = /^V8_FLAGS="([^"]*)"/m.exec(readFileSync(new URL('../bin/plinth', import.meta.url), 'utf8'))?.[1].split(/\s+/).filter(Boolean) ?? [];
if (V8_FLAGS.length && !process.env.PLINTH_BENCH_CHILD) {
  const r = spawnSync(process.execPath, [...V8_FLAGS, ...process.execArgv, process.argv[1], ...process.argv.slice(2)],
    { stdio: 'inherit', env: { ...process.env, PLINTH_BENCH_CHILD: '1' } });
  process.exit(r.status ?? 1);
}

const arg = (name: string, def: string) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] : def; };
const MACHINES = Number(arg('machines', '10000'));
const LIST_RUNS = Number(arg('list-runs', '15'));
const ONE_RUNS = Number(arg('one-runs', '1000'));
/** Signed single reads before the measured ones: a region that has served for a while has its hot paths optimised by V8. */
const WARMUP = Number(arg('warmup', '2000'));
const BACKENDS = arg('backends', 'postgres,pglite').split(',') as Array<'pglite' | 'postgres'>;
const quiet = { info() {}, warn() {}, error() {} };

let peakRss = 0;
const sampler = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage().rss); }, 20);

async function seed(db: Db, n: number) {
  const batch = 1000;
  for (let start = 0; start < n; start += batch) {
    const count = Math.min(batch, n - start);
    const idx = Array.from({ length: count }, (_, i) => start + i);
    await db.tx(async (q) => {
      const rows = await q.query<{ id: number }>(
        `insert into nodes (system_id, hostname, zone_id, pool_id, architecture, status, cpu_count, memory, power_type, power_parameters, status_message)
         select 'b' || lpad(to_hex(i), 5, '0'), 'bench-' || i, 1, 0, 'amd64/generic', 4, 8, 16384, 'ipmi', '{"power_address":"10.0.0.1","power_pass":"x"}'::jsonb, 'Ready'
           from unnest($1::int[]) as i returning id`, [idx]);
      const ids = rows.map((r) => r.id);
      await q.query(
        `insert into interfaces (node_id, name, mac_address, vlan_id, is_boot)
         select id, 'eth' || k, '52:54:' || lpad(to_hex(id >> 16 & 255), 2, '0') || ':' || lpad(to_hex(id >> 8 & 255), 2, '0') || ':' || lpad(to_hex(id & 255), 2, '0') || ':0' || k, 5001, k = 0
           from unnest($1::int[]) as id, generate_series(0, 1) as k`, [ids]);
      await q.query(
        `insert into block_devices (node_id, name, model, serial, id_path, size, tags, is_boot)
         select id, 'sd' || chr(97 + k), 'QEMU HARDDISK', 'QM' || id || k, '/dev/disk/by-id/ata-QM' || id || k, 500107862016, '{ssd,rotary}', k = 0
           from unnest($1::int[]) as id, generate_series(0, 1) as k`, [ids]);
    });
  }
}

/** Runs `runs` signed GET machines/<id>/ requests from a worker thread; returns their latencies (ms). */
function singleReadsInWorker(base: string, apiKey: string, machines: number, runs: number): Promise<number[]> {
  const code = `
    const { parentPort, workerData: { base, apiKey, machines, runs, warmup } } = require('node:worker_threads');
    const { randomBytes } = require('node:crypto');
    const http = require('node:http');
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const [ck, tk, ts] = apiKey.split(':');
    const auth = () => 'OAuth oauth_consumer_key="' + ck + '", oauth_token="' + tk + '", oauth_signature_method="PLAINTEXT", oauth_signature="%26' + ts +
      '", oauth_timestamp="' + Math.floor(Date.now() / 1000) + '", oauth_nonce="' + randomBytes(16).toString('hex') + '", oauth_version="1.0"';
    const id = (i) => 'b' + (i % machines).toString(16).padStart(5, '0');
    const get = (url) => new Promise((resolve, reject) => {
      http.get(url, { agent, headers: { Authorization: auth() } }, (res) => {
        let bytes = 0;
        res.on('data', (c) => { bytes += c.length; });
        res.on('end', () => (res.statusCode === 200 && bytes > 0 ? resolve() : reject(new Error('status ' + res.statusCode))));
        res.on('error', reject);
      }).on('error', reject);
    });
    (async () => {
      for (let i = 0; i < warmup; i++) await get(base + 'machines/' + id(i) + '/');
      const out = [];
      for (let i = 0; i < runs; i++) {
        const t = performance.now();
        await get(base + 'machines/' + id(i * 7919) + '/');
        out.push(performance.now() - t);
      }
      parentPort.postMessage(out);
    })().catch((e) => { throw e; });`;
  return new Promise((resolve, reject) => {
    const w = new Worker(code, { eval: true, workerData: { base, apiKey, machines, runs, warmup: WARMUP } });
    w.once('message', (m: number[]) => { resolve(m); void w.terminate(); });
    w.once('error', reject);
  });
}

const pct = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]; };

async function runOne(kind: 'pglite' | 'postgres') {
  const store = await openTestStore(kind);
  const svc = { db: store.db, log: quiet, now: () => new Date() };
  const t0 = performance.now();
  await seed(store.db, MACHINES);
  const seedS = (performance.now() - t0) / 1000;
  const admin = await createAdmin(svc, { username: 'admin', password: 'pw', email: 'a@b.c' });
  const [ck, tk, ts] = admin.apiKey.split(':');
  const { app } = buildRegionServer({ svc, handlers: HANDLERS, deps: { version: 'bench' }, logger: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}/MAAS/api/2.0/`;
  const get = async (path: string) => {
    const url = base + path;
    const t = performance.now();
    const res = await fetch(url, { headers: { Authorization: signRequest({ method: 'GET', url, consumerKey: ck, token: tk, tokenSecret: ts }) } });
    const body = await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
    return { ms: performance.now() - t, bytes: body.byteLength };
  };
  // Single-machine reads from a worker thread: the client's own work and garbage collection stay off
  // the server's event loop, as with a real remote client.
  await get('machines/'); // warm-up: fills the render cache
  // The server's own pauses while the single reads run: young/old collections on this thread, event-loop delay.
  const gcs: number[] = [];
  const gcObs = new PerformanceObserver((l) => { for (const e of l.getEntries()) gcs.push(e.duration); });
  gcObs.observe({ entryTypes: ['gc'] });
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  loopDelay.enable();
  const one = await singleReadsInWorker(base, admin.apiKey, MACHINES, ONE_RUNS);
  loopDelay.disable();
  gcObs.disconnect();
  const list: number[] = [];
  let bytes = 0;
  for (let i = 0; i < LIST_RUNS; i++) { const r = await get('machines/'); list.push(r.ms); bytes = r.bytes; }
  await app.close();
  await store.drop();
  return { kind, seedS, listP50: pct(list, 50), listP99: pct(list, 99), oneP50: pct(one, 50), oneP99: pct(one, 99), mb: bytes / 1e6,
    gcN: gcs.length, gcMax: Math.max(0, ...gcs), loopP99: loopDelay.percentile(99) / 1e6 };
}

const results = [];
for (const kind of BACKENDS) {
  const r = await runOne(kind);
  results.push(r);
  console.log(`${kind.padEnd(8)} seed ${MACHINES} in ${r.seedS.toFixed(1)} s | GET machines/ (${r.mb.toFixed(1)} MB): p50 ${r.listP50.toFixed(0)} ms, p99 ${r.listP99.toFixed(0)} ms | GET machines/<id>/: p50 ${r.oneP50.toFixed(2)} ms, p99 ${r.oneP99.toFixed(2)} ms (server meanwhile: ${r.gcN} GC pauses, longest ${r.gcMax.toFixed(1)} ms; event-loop delay p99 ${r.loopP99.toFixed(1)} ms)`);
}
clearInterval(sampler);
console.log(`summary: ${results.map((r) => `${r.kind} list p50 ${r.listP50.toFixed(0)}ms p99 ${r.listP99.toFixed(0)}ms, one p50 ${r.oneP50.toFixed(2)}ms p99 ${r.oneP99.toFixed(2)}ms`).join('; ')}; ${MACHINES} machines; peak RSS ${(peakRss / 1048576).toFixed(0)} MiB`);

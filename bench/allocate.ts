/**
 * bench/allocate.ts — `POST machines/?op=allocate` latency with 10,000 Ready machines (varied CPU and
 * memory, 2 disks and 2 interfaces each) and 500 tags (5 per machine), on PostgreSQL and PGlite, over
 * real HTTP with OAuth-signed requests. Each run allocates, then the machine is released by SQL so
 * every run sees the same fleet. Several constraint mixes: none, tags+zone, storage labels, interfaces.
 * Run: npx tsx bench/allocate.ts [--machines N] [--tags N] [--runs N] [--backends postgres,pglite]
 */
import { buildRegionServer } from '../src/edges/http/region-server.ts';
import { HANDLERS } from '../src/edges/maas/handlers/index.ts';
import { createAdmin } from '../src/services/admin.ts';
import { signRequest } from '../src/edges/maas/wire/oauth.ts';
import type { Db } from '../src/store/db.ts';
import { openTestStore } from '../test/helpers/backends.ts';

const arg = (name: string, def: string) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] : def; };
const MACHINES = Number(arg('machines', '10000'));
const TAGS = Number(arg('tags', '500'));
const RUNS = Number(arg('runs', '200'));
const BACKENDS = arg('backends', 'postgres,pglite').split(',') as Array<'pglite' | 'postgres'>;
const quiet = { info() {}, warn() {}, error() {} };

const MIXES: Array<[string, Array<[string, string]>]> = [
  ['none', []],
  ['tags+zone', [['tags', 'tag-7'], ['zone', 'default'], ['not_tags', 'tag-8']]],
  ['storage', [['storage', 'root:100(ssd),data:400']]],
  ['interfaces', [['interfaces', 'a:vid=0;b:name=eth1'], ['cpu_count', '8']]],
];

async function seed(db: Db) {
  await db.query(`insert into tags (name) select 'tag-' || i from generate_series(0, $1::int - 1) i`, [TAGS]);
  const batch = 1000;
  for (let start = 0; start < MACHINES; start += batch) {
    const idx = Array.from({ length: Math.min(batch, MACHINES - start) }, (_, i) => start + i);
    await db.tx(async (q) => {
      const rows = await q.query<{ id: number }>(
        `insert into nodes (system_id, hostname, zone_id, pool_id, architecture, status, cpu_count, memory, status_message)
         select 'a' || lpad(to_hex(i), 5, '0'), 'alloc-' || i, 1, 0, 'amd64/generic', 4, 4 + (i * 7) % 60, 8192 * (1 + (i * 13) % 32), 'Ready'
           from unnest($1::int[]) as i returning id`, [idx]);
      const ids = rows.map((r) => r.id);
      await q.query(
        `insert into interfaces (node_id, name, mac_address, vlan_id, is_boot, link_speed)
         select id, 'eth' || k, '52:55:' || lpad(to_hex(id >> 16 & 255), 2, '0') || ':' || lpad(to_hex(id >> 8 & 255), 2, '0') || ':' || lpad(to_hex(id & 255), 2, '0') || ':0' || k, 5001, k = 0, 10000
           from unnest($1::int[]) as id, generate_series(0, 1) as k`, [ids]);
      await q.query(
        `insert into block_devices (node_id, name, model, serial, size, tags, is_boot)
         select id, 'sd' || chr(97 + k), 'BENCH DISK', 'BD' || id || k, case k when 0 then 240000000000 else 960000000000 end,
                case k when 0 then '{ssd}'::text[] else '{rotary}'::text[] end, k = 0
           from unnest($1::int[]) as id, generate_series(0, 1) as k`, [ids]);
      await q.query(
        `insert into node_tags (node_id, tag_id) select u.nid, t.id from unnest($1::int[]) as u(nid)
           join tags t on t.name in ('tag-' || (u.nid % $2::int), 'tag-' || ((u.nid * 3) % $2::int), 'tag-' || ((u.nid * 7) % $2::int),
                                     'tag-' || ((u.nid * 11) % $2::int), 'tag-' || ((u.nid * 17) % $2::int))
         on conflict do nothing`, [ids, TAGS]);
    });
  }
  await db.query('analyze');
}

const pct = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]; };

async function runOne(kind: 'pglite' | 'postgres') {
  const store = await openTestStore(kind);
  const svc = { db: store.db, log: quiet, now: () => new Date() };
  const t0 = performance.now();
  await seed(store.db);
  const seedS = (performance.now() - t0) / 1000;
  const admin = await createAdmin(svc, { username: 'admin', password: 'pw', email: 'a@b.c' });
  const [ck, tk, ts] = admin.apiKey.split(':');
  const { app } = buildRegionServer({ svc, handlers: HANDLERS, deps: { version: 'bench' }, logger: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}/MAAS/api/2.0/machines/?op=allocate`;
  const allocate = async (fields: Array<[string, string]>) => {
    const body = new URLSearchParams(fields).toString();
    const t = performance.now();
    const res = await fetch(url, {
      method: 'POST', body,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: signRequest({ method: 'POST', url, consumerKey: ck, token: tk, tokenSecret: ts }) },
    });
    const json = await res.json() as { system_id?: string };
    if (res.status !== 200) throw new Error(`allocate ${JSON.stringify(fields)}: ${res.status} ${JSON.stringify(json)}`);
    return { ms: performance.now() - t, systemId: json.system_id! };
  };
  const out: Record<string, { p50: number; p99: number }> = {};
  for (const [name, fields] of MIXES) {
    for (let i = 0; i < 10; i++) { const w = await allocate(fields); await store.db.query('update nodes set status = 4, owner_id = null where system_id = $1', [w.systemId]); }
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const r = await allocate(fields);
      times.push(r.ms);
      await store.db.query('update nodes set status = 4, owner_id = null, agent_name = \'\' where system_id = $1', [r.systemId]);
    }
    out[name] = { p50: pct(times, 50), p99: pct(times, 99) };
  }
  await app.close();
  await store.drop();
  return { kind, seedS, out };
}

const parts: string[] = [];
for (const kind of BACKENDS) {
  const r = await runOne(kind);
  const mixes = Object.entries(r.out).map(([n, v]) => `${n} p50 ${v.p50.toFixed(1)}ms p99 ${v.p99.toFixed(1)}ms`).join(', ');
  console.log(`${kind.padEnd(8)} seeded ${MACHINES} machines / ${TAGS} tags in ${r.seedS.toFixed(1)} s | ${mixes}`);
  parts.push(`${kind}: ${mixes}`);
}
console.log(`summary: allocate with ${MACHINES} machines, ${TAGS} tags, ${RUNS} runs per mix — ${parts.join(' | ')}`);

/**
 * bench/ipam.ts — address allocation and release latency with 50,000 assigned addresses across 200
 * subnets (250 per /23, plus a reserved and a dynamic range each), on PostgreSQL and PGlite.
 * Measures the use cases themselves (transaction, per-subnet advisory lock, usage load, lowest-free
 * pick, insert; release), one at a time, on random subnets: p50/p99 per operation.
 * Run: npx tsx bench/ipam.ts [--subnets N] [--per-subnet N] [--runs N] [--backends postgres,pglite]
 */
import { createAdmin } from '../src/services/admin.ts';
import type { Actor, ServiceContext } from '../src/services/context.ts';
import { releaseAddress, reserveAddress } from '../src/services/network/ipaddresses.ts';
import { createRange } from '../src/services/network/ipranges.ts';
import { createSubnet } from '../src/services/network/subnets.ts';
import { openTestStore } from '../test/helpers/backends.ts';

const arg = (name: string, def: string) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] : def; };
const SUBNETS = Number(arg('subnets', '200'));
const PER_SUBNET = Number(arg('per-subnet', '250'));
const RUNS = Number(arg('runs', '1000'));
const BACKENDS = arg('backends', 'postgres,pglite').split(',') as Array<'pglite' | 'postgres'>;
const quiet = { info() {}, warn() {}, error() {} };

const pct = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]; };
const ms = (x: number) => `${x.toFixed(2)} ms`;

/** Subnet i is 10.(100 + i / 128).(2 · (i mod 128)).0/23; `host` counts from its network address. */
const addr = (i: number, host: number) => `10.${100 + Math.floor(i / 128)}.${2 * (i % 128) + Math.floor(host / 256)}.${host % 256}`;

async function seed(svc: ServiceContext, admin: Actor): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < SUBNETS; i++) {
    const s = await createSubnet(svc, admin, { cidr: `${addr(i, 0)}/23`, gateway_ip: addr(i, 1) });
    await createRange(svc, admin, { subnet: String(s.id), type: 'reserved', start_ip: addr(i, 2), end_ip: addr(i, 9) });
    await createRange(svc, admin, { subnet: String(s.id), type: 'dynamic', start_ip: addr(i, 400), end_ip: addr(i, 499) });
    ids.push(s.id);
  }
  // PER_SUBNET assigned addresses each, from .10 up, inserted in bulk.
  for (let i = 0; i < SUBNETS; i += 20) {
    const ips: string[] = [];
    const subnets: number[] = [];
    for (let k = i; k < Math.min(SUBNETS, i + 20); k++) {
      for (let h = 0; h < PER_SUBNET; h++) { ips.push(addr(k, 10 + h)); subnets.push(ids[k]); }
    }
    await svc.db.query(
      'insert into static_ip_addresses (ip, alloc_type, subnet_id, user_id) select ip, 4, s, $3 from unnest($1::text[], $2::int[]) as t(ip, s)',
      [ips, subnets, admin.id]);
  }
  return ids;
}

async function runOne(kind: 'pglite' | 'postgres') {
  const store = await openTestStore(kind);
  const svc: ServiceContext = { db: store.db, log: quiet, now: () => new Date() };
  try {
    await createAdmin(svc, { username: 'admin', password: 'pw', email: 'a@b.c' });
    const [{ id }] = await store.db.query<{ id: number }>("select id from users where username = 'admin'");
    const admin: Actor = { id, username: 'admin', isAdmin: true };
    const t0 = performance.now();
    const ids = await seed(svc, admin);
    const [{ n }] = await store.db.query<{ n: number }>('select count(*)::int as n from static_ip_addresses');
    console.log(`${kind}: seeded ${ids.length} subnets, ${n} assigned addresses in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const alloc: number[] = [];
    const release: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const subnet = String(ids[Math.floor(Math.random() * ids.length)]);
      let t = performance.now();
      const got = await reserveAddress(svc, admin, { subnet });
      alloc.push(performance.now() - t);
      t = performance.now();
      await releaseAddress(svc, admin, { ip: got.items[0].ip! });
      release.push(performance.now() - t);
    }
    const line = { kind, allocP50: pct(alloc, 50), allocP99: pct(alloc, 99), releaseP50: pct(release, 50), releaseP99: pct(release, 99) };
    console.log(`${kind}: allocate p50 ${ms(line.allocP50)} p99 ${ms(line.allocP99)}; release p50 ${ms(line.releaseP50)} p99 ${ms(line.releaseP99)} (${RUNS} runs)`);
    return line;
  } finally {
    await store.drop();
  }
}

const results = [];
for (const kind of BACKENDS) results.push(await runOne(kind));
console.log(`SUMMARY ipam (${SUBNETS} subnets × ${PER_SUBNET} assigned = ${SUBNETS * PER_SUBNET}): ` +
  results.map((r) => `${r.kind} alloc p50 ${ms(r.allocP50)} p99 ${ms(r.allocP99)}, release p50 ${ms(r.releaseP50)} p99 ${ms(r.releaseP99)}`).join('; '));

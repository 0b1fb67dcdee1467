/**
 * Property test: random sequences of range and assignment operations, after each of which the
 * sweep-based IPAM must agree exactly with a brute-force model that looks at every address of
 * the subnet one by one (/24 and /22 IPv4, /120 IPv6, and the small edge prefixes).
 * The PRNG is seeded (mulberry32); a failure prints the seed and step to replay it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatValue, parseCidr, parseIp, type IpNetwork } from '../../src/domain/network/ip.ts';
import { checkStatic, IpExhaustedError, pickAuto, reservedRanges, unreservedRanges, type IpamRange, type UsedAddress } from '../../src/domain/network/ipam.ts';
import { percentString, statistics } from '../../src/domain/network/statistics.ts';

/** mulberry32: a small, well-mixed 32-bit PRNG (deterministic per seed). */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)), chance: (p: number) => next() < p };
}

interface State {
  cidr: string;
  managed: boolean;
  gateway: string | null;
  dns: string[];
  routeGws: string[];
  ranges: IpamRange[];
  used: { ip: string; alloc_type: 0 | 1 | 4 | 5 | 6 }[];
}

/** The reference: every address of the subnet with the set of reasons it is in use. */
function model(st: State, net: IpNetwork) {
  const size = Number(1n << BigInt((net.version === 4 ? 32 : 128) - net.prefix));
  const off = (text: string): number | null => {
    const a = parseIp(text);
    if (a.version !== net.version) return null;
    const o = Number(a.value - net.network);
    return o >= 0 && o < size ? o : null;
  };
  const purposes: Set<string>[] = Array.from({ length: size }, () => new Set<string>());
  const mark = (o: number | null, p: string) => o !== null && purposes[o].add(p);
  if (net.version === 6 && net.prefix < 127) mark(0, 'rfc-4291-2.6.1');
  if (st.gateway) mark(off(st.gateway), 'gateway-ip');
  for (const g of st.routeGws) mark(off(g), 'gateway-ip');
  for (const d of st.dns) mark(off(d), 'dns-server');
  for (const u of st.used) mark(off(u.ip), 'assigned-ip');
  for (const r of st.ranges) for (let o = off(r.start_ip)!; o <= off(r.end_ip)!; o++) mark(o, r.type);
  const skipNet = net.version === 4 ? net.prefix < 31 : net.prefix < 127;
  const skipBcast = net.version === 4 && net.prefix < 31;
  const inUniverse = (o: number) => !(skipNet && o === 0) && !(skipBcast && o === size - 1);
  const available = (o: number) => inUniverse(o) && purposes[o].size === 0;
  const nonReserved = (o: number) => [...purposes[o]].some((p) => p !== 'reserved');
  const assignable = (o: number) => (st.managed ? available(o) : purposes[o].has('reserved') && !nonReserved(o) && inUniverse(o));
  const present = (o: number) => inUniverse(o) || purposes[o].size > 0;
  return { size, purposes, available, assignable, present, addr: (o: number) => formatValue(net.version, net.network + BigInt(o)) };
}

function runs(size: number, pred: (o: number) => boolean): [number, number][] {
  const out: [number, number][] = [];
  for (let o = 0; o < size; o++) {
    if (!pred(o)) continue;
    if (out.length > 0 && out[out.length - 1][1] === o - 1) out[out.length - 1][1] = o;
    else out.push([o, o]);
  }
  return out;
}

function checkAgainstModel(st: State, where: string) {
  const net = parseCidr(st.cidr);
  const m = model(st, net);
  const subnet = { cidr: st.cidr, gateway_ip: st.gateway, dns_servers: st.dns, managed: st.managed };
  const opts = { staticRouteGateways: st.routeGws };
  const used: UsedAddress[] = st.used;

  // unreserved_ip_ranges and pickAuto
  const free = runs(m.size, m.assignable).map(([a, b]) => ({ start: m.addr(a), end: m.addr(b), num_addresses: b - a + 1 }));
  assert.deepEqual(unreservedRanges(subnet, st.ranges, used, opts), free, `${where}: unreservedRanges`);
  if (free.length > 0) assert.equal(pickAuto(subnet, st.ranges, used, opts), free[0].start, `${where}: pickAuto`);
  else assert.throws(() => pickAuto(subnet, st.ranges, used, opts), IpExhaustedError, `${where}: pickAuto exhaustion`);

  // statistics (counts, bounds, strings, ranges, suggestions)
  let available = 0;
  let unavailable = 0;
  for (let o = 0; o < m.size; o++) {
    if (m.available(o)) available++;
    else if (m.purposes[o].size > 0) unavailable++;
  }
  const total = available + unavailable;
  const availRuns = runs(m.size, m.available);
  const largest = Math.max(0, ...availRuns.map(([a, b]) => b - a + 1));
  const presentRuns = runs(m.size, m.present);
  const stats = statistics(subnet, st.ranges, used, { ...opts, includeRanges: true, includeSuggestions: true });
  assert.equal(stats.num_available, available, `${where}: num_available`);
  assert.equal(stats.num_unavailable, unavailable, `${where}: num_unavailable`);
  assert.equal(stats.total_addresses, total, `${where}: total_addresses`);
  assert.equal(stats.largest_available, largest, `${where}: largest_available`);
  assert.equal(stats.usage, unavailable / total, `${where}: usage`);
  assert.equal(stats.usage_string, percentString(unavailable / total));
  assert.equal(stats.available_string, percentString(available / total));
  assert.equal(stats.first_address, m.addr(presentRuns[0][0]), `${where}: first_address`);
  assert.equal(stats.last_address, m.addr(presentRuns[presentRuns.length - 1][1]), `${where}: last_address`);
  assert.equal(stats.ip_version, net.version);
  const unusedOut = stats.ranges!.filter((r) => r.purpose.includes('unused'));
  assert.deepEqual(unusedOut.map((r) => [r.start, r.end]), availRuns.map(([a, b]) => [m.addr(a), m.addr(b)]), `${where}: unused ranges`);

  // reserved_ip_ranges: covers exactly the in-use addresses; each span's purposes are the union of its addresses'
  const reserved = reservedRanges(subnet, st.ranges, used, opts);
  assert.deepEqual(stats.ranges!.filter((r) => !r.purpose.includes('unused')), reserved, `${where}: statistics ranges vs reserved`);
  const covered = new Set<number>();
  let prevEnd = -1;
  for (const r of reserved) {
    const a = Number(parseIp(r.start).value - net.network);
    const b = Number(parseIp(r.end).value - net.network);
    assert.ok(a > prevEnd && b >= a && r.num_addresses === b - a + 1, `${where}: reserved spans sorted and disjoint`);
    prevEnd = b;
    const union = new Set<string>();
    for (let o = a; o <= b; o++) {
      assert.ok(m.purposes[o].size > 0, `${where}: ${m.addr(o)} reported in use`);
      covered.add(o);
      for (const p of m.purposes[o]) union.add(p);
    }
    assert.deepEqual(r.purpose, [...union].sort(), `${where}: purposes of ${r.start}-${r.end}`);
  }
  for (let o = 0; o < m.size; o++) if (m.purposes[o].size > 0) assert.ok(covered.has(o), `${where}: ${m.addr(o)} missing from reserved ranges`);

  // suggestions, recomputed from the per-address runs
  const hasGw = m.purposes.some((p) => p.has('gateway-ip'));
  const hasDyn = m.purposes.some((p) => p.has('dynamic'));
  let gw: number | null = null;
  if (!hasGw && presentRuns.length > 0) {
    if (net.version === 6) gw = total <= 2 ? null : 0;
    else {
      const first = presentRuns[0][0];
      const last = presentRuns[presentRuns.length - 1][1];
      gw = m.available(first) ? first : m.available(last) ? last : (availRuns[0]?.[0] ?? null);
    }
  }
  assert.equal(stats.suggested_gateway, gw === null ? null : m.addr(gw), `${where}: suggested_gateway`);
  let dyn: [number, number] | null = null;
  if (!hasDyn && availRuns.length > 0) {
    const [la, lb] = availRuns.reduce((best, r) => (r[1] - r[0] >= best[1] - best[0] ? r : best));
    if (!(gw !== null && la === lb)) {
      let [a, b] = [la, lb];
      if (gw !== null && gw >= a && gw <= b) [a, b] = gw === a ? [a + 1, b] : [a, b - 1];
      if (b - a + 1 > total >> 2) a = b - (total >> 2);
      else if (b - a + 1 >= available >> 1) a = b - (available >> 1) + 1;
      if (a < b) dyn = [a, b];
    }
  }
  assert.deepEqual(
    stats.suggested_dynamic_range,
    dyn ? { start: m.addr(dyn[0]), end: m.addr(dyn[1]), num_addresses: dyn[1] - dyn[0] + 1, purpose: ['proposed-dynamic'] } : null,
    `${where}: suggested_dynamic_range`,
  );

  // checkStatic agrees with "assignable" on the edges, the assignable set's bounds and a sample
  const sample = new Set([0, 1, m.size - 2, m.size - 1, ...free.flatMap((f) => [f.start, f.end].map((t) => Number(parseIp(t).value - net.network)))]);
  for (let i = 0; i < 24; i++) sample.add(Math.floor(((i + 0.5) / 24) * m.size));
  for (const o of [...sample].filter((x) => x >= 0 && x < m.size)) {
    const r = checkStatic(m.addr(o), subnet, st.ranges, used, opts);
    assert.equal(r.ok, m.assignable(o), `${where}: checkStatic ${m.addr(o)} → ${JSON.stringify(r)}`);
  }
}

function randomOp(st: State, net: IpNetwork, r: ReturnType<typeof rng>) {
  const size = Number(1n << BigInt((net.version === 4 ? 32 : 128) - net.prefix));
  const lo = net.version === 4 ? (net.prefix < 31 ? 1 : 0) : net.prefix < 127 ? 1 : 0;
  const hi = net.version === 4 && net.prefix < 31 ? size - 2 : size - 1;
  const at = () => formatValue(net.version, net.network + BigInt(r.int(lo, hi)));
  const anywhere = () => formatValue(net.version, net.network + BigInt(r.int(0, size - 1)));
  const roll = r.next();
  if (roll < 0.2) {
    const a = r.int(lo, hi);
    const b = Math.min(hi, a + r.int(0, Math.max(1, Math.floor(size / 6))));
    const v = (o: number) => formatValue(net.version, net.network + BigInt(o));
    st.ranges.push({ type: r.chance(0.5) ? 'reserved' : 'dynamic', start_ip: v(a), end_ip: v(b) });
  } else if (roll < 0.3 && st.ranges.length > 0) {
    st.ranges.splice(r.int(0, st.ranges.length - 1), 1);
  } else if (roll < 0.55) {
    const subnet = { cidr: st.cidr, gateway_ip: st.gateway, dns_servers: st.dns, managed: st.managed };
    try {
      st.used.push({ ip: pickAuto(subnet, st.ranges, st.used, { staticRouteGateways: st.routeGws }), alloc_type: 0 });
    } catch (e) {
      if (!(e instanceof IpExhaustedError)) throw e;
    }
  } else if (roll < 0.7) {
    st.used.push({ ip: anywhere(), alloc_type: r.chance(0.3) ? 6 : r.chance(0.5) ? 1 : 5 });
  } else if (roll < 0.8 && st.used.length > 0) {
    st.used.splice(r.int(0, st.used.length - 1), 1);
  } else if (roll < 0.87) {
    st.gateway = r.chance(0.8) ? at() : null;
  } else if (roll < 0.93) {
    st.dns = r.chance(0.7) ? [at(), net.version === 4 ? '192.0.2.53' : '2001:db8:ffff::53'] : [];
  } else if (roll < 0.96) {
    st.routeGws = r.chance(0.7) ? [at()] : [];
  } else {
    st.managed = !st.managed;
  }
}

const subnets: [string, number, number][] = [
  // cidr, trials, operations per trial
  ['10.20.30.0/24', 40, 25],
  ['10.20.28.0/22', 12, 25],
  ['2001:db8:5::100/120', 40, 25],
  ['10.0.0.0/29', 30, 15],
  ['10.0.0.4/31', 20, 10],
  ['10.0.0.9/32', 10, 8],
  ['2001:db8::/127', 20, 10],
];

for (const [cidr, trials, ops] of subnets) {
  test(`sweep IPAM equals the per-address model on ${cidr}`, () => {
    const net = parseCidr(cidr);
    for (let trial = 0; trial < trials; trial++) {
      const seed = 0x5eed0000 + trial * 7919 + net.prefix;
      const r = rng(seed);
      const st: State = { cidr, managed: r.chance(0.7), gateway: null, dns: [], routeGws: [], ranges: [], used: [] };
      // Someone else's addresses: other subnet, other family. They must be ignored.
      st.used.push({ ip: net.version === 4 ? '172.16.0.1' : '10.0.0.1', alloc_type: 0 });
      for (let step = 0; step < ops; step++) {
        randomOp(st, net, r);
        checkAgainstModel(st, `seed ${seed} step ${step}`);
      }
    }
  });
}

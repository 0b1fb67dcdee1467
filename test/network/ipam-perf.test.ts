/**
 * IPAM cost: a /16 with 50,000 used addresses must be answered in milliseconds, and the cost
 * must not grow with the size of the address space (a /8 and an IPv6 /64 are as quick as a /24).
 * Limits are CPU time per call, generous for a loaded 2-core CI machine; the measured figures are
 * printed as test diagnostics.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkStatic, pickAuto, reservedRanges, unreservedRanges } from '../../src/domain/network/ipam.ts';
import { statistics } from '../../src/domain/network/statistics.ts';

function cpuMs(f: () => unknown, rounds = 5): number {
  f(); // warm up
  const start = process.cpuUsage();
  for (let i = 0; i < rounds; i++) f();
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1000 / rounds;
}

/** 50,000 distinct addresses spread over 10.5.0.0/16 (a fixed LCG sequence). */
function used50k(): string[] {
  const out: string[] = [];
  const seen = new Set<number>();
  let x = 12345;
  while (out.length < 50_000) {
    x = (Math.imul(x, 1103515245) + 12345) & 0x7fffffff;
    const o = 2 + (x % 65_000);
    if (!seen.has(o)) {
      seen.add(o);
      out.push(`10.5.${o >> 8}.${o & 255}`);
    }
  }
  return out;
}

test('a /16 with 50,000 used addresses', (t) => {
  const used = used50k();
  const subnet = { cidr: '10.5.0.0/16', gateway_ip: '10.5.0.1', dns_servers: ['10.5.0.2'], managed: true };
  const ranges = [
    { type: 'reserved' as const, start_ip: '10.5.0.1', end_ip: '10.5.0.100' },
    { type: 'dynamic' as const, start_ip: '10.5.254.0', end_ip: '10.5.255.254' },
  ];
  const ops: [string, () => unknown][] = [
    ['statistics', () => statistics(subnet, ranges, used)],
    ['statistics with ranges', () => statistics(subnet, ranges, used, { includeRanges: true, includeSuggestions: true })],
    ['pickAuto', () => pickAuto(subnet, ranges, used)],
    ['unreservedRanges', () => unreservedRanges(subnet, ranges, used)],
    ['reservedRanges', () => reservedRanges(subnet, ranges, used)],
    ['checkStatic', () => checkStatic('10.5.3.3', subnet, ranges, used)],
  ];
  for (const [name, op] of ops) {
    const ms = cpuMs(op);
    t.diagnostic(`${name}: ${ms.toFixed(1)} ms CPU`);
    assert.ok(ms < 300, `${name} took ${ms.toFixed(1)} ms CPU`);
  }
  const stats = statistics(subnet, ranges, used);
  assert.equal(stats.total_addresses, 65_534);
  assert.equal(stats.num_available + stats.num_unavailable, 65_534);
});

test('cost does not depend on the size of the address space', (t) => {
  const cases: [string, { cidr: string; gateway_ip: string; dns_servers: string[]; managed: boolean }, string[], number][] = [
    ['10.0.0.0/8', { cidr: '10.0.0.0/8', gateway_ip: '10.0.0.1', dns_servers: [], managed: true }, ['10.0.0.2', '10.200.0.9'], 16_777_214],
    ['2001:db8::/64', { cidr: '2001:db8::/64', gateway_ip: '2001:db8::1', dns_servers: [], managed: true }, ['2001:db8::1:0:5'], 2 ** 64],
    ['2001:db8::/32', { cidr: '2001:db8::/32', gateway_ip: '2001:db8::1', dns_servers: [], managed: true }, ['2001:db8:5::5'], 2 ** 96],
  ];
  for (const [name, subnet, used, total] of cases) {
    const ms = cpuMs(() => statistics(subnet, [], used, { includeRanges: true, includeSuggestions: true }), 20);
    t.diagnostic(`${name}: ${ms.toFixed(2)} ms CPU`);
    assert.ok(ms < 20, `${name} took ${ms.toFixed(2)} ms CPU`);
    assert.equal(statistics(subnet, [], used).total_addresses, total);
  }
  assert.equal(pickAuto({ cidr: '2001:db8::/64', gateway_ip: null, dns_servers: [], managed: true }, [], []), '2001:db8::1:0:0', 'a /64 keeps ::1 – ::ffff:ffff back');
});

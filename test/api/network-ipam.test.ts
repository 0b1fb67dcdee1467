/**
 * IPAM through the API on both stores: the worked example (10.1.20.0/24, reserved .1–.10, dynamic
 * .200–.254) managed and unmanaged, and a seeded random walk of API operations after each of which
 * statistics, reserved and unreserved ranges must equal a brute-force model of the subnet.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { statistics } from '../../src/domain/network/statistics.ts';
import { BACKENDS } from '../helpers/backends.ts';
import { startTestRegion, type TestRegion } from '../helpers/region.ts';

const ip = (n: number, net = '10.1.20') => `${net}.${n}`;

for (const kind of BACKENDS) {
  describe(`IPAM through the API (${kind})`, () => {
    let r: TestRegion;
    const post = (path: string, fields: Array<[string, string]>, key?: string) => r.api('POST', path, fields, key);
    const json = async (method: string, path: string, fields: Array<[string, string]> = []) => {
      const res = await r.api(method, path, fields);
      assert.equal(res.status, 200, `${method} ${path} → ${res.status} ${res.text}`);
      return res.json();
    };
    const subnet = async (cidr: string, fields: Array<[string, string]> = []) => (await json('POST', 'subnets/', [['cidr', cidr], ...fields])).id as number;
    const range = (s: number, type: string, a: string, b: string) => post('ipranges/', [['subnet', String(s)], ['type', type], ['start_ip', a], ['end_ip', b]]);
    before(async () => { r = await startTestRegion(kind); });
    after(async () => { await r.close(); });

    test('worked example, managed: automatic reservations hand out .11 … .199 in order, nothing else, then a clear 503', async () => {
      const s = await subnet('10.1.20.0/24', [['gateway_ip', ip(1)]]);
      assert.equal((await range(s, 'reserved', ip(1), ip(10))).status, 200);
      assert.equal((await range(s, 'dynamic', ip(200), ip(254))).status, 200);
      for (let n = 11; n <= 199; n++) {
        const res = await post('ipaddresses/?op=reserve', [['subnet', String(s)]]);
        assert.equal(res.status, 200, res.text);
        assert.equal(res.json().ip, ip(n));
      }
      const full = await post('ipaddresses/?op=reserve', [['subnet', '10.1.20.0/24']]);
      assert.equal(full.status, 503);
      assert.match(full.text, /^No more IPs available in subnet: 10\.1\.20\.0\/24\. Every address outside its reserved and dynamic ranges/);
      assert.equal((await post('ipaddresses/?op=release', [['ip', ip(42)]])).status, 204);
      assert.equal((await post('ipaddresses/?op=reserve', [['subnet', String(s)]])).json().ip, ip(42), 'a released address is reused first');
      const stats = await json('GET', `subnets/${s}/?op=statistics`);
      assert.deepEqual([stats.num_available, stats.num_unavailable, stats.total_addresses, stats.usage_string], [0, 254, 254, '100%']);
      assert.deepEqual(await json('GET', `subnets/${s}/?op=unreserved_ip_ranges`), []);
      const refusals: Array<[number, number, RegExp]> = [
        [0, 400, /network address/], [1, 400, /gateway/], [5, 400, /within the reserved range from 10\.1\.20\.1 to 10\.1\.20\.10/],
        [200, 400, /within the dynamic range from 10\.1\.20\.200 to 10\.1\.20\.254/], [255, 400, /broadcast address/], [150, 409, /already in use/],
      ];
      for (const [n, status, why] of refusals) {
        const res = await post('ipaddresses/?op=reserve', [['ip', ip(n)]]);
        assert.equal(res.status, status, `.${n}: ${res.text}`);
        assert.match(res.text, why);
      }
      const mine = await json('GET', 'ipaddresses/');
      assert.equal(mine.length, 189);
      assert.deepEqual([mine[0].alloc_type, mine[0].alloc_type_name, mine[0].owner.username, mine[0].subnet.id], [4, 'User reserved', 'admin', s]);
      assert.deepEqual(await json('GET', 'ipaddresses/?ip=10.1.20.11').then((x: any[]) => x.map((a) => a.ip)), [ip(11)]);
      const other = await r.api('POST', 'ipaddresses/?op=release', [['ip', ip(11)]], r.userKey);
      assert.equal(other.status, 404, 'alice cannot release the admin\'s reservation');
    });

    test('worked example, unmanaged: only the reserved range is assignable; dynamic ranges refused', async () => {
      const s = await subnet('10.1.30.0/24', [['gateway_ip', ip(1, '10.1.30')], ['managed', '0']]);
      assert.equal((await range(s, 'reserved', ip(1, '10.1.30'), ip(10, '10.1.30'))).status, 200);
      const dyn = await range(s, 'dynamic', ip(200, '10.1.30'), ip(254, '10.1.30'));
      assert.equal(dyn.status, 400);
      assert.match(dyn.json().type[0], /Dynamic ranges are refused on unmanaged subnet 10\.1\.30\.0\/24/);
      const outside = await post('ipaddresses/?op=reserve', [['ip', ip(50, '10.1.30')]]);
      assert.equal(outside.status, 400);
      assert.match(outside.json().ip[0], /not within a reserved range; subnet 10\.1\.30\.0\/24 is unmanaged/);
      for (let n = 2; n <= 10; n++) assert.equal((await post('ipaddresses/?op=reserve', [['subnet', String(s)]])).json().ip, ip(n, '10.1.30'));
      const full = await post('ipaddresses/?op=reserve', [['subnet', String(s)]]);
      assert.equal(full.status, 503);
      assert.match(full.text, /unmanaged, so addresses are only assigned from its reserved ranges, and every address in them is in use/);
      assert.deepEqual(await json('GET', `subnets/${s}/?op=unreserved_ip_ranges`), []);
    });

    test('random API operations: statistics and (un)reserved ranges always equal a brute-force model', async () => {
      let seed = Number(process.env.PLINTH_TEST_SEED ?? 20240611) >>> 0;
      const rand = (n: number) => { seed = (seed * 1103515245 + 12345) >>> 0; return (seed >>> 8) % n; };
      const net = '10.5.0';
      const s = await subnet(`${net}.0/25`);
      // The model: addresses 1..126 are the universe; what holds each is tracked here, independently of the domain.
      const held = new Set<number>();
      const ranges: Array<{ id: number; type: 'reserved' | 'dynamic'; a: number; b: number }> = [];
      let gateway: number | null = null;
      const inRange = (n: number) => ranges.find((x) => n >= x.a && n <= x.b);
      const busy = (n: number) => held.has(n) || n === gateway || !!inRange(n);
      const free = () => { const out: number[] = []; for (let n = 1; n <= 126; n++) if (!busy(n)) out.push(n); return out; };
      const runs = (ns: number[]) => {
        const out: Array<{ start: string; end: string; num_addresses: number }> = [];
        for (let i = 0; i < ns.length;) {
          let j = i;
          while (j + 1 < ns.length && ns[j + 1] === ns[j] + 1) j++;
          out.push({ start: ip(ns[i], net), end: ip(ns[j], net), num_addresses: ns[j] - ns[i] + 1 });
          i = j + 1;
        }
        return out;
      };
      const ops: Record<string, (...forced: any[]) => Promise<void>> = {
        async auto() {
          const res = await post('ipaddresses/?op=reserve', [['subnet', String(s)]]);
          const f = free();
          if (!f.length) return assert.equal(res.status, 503, res.text);
          assert.equal(res.json().ip, ip(f[0], net));
          held.add(f[0]);
        },
        async exact(n: number = 1 + rand(126)) {
          const res = await post('ipaddresses/?op=reserve', [['ip', ip(n, net)]]);
          assert.equal(res.status, n === gateway || inRange(n) ? 400 : held.has(n) ? 409 : 200, `.${n}: ${res.text}`);
          if (res.status === 200) held.add(n);
        },
        async release() {
          const list = [...held];
          if (!list.length) return;
          const n = list[rand(list.length)];
          assert.equal((await post('ipaddresses/?op=release', [['ip', ip(n, net)]])).status, 204);
          held.delete(n);
        },
        async addRange(type: 'reserved' | 'dynamic' = rand(2) ? 'reserved' : 'dynamic', a: number = 1 + rand(126), b: number = Math.min(126, a + rand(12))) {
          const res = await range(s, type, ip(a, net), ip(b, net));
          let clash = ranges.some((x) => x.a <= b && x.b >= a);
          if (type === 'dynamic') for (let n = a; n <= b; n++) if (held.has(n) || n === gateway) clash = true;
          assert.equal(res.status, clash ? 400 : 200, `${type} .${a}-.${b}: ${res.text}`);
          if (res.status === 200) ranges.push({ id: res.json().id, type, a, b });
        },
        async dropRange() {
          if (!ranges.length) return;
          const [x] = ranges.splice(rand(ranges.length), 1);
          assert.equal((await r.api('DELETE', `ipranges/${x.id}/`)).status, 204);
        },
        async setGateway() {
          const n = 1 + rand(126);
          const res = await r.api('PUT', `subnets/${s}/`, [['gateway_ip', ip(n, net)]]);
          const inDynamic = inRange(n)?.type === 'dynamic';
          assert.equal(res.status, inDynamic ? 400 : 200, res.text);
          if (res.status === 200) gateway = n;
        },
      };
      // A fixed prologue takes every accepting and refusing path once; then the seeded random walk.
      const prologue: Array<[string, unknown[]]> = [
        ['auto', []], ['exact', [50]], ['exact', [50]], ['addRange', ['reserved', 60, 70]], ['addRange', ['reserved', 65, 75]],
        ['exact', [65]], ['addRange', ['dynamic', 80, 90]], ['addRange', ['dynamic', 45, 55]], ['setGateway', []], ['release', []],
      ];
      const names = Object.keys(ops);
      const weights = ['auto', 'auto', 'auto', 'exact', 'exact', 'release', 'release', 'addRange', 'addRange', 'addRange', 'dropRange', 'dropRange', 'setGateway'];
      for (let step = 0; step < prologue.length + 100; step++) {
        const [name, forced] = step < prologue.length ? prologue[step] : [weights[rand(weights.length)], []];
        assert.ok(names.includes(name));
        await ops[name](...forced);
        const [stats, unreserved, reserved] = await Promise.all([
          json('GET', `subnets/${s}/?op=statistics&include_ranges=1&include_suggestions=1`),
          json('GET', `subnets/${s}/?op=unreserved_ip_ranges`),
          json('GET', `subnets/${s}/?op=reserved_ip_ranges`),
        ]);
        const f = free();
        const where = `step ${step} (${name}), seed ${process.env.PLINTH_TEST_SEED ?? 20240611}`;
        assert.deepEqual(unreserved, runs(f), where);
        let largest = 0;
        for (const x of runs(f)) largest = Math.max(largest, x.num_addresses);
        assert.deepEqual([stats.num_available, stats.num_unavailable, stats.total_addresses, stats.largest_available], [f.length, 126 - f.length, 126, largest], where);
        const busyList: number[] = [];
        for (let n = 1; n <= 126; n++) if (busy(n)) busyList.push(n);
        assert.deepEqual(reserved.flatMap((x: any) => {
          const out = [];
          for (let n = Number(x.start.split('.')[3]); n <= Number(x.end.split('.')[3]); n++) out.push(n);
          return out;
        }), busyList, where);
        const model = statistics(
          { cidr: `${net}.0/25`, gateway_ip: gateway === null ? null : ip(gateway, net), dns_servers: [], managed: true },
          ranges.map((x) => ({ type: x.type, start_ip: ip(x.a, net), end_ip: ip(x.b, net) })),
          [...held].map((n) => ip(n, net)),
          { includeRanges: true, includeSuggestions: true },
        );
        assert.deepEqual(stats, model, where);
      }
    });
  });
}

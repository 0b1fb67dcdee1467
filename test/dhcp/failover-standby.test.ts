/**
 * A failover secondary that takes over per client on its own, with neither primary nor region
 * telling it anything (src/edges/rack/dhcp/standby.ts), over real loopback UDP: each case is a
 * script of requests at given times (an injected clock: no sleeps) and what the standby must answer.
 *
 * Layout as in failover-split.test.ts: one relayed subnet, pools 127.42.0.100-199; the primary
 * (127.0.0.1, not running here) allocates .100-.149, the standby secondary (127.0.0.2) .150-.199.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { splitPools } from '../../src/domain/network/dhcp-failover.ts';
import { Opt } from '../../src/edges/rack/dhcp/codes.ts';
import { MemoryLeaseStore } from '../../src/edges/rack/dhcp/lease-store.ts';
import type { SubnetConfig } from '../../src/edges/rack/dhcp/config.ts';
import type { StandbyTakeover } from '../../src/edges/rack/dhcp/standby.ts';
import { craft, startHarness, ipBytes, messageType, T, type Harness, type RequestSpec } from './helpers/peer.ts';
import { testConfig, relayedSubnet, freshMac, RELAY_IP, SERVER_IP, RELAYED } from './helpers/fixtures.ts';

const PRIMARY_IP = SERVER_IP;
const SECONDARY_IP = '127.0.0.2';
const POOL = [{ start: '127.42.0.100', end: '127.42.0.199' }];
const T0 = Date.parse('2030-01-01T00:00:00Z');

const standbySubnet = (over: Partial<SubnetConfig> = {}): SubnetConfig => relayedSubnet({
  serverAddress: SECONDARY_IP, pools: POOL, allocate: splitPools(POOL, 'secondary'), standby: true,
  reservations: [{ mac: '52:54:00:aa:00:01', ip: '127.42.0.10', hostname: 'reserved-node' }], ...over,
});

interface Standby extends Harness {
  store: MemoryLeaseStore;
  takeovers: StandbyTakeover[];
  at(seconds: number): void;
}

async function startStandby(opts: { takeoverSecs?: number; maxClients?: number } = {}): Promise<Standby> {
  let now = T0;
  const store = new MemoryLeaseStore();
  const h = await startHarness({
    config: testConfig({ subnets: [standbySubnet()], ...(opts.takeoverSecs ? { takeoverSecs: opts.takeoverSecs } : {}) }),
    store, clock: () => now, sweepIntervalMs: 0,
    ...(opts.maxClients ? { standbyWatch: { maxClients: opts.maxClients } } : {}),
  });
  const takeovers: StandbyTakeover[] = [];
  h.server.onTakeover((t) => takeovers.push(t));
  return { ...h, store, takeovers, at: (s) => { now = T0 + s * 1000; } };
}

/** A lease the primary granted and the region pushed to the secondary (learned), or one of the secondary's own. */
async function knownLease(store: MemoryLeaseStore, mac: string, ip: string, learned = true): Promise<void> {
  await store.put({ ip, subnet: RELAYED, clientKey: `hw:1:${mac}`, mac, state: 'bound', expiresAt: T0 + 600_000, updatedAt: T0, learned });
}

const discover = (mac: string, secs = 0, wish?: string): RequestSpec =>
  ({ type: T.DISCOVER, mac, secs, giaddr: RELAY_IP, options: wish ? [[Opt.REQUESTED_IP, ipBytes(wish)]] : [] });
/** iPXE's DISCOVER: user class "iPXE", secs = (transmission count << 2) | 0x02 once it holds an offer. */
const ipxeDiscover = (mac: string, count: number, hasOffer: boolean): RequestSpec =>
  ({ type: T.DISCOVER, mac, secs: (count << 2) | (hasOffer ? 2 : 0), giaddr: RELAY_IP, options: [[Opt.VENDOR_CLASS, 'PXEClient:Arch:00000:UNDI:002001'], [Opt.USER_CLASS, 'iPXE']] });
const selecting = (mac: string, server: string, ip: string, secs = 0): RequestSpec =>
  ({ type: T.REQUEST, mac, secs, giaddr: RELAY_IP, options: [[Opt.SERVER_ID, ipBytes(server)], [Opt.REQUESTED_IP, ipBytes(ip)]] });
const initReboot = (mac: string, ip: string, secs = 0): RequestSpec =>
  ({ type: T.REQUEST, mac, secs, giaddr: RELAY_IP, options: [[Opt.REQUESTED_IP, ipBytes(ip)]] });
const rebinding = (mac: string, ip: string, secs = 0): RequestSpec => ({ type: T.REQUEST, mac, secs, giaddr: RELAY_IP, ciaddr: ip });

/** One step: at `t` seconds, send `req`; expect silence (null) or a reply of `type` for `ip`. */
type Step = { t: number; req: (mac: string, other: string) => RequestSpec; want: null | { type: number; ip: string } };
interface Case {
  name: string;
  takeoverSecs?: number;
  /** Leases known before the script: [whose ('x' the client, 'y' another), ip, learned]. */
  known?: Array<['x' | 'y', string, boolean]>;
  steps: Step[];
  /** Takeover replies counted (stats.takeovers) and the distinct clients (stats.takeoverClients). */
  takeovers?: [number, number];
}

const OFFER = (ip: string) => ({ type: T.OFFER, ip });
const ACK = (ip: string) => ({ type: T.ACK, ip });

const cases: Case[] = [
  { name: 'DISCOVER with secs 0: silent (the primary serves)', steps: [{ t: 0, req: (x) => discover(x), want: null }], takeovers: [0, 0] },
  { name: 'DISCOVER with secs 7 (below the threshold): silent', steps: [{ t: 0, req: (x) => discover(x, 7), want: null }] },
  { name: "DISCOVER with secs 8 (iPXE's second): OFFER from the secondary's own half", steps: [{ t: 0, req: (x) => discover(x, 8), want: OFFER('127.42.0.150') }], takeovers: [1, 1] },
  { name: "DISCOVER with secs 30 asking for an address of the primary's half: still its own half",
    steps: [{ t: 0, req: (x) => discover(x, 30, '127.42.0.101'), want: OFFER('127.42.0.150') }] },
  { name: "iPXE's first DISCOVER (secs 4): silent", steps: [{ t: 0, req: (x) => ipxeDiscover(x, 1, false), want: null }] },
  { name: "iPXE's second DISCOVER without an offer (secs 8): OFFER from the secondary's own half",
    steps: [{ t: 0, req: (x) => ipxeDiscover(x, 1, false), want: null }, { t: 1, req: (x) => ipxeDiscover(x, 2, false), want: OFFER('127.42.0.150') }], takeovers: [1, 1] },
  { name: "iPXE holding the primary's offer (secs 8|2, waiting for ProxyDHCP), then REQUEST naming the primary: silent",
    steps: [
      { t: 0, req: (x) => ipxeDiscover(x, 1, false), want: null }, { t: 1, req: (x) => ipxeDiscover(x, 2, true), want: null },
      { t: 2, req: (x) => ({ ...selecting(x, PRIMARY_IP, '127.42.0.100', (3 << 2) | 2), options: [...selecting(x, PRIMARY_IP, '127.42.0.100').options!, [Opt.USER_CLASS, 'iPXE']] }), want: null },
    ],
    takeovers: [0, 0] },
  { name: 'secs 10 from a client that is not iPXE (elapsed seconds): answered', steps: [{ t: 0, req: (x) => discover(x, 10), want: OFFER('127.42.0.150') }] },
  { name: 'takeoverSecs 3 (configured): secs 3 is answered', takeoverSecs: 3, steps: [{ t: 0, req: (x) => discover(x, 3), want: OFFER('127.42.0.150') }] },
  { name: 'then REQUEST naming the secondary: ACK (the client took its OFFER)',
    steps: [{ t: 0, req: (x) => discover(x, 8), want: OFFER('127.42.0.150') }, { t: 1, req: (x) => selecting(x, SECONDARY_IP, '127.42.0.150', 9), want: ACK('127.42.0.150') }],
    takeovers: [1, 1] },
  { name: 'REQUEST naming another server: silent, even at a high secs', steps: [{ t: 0, req: (x) => selecting(x, PRIMARY_IP, '127.42.0.100', 20), want: null }] },
  { name: 'observed retries with secs 0 (udhcpc): answered once seen trying for 8 s',
    steps: [
      { t: 0, req: (x) => discover(x), want: null }, { t: 3, req: (x) => discover(x), want: null },
      { t: 6, req: (x) => discover(x), want: null }, { t: 8, req: (x) => discover(x), want: OFFER('127.42.0.150') },
      { t: 9, req: (x) => discover(x), want: OFFER('127.42.0.150') },
    ],
    takeovers: [2, 1] },
  { name: 'observed retries: attempts more than 90 s apart start a new count',
    steps: [{ t: 0, req: (x) => discover(x), want: null }, { t: 100, req: (x) => discover(x), want: null }, { t: 104, req: (x) => discover(x), want: null }] },
  { name: 'a primary-alive client (DISCOVER, then REQUEST naming the primary, twice) is never answered',
    steps: [
      { t: 0, req: (x) => discover(x), want: null }, { t: 1, req: (x) => selecting(x, PRIMARY_IP, '127.42.0.100'), want: null },
      { t: 9, req: (x) => discover(x), want: null }, { t: 10, req: (x) => selecting(x, PRIMARY_IP, '127.42.0.100'), want: null },
      { t: 16, req: (x) => discover(x), want: null },
    ],
    takeovers: [0, 0] },
  { name: 'INIT-REBOOT of a lease learned from the primary, client waited (secs 8): ACK, same address',
    known: [['x', '127.42.0.120', true]], steps: [{ t: 0, req: (x) => initReboot(x, '127.42.0.120', 8), want: ACK('127.42.0.120') }], takeovers: [1, 1] },
  { name: 'INIT-REBOOT of a learned lease at secs 0: silent (the primary answers it)',
    known: [['x', '127.42.0.120', true]], steps: [{ t: 0, req: (x) => initReboot(x, '127.42.0.120'), want: null }] },
  { name: 'INIT-REBOOT of a learned lease, seen retrying for 8 s with secs 0: ACK',
    known: [['x', '127.42.0.120', true]],
    steps: [{ t: 0, req: (x) => initReboot(x, '127.42.0.120'), want: null }, { t: 8, req: (x) => initReboot(x, '127.42.0.120'), want: ACK('127.42.0.120') }] },
  { name: 'INIT-REBOOT of its own lease: ACK at once', known: [['x', '127.42.0.160', false]],
    steps: [{ t: 0, req: (x) => initReboot(x, '127.42.0.160'), want: ACK('127.42.0.160') }], takeovers: [0, 0] },
  { name: 'INIT-REBOOT of an unknown lease, client waited: silent, never a NAK',
    steps: [{ t: 0, req: (x) => initReboot(x, '127.42.0.120', 20), want: null }, { t: 1, req: (x) => initReboot(x, '127.42.0.170', 20), want: null }] },
  { name: "INIT-REBOOT for another client's learned lease, client waited: silent (no NAK, never the address)",
    known: [['y', '127.42.0.120', true]], steps: [{ t: 0, req: (x) => initReboot(x, '127.42.0.120', 20), want: null }] },
  { name: 'REBINDING a lease learned from the primary: ACK at once, same address', known: [['x', '127.42.0.120', true]],
    steps: [{ t: 0, req: (x) => rebinding(x, '127.42.0.120'), want: ACK('127.42.0.120') }], takeovers: [1, 1] },
  { name: 'REBINDING a lease it does not know: silent', steps: [{ t: 0, req: (x) => rebinding(x, '127.42.0.120', 30), want: null }] },
  { name: "REBINDING another client's learned lease: silent", known: [['y', '127.42.0.120', true]],
    steps: [{ t: 0, req: (x) => rebinding(x, '127.42.0.120', 30), want: null }] },
  { name: "a client's learned lease in the primary's half is not offered to it on DISCOVER: its own half",
    known: [['x', '127.42.0.120', true]], steps: [{ t: 0, req: (x) => discover(x, 8), want: OFFER('127.42.0.150') }] },
  { name: "an address the peer's known leases hold in the secondary's half is not offered to another client",
    known: [['y', '127.42.0.150', true]], steps: [{ t: 0, req: (x) => discover(x, 8, '127.42.0.150'), want: OFFER('127.42.0.151') }] },
  { name: 'SELECTING an address of the primary\'s half at the secondary: NAK (the client named it)',
    steps: [{ t: 0, req: (x) => selecting(x, SECONDARY_IP, '127.42.0.101', 8), want: { type: T.NAK, ip: '0.0.0.0' } }] },
];

describe('standby takeover per client (loopback UDP, injected clock)', () => {
  for (const c of cases) {
    test(c.name, async (t) => {
      const b = await startStandby({ takeoverSecs: c.takeoverSecs });
      t.after(() => b.close());
      const x = freshMac();
      const y = freshMac();
      for (const [who, ip, learned] of c.known ?? []) await knownLease(b.store, who === 'x' ? x : y, ip, learned);
      for (const [i, step] of c.steps.entries()) {
        b.at(step.t);
        const spec = step.req(x, y);
        const what = `step ${i} (t=${step.t})`;
        if (step.want === null) { assert.ok(await b.silent(spec), `${what}: silent`); continue; }
        const r = await b.exchange(spec);
        assert.equal(messageType(r), step.want.type, `${what}: message type`);
        assert.equal(r.packet.yiaddr, step.want.ip, `${what}: address`);
      }
      if (c.takeovers) {
        assert.deepEqual([b.server.stats.takeovers, b.server.stats.takeoverClients], c.takeovers, 'stats: takeovers, takeoverClients');
        assert.equal(b.takeovers.filter((e) => e.first).length, c.takeovers[1], 'one first-takeover notice per client');
        for (const e of b.takeovers) assert.equal(e.clientKey, `hw:1:${x}`);
      }
    });
  }
});

test('the takeover notice says who, where and why; takeovers are counted per client', async (t) => {
  const b = await startStandby();
  t.after(() => b.close());
  const x = freshMac();
  const y = freshMac();
  b.at(0);
  await b.exchange(discover(x, 8));
  await b.exchange(discover(x, 12));
  await b.exchange(discover(y, 8));
  assert.deepEqual(b.takeovers.map((e) => [e.mac, e.reason, e.ip, e.subnet, e.first]), [
    [x, 'secs', '127.42.0.150', RELAYED, true], [x, 'secs', '127.42.0.150', RELAYED, false], [y, 'secs', '127.42.0.151', RELAYED, true],
  ]);
  assert.equal(b.server.watch.takeoversOf(`hw:1:${x}`), 2);
  assert.equal(b.server.watch.takeoversOf(`hw:1:${y}`), 1);
  assert.deepEqual([b.server.stats.takeovers, b.server.stats.takeoverClients], [3, 2]);
});

test('the per-client memory is bounded: a flood of random MACs', async (t) => {
  const cap = 64;
  const b = await startStandby({ maxClients: cap });
  t.after(() => b.close());
  const flood = 600;
  const start = b.server.stats.received;
  const quietStart = b.server.stats.silent;
  for (let i = 0; i < flood; i++) {
    await b.peer.sendPacket(craft(discover(freshMac())), b.serverPort);
    // The server runs in this process: let it take each packet before the next (no kernel drops).
    const deadline = Date.now() + 1000;
    while (b.server.stats.silent - quietStart <= i && Date.now() < deadline) await new Promise((r) => setImmediate(r));
  }
  assert.equal(b.server.stats.received - start, flood, 'every DISCOVER reached the server');
  assert.equal(b.server.stats.silent - quietStart, flood, 'and none was answered');
  const [trying] = b.server.watch.sizes;
  assert.equal(trying, cap, `remembered clients capped at ${cap}`);
  // The memory also expires: after the gap, a sweep forgets them all.
  b.at(91);
  await b.server.sweep();
  assert.deepEqual(b.server.watch.sizes, [0, 0]);
});

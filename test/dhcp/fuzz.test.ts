/**
 * Fuzz: 1,000,000 random and mutated packets at a live server over loopback UDP (DHCP_FUZZ_N
 * sets another count).
 * - no crash: the server keeps answering and reports no internal errors;
 * - no reply to garbage: packets our own decoder rejects are never answered, and every reply
 *   answers a packet that was a valid client request;
 * - memory stays flat: heap and RSS growth (after GC) between the end of a warm-up and the end
 *   of the run are bounded.
 * Deterministic (seeded PRNG); set DHCP_FUZZ_SEED to replay another run.
 */
import { createSocket, type Socket } from 'node:dgram';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import assert from 'node:assert/strict';
import { Opt } from '../../src/edges/rack/dhcp/codes.ts';
import { decodePacket, encodePacket } from '../../src/edges/rack/dhcp/packet.ts';
import { readRequest } from '../../src/edges/rack/dhcp/request.ts';
import { encodeRelayAgentInfo } from '../../src/edges/rack/dhcp/options-relay.ts';
import { craft, startHarness, ipBytes, T, type Harness, type RequestSpec } from './helpers/peer.ts';
import { testConfig, RELAY_IP, SERVER_IP } from './helpers/fixtures.ts';

const TOTAL = Number(process.env.DHCP_FUZZ_N ?? 1_000_000);
const seed = Number(process.env.DHCP_FUZZ_SEED ?? 0x5eed1234);

function prng(s: number): () => number {
  let a = s >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = prng(seed);
const int = (n: number): number => Math.floor(rand() * n);
const randomBytes = (n: number): Buffer => {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i += 1) b[i] = int(256);
  return b;
};

function bases(): Buffer[] {
  const mac = (i: number): string => `02:fz:00:00:00:${i.toString(16).padStart(2, '0')}`.replace('fz', 'f0');
  const specs: RequestSpec[] = [
    { type: T.DISCOVER, mac: mac(1), giaddr: RELAY_IP, options: [[Opt.PARAM_REQUEST_LIST, [1, 3, 6, 15, 119, 42, 26, 66, 67]], [Opt.RELAY_AGENT_INFO, encodeRelayAgentInfo([[1, Buffer.from('port1')]])]] },
    { type: T.DISCOVER, mac: mac(2), options: [[Opt.VENDOR_CLASS, 'PXEClient:Arch:00007:UNDI:003016'], [Opt.CLIENT_ARCH, [0, 7]], [Opt.CLIENT_UUID, Buffer.concat([Buffer.from([0]), randomBytes(16)])], [Opt.CLIENT_NDI, [1, 3, 16]]] },
    { type: T.REQUEST, mac: mac(3), giaddr: RELAY_IP, options: [[Opt.SERVER_ID, ipBytes(SERVER_IP)], [Opt.REQUESTED_IP, ipBytes('127.42.0.120')], [Opt.CLIENT_ID, [1, 2, 3, 4, 5, 6, 7]], [Opt.MAX_MESSAGE_SIZE, [5, 220]]] },
    { type: T.REQUEST, mac: mac(4), options: [[Opt.REQUESTED_IP, ipBytes('127.43.0.52')], [Opt.USER_CLASS, 'iPXE'], [Opt.HOSTNAME, 'fuzz-host']] },
    { type: T.REQUEST, mac: mac(5), ciaddr: '127.43.0.53' },
    { type: T.DECLINE, mac: mac(6), options: [[Opt.REQUESTED_IP, ipBytes('127.42.0.101')], [Opt.SERVER_ID, ipBytes(SERVER_IP)]] },
    { type: T.RELEASE, mac: mac(7), ciaddr: '127.42.0.102', options: [[Opt.SERVER_ID, ipBytes(SERVER_IP)]] },
    { type: T.INFORM, mac: mac(8), ciaddr: '127.43.0.200', options: [[Opt.PARAM_REQUEST_LIST, [6, 15]]] },
    { type: T.DISCOVER, mac: mac(9), options: [[Opt.VENDOR_CLASS, 'HTTPClient:Arch:00016:UNDI:003000'], [Opt.CLIENT_ARCH, [0, 16]], [Opt.LEASE_TIME, [0, 0, 0, 30]]] },
  ];
  return specs.map((s) => encodePacket(craft(s)).bytes);
}

/** A structurally plausible but random packet: random header and TLVs after a real cookie. */
function randomPacket(): Buffer {
  const kind = int(3);
  if (kind === 0) return randomBytes(int(600));
  const buf = randomBytes(240 + int(300));
  buf[0] = 1;
  buf.writeUInt32BE(0x63825363, 236);
  if (kind === 2) {
    let i = 240;
    while (i < buf.length - 2) { buf[i + 1] = int(8) === 0 ? 255 : int(12); i += 2 + buf[i + 1]; }
  }
  return buf;
}

function mutate(base: Buffer): Buffer {
  let b = Buffer.from(base);
  const rounds = 1 + int(4);
  for (let r = 0; r < rounds; r += 1) {
    switch (int(7)) {
      case 0: { const i = int(b.length); b[i] ^= 1 << int(8); break; }
      case 1: { for (let k = int(8) + 1; k > 0; k -= 1) b[int(b.length)] = int(256); break; }
      case 2: b = b.subarray(0, int(b.length + 1)); break;
      case 3: b = Buffer.concat([b, randomBytes(int(64))]); break;
      case 4: { const at = 240 + int(Math.max(1, b.length - 240)); const len = int(20); b = Buffer.concat([b.subarray(0, at), Buffer.from([int(256), len]), randomBytes(len), b.subarray(at)]); break; }
      case 5: { const at = 241 + int(Math.max(1, b.length - 241)); if (at < b.length) b[at] = int(256); break; }
      default: { const at = int(b.length); const len = int(40); b = Buffer.concat([b.subarray(0, at), b.subarray(at, at + len), b.subarray(at)]); }
    }
    if (b.length === 0) break;
  }
  // Vary the hardware address so the rate limiter does not absorb everything.
  if (b.length >= 34 && int(2) === 0) { b[32] = int(256); b[33] = int(256); }
  return b;
}

function isValidRequest(b: Buffer): boolean {
  try {
    readRequest(decodePacket(b));
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Sends `count` packets from `make`, keeping at most a few hundred in flight (the server runs in
 * this process; without flow control the kernel would drop most of them). With valid === null
 * only garbage is sent; otherwise the xids of packets that are valid requests are collected.
 */
async function blast(h: Harness, out: Socket, make: () => Buffer, count: number, valid: Set<number> | null): Promise<number> {
  let sent = 0;
  let garbage = 0;
  const start = h.server.stats.received;
  for (let i = 0; i < count; i += 1) {
    const b = make();
    if (isValidRequest(b)) {
      if (valid === null) { i -= 1; continue; } // phase A sends garbage only
      valid.add(b.readUInt32BE(4));
    } else {
      garbage += 1;
    }
    out.send(b);
    sent += 1;
    if (sent % 32 === 0) {
      h.events.length = 0; // the harness's event log would otherwise grow with every lease
      // Wait for the server to catch up; give up waiting on packets the kernel dropped.
      const deadline = Date.now() + 200;
      while (h.server.stats.received - start < sent - 32 && Date.now() < deadline) await new Promise((r) => setImmediate(r));
    }
  }
  return garbage;
}

/** A gc() for measuring memory without extra node flags. */
function gc(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

test(`fuzz: ${TOTAL} random and mutated packets (seed ${seed.toString(16)})`, async (t) => {
  const errors: Error[] = [];
  const h = await startHarness({
    config: testConfig({ rateLimit: { burst: 1000, perSecond: 1000 }, offerHoldSeconds: 1 }),
    onError: (e) => errors.push(e),
  });
  // Requests leave from a socket connected to the server: a send then skips the per-datagram
  // address lookup (replies still arrive at the harness's peer, as client or relay port).
  const out = createSocket('udp4');
  await new Promise<void>((resolve) => out.connect(h.serverPort, '127.0.0.1', resolve));
  t.after(async () => { out.close(); await h.close(); });
  const base = bases();
  for (const b of base) assert.ok(isValidRequest(b), 'seed packets are valid');

  // Warm-up (a tenth of a million, both kinds), so the baseline includes JIT, socket buffers and
  // the server's bounded tables at their steady size: the lease table, and the rate limiter's
  // buckets (capped at 20,000), filled by 25,000 well-formed BOOTREPLYs from as many hardware
  // addresses (garbage to a server: it takes a token for each, then drops it).
  const valid = new Set<number>();
  const warmGarbage = Math.min(50_000, Math.round(TOTAL * 0.05));
  const warmMutants = Math.min(50_000, Math.round(TOTAL * 0.05));
  let spoofed = 0;
  const bootReply = (): Buffer => {
    const b = Buffer.from(base[0]);
    b[0] = 2;
    b.writeUInt32BE(0x5eed0000 + spoofed, 30);
    spoofed += 1;
    return b;
  };
  await blast(h, out, bootReply, 25_000, null);
  await blast(h, out, randomPacket, warmGarbage - 25_000, null);
  await blast(h, out, () => mutate(base[int(base.length)]), warmMutants, valid);
  await sleep(100);
  h.peer.drain();
  valid.clear();
  gc();
  const before = process.memoryUsage();

  // Phase A: garbage only — not a single reply.
  const garbageCount = await blast(h, out, randomPacket, Math.round(TOTAL * 0.35), null);
  await sleep(200);
  assert.equal(h.peer.pending, 0, `${h.peer.pending} replies to ${garbageCount} garbage packets`);

  // Phase B: mutated valid packets — replies only to what is still a valid request. Replies are
  // checked as they arrive, not kept, so the measurement sees the server's memory, not the test's.
  let replyCount = 0;
  const wrong: string[] = [];
  h.peer.sink = (r) => {
    replyCount += 1;
    if (r.packet.op !== 2 || !valid.has(r.packet.xid)) wrong.push(`xid ${r.packet.xid.toString(16)} op ${r.packet.op}`);
  };
  await blast(h, out, () => mutate(base[int(base.length)]), TOTAL - warmGarbage - warmMutants - Math.round(TOTAL * 0.35), valid);
  await sleep(300);
  h.peer.sink = null;
  assert.deepEqual(wrong, [], 'every reply answers a valid request');
  assert.ok(replyCount > 0, 'valid mutants were answered');
  valid.clear();
  gc();
  const after = process.memoryUsage();
  const mib = (n: number): string => (n / 2 ** 20).toFixed(1);
  const st = h.server.stats;
  t.diagnostic(`received ${st.received}, malformed ${st.malformed}, rate-limited ${st.rateLimited}, replies ${st.replies}; RSS ${mib(before.rss)} → ${mib(after.rss)} MiB, heap ${mib(before.heapUsed)} → ${mib(after.heapUsed)} MiB`);
  assert.ok(st.received >= TOTAL * 0.95, `server saw ${st.received} of ${TOTAL} packets`);
  assert.ok(after.rss - before.rss < 32 * 2 ** 20, `RSS grew ${mib(after.rss - before.rss)} MiB`);
  assert.ok(after.heapUsed - before.heapUsed < 4 * 2 ** 20, `heap grew ${mib(after.heapUsed - before.heapUsed)} MiB`);
  assert.deepEqual(errors.map((e) => e.message), []);
  assert.ok(h.server.stats.malformed > TOTAL * 0.3);

  // Still alive and correct (INFORM: the pools may legitimately be full of fuzzed leases).
  const r = await h.exchange({ type: T.INFORM, mac: '02:aa:bb:cc:dd:ee', giaddr: RELAY_IP, ciaddr: '127.42.0.33' });
  assert.equal(r.packet.options.get(Opt.MESSAGE_TYPE)?.[0], T.ACK);
});

/**
 * Fuzzing the server over loopback with random and mutated datagrams (seeded: PLINTH_FUZZ_SEED
 * replays another run, PLINTH_TFTP_FUZZ_N sets the size of the first phase, default 1,000,000).
 *
 * 1. The request port: every datagram gets exactly what the policy says — one ERROR for requests
 *    and for what cannot be explained, nothing for ERROR/DATA/ACK/OACK (see server.ts) — and never
 *    anything else; the process survives and its heap and RSS stay flat. Datagrams are sent in
 *    rounds, one per client socket, so each reply is attributed to the datagram that caused it; a
 *    round ends the moment its last owed reply arrives (no polling), so a million take a minute.
 * 2. A transfer's port: strangers get one ERROR 5 per datagram (none for ERRORs), while the real
 *    client's transfer completes byte-identical.
 * 3. The peer itself: after DATA 1 it sends one mutated packet; a valid ACK 1 moves on, other ACKs
 *    are ignored, an ERROR ends the transfer silently, anything else ends it with exactly one ERROR 4.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:dgram';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { TftpBackend } from '../../src/edges/rack/tftp/backend.ts';
import {
  decodePacket, encodeAck, encodeData, encodeError, encodeOack, encodeRequest, ErrorCode, Opcode, type Decoded,
} from '../../src/edges/rack/tftp/packet.ts';
import { closeSocket, tftpGet, udpSocket } from './client.ts';
import { pseudoRandom, startServer, until, type Harness } from './helpers.ts';

const SEED = Number(process.env.PLINTH_FUZZ_SEED ?? 0x7f7f1350);
const N = Number(process.env.PLINTH_TFTP_FUZZ_N ?? 1_000_000);
const SOCKETS = 200;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const memory = (): NodeJS.MemoryUsage => { gc(); gc(); return process.memoryUsage(); };

/** Waits for `check` to hold, re-tested on every `poke()` (from message handlers) instead of polling. */
function arrivals() {
  const waiters = new Set<() => void>();
  return {
    poke: (): void => { for (const w of waiters) w(); },
    until: (check: () => boolean, timeoutMs: number, what: string): Promise<void> => {
      if (check()) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => { waiters.delete(w); reject(new Error(`timed out waiting for ${what}`)); }, timeoutMs);
        const w = (): void => { if (check()) { clearTimeout(timer); waiters.delete(w); resolve(); } };
        waiters.add(w);
      });
    },
  };
}

function prng(seed: number) {
  let s = seed >>> 0 || 1;
  const next = (): number => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 2 ** 32; };
  const int = (n: number): number => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  return { next, int, pick };
}
type Rnd = ReturnType<typeof prng>;

const SEEDS: Buffer[] = [
  encodeRequest(Opcode.RRQ, 'pxelinux.0', 'octet'),
  encodeRequest(Opcode.RRQ, 'grub/grub.cfg', 'netascii'),
  encodeRequest(Opcode.RRQ, 'f', 'octet', [['blksize', '1468'], ['tsize', '0'], ['windowsize', '8'], ['timeout', '3']]),
  encodeRequest(Opcode.RRQ, '../../etc/passwd', 'OCTET', [['blksize', '8']]),
  encodeRequest(Opcode.WRQ, 'upload', 'octet', [['tsize', '1000']]),
  encodeData(1, Buffer.from('some data')),
  encodeAck(0),
  encodeAck(65535),
  encodeError(0, 'bye'),
  encodeOack([['blksize', '512']]),
];

function randomBytes(rnd: Rnd, max: number): Buffer {
  return Buffer.from(Array.from({ length: rnd.int(max + 1) }, () => rnd.int(256)));
}

/** A random datagram: pure noise, or a seed packet bent by a few mutations. */
function mutant(rnd: Rnd, seeds: readonly Buffer[]): Buffer {
  if (rnd.next() < 0.2) return randomBytes(rnd, rnd.next() < 0.95 ? 64 : 1500);
  let p = Buffer.from(rnd.pick(seeds));
  for (let m = 1 + rnd.int(3); m > 0; m--) {
    const at = rnd.int(p.length + 1);
    switch (rnd.int(8)) {
      case 0: if (p.length > 0) p[Math.min(at, p.length - 1)] ^= 1 << rnd.int(8); break;
      case 1: if (p.length > 0) p[Math.min(at, p.length - 1)] = rnd.int(256); break;
      case 2: p = p.subarray(0, at); break;
      case 3: p = Buffer.concat([p, randomBytes(rnd, 16)]); break;
      case 4: p = Buffer.concat([p.subarray(0, at), Buffer.alloc(1), p.subarray(at)]); break;
      case 5: p = Buffer.concat([p.subarray(0, at), p.subarray(at + 1)]); break;
      case 6: if (p.length >= 2) p.writeUInt16BE(rnd.int(9), 0); break;
      default: p = Buffer.concat([p.subarray(0, at), p.subarray(rnd.int(p.length + 1))]);
    }
  }
  return p;
}

/** How many replies the request port owes a datagram (0 or 1), per the policy in server.ts. */
function owed(d: Decoded): number {
  if (d.ok) return d.packet.op === Opcode.RRQ || d.packet.op === Opcode.WRQ ? 1 : 0;
  const op = d.opcode;
  return op === null || op === Opcode.RRQ || op === Opcode.WRQ || op < 1 || op > 6 ? 1 : 0;
}

describe(`TFTP fuzz (seed ${SEED})`, () => {
  let h: Harness;
  let resolves = 0;
  const data = pseudoRandom(150_000, 7);
  const backend: TftpBackend = {
    resolve: async (path) => { resolves++; return path === 'real.bin' ? { data } : null; },
  };
  before(async () => { h = await startServer({}, { backend, errorRepliesPerSecond: Infinity, timeoutMs: 1000, minTimeoutMs: 1000, maxRetries: 2 }); });
  after(async () => { await h.close(); });

  test(`${N} datagrams at the request port: one ERROR or silence each, memory flat`, async (t) => {
    const rnd = prng(SEED);
    const sockets = await Promise.all(Array.from({ length: SOCKETS }, () => udpSocket()));
    const got = new Array<number>(SOCKETS).fill(0);
    let received = 0;
    const problems: string[] = [];
    const replies = arrivals();
    sockets.forEach((s, i) => s.on('message', (msg, rinfo) => {
      got[i]++; received++;
      replies.poke();
      const d = decodePacket(msg);
      if (rinfo.port !== h.port) problems.push(`reply from port ${rinfo.port}, not the request port`);
      else if (!d.ok || d.packet.op !== Opcode.ERROR) problems.push(`reply is not an ERROR: ${msg.toString('hex')}`);
    }));
    const resolvesBefore = resolves;
    let expectedTotal = 0;
    let sent = 0;
    let baseline: NodeJS.MemoryUsage | null = null;
    try {
      for (let round = 0; sent < N; round++) {
        // The baseline after a tenth of the datagrams: JIT, socket buffers and allocator arenas settled.
        if (round === Math.ceil(N / SOCKETS / 10)) baseline = memory();
        h.rejected.length = 0; // the harness's event log would otherwise grow with every datagram
        const expected = new Array<number>(SOCKETS).fill(0);
        got.fill(0);
        received = 0;
        let roundExpected = 0;
        for (let i = 0; i < SOCKETS && sent < N; i++, sent++) {
          const packet = mutant(rnd, SEEDS);
          expected[i] = owed(decodePacket(packet));
          roundExpected += expected[i];
          sockets[i].send(packet, h.port, '127.0.0.1');
        }
        expectedTotal += roundExpected;
        await replies.until(() => received >= roundExpected, 5000, `round ${round}: ${roundExpected} replies (got ${received})`);
        await new Promise((r) => setImmediate(r));
        const wrong = got.flatMap((n, i) => (n === expected[i] ? [] : [`socket ${i}: ${n} replies, expected ${expected[i]}`]));
        assert.deepEqual(wrong, [], `round ${round}`);
        assert.deepEqual(problems, []);
      }
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(received, got.reduce((a, b) => a + b, 0), 'no late replies');
      const end = memory();
      const mib = (n: number): string => (n / 1048576).toFixed(1);
      assert.ok(baseline !== null);
      t.diagnostic(`after ${sent} datagrams: RSS ${mib(baseline.rss)} → ${mib(end.rss)} MiB, heap ${mib(baseline.heapUsed)} → ${mib(end.heapUsed)} MiB`);
      assert.ok(end.rss - baseline.rss < 32 * 1048576, `RSS grew by ${mib(end.rss - baseline.rss)} MiB`);
      assert.ok(end.heapUsed - baseline.heapUsed < 4 * 1048576, `heap grew by ${mib(end.heapUsed - baseline.heapUsed)} MiB`);
      assert.ok(expectedTotal > N / 4 && expectedTotal < N, `a mix of answered and silent datagrams (${expectedTotal} of ${N} answered)`);
      assert.ok(resolves - resolvesBefore > N / 50, `many mutants were well-formed requests that reached the backend (${resolves - resolvesBefore})`);
      assert.equal(h.server.stats.pendingRequests, 0);
      assert.equal(h.server.stats.activeTransfers, 0);
    } finally { await Promise.all(sockets.map(closeSocket)); }
  });

  test('10,000 datagrams at a transfer port from strangers: one ERROR 5 each (none for ERRORs), transfer intact', async () => {
    const rnd = prng(SEED + 1);
    const strangers = await Promise.all(Array.from({ length: 50 }, () => udpSocket()));
    const legit = await udpSocket();
    let strangerReplies = 0;
    const bad: string[] = [];
    strangers.forEach((s) => s.on('message', (msg) => {
      strangerReplies++;
      const d = decodePacket(msg);
      if (!d.ok || d.packet.op !== Opcode.ERROR || d.packet.code !== ErrorCode.UNKNOWN_TID) bad.push(msg.toString('hex'));
    }));
    const blocks: Buffer[] = [];
    let tid = 0;
    legit.on('message', (msg, rinfo) => {
      const d = decodePacket(msg);
      if (d.ok && d.packet.op === Opcode.DATA && d.packet.block === blocks.length + 1) { tid = rinfo.port; blocks.push(Buffer.from(d.packet.data)); }
    });
    try {
      legit.send(encodeRequest(Opcode.RRQ, 'real.bin', 'octet'), h.port, '127.0.0.1');
      await until(() => blocks.length === 1);
      let owedReplies = 0;
      for (let sent = 0; sent < 10_000;) {
        for (const s of strangers) {
          const packet = mutant(rnd, [...SEEDS, encodeAck(blocks.length), encodeAck(blocks.length + 1)]);
          if (!(packet.length >= 2 && packet.readUInt16BE(0) === Opcode.ERROR)) owedReplies++;
          s.send(packet, tid, '127.0.0.1');
          sent++;
        }
        await until(() => strangerReplies >= owedReplies, 5000, 'ERROR 5 replies');
        // The real client moves one block on per round.
        if (blocks.length < 290) {
          const want = blocks.length + 1;
          legit.send(encodeAck(blocks.length), tid, '127.0.0.1');
          await until(() => blocks.length === want, 5000, `block ${want}`);
        }
      }
      const r = await tftpGet({ port: h.port, file: 'real.bin' }).catch(() => null);
      assert.ok(r?.data.equals(data)); // the server still serves others meanwhile
      while (blocks.at(-1)?.length === 512) {
        const want = blocks.length + 1;
        legit.send(encodeAck(blocks.length), tid, '127.0.0.1');
        await until(() => blocks.length === want, 5000, `block ${want}`);
      }
      legit.send(encodeAck(blocks.length), tid, '127.0.0.1');
      assert.ok(Buffer.concat(blocks).equals(data), 'the real transfer is byte-identical');
      await until(() => h.server.stats.activeTransfers === 0);
      assert.equal(strangerReplies, owedReplies);
      assert.deepEqual(bad, []);
    } finally { await Promise.all([...strangers, legit].map(closeSocket)); }
  });

  test('2,000 mutated packets from the peer after DATA 1', async () => {
    const rnd = prng(SEED + 2);
    const failedBefore = h.failed.length;
    const outcomes = { advanced: 0, ignored: 0, endedSilently: 0, endedWithError4: 0 };
    for (let batch = 0; batch < 20; batch++) {
      const clients: Array<{ socket: Socket; tid: number; replies: Decoded[] }> = await Promise.all(
        Array.from({ length: 100 }, async () => ({ socket: await udpSocket(), tid: 0, replies: [] as Decoded[] })));
      try {
        for (const c of clients) {
          c.socket.on('message', (msg, rinfo) => { c.tid = rinfo.port; c.replies.push(decodePacket(msg)); });
          c.socket.send(encodeRequest(Opcode.RRQ, 'real.bin', 'octet'), h.port, '127.0.0.1');
        }
        await until(() => clients.every((c) => c.replies.length === 1), 5000, 'DATA 1 for every client');
        const packets = clients.map(() => mutant(rnd, [encodeAck(1), encodeAck(0), encodeAck(2), encodeError(0, 'x'), encodeData(1, Buffer.alloc(3)), encodeRequest(Opcode.RRQ, 'real.bin', 'octet')]));
        clients.forEach((c, i) => c.socket.send(packets[i], c.tid, '127.0.0.1'));
        // Wait for the replies owed (an ACK 1 → DATA 2; not an ACK, not an ERROR → ERROR 4), then a
        // little longer for any that are not owed — all well inside the 1 s retransmission timeout.
        const owes = packets.map((p) => {
          const d = decodePacket(p);
          if (d.ok && d.packet.op === Opcode.ACK) return d.packet.block === 1 ? 1 : 0;
          return (d.ok && d.packet.op === Opcode.ERROR) || (!d.ok && d.opcode === Opcode.ERROR) ? 0 : 1;
        });
        await until(() => clients.every((c, i) => c.replies.length - 1 >= owes[i]), 800, 'replies to the mutants');
        await new Promise((r) => setTimeout(r, 30));
        clients.forEach((c, i) => {
          const d = decodePacket(packets[i]);
          const later = c.replies.slice(1);
          const desc = `${packets[i].toString('hex')} → ${later.map((x) => (x.ok ? `op ${x.packet.op}${x.packet.op === Opcode.ERROR ? ` code ${x.packet.code}` : ''}` : 'bad')).join(', ')}`;
          if (d.ok && d.packet.op === Opcode.ACK) {
            if (d.packet.block === 1) {
              assert.ok(later.length === 1 && later[0].ok && later[0].packet.op === Opcode.DATA && later[0].packet.block === 2, desc);
              outcomes.advanced++;
            } else { assert.equal(later.length, 0, desc); outcomes.ignored++; }
          } else if ((d.ok && d.packet.op === Opcode.ERROR) || (!d.ok && d.opcode === Opcode.ERROR)) {
            assert.equal(later.length, 0, desc); outcomes.endedSilently++;
          } else {
            assert.ok(later.length === 1 && later[0].ok && later[0].packet.op === Opcode.ERROR && later[0].packet.code === ErrorCode.ILLEGAL_OPERATION, desc);
            outcomes.endedWithError4++;
          }
        });
        for (const c of clients) c.socket.send(encodeError(0, 'done'), c.tid, '127.0.0.1'); // end the survivors
        await until(() => h.server.stats.activeTransfers === 0, 5000, 'transfers to end');
      } finally { await Promise.all(clients.map((c) => closeSocket(c.socket))); }
    }
    assert.equal(h.failed.length - failedBefore, 2000);
    assert.ok(Object.values(outcomes).every((n) => n > 0), `every kind of outcome seen: ${JSON.stringify(outcomes)}`);
  });
});

/**
 * What the request port answers, datagram by datagram, over loopback: path traversal refused by
 * directoryBackend, WRQ refused (ERROR 2), garbage and non-requests (ERROR 4 or silence, RFC 1350
 * §7), option failures (ERROR 8, RFC 2347), retransmitted requests, limits and backend failures.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { decodePacket, encodeRequest, ErrorCode, Opcode, type OptionPair } from '../../src/edges/rack/tftp/packet.ts';
import { closeSocket, exchange, tftpGet, udpSocket } from './client.ts';
import { startServer, until, type Harness } from './helpers.ts';

const rrq = (file: string, mode = 'octet', options: OptionPair[] = []): Buffer => encodeRequest(Opcode.RRQ, file, mode, options);
const raw = (...parts: Array<number | string>): Buffer =>
  Buffer.concat(parts.map((p) => (typeof p === 'number' ? Buffer.from([p]) : Buffer.from(p, 'latin1'))));

/** The single reply to `packet`: 'silence', or the opcode (and error code) and whether it came from the request port. */
async function answer(h: Harness, packet: Buffer): Promise<string> {
  const replies = await exchange(h.port, packet, 80);
  if (replies.length === 0) return 'silence';
  assert.equal(replies.length, 1, 'at most one reply');
  const d = decodePacket(replies[0].msg);
  assert.ok(d.ok, 'the server only sends well-formed packets');
  const from = replies[0].port === h.port ? 'request port' : 'new port';
  if (d.packet.op === Opcode.ERROR) return `ERROR ${d.packet.code} from ${from}`;
  return `${d.packet.op === Opcode.DATA ? `DATA ${d.packet.block}` : d.packet.op === Opcode.OACK ? 'OACK' : `op ${d.packet.op}`} from ${from}`;
}

describe('path traversal and what directoryBackend serves', () => {
  let h: Harness;
  let outside: string;
  before(async () => {
    outside = await mkdtemp(join(tmpdir(), 'plinth-tftp-outside-'));
    await writeFile(join(outside, 'secret'), 'top secret');
    h = await startServer({ 'ok.txt': 'fine', 'sub/inner.txt': 'inner', 'real.txt': 'real' }, { errorRepliesPerSecond: Infinity });
    await symlink(join(outside, 'secret'), join(h.dir, 'escape.txt'));
    await symlink(outside, join(h.dir, 'escape-dir'));
    await symlink('real.txt', join(h.dir, 'link-in.txt'));
    await symlink('/etc', join(h.dir, 'etc-link'));
    await mkdir(join(h.dir, 'emptydir'));
    execFileSync('mkfifo', [join(h.dir, 'fifo')]);
  });
  after(async () => { await h.close(); await rm(outside, { recursive: true, force: true }); });

  const table: Array<[string, string | null]> = [
    ['ok.txt', 'fine'],
    ['/ok.txt', 'fine'],
    ['//ok.txt', 'fine'],
    ['sub/inner.txt', 'inner'],
    ['/sub/./inner.txt', 'inner'],
    ['\\sub\\inner.txt', 'inner'],
    ['link-in.txt', 'real'],
    ['../secret', null],
    ['/../secret', null],
    ['sub/../../secret', null],
    ['sub/../ok.txt', null],
    ['..\\secret', null],
    ['escape.txt', null],
    ['escape-dir/secret', null],
    ['etc-link/passwd', null],
    ['/etc/passwd', null],
    ['emptydir', null],
    ['sub', null],
    ['fifo', null],
    ['missing.txt', null],
  ];
  for (const [path, content] of table) {
    test(`${JSON.stringify(path)} → ${content === null ? 'ERROR 1' : 'served'}`, async () => {
      if (content === null) {
        assert.equal(await answer(h, rrq(path)), 'ERROR 1 from request port');
        await assert.rejects(tftpGet({ port: h.port, file: path }), (e: Error & { code?: number | null }) => e.code === 1);
      } else {
        assert.equal((await tftpGet({ port: h.port, file: path })).data.toString(), content);
      }
    });
  }
  test(`the outside directory's name is not reachable relative to the root either`, async () => {
    assert.equal(await answer(h, rrq(`../${basename(outside)}/secret`)), 'ERROR 1 from request port');
  });
});

describe('the request port answers each datagram with at most one packet', () => {
  let h: Harness;
  before(async () => { h = await startServer({ 'f.txt': 'x'.repeat(600), 'g.txt': 'hello' }, {
    // Transfers started by the table die quickly, but never retransmit within answer()'s 80 ms.
    errorRepliesPerSecond: Infinity, timeoutMs: 300, minTimeoutMs: 300, maxTimeoutMs: 600, maxRetries: 1,
  }); });
  after(async () => { await h.close(); });

  const table: Array<[string, Buffer, string]> = [
    ['RRQ', rrq('f.txt'), 'DATA 1 from new port'],
    ['RRQ, upper-case mode', rrq('f.txt', 'OCTET'), 'DATA 1 from new port'],
    ['RRQ netascii', rrq('g.txt', 'netascii'), 'DATA 1 from new port'],
    ['RRQ with options', rrq('f.txt', 'octet', [['blksize', '1024'], ['tsize', '0']]), 'OACK from new port'],
    ['RRQ with only unknown options', rrq('f.txt', 'octet', [['foo', '1']]), 'DATA 1 from new port'],
    ['RRQ padded with NULs', raw(0, 1, 'f.txt', 0, 'octet', 0, 0, 0), 'DATA 1 from new port'],
    ['RRQ, missing file', rrq('nope.txt'), 'ERROR 1 from request port'],
    ['WRQ for a new file', encodeRequest(Opcode.WRQ, 'new.txt', 'octet'), 'ERROR 2 from request port'],
    ['WRQ over an existing file', encodeRequest(Opcode.WRQ, 'f.txt', 'octet'), 'ERROR 2 from request port'],
    ['RRQ mode "mail"', rrq('f.txt', 'mail'), 'ERROR 4 from request port'],
    ['RRQ unknown mode', rrq('f.txt', 'binary'), 'ERROR 4 from request port'],
    ['RRQ without final NUL', raw(0, 1, 'f.txt', 0, 'octet'), 'ERROR 4 from request port'],
    ['RRQ without mode', raw(0, 1, 'f.txt', 0), 'ERROR 4 from request port'],
    ['RRQ with empty filename', raw(0, 1, 0, 'octet', 0), 'ERROR 4 from request port'],
    ['RRQ option without value', raw(0, 1, 'f.txt', 0, 'octet', 0, 'blksize', 0), 'ERROR 8 from request port'],
    ['RRQ blksize 7', rrq('f.txt', 'octet', [['blksize', '7']]), 'ERROR 8 from request port'],
    ['RRQ blksize "big"', rrq('f.txt', 'octet', [['blksize', 'big']]), 'ERROR 8 from request port'],
    ['RRQ timeout 0', rrq('f.txt', 'octet', [['timeout', '0']]), 'ERROR 8 from request port'],
    ['RRQ timeout 300', rrq('f.txt', 'octet', [['timeout', '300']]), 'ERROR 8 from request port'],
    ['RRQ windowsize 0', rrq('f.txt', 'octet', [['windowsize', '0']]), 'ERROR 8 from request port'],
    ['RRQ blksize twice', rrq('f.txt', 'octet', [['blksize', '512'], ['blksize', '1024']]), 'ERROR 8 from request port'],
    ['RRQ option failure beats a missing file', rrq('nope.txt', 'octet', [['blksize', '1']]), 'ERROR 8 from request port'],
    ['empty datagram', Buffer.alloc(0), 'ERROR 4 from request port'],
    ['one octet', raw(1), 'ERROR 4 from request port'],
    ['opcode 0', raw(0, 0, 'f.txt', 0, 'octet', 0), 'ERROR 4 from request port'],
    ['opcode 7', raw(0, 7, 1, 2, 3), 'ERROR 4 from request port'],
    ['opcode 0xffff', raw(0xff, 0xff), 'ERROR 4 from request port'],
    ['DATA to the request port', raw(0, 3, 0, 1, 'abc'), 'silence'],
    ['ACK to the request port', raw(0, 4, 0, 1), 'silence'],
    ['OACK to the request port', raw(0, 6, 'blksize', 0, '512', 0), 'silence'],
    ['ERROR to the request port', raw(0, 5, 0, 1, 'x', 0), 'silence'],
    ['truncated ERROR', raw(0, 5), 'silence'],
    ['truncated ACK', raw(0, 4, 1), 'silence'],
    ['ACK 0 (tftp-hpa acknowledges every ERROR)', raw(0, 4, 0, 0), 'silence'],
    ['ASCII text', Buffer.from('GET / HTTP/1.1\r\n\r\n'), 'ERROR 4 from request port'],
  ];
  for (const [name, packet, expected] of table) {
    test(`${name} → ${expected}`, async () => {
      assert.equal(await answer(h, packet), expected);
    });
  }

  test('a retransmitted RRQ from the same client port starts no second transfer', async () => {
    await until(() => h.server.stats.activeTransfers === 0, 5000, 'table transfers to time out');
    const started = h.server.stats.transfersStarted;
    const socket = await udpSocket();
    const from = new Set<number>();
    let datas = 0;
    socket.on('message', (msg, rinfo) => { from.add(rinfo.port); const d = decodePacket(msg); if (d.ok && d.packet.op === Opcode.DATA) datas++; });
    try {
      for (let i = 0; i < 5; i++) socket.send(rrq('f.txt'), h.port, '127.0.0.1');
      await until(() => datas >= 1);
      await new Promise((r) => setTimeout(r, 80));
      assert.equal(h.server.stats.transfersStarted - started, 1);
      assert.equal(from.size, 1);
      assert.equal(datas, 1);
    } finally { await closeSocket(socket); }
  });
});

describe('limits and backend failures', () => {
  test('ERROR replies to garbage are rate limited; answers to requests are not', async () => {
    const h = await startServer({}, { errorRepliesPerSecond: 5 });
    const socket = await udpSocket();
    const codes: number[] = [];
    socket.on('message', (msg) => { const d = decodePacket(msg); if (d.ok && d.packet.op === Opcode.ERROR) codes.push(d.packet.code); });
    try {
      for (let i = 0; i < 40; i++) socket.send(raw(0, 9), h.port, '127.0.0.1');
      // One at a time: a request repeated while the first is still being resolved counts as a retransmission.
      for (let i = 1; i <= 20; i++) {
        socket.send(rrq(`missing-${i}`), h.port, '127.0.0.1');
        await until(() => codes.filter((c) => c === 1).length === i);
      }
      const illegal = codes.filter((c) => c === ErrorCode.ILLEGAL_OPERATION).length;
      assert.ok(illegal >= 5 && illegal <= 7, `${illegal} ERROR 4 replies for 40 garbage datagrams at 5/s`);
      assert.equal(h.rejected.filter((r) => !r.replied).length, 40 - illegal);
    } finally { await closeSocket(socket); await h.close(); }
  });

  test('beyond maxTransfers a request gets ERROR 0', async () => {
    const h = await startServer({ 'f.bin': Buffer.alloc(5000) }, { maxTransfers: 2, timeoutMs: 5000 });
    const sockets = await Promise.all([udpSocket(), udpSocket(), udpSocket()]);
    const first: string[] = [];
    try {
      for (const s of sockets) {
        s.once('message', (msg) => { const d = decodePacket(msg); first.push(d.ok ? (d.packet.op === Opcode.ERROR ? `ERROR ${d.packet.code}` : `op ${d.packet.op}`) : 'bad'); });
        s.send(rrq('f.bin'), h.port, '127.0.0.1');
        await until(() => first.length === sockets.indexOf(s) + 1);
      }
      assert.deepEqual(first, ['op 3', 'op 3', 'ERROR 0']);
      assert.equal(h.server.stats.activeTransfers, 2);
    } finally { for (const s of sockets) await closeSocket(s); await h.close(); }
  });

  const backends: Array<[string, () => Promise<unknown>, number, RegExp]> = [
    ['throws', () => Promise.reject(new Error('region unreachable')), 0, /region unreachable/],
    ['answers neither data nor size/open', () => Promise.resolve({ size: -1, open: 'x' }), 0, /neither/],
    ['has no such file', () => Promise.resolve(null), 1, /File not found/],
  ];
  for (const [name, resolve, code, detail] of backends) {
    test(`a backend that ${name} → ERROR ${code}`, async () => {
      const h = await startServer({}, { backend: { resolve: resolve as never } });
      try {
        assert.equal(await answer(h, rrq('any')), `ERROR ${code} from request port`);
        assert.match(h.rejected.at(-1)?.message ?? '', detail);
        assert.equal(h.server.stats.pendingRequests, 0);
      } finally { await h.close(); }
    });
  }

  test('the backend sees the path as requested and the client address', async () => {
    const seen: Array<[string, string]> = [];
    const h = await startServer({}, { backend: { resolve: async (path, remote) => { seen.push([path, remote.address]); return { data: Buffer.from('cfg') }; } } });
    try {
      const r = await tftpGet({ port: h.port, file: '/pxelinux.cfg/01-52-54-00-12-34-56' });
      assert.equal(r.data.toString(), 'cfg');
      assert.deepEqual(seen, [['/pxelinux.cfg/01-52-54-00-12-34-56', '127.0.0.1']]);
    } finally { await h.close(); }
  });

  test('a root that does not exist yet is looked up again later', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'plinth-tftp-late-'));
    const { directoryBackend } = await import('../../src/edges/rack/tftp/backend.ts');
    const backend = directoryBackend(join(parent, 'root'));
    try {
      await assert.rejects(backend.resolve('a', { address: '127.0.0.1', port: 1 }));
      await mkdir(join(parent, 'root'));
      await writeFile(join(parent, 'root', 'a'), 'later');
      const r = await backend.resolve('a', { address: '127.0.0.1', port: 1 });
      assert.ok(r !== null && 'size' in r && r.size === 5);
    } finally { await rm(parent, { recursive: true, force: true }); }
  });
});

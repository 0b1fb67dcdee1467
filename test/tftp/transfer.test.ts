/**
 * Transfers over real loopback sockets, with the test client of client.ts: plain RRQ, every option
 * and their combinations, block-number rollover, windows, and a lossy network simulated by the
 * client (lost ACKs, lost DATA, duplicated ACKs, a client that goes silent).
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { directoryBackend, type TftpBackend } from '../../src/edges/rack/tftp/backend.ts';
import { decodePacket, encodeAck, encodeError, encodeRequest, Opcode, type OptionPair } from '../../src/edges/rack/tftp/packet.ts';
import { closeSocket, tftpGet, udpSocket } from './client.ts';
import { pseudoRandom, sleep, startServer, until, type Harness } from './helpers.ts';

const SIZES = [0, 1, 511, 512, 513, 1024, 4096, 100_001];
const files: Record<string, Buffer> = Object.fromEntries(SIZES.map((n) => [`f${n}.bin`, pseudoRandom(n, n + 1)]));
const blocksFor = (size: number, blockSize: number): number => Math.floor(size / blockSize) + 1;

describe('transfers', () => {
  let h: Harness;
  before(async () => { h = await startServer(files, { minTimeoutMs: 1000 }); });
  after(async () => { await h.close(); });

  for (const size of SIZES) {
    test(`plain RRQ (no options), ${size} octets`, async () => {
      const r = await tftpGet({ port: h.port, file: `f${size}.bin` });
      assert.ok(r.data.equals(files[`f${size}.bin`]));
      assert.equal(r.oack, null);
      assert.notEqual(r.serverPort, h.port, 'DATA comes from a new transfer ID');
      assert.equal(r.dataPackets, blocksFor(size, 512));
    });
  }

  // Every subset of the four options, each over file sizes around block and window boundaries.
  const OPTION_VALUES: OptionPair[] = [['blksize', '1024'], ['tsize', '0'], ['timeout', '3'], ['windowsize', '4']];
  for (let mask = 1; mask < 16; mask++) {
    const options = OPTION_VALUES.filter((_, i) => mask & (1 << i));
    const label = options.map(([k]) => k).join('+');
    test(`options ${label}`, async () => {
      for (const size of [0, 1024, 4096, 100_001]) {
        const r = await tftpGet({ port: h.port, file: `f${size}.bin`, options });
        assert.ok(r.data.equals(files[`f${size}.bin`]), `${label} ${size}`);
        // tsize is not acknowledged for an empty file (see oackOptions); an OACK with nothing in it is not sent.
        const acked = options.filter(([k]) => k !== 'tsize' || size > 0);
        const expectOack = acked.length === 0 ? null : Object.fromEntries(acked.map(([k, v]) => [k, k === 'tsize' ? String(size) : v]));
        assert.deepEqual(r.oack, expectOack);
        const blockSize = Number(expectOack?.blksize ?? 512);
        assert.equal(r.dataPackets - r.duplicateData, blocksFor(size, blockSize));
      }
    });
  }

  const clamps: Array<[string, OptionPair[], Record<string, string>]> = [
    ['blksize above the 1468 cap', [['blksize', '65464']], { blksize: '1468' }],
    ['blksize above the RFC range', [['blksize', '70000']], { blksize: '1468' }],
    ['windowsize above the cap of 16', [['windowsize', '500']], { windowsize: '16' }],
    ['upper-case names, spelling echoed', [['BLKSIZE', '600'], ['TSize', '0']], { blksize: '600', tsize: '100001' }],
    ['unknown options are not acknowledged', [['blksize', '800'], ['multicast', ''], ['utimeout', '5000']], { blksize: '800' }],
  ];
  for (const [name, options, oack] of clamps) {
    test(`negotiation: ${name}`, async () => {
      const r = await tftpGet({ port: h.port, file: 'f100001.bin', options });
      assert.deepEqual(r.oack, oack);
      assert.ok(r.data.equals(files['f100001.bin']));
    });
  }

  test('only unknown options → no OACK, plain transfer', async () => {
    const r = await tftpGet({ port: h.port, file: 'f513.bin', options: [['foo', 'bar']] });
    assert.equal(r.oack, null);
    assert.equal(r.dataPackets, 2);
  });

  test('duplicate ACKs never trigger retransmission (RFC 1123 §4.2.3.1)', async () => {
    for (const options of [[], [['windowsize', '4']], [['blksize', '1024'], ['windowsize', '16']]] as OptionPair[][]) {
      const before = h.server.stats.retransmits;
      const r = await tftpGet({ port: h.port, file: 'f100001.bin', options, ackCopies: 3 });
      assert.ok(r.data.equals(files['f100001.bin']));
      assert.equal(r.duplicateData, 0, `no DATA sent twice (${JSON.stringify(options)})`);
      assert.equal(h.server.stats.retransmits, before);
    }
  });

  test('the OACK is retransmitted when its ACK 0 is lost', async () => {
    const r = await tftpGet({ port: h.port, file: 'f4096.bin', options: [['blksize', '1024']], dropAck: (n, attempt) => n === 0 && attempt === 1 });
    assert.ok(r.data.equals(files['f4096.bin']));
  });

  test('netascii: LF → CR LF, CR → CR NUL, no tsize', async () => {
    const text = Buffer.from('line one\nline two\r\nbare\rend\n');
    const g = await startServer({ 'text.cfg': text });
    try {
      const r = await tftpGet({ port: g.port, file: 'text.cfg', mode: 'netascii', options: [['tsize', '0'], ['blksize', '8']] });
      assert.equal(r.data.toString('latin1'), 'line one\r\nline two\r\0\r\nbare\r\0end\r\n');
      assert.deepEqual(r.oack, { blksize: '8' });
    } finally { await g.close(); }
  });

  test('IPv6: listens on ::1, caps blksize at 1448', async (t) => {
    const probe = await udpSocket('udp6').catch(() => null);
    if (probe === null) { t.skip('no IPv6 loopback'); return; }
    await closeSocket(probe);
    const { TftpServer } = await import('../../src/edges/rack/tftp/server.ts');
    const server = new TftpServer({ backend: directoryBackend(h.dir) });
    const { port } = await server.listen({ address: '::1', port: 0 });
    try {
      const r = await tftpGet({ host: '::1', port, file: 'f100001.bin', options: [['blksize', '65464']] });
      assert.deepEqual(r.oack, { blksize: '1448' });
      assert.ok(r.data.equals(files['f100001.bin']));
    } finally { await server.close(); }
  });
});

describe('block-number rollover (more than 65535 blocks)', () => {
  const big = pseudoRandom(65536 * 8 + 100, 99);
  let h: Harness;
  before(async () => { h = await startServer({ 'big.bin': big }, { minTimeoutMs: 1000 }); });
  after(async () => { await h.close(); });

  for (const windowsize of ['1', '16']) {
    test(`blksize 8, windowsize ${windowsize}: 65549 blocks, numbers wrap to 0`, async () => {
      const r = await tftpGet({ port: h.port, file: 'big.bin', options: [['blksize', '8'], ['windowsize', windowsize], ['tsize', '0']] });
      assert.equal(r.oack?.tsize, String(big.length));
      assert.ok(r.wrapped, 'block 0 followed block 65535');
      assert.ok(r.data.equals(big));
      await until(() => h.ended.length > 0 && h.server.stats.activeTransfers === 0);
      assert.equal(h.ended.at(-1)?.blocks, 65549);
    });
  }
});

describe('loss and failure', () => {
  let h: Harness;
  const data = files['f100001.bin'];
  before(async () => { h = await startServer(files, { timeoutMs: 60, minTimeoutMs: 40, maxTimeoutMs: 400, maxRetries: 3 }); });
  after(async () => { await h.close(); });
  // Each test looks at the newest failure: none may be left over from the previous one.
  beforeEach(async () => { await until(() => h.server.stats.activeTransfers === 0); });

  test('a lost ACK: the block is retransmitted after the timeout', async () => {
    const before = h.server.stats.retransmits;
    const r = await tftpGet({ port: h.port, file: 'f4096.bin', dropAck: (n, attempt) => n === 3 && attempt === 1 });
    assert.ok(r.data.equals(files['f4096.bin']));
    assert.equal(r.duplicateData, 1, 'block 3 arrived twice');
    assert.equal(h.server.stats.retransmits - before, 1);
  });

  test('a lost DATA inside a window: the client ACKs the last in-order block, the server goes back (RFC 7440)', async () => {
    const before = h.server.stats.retransmits;
    const r = await tftpGet({ port: h.port, file: 'f100001.bin', options: [['windowsize', '8'], ['blksize', '1024']], dropData: (n, arrival) => (n === 6 || n === 40) && arrival === 1 });
    assert.ok(r.data.equals(data));
    assert.ok(h.server.stats.retransmits > before);
  });

  test('many lost ACKs and DATA: still byte-identical', async () => {
    const r = await tftpGet({
      port: h.port, file: 'f100001.bin', options: [['windowsize', '4']], timeoutMs: 200, retries: 20,
      dropAck: (n, attempt) => n % 7 === 0 && n < 190 && attempt < 3, // the last block (196) must be acknowledged
      dropData: (n, arrival) => n % 11 === 0 && arrival === 1,
    });
    assert.ok(r.data.equals(data));
  });

  test('a client that stops answering: retransmits, then the transfer is abandoned', async () => {
    const socket = await udpSocket();
    const seen: number[] = [];
    socket.on('message', (msg) => { const d = decodePacket(msg); if (d.ok && d.packet.op === Opcode.DATA) seen.push(d.packet.block); });
    const failedBefore = h.failed.length;
    try {
      socket.send(encodeRequest(Opcode.RRQ, 'f4096.bin', 'octet'), h.port, '127.0.0.1');
      await until(() => h.failed.length > failedBefore, 5000, 'transfer abandoned');
      const failure = h.failed.at(-1);
      assert.equal(failure?.reason, 'timeout');
      assert.deepEqual(seen, [1, 1, 1, 1], 'DATA 1 sent once plus maxRetries (3) times');
      assert.equal(h.server.stats.activeTransfers, 0);
    } finally { await closeSocket(socket); }
  });

  test('a client that goes silent mid-file after an OACK is abandoned too', async () => {
    const failedBefore = h.failed.length;
    await assert.rejects(tftpGet({ port: h.port, file: 'f100001.bin', options: [['blksize', '1024']], silentAfter: 10, timeoutMs: 300, retries: 4 }));
    await until(() => h.failed.length > failedBefore, 5000, 'transfer abandoned');
    assert.equal(h.failed.at(-1)?.reason, 'timeout');
    assert.equal(h.failed.at(-1)?.blocks, 9, 'block 10 arrived but was never acknowledged');
  });

  test("the client's timeout option fixes the retransmission interval (RFC 2349)", async () => {
    const socket = await udpSocket();
    const times: number[] = [];
    let tid = 0;
    socket.on('message', (msg, rinfo) => { const d = decodePacket(msg); if (d.ok && d.packet.op === Opcode.OACK) { times.push(Date.now()); tid = rinfo.port; } });
    try {
      socket.send(encodeRequest(Opcode.RRQ, 'f512.bin', 'octet', [['timeout', '1']]), h.port, '127.0.0.1');
      await until(() => times.length >= 2, 3000, 'OACK retransmission');
      assert.ok(times[1] - times[0] >= 900, `1 s between OACKs, not the server's 60 ms (got ${times[1] - times[0]} ms)`);
      socket.send(encodeError(0, 'done here'), tid, '127.0.0.1');
      await until(() => h.server.stats.activeTransfers === 0);
    } finally { await closeSocket(socket); }
  });

  test('a client declining the OACK with ERROR 8 ends the transfer', async () => {
    const failedBefore = h.failed.length;
    await assert.rejects(tftpGet({ port: h.port, file: 'f4096.bin', options: [['blksize', '1024']], declineOack: true }), /declined/);
    await until(() => h.failed.length > failedBefore);
    assert.equal(h.failed.at(-1)?.reason, 'peer-error');
    assert.equal(h.server.stats.activeTransfers, 0);
  });

  test('unknown TID: ERROR 5 to the stranger only; the transfer carries on (RFC 1350 §4)', async () => {
    const client = await udpSocket();
    const stranger = await udpSocket();
    const strangerGot: Buffer[] = [];
    stranger.on('message', (msg) => strangerGot.push(msg));
    const clientGot: Array<{ msg: Buffer; port: number }> = [];
    client.on('message', (msg, rinfo) => clientGot.push({ msg, port: rinfo.port }));
    try {
      client.send(encodeRequest(Opcode.RRQ, 'f1024.bin', 'octet'), h.port, '127.0.0.1');
      await until(() => clientGot.length >= 1);
      const tid = clientGot[0].port;
      stranger.send(encodeAck(1), tid, '127.0.0.1');
      stranger.send(Buffer.from([0, 5, 0, 0, 0]), tid, '127.0.0.1'); // an ERROR: never answered
      await until(() => strangerGot.length >= 1);
      await sleep(30);
      assert.equal(strangerGot.length, 1);
      const d = decodePacket(strangerGot[0]);
      assert.ok(d.ok && d.packet.op === Opcode.ERROR && d.packet.code === 5);
      // The real client finishes the transfer: blocks 1, 2 (512 octets each) and an empty block 3.
      for (let n = 1; n <= 3; n++) {
        await until(() => clientGot.some((g) => { const x = decodePacket(g.msg); return x.ok && x.packet.op === Opcode.DATA && x.packet.block === n; }));
        client.send(encodeAck(n), tid, '127.0.0.1');
      }
      await until(() => h.server.stats.activeTransfers === 0);
      assert.equal(h.ended.at(-1)?.bytes, 1024);
    } finally { await closeSocket(client); await closeSocket(stranger); }
  });

  const peerPackets: Array<[string, Buffer, number | null, string]> = [
    ['garbage', Buffer.from([0, 9, 1, 2]), 4, 'protocol-error'],
    ['a DATA packet', Buffer.from([0, 3, 0, 1, 65]), 4, 'protocol-error'],
    ['a runt', Buffer.from([7]), 4, 'protocol-error'],
    ['an ERROR', Buffer.from([0, 5, 0, 0, 98, 121, 101, 0]), null, 'peer-error'],
  ];
  for (const [name, packet, answer, reason] of peerPackets) {
    test(`the peer sends ${name} mid-transfer → ${answer === null ? 'silence' : `ERROR ${answer}`}, transfer ends`, async () => {
      const client = await udpSocket();
      const got: Array<{ msg: Buffer; port: number }> = [];
      client.on('message', (msg, rinfo) => got.push({ msg, port: rinfo.port }));
      const failedBefore = h.failed.length;
      try {
        client.send(encodeRequest(Opcode.RRQ, 'f4096.bin', 'octet'), h.port, '127.0.0.1');
        await until(() => got.length >= 1);
        const tid = got[0].port;
        client.send(packet, tid, '127.0.0.1');
        await until(() => h.failed.length > failedBefore);
        assert.equal(h.failed.at(-1)?.reason, reason);
        await sleep(30);
        const errors = got.map((g) => decodePacket(g.msg)).filter((d) => d.ok && d.packet.op === Opcode.ERROR);
        if (answer === null) assert.equal(errors.length, 0);
        else assert.ok(errors.length === 1 && errors[0].ok && errors[0].packet.op === Opcode.ERROR && errors[0].packet.code === answer);
      } finally { await closeSocket(client); }
    });
  }
});

describe('backends that stream, fail and stall', () => {
  const pulled = { bytes: 0 };
  /** A 64 MiB "file" generated on demand, counting what the server pulled from it. */
  const hugeStream = (): Readable => {
    let sent = 0;
    return new Readable({
      read(size) {
        const n = Math.min(size, 64 * 1024 * 1024 - sent);
        sent += n; pulled.bytes += n;
        this.push(n > 0 ? Buffer.alloc(n, 0x5a) : null);
      },
    });
  };
  const backend: TftpBackend = {
    resolve: async (path) => {
      switch (path) {
        case 'generated.cfg': return { data: Buffer.from('#!ipxe\nchain http://10.0.0.1:5248/boot.ipxe\n') };
        case 'huge.img': return { size: 64 * 1024 * 1024, open: hugeStream };
        case 'broken.img': {
          let n = 0;
          return { size: 1 << 20, open: () => new Readable({ read() { if (n++ < 3) this.push(Buffer.alloc(1024, 1)); else this.destroy(new Error('EIO: disk on fire')); } }) };
        }
        case 'stalled.img': return { size: 4096, open: () => new Readable({ read() { /* never delivers */ } }) };
        default: return null;
      }
    },
  };
  let h: Harness;
  before(async () => { h = await startServer({}, { backend, timeoutMs: 50, minTimeoutMs: 50, maxTimeoutMs: 100, maxRetries: 3 }); });
  after(async () => { await h.close(); });

  test('a buffer answer (generated config) is served, with tsize', async () => {
    const r = await tftpGet({ port: h.port, file: 'generated.cfg', options: [['tsize', '0']] });
    assert.equal(r.data.toString(), '#!ipxe\nchain http://10.0.0.1:5248/boot.ipxe\n');
    assert.equal(r.oack?.tsize, String(r.data.length));
  });

  test('a large file is read ahead only as far as the window needs', async () => {
    pulled.bytes = 0;
    const failedBefore = h.failed.length;
    // The client stops after 20 blocks of 1024; the server may only have pulled a little more than that.
    await assert.rejects(tftpGet({ port: h.port, file: 'huge.img', options: [['blksize', '1024'], ['windowsize', '4'], ['tsize', '0']], silentAfter: 20, timeoutMs: 200, retries: 3 }));
    await until(() => h.failed.length > failedBefore);
    assert.ok(pulled.bytes < 256 * 1024, `pulled ${pulled.bytes} octets of a 64 MiB stream`);
  });

  test('a read error mid-file → ERROR 0 to the client, transferError read-error', async () => {
    const failedBefore = h.failed.length;
    await assert.rejects(tftpGet({ port: h.port, file: 'broken.img', options: [['blksize', '1024']] }), (err: Error & { code?: number | null }) => err.code === 0);
    await until(() => h.failed.length > failedBefore);
    assert.equal(h.failed.at(-1)?.reason, 'read-error');
    assert.match(h.failed.at(-1)?.message ?? '', /disk on fire/);
  });

  test('a stream that never delivers → read-error after the retries', async () => {
    const failedBefore = h.failed.length;
    await assert.rejects(tftpGet({ port: h.port, file: 'stalled.img', timeoutMs: 200, retries: 10 }));
    await until(() => h.failed.length > failedBefore);
    assert.equal(h.failed.at(-1)?.reason, 'read-error');
  });
});

describe('close()', () => {
  test('aborts running transfers (ERROR 0 to each client) and closes every socket', async () => {
    const h = await startServer({ 'a.bin': pseudoRandom(10_000) }, { timeoutMs: 5000 });
    const clients = await Promise.all([udpSocket(), udpSocket(), udpSocket()]);
    const errors: number[] = [];
    try {
      for (const c of clients) {
        c.on('message', (msg) => { const d = decodePacket(msg); if (d.ok && d.packet.op === Opcode.ERROR) errors.push(d.packet.code); });
        c.send(encodeRequest(Opcode.RRQ, 'a.bin', 'octet'), h.port, '127.0.0.1');
      }
      await until(() => h.server.stats.activeTransfers === 3);
      await h.close();
      assert.equal(h.server.stats.activeTransfers, 0);
      assert.deepEqual(h.failed.map((f) => f.reason), ['aborted', 'aborted', 'aborted']);
      await until(() => errors.length === 3);
      assert.deepEqual(errors, [0, 0, 0]);
      await h.close(); // idempotent
    } finally { for (const c of clients) await closeSocket(c); }
  });
});

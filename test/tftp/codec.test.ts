/**
 * The TFTP library's pure parts, table-driven: packet codec (RFC 1350/2347), option negotiation
 * (RFC 2347/2348/2349/7440), request path normalisation, netascii, block sources, the adaptive
 * timeout (RFC 6298) and the error-reply token bucket.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { normalizeRequestPath } from '../../src/edges/rack/tftp/backend.ts';
import { bufferSource, netasciiStream, streamSource, toNetascii } from '../../src/edges/rack/tftp/blocks.ts';
import { negotiate, oackOptions, type Negotiated } from '../../src/edges/rack/tftp/options.ts';
import {
  decodePacket, encodeAck, encodeData, encodeError, encodeOack, encodeRequest, ErrorCode, Opcode, type Packet,
} from '../../src/edges/rack/tftp/packet.ts';
import { TokenBucket } from '../../src/edges/rack/tftp/rate-limit.ts';
import { Rto } from '../../src/edges/rack/tftp/rto.ts';

const b = (...parts: Array<number | string>): Buffer =>
  Buffer.concat(parts.map((p) => (typeof p === 'number' ? Buffer.from([p]) : Buffer.from(p, 'latin1'))));

describe('packet decoding', () => {
  const ok: Array<[string, Buffer, Packet]> = [
    ['RRQ', b(0, 1, 'pxelinux.0', 0, 'octet', 0), { op: 1, filename: 'pxelinux.0', mode: 'octet', options: [] }],
    ['RRQ with options', b(0, 1, 'f', 0, 'NetAscii', 0, 'blksize', 0, '1468', 0, 'TSIZE', 0, '0', 0),
      { op: 1, filename: 'f', mode: 'NetAscii', options: [['blksize', '1468'], ['TSIZE', '0']] }],
    ['RRQ padded with NULs', b(0, 1, 'f', 0, 'octet', 0, 0, 0, 0), { op: 1, filename: 'f', mode: 'octet', options: [] }],
    ['RRQ UTF-8 name', Buffer.concat([b(0, 1), Buffer.from('grub/ünï.cfg'), b(0, 'octet', 0)]), { op: 1, filename: 'grub/ünï.cfg', mode: 'octet', options: [] }],
    ['WRQ', b(0, 2, 'up', 0, 'octet', 0), { op: 2, filename: 'up', mode: 'octet', options: [] }],
    ['DATA', b(0, 3, 0x12, 0x34, 'abc'), { op: 3, block: 0x1234, data: Buffer.from('abc') }],
    ['empty DATA', b(0, 3, 0, 0), { op: 3, block: 0, data: Buffer.alloc(0) }],
    ['ACK', b(0, 4, 0xff, 0xff), { op: 4, block: 65535 }],
    ['ERROR', b(0, 5, 0, 1, 'File not found', 0), { op: 5, code: 1, message: 'File not found' }],
    ['ERROR without NUL', b(0, 5, 0, 8, 'nope'), { op: 5, code: 8, message: 'nope' }],
    ['OACK', b(0, 6, 'blksize', 0, '512', 0), { op: 6, options: [['blksize', '512']] }],
    ['empty OACK', b(0, 6), { op: 6, options: [] }],
  ];
  for (const [name, buf, packet] of ok) {
    test(`decodes ${name}`, () => {
      assert.deepEqual(decodePacket(buf), { ok: true, packet });
    });
  }

  const bad: Array<[string, Buffer, number | null, number]> = [
    ['empty datagram', b(), null, ErrorCode.ILLEGAL_OPERATION],
    ['one octet', b(1), null, ErrorCode.ILLEGAL_OPERATION],
    ['opcode 0', b(0, 0, 'x', 0), 0, ErrorCode.ILLEGAL_OPERATION],
    ['opcode 7', b(0, 7), 7, ErrorCode.ILLEGAL_OPERATION],
    ['opcode 0xffff', b(0xff, 0xff, 1, 2, 3), 0xffff, ErrorCode.ILLEGAL_OPERATION],
    ['RRQ without final NUL', b(0, 1, 'f', 0, 'octet'), 1, ErrorCode.ILLEGAL_OPERATION],
    ['RRQ without mode', b(0, 1, 'f', 0), 1, ErrorCode.ILLEGAL_OPERATION],
    ['RRQ empty filename', b(0, 1, 0, 'octet', 0), 1, ErrorCode.ILLEGAL_OPERATION],
    ['RRQ empty mode', b(0, 1, 'f', 0, 0), 1, ErrorCode.ILLEGAL_OPERATION],
    ['RRQ bare opcode', b(0, 1), 1, ErrorCode.ILLEGAL_OPERATION],
    ['RRQ option without value', b(0, 1, 'f', 0, 'octet', 0, 'blksize', 0), 1, ErrorCode.OPTION_NEGOTIATION],
    ['RRQ empty option name', b(0, 1, 'f', 0, 'octet', 0, 0, '512', 0), 1, ErrorCode.OPTION_NEGOTIATION],
    ['WRQ without NUL', b(0, 2, 'f'), 2, ErrorCode.ILLEGAL_OPERATION],
    ['DATA without block', b(0, 3, 1), 3, ErrorCode.ILLEGAL_OPERATION],
    ['ACK without block', b(0, 4), 4, ErrorCode.ILLEGAL_OPERATION],
    ['ERROR without code', b(0, 5, 0), 5, ErrorCode.ILLEGAL_OPERATION],
    ['OACK without NUL', b(0, 6, 'blksize'), 6, ErrorCode.ILLEGAL_OPERATION],
  ];
  for (const [name, buf, opcode, error] of bad) {
    test(`refuses ${name}`, () => {
      const d = decodePacket(buf);
      assert.equal(d.ok, false);
      if (!d.ok) { assert.equal(d.opcode, opcode); assert.equal(d.error, error); assert.ok(d.reason.length > 0); }
    });
  }

  test('encoders and decoder agree', () => {
    const cases: Array<[Buffer, Packet]> = [
      [encodeRequest(Opcode.RRQ, 'a/b.cfg', 'octet', [['blksize', '8'], ['windowsize', '4']]),
        { op: 1, filename: 'a/b.cfg', mode: 'octet', options: [['blksize', '8'], ['windowsize', '4']] }],
      [encodeRequest(Opcode.WRQ, 'x', 'netascii'), { op: 2, filename: 'x', mode: 'netascii', options: [] }],
      [encodeData(70000, Buffer.from('xyz')), { op: 3, block: 70000 & 0xffff, data: Buffer.from('xyz') }],
      [encodeAck(65536), { op: 4, block: 0 }],
      [encodeError(5, 'Unknown transfer ID'), { op: 5, code: 5, message: 'Unknown transfer ID' }],
      [encodeOack([['tsize', '123'], ['BlkSize', '1468']]), { op: 6, options: [['tsize', '123'], ['BlkSize', '1468']] }],
    ];
    for (const [buf, packet] of cases) assert.deepEqual(decodePacket(buf), { ok: true, packet });
    assert.deepEqual([...encodeAck(7)], [0, 4, 0, 7]);
    assert.deepEqual([...encodeError(1, 'x')], [0, 5, 0, 1, 0x78, 0]);
  });
});

describe('option negotiation', () => {
  const limits = { maxBlockSize: 1468, maxWindowSize: 16 };
  type Expect = Partial<Omit<Negotiated, 'accepted'>> & { oack?: Array<[string, string]> };
  const accepted: Array<[string, Array<[string, string]>, Expect]> = [
    ['no options', [], { blockSize: 512, windowSize: 1, timeoutSec: null, tsize: false, oack: [] }],
    ['blksize within cap', [['blksize', '1024']], { blockSize: 1024, oack: [['blksize', '1024']] }],
    ['blksize minimum', [['blksize', '8']], { blockSize: 8, oack: [['blksize', '8']] }],
    ['blksize above cap → cap', [['blksize', '65464']], { blockSize: 1468, oack: [['blksize', '1468']] }],
    ['blksize above RFC range → cap', [['blksize', '100000']], { blockSize: 1468, oack: [['blksize', '1468']] }],
    ['blksize leading zeros', [['blksize', '0512']], { blockSize: 512, oack: [['blksize', '512']] }],
    ['names are case-insensitive, spelling echoed', [['BlkSize', '600']], { blockSize: 600, oack: [['BlkSize', '600']] }],
    ['windowsize within cap', [['windowsize', '8']], { windowSize: 8, oack: [['windowsize', '8']] }],
    ['windowsize above cap → cap', [['windowsize', '64']], { windowSize: 16, oack: [['windowsize', '16']] }],
    ['windowsize above RFC range → cap', [['windowsize', '70000']], { windowSize: 16, oack: [['windowsize', '16']] }],
    ['timeout 1', [['timeout', '1']], { timeoutSec: 1, oack: [['timeout', '1']] }],
    ['timeout 255', [['timeout', '255']], { timeoutSec: 255, oack: [['timeout', '255']] }],
    ['tsize', [['tsize', '0']], { tsize: true, oack: [['tsize', '4242']] }],
    ['unknown options ignored', [['multicast', ''], ['foo', 'bar'], ['rollover', '0']], { oack: [] }],
    ['all together, request order kept', [['tsize', '0'], ['windowsize', '4'], ['timeout', '3'], ['blksize', '1428'], ['x', 'y']],
      { blockSize: 1428, windowSize: 4, timeoutSec: 3, tsize: true, oack: [['tsize', '4242'], ['windowsize', '4'], ['timeout', '3'], ['blksize', '1428']] }],
  ];
  for (const [name, options, expect] of accepted) {
    test(`accepts ${name}`, () => {
      const r = negotiate(options, limits);
      assert.ok(r.ok, !r.ok ? r.message : '');
      if (!r.ok) return;
      const { oack, ...fields } = expect;
      for (const [k, v] of Object.entries(fields)) assert.deepEqual(r.negotiated[k as keyof Negotiated], v, k);
      if (oack) assert.deepEqual(oackOptions(r.negotiated, 4242), oack);
    });
  }

  const refused: Array<[string, Array<[string, string]>]> = [
    ['blksize below 8', [['blksize', '7']]],
    ['blksize 0', [['blksize', '0']]],
    ['blksize not a number', [['blksize', 'abc']]],
    ['blksize negative', [['blksize', '-512']]],
    ['blksize empty', [['blksize', '']]],
    ['blksize with spaces', [['blksize', ' 512']]],
    ['blksize huge digit string', [['blksize', '99999999999999999999']]],
    ['blksize twice', [['blksize', '512'], ['BLKSIZE', '1024']]],
    ['windowsize 0', [['windowsize', '0']]],
    ['timeout 0', [['timeout', '0']]],
    ['timeout 256', [['timeout', '256']]],
    ['tsize not a number', [['tsize', 'x']]],
  ];
  for (const [name, options] of refused) {
    test(`refuses ${name} (ERROR 8)`, () => {
      const r = negotiate(options, limits);
      assert.equal(r.ok, false);
    });
  }

  test('tsize is left out when the size is unknown (netascii) or zero (curl refuses "tsize 0")', () => {
    const r = negotiate([['tsize', '0'], ['blksize', '1024']], limits);
    assert.ok(r.ok);
    if (r.ok) assert.deepEqual(oackOptions(r.negotiated, null), [['blksize', '1024']]);
    if (r.ok) assert.deepEqual(oackOptions(r.negotiated, 0), [['blksize', '1024']]);
    if (r.ok) assert.deepEqual(oackOptions(r.negotiated, 1), [['tsize', '1'], ['blksize', '1024']]);
  });
});

describe('request path normalisation', () => {
  const table: Array<[string, string | null]> = [
    ['pxelinux.0', 'pxelinux.0'],
    ['/pxelinux.0', 'pxelinux.0'],
    ['//grub//grub.cfg/', 'grub/grub.cfg'],
    ['./a/./b', 'a/b'],
    ['\\boot\\x86\\wdsnbp.com', 'boot/x86/wdsnbp.com'],
    ['/etc/passwd', 'etc/passwd'],
    ['...', '...'],
    ['..hidden', '..hidden'],
    ['..', null],
    ['../etc/passwd', null],
    ['/../etc/passwd', null],
    ['a/../../b', null],
    ['a/../b', null],
    ['..\\..\\b', null],
    ['a\0b', null],
    ['', null],
    ['/', null],
    ['./', null],
  ];
  for (const [input, expected] of table) {
    test(`${JSON.stringify(input)} → ${JSON.stringify(expected)}`, () => assert.equal(normalizeRequestPath(input), expected));
  }
});

describe('netascii', () => {
  const table: Array<[string, string]> = [
    ['', ''],
    ['plain', 'plain'],
    ['a\nb\n', 'a\r\nb\r\n'],
    ['cr\ronly', 'cr\r\0only'],
    ['dos\r\n', 'dos\r\0\r\n'],
    ['\n\n', '\r\n\r\n'],
  ];
  for (const [input, wire] of table) {
    test(`${JSON.stringify(input)}`, async () => {
      assert.equal(toNetascii(Buffer.from(input, 'latin1')).toString('latin1'), wire);
      // The stream form, one octet per chunk, gives the same.
      const chunks = [...Buffer.from(input, 'latin1')].map((x) => Buffer.from([x]));
      const out: Buffer[] = [];
      for await (const c of netasciiStream(Readable.from(chunks))) out.push(c as Buffer);
      assert.equal(Buffer.concat(out).toString('latin1'), wire);
    });
  }
});

describe('block sources', () => {
  async function drain(next: () => Promise<Buffer>, blockSize: number): Promise<number[]> {
    const sizes: number[] = [];
    for (;;) {
      const block = await next();
      sizes.push(block.length);
      if (block.length < blockSize) return sizes;
    }
  }
  const table: Array<[string, number, number, number[]]> = [
    // name, file size, chunk size of the stream, expected block sizes at blksize 4
    ['empty file: one empty block', 0, 3, [0]],
    ['short file', 3, 2, [3]],
    ['exact multiple: final empty block', 8, 3, [4, 4, 0]],
    ['remainder', 10, 7, [4, 4, 2]],
    ['chunks larger than blocks', 9, 100, [4, 4, 1]],
  ];
  for (const [name, size, chunk, sizes] of table) {
    test(name, async () => {
      const data = Buffer.from(Array.from({ length: size }, (_, i) => i));
      const chunks: Buffer[] = [];
      for (let i = 0; i < size; i += chunk) chunks.push(data.subarray(i, i + chunk));
      const fromStream = streamSource(Readable.from(chunks), 4);
      assert.deepEqual(await drain(() => fromStream.next(), 4), sizes);
      const fromBuffer = bufferSource(data, 4);
      assert.deepEqual(await drain(() => fromBuffer.next(), 4), sizes);
    });
  }

  test('a stream error rejects the next block', async () => {
    const stream = new Readable({ read() { this.destroy(new Error('EIO')); } });
    await assert.rejects(streamSource(stream, 512).next(), /EIO/);
  });

  test('close() destroys the stream', () => {
    const stream = new Readable({ read() { /* never produces */ } });
    streamSource(stream, 512).close();
    assert.equal(stream.destroyed, true);
  });
});

describe('adaptive timeout (RFC 6298)', () => {
  const config = { initialMs: 1000, minMs: 100, maxMs: 8000 };
  test('starts at the initial value, converges on samples, clamps', () => {
    const rto = new Rto(config);
    assert.equal(rto.ms, 1000);
    rto.sample(400); // SRTT 400, RTTVAR 200 → 1200
    assert.equal(rto.ms, 1200);
    for (let i = 0; i < 50; i++) rto.sample(1);
    assert.equal(rto.ms, 100); // clamped to the minimum
  });
  test('doubles on expiry up to the maximum', () => {
    const rto = new Rto(config);
    const seen: number[] = [];
    for (let i = 0; i < 5; i++) { rto.backoff(); seen.push(rto.ms); }
    assert.deepEqual(seen, [2000, 4000, 8000, 8000, 8000]);
  });
  test("a client's timeout option fixes it", () => {
    const rto = new Rto(config, 3000);
    rto.sample(5); rto.backoff();
    assert.equal(rto.ms, 3000);
  });
});

describe('error-reply token bucket', () => {
  test('allows a burst of `rate`, then refills over time', () => {
    let now = 0;
    const bucket = new TokenBucket(10, () => now);
    const burst = Array.from({ length: 15 }, () => bucket.take()).filter(Boolean).length;
    assert.equal(burst, 10);
    now += 500; // half a second: five more
    assert.equal(Array.from({ length: 10 }, () => bucket.take()).filter(Boolean).length, 5);
  });
  test('0 never answers, Infinity always does', () => {
    assert.equal(new TokenBucket(0).take(), false);
    const open = new TokenBucket(Infinity);
    assert.ok(Array.from({ length: 1000 }, () => open.take()).every(Boolean));
  });
});

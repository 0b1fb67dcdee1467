/**
 * The streaming multipart reader (uploads) agrees with the whole-body parser (wire/multipart.ts) on
 * every body, however the bytes are split into chunks: the maas CLI's base64 parts, binary parts,
 * CRLF and bare LF, preamble and epilogue, blanks after the boundary, empty parts, python's empty
 * message, boundary look-alikes inside content; and refuses what that parser refuses.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { multipart } from '../../src/cli/client/request.ts';
import { parseMultipart } from '../../src/edges/maas/wire/multipart.ts';
import type { FilePart } from '../../src/edges/maas/wire/multipart.ts';
import { parseMultipartStream } from '../../src/edges/maas/handlers/boot-resources-multipart.ts';

function prng(seed: number) {
  let s = seed >>> 0 || 1;
  return (n: number) => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return Math.floor((s / 2 ** 32) * n); };
}

async function* chunks(body: Buffer, sizes: () => number): AsyncGenerator<Buffer> {
  for (let i = 0; i < body.length;) { const n = Math.max(1, sizes()); yield body.subarray(i, i + n); i += n; }
}

/** Streams with `content` sent to a sink (collected here) and everything else kept in memory. */
async function streamed(body: Buffer, ct: string, sizes: () => number) {
  const form = await parseMultipartStream(chunks(body, sizes), ct, {
    maxInMemory: 1 << 20,
    async sinkFor(info) {
      if (info.name !== 'content') return null;
      const parts: Buffer[] = [];
      return {
        async write(c) { parts.push(Buffer.from(c)); },
        async finish(): Promise<FilePart> { return { ...info, data: Buffer.concat(parts) }; },
        async abort() { /* nothing kept */ },
      };
    },
  });
  return form;
}

const norm = (f: { fields: Array<[string, string]>; files: FilePart[] }) => ({
  fields: f.fields, files: f.files.map((x) => ({ name: x.name, filename: x.filename, contentType: x.contentType, data: x.data.toString('hex') })),
});

const B = 'XyZ=b';
const crlf = (parts: string[]) => Buffer.from(parts.join('\r\n'), 'latin1');

const BODIES: Array<[string, Buffer, string]> = [
  ['maas CLI: base64 parts, quoted boundary', multipart([{ name: 'name', value: 'img' }, { name: 'content', value: randomBytes(5000), filename: 'a.gz' }, { name: 'title', value: 'T ü' }]).body, ''],
  ['binary part with boundary look-alikes inside', Buffer.concat([
    crlf([`preamble`, `--${B}`, 'Content-Disposition: form-data; name="a"', '', 'one', `--${B}`, 'Content-Disposition: form-data; name="content"; filename="x"', 'Content-Type: application/octet-stream', '', '']),
    Buffer.from(`\r\n--${B}X not a delimiter\n--${B}Y\r--${B}`, 'latin1'), randomBytes(3000),
    crlf(['', `--${B}  `, 'Content-Disposition: form-data; name="b"', '', '', `--${B}--`, 'epilogue']),
  ]), `multipart/form-data; boundary="${B}"`],
  ['bare LF, an empty part right before the next delimiter', Buffer.from(`--${B}\nContent-Disposition: form-data; name="a"\n\nv1\n--${B}\nContent-Disposition: form-data; name="e"\n\n--${B}\nContent-Disposition: form-data; name="content"\nContent-Type: application/octet-stream\n\n\n--${B}--\n`, 'latin1'), `multipart/form-data; boundary=${B}`],
  ['python\'s empty message', Buffer.from(`--${B}\r\n\r\n--${B}--\r\n`, 'latin1'), `multipart/form-data; boundary=${B}`],
  ['no body', Buffer.alloc(0), `multipart/form-data; boundary=${B}`],
];

const BAD: Array<[string, Buffer]> = [
  ['no closing delimiter', Buffer.from(`--${B}\r\nContent-Disposition: form-data; name="a"\r\n\r\nv`, 'latin1')],
  ['no boundary in the body', Buffer.from('just text', 'latin1')],
  ['a header line running into the delimiter', Buffer.from(`--${B}\r\nContent-Disposition: form-data; name="e"\r\n--${B}--`, 'latin1')],
  ['a part without Content-Disposition', Buffer.from(`--${B}\r\nContent-Type: text/plain\r\n\r\nv\r\n--${B}--`, 'latin1')],
  ['invalid base64 in the upload', Buffer.from(`--${B}\r\nContent-Disposition: form-data; name="content"; filename="f"\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!!\r\n--${B}--`, 'latin1')],
];

test('the streaming reader gives what the whole-body parser gives, for any chunking', async () => {
  const rnd = prng(20240601);
  for (const [what, body, ctGiven] of BODIES) {
    const contentType = ctGiven || (() => { const m = /^--([^\r\n]+)\r\n/.exec(body.toString('latin1')); return `multipart/form-data; boundary="${m![1]}"`; })();
    // A part streamed to a sink is a file only (never also a text field, as small byte parts are).
    const whole = parseMultipart(body, contentType);
    const want = norm({ fields: whole.fields.filter(([k]) => k !== 'content'), files: whole.files });
    for (const sizes of [() => body.length || 1, () => 1, () => 1 + rnd(7), () => 1 + rnd(200), () => 65536]) {
      assert.deepEqual(norm(await streamed(body, contentType, sizes)), want, what);
    }
  }
});

test('and refuses what it refuses', async () => {
  const ct = `multipart/form-data; boundary=${B}`;
  for (const [what, body] of BAD) {
    if (what !== 'invalid base64 in the upload') assert.throws(() => parseMultipart(body, ct), /./, what);
    for (const sizes of [() => body.length, () => 1, () => 3]) await assert.rejects(streamed(body, ct, sizes), /./, what);
  }
});

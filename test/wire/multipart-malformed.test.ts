import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_PARTS, WireFormatError, parseMultipart } from '../../src/edges/maas/wire/multipart.ts';
import { PY_BOUNDARY, PY_CONTENT_TYPE, pythonBody } from './builders.ts';

const crlf = (s: string) => Buffer.from(s.replace(/\n/g, '\r\n'), 'latin1');
const CT = 'multipart/form-data; boundary=B';
const good = crlf('--B\nContent-Disposition: form-data; name="a"\n\n1\n--B--\n');

const cases: Array<{ name: string; contentType: string; body: Buffer; message: RegExp }> = [
  { name: 'no boundary parameter', contentType: 'multipart/form-data', body: good, message: /no boundary parameter/ },
  { name: 'no boundary parameter, empty body', contentType: 'multipart/form-data; charset=utf-8', body: Buffer.alloc(0), message: /no boundary parameter/ },
  { name: 'empty quoted boundary', contentType: 'multipart/form-data; boundary=""', body: good, message: /no boundary parameter/ },
  { name: 'not a multipart type', contentType: 'application/x-www-form-urlencoded', body: good, message: /expected a multipart Content-Type/ },
  { name: 'unterminated quoted boundary', contentType: 'multipart/form-data; boundary="B', body: good, message: /unterminated quoted string/ },
  { name: 'boundary never appears', contentType: 'multipart/form-data; boundary=other', body: good, message: /does not contain the boundary/ },
  { name: 'missing closing delimiter: body ends after content', contentType: CT, body: crlf('--B\nContent-Disposition: form-data; name="a"\n\n1\n'), message: /missing its closing delimiter/ },
  { name: 'missing closing delimiter: ends with an open delimiter', contentType: CT, body: crlf('--B\nContent-Disposition: form-data; name="a"\n\n1\n--B'), message: /missing its closing delimiter/ },
  { name: 'missing closing delimiter: python body cut short', contentType: PY_CONTENT_TYPE, body: pythonBody([{ name: 'a', value: 'b' }]).subarray(0, -2 - PY_BOUNDARY.length - 2), message: /missing its closing delimiter/ },
  { name: 'part without Content-Disposition', contentType: CT, body: crlf('--B\nContent-Type: text/plain\n\n1\n--B--'), message: /no Content-Disposition header/ },
  { name: 'part without any headers', contentType: CT, body: crlf('--B\n\nvalue\n--B--'), message: /no Content-Disposition header/ },
  { name: 'Content-Disposition without name', contentType: CT, body: crlf('--B\nContent-Disposition: form-data; filename="x"\n\n1\n--B--'), message: /no name parameter/ },
  { name: 'header block not terminated (content follows headers directly)', contentType: CT, body: crlf('--B\nContent-Disposition: form-data; name="a"\nvalue\n--B--'), message: /header block is not terminated/ },
  { name: 'header block not terminated (delimiter follows header line)', contentType: CT, body: crlf('--B\nContent-Disposition: form-data; name="a"\n--B--'), message: /header block is not terminated/ },
  { name: 'header line without a colon', contentType: CT, body: crlf('--B\nContent-Disposition: form-data; name="a"\nbogus line\n\n1\n--B--'), message: /malformed header line/ },
  { name: 'header block starting with a continuation line', contentType: CT, body: crlf('--B\n folded\nContent-Disposition: form-data; name="a"\n\n1\n--B--'), message: /continuation line/ },
  { name: 'unterminated quoted name', contentType: CT, body: crlf('--B\nContent-Disposition: form-data; name="a\n\n1\n--B--'), message: /unterminated quoted string/ },
  { name: 'invalid base64 character', contentType: CT, body: crlf('--B\nContent-Disposition: form-data; name="a"\nContent-Transfer-Encoding: base64\n\nYW!j\n--B--'), message: /invalid base64.*0x21/ },
  { name: 'base64 data after padding', contentType: CT, body: crlf('--B\nContent-Disposition: form-data; name="a"\nContent-Transfer-Encoding: base64\n\nYQ==YQ==\n--B--'), message: /after the "=" padding/ },
  { name: 'unsupported transfer encoding', contentType: CT, body: crlf('--B\nContent-Disposition: form-data; name="a"\nContent-Transfer-Encoding: x-uuencode\n\n1\n--B--'), message: /unsupported Content-Transfer-Encoding "x-uuencode"/ },
  { name: 'unsupported charset', contentType: CT, body: crlf('--B\nContent-Disposition: form-data; name="a"\nContent-Type: text/plain; charset=klingon\n\n1\n--B--'), message: /unsupported charset "klingon"/ },
  { name: 'malformed RFC 2231 value', contentType: CT, body: crlf('--B\nContent-Disposition: form-data; name*=nocharset\n\n1\n--B--'), message: /malformed RFC 2231/ },
  { name: `more than ${MAX_PARTS} parts`, contentType: CT, body: Buffer.from(`--B\r\n${'Content-Disposition: form-data; name="k"\r\n\r\nv\r\n--B\r\n'.repeat(MAX_PARTS)}Content-Disposition: form-data; name="k"\r\n\r\nv\r\n--B--`), message: /more than 10000 parts/ },
];

for (const c of cases) {
  test(`multipart malformed: ${c.name}`, () => {
    assert.throws(() => parseMultipart(c.body, c.contentType), (err: unknown) => {
      assert.ok(err instanceof WireFormatError, `expected WireFormatError, got ${String(err)}`);
      assert.match(err.message, c.message);
      return true;
    });
  });
}

test('multipart: the well-formed control body used above parses', () => {
  assert.deepEqual(parseMultipart(good, CT), { fields: [['a', '1']], files: [] });
});

test('multipart: many near-miss delimiters in content stay linear', () => {
  const content = '\r\n--Bx'.repeat(500_000); // 3.5 MB of lines that start like a delimiter
  const body = Buffer.from(`--B\r\nContent-Disposition: form-data; name="f"; filename="f"\r\n\r\n${content}\r\n--B--`, 'latin1');
  const t0 = process.hrtime.bigint();
  const form = parseMultipart(body, CT);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  assert.equal(form.files[0].data.toString('latin1'), content);
  assert.ok(ms < 1000, `took ${ms.toFixed(0)} ms`);
});

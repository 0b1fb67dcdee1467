import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseQuery, parseRequestBody, type RequestData } from '../../src/edges/maas/wire/body.ts';
import { WireFormatError } from '../../src/edges/maas/wire/multipart.ts';
import { GO_CONTENT_TYPE, PY_BOUNDARY, PY_CONTENT_TYPE, goBody, pythonBody } from './builders.ts';

const queryCases: Array<{ raw: string; want: Array<[string, string]> }> = [
  { raw: '', want: [] },
  { raw: '?', want: [] },
  { raw: 'op=allocate', want: [['op', 'allocate']] },
  { raw: '?op=whoami', want: [['op', 'whoami']] },
  { raw: 'id=a&id=b&id=c', want: [['id', 'a'], ['id', 'b'], ['id', 'c']] },
  { raw: 'q=a+b&r=a%20b&s=a%2Bb', want: [['q', 'a b'], ['r', 'a b'], ['s', 'a+b']] },
  { raw: 'empty=&flag&=v', want: [['empty', ''], ['flag', ''], ['', 'v']] },
  { raw: 'a=1&&b=2&', want: [['a', '1'], ['b', '2']] },
  { raw: 'x=1=2', want: [['x', '1=2']] },
  { raw: 'fqdn=n%C3%B6de.maas&k%5B%5D=%7e', want: [['fqdn', 'nöde.maas'], ['k[]', '~']] },
  { raw: 'bad=%FF', want: [['bad', '\ufffd']] }, // not UTF-8: replaced, as Django does
  { raw: 'u=ü', want: [['u', 'ü']] }, // an already-decoded string is taken as text
];

for (const c of queryCases) {
  test(`parseQuery ${JSON.stringify(c.raw)}`, () => assert.deepEqual(parseQuery(c.raw), c.want));
}

for (const raw of ['a=%', 'a=%4', 'a=%zz', 'a%2=1', 'a=100%&b=1']) {
  test(`parseQuery rejects bad percent-encoding ${JSON.stringify(raw)}`, () => {
    assert.throws(() => parseQuery(raw), (e: unknown) => e instanceof WireFormatError && /bad percent-encoding/.test(e.message));
  });
}

const none: RequestData = { fields: [], files: [], json: undefined };
const FORM = 'application/x-www-form-urlencoded';

const bodyCases: Array<{ name: string; contentType: string | undefined; body: Buffer | undefined; want: RequestData }> = [
  { name: 'absent body', contentType: undefined, body: undefined, want: none },
  { name: 'empty body with a form type', contentType: FORM, body: Buffer.alloc(0), want: none },
  { name: 'empty body with a multipart type', contentType: PY_CONTENT_TYPE, body: Buffer.alloc(0), want: none },
  { name: 'empty body with application/json', contentType: 'application/json', body: Buffer.alloc(0), want: none },
  { name: 'whitespace body with application/json', contentType: 'application/json', body: Buffer.from(' \r\n'), want: none },
  {
    name: 'gomaasapi urlencoded (url.Values.Encode), repeated keys', contentType: FORM,
    body: Buffer.from('comment=a+b%26c%3Dd%2B%C3%A9&machines=abc&machines=def'),
    want: { fields: [['comment', 'a b&c=d+é'], ['machines', 'abc'], ['machines', 'def']], files: [], json: undefined },
  },
  {
    name: 'urlencoded with charset parameter, empty values and keys without "="', contentType: 'Application/X-WWW-Form-Urlencoded; charset=UTF-8',
    body: Buffer.from('a=&b&c=%20x%20&a=2'),
    want: { fields: [['a', ''], ['b', ''], ['c', ' x '], ['a', '2']], files: [], json: undefined },
  },
  {
    name: 'maas CLI multipart', contentType: PY_CONTENT_TYPE,
    body: pythonBody([{ name: 'tags', value: 'a' }, { name: 'tags', value: 'b' }]),
    want: { fields: [['tags', 'a'], ['tags', 'b']], files: [], json: undefined },
  },
  { name: 'python-libmaas empty multipart (DELETE)', contentType: PY_CONTENT_TYPE, body: Buffer.from(`--${PY_BOUNDARY}\r\n\r\n--${PY_BOUNDARY}--`), want: none },
  {
    name: 'Go multipart with a file', contentType: GO_CONTENT_TYPE,
    body: goBody([{ name: 'filename', value: 'x' }, { name: 'file', value: Buffer.from([1, 2]), filename: 'x' }]),
    want: { fields: [['filename', 'x']], files: [{ name: 'file', filename: 'x', contentType: 'application/octet-stream', data: Buffer.from([1, 2]) }], json: undefined },
  },
  {
    name: 'cloud-init status webhook: JSON with no Content-Type', contentType: undefined,
    body: Buffer.from('{"name": "cmd-install", "event_type": "finish", "origin": "cloudinit", "result": "SUCCESS", "files": []}'),
    want: { fields: [], files: [], json: { name: 'cmd-install', event_type: 'finish', origin: 'cloudinit', result: 'SUCCESS', files: [] } },
  },
  { name: 'JSON array with no Content-Type, leading whitespace', contentType: undefined, body: Buffer.from('\n  [1, "two"]'), want: { fields: [], files: [], json: [1, 'two'] } },
  { name: 'JSON with BOM and empty Content-Type', contentType: '', body: Buffer.from('\ufeff{"a":1}'), want: { fields: [], files: [], json: { a: 1 } } },
  { name: 'declared JSON', contentType: 'application/json; charset=utf-8', body: Buffer.from('{"ok": true}'), want: { fields: [], files: [], json: { ok: true } } },
  { name: 'declared JSON scalar', contentType: 'application/json', body: Buffer.from('42'), want: { fields: [], files: [], json: 42 } },
  { name: 'vendor +json type', contentType: 'application/merge-patch+json', body: Buffer.from('{"a":null}'), want: { fields: [], files: [], json: { a: null } } },
  { name: 'no Content-Type, not JSON-looking', contentType: undefined, body: Buffer.from('a=1&b=2'), want: none },
  { name: 'text/plain body gives no fields', contentType: 'text/plain', body: Buffer.from('{"looks": "like json"}'), want: none },
  { name: 'unknown type gives no fields', contentType: 'application/x-yaml', body: Buffer.from('a: 1\n'), want: none },
  { name: 'octet-stream gives no fields', contentType: 'application/octet-stream', body: Buffer.from([0, 255, 0x7b]), want: none },
];

for (const c of bodyCases) {
  test(`parseRequestBody: ${c.name}`, () => assert.deepEqual(parseRequestBody(c.contentType, c.body), c.want));
}

const badBodies: Array<{ name: string; contentType: string | undefined; body: Buffer; message: RegExp }> = [
  { name: 'declared JSON that is not JSON', contentType: 'application/json', body: Buffer.from('{"a": }'), message: /invalid JSON request body/ },
  { name: 'sniffed JSON that is not JSON', contentType: undefined, body: Buffer.from('{not json'), message: /invalid JSON request body/ },
  { name: 'JSON that is not UTF-8', contentType: 'application/json', body: Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d]), message: /not valid UTF-8/ },
  { name: 'urlencoded bad escape', contentType: FORM, body: Buffer.from('a=%G1'), message: /bad percent-encoding "%G1"/ },
  { name: 'urlencoded truncated escape', contentType: FORM, body: Buffer.from('a=1&b=%4'), message: /bad percent-encoding "%4"/ },
  { name: 'multipart without boundary', contentType: 'multipart/form-data', body: Buffer.from('--x--'), message: /no boundary parameter/ },
  { name: 'multipart truncated', contentType: 'multipart/form-data; boundary=x', body: Buffer.from('--x\r\nContent-Disposition: form-data; name="a"\r\n\r\nv'), message: /closing delimiter/ },
];

for (const c of badBodies) {
  test(`parseRequestBody rejects ${c.name}`, () => {
    assert.throws(() => parseRequestBody(c.contentType, c.body), (e: unknown) => {
      assert.ok(e instanceof WireFormatError, String(e));
      assert.match(e.message, c.message);
      return true;
    });
  });
}

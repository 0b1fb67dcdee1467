/** Large machine listings stream as batches; the bytes must equal the one-string form exactly. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { jsonArrayReply } from '../../src/edges/maas/replies.ts';

const collect = async (r: Readable) => { const bufs: Buffer[] = []; for await (const c of r) bufs.push(c as Buffer); return Buffer.concat(bufs).toString(); };

test('small arrays are one buffer; large ones stream the same JSON', async () => {
  const small = jsonArrayReply([Buffer.from('{"a":1}'), Buffer.from('{"b":2}')]);
  assert.ok(Buffer.isBuffer(small.body));
  assert.equal(small.body.toString(), '[{"a":1},{"b":2}]');
  assert.equal(jsonArrayReply([]).body.toString(), '[]');
  assert.equal(jsonArrayReply([Buffer.from('{}')]).body.toString(), '[{}]');
  const parts = Array.from({ length: 5000 }, (_, i) => JSON.stringify({ i, pad: 'é'.repeat(300) }));
  const big = jsonArrayReply(parts.map((p) => Buffer.from(p)));
  assert.ok(big.body instanceof Readable);
  const text = await collect(big.body);
  assert.equal(text, `[${parts.join(',')}]`);
  assert.equal(JSON.parse(text).length, 5000);
});

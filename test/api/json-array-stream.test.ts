/** Large machine listings stream as batches; the bytes must equal the one-string form exactly. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { jsonArrayReply } from '../../src/edges/maas/replies.ts';

const collect = async (r: Readable) => { let s = ''; for await (const c of r) s += c.toString(); return s; };

test('small arrays are one string; large ones stream the same JSON', async () => {
  const small = jsonArrayReply(['{"a":1}', '{"b":2}']);
  assert.equal(small.body, '[{"a":1},{"b":2}]');
  assert.deepEqual(jsonArrayReply([]).body, '[]');
  const parts = Array.from({ length: 5000 }, (_, i) => JSON.stringify({ i, pad: 'é'.repeat(300) }));
  const big = jsonArrayReply(parts);
  assert.ok(big.body instanceof Readable);
  const text = await collect(big.body);
  assert.equal(text, `[${parts.join(',')}]`);
  assert.equal(JSON.parse(text).length, 5000);
});

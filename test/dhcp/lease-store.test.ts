/**
 * One suite for every LeaseStore implementation, then what only the file-backed store promises:
 * restart, compaction, a torn journal tail, offers never journaled.
 */
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryLeaseStore, type Lease, type LeaseStore } from '../../src/edges/rack/dhcp/lease-store.ts';
import { FileLeaseStore } from '../../src/edges/rack/dhcp/lease-file-store.ts';

const dirs: string[] = [];
after(async () => { for (const d of dirs) await rm(d, { recursive: true, force: true }); });
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'plinth-dhcp-leases-'));
  dirs.push(d);
  return d;
}

function lease(ip: string, clientKey: string, state: Lease['state'] = 'bound', expiresAt = 2_000_000_000_000): Lease {
  return { ip, subnet: '10.0.0.0/24', clientKey, mac: '52:54:00:00:00:01', state, expiresAt, updatedAt: 1, hostname: 'h' };
}

const implementations: Array<[string, () => Promise<LeaseStore>]> = [
  ['MemoryLeaseStore', async () => new MemoryLeaseStore()],
  ['FileLeaseStore', async () => FileLeaseStore.open(join(await tempDir(), 'leases.jsonl'))],
];

for (const [name, make] of implementations) {
  describe(`LeaseStore contract: ${name}`, () => {
    test('put/get/byClient/list/remove', async () => {
      const s = await make();
      await s.put(lease('10.0.0.1', 'a'));
      await s.put(lease('10.0.0.2', 'a', 'offered'));
      await s.put(lease('10.0.0.3', 'b'));
      assert.equal(s.get('10.0.0.1')?.clientKey, 'a');
      assert.deepEqual(s.byClient('a').map((l) => l.ip).sort(), ['10.0.0.1', '10.0.0.2']);
      assert.equal(s.list().length, 3);
      await s.remove('10.0.0.2');
      assert.equal(s.get('10.0.0.2'), undefined);
      assert.deepEqual(s.byClient('a').map((l) => l.ip), ['10.0.0.1']);
      await s.close();
    });

    test('changes are visible before the promise settles (atomic check-then-put)', async () => {
      const s = await make();
      const pending = s.put(lease('10.0.0.9', 'c'));
      assert.equal(s.get('10.0.0.9')?.clientKey, 'c');
      const removal = s.remove('10.0.0.9');
      assert.equal(s.get('10.0.0.9'), undefined);
      await Promise.all([pending, removal]);
      await s.close();
    });

    test('re-assigning an address moves it between clients', async () => {
      const s = await make();
      await s.put(lease('10.0.0.4', 'a'));
      await s.put(lease('10.0.0.4', 'b'));
      assert.deepEqual(s.byClient('a'), []);
      assert.equal(s.byClient('b')[0].ip, '10.0.0.4');
      await s.close();
    });

    test('generation changes when an address may have become free, not otherwise', async () => {
      const s = await make();
      const g0 = s.generation;
      await s.put(lease('10.0.0.5', 'a'));
      await s.put(lease('10.0.0.6', 'a', 'offered'));
      assert.equal(s.generation, g0);
      await s.put(lease('10.0.0.5', 'a', 'free'));
      const g1 = s.generation;
      assert.notEqual(g1, g0);
      await s.remove('10.0.0.6');
      assert.notEqual(s.generation, g1);
      await s.close();
    });
  });
}

test('FileLeaseStore: survives a restart; offers are not journaled', async () => {
  const path = join(await tempDir(), 'leases.jsonl');
  const s = await FileLeaseStore.open(path);
  await s.put(lease('10.0.0.1', 'a'));
  await s.put(lease('10.0.0.2', 'b', 'declined'));
  await s.put(lease('10.0.0.3', 'c', 'offered'));
  await s.put(lease('10.0.0.4', 'd'));
  await s.remove('10.0.0.4');
  await s.close();
  const text = await readFile(path, 'utf8');
  assert.ok(!text.includes('10.0.0.3'), 'offer not on disk');
  const r = await FileLeaseStore.open(path);
  assert.deepEqual(r.list().map((l) => `${l.ip}:${l.state}`).sort(), ['10.0.0.1:bound', '10.0.0.2:declined']);
  assert.deepEqual(r.get('10.0.0.1'), lease('10.0.0.1', 'a'));
  await r.close();
});

test('FileLeaseStore: a torn last line is ignored and compacted away', async () => {
  const path = join(await tempDir(), 'leases.jsonl');
  const s = await FileLeaseStore.open(path);
  await s.put(lease('10.0.0.1', 'a'));
  await s.close();
  await appendFile(path, '{"put":{"ip":"10.0.0.2","subn');
  const r = await FileLeaseStore.open(path);
  assert.equal(r.skippedOnOpen, 1);
  assert.deepEqual(r.list().map((l) => l.ip), ['10.0.0.1']);
  await r.put(lease('10.0.0.3', 'c'));
  await r.close();
  const lines = (await readFile(path, 'utf8')).trim().split('\n');
  assert.equal(lines.length, 2);
  for (const line of lines) JSON.parse(line);
});

test('FileLeaseStore: the journal is compacted when it outgrows the live records', async () => {
  const path = join(await tempDir(), 'leases.jsonl');
  const s = await FileLeaseStore.open(path, { compactMinLines: 50, compactIntervalMs: 0 });
  for (let i = 0; i < 400; i += 1) await s.put(lease('10.0.0.1', `client-${i}`));
  assert.ok(s.lines <= 51, `journal lines ${s.lines}`);
  const onDisk = (await readFile(path, 'utf8')).trim().split('\n').length;
  assert.equal(onDisk, s.lines);
  await s.close();
  const r = await FileLeaseStore.open(path);
  assert.equal(r.get('10.0.0.1')?.clientKey, 'client-399');
  await r.close();
});

test('FileLeaseStore: concurrent writes are group-committed and all durable', async () => {
  const path = join(await tempDir(), 'leases.jsonl');
  const s = await FileLeaseStore.open(path, { compactMinLines: 100_000, compactIntervalMs: 0 });
  await Promise.all(Array.from({ length: 500 }, (_, i) => s.put(lease(`10.0.${i >> 8}.${i & 255}`, `k${i}`))));
  await s.close();
  const r = await FileLeaseStore.open(path);
  assert.equal(r.list().length, 500);
  await r.close();
});

test('FileLeaseStore: use after close is refused', async () => {
  const s = await FileLeaseStore.open(join(await tempDir(), 'leases.jsonl'));
  await s.close();
  await assert.rejects(s.put(lease('10.0.0.1', 'a')));
});

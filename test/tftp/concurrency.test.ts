/**
 * 200 concurrent transfers over loopback, mixed files and options, all byte-identical; every
 * transfer socket closed afterwards.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { OptionPair } from '../../src/edges/rack/tftp/packet.ts';
import { tftpGet } from './client.ts';
import { pseudoRandom, startServer, until, type Harness } from './helpers.ts';

const N = 200;
const FILES: Record<string, Buffer> = {
  'pxelinux.0': pseudoRandom(42_000, 11),
  'ipxe.efi': pseudoRandom(160_000, 12),
  'grub.cfg': pseudoRandom(3_000, 13),
  'undionly.kpxe': pseudoRandom(70_001, 14),
};
const OPTIONS: OptionPair[][] = [
  [],
  [['blksize', '1468']],
  [['blksize', '1468'], ['windowsize', '8']],
  [['tsize', '0'], ['blksize', '1024'], ['windowsize', '4']],
  [['blksize', '512'], ['timeout', '2']],
];

describe(`${N} concurrent transfers`, () => {
  let h: Harness;
  let peak = 0;
  before(async () => {
    h = await startServer(FILES);
    h.server.on('transferStart', () => { peak = Math.max(peak, h.server.stats.activeTransfers); });
  });
  after(async () => { await h.close(); });

  test('all complete, byte-identical, sockets released', async () => {
    const names = Object.keys(FILES);
    const jobs = Array.from({ length: N }, (_, i) => ({ file: names[i % names.length], options: OPTIONS[i % OPTIONS.length] }));
    const results = await Promise.all(jobs.map((j) => tftpGet({ port: h.port, file: j.file, options: j.options, timeoutMs: 2000, retries: 10 })));
    results.forEach((r, i) => assert.ok(r.data.equals(FILES[jobs[i].file]), `transfer ${i} (${jobs[i].file}, ${JSON.stringify(jobs[i].options)})`));
    await until(() => h.server.stats.activeTransfers === 0, 10_000, 'all transfers to finish');
    const stats = h.server.stats;
    assert.equal(stats.transfersStarted, N);
    assert.equal(stats.transfersCompleted, N);
    assert.equal(stats.transfersFailed, 0);
    assert.equal(h.ended.length, N);
    const total = jobs.reduce((sum, j) => sum + FILES[j.file].length, 0);
    assert.equal(h.ended.reduce((sum, e) => sum + e.bytes, 0), total);
    assert.ok(stats.bytesSent >= total);
    assert.ok(peak >= N / 4, `transfers overlapped (peak ${peak} active)`);
  });
});

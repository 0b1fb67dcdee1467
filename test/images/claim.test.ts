/** One image build per inputs at a time (workspace.ts claimBuild): a second builder waits, a dead one's claim is taken over. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { claimBuild } from '../../src/edges/images/workspace.ts';

test('a second claim on the same build waits for the first to be released', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'plinth-claim-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const release = await claimBuild(dir, 'ephemeral-x', () => assert.fail('the first claim never waits'));
  const waitedFor: number[] = [];
  let second = false;
  const pending = claimBuild(dir, 'ephemeral-x', (pid) => waitedFor.push(pid), 20).then((r) => { second = true; return r; });
  await new Promise((r) => setTimeout(r, 150));
  assert.equal(second, false, 'still waiting while the first holds the claim');
  assert.deepEqual(waitedFor, [process.pid]);
  const other = await claimBuild(dir, 'debian-x', () => assert.fail('other inputs do not wait'));
  other();
  release();
  (await pending)();
  assert.equal(second, true);
  assert.equal(existsSync(join(dir, '.claim-ephemeral-x')), false, 'released');
});

test('the claim of a builder that died is taken over', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'plinth-claim-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const dead = spawnSync('true').pid!;
  mkdirSync(join(dir, '.claim-debian-y'));
  writeFileSync(join(dir, '.claim-debian-y', 'pid'), String(dead));
  const release = await claimBuild(dir, 'debian-y', () => assert.fail(`waited for dead PID ${dead}`), 20);
  release();
});

/** One image build per inputs at a time (workspace.ts claimBuild): a second builder waits, a dead one's claim is taken over. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
  const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  const stale = [
    ['a dead PID', `${dead} 12345 ${boot}`],
    ['a live PID whose start time differs (the PID was reused)', `${process.pid} 1 ${boot}`],
    ['a PID from before a reboot', `${process.pid} ${readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ')[19]} not-this-boot`],
  ];
  for (const [why, holder] of stale) {
    mkdirSync(join(dir, '.claim-debian-y'));
    writeFileSync(join(dir, '.claim-debian-y', 'holder'), holder);
    const release = await claimBuild(dir, 'debian-y', () => assert.fail(`waited for ${why}`), 20);
    release();
    assert.equal(existsSync(join(dir, '.claim-debian-y')), false, why);
  }
});

test('two waiters on a dead claim: exactly one holds it at a time; release leaves a successor\'s claim alone', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'plinth-claim-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, '.claim-z'));
  writeFileSync(join(dir, '.claim-z', 'holder'), `${spawnSync('true').pid} 1 x`);
  let holding = 0;
  let most = 0;
  await Promise.all([0, 1].map(async () => {
    const release = await claimBuild(dir, 'z', () => {}, 10);
    holding += 1; most = Math.max(most, holding);
    await new Promise((r) => setTimeout(r, 60));
    holding -= 1;
    release();
  }));
  assert.equal(most, 1);
  const first = await claimBuild(dir, 'z', () => {}, 10);
  rmSync(join(dir, '.claim-z'), { recursive: true });
  const second = await claimBuild(dir, 'z', () => {}, 10);
  first(); // the first's late release must not remove the second's claim
  assert.equal(existsSync(join(dir, '.claim-z')), true);
  second();
});

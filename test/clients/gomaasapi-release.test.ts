/**
 * juju's gomaasapi ReleaseMachines against Plinth: `POST machines/?op=release` with repeated `machines`.
 * Deployed machines start releasing (and, with a workflow runner, reach Ready); a machine that cannot be
 * released makes the whole call fail with 409, which gomaasapi maps to its CannotCompleteError; someone
 * else's machine gives 403, its PermissionError. Skipped only when Go or the package is not installed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildProbe, run, SKIP } from './gomaasapi/build.ts';
import { startLifecycleRegion, type LifecycleRegion } from '../lifecycle/helpers.ts';


describe('gomaasapi ReleaseMachines (bulk machines/?op=release)', { skip: SKIP }, () => {
  let r: LifecycleRegion;
  let cleanup: (() => void) | undefined;
  let probe: string;
  const release = async (key: string, ...ids: string[]) =>
    JSON.parse((await run(probe, [r.base.replace(/api\/2\.0\/$/, ''), key, 'release', ...ids], { timeout: 60_000 })).stdout);
  const create = async (hostname: string, mac: string, extra: Array<[string, string]> = []) =>
    (await r.api('POST', 'machines/', [['architecture', 'amd64/generic'], ['mac_addresses', mac], ['hostname', hostname], ...extra])).json().system_id as string;

  before(async () => {
    ({ probe, cleanup } = await buildProbe());
    r = await startLifecycleRegion('pglite');
  });
  after(async () => { await r?.close(); cleanup?.(); });

  test('deployed machines are released; the runner brings them to Ready', async () => {
    const a = await create('rel-1', '52:54:00:13:00:01', [['deployed', 'true']]);
    const b = await create('rel-2', '52:54:00:13:00:02', [['deployed', 'true']]);
    const out = await release(r.adminKey, a, b);
    assert.equal(out.error, undefined, JSON.stringify(out));
    for (const sid of [a, b]) assert.equal((await r.api('GET', `machines/${sid}/`)).json().status_name, 'Releasing');
    await r.runner.drain();
    for (const sid of [a, b]) {
      const m = (await r.api('GET', `machines/${sid}/`)).json();
      assert.equal(m.status_name, 'Ready');
      assert.equal(m.owner, null);
    }
    const events = (await r.api('GET', `events/?op=query&id=${a}&limit=3`)).json().events.map((e: { type: string; description: string }) => `${e.type}: ${e.description}`);
    assert.ok(events.includes('Releasing: from gomaasapi (by admin)'), events.join('\n'));
  });

  test('a machine that cannot be released: 409 → CannotCompleteError, and nothing is released', async () => {
    const ok = await create('rel-3', '52:54:00:13:00:03', [['deployed', 'true']]);
    const fresh = await create('rel-4', '52:54:00:13:00:04');
    const out = await release(r.adminKey, ok, fresh);
    assert.equal(out.cannot_complete, true, JSON.stringify(out));
    assert.match(out.error, new RegExp(`Machine\\(s\\) cannot be released in their current state: ${fresh} \\('New'\\)\\.`));
    assert.equal((await r.api('GET', `machines/${ok}/`)).json().status_name, 'Deployed', 'all or nothing');
  });

  test("someone else's machine: 403 → PermissionError", async () => {
    const theirs = await create('rel-5', '52:54:00:13:00:05', [['deployed', 'true']]);
    const out = await release(r.userKey, theirs);
    assert.equal(out.permission, true, JSON.stringify(out));
    assert.match(out.error, new RegExp(`You don't have the required permission to release the following machine\\(s\\): ${theirs}\\.`));
  });
});

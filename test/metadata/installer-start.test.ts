/**
 * The deploy's first sign that the installer starts, as the machine gives it through the metadata
 * service: its deployment environment fetching user data on the curtin path (the hand-over to the
 * installer), or curtin's `cmd-install` start event on the status webhook. Either moves the deploy
 * workflow from await_installer to await_deployed. Power goes to a BMC test double (no hardware here).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { signRequest } from '../../src/edges/maas/wire/oauth.ts';
import { BACKENDS } from '../helpers/backends.ts';
import type { BmcDouble } from '../lifecycle/bmc-double.ts';
import { readyOnBmcDouble, startLifecycleRegion, type LifecycleRegion } from '../lifecycle/helpers.ts';
import { meta, nodeKey } from './helpers.ts';

const MIN = 60_000;

for (const kind of BACKENDS) {
  describe(`metadata: the installer starts (${kind})`, () => {
    let r: LifecycleRegion;
    const bmcs: BmcDouble[] = [];
    let n = 0;
    const stepOf = async (sid: string) => (await r.svc.db.query<{ step_name: string; state: string }>(
      "select step_name, state from workflows where kind = 'deploy' and node_id = (select id from nodes where system_id = $1) order by id desc limit 1", [sid]))[0];
    const webhook = (sid: string, key: string, event: object) => {
      const url = `${r.origin}/MAAS/metadata/status/${sid}`;
      const [ck, tk, ts] = key.split(':');
      return fetch(url, { method: 'POST', body: JSON.stringify(event), headers: { Authorization: signRequest({ method: 'POST', url, consumerKey: ck, token: tk, tokenSecret: ts }) } });
    };
    const events = async (sid: string) => (await r.api('GET', `events/?op=query&id=${sid}`)).json().events as Array<{ type: string; description: string }>;
    /** A machine deploying, powered on, its workflow waiting in await_installer; its deployment key. */
    const deploying = async () => {
      const { sid } = await readyOnBmcDouble(r, `is-${kind}-${++n}`, bmcs);
      const dep = await r.api('POST', `machines/${sid}/?op=deploy`);
      assert.equal(dep.status, 200, dep.text);
      await r.runner.drain();
      assert.equal((await stepOf(sid)).step_name, 'await_installer');
      return { sid, key: await nodeKey(r, sid) };
    };

    before(async () => { r = await startLifecycleRegion(kind); });
    after(async () => { await r?.close(); await Promise.all(bmcs.map((b) => b.stop())); });

    test('the curtin user-data fetch is the installer starting; a stall after it names await_deployed', async () => {
      const { sid, key } = await deploying();
      assert.equal((await meta(r, 'GET', 'curtin/latest/', key)).status, 200);
      await r.runner.drain();
      assert.equal((await stepOf(sid)).step_name, 'await_installer', 'the version index is not a sign');
      const ud = await meta(r, 'GET', 'curtin/latest/user-data', key);
      assert.match(ud.text, /plinth-agent run/);
      assert.ok((await events(sid)).some((e) => e.type === 'Installing' && /deployment environment is up/.test(e.description)));
      await r.runner.drain();
      assert.equal((await stepOf(sid)).step_name, 'await_deployed');
      try {
        r.clock.advance(31 * MIN); // node_timeout 30, counted from the fetch (progress gives a fresh timeout)
        await r.runner.drain();
        const m = await r.status(sid);
        assert.equal(m.status, 11);
        assert.match(m.status_message ?? '', /^Failed deployment - Timed out after 30 minutes in step 'await_deployed' \(/);
      } finally { r.clock.reset(); }
    });

    test("curtin's cmd-install start on the status webhook is the installer starting; the deployment completes", async () => {
      const { sid, key } = await deploying();
      const res = await webhook(sid, key, { event_type: 'start', origin: 'curtin', name: 'cmd-install', description: 'curtin command install' });
      assert.equal(res.status, 204);
      await r.runner.drain();
      assert.equal((await stepOf(sid)).step_name, 'await_deployed');
      await meta(r, 'GET', 'latest/user-data', key); // the installed OS
      await r.runner.drain();
      assert.equal((await r.status(sid)).status, 6);
      assert.equal((await stepOf(sid)).state, 'done');
    });

    test('a curtin user-data fetch with no deploy in progress reports nothing and still answers', async () => {
      const { sid, key } = await deploying();
      await r.svc.db.query("update workflows set state = 'cancelled' where node_id = (select id from nodes where system_id = $1)", [sid]);
      const before = (await events(sid)).length;
      const ud = await meta(r, 'GET', 'curtin/latest/user-data', key);
      assert.equal(ud.status, 200, ud.text);
      assert.match(ud.text, /plinth-agent run/);
      assert.equal((await events(sid)).length, before, 'no Installing event without a deploy to report to');
    });
  });
}

/**
 * Every (status, action) pair through the API, on both stores: an allowed action lands the machine in the
 * right status (and starts the right workflow); a refused one answers 409 with MAAS's text and changes
 * nothing. The expectations below are written out from maas-api-spec.md §4.4 on their own, not derived
 * from the code under test. Also: permissions (admin-only, owner, locked) and bad input (400, no write).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS } from '../helpers/backends.ts';
import { newMachine, startLifecycleRegion, type LifecycleRegion } from './helpers.ts';

const NAMES = ['New', 'Commissioning', 'Failed commissioning', 'Missing', 'Ready', 'Reserved', 'Deployed', 'Retired', 'Broken',
  'Deploying', 'Allocated', 'Failed deployment', 'Releasing', 'Releasing failed', 'Disk erasing', 'Failed disk erasing', 'Rescue mode',
  'Entering rescue mode', 'Failed to enter rescue mode', 'Exiting rescue mode', 'Failed to exit rescue mode', 'Testing', 'Failed testing'];
const ALL = NAMES.map((_, i) => i);
const FAILED = [2, 11, 13, 15, 18, 20, 22];
/** The status each machine had before the one under test (what abort of testing and mark_fixed look at). */
const PREVIOUS = 4; // Ready

type Expect = { to: number; workflow?: string } | { conflict: string };
type Oracle = (status: number, sid: string) => Expect;
const from = (allowed: number[], to: number, refusal: (s: number) => string, workflow?: string): Oracle =>
  (s) => (allowed.includes(s) ? { to, workflow } : { conflict: refusal(s) });
const invalid = (to: string) => (s: number) => `Invalid transition: ${NAMES[s]} -> ${to}.`;

const ORACLE: Record<string, Oracle> = {
  // §4.4: NEW, FAILED_COMMISSIONING, READY, BROKEN, and FAILED_TESTING (per the transitions table).
  commission: from([0, 2, 4, 8, 22], 1, invalid('Commissioning'), 'commission'),
  test: from([2, 0, 4, 5, 10, 11, 6, 3, 7, 8, 16, 13, 15, 18, 20, 22], 21, invalid('Testing'), 'test'),
  abort: (s, sid) => ({ 1: { to: 0 }, 9: { to: 10 }, 21: { to: PREVIOUS }, 14: { to: 15 } } as Record<number, Expect>)[s]
    ?? { conflict: `Cannot abort in current state: node ${sid} is in state ${NAMES[s]}.` },
  deploy: from([4, 10], 9, (s) => `Can't deploy a machine that is in the '${NAMES[s]}' state`, 'deploy'),
  release: (s) => ([4, 12].includes(s) ? { to: s } : [10, 6, 9, 11, 13, 15].includes(s) ? { to: 12, workflow: 'release' }
    : { conflict: `Machine cannot be released in its current state ('${NAMES[s]}').` }),
  mark_broken: from([0, 1, 4, 10, 12, 9, 6, 14, 21, ...FAILED], 8, invalid('Broken')),
  mark_fixed: from([8], 4, () => "Can't mark a non-broken node as 'Ready'."),
  rescue_mode: from([0, 2, 4, 5, 10, 11, 6, 3, 7, 8, 15, 18, 20, 22], 17, invalid('Entering rescue mode'), 'rescue'),
  exit_rescue_mode: from([16, 17, 18, 20], 19, invalid('Exiting rescue mode'), 'exit_rescue'),
  override_failed_testing: (s, sid) => (s === 22 ? { to: 4 } : { conflict: `Unable to override failed testing: machine ${sid} is ${NAMES[s]}, not Failed testing.` }),
  lock: from([6, 9], -1, () => "Can't lock, node is not deployed or deploying"),
  unlock: () => ({ conflict: 'Machine is not locked' }),
  // The machines of this table are owned by the caller: power_on deploys an ALLOCATED one, else powers on.
  power_on: (s) => (s === 10 ? { to: 9, workflow: 'deploy' } : { to: s, workflow: 'power_on' }),
  power_off: (s) => ({ to: s, workflow: 'power_off' }),
};

for (const kind of BACKENDS) {
  describe(`lifecycle actions: every status × action (${kind})`, () => {
    let r: LifecycleRegion;
    let adminId: number;
    /** One machine per status: an action is tried from all 23 statuses at once. */
    const machines: string[] = [];
    before(async () => {
      r = await startLifecycleRegion(kind, { power: null });
      [{ id: adminId }] = await r.svc.db.query<{ id: number }>("select id from users where username = 'admin'");
      for (const status of ALL) {
        const res = await r.api('POST', 'machines/', newMachine(`t-${kind}-${status}`));
        assert.equal(res.status, 200, res.text);
        machines[status] = r.sid(res);
      }
    });
    after(async () => { await r?.close(); });

    const setup = async (sid: string, status: number, opts: { owner?: number | null; locked?: boolean } = {}) => {
      await r.svc.db.query('delete from workflows where node_id = (select id from nodes where system_id = $1)', [sid]);
      await r.svc.db.query('update nodes set status = $2, previous_status = $3, owner_id = $4, locked = $5 where system_id = $1',
        [sid, status, PREVIOUS, opts.owner === undefined ? adminId : opts.owner, opts.locked ?? false]);
    };
    const row = async (sid: string) => (await r.svc.db.query<{ status: number; version: number; locked: boolean; kinds: string[] | null }>(
      `select n.status, n.version, n.locked, (select array_agg(kind order by id) from workflows w where w.node_id = n.id and w.state = 'running') as kinds
         from nodes n where system_id = $1`, [sid]))[0];

    for (const action of Object.keys(ORACLE)) {
      test(`${action} from each of the 23 statuses`, async () => {
        await Promise.all(ALL.map(async (status) => {
          const sid = machines[status];
          await setup(sid, status);
          const before = await row(sid);
          const res = await r.api('POST', `machines/${sid}/?op=${action}`);
          const want = ORACLE[action](status, sid);
          const label = `${action} from ${NAMES[status]}`;
          const now = await row(sid);
          if ('conflict' in want) {
            assert.equal(res.status, 409, `${label}: ${res.text}`);
            assert.equal(res.text, want.conflict, label);
            assert.equal(now.version, before.version, `${label}: a refused action changes nothing`);
            assert.equal(now.kinds, null, `${label}: no workflow`);
          } else {
            assert.equal(res.status, 200, `${label}: ${res.text}`);
            const to = want.to === -1 ? status : want.to;
            assert.equal(now.status, to, `${label}: lands in ${NAMES[to]}`);
            assert.equal(res.json().status, to, `${label}: the answer shows the new status`);
            assert.equal(res.json().status_name, NAMES[to]);
            if (want.workflow) assert.ok(now.kinds?.includes(want.workflow), `${label}: starts ${want.workflow} (has ${now.kinds})`);
            if (action === 'lock') assert.equal(now.locked, true);
          }
        }));
      });
    }

    test('query_power_state from each status answers the stored state (no power type)', async () => {
      await Promise.all(ALL.map(async (status) => {
        const sid = machines[status];
        await setup(sid, status);
        const res = await r.api('GET', `machines/${sid}/?op=query_power_state`);
        assert.equal(res.status, 200, res.text);
        assert.deepEqual(res.json(), { state: 'unknown' });
      }));
    });

    test('unlock of a locked machine, from every status', async () => {
      await Promise.all(ALL.map(async (status) => {
        const sid = machines[status];
        await setup(sid, status, { locked: true });
        const res = await r.api('POST', `machines/${sid}/?op=unlock`);
        assert.equal(res.status, 200, res.text);
        assert.equal(res.json().locked, false);
        assert.equal(res.json().status, status);
      }));
      await setup(machines[6], 6, { locked: true });
      const again = await r.api('POST', `machines/${machines[6]}/?op=lock`);
      assert.equal(again.status, 409);
      assert.equal(again.text, 'Machine is already locked');
    });

    test('permissions: admin-only actions, other owners, locked machines', async () => {
      const sid = machines[0];
      await setup(sid, 4, { owner: null });
      for (const action of ['commission', 'test', 'mark_fixed', 'rescue_mode', 'exit_rescue_mode', 'override_failed_testing']) {
        const res = await r.api('POST', `machines/${sid}/?op=${action}`, [], r.userKey);
        assert.equal(res.status, 403, action);
        assert.equal(res.text, 'This method is reserved for admin users.');
      }
      // Owned by the admin: invisible to alice.
      await setup(sid, 6);
      assert.equal((await r.api('POST', `machines/${sid}/?op=release`, [], r.userKey)).status, 404);
      // Locked: state-changing actions are refused with 403, nothing changes.
      await setup(sid, 6, { locked: true });
      for (const action of ['release', 'mark_broken', 'power_off', 'rescue_mode']) {
        const res = await r.api('POST', `machines/${sid}/?op=${action}`);
        assert.equal(res.status, 403, `${action} on a locked machine: ${res.text}`);
        assert.match(res.text, /is locked/);
      }
      assert.equal((await row(sid)).status, 6);
      // READY and owned by alice: the admin may not allocate it to themselves by deploying.
      const [{ id: aliceId }] = await r.svc.db.query<{ id: number }>("select id from users where username = 'alice'");
      await setup(sid, 4, { owner: aliceId });
      const taken = await r.api('POST', `machines/${sid}/?op=deploy`);
      assert.equal(taken.status, 409);
      assert.equal(taken.text, "Can't allocate a machine belonging to another user.");
      // power_on of an unowned machine.
      await setup(sid, 6, { owner: null });
      const off = await r.api('POST', `machines/${sid}/?op=power_on`);
      assert.equal(off.status, 409);
      assert.equal(off.text, "Can't start node: it hasn't been allocated.");
    });

    test('a user deploys an unowned READY machine: allocated to them, then deploying', async () => {
      const sid = machines[0];
      await setup(sid, 4, { owner: null });
      const res = await r.api('POST', `machines/${sid}/?op=deploy`, [['distro_series', 'debian/bookworm'], ['user_data', Buffer.from('#cloud-config\n').toString('base64')]], r.userKey);
      assert.equal(res.status, 200, res.text);
      const m = res.json();
      assert.equal(m.status_name, 'Deploying');
      assert.equal(m.owner, 'alice');
      assert.equal(m.osystem, 'debian');
      assert.equal(m.distro_series, 'bookworm');
      const [ud] = await r.svc.db.query<{ data: Buffer }>('select data from node_user_data where node_id = (select id from nodes where system_id = $1)', [sid]);
      assert.equal(Buffer.from(ud.data).toString(), '#cloud-config\n');
      const events = (await r.api('GET', `events/?op=query&id=${sid}&limit=2`)).json().events.map((e: { type: string }) => e.type);
      assert.deepEqual(events, ['Deploying', 'Allocated']);
    });

    test('bad input → 400 with field errors, and nothing written', async () => {
      const sid = machines[0];
      for (const [action, fields, field] of [
        ['deploy', [['distro_series', 'no such series!']], 'distro_series'],
        ['deploy', [['ephemeral_deploy', 'maybe']], 'ephemeral_deploy'],
        ['commission', [['enable_ssh', 'yes']], 'enable_ssh'],
        ['commission', [['testing_scripts', 'a;b']], 'testing_scripts'],
        ['release', [['erase', 'perhaps']], 'erase'],
        ['power_off', [['stop_mode', 'gentle']], 'stop_mode'],
      ] as Array<[string, Array<[string, string]>, string]>) {
        await setup(sid, action === 'commission' ? 4 : action === 'deploy' ? 4 : 6, { owner: action === 'deploy' ? null : adminId });
        const before = await row(sid);
        const res = await r.api('POST', `machines/${sid}/?op=${action}`, fields);
        assert.equal(res.status, 400, `${action} ${JSON.stringify(fields)}: ${res.text}`);
        assert.ok(Object.keys(res.json()).includes(field), res.text);
        const now = await row(sid);
        assert.equal(now.version, before.version, `${action}: nothing written`);
        assert.equal(now.kinds, null);
      }
    });
  });
}

/**
 * `plinth wait PROFILE MACHINE STATUS` against a real region on loopback: a MAC that enlists later,
 * status changes and events shown as progress, a Failed status (exit 1), the timeout (exit 2), a
 * refused key (exit 3); and the command itself from the checkout (stdout = the system_id).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startTestRegion, type TestRegion } from '../helpers/region.ts';
import { selector, waitForStatus } from '../../src/cli/client/wait.ts';
import { ClientError } from '../../src/cli/client/commands.ts';
import type { Profile } from '../../src/cli/client/profiles.ts';
import { recordEvent } from '../../src/services/events.ts';
import { EventLevel } from '../../src/domain/events.ts';

const exec = promisify(execFile);
const PLINTH = join(dirname(fileURLToPath(import.meta.url)), '../../bin/plinth');

test('selector: MAC (either separator), system_id, hostname', () => {
  assert.deepEqual(selector('52-54-00-AA-bb-01'), [['mac_address', '52:54:00:aa:bb:01']]);
  assert.deepEqual(selector('4y3h7n'), [['id', '4y3h7n']]);
  assert.deepEqual(selector('node-1'), [['hostname', 'node-1']]);
});

describe('plinth wait', () => {
  let r: TestRegion;
  let profile: Profile;
  const lines: string[] = [];
  const say = (l: string) => { lines.push(l); };
  before(async () => {
    r = await startTestRegion('pglite');
    profile = { name: 't', url: `${r.origin}/MAAS/`, credentials: r.adminKey, description: { hash: '', resources: [] } };
  });
  after(async () => { await r.close(); });

  const create = async (mac: string, hostname: string) => {
    const c = await r.api('POST', 'machines/', [['architecture', 'amd64/generic'], ['mac_addresses', mac], ['hostname', hostname], ['power_type', 'manual']]);
    assert.equal(c.status, 200, c.text);
    return c.json().system_id as string;
  };

  test('a MAC not enlisted yet: waits for it to appear, then for the status', async () => {
    lines.length = 0;
    const waiting = waitForStatus({ profile, machine: '52:54:00:00:0a:01', status: 'new', timeoutMs: 20_000, pollMs: 100, say });
    await new Promise((ok) => setTimeout(ok, 400));
    const sid = await create('52:54:00:00:0a:01', 'late-1');
    const m = await waiting;
    assert.equal(m.system_id, sid);
    assert.match(lines[0], /^\[\s*0 s\] waiting for 52:54:00:00:0a:01 to appear$/);
    assert.ok(lines.some((l) => new RegExp(`late-1 \\(${sid}\\): New$`).test(l)), lines.join('\n'));
  });

  test('an enlisting machine is New only once its enlistment scripts finished', async () => {
    lines.length = 0;
    const res = await r.api('POST', 'machines/', [['architecture', 'amd64'], ['mac_addresses', '52:54:00:00:0a:05']], null); // anonymous: enlistment
    assert.equal(res.status, 200, res.text);
    const sid = res.json().system_id as string;
    let done = false;
    const waiting = waitForStatus({ profile, machine: '52:54:00:00:0a:05', status: 'New', timeoutMs: 20_000, pollMs: 100, say }).finally(() => { done = true; });
    await new Promise((ok) => setTimeout(ok, 600));
    assert.equal(done, false, `returned at the first New:\n${lines.join('\n')}`);
    assert.ok(lines.some((l) => /enlisting: waiting for its enlistment scripts to finish/.test(l)), lines.join('\n'));
    // What the commissioning workflow's finish step records for an enlisting machine (tested in test/lifecycle).
    const [node] = await r.svc.db.query<{ id: number; hostname: string }>('select id, hostname from nodes where system_id = $1', [sid]);
    await recordEvent(r.svc.db, { nodeId: node.id, hostname: node.hostname, username: '', level: EventLevel.INFO, typeName: 'Commissioning finished', description: '' });
    assert.equal((await waiting).system_id, sid);
  });

  test('a machine that fails: exit code 1 with its status and message; events are progress', async () => {
    lines.length = 0;
    const sid = await create('52:54:00:00:0a:02', 'fails-1');
    const waiting = waitForStatus({ profile, machine: 'fails-1', status: 'Ready', timeoutMs: 20_000, pollMs: 100, say });
    await new Promise((ok) => setTimeout(ok, 300));
    // What a commissioning timeout leaves (the workflow's own path is tested in test/lifecycle).
    await r.svc.db.query(`update nodes set status = 2, error_description = 'Timed out' where system_id = $1`, [sid]);
    const err = await waiting.then(() => null, (e: unknown) => e);
    assert.ok(err instanceof ClientError, String(err));
    assert.equal(err.exitCode, 1);
    assert.equal(err.message, 'fails-1 is Failed commissioning: Timed out');
    assert.ok(lines.some((l) => /fails-1 \(\w+\): New$/.test(l)) && lines.some((l) => /: Failed commissioning/.test(l)), lines.join('\n'));
  });

  test('the timeout: exit code 2 naming the status it is in; a bad key: exit code 3', async () => {
    await create('52:54:00:00:0a:03', 'slow-1');
    const err = await waitForStatus({ profile, machine: 'slow-1', status: 'Deployed', timeoutMs: 300, pollMs: 100, say }).then(() => null, (e: unknown) => e);
    assert.ok(err instanceof ClientError);
    assert.equal(err.exitCode, 2);
    assert.match(err.message, /^timed out after 0 s waiting for slow-1 to be Deployed \(it is New\)$/);
    const bad = { ...profile, credentials: 'a:b:c' };
    const refused = await waitForStatus({ profile: bad, machine: 'slow-1', status: 'New', timeoutMs: 1000, pollMs: 100, say }).then(() => null, (e: unknown) => e);
    assert.ok(refused instanceof ClientError);
    assert.equal(refused.exitCode, 3);
  });

  test('from the checkout: plinth login, then plinth wait prints the system_id; unknown profile exits 3', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'plinth-wait-'));
    const env = { ...process.env, PLINTH_CONFIG_DIR: dir };
    try {
      const sid = await create('52:54:00:00:0a:04', 'cli-1');
      await exec(PLINTH, ['login', 'w', `${r.origin}/MAAS/`, r.adminKey], { env });
      const ok = await exec(PLINTH, ['wait', 'w', '52:54:00:00:0a:04', 'New', '--timeout', '1'], { env });
      assert.equal(ok.stdout.trim(), sid);
      assert.match(ok.stderr, /cli-1 \(\w+\): New/);
      const none = await exec(PLINTH, ['wait', 'nope', sid, 'New'], { env }).then(() => null, (e: { code: number; stderr: string }) => e);
      assert.equal(none?.code, 3);
      assert.match(none!.stderr, /no profile 'nope'/);
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });
});

/**
 * The describe-driven client reaches the scripts handlers with no client code of their own:
 * `plinth PROFILE node-scripts create script@=FILE`, `node-script read|download|delete NAME`.
 * The upload runs bin/plinth as a separate process (the real command line, `script@=FILE`); login and
 * the other commands call the same client code in-process (each spawn costs seconds). The store does
 * not matter to the client: PGlite only.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { login, run } from '../../src/cli/client/commands.ts';
import { startTestRegion, type TestRegion } from '../helpers/region.ts';
import { SMART_SCRIPT } from './fixtures.ts';

const exec = promisify(execFile);
const PLINTH = join(dirname(fileURLToPath(import.meta.url)), '../../bin/plinth');

describe('plinth node-scripts (CLI client)', () => {
  let r: TestRegion;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let saved: string | undefined;
  const plinth = async (...args: string[]) => {
    try {
      const out = await exec(PLINTH, args, { env, timeout: 60_000 });
      return { code: 0, out: out.stdout, err: out.stderr };
    } catch (e) {
      const x = e as { code: number; stdout: string; stderr: string };
      return { code: x.code, out: x.stdout, err: x.stderr };
    }
  };
  before(async () => {
    r = await startTestRegion('pglite');
    dir = mkdtempSync(join(tmpdir(), 'plinth-scripts-cli-'));
    env = { ...process.env, PLINTH_CONFIG_DIR: join(dir, 'config'), PLINTH_LOG_LEVEL: 'warn' };
    saved = process.env.PLINTH_CONFIG_DIR;
    process.env.PLINTH_CONFIG_DIR = env.PLINTH_CONFIG_DIR;
  });
  after(async () => {
    if (saved === undefined) delete process.env.PLINTH_CONFIG_DIR; else process.env.PLINTH_CONFIG_DIR = saved;
    await r?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  /** The client in-process: exit code and output as the command prints them. */
  const client = async (...args: string[]) => { const x = await run('ops', args); return { code: x.exitCode, out: x.output }; };

  test('login, create from a file, read, download, delete', async () => {
    assert.match(await login('ops', `${r.origin}/MAAS/`, r.adminKey), /logged in/);
    const file = join(dir, 'disk-health.sh');
    writeFileSync(file, SMART_SCRIPT);
    const created = await plinth('ops', 'node-scripts', 'create', `script@=${file}`, 'comment=from the CLI', 'timeout=0:15:00');
    assert.equal(created.code, 0, created.out + created.err);
    const s = JSON.parse(created.out);
    assert.deepEqual([s.name, s.timeout, s.history[0].comment, s.default], ['disk-health', '0:15:00', 'from the CLI', false]);
    const read = await client('node-script', 'read', 'disk-health');
    assert.equal(JSON.parse(read.out).id, s.id);
    const dl = await client('node-script', 'download', 'disk-health');
    assert.equal(dl.code, 0, dl.out);
    assert.equal(dl.out.trimEnd(), SMART_SCRIPT.trimEnd());
    const tagged = await client('node-script', 'add-tag', 'disk-health', 'tag=nightly');
    assert.ok(JSON.parse(tagged.out).tags.includes('nightly'), tagged.out);
    const bad = await client('node-scripts', 'create', 'name=bad', `script@=${file}`, 'timeout=later');
    assert.equal(bad.code, 2);
    assert.match(bad.out, /^400: .*Enter a valid duration/);
    const builtin = await client('node-script', 'delete', 'fio');
    assert.equal(builtin.code, 2);
    assert.match(builtin.out, /400: Unable to delete default script/);
    assert.equal((await client('node-script', 'delete', 'disk-health')).code, 0);
    const gone = await client('node-script', 'read', 'disk-health');
    assert.match(gone.out, /404: No Script matches the given query\./);
  });
});

/**
 * The `plinth` command from a checkout: createadmin/apikey with and without a running region (the
 * embedded store is owned by the running region, so they go through its admin socket), start/status,
 * and the describe-driven client (login, key=value and key@=file arguments, table/JSON output, exit codes).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createPgDatabase } from '../helpers/backends.ts';

const exec = promisify(execFile);
const PLINTH = join(dirname(fileURLToPath(import.meta.url)), '../../bin/plinth');
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB0pCZRyCMOazRsECjMZPDuzBUeuFMkpJzTRQSfWw0qB ops@test';

async function freePort(): Promise<number> {
  return new Promise((ok) => { const s = createServer(); s.listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => ok(p)); }); });
}

describe('plinth CLI', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let server: ChildProcess | undefined;
  const plinth = async (...args: string[]) => {
    try {
      const r = await exec(PLINTH, args, { env, timeout: 60_000 });
      return { code: 0, out: r.stdout, err: r.stderr };
    } catch (e) {
      const x = e as { code: number; stdout: string; stderr: string };
      return { code: x.code, out: x.stdout, err: x.stderr };
    }
  };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'plinth-cli-'));
    env = { ...process.env, PLINTH_CONFIG_DIR: join(dir, 'config'), PLINTH_LOG_LEVEL: 'warn', DATABASE_URL: '' };
    delete env.DATABASE_URL;
    writeFileSync(join(dir, 'keys.pub'), `# ops keys\n${KEY}\n`);
  });
  after(async () => {
    if (server?.pid && server.exitCode === null) server.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  test('createadmin and apikey on a stopped region', async () => {
    const data = join(dir, 'data');
    const made = await plinth('createadmin', '--data-dir', data, '--username', 'ops', '--password', 'pw', '--email', 'ops@example.com', '--ssh-key-file', join(dir, 'keys.pub'));
    assert.equal(made.code, 0, made.err);
    const keys = await plinth('apikey', '--data-dir', data, '--username', 'ops');
    assert.match(keys.out, /^\w{18}:\w{18}:\w{32}\n$/);
    const dup = await plinth('createadmin', '--data-dir', data, '--username', 'ops', '--password', 'pw');
    assert.notEqual(dup.code, 0);
    assert.match(dup.err, /already exists/);
  });

  test('start, status, and admin commands through the running region', async () => {
    const data = join(dir, 'data');
    const port = await freePort();
    server = spawn(PLINTH, ['start', '--data-dir', data, '--port', String(port), '--host', '127.0.0.1', '--rack-host', '127.0.0.1', '--dhcp-port', '0', '--tftp-port', '0', '--http-boot-port', '0'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let up = false;
    for (let i = 0; i < 120 && !up; i++) {
      await new Promise((ok) => setTimeout(ok, 250));
      up = await fetch(`http://127.0.0.1:${port}/MAAS/api/2.0/version/`).then((r) => r.ok, () => false);
    }
    assert.ok(up, 'region answered');
    const status = await plinth('status', '--data-dir', data);
    assert.equal(status.code, 0, status.err);
    assert.equal(JSON.parse(status.out).running, true);
    const gen = await plinth('apikey', '--data-dir', data, '--username', 'ops', '--generate', '--name', 'ci');
    assert.equal(gen.code, 0, gen.err);
    assert.match(gen.out, /^\w{18}:\w{18}:\w{32}\n$/);
    const all = await plinth('apikey', '--data-dir', data, '--username', 'ops', '--with-names');
    assert.equal(all.out.trim().split('\n').length, 2);
    assert.ok(all.out.includes(`${gen.out.trim()} ci`));
    assert.equal((await plinth('createadmin', '--data-dir', data, '--username', 'ops2', '--password', 'pw2')).code, 0);

    const key = gen.out.trim();
    const login = await plinth('login', 'ops', `http://127.0.0.1:${port}/MAAS/`, key);
    assert.equal(login.code, 0, login.err);
    assert.equal((await plinth('login', 'bad', `http://127.0.0.1:${port}/MAAS/`, 'a:b:c')).code, 1);
    const reserved = await plinth('login', 'lab', `http://127.0.0.1:${port}/MAAS/`, key);
    assert.equal(reserved.code, 1);
    assert.match(reserved.err, /'lab' is a plinth command/);
    const created = await plinth('ops', 'machines', 'create', 'architecture=amd64/generic', 'mac_addresses=52:54:00:cc:00:01', 'mac_addresses=52:54:00:cc:00:02', 'hostname=cli-1');
    assert.equal(created.code, 0, created.out + created.err);
    const m = JSON.parse(created.out);
    assert.equal(m.interface_set.length, 2);
    writeFileSync(join(dir, 'desc.txt'), 'described from a file');
    const upd = await plinth('ops', 'machine', 'update', m.system_id, 'description@=' + join(dir, 'desc.txt'));
    assert.equal(JSON.parse(upd.out).description, 'described from a file');
    const table = await plinth('ops', 'machines', 'read', 'hostname=cli-1', '--output', 'table');
    assert.match(table.out, /^SYSTEM_ID\s+HOSTNAME\s+STATUS_NAME/);
    assert.match(table.out, new RegExp(`${m.system_id}\\s+cli-1\\s+New`));
    const missing = await plinth('ops', 'machine', 'read', 'nosuch');
    assert.equal(missing.code, 2);
    assert.match(missing.out, /404: No Machine matches the given query\./);
    const usage = await plinth('ops', 'machines');
    assert.equal(usage.code, 2);
    assert.match(usage.out, /create/);

    server.kill('SIGTERM');
    await new Promise((ok) => server!.once('exit', ok));
    assert.equal(existsSync(join(data, 'region.json')), false);
    const down = await plinth('status', '--data-dir', data);
    assert.equal(down.code, 3);
    assert.equal(JSON.parse(down.out).running, false);
  });

  test('migrate and createadmin against PostgreSQL', async () => {
    const pg = await createPgDatabase();
    try {
      const m = await plinth('migrate', '--database-url', pg.url);
      assert.match(m.out, /applied: 001_foundation\.sql/);
      assert.match((await plinth('migrate', '--database-url', pg.url)).out, /up to date/);
      assert.equal((await plinth('createadmin', '--database-url', pg.url, '--username', 'pgadmin', '--password', 'pw')).code, 0);
      assert.match((await plinth('apikey', '--database-url', pg.url, '--username', 'pgadmin')).out, /^\w{18}:/);
    } finally {
      await pg.drop();
    }
  });
});

/**
 * cloud-init itself (Debian's package) against our metadata service: its MAAS datasource's own command
 * line reads the seed with the credentials from our preseed, and its webhook reporting handler posts an
 * event that must land in the machine's event log. The package is fetched with `apt-get download` and
 * cached in .cache/debs/ (gitignored); its Python dependencies are Debian packages (see .ci/run).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startBmcDouble, type BmcDouble } from '../lifecycle/bmc-double.ts';
import { newMachine, startLifecycleRegion, type LifecycleRegion } from '../lifecycle/helpers.ts';
import { meta, nodeKey } from './helpers.ts';

const CACHE = join(import.meta.dirname, '..', '..', '.cache', 'debs');

/** The unpacked cloud-init's dist-packages directory (downloaded once). */
function cloudInit(): string {
  const tree = join(CACHE, 'cloud-init');
  const dist = join(tree, 'usr', 'lib', 'python3', 'dist-packages');
  if (existsSync(join(dist, 'cloudinit', 'sources', 'DataSourceMAAS.py'))) return dist;
  mkdirSync(CACHE, { recursive: true });
  if (!readdirSync(CACHE).some((f) => /^cloud-init_.*\.deb$/.test(f))) execFileSync('apt-get', ['download', '-q', 'cloud-init'], { cwd: CACHE, stdio: 'ignore' });
  const deb = readdirSync(CACHE).find((f) => /^cloud-init_.*\.deb$/.test(f))!;
  execFileSync('dpkg-deb', ['-x', join(CACHE, deb), tree]);
  return dist;
}

/** Runs Debian's python3 (where the Debian Python packages are) asynchronously (the region answers in this same process, so no sync child). */
function python(dist: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn('/usr/bin/python3', args, { env: { ...process.env, PYTHONPATH: dist } });
    let stdout = ''; let stderr = '';
    p.stdout.on('data', (c) => { stdout += c; });
    p.stderr.on('data', (c) => { stderr += c; });
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe('cloud-init (Debian) against the metadata service', () => {
  let r: LifecycleRegion;
  let b: BmcDouble;
  let dist: string;
  let sid: string;
  let dir: string;
  before(async () => {
    dist = cloudInit();
    r = await startLifecycleRegion('pglite');
    b = await startBmcDouble();
    sid = r.sid(await r.api('POST', 'machines/', newMachine('cloudinit-1', b.fields())));
    await r.runner.drain();
    await r.api('POST', 'account/prefs/sshkeys/', [['key', 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGVkMjU1MTkta2V5LWZvci1wbGludGgtdGVzdHMhIQ test@plinth']]);
    dir = join(CACHE, `run-${process.pid}`);
    mkdirSync(dir, { recursive: true });
  });
  after(async () => { await r?.close(); await b?.stop(); execFileSync('rm', ['-rf', dir]); });

  test('DataSourceMAAS check-seed with the preseed our by-id get_preseed writes', async () => {
    await nodeKey(r, sid);
    const preseed = (await meta(r, 'GET', `latest/by-id/${sid}/?op=get_preseed`, null)).text;
    const cfg = join(dir, 'preseed.cfg');
    writeFileSync(cfg, preseed);
    const res = await python(dist, ['-m', 'cloudinit.sources.DataSourceMAAS', '--config', cfg, 'check-seed']);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /=== user-data ===\n#!\/bin\/sh\n[\s\S]*plinth-agent run/);
    assert.match(res.stdout, new RegExp(`'instance-id': '${sid}'`));
    assert.match(res.stdout, /'local-hostname': 'cloudinit-1\.maas'/);
    assert.match(res.stdout, /=== vendor-data ===\n\{'cloud-init': '#cloud-config/);

    // Public keys: an owned machine in a status that offers them (deployed, owner with a key).
    await r.svc.db.query("update nodes set status = 6, owner_id = (select id from users where username = 'admin') where system_id = $1", [sid]);
    // The owner change replaced the machine's key (migration 015): the deployed system has the new one.
    writeFileSync(cfg, (await meta(r, 'GET', `latest/by-id/${sid}/?op=get_preseed`, null)).text);
    const owned = await python(dist, ['-m', 'cloudinit.sources.DataSourceMAAS', '--config', cfg, 'check-seed']);
    assert.equal(owned.code, 0, owned.stderr);
    assert.match(owned.stdout, /'public-keys': 'ssh-ed25519 /);
    assert.match(owned.stdout, /AAAAC3NzaC1lZDI1NTE5AAAAIGVkMjU1MTkta2V5LWZvci1wbGludGgtdGVzdHMhIQ/);
    assert.match(owned.stdout, /=== user-data ===\nN\/A\n/, 'no user data: a 404 the datasource accepts');
    const crawl = await python(dist, ['-m', 'cloudinit.sources.DataSourceMAAS', '--config', cfg, 'crawl', `${r.origin}/MAAS/metadata/latest/meta-data/`]);
    assert.equal(crawl.code, 0, crawl.stderr);
    assert.match(crawl.stdout, new RegExp(`latest/meta-data/instance-id ==\\n${sid}\\n`));
  });

  test("cloud-init's webhook reporting handler posts an event into the machine's event log", async () => {
    const preseed = (await meta(r, 'GET', `latest/by-id/${sid}/?op=get_preseed`, null)).text;
    const rep = JSON.parse(preseed.slice('#cloud-config\n'.length)).reporting.maas;
    const script = [
      'import sys',
      'from cloudinit.reporting.handlers import WebHookHandler',
      'from cloudinit.reporting.events import ReportingEvent',
      'h = WebHookHandler(endpoint=sys.argv[1], consumer_key=sys.argv[2], token_key=sys.argv[3], token_secret=sys.argv[4])',
      "h.publish_event(ReportingEvent('start', 'init-local', 'searching for local datasources', origin='cloudinit'))",
      'h.flush()',
    ].join('\n');
    const res = await python(dist, ['-c', script, rep.endpoint, rep.consumer_key, rep.token_key, rep.token_secret]);
    assert.equal(res.code, 0, res.stderr);
    assert.doesNotMatch(res.stderr, /Failed posting event/);
    const events = (await r.api('GET', `events/?op=query&id=${sid}`)).json().events.map((e: { description: string }) => e.description);
    assert.ok(events.includes("'init-local' searching for local datasources"), events.join('\n'));
  });
});

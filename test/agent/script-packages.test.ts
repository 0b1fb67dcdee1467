/**
 * The bundled agent with scripts that need packages, and a region that lists new commissioning
 * scripts after the first ones pass (for_hardware) or lists the built-in ones again (recommission).
 *
 * The region is a stand-in (fake-region.ts) that behaves as the real one does on those points (the
 * real one is tested in test/scripts/for-hardware.test.ts). URL packages are real downloads over
 * loopback from a small file server here. Doubles, for what a test cannot reach: `apt-get`, `dpkg`
 * and `dpkg-query` first on PATH stand in for Debian's mirror and package database (an apt-get here
 * would install onto this build host): they record every call; `dpkg-query` says only `already-here`
 * is installed; `apt-get` cannot find `broken-pkg`.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzip } from '../../src/agent/unzip.ts';
import { urlTarget } from '../../src/agent/url-packages.ts';
import { bundleAgent, FakeRegion, runAgent, type Recorded } from './fake-region.ts';

const dir = mkdtempSync(join(tmpdir(), 'plinth-packages-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const CREDS = { consumer_key: 'CK', token_key: 'TK', token_secret: 'TS' };
const calls = join(dir, 'calls.log');

function fakeBin(): string {
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const tool = (name: string, body: string) => { writeFileSync(join(bin, name), `#!/bin/sh\necho "${name} $*" >> "${calls}"\n${body}`); chmodSync(join(bin, name), 0o755); };
  tool('apt-get', 'case " $* " in *" broken-pkg "*) echo "E: Unable to locate package broken-pkg" >&2; exit 100 ;; esac\necho "Setting up $*"\n');
  tool('dpkg', 'echo "dpkg: dependency problems prevent configuration" >&2\nexit 1\n');
  tool('dpkg-query', 'for a; do n=$a; done\n[ "$n" = already-here ] && { printf installed; exit 0; }\necho "dpkg-query: no packages found matching $n" >&2\nexit 1\n');
  return bin;
}

/** The files URL packages fetch, built with the real tar and zip; hits counted per path. */
function files(): Record<string, Buffer> {
  const src = join(dir, 'src');
  mkdirSync(join(src, 'tool'), { recursive: true });
  writeFileSync(join(src, 'tool/run.sh'), 'echo from the tarball\n');
  writeFileSync(join(src, 'readme.txt'), 'from the zip\n');
  execFileSync('tar', ['-C', src, '-czf', join(dir, 'tool.tar.gz'), 'tool']);
  execFileSync('zip', ['-q', '-j', join(dir, 'docs.zip'), join(src, 'readme.txt')]);
  return {
    '/files/tool.tar.gz': readFileSync(join(dir, 'tool.tar.gz')), '/files/docs.zip': readFileSync(join(dir, 'docs.zip')),
    '/files/firmware.bin': Buffer.from('\x7fFIRMWARE'), '/files/vendor-tool_1.0_amd64.deb': Buffer.from('!<arch>\ndebian-binary'),
    '/files/target.txt': Buffer.from('reached through a redirect\n'),
  };
}

describe('script packages and commissioning rounds (bundled agent)', () => {
  const region = new FakeRegion({ [CREDS.token_key]: CREDS.token_secret });
  let server: Server; let origin = '';
  const hits: Record<string, number> = {};
  let bundle = ''; let bin = ''; let cfg = '';
  before(async () => {
    await region.start();
    const served = files();
    server = createServer((req, res) => {
      hits[req.url!] = (hits[req.url!] ?? 0) + 1;
      if (req.url === '/go/fetched-name') { res.writeHead(302, { Location: '/files/target.txt' }).end(); return; }
      const body = served[req.url!];
      if (!body) { res.writeHead(404).end('no such file'); return; }
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' }).end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    bundle = bundleAgent(dir);
    bin = fakeBin();
    cfg = join(dir, '91_kernel_cmdline_url.cfg');
    writeFileSync(cfg, `datasource:\n  MAAS:\n    metadata_url: ${region.url}/MAAS/metadata/\n    consumer_key: ${CREDS.consumer_key}\n    token_key: ${CREDS.token_key}\n    token_secret: ${CREDS.token_secret}\n`);
  });
  after(async () => { await region.stop(); await new Promise((r) => server.close(r)); });

  const agent = () => {
    mkdirSync(join(dir, 'root'), { recursive: true }); // no var/cache/apt/pkgcache.bin: apt-get update runs first
    return runAgent(bundle, ['--config', cfg, '--root-dir', join(dir, 'root'), '--work-dir', join(dir, 'work')], { ...process.env, PATH: `${bin}:${process.env.PATH}` });
  };
  /** Serves index entries and scripts as the region's tar; `listing` decides the index from the signals so far. */
  const serve = (listing: (finished: (id: number) => number) => Record<string, unknown[]>, scripts: Record<string, string>) => {
    region.requests = [];
    rmSync(calls, { force: true });
    region.routes.set('GET /MAAS/metadata/latest/maas-scripts/', () => {
      const done = (id: number) => region.signals().filter((s) => s.script_result_id === String(id) && s.exit_status !== undefined).length;
      const root = mkdtempSync(join(dir, 'tar-'));
      writeFileSync(join(root, 'index.json'), JSON.stringify({ '1.0': listing(done) }));
      for (const [path, body] of Object.entries(scripts)) { mkdirSync(join(root, path, '..'), { recursive: true }); writeFileSync(join(root, path), body); }
      return { body: execFileSync('tar', ['-C', root, '-cf', '-', '.']), type: 'application/x-tar' };
    });
    region.routes.set('POST /MAAS/metadata/latest/?op=signal', { body: 'OK' });
  };
  const entry = (name: string, id: number, extra: Record<string, unknown> = {}) => ({
    name, path: `commissioning/${name}`, script_result_id: id, script_version_id: id + 1000, timeout_seconds: 60, parallel: 2, parameters: {}, default: false, ...extra,
  });
  const brief = () => region.signals().map((x) => `${x.status}${x.script_result_id ? `:${x.script_result_id}` : ''}${x.exit_status !== undefined ? `=${x.exit_status}` : ''}`);
  const filesOf = (id: number) => region.requests.filter((r: Recorded) => r.fields.script_result_id?.[0] === String(id) && r.fields.exit_status).at(-1)!.files;
  const downloads = () => region.requests.filter((r) => r.url === '/MAAS/metadata/latest/maas-scripts/').length;

  test('a script for found hardware joins after the built-ins; its packages are installed first; recommission runs the built-ins again', async () => {
    const FW = `#!/bin/sh\ncd "$DOWNLOAD_PATH"\nsh tool/run.sh\ncat readme.txt fetched-name\nwc -c < firmware.bin\n[ "$(pwd)" = "$DOWNLOAD_PATH" ] && echo in its download directory\n`;
    serve((done) => {
      // The region: 00-facts first; once it passed, the for_hardware script it found hardware for; once
      // that passed (it asks for recommissioning), 00-facts again; then nothing new.
      const fw = done(2);
      const commissioning: unknown[] = [entry('00-facts', 1, { default: true, packages: { apt: ['lshw'] }, has_finished: done(1) >= (fw ? 2 : 1) })];
      if (done(1) >= 1) {
        commissioning.push(entry('90-firmware', 2, {
          parallel: 0, has_finished: fw >= 1, for_hardware: ['pci:8086:1572'],
          packages: { apt: ['already-here', 'fw-tool'], url: [`${origin}/files/tool.tar.gz`, `${origin}/files/docs.zip`, `${origin}/files/firmware.bin`, `${origin}/files/vendor-tool_1.0_amd64.deb`, `${origin.replace('http://', '')}/go/fetched-name`] },
        }));
      }
      return { commissioning_scripts: commissioning };
    }, { 'commissioning/00-facts': '#!/bin/sh\necho facts\n', 'commissioning/90-firmware': FW });
    const r = await agent();
    assert.equal(r.code, 0, r.out);
    assert.deepEqual(brief(), ['WORKING:1', 'WORKING:1=0', 'INSTALLING:2', 'WORKING:2', 'WORKING:2=0', 'WORKING:1', 'WORKING:1=0', 'OK']);
    assert.equal(downloads(), 4, 'fetched again after each round: new script, built-ins again, nothing new');
    assert.equal(filesOf(2)['90-firmware.out'].toString(),
      'from the tarball\nfrom the zip\nreached through a redirect\n9\nin its download directory\n', 'the install log is not part of the script output');
    assert.deepEqual(readFileSync(calls, 'utf8').trim().split('\n'), [
      'dpkg-query -W -f=${db:Status-Status} already-here', 'dpkg-query -W -f=${db:Status-Status} fw-tool',
      'apt-get -qy update', 'apt-get -qy --no-install-recommends install fw-tool',
      `dpkg -i ${join(dir, 'work/downloads/90-firmware/vendor-tool_1.0_amd64.deb')}`, 'apt-get install -qyf --no-install-recommends',
    ], "the built-in script's apt list installs nothing; installed packages are not asked for");
  });

  test('failed installs: snap (no snapd), a missing URL, apt failing; each fails its script with the output, none runs', async () => {
    const MARK = (n: string) => `#!/bin/sh\ntouch "${join(dir, `ran-${n}`)}"\n`;
    serve((done) => ({
      commissioning_scripts: [
        entry('needs-snap', 1, { packages: { snap: [{ name: 'lxd', channel: 'edge' }] }, has_finished: done(1) > 0 }),
        entry('needs-url', 2, { packages: { url: [`${origin}/files/missing.tgz`] }, has_finished: done(2) > 0 }),
        entry('needs-apt', 3, { packages: { apt: ['broken-pkg'] }, has_finished: done(3) > 0 }),
      ],
    }), { 'commissioning/needs-snap': MARK('snap'), 'commissioning/needs-url': MARK('url'), 'commissioning/needs-apt': MARK('apt') });
    const started = Date.now();
    const r = await agent();
    assert.equal(r.code, 1, r.out);
    assert.ok(Date.now() - started < 20_000, 'never waits on what cannot be installed');
    const finals = region.signals().filter((s) => s.exit_status !== undefined);
    assert.deepEqual(finals.map((s) => [s.name, s.status, s.error]).sort(), [
      ['needs-apt', 'INSTALLING', 'Failed installing package(s) for needs-apt'], ['needs-snap', 'INSTALLING', 'Failed installing package(s) for needs-snap'],
      ['needs-url', 'INSTALLING', 'Failed installing package(s) for needs-url'],
    ]);
    assert.equal(finals.find((s) => s.name === 'needs-apt')!.exit_status, '100');
    assert.match(filesOf(1)['needs-snap.err'].toString(), /cannot install snap package lxd: Plinth's ephemeral environment has no snapd/);
    assert.match(filesOf(2)['needs-url'].toString(), /missing\.tgz: HTTP 404/);
    assert.match(filesOf(3)['needs-apt.err'].toString(), /Unable to locate package broken-pkg/);
    assert.deepEqual(region.signals().at(-1), { op: 'signal', status: 'FAILED', error: 'Failed commissioning scripts: needs-apt, needs-snap, needs-url' });
    for (const n of ['snap', 'url', 'apt']) assert.equal(existsSync(join(dir, `ran-${n}`)), false, `${n}: the script did not run`);
  });

  test('instances of one script share one install; a region that never records results is given up on', async () => {
    const before = hits['/files/firmware.bin'] ?? 0;
    serve((done) => ({
      commissioning_scripts: [1, 2, 3].map((id) => entry('per-disk', id, { parallel: 1, packages: { url: [`${origin}/files/firmware.bin`] }, has_finished: done(id) > 0 })),
    }), { 'commissioning/per-disk': '#!/bin/sh\ntest -s "$DOWNLOAD_PATH/firmware.bin"\n' });
    const r = await agent();
    assert.equal(r.code, 0, r.out);
    assert.equal(hits['/files/firmware.bin'] - before, 1, 'downloaded once for the three instances');
    assert.equal(region.signals().filter((s) => s.exit_status === '0').length, 3);

    serve(() => ({ commissioning_scripts: [entry('stuck', 1)] }), { 'commissioning/stuck': '#!/bin/sh\ntrue\n' });
    const stuck = await agent();
    assert.equal(stuck.code, 1);
    assert.deepEqual(region.signals().at(-1), { op: 'signal', status: 'FAILED', error: 'The region still lists commissioning scripts as not run after they reported: stuck' });
  });
});

describe('URL package pieces', () => {
  test('file names as wget picks them; only http and https', () => {
    assert.equal(urlTarget('http://h/a/b/tool.tar.gz?x=1').file, 'tool.tar.gz');
    assert.equal(urlTarget('example.com/dir/').file, 'index.html');
    assert.equal(urlTarget('example.com').url.href, 'http://example.com/');
    assert.equal(urlTarget('https://h/%20odd%20name.bin').file, ' odd name.bin');
    assert.throws(() => urlTarget('ftp://h/x'), /only http and https/);
  });

  test('zip: stored and deflated members, modes kept, paths that escape refused', () => {
    const src = mkdtempSync(join(dir, 'zsrc-'));
    writeFileSync(join(src, 'big.txt'), 'x'.repeat(10_000));
    writeFileSync(join(src, 'run.sh'), '#!/bin/sh\n'); chmodSync(join(src, 'run.sh'), 0o750);
    execFileSync('zip', ['-q', '-r', join(src, 'a.zip'), 'big.txt', 'run.sh'], { cwd: src });
    execFileSync('zip', ['-q', '-0', join(src, 'a.zip'), 'run.sh'], { cwd: src });
    const out = mkdtempSync(join(dir, 'zout-'));
    assert.deepEqual(unzip(readFileSync(join(src, 'a.zip')), out).sort(), ['big.txt', 'run.sh']);
    assert.equal(readFileSync(join(out, 'big.txt'), 'utf8'), 'x'.repeat(10_000));
    assert.equal(execFileSync('stat', ['-c', '%a', join(out, 'run.sh')]).toString().trim(), '750');
    mkdirSync(join(src, 'sub'));
    writeFileSync(join(src, 'evil.txt'), 'e');
    execFileSync('zip', ['-q', join(src, 'evil.zip'), '../evil.txt'], { cwd: join(src, 'sub') });
    assert.throws(() => unzip(readFileSync(join(src, 'evil.zip')), out), /outside its directory/);
  });
});

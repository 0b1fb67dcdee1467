/**
 * plinth-agent alone: its pieces (cloud-init config, OAuth header, tar reader, parallel rules) and the
 * bundled program (esbuild, target node18, exactly as the image gets it) run against a small fake
 * metadata server. The fake stands in for the region so the agent is tested by itself; it checks the
 * OAuth signature with the region's own verifier and records every signal.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configFrom, parseYamlMappings } from '../../src/agent/config.ts';
import { authorization } from '../../src/agent/oauth.ts';
import { readTar } from '../../src/agent/tar.ts';
import { schedule, type ScriptRun } from '../../src/agent/runner.ts';
import type { ScriptEntry } from '../../src/agent/scripts-index.ts';
import { scriptArgs } from '../../src/agent/scripts-index.ts';
import { parseAuthorizationHeader, verifySignature } from '../../src/edges/maas/wire/oauth.ts';
import { builtinScript } from '../../src/services/commissioning/builtin.ts';
import { parseFacts } from '../../src/services/commissioning/facts.ts';

const dir = mkdtempSync(join(tmpdir(), 'plinth-agent-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const CREDS = { consumer_key: 'CKEY', token_key: 'TKEY', token_secret: 's3cr&t' };
const PRESEED = `#cloud-config
manage_etc_hosts: true
datasource:
  MAAS:
    consumer_key: ${CREDS.consumer_key}
    metadata_url: 'http://10.0.0.1:5248/MAAS/metadata/'
    token_key: ${CREDS.token_key}
    token_secret: "${CREDS.token_secret}"
packages: [python3-yaml]
reporting:
  maas: {type: webhook}
`;

describe('agent pieces', () => {
  test('cloud-init config: 91_kernel_cmdline_url.cfg as the region writes it, later files win', () => {
    const c = configFrom([{ name: '90_dpkg.cfg', text: 'datasource:\n  MAAS:\n    metadata_url: http://old/\n' }, { name: '91_kernel_cmdline_url.cfg', text: PRESEED }]);
    assert.deepEqual(c, { metadata_url: 'http://10.0.0.1:5248/MAAS/metadata/', consumer_key: 'CKEY', consumer_secret: '', token_key: 'TKEY', token_secret: 's3cr&t' });
    assert.equal(configFrom([{ name: 'x.cfg', text: JSON.stringify({ datasource: { MAAS: { ...CREDS, metadata_url: 'http://h/m' } } }) }]).metadata_url, 'http://h/m/');
    assert.throws(() => configFrom([{ name: 'enlist.cfg', text: 'datasource:\n  MAAS:\n    metadata_url: http://h/\n' }]), /no credentials/);
    assert.throws(() => configFrom([]), /No datasource.MAAS.metadata_url/);
    assert.deepEqual(parseYamlMappings('a:\n  b: "x # y"\n  c: 1 # note\nd: e\n'), { a: { b: 'x # y', c: '1' }, d: 'e' });
  });

  test('the OAuth PLAINTEXT header passes the region\'s verifier; a wrong secret does not', () => {
    const cfg = { ...CREDS, consumer_secret: '', metadata_url: 'http://h/' };
    const oauth = parseAuthorizationHeader(authorization(cfg))!;
    assert.equal(oauth.oauth_token, 'TKEY');
    const check = (tokenSecret: string) => verifySignature({ method: 'GET', url: 'http://h/x', bodyParams: [], oauth, consumerSecret: '', tokenSecret });
    assert.equal(check('s3cr&t'), true);
    assert.equal(check('other'), false);
    assert.notEqual(parseAuthorizationHeader(authorization(cfg))!.oauth_nonce, oauth.oauth_nonce);
  });

  test('tar: ustar, GNU long names, pax paths and gzip', () => {
    const src = join(dir, 'tarsrc'); const long = `commissioning/${'x'.repeat(120)}`;
    mkdirSync(join(src, 'commissioning'), { recursive: true });
    writeFileSync(join(src, 'index.json'), '{}'); writeFileSync(join(src, long), 'echo long\n');
    for (const format of ['gnu', 'pax', 'ustar']) {
      const names = format === 'ustar' ? ['index.json'] : ['index.json', long];
      const tar = execFileSync('tar', ['-C', src, `--format=${format}`, '-cf', '-', ...names]);
      const files = readTar(tar).filter((e) => e.type === 'file');
      assert.deepEqual(files.map((e) => e.name), names, format);
      if (format !== 'ustar') assert.equal(files[1].data.toString(), 'echo long\n');
    }
    const gz = execFileSync('tar', ['-C', src, '-czf', '-', 'index.json']);
    assert.equal(readTar(gz)[0].name, 'index.json');
    const bad = execFileSync('tar', ['-C', src, '-cf', '-', 'index.json']); bad[150] ^= 1;
    assert.throws(() => readTar(bad), /checksum/);
  });

  test('parallel rules: none runs alone, instance beside itself, any beside any, in name order', async () => {
    const e = (name: string, parallel: ScriptEntry['parallel']): ScriptEntry => ({ name, path: name, parallel, script_result_id: null, script_version_id: null, timeout_seconds: 0, parameters: {}, has_finished: false });
    const events: string[] = [];
    const fake = async (s: ScriptEntry): Promise<ScriptRun> => {
      events.push(`+${s.name}`); await new Promise((r) => setTimeout(r, 20)); events.push(`-${s.name}`);
      return { entry: s, exitStatus: 0, runtime: 0.02, timedOut: false, files: [] };
    };
    await schedule([e('b-any', 'any'), e('a-any', 'any'), e('c-none', 'none'), e('d-inst', 'instance'), e('d-inst', 'instance'), e('e-any', 'any')], fake, async () => {});
    assert.deepEqual(events, ['+a-any', '+b-any', '-a-any', '-b-any', '+c-none', '-c-none', '+d-inst', '+d-inst', '-d-inst', '-d-inst', '+e-any', '-e-any']);
    const storage = { ...e('smartctl-validate', 'instance'), parameters: { storage: { type: 'storage', argument_format: '{path}', value: { name: 'sda', id_path: '/dev/disk/by-id/wwn-1' } } } };
    assert.deepEqual(scriptArgs(storage), ['/dev/disk/by-id/wwn-1']);
    const wipe = { ...e('wipe-disks', 'none'), parameters: { quick_erase: { type: 'boolean', argument_format: '--quick-erase', value: true }, secure_erase: { type: 'boolean', argument_format: '--secure-erase', value: false } } };
    assert.deepEqual(scriptArgs(wipe), ['--quick-erase']);
  });
});

interface Signal { fields: Record<string, string>; files: Record<string, Buffer> }

function parseMultipart(req: IncomingMessage, body: Buffer): Signal {
  const boundary = /boundary=([^;]+)/.exec(String(req.headers['content-type']))![1];
  const out: Signal = { fields: {}, files: {} };
  const text = body.toString('latin1');
  for (const raw of text.split(`--${boundary}`).slice(1, -1)) {
    const [head, ...rest] = raw.slice(2).split('\r\n\r\n');
    const value = Buffer.from(rest.join('\r\n\r\n').slice(0, -2), 'latin1');
    const name = /name="([^"]+)"/.exec(head)![1];
    if (/filename=/.test(head)) out.files[name] = value; else out.fields[name] = value.toString();
  }
  return out;
}

/**
 * A metadata service double: serves the scripts set with setScripts (as the region does, a script whose
 * result was signalled with an exit status is listed as finished on the next download), answers
 * signals, checks every request's OAuth.
 */
class FakeMetadata {
  server!: Server; url = ''; signals: Signal[] = []; failuresLeft = 0; tar: Buffer | null = null; badAuth = 0; downloads = 0;
  private scripts: { index: Record<string, Array<Record<string, unknown>>>; files: Record<string, string> } | null = null;
  async start() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const oauth = parseAuthorizationHeader(req.headers.authorization);
        if (!oauth || oauth.oauth_token !== CREDS.token_key || !verifySignature({ method: req.method!, url: `${this.url}${req.url}`, bodyParams: [], oauth, consumerSecret: '', tokenSecret: CREDS.token_secret })) {
          this.badAuth++; res.writeHead(401).end('Authorization Error'); return;
        }
        if (req.method === 'GET' && req.url === '/MAAS/metadata/latest/maas-scripts/') {
          if (this.failuresLeft > 0) { this.failuresLeft--; res.writeHead(503).end('rack restarting'); return; }
          this.downloads++;
          const tar = this.scripts ? this.build() : this.tar;
          if (!tar) { res.writeHead(204).end(); return; }
          res.writeHead(200, { 'Content-Type': 'application/x-tar' }).end(tar); return;
        }
        if (req.method === 'POST' && req.url === '/MAAS/metadata/latest/?op=signal') {
          this.signals.push(parseMultipart(req, Buffer.concat(chunks)));
          res.writeHead(200, { 'Content-Type': 'text/plain' }).end('OK'); return;
        }
        res.writeHead(404).end('no');
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }
  /** index.json plus scripts, as the region's tar holds them. */
  setScripts(index: Record<string, Array<Record<string, unknown>>>, scripts: Record<string, string>) {
    this.scripts = { index, files: scripts };
    this.signals = []; this.downloads = 0;
  }
  /** A raw archive, served as it is. */
  setTar(tar: Buffer | null) { this.scripts = null; this.tar = tar; }
  private build(): Buffer {
    const finished = new Set(this.signals.filter((x) => x.fields.exit_status !== undefined || x.fields.status === 'TIMEDOUT').map((x) => Number(x.fields.script_result_id)));
    const index = Object.fromEntries(Object.entries(this.scripts!.index).map(([k, list]) =>
      [k, list.map((e) => ({ ...e, has_finished: e.has_finished === true || finished.has(e.script_result_id as number) }))]));
    const root = mkdtempSync(join(dir, 'tar-'));
    writeFileSync(join(root, 'index.json'), JSON.stringify({ '1.0': index }));
    for (const [path, body] of Object.entries(this.scripts!.files)) {
      mkdirSync(join(root, path, '..'), { recursive: true });
      writeFileSync(join(root, path), body);
    }
    return execFileSync('tar', ['-C', root, '-cf', '-', '.']);
  }
}

describe('the bundled agent against a fake metadata service', () => {
  const fake = new FakeMetadata();
  const bundle = join(dir, 'plinth-agent.mjs');
  let cfgFile = '';
  before(async () => {
    await fake.start();
    execFileSync(join(process.cwd(), 'node_modules/.bin/esbuild'), ['src/agent/main.ts', '--bundle', '--platform=node', '--target=node18', '--format=esm', `--outfile=${bundle}`, '--log-level=warning']);
    cfgFile = join(dir, '91_kernel_cmdline_url.cfg');
    writeFileSync(cfgFile, PRESEED.replace('http://10.0.0.1:5248', fake.url));
  });
  after(() => fake.server.close());

  const agent = (...extra: string[]) => new Promise<{ code: number; out: string }>((resolve) => {
    const p = spawn(process.execPath, [bundle, 'run', '--config', cfgFile, '--work-dir', join(dir, 'work'), ...extra]);
    let out = '';
    p.stdout.on('data', (c) => { out += c; }); p.stderr.on('data', (c) => { out += c; });
    p.on('close', (code) => resolve({ code: code ?? -1, out }));
  });
  const entry = (name: string, id: number, extra: Record<string, unknown> = {}) => ({ name, path: `${extra.kind ?? 'commissioning'}/${name}`, script_result_id: id, script_version_id: id + 100, timeout_seconds: 60, parallel: 2, parameters: {}, ...extra });

  test('commissioning then testing: each result signalled with its files, TESTING between, OK at the end', async () => {
    fake.setScripts({
      commissioning_scripts: [entry('00-plinth-facts', 1), entry('20-lshw', 2, { parallel: 0 })],
      testing_scripts: [
        entry('smartctl-validate', 3, { kind: 'testing', parallel: 1, parameters: { storage: { type: 'storage', argument_format: '{path}', value: { name: 'vda', id_path: '/dev/disk/by-id/virtio-1' } } } }),
        entry('result-yaml', 4, { kind: 'testing' }),
        entry('already-done', 5, { kind: 'testing', has_finished: true }),
      ],
    }, {
      'commissioning/00-plinth-facts': builtinScript('00-plinth-facts')!.content,
      'commissioning/20-lshw': '#!/bin/sh\necho "<list/>"\n',
      'testing/smartctl-validate': '#!/bin/sh\necho "checking $1"\necho "to stderr" >&2\n',
      'testing/result-yaml': '#!/bin/sh\nprintf "results:\\n  ok: 1\\n" > "$RESULT_PATH"\n',
      'testing/already-done': '#!/bin/sh\nexit 9\n',
    });
    const r = await agent();
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /plinth-agent: starting smartctl-validate \/dev\/disk\/by-id\/virtio-1/, 'logs line by line');
    const s = fake.signals;
    const brief = s.map((x) => `${x.fields.status}${x.fields.script_result_id ? `:${x.fields.script_result_id}` : ''}${x.fields.exit_status !== undefined ? `=${x.fields.exit_status}` : ''}`);
    assert.deepEqual(brief, ['WORKING:1', 'WORKING:1=0', 'WORKING:2', 'WORKING:2=0', 'TESTING', 'WORKING:4', 'WORKING:4=0', 'WORKING:3', 'WORKING:3=0', 'OK']);
    assert.equal(fake.downloads, 2, 'the scripts are fetched again once the commissioning scripts pass');
    assert.ok(s.every((x) => x.fields.op === 'signal'));
    const facts = s[1];
    assert.equal(facts.fields.name, '00-plinth-facts');
    assert.equal(facts.fields.script_version_id, '101');
    assert.ok(Number(facts.fields.runtime) > 0);
    assert.ok('facts' in parseFacts(facts.files['00-plinth-facts.out']), 'the facts output arrives intact');
    assert.deepEqual(Object.keys(s[8].files).sort(), ['smartctl-validate', 'smartctl-validate.err', 'smartctl-validate.out']);
    assert.equal(s[8].files['smartctl-validate.out'].toString(), 'checking /dev/disk/by-id/virtio-1\n');
    assert.equal(s[8].files['smartctl-validate.err'].toString(), 'to stderr\n');
    assert.equal(s[6].files['result-yaml.yaml'].toString(), 'results:\n  ok: 1\n');
    assert.equal(fake.badAuth, 0);
  });

  test('a failing and a timed-out script: TIMEDOUT for it, FAILED naming both, later phases not run', async () => {
    fake.setScripts({
      commissioning_scripts: [entry('ok', 1), entry('fails', 2), entry('hangs', 3, { timeout_seconds: 1 })],
      testing_scripts: [entry('never', 4, { kind: 'testing' })],
    }, {
      'commissioning/ok': '#!/bin/sh\ntrue\n', 'commissioning/fails': '#!/bin/sh\necho broken >&2\nexit 3\n',
      'commissioning/hangs': '#!/bin/sh\nsleep 30 & wait\n', 'testing/never': '#!/bin/sh\ntrue\n',
    });
    const started = Date.now();
    const r = await agent();
    assert.equal(r.code, 1);
    assert.ok(Date.now() - started < 15_000, 'the hung script and its children were killed');
    const byId = (id: string) => fake.signals.filter((x) => x.fields.script_result_id === id).at(-1)!;
    assert.equal(byId('2').fields.exit_status, '3');
    assert.equal(byId('3').fields.status, 'TIMEDOUT');
    const last = fake.signals.at(-1)!;
    assert.deepEqual(last.fields, { op: 'signal', status: 'FAILED', error: 'Failed commissioning scripts: fails, hangs' });
    assert.ok(!fake.signals.some((x) => x.fields.script_result_id === '4' || x.fields.status === 'TESTING'));
    assert.match(r.out, /fails stderr:\n.*broken/);
  });

  test('--dry-run runs only the scripts that read the machine', async () => {
    fake.setScripts({ release_scripts: [entry('wipe-disks', 7, { kind: 'release' })] }, { 'release/wipe-disks': '#!/bin/sh\ntouch "$DOWNLOAD_PATH/../../WIPED"\n' });
    const r = await agent('--dry-run');
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /wipe-disks: not run \(--dry-run/);
    assert.deepEqual(fake.signals[1].files, {}, 'no output is uploaded for a script that did not run');
    assert.equal(fake.signals[1].fields.exit_status, '0');
    assert.throws(() => readFileSync(join(dir, 'work/WIPED')));
  });

  test('retries while the region answers 503, then goes on; 204 means nothing to do', async () => {
    fake.setScripts({ commissioning_scripts: [entry('ok', 1)] }, { 'commissioning/ok': '#!/bin/sh\ntrue\n' });
    fake.failuresLeft = 2;
    const r = await agent();
    assert.equal(r.code, 0, r.out);
    assert.equal((r.out.match(/retrying in/g) ?? []).length, 2);
    assert.equal(fake.signals.at(-1)!.fields.status, 'OK');
    fake.setTar(null); fake.signals = [];
    const none = await agent();
    assert.equal(none.code, 0);
    assert.match(none.out, /nothing to run/);
    assert.deepEqual(fake.signals.map((x) => x.fields), [{ op: 'signal', status: 'OK' }], 'rescue mode: OK says the environment is up');
  });

  test('a script archive path that escapes the work directory is refused', async () => {
    fake.setScripts({ commissioning_scripts: [] }, {});
    const root = mkdtempSync(join(dir, 'evil-'));
    writeFileSync(join(root, 'x'), 'owned');
    fake.setTar(execFileSync('tar', ['-C', root, '--transform', 's,^x,commissioning/../../../escaped,', '-cf', '-', 'x']));
    const r = await agent();
    assert.equal(r.code, 1);
    assert.match(r.out, /outside its directory/);
  });
});

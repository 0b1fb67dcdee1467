/**
 * Real clients against the server over loopback: Debian's tftp-hpa (RFC 1350 only, no options) and
 * curl (sends tsize, blksize and timeout). Needs the Debian packages `tftp-hpa` and `curl`; each
 * suite is skipped, saying so, when its program is missing.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pseudoRandom, startServer, until, type Harness } from './helpers.ts';

const which = (name: string): string | null =>
  ['/usr/bin', '/bin', '/usr/local/bin'].map((d) => join(d, name)).find((p) => existsSync(p)) ?? null;
const TFTP = which('tftp');
const CURL = which('curl');

interface Run { code: number; stdout: string; stderr: string }
function run(cmd: string, args: string[], cwd: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

const FILES: Record<string, Buffer> = {
  'empty.bin': Buffer.alloc(0),
  'one.bin': Buffer.from([0x42]),
  'block.bin': pseudoRandom(512, 3),
  'blocks.bin': pseudoRandom(1468 * 4, 4),
  'config.bin': pseudoRandom(100_000, 5),
  'kernel.bin': pseudoRandom(3 * 1024 * 1024, 6),
  'boot/grub/grub.cfg': Buffer.from('set default=0\nmenuentry "x" {\n  linux /vmlinuz\n}\n'),
};

describe('tftp-hpa', { skip: TFTP === null && 'tftp-hpa is not installed (apt-get install tftp-hpa)' }, () => {
  let h: Harness;
  let out: string;
  before(async () => { h = await startServer(FILES); out = await mkdtemp(join(tmpdir(), 'plinth-tftp-out-')); });
  after(async () => { await h.close(); await rm(out, { recursive: true, force: true }); });

  for (const name of Object.keys(FILES)) {
    test(`get ${name} in binary mode`, async () => {
      const local = `got-${name.replace(/\//g, '_')}`;
      const r = await run(TFTP as string, ['-v', '127.0.0.1', String(h.port), '-m', 'binary', '-c', 'get', name, local], out);
      assert.equal(r.code, 0, r.stderr);
      if (FILES[name].length > 0) assert.match(r.stdout, /Received \d+ bytes/); // (it prints nothing for an empty file)
      assert.ok((await readFile(join(out, local))).equals(FILES[name]));
    });
  }

  test('get a text file in ascii (netascii) mode: the client turns CR LF back into LF', async () => {
    const r = await run(TFTP as string, ['127.0.0.1', String(h.port), '-m', 'ascii', '-c', 'get', '/boot/grub/grub.cfg', 'grub.cfg'], out);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await readFile(join(out, 'grub.cfg'), 'utf8'), FILES['boot/grub/grub.cfg'].toString());
    assert.equal(h.started.at(-1)?.mode, 'netascii');
  });

  const refusals: Array<[string, string[], RegExp]> = [
    ['a missing file', ['get', 'missing.bin', 'x'], /Error code 1: File not found/],
    ['a traversal attempt', ['get', '../../etc/passwd', 'x'], /Error code 1: File not found/],
    ['an upload (WRQ)', ['put', 'LOCAL', 'up.cfg'], /Error code 2: Access violation/],
  ];
  for (const [name, command, message] of refusals) {
    test(`refuses ${name}`, async () => {
      const args = command.map((a) => (a === 'LOCAL' ? join(out, 'got-one.bin') : a));
      const r = await run(TFTP as string, ['127.0.0.1', String(h.port), '-m', 'binary', '-c', ...args], out);
      assert.match(r.stdout + r.stderr, message);
    });
  }
});

describe('curl', { skip: CURL === null && 'curl is not installed (apt-get install curl)' }, () => {
  let h: Harness;
  let out: string;
  before(async () => { h = await startServer(FILES); out = await mkdtemp(join(tmpdir(), 'plinth-tftp-out-')); });
  after(async () => { await h.close(); await rm(out, { recursive: true, force: true }); });

  const table: Array<[string, string[], string, Record<string, string>]> = [
    ['default options', [], 'config.bin', { tsize: '100000', blksize: '512', timeout: '6' }],
    ['an empty file (no tsize 0 in the OACK)', [], 'empty.bin', { blksize: '512', timeout: '6' }],
    ['one octet', [], 'one.bin', { tsize: '1', blksize: '512', timeout: '6' }],
    ['exactly one block', [], 'block.bin', { tsize: '512', blksize: '512', timeout: '6' }],
    ['3 MiB', [], 'kernel.bin', { tsize: String(3 * 1024 * 1024), blksize: '512', timeout: '6' }],
    ['--tftp-blksize 1024', ['--tftp-blksize', '1024'], 'config.bin', { tsize: '100000', blksize: '1024', timeout: '6' }],
    ['--tftp-blksize 1468, a multiple of it', ['--tftp-blksize', '1468'], 'blocks.bin', { tsize: String(1468 * 4), blksize: '1468', timeout: '6' }],
    ['--tftp-blksize 8192 (clamped to 1468)', ['--tftp-blksize', '8192'], 'kernel.bin', { tsize: String(3 * 1024 * 1024), blksize: '1468', timeout: '6' }],
    ['--tftp-blksize 65464 (clamped to 1468)', ['--tftp-blksize', '65464'], 'config.bin', { tsize: '100000', blksize: '1468', timeout: '6' }],
    ['--tftp-no-options', ['--tftp-no-options'], 'config.bin', {}],
    ['a path in a subdirectory', [], 'boot/grub/grub.cfg', { tsize: String(FILES['boot/grub/grub.cfg'].length), blksize: '512', timeout: '6' }],
  ];
  for (const [name, flags, file, options] of table) {
    test(name, async () => {
      const started = h.started.length;
      const local = join(out, `curl-${started}`);
      const r = await run(CURL as string, ['-sS', ...flags, '-o', local, `tftp://127.0.0.1:${h.port}/${file}`], out);
      assert.equal(r.code, 0, r.stderr);
      assert.ok((await readFile(local)).equals(FILES[file]));
      assert.deepEqual(h.started[started]?.options, options);
      await until(() => h.ended.some((e) => e.id === h.started[started]?.id));
    });
  }

  const refusals: Array<[string, string[], number]> = [
    ['a missing file → exit 68 (TFTP file not found)', [`tftp://127.0.0.1:PORT/missing.bin`], 68],
    ['a traversal attempt → exit 68', ['--path-as-is', `tftp://127.0.0.1:PORT/../../etc/passwd`], 68],
    ['an upload → exit 69 (TFTP permission problem)', ['-T', 'UPLOAD', `tftp://127.0.0.1:PORT/up.bin`], 69],
  ];
  for (const [name, args, code] of refusals) {
    test(`refuses ${name}`, async () => {
      const argv = args.map((a) => a.replace('PORT', String(h.port)).replace('UPLOAD', join(out, `curl-0`)));
      const r = await run(CURL as string, ['-sS', '-o', join(out, 'refused'), ...argv], out);
      assert.equal(r.code, code, r.stderr);
    });
  }
});

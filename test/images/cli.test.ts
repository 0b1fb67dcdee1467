/** `plinth images build` rejects bad options with a clear message and exit 1, before building anything. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const plinth = new URL('../../bin/plinth', import.meta.url).pathname;
const run = (...args: string[]) => {
  const dir = mkdtempSync(join(tmpdir(), 'plinth-imgcli-'));
  return spawnSync(plinth, ['images', 'build', '--data-dir', dir, ...args], { encoding: 'utf8', timeout: 60_000 });
};

test('bad --only, --arch, --suite and --mirror are refused with a message', () => {
  const cases: [string[], RegExp][] = [
    [['--only', 'windows'], /--only must be ephemeral or debian \(got windows\)/],
    [['--only', 'debian', '--arch', 'arm64'], /only amd64 images can be built \(got --arch arm64\)/],
    [['--only', 'debian', '--suite', 'Bad Suite!'], /--suite must be a Debian codename/],
  ];
  if (process.getuid?.() === 0) cases.push([['--only', 'debian', '--mirror', 'ftp://x.example.org/debian'], /--mirror must be an http\(s\):\/\/ or file:\/\/ URL/]);
  for (const [args, re] of cases) {
    const r = run(...args);
    assert.equal(r.status, 1, args.join(' '));
    assert.match(r.stderr, new RegExp(`^plinth images: ${re.source}`), args.join(' '));
    assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/, 'no stack trace');
  }
});

/**
 * Builds the gomaasapi probe (main.go beside this file) offline in GOPATH mode against Debian's
 * golang-github-juju-gomaasapi-dev. `available` says whether Go and the package are installed.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const GOCODE = '/usr/share/gocode';
export const available = existsSync('/usr/bin/go') && existsSync(`${GOCODE}/src/github.com/juju/gomaasapi`);
export const SKIP = available ? false : 'golang-go / golang-github-juju-gomaasapi-dev not installed';

export async function buildProbe(): Promise<{ probe: string; cleanup(): void }> {
  const work = mkdtempSync(join(tmpdir(), 'plinth-gomaasapi-'));
  const src = join(work, 'src', 'plinthprobe');
  mkdirSync(src, { recursive: true });
  copyFileSync(join(here, 'main.go'), join(src, 'main.go'));
  const probe = join(work, 'probe');
  await run('go', ['build', '-o', probe, 'plinthprobe'], {
    cwd: src, timeout: 300_000,
    env: { ...process.env, GOPATH: `${work}:${GOCODE}`, GO111MODULE: 'off', GOFLAGS: '-mod=mod', GOCACHE: join(tmpdir(), 'plinth-gocache'), GOPROXY: 'off' },
  });
  return { probe, cleanup: () => rmSync(work, { recursive: true, force: true }) };
}

/** `plinth lab …` from the command line: up, status, console, down, and clear refusals. */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const PLINTH = join(dirname(fileURLToPath(import.meta.url)), '../../bin/plinth');
const isRoot = process.getuid?.() === 0;

async function plinth(...args: string[]) {
  try {
    const r = await exec(PLINTH, args, { timeout: 180_000 });
    return { code: 0, out: r.stdout, err: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, out: x.stdout, err: x.stderr };
  }
}

describe('plinth lab', { skip: isRoot ? false : 'needs root (network namespaces)' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'plinth-labcli-'));
  after(async () => { await plinth('lab', 'down', '--state-dir', dir); rmSync(dir, { recursive: true, force: true }); });

  test('refuses bad options and reports a missing lab', async () => {
    const bad = await plinth('lab', 'up', '--state-dir', dir, '--firmware', 'coreboot');
    assert.equal(bad.code, 1);
    assert.match(bad.err, /--firmware must be bios, uefi or mixed/);
    const none = await plinth('lab', 'status', '--state-dir', dir);
    assert.equal(none.code, 1);
    assert.match(none.err, /plinth lab: /);
  });

  test('up, status, console, down (idempotent)', async () => {
    const up = await plinth('lab', 'up', '--state-dir', dir, '--machines', '1', '--provisioning-cidr', '10.221.0.0/24', '--bmc-cidr', '10.222.0.0/24');
    assert.equal(up.code, 0, up.err);
    const st = JSON.parse((await plinth('lab', 'status', '--state-dir', dir)).out);
    assert.equal(st.machines.length, 1);
    assert.equal(st.machines[0].name, 'vm01');
    assert.equal((await plinth('lab', 'console', 'vm01', '--state-dir', dir)).code, 0);
    const down = await plinth('lab', 'down', '--state-dir', dir);
    assert.equal(down.code, 0, down.err);
    assert.deepEqual(JSON.parse(down.out).leftovers, []);
    assert.equal((await plinth('lab', 'down', '--state-dir', dir)).code, 0);
  });
});

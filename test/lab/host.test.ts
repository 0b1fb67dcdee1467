/**
 * Lab pieces checked against the real host tools, without building a lab: the chassis-control
 * program as ipmi_sim runs it, radvd's verdict on our configuration, and the refusal to run
 * without root.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { bundleChassisControl, chassisCommand } from '../../src/edges/lab/bmc.ts';
import { parseChassisArgs } from '../../src/edges/lab/chassis-control.ts';
import { radvdConf } from '../../src/edges/lab/network.ts';
import { parseOptions, planMachine, planNetwork } from '../../src/edges/lab/plan.ts';
import { writeMachine } from '../../src/edges/lab/state.ts';

function shell(cmd: string, opts: { uid?: number } = {}): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile('/bin/sh', ['-c', cmd], { timeout: 60_000, ...opts }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
  });
}

describe('chassis-control program', () => {
  const dir = mkdtempSync(join(tmpdir(), 'plab-chassis-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const s = parseOptions({ stateDir: dir });
  const m = planMachine(s, 'plunit', dir, planNetwork(s, 'plunit'), 1, 'tcg');
  writeMachine(m);
  const cmd = chassisCommand(m);
  // What `lab up` uses: the program bundled into plain JavaScript (a second machine, its own state).
  const mb = planMachine(s, 'plunit', dir, planNetwork(s, 'plunit'), 2, 'tcg');
  writeMachine(mb);
  const bundle = bundleChassisControl(join(dir, 'net'));

  it('is bundled with esbuild for lab up and then invoked as "<node> <bundle> <machine dir>"', () => {
    assert.ok(bundle && existsSync(bundle), 'esbuild is a dependency: the bundle must be made');
    assert.equal(chassisCommand(mb, bundle), `${process.execPath} ${bundle} ${mb.dir}`);
  });

  it('is invoked as "<node> --import <tsx> <script> <machine dir>"', () => {
    const parts = cmd.split(' ');
    assert.equal(parts.length, 5);
    assert.equal(parts[0], process.execPath);
    assert.equal(parts[1], '--import');
    assert.ok(existsSync(parts[2]), parts[2]);
    assert.equal(parts[3], fileURLToPath(new URL('../../src/edges/lab/chassis-control.ts', import.meta.url)));
    assert.equal(parts[4], m.dir);
  });

  // ipmi_sim runs `<command> get …` / `<command> set <param> "<value>"` through /bin/sh (popen).
  const table: Array<[string, number, RegExp | null, string | null]> = [
    ['get power boot', 0, /^power:0\nboot:none\n$/, null],
    ['set boot "pxe"', 0, /^$/, 'pxe'],
    ['get boot', 0, /^boot:pxe\n$/, 'pxe'],
    ['set boot "default"', 0, /^$/, 'default'],
    ['set identify "15 1"', 0, /^$/, 'default'],
    ['set boot "floppy"', 1, /Invalid boot value: floppy/, 'default'],
    ['set power "2"', 1, /Invalid power value/, 'default'],
    ['set reset "1"', 1, /powered off/, 'default'],
    ['set power "0"', 0, /^$/, 'default'],
    ['check power', 1, /Unknown operation: check/, 'default'],
    ['get temperature', 1, /Invalid parameter: temperature/, 'default'],
  ];
  for (const [form, machine] of [['tsx', m], ['bundle', mb]] as const) for (const [args, code, out, boot] of table) {
    it(`${form}: ${args} → exit ${code}`, async () => {
      const r = await shell(`${form === 'tsx' ? cmd : chassisCommand(mb, bundle)} ${args}`);
      assert.equal(r.code, code, r.out);
      if (out) assert.match(r.out, out);
      const file = join(machine.dir, 'chassis.json');
      const chassis = (existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {}) as { bootDevice?: string; identify?: { interval: number; force: boolean } };
      if (boot) assert.equal(chassis.bootDevice, boot);
      if (args.startsWith('set identify')) assert.deepEqual({ ...chassis.identify, at: undefined }, { interval: 15, force: true, at: undefined });
    });
  }

  it('logs every call', () => {
    const log = readFileSync(join(m.dir, 'chassis.log'), 'utf8');
    assert.match(log, /get power boot -> ok power:0 boot:none/);
    assert.match(log, /set boot floppy -> error Invalid boot value: floppy/);
  });

  it('parses ipmi_sim argument lists', () => {
    assert.deepEqual(parseChassisArgs(['/d', 'set', 'power', '1', 'boot', 'pxe']).req, {
      op: 'set',
      settings: [{ param: 'power', on: true }, { param: 'boot', device: 'pxe' }],
    });
    assert.throws(() => parseChassisArgs(['/d', 'set', 'power']), /pairs/);
    assert.throws(() => parseChassisArgs([]), /No machine directory/);
  });
});

describe('lab host tools', () => {
  it('radvd accepts the generated configuration', { skip: existsSync('/usr/sbin/radvd') ? undefined : 'radvd not installed' }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'plab-radvd-'));
    try {
      const s = parseOptions({ stateDir: dir, network: { vlan: { id: 9, cidr: '10.215.0.0/24' } } });
      writeFileSync(join(dir, 'radvd.conf'), radvdConf(planNetwork(s, 'plunit')));
      const r = await shell(`/usr/sbin/radvd -c -C ${join(dir, 'radvd.conf')}`);
      assert.equal(r.code, 0, r.out);
      assert.match(r.out, /syntax ok/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to run without root, saying so', { skip: process.getuid?.() === 0 ? undefined : 'already unprivileged' }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'plab-noroot-'));
    try {
      const index = fileURLToPath(new URL('../../src/edges/lab/index.ts', import.meta.url));
      const tsx = fileURLToPath(import.meta.resolve('tsx/esm'));
      const script = `import('${index}').then((l) => l.labUp({ stateDir: '${dir}/s' })).then(() => console.log('UP'), (e) => console.log(e.code + ': ' + e.message))`;
      // Run as "nobody" (uid/gid 65534): a real unprivileged process, not a patched uid.
      const r = await shell(`cd / && setpriv --reuid=65534 --regid=65534 --clear-groups ${process.execPath} --import ${tsx} --input-type=module -e "${script}"`);
      assert.match(r.out, /^not_root: The lab creates network namespaces.*needs root/m, r.out);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

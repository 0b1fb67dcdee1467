/**
 * The built-in scripts, run for real on this host: the read-only ones (facts, lshw, dmidecode, storage
 * layout) against the host itself or prepared trees; the testing and erase scripts only against a loop
 * device over a file this test creates (never a host disk). Outputs are checked with the region's own
 * parsers (the facts schema, the XML check, the storage-document check).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, openSync, readFileSync, readSync, closeSync, rmSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { cpus, networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILTIN_SCRIPTS, builtinScript } from '../../src/services/commissioning/builtin.ts';
import { parseFacts } from '../../src/services/commissioning/facts.ts';
import { xmlProblem } from '../../src/domain/tags/details.ts';
import { validateDocument } from '../../src/domain/storage/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'plinth-scripts-'));
function run(name: string, args: string[] = [], env: Record<string, string> = {}) {
  const file = join(dir, name);
  writeFileSync(file, builtinScript(name)!.content, { mode: 0o755 });
  const r = spawnSync('sh', [file, ...args], { env: { ...process.env, ...env }, maxBuffer: 64 << 20, timeout: 120_000 });
  return { status: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}
const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
after(() => rmSync(dir, { recursive: true, force: true }));

describe('built-in script catalogue', () => {
  test('every script is POSIX sh that parses, with the fields the metadata service serves', () => {
    const names = BUILTIN_SCRIPTS.map((s) => s.name);
    assert.deepEqual(names.filter((n) => /^\d/.test(n)), ['00-plinth-facts', '20-lshw', '30-lldp', '40-dmidecode', '50-storage-layout']);
    for (const n of ['smartctl-validate', 'fio', 'stress-ng-cpu-short', 'stress-ng-memory-short', 'wipe-disks']) assert.ok(names.includes(n), n);
    for (const s of BUILTIN_SCRIPTS) {
      assert.match(s.content, /^#!\/bin\/sh\n/, s.name);
      assert.equal(spawnSync('sh', ['-n', '-c', s.content]).status, 0, `${s.name} parses`);
      assert.ok(['none', 'instance', 'any'].includes(s.parallel) && s.timeout_seconds >= 0 && Array.isArray(s.tags), s.name);
    }
    assert.equal(builtinScript('wipe-disks')!.kind, 'release');
    assert.equal(builtinScript('fio')!.parameters!.storage.type, 'storage');
  });
});

describe('commissioning scripts on this host (read only)', () => {
  test('00-plinth-facts prints a document the schema accepts, matching what Node sees', () => {
    const r = run('00-plinth-facts');
    assert.equal(r.status, 0, r.stderr);
    const parsed = parseFacts(r.stdout);
    assert.ok('facts' in parsed, 'error' in parsed ? parsed.error : '');
    const f = parsed.facts;
    assert.equal(f.cpu.count, cpus().length);
    assert.equal(f.architecture, process.arch === 'x64' ? 'amd64' : process.arch);
    const macs = Object.values(networkInterfaces()).flat().map((i) => i!.mac).filter((m) => m !== '00:00:00:00:00:00');
    for (const n of f.nics) assert.ok(macs.includes(n.mac), `${n.name} ${n.mac} is one of the host's MACs`);
    assert.ok(f.nics.length >= 1 && f.disks.length >= 1, 'this host has a NIC and a disk');
    assert.ok(f.memory_mib! > 0 && f.numa.length >= 1 && f.numa.flatMap((n) => n.cpus).length === f.cpu.count);
    for (const d of f.disks) assert.equal(d.size, Number(readFileSync(`/sys/block/${d.name}/size`, 'utf8')) * 512);
  });

  test('20-lshw prints well-formed XML with the system node', { skip: !has('lshw') && 'lshw not installed' }, () => {
    const r = run('20-lshw');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(xmlProblem(r.stdout), null);
    assert.match(r.stdout, /<node id="[^"]*"[^>]* class="system"/);
  });

  test('40-dmidecode succeeds with or without SMBIOS tables', { skip: !has('dmidecode') && 'dmidecode not installed' }, () => {
    const r = run('40-dmidecode');
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.stdout.length > 0);
  });
});

describe('50-storage-layout', () => {
  // This host's kernel does not scan partitions of loop devices, so the test builds the sysfs entries
  // and device nodes the script reads: a GPT disk image and one image per partition (blkid probes them).
  test('describes partition table, partitions and filesystems as a valid storage document', { skip: !has('sfdisk') && 'sfdisk not installed' }, () => {
    const sys = join(dir, 'sys'); const dev = join(dir, 'dev');
    mkdirSync(join(sys, 'block/xda/xda1'), { recursive: true }); mkdirSync(join(sys, 'block/xda/xda2'), { recursive: true }); mkdirSync(dev);
    const img = join(dev, 'xda');
    execFileSync('truncate', ['-s', '64M', img]);
    execFileSync('sfdisk', ['-q', img], { input: 'label: gpt\n2048,32768,U\n,+\n' });
    writeFileSync(join(sys, 'block/xda/size'), `${64 * 2048}\n`);
    writeFileSync(join(sys, 'block/xda/ro'), '0\n');
    const parts = [{ n: 'xda1', start: 2048, size: 32768, mk: ['mkfs.vfat', '-n', 'EFI'] }, { n: 'xda2', start: 34816, size: 96256, mk: ['mkfs.ext4', '-q', '-L', 'root', '-U', '3f3e9bd2-4b8e-4a4c-9c9a-2f6f3b3b9a11'] }];
    for (const p of parts) {
      writeFileSync(join(sys, `block/xda/${p.n}/partition`), `${p.n.slice(-1)}\n`);
      writeFileSync(join(sys, `block/xda/${p.n}/start`), `${p.start}\n`);
      writeFileSync(join(sys, `block/xda/${p.n}/size`), `${p.size}\n`);
      execFileSync('truncate', ['-s', `${p.size * 512}`, join(dev, p.n)]);
      if (has(p.mk[0])) execFileSync(p.mk[0], [...p.mk.slice(1), join(dev, p.n)], { stdio: 'ignore' });
    }
    const r = run('50-storage-layout', ['xda'], { SYSFS: sys, DEVROOT: dev });
    assert.equal(r.status, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.deepEqual(validateDocument(doc).errors ?? [], []);
    const [disk] = doc.disks;
    assert.equal(disk.disk, 'xda'); assert.equal(disk.ptable, 'gpt');
    assert.deepEqual(disk.partitions.map((p: any) => [p.offset, p.size]), [[1048576, 16777216], [17825792, 49283072]]);
    assert.equal(disk.partitions[1].filesystem.fstype, 'ext4');
    assert.equal(disk.partitions[1].filesystem.label, 'root');
    assert.equal(disk.partitions[1].filesystem.uuid, '3f3e9bd2-4b8e-4a4c-9c9a-2f6f3b3b9a11');
    if (has('mkfs.vfat')) assert.deepEqual(disk.partitions[0].filesystem.fstype, 'fat32');
    assert.deepEqual(doc.raids, []); assert.deepEqual(doc.volume_groups, []);
    symlinkSync('xda', join(dev, 'unused'));
    assert.notEqual(run('50-storage-layout', ['nosuch'], { SYSFS: sys, DEVROOT: dev }).status, 0, 'an unknown disk is an error');
  });
});

describe('testing and release scripts against a loop device', () => {
  const MIB = 1 << 20;
  let img = ''; let loop = '';
  before(() => {
    img = join(dir, 'disk.img');
    execFileSync('truncate', ['-s', `${32 * MIB}`, img]);
    loop = execFileSync('losetup', ['-f', '--show', img]).toString().trim();
  });
  after(() => { if (loop) spawnSync('losetup', ['-d', loop]); });

  // A filesystem signature at the start, then a pattern over MiB 2..31 (the superblock stays readable).
  const fill = () => {
    execFileSync('mkfs.ext4', ['-q', '-F', loop]);
    const fd = openSync(loop, 'r+');
    const chunk = Buffer.alloc(MIB, 0xa5);
    for (let i = 2; i < 32; i++) writeSync(fd, chunk, 0, MIB, i * MIB);
    closeSync(fd);
    assert.notEqual(execFileSync('wipefs', ['-n', loop]).toString().trim(), '', 'the signature is there before');
  };
  const at = (offset: number) => {
    const b = Buffer.alloc(MIB); const fd = openSync(loop, 'r');
    readSync(fd, b, 0, MIB, offset); closeSync(fd);
    return b;
  };
  const zero = (b: Buffer) => b.every((x) => x === 0);

  test('wipe-disks --quick-erase clears signatures and the first and last MiB, nothing else', () => {
    fill();
    const r = run('wipe-disks', ['--quick-erase', loop]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /quick erase done/);
    assert.equal(execFileSync('wipefs', ['-n', loop]).toString().trim(), '', 'no signature left');
    assert.ok(zero(at(0)) && zero(at(31 * MIB)));
    assert.ok(at(16 * MIB).includes(0xa5), 'the middle is left alone');
  });

  test('wipe-disks without options zeroes the whole device', () => {
    fill();
    const r = run('wipe-disks', [loop]);
    assert.equal(r.status, 0, r.stderr);
    for (let i = 0; i < 32; i++) assert.ok(zero(at(i * MIB)), `MiB ${i} is zero`);
  });

  test('wipe-disks --secure-erase falls back (loop devices have no secure erase)', () => {
    fill();
    const r = run('wipe-disks', ['--secure-erase', '--quick-erase', loop]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /secure erase is not supported; falling back to quick erase/);
    assert.ok(zero(at(0)) && at(16 * MIB).includes(0xa5));
    assert.notEqual(run('wipe-disks', [join(dir, 'not-a-device')]).status, 0, 'a path that is not a block device fails');
  });

  test('smartctl-validate passes a device without SMART, saying so', { skip: !has('smartctl') && 'smartmontools not installed' }, () => {
    const r = run('smartctl-validate', [loop]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /SMART is not available/);
  });

  test('fio measures random read and write and writes a result YAML', { skip: !has('fio') && 'fio not installed' }, () => {
    const result = join(dir, 'fio.yaml');
    const r = run('fio', [loop], { FIO_RUNTIME: '1', FIO_SIZE: '8M', RESULT_PATH: result });
    assert.equal(r.status, 0, r.stderr);
    const yaml = readFileSync(result, 'utf8');
    assert.match(yaml, /random_read_iops: \d+/);
    assert.match(yaml, /random_write_iops: \d+/);
  });

  test('stress-ng CPU and memory scripts run and pass (shortened)', { skip: !has('stress-ng') && 'stress-ng not installed' }, () => {
    const c = run('stress-ng-cpu-short', ['2s']);
    assert.equal(c.status, 0, c.stderr + c.stdout);
    const m = run('stress-ng-memory-short', ['2s'], { STRESS_VM_BYTES: '32M' });
    assert.equal(m.status, 0, m.stderr + m.stdout);
  });
});

/**
 * Property tests over seeded random inputs (PLINTH_STORAGE_SEED reproduces a run, PLINTH_STORAGE_N
 * sets the count; default 2,000):
 *   - random valid documents on random machines are accepted, and their plans have partitions that
 *     are 1 MiB aligned, never overlap and fit their disks (GPT backup area and MBR limits included),
 *     devices exist before they are used, mounts come after their parents, fstab UUIDs are unique,
 *     curtin ids resolve to earlier items; re-applying and export → apply give identical trees;
 *   - random invalid requests (documents broken on purpose, junk values, junk layout parameters)
 *     always come back as errors with messages, never as an exception.
 * The checks below recompute the rules from the plan's own numbers rather than trusting the domain.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDocument } from '../../src/domain/storage/document.ts';
import { exportDocument } from '../../src/domain/storage/document-export.ts';
import { applyLayout } from '../../src/domain/storage/layouts/index.ts';
import { planStorage, type PlanOp, type StoragePlan } from '../../src/domain/storage/planner.ts';
import { toCurtinStorage } from '../../src/domain/storage/curtin.ts';
import { validateTree } from '../../src/domain/storage/validate.ts';
import { MiB } from '../../src/domain/storage/units.ts';
import type { StorageDocument } from '../../src/domain/storage/document-types.ts';
import type { SeedFn, StorageError, StorageTree } from '../../src/domain/storage/types.ts';
import { rng, type Rng } from './fixtures.ts';
import { randomDocument, randomMachine } from './gen.ts';

const SEED = Number(process.env.PLINTH_STORAGE_SEED ?? 20240601);
const N = Number(process.env.PLINTH_STORAGE_N ?? 2000);
const noSeed: SeedFn = () => { throw new Error('seed used on re-application'); };

type PartOp = Extract<PlanOp, { op: 'partition' }>;
type TableOp = Extract<PlanOp, { op: 'partition-table' }>;

function checkPlan(plan: StoragePlan): void {
  const tables = new Map<string, TableOp>();
  const parts = new Map<string, PartOp[]>();
  const exists = new Set<string>();
  for (const op of plan.operations) {
    switch (op.op) {
      case 'wipe': exists.add(op.device); break;
      case 'partition-table':
        assert.ok(exists.has(op.device), `table on ${op.device} before the device exists`);
        tables.set(op.device, op);
        break;
      case 'partition': {
        const t = tables.get(op.device);
        assert.ok(t, `partition on ${op.device} without a table`);
        const ss = op.sector_size;
        assert.equal(ss, t.sector_size);
        assert.ok(op.start_sector <= op.end_sector, 'partition has a positive size');
        assert.equal((op.start_sector * ss) % MiB, 0, `start of ${op.path} is 1 MiB aligned`);
        assert.equal(((op.end_sector + 1) * ss) % MiB, 0, `end of ${op.path} is 1 MiB aligned`);
        assert.ok(op.start_sector * ss >= MiB, `${op.path} starts after the table area`);
        const deviceBytes = t.sectors * ss;
        if (op.table === 'GPT') assert.ok((op.end_sector + 1) * ss <= deviceBytes - 16384 - ss, `${op.path} leaves room for the backup GPT`);
        else assert.ok(op.end_sector + 1 <= Math.min(t.sectors, 2 ** 32), `${op.path} fits MBR's 32-bit LBAs and the disk`);
        for (const other of parts.get(op.device) ?? []) {
          assert.ok(op.end_sector < other.start_sector || other.end_sector < op.start_sector, `${op.path} overlaps ${other.path}`);
        }
        parts.set(op.device, [...(parts.get(op.device) ?? []), op]);
        exists.add(op.path);
        break;
      }
      case 'md-create':
        for (const d of [...op.devices, ...op.spares]) assert.ok(exists.has(d), `md member ${d} exists`);
        exists.add(op.path);
        break;
      case 'pvcreate': assert.ok(exists.has(op.device), `pv ${op.device} exists`); break;
      case 'lvcreate': assert.equal(op.size % (4 * MiB), 0); exists.add(op.path); break;
      case 'bcache-cache': assert.ok(exists.has(op.device)); break;
      case 'bcache-backing': assert.ok(exists.has(op.device)); exists.add(op.path); break;
      case 'mkfs': assert.ok(exists.has(op.device), `mkfs on ${op.device} before it exists`); break;
      default: break;
    }
  }
  const mounts = plan.operations.filter((o): o is Extract<PlanOp, { op: 'mount' }> => o.op === 'mount').map((o) => o.target);
  mounts.forEach((m, i) => {
    for (const later of mounts.slice(i + 1)) assert.ok(!m.startsWith(`${later}/`), `${later} is mounted after its child ${m}`);
  });
  const uuids = plan.operations.filter((o) => o.op === 'fstab' && o.spec.startsWith('UUID=')).map((o) => (o as { spec: string }).spec);
  assert.equal(new Set(uuids).size, uuids.length, 'fstab UUIDs are unique');
  assert.ok(plan.operations.some((o) => o.op === 'fstab' && o.mount_point === '/'), 'fstab has a root entry');
}

function checkCurtin(t: StorageTree): void {
  const seen = new Set<string>();
  for (const item of toCurtinStorage(t).storage.config) {
    for (const key of ['device', 'volume', 'volgroup', 'backing_device', 'cache_device']) {
      const v = item[key];
      if (typeof v === 'string') assert.ok(seen.has(v), `curtin ${item.id}.${key} → ${v} comes earlier`);
    }
    for (const key of ['devices', 'spare_devices']) {
      for (const v of (item[key] as string[] | undefined) ?? []) assert.ok(seen.has(v), `curtin ${item.id}.${key} → ${v}`);
    }
    assert.ok(!seen.has(item.id), `curtin id ${item.id} is unique`);
    seen.add(item.id);
  }
}

test(`${N} random valid documents → valid trees and sound plans (seed ${SEED})`, () => {
  const r = rng(SEED);
  const stats = { raids: 0, vgs: 0, bcaches: 0, partitions: 0 };
  for (let i = 0; i < N; i += 1) {
    const machine = randomMachine(r);
    const doc = randomDocument(r, machine);
    const ctx = () => `case ${i}: ${JSON.stringify({ machine: machine.block_devices.map((d) => [d.name, d.size, d.block_size]), fw: machine.firmware, arch: machine.architecture, doc })}`;
    const applied = applyDocument(machine, doc, r.u32);
    assert.ok(applied.tree, `${ctx()}\n${JSON.stringify(applied.errors)}`);
    const tree = applied.tree;
    const planned = planStorage(tree);
    assert.ok(planned.plan, `${ctx()}\n${JSON.stringify(planned.errors)}`);
    try {
      checkPlan(planned.plan);
      checkCurtin(tree);
      if (i % 4 === 0) {
        assert.deepEqual(applyDocument(tree, doc, noSeed).tree, tree, 'idempotent');
        const exported = JSON.parse(JSON.stringify(exportDocument(tree))) as StorageDocument;
        assert.deepEqual(applyDocument(tree, exported, noSeed).tree, tree, 'export round trip');
      }
    } catch (e) {
      (e as Error).message = `${ctx()}\n${(e as Error).message}`;
      throw e;
    }
    stats.raids += tree.raids.length;
    stats.vgs += tree.volume_groups.length;
    stats.bcaches += tree.bcaches.length;
    stats.partitions += tree.partitions.length;
  }
  // The generator must actually exercise every kind of group.
  assert.ok(stats.raids > N / 20 && stats.vgs > N / 10 && stats.bcaches > N / 20, JSON.stringify(stats));
});

/** Ways to break a valid document; each must make it invalid. */
const BREAKERS: { name: string; apply: (d: StorageDocument, r: Rng) => boolean }[] = [
  { name: 'unknown disk', apply: (d) => { d.disks![0].disk = 'nosuchdisk'; return true; } },
  { name: 'bad size text', apply: (d, r) => { const p = d.disks![0].partitions![0]; p.size = r.pick(['12Q', '-1G', '', 'G', '1..2M', '1e9']); return true; } },
  { name: 'unknown fstype', apply: (d) => { d.disks![0].partitions!.find((p) => p.filesystem)!.filesystem!.fstype = 'ntfs' as 'ext4'; return true; } },
  { name: 'relative mount point', apply: (d) => { d.disks![0].partitions!.find((p) => p.filesystem?.mount_point === '/')!.filesystem!.mount_point = 'root'; return true; } },
  { name: 'second root', apply: (d) => { d.special_filesystems = [{ fstype: 'tmpfs', mount_point: '/' }]; return true; } },
  { name: 'no root', apply: (d) => { d.disks![0].partitions!.find((p) => p.filesystem?.mount_point === '/')!.filesystem!.mount_point = '/notroot'; return true; } },
  { name: 'swap mounted', apply: (d) => { d.disks![0].partitions!.find((p) => p.filesystem?.mount_point === '/')!.filesystem = { fstype: 'swap', mount_point: '/' }; return true; } },
  { name: 'unknown member', apply: (d) => { d.volume_groups = [...(d.volume_groups ?? []), { name: 'vgx', devices: ['ghost-part9'] }]; return true; } },
  { name: 'RAID with one device', apply: (d) => { d.raids = [...(d.raids ?? []), { name: 'mdx', level: 'raid-1', devices: [d.disks![0].disk === 1 ? 'sda' : String(d.disks![0].disk)] }]; return true; } },
  { name: 'huge partition', apply: (d) => { d.disks![0].partitions!.push({ size: '900T' }, {}); return true; } },
  { name: 'duplicate disk', apply: (d) => { d.disks!.push({ ...d.disks![0] }); return true; } },
  { name: 'unknown field', apply: (d) => { (d as Record<string, unknown>).layout = 'flat'; return true; } },
  { name: 'internal fstype', apply: (d) => { d.disks![0].partitions![0].filesystem = { fstype: 'raid' as 'ext4' }; return true; } },
  { name: 'bad RAID level', apply: (d) => { d.raids = [{ name: 'm', level: 'raid-7' as 'raid-1', devices: ['a', 'b'] }]; return true; } },
  { name: 'wrong types', apply: (d, r) => { (d.disks![0] as unknown as Record<string, unknown>).partitions = r.pick([5, 'x', {}, true]); return true; } },
  { name: 'bad boot disk', apply: (d) => { d.boot_disk = 'zzz'; return true; } },
];

const JUNK: unknown[] = [null, undefined, 0, -1, 1.5, NaN, '', ' ', 'x', '%', '5%', '1G', true, false, [], [1], {}, { a: 1 }, 2 ** 70, '\u0000', '/'];

function mutateJunk(v: unknown, r: Rng, depth = 0): unknown {
  if (depth > 6 || r.chance(0.15)) return r.pick(JUNK);
  if (Array.isArray(v)) return v.map((x) => (r.chance(0.3) ? mutateJunk(x, r, depth + 1) : x));
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (!r.chance(0.05)) out[k] = r.chance(0.3) ? mutateJunk(x, r, depth + 1) : x;
    return out;
  }
  return v;
}

const assertErrors = (errors: StorageError[], what: string) => {
  assert.ok(errors.length > 0, what);
  for (const e of errors) assert.ok(typeof e.message === 'string' && e.message.trim().length > 0 && (e.field === undefined || typeof e.field === 'string'), `${what}: ${JSON.stringify(e)}`);
};

test('random invalid requests always give errors with messages, never exceptions', () => {
  const r = rng(SEED ^ 0x5bd1e995);
  for (let i = 0; i < N / 2; i += 1) {
    const machine = randomMachine(r);
    const doc = randomDocument(r, machine);
    const broken = JSON.parse(JSON.stringify(doc)) as StorageDocument;
    const breaker = r.pick(BREAKERS);
    breaker.apply(broken, r);
    const before = JSON.stringify(machine);
    const res = applyDocument(machine, broken, r.u32);
    assert.equal(JSON.stringify(machine), before, 'input untouched');
    assert.ok(!res.tree, `${breaker.name} on case ${i} should fail: ${JSON.stringify(broken)}`);
    assertErrors(res.errors!, breaker.name);

    // Junk anywhere: any outcome is allowed except an exception or an invalid tree.
    const junk = mutateJunk(doc, r);
    const out = applyDocument(machine, junk, r.u32);
    if (out.tree) assert.deepEqual(validateTree(out.tree, { deployable: true }), []);
    else assertErrors(out.errors, 'junk document');
  }
});

test('random layout requests: valid trees or errors with messages, never exceptions', () => {
  const r = rng(SEED + 7);
  const values: Record<string, unknown[]> = {
    boot_size: [undefined, '512M', '1G', '100M', 0, '5%', 'abc', -1, '2T'],
    root_size: [undefined, '3G', '10G', '2G', '50%', '100%', '0%', '1P', {}],
    root_device: [undefined, 1, 2, '2', 'sdb', 9, 'nope', null],
    vg_name: [undefined, 'vg', 'bad name', '', 5],
    lv_name: [undefined, 'lv', '-x'],
    lv_size: [undefined, '4G', '1G', '99%', 'x'],
    cache_device: [undefined, 2, 3, 1, 'sdc'],
    cache_mode: [undefined, 'writeback', 'WRITEAROUND', 'fast', 3],
    cache_size: [undefined, '1G', '10%', '1M', '1T'],
    cache_no_part: [undefined, true, 'false', 'maybe', 1],
  };
  let trees = 0;
  for (let i = 0; i < N / 2; i += 1) {
    const machine = randomMachine(r);
    const params: Record<string, unknown> = {};
    // Mostly one or two parameters (often valid), sometimes many (often invalid).
    const keys = Object.keys(values).filter(() => r.chance(r.chance(0.7) ? 0.12 : 0.6));
    for (const k of keys) { const v = r.pick(values[k]); if (v !== undefined) params[k] = v; }
    if (r.chance(0.05)) params[r.pick(['bogus', 'storage_layout'])] = 'x';
    const name = r.pick(['flat', 'lvm', 'bcache', 'blank', 'flat', 'lvm', 'bcache', 'flat', 'lvm', 'bcache', 'vmfs6', '']);
    const res = applyLayout(machine, name, r.chance(0.02) ? r.pick(JUNK) : params, r.u32);
    if (res.tree) {
      trees += 1;
      const deployable = name !== 'blank';
      assert.deepEqual(validateTree(res.tree, { deployable }), []);
      if (deployable) {
        const planned = planStorage(res.tree);
        assert.ok(planned.plan, JSON.stringify(planned.errors));
        checkPlan(planned.plan);
        checkCurtin(res.tree);
      }
    } else assertErrors(res.errors, `layout ${name} ${JSON.stringify(params)}`);
  }
  assert.ok(trees > N / 8, `some layout requests succeed (${trees})`);
});

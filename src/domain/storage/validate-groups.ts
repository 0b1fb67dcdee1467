/** Validation of volume groups, RAID arrays, bcache cache sets and bcache devices, and their wiring. */
import { isUuid } from './ids.ts';
import {
  BCACHE_MIN_CACHE, MD_RESERVED, RAID_ALLOWS_SPARES, RAID_MIN_DEVICES, bcacheSize, pvCapacity, raidSize,
} from './sizing.ts';
import { findDevice, findPartition, members, refName, refSize, virtualDevicesOf } from './tree.ts';
import { NAME_RE } from './validate-devices.ts';
import { MiB, formatSize } from './units.ts';
import { CACHE_MODES, RAID_LEVELS, type StorageError, type StorageRef, type StorageTree } from './types.ts';

export function validateGroups(t: StorageTree): StorageError[] {
  const errors: StorageError[] = [];
  const err = (field: string, message: string) => errors.push({ field, message });
  const uniqueNames = (kind: string, list: { id: number; name: string }[]) => {
    const seen = new Set<string>();
    const ids = new Set<number>();
    for (const g of list) {
      if (ids.has(g.id)) err(`${kind}.${g.name}`, `Id ${g.id} is used by more than one of ${kind}.`);
      ids.add(g.id);
      if (seen.has(g.name)) err(`${kind}.${g.name}`, `Two ${kind.replace('_', ' ')} are named '${g.name}'.`);
      seen.add(g.name);
      if (!NAME_RE.test(g.name)) err(`${kind}.${g.name}`, `'${g.name}' is not a valid name: use letters, digits, '.', '_', '+' and '-' (at most 63), starting with a letter or digit.`);
    }
  };
  uniqueNames('volume_groups', t.volume_groups);
  uniqueNames('raids', t.raids);
  uniqueNames('cache_sets', t.cache_sets);
  uniqueNames('bcaches', t.bcaches);

  for (const vg of t.volume_groups) {
    const field = `volume_groups.${vg.name}`;
    if (!isUuid(vg.uuid)) err(field, `'${vg.uuid}' is not a valid UUID.`);
    const pvs = members(t, ['lvm-pv'], vg.id);
    if (pvs.length === 0) { err(field, `Volume group ${vg.name} has no physical volumes.`); continue; }
    const capacity = pvs.reduce((s, f) => s + pvCapacity(refSize(t, f.on!)), 0);
    const lvs = virtualDevicesOf(t, 'lv', vg.id);
    const used = lvs.reduce((s, d) => s + d.size, 0);
    if (used > capacity) err(field, `Logical volumes in ${vg.name} need ${formatSize(used)} but the volume group holds only ${formatSize(capacity)}.`);
    const lvNames = new Set<string>();
    for (const lv of lvs) {
      if (lvNames.has(lv.name)) err(field, `Volume group ${vg.name} has two logical volumes named '${lv.name}'.`);
      lvNames.add(lv.name);
    }
  }

  for (const r of t.raids) {
    const field = `raids.${r.name}`;
    if (!isUuid(r.uuid)) err(field, `'${r.uuid}' is not a valid UUID.`);
    if (!(RAID_LEVELS as readonly string[]).includes(r.level)) { err(field, `Unknown RAID level '${r.level}'; use one of ${RAID_LEVELS.join(', ')}.`); continue; }
    const active = members(t, ['raid'], r.id);
    const spares = members(t, ['raid-spare'], r.id);
    const min = RAID_MIN_DEVICES[r.level];
    if (active.length < min) err(field, `${r.level} needs at least ${min} active devices; ${r.name} has ${active.length}.`);
    if (spares.length > 0 && !RAID_ALLOWS_SPARES[r.level]) err(field, `${r.level} has no redundancy, so ${r.name} cannot have spare devices.`);
    for (const m of [...active, ...spares]) {
      if (refSize(t, m.on!) <= MD_RESERVED + MiB) err(field, `${refName(t, m.on!)} is too small to be a RAID member (it needs more than ${formatSize(MD_RESERVED + MiB)}).`);
    }
    const devs = virtualDevicesOf(t, 'raid', r.id);
    if (devs.length !== 1) { err(field, `RAID ${r.name} must provide exactly one block device, not ${devs.length}.`); continue; }
    if (devs[0].name !== r.name) err(field, `The block device of RAID ${r.name} must have the same name, not '${devs[0].name}'.`);
    const expected = raidSize(r.level, active.map((m) => refSize(t, m.on!)));
    if (active.length >= min && devs[0].size !== expected) err(field, `${r.name} is recorded as ${formatSize(devs[0].size)} but ${r.level} over its members gives ${formatSize(expected)}.`);
  }

  for (const cs of t.cache_sets) {
    const field = `cache_sets.${cs.name}`;
    if (!isUuid(cs.uuid)) err(field, `'${cs.uuid}' is not a valid UUID.`);
    const caches = members(t, ['bcache-cache'], cs.id);
    if (caches.length !== 1) { err(field, `Cache set ${cs.name} needs exactly one cache device, not ${caches.length}.`); continue; }
    if (refSize(t, caches[0].on!) < BCACHE_MIN_CACHE) err(field, `Cache device ${refName(t, caches[0].on!)} is smaller than the ${formatSize(BCACHE_MIN_CACHE)} bcache needs.`);
  }

  for (const b of t.bcaches) {
    const field = `bcaches.${b.name}`;
    if (!isUuid(b.uuid)) err(field, `'${b.uuid}' is not a valid UUID.`);
    if (!(CACHE_MODES as readonly string[]).includes(b.cache_mode)) err(field, `Unknown cache mode '${b.cache_mode}'; use one of ${CACHE_MODES.join(', ')}.`);
    if (!t.cache_sets.some((c) => c.id === b.cache_set_id)) err(field, `Bcache ${b.name} uses cache set ${b.cache_set_id}, which does not exist.`);
    const backing = members(t, ['bcache-backing'], b.id);
    if (backing.length !== 1) { err(field, `Bcache ${b.name} needs exactly one backing device, not ${backing.length}.`); continue; }
    const devs = virtualDevicesOf(t, 'bcache', b.id);
    if (devs.length !== 1) { err(field, `Bcache ${b.name} must provide exactly one block device, not ${devs.length}.`); continue; }
    if (devs[0].name !== b.name) err(field, `The block device of bcache ${b.name} must have the same name, not '${devs[0].name}'.`);
    const expected = bcacheSize(refSize(t, backing[0].on!));
    if (devs[0].size !== expected) err(field, `${b.name} is recorded as ${formatSize(devs[0].size)} but its backing device gives ${formatSize(expected)}.`);
  }

  for (const d of t.block_devices) {
    const s = d.source;
    if (!s) continue;
    const exists = s.kind === 'lv' ? t.volume_groups.some((v) => v.id === s.volume_group_id)
      : s.kind === 'raid' ? t.raids.some((r) => r.id === s.raid_id) : t.bcaches.some((b) => b.id === s.bcache_id);
    if (!exists) err(`block_devices.${d.name}`, `Virtual device ${d.name} comes from a ${s.kind === 'lv' ? 'volume group' : s.kind} that does not exist.`);
  }

  errors.push(...findCycles(t));
  return errors;
}

/** The block device a ref lives on (a partition's parent device). */
const deviceOf = (t: StorageTree, ref: StorageRef): number | undefined =>
  ref.kind === 'block' ? ref.id : findPartition(t, ref.id)?.device_id;

/**
 * A virtual device may not be built, directly or through other groups, from itself. Edges run from
 * each member's device to the virtual device(s) its group provides.
 */
function findCycles(t: StorageTree): StorageError[] {
  const edges = new Map<number, number[]>();
  for (const f of t.filesystems) {
    if (f.on === null || f.group_id === null) continue;
    const from = deviceOf(t, f.on);
    if (from === undefined) continue;
    const kind = f.fstype === 'lvm-pv' ? 'lv' : f.fstype === 'raid' || f.fstype === 'raid-spare' ? 'raid' : f.fstype === 'bcache-backing' ? 'bcache' : null;
    let targets: number[] = [];
    if (kind) targets = virtualDevicesOf(t, kind, f.group_id).map((d) => d.id);
    else if (f.fstype === 'bcache-cache') {
      targets = t.bcaches.filter((b) => b.cache_set_id === f.group_id).flatMap((b) => virtualDevicesOf(t, 'bcache', b.id).map((d) => d.id));
    }
    edges.set(from, [...(edges.get(from) ?? []), ...targets]);
  }
  const state = new Map<number, 1 | 2>();
  const errors: StorageError[] = [];
  const visit = (id: number): boolean => {
    if (state.get(id) === 2) return false;
    if (state.get(id) === 1) return true;
    state.set(id, 1);
    for (const next of edges.get(id) ?? []) {
      if (visit(next)) return true;
    }
    state.set(id, 2);
    return false;
  };
  for (const d of t.block_devices) {
    if (state.has(d.id)) continue;
    if (visit(d.id)) {
      const name = findDevice(t, d.id)?.name ?? String(d.id);
      errors.push({ field: `block_devices.${name}`, message: `Devices are built from each other in a loop (through ${name}); a device cannot be part of itself.` });
      break;
    }
  }
  return errors;
}

/**
 * RAID arrays, bcache cache sets and bcache devices (RaidsHandler/RaidHandler, BcacheCacheSets…,
 * Bcaches…). Pure StorageOps; the sizes of the devices they provide follow the domain's rules.
 */
import { addBcache, addCacheSet, addFilesystem, addRaid } from '../../domain/storage/builder.ts';
import { isUuid } from '../../domain/storage/ids.ts';
import { bcacheSize, raidSize } from '../../domain/storage/sizing.ts';
import { refSize } from '../../domain/storage/tree.ts';
import {
  CACHE_MODES, RAID_LEVELS, members, refName, virtualDevicesOf,
  type CacheMode, type RaidLevel, type StorageError, type StorageRef, type StorageTree,
} from '../../domain/storage/index.ts';
import type { StorageOp } from './edit.ts';
import { deleteDeviceOp } from './ops-devices.ts';
import { allFree, draft, dropMembers, fail, need, nextName, parseRefs } from './ops-common.ts';

const uuidError = (uuid: string | undefined): StorageError[] => (uuid !== undefined && !isUuid(uuid) ? [{ field: 'uuid', message: `'${uuid}' is not a valid UUID.` }] : []);
const choice = (field: string, v: string): StorageError => ({ field, message: `Select a valid choice. ${v} is not one of the available choices.` });
const deviceNames = (t: StorageTree) => t.block_devices.map((d) => d.name);
const key = (r: StorageRef) => `${r.kind}:${r.id}`;

/** Which one of a device or a partition was named (exactly one must be). */
function oneRef(t: StorageTree, fields: [string, string], values: [string | undefined, string | undefined], required: boolean): { ref?: StorageRef; errors: StorageError[] } {
  const [dev, part] = values;
  if (dev !== undefined && part !== undefined) return { errors: [{ field: '__all__', message: `Give ${fields[0]} or ${fields[1]}, not both.` }] };
  if (dev === undefined && part === undefined) return { errors: required ? [{ field: '__all__', message: `Either ${fields[0]} or ${fields[1]} must be specified.` }] : [] };
  const r = dev !== undefined ? parseRefs(t, fields[0], [dev], 'block') : parseRefs(t, fields[1], [part!], 'partition');
  return r.errors.length ? { errors: r.errors } : { ref: r.refs[0], errors: allFree(t, dev !== undefined ? fields[0] : fields[1], r.refs) };
}

// --- RAID ------------------------------------------------------------------------------------------

export interface RaidSpec { name?: string; uuid?: string; level: string; block_devices: string[]; spare_devices: string[]; partitions: string[]; spare_partitions: string[] }

export function createRaidOp(s: RaidSpec): StorageOp {
  return (t, seed) => {
    const lists = {
      block_devices: parseRefs(t, 'block_devices', s.block_devices, 'block'), partitions: parseRefs(t, 'partitions', s.partitions, 'partition'),
      spare_devices: parseRefs(t, 'spare_devices', s.spare_devices, 'block'), spare_partitions: parseRefs(t, 'spare_partitions', s.spare_partitions, 'partition'),
    };
    const errors = [...Object.values(lists).flatMap((l) => l.errors), ...uuidError(s.uuid)];
    for (const [field, l] of Object.entries(lists)) errors.push(...allFree(t, field, l.refs));
    if (!(RAID_LEVELS as readonly string[]).includes(s.level)) errors.push(choice('level', s.level));
    const active = [...lists.block_devices.refs, ...lists.partitions.refs];
    const spares = [...lists.spare_devices.refs, ...lists.spare_partitions.refs];
    const activeKeys = new Set(active.map(key));
    for (const r of spares) if (activeKeys.has(key(r))) errors.push({ field: '__all__', message: `${refName(t, r)} cannot be both an active and a spare device.` });
    const name = s.name ?? nextName('md', [...t.raids.map((r) => r.name), ...deviceNames(t)]);
    if (t.raids.some((r) => r.name === name) || deviceNames(t).includes(name)) errors.push({ field: 'name', message: `A device named ${name} already exists on this machine.` });
    if (errors.length) return { errors };
    const d = draft(t, seed);
    const { raid } = addRaid(d, name, s.level as RaidLevel, active, spares, s.uuid);
    return { tree: d.tree, created: { kind: 'raid', id: raid.id } };
  };
}

export interface RaidEdit {
  name?: string; uuid?: string;
  add_block_devices: string[]; remove_block_devices: string[]; add_spare_devices: string[]; remove_spare_devices: string[];
  add_partitions: string[]; remove_partitions: string[]; add_spare_partitions: string[]; remove_spare_partitions: string[];
}

export function updateRaidOp(id: number, e: RaidEdit): StorageOp {
  return (t, seed) => {
    const raid = need(t.raids, id, 'RAID');
    const parse = (field: keyof RaidEdit, kind: StorageRef['kind']) => parseRefs(t, field, (e[field] as string[]), kind);
    const add = { raid: [parse('add_block_devices', 'block'), parse('add_partitions', 'partition')], 'raid-spare': [parse('add_spare_devices', 'block'), parse('add_spare_partitions', 'partition')] };
    const remove = { raid: [parse('remove_block_devices', 'block'), parse('remove_partitions', 'partition')], 'raid-spare': [parse('remove_spare_devices', 'block'), parse('remove_spare_partitions', 'partition')] };
    const errors = [...Object.values(add).flat(), ...Object.values(remove).flat()].flatMap((l) => l.errors);
    errors.push(...uuidError(e.uuid));
    for (const l of Object.values(add).flat()) errors.push(...allFree(t, '__all__', l.refs));
    for (const [fstype, ls] of Object.entries(remove)) {
      const mine = new Set(members(t, [fstype], id).map((f) => key(f.on!)));
      for (const r of ls.flatMap((l) => l.refs)) if (!mine.has(key(r))) errors.push({ field: '__all__', message: `${refName(t, r)} is not ${fstype === 'raid' ? 'an active' : 'a spare'} device of ${raid.name}.` });
    }
    const name = e.name ?? raid.name;
    if (name !== raid.name && (t.raids.some((r) => r.name === name) || deviceNames(t).includes(name))) errors.push({ field: 'name', message: `A device named ${name} already exists on this machine.` });
    if (errors.length) return { errors };
    const d = draft(t, seed);
    const removed = new Set(Object.values(remove).flat().flatMap((l) => l.refs).map(key));
    d.tree.filesystems = d.tree.filesystems.filter((f) => !(f.on && f.group_id === id && (f.fstype === 'raid' || f.fstype === 'raid-spare') && removed.has(key(f.on))));
    for (const [fstype, ls] of Object.entries(add)) for (const r of ls.flatMap((l) => l.refs)) addFilesystem(d, r, { fstype: fstype as 'raid' | 'raid-spare', group_id: id });
    const uuid = e.uuid ?? raid.uuid;
    d.tree.raids = d.tree.raids.map((r) => (r.id === id ? { ...r, name, uuid } : r));
    const size = raidSize(raid.level, members(d.tree, ['raid'], id).map((f) => refSize(d.tree, f.on!)));
    d.tree.block_devices = d.tree.block_devices.map((x) => (x.source?.kind === 'raid' && x.source.raid_id === id ? { ...x, name, uuid, size } : x));
    return { tree: d.tree };
  };
}

/** Delete a RAID: its device (with what is on it) goes, its members become free. */
export function deleteRaidOp(id: number): StorageOp {
  return (t, seed) => {
    need(t.raids, id, 'RAID');
    const dev = virtualDevicesOf(t, 'raid', id)[0];
    if (dev) return deleteDeviceOp(dev.id)(t, seed);
    const tree = JSON.parse(JSON.stringify(t)) as StorageTree;
    dropMembers(tree, ['raid', 'raid-spare'], id);
    tree.raids = tree.raids.filter((r) => r.id !== id);
    return { tree };
  };
}

// --- bcache cache sets -----------------------------------------------------------------------------

export interface CacheSetSpec { cache_device?: string; cache_partition?: string }

export function createCacheSetOp(s: CacheSetSpec): StorageOp {
  return (t, seed) => {
    const { ref, errors } = oneRef(t, ['cache_device', 'cache_partition'], [s.cache_device, s.cache_partition], true);
    if (!ref || errors.length) return { errors };
    const d = draft(t, seed);
    const cs = addCacheSet(d, ref);
    const name = nextName('cache', t.cache_sets.map((c) => c.name));
    d.tree.cache_sets = d.tree.cache_sets.map((c) => (c.id === cs.id ? { ...c, name } : c));
    return { tree: d.tree, created: { kind: 'cacheSet', id: cs.id } };
  };
}

export function updateCacheSetOp(id: number, s: CacheSetSpec): StorageOp {
  return (t) => {
    need(t.cache_sets, id, 'CacheSet');
    const { ref, errors } = oneRef(t, ['cache_device', 'cache_partition'], [s.cache_device, s.cache_partition], false);
    if (errors.length) return { errors };
    if (!ref) return { tree: t };
    return { tree: { ...t, filesystems: t.filesystems.map((f) => (f.fstype === 'bcache-cache' && f.group_id === id ? { ...f, on: ref } : f)) } };
  };
}

export function deleteCacheSetOp(id: number): StorageOp {
  return (t) => {
    need(t.cache_sets, id, 'CacheSet');
    if (t.bcaches.some((b) => b.cache_set_id === id)) return fail('id', "Cannot delete cache set; it's currently in use.");
    const tree = JSON.parse(JSON.stringify(t)) as StorageTree;
    dropMembers(tree, ['bcache-cache'], id);
    tree.cache_sets = tree.cache_sets.filter((c) => c.id !== id);
    return { tree };
  };
}

// --- bcache devices --------------------------------------------------------------------------------

export interface BcacheSpec { name?: string; uuid?: string; cache_set?: string; backing_device?: string; backing_partition?: string; cache_mode?: string }

function cacheSetOf(t: StorageTree, v: string): number | undefined {
  return t.cache_sets.find((c) => (/^\d{1,15}$/.test(v.trim()) ? c.id === Number(v) : c.name === v.trim()))?.id;
}

export function createBcacheOp(s: BcacheSpec): StorageOp {
  return (t, seed) => {
    const backing = oneRef(t, ['backing_device', 'backing_partition'], [s.backing_device, s.backing_partition], true);
    const errors = [...backing.errors, ...uuidError(s.uuid)];
    const csId = s.cache_set === undefined ? undefined : cacheSetOf(t, s.cache_set);
    if (s.cache_set === undefined) errors.push({ field: 'cache_set', message: 'This field is required.' });
    else if (csId === undefined) errors.push(choice('cache_set', s.cache_set));
    if (s.cache_mode === undefined) errors.push({ field: 'cache_mode', message: 'This field is required.' });
    else if (!(CACHE_MODES as readonly string[]).includes(s.cache_mode)) errors.push(choice('cache_mode', s.cache_mode));
    const name = s.name ?? nextName('bcache', [...t.bcaches.map((b) => b.name), ...deviceNames(t)]);
    if (t.bcaches.some((b) => b.name === name) || deviceNames(t).includes(name)) errors.push({ field: 'name', message: `A device named ${name} already exists on this machine.` });
    if (errors.length || !backing.ref || csId === undefined) return { errors };
    const d = draft(t, seed);
    const { bcache } = addBcache(d, name, backing.ref, d.tree.cache_sets.find((c) => c.id === csId)!, s.cache_mode as CacheMode, s.uuid);
    return { tree: d.tree, created: { kind: 'bcache', id: bcache.id } };
  };
}

export function updateBcacheOp(id: number, s: BcacheSpec): StorageOp {
  return (t) => {
    const b = need(t.bcaches, id, 'Bcache');
    const backing = oneRef(t, ['backing_device', 'backing_partition'], [s.backing_device, s.backing_partition], false);
    const errors = [...backing.errors, ...uuidError(s.uuid)];
    const csId = s.cache_set === undefined ? b.cache_set_id : cacheSetOf(t, s.cache_set);
    if (csId === undefined) errors.push(choice('cache_set', s.cache_set!));
    if (s.cache_mode !== undefined && !(CACHE_MODES as readonly string[]).includes(s.cache_mode)) errors.push(choice('cache_mode', s.cache_mode));
    const name = s.name ?? b.name;
    if (name !== b.name && (t.bcaches.some((x) => x.name === name) || deviceNames(t).includes(name))) errors.push({ field: 'name', message: `A device named ${name} already exists on this machine.` });
    if (errors.length || csId === undefined) return { errors };
    const uuid = s.uuid ?? b.uuid;
    const tree: StorageTree = JSON.parse(JSON.stringify(t)) as StorageTree;
    if (backing.ref) tree.filesystems = tree.filesystems.map((f) => (f.fstype === 'bcache-backing' && f.group_id === id ? { ...f, on: backing.ref! } : f));
    tree.bcaches = tree.bcaches.map((x) => (x.id === id ? { ...x, name, uuid, cache_set_id: csId, cache_mode: (s.cache_mode as CacheMode | undefined) ?? x.cache_mode } : x));
    const backingRef = members(tree, ['bcache-backing'], id)[0]?.on;
    tree.block_devices = tree.block_devices.map((x) => (x.source?.kind === 'bcache' && x.source.bcache_id === id
      ? { ...x, name, uuid, size: backingRef ? bcacheSize(refSize(tree, backingRef)) : x.size } : x));
    return { tree };
  };
}

export function deleteBcacheOp(id: number): StorageOp {
  return (t, seed) => {
    need(t.bcaches, id, 'Bcache');
    const dev = virtualDevicesOf(t, 'bcache', id)[0];
    if (dev) return deleteDeviceOp(dev.id)(t, seed);
    const tree = JSON.parse(JSON.stringify(t)) as StorageTree;
    dropMembers(tree, ['bcache-backing'], id);
    tree.bcaches = tree.bcaches.filter((b) => b.id !== id);
    return { tree };
  };
}

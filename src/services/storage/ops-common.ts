/**
 * Helpers the storage edits share: naming what the API sends (ids or names) as tree references,
 * "is this free", and removing a virtual device with what sits on it. Pure.
 */
import { noMatch } from '../../domain/errors.ts';
import { newDraft, type Draft } from '../../domain/storage/builder.ts';
import {
  deviceName, filesystemOn, partitionName, partitionsOf, refName, usedFor,
  type SeedFn, type StorageError, type StorageRef, type StorageTree,
} from '../../domain/storage/index.ts';
import type { OpOutcome } from './edit.ts';

export const fail = (field: string, message: string): OpOutcome => ({ errors: [{ field, message }] });

/** A draft over a copy of `t`: new ids land above every id in `t`. */
export const draft = (t: StorageTree, seed: SeedFn): Draft => newDraft(t, seed);

const isInt = (s: string) => /^\d{1,15}$/.test(s.trim());

/** Block devices (by id or name) or partitions (by id or `sda-part1`) named by one parameter. */
export function parseRefs(t: StorageTree, field: string, values: readonly string[], kind: StorageRef['kind']): { refs: StorageRef[]; errors: StorageError[] } {
  const refs: StorageRef[] = [];
  const errors: StorageError[] = [];
  for (const raw of values) {
    const v = raw.trim();
    const hit = kind === 'block'
      ? t.block_devices.find((d) => (isInt(v) ? d.id === Number(v) : deviceName(t, d) === v))
      : t.partitions.find((p) => (isInt(v) ? p.id === Number(v) : partitionName(t, p) === v));
    if (!hit) { errors.push({ field, message: `Select a valid choice. ${v} is not one of the available choices.` }); continue; }
    if (refs.some((r) => r.id === hit.id)) { errors.push({ field, message: `${refName(t, { kind, id: hit.id })} is listed more than once.` }); continue; }
    refs.push({ kind, id: hit.id });
  }
  return { refs, errors };
}

/** Why a device or partition cannot join a group or take a filesystem, or null when it is free. */
export function busy(t: StorageTree, ref: StorageRef): string | null {
  if (ref.kind === 'block' && t.block_devices.find((d) => d.id === ref.id)?.partition_table) {
    return `${refName(t, ref)} has a partition table; use one of its partitions instead.`;
  }
  if (ref.kind === 'partition' && t.partitions.find((p) => p.id === ref.id)?.boot_code) {
    return `${refName(t, ref)} is a boot partition and cannot be used for anything else.`;
  }
  if (filesystemOn(t, ref)) return `${refName(t, ref)} is already in use (${usedFor(t, ref)}).`;
  return null;
}

/** Every ref free, else the errors under `field`. */
export function allFree(t: StorageTree, field: string, refs: StorageRef[]): StorageError[] {
  return refs.flatMap((r) => {
    const why = busy(t, r);
    return why ? [{ field, message: why }] : [];
  });
}

/** Is this ref a member of some group (a PV, RAID member, cache or backing device)? */
export const isMember = (t: StorageTree, ref: StorageRef): boolean => (filesystemOn(t, ref)?.group_id ?? null) !== null;

/**
 * Remove a virtual device, its partitions and the filesystems on them. Refused when the device or one
 * of its partitions is itself a member of another group (remove that use first).
 */
export function removeDevice(t: StorageTree, deviceId: number): StorageError[] {
  const dev = t.block_devices.find((d) => d.id === deviceId);
  if (!dev) return [];
  const parts = partitionsOf(t, deviceId);
  const refs: StorageRef[] = [{ kind: 'block', id: deviceId }, ...parts.map((p) => ({ kind: 'partition' as const, id: p.id }))];
  const inUse = refs.filter((r) => isMember(t, r));
  if (inUse.length) {
    return inUse.map((r) => ({ field: 'id', message: `Cannot delete ${deviceName(t, dev)}: ${refName(t, r)} is in use (${usedFor(t, r)}).` }));
  }
  const partIds = new Set(parts.map((p) => p.id));
  t.filesystems = t.filesystems.filter((f) => !(f.on && ((f.on.kind === 'block' && f.on.id === deviceId) || (f.on.kind === 'partition' && partIds.has(f.on.id)))));
  t.partitions = t.partitions.filter((p) => !partIds.has(p.id));
  t.block_devices = t.block_devices.filter((d) => d.id !== deviceId);
  if (t.boot_disk_id === deviceId) t.boot_disk_id = null;
  return [];
}

/** Drop the membership filesystems of a group. */
export function dropMembers(t: StorageTree, fstypes: readonly string[], groupId: number): void {
  t.filesystems = t.filesystems.filter((f) => !(fstypes.includes(f.fstype) && f.group_id === groupId));
}

/** The first free `<prefix>N` among names already taken. */
export function nextName(prefix: string, taken: Iterable<string>): string {
  const used = new Set(taken);
  for (let i = 0; ; i += 1) if (!used.has(`${prefix}${i}`)) return `${prefix}${i}`;
}

/** The entity with this id, or MAAS's 404 for `model` (it may have gone since the request was read). */
export function need<T extends { id: number }>(xs: readonly T[], id: number, model: string): T {
  const x = xs.find((e) => e.id === id);
  if (!x) throw noMatch(model);
  return x;
}

/** 404 unless the device or partition exists. */
export function needRef(t: StorageTree, ref: StorageRef): void {
  if (ref.kind === 'block') need(t.block_devices, ref.id, 'BlockDevice');
  else need(t.partitions, ref.id, 'Partition');
}

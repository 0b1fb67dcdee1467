/** What the storage handlers share: path ids, size parameters, and rendering after an edit. */
import { invalid, noMatch } from '../../../../domain/errors.ts';
import { parseSize, type StorageRef } from '../../../../domain/storage/index.ts';
import type { Actor, ServiceContext } from '../../../../services/context.ts';
import { editStorage, type EditOptions, type StorageOp } from '../../../../services/storage/edit.ts';
import { readStorage, type StorageView } from '../../../../services/storage/view.ts';
import type { Args } from '../../args.ts';
import { p } from '../../declare.ts';

/** A numeric id from the path; anything else names nothing (404, as MAAS answers). */
export function pathId(raw: string | undefined, model: string): number {
  if (raw === undefined || !/^\d{1,9}$/.test(raw)) throw noMatch(model);
  return Number(raw);
}

/** A byte size parameter: bytes, or with K/M/G/T suffixes (MAAS accepts both). */
export function sizeArg(args: Args, name: string): number | undefined {
  const raw = args.str(name);
  if (raw === undefined) return undefined;
  const r = parseSize(raw.trim());
  if ('error' in r) throw invalid({ [name]: [r.error] });
  if (r.bytes === undefined || r.bytes <= 0) throw invalid({ [name]: ['Size must be more than zero.'] });
  return r.bytes;
}

/** An optional text parameter, with '' treated as absent. */
export const optional = (args: Args, name: string): string | undefined => {
  const v = args.str(name);
  return v === undefined || v.trim() === '' ? undefined : v.trim();
};

export async function findView(svc: ServiceContext, user: Actor, systemId: string): Promise<StorageView> {
  return readStorage(svc, user, systemId);
}

export function device(v: StorageView, rawId: string | undefined) {
  const id = pathId(rawId, 'BlockDevice');
  const d = v.tree.block_devices.find((x) => x.id === id);
  if (!d) throw noMatch('BlockDevice');
  return d;
}

/** The partition at …/blockdevices/{device_id}/partition/{id}: it must be on that device. */
export function partition(v: StorageView, rawDevice: string | undefined, rawId: string | undefined) {
  const dev = device(v, rawDevice);
  const id = pathId(rawId, 'Partition');
  const part = v.tree.partitions.find((x) => x.id === id && x.device_id === dev.id);
  if (!part) throw noMatch('Partition');
  return part;
}

/** Run an edit, then read the machine's storage back (ids of new entities are final only after the edit). */
export async function edit(svc: ServiceContext, user: Actor, systemId: string, op: StorageOp, opts: EditOptions = {}) {
  const r = await editStorage(svc, user, systemId, op, opts);
  return { result: r, view: await readStorage(svc, user, systemId) };
}

export const refOf = (kind: StorageRef['kind'], id: number): StorageRef => ({ kind, id });

export const P = {
  fstype: p.str('fstype', 'Type of filesystem: ext2, ext4, xfs, btrfs, fat32, vfat or swap.', true),
  uuid: p.str('uuid', 'UUID of the filesystem.'),
  label: p.str('label', 'Label of the filesystem.'),
  mountPoint: p.str('mount_point', 'Path on the filesystem to mount.', true),
  mountOptions: p.str('mount_options', 'Options to pass to mount(8).'),
  tag: p.str('tag', 'The tag.', true),
};

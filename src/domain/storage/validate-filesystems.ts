/** Validation of filesystems: types, targets, one use per device, mount points, labels, sizes. */
import { isFatVolumeId, isUuid } from './ids.ts';
import { FS_LABEL_MAX, FS_MIN_SIZE } from './sizing.ts';
import { findDevice, findPartition, refName, refSize } from './tree.ts';
import { formatSize } from './units.ts';
import {
  DEVICELESS_FSTYPES, FSTYPES, INTERNAL_FSTYPES, type Filesystem, type StorageError, type StorageTree,
} from './types.ts';

const isInternal = (f: Filesystem) => (INTERNAL_FSTYPES as readonly string[]).includes(f.fstype);
const isFat = (fstype: string) => fstype === 'fat32' || fstype === 'vfat';
/** Filesystems a Linux root can live on. */
const ROOT_FSTYPES = ['ext2', 'ext4', 'xfs', 'btrfs'];

/** Why a mount point is unusable, or null. fstab fields cannot hold whitespace (fstab(5)). */
export function mountPointProblem(mp: string): string | null {
  if (!mp.startsWith('/')) return `Mount point '${mp}' must be an absolute path (start with '/').`;
  if (/\s/.test(mp)) return `Mount point '${mp}' must not contain spaces or other whitespace.`;
  if (mp !== '/' && mp.endsWith('/')) return `Mount point '${mp}' must not end with '/'.`;
  if (mp.includes('//')) return `Mount point '${mp}' must not contain '//'.`;
  if (mp.split('/').some((c) => c === '.' || c === '..')) return `Mount point '${mp}' must not contain '.' or '..' components.`;
  return null;
}

export function filesystemField(t: StorageTree, f: Filesystem): string {
  return `filesystems.${f.on ? refName(t, f.on) : f.mount_point ?? f.id}`;
}

export function validateFilesystems(t: StorageTree): StorageError[] {
  const errors: StorageError[] = [];
  const usedBy = new Map<string, Filesystem>();
  const mounts = new Map<string, Filesystem>();
  const ids = new Set<number>();
  const uuids = new Map<string, Filesystem>();
  for (const f of t.filesystems) {
    const field = filesystemField(t, f);
    const err = (message: string) => errors.push({ field, message });
    const where = f.on ? refName(t, f.on) : 'memory';
    if (ids.has(f.id)) err(`Filesystem id ${f.id} is used by more than one filesystem.`);
    ids.add(f.id);
    if (!(FSTYPES as readonly string[]).includes(f.fstype)) {
      err(`Unknown filesystem type '${f.fstype}'; use one of ${FSTYPES.filter((x) => !(INTERNAL_FSTYPES as readonly string[]).includes(x)).join(', ')}.`);
      continue;
    }
    const deviceless = DEVICELESS_FSTYPES.includes(f.fstype);
    if (deviceless && f.on !== null) err(`${f.fstype} lives in memory and cannot be put on ${where}.`);
    if (!deviceless && f.on === null) err(`A ${f.fstype} filesystem needs a device or partition.`);
    if (deviceless && !f.mount_point) err(`A ${f.fstype} filesystem needs a mount point.`);

    if (f.on) {
      const exists = f.on.kind === 'block' ? findDevice(t, f.on.id) : findPartition(t, f.on.id);
      if (!exists) { err(`Filesystem ${f.id} is on a ${f.on.kind === 'block' ? 'block device' : 'partition'} (${f.on.id}) that does not exist.`); continue; }
      const key = `${f.on.kind}:${f.on.id}`;
      const other = usedBy.get(key);
      if (other) err(`${where} is used twice: as ${describeUse(other)} and as ${describeUse(f)}.`);
      usedBy.set(key, f);
      if (f.on.kind === 'block' && findDevice(t, f.on.id)?.partition_table) err(`${where} has a partition table, so it cannot also be used whole as ${describeUse(f)}.`);
      if (f.on.kind === 'partition' && findPartition(t, f.on.id)?.boot_code) err(`${where} is a ${findPartition(t, f.on.id)?.boot_code} boot partition and cannot hold a filesystem.`);
      const min = FS_MIN_SIZE[f.fstype];
      if (min !== undefined && refSize(t, f.on) < min) err(`${where} (${formatSize(refSize(t, f.on))}) is too small for ${f.fstype}, which needs at least ${formatSize(min)}.`);
    }

    if (isInternal(f)) {
      if (f.mount_point !== null || f.mount_options !== null) err(`${where} is a ${f.fstype} member and cannot be mounted.`);
      if (f.group_id === null) err(`${where} is marked ${f.fstype} but belongs to no group.`);
      else if (!groupExists(t, f)) err(`${where} is marked ${f.fstype} for a group (${f.group_id}) that does not exist.`);
      continue;
    }
    if (f.group_id !== null) err(`A ${f.fstype} filesystem does not belong to a group.`);
    const twin = uuids.get(f.uuid.toLowerCase());
    if (twin) err(`UUID ${f.uuid} is given to two filesystems (on ${twin.on ? refName(t, twin.on) : 'memory'} and on ${where}); fstab could not tell them apart.`);
    uuids.set(f.uuid.toLowerCase(), f);
    if (!(isFat(f.fstype) ? isFatVolumeId(f.uuid) : isUuid(f.uuid))) {
      err(`'${f.uuid}' is not a valid ${isFat(f.fstype) ? 'FAT volume id (XXXX-XXXX)' : 'UUID'}.`);
    }
    const maxLabel = FS_LABEL_MAX[f.fstype];
    if (f.label !== null && maxLabel !== undefined && f.label.length > maxLabel) err(`Label '${f.label}' is too long for ${f.fstype} (at most ${maxLabel} characters).`);
    if (f.mount_options !== null && (f.mount_options === '' || /\s/.test(f.mount_options))) err(`Mount options must be a non-empty comma-separated list without spaces.`);
    if (f.fstype === 'swap') {
      if (f.mount_point !== null) err(`Swap on ${where} cannot have a mount point ('${f.mount_point}'); swap is activated, not mounted.`);
      continue;
    }
    if (f.mount_point === null) continue;
    const problem = mountPointProblem(f.mount_point);
    if (problem) { err(problem); continue; }
    const dup = mounts.get(f.mount_point);
    if (dup) err(`Two filesystems are mounted at ${f.mount_point}: on ${dup.on ? refName(t, dup.on) : 'memory'} and on ${where}.`);
    mounts.set(f.mount_point, f);
    if (f.mount_point === '/' && !ROOT_FSTYPES.includes(f.fstype)) err(`The root filesystem must be one of ${ROOT_FSTYPES.join(', ')}, not ${f.fstype}.`);
    if (f.mount_point === '/boot/efi' && !isFat(f.fstype)) err(`The EFI system partition (/boot/efi) must be fat32 or vfat, not ${f.fstype}.`);
  }
  return errors;
}

function groupExists(t: StorageTree, f: Filesystem): boolean {
  switch (f.fstype) {
    case 'lvm-pv': return t.volume_groups.some((g) => g.id === f.group_id);
    case 'raid': case 'raid-spare': return t.raids.some((g) => g.id === f.group_id);
    case 'bcache-cache': return t.cache_sets.some((g) => g.id === f.group_id);
    case 'bcache-backing': return t.bcaches.some((g) => g.id === f.group_id);
    default: return false;
  }
}

function describeUse(f: Filesystem): string {
  switch (f.fstype) {
    case 'lvm-pv': return 'an LVM physical volume';
    case 'raid': return 'a RAID member';
    case 'raid-spare': return 'a RAID spare';
    case 'bcache-cache': return 'a bcache cache device';
    case 'bcache-backing': return 'a bcache backing device';
    default: return f.mount_point ? `${f.fstype} mounted at ${f.mount_point}` : `a ${f.fstype} filesystem`;
  }
}

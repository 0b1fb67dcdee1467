/** tmpfs and ramfs mounts (`mount_special`, `unmount_special`): filesystems without a device. */
import { addFilesystem } from '../../domain/storage/builder.ts';
import { mountPointProblem } from '../../domain/storage/validate-filesystems.ts';
import { DEVICELESS_FSTYPES } from '../../domain/storage/index.ts';
import type { StorageOp } from './edit.ts';
import { draft, fail } from './ops-common.ts';

export function mountSpecialOp(fstype: string, mountPoint: string, mountOptions?: string): StorageOp {
  return (t, seed) => {
    if (!(DEVICELESS_FSTYPES as readonly string[]).includes(fstype)) return fail('fstype', `Select a valid choice. ${fstype} is not one of the available choices.`);
    const problem = mountPointProblem(mountPoint);
    if (problem) return fail('mount_point', problem);
    if (t.filesystems.some((f) => f.mount_point === mountPoint)) return fail('mount_point', `Another filesystem is already mounted at ${mountPoint}.`);
    const d = draft(t, seed);
    const options = mountOptions === undefined || mountOptions.trim() === '' ? null : mountOptions.trim();
    addFilesystem(d, null, { fstype: fstype as 'tmpfs' | 'ramfs', mount_point: mountPoint, mount_options: options });
    return { tree: d.tree };
  };
}

export function unmountSpecialOp(mountPoint: string): StorageOp {
  return (t) => {
    const fs = t.filesystems.find((f) => f.on === null && f.mount_point === mountPoint);
    if (!fs) return fail('mount_point', `No special filesystem is mounted at ${mountPoint}.`);
    return { tree: { ...t, filesystems: t.filesystems.filter((f) => f.id !== fs.id) } };
  };
}

/**
 * PartitionsHandler and PartitionHandler. A partition's canonical path has no trailing slash
 * (`…/partition/{id}`); `…/partitions/{id}` reaches it too (maas-api-spec.md §1.1).
 */
import { createPartitionOp, deletePartitionOp } from '../../../../services/storage/ops-partitions.ts';
import { formatOp, mountOp, tagOp, unformatOp, unmountOp } from '../../../../services/storage/ops-devices.ts';
import type { StorageOp } from '../../../../services/storage/edit.ts';
import { crud, op, p, type ActionCtx, type HandlerDecl } from '../../declare.ts';
import { noContent } from '../../replies.ts';
import { renderPartition } from '../../render/blockdevice.ts';
import { P, device, edit, findView, optional, partition, refOf, sizeArg } from './common.ts';

export const PartitionsHandler: HandlerDecl = {
  name: 'PartitionsHandler',
  path: '/nodes/{system_id}/blockdevices/{device_id}/partitions/',
  doc: 'Manage partitions on a block device.',
  actions: [
    crud.read('List partitions on a block device.', async ({ svc, user, path }) => {
      const v = await findView(svc, user, path.system_id);
      const d = device(v, path.device_id);
      return v.tree.partitions.filter((x) => x.device_id === d.id).sort((a, b) => a.number - b.number).map((x) => renderPartition(v, x));
    }),
    crud.create('Create a partition on a block device. The device gets a partition table (GPT on UEFI machines and large disks, MBR otherwise) when it has none.', async ({ svc, user, path, args }) => {
      const v = await findView(svc, user, path.system_id);
      const d = device(v, path.device_id);
      const { result, view } = await edit(svc, user, path.system_id, createPartitionOp(d.id, {
        size: sizeArg(args, 'size'), uuid: optional(args, 'uuid'), bootable: args.bool('bootable'),
      }));
      return renderPartition(view, partition(view, path.device_id, String(result.created!.id)));
    }, [
      p.str('size', 'The size of the partition, in bytes (K, M, G and T suffixes are accepted). If not specified, all available space will be used.'),
      p.str('uuid', 'UUID for the partition. Only used if the partition table type for the block device is GPT.'),
      p.bool('bootable', 'If the partition should be marked bootable.'),
    ]),
  ],
};

async function partitionEdit(c: ActionCtx, make: (id: number) => StorageOp) {
  const v = await findView(c.svc, c.user, c.path.system_id);
  const part = partition(v, c.path.device_id, c.path.id);
  const { view } = await edit(c.svc, c.user, c.path.system_id, make(part.id));
  return renderPartition(view, partition(view, c.path.device_id, c.path.id));
}

export const PartitionHandler: HandlerDecl = {
  name: 'PartitionHandler',
  path: '/nodes/{system_id}/blockdevices/{device_id}/partition/{id}',
  aliases: ['/nodes/{system_id}/blockdevices/{device_id}/partitions/{id}'],
  doc: 'Manage a partition on a block device.',
  actions: [
    crud.read('Read a partition.', async ({ svc, user, path }) => {
      const v = await findView(svc, user, path.system_id);
      return renderPartition(v, partition(v, path.device_id, path.id));
    }),
    crud.delete('Delete a partition (and its filesystem). A partition that is part of a volume group, RAID or bcache must be removed from it first.', async ({ svc, user, path }) => {
      const v = await findView(svc, user, path.system_id);
      const part = partition(v, path.device_id, path.id);
      await edit(svc, user, path.system_id, deletePartitionOp(part.id));
      return noContent;
    }),
    op('POST', 'format', 'Format a partition.', (c) =>
      partitionEdit(c, (id) => formatOp(refOf('partition', id), { fstype: c.args.str('fstype')!.trim(), uuid: optional(c.args, 'uuid'), label: optional(c.args, 'label') })),
    [P.fstype, P.uuid, P.label]),
    op('POST', 'unformat', 'Unformat a partition.', (c) => partitionEdit(c, (id) => unformatOp(refOf('partition', id)))),
    op('POST', 'mount', 'Mount the filesystem on a partition.', (c) =>
      partitionEdit(c, (id) => mountOp(refOf('partition', id), c.args.str('mount_point')!.trim(), c.args.str('mount_options'))),
    [P.mountPoint, P.mountOptions]),
    op('POST', 'unmount', 'Unmount the filesystem on a partition.', (c) => partitionEdit(c, (id) => unmountOp(refOf('partition', id)))),
    op('POST', 'add_tag', 'Add a tag to a partition.', (c) => partitionEdit(c, (id) => tagOp(refOf('partition', id), c.args.str('tag')!, true)), [P.tag]),
    op('POST', 'remove_tag', 'Remove a tag from a partition.', (c) => partitionEdit(c, (id) => tagOp(refOf('partition', id), c.args.str('tag')!, false)), [P.tag]),
  ],
};

/** VolumeGroupsHandler and VolumeGroupHandler (`volume-group/{id}/`, also `volume-groups/{id}/`). */
import { noMatch } from '../../../../domain/errors.ts';
import {
  createLogicalVolumeOp, createVolumeGroupOp, deleteLogicalVolumeOp, deleteVolumeGroupOp, updateVolumeGroupOp,
} from '../../../../services/storage/ops-lvm.ts';
import type { StorageView } from '../../../../services/storage/view.ts';
import { crud, op, p, type HandlerDecl } from '../../declare.ts';
import { noContent } from '../../replies.ts';
import { renderBlockDevice } from '../../render/blockdevice.ts';
import { renderVolumeGroup } from '../../render/storage.ts';
import { device, edit, findView, optional, pathId, sizeArg } from './common.ts';

function volumeGroup(v: StorageView, raw: string | undefined) {
  const id = pathId(raw, 'VolumeGroup');
  const vg = v.tree.volume_groups.find((g) => g.id === id);
  if (!vg) throw noMatch('VolumeGroup');
  return vg;
}

export const VolumeGroupsHandler: HandlerDecl = {
  name: 'VolumeGroupsHandler',
  path: '/nodes/{system_id}/volume-groups/',
  doc: 'Manage volume groups on a machine.',
  actions: [
    crud.read('List all volume groups belonging to a machine.', async ({ svc, user, path }) => {
      const v = await findView(svc, user, path.system_id);
      return v.tree.volume_groups.map((g) => renderVolumeGroup(v, g));
    }),
    crud.create('Create a volume group belonging to a machine.', async ({ svc, user, path, args }) => {
      const { result, view } = await edit(svc, user, path.system_id, createVolumeGroupOp({
        name: args.str('name')!.trim(), uuid: optional(args, 'uuid'), block_devices: args.list('block_devices'), partitions: args.list('partitions'),
      }));
      return renderVolumeGroup(view, volumeGroup(view, String(result.created!.id)));
    }, [
      p.str('name', 'Name of the volume group.', true),
      p.str('uuid', 'UUID of the volume group.'),
      p.list('block_devices', 'Block devices to add to the volume group (ids or names).'),
      p.list('partitions', 'Partitions to add to the volume group (ids or names).'),
    ]),
  ],
};

export const VolumeGroupHandler: HandlerDecl = {
  name: 'VolumeGroupHandler',
  path: '/nodes/{system_id}/volume-group/{id}/',
  aliases: ['/nodes/{system_id}/volume-groups/{id}/'],
  doc: 'Manage volume group on a machine.',
  actions: [
    crud.read('Read a volume group.', async ({ svc, user, path }) => {
      const v = await findView(svc, user, path.system_id);
      return renderVolumeGroup(v, volumeGroup(v, path.id));
    }),
    crud.update('Update a volume group.', async ({ svc, user, path, args }) => {
      const vg = volumeGroup(await findView(svc, user, path.system_id), path.id);
      const { view } = await edit(svc, user, path.system_id, updateVolumeGroupOp(vg.id, {
        name: optional(args, 'name'), uuid: optional(args, 'uuid'),
        add_block_devices: args.list('add_block_devices'), remove_block_devices: args.list('remove_block_devices'),
        add_partitions: args.list('add_partitions'), remove_partitions: args.list('remove_partitions'),
      }));
      return renderVolumeGroup(view, volumeGroup(view, path.id));
    }, [
      p.str('name', 'Name of the volume group.'),
      p.str('uuid', 'UUID of the volume group.'),
      p.list('add_block_devices', 'Block devices to add to the volume group.'),
      p.list('remove_block_devices', 'Block devices to remove from the volume group.'),
      p.list('add_partitions', 'Partitions to add to the volume group.'),
      p.list('remove_partitions', 'Partitions to remove from the volume group.'),
    ]),
    crud.delete('Delete a volume group and its logical volumes.', async ({ svc, user, path }) => {
      const vg = volumeGroup(await findView(svc, user, path.system_id), path.id);
      await edit(svc, user, path.system_id, deleteVolumeGroupOp(vg.id));
      return noContent;
    }),
    op('POST', 'create_logical_volume', 'Create a logical volume in a volume group.', async ({ svc, user, path, args }) => {
      const vg = volumeGroup(await findView(svc, user, path.system_id), path.id);
      const { result, view } = await edit(svc, user, path.system_id, createLogicalVolumeOp(vg.id, {
        name: args.str('name')!.trim(), uuid: optional(args, 'uuid'), size: sizeArg(args, 'size'),
      }));
      return renderBlockDevice(view, device(view, String(result.created!.id)));
    }, [
      p.str('name', 'Name of the logical volume.', true),
      p.str('uuid', 'UUID of the logical volume.'),
      p.str('size', 'Size of the logical volume, in bytes (K, M, G and T suffixes are accepted). Must be larger than or equal to 4,194,304 bytes. E.g. 4194304. Defaults to all the free space of the volume group.'),
    ]),
    op('POST', 'delete_logical_volume', 'Delete a logical volume in a volume group.', async ({ svc, user, path, args }) => {
      const vg = volumeGroup(await findView(svc, user, path.system_id), path.id);
      await edit(svc, user, path.system_id, deleteLogicalVolumeOp(vg.id, args.int('id')!));
      return noContent;
    }, [p.int('id', 'ID of the logical volume.', true)]),
  ],
};

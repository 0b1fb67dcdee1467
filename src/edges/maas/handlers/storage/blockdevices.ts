/** BlockDevicesHandler and BlockDeviceHandler: a machine's disks and virtual devices. */
import { forbidden, invalid } from '../../../../domain/errors.ts';
import {
  createDiskOp, deleteDeviceOp, formatOp, mountOp, setBootDiskOp, tagOp, unformatOp, unmountOp, updateDeviceOp,
} from '../../../../services/storage/ops-devices.ts';
import type { StorageOp } from '../../../../services/storage/edit.ts';
import { crud, op, p, type ActionCtx, type HandlerDecl } from '../../declare.ts';
import { noContent, textReply } from '../../replies.ts';
import { renderBlockDevice } from '../../render/blockdevice.ts';
import { P, device, edit, findView, optional, refOf, sizeArg } from './common.ts';

const DEVICE_FIELDS = [
  p.str('name', 'Name of the block device.'),
  p.str('model', 'Model of the block device.'),
  p.str('serial', 'Serial number of the block device.'),
  p.str('id_path', 'Only used if model and serial cannot be provided. This should be a path that is fixed and doesn\'t change depending on the boot order or kernel version.'),
  p.str('size', 'Size of the block device, in bytes (K, M, G and T suffixes are accepted).'),
  p.int('block_size', 'Block size of the block device.'),
];

function blockSizeArg(c: ActionCtx): number | undefined {
  const v = c.args.int('block_size');
  if (v !== undefined && ![512, 1024, 2048, 4096].includes(v)) throw invalid({ block_size: ['Block size must be 512, 1024, 2048 or 4096.'] });
  return v;
}

export const BlockDevicesHandler: HandlerDecl = {
  name: 'BlockDevicesHandler',
  path: '/nodes/{system_id}/blockdevices/',
  doc: 'Manage block devices on a machine.',
  actions: [
    crud.read('List all block devices belonging to a machine.', async ({ svc, user, path }) => {
      const v = await findView(svc, user, path.system_id);
      return [...v.tree.block_devices].sort((a, b) => a.id - b.id).map((d) => renderBlockDevice(v, d));
    }),
    crud.create('Create a physical block device.', async (c) => {
      const { svc, user, path, args } = c;
      const name = args.str('name')!.trim();
      const size = sizeArg(args, 'size')!;
      const blockSize = blockSizeArg(c)!;
      const { result, view } = await edit(svc, user, path.system_id, createDiskOp({
        name, size, block_size: blockSize, model: optional(args, 'model'), serial: optional(args, 'serial'), id_path: optional(args, 'id_path'),
      }), { adminOnly: true, status: 'any' });
      return renderBlockDevice(view, device(view, String(result.created!.id)));
    }, DEVICE_FIELDS.map((s) => (['name', 'size', 'block_size'].includes(s.name) ? { ...s, required: true } : s)), true),
  ],
};

/** Run a device edit and answer with the device as it now is. */
async function deviceEdit(c: ActionCtx, make: (id: number) => StorageOp, opts: { adminOnly?: boolean } = {}) {
  const v = await findView(c.svc, c.user, c.path.system_id);
  const d = device(v, c.path.id);
  const { view } = await edit(c.svc, c.user, c.path.system_id, make(d.id), opts);
  return renderBlockDevice(view, device(view, c.path.id));
}

export const BlockDeviceHandler: HandlerDecl = {
  name: 'BlockDeviceHandler',
  path: '/nodes/{system_id}/blockdevices/{id}/',
  doc: 'Manage a block device on a machine.',
  actions: [
    crud.read('Read a block device.', async ({ svc, user, path }) => {
      const v = await findView(svc, user, path.system_id);
      return renderBlockDevice(v, device(v, path.id));
    }),
    crud.update('Update a block device. Physical devices (admins only): name, model, serial, id_path, size, block_size. Virtual devices: name, uuid, and the size of a logical volume.', async (c) => {
      const v = await findView(c.svc, c.user, c.path.system_id);
      const d = device(v, c.path.id);
      if (d.type === 'physical' && !c.user.isAdmin) throw forbidden();
      const { args } = c;
      return deviceEdit(c, (id) => updateDeviceOp(id, {
        name: optional(args, 'name'), model: args.str('model'), serial: args.str('serial'), id_path: args.str('id_path'),
        size: sizeArg(args, 'size'), block_size: blockSizeArg(c), uuid: optional(args, 'uuid'),
      }));
    }, [...DEVICE_FIELDS, p.str('uuid', 'UUID of a virtual block device.')]),
    crud.delete('Delete a block device: an unused physical disk (admins only), or a virtual device with what is on it (a logical volume; the device of a RAID or bcache takes the RAID or bcache with it).', async ({ svc, user, path }) => {
      const v = await findView(svc, user, path.system_id);
      const d = device(v, path.id);
      if (d.type === 'physical' && !user.isAdmin) throw forbidden();
      await edit(svc, user, path.system_id, deleteDeviceOp(d.id));
      return noContent;
    }),
    op('POST', 'format', 'Format a block device.', (c) =>
      deviceEdit(c, (id) => formatOp(refOf('block', id), { fstype: c.args.str('fstype')!.trim(), uuid: optional(c.args, 'uuid'), label: optional(c.args, 'label') })),
    [P.fstype, P.uuid, P.label]),
    op('POST', 'unformat', 'Unformat a block device.', (c) => deviceEdit(c, (id) => unformatOp(refOf('block', id)))),
    op('POST', 'mount', 'Mount the filesystem on a block device.', (c) =>
      deviceEdit(c, (id) => mountOp(refOf('block', id), c.args.str('mount_point')!.trim(), c.args.str('mount_options'))),
    [P.mountPoint, P.mountOptions]),
    op('POST', 'unmount', 'Unmount the filesystem on a block device.', (c) => deviceEdit(c, (id) => unmountOp(refOf('block', id)))),
    op('POST', 'add_tag', 'Add a tag to a block device.', (c) => deviceEdit(c, (id) => tagOp(refOf('block', id), c.args.str('tag')!, true)), [P.tag]),
    op('POST', 'remove_tag', 'Remove a tag from a block device.', (c) => deviceEdit(c, (id) => tagOp(refOf('block', id), c.args.str('tag')!, false)), [P.tag]),
    op('POST', 'set_boot_disk', 'Set a block device as the boot disk for the machine.', async (c) => {
      await deviceEdit(c, (id) => setBootDiskOp(id));
      return textReply(200, 'OK');
    }, [], true),
  ],
};

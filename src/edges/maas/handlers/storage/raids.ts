/** RaidsHandler and RaidHandler (`raids/`, `raid/{id}/`). */
import { noMatch } from '../../../../domain/errors.ts';
import { createRaidOp, deleteRaidOp, updateRaidOp } from '../../../../services/storage/ops-raid-bcache.ts';
import type { StorageView } from '../../../../services/storage/view.ts';
import { crud, p, type HandlerDecl } from '../../declare.ts';
import { noContent } from '../../replies.ts';
import { renderRaid } from '../../render/storage.ts';
import { edit, findView, optional, pathId } from './common.ts';

function raid(v: StorageView, raw: string | undefined) {
  const id = pathId(raw, 'RAID');
  const r = v.tree.raids.find((x) => x.id === id);
  if (!r) throw noMatch('RAID');
  return r;
}

const EDIT_LISTS = ['add_block_devices', 'remove_block_devices', 'add_spare_devices', 'remove_spare_devices',
  'add_partitions', 'remove_partitions', 'add_spare_partitions', 'remove_spare_partitions'] as const;

export const RaidsHandler: HandlerDecl = {
  name: 'RaidsHandler',
  path: '/nodes/{system_id}/raids/',
  doc: 'Manage all RAID devices on a machine.',
  actions: [
    crud.read('List all RAID devices belonging to a machine.', async ({ svc, user, path }) => {
      const v = await findView(svc, user, path.system_id);
      return v.tree.raids.map((r) => renderRaid(v, r));
    }),
    crud.create('Create a RAID.', async ({ svc, user, path, args }) => {
      const { result, view } = await edit(svc, user, path.system_id, createRaidOp({
        name: optional(args, 'name'), uuid: optional(args, 'uuid'), level: args.str('level')!.trim(),
        block_devices: args.list('block_devices'), spare_devices: args.list('spare_devices'),
        partitions: args.list('partitions'), spare_partitions: args.list('spare_partitions'),
      }));
      return renderRaid(view, raid(view, String(result.created!.id)));
    }, [
      p.str('name', 'Name of the RAID (default md0, md1, …).'),
      p.str('uuid', 'UUID of the RAID.'),
      p.str('level', 'RAID level: raid-0, raid-1, raid-5, raid-6 or raid-10.', true),
      p.list('block_devices', 'Block devices to add to the RAID.'),
      p.list('spare_devices', 'Spare block devices to add to the RAID.'),
      p.list('partitions', 'Partitions to add to the RAID.'),
      p.list('spare_partitions', 'Spare partitions to add to the RAID.'),
    ]),
  ],
};

export const RaidHandler: HandlerDecl = {
  name: 'RaidHandler',
  path: '/nodes/{system_id}/raid/{id}/',
  doc: 'Manage a specific RAID (Redundant Array of Independent Disks) on a machine.',
  actions: [
    crud.read('Read a RAID.', async ({ svc, user, path }) => {
      const v = await findView(svc, user, path.system_id);
      return renderRaid(v, raid(v, path.id));
    }),
    crud.update('Update a RAID.', async ({ svc, user, path, args }) => {
      const r = raid(await findView(svc, user, path.system_id), path.id);
      const lists = Object.fromEntries(EDIT_LISTS.map((k) => [k, args.list(k)])) as Record<(typeof EDIT_LISTS)[number], string[]>;
      const { view } = await edit(svc, user, path.system_id, updateRaidOp(r.id, { name: optional(args, 'name'), uuid: optional(args, 'uuid'), ...lists }));
      return renderRaid(view, raid(view, path.id));
    }, [
      p.str('name', 'Name of the RAID.'),
      p.str('uuid', 'UUID of the RAID.'),
      ...EDIT_LISTS.map((k) => p.list(k, `${k.startsWith('add') ? 'Add' : 'Remove'} ${k.includes('spare') ? 'spare ' : ''}${k.endsWith('partitions') ? 'partitions' : 'block devices'} ${k.startsWith('add') ? 'to' : 'from'} the RAID.`)),
    ]),
    crud.delete('Delete a RAID: its device and what is on it go; its members become free.', async ({ svc, user, path }) => {
      const r = raid(await findView(svc, user, path.system_id), path.id);
      await edit(svc, user, path.system_id, deleteRaidOp(r.id));
      return noContent;
    }),
  ],
};

/**
 * Whole-machine storage: MAAS's `set_storage_layout`, `mount_special` and `unmount_special` (actions
 * spread into MachineHandler), and Plinth's declarative StorageLayoutHandler at
 * `nodes/{system_id}/storage/` (docs/storage.md).
 */
import { invalid } from '../../../../domain/errors.ts';
import { exportDocument, LAYOUT_NAMES } from '../../../../domain/storage/index.ts';
import { getMachine } from '../../../../services/machines/access.ts';
import { getStorageDocument, putStorageDocument, setStorageLayout } from '../../../../services/storage/layout.ts';
import { mountSpecialOp, unmountSpecialOp } from '../../../../services/storage/ops-special.ts';
import { storagePlanFor } from '../../../../services/storage/plan.ts';
import { editStorage } from '../../../../services/storage/edit.ts';
import { crud, op, p, type ActionCtx, type ActionDecl, type HandlerDecl } from '../../declare.ts';
import { renderMachine } from '../../render/machine.ts';
import { uri } from '../../render/common.ts';

const LAYOUT_PARAMS = ['boot_size', 'root_size', 'root_device', 'vg_name', 'lv_name', 'lv_size', 'cache_device', 'cache_mode', 'cache_size'] as const;

const machineAfter = async (c: ActionCtx) => renderMachine(await getMachine(c.svc, c.user, c.path.system_id));

/** Actions of MachineHandler (machines/{system_id}/). */
export const STORAGE_MACHINE_ACTIONS: ActionDecl[] = [
  op('POST', 'set_storage_layout', 'Change the storage layout of a machine. The machine must be Ready; this replaces all of its current storage configuration.', async (c) => {
    const params: Record<string, string | boolean> = {};
    for (const k of LAYOUT_PARAMS) {
      const v = c.args.str(k);
      if (v !== undefined && v.trim() !== '') params[k] = v.trim();
    }
    const noPart = c.args.bool('cache_no_part');
    if (noPart !== undefined) params.cache_no_part = noPart;
    await setStorageLayout(c.svc, c.user, c.path.system_id, c.args.str('storage_layout')!.trim(), params);
    return machineAfter(c);
  }, [
    p.str('storage_layout', `Storage layout for the machine: ${LAYOUT_NAMES.join(', ')}, or custom (the layout commissioning reported).`, true),
    p.str('boot_size', 'Size of the boot partition (e.g. 512M, 1G).'),
    p.str('root_size', 'Size of the root partition (e.g. 24G, or a percentage of the free space).'),
    p.str('root_device', 'Physical block device (id or name) to place the root partition on (e.g. /dev/sda).'),
    p.str('vg_name', 'LVM only. Name of created volume group.'),
    p.str('lv_name', 'LVM only. Name of created logical volume.'),
    p.str('lv_size', 'LVM only. Size of created logical volume.'),
    p.str('cache_device', 'Bcache only. Physical block device (id or name) to use as the cache device.'),
    p.str('cache_mode', 'Bcache only. Cache mode for bcache device: writeback, writethrough, writearound.'),
    p.str('cache_size', 'Bcache only. Size of the cache partition to create on the cache device.'),
    p.bool('cache_no_part', 'Bcache only. Don\'t create a partition on the cache device. Use the entire disk as the cache device.'),
  ], true),
  op('POST', 'mount_special', 'Mount a special-purpose filesystem, like tmpfs.', async (c) => {
    await editStorage(c.svc, c.user, c.path.system_id, mountSpecialOp(c.args.str('fstype')!.trim(), c.args.str('mount_point')!.trim(), c.args.str('mount_options')));
    return machineAfter(c);
  }, [
    p.str('fstype', 'The filesystem type: tmpfs or ramfs.', true),
    p.str('mount_point', 'Path on the filesystem to mount.', true),
    p.str('mount_options', 'Options to pass to mount(8).'),
  ]),
  op('POST', 'unmount_special', 'Unmount a special-purpose filesystem, like tmpfs.', async (c) => {
    await editStorage(c.svc, c.user, c.path.system_id, unmountSpecialOp(c.args.str('mount_point')!.trim()));
    return machineAfter(c);
  }, [p.str('mount_point', 'Path on the filesystem to unmount.', true)]),
];

/** The document from a JSON body, or from the `document` parameter (JSON text; `document@=file.json`). */
function documentOf(c: ActionCtx): unknown {
  if (c.req.json !== undefined) return c.req.json;
  const text = c.args.str('document');
  if (text === undefined || text.trim() === '') throw invalid({ document: ['This field is required: send the storage document as a JSON body or as the document parameter.'] });
  try {
    return JSON.parse(text);
  } catch (err) {
    throw invalid({ document: [`The document is not valid JSON: ${(err as Error).message}`] });
  }
}

export const StorageLayoutHandler: HandlerDecl = {
  name: 'StorageLayoutHandler',
  path: '/nodes/{system_id}/storage/',
  doc: [
    'A Plinth addition: a machine\'s whole storage layout as one declarative JSON document (docs/storage.md).',
    '',
    'GET returns the current layout as a document; PUT of that document changes nothing. PUT replaces the',
    'layout with the one described: disks with their partition table, partitions and filesystems; RAIDs,',
    'volume groups with logical volumes, bcaches; special filesystems; the boot disk. Things are named as users',
    'name them (sda, sda-part2, md0, vg0-root). The change is atomic (a document with any error changes',
    'nothing and the answer lists every error by its path in the document) and idempotent (PUT of the same',
    'document again changes nothing, and entities that stay keep their ids and UUIDs). dry_run=true checks',
    'the document and returns the resulting tree without storing it.',
  ].join('\n'),
  actions: [
    crud.read('The current storage layout as a document.', async ({ svc, user, path }) => getStorageDocument(svc, user, path.system_id)),
    crud.update('Replace the storage layout with a document (JSON body, or the document parameter). Answers {dry_run, changed, document, tree}; errors are 400 {"<path in document>": ["message", ...]}.', async (c) => {
      const dryRun = c.args.bool('dry_run') ?? false;
      const r = await putStorageDocument(c.svc, c.user, c.path.system_id, documentOf(c), { dryRun, deployable: c.args.bool('deployable') ?? true });
      return {
        system_id: c.path.system_id, dry_run: dryRun, changed: r.changed, document: exportDocument(r.tree), tree: r.tree,
        resource_uri: uri(`/nodes/${c.path.system_id}/storage/`),
      };
    }, [
      p.str('document', 'The storage document as JSON text (when the request body is not the JSON document itself).'),
      p.bool('dry_run', 'Check the document and return the resulting tree without storing it.'),
      p.bool('deployable', 'Require a deployable layout (a / filesystem and the firmware\'s boot partitions). Default true.'),
    ]),
    op('GET', 'plan', 'What the installer would run for the current layout: the ordered operations, as a shell script, and as curtin storage configuration.', async ({ svc, user, path, args }) => {
      const r = await storagePlanFor(svc, user, path.system_id, { target: args.str('target') });
      if (r.errors) return { system_id: path.system_id, deployable: false, errors: r.errors };
      return { system_id: path.system_id, deployable: true, plan: r.plan, script: r.script, curtin: r.curtin };
    }, [p.str('target', 'Where the new system is mounted during installation (default /target).')]),
  ],
};

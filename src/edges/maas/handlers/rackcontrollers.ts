/**
 * `rackcontrollers/`: racks that registered over their link (src/edges/rpc). Listing with MAAS's
 * filters, reading, deleting, their boot images, and power type descriptions.
 *
 * `import_boot_images`: MAAS starts a sync of the region's boot resources to the rack. Plinth's region
 * tells the racks linked to it to sync its images directory now (`images.sync`, src/edges/rpc/
 * images-link.ts) and answers 202; a region without image sync (no `svc.rackImages`) starts nothing
 * and says so plainly instead of claiming an import.
 */
import { describePowerTypes } from '../../rack/power/registry.ts';
import type { ServiceContext } from '../../../services/context.ts';
import '../../../services/racks/images-hooks.ts';
import { deleteRack, getRack, listRacks } from '../../../services/racks/queries.ts';
import { crud, op, p, type HandlerDecl } from '../declare.ts';
import { jsonReply, noContent, textReply } from '../replies.ts';
import { renderRack, renderRackImages } from '../render/rack.ts';

const NOTHING_TO_IMPORT = 'the region holds no boot resources to import yet';

/** Asks one rack (or all linked to this region) to sync; null when this region has no image sync. */
async function requestImageSync(svc: ServiceContext, systemId?: string) {
  const hooks = svc.rackImages;
  if (!hooks) return null;
  const told = hooks.requestSync(systemId);
  const current = await hooks.current();
  const what = `${current.files} image file(s), ${(current.bytes / 1024 ** 2).toFixed(1)} MiB`;
  return { told, what };
}

export const RackControllersHandler: HandlerDecl = {
  name: 'RackControllersHandler',
  path: '/rackcontrollers/',
  doc: 'Manage the collection of all rack controllers in MAAS.',
  actions: [
    crud.read('List rack controllers', async ({ svc, args }) => {
      const l = await listRacks(svc, {
        hostname: args.list('hostname'), system_id: args.list('id'), mac_address: args.list('mac_address'),
        zone: args.str('zone'), domain: args.str('domain'),
      });
      const now = svc.now();
      return l.racks.map((r) => renderRack(r, l, now));
    }, [
      p.list('hostname', 'Only rack controllers with these hostnames.'),
      p.list('id', 'Only rack controllers with these system_ids.'),
      p.list('mac_address', 'Only rack controllers with these MAC addresses.'),
      p.str('zone', 'Only rack controllers in this zone.'),
      p.str('domain', 'Only rack controllers in this domain.'),
    ]),
    op('GET', 'describe_power_types', 'Query all rack controllers for power information.', async () => jsonReply(describePowerTypes())),
    op('POST', 'import_boot_images', 'Import the boot images on all rack controllers.', async ({ svc }) => {
      const r = await requestImageSync(svc);
      if (!r) return textReply(200, `No import started on the rack controllers: ${NOTHING_TO_IMPORT}.`);
      return textReply(202, `Boot image sync started on ${r.told.length} rack controller(s) linked to this region (${r.what}).`);
    }, [], true),
  ],
};

export const RackControllerHandler: HandlerDecl = {
  name: 'RackControllerHandler',
  path: '/rackcontrollers/{system_id}/',
  doc: 'Manage an individual rack controller.',
  actions: [
    crud.read('Read a specific rack controller', async ({ svc, path }) => {
      const l = await getRack(svc, path.system_id);
      return renderRack(l.rack, l, svc.now());
    }),
    crud.delete('Delete a rack controller', async ({ svc, user, path, args }) => {
      await deleteRack(svc, user, path.system_id, args.bool('force') === true);
      return noContent;
    }, [p.bool('force', 'Delete even when the rack provides DHCP on a VLAN (a secondary takes over).')], true),
    op('GET', 'list_boot_images', 'List the boot images on this rack controller.', async ({ svc, path }) =>
      renderRackImages((await getRack(svc, path.system_id)).rack, svc.now(), await svc.rackImages?.current())),
    op('POST', 'import_boot_images', 'Import the boot images on this rack controller.', async ({ svc, path }) => {
      const { rack } = await getRack(svc, path.system_id);
      const r = await requestImageSync(svc, path.system_id);
      if (!r) return textReply(200, `No import started on ${rack.node.hostname}: ${NOTHING_TO_IMPORT}.`);
      if (!r.told.length) return textReply(200, `${rack.node.hostname} is not linked to this region with image sync; it syncs when its link comes up.`);
      return textReply(202, `Boot image sync started on ${rack.node.hostname} (${r.what}).`);
    }, [], true),
  ],
};

/**
 * VlansHandler (`fabrics/{fabric_id}/vlans/`) and VlanHandler, reachable as `fabrics/{fabric_id}/vlans/{vid}/`
 * (what describe shows) and as `vlans/{vlan_id}/` (the database id, used in every resource_uri).
 */
import { networkTopology } from '../../../../services/network/fabrics.ts';
import { createVlan, deleteVlan, getVlanByKey, listFabricVlans, updateVlan, type VlanFields, type VlanKey } from '../../../../services/network/vlans.ts';
import { crud, p, type HandlerDecl } from '../../declare.ts';
import type { Args } from '../../args.ts';
import { renderVlan } from '../../render/network.ts';
import { noContent } from '../../replies.ts';

const key = (path: Record<string, string>): VlanKey => (path.vlan_id !== undefined ? { id: path.vlan_id } : { fabric: path.fabric_id, vid: path.vid });

const fields = (args: Args): VlanFields => ({
  vid: args.int('vid'), name: args.str('name'), description: args.str('description'), mtu: args.int('mtu'), dhcp_on: args.bool('dhcp_on'),
  primary_rack: args.str('primary_rack'), secondary_rack: args.str('secondary_rack'), relay_vlan: args.str('relay_vlan'), space: args.str('space'),
});

export const VlansHandler: HandlerDecl = {
  name: 'VlansHandler',
  path: '/fabrics/{fabric_id}/vlans/',
  doc: 'Manage VLANs on a fabric.',
  actions: [
    crud.read('List VLANs', async ({ svc, path }) => {
      const [vlans, topo] = await Promise.all([listFabricVlans(svc, path.fabric_id), networkTopology(svc)]);
      return vlans.map((v) => renderVlan(v, topo));
    }),
    crud.create('Create a VLAN', async ({ svc, user, path, args }) =>
      renderVlan(await createVlan(svc, user, path.fabric_id, fields(args)), await networkTopology(svc)), [
      p.str('name', 'Name of the VLAN.'),
      p.str('description', 'Description of the VLAN.'),
      p.int('vid', 'VLAN ID of the VLAN (1-4094).', true),
      p.int('mtu', 'The MTU to use on the VLAN (552-65535, default 1500).'),
      p.str('space', 'The space this VLAN should be placed in (name or id).'),
    ], true),
  ],
};

export const VlanHandler: HandlerDecl = {
  name: 'VlanHandler',
  path: '/fabrics/{fabric_id}/vlans/{vid}/',
  aliases: ['/vlans/{vlan_id}/'],
  doc: 'Manage a VLAN on a fabric.',
  actions: [
    crud.read('Retrieve VLAN', async ({ svc, path }) => renderVlan(await getVlanByKey(svc, key(path)), await networkTopology(svc))),
    crud.update('Update VLAN', async ({ svc, user, path, args }) =>
      renderVlan(await updateVlan(svc, user, key(path), fields(args)), await networkTopology(svc)), [
      p.str('name', 'Name of the VLAN.'),
      p.str('description', 'Description of the VLAN.'),
      p.int('mtu', 'The MTU to use on the VLAN (552-65535).'),
      p.bool('dhcp_on', 'Whether or not DHCP should be managed on the VLAN. Needs a primary rack and a dynamic range on a managed subnet of the VLAN.'),
      p.str('primary_rack', 'The primary rack controller managing the VLAN (system_id).'),
      p.str('secondary_rack', 'The secondary rack controller managing the VLAN (system_id).'),
      p.str('relay_vlan', 'Relay VLAN ID. Only set when this VLAN will be using a DHCP relay to forward DHCP requests to another VLAN that MAAS is managing. MAAS will not run the DHCP relay itself, it must be configured to proxy reqests to the primary and/or secondary rack controller interfaces for the VLAN specified in this field.'),
      p.str('space', 'The space this VLAN should be placed in. Passing in an empty string (or the string \'undefined\') will cause the VLAN to be placed in the \'undefined\' space.'),
    ], true),
    crud.delete('Delete a VLAN', async ({ svc, user, path }) => { await deleteVlan(svc, user, key(path)); return noContent; }, [], true),
  ],
};

/** InterfacesHandler, InterfaceHandler: `nodes/{system_id}/interfaces/` and `.../{id}/`. */
import type { NodeInterfaces } from '../../../../services/network/iface-access.ts';
import { getInterface, interfaceOf, listInterfaces } from '../../../../services/network/iface-access.ts';
import {
  createBond, createBridge, createPhysical, createVlanInterface, deleteInterface, disconnectInterface, tagInterface, updateInterface,
  type InterfaceFields,
} from '../../../../services/network/interfaces.ts';
import { linkSubnet, setDefaultGateway, unlinkSubnet } from '../../../../services/network/links.ts';
import type { Args } from '../../args.ts';
import { crud, op, p, type HandlerDecl, type ParamSpec } from '../../declare.ts';
import { renderInterface } from '../../render/interface.ts';
import { noContent } from '../../replies.ts';

const render = (ni: NodeInterfaces & { id: number }) =>
  renderInterface(ni.node.system_id, interfaceOf(ni, ni.id), ni.interfaces, ni.net);

const common: ParamSpec[] = [
  p.list('tags', 'Tags for the interface.'),
  p.str('vlan', 'VLAN the interface is connected to (id).'),
  p.int('mtu', 'Maximum transmission unit.'),
  p.bool('accept_ra', 'Accept router advertisements. (IPv6 only)'),
];
const bondParams: ParamSpec[] = [
  p.str('bond_mode', 'The operating mode of the bond. (Default: balance-rr). Available modes: balance-rr, active-backup, balance-xor, broadcast, 802.3ad, balance-tlb, balance-alb.'),
  p.int('bond_miimon', 'The link monitoring frequency in milliseconds. (Default: 100).'),
  p.int('bond_downdelay', 'Specifies the time, in milliseconds, to wait before disabling a slave after a link failure has been detected.'),
  p.int('bond_updelay', 'Specifies the time, in milliseconds, to wait before enabling a slave after a link recovery has been detected.'),
  p.str('bond_lacp_rate', 'Option specifying the rate at which to ask the link partner to transmit LACPDU packets in 802.3ad mode. Available options are fast or slow. (Default: slow).'),
  p.str('bond_xmit_hash_policy', 'The transmit hash policy to use for slave selection in balance-xor, 802.3ad, and tlb modes. Possible values are: layer2, layer2+3, layer3+4, encap2+3, encap3+4. (Default: layer2)'),
  p.int('bond_num_grat_arp', 'The number of peer notifications (IPv4 ARP or IPv6 Neighbour Advertisements) to be issued after a failover. (Default: 1)'),
];
const bridgeParams: ParamSpec[] = [
  p.str('bridge_type', 'The type of bridge to create. Possible values are: standard, ovs.'),
  p.bool('bridge_stp', 'Turn spanning tree protocol on or off. (Default: False).'),
  p.int('bridge_fd', 'Set bridge forward delay to time seconds. (Default: 15).'),
];

const fields = (args: Args): InterfaceFields => ({
  name: args.str('name'), mac_address: args.str('mac_address'), tags: args.has('tags') ? args.list('tags').flatMap((t) => t.split(',')).map((t) => t.trim()).filter(Boolean) : undefined,
  vlan: args.str('vlan'), mtu: args.int('mtu'), accept_ra: args.bool('accept_ra'),
  parents: args.has('parents') ? args.list('parents') : undefined, parent: args.str('parent'),
  link_connected: args.bool('link_connected'), interface_speed: args.int('interface_speed'), link_speed: args.int('link_speed'),
  bond_mode: args.str('bond_mode'), bond_miimon: args.int('bond_miimon'), bond_downdelay: args.int('bond_downdelay'),
  bond_updelay: args.int('bond_updelay'), bond_lacp_rate: args.str('bond_lacp_rate'), bond_xmit_hash_policy: args.str('bond_xmit_hash_policy'),
  bond_num_grat_arp: args.int('bond_num_grat_arp'), bridge_type: args.str('bridge_type'), bridge_stp: args.bool('bridge_stp'), bridge_fd: args.int('bridge_fd'),
});

export const InterfacesHandler: HandlerDecl = {
  name: 'InterfacesHandler',
  path: '/nodes/{system_id}/interfaces/',
  doc: 'Manage interfaces on a node.',
  actions: [
    crud.read('List interfaces', async ({ svc, user, path }) => {
      const ni = await listInterfaces(svc, user, path.system_id);
      return ni.interfaces.map((i) => renderInterface(ni.node.system_id, i, ni.interfaces, ni.net));
    }),
    op('POST', 'create_physical', 'Create a physical interface', async ({ svc, user, path, args }) =>
      render(await createPhysical(svc, user, path.system_id, fields(args))), [
      p.str('name', 'Name of the interface.'),
      p.str('mac_address', 'MAC address of the interface.', true),
      ...common,
    ]),
    op('POST', 'create_bond', 'Create a bond interface', async ({ svc, user, path, args }) =>
      render(await createBond(svc, user, path.system_id, fields(args))), [
      p.str('name', 'Name of the interface.', true),
      p.str('mac_address', 'MAC address of the interface (default: the first parent\'s).'),
      p.list('parents', 'Parent interface ids that make this bond.', true),
      ...common, ...bondParams,
    ]),
    op('POST', 'create_vlan', 'Create a VLAN interface', async ({ svc, user, path, args }) =>
      render(await createVlanInterface(svc, user, path.system_id, fields(args))), [
      p.list('tags', 'Tags for the interface.'),
      p.str('vlan', 'Tagged VLAN the interface is connected to.', true),
      p.str('parent', 'Parent interface id for this VLAN interface.', true),
      p.int('mtu', 'Maximum transmission unit.'),
      p.bool('accept_ra', 'Accept router advertisements. (IPv6 only)'),
    ]),
    op('POST', 'create_bridge', 'Create a bridge interface', async ({ svc, user, path, args }) =>
      render(await createBridge(svc, user, path.system_id, fields(args))), [
      p.str('name', 'Name of the interface (default: br-<parent>).'),
      p.str('mac_address', 'MAC address of the interface (default: the parent\'s).'),
      p.str('parent', 'Parent interface id for this bridge interface.'),
      ...common, ...bridgeParams,
    ]),
  ],
};

const linkParams: ParamSpec[] = [
  p.str('mode', 'AUTO, DHCP, STATIC or LINK_UP connection to subnet.', true),
  p.str('subnet', 'Subnet id linked to interface (required for AUTO and STATIC).'),
  p.str('ip_address', 'IP address for the interface in subnet. Only used when mode is STATIC. If not provided an IP address from subnet will be auto selected.'),
  p.bool('force', 'If True, allows LINK_UP to be set on the interface even if other links already exist. Also allows the selection of any VLAN, even a VLAN MAAS does not believe the interface to currently be on. Using this option will cause all other links on the interface to be deleted.'),
  p.bool('default_gateway', 'True sets the gateway IP address for the subnet as the default gateway for the node this interface belongs to. Option can only be used with the AUTO and STATIC modes.'),
];

export const InterfaceHandler: HandlerDecl = {
  name: 'InterfaceHandler',
  path: '/nodes/{system_id}/interfaces/{id}/',
  doc: 'Manage a node\'s or device\'s interface.',
  actions: [
    crud.read('Read an interface', async ({ svc, user, path }) => {
      const ni = await getInterface(svc, user, path.system_id, path.id);
      return renderInterface(ni.node.system_id, ni.iface, ni.interfaces, ni.net);
    }),
    crud.update('Update an interface', async ({ svc, user, path, args }) =>
      render(await updateInterface(svc, user, path.system_id, path.id, fields(args))), [
      p.str('name', 'Name of the interface.'),
      p.str('mac_address', 'MAC address of the interface.'),
      ...common,
      p.list('parents', 'Parent interface ids (bonds).'),
      p.str('parent', 'Parent interface id (bridges, VLAN interfaces); informational.'),
      p.bool('link_connected', 'Whether or not the interface is physically connected to an uplink.'),
      p.int('interface_speed', 'The speed of the interface in Mbit/s.'),
      p.int('link_speed', 'The speed of the link in Mbit/s.'),
      ...bondParams, ...bridgeParams,
    ]),
    crud.delete('Delete an interface', async ({ svc, user, path }) => { await deleteInterface(svc, user, path.system_id, path.id); return noContent; }),
    op('POST', 'link_subnet', 'Link interface to a subnet', async ({ svc, user, path, args }) => render(await linkSubnet(svc, user, path.system_id, path.id, {
      mode: args.str('mode'), subnet: args.str('subnet'), ip_address: args.str('ip_address'), force: args.bool('force'), default_gateway: args.bool('default_gateway'),
    })), linkParams),
    op('POST', 'unlink_subnet', 'Unlink interface from subnet', async ({ svc, user, path, args }) =>
      render(await unlinkSubnet(svc, user, path.system_id, path.id, args.int('id'))), [p.int('id', 'ID of the subnet link on the interface to remove.')]),
    op('POST', 'set_default_gateway', 'Set the default gateway on a machine', async ({ svc, user, path, args }) =>
      render(await setDefaultGateway(svc, user, path.system_id, path.id, args.int('link_id'))), [
      p.int('link_id', 'ID of the link on this interface to select the default gateway IP address from.'),
    ]),
    op('POST', 'disconnect', 'Disconnect an interface', async ({ svc, user, path }) => render(await disconnectInterface(svc, user, path.system_id, path.id))),
    op('POST', 'add_tag', 'Add a tag to an interface', async ({ svc, user, path, args }) =>
      render(await tagInterface(svc, user, path.system_id, path.id, args.str('tag'), true)), [p.str('tag', 'The tag to add.')]),
    op('POST', 'remove_tag', 'Remove a tag from an interface', async ({ svc, user, path, args }) =>
      render(await tagInterface(svc, user, path.system_id, path.id, args.str('tag'), false)), [p.str('tag', 'The tag to remove.')]),
  ],
};

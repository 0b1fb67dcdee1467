/** IPAddressesHandler: list, reserve and release addresses. */
import { listAddresses, releaseAddress, reserveAddress } from '../../../../services/network/ipaddresses.ts';
import { crud, op, p, type HandlerDecl } from '../../declare.ts';
import { renderIpAddresses } from '../../render/network-addresses.ts';
import { noContent } from '../../replies.ts';

export const IPAddressesHandler: HandlerDecl = {
  name: 'IPAddressesHandler',
  path: '/ipaddresses/',
  doc: 'Manage IP addresses allocated by MAAS.',
  actions: [
    crud.read('List IP addresses', async ({ svc, user, args }) =>
      renderIpAddresses(await listAddresses(svc, user, { ip: args.str('ip'), all: args.bool('all'), owner: args.str('owner') })), [
      p.str('ip', 'If specified, will only display information for the specified IP address.'),
      p.bool('all', '(Admin only.) If True, all reserved IP addresses will be shown. (By default, only addresses of type \'User reserved\' that are assigned to the requesting user are shown.)'),
      p.str('owner', '(Admin only.) If specified, filters the list to show only IP addresses owned by the specified username.'),
    ]),
    op('POST', 'reserve', 'Reserve an IP address', async ({ svc, user, args }) =>
      renderIpAddresses(await reserveAddress(svc, user, {
        subnet: args.str('subnet'), ip: args.str('ip') ?? args.str('ip_address'), hostname: args.str('hostname'), mac: args.str('mac'),
      }))[0], [
      p.str('subnet', 'CIDR representation of the subnet on which the IP reservation is required. E.g. 10.1.2.0/24'),
      p.str('ip', 'The IP address, which must be within a known subnet. Without it, the lowest free address of the subnet is reserved.'),
      p.str('ip_address', '(Deprecated.) Alias for \'ip\' parameter. Provided for backward compatibility.'),
      p.str('hostname', 'The hostname to use for the specified IP address. If no domain component is given, the default domain will be used.'),
      p.str('mac', 'The MAC address that should be linked to this reservation.'),
    ]),
    op('POST', 'release', 'Release an IP address', async ({ svc, user, args }) => {
      await releaseAddress(svc, user, { ip: args.str('ip')!, force: args.bool('force'), discovered: args.bool('discovered') });
      return noContent;
    }, [
      p.str('ip', 'The IP address to release.', true),
      p.bool('force', 'If True, allows a standard user to release an IP address that is not in use by them (admins only): the address is released whatever holds it.'),
      p.bool('discovered', 'If True, allows a MAAS administrator to release a discovered address. Only valid if \'force\' is specified.'),
    ]),
  ],
};

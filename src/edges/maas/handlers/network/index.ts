/** The network handlers (fabrics, VLANs, spaces, subnets, ranges, routes, addresses, DNS, interfaces). */
import type { HandlerDecl } from '../../declare.ts';
import { DNSResourceHandler, DNSResourcesHandler } from './dnsresources.ts';
import { DomainHandler, DomainsHandler } from './domains.ts';
import { FabricHandler, FabricsHandler } from './fabrics.ts';
import { InterfaceHandler, InterfacesHandler } from './interfaces.ts';
import { IPAddressesHandler } from './ipaddresses.ts';
import { IPRangeHandler, IPRangesHandler } from './ipranges.ts';
import { SpaceHandler, SpacesHandler } from './spaces.ts';
import { StaticRouteHandler, StaticRoutesHandler } from './static-routes.ts';
import { SubnetHandler, SubnetsHandler } from './subnets.ts';
import { VlanHandler, VlansHandler } from './vlans.ts';

export const NETWORK_HANDLERS: HandlerDecl[] = [
  FabricsHandler, FabricHandler, VlansHandler, VlanHandler, SpacesHandler, SpaceHandler, SubnetsHandler, SubnetHandler,
  IPRangesHandler, IPRangeHandler, StaticRoutesHandler, StaticRouteHandler, IPAddressesHandler,
  DomainsHandler, DomainHandler, DNSResourcesHandler, DNSResourceHandler, InterfacesHandler, InterfaceHandler,
];

/**
 * The network configuration commissioning leaves a machine with, as MAAS's initial networking: its boot
 * interface gets an AUTO link (an address from the subnet, claimed at deploy) on the subnet it booted
 * from — the subnet of its latest DHCP lease from a rack, else the first subnet of its VLAN — so a
 * machine that nobody configured by hand still deploys with a working network (juju, Terraform and the
 * Kubernetes walkthrough never link interfaces themselves). An interface that already has a link other
 * than LINK_UP is the operator's configuration and is left alone; so are the other interfaces.
 */
import { EventLevel } from '../../domain/events.ts';
import { AllocType } from '../../domain/network/types.ts';
import type { NodeRow } from '../../store/repos/machines.ts';
import { interfacesRepo } from '../../store/repos/network-interfaces.ts';
import { addressesRepo, linkMode } from '../../store/repos/network-ips.ts';
import type { Queryable } from '../context.ts';
import { recordEvent } from '../events.ts';

export async function applyInitialNetworking(q: Queryable, m: NodeRow): Promise<void> {
  const boot = (await q.query<{ id: number; name: string; mac_address: string; vlan_id: number | null }>(
    `select id, name, mac_address, vlan_id from interfaces where node_id = $1 and type = 'physical'
      order by is_boot desc, id limit 1`, [m.id]))[0];
  if (!boot) return;
  const links = await addressesRepo.byInterfaces(q, [boot.id]);
  if (links.some((l) => linkMode(l) !== 'link_up')) return;
  type Found = { subnet_id: number; vlan_id: number; cidr: string };
  const leased = (await q.query<Found>(
    `select l.subnet_id, s.vlan_id, s.cidr from dhcp_leases l join subnets s on s.id = l.subnet_id
      where lower(l.mac) = lower($1) order by l.updated desc limit 1`, [boot.mac_address]))[0];
  const subnet = leased ?? (boot.vlan_id === null ? undefined : (await q.query<Found>(
    "select id as subnet_id, vlan_id, cidr from subnets where vlan_id = $1 and position(':' in cidr) = 0 order by id limit 1", [boot.vlan_id]))[0]);
  const say = (level: number, description: string) => recordEvent(q, { nodeId: m.id, hostname: m.hostname, username: '', level, typeName: 'Networking', description });
  if (!subnet) {
    await say(EventLevel.WARNING, `${boot.name} has no subnet to take an address from (no DHCP lease, no subnet on its VLAN): link it by hand before deploying.`);
    return;
  }
  if (boot.vlan_id !== subnet.vlan_id) await interfacesRepo.setVlan(q, boot.id, subnet.vlan_id);
  for (const l of links) await addressesRepo.delete(q, l.id);
  await addressesRepo.insert(q, { subnet_id: subnet.subnet_id, node_id: m.id, interface_id: boot.id, alloc_type: AllocType.AUTO, ip: null });
  await say(EventLevel.INFO, `${boot.name} linked to ${subnet.cidr} (AUTO: an address is assigned at deploy).`);
}

/**
 * Validation of network entities before they are stored. Each function returns every problem it
 * finds as `{field?, message}` (field names are the MAAS API's), an empty list meaning "valid".
 * Messages keep MAAS's wording where clients may match on it and add the specifics (which range,
 * which address, what is missing).
 */
import { bitsOf, formatCidr, formatIp, isLinkLocal, networksOverlap, networkSize, tryParseCidr, tryParseIp, type IpAddress, type IpNetwork } from './ip.ts';
import { AllocType, type IpRange, type Subnet, type Vlan } from './types.ts';
import type { UsedAddress } from './usage.ts';

export interface ValidationIssue {
  field?: string;
  message: string;
}

const inNet = (net: IpNetwork, a: IpAddress) => a.version === net.version && a.value >= net.network && a.value < net.network + networkSize(net);
const rangeText = (r: { start_ip: string; end_ip: string }) => `${r.start_ip}-${r.end_ip}`;

/** A range being created (no id) or updated (its id, so it is not compared with itself). */
export type IpRangeDraft = Omit<IpRange, 'id' | 'comment' | 'user'> & { id?: number };

export interface IpRangeContext {
  subnet: Pick<Subnet, 'cidr' | 'gateway_ip' | 'dns_servers' | 'managed'>;
  /** The subnet's existing ranges (the draft itself, matched by id, is skipped). */
  ranges: readonly IpRange[];
  /** Addresses assigned in the subnet: a dynamic range may not cover them (observed ones excepted). */
  used?: readonly UsedAddress[];
  /** Gateways of static routes leaving the subnet. */
  staticRouteGateways?: readonly string[];
}

export function validateIpRange(draft: IpRangeDraft, ctx: IpRangeContext): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  if (draft.type !== 'dynamic' && draft.type !== 'reserved') {
    return [{ field: 'type', message: `Range type must be "dynamic" or "reserved", not ${JSON.stringify(draft.type)}.` }];
  }
  const start = tryParseIp(draft.start_ip ?? '');
  const end = tryParseIp(draft.end_ip ?? '');
  if (!start) issues.push({ field: 'start_ip', message: `Start IP address ${JSON.stringify(draft.start_ip)} is not a valid IP address.` });
  if (!end) issues.push({ field: 'end_ip', message: `End IP address ${JSON.stringify(draft.end_ip)} is not a valid IP address.` });
  if (!start || !end) return issues;
  if (start.version !== end.version) {
    return [{ field: 'end_ip', message: 'Start IP address and end IP address must be in the same address family.' }];
  }
  if (end.value < start.value) {
    issues.push({ field: 'end_ip', message: `End IP address must not be less than Start IP address (${formatIp(end)} < ${formatIp(start)}).` });
  }
  const net = tryParseCidr(ctx.subnet.cidr, { strict: false });
  if (!net) return [...issues, { field: 'subnet', message: `The subnet CIDR ${JSON.stringify(ctx.subnet.cidr)} is not valid.` }];
  const cidr = formatCidr(net);
  const startIn = inNet(net, start);
  const endIn = inNet(net, end);
  if (!startIn && !endIn) issues.push({ field: 'start_ip', message: `IP addresses must be within subnet: ${cidr}.` });
  else if (!startIn) issues.push({ field: 'start_ip', message: `Start IP address must be within subnet: ${cidr}.` });
  else if (!endIn) issues.push({ field: 'end_ip', message: `End IP address must be within subnet: ${cidr}.` });
  if (startIn && start.value === net.network && !(net.prefix >= bitsOf(net.version) - 1)) {
    issues.push({ field: 'start_ip', message: `Reserved network address cannot be included in IP range (${formatIp(start)} is the network address of ${cidr}).` });
  }
  if (endIn && net.version === 4 && net.prefix < 31 && end.value === net.network + networkSize(net) - 1n) {
    issues.push({ field: 'end_ip', message: `Broadcast address cannot be included in IP range (${formatIp(end)} is the broadcast address of ${cidr}).` });
  }
  if (draft.type === 'dynamic' && start.version === 6 && end.value - start.value + 1n < 256n) {
    issues.push({ field: 'end_ip', message: 'IPv6 dynamic range must be at least 256 addresses in size.' });
  }
  if (draft.type === 'dynamic' && !ctx.subnet.managed) {
    issues.push({
      field: 'type',
      message:
        `Dynamic ranges are refused on unmanaged subnet ${cidr}: Plinth does not serve DHCP there. ` +
        'Use a reserved range to mark the addresses Plinth may assign, or make the subnet managed.',
    });
  }
  if (issues.length > 0) return issues;

  const lo = start.value;
  const hi = end.value;
  const overlaps = (a: string, b: string) => {
    const x = tryParseIp(a);
    const y = tryParseIp(b);
    return !!x && !!y && x.version === start.version && x.value <= hi && y.value >= lo;
  };
  const requested = `Requested ${draft.type} range ${formatIp(start)}-${formatIp(end)}`;
  for (const other of ctx.ranges) {
    if (draft.id !== undefined && other.id === draft.id) continue;
    if (overlaps(other.start_ip, other.end_ip)) {
      issues.push({ field: 'start_ip', message: `${requested} conflicts with an existing ${other.type} range: ${rangeText(other)}.` });
    }
  }
  if (draft.type === 'dynamic') {
    const hit = (ip: string | null | undefined) => {
      const a = ip ? tryParseIp(ip) : null;
      return !!a && a.version === start.version && a.value >= lo && a.value <= hi;
    };
    if (hit(ctx.subnet.gateway_ip)) {
      issues.push({ field: 'start_ip', message: `${requested} conflicts with the subnet's gateway ${ctx.subnet.gateway_ip}: DHCP could hand it to a machine.` });
    }
    for (const dns of ctx.subnet.dns_servers) {
      if (hit(dns)) issues.push({ field: 'start_ip', message: `${requested} conflicts with the subnet's DNS server ${dns}: DHCP could hand it to a machine.` });
    }
    for (const gw of ctx.staticRouteGateways ?? []) {
      if (hit(gw)) issues.push({ field: 'start_ip', message: `${requested} conflicts with static route gateway ${gw}.` });
    }
    const taken = (ctx.used ?? [])
      .filter((u) => typeof u === 'string' || u.alloc_type !== AllocType.DISCOVERED)
      .map((u) => (typeof u === 'string' ? u : u.ip))
      .filter(hit) as string[];
    if (taken.length > 0) {
      const more = taken.length > 1 ? ` (and ${taken.length - 1} more)` : '';
      issues.push({ field: 'start_ip', message: `${requested} conflicts with an assigned IP address: ${taken[0]}${more}.` });
    }
  }
  return issues;
}

/** A subnet being created (no id) or updated. */
export type SubnetDraft = Pick<Subnet, 'cidr' | 'gateway_ip' | 'dns_servers' | 'managed'> & { id?: number };

export interface SubnetContext {
  /** All existing subnets (the draft itself, by id, is skipped). */
  subnets: readonly Pick<Subnet, 'id' | 'cidr' | 'name'>[];
  /** The draft's own ranges (for updates). */
  ranges?: readonly IpRange[];
}

export function validateSubnet(draft: SubnetDraft, ctx: SubnetContext): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const net = tryParseCidr(draft.cidr ?? '', { strict: true });
  if (!net) {
    const loose = tryParseCidr(draft.cidr ?? '', { strict: false });
    const hint = loose ? ` It has host bits set; did you mean ${formatCidr(loose)}?` : ' Expected <network address>/<prefix length>, e.g. 10.1.20.0/24.';
    return [{ field: 'cidr', message: `${JSON.stringify(draft.cidr)} is not a valid CIDR.${hint}` }];
  }
  const cidr = formatCidr(net);
  for (const other of ctx.subnets) {
    if (draft.id !== undefined && other.id === draft.id) continue;
    const o = tryParseCidr(other.cidr, { strict: false });
    if (o && networksOverlap(net, o)) {
      issues.push({ field: 'cidr', message: `Subnet ${cidr} would overlap with existing subnet ${formatCidr(o)} (${other.name}).` });
    }
  }
  const dynamics = (ctx.ranges ?? []).filter((r) => r.type === 'dynamic');
  const inDynamic = (a: IpAddress) =>
    dynamics.find((r) => {
      const s = tryParseIp(r.start_ip);
      const e = tryParseIp(r.end_ip);
      return !!s && !!e && s.version === a.version && a.value >= s.value && a.value <= e.value;
    });
  if (draft.gateway_ip) {
    const gw = tryParseIp(draft.gateway_ip);
    if (!gw) issues.push({ field: 'gateway_ip', message: `${JSON.stringify(draft.gateway_ip)} is not a valid IP address.` });
    else if (!inNet(net, gw) && !(net.version === 6 && gw.version === 6 && isLinkLocal(gw))) {
      issues.push({ field: 'gateway_ip', message: `Gateway IP must be within CIDR range (${formatIp(gw)} is not in ${cidr}).` });
    } else {
      const r = inDynamic(gw);
      if (r) issues.push({ field: 'gateway_ip', message: `Gateway IP ${formatIp(gw)} is inside the dynamic range ${rangeText(r)}: DHCP could hand it to a machine.` });
    }
  }
  for (const dns of draft.dns_servers ?? []) {
    const a = tryParseIp(dns);
    if (!a) {
      issues.push({ field: 'dns_servers', message: `DNS server ${JSON.stringify(dns)} is not a valid IP address.` });
      continue;
    }
    const r = inDynamic(a);
    if (r) issues.push({ field: 'dns_servers', message: `DNS server ${formatIp(a)} is inside the dynamic range ${rangeText(r)}: DHCP could hand it to a machine.` });
  }
  if (!draft.managed && dynamics.length > 0) {
    issues.push({
      field: 'managed',
      message: `Subnet ${cidr} cannot be unmanaged while it has dynamic range ${dynamics.map(rangeText).join(', ')}; delete the dynamic range first.`,
    });
  }
  return issues;
}

/** A VLAN being created or updated. */
export type VlanDraft = Pick<Vlan, 'fabric_id' | 'vid' | 'mtu' | 'dhcp_on' | 'primary_rack' | 'secondary_rack' | 'relay_vlan_id'> & {
  id?: number;
  name?: string;
};

export interface VlanContext {
  /** All existing VLANs (the draft itself, by id, is skipped). */
  vlans: readonly Vlan[];
  /** All subnets (those on the draft VLAN are picked by vlan_id). */
  subnets: readonly Subnet[];
  /** All ranges (those of the VLAN's subnets are picked by subnet_id). */
  ranges: readonly IpRange[];
  /** Display name of the fabric, for messages. */
  fabricName?: string;
}

export function validateVlan(draft: VlanDraft, ctx: VlanContext): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const label = draft.vid === 0 ? 'the untagged VLAN' : `VLAN ${draft.vid}`;
  const where = ctx.fabricName ? `${label} on ${ctx.fabricName}` : label;
  if (!Number.isInteger(draft.vid) || draft.vid < 0 || draft.vid > 4094) {
    issues.push({ field: 'vid', message: `VID must be between 0 and 4094, not ${draft.vid}.` });
  } else if (ctx.vlans.some((v) => v.id !== draft.id && v.fabric_id === draft.fabric_id && v.vid === draft.vid)) {
    issues.push({ field: 'vid', message: `VLAN with this Fabric and Vid already exists (vid ${draft.vid}).` });
  }
  if (!Number.isInteger(draft.mtu) || draft.mtu < 552) issues.push({ field: 'mtu', message: `Ensure this value is greater than or equal to 552 (got ${draft.mtu}).` });
  else if (draft.mtu > 65535) issues.push({ field: 'mtu', message: `Ensure this value is less than or equal to 65535 (got ${draft.mtu}).` });
  if (draft.secondary_rack && !draft.primary_rack) {
    issues.push({ field: 'secondary_rack', message: 'A secondary rack controller can only be set together with a primary rack controller.' });
  }
  if (draft.primary_rack && draft.primary_rack === draft.secondary_rack) {
    issues.push({ field: 'secondary_rack', message: 'The primary and secondary rack must be different.' });
  }
  if (draft.relay_vlan_id !== null) {
    const target = ctx.vlans.find((v) => v.id === draft.relay_vlan_id);
    if (draft.id !== undefined && draft.relay_vlan_id === draft.id) issues.push({ field: 'relay_vlan', message: 'A VLAN cannot relay DHCP to itself.' });
    else if (!target) issues.push({ field: 'relay_vlan', message: `Relay VLAN ${draft.relay_vlan_id} does not exist.` });
    else if (target.relay_vlan_id !== null) issues.push({ field: 'relay_vlan', message: `VLAN ${target.id} cannot be a relay target: it relays to VLAN ${target.relay_vlan_id} itself.` });
  }
  if (draft.dhcp_on) {
    if (draft.relay_vlan_id !== null) issues.push({ field: 'relay_vlan', message: "'relay_vlan' cannot be set when dhcp is on." });
    if (!draft.primary_rack) {
      issues.push({ field: 'dhcp_on', message: `dhcp can only be turned on when a primary rack controller is set; ${where} has none. Set primary_rack.` });
    }
    const subnets = ctx.subnets.filter((s) => s.vlan_id === draft.id);
    const managed = subnets.filter((s) => s.managed);
    const ids = new Set(managed.map((s) => s.id));
    const hasDynamic = ctx.ranges.some((r) => r.type === 'dynamic' && ids.has(r.subnet_id));
    if (!hasDynamic) {
      const why =
        subnets.length === 0
          ? `${where} has no subnet; add a subnet and a dynamic range in it`
          : managed.length === 0
            ? `${where} has only unmanaged subnets (${subnets.map((s) => s.cidr).join(', ')}); make one managed and add a dynamic range`
            : `no managed subnet of ${where} (${managed.map((s) => s.cidr).join(', ')}) has one; add a dynamic range`;
      issues.push({ field: 'dhcp_on', message: `dhcp can only be turned on when a dynamic IP range is defined: ${why}.` });
    }
  }
  return issues;
}

/**
 * ifupdown rendering (/etc/network/interfaces, see interfaces(5)) of a machine's deployed network
 * configuration, for images without netplan.
 *
 * - loopback first, then interfaces parents-first (bond slaves before the bond, the raw device
 *   before its VLAN, ports before the bridge), ties by name; every one `auto`;
 * - one `iface <name> inet|inet6 static` stanza per address (interfaces(5) merges repeated
 *   stanzas), `inet dhcp` / `inet6 dhcp` for DHCP links, `inet manual` for an interface with
 *   neither (link-up links, bond slaves, bridge ports);
 * - the interface's options go into its first stanza: `mtu`, bonding (ifenslave: `bond-master`
 *   on slaves, `bond-slaves none` plus `bond-mode`, `bond-miimon`, `bond-updelay`, `bond-downdelay`,
 *   `bond-lacp-rate`, `bond-xmit-hash-policy`, `bond-num-grat-arp` on the bond), bridging
 *   (bridge-utils: `bridge_ports`, `bridge_stp`, `bridge_fd`), VLANs (`vlan-raw-device`, `vlan-id`),
 *   `hwaddress ether` for bonds and bridges (their modelled MAC);
 * - `gateway` on the address stanza of the default-gateway link; static routes as
 *   `post-up`/`pre-down ip route` lines; `dns-nameservers`/`dns-search` (resolvconf) with the
 *   static addresses.
 *
 * ifupdown cannot rename interfaces: {@link renderUdevNetRules} gives the udev rules that pin
 * physical names to MAC addresses.
 */
import { memberOf, planNetwork, type NetworkConfigInput, type PlannedInterface } from './plan.ts';

const HASH_POLICY_MODES = new Set(['balance-xor', '802.3ad', 'balance-tlb']);

function options(p: PlannedInterface, master: PlannedInterface | undefined, method: string): string[] {
  // The dhcp method has no `mtu` option: set it before the DHCP client starts.
  const out = [method.endsWith(' dhcp') ? `pre-up ip link set dev ${p.name} mtu ${p.mtu}` : `mtu ${p.mtu}`];
  if (master?.type === 'bond') out.push(`bond-master ${master.name}`);
  if (p.type === 'bond') {
    const b = p.bond!;
    out.push(`hwaddress ether ${p.mac}`, 'bond-slaves none', `bond-mode ${b.mode}`, `bond-miimon ${b.miimon}`, `bond-updelay ${b.updelay}`, `bond-downdelay ${b.downdelay}`);
    if (b.mode === '802.3ad') out.push(`bond-lacp-rate ${b.lacp_rate}`);
    if (HASH_POLICY_MODES.has(b.mode)) out.push(`bond-xmit-hash-policy ${b.xmit_hash_policy}`);
    if (b.mode === 'active-backup') out.push(`bond-num-grat-arp ${b.num_grat_arp}`);
  }
  if (p.type === 'bridge') {
    const ports = p.parents.length > 0 ? p.parents.join(' ') : 'none';
    out.push(`hwaddress ether ${p.mac}`, `bridge_ports ${ports}`, `bridge_stp ${p.bridge!.stp ? 'on' : 'off'}`, `bridge_fd ${p.bridge!.fd}`);
  }
  if (p.type === 'vlan') out.push(`vlan-raw-device ${p.parents[0]}`, `vlan-id ${p.vid}`);
  return out;
}

function stanzas(p: PlannedInterface, master: PlannedInterface | undefined): string[] {
  const blocks: string[][] = [];
  const v4 = p.addresses.filter((a) => a.version === 4);
  const v6 = p.addresses.filter((a) => a.version === 6);
  const dns = [
    ...(p.nameservers.length > 0 ? [`dns-nameservers ${p.nameservers.join(' ')}`] : []),
    ...(p.search.length > 0 ? [`dns-search ${p.search.join(' ')}`] : []),
  ];
  const routeLines = (version: 4 | 6) =>
    p.routes
      .filter((r) => (r.to.includes(':') ? 6 : 4) === version)
      .flatMap((r) => {
        const spec = `${version === 6 ? '-6 ' : ''}route add ${r.to} via ${r.via} metric ${r.metric}`;
        return [`post-up ip ${spec} || true`, `pre-down ip ${spec.replace('route add', 'route del')} || true`];
      });
  v4.forEach((a, i) => blocks.push([`iface ${p.name} inet static`, `address ${a.cidr}`, ...(i === 0 && p.gateway4 ? [`gateway ${p.gateway4}`] : []), ...(i === 0 ? routeLines(4) : [])]));
  if (p.dhcp4) blocks.push([`iface ${p.name} inet dhcp`]);
  v6.forEach((a, i) => blocks.push([`iface ${p.name} inet6 static`, `address ${a.cidr}`, ...(i === 0 && p.gateway6 ? [`gateway ${p.gateway6}`] : []), ...(i === 0 ? routeLines(6) : [])]));
  if (p.dhcp6) blocks.push([`iface ${p.name} inet6 dhcp`]);
  if (blocks.length === 0) blocks.push([`iface ${p.name} inet manual`]);
  blocks[0].splice(1, 0, ...options(p, master, blocks[0][0]));
  // accept_ra is an option of the inet6 methods only.
  const inet6 = blocks.find((b) => b[0].includes(' inet6 '));
  if (inet6 && p.accept_ra !== null) inet6.push(`accept_ra ${p.accept_ra ? 1 : 0}`);
  if (dns.length > 0) {
    const first = blocks.find((b) => b[0].endsWith(' static'));
    first?.push(...dns);
  }
  return [`auto ${p.name}`, ...blocks.map((b) => [b[0], ...b.slice(1).map((l) => `    ${l}`)].join('\n'))];
}

/** The /etc/network/interfaces text. */
export function renderIfupdown(input: NetworkConfigInput): string {
  const plan = planNetwork(input);
  const masters = memberOf(plan);
  const parts = ['# Network configuration written by Plinth for the deployed machine.', '', 'auto lo\niface lo inet loopback'];
  for (const p of plan) parts.push('', stanzas(p, masters.get(p.name)).join('\n'));
  return `${parts.join('\n')}\n`;
}

/** udev rules naming each physical interface after its MAC address (ifupdown cannot rename). */
export function renderUdevNetRules(input: NetworkConfigInput): string {
  const plan = planNetwork(input).filter((p) => p.type === 'physical');
  const lines = plan.map((p) => `SUBSYSTEM=="net", ACTION=="add", DRIVERS=="?*", ATTR{address}=="${p.mac}", NAME="${p.name}"`);
  return `${lines.join('\n')}\n`;
}

/**
 * The lab's networks. Two namespaces of its own, each with a Linux bridge `br0` (STP off, forward
 * delay 0: a PXE client's first DHCP packets must not be dropped while a port "learns"):
 *
 *   <name>-prov  provisioning: the VMs' taps; IPv6 ULA on br0 and radvd sending router
 *                advertisements only (no DHCPv6, no default route), so iPXE's IPv6 autoconfiguration
 *                ends at once instead of after ~13 s; optionally 802.1Q VLAN filtering for a
 *                second, tagged provisioning network.
 *   <name>-bmc   BMC network: every BMC's address on br0, the ipmi_sim processes, and the QEMU
 *                processes themselves (their IPMI chardev reaches ipmi_sim on loopback).
 *
 * Each bridge is joined to the rack by a veth pair: `uplink` in the lab namespace, `<name>-rp` /
 * `<name>-rb` (plus `<name>-v<id>` for the VLAN) in the rack's namespace with the rack's addresses.
 * The rack sees ordinary interfaces. Nothing else of the host is changed.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { overlaps, parseCidr, ulaHost } from './cidr.ts';
import { LabError } from './errors.ts';
import { bridgeCmd, ip, ipBatch, linkNames, listNamespaces, nsExec, programPath } from './exec.ts';
import { namespacesOf } from './plan.ts';
import { isAlive, spawnDaemon, waitFor } from './procs.ts';
import { writeState } from './state.ts';
import type { LabState, NetworkPlan } from './types.ts';

const BRIDGE = 'br0';
const UPLINK = 'uplink';

/** Refuses to start if the rack's namespace already has links with the names the lab would use. */
export async function checkLinkNames(rackNs: string | null, name: string): Promise<void> {
  if (rackNs && !(await listNamespaces()).includes(rackNs)) return;
  const taken = (await linkNames(rackNs)).filter((l) => l.startsWith(`${name}-`));
  if (taken.length > 0) {
    throw new LabError(
      'bad_option',
      `${rackNs ? `Namespace ${rackNs}` : 'This namespace'} already has links named like lab ${name} (${taken.join(', ')}) ` +
        'but the lab is not up; they are not the lab\'s — remove them or choose another lab name.',
    );
  }
}

/** Refuses CIDRs that collide with an address or route already in the rack's namespace. */
export async function checkHostNetworks(rackNs: string | null, plan: NetworkPlan): Promise<void> {
  if (rackNs && !(await listNamespaces()).includes(rackNs)) return;
  const ours = [plan.provisioning.cidr, plan.bmc.cidr, ...(plan.vlan ? [plan.vlan.cidr] : [])];
  const addrs = await ip(rackNs, ['-o', '-4', 'addr', 'show'], { allowFail: true });
  const routes = await ip(rackNs, ['-4', 'route', 'show', 'table', 'all'], { allowFail: true });
  const found: Array<{ cidr: string; where: string }> = [];
  for (const line of addrs.stdout.split('\n')) {
    const m = /^\d+:\s+(\S+)\s+inet\s+([\d.]+)\/(\d+)/.exec(line);
    if (m) found.push({ cidr: `${m[2]}/${m[3]}`, where: `address on ${m[1]}` });
  }
  for (const line of routes.stdout.split('\n')) {
    const m = /^(?:(?:local|broadcast|unicast)\s+)?([\d.]+(?:\/\d+)?)\s/.exec(line);
    if (m) found.push({ cidr: m[1].includes('/') ? m[1] : `${m[1]}/32`, where: `route "${line.trim()}"` });
  }
  for (const mine of ours) {
    const net = parseCidr(mine, 'lab network');
    for (const f of found) {
      const [a, len] = f.cidr.split('/');
      const theirs = { base: parseCidr(`${a}/32`, 'host').base, prefix: Number(len) };
      if (theirs.prefix > 0 && overlaps(net, theirs)) {
        throw new LabError(
          'bad_option',
          `The lab network ${mine} overlaps ${f.cidr} (${f.where}) in ${rackNs ? `namespace ${rackNs}` : 'the host namespace'}; ` +
            'choose other ranges (network.provisioningCidr / bmcCidr / vlan.cidr) — the lab never touches existing networks.',
        );
      }
    }
  }
}

/**
 * Can this kernel build a tagged VLAN (802.1Q VLAN devices and bridge VLAN filtering)? Tried for
 * real in a throwaway namespace — the kernel loads the 8021q module on demand if it has one.
 */
export async function vlanSupport(probeNs: string): Promise<boolean> {
  await ip(null, ['netns', 'add', probeNs]);
  try {
    return await ipBatch(probeNs, ['link add pb0 type bridge vlan_filtering 1', 'link add link pb0 name pb0.2 type vlan id 2']).then(
      () => true,
      () => false,
    );
  } finally {
    await ip(null, ['netns', 'del', probeNs], { allowFail: true });
  }
}

async function addNamespace(state: LabState, name: string): Promise<void> {
  await ip(null, ['netns', 'add', name]);
  state.namespaces.push(name);
  writeState(state);
  // IPv6 on the lab's own bridges: no duplicate-address wait, and never autoconfigure from our own RAs.
  await nsExec(name, 'sysctl', ['-q', '-w', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0',
    'net.ipv6.conf.all.accept_ra=0', 'net.ipv6.conf.default.accept_ra=0']);
}

async function addUplink(state: LabState, labNs: string, rackLink: string): Promise<void> {
  const rack = state.rackNamespace;
  await ip(null, ['link', 'add', rackLink, ...(rack ? ['netns', rack] : []), 'type', 'veth', 'peer', 'name', UPLINK, 'netns', labNs]);
  state.links.push({ ns: rack, name: rackLink });
  writeState(state);
}

export function radvdConf(plan: NetworkPlan): string {
  const iface = (dev: string, prefix: string) =>
    [
      `interface ${dev} {`,
      '  AdvSendAdvert on;',
      '  MinRtrAdvInterval 3;',
      '  MaxRtrAdvInterval 10;',
      '  # Not a router: no default route for the guests, only an on-link prefix for SLAAC.',
      '  AdvDefaultLifetime 0;',
      `  prefix ${prefix} { AdvOnLink on; AdvAutonomous on; };`,
      '};',
    ].join('\n');
  const parts = [iface(BRIDGE, plan.ula)];
  if (plan.vlan) parts.push(iface(`${BRIDGE}.${plan.vlan.id}`, plan.vlan.ula));
  return `# radvd configuration of the lab's provisioning bridge (written by plinth lab)\n${parts.join('\n')}\n`;
}

/**
 * Creates namespaces, bridges, uplinks and addresses, journaling each in the state file as soon as
 * it exists (never before: a name that was already taken must not be recorded as the lab's). What
 * a crash leaves between creating and journaling, `down` finds by the lab's name prefix.
 */
export async function buildNetwork(state: LabState): Promise<void> {
  const plan = state.network;
  const ns = namespacesOf(state.name);
  const rack = state.rackNamespace;
  if (rack && !(await listNamespaces()).includes(rack)) {
    await ip(null, ['netns', 'add', rack]);
    state.ownsRackNamespace = true;
    state.namespaces.push(rack);
    writeState(state);
    await ip(rack, ['link', 'set', 'lo', 'up']);
  }
  await addNamespace(state, ns.provisioning);
  await addNamespace(state, ns.bmc);

  const vid = plan.vlan?.id;
  await ipBatch(ns.provisioning, [
    'link set lo up',
    `link add ${BRIDGE} type bridge stp_state 0 forward_delay 0${vid ? ' vlan_filtering 1' : ''}`,
    `addr add ${ulaHost(plan.ula, 1)}/64 dev ${BRIDGE} nodad`,
  ]);
  await addUplink(state, ns.provisioning, plan.rackLinks.provisioning);
  await ipBatch(ns.provisioning, [`link set ${UPLINK} master ${BRIDGE}`, `link set ${UPLINK} up`, `link set ${BRIDGE} up`]);
  await ipBatch(rack, [
    `addr add ${plan.provisioning.rackAddress}/${plan.provisioning.prefix} dev ${plan.rackLinks.provisioning}`,
    `link set ${plan.rackLinks.provisioning} up`,
  ]);
  if (plan.vlan && vid && plan.rackLinks.vlan) {
    // The uplink is a trunk (native VLAN 1 untagged + the VLAN tagged); br0 itself joins the VLAN so
    // radvd can advertise on it.
    await bridgeCmd(ns.provisioning, ['vlan', 'add', 'dev', UPLINK, 'vid', String(vid)]);
    await bridgeCmd(ns.provisioning, ['vlan', 'add', 'dev', BRIDGE, 'vid', String(vid), 'self']);
    await ipBatch(ns.provisioning, [
      `link add link ${BRIDGE} name ${BRIDGE}.${vid} type vlan id ${vid}`,
      `addr add ${ulaHost(plan.vlan.ula, 1)}/64 dev ${BRIDGE}.${vid} nodad`,
      `link set ${BRIDGE}.${vid} up`,
    ]);
    await ip(rack, ['link', 'add', 'link', plan.rackLinks.provisioning, 'name', plan.rackLinks.vlan, 'type', 'vlan', 'id', String(vid)]);
    state.links.push({ ns: rack, name: plan.rackLinks.vlan });
    writeState(state);
    await ipBatch(rack, [
      `addr add ${plan.vlan.rackAddress}/${plan.vlan.prefix} dev ${plan.rackLinks.vlan}`,
      `link set ${plan.rackLinks.vlan} up`,
    ]);
  }

  await ipBatch(ns.bmc, [
    'link set lo up',
    `link add ${BRIDGE} type bridge stp_state 0 forward_delay 0`,
    ...state.machines.map((m) => `addr add ${m.bmc.address}/${plan.bmc.prefix} dev ${BRIDGE}`),
  ]);
  await addUplink(state, ns.bmc, plan.rackLinks.bmc);
  await ipBatch(ns.bmc, [`link set ${UPLINK} master ${BRIDGE}`, `link set ${UPLINK} up`, `link set ${BRIDGE} up`]);
  await ipBatch(rack, [
    `addr add ${plan.bmc.rackAddress}/${plan.bmc.prefix} dev ${plan.rackLinks.bmc}`,
    `link set ${plan.rackLinks.bmc} up`,
  ]);
}

/** Starts radvd in the provisioning namespace; returns its PID. */
export async function startRadvd(state: LabState): Promise<number> {
  const dir = join(state.stateDir, 'net');
  const conf = join(dir, 'radvd.conf');
  const log = join(dir, 'radvd.log');
  writeFileSync(conf, radvdConf(state.network));
  const ns = namespacesOf(state.name).provisioning;
  const pid = await spawnDaemon('ip', ['netns', 'exec', ns, programPath('radvd'), '-n', '-C', conf, '-p', join(dir, 'radvd.pid'), '-m', 'logfile', '-l', log], log);
  state.processes.push({ role: 'radvd', pid });
  writeState(state);
  // radvd checks its configuration first and exits at once if it is wrong.
  await waitFor(() => !isAlive(pid), 300);
  if (!isAlive(pid)) throw new LabError('command_failed', `radvd did not start (see ${log}).`);
  return pid;
}

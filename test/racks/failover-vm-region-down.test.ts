/**
 * DHCP failover with neither the primary nor the region: the topology of failover-vm.test.ts (two
 * `plinth rack run` processes in their own namespaces, A primary and B secondary of the VLAN, the
 * region in this process, a BIOS QEMU VM whose iPXE ROM network-boots), but the region's rack
 * endpoint is closed before A dies, so nobody tells B that the primary is gone. B's standby subnet
 * must take over for the VM on its own (src/edges/rack/dhcp/standby.ts: iPXE's second DISCOVER
 * carries secs 8).
 *
 * 1. The VM PXE-boots through A (lease from A's half; B learns it through the region's push).
 * 2. B answers one request for the VM's boot script while the region is up, so its link cache holds
 *    the region's answer for that machine — as a rack that has booted the machine before does; a
 *    rack cannot render a machine's boot script with the region down without one.
 * 3. The region's rack endpoint is closed (both racks lose their link; no takeover is pushed), then
 *    A is SIGKILLed and the VM reset.
 * 4. B (still in standby: it never logs the region's takeover) logs its own takeover for the VM,
 *    which gets an address from B's half and fetches ipxe.cfg and the kernel from B.
 * The "kernel" is random bytes: the fetch over HTTP, not a Linux boot, is the evidence. Needs root,
 * ip netns, unshare and QEMU with iPXE ROMs.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { netnsUnavailable, run } from '../dhcp/helpers/netns.ts';
import { until } from '../link/helpers.ts';
import { Cleanups, failoverConfigured, startFailoverRacks, stop, topology } from './helpers/two-racks.ts';
import { addImage, escapeRe as escape, fetched, startRouterAdverts, startVm, vmUnavailable } from './helpers/vm.ts';

const unavailable = (await vmUnavailable()) ?? (await netnsUnavailable());
const topo = topology('pfr');
const NET = topo.net;
const [A_IP, B_IP] = [`${NET}.1`, `${NET}.2`];
const hex = (n: number) => (n & 0xff).toString(16).padStart(2, '0');
const MAC = `52:54:00:fb:${hex(process.pid >> 8)}:${hex(process.pid)}`;
const SERIES = 'bookworm';
const KERNEL = `ephemeral/amd64/${SERIES}/boot-kernel`;
const INITRD = `ephemeral/amd64/${SERIES}/boot-initrd`;

const cleanups = new Cleanups();
after(() => cleanups.run());

const hostPart = (ip: string) => Number(ip.split('.')[3]);

interface LeaseRow { ip: string; mac: string; rack: string | null }

test('failover with a VM, region down: B takes over for the VM on its own and it boots through B', { skip: unavailable ?? false, timeout: 180_000 }, async () => {
  const t0 = Date.now();
  const dir = await mkdtemp(join(tmpdir(), 'plinth-failover-vm-rd-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const kernel = randomBytes(96 * 1024);
  const initrd = randomBytes(16 * 1024);
  const { region, rackA, rackB, a } = await startFailoverRacks(topo, dir, cleanups, async (dataDir) => {
    await addImage(dataDir, KERNEL, kernel);
    await addImage(dataDir, INITRD, initrd);
  });
  const machine = await region.api('POST', 'machines/', [['architecture', 'amd64/generic'], ['mac_addresses', MAC], ['hostname', 'vm-region-down'], ['power_type', 'manual']]);
  assert.equal(machine.status, 200, machine.text);
  const leases = (where: string, args: unknown[]) => region.svc.db.query<LeaseRow>(`select ip, mac, rack from dhcp_leases where ${where} order by ip`, args);
  const tRacks = Date.now();

  // Both racks serve the VLAN before the VM's first DISCOVER (else B may rightly answer it: A did not).
  await until(async () => await failoverConfigured(rackA.dataDir) && await failoverConfigured(rackB.dataDir), 10_000, 'both racks have the failover VLAN');
  const adverts = await startRouterAdverts(topo.ns.br, 'br0', dir, cleanups);
  const vm = await startVm({ ns: topo.ns.br, bridge: 'br0', tap: 'tap0', mac: MAC, dir }, cleanups);
  const context = async () => `\nVM console:\n${vm.console().slice(-3000)}\nrack A:\n${rackA.log().slice(-3000)}\nrack B:\n${rackB.log().slice(-4000)}\nregion leases: ${JSON.stringify(await leases('true', []))}`;
  const waitFor = (check: () => boolean | Promise<boolean>, ms: number, what: string) =>
    until(check, ms, what).catch(async (err: Error) => { throw new Error(`${err.message}${await context()}`); });

  // 1. Through A, with the region up. iPXE retransmits its DISCOVER while it waits for ProxyDHCP
  // offers (secs 8|2: it holds A's offer): B, on standby, must not answer it.
  await waitFor(() => fetched(A_IP, `images/${KERNEL}`).test(vm.console()), 60_000, 'the VM fetched its kernel from rack A');
  assert.match(vm.console(), new RegExp(`Next server: ${escape(A_IP)}\n`), 'A answered the DHCP request');
  assert.doesNotMatch(vm.console(), new RegExp(`http://${escape(B_IP)}`), 'nothing came from B while A lives');
  assert.doesNotMatch(rackB.log(), /DHCP standby taking over/, 'B did not take over while A lives');
  await waitFor(async () => (await leases('mac = $1', [MAC])).length === 1, 10_000, 'A reported the VM\'s lease');
  const [first] = await leases('mac = $1', [MAC]);
  assert.equal(first.rack, a, 'the lease is A\'s');
  assert.ok(hostPart(first.ip) >= 100 && hostPart(first.ip) <= 149, `${first.ip} in the primary's half`);
  const tFirstBoot = Date.now();

  // 2. B answers the VM's boot-script request once while the region is up (its link caches the answer).
  const script = await run('ip', ['netns', 'exec', topo.ns.br, 'curl', '-sf', '--max-time', '10', `http://${B_IP}:5248/ipxe.cfg-${MAC}?platform=pcbios`]);
  assert.equal(script.code, 0, `B served the VM's boot script: ${script.stderr}`);
  assert.match(script.stdout, new RegExp(`http://${escape(B_IP)}:5248/images/${escape(KERNEL)}`), 'pointing at B\'s images');

  // 3. The region becomes unreachable for the racks, then A dies: no takeover can be pushed.
  await region.closeLinks();
  await waitFor(() => /region link down; serving from cache/.test(rackB.log()), 20_000, 'B lost its region link');
  await stop(rackA.child, 'SIGKILL');
  const before = vm.console().length;
  const tReset = Date.now();
  await vm.reset();

  // 4. B takes over for the VM on its own: an address from B's half; ipxe.cfg and the kernel from B.
  const since = () => vm.console().slice(before);
  await waitFor(() => fetched(B_IP, `images/${KERNEL}`).test(since()), 90_000, 'the VM fetched its kernel from rack B after the reset');
  const tSecondBoot = Date.now();
  assert.match(since(), new RegExp(`Next server: ${escape(B_IP)}\n`), 'B answered the DHCP request');
  assert.match(since(), fetched(B_IP, 'ipxe.cfg'), 'DHCP pointed iPXE at B\'s ipxe.cfg');
  const got = new RegExp(`net0: (${escape(NET)}\\.\\d+)/`).exec(since())?.[1];
  assert.ok(got, 'iPXE configured an address');
  assert.ok(hostPart(got) >= 150 && hostPart(got) <= 199, `${got} in the secondary's half`);
  assert.doesNotMatch(since(), new RegExp(`http://${escape(A_IP)}`), 'nothing was asked of the dead A');
  assert.match(rackB.log(), /DHCP standby taking over for a client the primary is not answering/, 'B logged its own takeover');
  assert.match(rackB.log(), new RegExp(`"mac":"${escape(MAC)}"`), 'naming the VM');
  assert.doesNotMatch(rackB.log(), /taking over DHCP as secondary/, 'the region never told B to take over');
  const notice = rackB.log().split('\n').find((l) => l.includes('DHCP standby taking over'));

  console.log(`# timings (ms): region+racks ${tRacks - t0}, VM start → kernel from A ${tFirstBoot - tRacks}, ` +
    `reset → kernel from B ${tSecondBoot - tReset}, total ${Date.now() - t0}${adverts ? '' : ' (no radvd: iPXE waited for IPv6 router adverts)'}\n# B: ${notice}`);
});

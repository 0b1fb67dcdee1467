/**
 * DHCP failover with a real network-booting machine: the two-rack topology of
 * failover-netns.test.ts (helpers/two-racks.ts: two `plinth rack run` processes in their own
 * namespaces, A primary and B secondary of the VLAN, the region in this process) plus a BIOS QEMU VM
 * (TCG; the iPXE ROM of its virtio NIC does the network boot) on a tap in the bridge's namespace.
 * The VM is a machine the region knows (created through the API, status New: it boots the
 * commissioning environment), and each rack's images directory holds a small kernel and initrd.
 *
 * 1. The VM PXE-boots through A: its lease is from A's half (the region's lease table says A), and
 *    its console shows iPXE fetching the kernel from A's HTTP boot server.
 * 2. A is SIGKILLed; the region pushes the takeover to B (B logs it); the VM is reset.
 * 3. B answers the VM's DISCOVER/REQUEST with the SAME address, nobody else holds it, and the VM's
 *    iPXE fetches ipxe.cfg and the kernel from B.
 * The "kernel" is random bytes, so iPXE stops after fetching it (it is not an executable): the fetch
 * over HTTP, not a Linux boot, is the evidence. Needs root, ip netns, unshare and QEMU with iPXE ROMs.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { netnsUnavailable } from '../dhcp/helpers/netns.ts';
import { until } from '../link/helpers.ts';
import { Cleanups, failoverConfigured, startFailoverRacks, stop, topology } from './helpers/two-racks.ts';
import { addImage, escapeRe as escape, fetched, startRouterAdverts, startVm, vmUnavailable } from './helpers/vm.ts';

const unavailable = (await vmUnavailable()) ?? (await netnsUnavailable());
const topo = topology('pfv');
const NET = topo.net;
const [A_IP, B_IP] = [`${NET}.1`, `${NET}.2`];
const hex = (n: number) => (n & 0xff).toString(16).padStart(2, '0');
const MAC = `52:54:00:fa:${hex(process.pid >> 8)}:${hex(process.pid)}`;
const SERIES = 'bookworm';
const KERNEL = `ephemeral/amd64/${SERIES}/boot-kernel`;
const INITRD = `ephemeral/amd64/${SERIES}/boot-initrd`;

const cleanups = new Cleanups();
after(() => cleanups.run());


interface LeaseRow { ip: string; mac: string; rack: string | null }
/** A record of a rack's lease journal (src/edges/rack/dhcp/lease-file-store.ts). */
interface JournalLease { ip: string; mac: string; state: string; learned?: boolean }

test('failover with a VM: PXE through the primary; kill it; after a reset the VM keeps its address and boots through the secondary', { skip: unavailable ?? false, timeout: 180_000 }, async () => {
  const t0 = Date.now();
  const dir = await mkdtemp(join(tmpdir(), 'plinth-failover-vm-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const kernel = randomBytes(96 * 1024);
  const initrd = randomBytes(16 * 1024);
  const { region, rackA, rackB, a, b } = await startFailoverRacks(topo, dir, cleanups, async (dataDir) => {
    await addImage(dataDir, KERNEL, kernel);
    await addImage(dataDir, INITRD, initrd);
  });
  const machine = await region.api('POST', 'machines/', [['architecture', 'amd64/generic'], ['mac_addresses', MAC], ['hostname', 'vm-failover'], ['power_type', 'manual']]);
  assert.equal(machine.status, 200, machine.text);
  // Manual power: the region starts commissioning at once; either way the machine network-boots.
  assert.ok(['New', 'Commissioning'].includes(machine.json().status_name), machine.text);
  const leases = (where: string, args: unknown[]) => region.svc.db.query<LeaseRow>(`select ip, mac, rack from dhcp_leases where ${where} order by ip`, args);
  const tRacks = Date.now();

  const adverts = await startRouterAdverts(topo.ns.br, 'br0', dir, cleanups);
  // Both racks serve the VLAN before the VM's first DISCOVER (else B may rightly answer it: A did not).
  await until(async () => await failoverConfigured(rackA.dataDir) && await failoverConfigured(rackB.dataDir), 10_000, 'both racks have the failover VLAN');
  const vm = await startVm({ ns: topo.ns.br, bridge: 'br0', tap: 'tap0', mac: MAC, dir }, cleanups);
  const context = async () => `\nVM console:\n${vm.console().slice(-3000)}\nrack A:\n${rackA.log().slice(-3000)}\nrack B:\n${rackB.log().slice(-3000)}\nregion leases: ${JSON.stringify(await leases('true', []))}`;
  const waitFor = (check: () => boolean | Promise<boolean>, ms: number, what: string) =>
    until(check, ms, what).catch(async (err: Error) => { throw new Error(`${err.message}${await context()}`); });

  // 1. Through A: the lease from A's half, reported to the region as A's; the kernel over HTTP from A.
  await waitFor(() => fetched(A_IP, `images/${KERNEL}`).test(vm.console()), 60_000, 'the VM fetched its kernel from rack A');
  const tFirstBoot = Date.now();
  assert.match(vm.console(), new RegExp(`Next server: ${escape(A_IP)}\n`), 'A answered the DHCP request');
  assert.match(vm.console(), fetched(A_IP, 'ipxe.cfg'), 'DHCP pointed iPXE at A\'s ipxe.cfg');
  assert.doesNotMatch(vm.console(), new RegExp(`http://${escape(B_IP)}`), 'nothing came from B while A lives');
  await waitFor(async () => (await leases('mac = $1', [MAC])).length === 1, 10_000, 'A reported the VM\'s lease');
  const [first] = await leases('mac = $1', [MAC]);
  assert.equal(first.rack, a, 'the lease is A\'s');
  const host = Number(first.ip.split('.')[3]);
  assert.ok(first.ip.startsWith(`${NET}.`) && host >= 100 && host <= 149, `${first.ip} in the primary's half`);
  // B has been pushed A's lease (it is in B's own lease journal) before A dies.
  const bJournal = join(rackB.dataDir, 'dhcp-leases.jsonl');
  await waitFor(async () => (await readFile(bJournal, 'utf8').catch(() => '')).includes(`"ip":"${first.ip}"`), 10_000, 'B learned the VM\'s lease');

  // 2. Kill A; the region tells B to take over.
  const killedAt = Date.now();
  await stop(rackA.child, 'SIGKILL');
  await waitFor(() => /taking over DHCP as secondary/.test(rackB.log()), 20_000, 'B took over');
  const tTakeover = Date.now();
  const before = vm.console().length;
  await vm.reset();

  // 3. Through B: the same address, and the kernel over HTTP from B.
  const since = () => vm.console().slice(before);
  await waitFor(() => fetched(B_IP, `images/${KERNEL}`).test(since()), 60_000, 'the VM fetched its kernel from rack B after the reset');
  const tSecondBoot = Date.now();
  assert.match(since(), new RegExp(`Next server: ${escape(B_IP)}\n`), 'B answered the DHCP request');
  assert.match(since(), fetched(B_IP, 'ipxe.cfg'), 'DHCP pointed iPXE at B\'s ipxe.cfg');
  assert.match(since(), new RegExp(`net0: ${escape(first.ip)}/`), `iPXE configured ${first.ip} again`);
  assert.doesNotMatch(since(), new RegExp(`http://${escape(A_IP)}`), 'nothing was asked of the dead A');
  await waitFor(async () => (await leases('mac = $1', [MAC]))[0]?.rack === b, 10_000, 'B reported the VM\'s lease');
  const mine = await leases('mac = $1', [MAC]);
  assert.deepEqual(mine, [{ ip: first.ip, mac: MAC, rack: b }], 'one lease for the VM: the same address, now B\'s');
  assert.deepEqual(await leases('ip = $1 and mac <> $2', [first.ip, MAC]), [], 'no other client holds that address');
  // B's own journal: every binding of that address was to the VM.
  const bound = (await readFile(bJournal, 'utf8')).split('\n').filter(Boolean)
    .map((l) => JSON.parse(l) as { put?: JournalLease }).map((r) => r.put)
    .filter((p): p is JournalLease => p?.ip === first.ip && p.state === 'bound');
  assert.ok(bound.some((p) => !p.learned), `B granted ${first.ip} itself: ${JSON.stringify(bound)}`);
  assert.ok(bound.every((p) => p.mac === MAC), `B bound ${first.ip} only to the VM: ${JSON.stringify(bound)}`);

  console.log(`# timings (ms): region+racks ${tRacks - t0}, VM start → kernel from A ${tFirstBoot - tRacks}, ` +
    `kill A → B took over ${tTakeover - killedAt}, reset → kernel from B ${tSecondBoot - tTakeover}, total ${Date.now() - t0}${adverts ? '' : ' (no radvd: iPXE waited for IPv6 router adverts)'}`);
});

/**
 * bench/lifecycle.ts — enlist → Deployed wall time per lab VM, for 1, 4 and 8 concurrent VMs, split
 * into Plinth's own time and the VM's.
 *
 * Each round starts a lab (QEMU machines with emulated BMCs; TCG where KVM is unusable) and a real
 * Plinth in this process (region on the embedded store + its rack: DHCP, TFTP, HTTP boot, metadata,
 * workflows), turns DHCP on, powers every VM on by its BMC, and drives each through the API: enlist
 * (→ New, BMC discovered) → commission (→ Ready) → deploy Debian 12 (→ Deployed).
 *
 * Plinth's share: everything Plinth does for the machines runs in this process (the embedded store
 * too), so the CPU time this process used during the round, divided by the number of VMs, bounds
 * from above the time a VM spent waiting on Plinth's work (API, workflows, DHCP/TFTP/HTTP serving,
 * metadata, the store). Plinth's other waits are timers: the API polling interval here is the bench's
 * own, and workflow steps are woken by events, not polled. The VM's share is the rest: firmware,
 * kernel boot, the environment's scripts, disk writes — all slowed alike by software emulation.
 * The lab's own helpers (ipmi_sim, its chassis-control program, QEMU) run in other processes and do
 * not count as Plinth's.
 *
 * Needs root, QEMU and the images (`plinth images build`; built here when missing, cached in
 * .cache/images). Slow under TCG on 2 cores: one VM takes ~10–20 min; 8 VMs much longer.
 * Run: npx tsx bench/lifecycle.ts [--vms 1,4,8] [--firmware bios|uefi] [--memory MiB] [--timeout-min 90]
 */
import { ensureImages, startLab, startPlinth, until, type Api } from '../test/e2e/harness.ts';
import { dhcpOn, enlistByBmc, waitStatus } from '../test/e2e/steps.ts';
import type { LabStatus } from '../src/edges/lab/index.ts';

const arg = (name: string, def: string) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] : def; };
const ROUNDS = arg('vms', '1,4,8').split(',').map(Number).filter((n) => n > 0);
const FIRMWARE = arg('firmware', 'bios') as 'bios' | 'uefi';
const MEMORY = Number(arg('memory', '1536'));
const TIMEOUT_MS = Number(arg('timeout-min', '90')) * 60_000;

interface VmTimes { name: string; enlisted: number; ready: number; deployed: number; total: number }
interface Round { vms: number; wallS: number; plinthCpuS: number; perVm: VmTimes[] }

const cpuSeconds = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };
const say = (s: string) => process.stderr.write(`${s}\n`);

/** One VM's life: power on by its BMC → New → commission → Ready → deploy → Deployed. */
async function life(api: Api, lab: LabStatus, i: number, t0: number): Promise<VmTimes> {
  const vm = lab.machines[i];
  const sid = await enlistByBmc(api, lab, i, () => {}, TIMEOUT_MS);
  const enlisted = (Date.now() - t0) / 1000;
  // The enlistment environment powers itself off; commissioning powers it on again through the BMC.
  const c = await api('POST', `machines/${sid}/?op=commission`);
  if (c.status !== 200) throw new Error(`commission ${vm.name}: ${c.status} ${c.text}`);
  await waitStatus(api, sid, 'Ready', TIMEOUT_MS);
  const ready = (Date.now() - t0) / 1000;
  const d = await api('POST', `machines/${sid}/?op=deploy`, [['osystem', 'debian'], ['distro_series', 'bookworm']]);
  if (d.status !== 200) throw new Error(`deploy ${vm.name}: ${d.status} ${d.text}`);
  await waitStatus(api, sid, 'Deployed', TIMEOUT_MS);
  const deployed = (Date.now() - t0) / 1000;
  return { name: vm.name, enlisted, ready, deployed, total: deployed };
}

async function round(vms: number): Promise<Round> {
  const lab = await startLab({ machines: vms, firmware: FIRMWARE, memoryMiB: MEMORY });
  const plinth = await startPlinth();
  try {
    const d = await dhcpOn(plinth.api, lab.status, { dynamic: [100, 254], reserved: [1, 10] });
    plinth.region.dhcpPush.nudge();
    await until('the rack to serve the subnet', async () => plinth.rack.services.rackAddressFor(`${d.prefix}.100`) !== null, 20_000, 250);
    const cpu0 = cpuSeconds();
    const t0 = Date.now();
    const perVm = await Promise.all(Array.from({ length: vms }, (_, i) => life(plinth.api, lab.status, i, t0)));
    const r: Round = { vms, wallS: (Date.now() - t0) / 1000, plinthCpuS: cpuSeconds() - cpu0, perVm };
    for (const v of perVm) say(`  ${v.name}: New ${v.enlisted.toFixed(0)} s, Ready ${v.ready.toFixed(0)} s, Deployed ${v.deployed.toFixed(0)} s`);
    return r;
  } finally {
    await plinth.close();
    await lab.close();
  }
}

if (process.getuid?.() !== 0) { say('bench/lifecycle.ts needs root (namespaces, bridges, taps, ports 67/69)'); process.exit(2); }
const images = await ensureImages((l) => say(`  [images] ${l}`));
say(`images: ${JSON.stringify(images)}`);
const rounds: Round[] = [];
for (const n of ROUNDS) {
  say(`round: ${n} VM(s), ${FIRMWARE}, ${MEMORY} MiB`);
  const r = await round(n);
  rounds.push(r);
  const meanTotal = r.perVm.reduce((a, v) => a + v.total, 0) / n;
  const plinthPerVm = r.plinthCpuS / n;
  say(`  wall ${r.wallS.toFixed(0)} s; mean enlist→Deployed ${meanTotal.toFixed(0)} s per VM; Plinth CPU ${r.plinthCpuS.toFixed(1)} s ` +
    `(${plinthPerVm.toFixed(1)} s per VM = ${(100 * plinthPerVm / meanTotal).toFixed(2)} % of the cycle); VM ${(meanTotal - plinthPerVm).toFixed(0)} s`);
}
console.log(`lifecycle (${FIRMWARE}): ` + rounds.map((r) => {
  const mean = r.perVm.reduce((a, v) => a + v.total, 0) / r.vms;
  return `${r.vms} VM: ${mean.toFixed(0)} s/VM, Plinth ${(r.plinthCpuS / r.vms).toFixed(1)} s (${(100 * r.plinthCpuS / r.vms / mean).toFixed(2)} %)`;
}).join('; '));

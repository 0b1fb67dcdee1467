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
import { ensureImages, startLab, startPlinth, StopWaiting, until, type Api } from '../test/e2e/harness.ts';
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

async function machineBy(api: Api, mac: string): Promise<any | undefined> {
  return (await api('GET', `machines/?mac_address=${mac}`)).json()[0];
}

async function statusIs(api: Api, sid: string, want: string): Promise<boolean> {
  const m = (await api('GET', `machines/${sid}/`)).json();
  if (/^Failed/.test(m.status_name)) throw new StopWaiting(`${sid}: ${m.status_name}: ${m.status_message}`);
  return m.status_name === want;
}

async function turnDhcpOn(api: Api, lab: LabStatus, rackIface: string, nudge: () => void) {
  const { rack, subnet } = await until('the rack and its subnet', async () => {
    const r = (await api('GET', 'rackcontrollers/')).json().find((x: any) => x.interface_set.some((i: any) => i.name === rackIface));
    const s = (await api('GET', 'subnets/')).json().find((x: any) => x.cidr === lab.network.provisioning.cidr);
    return r && s ? { rack: r, subnet: s } : null;
  }, 60_000, 500);
  const prefix = lab.network.provisioning.cidr.split('.').slice(0, 3).join('.');
  for (const [type, a, b] of [['dynamic', 100, 254], ['reserved', 1, 10]] as const) {
    await api('POST', 'ipranges/', [['subnet', String(subnet.id)], ['type', type], ['start_ip', `${prefix}.${a}`], ['end_ip', `${prefix}.${b}`]]);
  }
  await api('POST', 'maas/?op=set_config', [['name', 'kernel_opts'], ['value', 'console=tty0 console=ttyS0,115200']]);
  await api('PUT', `vlans/${subnet.vlan.id}/`, [['dhcp_on', 'true'], ['primary_rack', rack.system_id]]);
  nudge();
}

/** One VM's life: power on by its BMC → New → commission → Ready → deploy → Deployed. */
async function life(api: Api, lab: LabStatus, i: number, t0: number, bmcPowerOn: (i: number) => Promise<void>): Promise<VmTimes> {
  const vm = lab.machines[i];
  await bmcPowerOn(i);
  const m = await until(`${vm.name} enlisted as New`, async () => {
    const x = await machineBy(api, vm.macs[0]);
    if (x && /^Failed/.test(x.status_name)) throw new StopWaiting(`${vm.name}: ${x.status_name}`);
    if (x?.status_name !== 'New' || x.power_type !== 'ipmi') return null;
    // New is seen twice: right after enlisting, and when the self-commissioning that follows settles.
    const ev = (await api('GET', `events/?op=query&id=${x.system_id}&limit=100`)).json();
    return (ev.events ?? []).some((e: any) => e.type === 'Commissioning finished') && x;
  }, TIMEOUT_MS, 3000);
  const enlisted = (Date.now() - t0) / 1000;
  const sid = m.system_id as string;
  // The enlistment environment powers itself off; commissioning powers it on again through the BMC.
  const c = await api('POST', `machines/${sid}/?op=commission`);
  if (c.status !== 200) throw new Error(`commission ${vm.name}: ${c.status} ${c.text}`);
  await until(`${vm.name} Ready`, () => statusIs(api, sid, 'Ready'), TIMEOUT_MS, 3000);
  const ready = (Date.now() - t0) / 1000;
  const d = await api('POST', `machines/${sid}/?op=deploy`, [['osystem', 'debian'], ['distro_series', 'bookworm']]);
  if (d.status !== 200) throw new Error(`deploy ${vm.name}: ${d.status} ${d.text}`);
  await until(`${vm.name} Deployed`, () => statusIs(api, sid, 'Deployed'), TIMEOUT_MS, 3000);
  const deployed = (Date.now() - t0) / 1000;
  return { name: vm.name, enlisted, ready, deployed, total: deployed };
}

async function round(vms: number): Promise<Round> {
  const lab = await startLab({ machines: vms, firmware: FIRMWARE, memoryMiB: MEMORY });
  const plinth = await startPlinth();
  try {
    await turnDhcpOn(plinth.api, lab.status, `${lab.status.name}-rp`, () => plinth.region.dhcpPush.nudge());
    const { execFile } = await import('node:child_process');
    const { promisify } = await import('node:util');
    const run = promisify(execFile);
    const powerOn = async (i: number) => {
      const b = lab.status.machines[i].bmc;
      const base = ['-I', 'lanplus', '-H', b.address, '-U', b.user, '-P', b.password, '-C', '3'];
      await run('ipmitool', [...base, 'chassis', 'bootdev', 'pxe']);
      await run('ipmitool', [...base, 'chassis', 'power', 'on']);
    };
    const cpu0 = cpuSeconds();
    const t0 = Date.now();
    const perVm = await Promise.all(Array.from({ length: vms }, (_, i) => life(plinth.api, lab.status, i, t0, powerOn)));
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

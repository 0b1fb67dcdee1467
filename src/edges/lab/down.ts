/**
 * Tearing a lab down — idempotent, and thorough after a crash: besides what the state file lists it
 * finds leftovers by the lab's name prefix (namespaces, links) and by the state directory's path in
 * process command lines (QEMU, ipmi_sim, radvd, chassis-control), and every process inside the
 * lab's namespaces. PIDs from the state file are only signalled after checking they still belong
 * to the lab (PIDs are reused).
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ip, linkNames, listNamespaces } from './exec.ts';
import { canonicalDir, labNameFor, namespacesOf } from './plan.ts';
import { cmdline, isAlive, isOurs, pidsMentioning, terminate, waitFor } from './procs.ts';
import { readMachine, readQemuPid, readState, stateFile } from './state.ts';
import type { LabState, MachineSpec } from './types.ts';

export interface DownReport {
  name: string;
  /** PIDs that were running and are now gone. */
  stopped: number[];
  namespacesRemoved: string[];
  linksRemoved: string[];
  /** Anything that could not be removed (empty when all went well). */
  leftovers: string[];
}

function machinesOnDisk(stateDir: string): MachineSpec[] {
  const dir = join(stateDir, 'vms');
  if (!existsSync(dir)) return [];
  const out: MachineSpec[] = [];
  for (const entry of readdirSync(dir)) {
    try {
      out.push(readMachine(join(dir, entry)));
    } catch {
      // half-written machine directory: its processes are found by path below
    }
  }
  return out;
}

const LAB_PROGRAMS = new Set(['qemu-system-x86_64', 'ipmi_sim', 'radvd']);

/** Live processes of the lab by command line: its daemons and chassis-control runs naming stateDir. */
function labProcesses(stateDir: string): number[] {
  const needle = `${stateDir}/`;
  return pidsMentioning(needle).filter((pid) => {
    const argv = cmdline(pid) ?? [];
    const prog = basename(argv[0] ?? '');
    return LAB_PROGRAMS.has(prog) || argv.some((a) => a.endsWith('/chassis-control.ts'));
  });
}

async function nsPids(ns: string): Promise<number[]> {
  const r = await ip(null, ['netns', 'pids', ns], { allowFail: true });
  return r.stdout.split('\n').map(Number).filter((n) => Number.isInteger(n) && n > 0);
}

export interface DownOptions {
  /** Keep state.json, disks and logs in the state directory (default: remove them). */
  keepFiles?: boolean;
}

export async function labDown(stateDirIn: string, opts: DownOptions = {}): Promise<DownReport> {
  const stateDir = canonicalDir(stateDirIn);
  const state: LabState | null = readState(stateDir);
  const machines = state?.machines ?? machinesOnDisk(stateDir);
  const name = state?.name ?? machines[0]?.lab ?? labNameFor(stateDir);
  const prefix = `${name}-`;
  const rackNs = state?.rackNamespace ?? null;
  const own = namespacesOf(name);

  const allNs = await listNamespaces();
  const labNs = [...new Set([...(state?.namespaces ?? []), ...allNs.filter((n) => n.startsWith(prefix))])];
  // Processes inside the lab's own namespaces are the lab's; a rack namespace may hold the caller's.
  const inside = (await Promise.all(labNs.filter((n) => n === own.provisioning || n === own.bmc).map(nsPids))).flat();

  const qemu = machines.map((m) => readQemuPid(m)).filter((p): p is number => p !== null && isOurs(p, `${stateDir}/`));
  const recorded = (state?.processes ?? []).map((p) => p.pid).filter((p) => isOurs(p, `${stateDir}/`));
  const pids = [...new Set([...qemu, ...recorded, ...labProcesses(stateDir), ...inside])].filter((p) => p !== process.pid && isAlive(p));
  // QEMU first (SIGTERM makes it exit cleanly), so ipmi_sim cannot restart it through a late command.
  const first = pids.filter((p) => qemu.includes(p));
  await Promise.all(first.map((p) => terminate(p, 3000)));
  await Promise.all(pids.filter((p) => !first.includes(p)).map((p) => terminate(p, 2000)));
  const stopped = pids.filter((p) => !isAlive(p));

  // The rack's namespace may itself be the lab's (then it goes with the other namespaces).
  const scopes: Array<string | null> = [null, ...(rackNs && !labNs.includes(rackNs) ? [rackNs] : [])];
  const ourLinks = async () => {
    const found: Array<{ ns: string | null; name: string }> = [];
    const present = await listNamespaces();
    for (const ns of scopes) {
      if (ns && !present.includes(ns)) continue;
      for (const l of await linkNames(ns)) if (l.startsWith(prefix)) found.push({ ns, name: l });
    }
    return found;
  };
  const initialLinks = await ourLinks();

  const namespacesRemoved: string[] = [];
  for (const ns of labNs) {
    if (!allNs.includes(ns)) continue;
    const r = await ip(null, ['netns', 'del', ns], { allowFail: true });
    if (r.code === 0) namespacesRemoved.push(ns);
  }

  // Deleting a namespace destroys its veth ends and with them the peers in the rack's namespace;
  // the kernel does that asynchronously, so wait a little before deleting stragglers by hand.
  await waitFor(async () => (await ourLinks()).length === 0, 3000, 100);
  for (const l of await ourLinks()) await ip(l.ns, ['link', 'del', l.name], { allowFail: true });
  const remaining = await ourLinks();
  const linksRemoved = initialLinks.filter((b) => !remaining.some((r) => r.ns === b.ns && r.name === b.name)).map((l) => l.name);

  const leftovers = [
    ...pids.filter((p) => isAlive(p)).map((p) => `process ${p}`),
    ...(await listNamespaces()).filter((n) => labNs.includes(n) || n.startsWith(prefix)).map((n) => `namespace ${n}`),
    ...remaining.map((l) => `link ${l.name}${l.ns ? ` in ${l.ns}` : ''}`),
  ];

  if (!opts.keepFiles) {
    rmSync(stateFile(stateDir), { force: true });
    rmSync(join(stateDir, 'vms'), { recursive: true, force: true });
    rmSync(join(stateDir, 'net'), { recursive: true, force: true });
  }
  return { name, stopped, namespacesRemoved, linksRemoved, leftovers };
}

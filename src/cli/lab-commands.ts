/** `plinth lab up|status|console|down`: the virtual datacenter of docs/lab.md. */
import { join } from 'node:path';
import type { Command } from 'commander';
import { LabError, labConsole, labDown, labStatus, labUp, type FirmwareChoice, type LabStatus } from '../edges/lab/index.ts';
import { resolveDataDir } from '../app/region.ts';

const stateDirOf = (o: { stateDir?: string; dataDir?: string }) => o.stateDir ?? join(resolveDataDir(o.dataDir), 'lab');
const int = (v: string) => {
  if (!/^\d+$/.test(v)) throw new Error(`not a whole number: ${v}`);
  return Number(v);
};

function printStatus(s: LabStatus) {
  process.stdout.write(`${JSON.stringify(s, null, 2)}\n`);
}

async function guarded(fn: () => Promise<void>) {
  try {
    await fn();
  } catch (err) {
    if (err instanceof LabError) {
      process.stderr.write(`plinth lab: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

export function registerLabCommands(program: Command) {
  const lab = program.command('lab').description('a virtual datacenter on this host: QEMU machines that network-boot, with IPMI BMCs (needs root)');
  const common = (c: Command) => c
    .option('--state-dir <dir>', 'where the lab keeps its state, disks and logs (default <data-dir>/lab)')
    .option('--data-dir <dir>', 'Plinth data directory (default ./.plinth)');
  common(lab.command('up').description('create the networks, BMCs and machines'))
    .option('--machines <n>', 'number of machines', int, 1)
    .option('--firmware <kind>', 'bios, uefi or mixed', 'bios')
    .option('--disks <n>', 'disks per machine', int, 1)
    .option('--disk-size <MiB>', 'size of each disk in MiB', int, 8192)
    .option('--nics <n>', 'NICs per machine', int, 1)
    .option('--memory <MiB>', "RAM per machine in MiB (Plinth's ephemeral environment needs about 1 GiB; UEFI firmware alone 192)", int, 1536)
    .option('--rack-namespace <name>', 'network namespace for the rack ends of the lab links (default: this one)')
    .option('--provisioning-cidr <cidr>', 'provisioning network', '10.213.0.0/24')
    .option('--bmc-cidr <cidr>', 'BMC network', '10.214.0.0/24')
    .option('--power-on', 'power the machines on once created')
    .action((o) => guarded(async () => {
      if (!['bios', 'uefi', 'mixed'].includes(o.firmware)) throw new LabError('bad_option', `--firmware must be bios, uefi or mixed (got ${o.firmware})`);
      const status = await labUp({
        stateDir: stateDirOf(o), machines: o.machines, firmware: o.firmware as FirmwareChoice, disks: o.disks,
        diskSizeMiB: o.diskSize, nics: o.nics, memoryMiB: o.memory, rackNamespace: o.rackNamespace,
        network: { provisioningCidr: o.provisioningCidr, bmcCidr: o.bmcCidr }, powerOn: !!o.powerOn,
      });
      for (const w of status.warnings ?? []) process.stderr.write(`warning: ${w}\n`);
      printStatus(status);
    }));
  common(lab.command('status').description('addresses, machines, power and BMCs'))
    .action((o) => guarded(async () => printStatus(await labStatus(stateDirOf(o)))));
  common(lab.command('console').argument('<machine>').description("a machine's serial console log"))
    .action((name: string, o) => guarded(async () => { process.stdout.write(labConsole(stateDirOf(o), name).content); }));
  common(lab.command('down').description('stop and remove everything the lab created (idempotent, also after a crash)'))
    .option('--keep-files', 'keep disks and console logs')
    .action((o) => guarded(async () => {
      const report = await labDown(stateDirOf(o), { keepFiles: !!o.keepFiles });
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      if (report.leftovers?.length) process.exitCode = 1;
    }));
}

/**
 * The scripts Plinth ships, served to the ephemeral environment in the maas-scripts tar (metadata
 * service) and run there by the agent (src/agent). Their text lives next to this file in scripts/*.sh
 * so it can be run, syntax-checked and tested as it is; this module adds what the index says about them.
 *
 * `parameters` follows MAAS's script parameter form: a `storage` parameter makes the region create one
 * result per physical disk and the agent pass that disk through `argument_format` (`{path}` is its
 * /dev/disk/by-id path, else /dev/<name>); boolean parameters add their `argument_format` when true.
 */
import { readFileSync } from 'node:fs';

export type ScriptKind = 'commissioning' | 'testing' | 'release';
export type Parallel = 'none' | 'instance' | 'any';

export interface ScriptParameter {
  type: 'storage' | 'boolean' | 'runtime';
  argument_format: string;
  description?: string;
  default?: boolean | number;
}

export interface BuiltinScript {
  name: string;
  kind: ScriptKind;
  content: string;
  timeout_seconds: number;
  parallel: Parallel;
  hardware_type: string;
  packages: object;
  tags: string[];
  may_reboot: boolean;
  /** Per-run arguments (see the module comment). Absent: the script runs once, without arguments. */
  parameters?: Record<string, ScriptParameter>;
  /** Overwrites data on what it tests (MAAS only runs these when asked for by name or tag). */
  destructive?: boolean;
}

const text = (file: string) => readFileSync(new URL(`./scripts/${file}.sh`, import.meta.url), 'utf8');

const STORAGE: Record<string, ScriptParameter> = {
  storage: { type: 'storage', argument_format: '{path}', description: 'The disk to test.' },
};

function script(name: string, kind: ScriptKind, s: Partial<BuiltinScript> & { timeout_seconds: number }): BuiltinScript {
  return {
    name, kind, content: text(name), parallel: 'any', hardware_type: 'node', packages: {}, tags: [], may_reboot: false, ...s,
  };
}

export const BUILTIN_SCRIPTS: BuiltinScript[] = [
  // Timeouts catch hangs, not slowness: the scripts run in parallel, and on a busy host's emulated
  // machines (the lab's eight TCG VMs on two cores) the shell-heavy facts script alone takes minutes.
  script('00-plinth-facts', 'commissioning', { timeout_seconds: 600, tags: ['node'] }),
  script('20-lshw', 'commissioning', { timeout_seconds: 300, tags: ['node'], packages: { apt: ['lshw'] } }),
  script('30-lldp', 'commissioning', { timeout_seconds: 300, tags: ['node', 'network'], hardware_type: 'network', packages: { apt: ['lldpd'] } }),
  script('40-dmidecode', 'commissioning', { timeout_seconds: 300, tags: ['node'], packages: { apt: ['dmidecode'] } }),
  script('50-storage-layout', 'commissioning', { timeout_seconds: 600, tags: ['node', 'storage'] }),
  script('smartctl-validate', 'testing', {
    timeout_seconds: 600, parallel: 'instance', hardware_type: 'storage', tags: ['storage'],
    packages: { apt: ['smartmontools'] }, parameters: STORAGE,
  }),
  script('fio', 'testing', {
    timeout_seconds: 600, parallel: 'none', hardware_type: 'storage', tags: ['storage', 'destructive'],
    packages: { apt: ['fio'] }, parameters: STORAGE, destructive: true,
  }),
  script('stress-ng-cpu-short', 'testing', {
    timeout_seconds: 600, parallel: 'none', hardware_type: 'cpu', tags: ['cpu'], packages: { apt: ['stress-ng'] },
  }),
  script('stress-ng-memory-short', 'testing', {
    timeout_seconds: 600, parallel: 'none', hardware_type: 'memory', tags: ['memory'], packages: { apt: ['stress-ng'] },
  }),
  // Erasing a large disk in full takes hours: no timeout (the releasing status has its own).
  script('wipe-disks', 'release', {
    timeout_seconds: 0, parallel: 'none', hardware_type: 'storage', tags: ['wipe'],
    packages: { apt: ['nvme-cli', 'hdparm'] }, destructive: true,
    parameters: {
      quick_erase: { type: 'boolean', argument_format: '--quick-erase', default: false, description: 'Signatures and the first and last MiB only.' },
      secure_erase: { type: 'boolean', argument_format: '--secure-erase', default: false, description: "The drive's own secure erase, where supported." },
    },
  }),
];

export const builtinScript = (name: string): BuiltinScript | undefined => BUILTIN_SCRIPTS.find((s) => s.name === name);

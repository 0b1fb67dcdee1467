/**
 * Pure pieces of the IPMI driver: FreeIPMI argument vectors, the configuration file that carries the
 * secrets, the chassis boot-flags file, and the reading of FreeIPMI's output.
 *
 * Secrets: FreeIPMI reads `password` and `k_g` from a configuration file given with `--config-file`
 * (freeipmi.conf(5): "used to hide usernames, passwords, and other sensitive information from the ps(1)
 * command"), so they never appear on a command line. The file is written 0600 in a 0700 directory and
 * removed after the call (command.ts).
 */
import type { BootDevice, PowerParams } from './driver.ts';
import { PowerError } from './driver.ts';

/** Session timeout handed to FreeIPMI, kept below the attempt's time bound so FreeIPMI reports first. */
export function sessionTimeoutMs(attemptTimeoutMs: number): number {
  return Math.max(500, Math.min(20_000, attemptTimeoutMs - 500));
}

/**
 * freeipmi.conf value quoting: the value goes in double quotes; inside them a backslash escapes `\`, `"`
 * and `#` (which otherwise starts a comment). Control characters cannot be expressed and are refused
 * by validate().
 */
export function confValue(v: string): string {
  return `"${v.replace(/[\\"#]/g, (c) => `\\${c}`)}"`;
}

/** The configuration file text (secrets only; everything else stays on argv, visible and harmless). */
export function configFileText(params: PowerParams): string {
  const lines = ['# Written by Plinth for one FreeIPMI call; removed afterwards.'];
  if (params.power_pass) lines.push(`password ${confValue(params.power_pass)}`);
  if (params.k_g) lines.push(`k_g ${confValue(params.k_g)}`);
  return `${lines.join('\n')}\n`;
}

/** Connection arguments shared by ipmipower and ipmi-chassis-config (MAAS's common args). */
export function commonArgs(params: PowerParams, configFile: string, timeoutMs: number): string[] {
  const args = [`--config-file=${configFile}`];
  if (params.power_driver) args.push(`--driver-type=${params.power_driver}`);
  args.push(`--hostname=${params.power_address}`);
  if (params.power_user) args.push(`--username=${params.power_user}`);
  if (params.power_driver !== 'LAN' && params.cipher_suite_id) args.push(`--cipher-suite-id=${params.cipher_suite_id}`);
  args.push(`--privilege-level=${params.privilege_level || 'OPERATOR'}`);
  const flags = (params.workaround_flags ?? '').split(/[,\s]+/).filter(Boolean);
  if (flags.length) args.push(`--workaround-flags=${flags.join(',')}`);
  const session = sessionTimeoutMs(timeoutMs);
  args.push(`--session-timeout=${session}`, `--retransmission-timeout=${Math.min(1000, Math.floor(session / 2))}`);
  return args;
}

export type IpmipowerOp = 'on' | 'off' | 'soft' | 'cycle' | 'stat';
const OP_FLAGS: Record<IpmipowerOp, string[]> = {
  on: ['--on'], off: ['--off'], soft: ['--soft'], cycle: ['--cycle', '--on-if-off'], stat: ['--stat'],
};
export const ipmipowerArgs = (op: IpmipowerOp) => OP_FLAGS[op];

/** The Chassis_Boot_Flags section ipmi-chassis-config commits (next boot only, as MAAS does). */
export function bootFlagsText(device: BootDevice, bootType: string | undefined): string {
  const lines = ['Section Chassis_Boot_Flags', '\tBoot_Flags_Persistent No'];
  if (bootType === 'legacy') lines.push('\tBIOS_Boot_Type PC-COMPATIBLE');
  if (bootType === 'efi') lines.push('\tBIOS_Boot_Type EFI');
  lines.push(`\tBoot_Device ${device === 'pxe' ? 'PXE' : 'HARD-DRIVE'}`);
  lines.push('EndSection');
  return `${lines.join('\n')}\n`;
}

/**
 * FreeIPMI's per-host messages (ipmipower prints `<host>: <message>`; the config tools print
 * `<program>: <message>` or `ERROR: ...`). Each known message maps to a code and whether a retry helps.
 * ipmipower can exit 0 after a failure (e.g. "BMC error"), so the message, not the exit status, decides.
 */
const MESSAGES: Array<[RegExp, PowerError['code'], boolean, string]> = [
  [/username invalid/i, 'auth', false, 'the BMC does not know this user name'],
  [/password invalid|password verification timeout/i, 'auth', false, 'the BMC refused the password'],
  [/k_g invalid/i, 'auth', false, 'the BMC refused the K_g key'],
  [/privilege level (insufficient|cannot be obtained)/i, 'auth', false, 'the user cannot obtain the requested privilege level'],
  [/permission denied/i, 'auth', false, 'the BMC denied permission for this command'],
  [/requires at ?least \w+ privilege/i, 'auth', false, 'the configured privilege_level is too low for this command'],
  [/authentication type unavailable/i, 'auth', false, 'the BMC does not offer this authentication type'],
  [/cipher suite id unavailable/i, 'invalid', false, 'the BMC does not offer this cipher suite'],
  [/ipmi 2\.0 unavailable/i, 'invalid', false, 'the BMC does not speak IPMI 2.0; try power_driver LAN'],
  [/invalid hostname|hostname invalid/i, 'invalid', false, 'the BMC address cannot be resolved'],
  [/operation not supported|invalid\/unsupported config/i, 'unsupported', false, 'the BMC does not support this operation'],
  [/connection timeout|session timeout/i, 'unreachable', true, 'no answer from the BMC'],
  [/bmc busy|node busy/i, 'busy', true, 'the BMC is busy'],
  [/bmc error|internal ipmi error/i, 'bmc', true, 'the BMC reported an error'],
];

export function classifyIpmiMessage(text: string, what: string, address: string): PowerError {
  for (const [re, code, retryable, meaning] of MESSAGES) {
    if (re.test(text)) return new PowerError(code, `IPMI ${what} at ${address} failed: ${meaning}.`, retryable);
  }
  const first = text.split('\n').map((l) => l.trim()).find(Boolean) ?? 'no output';
  return new PowerError('bmc', `IPMI ${what} at ${address} failed: ${first.slice(0, 200)}`, true);
}

/** The message part of ipmipower's `<host>: <message>` line. */
export function ipmipowerMessage(stdout: string): string | undefined {
  const line = stdout.split('\n').map((l) => l.trim()).find((l) => l.includes(': '));
  return line?.slice(line.indexOf(': ') + 2).trim();
}

/**
 * IPMI over LAN through FreeIPMI, as MAAS drives it: `ipmipower` for power and `ipmi-chassis-config`
 * for the next-boot device (IPMI v2.0 §28.2 Chassis Control, §28.12 Boot Options parameter 5).
 * Parameters are MAAS's (power_driver LAN/LAN_2_0, power_address, power_user, power_pass, k_g,
 * cipher_suite_id default 3, privilege_level, workaround_flags, power_boot_type, power_off_mode).
 *
 * Differences from MAAS, on purpose: powerOn only powers on (`--on`); choosing the boot device is the
 * caller's separate setBootDevice step, and a reboot of a running machine is powerCycle. MAAS finds the
 * address through ARP when only `mac_address` is set; here power_address is required (the schema says so).
 */
import { PowerError, scrubError, secretValues, throwIfAborted, timeoutOf } from './driver.ts';
import type { ActionResult, BootDevice, PowerContext, PowerDriver, PowerOffOptions, PowerParams, PowerState } from './driver.ts';
import { runCommand, withPrivateFiles } from './command.ts';
import { bootFlagsText, classifyIpmiMessage, commonArgs, configFileText, ipmipowerArgs, ipmipowerMessage, type IpmipowerOp } from './ipmi-args.ts';
import { schemaErrors, schemaOf, withDefaults, driverIdentity } from './schema.ts';

export interface IpmiDriverOptions {
  /** Argv prefix for every client call, e.g. `['ip', 'netns', 'exec', 'ns1']` when the BMC network is in a namespace. */
  commandPrefix?: readonly string[];
  /** Where the per-call private directory for the secrets file is made (default: the OS temp dir). */
  tmpDir?: string;
  ipmipower?: string;
  ipmiChassisConfig?: string;
}

const CONTROL = /[\u0000-\u001f\u007f]/;
const HEX_KG = /^0x[0-9a-fA-F]{1,40}$/;

export function validateIpmi(raw: PowerParams): string[] {
  const errors = schemaErrors('ipmi', raw);
  const p = withDefaults(schemaOf('ipmi').fields, raw);
  const lan15 = p.power_driver === 'LAN';
  if (p.power_user && (p.power_user.length > 16 || CONTROL.test(p.power_user)))
    errors.push('power_user: an IPMI user name is at most 16 printable characters.');
  const maxPass = lan15 ? 16 : 20;
  if (p.power_pass && (p.power_pass.length > maxPass || CONTROL.test(p.power_pass)))
    errors.push(`power_pass: an IPMI ${lan15 ? '1.5' : '2.0'} password is at most ${maxPass} printable characters.`);
  if (p.k_g) {
    if (lan15) errors.push('k_g: a K_g key needs IPMI 2.0 (power_driver LAN_2_0).');
    else if (CONTROL.test(p.k_g) || (p.k_g.startsWith('0x') ? !HEX_KG.test(p.k_g) : p.k_g.length > 20))
      errors.push('k_g: a K_g key is at most 20 characters, or 0x followed by at most 40 hex digits.');
  }
  return errors;
}

export function createIpmiDriver(opts: IpmiDriverOptions = {}): PowerDriver {
  const schema = schemaOf('ipmi');
  const prefix = opts.commandPrefix ?? [];
  const bin = { ipmipower: opts.ipmipower ?? 'ipmipower', chassis: opts.ipmiChassisConfig ?? 'ipmi-chassis-config' };

  function prepare(raw: PowerParams): PowerParams {
    const errors = validateIpmi(raw);
    if (errors.length) throw new PowerError('invalid', `IPMI parameters are not usable: ${errors.join(' ')}`, false);
    return withDefaults(schema.fields, raw);
  }

  /** Runs one FreeIPMI program with the secrets file; returns stdout+stderr. Never throws raw errors. */
  async function run(program: string, what: string, p: PowerParams, extraFiles: Record<string, string>,
    args: (files: Record<string, string>) => string[], ctx?: PowerContext): Promise<{ code: number | null; out: string }> {
    throwIfAborted(ctx);
    const timeoutMs = timeoutOf(ctx);
    try {
      return await withPrivateFiles(opts.tmpDir, { 'freeipmi.conf': configFileText(p), ...extraFiles }, async (files) => {
        const argv = [...prefix, program, ...commonArgs(p, files['freeipmi.conf'], timeoutMs), ...args(files)];
        const r = await runCommand(argv, { timeoutMs, signal: ctx?.signal });
        if (r.timedOut || r.aborted)
          throw new PowerError('timeout', `IPMI ${what} at ${p.power_address} did not finish within ${timeoutMs} ms.`, true);
        return { code: r.code, out: `${r.stdout}\n${r.stderr}` };
      });
    } catch (err) {
      if (err instanceof PowerError) throw scrubError(err, secretValues(schema.fields, p));
      if ((err as NodeJS.ErrnoException).code === 'ENOENT')
        throw new PowerError('unsupported', `${program} is not installed on this rack (Debian package freeipmi-tools).`, false);
      throw new PowerError('bmc', `IPMI ${what} at ${p.power_address} could not run: ${(err as Error).message}`, true);
    }
  }

  async function ipmipower(raw: PowerParams, op: IpmipowerOp, ctx?: PowerContext): Promise<string> {
    const p = prepare(raw);
    const what = op === 'stat' ? 'power query' : `power ${op}`;
    const { out } = await run(bin.ipmipower, what, p, {}, () => ipmipowerArgs(op), ctx);
    const message = ipmipowerMessage(out);
    if (message === 'ok' || (op === 'stat' && (message === 'on' || message === 'off'))) return message;
    throw scrubError(classifyIpmiMessage(message ?? out, what, p.power_address), secretValues(schema.fields, p));
  }

  return {
    ...driverIdentity(schema),
    requiredCommands: [{ command: bin.ipmipower, package: 'freeipmi-tools' }, { command: bin.chassis, package: 'freeipmi-tools' }],
    validate: validateIpmi,
    bmcKey: (p) => `ipmi:${(p.power_address ?? '').toLowerCase()}`,
    async powerOn(p, ctx): Promise<ActionResult> {
      await ipmipower(p, 'on', ctx);
      return {};
    },
    async powerOff(p, ctx, o?: PowerOffOptions): Promise<ActionResult> {
      const soft = (o?.mode ?? p.power_off_mode) === 'soft';
      await ipmipower(p, soft ? 'soft' : 'off', ctx);
      return soft ? { note: 'Soft power off requested: the operating system shuts down through ACPI.' } : {};
    },
    async powerCycle(p, ctx): Promise<ActionResult> {
      await ipmipower(p, 'cycle', ctx);
      return {};
    },
    async queryState(p, ctx): Promise<PowerState> {
      return (await ipmipower(p, 'stat', ctx)) as PowerState;
    },
    async setBootDevice(raw: PowerParams, device: BootDevice, ctx?: PowerContext): Promise<ActionResult> {
      const p = prepare(raw);
      const what = `boot device ${device}`;
      const { code, out } = await run(bin.chassis, what, p, { 'boot-flags.conf': bootFlagsText(device, p.power_boot_type) },
        (files) => ['--commit', `--filename=${files['boot-flags.conf']}`], ctx);
      // ipmi-chassis-config reports a refused field as "ERROR: Failed to commit ..." (and exits non-zero).
      if (code !== 0 || /ERROR|failed/i.test(out))
        throw scrubError(classifyIpmiMessage(out, what, p.power_address), secretValues(schema.fields, p));
      return {};
    },
  };
}

export const ipmiDriver = createIpmiDriver();

/**
 * Virtual machines through libvirt's `virsh` CLI (package libvirt-clients):
 * `virsh --connect <power_address> domstate|start|destroy|reset <power_id>`. An SSH password
 * (qemu+ssh URIs) is handed over through SSH_ASKPASS with a 0600 helper file, never on the
 * command line. One attempt per call; PowerService retries.
 */
import { chmod } from 'node:fs/promises';
import { runCommand, withPrivateFiles } from './command.ts';
import { PowerError, secretValues, scrub, timeoutOf, type ActionResult, type PowerContext, type PowerDriver, type PowerParams, type PowerState } from './driver.ts';
import { schemaErrors, schemaOf, driverIdentity } from './schema.ts';

const schema = schemaOf('virsh');
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.:+-]{0,254}$/;

function classify(stderr: string, secrets: string[]): PowerError {
  const text = scrub(stderr.trim().split('\n').slice(-3).join(' ') || 'virsh failed without a message', secrets);
  if (/auth|permission denied|password/i.test(stderr)) return new PowerError('auth', `virsh: ${text}`, false);
  if (/failed to connect|unable to connect|no route|connection refused|timed out|could not resolve/i.test(stderr)) return new PowerError('unreachable', `virsh: ${text}`, true);
  if (/domain not found|failed to get domain/i.test(stderr)) return new PowerError('invalid', `virsh: ${text}`, false);
  return new PowerError('bmc', `virsh: ${text}`, true);
}

export function createVirshDriver(opts: { virsh?: string } = {}): PowerDriver {
  const program = opts.virsh ?? 'virsh';
  async function virsh(params: PowerParams, args: string[], ctx?: PowerContext): Promise<string> {
    const secrets = secretValues(schema.fields, params);
    const exec = async (env: NodeJS.ProcessEnv) => {
      const r = await runCommand([program, '--connect', params.power_address, ...args, params.power_id], { timeoutMs: timeoutOf(ctx), signal: ctx?.signal, env });
      if (r.timedOut || r.aborted) throw new PowerError('timeout', `virsh ${args[0]} did not finish in time.`, true);
      if (r.code !== 0) throw classify(r.stderr, secrets);
      return r.stdout;
    };
    if (!params.power_pass) return exec({ ...process.env, SSH_ASKPASS_REQUIRE: 'never' });
    return withPrivateFiles(undefined, { askpass: `#!/bin/sh\ncat "$(dirname "$0")/secret"\n`, secret: params.power_pass }, async (paths) => {
      await chmod(paths.askpass, 0o700);
      return exec({ ...process.env, SSH_ASKPASS: paths.askpass, SSH_ASKPASS_REQUIRE: 'force', DISPLAY: process.env.DISPLAY ?? ':0' });
    });
  }
  const act = async (p: PowerParams, args: string[], ctx?: PowerContext): Promise<ActionResult> => { await virsh(p, args, ctx); return {}; };
  return {
    ...driverIdentity(schema),
    requiredCommands: [{ command: program, package: 'libvirt-clients' }],
    validate: (p) => {
      const errors = schemaErrors('virsh', p);
      if (p.power_id && !NAME.test(p.power_id)) errors.push('power_id must be a libvirt domain name or id.');
      if (p.power_address && !/^[a-z0-9+]+:\/\//.test(p.power_address)) errors.push('power_address must be a libvirt URI such as qemu+ssh://user@host/system.');
      return errors;
    },
    bmcKey: (p) => `virsh:${p.power_address ?? ''}:${p.power_id ?? ''}`,
    async powerOn(p, ctx) {
      if ((await this.queryState(p, ctx)) === 'on') return { note: 'already on' };
      return act(p, ['start'], ctx);
    },
    async powerOff(p, ctx) {
      if ((await this.queryState(p, ctx)) === 'off') return { note: 'already off' };
      return act(p, ['destroy'], ctx);
    },
    async powerCycle(p, ctx) {
      if ((await this.queryState(p, ctx)) === 'off') return act(p, ['start'], ctx);
      return act(p, ['reset'], ctx);
    },
    async queryState(p, ctx): Promise<PowerState> {
      const out = (await virsh(p, ['domstate'], ctx)).trim().toLowerCase();
      if (out.startsWith('running') || out.startsWith('paused') || out.startsWith('in shutdown') || out.startsWith('idle')) return 'on';
      if (out.startsWith('shut off') || out.startsWith('crashed') || out.startsWith('pmsuspended')) return 'off';
      return 'unknown';
    },
  };
}

export const virshDriver = createVirshDriver();

/**
 * The deployment installer (what curtin is to MAAS): fetch the install plan, then partition and format
 * the disks, mount the new system, stream the OS image into it, write fstab, hostname, the installed
 * system's cloud-init datasource and network config, install the bootloader, unmount, and turn network
 * boot off (the region's "installed"). Progress goes to the status webhook as curtin's events
 * (`cmd-install` and one `cmd-install/stage-*` per stage), so the region reports "installing" and the
 * failures as MAAS would. The preseed's power_state then reboots into the new system.
 *
 * On failure: the failed stage and `cmd-install` finish with FAILURE naming the stage, the install log
 * attached; `signal status=FAILED`; /tmp/block-poweroff keeps the machine up for a look.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { AgentConfig } from '../config.ts';
import { send, type RetryPolicy } from '../http.ts';
import { log } from '../log.ts';
import { configureDiskImage } from './install-dd.ts';
import { exec, InstallLog, streamImage, writeDiskImage } from './install-exec.ts';
import { bootloaderCommands, datasourceConfig, GRUB_CONSOLE_DEFAULTS, hostsFile, kernelOptions, networkConfig, plainMetadataUrl, withKernelOptions } from './install-files.ts';
import { parsePlan, type AgentInstallPlan } from './install-plan.ts';

export interface InstallOptions {
  rootDir?: string;
  /** Where install.log goes (default <root>/tmp). */
  workDir?: string;
  retry: RetryPolicy;
}

class StageFailed extends Error {
  constructor(readonly stage: string, message: string) { super(message); }
}

type Result = 'SUCCESS' | 'FAILURE' | 'WARN';

const under = (target: string, path: string) => join(target, path);
const writeInto = (target: string, path: string, content: string, mode?: number) => {
  const p = under(target, path);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, content, mode === undefined ? undefined : { mode });
};

/** `planText`: the plan when the caller already fetched it (JSON text). */
export async function install(cfg: AgentConfig, opts: InstallOptions, planText?: string): Promise<number> {
  const root = opts.rootDir ?? '/';
  const work = opts.workDir ?? join(root, 'tmp');
  mkdirSync(work, { recursive: true });
  const ilog = new InstallLog(join(work, 'install.log'));
  writeFileSync(ilog.path, '');
  const signalFailed = (error: string) => send(cfg, opts.retry, 'POST', 'latest/?op=signal', [
    { name: 'op', value: 'signal' }, { name: 'status', value: 'FAILED' }, { name: 'error', value: error },
  ]);

  let plan: AgentInstallPlan;
  try {
    const text = planText ?? (await send(cfg, opts.retry, 'GET', 'latest/plinth/install-plan')).body.toString();
    let raw: unknown;
    try { raw = JSON.parse(text); } catch { throw new Error(`The install plan is not JSON: ${text.slice(0, 100)}`); }
    plan = parsePlan(raw);
  } catch (e) {
    const error = `install-plan: ${(e as Error).message}`;
    ilog.say(error);
    await signalFailed(error);
    return 1;
  }

  const post = async (event_type: 'start' | 'finish', name: string, description: string, result?: Result, withLog = false) => {
    const event: Record<string, unknown> = { event_type, origin: 'curtin', name, description, timestamp: Date.now() / 1000 };
    if (result) event.result = result;
    if (withLog) event.files = [{ path: '/tmp/install.log', encoding: 'base64', content: readFileSync(ilog.path).toString('base64') }];
    try {
      await send(cfg, opts.retry, 'POST', `/MAAS/metadata/status/${plan.system_id}`, { body: Buffer.from(JSON.stringify(event)), contentType: 'application/json' });
    } catch (e) {
      // Progress events are best effort: the install goes on, and its outcome is also signalled.
      log(`status event ${name} could not be posted: ${(e as Error).message}`);
    }
  };

  const mounted: string[] = [];
  const mount = async (argv: string[], at: string) => { await exec(ilog, argv); mounted.push(at); };
  const unmountAll = async () => {
    while (mounted.length) {
      const at = mounted.pop()!;
      try { await exec(ilog, ['umount', at]); } catch { await exec(ilog, ['umount', '--lazy', at]); }
    }
  };
  const t = plan.target;
  const netbootOff = async () => {
    await send(cfg, opts.retry, 'POST', `${plainMetadataUrl(cfg.metadata_url)}latest/by-id/${plan.system_id}/?op=netboot_off`);
  };

  const stage = async (name: string, description: string, fn: () => Promise<string | void>) => {
    const full = `cmd-install/${name}`;
    ilog.say(`${name}: ${description}`);
    await post('start', full, description);
    let warning: string | void;
    try {
      warning = await fn();
    } catch (e) {
      const message = (e as Error).message;
      ilog.say(`${name} failed: ${message}`);
      await post('finish', full, `${name}: ${message}`, 'FAILURE');
      throw new StageFailed(name, message);
    }
    if (warning) ilog.say(`${name}: ${warning}`);
    await post('finish', full, warning || description, warning ? 'WARN' : 'SUCCESS');
  };

  await post('start', 'cmd-install', `installing ${plan.image.osystem}/${plan.image.series} on ${plan.hostname}`);
  try {
    if (plan.ephemeral) {
      await stage('stage-ephemeral', 'ephemeral deploy: the disks are left untouched', () => ephemeral(cfg, opts, ilog));
    } else if (plan.image.format === 'ddgz') {
      // A disk image carries its own partitions and bootloader: written whole, then only its cloud-init is told where the region is.
      await stage('stage-extract', `write ${plan.image.url} onto ${plan.boot_device}`, () => writeDiskImage(ilog, plan.image.url, plan.boot_device!, plan.image.sha256 ?? null));
      await stage('stage-config', 'the image\'s cloud-init datasource and network config', () => configureDiskImage(ilog, plan, cfg, work));
      await stage('stage-netboot-off', 'network boot off: the next boot is from the disk', netbootOff);
    } else {
      await stage('stage-partitioning', `${plan.storage.length} storage operations`, async () => {
        for (const step of plan.storage) {
          ilog.say(step.name);
          for (const c of step.commands) {
            if (c.write) {
              ilog.say(`${c.write.append ? 'append to' : 'write'} ${c.write.path}`);
              (c.write.append ? appendFileSync : writeFileSync)(c.write.path, c.write.content);
            } else await exec(ilog, c.argv, c.stdin);
          }
        }
      });
      await stage('stage-mount', `mount the new system at ${t}`, async () => {
        for (const m of plan.mounts) {
          mkdirSync(m.target, { recursive: true });
          await mount(['mount', '-t', m.fstype, '-o', m.options || 'defaults', m.source, m.target], m.target);
        }
      });
      await stage('stage-extract', `write ${plan.image.url}`, async () => { mkdirSync(t, { recursive: true }); await streamImage(ilog, plan.image.url, t, plan.image.sha256); });
      await stage('stage-config', 'fstab, hostname, hosts and the cloud-init datasource', async () => {
        writeInto(t, 'etc/fstab', `# Written by the Plinth installer.\n${plan.fstab.map((l) => `${l}\n`).join('')}`);
        writeInto(t, 'etc/hostname', `${plan.hostname}\n`);
        writeInto(t, 'etc/hosts', hostsFile(plan));
        writeInto(t, 'etc/cloud/cloud.cfg.d/90_plinth_datasource.cfg', datasourceConfig(plan, cfg), 0o600);
      });
      await stage('stage-network', 'the installed system\'s network configuration', async () => {
        writeInto(t, 'etc/cloud/cloud.cfg.d/50-plinth-networking.cfg', networkConfig(plan.network.netplan));
        // An image without cloud-init would never render that: give it Debian's ifupdown file directly.
        if (!existsSync(under(t, 'usr/bin/cloud-init')) && plan.network.ifupdown.trim()) {
          writeInto(t, 'etc/network/interfaces', plan.network.ifupdown);
          return 'the image has no cloud-init: wrote /etc/network/interfaces (ifupdown) as well';
        }
      });
      await stage('stage-bootloader', 'GRUB', async () => {
        if (!['usr/sbin/grub-install', 'usr/bin/grub-install', 'sbin/grub-install'].some((p) => existsSync(under(t, p))))
          return 'the image has no grub-install: no bootloader was installed';
        const grubDefault = under(t, 'etc/default/grub');
        writeInto(t, 'etc/default/grub', withKernelOptions(existsSync(grubDefault) ? readFileSync(grubDefault, 'utf8') : null, kernelOptions(plan.kernel_opts)));
        writeInto(t, 'etc/default/grub.d/50-plinth-console.cfg', GRUB_CONSOLE_DEFAULTS);
        const uefi = existsSync(join(root, 'sys/firmware/efi'));
        for (const argv of bootloaderCommands({ target: t, uefi, arch: plan.image.arch, bootDevice: plan.boot_device })) {
          if (argv[0] === 'mount') await mount(argv, argv.at(-1)!); else await exec(ilog, argv);
        }
      });
      await stage('stage-unmount', `unmount ${t}`, unmountAll);
      await stage('stage-netboot-off', 'network boot off: the next boot is from the disk', netbootOff);
    }
  } catch (e) {
    const failed = e instanceof StageFailed ? e : new StageFailed('cmd-install', (e as Error).message);
    try { await unmountAll(); } catch (u) { ilog.say(`could not unmount everything: ${(u as Error).message}`); }
    const error = `${failed.stage}: ${failed.message}`;
    ilog.say(`installation failed: ${error}; the machine stays up (/tmp/block-poweroff)`);
    try { writeFileSync(join(root, 'tmp/block-poweroff'), `${error}\n`); } catch { /* no /tmp: nothing blocks the power_state */ }
    await post('finish', 'cmd-install', error, 'FAILURE', true);
    await signalFailed(error);
    return 1;
  }
  ilog.say('installation finished');
  await post('finish', 'cmd-install', `installed ${plan.image.osystem}/${plan.image.series}`, 'SUCCESS', true);
  return 0;
}

/**
 * An ephemeral deploy: this environment is the deployed system. Reading the user data on the plain
 * path is the region's "deployed"; a script there is run, as cloud-init would run it.
 */
async function ephemeral(cfg: AgentConfig, opts: InstallOptions, ilog: InstallLog): Promise<string | void> {
  const reply = await send(cfg, opts.retry, 'GET', `${plainMetadataUrl(cfg.metadata_url)}latest/user-data`).catch((e: Error) => {
    if (/: 404 /.test(e.message)) return null;
    throw e;
  });
  if (!reply || !reply.body.length) return 'no user data';
  const script = join(opts.workDir ?? join(opts.rootDir ?? '/', 'tmp'), 'plinth-user-data');
  writeFileSync(script, reply.body, { mode: 0o700 });
  if (!reply.body.subarray(0, 2).equals(Buffer.from('#!'))) return `user data kept at ${script} (not a script)`;
  await exec(ilog, [script]);
}

/**
 * Enlistment: a machine the region does not know boots with no credentials in its datasource config.
 * It reports itself anonymously (MAAS's enlistment user data does the same): architecture, the MACs of
 * its physical NICs and, when it has an in-band BMC, IPMI credentials it created. Then it fetches its
 * preseed for its new credentials, keeps them in a cloud.cfg.d file (read again on the next run),
 * signals COMMISSIONING and goes on commissioning itself (the caller runs the scripts).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { machine } from 'node:os';
import { dirname, join } from 'node:path';
import { configFrom, type AgentConfig } from '../config.ts';
import { HttpError, send, type Part, type RetryPolicy } from '../http.ts';
import { log } from '../log.ts';
import { detectBmc, type BmcCredentials } from './bmc.ts';

/** uname -m → Debian architecture names (what the region's `architecture` takes). */
const DEBIAN_ARCH: Record<string, string> = {
  x86_64: 'amd64', amd64: 'amd64', i386: 'i386', i486: 'i386', i586: 'i386', i686: 'i386', aarch64: 'arm64', arm64: 'arm64',
  armv7l: 'armhf', armv8l: 'armhf', armv6l: 'armel', ppc64le: 'ppc64el', s390x: 's390x', riscv64: 'riscv64',
};

export function debianArchitecture(unameM: string): string {
  const arch = DEBIAN_ARCH[unameM];
  if (!arch) throw new Error(`Unknown machine architecture '${unameM}' (uname -m).`);
  return arch;
}

/** MACs of the physical NICs (those with a `device` link in sysfs), in interface name order. */
export function physicalMacs(root: string): string[] {
  const net = join(root, 'sys/class/net');
  const macs: string[] = [];
  for (const name of readdirSync(net).sort()) {
    if (!existsSync(join(net, name, 'device'))) continue;
    let mac: string;
    try { mac = readFileSync(join(net, name, 'address'), 'utf8').trim().toLowerCase(); } catch { continue; }
    if (/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(mac) && mac !== '00:00:00:00:00:00' && !macs.includes(mac)) macs.push(mac);
  }
  return macs;
}

/** The metadata service's root (`…/MAAS/metadata/`) from the enlistment or curtin URL. */
export const metadataRoot = (url: string): string => url.replace(/(?:enlist|curtin)\/?$/, '').replace(/\/?$/, '/');

export interface EnlistOptions {
  rootDir?: string;
  configFile?: string;
  retry: RetryPolicy;
  /** For tests: the BMC step (defaults to ipmitool against the in-band BMC). */
  bmc?: (root: string) => BmcCredentials | null;
}

/** Where the new credentials are kept: the --config file itself, else a cloud.cfg.d file read after the preseed's. */
export function credentialsFile(opts: { rootDir?: string; configFile?: string }): string {
  return opts.configFile ?? join(opts.rootDir ?? '/', 'etc/cloud/cloud.cfg.d/92_plinth_enlisted.cfg');
}

/**
 * Enlists this machine. Returns its credentials, or null when the region already knows it (the
 * enlistment preseed's power_state then powers it off, as MAAS does).
 */
export async function enlist(metadataUrl: string, opts: EnlistOptions): Promise<AgentConfig | null> {
  const root = opts.rootDir ?? '/';
  const anon: AgentConfig = { metadata_url: metadataUrl, consumer_key: '', consumer_secret: '', token_key: '', token_secret: '' };
  const architecture = debianArchitecture(machine());
  const macs = physicalMacs(root);
  if (!macs.length) throw new Error('This machine has no physical network interface with a MAC address to enlist.');
  const bmc = (opts.bmc ?? ((r) => detectBmc(r)))(root);
  log(`enlisting: ${architecture}, MACs ${macs.join(', ')}${bmc ? `, IPMI BMC at ${bmc.power_parameters.power_address}` : ', no BMC'}`);

  const form: Part[] = [{ name: 'architecture', value: architecture }, ...macs.map((m) => ({ name: 'mac_addresses', value: m }))];
  if (bmc) form.push({ name: 'power_type', value: bmc.power_type }, { name: 'power_parameters', value: JSON.stringify(bmc.power_parameters) });
  let systemId: string;
  try {
    const reply = await send(anon, opts.retry, 'POST', '/MAAS/api/2.0/machines/', form);
    systemId = String((JSON.parse(reply.body.toString()) as { system_id?: unknown }).system_id ?? '');
    if (!/^[a-z0-9]+$/.test(systemId)) throw new Error(`The region's answer has no system_id: ${reply.body.toString().slice(0, 200)}`);
  } catch (e) {
    if (e instanceof HttpError && (e.status === 409 || (e.status === 400 && /already (in use|registered|exists)/i.test(e.message)))) {
      log(`this machine is already known to the region (${e.message}); not enlisting it again. It powers off now (the enlistment preseed's power_state), as MAAS does.`);
      return null;
    }
    throw e;
  }
  log(`enlisted as ${systemId}`);

  const base = metadataRoot(metadataUrl);
  const preseed = await send(anon, opts.retry, 'GET', `${base}latest/by-id/${systemId}/?op=get_preseed`);
  const cfg = configFrom([{ name: `preseed of ${systemId}`, text: preseed.body.toString() }]);
  const file = credentialsFile(opts);
  mkdirSync(dirname(file), { recursive: true });
  const { consumer_key, token_key, token_secret } = cfg;
  writeFileSync(file, `${JSON.stringify({ datasource: { MAAS: { metadata_url: cfg.metadata_url, consumer_key, token_key, token_secret } } }, null, 2)}\n`, { mode: 0o600 });
  log(`credentials written to ${file}`);
  await send(cfg, opts.retry, 'POST', 'latest/?op=signal', [{ name: 'op', value: 'signal' }, { name: 'status', value: 'COMMISSIONING' }]);
  log('signalled COMMISSIONING; commissioning follows');
  return cfg;
}

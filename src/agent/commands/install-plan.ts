/**
 * The install plan the region serves at `latest/plinth/install-plan` (its shape is the region's
 * InstallPlan, src/services/deploy/install-plan.ts), checked by hand: the agent bundles no validation
 * library, and a plan it would misread must stop the install before a disk is touched.
 */
export type PlanCommand =
  | { argv: string[]; stdin?: string; write?: undefined }
  | { write: { path: string; content: string; append: boolean }; argv?: undefined };

export interface AgentInstallPlan {
  system_id: string;
  hostname: string;
  domain: string;
  target: string;
  storage: Array<{ name: string; commands: PlanCommand[] }>;
  mounts: Array<{ source: string; target: string; fstype: string; options: string }>;
  fstab: string[];
  boot_device: string | null;
  /** tgz: a root tarball for the mounted layout; ddgz: a gzipped disk image written to boot_device. sha256: of the file as fetched. */
  image: { osystem: string; series: string; arch: string; format: 'tgz' | 'ddgz'; url: string; sha256?: string | null };
  network: { netplan: string; ifupdown: string };
  cloud_init: { hostname: string; fqdn: string; ssh_keys: string[]; user_data_b64: string | null; metadata_url: string };
  kernel_opts: string;
  /** An ephemeral deploy runs from the ephemeral environment itself: no disk is touched. */
  ephemeral: boolean;
}

const obj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

class PlanError extends Error {}

function str(v: unknown, where: string): string {
  if (typeof v !== 'string') throw new PlanError(`${where} is not a string.`);
  return v;
}
function strs(v: unknown, where: string): string[] {
  if (!Array.isArray(v)) throw new PlanError(`${where} is not a list.`);
  return v.map((x, i) => str(x, `${where}[${i}]`));
}
function abs(v: unknown, where: string): string {
  const s = str(v, where);
  if (!s.startsWith('/') || s.split('/').includes('..')) throw new PlanError(`${where} '${s}' is not an absolute path.`);
  return s;
}
function section(v: unknown, where: string): Record<string, unknown> {
  if (!obj(v)) throw new PlanError(`${where} is not an object.`);
  return v;
}

function command(v: unknown, where: string): PlanCommand {
  const c = section(v, where);
  if (c.write !== undefined) {
    const w = section(c.write, `${where}.write`);
    return { write: { path: abs(w.path, `${where}.write.path`), content: str(w.content, `${where}.write.content`), append: w.append === true } };
  }
  const argv = strs(c.argv, `${where}.argv`);
  if (!argv.length || !argv[0]) throw new PlanError(`${where}.argv is empty.`);
  return c.stdin === undefined ? { argv } : { argv, stdin: str(c.stdin, `${where}.stdin`) };
}

export function parsePlan(raw: unknown): AgentInstallPlan {
  try {
    const p = section(raw, 'the plan');
    const target = abs(p.target, 'target');
    if (target.replace(/\/+$/, '') === '') throw new PlanError('target is the root directory.');
    if (!Array.isArray(p.storage)) throw new PlanError('storage is not a list.');
    const storage = p.storage.map((s, i) => {
      const step = section(s, `storage[${i}]`);
      if (!Array.isArray(step.commands)) throw new PlanError(`storage[${i}].commands is not a list.`);
      return { name: str(step.name, `storage[${i}].name`), commands: step.commands.map((c, j) => command(c, `storage[${i}].commands[${j}]`)) };
    });
    if (!Array.isArray(p.mounts)) throw new PlanError('mounts is not a list.');
    const mounts = p.mounts.map((m, i) => {
      const x = section(m, `mounts[${i}]`);
      const t = abs(x.target, `mounts[${i}].target`);
      if (t !== target && !t.startsWith(`${target.replace(/\/+$/, '')}/`)) throw new PlanError(`mounts[${i}].target '${t}' is outside the target ${target}.`);
      return { source: str(x.source, `mounts[${i}].source`), target: t, fstype: str(x.fstype, `mounts[${i}].fstype`), options: str(x.options, `mounts[${i}].options`) };
    });
    const image = section(p.image, 'image');
    if (image.format !== 'tgz' && image.format !== 'ddgz') throw new PlanError(`image.format '${String(image.format)}' is not tgz (a root tarball) or ddgz (a gzipped disk image).`);
    const sha256 = image.sha256 === null || image.sha256 === undefined ? null : str(image.sha256, 'image.sha256');
    if (sha256 !== null && !/^[0-9a-f]{64}$/.test(sha256)) throw new PlanError('image.sha256 is not a sha256 (64 lower-case hex digits).');
    if (image.format === 'ddgz' && p.ephemeral !== true && (p.boot_device === null || p.boot_device === undefined)) throw new PlanError('image.format ddgz needs boot_device, the disk to write the image to.');
    if (image.format === 'ddgz' && sha256 === null) throw new PlanError('image.format ddgz needs image.sha256: a disk image is written to a disk only when its checksum can be verified.');
    const url = str(image.url, 'image.url');
    if (!/^https?:\/\//.test(url)) throw new PlanError(`image.url '${url}' is not an http(s) URL.`);
    const network = section(p.network, 'network');
    const ci = section(p.cloud_init, 'cloud_init');
    const hostname = str(p.hostname, 'hostname');
    if (!/^[a-z0-9]([a-z0-9-]{0,62})$/i.test(hostname)) throw new PlanError(`hostname '${hostname}' is not a host name.`);
    return {
      system_id: str(p.system_id, 'system_id'), hostname, domain: str(p.domain, 'domain'), target, storage, mounts,
      fstab: strs(p.fstab, 'fstab'), boot_device: p.boot_device === null || p.boot_device === undefined ? null : abs(p.boot_device, 'boot_device'),
      image: { osystem: str(image.osystem, 'image.osystem'), series: str(image.series, 'image.series'), arch: str(image.arch, 'image.arch'), format: image.format, url, sha256 },
      network: { netplan: str(network.netplan, 'network.netplan'), ifupdown: str(network.ifupdown ?? '', 'network.ifupdown') },
      cloud_init: {
        hostname: str(ci.hostname, 'cloud_init.hostname'), fqdn: str(ci.fqdn, 'cloud_init.fqdn'), ssh_keys: strs(ci.ssh_keys ?? [], 'cloud_init.ssh_keys'),
        user_data_b64: ci.user_data_b64 === null || ci.user_data_b64 === undefined ? null : str(ci.user_data_b64, 'cloud_init.user_data_b64'),
        metadata_url: str(ci.metadata_url, 'cloud_init.metadata_url'),
      },
      kernel_opts: str(p.kernel_opts ?? '', 'kernel_opts'),
      ephemeral: p.ephemeral === true,
    };
  } catch (e) {
    if (e instanceof PlanError) throw new Error(`The install plan cannot be used: ${e.message}`);
    throw e;
  }
}

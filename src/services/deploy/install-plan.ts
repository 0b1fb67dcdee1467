/**
 * The deployment plan Plinth's installer (the agent in the ephemeral environment) fetches and
 * applies step by step: the storage operations (argv lists, no shell), the OS image to write, the
 * network configuration of the installed system, and its cloud-init seed. Only a machine that is
 * deploying has a plan. The installer reuses its own metadata credentials for the installed
 * system's cloud-init, so no secret is part of the plan.
 */
import { conflict, noMatch } from '../../domain/errors.ts';
import { NodeStatus as S, statusName } from '../../domain/machine/status.ts';
import { commandsFor, type Command } from '../../domain/storage/plan-render.ts';
import { devicePath } from '../../domain/storage/tree.ts';
import { nodesRepo } from '../../store/repos/machines.ts';
import type { ServiceContext } from '../context.ts';
import { getConfig } from '../config.ts';
import { machineStoragePlan } from '../storage/plan.ts';
import { machineNetworkConfig } from '../network/machine-config.ts';
import { deployImageFor } from '../boot-resources/deploy-image.ts';

export interface InstallStep {
  /** What the step does, for events and logs ("partition /dev/vda", "mkfs ext4 …"). */
  name: string;
  commands: Command[];
}

export interface InstallPlan {
  system_id: string;
  hostname: string;
  /** Ephemeral (in-memory) deploy: the disks are left alone; storage parts are empty. */
  ephemeral: boolean;
  domain: string;
  /** Where the new root is assembled. */
  target: string;
  storage: InstallStep[];
  /** Mounts of the new system in order (source, target under `target`, type, options). */
  mounts: { source: string; target: string; fstype: string; options: string }[];
  /** Lines for the installed system's /etc/fstab. */
  fstab: string[];
  /** The disk whose boot record / ESP gets the bootloader, when the layout names one. */
  boot_device: string | null;
  /** tgz: a root tarball untarred onto the mounted layout; ddgz: a gzipped disk image written to boot_device (no storage steps). */
  image: { osystem: string; series: string; arch: string; format: 'tgz' | 'ddgz'; url: string; sha256: string | null };
  network: { netplan: string; ifupdown: string };
  cloud_init: { hostname: string; fqdn: string; ssh_keys: string[]; user_data_b64: string | null; metadata_url: string };
  kernel_opts: string;
}

function stepName(c: Command, op: string): string {
  return c.argv ? `${op}: ${c.argv.join(' ')}` : `${op}: write ${c.write!.path}`;
}

export async function buildInstallPlan(ctx: ServiceContext, systemId: string, baseUrl: string): Promise<InstallPlan> {
  const q = ctx.db;
  const node = await nodesRepo.bySystemId(q, systemId);
  if (!node || node.node_type !== 0) throw noMatch('Machine');
  if (node.status !== S.DEPLOYING) throw conflict(`Machine ${systemId} is not deploying (status is ${statusName(node.status)}).`);
  const ephemeral = node.ephemeral_deploy === true;
  const steps: InstallStep[] = [];
  const mounts: InstallPlan['mounts'] = [];
  const fstab: string[] = [];
  let target = '/target';
  let bootDevice: string | null = null;
  const [arch] = (node.architecture ?? '').split('/');
  const osystem = node.osystem || String(await getConfig(q, 'default_osystem'));
  const series = node.distro_series || String(await getConfig(q, 'default_distro_series'));
  const image = await deployImageFor(q, osystem, series, arch || 'amd64');
  if (!ephemeral && image.format === 'ddgz') {
    // A disk image brings its own partitions: no storage steps, only the disk to write it to.
    const { tree } = await machineStoragePlan(ctx, systemId, { target });
    const physical = tree.block_devices.filter((d) => !d.source).sort((a, b) => a.id - b.id);
    const disk = physical.find((d) => d.id === tree.boot_disk_id) ?? physical[0] ?? null;
    if (!disk) throw conflict(`${systemId} has no disk to write the ${osystem}/${series} disk image to.`);
    bootDevice = devicePath(tree, disk);
  } else if (!ephemeral) {
    const storage = await machineStoragePlan(ctx, systemId, { target });
    if (storage.errors) throw conflict(`The storage layout of ${systemId} cannot be installed: ${storage.errors.map((e) => e.message).join('; ')}`);
    target = storage.plan.target;
    for (const op of storage.plan.operations) {
      if (op.op === 'mount') { mounts.push({ source: op.source, target: op.target, fstype: op.fstype, options: op.options }); continue; }
      if (op.op === 'fstab') { fstab.push(`${op.spec}\t${op.mount_point}\t${op.vfstype}\t${op.options}\t${op.dump}\t${op.pass}`); continue; }
      const commands = commandsFor(op);
      if (commands.length) steps.push({ name: stepName(commands[0], op.op), commands });
    }
    const t = storage.tree;
    // The layout's boot disk, else the first physical device (lowest id), as the planner assumes.
    const physical = t.block_devices.filter((d) => !d.source).sort((a, b) => a.id - b.id);
    const bootDisk = physical.find((d) => d.id === t.boot_disk_id) ?? physical[0] ?? null;
    bootDevice = bootDisk ? devicePath(t, bootDisk) : null;
  }
  const domain = (await q.query<{ name: string }>('select d.name from domains d where d.id = $1', [node.domain_id]))[0]?.name ?? 'maas';
  const keys = node.owner_id === null ? [] : (await q.query<{ key: string }>('select key from sshkeys where user_id = $1 order by id', [node.owner_id])).map((r) => r.key);
  const userData = (await q.query<{ data: Buffer }>('select data from node_user_data where node_id = $1', [node.id]))[0]?.data ?? null;
  const root = baseUrl.replace(/\/+$/, '');
  return {
    system_id: node.system_id,
    hostname: node.hostname,
    ephemeral,
    domain,
    target,
    storage: steps,
    mounts,
    fstab,
    boot_device: bootDevice,
    image: { osystem, series, arch: arch || 'amd64', format: image.format, url: `${root}/images/${image.path}`, sha256: image.sha256 },
    network: await machineNetworkConfig(q, { id: node.id, system_id: node.system_id, domain }),
    cloud_init: {
      hostname: node.hostname, fqdn: `${node.hostname}.${domain}`, ssh_keys: keys,
      user_data_b64: userData ? Buffer.from(userData).toString('base64') : null,
      metadata_url: `${root}/MAAS/metadata/`,
    },
    kernel_opts: String((await getConfig(q, 'kernel_opts')) ?? ''),
  };
}

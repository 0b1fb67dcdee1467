/**
 * Plan operations as commands (argv lists, stdin, file writes: what the installer executes without a
 * shell) and as one POSIX shell script (for golden files and for reading). Tools: wipefs, sgdisk
 * (GPT), sfdisk (MBR), mdadm, LVM2, make-bcache (bcache-tools) and the mkfs family.
 */
import { MiB, formatSize } from './units.ts';
import type { PlanOp, StoragePlan } from './planner.ts';

export type Command =
  | { argv: string[]; stdin?: string; write?: undefined }
  | { write: { path: string; content: string; append: boolean }; argv?: undefined };

/** mdadm prints and parses array UUIDs as four colon-separated 32-bit hex words. */
const mdUuid = (uuid: string) => uuid.replace(/-/g, '').match(/.{8}/g)!.join(':');

function mkfsArgv(op: Extract<PlanOp, { op: 'mkfs' }>): string[] {
  const label = (flag: string, max?: number) => (op.label === null ? [] : [flag, max ? op.label.slice(0, max) : op.label]);
  switch (op.fstype) {
    case 'ext2': case 'ext4': return [`mkfs.${op.fstype}`, '-F', '-q', ...label('-L'), '-U', op.uuid, op.device];
    case 'xfs': return ['mkfs.xfs', '-f', ...label('-L'), '-m', `uuid=${op.uuid}`, op.device];
    case 'btrfs': return ['mkfs.btrfs', '-f', ...label('-L'), '-U', op.uuid, op.device];
    case 'fat32': case 'vfat':
      return ['mkfs.vfat', ...(op.fstype === 'fat32' ? ['-F', '32'] : []), ...label('-n'), '-i', op.uuid.replace('-', ''), op.device];
    case 'swap': return ['mkswap', ...label('-L'), '-U', op.uuid, op.device];
    default: return [];
  }
}

export function commandsFor(op: PlanOp): Command[] {
  switch (op.op) {
    case 'wipe': return [{ argv: ['wipefs', '--all', '--force', op.device] }];
    case 'partition-table':
      return op.table === 'GPT'
        ? [{ argv: ['sgdisk', '--zap-all', op.device] }, { argv: ['sgdisk', '--clear', op.device] }]
        : [{ argv: ['sfdisk', '--wipe', 'always', op.device], stdin: 'label: dos\n' }];
    case 'partition':
      if (op.table === 'GPT') {
        return [{
          argv: ['sgdisk', `--new=${op.number}:${op.start_sector}:${op.end_sector}`, `--typecode=${op.number}:${op.type_code}`,
            `--partition-guid=${op.number}:${op.uuid}`,
            // Attribute bit 2 is "legacy BIOS bootable"; an ESP is found by its type GUID instead.
            ...(op.bootable && op.type_code !== 'EF00' ? [`--attributes=${op.number}:set:2`] : []), op.device],
        }];
      }
      return [{
        argv: ['sfdisk', '--append', '--no-reread', op.device],
        stdin: `start=${op.start_sector}, size=${op.end_sector - op.start_sector + 1}, type=${op.type_code}${op.bootable ? ', bootable' : ''}\n`,
      }];
    case 'md-create':
      return [{
        argv: ['mdadm', '--create', op.path, '--run', '--metadata=1.2', `--level=${op.level}`, `--raid-devices=${op.devices.length}`,
          ...(op.spares.length ? [`--spare-devices=${op.spares.length}`] : []), `--uuid=${mdUuid(op.uuid)}`, `--name=${op.name}`, ...op.devices, ...op.spares],
      }];
    case 'pvcreate': return [{ argv: ['pvcreate', '--force', '--yes', op.device] }];
    case 'vgcreate': return [{ argv: ['vgcreate', '--yes', op.name, ...op.devices] }];
    case 'lvcreate': return [{ argv: ['lvcreate', '--yes', '--wipesignatures', 'y', '--name', op.name, '--size', `${op.size / MiB}m`, op.vg] }];
    case 'bcache-cache': return [{ argv: ['make-bcache', '--wipe-bcache', '--cset-uuid', op.cset_uuid, '-C', op.device] }];
    case 'bcache-backing': {
      const sys = `/sys/block/${op.path.replace(/^\/dev\//, '')}/bcache`;
      return [
        { argv: ['make-bcache', '--wipe-bcache', ...(op.cache_mode === 'writeback' ? ['--writeback'] : []), '-B', op.device] },
        { argv: ['udevadm', 'settle'] },
        { write: { path: `${sys}/attach`, content: `${op.cset_uuid}\n`, append: false } },
        { write: { path: `${sys}/cache_mode`, content: `${op.cache_mode}\n`, append: false } },
      ];
    }
    case 'mkfs': return [{ argv: mkfsArgv(op) }];
    case 'mount': return [{ argv: ['mkdir', '-p', op.target] }, { argv: ['mount', '-t', op.fstype, '-o', op.options, op.source, op.target] }];
    case 'fstab':
      return [{ write: { path: op.file, content: `${[op.spec, op.mount_point, op.vfstype, op.options, op.dump, op.pass].join('\t')}\n`, append: true } }];
  }
}

/** Single-quote a word for the shell unless it is plainly safe. */
export const shellQuote = (s: string): string => (/^[A-Za-z0-9_./:=@%+,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

function describe(op: PlanOp): string {
  switch (op.op) {
    case 'wipe': return `wipe old signatures on ${op.device}`;
    case 'partition-table': return `${op.table} partition table on ${op.device} (${op.sectors} sectors of ${op.sector_size} bytes; usable ${op.first_usable_sector}-${op.last_usable_sector})`;
    case 'partition': return `partition ${op.number} on ${op.device}: sectors ${op.start_sector}-${op.end_sector} (${formatSize((op.end_sector - op.start_sector + 1) * op.sector_size)}) type ${op.type_code}${op.bootable ? ' bootable' : ''}`;
    case 'md-create': return `RAID level ${op.level} ${op.name} from ${op.devices.length} device(s)${op.spares.length ? ` and ${op.spares.length} spare(s)` : ''}`;
    case 'pvcreate': return `LVM physical volume ${op.device}`;
    case 'vgcreate': return `LVM volume group ${op.name}`;
    case 'lvcreate': return `LVM logical volume ${op.vg}/${op.name} (${formatSize(op.size)})`;
    case 'bcache-cache': return `bcache cache set ${op.cset_uuid} on ${op.device}`;
    case 'bcache-backing': return `bcache ${op.path} backed by ${op.device} (${op.cache_mode})`;
    case 'mkfs': return `${op.fstype} on ${op.device}`;
    case 'mount': return `mount ${op.source} at ${op.target}`;
    case 'fstab': return `fstab entry for ${op.mount_point}`;
  }
}

/** printf that reproduces `text` exactly: one argument per line, each followed by a newline. */
function printf(text: string): string {
  const lines = text.split('\n');
  const last = lines.pop()!;
  const words = lines.map((l) => shellQuote(l));
  if (last === '') return `printf '%s\\n' ${words.join(' ')}`;
  return `printf '%s' ${shellQuote(text)}`;
}

function renderCommand(c: Command): string {
  if (c.write) return `${printf(c.write.content)} ${c.write.append ? '>>' : '>'} ${shellQuote(c.write.path)}`;
  const cmd = c.argv.map(shellQuote).join(' ');
  return c.stdin === undefined ? cmd : `${printf(c.stdin)} | ${cmd}`;
}

/** The plan as a shell script: each operation's commands under a comment saying what it does. */
export function renderPlanScript(plan: StoragePlan): string {
  const lines = ['#!/bin/sh', '# Storage plan generated by Plinth. Runs in the installer environment.', 'set -eu', ''];
  const fstab = plan.operations.filter((o): o is Extract<PlanOp, { op: 'fstab' }> => o.op === 'fstab');
  for (const op of plan.operations) {
    if (op.op === 'fstab') continue;
    lines.push(`# ${describe(op)}`, ...commandsFor(op).map(renderCommand));
  }
  if (fstab.length) {
    lines.push('', `# fstab (written once the system is installed under ${plan.target})`, `mkdir -p ${shellQuote(`${plan.target}/etc`)}`, `cat >> ${shellQuote(fstab[0].file)} <<'FSTAB'`);
    for (const op of fstab) lines.push(commandsFor(op).map((c) => c.write!.content.trimEnd()).join(''));
    lines.push('FSTAB');
  }
  return `${lines.join('\n')}\n`;
}

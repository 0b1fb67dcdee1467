/**
 * Whole-tree validation. Returns every problem found as `{field, message}`; never throws for bad
 * input, however malformed. An empty list means the tree is consistent (and, with `deployable`,
 * installable).
 */
import { NodeStatus, statusName } from '../machine/status.ts';
import { validateBoot } from './validate-boot.ts';
import { validateDevices } from './validate-devices.ts';
import { validateFilesystems } from './validate-filesystems.ts';
import { validateGroups } from './validate-groups.ts';
import type { StorageError, StorageTree } from './types.ts';

export interface ValidateOptions {
  /** Also require what a deployment needs: a root filesystem and a bootable boot disk. */
  deployable?: boolean;
}

export function validateTree(t: StorageTree, opts: ValidateOptions = {}): StorageError[] {
  const errors: StorageError[] = [];
  if (t.firmware !== 'bios' && t.firmware !== 'uefi') errors.push({ field: 'firmware', message: `Firmware must be 'bios' or 'uefi', not '${String(t.firmware)}'.` });
  errors.push(...validateDevices(t), ...validateGroups(t), ...validateFilesystems(t));
  if (opts.deployable) errors.push(...validateBoot(t));
  return dedupe(errors);
}

function dedupe(errors: StorageError[]): StorageError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const k = `${e.field ?? ''}\u0000${e.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Statuses in which a machine's storage configuration may change (maas-api-spec.md §4.4). */
export const STORAGE_EDITABLE_STATUSES: readonly number[] = [NodeStatus.READY, NodeStatus.ALLOCATED];

export function canEditStorage(status: number): { allowed: true } | { allowed: false; message: string } {
  if (STORAGE_EDITABLE_STATUSES.includes(status)) return { allowed: true };
  return {
    allowed: false,
    message: `Cannot change the storage of a machine that is ${statusName(status)}; storage can only be changed when the machine is Ready or Allocated.`,
  };
}

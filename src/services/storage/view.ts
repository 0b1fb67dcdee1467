/** Reading a machine's storage for the API: its tree plus the disk facts the tree does not carry. */
import type { StorageTree } from '../../domain/storage/index.ts';
import type { MachineRecord } from '../../store/repos/machines.ts';
import type { Actor, ServiceContext } from '../context.ts';
import { getMachine } from '../machines/access.ts';
import { assembleTree } from './tree.ts';

export interface StorageView {
  system_id: string;
  tree: StorageTree;
  /** Firmware versions of the physical disks, by block device id. */
  firmware_versions: Map<number, string | null>;
}

/** Pure: the view of a machine loaded with loadMachines (its stored tree included). */
export function storageView(m: MachineRecord): StorageView {
  return {
    system_id: m.system_id,
    tree: assembleTree(m, m.blockdevices, m.storage ?? null),
    firmware_versions: new Map(m.blockdevices.map((b) => [b.id, b.firmware_version])),
  };
}

/** The storage of a machine this actor may see (404 otherwise). */
export async function readStorage(ctx: ServiceContext, actor: Actor, systemId: string): Promise<StorageView> {
  return storageView(await getMachine(ctx, actor, systemId));
}

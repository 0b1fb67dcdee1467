/**
 * Every storage change runs here, in one transaction: lock the machine, check who may edit and that
 * its status allows it, load its tree, run the (pure) edit, refuse it if the result has problems the
 * tree did not have before, then store the result. A refused edit writes nothing; an edit that leaves
 * the tree as it was writes nothing either (so the machine's version does not move).
 */
import { randomBytes } from 'node:crypto';
import { conflict, forbidden, invalid, noMatch } from '../../domain/errors.ts';
import { NodeStatus } from '../../domain/machine/status.ts';
import { canEditStorage, validateTree, type SeedFn, type StorageError, type StorageTree } from '../../domain/storage/index.ts';
import type { Queryable } from '../../store/db.ts';
import { nodesRepo, type BlockDeviceRow, type NodeRow } from '../../store/repos/machines.ts';
import { allocateIds, physicalDisksRepo, storageRepo, type IdKind } from '../../store/repos/storage.ts';
import type { Actor, ServiceContext } from '../context.ts';
import { remapNewIds } from './remap.ts';
import { assembleTree, toStored } from './tree.ts';

/** Entropy for UUIDs the domain creates (it draws none itself). */
export const cryptoSeed: SeedFn = () => randomBytes(4).readUInt32BE(0);

export interface Created { kind: IdKind; id: number }
export type OpOutcome = { tree: StorageTree; created?: Created; errors?: undefined } | { errors: StorageError[]; tree?: undefined };
/** A pure edit: the current tree in, the new tree (or the user's errors) out. */
export type StorageOp = (t: StorageTree, seed: SeedFn) => OpOutcome;

export interface EditOptions {
  /** Admins only (default: admins and the machine's owner). */
  adminOnly?: boolean;
  /** Statuses that allow the edit: Ready or Allocated (default), Ready only, or any. */
  status?: 'editable' | 'ready' | 'any';
  /** Compute and check the result but store nothing. */
  dryRun?: boolean;
  /** Also require the result to be deployable (root filesystem, boot partitions). */
  deployable?: boolean;
}

export interface EditResult { node: NodeRow; tree: StorageTree; changed: boolean; created?: Created }

/** Errors as MAAS's field-error JSON: `{"field": ["message", …]}`; `__all__` for whole-tree problems. */
export function storageInvalid(errors: StorageError[]) {
  const fields: Record<string, string[]> = {};
  for (const e of errors) (fields[e.field ?? '__all__'] ??= []).push(e.message);
  return invalid(fields);
}

/** Canonical JSON (keys sorted, lists by id) for "did anything change". */
export function canonicalTree(t: StorageTree): string {
  const byId = <T extends { id: number }>(xs: T[]) => [...xs].sort((a, b) => a.id - b.id);
  const norm: StorageTree = {
    ...t, block_devices: byId(t.block_devices), partitions: byId(t.partitions), filesystems: byId(t.filesystems),
    volume_groups: byId(t.volume_groups), raids: byId(t.raids), cache_sets: byId(t.cache_sets), bcaches: byId(t.bcaches),
  };
  return JSON.stringify(norm, (_k, v: unknown) => (v && typeof v === 'object' && !Array.isArray(v)
    ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]])) : v));
}

/** The machine row for a storage request, locked, if this actor may see it; 404 otherwise. */
export async function lockMachine(q: Queryable, actor: Actor, systemId: string): Promise<NodeRow> {
  const node = await nodesRepo.bySystemId(q, systemId, true);
  if (!node || node.node_type !== 0) throw noMatch('Machine');
  if (!actor.isAdmin && node.owner_id !== null && node.owner_id !== actor.id) throw noMatch('Machine');
  return node;
}

export function checkAccess(actor: Actor, node: NodeRow, opts: EditOptions): void {
  if (opts.adminOnly && !actor.isAdmin) throw forbidden();
  if (!actor.isAdmin && node.owner_id !== actor.id) throw forbidden(`You do not have permission to modify the storage of machine ${node.system_id}.`);
  const status = opts.status ?? 'editable';
  if (status === 'ready' && node.status !== NodeStatus.READY) throw conflict('Cannot change the storage layout on a machine that is not Ready.');
  if (status === 'editable') {
    const allowed = canEditStorage(node.status);
    if (!allowed.allowed) throw conflict(allowed.message);
  }
}

export async function editStorage(ctx: ServiceContext, actor: Actor, systemId: string, op: StorageOp, opts: EditOptions = {}): Promise<EditResult> {
  return ctx.db.tx(async (q) => {
    const node = await lockMachine(q, actor, systemId);
    checkAccess(actor, node, opts);
    const { rows, stored, before } = await loadForEdit(q, node);
    const out = op(before, cryptoSeed);
    if (out.errors) throw storageInvalid(out.errors);
    const key = (e: StorageError) => `${e.field ?? ''}\u0000${e.message}`;
    const known = new Set(validateTree(before).map(key));
    const problems = validateTree(out.tree, { deployable: opts.deployable ?? false }).filter((e) => !known.has(key(e)));
    if (problems.length) throw storageInvalid(problems);
    if (canonicalTree(before) === canonicalTree(out.tree)) return { node, tree: before, changed: false, created: out.created };
    if (opts.dryRun) return { node, tree: out.tree, changed: true, created: out.created };
    return { node, ...(await commitTree(q, node.id, { rows, stored, before }, out.tree, out.created)) };
  });
}

export interface Loaded { rows: BlockDeviceRow[]; stored: Awaited<ReturnType<typeof storageRepo.load>>; before: StorageTree }

/** The machine's current storage (its disks' rows, the stored layout, the assembled tree), in q. */
export async function loadForEdit(q: Queryable, node: NodeRow): Promise<Loaded> {
  const rows = await storageRepo.blockDevices(q, node.id);
  const stored = await storageRepo.load(q, node.id);
  return { rows, stored, before: assembleTree(node, rows, stored) };
}

/** Stores a checked new tree: real ids for the new entities, the disks' rows, the layout. */
export async function commitTree(q: Queryable, nodeId: number, l: Loaded, next: StorageTree, created?: Created): Promise<Omit<EditResult, 'node'>> {
  const { tree, maps } = await remapNewIds(l.before, next, (k, n) => allocateIds(q, k, n));
  await writeDisks(q, nodeId, l.rows, tree);
  if (l.stored === null || JSON.stringify(toStored(l.before)) !== JSON.stringify(toStored(tree))) await storageRepo.save(q, nodeId, toStored(tree));
  return { tree, changed: true, created: created && { kind: created.kind, id: maps[created.kind].get(created.id) ?? created.id } };
}

/** Physical disks' rows: added, changed (name, sizes, tags, boot flag) and removed ones. */
async function writeDisks(q: Queryable, nodeId: number, rows: BlockDeviceRow[], t: StorageTree): Promise<void> {
  const old = new Map(rows.filter((r) => r.type === 'physical').map((r) => [r.id, r]));
  const disks = t.block_devices.filter((d) => d.type === 'physical');
  for (const d of disks) {
    const fields = { name: d.name, model: d.model, serial: d.serial, id_path: d.id_path, size: d.size, block_size: d.block_size, tags: d.tags, is_boot: d.id === t.boot_disk_id };
    const r = old.get(d.id);
    if (!r) await physicalDisksRepo.insert(q, nodeId, d.id, fields);
    else if (r.name !== d.name || r.model !== d.model || r.serial !== d.serial || r.id_path !== d.id_path || r.size !== d.size
      || r.block_size !== d.block_size || r.is_boot !== fields.is_boot || JSON.stringify(r.tags) !== JSON.stringify(d.tags)) {
      await physicalDisksRepo.update(q, nodeId, d.id, fields);
    }
  }
  const kept = new Set(disks.map((d) => d.id));
  for (const id of old.keys()) if (!kept.has(id)) await physicalDisksRepo.delete(q, nodeId, id);
}

/** A machine's current tree, read without locking (for renderers and the installer). */
export async function loadTree(q: Queryable, node: NodeRow): Promise<StorageTree> {
  return assembleTree(node, await storageRepo.blockDevices(q, node.id), await storageRepo.load(q, node.id));
}

/**
 * The `storage` allocation constraint (maas-api-spec.md §9.1): `label:size(tag,tag),label2:size,…`.
 * Sizes are decimal gigabytes (×1000³). The first entry is the root disk, the node's boot disk; every
 * other entry takes the smallest still-unused physical disk that is large enough and carries all of
 * its tags, the entries with the most tags choosing first.
 */
import { invalid } from '../errors.ts';

export interface StorageConstraint {
  /** '' when the entry had no label (matched, but not reported in constraints_by_type). */
  label: string;
  bytes: number;
  tags: string[];
}

/** A physical disk as the matcher sees it. */
export interface DiskFacts { id: number; size: number; tags: string[]; isBoot: boolean }

const ENTRY = /(?:([a-zA-Z0-9]+):)?([0-9.]+)(?:\(([^)]+)\))?/g;
const malformed = (value: string) => invalid({ storage: [`Malformed storage constraint, "${value}".`] });

/**
 * Parses the constraint. The text must be exactly the comma-joined entries the pattern recognises
 * (anything else is malformed). Returns the entries root first, the rest most-tags first (stable).
 */
export function parseStorage(value: string): StorageConstraint[] {
  if (value === '') return [];
  const entries: StorageConstraint[] = [];
  const rendered: string[] = [];
  for (const m of value.matchAll(ENTRY)) {
    const [, label = '', size, tags = ''] = m;
    rendered.push(`${label ? `${label}:` : ''}${size}${tags ? `(${tags})` : ''}`);
    if (!/^(\d+\.?\d*|\.\d+)$/.test(size)) throw malformed(value);
    const tagList = tags ? tags.split(',') : [];
    if (tagList.some((t) => t.trim() === '')) throw malformed(value);
    entries.push({ label, bytes: Math.trunc(Number(size) * 1000 ** 3), tags: tagList.map((t) => t.trim()) });
  }
  if (!entries.length || rendered.join(',') !== value) throw malformed(value);
  const labels = entries.map((e) => e.label).filter(Boolean);
  const dup = labels.find((l, i) => labels.indexOf(l) !== i);
  if (dup) throw invalid({ storage: [`Storage label "${dup}" is used more than once.`] });
  const [root, ...rest] = entries;
  // Array.prototype.sort is stable: entries with equal tag counts keep their order.
  return [root, ...rest.sort((a, b) => b.tags.length - a.tags.length)];
}

const fits = (c: StorageConstraint, d: DiskFacts) => d.size >= c.bytes && c.tags.every((t) => d.tags.includes(t));

/** The root disk: the boot disk, else the physical disk with the lowest id. */
export function rootDisk(disks: DiskFacts[]): DiskFacts | undefined {
  return disks.find((d) => d.isBoot) ?? [...disks].sort((a, b) => a.id - b.id)[0];
}

/**
 * Matches one node's physical disks. Returns label → disk ids (labelled entries only), or null when
 * some entry finds no disk. With no constraints every node matches with an empty map.
 */
export function matchStorage(constraints: StorageConstraint[], disks: DiskFacts[]): Record<string, number[]> | null {
  const out: Record<string, number[]> = {};
  if (!constraints.length) return out;
  const used = new Set<number>();
  const [root, ...rest] = constraints;
  const boot = rootDisk(disks);
  // "partition" asks for a partition; Plinth does not model partitions on machines yet, so none fit.
  if (!boot || root.tags.includes('partition') || !fits(root, boot)) return null;
  used.add(boot.id);
  if (root.label) out[root.label] = [boot.id];
  const bySize = [...disks].sort((a, b) => a.size - b.size || a.id - b.id);
  for (const c of rest) {
    if (c.tags.includes('partition')) return null;
    const d = bySize.find((x) => !used.has(x.id) && fits(c, x));
    if (!d) return null;
    used.add(d.id);
    if (c.label) out[c.label] = [...(out[c.label] ?? []), d.id];
  }
  return out;
}

/** The smallest size every matching node must have on some disk (a cheap SQL pre-filter). */
export const largestRequested = (constraints: StorageConstraint[]) => Math.max(0, ...constraints.map((c) => c.bytes));

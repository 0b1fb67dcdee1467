/**
 * Identifiers for entities the domain creates: UUIDs drawn from the caller's SeedFn (the domain has
 * no randomness of its own) and ids that are the next free integer of their kind.
 */
import type { SeedFn } from './types.ts';

const hex8 = (n: number) => (n >>> 0).toString(16).padStart(8, '0');

/** An RFC 9562 §5.4 version-4 UUID from four 32-bit draws (version and variant bits set). */
export function uuidFromSeed(seed: SeedFn): string {
  const words = [seed(), seed(), seed(), seed()].map((w) => w >>> 0);
  words[1] = ((words[1] & 0xffff0fff) | 0x00004000) >>> 0; // version 4 in bits 48–51
  words[2] = ((words[2] & 0x3fffffff) | 0x80000000) >>> 0; // variant 10xx in bits 64–65
  const h = words.map(hex8).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * A FAT volume serial number written as filesystems report it (`XXXX-XXXX`, upper-case hex): what
 * blkid shows as the UUID of a FAT filesystem and what fstab's UUID= expects for it.
 */
export function fatVolumeIdFromSeed(seed: SeedFn): string {
  const h = hex8(seed()).toUpperCase();
  return `${h.slice(0, 4)}-${h.slice(4)}`;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const FAT_ID_RE = /^[0-9A-F]{4}-[0-9A-F]{4}$/i;

export const isUuid = (s: string): boolean => UUID_RE.test(s);
export const isFatVolumeId = (s: string): boolean => FAT_ID_RE.test(s);

/** The next free id after every id in `items` (1 for an empty list). */
export function nextId(items: readonly { id: number }[]): number {
  let max = 0;
  for (const it of items) if (it.id > max) max = it.id;
  return max + 1;
}

/** A counter that hands out ids above every id already present, one kind at a time. */
export function idCounter(existing: readonly { id: number }[]): () => number {
  let next = nextId(existing);
  return () => next++;
}

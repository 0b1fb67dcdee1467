/**
 * Build inputs, the cache key derived from them, and the manifest each build writes next to its
 * outputs.
 */
import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ImageKind } from './profiles.ts';

export interface BuildInputs {
  kind: ImageKind;
  suite: string;
  arch: string;
  mirror: string;
  packages: string[];
  builderVersion: string;
  /** sha256 of the builder's own scripts (init, hooks): editing one rebuilds. */
  scripts: string;
  /** sha256 of the agent bundle baked in, or null when there is none. */
  agent: string | null;
}

export interface OutputFile {
  name: string;
  size: number;
  sha256: string;
}

export interface Manifest {
  key: string;
  inputs: BuildInputs;
  outputs: OutputFile[];
  packages: { name: string; version: string }[];
  kernel: string | null;
  builtAt: string;
  seconds: number;
}

/** Stable JSON: object keys sorted, so equal inputs always hash alike. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** The cache key: 16 hex digits of sha256 over the canonical inputs (package order does not matter). */
export function cacheKey(inputs: BuildInputs): string {
  const norm = { ...inputs, packages: [...inputs.packages].sort() };
  return createHash('sha256').update(canonicalJson(norm)).digest('hex').slice(0, 16);
}

export const buildDirName = (i: BuildInputs, key: string) => `${i.kind}-${i.suite}-${i.arch}-${key}`;

export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path).on('data', (d) => h.update(d)).on('error', reject).on('end', () => resolve(h.digest('hex')));
  });
}

export async function describeOutputs(dir: string, names: string[]): Promise<OutputFile[]> {
  const out: OutputFile[] = [];
  for (const name of names) out.push({ name, size: statSync(join(dir, name)).size, sha256: await sha256File(join(dir, name)) });
  return out;
}

/** Parses `dpkg-query -W -f '${Package}\t${Version}\n'` output. */
export function parsePackageList(text: string): { name: string; version: string }[] {
  return text.split('\n').map((l) => l.split('\t')).filter((p) => p.length === 2 && p[0])
    .map(([name, version]) => ({ name, version })).sort((a, b) => a.name.localeCompare(b.name));
}

export function manifestText(m: Manifest): string {
  return `${JSON.stringify(m, null, 2)}\n`;
}

/**
 * Reading a simplestreams mirror (what `sstream-mirror` writes; MAAS's image format): a local
 * directory (a path or `file://` URL) or an http(s) URL. `streams/v1/index.json` lists content
 * entries; those of datatype `image-downloads` name a products file, whose products have versions
 * whose items are files (`ftype`, `path` relative to the mirror root, `sha256`, `size`). Keys set
 * at an outer level (the file, a product, a version) apply to everything inside it.
 *
 * A signed index (`index.sjson`, PGP clear-signed) is read when there is no `index.json`, but its
 * signature is NOT verified here: each file's sha256 is checked against the products file, which
 * protects against corruption, not against a forged mirror. Mirrors are the operator's own.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { badRequest } from '../../domain/errors.ts';
import type { FileType } from '../../store/repos/boot-resources.ts';

export const MIRROR_FTYPES: readonly FileType[] = ['root-tgz', 'squashfs', 'boot-kernel', 'boot-initrd'];

export interface MirrorItem { ftype: FileType; path: string; sha256: string; size: number }
export interface MirrorProduct {
  id: string; os: string; release: string; arch: string; subarch: string; subarches: string[];
  label: string; title: string; version: string; items: MirrorItem[];
}

export interface Mirror {
  url: string;
  readText(rel: string): Promise<string | null>;
  /** The file's bytes from `offset` on. */
  open(rel: string, offset: number): Promise<AsyncIterable<Buffer>>;
}

const CHUNK = 1 << 20;

function relOk(rel: string): string {
  if (rel.startsWith('/') || rel.split('/').some((s) => s === '..' || s === '')) throw badRequest(`The mirror names a path outside itself: ${rel}`);
  return rel;
}

function localMirror(root: string, url: string): Mirror {
  const inside = (rel: string) => {
    const p = resolve(root, relOk(rel));
    if (!p.startsWith(root + sep)) throw badRequest(`The mirror names a path outside itself: ${rel}`);
    return p;
  };
  return {
    url,
    async readText(rel) {
      const p = inside(rel);
      return existsSync(p) ? readFile(p, 'utf8') : null;
    },
    async open(rel, offset) {
      const p = inside(rel);
      if (!existsSync(p)) throw new Error(`${rel} is missing from the mirror`);
      return createReadStream(p, { start: offset, highWaterMark: CHUNK });
    },
  };
}

function httpMirror(base: string): Mirror {
  const root = base.endsWith('/') ? base : `${base}/`;
  return {
    url: base,
    async readText(rel) {
      const res = await fetch(new URL(relOk(rel), root));
      if (res.status === 404) return null;
      if (!res.ok) throw new Error(`${rel}: HTTP ${res.status}`);
      return res.text();
    },
    async open(rel, offset) {
      const res = await fetch(new URL(relOk(rel), root), { headers: offset ? { Range: `bytes=${offset}-` } : {} });
      if (!res.ok || !res.body) throw new Error(`${rel}: HTTP ${res.status}`);
      const body = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
      if (!offset || res.status === 206) return body;
      // The server ignored the range: skip what is already here.
      return (async function* skip() {
        let left = offset;
        for await (const c of body) {
          const chunk = c as Buffer;
          if (left >= chunk.length) { left -= chunk.length; continue; }
          yield chunk.subarray(left);
          left = 0;
        }
      })();
    },
  };
}

/** A path, `file://` URL or http(s) URL. Local mirrors must be existing directories. */
export function openMirror(url: string): Mirror {
  if (/^https?:\/\//i.test(url)) return httpMirror(url);
  let path: string;
  try {
    path = url.startsWith('file:') ? fileURLToPath(url) : url;
  } catch {
    throw badRequest(`'${url}' is not a usable file:// URL.`);
  }
  const root = resolve(path);
  if (!existsSync(root) || !statSync(root).isDirectory()) throw badRequest(`The mirror ${url} is not a directory on this host.`);
  return localMirror(root, url);
}

/** The JSON inside a PGP clear-signed message (dash-escaping undone). */
function clearSigned(text: string): string {
  const start = text.indexOf('\n\n', text.indexOf('-----BEGIN PGP SIGNED MESSAGE-----'));
  const end = text.indexOf('\n-----BEGIN PGP SIGNATURE-----');
  if (start < 0 || end < 0) return text;
  return text.slice(start + 2, end).split('\n').map((l) => (l.startsWith('- ') ? l.slice(2) : l)).join('\n');
}

async function readJson(m: Mirror, rel: string): Promise<Record<string, unknown> | null> {
  const signed = rel.replace(/\.json$/, '.sjson');
  const text = (await m.readText(rel)) ?? (signed !== rel ? await m.readText(signed).then((t) => (t === null ? null : clearSigned(t))) : null);
  if (text === null) return null;
  try {
    const v = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? v : null;
  } catch {
    throw badRequest(`${rel} in the mirror ${m.url} is not valid JSON.`);
  }
}

const obj = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? v as Record<string, unknown> : {});
const scalars = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => ['string', 'number', 'boolean'].includes(typeof v)));
const str = (v: unknown) => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');
const byVersion = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });

/** Products of every image-downloads entry, each at its newest version, with the items Plinth can use. */
export async function readProducts(m: Mirror): Promise<{ products: MirrorProduct[]; notes: string[] }> {
  const index = await readJson(m, 'streams/v1/index.json');
  if (!index) throw badRequest(`${m.url} has no streams/v1/index.json (or index.sjson): not a simplestreams mirror.`);
  const notes: string[] = [];
  const products: MirrorProduct[] = [];
  for (const [contentId, raw] of Object.entries(obj(index.index))) {
    const entry = obj(raw);
    if (entry.datatype !== 'image-downloads' || typeof entry.path !== 'string') continue;
    const doc = await readJson(m, entry.path);
    if (!doc) { notes.push(`${contentId}: ${entry.path} is missing from the mirror`); continue; }
    const top = scalars(doc);
    for (const [id, p] of Object.entries(obj(doc.products))) {
      const product = { ...top, ...scalars(obj(p)) };
      const versions = obj(obj(p).versions);
      const newest = Object.keys(versions).sort(byVersion).at(-1);
      if (!newest) continue;
      const v = { ...product, ...scalars(obj(versions[newest])) };
      const items: MirrorItem[] = [];
      const entries = Object.entries(obj(obj(versions[newest]).items)).sort(([a], [b]) => a.localeCompare(b));
      for (const ftype of MIRROR_FTYPES) {
        const candidates = entries.map(([k, x]) => [k, { ...v, ...scalars(obj(x)) }] as const).filter(([, x]) => x.ftype === ftype);
        const pick = candidates.find(([k]) => k === ftype) ?? candidates[0];
        if (!pick) continue;
        const x = pick[1];
        const sha256 = str(x.sha256).toLowerCase();
        const size = Number(x.size);
        if (!/^[0-9a-f]{64}$/.test(sha256) || !Number.isSafeInteger(size) || size < 0 || typeof x.path !== 'string') {
          notes.push(`${id} ${newest}: item ${pick[0]} has no usable sha256, size or path`);
          continue;
        }
        items.push({ ftype, path: x.path, sha256, size });
      }
      if (!items.length) continue;
      const os = str(v.os), release = str(v.release), arch = str(v.arch);
      if (!os || !release || !arch) { notes.push(`${id}: no os, release or arch`); continue; }
      products.push({
        id, os, release, arch, subarch: str(v.subarch) || 'generic',
        subarches: str(v.subarches).split(',').map((s) => s.trim()).filter(Boolean),
        label: str(v.label) || 'release', title: str(v.release_title) || `${os} ${release}`, version: newest, items,
      });
    }
  }
  return { products, notes };
}

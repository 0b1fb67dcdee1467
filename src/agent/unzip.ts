/**
 * Unpacks a zip archive (a script's URL package) into a directory: stored and deflated members, Unix
 * modes where the archive recorded them. No ZIP64, no encryption; a member whose path would leave the
 * directory is refused. The image has no unzip program, so the agent reads the format itself.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import { inflateRawSync } from 'node:zlib';

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

export const isZip = (head: Buffer) => head.length >= 4 && head.readUInt32LE(0) === LOCAL;

function endOfCentralDirectory(buf: Buffer): number {
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) if (buf.readUInt32LE(i) === EOCD) return i;
  throw new Error('not a zip archive (no end of central directory)');
}

/** Extracts every member; returns the paths written, relative to `root`. */
export function unzip(buf: Buffer, root: string): string[] {
  const base = resolve(root);
  const eocd = endOfCentralDirectory(buf);
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  if (count === 0xffff || p === 0xffffffff) throw new Error('ZIP64 archives are not supported');
  const written: string[] = [];
  for (let i = 0; i < count; i++) {
    if (p + 46 > buf.length || buf.readUInt32LE(p) !== CENTRAL) throw new Error('the zip central directory is damaged');
    const madeBy = buf.readUInt16LE(p + 4);
    const flags = buf.readUInt16LE(p + 8);
    const method = buf.readUInt16LE(p + 10);
    const [size, plainSize] = [buf.readUInt32LE(p + 20), buf.readUInt32LE(p + 24)];
    const [nameLen, extraLen, commentLen] = [buf.readUInt16LE(p + 28), buf.readUInt16LE(p + 30), buf.readUInt16LE(p + 32)];
    const mode = (buf.readUInt32LE(p + 38) >>> 16) & 0o777;
    const local = buf.readUInt32LE(p + 42);
    const name = buf.subarray(p + 46, p + 46 + nameLen).toString(flags & 0x800 ? 'utf8' : 'latin1');
    p += 46 + nameLen + extraLen + commentLen;
    const target = resolve(base, name);
    if (target !== base && !target.startsWith(base + sep)) throw new Error(`the zip archive holds a path outside its directory: ${name}`);
    if (name.endsWith('/')) { mkdirSync(target, { recursive: true }); continue; }
    if (flags & 1) throw new Error(`${name} is encrypted`);
    if (buf.readUInt32LE(local) !== LOCAL) throw new Error(`the zip entry for ${name} is damaged`);
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const raw = buf.subarray(start, start + size);
    const data = method === 0 ? raw : method === 8 ? inflateRawSync(raw) : null;
    if (!data) throw new Error(`${name} uses zip compression method ${method} (only stored and deflated are supported)`);
    if (data.length !== plainSize) throw new Error(`${name} is damaged (${data.length} bytes, expected ${plainSize})`);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, data);
    if (madeBy >> 8 === 3 && mode) chmodSync(target, mode);
    written.push(name);
  }
  return written;
}

/**
 * A cpio archive in the kernel's initramfs format ("newc", ASCII headers, 4-byte alignment,
 * TRAILER!!! at the end). Written here rather than with cpio(1) so the builder needs no extra host
 * tool and can place device nodes (/dev/console) without being root-owned files on disk.
 */
export type CpioEntry =
  | { type: 'dir'; path: string; mode?: number }
  | { type: 'file'; path: string; data: Buffer; mode?: number }
  | { type: 'symlink'; path: string; target: string }
  | { type: 'char'; path: string; major: number; minor: number; mode?: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

const hex = (n: number) => n.toString(16).padStart(8, '0');
const pad4 = (n: number) => Buffer.alloc((4 - (n % 4)) % 4);

function header(ino: number, mode: number, size: number, nameLen: number, rmaj = 0, rmin = 0, nlink = 1): Buffer {
  // magic, ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor, rdevminor, namesize, check
  const f = [ino, mode, 0, 0, nlink, 0, size, 0, 0, rmaj, rmin, nameLen, 0];
  return Buffer.from(`070701${f.map(hex).join('')}`, 'ascii');
}

function record(ino: number, mode: number, name: string, data: Buffer, rmaj = 0, rmin = 0, nlink = 1): Buffer[] {
  const nameBuf = Buffer.from(`${name}\0`, 'utf8');
  const h = header(ino, mode, data.length, nameBuf.length, rmaj, rmin, nlink);
  return [h, nameBuf, pad4(h.length + nameBuf.length), data, pad4(data.length)];
}

/** Entries must list parents before children; paths are relative (no leading slash). */
export function cpioNewc(entries: CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  let ino = 1;
  for (const e of entries) {
    const name = e.path.replace(/^\/+/, '');
    switch (e.type) {
      case 'dir': parts.push(...record(ino++, S_IFDIR | (e.mode ?? 0o755), name, Buffer.alloc(0), 0, 0, 2)); break;
      case 'file': parts.push(...record(ino++, S_IFREG | (e.mode ?? 0o644), name, e.data)); break;
      case 'symlink': parts.push(...record(ino++, S_IFLNK | 0o777, name, Buffer.from(e.target, 'utf8'))); break;
      case 'char': parts.push(...record(ino++, S_IFCHR | (e.mode ?? 0o600), name, Buffer.alloc(0), e.major, e.minor)); break;
    }
  }
  parts.push(...record(0, 0, 'TRAILER!!!', Buffer.alloc(0), 0, 0, 1));
  return Buffer.concat(parts);
}

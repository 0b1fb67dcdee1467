/**
 * What the TFTP server serves is decided by a backend: given the requested path and the client's
 * address it answers with a stream to serve (static files), a buffer (generated per-machine
 * configuration), or null (ERROR 1, file not found).
 *
 * `directoryBackend(root)` serves regular files under one directory. Request paths are normalised
 * first: `\` counts as a separator (Windows-style boot paths), leading and repeated `/` and `.`
 * segments are dropped — so "/pxelinux.0" and "pxelinux.0" name the same file and an absolute
 * path always stays inside the root. Refused (answered as "not found", revealing nothing): any `..`
 * segment, NUL octets, an empty path, anything whose real path (symlinks resolved) leaves the root,
 * and anything that is not a regular file (directories, FIFOs, devices).
 */
import { constants, createReadStream, openSync } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import type { Readable } from 'node:stream';

export interface Remote {
  address: string;
  port: number;
}

/** A file of known size, opened only when the transfer starts. */
export interface StreamedFile {
  size: number;
  open(): Readable;
  /**
   * Identity of the content (changes whenever the content may have), letting the server keep small
   * files in memory across transfers (packet-cache.ts). Without it the file is always streamed.
   */
  cacheKey?: string;
}
/** A file held in memory (for example a generated boot configuration). */
export interface BufferedFile {
  data: Buffer;
}
export type Resolved = StreamedFile | BufferedFile;

export interface TftpBackend {
  /** What to serve for `path` to `remote`; null → ERROR 1 (file not found). A rejection → ERROR 0. */
  resolve(path: string, remote: Remote): Promise<Resolved | null>;
}

/** Normalised relative path (segments joined with `/`), or null when the path is refused. */
export function normalizeRequestPath(path: string): string | null {
  if (path.includes('\0')) return null;
  const segments = path.replace(/\\/g, '/').split('/').filter((s) => s !== '' && s !== '.');
  if (segments.length === 0 || segments.includes('..')) return null;
  return segments.join('/');
}

function inside(root: string, candidate: string): boolean {
  const prefix = root.endsWith(sep) ? root : root + sep;
  return candidate.startsWith(prefix);
}

// O_NOFOLLOW: the resolved path must not have become a symlink since it was checked;
// O_NONBLOCK: nor a FIFO that would block the open.
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/** Serves the regular files under `root` (see the module comment for what is refused). */
export function directoryBackend(root: string): TftpBackend {
  let rootReal: Promise<string> | null = null;
  return {
    async resolve(path: string): Promise<Resolved | null> {
      const relative = normalizeRequestPath(path);
      if (relative === null) return null;
      // Cached once found; a root that does not exist yet is looked up again next time.
      rootReal ??= realpath(root).catch((err: unknown) => { rootReal = null; throw err; });
      const base = await rootReal;
      let real: string;
      try {
        real = await realpath(join(base, relative));
      } catch {
        return null;
      }
      if (!inside(base, real)) return null;
      const info = await stat(real).catch(() => null);
      if (info === null || !info.isFile()) return null;
      // A synchronous open (microseconds on a local file) so that open() can hand back the stream.
      // Path, inode, size and mtime identify the content: replacing or rewriting the file changes one.
      return {
        size: info.size,
        open: () => createReadStream(real, { fd: openSync(real, OPEN_FLAGS) }),
        cacheKey: `${real}\0${info.ino}\0${info.size}\0${info.mtimeMs}`,
      };
    },
  };
}

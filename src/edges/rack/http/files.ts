/**
 * Mapping request paths to files the server may send, and opening them.
 *
 * Request paths are split into segments and percent-decoded one by one (RFC 3986 §2.1); a segment
 * that decodes to "", ".", "..", or contains "/", "\" or NUL is refused (traversal), and the file's
 * real path (symlinks resolved) must still lie inside the directory it is served from.
 *
 * The image store holds only complete images: `images/<path>` is served when `<path>` is a regular
 * file, `<path>.sha256` (its checksum marker, sha256sum format, written after the file is
 * complete) exists and is well-formed, and no `<path>.partial` exists (a download in progress).
 * The marker and partial files themselves are never served. The writer's order is: remove the
 * marker, download into `<path>.partial`, rename it to `<path>`, write the marker.
 */
import { open, readFile, realpath, stat, type FileHandle } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';

export class PathRefused extends Error {
  constructor(readonly status: 400 | 403, message: string) {
    super(message);
  }
}

/** Decoded, checked segments of a path (no leading slash); throws PathRefused. */
export function safeSegments(rawPath: string): string[] {
  const trimmed = rawPath.replace(/^\/+/, '');
  if (trimmed === '') return [];
  return trimmed.split('/').map((raw) => {
    let seg: string;
    try {
      seg = decodeURIComponent(raw);
    } catch {
      throw new PathRefused(400, 'Bad percent-encoding in the path.');
    }
    if (seg === '' || seg === '.' || seg === '..' || /[/\\\u0000]/.test(seg)) {
      throw new PathRefused(400, 'Path refused: empty, dot-dot or encoded separator segments are not allowed.');
    }
    return seg;
  });
}

export interface OpenedFile {
  handle: FileHandle;
  size: number;
  mtimeMs: number;
  etag: string;
  /** Device, inode, size, mtime and ctime: changes whenever the content may have (chunk-cache.ts). */
  identity: string;
}

const MARKER = /^([0-9a-f]{64})(\s|$)/i;

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

/** Resolves `path` inside `root` (real paths compared); null when missing; throws PathRefused outside. */
async function inside(root: string, segments: string[]): Promise<string | null> {
  const realRoot = await realpath(root);
  let real: string;
  try {
    real = await realpath(join(realRoot, ...segments));
  } catch {
    return null;
  }
  if (!real.startsWith(realRoot + sep)) throw new PathRefused(403, 'Path refused: it leads outside the served directory.');
  return real;
}

async function openRegular(path: string, tagSeed: string): Promise<OpenedFile | null> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch {
    return null;
  }
  const st = await handle.stat();
  if (!st.isFile()) {
    await handle.close();
    return null;
  }
  // Strong validator from content identity (checksum or inode) plus size and mtime.
  const etag = `"${tagSeed}-${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`;
  const identity = `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
  return { handle, size: st.size, mtimeMs: st.mtimeMs, etag, identity };
}

/**
 * Who wants to know which images are served (the rack's image cache: LRU times, files in use,
 * misses). `opened` when a file is handed out, `closed` when its handle closes, `missed` when a
 * requested image is missing or incomplete. One listener per images directory.
 */
export interface ImageUseListener { opened(path: string): void; closed(path: string): void; missed(path: string): void }
const useListeners = new Map<string, ImageUseListener>();

export function setImageUseListener(root: string, listener: ImageUseListener | undefined): void {
  if (listener) useListeners.set(resolve(root), listener);
  else useListeners.delete(resolve(root));
}

/** Opens a complete image of the store, or null (missing, incomplete, no valid marker). */
export async function openImage(root: string, segments: string[]): Promise<OpenedFile | null> {
  const opened = await openComplete(root, segments);
  const listener = useListeners.size ? useListeners.get(resolve(root)) : undefined;
  if (listener) {
    const path = segments.join('/');
    if (!opened) listener.missed(path);
    else {
      listener.opened(path);
      // FileHandle emits 'close' (Node ≥ 15.4), which its type declarations do not show.
      (opened.handle as unknown as NodeJS.EventEmitter).once('close', () => listener.closed(path));
    }
  }
  return opened;
}

async function openComplete(root: string, segments: string[]): Promise<OpenedFile | null> {
  const last = segments[segments.length - 1];
  if (!last || last.endsWith('.partial') || last.endsWith('.sha256')) return null;
  const file = await inside(root, segments);
  if (file === null) return null;
  // The marker and the partial file sit next to the requested name (not next to a symlink's target).
  const named = join(await realpath(root), ...segments);
  if (await exists(`${named}.partial`)) return null;
  const marker = await readFile(`${named}.sha256`, 'utf8').catch(() => null);
  const digest = marker === null ? null : MARKER.exec(marker)?.[1];
  if (!digest) return null;
  return openRegular(file, digest.slice(0, 16).toLowerCase());
}

/** Opens a bootloader binary by its configured absolute path. */
export async function openBootloader(path: string): Promise<OpenedFile | null> {
  const st = await stat(path).catch(() => null);
  if (!st) return null;
  return openRegular(path, `b${st.ino.toString(16)}`);
}

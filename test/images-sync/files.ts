/** Image files for the image sync tests (no region code: unit tests import only this). */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const MiB = 1024 * 1024;
export const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Writes `path` under `root` with random content (or `content`) and its marker; `markerOf` marks other bytes (a corrupt upstream). */
export function putImage(root: string, path: string, size: number, o: { content?: Buffer; markerOf?: Buffer; noMarker?: boolean } = {}): Buffer {
  const file = join(root, ...path.split('/'));
  mkdirSync(dirname(file), { recursive: true });
  const data = o.content ?? randomBytes(size);
  writeFileSync(file, data);
  if (!o.noMarker) writeFileSync(`${file}.sha256`, `${sha256(o.markerOf ?? data)}  ${path.split('/').pop()}\n`);
  return data;
}

export function dropImage(root: string, path: string): void {
  const file = join(root, ...path.split('/'));
  rmSync(`${file}.sha256`, { force: true });
  rmSync(file, { force: true });
}

export const has = (root: string, path: string) => existsSync(join(root, ...path.split('/')));
export const read = (root: string, path: string) => readFileSync(join(root, ...path.split('/')));

export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((res) => setTimeout(res, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * The Plinth agent baked into the ephemeral environment: a given bundle, or one built here with
 * esbuild from src/agent/main.ts when that exists. Without either the image is built without it.
 */
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { exec } from './exec.ts';
import { ImageError } from './errors.ts';
import { sha256File } from './manifest.ts';

export const REPO_ROOT = resolve(new URL('../../..', import.meta.url).pathname);

export interface AgentBundle {
  path: string;
  sha256: string;
}

export async function resolveAgent(explicit: string | undefined, workDir: string, warn: (s: string) => void): Promise<AgentBundle | null> {
  if (explicit) {
    if (!existsSync(explicit)) throw new ImageError('bad_option', `--agent ${explicit}: no such file`);
    return { path: resolve(explicit), sha256: await sha256File(explicit) };
  }
  const entry = join(REPO_ROOT, 'src/agent/main.ts');
  if (!existsSync(entry)) {
    warn('src/agent/main.ts does not exist yet: building the ephemeral image without the Plinth agent');
    return null;
  }
  mkdirSync(workDir, { recursive: true });
  const tmp = join(workDir, `.agent-${process.pid}.mjs`);
  const esbuild = join(REPO_ROOT, 'node_modules/.bin/esbuild');
  await exec(existsSync(esbuild) ? esbuild : 'esbuild', [entry, '--bundle', '--platform=node', '--target=node18', '--format=esm', `--outfile=${tmp}`, '--log-level=warning'], { cwd: REPO_ROOT });
  // Named by content: the file the build copies minutes later is the one its cache key hashed,
  // whatever other builds bundle meanwhile.
  const sha256 = await sha256File(tmp);
  const path = join(workDir, `agent-${sha256.slice(0, 16)}.mjs`);
  renameSync(tmp, path);
  return { path, sha256 };
}

/** Talking to the metadata service as a machine would: node-key-signed requests and a tar reader (GNU tar). */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { call, type Field } from '../../src/cli/client/request.ts';
import type { TestRegion } from '../helpers/region.ts';

export interface Res { status: number; contentType: string; body: Buffer; text: string }

/** The machine's key as `consumer:token:secret`, fetched the way an operator would (op=get_token). */
export async function nodeKey(r: TestRegion, systemId: string): Promise<string> {
  const res = await r.api('GET', `machines/${systemId}/?op=get_token`);
  if (res.status !== 200) throw new Error(`get_token: ${res.status} ${res.text}`);
  const t = res.json();
  return `${t.consumer_key}:${t.token_key}:${t.token_secret}`;
}

export async function meta(r: TestRegion, method: string, path: string, key: string | null, fields: Field[] = []): Promise<Res> {
  const res = await call({ method, url: `${r.origin}/MAAS/metadata/${path}`, apiKey: key, fields, accept: '*/*' });
  return { ...res, text: res.body.toString() };
}

/** Unpacks a tar with GNU tar (so our ustar writer is checked by a real reader); path → content. */
export function untar(tar: Buffer): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'plinth-tar-'));
  try {
    writeFileSync(join(dir, 'x.tar'), tar);
    mkdirSync(join(dir, 'out'));
    const res = spawnSync('tar', ['-xf', join(dir, 'x.tar'), '-C', join(dir, 'out')], { encoding: 'utf8' });
    if (res.status !== 0) throw new Error(`tar failed: ${res.stderr}`);
    const files: Record<string, string> = {};
    const walk = (d: string, prefix: string) => {
      for (const n of readdirSync(d)) {
        const p = join(d, n);
        if (statSync(p).isDirectory()) walk(p, `${prefix}${n}/`);
        else files[`${prefix}${n}`] = readFileSync(p, 'utf8');
      }
    };
    walk(join(dir, 'out'), '');
    return files;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
